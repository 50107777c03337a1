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
	/* A number, for advice newer than this table: decimal, so that
	 * "020" is 20 and not 16. */
	errno = 0;
	value = strtol(name, &end, 10);
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
	case XMM_VMA_CLASS_SHMEM:
		return "shmem";
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

bool json_output;
bool json_printed;

/* The one JSON document of a run that failed before any report. */
static void json_error(const char *cmd, const char *error,
		       const char *message, const char *hint)
{
	if (!json_output || json_printed)
		return;
	json_printed = true;
	printf("{\"command\": ");
	json_string(stdout, cmd);
	printf(", \"error\": ");
	json_string(stdout, error);
	printf(", \"message\": ");
	json_string(stdout, message);
	if (hint) {
		printf(", \"hint\": ");
		json_string(stdout, hint);
	}
	printf("}\n");
}

int usage_error(const char *cmd, const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	fprintf(stderr, "xmm %s: %s\nTry 'xmm %s --help'.\n", cmd, message,
		cmd);
	json_error(cmd, "usage", message, NULL);
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
		ERRNO_NAME(EOWNERDEAD),
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

/* With XMM_BACKEND naming no such backend, which item it was. */
static const char *unknown_backend_hint(char *buf, size_t size)
{
	struct xmm_backend_info info;
	unsigned int i;

	for (i = 0; xmm_backend_info(i, &info) == 0; i++) {
		if (info.reason != ENOENT)
			continue;
		snprintf(buf, size, "XMM_BACKEND names '%s=%s': %s",
			 info.operation, info.backend, info.detail);
		return buf;
	}
	return NULL;
}

const char *error_hint(const char *what, int err)
{
	static char backend_hint[256];
	bool madvise = what && strstr(what, "advise");

	switch (err) {
	case EPERM:
		return madvise ? "needs CAP_SYS_NICE to advise another process"
			       : "needs privilege over the target";
	case EACCES:
		return "needs ptrace read access to the target: the same "
		       "user, or CAP_SYS_PTRACE";
	case ESRCH:
		return "the target exited";
	case ENOSYS:
		if (unknown_backend_hint(backend_hint, sizeof(backend_hint)))
			return backend_hint;
		return "the kernel or a seccomp policy lacks the system call";
	case EINVAL:
		return madvise ? "the kernel refuses this advice for another "
				 "process (cold, pageout: 5.10; willneed: "
				 "5.15; collapse: 6.1), or refused every "
				 "selected mapping" : NULL;
	case EAGAIN:
		return madvise ? "the injection fallback could not stop the "
				 "target or have it run the call, as when a "
				 "cgroup freezer holds it or it sleeps "
				 "uninterruptibly; nothing was changed, try "
				 "again later" : NULL;
	case EOWNERDEAD:
		return madvise ? "the injection helper was killed during the "
				 "call: whether the advice was applied is "
				 "unknown" : NULL;
	case EXDEV:
		return madvise ? "the target runs another system call ABI "
				 "(a 32-bit program): injection refused" : NULL;
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
	char message[512];
	const char *hint = error_hint(what, err);
	snprintf(message, sizeof(message), "%s: %s", what, strerror(err));
	fprintf(stderr, "xmm %s: %s%s%s%s\n", cmd, message,
		hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
	json_error(cmd, errno_name(err), message, hint);
	return EXIT_FAILED;
}

/* A number field of /proc/PID/status ("CapPrm", base 16); false if none. */
static bool status_field(pid_t pid, const char *field, int base,
			 unsigned long long *value)
{
	char path[64], line[256];
	size_t len = strlen(field);
	bool found = false;
	FILE *f;

	if (pid)
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	else
		snprintf(path, sizeof(path), "/proc/self/status");
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (!strncmp(line, field, len) && line[len] == ':') {
			*value = strtoull(line + len + 1, NULL, base);
			found = true;
		}
	fclose(f);
	return found;
}

/* Why ptrace read access to pid is refused, as far as we can tell. */
const char *access_hint(pid_t pid, char *buf, size_t size)
{
	unsigned long long mine, theirs, uid, their_uid, scope;
	FILE *yama;

	if (status_field(0, "Uid", 10, &uid) &&
	    status_field(pid, "Uid", 10, &their_uid) && uid != their_uid &&
	    uid != 0) {
		snprintf(buf, size, "process %d belongs to uid %llu: needs "
			 "the same user or CAP_SYS_PTRACE", (int)pid,
			 their_uid);
		return buf;
	}
	if (status_field(0, "CapPrm", 16, &mine) &&
	    status_field(pid, "CapPrm", 16, &theirs) &&
	    (theirs & ~mine)) {
		snprintf(buf, size, "process %d holds capabilities this "
			 "process lacks (CapPrm %llx, ours %llx): the kernel's "
			 "ptrace check refuses even root", (int)pid, theirs,
			 mine);
		return buf;
	}
	yama = fopen("/proc/sys/kernel/yama/ptrace_scope", "re");
	if (yama) {
		int got = fscanf(yama, "%llu", &scope);

		fclose(yama);
		if (got == 1 && scope > 0) {
			snprintf(buf, size, "Yama ptrace_scope is %llu: needs "
				 "CAP_SYS_PTRACE (or ptrace_scope 0)", scope);
			return buf;
		}
	}
	return NULL;
}

int access_error(const char *cmd, pid_t pid, const char *what, int err)
{
	char message[512], why[256];
	const char *hint = NULL;

	if (err == EACCES || err == EPERM)
		hint = access_hint(pid, why, sizeof(why));
	if (!hint)
		return operation_error(cmd, what, err);
	snprintf(message, sizeof(message), "%s: %s", what, strerror(err));
	fprintf(stderr, "xmm %s: %s (%s)\n", cmd, message, hint);
	json_error(cmd, errno_name(err), message, hint);
	return EXIT_FAILED;
}

int message_error(const char *cmd, int status, const char *error,
		  const char *fmt, ...)
{
	char message[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	fprintf(stderr, "xmm %s: %s\n", cmd, message);
	json_error(cmd, error, message, NULL);
	return status;
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

/*
 * Where the cgroup v2 hierarchy is mounted (its root "/"): from
 * /proc/self/mountinfo, /sys/fs/cgroup when none is found.
 */
const char *cgroup2_root(char *buf, size_t size)
{
	char line[4096], root[256], mnt[2048];
	FILE *f = fopen("/proc/self/mountinfo", "re");

	snprintf(buf, size, "/sys/fs/cgroup");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, " - cgroup2 "))
			continue;
		if (sscanf(line, "%*s %*s %*s %255s %2047s", root, mnt) == 2 &&
		    !strcmp(root, "/")) {
			snprintf(buf, size, "%s", mnt);
			break;
		}
	}
	fclose(f);
	return buf;
}

/* The thread group of a task ID: pid itself for a process; -errno. */
pid_t task_tgid(pid_t tid)
{
	char path[64], line[256];
	pid_t tgid = -ESRCH;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	f = fopen(path, "re");
	if (!f)
		return errno == ENOENT ? -ESRCH : -errno;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %d", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

int open_target(const char *cmd, pid_t *pid, int *exit_status)
{
	pid_t tgid = task_tgid(*pid);
	int pidfd;

	if (tgid == -ESRCH) {
		*exit_status = message_error(cmd, EXIT_FAILED, "ESRCH",
					     "no process with PID %d",
					     (int)*pid);
		return -1;
	}
	/* A thread ID names its process, as for pmap(1). */
	if (tgid > 0 && tgid != *pid) {
		fprintf(stderr, "xmm %s: %d is a thread of process %d: "
			"acting on the process\n", cmd, (int)*pid, (int)tgid);
		*pid = tgid;
	}
	pidfd = xmm_pidfd_open(*pid, 0);
	if (pidfd < 0) {
		if (errno == ESRCH)
			*exit_status = message_error(cmd, EXIT_FAILED,
						     "ESRCH", "process %d "
						     "exited", (int)*pid);
		else
			*exit_status = operation_error(cmd, "pidfd_open",
						       errno);
	}
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

/* The length of the valid UTF-8 sequence at p, or 0. */
static size_t utf8_sequence(const unsigned char *p)
{
	size_t len, i;
	unsigned int cp;

	if (*p < 0x80)
		return 1;
	if ((*p & 0xe0) == 0xc0) {
		len = 2;
		cp = *p & 0x1f;
	} else if ((*p & 0xf0) == 0xe0) {
		len = 3;
		cp = *p & 0x0f;
	} else if ((*p & 0xf8) == 0xf0) {
		len = 4;
		cp = *p & 0x07;
	} else {
		return 0;
	}
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	/* Overlong forms, surrogates and beyond U+10FFFF are invalid. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

void json_string(FILE *out, const char *text)
{
	const unsigned char *p = (const unsigned char *)text;

	fputc('"', out);
	while (*p) {
		size_t len = utf8_sequence(p);

		if (*p == '"' || *p == '\\')
			fprintf(out, "\\%c", *p);
		else if (*p < 0x20 || *p == 0x7f)
			fprintf(out, "\\u%04x", *p);
		else if (len)
			fwrite(p, 1, len, out);
		else	/* not UTF-8: the byte as U+0080 to U+00FF */
			fprintf(out, "\\u%04x", *p);
		p += len ? len : 1;
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
	{ "thaw", cmd_thaw, "resume a process a killed 'xmm advise "
			    "--freeze' left stopped" },
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
		"0 success, 1 operation failed, 2 bad usage,\n3 nothing "
		"selected (advise), 128+N interrupted by signal N.\n");
}

/* Was --json (or -j) given?  Known before parsing, for usage errors. */
static bool wants_json(int argc, char **argv)
{
	int i;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--"))
			break;
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j"))
			return true;
	}
	return false;
}

/* Output that could not be written is a failure, not a success. */
static int finish_output(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout)) {
		fprintf(stderr, "xmm: writing the output: %s\n",
			strerror(errno ? errno : EIO));
		return status == EXIT_OK ? EXIT_FAILED : status;
	}
	return status;
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
	if (!strcmp(argv[1], "--version") || !strcmp(argv[1], "-V")) {
		printf("xmm %s\n", XMM_VERSION_STRING);
		return finish_output(EXIT_OK);
	}
	json_output = wants_json(argc, argv);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(argv[1], commands[i].name))
			return finish_output(commands[i].run(argc - 1,
							     argv + 1));
	fprintf(stderr, "xmm: unknown command '%s'\n", argv[1]);
	main_usage(stderr);
	return EXIT_USAGE;
}
