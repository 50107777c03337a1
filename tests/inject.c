// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ptrace injection backend of xmm_process_madvise() against real
 * children: what "never harms the target" means, one test per promise
 * (registers, FP state, signal mask and pending signals, job control,
 * blocked syscalls, threads, signals during the injection, a target that
 * dies, a sandboxed caller, long calls, permissions), and the paths that
 * select injection.  Everything here needs only same-uid ptrace: meson
 * runs it as root and, as test inject-nobody, as uid 65534 (see main());
 * what needs root is in inject-root.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>

#include <linux/capability.h>

#include <xmm/xmm.h>

#include "inject-common.h"
#include "inject-target.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define MiB	(1024UL * 1024)
static int setup(void **state)
{
	(void)state;
	return inject_setup(false);
}

static void test_remote_cold_runs_by_injection(void **state)
{
	struct shared *s = shared_new();
	struct target t;
	int i;

	(void)state;
	target_start(&t, pause_child, NULL);
	for (i = 0; i < 20; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, MiB,
						MADV_COLD, 0), (ssize_t)MiB);
	assert_string_equal(xmm_backend_last("process_madvise"), "inject");
	assert_true(untraced(t.pid));
	target_kill(&t);
	munmap(s, sizeof(*s));
}

/* Without XMM_PMADV_INJECT, advice the kernel refuses remotely is
 * refused the same way, never injected. */
static void test_refused_advice_without_flag_is_einval(void **state)
{
	struct target t;

	(void)state;
	target_start(&t, pause_child, NULL);
	errno = 0;
	assert_int_equal(inject_madvise(t.pidfd, scratch, 4096,
					MADV_DONTNEED, 0), -1);
	assert_int_equal(errno, EINVAL);
	target_kill(&t);
}

/* ---- Registers, FP state, signal mask and pending signals ---- */

#ifdef __x86_64__
struct snapshot {
	struct user_regs_struct gp;
	struct user_fpregs_struct fp;	/* x87, MXCSR, XMM0-15 */
	unsigned long long sigmask;
	char pending[64], shared_pending[64], blocked[64];
};

/*
 * Take the target's state as a tracer sees it, and let it go again.  The
 * FP state through NT_PRFPREG (the FXSAVE image, which holds all the XMM
 * registers the target loads): NT_X86_XSTATE exists only on CPUs with
 * XSAVE, which QEMU's default TCG CPU lacks (ENODEV there).
 */
static void snapshot_take(pid_t pid, struct snapshot *snap)
{
	struct iovec gp = { &snap->gp, sizeof(snap->gp) };
	struct iovec fp = { &snap->fp, sizeof(snap->fp) };
	int status;

	memset(snap, 0, sizeof(*snap));
	assert_int_equal(ptrace(PTRACE_SEIZE, pid, 0, 0), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, pid, 0, 0), 0);
	assert_int_equal(waitpid(pid, &status, __WALL), pid);
	assert_true(WIFSTOPPED(status));
	assert_int_equal(status >> 16, PTRACE_EVENT_STOP);
	assert_int_equal(ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS,
				&gp), 0);
	assert_int_equal(ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRFPREG,
				&fp), 0);
	assert_int_equal(fp.iov_len, sizeof(snap->fp));
	assert_int_equal(ptrace(PTRACE_GETSIGMASK, pid,
				(void *)sizeof(snap->sigmask), &snap->sigmask),
			 0);
	status_field(pid, "SigPnd", snap->pending, sizeof(snap->pending));
	status_field(pid, "ShdPnd", snap->shared_pending,
		     sizeof(snap->shared_pending));
	status_field(pid, "SigBlk", snap->blocked, sizeof(snap->blocked));
	assert_int_equal(ptrace(PTRACE_DETACH, pid, 0, 0), 0);
}

static const unsigned long long xmm_pattern[16][2] = {
	{ 0x0123456789abcdefULL, 0xfedcba9876543210ULL },
	{ 0x1111111111111111ULL, 0x2222222222222222ULL },
	{ 0x3333333333333333ULL, 0x4444444444444444ULL },
	{ 0x5555555555555555ULL, 0x6666666666666666ULL },
	{ 0x7777777777777777ULL, 0x8888888888888888ULL },
	{ 0x9999999999999999ULL, 0xaaaaaaaaaaaaaaaaULL },
	{ 0xbbbbbbbbbbbbbbbbULL, 0xccccccccccccccccULL },
	{ 0xddddddddddddddddULL, 0xeeeeeeeeeeeeeeeeULL },
	{ 0x0f0f0f0f0f0f0f0fULL, 0xf0f0f0f0f0f0f0f0ULL },
	{ 0x1234123412341234ULL, 0x5678567856785678ULL },
	{ 0x9abc9abc9abc9abcULL, 0xdef0def0def0def0ULL },
	{ 0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL },
	{ 0x1112131415161718ULL, 0x191a1b1c1d1e1f20ULL },
	{ 0x2122232425262728ULL, 0x292a2b2c2d2e2f30ULL },
	{ 0x3132333435363738ULL, 0x393a3b3c3d3e3f40ULL },
	{ 0x4142434445464748ULL, 0x494a4b4c4d4e4f50ULL },
};

/*
 * Load XMM0-15 with patterns, block in read(2) by a raw syscall (no libc
 * code in between that could touch them), and check them afterwards.
 */
static int blocked_read_child(void *arg)
{
	struct shared *s = arg;
	unsigned long long after[16][2];
	int fd = (int)s->value[0];
	sigset_t usr2;
	char buf[8] = "";
	long got;

	/* Pending, blocked signals the injection must leave pending: one
	 * for the thread, one for the process.  Not raise(3): in a child of
	 * harness_fork_pidfd() musl's raise() signals the helper. */
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	sigaddset(&usr2, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr2, NULL);
	if (harness_raise(SIGUSR2) < 0)
		return 5;
	kill(getpid(), SIGUSR1);
	s->ready = 1;
	__asm__ volatile(
		"movdqu 0(%[in]), %%xmm0\n\tmovdqu 16(%[in]), %%xmm1\n\t"
		"movdqu 32(%[in]), %%xmm2\n\tmovdqu 48(%[in]), %%xmm3\n\t"
		"movdqu 64(%[in]), %%xmm4\n\tmovdqu 80(%[in]), %%xmm5\n\t"
		"movdqu 96(%[in]), %%xmm6\n\tmovdqu 112(%[in]), %%xmm7\n\t"
		"movdqu 128(%[in]), %%xmm8\n\tmovdqu 144(%[in]), %%xmm9\n\t"
		"movdqu 160(%[in]), %%xmm10\n\tmovdqu 176(%[in]), %%xmm11\n\t"
		"movdqu 192(%[in]), %%xmm12\n\tmovdqu 208(%[in]), %%xmm13\n\t"
		"movdqu 224(%[in]), %%xmm14\n\tmovdqu 240(%[in]), %%xmm15\n\t"
		"syscall\n\t"
		"movdqu %%xmm0, 0(%[out])\n\tmovdqu %%xmm1, 16(%[out])\n\t"
		"movdqu %%xmm2, 32(%[out])\n\tmovdqu %%xmm3, 48(%[out])\n\t"
		"movdqu %%xmm4, 64(%[out])\n\tmovdqu %%xmm5, 80(%[out])\n\t"
		"movdqu %%xmm6, 96(%[out])\n\tmovdqu %%xmm7, 112(%[out])\n\t"
		"movdqu %%xmm8, 128(%[out])\n\tmovdqu %%xmm9, 144(%[out])\n\t"
		"movdqu %%xmm10, 160(%[out])\n\tmovdqu %%xmm11, 176(%[out])\n\t"
		"movdqu %%xmm12, 192(%[out])\n\tmovdqu %%xmm13, 208(%[out])\n\t"
		"movdqu %%xmm14, 224(%[out])\n\tmovdqu %%xmm15, 240(%[out])\n\t"
		: "=a"(got)
		: "0"((long)SYS_read), "D"((long)fd), "S"(buf),
		  "d"((long)sizeof(buf) - 1), [in] "r"(xmm_pattern),
		  [out] "r"(after)
		: "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3",
		  "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
	if (got != 5 || strcmp(buf, "after") != 0)
		return 2;	/* the read did not return the later data */
	if (memcmp(after, xmm_pattern, sizeof(after)) != 0)
		return 3;
	{
		sigset_t pending;

		sigpending(&pending);
		if (!sigismember(&pending, SIGUSR2) ||
		    !sigismember(&pending, SIGUSR1))
			return 4;	/* a pending signal was lost */
	}
	return 0;
}

static void test_state_identical_around_injection(void **state)
{
	struct shared *s = shared_new();
	struct snapshot before, after;
	struct target t;
	int fds[2], i;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	s->value[0] = fds[0];
	target_start(&t, blocked_read_child, s);
	wait_ready(s);
	/* Until it sleeps in read(2). */
	assert_int_equal(wait_asleep(t.pid), 'S');

	snapshot_take(t.pid, &before);
	for (i = 0; i < 50; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, MiB,
						MADV_COLD, 0), (ssize_t)MiB);
	assert_true(untraced(t.pid));
	snapshot_take(t.pid, &after);

	assert_memory_equal(&before.gp, &after.gp, sizeof(before.gp));
	/* The snapshot does see the registers the target loaded. */
	assert_memory_equal(before.fp.xmm_space, xmm_pattern,
			    sizeof(xmm_pattern));
	assert_memory_equal(&before.fp, &after.fp, sizeof(before.fp));
	assert_int_equal(before.sigmask, after.sigmask);
	assert_string_equal(before.pending, after.pending);
	assert_string_equal(before.shared_pending, after.shared_pending);
	assert_string_equal(before.blocked, after.blocked);
	assert_string_not_equal(after.pending, "\t0000000000000000\n");
	assert_string_not_equal(after.shared_pending,
				"\t0000000000000000\n");

	assert_int_equal(write(fds[1], "after", 5), 5);
	assert_int_equal(target_wait(&t), 0);
	close(fds[0]);
	close(fds[1]);
	munmap(s, sizeof(*s));
}

