// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The other half of shim.h, linked into each third-party test with -lxmm.
 *
 * XMM_SHIM_FLAGS (environment): flags OR-ed into every process_madvise
 * call the test makes: "inject", "unchecked", "inject,unchecked", or a
 * number.  XMM_SHIM_LOG=1: one line on stderr per call (arguments,
 * result, errno, the backend that served).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xmm/xmm.h>

#define SYSCALL_ARG_COUNT 6

static unsigned int shim_extra_flags(void)
{
	const char *text = getenv("XMM_SHIM_FLAGS");
	unsigned int flags = 0;

	if (!text || !*text)
		return 0;
	if (strstr(text, "inject"))
		flags |= XMM_PMADV_INJECT;
	if (strstr(text, "unchecked"))
		flags |= XMM_PMADV_INJECT_UNCHECKED;
	if (!flags)
		flags = (unsigned int)strtoul(text, NULL, 0);
	return flags;
}

static long shim_process_madvise(const long *arg)
{
	unsigned int flags = (unsigned int)arg[4] | shim_extra_flags();
	const char *backend;
	ssize_t advised;
	int saved_errno;

	advised = xmm_process_madvise((int)arg[0],
				      (const struct iovec *)arg[1],
				      (size_t)arg[2], (int)arg[3], flags);
	saved_errno = errno;
	if (getenv("XMM_SHIM_LOG")) {
		backend = xmm_backend_last("process_madvise");
		fprintf(stderr,
			"# xmm-shim: pid %d process_madvise(%d, %p, %zu, "
			"%d, %#x) = %zd%s%s backend %s\n",
			getpid(), (int)arg[0], (void *)arg[1],
			(size_t)arg[2], (int)arg[3], flags, advised,
			advised < 0 ? " errno " : "",
			advised < 0 ? strerrorname_np(saved_errno) : "",
			backend ? backend : "(none)");
	}
	errno = saved_errno;
	return advised;
}

long xmm_shim_syscall(long number, ...)
{
	long arg[SYSCALL_ARG_COUNT];
	va_list ap;
	int i;

	/* As glibc's syscall() does: always six, used or not. */
	va_start(ap, number);
	for (i = 0; i < SYSCALL_ARG_COUNT; i++)
		arg[i] = va_arg(ap, long);
	va_end(ap);

	if (number == SYS_process_madvise)
		return shim_process_madvise(arg);
	return syscall(number, arg[0], arg[1], arg[2], arg[3], arg[4],
		       arg[5]);
}

/* vm_util.h's one helper that process_madv.c uses. */
uint64_t read_pmd_pagesize(void)
{
	FILE *file = fopen("/sys/kernel/mm/transparent_hugepage/hpage_pmd_size",
			   "r");
	unsigned long long size = 0;

	if (!file)
		return 0;
	if (fscanf(file, "%llu", &size) != 1)
		size = 0;
	fclose(file);
	return size;
}
