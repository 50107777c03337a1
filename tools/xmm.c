// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm: the command.  This file holds main(), which dispatches to the
 * subcommands (probe.c, advise.c, stat.c, demo.c), and the helpers they
 * share: error reporting with hints, units, JSON.
 */
#include "xmm-tool.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef MADV_DONTNEED_LOCKED
#define MADV_DONTNEED_LOCKED	24
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif

static const struct {
	const char *name;
	int advice;
} advice_names[] = {
	{ "normal", MADV_NORMAL },
	{ "random", MADV_RANDOM },
	{ "sequential", MADV_SEQUENTIAL },
	{ "willneed", MADV_WILLNEED },
	{ "dontneed", MADV_DONTNEED },
	{ "free", MADV_FREE },
	{ "mergeable", MADV_MERGEABLE },
	{ "unmergeable", MADV_UNMERGEABLE },
	{ "hugepage", MADV_HUGEPAGE },
	{ "nohugepage", MADV_NOHUGEPAGE },
	{ "cold", MADV_COLD },
	{ "pageout", MADV_PAGEOUT },
	{ "populate-read", MADV_POPULATE_READ },
	{ "populate-write", MADV_POPULATE_WRITE },
	{ "dontneed-locked", MADV_DONTNEED_LOCKED },
	{ "collapse", MADV_COLLAPSE },
};

int advice_from_name(const char *name)
{
	size_t i;
	char *end;
	long value;

	for (i = 0; i < sizeof(advice_names) / sizeof(advice_names[0]); i++)
		if (!strcmp(advice_names[i].name, name))
			return advice_names[i].advice;
	/* A number, for advice newer than this table. */
	errno = 0;
	value = strtol(name, &end, 0);
	if (!errno && *name && !*end && value >= 0 && value <= INT_MAX)
		return (int)value;
	return -1;
}

const char *advice_name(int advice)
{
	size_t i;

	for (i = 0; i < sizeof(advice_names) / sizeof(advice_names[0]); i++)
		if (advice_names[i].advice == advice)
			return advice_names[i].name;
	return "other";
}

const char *class_name(unsigned int vma_class)
{
	switch (vma_class) {
	case XMM_VMA_CLASS_ANON:
		return "anon";
	case XMM_VMA_CLASS_FILE:
		return "file";
	case XMM_VMA_CLASS_SHARED:
		return "shared";
	case XMM_VMA_CLASS_HEAP:
		return "heap";
	case XMM_VMA_CLASS_STACK:
		return "stack";
	case XMM_VMA_CLASS_SPECIAL:
		return "special";
	default:
		return "";
	}
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "xmm %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'xmm %s --help'.\n", cmd);
	return EXIT_USAGE;
}

const char *errno_name(int err)
{
	static __thread char number[16];
#ifdef HAVE_STRERRORNAME_NP	/* glibc 2.32 */
	const char *name = strerrorname_np(err);

	if (name)
		return name;
#else	/* musl: the names the library and the command can answer */
	static const struct {
		int err;
		const char *name;
	} names[] = {
#define ERRNO_NAME(e)	{ e, #e }
		ERRNO_NAME(EPERM), ERRNO_NAME(ENOENT), ERRNO_NAME(ESRCH),
		ERRNO_NAME(EINTR), ERRNO_NAME(EIO), ERRNO_NAME(ENOEXEC),
		ERRNO_NAME(EBADF), ERRNO_NAME(ECHILD), ERRNO_NAME(EAGAIN),
		ERRNO_NAME(ENOMEM), ERRNO_NAME(EACCES), ERRNO_NAME(EFAULT),
		ERRNO_NAME(EBUSY), ERRNO_NAME(EEXIST), ERRNO_NAME(EXDEV),
		ERRNO_NAME(ENODEV), ERRNO_NAME(EINVAL), ERRNO_NAME(ENFILE),
		ERRNO_NAME(EMFILE), ERRNO_NAME(ENOTTY), ERRNO_NAME(EROFS),
		ERRNO_NAME(ENAMETOOLONG), ERRNO_NAME(ENOSYS),
		ERRNO_NAME(ENODATA), ERRNO_NAME(ENOTSUP),
		ERRNO_NAME(ETIMEDOUT), ERRNO_NAME(ECANCELED),
#undef ERRNO_NAME
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].err == err)
			return names[i].name;
#endif
	snprintf(number, sizeof(number), "%d", err);
	return number;
}

