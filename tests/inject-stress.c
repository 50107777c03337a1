// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Long runs of the injection backend (meson suite "stress", not run by
 * default):
 *   - 10,000 injections into a running target that checks its registers
 *     all the time: 0 corruptions allowed;
 *   - 1,000 callers killed with SIGKILL at random points of an injection,
 *     each with a thread looping in malloc/free: every target must
 *     survive, uncorrupted, and every helper finish.
 * Both print their figures.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"
#include "inject-target.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

/* The counts, unless XMM_STRESS_INJECTIONS / XMM_STRESS_CALLER_KILLS say
 * less (an emulated guest: kernel/run-suite.sh passes them on). */
#define INJECTIONS	stress_count("XMM_STRESS_INJECTIONS", 10000)
#define CALLER_KILLS	stress_count("XMM_STRESS_CALLER_KILLS", 1000)
#define RANGES		64

static int stress_count(const char *name, int count)
{
	const char *text = getenv(name);

	return text && atoi(text) > 0 ? atoi(text) : count;
}

static char *scratch;

struct target {
	pid_t pid;
	int pidfd;
	struct busy_control *control;
};

#ifndef HAVE_BUSY_REGISTERS_CHILD
static int pause_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}
#endif

static pid_t spawn(int (*fn)(void *), void *arg)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(fn(arg));
	}
	return pid;
}

static void target_start(struct target *t)
{
	struct timespec tick = { 0, 1000000 };
	int i;

	t->control = mmap(NULL, sizeof(*t->control), PROT_READ | PROT_WRITE,
			  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(t->control != MAP_FAILED);
	t->control->ready = 0;
	t->control->stop = 0;
#ifdef HAVE_BUSY_REGISTERS_CHILD
	t->pid = spawn(busy_registers_child, t->control);
	for (i = 0; i < 10000 && !t->control->ready; i++)
		nanosleep(&tick, NULL);
	assert_true(t->control->ready);
#else
	(void)tick, (void)i;
	t->pid = spawn(pause_forever, NULL);
#endif
	t->pidfd = xmm_pidfd_open(t->pid, 0);
	assert_true(t->pidfd >= 0);
}

/* Stop the target: 0 when it ran uncorrupted to the end. */
static int target_finish(struct target *t)
{
	int status;

#ifdef HAVE_BUSY_REGISTERS_CHILD
	t->control->stop = 1;
#else
	kill(t->pid, SIGTERM);
#endif
	assert_int_equal(waitpid(t->pid, &status, 0), t->pid);
	close(t->pidfd);
	munmap(t->control, sizeof(*t->control));
#ifdef HAVE_BUSY_REGISTERS_CHILD
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
#else
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM ? 0 : 1;
#endif
}

static void fill_ranges(struct iovec *iov, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		iov[i].iov_base = scratch + i * 4096;
		iov[i].iov_len = 4096;
	}
}

static void test_ten_thousand_injections(void **state)
{
	struct iovec iov[RANGES];
	struct target t;
	unsigned int seed = 7;
	unsigned long failures = 0;
	int i, result;

	(void)state;
	fill_ranges(iov, RANGES);
	target_start(&t);
	for (i = 0; i < INJECTIONS; i++) {
		size_t count = 1 + rand_r(&seed) % RANGES;

		if (xmm_process_madvise(t.pidfd, iov, count, MADV_COLD, 0) !=
		    (ssize_t)(count * 4096))
			failures++;
	}
	result = target_finish(&t);
	printf("%d injections into a running target: %lu failed calls, "
	       "target %s\n", INJECTIONS, failures,
	       result == 0 ? "uncorrupted" : "CORRUPTED");
	assert_int_equal(failures, 0);
	assert_int_equal(result, 0);
}

/*
 * A thread of the caller that lives in malloc() and free(): a kill lands
 * while it holds the allocator's lock about as often as not.  A helper
 * that allocated (opendir, stdio) would hang on that lock for ever.
 */
static void *malloc_loop(void *arg)
{
	unsigned int seed = (unsigned int)(unsigned long)arg;
	void *held[16] = { NULL };

	for (;;) {
		unsigned int slot = rand_r(&seed) % 16;

		free(held[slot]);
		held[slot] = malloc(16 + rand_r(&seed) % 65536);
	}
	return NULL;
}

