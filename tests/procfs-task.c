// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The /proc/PID/task iterator (src/procfs_task.c) against real children:
 * a child with more threads than one getdents64 buffer holds is listed
 * whole, each thread once, through buffers of every size the iterator
 * accepts (the callers' 4096 bytes, the minimum, an unaligned one); and
 * each errno of xmm_proc_task_open().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

/* The iterator itself: its functions are hidden in the library. */
#include "../src/procfs_task.c"
#include "harness.h"

/* The callers' buffer (inject_thread.c, madvise.c). */
#define CALLER_BUF	4096
/*
 * Threads besides the leader: a getdents64 record of a thread id takes
 * 24 to 32 bytes, so 4096 bytes hold at most 170 of them.
 */
#define THREADS		300

/* Shared with the child: the thread ids its setup started. */
static struct many_threads {
	pid_t tids[THREADS];
	pthread_barrier_t started;
} *many;

static void *record_and_sleep(void *arg)
{
	pid_t *tid = arg;

	*tid = (pid_t)syscall(SYS_gettid);
	pthread_barrier_wait(&many->started);
	for (;;)
		pause();
	return NULL;
}

/* harness_child_start() setup: THREADS threads, each recorded. */
static void start_many_threads(void *arg)
{
	pthread_barrierattr_t shared;
	pthread_attr_t attr;
	pthread_t thread;
	int i;

	(void)arg;
	pthread_barrierattr_init(&shared);
	pthread_barrierattr_setpshared(&shared, PTHREAD_PROCESS_SHARED);
	pthread_barrier_init(&many->started, &shared, THREADS + 1);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < THREADS; i++)
		if (pthread_create(&thread, &attr, record_and_sleep,
				   &many->tids[i]) != 0)
			_exit(1);
	pthread_barrier_wait(&many->started);
}

/* Numeric records one getdents64 of size bytes returns from the start. */
static int ids_in_one_read(pid_t pid, size_t size)
{
	char path[64];
	char *buf = malloc(size);
	long got, off = 0;
	int fd, ids = 0;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(fd >= 0);
	got = syscall(SYS_getdents64, fd, buf, size);
	assert_true(got > 0);
	while (off < got) {
		const struct proc_task_dirent *entry = (void *)(buf + off);

		ids += tid_of_name(entry->d_name) > 0;
		off += entry->d_reclen;
	}
	close(fd);
	free(buf);
	return ids;
}

/* List pid's threads through a buffer of size bytes at offset skew. */
static void list_all_once(pid_t pid, size_t size, size_t skew)
{
	char *storage = malloc(size + skew);
	struct xmm_proc_task_iter tasks;
	bool leader = false, seen[THREADS] = { false };
	int listed = 0, i;
	pid_t tid;

	assert_non_null(storage);
	assert_int_equal(xmm_proc_task_open(&tasks, pid, storage + skew,
					    size), 0);
	while ((tid = xmm_proc_task_next(&tasks)) > 0) {
		listed++;
		if (tid == pid) {
			assert_false(leader);
			leader = true;
			continue;
		}
		for (i = 0; i < THREADS && many->tids[i] != tid; i++)
			;
		assert_true(i < THREADS);	/* one of the child's */
		assert_false(seen[i]);		/* and listed once */
		seen[i] = true;
	}
	assert_int_equal(tid, 0);		/* the end, not an error */
	xmm_proc_task_close(&tasks);
	assert_int_equal(tasks.dirfd, -1);
	assert_true(leader);
	assert_int_equal(listed, THREADS + 1);
	free(storage);
}

static void test_more_threads_than_one_buffer(void **state)
{
	struct harness_child child;

	(void)state;
	/* qemu-user: the helper's clone(CLONE_PIDFD | CLONE_PARENT) fails. */
	harness_need(HARNESS_NEEDS_PIDFD_CHILD);
	many = mmap(NULL, sizeof(*many), PROT_READ | PROT_WRITE,
		    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(many != MAP_FAILED);
	harness_child_or_skip(&child, start_many_threads, NULL);

	/* The child's threads do not fit one read of the callers' buffer. */
	assert_true(ids_in_one_read(child.pid, CALLER_BUF) < THREADS + 1);
	list_all_once(child.pid, CALLER_BUF, 0);
	list_all_once(child.pid, XMM_PROC_TASK_BUF_MIN, 0);
	/* An unaligned buffer is aligned inside: 7 bytes fewer. */
	list_all_once(child.pid, XMM_PROC_TASK_BUF_MIN + 7, 1);

	harness_child_stop(&child);
	munmap(many, sizeof(*many));
}

/* A process's own listing: the caller's thread is in it. */
static void test_self(void **state)
{
	char buf[CALLER_BUF] __attribute__((aligned(8)));
	struct xmm_proc_task_iter tasks;
	pid_t me = (pid_t)syscall(SYS_gettid), tid;
	bool found = false;

	(void)state;
	assert_int_equal(xmm_proc_task_open(&tasks, getpid(), buf,
					    sizeof(buf)), 0);
	while ((tid = xmm_proc_task_next(&tasks)) > 0)
		found |= tid == me;
	assert_int_equal(tid, 0);
	xmm_proc_task_close(&tasks);
	assert_true(found);
}

static void test_errors(void **state)
{
	char buf[CALLER_BUF] __attribute__((aligned(8)));
	struct xmm_proc_task_iter tasks;
	int before = fcntl(0, F_DUPFD_CLOEXEC, 0), after;

	(void)state;
	assert_true(before >= 0);
	close(before);
	/* EINVAL: no such pid number, no buffer, a buffer too small. */
	assert_int_equal(xmm_proc_task_open(&tasks, 0, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(tasks.dirfd, -1);
	assert_int_equal(xmm_proc_task_open(&tasks, -1, buf, sizeof(buf)),
			 -EINVAL);
	assert_int_equal(xmm_proc_task_open(&tasks, getpid(), NULL,
					    sizeof(buf)), -EINVAL);
	assert_int_equal(xmm_proc_task_open(&tasks, getpid(), buf,
					    XMM_PROC_TASK_BUF_MIN - 1),
			 -EINVAL);
	/* Aligned up by one byte, the minimum no longer fits. */
	assert_int_equal(xmm_proc_task_open(&tasks, getpid(), buf + 7,
					    XMM_PROC_TASK_BUF_MIN), -EINVAL);
	/* ESRCH: above every pid_max (2^22), no process has this id. */
	assert_int_equal(xmm_proc_task_open(&tasks, 0x7ffffff0, buf,
					    sizeof(buf)), -ESRCH);
	assert_int_equal(tasks.dirfd, -1);
	/* Nothing was left open. */
	after = fcntl(0, F_DUPFD_CLOEXEC, 0);
	assert_int_equal(after, before);
	close(after);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_more_threads_than_one_buffer),
		cmocka_unit_test(test_self),
		cmocka_unit_test(test_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