static void test_busy_target_registers_intact(void **state)
{
	struct shared *s = shared_new();
	struct target t;
	int i;

	(void)state;
	target_start(&t, busy_registers_child, s);
	wait_ready(s);
	for (i = 0; i < 300; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, MiB,
						MADV_COLD, 0), (ssize_t)MiB);
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}
#else
static void test_state_identical_around_injection(void **state)
{
	(void)state;
	harness_skip("the register snapshot test is written for x86_64");
}

static void test_busy_target_registers_intact(void **state)
{
	(void)state;
	harness_skip("the register loop test is written for x86_64");
}
#endif

/* ---- Job control ---- */

static void test_stopped_target_stays_stopped(void **state)
{
	struct target t;
	int i;

	(void)state;
	target_start(&t, pause_child, NULL);
	assert_int_equal(kill(t.pid, SIGSTOP), 0);
	for (i = 0; i < 50000 && proc_state(t.pid) != 'T'; i++)
		tick();
	assert_int_equal(proc_state(t.pid), 'T');
	for (i = 0; i < 20; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, MiB,
						MADV_COLD, 0), (ssize_t)MiB);
	assert_true(untraced(t.pid));
	/* On detach the kernel re-arms the group stop and wakes the thread
	 * to enter it again: it may show 'R' for that moment. */
	for (i = 0; i < 50000 && proc_state(t.pid) != 'T'; i++)
		tick();
	assert_int_equal(proc_state(t.pid), 'T');
	assert_int_equal(kill(t.pid, SIGCONT), 0);
	for (i = 0; i < 50000 && proc_state(t.pid) == 'T'; i++)
		tick();
	assert_int_not_equal(proc_state(t.pid), 'T');
	target_kill(&t);
}

/* ---- Blocked system calls continue correctly ---- */

static int sleeper_child(void *arg)
{
	struct shared *s = arg;
	struct timespec req = { 0, 400000000 }, rem, start, end;
	long elapsed_ns;

	clock_gettime(CLOCK_MONOTONIC, &start);
	s->ready = 1;
	if (nanosleep(&req, &rem) < 0)
		return 2;	/* EINTR: the sleep was cut short */
	clock_gettime(CLOCK_MONOTONIC, &end);
	elapsed_ns = (end.tv_sec - start.tv_sec) * 1000000000L +
		     (end.tv_nsec - start.tv_nsec);
	s->value[0] = elapsed_ns;
	return elapsed_ns >= 400000000 ? 0 : 3;
}

static void test_nanosleep_ends_on_time(void **state)
{
	struct shared *s = shared_new();
	struct target t;
	int i;

	(void)state;
	target_start(&t, sleeper_child, s);
	wait_ready(s);
	assert_int_equal(wait_asleep(t.pid), 'S');
	for (i = 0; i < 10; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, 4096,
						MADV_COLD, 0), 4096);
	/* 0: slept the whole 400 ms, never woke with EINTR. */
	assert_int_equal(target_wait(&t), 0);
	assert_true(s->value[0] >= 400000000);
	munmap(s, sizeof(*s));
}

static int futex_child(void *arg)
{
	struct shared *s = arg;
	long ret;

	s->ready = 1;
	/* Wait while value[1] is 0; injections must not wake us. */
	while (s->value[1] == 0) {
		ret = syscall(SYS_futex, &s->value[1], FUTEX_WAIT, 0, NULL,
			      NULL, 0);
		if (ret < 0 && errno == EINTR)
			return 2;
	}
	return 0;
}

static void test_futex_wait_continues(void **state)
{
	struct shared *s = shared_new();
	struct target t;
	int i;

	(void)state;
	target_start(&t, futex_child, s);
	wait_ready(s);
	assert_int_equal(wait_asleep(t.pid), 'S');
	for (i = 0; i < 20; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, 4096,
						MADV_COLD, 0), 4096);
	s->value[1] = 1;
	syscall(SYS_futex, &s->value[1], FUTEX_WAKE, 1, NULL, NULL, 0);
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}

/*
 * epoll_wait(2) is the documented exception: ptrace(2) BUGS says it
 * returns EINTR when its thread is stopped by a tracer, and no tracer can
 * prevent that.  The child counts the EINTRs and retries; the event
 * written after the injections must still arrive.
 */
static int epoll_child(void *arg)
{
	struct shared *s = arg;
	struct epoll_event ev = { .events = EPOLLIN }, got;
	int ep = epoll_create1(0), n;
	char c;

	if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, (int)s->value[0], &ev) < 0)
		return 1;
	s->ready = 1;
	for (;;) {
		n = epoll_wait(ep, &got, 1, -1);
		if (n < 0 && errno == EINTR) {
			s->value[2]++;
			continue;
		}
		break;
	}
	if (n != 1 || read((int)s->value[0], &c, 1) != 1 || c != 'e')
		return 2;
	return 0;
}

static void test_epoll_wait_gets_event_after(void **state)
{
	struct shared *s = shared_new();
	struct target t;
	int fds[2], i;

	(void)state;
	assert_int_equal(pipe(fds), 0);
	s->value[0] = fds[0];
	target_start(&t, epoll_child, s);
	wait_ready(s);
	assert_int_equal(wait_asleep(t.pid), 'S');
	for (i = 0; i < 10; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, 4096,
						MADV_COLD, 0), 4096);
	assert_int_equal(write(fds[1], "e", 1), 1);
	assert_int_equal(target_wait(&t), 0);
	printf("NOTE: epoll_wait returned EINTR %ld times in 10 injections "
	       "(ptrace(2) BUGS: unavoidable for any tracer)\n", s->value[2]);
	close(fds[0]);
	close(fds[1]);
	munmap(s, sizeof(*s));
}

/* ---- Threads ---- */

#define CHECKSUM_THREADS	8

static void *checksum_thread(void *arg)
{
	struct shared *s = arg;
	static __thread unsigned char buf[65536];
	unsigned long long expect;
	int rounds = 0;

	harness_fill_random(buf, sizeof(buf),
			    (unsigned int)(uintptr_t)pthread_self());
	expect = harness_checksum(buf, sizeof(buf));
	while (!s->stop || rounds < 50) {
		if (harness_checksum(buf, sizeof(buf)) != expect)
			return (void *)1;
		rounds++;
	}
	return NULL;
}

static int threads_child(void *arg)
{
	struct shared *s = arg;
	pthread_t th[CHECKSUM_THREADS];
	int i, bad = 0;

	for (i = 0; i < CHECKSUM_THREADS; i++)
		if (pthread_create(&th[i], NULL, checksum_thread, s))
			return 3;
	s->ready = 1;
	for (i = 0; i < CHECKSUM_THREADS; i++) {
		void *ret;

		pthread_join(th[i], &ret);
		bad |= ret != NULL;
	}
	return bad;
}

static void test_threaded_target_checksums_correct(void **state)
{
	struct shared *s = shared_new();
	struct target t;
	int i;

	(void)state;
	target_start(&t, threads_child, s);
	wait_ready(s);
	for (i = 0; i < 100; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, MiB,
						MADV_COLD, 0), (ssize_t)MiB);
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}

/* ---- Signals sent during an injection ---- */

static struct shared *signal_counter;

static void count_signal(int sig)
{
	(void)sig;
	signal_counter->value[3]++;
}

static int signal_child(void *arg)
{
	struct sigaction sa = { .sa_handler = count_signal };

	signal_counter = arg;
	sigaction(SIGRTMIN, &sa, NULL);
	signal_counter->ready = 1;
	while (!signal_counter->stop)
		nap();
	return 0;
}

struct signaller {
	pid_t pid;
	int count;
};

static void *send_signals(void *arg)
{
	struct signaller *sg = arg;
	struct timespec tick = { 0, 300000 };
	union sigval v = { 0 };
	int i;

	for (i = 0; i < sg->count; i++) {
		sigqueue(sg->pid, SIGRTMIN, v);
		nanosleep(&tick, NULL);
	}
	return NULL;
}

static void test_signal_during_injection_delivered(void **state)
{
	struct shared *s = shared_new();
	struct iovec *iov = calloc(1024, sizeof(*iov));
	struct signaller sg = { .count = 100 };
	struct target t;
	pthread_t th;
	int i;

	(void)state;
	assert_non_null(iov);
	for (i = 0; i < 1024; i++) {
		iov[i].iov_base = (char *)scratch + (size_t)(i % 256) * 4096;
		iov[i].iov_len = 4096;
	}
	target_start(&t, signal_child, s);
	wait_ready(s);
	sg.pid = t.pid;
	assert_int_equal(pthread_create(&th, NULL, send_signals, &sg), 0);
	/* Long batches, so that most signals land inside one. */
	for (i = 0; i < 40; i++)
		assert_int_equal(xmm_process_madvise(t.pidfd, iov, 1024,
						     MADV_COLD, 0),
				 1024 * 4096);
	pthread_join(th, NULL);
	for (i = 0; i < 50000 && s->value[3] < sg.count; i++)
		tick();
	/* Queued real-time signals: every one must arrive, once. */
	assert_int_equal(s->value[3], sg.count);
	s->stop = 1;
	kill(t.pid, SIGRTMIN);
	assert_int_equal(target_wait(&t), 0);
	free(iov);
	munmap(s, sizeof(*s));
}

/*
 * On x86_64 a call runs in one stop, ended by a SIGTRAP the kernel forces
 * at the syscall's exit; the batch stub ends on a breakpoint, also a
 * forced SIGTRAP.  A SIGTRAP sent to the target by anyone else, shared
 * (kill) or to the thread (tgkill, which crowds the kernel's out of the
 * thread's queue), and any other signal, must still reach the target
 * once each, whenever it lands: every signal here waits for the last to
 * be handled, so none merges with another.
 */
struct acked_signaller {
	struct shared *s;
	pid_t pid;
	int count;
	volatile int sent;
	volatile int done;
};

