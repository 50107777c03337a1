// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A program built with a sanitizer, the library without one (a distro's
 * libxmm in an AddressSanitizer build of an application): the runtime's
 * interceptors (memchr, read, close) read its shadow memory in the kept
 * helper too, which therefore must keep all of the caller's memory, as
 * it does where the library itself is sanitized (inject_server_mm.c).
 * The runtime is told by its entry point, __asan_init: this program
 * defines one (and exports it), and so looks sanitized to the library.
 * Built only where the build is not sanitized (tests/meson.build).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"
#include "inject-common.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define MiB	(1024UL * 1024)

/* What AddressSanitizer's runtime exports; the library looks for it. */
void __asan_init(void);
void __asan_init(void)
{
}

static int setup(void **state)
{
	(void)state;
	return inject_setup(false);
}

static int sanitized_caller(void *arg)
{
	int pidfd = *(int *)arg;
	struct iovec iov = { scratch, 4096 };
	const size_t size = 4 * MiB;
	char *private = mmap(NULL, size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	pid_t helper;
	int i;

	CHILD_CHECK(private != MAP_FAILED);
	memset(private, 1, size);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	/* A kept helper (not one that died of the runtime's unmapped
	 * shadow), which kept the caller's memory, and serves on. */
	helper = kept_helper();
	CHILD_CHECK(helper > 0);
	CHILD_CHECK(maps_any_of(helper, private, size));
	for (i = 0; i < 10; i++)
		CHILD_CHECK(xmm_process_madvise(pidfd, &iov, 1, MADV_COLD,
						0) == 4096);
	CHILD_CHECK(kept_helper() == helper);
	return 0;
}

static void test_sanitized_program_helper_keeps_all(void **state)
{
	struct target t;

	(void)state;
	need_kept_helper();
	target_start(&t, pause_child, NULL);
	assert_int_equal(harness_run_in_child(sanitized_caller, &t.pidfd), 0);
	assert_true(untraced(t.pid));
	target_kill(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitized_program_helper_keeps_all),
	};
	const char *why;

	harness_require(HARNESS_NEEDS_PTRACE | HARNESS_NEEDS_PIDFD_CHILD);
	if (!harness_injection_available(&why))
		harness_skip_all("the library has no injection backend here "
				 "(%s)", why);
	return cmocka_run_group_tests(tests, setup, inject_teardown);
}
