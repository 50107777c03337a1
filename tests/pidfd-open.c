// SPDX-License-Identifier: LGPL-2.1-or-later
/* xmm_pidfd_open(): pidfd_open(2) semantics, each documented errno. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"

/* The "Pid:" line of a descriptor's fdinfo, or -2 if it has none. */
static long fdinfo_pid(int fd)
{
	char path[64], line[256];
	long pid = -2;
	FILE *info;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	info = fopen(path, "r");
	assert_non_null(info);
	while (fgets(line, sizeof(line), info))
		if (sscanf(line, "Pid: %ld", &pid) == 1)
			break;
	fclose(info);
	return pid;
}

static void test_opens_a_pidfd_for_a_child(void **state)
{
	struct harness_child child;
	int pidfd, flags;

	assert_int_equal(harness_child_start(&child, NULL, NULL), 0);
	pidfd = xmm_pidfd_open(child.pid, 0);
	assert_true(pidfd >= 0);
	assert_int_equal(fdinfo_pid(pidfd), child.pid);
	/* pidfds are close-on-exec, as pidfd_open(2) promises. */
	flags = fcntl(pidfd, F_GETFD);
	assert_true(flags & FD_CLOEXEC);
	close(pidfd);
	harness_child_stop(&child);
}

static void test_einval_for_unknown_flags(void **state)
{
	errno = 0;
	assert_int_equal(xmm_pidfd_open(getpid(), 0x1), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_einval_for_pid_zero_or_negative(void **state)
{
	errno = 0;
	assert_int_equal(xmm_pidfd_open(0, 0), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(xmm_pidfd_open(-5, 0), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_esrch_for_a_reaped_child(void **state)
{
	pid_t child = fork();

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	errno = 0;
	assert_int_equal(xmm_pidfd_open(child, 0), -1);
	assert_int_equal(errno, ESRCH);
}

static int open_with_no_descriptor_left(void *arg)
{
	struct rlimit limit = { 0, 0 };
	int fd;

	/* Use up the table: the lowest free descriptor is past the limit. */
	fd = open("/dev/null", O_RDONLY);
	CHILD_CHECK(fd >= 0);
	limit.rlim_cur = limit.rlim_max = (rlim_t)fd;
	CHILD_CHECK(setrlimit(RLIMIT_NOFILE, &limit) == 0);
	errno = 0;
	CHILD_CHECK(xmm_pidfd_open(getpid(), 0) == -1);
	CHILD_CHECK(errno == EMFILE);
	return 0;
}

static void test_emfile_when_no_descriptor_is_free(void **state)
{
	assert_int_equal(harness_run_in_child(open_with_no_descriptor_left,
					      NULL), 0);
}

static int open_under_seccomp(void *arg)
{
	CHILD_CHECK(harness_seccomp_enosys(__NR_pidfd_open) == 0);
	errno = 0;
	CHILD_CHECK(xmm_pidfd_open(getpid(), 0) == -1);
	CHILD_CHECK(errno == ENOSYS);
	return 0;
}

static void test_enosys_where_the_kernel_lacks_pidfd_open(void **state)
{
	assert_int_equal(harness_run_in_child(open_under_seccomp, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_opens_a_pidfd_for_a_child),
		cmocka_unit_test(test_einval_for_unknown_flags),
		cmocka_unit_test(test_einval_for_pid_zero_or_negative),
		cmocka_unit_test(test_esrch_for_a_reaped_child),
		cmocka_unit_test(test_emfile_when_no_descriptor_is_free),
		cmocka_unit_test(test_enosys_where_the_kernel_lacks_pidfd_open),
	};

	harness_skip_all_under_valgrind("every test here calls "
					"pidfd_open(2), which it answers "
					"with ENOSYS");
	harness_require(HARNESS_NEEDS_SECCOMP |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