static void *send_acked_signals(void *arg)
{
	struct acked_signaller *sg = arg;
	int i, j;

	for (i = 0; i < sg->count; i++) {
		long before = sg->s->value[3];

		switch (i % 3) {
		case 0:
			kill(sg->pid, SIGTRAP);
			break;
		case 1:
			syscall(SYS_tgkill, sg->pid, sg->pid, SIGTRAP);
			break;
		default:
			syscall(SYS_tgkill, sg->pid, sg->pid, SIGUSR1);
			break;
		}
		sg->sent = i + 1;
		/* 5 s: a signal not handled by then is lost. */
		for (j = 0; j < 50000 && sg->s->value[3] == before; j++)
			tick();
		if (sg->s->value[3] == before)
			break;
	}
	sg->done = 1;
	return NULL;
}

static int trap_counting_child(void *arg)
{
	struct sigaction sa = { .sa_handler = count_signal };

	signal_counter = arg;
	sigaction(SIGTRAP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal_counter->ready = 1;
	while (!signal_counter->stop)
		nap();
	return 0;
}

static void test_foreign_sigtrap_during_injections_delivered(void **state)
{
	struct shared *s = shared_new();
	struct acked_signaller sg = { .s = s, .count = 300 };
	struct iovec iov[2] = {
		{ scratch, 4096 }, { (char *)scratch + 8192, 4096 },
	};
	struct target t;
	pthread_t th;
	long calls = 0;

	(void)state;
	target_start(&t, trap_counting_child, s);
	wait_ready(s);
	sg.pid = t.pid;
	assert_int_equal(pthread_create(&th, NULL, send_acked_signals, &sg),
			 0);
	/* One range (one stop on x86_64) and two (call by call). */
	while (!sg.done) {
		assert_int_equal(xmm_process_madvise(t.pidfd, iov,
						     calls % 4 ? 1 : 2,
						     MADV_COLD, 0),
				 calls % 4 ? 4096 : 8192);
		calls++;
	}
	pthread_join(th, NULL);
	print_message("%ld injections, %d signals\n", calls, sg.sent);
	assert_int_equal(sg.sent, sg.count);
	assert_int_equal(s->value[3], sg.count);
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}

#ifdef HAVE_BUSY_REGISTERS_CHILD
/*
 * A target that spins in user space (no syscall: the engine's saved
 * registers are in none, and it leaves without a second stop, see
 * leave_from_syscall_stop()) keeps every register it checks, and gets
 * each signal sent to it while it is injected, once.  A sender thread
 * sends one signal a round, at a varying point of that round's
 * injection; after the injection no other comes, so a signal that only
 * a later stop would deliver never arrives.
 */
struct round_signaller {
	pid_t pid;
	int rounds;
	volatile int armed;	/* the round whose signal may go */
	volatile int sent;	/* the last round whose signal went */
};

static void *send_one_a_round(void *arg)
{
	struct round_signaller *sg = arg;
	int round;

	for (round = 1; round <= sg->rounds; round++) {
		/* 0 to 63 us into the injection (about 50 us long). */
		struct timespec delay = { 0, (round * 7919L) % 64 * 1000 };

		while (sg->armed < round)
			sched_yield();
		nanosleep(&delay, NULL);
		syscall(SYS_tgkill, sg->pid, sg->pid, SIGUSR1);
		sg->sent = round;
	}
	return NULL;
}

static int busy_counting_child(void *arg)
{
	struct sigaction sa = { .sa_handler = count_signal };

	signal_counter = arg;
	sigaction(SIGUSR1, &sa, NULL);
	return busy_registers_child(arg);
}

static void test_busy_target_gets_signals_sent_during_injection(
	void **state)
{
	struct shared *s = shared_new();
	struct round_signaller sg = { .rounds = 200 };
	struct target t;
	pthread_t th;
	int round, i;

	(void)state;
	target_start(&t, busy_counting_child, s);
	wait_ready(s);
	sg.pid = t.pid;
	assert_int_equal(pthread_create(&th, NULL, send_one_a_round, &sg), 0);
	for (round = 1; round <= sg.rounds; round++) {
		sg.armed = round;
		assert_int_equal(inject_madvise(t.pidfd, scratch, 4096,
						MADV_COLD, 0), 4096);
		while (sg.sent < round)
			tick();
		/* 5 s without an injection: one not handled by then is
		 * lost. */
		for (i = 0; i < 50000 && s->value[3] < round; i++)
			tick();
		assert_int_equal(s->value[3], round);
	}
	pthread_join(th, NULL);
	assert_true(untraced(t.pid));
	s->stop = 1;
	/* 0: every register it checks held its value throughout. */
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}
#else
static void test_busy_target_gets_signals_sent_during_injection(
	void **state)
{
	(void)state;
	harness_skip("the register loop target is written for x86_64 and "
		     "riscv64");
}
#endif

/*
 * The forced SIGTRAP would unblock a SIGTRAP the thread blocks and reset
 * one the process ignores (or handles while blocking it) to SIG_DFL: the
 * engine must not force it there.  The target checks its own SIGTRAP
 * action and mask after single calls, short batches and stub batches.
 */
enum trap_setup { TRAP_IGNORED, TRAP_BLOCKED_HANDLED, TRAP_HANDLED };

static int trap_state_child(void *arg)
{
	struct shared *s = arg;
	enum trap_setup how = (enum trap_setup)s->value[0];
	struct sigaction sa = { .sa_handler = count_signal }, now;
	sigset_t trap, mask;

	signal_counter = s;
	if (how == TRAP_IGNORED)
		sa.sa_handler = SIG_IGN;
	sigaction(SIGTRAP, &sa, NULL);
	sigemptyset(&trap);
	sigaddset(&trap, SIGTRAP);
	if (how == TRAP_BLOCKED_HANDLED)
		sigprocmask(SIG_BLOCK, &trap, NULL);
	s->ready = 1;
	while (!s->stop)
		nap();
	sigaction(SIGTRAP, NULL, &now);
	sigprocmask(SIG_BLOCK, NULL, &mask);
	if (now.sa_handler != sa.sa_handler)
		return 3;
	if (sigismember(&mask, SIGTRAP) != (how == TRAP_BLOCKED_HANDLED))
		return 4;
	return 0;
}

static void test_sigtrap_action_and_mask_unchanged(void **state)
{
	struct iovec *iov = calloc(64, sizeof(*iov));
	enum trap_setup how;
	int i;

	(void)state;
	assert_non_null(iov);
	for (i = 0; i < 64; i++) {
		iov[i].iov_base = (char *)scratch + (size_t)i * 2 * 4096;
		iov[i].iov_len = 4096;
	}
	for (how = TRAP_IGNORED; how <= TRAP_HANDLED; how++) {
		struct shared *s = shared_new();
		struct target t;

		s->value[0] = how;
		target_start(&t, trap_state_child, s);
		wait_ready(s);
		for (i = 0; i < 6; i++) {
			size_t n = i < 2 ? 1 : i < 4 ? 3 : 64;

			assert_int_equal(xmm_process_madvise(t.pidfd, iov, n,
							     MADV_COLD, 0),
					 (ssize_t)(n * 4096));
		}
		s->stop = 1;
		/* 3: the action changed; 4: the mask did. */
		assert_int_equal(target_wait(&t), 0);
		munmap(s, sizeof(*s));
	}
	free(iov);
}

/* ---- A target that dies during the injection ---- */

static void *kill_later(void *arg)
{
	struct target *t = arg;
	struct timespec delay = { 0, 3000000 };

	nanosleep(&delay, NULL);
	kill(t->pid, SIGKILL);
	return NULL;
}

static int exit_soon_child(void *arg)
{
	struct timespec delay = { 0, 3000000 };

	(void)arg;
	nanosleep(&delay, NULL);
	return 0;
}

static void run_until_gone(struct target *t)
{
	struct iovec *iov = calloc(1024, sizeof(*iov));
	ssize_t ret = 0;
	int i;

	assert_non_null(iov);
	for (i = 0; i < 1024; i++) {
		iov[i].iov_base = scratch;
		iov[i].iov_len = 4096;
	}
	/*
	 * Bounded: the target is gone within milliseconds once it runs.  A
	 * pause between calls lets it run: on one CPU (the 6.1 guests) calls
	 * back to back through the kept helper seized it again before it was
	 * ever scheduled after each release, and it never reached its exit
	 * (100,000 calls succeeded).  The answer once it is gone is the test.
	 */
	for (i = 0; i < 100000; i++) {
		struct timespec pause = { 0, 200000 };

		ret = xmm_process_madvise(t->pidfd, iov, 1024, MADV_COLD, 0);
		if (ret < 0)
			break;
		nanosleep(&pause, NULL);
	}
	assert_int_equal(ret, -1);
	assert_int_equal(errno, ESRCH);
	free(iov);
}

static void test_target_killed_mid_injection_esrch(void **state)
{
	struct target t;
	pthread_t th;

	(void)state;
	target_start(&t, pause_child, NULL);
	assert_int_equal(pthread_create(&th, NULL, kill_later, &t), 0);
	run_until_gone(&t);
	pthread_join(th, NULL);
	assert_int_equal(target_wait(&t), 128 + SIGKILL);
}

static void test_target_exiting_mid_injection_esrch(void **state)
{
	struct target t;

	(void)state;
	target_start(&t, exit_soon_child, NULL);
	run_until_gone(&t);
	assert_int_equal(target_wait(&t), 0);
}

static void test_reaped_target_esrch(void **state)
{
	struct target t;
	int pidfd;

	(void)state;
	target_start(&t, exit_soon_child, NULL);
	pidfd = dup(t.pidfd);
	target_wait(&t);
	errno = 0;
	assert_int_equal(inject_madvise(pidfd, scratch, 4096, MADV_COLD, 0),
			 -1);
	assert_int_equal(errno, ESRCH);
	close(pidfd);
}

/*
 * A target that cannot stop: a vfork() parent sleeps killable-only until
 * its child exits, and no ptrace stop reaches it.  EAGAIN after the
 * engine's bounded wait, and the target is released untouched.
 */
static int vfork_parent_child(void *arg)
{
	struct shared *s = arg;
	struct timespec hold = { 4, 0 };
	pid_t pid;
	int status;

	s->ready = 1;
	pid = vfork();
	if (pid == 0) {
		nanosleep(&hold, NULL);
		_exit(7);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) && WEXITSTATUS(status) == 7 ? 0 : 2;
}

static void test_target_that_cannot_stop_eagain(void **state)
{
	struct shared *s = shared_new();
	struct target t;
	struct timespec tick = { 0, 1000000 };
	int i;

	(void)state;
	target_start(&t, vfork_parent_child, s);
	wait_ready(s);
	/* Into vfork(): it waits killable-only, as 'D'. */
	for (i = 0; i < 3000 && proc_state(t.pid) != 'D'; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(proc_state(t.pid), 'D');
	errno = 0;
	assert_int_equal(inject_madvise(t.pidfd, scratch, 4096, MADV_COLD, 0),
			 -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(untraced(t.pid));
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}

/* ---- seccomp in the target ---- */

/* ---- A leader that has exited ---- */

static void *worker_until_stop(void *arg)
{
	struct shared *s = arg;

	s->value[2] = (long)syscall(SYS_gettid);
	s->ready = 1;
	while (!s->stop)
		nap();
	_exit(0);	/* no atexit: LeakSanitizer would count the leader */
}

/*
 * The main thread leaves as pthread_exit() would, by the exit system call
 * (not exit_group): a zombie leader.  pthread_exit() itself needs
 * libgcc_s for unwinding, which a static program in the guests lacks.
 */
static int leaderless_child(void *arg)
{
	pthread_t thread;

	if (pthread_create(&thread, NULL, worker_until_stop, arg) != 0)
		return 1;
	for (;;)
		syscall(SYS_exit, 0);
}

/*
 * ptrace refuses a zombie leader (EPERM); a process whose main thread has
 * exited is still alive and must be advised through another thread.
 */
static void test_zombie_leader_advised(void **state)
{
	struct shared *s = shared_new();
	struct timespec tick = { 0, 1000000 };
	struct target t;
	int i;

	(void)state;
	target_start(&t, leaderless_child, s);
	wait_ready(s);
	for (i = 0; i < 5000 && proc_state(t.pid) != 'Z'; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(proc_state(t.pid), 'Z');
	assert_int_equal(inject_madvise(t.pidfd, scratch, 4096, MADV_COLD, 0),
			 4096);
	assert_true(untraced((pid_t)s->value[2]));
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}

static void test_already_traced_eperm(void **state)
{
	struct target t;
	int status;

	(void)state;
	target_start(&t, pause_child, NULL);
	assert_int_equal(ptrace(PTRACE_SEIZE, t.pid, 0, 0), 0);
	errno = 0;
	assert_int_equal(inject_madvise(t.pidfd, scratch, 4096, MADV_COLD, 0),
			 -1);
	assert_int_equal(errno, EPERM);
	/* Our own trace is untouched: we can still stop and release it. */
	assert_int_equal(ptrace(PTRACE_INTERRUPT, t.pid, 0, 0), 0);
	assert_int_equal(waitpid(t.pid, &status, __WALL), t.pid);
	assert_int_equal(ptrace(PTRACE_DETACH, t.pid, 0, 0), 0);
	target_kill(&t);
}

/* ---- The paths that choose injection ---- */

struct fallback_case {
	int pidfd;
	int advice;
	ssize_t expect;
	int expect_errno;
};

static int madvise_without_process_madvise(void *arg)
{
	struct fallback_case *fc = arg;
	struct iovec iov = { scratch, MiB };
	const char *last;
	ssize_t ret;

	CHILD_CHECK(harness_seccomp_enosys(SYS_process_madvise) == 0);
	CHILD_CHECK(xmm_backend_force("process_madvise", NULL) == 0);
	errno = 0;
	ret = xmm_process_madvise(fc->pidfd, &iov, 1, fc->advice, 0);
	if (ret != fc->expect || (ret < 0 && errno != fc->expect_errno))
		fprintf(stderr, "advice %d: %zd, %s\n", fc->advice, ret,
			strerror(errno));
	CHILD_CHECK(ret == fc->expect);
	if (ret < 0) {
		CHILD_CHECK(errno == fc->expect_errno);
	} else {
		last = xmm_backend_last("process_madvise");
		CHILD_CHECK(last && strcmp(last, "inject") == 0);
	}
	return 0;
}

static void test_enosys_falls_back_to_injection(void **state)
{
	struct fallback_case fc = { .advice = MADV_COLD, .expect = MiB };
	struct target t;

	(void)state;
	target_start(&t, pause_child, NULL);
	fc.pidfd = t.pidfd;
	assert_int_equal(harness_run_in_child(madvise_without_process_madvise,
					      &fc), 0);
	/* Advice the kernel would refuse remotely stays refused. */
	fc.advice = MADV_DONTNEED;
	fc.expect = -1;
	fc.expect_errno = EINVAL;
	assert_int_equal(harness_run_in_child(madvise_without_process_madvise,
					      &fc), 0);
	target_kill(&t);
}

/* The child's copy of scratch, read through process_vm_readv(2). */
static bool child_pages_zero(pid_t pid, void *addr, size_t len)
{
	unsigned char *buf = malloc(len);
	struct iovec local = { buf, len }, remote = { addr, len };
	bool zero = true;
	size_t i;

	assert_non_null(buf);
	assert_int_equal(process_vm_readv(pid, &local, 1, &remote, 1, 0),
			 (ssize_t)len);
	for (i = 0; i < len && zero; i++)
		zero = buf[i] == 0;
	free(buf);
	return zero;
}

/*
 * Where the library has no injection backend (i386, arm, ...), a call only
 * injection could serve fails as it would without the fallback
 * (xmm_process_madvise(3), "Injection fallback"): ENOSYS from a kernel
 * without process_madvise(2), whatever the advice (the EINVAL for advice
 * refused remotely is the fallback's own check); EINVAL, the kernel's
 * answer, for such advice with XMM_PMADV_INJECT; the target's pages stay
 * as they were.
 */
static void test_without_injection_the_kernel_answers(void **state)
{
	struct fallback_case fc = { .advice = MADV_COLD, .expect = -1,
				    .expect_errno = ENOSYS };
	struct iovec iov = { scratch, 64 * 1024 };
	struct target t;

	(void)state;
	target_start(&t, pause_child, NULL);
	fc.pidfd = t.pidfd;
	assert_int_equal(harness_run_in_child(madvise_without_process_madvise,
					      &fc), 0);
	fc.advice = MADV_DONTNEED;
	assert_int_equal(harness_run_in_child(madvise_without_process_madvise,
					      &fc), 0);
	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
	errno = 0;
	assert_int_equal(xmm_process_madvise(t.pidfd, &iov, 1, MADV_DONTNEED,
					     XMM_PMADV_INJECT), -1);
	assert_int_equal(errno, EINVAL);
	assert_false(child_pages_zero(t.pid, scratch, iov.iov_len));
	assert_int_equal(xmm_backend_force("process_madvise", "inject"), 0);
	target_kill(&t);
}

static void test_inject_flag_applies_dontneed(void **state)
{
	struct target t;
	struct iovec iov = { scratch, 64 * 1024 };

	(void)state;
	xmm_backend_force("process_madvise", NULL);
	target_start(&t, pause_child, NULL);
	assert_false(child_pages_zero(t.pid, scratch, 64 * 1024));
	/* The kernel refuses MADV_DONTNEED for another process... */
	errno = 0;
	assert_int_equal(xmm_process_madvise(t.pidfd, &iov, 1, MADV_DONTNEED,
					     0), -1);
	assert_int_equal(errno, EINVAL);
	assert_false(child_pages_zero(t.pid, scratch, 64 * 1024));
	/* ...and the flag applies it inside the target. */
	assert_int_equal(xmm_process_madvise(t.pidfd, &iov, 1, MADV_DONTNEED,
					     XMM_PMADV_INJECT), 64 * 1024);
	assert_string_equal(xmm_backend_last("process_madvise"), "inject");
	assert_true(child_pages_zero(t.pid, scratch, 64 * 1024));
	/* Our own copy is untouched. */
	assert_int_equal(((unsigned char *)scratch)[0], 0x5a);
	target_kill(&t);
	xmm_backend_force("process_madvise", "inject");
}

/* ---- A strict-mode target ---- */

/*
 * Would the kernel let us suspend a tracee's seccomp
 * (PTRACE_O_SUSPEND_SECCOMP: CAP_SYS_ADMIN, no seccomp of our own, a
 * kernel with CONFIG_CHECKPOINT_RESTORE)?  Asked of a child of ours.
 */
static bool may_suspend_seccomp(void)
{
	struct target t;
	int status;
	bool may;

	target_start(&t, pause_child, NULL);
	assert_int_equal(ptrace(PTRACE_SEIZE, t.pid, 0, 0), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, t.pid, 0, 0), 0);
	assert_int_equal(waitpid(t.pid, &status, __WALL), t.pid);
	may = ptrace(PTRACE_SETOPTIONS, t.pid, 0,
		     PTRACE_O_SUSPEND_SECCOMP) == 0;
	assert_int_equal(ptrace(PTRACE_DETACH, t.pid, 0, 0), 0);
	target_kill(&t);
	return may;
}

/*
 * Where the tracer may suspend the target's seccomp while our calls run
 * (root on the host), a strict-mode target is advised, as
 * process_madvise(2), which ignores the target's seccomp, would advise
 * it: one range call by call, a batch through the stub.  Elsewhere
 * (unprivileged, or a kernel without CONFIG_CHECKPOINT_RESTORE) madvise
 * would kill it: EPERM, nothing changed.  It lives on either way.
 */
static void test_strict_mode_target(void **state)
{
	struct shared *s = shared_new();
	struct iovec iov[STRICT_RANGES];
	char *batch = (char *)scratch + 256 * 1024;
	bool suspend = may_suspend_seccomp();
	ssize_t one, many;
	int pipe_fd[2], i;
	struct target t;

	(void)state;
	for (i = 0; i < STRICT_RANGES; i++) {
		iov[i].iov_base = batch + (size_t)i * 2 * 4096;
		iov[i].iov_len = 4096;
	}
	assert_int_equal(pipe(pipe_fd), 0);
	s->value[0] = pipe_fd[0];
	target_start(&t, strict_child, s);
	wait_ready(s);
	printf("suspending seccomp %s\n", suspend ? "allowed" : "refused");
	errno = 0;
	one = inject_madvise(t.pidfd, scratch, 64 * 1024, MADV_DONTNEED,
			     XMM_PMADV_INJECT);
	assert_int_equal(one, suspend ? 64 * 1024 : -1);
	if (!suspend) {
		assert_int_equal(errno, EPERM);
		/* No flag vouches for a mode that kills on madvise. */
		errno = 0;
		assert_int_equal(inject_madvise(t.pidfd, scratch, 64 * 1024,
				MADV_DONTNEED,
				XMM_PMADV_INJECT | XMM_PMADV_INJECT_UNCHECKED),
				 -1);
		assert_int_equal(errno, EPERM);
	}
	assert_true(child_pages_zero(t.pid, scratch, 64 * 1024) == suspend);
	errno = 0;
	many = xmm_process_madvise(t.pidfd, iov, STRICT_RANGES, MADV_DONTNEED,
				   XMM_PMADV_INJECT);
	assert_int_equal(many, suspend ? STRICT_RANGES * 4096 : -1);
	if (!suspend)
		assert_int_equal(errno, EPERM);
	for (i = 0; i < STRICT_RANGES; i++)
		assert_true(child_pages_zero(t.pid, iov[i].iov_base, 4096) ==
			    suspend);
	assert_true(untraced(t.pid));
	assert_int_equal(write(pipe_fd[1], "q", 1), 1);
	assert_int_equal(target_wait(&t), 0);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	munmap(s, sizeof(*s));
}

/* The kernel's rule: bytes advised before the first failure, the errno
 * only when nothing was advised. */
static void test_partial_progress_rule(void **state)
{
	struct target t;
	void *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	struct iovec iov[3] = {
		{ scratch, 8192 },
		{ NULL, 4096 },
		{ (char *)scratch + 8192, 4096 },
	};

	(void)state;
	assert_true(hole != MAP_FAILED);
	munmap(hole, 4096);
	iov[1].iov_base = hole;
	target_start(&t, pause_child, NULL);
	assert_int_equal(xmm_process_madvise(t.pidfd, iov, 3, MADV_DONTNEED,
					     XMM_PMADV_INJECT), 8192);
	errno = 0;
	assert_int_equal(xmm_process_madvise(t.pidfd, iov + 1, 2,
					     MADV_DONTNEED, XMM_PMADV_INJECT),
			 -1);
	assert_int_equal(errno, ENOMEM);
	/* The third range was never advised. */
	assert_false(child_pages_zero(t.pid, (char *)scratch + 8192, 4096));
	target_kill(&t);
}

/* The same in a long batch: the hole must stay a hole (the batch stub's
 * mapping must not land in it). */
static void test_partial_progress_rule_batched(void **state)
{
	struct target t;
	void *hole = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			  -1, 0);
	struct iovec iov[8];
	int i;

	(void)state;
	assert_true(hole != MAP_FAILED);
	munmap(hole, 4096);
	for (i = 0; i < 8; i++) {
		iov[i].iov_base = (char *)scratch + (size_t)(16 + i) * 4096;
		iov[i].iov_len = 4096;
	}
	iov[5].iov_base = hole;
	target_start(&t, pause_child, NULL);
	assert_int_equal(xmm_process_madvise(t.pidfd, iov, 8, MADV_DONTNEED,
					     XMM_PMADV_INJECT), 5 * 4096);
	assert_true(child_pages_zero(t.pid, iov[4].iov_base, 4096));
	assert_false(child_pages_zero(t.pid, iov[6].iov_base, 4096));
	target_kill(&t);
}

/* A failing range that is not a hole (an unaligned start: EINVAL), so
 * that the batch stub runs it. */
static void test_partial_progress_rule_stub(void **state)
{
	struct iovec iov[8];
	struct target t;
	int i;

	(void)state;
	for (i = 0; i < 8; i++) {
		iov[i].iov_base = (char *)scratch + (size_t)(32 + i) * 4096;
		iov[i].iov_len = 4096;
	}
	iov[5].iov_base = (char *)iov[5].iov_base + 1;
	target_start(&t, pause_child, NULL);
	assert_int_equal(xmm_process_madvise(t.pidfd, iov, 8, MADV_DONTNEED,
					     XMM_PMADV_INJECT), 5 * 4096);
	assert_true(child_pages_zero(t.pid, iov[4].iov_base, 4096));
	assert_false(child_pages_zero(t.pid, iov[6].iov_base, 4096));
	errno = 0;
	assert_int_equal(xmm_process_madvise(t.pidfd, iov + 5, 3,
					     MADV_DONTNEED, XMM_PMADV_INJECT),
			 -1);
	assert_int_equal(errno, EINVAL);
	target_kill(&t);
}

/* The stub's mapping is gone afterwards: the target's map is as it was. */
static char *read_maps(pid_t pid)
{
	char path[64];
	char *buf = calloc(1, 65536);
	FILE *f;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	assert_true(fread(buf, 1, 65535, f) > 0);
	fclose(f);
	return buf;
}

static void test_target_mappings_unchanged(void **state)
{
	struct iovec iov[64];
	struct target t;
	char *before, *after;
	int i;

	(void)state;
	for (i = 0; i < 64; i++) {
		iov[i].iov_base = (char *)scratch + (size_t)i * 4096;
		iov[i].iov_len = 4096;
	}
	target_start(&t, pause_child, NULL);
	before = read_maps(t.pid);
	for (i = 0; i < 20; i++)
		assert_int_equal(xmm_process_madvise(t.pidfd, iov, 64,
						     MADV_COLD, 0), 64 * 4096);
	after = read_maps(t.pid);
	assert_string_equal(before, after);
	free(before);
	free(after);
	target_kill(&t);
}

/* ---- A caller under seccomp (a container, Android) ---- */

/* An old kernel's answer, or an old container profile's. */
static int enosys_for_process_madvise(void)
{
	return harness_seccomp_enosys(SYS_process_madvise);
}


static void test_sandboxed_caller_eperm_unless_unchecked(void **state)
{
	struct sandbox_case sc = {
		.s = shared_new(),
		.sandbox = enosys_for_process_madvise,
	};

	(void)state;
	assert_int_equal(harness_run_in_child(sandboxed_caller, &sc), 0);
	munmap(sc.s, sizeof(*sc.s));
}

/* A filter the caller cannot read, which would kill on madvise: refused,
 * and the target survives. */
static void test_sandboxed_caller_kill_filter_refused(void **state)
{
	struct sandbox_case sc = {
		.s = shared_new(),
		.sandbox = enosys_for_process_madvise,
		.target_kills_madvise = true,
	};

	(void)state;
	assert_int_equal(harness_run_in_child(sandboxed_caller, &sc), 0);
	munmap(sc.s, sizeof(*sc.s));
}

/* ---- The helper kept between calls ---- */

struct kept_case {
	struct shared *s;
	int pidfd;
};

/*
 * One helper serves every call of a process, is not its child, and ends
 * with it: with a forked child's exit, a child's exec, each child's own.
 */
static int kept_helper_caller(void *arg)
{
	struct kept_case *kc = arg;
	struct iovec iov = { scratch, 4096 };
	pid_t first, child;
	int status, i;

	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(kept_helper() == 0);	/* none before the first call */
	CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	first = kept_helper();
	CHILD_CHECK(first > 0);
	CHILD_CHECK(parent_of(first) != getpid());
	CHILD_CHECK(getpgid(first) == getpgid(0));
	for (i = 0; i < 20; i++)
		CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD,
						0) == 4096);
	CHILD_CHECK(kept_helper() == first);	/* the same one */

	/* A forked child: a helper of its own, gone when the child is. */
	fflush(NULL);
	child = fork();
	CHILD_CHECK(child >= 0);
	if (child == 0) {
		pid_t own;

		if (kept_helper() != 0 ||
		    xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) !=
		    4096)
			_exit(1);
		own = kept_helper();
		kc->s->value[0] = own;
		_exit(own > 0 && own != first ? 0 : 2);
	}
	CHILD_CHECK(waitpid(child, &status, 0) == child);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHILD_CHECK(process_ends((pid_t)kc->s->value[0]));
	CHILD_CHECK(kill(first, 0) == 0 && kept_helper() == first);

	/* A child that execs: its helper ends while the new program runs. */
	fflush(NULL);
	child = fork();
	CHILD_CHECK(child >= 0);
	if (child == 0) {
		if (xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) !=
		    4096)
			_exit(1);
		kc->s->value[1] = kept_helper();
		execl("/bin/sleep", "sleep", "10", (char *)NULL);
		_exit(3);
	}
	for (i = 0; i < 5000 && kc->s->value[1] == 0; i++)
		nap();
	CHILD_CHECK(kc->s->value[1] > 0);
	CHILD_CHECK(process_ends((pid_t)kc->s->value[1]));
	CHILD_CHECK(waitpid(child, &status, WNOHANG) == 0);	/* sleeping */
	kill(child, SIGKILL);
	CHILD_CHECK(waitpid(child, &status, 0) == child);
	return 0;
}

