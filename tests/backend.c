// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The backend introspection calls: xmm_backend_info(), xmm_backend_force(),
 * xmm_backend_last(), and the XMM_BACKEND environment variable.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"

static void test_info_lists_every_operation(void **state)
{
	struct xmm_backend_info info;
	bool madvise = false, remap = false, vm_mmap = false;
	unsigned int i;

	for (i = 0; xmm_backend_info(i, &info) == 0; i++) {
		assert_non_null(info.operation);
		assert_non_null(info.backend);
		assert_true(info.available == 0 || info.available == 1);
		if (!info.available) {
			assert_true(info.reason > 0);
			assert_non_null(info.detail);
		}
		madvise |= !strcmp(info.operation, "process_madvise");
		remap |= !strcmp(info.operation, "remap_anon_pages");
		vm_mmap |= !strcmp(info.operation, "process_vm_mmap");
	}
	assert_int_equal(errno, ENOENT);
	assert_true(madvise && remap && vm_mmap);
}

static void test_info_einval_without_a_result_buffer(void **state)
{
	errno = 0;
	assert_int_equal(xmm_backend_info(0, NULL), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_info_enoent_past_the_end(void **state)
{
	struct xmm_backend_info info;

	errno = 0;
	assert_int_equal(xmm_backend_info(100000, &info), -1);
	assert_int_equal(errno, ENOENT);
}

static void test_force_einval_without_an_operation(void **state)
{
	errno = 0;
	assert_int_equal(xmm_backend_force(NULL, "native"), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_force_enoent_for_unknown_names(void **state)
{
	struct xmm_backend_info info;
	unsigned int i;

	errno = 0;
	assert_int_equal(xmm_backend_force("no_such_operation", NULL), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(xmm_backend_force("process_madvise", "no-such"), -1);
	assert_int_equal(errno, ENOENT);
	/* Nothing changed: no backend is forced. */
	for (i = 0; xmm_backend_info(i, &info) == 0; i++)
		assert_int_equal(info.forced, 0);
}

static void test_force_selects_and_releases_a_backend(void **state)
{
	static char data[4096] __attribute__((aligned(4096)));
	struct xmm_backend_info info;
	struct iovec v = { data, sizeof(data) };
	unsigned int i;
	bool seen = false;

	assert_int_equal(xmm_backend_force("process_madvise", "self-madvise"),
			 0);
	for (i = 0; xmm_backend_info(i, &info) == 0; i++)
		if (!strcmp(info.operation, "process_madvise")) {
			assert_int_equal(info.forced,
				!strcmp(info.backend, "self-madvise"));
			seen = true;
		}
	assert_true(seen);
	assert_int_equal(xmm_process_madvise(XMM_PIDFD_SELF, &v, 1,
					     MADV_WILLNEED, 0),
			 (ssize_t)sizeof(data));
	assert_string_equal(xmm_backend_last("process_madvise"),
			    "self-madvise");

	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
	for (i = 0; xmm_backend_info(i, &info) == 0; i++)
		assert_int_equal(info.forced, 0);
}

/* A forced backend that cannot serve answers ENOSYS, never another's. */
static void test_forced_backend_that_cannot_serve_gives_enosys(void **state)
{
	static char data[4096] __attribute__((aligned(4096)));
	struct harness_child child;
	struct iovec v = { data, sizeof(data) };

	assert_int_equal(harness_child_start(&child, NULL, NULL), 0);
	assert_int_equal(xmm_backend_force("process_madvise", "self-madvise"),
			 0);
	errno = 0;
	assert_int_equal(xmm_process_madvise(child.pidfd, &v, 1, MADV_COLD,
					     0), -1);
	assert_int_equal(errno, ENOSYS);
	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
	harness_child_stop(&child);
}

static void test_last_einval_and_enoent(void **state)
{
	errno = 0;
	assert_null(xmm_backend_last(NULL));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(xmm_backend_last("no_such_operation"));
	assert_int_equal(errno, ENOENT);
}

static void *last_in_new_thread(void *arg)
{
	int *err = arg;

	errno = 0;
	if (xmm_backend_last("process_madvise") == NULL)
		*err = errno;
	return NULL;
}

/* The last backend is per thread: a new thread has none yet. */
static void test_last_enodata_before_any_call(void **state)
{
	pthread_t thread;
	int err = 0;

	assert_int_equal(pthread_create(&thread, NULL, last_in_new_thread,
					&err), 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	assert_int_equal(err, ENODATA);
}

/*
 * XMM_BACKEND is read when the library loads: run this program again with
 * it set, and let that copy report what it sees.
 */
static int env_check(void)
{
	static char data[4096] __attribute__((aligned(4096)));
	struct iovec v = { data, sizeof(data) };
	struct xmm_backend_info info;
	unsigned int i;
	int forced = 0;

	int unknown = 0;

	for (i = 0; xmm_backend_info(i, &info) == 0; i++) {
		if (!info.forced)
			continue;
		/* The name nobody has is listed after the real backends. */
		if (info.reason == ENOENT) {
			unknown++;
			if (info.available || !info.detail)
				return 15;
			if (!strcmp(info.operation, "remap_anon_pages") &&
			    !strcmp(info.backend, "no-such-backend") &&
			    strstr(info.detail, "no such backend"))
				continue;
			if (!strcmp(info.operation, "no-such-op") &&
			    !strcmp(info.backend, "x") &&
			    strstr(info.detail, "no such operation"))
				continue;
			return 17;
		}
		forced++;
		if (strcmp(info.operation, "process_madvise") ||
		    strcmp(info.backend, "self-madvise"))
			return 10;
	}
	if (forced != 1)
		return 11;
	if (unknown != 2)
		return 16;
	if (xmm_process_madvise(XMM_PIDFD_SELF, &v, 1, MADV_WILLNEED, 0) !=
	    (ssize_t)sizeof(data))
		return 12;
	if (strcmp(xmm_backend_last("process_madvise"), "self-madvise"))
		return 13;
	/* A name nobody has forces the operation to nothing: ENOSYS. */
	if (xmm_remap_anon_pages(data, data + 4096, 4096, 0) != -1 ||
	    errno != ENOSYS)
		return 14;
	return 0;
}

static void test_environment_forces_backends(void **state)
{
	char *argv[] = { (char *)"/proc/self/exe", (char *)"--env-check",
			 NULL };
	char *envp[] = {
		(char *)"XMM_BACKEND=process_madvise=self-madvise,"
			"remap_anon_pages=no-such-backend,no-such-op=x",
		NULL
	};
	char self[4096];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	int status;
	pid_t pid;

	/* Its path: under valgrind /proc/self/exe is valgrind's tool. */
	assert_true(len > 0);
	self[len] = '\0';
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execve(self, argv, envp);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_info_lists_every_operation),
		cmocka_unit_test(test_info_einval_without_a_result_buffer),
		cmocka_unit_test(test_info_enoent_past_the_end),
		cmocka_unit_test(test_force_einval_without_an_operation),
		cmocka_unit_test(test_force_enoent_for_unknown_names),
		cmocka_unit_test(test_force_selects_and_releases_a_backend),
		cmocka_unit_test(
			test_forced_backend_that_cannot_serve_gives_enosys),
		cmocka_unit_test(test_last_einval_and_enoent),
		cmocka_unit_test(test_last_enodata_before_any_call),
		cmocka_unit_test(test_environment_forces_backends),
	};

	if (argc == 2 && !strcmp(argv[1], "--env-check"))
		return env_check();
	harness_require(HARNESS_NEEDS_EXEC |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