const char *error_hint(const char *what, int err)
{
	bool madvise = what && strstr(what, "advise");

	switch (err) {
	case EPERM:
		return madvise ? "needs CAP_SYS_NICE to advise another process"
			       : "needs privilege over the target";
	case EACCES:
		return "needs ptrace access to the target: the same user and "
		       "a permissive Yama ptrace_scope, or CAP_SYS_PTRACE";
	case ESRCH:
		return "target exited";
	case ENOSYS:
		return "the kernel or a seccomp policy lacks the system call";
	case EINVAL:
		return madvise ? "the kernel refuses this advice for another "
				 "process (cold, pageout: 5.10; willneed: "
				 "5.15; collapse: 6.1)" : NULL;
	case ECANCELED:
		return "interrupted";
	case ETIMEDOUT:
		return "the target did not stop in time";
	default:
		return NULL;
	}
}

int operation_error(const char *cmd, const char *what, int err)
{
	const char *hint = error_hint(what, err);

	fprintf(stderr, "xmm %s: %s: %s%s%s%s\n", cmd, what, strerror(err),
		hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	return EXIT_FAILED;
}

pid_t parse_pid(const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno || !*text || *end || value <= 0 || value > INT_MAX)
		return -1;
	return (pid_t)value;
}

int open_target(const char *cmd, pid_t pid, int *exit_status)
{
	int pidfd = xmm_pidfd_open(pid, 0);

	if (pidfd < 0)
		*exit_status = operation_error(cmd, "pidfd_open", errno);
	return pidfd;
}

const char *human_bytes(unsigned long long bytes, char *buf, size_t size)
{
	static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
	double value = (double)bytes;
	int unit = -1;

	while (value >= 1024 && unit < 3) {
		value /= 1024;
		unit++;
	}
	if (unit < 0)
		snprintf(buf, size, "%llu B", bytes);
	else
		snprintf(buf, size, "%.*f %s", value < 10 ? 2 : 1, value,
			 units[unit]);
	return buf;
}

const char *human_ns(unsigned long long ns, char *buf, size_t size)
{
	if (ns < 1000)
		snprintf(buf, size, "%llu ns", ns);
	else if (ns < 1000000)
		snprintf(buf, size, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000ULL)
		snprintf(buf, size, "%.1f ms", (double)ns / 1e6);
	else
		snprintf(buf, size, "%.2f s", (double)ns / 1e9);
	return buf;
}

bool parse_size(const char *text, unsigned long *bytes)
{
	unsigned long long value, shift = 0;
	char *end;

	errno = 0;
	value = strtoull(text, &end, 0);
	if (errno || end == text || *text == '-')
		return false;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	default: break;
	}
	if (*end == 'i' && shift)
		end++;
	if (*end == 'B' || (*end == 'b' && shift == 0))
		end++;
	if (*end || value > (~0UL >> shift))
		return false;
	*bytes = (unsigned long)(value << shift);
	return true;
}

void json_string(FILE *out, const char *text)
{
	const unsigned char *p;

	fputc('"', out);
	for (p = (const unsigned char *)text; *p; p++) {
		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20)
			fprintf(out, "\\u%04x", *p);
		else
			fputc(*p, out);
	}
	fputc('"', out);
}

void json_usage(FILE *out, const struct xmm_mem_usage *u)
{
	fprintf(out, "{\"rss\": %llu, \"rss_anon\": %llu, \"rss_file\": %llu, "
		"\"rss_shmem\": %llu, \"swap\": %llu", u->rss, u->rss_anon,
		u->rss_file, u->rss_shmem, u->swap);
	if (u->flags & XMM_MEM_ROLLUP)
		fprintf(out, ", \"pss\": %llu, \"pss_anon\": %llu, "
			"\"pss_file\": %llu, \"pss_shmem\": %llu, "
			"\"swap_pss\": %llu", u->pss, u->pss_anon,
			u->pss_file, u->pss_shmem, u->swap_pss);
	fputc('}', out);
}

unsigned long long monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "probe", cmd_probe, "list every operation and backend, and why "
			      "one is unavailable" },
	{ "advise", cmd_advise, "advise a whole process's memory" },
	{ "stat", cmd_stat, "show a process's memory by mapping class" },
	{ "demo", cmd_demo, "run every operation on a child and time it" },
};

static void main_usage(FILE *out)
{
	size_t i;

	fprintf(out, "Usage: xmm COMMAND [OPTIONS]\n"
		"Cross-process memory operations (libxmm %s).\n\n"
		"Commands:\n", XMM_VERSION_STRING);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name,
			commands[i].summary);
	fprintf(out, "\n'xmm COMMAND --help' describes each.  Exit status: "
		"0 success, 1 operation failed, 2 bad usage.\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		main_usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") ||
	    !strcmp(argv[1], "help")) {
		main_usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("xmm %s\n", XMM_VERSION_STRING);
		return EXIT_OK;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return commands[i].run(argc - 1, argv + 1);
	fprintf(stderr, "xmm: unknown command '%s'\n", argv[1]);
	main_usage(stderr);
	return EXIT_USAGE;
}