/*
 * The kept helper bounds its waits with an interval timer of its own,
 * armed for a batch and ticking every 5 ms once its first expiry (2 s)
 * has passed: it must be off when the batch ends, or the idle helper
 * wakes 200 times a second for good.  Idle past that expiry, it sleeps.
 */
static void test_kept_helper_sleeps_between_calls(void **state)
{
	struct timespec past_expiry = { 2, 300000000 };
	struct timespec watch = { 0, 200000000 };
	char before[64], after[64];
	struct target t;
	pid_t helper;

	(void)state;
	need_kept_helper();
	target_start(&t, pause_child, NULL);
	assert_int_equal(inject_madvise(t.pidfd, scratch, 4096, MADV_COLD, 0),
			 4096);
	helper = kept_helper();
	assert_true(helper > 0);
	nanosleep(&past_expiry, NULL);
	status_field(helper, "voluntary_ctxt_switches", before,
		     sizeof(before));
	nanosleep(&watch, NULL);
	status_field(helper, "voluntary_ctxt_switches", after, sizeof(after));
	assert_true(before[0] != '\0');
	assert_string_equal(before, after);
	target_kill(&t);
}

static void test_kept_helper_lifetime(void **state)
{
	struct kept_case kc = { .s = shared_new() };
	struct target t;
	pid_t helper;

	(void)state;
	need_kept_helper();
	target_start(&t, pause_child, NULL);
	kc.pidfd = t.pidfd;
	kc.s->value[2] = 0;
	assert_int_equal(harness_run_in_child(kept_helper_caller, &kc), 0);
	/* The caller's exit ended its helper too (no process left that
	 * shares its memory is ours to see: the target is untraced). */
	assert_true(untraced(t.pid));
	helper = kept_helper();	/* ours, if an earlier test made one */
	assert_true(helper == 0 || kill(helper, 0) == 0);
	target_kill(&t);
	munmap(kc.s, sizeof(*kc.s));
}

