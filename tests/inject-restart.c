// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A target blocked in a call that the kernel restarts through
 * restart_syscall(2) (a relative clock_nanosleep(2), a FUTEX_WAIT with a
 * timeout) must go on waiting for the time it had left after an
 * injection, not start its full timeout again.  arm64 decides that
 * restart once, on the first resume from the stop where the injection
 * engine takes the target's registers (src/arch/aarch64/inject.h); x86_64
 * after every stop.
 *
 * The child times its own wait on CLOCK_MONOTONIC (one clock for the whole
 * machine); the parent injects one call 1 s into the 5 s wait and notes
 * the time it began.  A wait restarted with its full time ends 5 s after
 * the injection at the earliest; a wait resumed correctly ends 5 s after
 * its start, about 1 s before that.  So: end >= start + 5 s (not cut
 * short) and end < injection + 5 s (not restarted in full).  A read(2)
 * (-ERESTARTSYS) must go on too, and return what comes after.
 */
#include "inject-common.h"

#include <linux/futex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define WAIT_S		5
#define INJECT_AFTER_NS	1000000000LL
#define NS		1000000000LL

/* The child's times, in the shared page (64-bit on every target). */
struct times {
	int64_t start_ns, end_ns;
	int32_t futex_word;
};

static struct times *times_of(struct shared *s)
{
	return (struct times *)s->page;
}

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * NS + ts.tv_nsec;
}

/* 0: waited without an error; 2: woken with one. */
static int sleep_child(void *arg)
{
	struct shared *s = arg;
	struct timespec req = { WAIT_S, 0 };
	int ret;

	times_of(s)->start_ns = now_ns();
	s->ready = 1;
	ret = clock_nanosleep(CLOCK_MONOTONIC, 0, &req, NULL);
	times_of(s)->end_ns = now_ns();
	return ret == 0 ? 0 : 2;
}

/* 0: timed out, as it must (nobody wakes the word). */
static int futex_child(void *arg)
{
	struct shared *s = arg;
	struct timespec req = { WAIT_S, 0 };
	long ret;

	times_of(s)->start_ns = now_ns();
	s->ready = 1;
	ret = syscall(SYS_futex, &times_of(s)->futex_word, FUTEX_WAIT, 0,
		      &req, NULL, 0);
	times_of(s)->end_ns = now_ns();
	return ret < 0 && errno == ETIMEDOUT ? 0 : 2;
}

static void check_resumed(int (*child)(void *))
{
	struct shared *s = shared_new();
	struct timespec at;
	struct target t;
	int64_t start, end, injected;

	target_start(&t, child, s);
	wait_ready(s);
	assert_int_equal(wait_asleep(t.pid), 'S');
	start = times_of(s)->start_ns;
	at.tv_sec = (time_t)((start + INJECT_AFTER_NS) / NS);
	at.tv_nsec = (long)((start + INJECT_AFTER_NS) % NS);
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &at, NULL))
		;
	injected = now_ns();
	assert_int_equal(inject_madvise(t.pidfd, scratch, 4096, MADV_COLD, 0),
			 4096);
	assert_int_equal(target_wait(&t), 0);
	end = times_of(s)->end_ns;
	print_message("waited %.3f s of %d s; injected at %.3f s, a full "
		      "restart would end at %.3f s or later\n",
		      (double)(end - start) / NS, WAIT_S,
		      (double)(injected - start) / NS,
		      (double)(injected - start) / NS + WAIT_S);
	assert_true(end - start >= WAIT_S * NS);
	assert_true(end < injected + WAIT_S * NS);
	munmap(s, sizeof(*s));
}

static void test_clock_nanosleep_resumes(void **state)
{
	(void)state;
	check_resumed(sleep_child);
}

static void test_futex_wait_timeout_resumes(void **state)
{
	(void)state;
	check_resumed(futex_child);
}

/*
 * A target asleep in read(2) on an empty pipe (-ERESTARTSYS, restarted in
 * place by the kernel's rule with no handler to run) after injected
 * calls: the read goes on sleeping and returns the byte written after
 * them, never EINTR and never early.  One call at a time is released from
 * the stop that ends it.
 */
struct pipe_child {
	struct shared *s;
	int fds[2];
};

static int read_child(void *arg)
{
	struct pipe_child *p = arg;
	char byte = 0;
	ssize_t got;

	close(p->fds[1]);
	p->s->ready = 1;
	got = read(p->fds[0], &byte, 1);
	if (got < 0)
		return errno == EINTR ? 2 : 3;
	return got == 1 && byte == 'x' ? 0 : 4;
}

static void test_read_restarts_after_calls(void **state)
{
	struct pipe_child p = { .s = shared_new() };
	struct target t;
	int i;

	(void)state;
	assert_int_equal(pipe(p.fds), 0);
	target_start(&t, read_child, &p);
	close(p.fds[0]);
	wait_ready(p.s);
	assert_int_equal(wait_asleep(t.pid), 'S');
	for (i = 0; i < 20; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, 4096,
						MADV_COLD, 0), 4096);
	/* Asleep in its read again (it runs a moment after the detach to
	 * restart it), not gone. */
	assert_int_equal(wait_asleep(t.pid), 'S');
	assert_int_equal(write(p.fds[1], "x", 1), 1);
	/* 0: the read returned the byte; 2: EINTR; 3, 4: anything else. */
	assert_int_equal(target_wait(&t), 0);
	close(p.fds[1]);
	munmap(p.s, sizeof(*p.s));
}

static int setup(void **state)
{
	(void)state;
	return inject_setup(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clock_nanosleep_resumes),
		cmocka_unit_test(test_futex_wait_timeout_resumes),
		cmocka_unit_test(test_read_restarts_after_calls),
	};
	const char *why;

	if (!harness_injection_available(&why))
		harness_skip_all("the library has no injection backend here "
				 "(%s)", why);
	return cmocka_run_group_tests(tests, setup, inject_teardown);
}