static int caller_loop(void *arg)
{
	int pidfd = *(int *)arg;
	struct iovec iov[RANGES];
	pthread_t allocator;

	fill_ranges(iov, RANGES);
	if (pthread_create(&allocator, NULL, malloc_loop,
			   (void *)(unsigned long)getpid()) != 0)
		return 1;
	xmm_backend_force("process_madvise", "inject");
	for (;;)
		xmm_process_madvise(pidfd, iov, RANGES, MADV_COLD, 0);
	return 0;
}

static int tracer_of(pid_t pid)
{
	char path[64], line[256];
	FILE *f;
	int tracer = -1;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %d", &tracer) == 1)
			break;
	fclose(f);
	return tracer;
}

/*
 * A caller in a process group of its own: its helpers inherit the group,
 * and once the caller is dead they are our children (we are a subreaper),
 * so waitpid(-group) finds exactly them.
 */
static pid_t spawn_caller(int *pidfd)
{
	pid_t pid;

	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(caller_loop(pidfd));
	}
	setpgid(pid, pid);
	return pid;
}

/*
 * Reap the orphaned helpers of a killed caller: each finishes its restore
 * and exits.  False when one is still there after 10 s (a hung helper).
 */
static bool reap_helpers(pid_t group)
{
	struct timespec tick = { 0, 100000 };
	int i, status;

	for (i = 0; i < 100000; i++) {
		pid_t reaped = waitpid(-group, &status, __WALL | WNOHANG);

		if (reaped < 0 && errno == ECHILD)
			return true;
		if (reaped == 0)
			nanosleep(&tick, NULL);
	}
	return false;
}

static void test_callers_killed_mid_injection(void **state)
{
	struct target t;
	unsigned int seed = 11;
	int round, survived = 0, mid = 0, status, i;

	(void)state;
	target_start(&t);
	for (round = 0; round < CALLER_KILLS; round++) {
		struct timespec delay = { 0, rand_r(&seed) % 3000000 };
		pid_t caller = spawn_caller(&t.pidfd);
		bool helpers_gone;

		if (round % 2) {
			/* At a random point... */
			nanosleep(&delay, NULL);
		} else {
			/* ...or once its helper is seen tracing the target
			 * (within 10 s: the caller injects in a loop). */
			for (i = 0; i < 1000000 && tracer_of(t.pid) <= 0; i++)
				;
			assert_true(i < 1000000);
		}
		kill(caller, SIGKILL);
		if (round % 2 == 0 || tracer_of(t.pid) > 0)
			mid++;	/* killed while its helper traced */
		assert_int_equal(waitpid(caller, &status, 0), caller);
		helpers_gone = reap_helpers(caller);
		if (helpers_gone && tracer_of(t.pid) == 0 &&
		    kill(t.pid, 0) == 0 &&
		    waitpid(t.pid, &status, WNOHANG) == 0) {
			survived++;
			continue;
		}
		/* Lost: say how, count it and go on with a fresh target. */
		printf("round %d: target %s (tracer %d, helpers %s)\n", round,
		       kill(t.pid, 0) ? "gone" : "alive", tracer_of(t.pid),
		       helpers_gone ? "gone" : "hung");
		i = target_finish(&t);
		printf("round %d: target ended with %d\n", round, i);
		target_start(&t);
	}
	i = target_finish(&t);
	if (i != 0) {
		printf("the last target ended with %d\n", i);
		survived--;	/* the last target was corrupted */
	}
	printf("callers killed at random points: %d/%d targets survived "
	       "uncorrupted (%d kills landed while the target was traced)\n",
	       survived, CALLER_KILLS, mid);
	assert_int_equal(survived, CALLER_KILLS);
	/* The test is about kills that land mid-injection. */
	assert_true(mid >= CALLER_KILLS / 2);
}

static int setup(void **state)
{
	int pidfd = xmm_pidfd_open(getpid(), 0);

	(void)state;
	if (pidfd < 0)
		harness_skip_all("no pidfd_open (Linux 5.3; valgrind 3.19 "
				 "does not know it either)");
	close(pidfd);
	/* Orphaned helpers come to us, to be waited for (see reap_helpers). */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0)
		return -1;
	scratch = mmap(NULL, RANGES * 4096, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	if (scratch == MAP_FAILED)
		return -1;
	return xmm_backend_force("process_madvise", "inject");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ten_thousand_injections),
		cmocka_unit_test(test_callers_killed_mid_injection),
	};

	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_SECCOMP |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, setup, NULL);
}