/*
 * The reaper of a child subreaper caller: a subreaper itself, so that the
 * caller's helper, orphaned by the caller's exit, comes to it.
 */
static int reaper_of_subreaper_caller(void *arg)
{
	struct adopt_case *ac = arg;
	pid_t helper, got;
	int status;

	CHILD_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	ac->s->stop = 1;	/* no need to wait for us */
	CHILD_CHECK(harness_run_in_child(adopting_caller, ac) == 0);
	helper = (pid_t)ac->s->value[0];
	CHILD_CHECK(helper > 0);
	/* Hung up by the caller's exit, it ends; given to us with SIGCHLD
	 * as any orphan is, a plain wait reaps it. */
	bound_waits(10);
	got = waitpid(helper, &status, 0);
	bound_waits(0);
	CHILD_CHECK(got == helper);
	errno = 0;
	CHILD_CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
	return 0;
}

/*
 * A caller that is a child subreaper (a supervisor) would adopt a helper
 * orphaned below it: its kept helper stays out of its wait(2), sends it
 * no SIGCHLD, and is gone, reaped by the next reaper, once it exits.
 */
static void test_kept_helper_unseen_by_subreaper_caller(void **state)
{
	struct adopt_case ac = { .s = shared_new(), .subreaper = true };

	(void)state;
	need_kept_helper();
	assert_int_equal(harness_run_in_child(reaper_of_subreaper_caller,
					      &ac), 0);
	munmap(ac.s, sizeof(*ac.s));
}

struct unhandled_fork_case {
	struct shared *s;
	int pidfd;		/* a paused target: the child's */
	int other_pidfd;	/* another: the parent's (two tracers at
				 * once cannot both seize one target) */
	int stuck_pidfd;	/* a target in vfork(): never stops */
};

/* Write a byte to fd, then wait for one on fd_in. */
static bool ping(int fd_out, int fd_in)
{
	char byte = 'p';

	return write(fd_out, &byte, 1) == 1 && read(fd_in, &byte, 1) == 1;
}

/*
 * A child forked without the library's fork handler (_Fork(), a raw
 * clone) after its parent's helper ended (EAGAIN ends it) inherits the
 * page the parent shared with that helper.  Parent and child each make a
 * helper of their own, in turn, and each keeps its own: had both used the
 * inherited page, each start would take the other's answer word, and the
 * other's next call would end its helper and make another (or, calls
 * overlapping, get the other's answer).
 */
static int unhandled_fork_caller(void *arg)
{
	struct unhandled_fork_case *uc = arg;
	struct iovec one = { scratch, 4096 }, two = { scratch, 8192 };
	int to_child[2], to_parent[2], status, i;
	pid_t child, helper;
	char byte;

	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(uc->pidfd, &one, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(kept_helper() > 0);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(uc->stuck_pidfd, &one, 1, MADV_COLD,
					0) == -1 && errno == EAGAIN);
	CHILD_CHECK(pipe(to_child) == 0 && pipe(to_parent) == 0);
	fflush(NULL);
	child = _Fork();
	CHILD_CHECK(child >= 0);
	if (child == 0) {
		close(to_child[1]);
		close(to_parent[0]);
		if (xmm_process_madvise(uc->pidfd, &one, 1, MADV_COLD, 0) !=
		    4096)
			_exit(1);
		helper = kept_helper();
		if (helper <= 0)
			_exit(2);
		/* The parent makes its helper now. */
		if (!ping(to_parent[1], to_child[0]))
			_exit(3);
		if (xmm_process_madvise(uc->pidfd, &one, 1, MADV_COLD, 0) !=
		    4096)
			_exit(4);
		if (kept_helper() != helper)
			_exit(5);
		if (write(to_parent[1], "c", 1) != 1)
			_exit(6);
		for (i = 0; i < 200; i++)
			if (xmm_process_madvise(uc->pidfd, &one, 1, MADV_COLD,
						0) != 4096)
				_exit(7);
		_exit(read(to_child[0], &byte, 1) == 0 ? 0 : 8);
	}
	close(to_child[0]);
	close(to_parent[1]);
	/* The child has its helper: ours now, then the child's next call,
	 * then calls of both at once. */
	CHILD_CHECK(read(to_parent[0], &byte, 1) == 1);
	CHILD_CHECK(xmm_process_madvise(uc->other_pidfd, &two, 1, MADV_COLD,
					0) == 8192);
	helper = kept_helper();
	CHILD_CHECK(helper > 0);
	CHILD_CHECK(write(to_child[1], "p", 1) == 1);
	CHILD_CHECK(read(to_parent[0], &byte, 1) == 1);
	for (i = 0; i < 200; i++)
		CHILD_CHECK(xmm_process_madvise(uc->other_pidfd, &two, 1,
						MADV_COLD, 0) == 8192);
	CHILD_CHECK(kept_helper() == helper);
	close(to_child[1]);
	CHILD_CHECK(waitpid(child, &status, 0) == child);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(to_parent[0]);
	return 0;
}

static void test_unhandled_fork_gets_own_helper_page(void **state)
{
	struct unhandled_fork_case uc = { .s = shared_new() };
	struct target t, other, stuck;
	struct timespec tick = { 0, 1000000 };
	int i;

	(void)state;
	need_kept_helper();
	target_start(&t, pause_child, NULL);
	target_start(&other, pause_child, NULL);
	target_start(&stuck, vfork_parent_child, uc.s);
	wait_ready(uc.s);
	for (i = 0; i < 3000 && proc_state(stuck.pid) != 'D'; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(proc_state(stuck.pid), 'D');
	uc.pidfd = t.pidfd;
	uc.other_pidfd = other.pidfd;
	uc.stuck_pidfd = stuck.pidfd;
	assert_int_equal(harness_run_in_child(unhandled_fork_caller, &uc), 0);
	assert_true(untraced(t.pid));
	assert_true(untraced(other.pid));
	assert_int_equal(target_wait(&stuck), 0);
	target_kill(&t);
	target_kill(&other);
	munmap(uc.s, sizeof(*uc.s));
}

static int oom_score_adj(pid_t pid)
{
	char path[64], value[16] = "";
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/oom_score_adj", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -2000;
	if (!fgets(value, sizeof(value), f))
		value[0] = '\0';
	fclose(f);
	return value[0] ? atoi(value) : -2000;
}

/* Is cap in our effective set? */
static bool has_cap(int cap)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &header, data) < 0)
		return false;
	return data[cap / 32].effective & (1U << (cap % 32));
}

#if defined(__SANITIZE_ADDRESS__)
#define KEEPS_ALL	true	/* inject_server_mm.c: a sanitizer's runtime */
#else
#define KEEPS_ALL	false
#endif

/*
 * The kept helper is a fork of its caller that keeps none of the
 * caller's memory but the code and data it runs on (inject_server.c):
 * not the caller's private memory (its RSS, the OOM killer's measure,
 * stays small) nor its shared mappings (a buffer the caller unmaps is
 * freed).  Under a sanitizer it keeps all (its runtime's memory looks
 * like the caller's).
 */
static int kept_helper_memory_caller(void *arg)
{
	struct kept_case *kc = arg;
	struct iovec iov = { scratch, 4096 };
	const size_t big = 32 * MiB, small = 4 * MiB;
	char *private = mmap(NULL, big, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *shared = mmap(NULL, small, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	char field[64];
	pid_t helper;

	CHILD_CHECK(private != MAP_FAILED && shared != MAP_FAILED);
	memset(private, 1, big);
	memset(shared, 1, small);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	helper = kept_helper();
	CHILD_CHECK(helper > 0);
	CHILD_CHECK(maps_any_of(helper, private, big) == KEEPS_ALL);
	CHILD_CHECK(maps_any_of(helper, shared, small) == KEEPS_ALL);
	status_field(helper, "RssAnon", field, sizeof(field));
	CHILD_CHECK((atol(field) < 8192) != KEEPS_ALL);	/* kB */
	/* The OOM killer's last choice where we may make it so. */
	CHILD_CHECK(oom_score_adj(helper) ==
		    (has_cap(CAP_SYS_RESOURCE) ? -1000 : oom_score_adj(getpid())));
	/* It serves on. */
	CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(kept_helper() == helper);
	return 0;
}

/*
 * Run caller(kc) in a child of ours against a target that pauses, where
 * the library keeps a helper; the target is left untraced.
 */
static void run_kept_case(int (*caller)(void *arg))
{
	struct kept_case kc = { .s = shared_new() };
	struct target t;

	need_kept_helper();
	target_start(&t, pause_child, NULL);
	kc.pidfd = t.pidfd;
	assert_int_equal(harness_run_in_child(caller, &kc), 0);
	assert_true(untraced(t.pid));
	target_kill(&t);
	munmap(kc.s, sizeof(*kc.s));
}

static void test_kept_helper_holds_none_of_callers_memory(void **state)
{
	(void)state;
	run_kept_case(kept_helper_memory_caller);
}

/*
 * Add a filter refusing ptrace(2) with EPERM to this thread, then
 * inject: true when the call fails with EPERM, as a fresh helper under
 * that filter answers (no helper made without it may serve).
 */
static bool eperm_once_ptrace_refused(int pidfd)
{
	struct iovec iov = { scratch, 4096 };

	if (harness_seccomp_errno(SYS_ptrace, EPERM) != 0)
		return false;
	errno = 0;
	return xmm_process_madvise(pidfd, &iov, 1, MADV_COLD, 0) == -1 &&
	       errno == EPERM;
}

/*
 * A caller that installs a seccomp filter after its helper was made must
 * not keep the helper's freedom: with ptrace(2) refused by its new filter,
 * the call fails as a fresh helper (which inherits the filter) fails.
 */
static int filtered_after_helper_caller(void *arg)
{
	struct kept_case *kc = arg;
	struct iovec iov = { scratch, 4096 };

	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(kept_helper() > 0);
	CHILD_CHECK(eperm_once_ptrace_refused(kc->pidfd));
	return 0;
}

static void test_kept_helper_not_for_sandboxed_caller(void **state)
{
	struct kept_case kc = { .s = shared_new() };
	struct target t;

	(void)state;
	need_kept_helper();
	target_start(&t, pause_child, NULL);
	kc.pidfd = t.pidfd;
	assert_int_equal(harness_run_in_child(filtered_after_helper_caller,
					      &kc), 0);
	assert_true(untraced(t.pid));
	assert_true(strchr("RS", proc_state(t.pid)) != NULL);
	target_kill(&t);
	munmap(kc.s, sizeof(*kc.s));
}

/* A daemon that closes every descriptor it did not open, then opens
 * others with the same numbers: the library writes to none of them, the
 * old helper ends, a new one serves. */
static int closing_caller(void *arg)
{
	struct kept_case *kc = arg;
	struct iovec iov = { scratch, 4096 };
	pid_t first;
	int fd;

	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	first = kept_helper();
	CHILD_CHECK(first > 0);
	for (fd = 3; fd < 1024; fd++)
		if (fd != kc->pidfd)
			close(fd);
	for (fd = 0; fd < 8; fd++)
		CHILD_CHECK(open("/dev/null", O_WRONLY) >= 0);
	CHILD_CHECK(process_ends(first));
	CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(kept_helper() > 0 && kept_helper() != first);
	kc->s->value[0] = first;
	return 0;
}

static void test_kept_helper_survives_closed_descriptors(void **state)
{
	(void)state;
	run_kept_case(closing_caller);
}

/*
 * The same in a child subreaper (a supervisor), whose helpers are its
 * clone children (see test_kept_helper_unseen_by_subreaper_caller): the
 * forgotten one is reaped by the library, not left a zombie, and no
 * helper shows to wait(2).
 */
static int closing_subreaper_caller(void *arg)
{
	struct kept_case *kc = arg;
	siginfo_t info;
	pid_t first;
	int status;

	CHILD_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	CHILD_CHECK(closing_caller(kc) == 0);
	first = (pid_t)kc->s->value[0];
	CHILD_CHECK(first > 0);
	/* It had exited before the call after the closes, which reaped it:
	 * no child of ours by that pid, not even with __WALL. */
	errno = 0;
	CHILD_CHECK(waitid(P_PID, (id_t)first, &info,
			   WEXITED | WNOHANG | WNOWAIT | __WALL) == -1 &&
		    errno == ECHILD);
	errno = 0;
	CHILD_CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
	return 0;
}

static void test_kept_helper_survives_closed_descriptors_subreaper(
	void **state)
{
	(void)state;
	run_kept_case(closing_subreaper_caller);
}

/* The Seccomp_filters count of a task's status, -1 when absent. */
static long filter_count(pid_t pid)
{
	char field[64];

	status_field(pid, "Seccomp_filters", field, sizeof(field));
	return field[0] ? atol(field) : -1;
}

/* A thread of a sandboxed caller adds a filter (ptrace refused) and
 * injects: EPERM, as a fresh helper under its filters answers. */
static void *filtered_thread_call(void *arg)
{
	struct kept_case *kc = arg;
	struct iovec iov = { scratch, 4096 };
	long ret;

	if (harness_seccomp_errno(SYS_ptrace, EPERM) != 0)
		return (void *)-2L;
	errno = 0;
	ret = xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0);
	return (void *)(ret == -1 && errno == EPERM ? 0L : -1L);
}

/*
 * A sandboxed caller (a container's filter: process_madvise answers
 * ENOSYS) keeps a helper too, made under its filters and serving only
 * the thread that made it while that thread's filters stay the same:
 * a filter added later, by that thread or by a new one, is never escaped
 * through it (the call fails as a fresh helper's would).
 */
static int sandboxed_kept_caller(void *arg)
{
	struct kept_case *kc = arg;
	struct iovec iov = { scratch, 4096 };
	pthread_t thread;
	void *thread_ret;
	pid_t helper;

	CHILD_CHECK(harness_seccomp_enosys(SYS_process_madvise) == 0);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	helper = kept_helper();
	CHILD_CHECK(helper > 0);
	/* Under our very filters. */
	CHILD_CHECK(filter_count(helper) == filter_count(getpid()));
	CHILD_CHECK(xmm_process_madvise(kc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(kept_helper() == helper);	/* kept */
	/* A new thread adds a filter: not through our helper. */
	CHILD_CHECK(pthread_create(&thread, NULL, filtered_thread_call,
				   kc) == 0);
	CHILD_CHECK(pthread_join(thread, &thread_ret) == 0);
	CHILD_CHECK(thread_ret == NULL);
	CHILD_CHECK(kept_helper() == helper);
	/* Nor this thread, once it adds one. */
	CHILD_CHECK(eperm_once_ptrace_refused(kc->pidfd));
	return 0;
}

static void test_kept_helper_for_sandboxed_caller_under_its_filters(
	void **state)
{
	(void)state;
	if (!harness_kernel_at_least(5, 9))
		harness_skip("no Seccomp_filters in /proc/PID/status before "
			     "Linux 5.9: sandboxed callers get per-call "
			     "helpers");
	run_kept_case(sandboxed_kept_caller);
}

/*
 * A helper killed (SIGKILL, by someone else) never leaves its caller
 * waiting: between calls the next call makes a new one, and during a
 * call (a long MADV_POPULATE_WRITE) the kernel's marking of the answer
 * word at its exit (a robust futex: FUTEX_OWNER_DIED) wakes the caller,
 * which answers EOWNERDEAD.  alarm(2) bounds every wait.
 */
#define KILLED_HELPER_LEN	(512 * MiB)

struct killed_case {
	int idle_pidfd;		/* a paused target */
	int busy_pidfd;		/* a target whose big mapping is populated */
	pid_t busy_pid;
	pid_t helper;		/* the helper the killer kills */
	char *big;
};

/* A target that dies plainly of a fault (cmocka's handlers, inherited,
 * would run the rest of the suite in it). */
static int plain_pause_child(void *arg)
{
	signal(SIGSEGV, SIG_DFL);
	signal(SIGBUS, SIG_DFL);
	signal(SIGILL, SIG_DFL);
	signal(SIGFPE, SIG_DFL);
	return pause_child(arg);
}

/* Kill the helper once it traces the busy target: the call has begun. */
static void *kill_helper_soon(void *arg)
{
	struct killed_case *kc = arg;
	struct timespec soon = { 0, 5 * 1000 * 1000 };
	char tracer[64];
	int i;

	for (i = 0; i < 50000; i++) {	/* 5 s */
		status_field(kc->busy_pid, "TracerPid", tracer,
			     sizeof(tracer));
		if (atoi(tracer) == kc->helper)
			break;
		tick();
	}
	nanosleep(&soon, NULL);
	kill(kc->helper, SIGKILL);
	return NULL;
}

static int killed_helper_caller(void *arg)
{
	struct killed_case *kc = arg;
	struct iovec iov = { scratch, 4096 };
	struct iovec big = { kc->big, KILLED_HELPER_LEN };
	pthread_t killer;
	pid_t first, second;

	alarm(60);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(kc->idle_pidfd, &iov, 1, MADV_COLD,
					0) == 4096);
	first = kept_helper();
	CHILD_CHECK(first > 0);
	CHILD_CHECK(kill(first, SIGKILL) == 0 && process_ends(first));
	CHILD_CHECK(xmm_process_madvise(kc->idle_pidfd, &iov, 1, MADV_COLD,
					0) == 4096);
	second = kept_helper();
	CHILD_CHECK(second > 0 && second != first);
	/* Killed during a call: an answer, EOWNERDEAD (the target may
	 * still run our call; no second helper takes it over). */
	kc->helper = second;
	CHILD_CHECK(pthread_create(&killer, NULL, kill_helper_soon, kc) == 0);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(kc->busy_pidfd, &big, 1,
					23 /* POPULATE_WRITE */,
					XMM_PMADV_INJECT) == -1);
	CHILD_CHECK(errno == EOWNERDEAD);
	CHILD_CHECK(pthread_join(killer, NULL) == 0);
	CHILD_CHECK(process_ends(second));
	CHILD_CHECK(xmm_process_madvise(kc->idle_pidfd, &iov, 1, MADV_COLD,
					0) == 4096);
	CHILD_CHECK(kept_helper() > 0 && kept_helper() != second);
	return 0;
}

static void test_kept_helper_killed_never_strands_caller(void **state)
{
	struct killed_case kc;
	struct target idle, busy;

	(void)state;
	need_kept_helper();
	kc.big = mmap(NULL, KILLED_HELPER_LEN, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(kc.big != MAP_FAILED);
	target_start(&idle, pause_child, NULL);
	target_start(&busy, plain_pause_child, NULL);
	kc.idle_pidfd = idle.pidfd;
	kc.busy_pidfd = busy.pidfd;
	kc.busy_pid = busy.pid;
	assert_int_equal(harness_run_in_child(killed_helper_caller, &kc), 0);
	assert_true(untraced(idle.pid));
	/* busy may have died of the registers its killed tracer left. */
	target_kill(&idle);
	target_kill(&busy);
	munmap(kc.big, KILLED_HELPER_LEN);
}

/* Two threads injecting at once: one gets the kept helper, the other a
 * helper for its call; every call succeeds. */
struct concurrent_case {
	int pidfd;
	int failed;
};

static void *concurrent_injector(void *arg)
{
	struct concurrent_case *cc = arg;
	struct iovec iov = { scratch, 4096 };
	int i;

	for (i = 0; i < 200; i++)
		if (xmm_process_madvise(cc->pidfd, &iov, 1, MADV_COLD, 0) !=
		    4096)
			cc->failed++;
	return NULL;
}

static void test_kept_helper_concurrent_callers(void **state)
{
	struct concurrent_case cc[2] = { { 0 } };
	struct target t[2];
	pthread_t thread[2];
	int i;

	(void)state;
	for (i = 0; i < 2; i++) {
		target_start(&t[i], pause_child, NULL);
		cc[i].pidfd = t[i].pidfd;
		assert_int_equal(pthread_create(&thread[i], NULL,
						concurrent_injector, &cc[i]),
				 0);
	}
	for (i = 0; i < 2; i++) {
		assert_int_equal(pthread_join(thread[i], NULL), 0);
		assert_int_equal(cc[i].failed, 0);
		assert_true(untraced(t[i].pid));
		target_kill(&t[i]);
	}
}

/* ---- Neither a helper nor a thread: the caller's own thread ---- */

struct nproc_case {
	struct shared *s;
	bool stops_late;	/* the target sits in vfork() for 3 s */
};

static int nproc_target(struct nproc_case *nc)
{
	struct timespec three = { 3, 0 };

	nc->s->ready = 1;
	if (nc->stops_late && vfork() == 0) {
		nanosleep(&three, NULL);
		_exit(0);
	}
	while (!nc->s->stop)
		nap();
	return 0;
}

/*
 * As an unprivileged user (RLIMIT_NPROC binds no root), fork the target,
 * then allow one process: no helper, no thread can be made.  The caller's
 * own thread traces, and it must let go of the target before returning,
 * even of one that did not stop within the stop timeout.
 */
static int nproc_caller(void *arg)
{
	struct nproc_case *nc = arg;
	struct rlimit one = { 1, 1 };
	struct iovec iov = { scratch, 4096 };
	struct timespec settle = { 0, 100000000 };
	pid_t pid, spare;
	int pidfd, status, i;

	if (harness_is_root())
		CHILD_CHECK(harness_drop_privileges_keep_cap_sys_nice() == 0 &&
			    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
	fflush(NULL);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(nproc_target(nc));
	}
	pidfd = xmm_pidfd_open(pid, 0);
	CHILD_CHECK(pidfd >= 0);
	for (i = 0; i < 5000 && !nc->s->ready; i++)
		nap();
	CHILD_CHECK(nc->s->ready);
	nanosleep(&settle, NULL);	/* into vfork() */

	CHILD_CHECK(setrlimit(RLIMIT_NPROC, &one) == 0);
	spare = fork();
	if (spare == 0)
		_exit(0);
	CHILD_CHECK(spare < 0 && errno == EAGAIN);

	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	/* Synchronous: let go of before the call returned. */
	CHILD_CHECK(status_number(pid, "TracerPid") == 0);
	nc->s->stop = 1;
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pidfd);
	return 0;
}

static void test_nproc_limit_caller_traces_and_detaches(void **state)
{
	struct nproc_case nc = { .s = shared_new() };

	(void)state;
	assert_int_equal(harness_run_in_child(nproc_caller, &nc), 0);
	munmap(nc.s, sizeof(*nc.s));
}

static void test_nproc_limit_slow_stop_detaches(void **state)
{
	struct nproc_case nc = { .s = shared_new(), .stops_late = true };

	(void)state;
	assert_int_equal(harness_run_in_child(nproc_caller, &nc), 0);
	munmap(nc.s, sizeof(*nc.s));
}

/* ---- The caller killed half way ---- */

static int caller_loop(void *arg)
{
	int pidfd = *(int *)arg;
	struct iovec iov[64];
	int i;

	for (i = 0; i < 64; i++) {
		iov[i].iov_base = (char *)scratch + (size_t)i * 4096;
		iov[i].iov_len = 4096;
	}
	xmm_backend_force("process_madvise", "inject");
	for (;;)
		xmm_process_madvise(pidfd, iov, 64, MADV_COLD, 0);
	return 0;
}

static void test_caller_killed_target_survives(void **state)
{
	struct shared *s = shared_new();
	struct target t, caller;
	unsigned int seed = 1;
	int round;

	(void)state;
#ifdef HAVE_BUSY_REGISTERS_CHILD
	target_start(&t, busy_registers_child, s);
	wait_ready(s);
#else
	target_start(&t, pause_child, s);
#endif
	for (round = 0; round < 20; round++) {
		struct timespec delay = { 0, 100000 + rand_r(&seed) % 2000000 };

		target_start(&caller, caller_loop, &t.pidfd);
		nanosleep(&delay, NULL);
		target_kill(&caller);
		assert_true(untraced(t.pid));
		assert_int_equal(kill(t.pid, 0), 0);
	}
#ifdef HAVE_BUSY_REGISTERS_CHILD
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
#else
	target_kill(&t);
#endif
	munmap(s, sizeof(*s));
}

/*
 * XMM_TEST_AS_NOBODY (meson's inject-nobody): a root run drops to uid and
 * gid 65534 first, dumpable again (setuid clears it, and children inherit
 * it), keeping CAP_SYS_NICE alone: the one privilege process_madvise(2)
 * asks of a caller advising another process, which every backend asks too
 * (an unprivileged caller without it gets EPERM, tested in
 * process-madvise and inject-root).
 */
static int drop_to_nobody(void)
{
	if (!getenv("XMM_TEST_AS_NOBODY") || !harness_is_root())
		return 0;
	if (harness_drop_privileges_keep_cap_sys_nice() < 0 ||
	    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) {
		perror("dropping to uid 65534");
		return -1;
	}
	printf("running as uid %d\n", (int)getuid());
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remote_cold_runs_by_injection),
		cmocka_unit_test(test_refused_advice_without_flag_is_einval),
		cmocka_unit_test(test_state_identical_around_injection),
		cmocka_unit_test(test_busy_target_registers_intact),
		cmocka_unit_test(test_stopped_target_stays_stopped),
		cmocka_unit_test(test_nanosleep_ends_on_time),
		cmocka_unit_test(test_futex_wait_continues),
		cmocka_unit_test(test_epoll_wait_gets_event_after),
		cmocka_unit_test(test_threaded_target_checksums_correct),
		cmocka_unit_test(test_signal_during_injection_delivered),
		cmocka_unit_test(
			test_foreign_sigtrap_during_injections_delivered),
		cmocka_unit_test(
			test_busy_target_gets_signals_sent_during_injection),
		cmocka_unit_test(test_sigtrap_action_and_mask_unchanged),
		cmocka_unit_test(test_target_killed_mid_injection_esrch),
		cmocka_unit_test(test_target_exiting_mid_injection_esrch),
		cmocka_unit_test(test_reaped_target_esrch),
		cmocka_unit_test(test_target_that_cannot_stop_eagain),
		cmocka_unit_test(test_zombie_leader_advised),
		cmocka_unit_test(test_already_traced_eperm),
		cmocka_unit_test(test_enosys_falls_back_to_injection),
		cmocka_unit_test(test_inject_flag_applies_dontneed),
		cmocka_unit_test(test_strict_mode_target),
		cmocka_unit_test(test_partial_progress_rule),
		cmocka_unit_test(test_partial_progress_rule_batched),
		cmocka_unit_test(test_partial_progress_rule_stub),
		cmocka_unit_test(test_target_mappings_unchanged),
		cmocka_unit_test(test_caller_killed_target_survives),
		cmocka_unit_test(test_sandboxed_caller_eperm_unless_unchecked),
		cmocka_unit_test(test_sandboxed_caller_kill_filter_refused),
		cmocka_unit_test(test_kept_helper_lifetime),
		cmocka_unit_test(test_kept_helper_unseen_by_subreaper_caller),
		cmocka_unit_test(test_kept_helper_sleeps_between_calls),
		cmocka_unit_test(test_unhandled_fork_gets_own_helper_page),
		cmocka_unit_test(test_kept_helper_holds_none_of_callers_memory),
		cmocka_unit_test(test_kept_helper_not_for_sandboxed_caller),
		cmocka_unit_test(
			test_kept_helper_for_sandboxed_caller_under_its_filters),
		cmocka_unit_test(test_kept_helper_concurrent_callers),
		cmocka_unit_test(test_kept_helper_survives_closed_descriptors),
		cmocka_unit_test(
			test_kept_helper_survives_closed_descriptors_subreaper),
		cmocka_unit_test(test_kept_helper_killed_never_strands_caller),
		cmocka_unit_test(test_nproc_limit_caller_traces_and_detaches),
		cmocka_unit_test(test_nproc_limit_slow_stop_detaches),
	};

	const struct CMUnitTest without_injection[] = {
		cmocka_unit_test(test_without_injection_the_kernel_answers),
	};
	const char *why;
	int failed;

	if (drop_to_nobody() < 0)
		return 1;
	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_SECCOMP |
			 HARNESS_NEEDS_PIDFD_CHILD);
	if (!harness_injection_available(&why)) {
		/* The documented answers without it, then skip the rest. */
		failed = cmocka_run_group_tests(without_injection, setup,
						inject_teardown);
		if (failed)
			return failed;
		harness_skip_all("the library has no injection backend here "
				 "(%s); only the answers without it ran", why);
	}
	return cmocka_run_group_tests(tests, setup, inject_teardown);
}
