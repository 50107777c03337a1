// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What one injection costs against the floor of this machine, measured in
 * the same run, legs alternating round by round:
 *
 *   one range    xmm_process_madvise(MADV_COLD) of one page through the
 *                "inject" backend, against a minimal hand-written
 *                injection from the caller's own thread: seize,
 *                interrupt, one madvise at an existing syscall
 *                instruction, restore (with the kernel's restart rule),
 *                detach.  Into a child sleeping in read(2), and into one
 *                spinning in user space.
 *   1,000 ranges one call of 1,000 one-page ranges, against the child
 *                running the same 1,000 madvise calls itself in a loop
 *                (asked through a pipe).
 *
 * Prints the median of each leg and the ratios (targets: one range <=
 * 1.5x, 1,000 ranges <= 1.2x; see bench/README.md).  x86_64 only for the
 * baseline leg (its registers); root or same-uid ptrace.
 *
 * usage: inject-bench [rounds]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xmm/xmm.h>

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP	128
#endif

#define RANGES		1000
#define ONE_RANGE_CALLS	20	/* per round and leg */

static long page;
static char *mem;
static struct iovec iov[RANGES];

static int compare_ns(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

static double median_us(long *ns, int count)
{
	qsort(ns, (size_t)count, sizeof(*ns), compare_ns);
	return ns[count / 2] / 1000.0;
}

/* ---- The children ---- */

struct child {
	pid_t pid;
	int pidfd;
	int ask, done;		/* pipes: the loop leg's request and answer */
};

/* Sleeps in read(2); on a byte, runs the 1,000 calls, answers a byte. */
static void loop_child(int ask, int done)
{
	char byte;
	int i;

	while (read(ask, &byte, 1) == 1) {
		for (i = 0; i < RANGES; i++)
			syscall(SYS_madvise, iov[i].iov_base, iov[i].iov_len,
				MADV_COLD);
		if (write(done, &byte, 1) != 1)
			break;
	}
	_exit(0);
}

static void spin_child(void)
{
	volatile unsigned long n = 0;

	for (;;)
		n++;
}

static int child_start(struct child *c, bool spin)
{
	int ask[2], done[2];

	if (pipe(ask) < 0 || pipe(done) < 0)
		return -1;
	c->pid = fork();
	if (c->pid < 0)
		return -1;
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (spin)
			spin_child();
		loop_child(ask[0], done[1]);
	}
	close(ask[0]);
	close(done[1]);
	c->ask = ask[1];
	c->done = done[0];
	c->pidfd = xmm_pidfd_open(c->pid, 0);
	return c->pidfd < 0 ? -1 : 0;
}

static void child_stop(struct child *c)
{
	kill(c->pid, SIGKILL);
	waitpid(c->pid, NULL, 0);
	close(c->pidfd);
	close(c->ask);
	close(c->done);
}

/* ---- The baseline: a minimal injection, hand-written ---- */

#ifdef __x86_64__
/* A syscall instruction of libc (the child's is at the same address). */
static unsigned long syscall_insn;

static int find_syscall_insn(void)
{
	const unsigned char *p = (const unsigned char *)(void *)syscall;
	int i;

	for (i = 0; i < 256; i++) {
		if (p[i] == 0x0f && p[i + 1] == 0x05) {
			syscall_insn = (unsigned long)(p + i);
			return 0;
		}
	}
	return -1;
}

static int wait_stop(pid_t pid, int *status)
{
	return waitpid(pid, status, __WALL) == pid && WIFSTOPPED(*status) ?
	       0 : -1;
}

/*
 * One madvise inside pid, and the target's own registers back with the
 * kernel's restart rule applied (as it would at the end of get_signal()
 * with no signal to deliver), so that a syscall it was sleeping in
 * restarts.  Assumes no signal arrives meanwhile (the children get none).
 */
static int minimal_injection(pid_t pid, void *addr, size_t len)
{
	struct user_regs_struct saved, regs;
	struct iovec io = { &saved, sizeof(saved) };
	int status;

	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 ||
	    wait_stop(pid, &status) < 0 ||
	    ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &io) < 0)
		return -1;
	regs = saved;
	regs.rip = syscall_insn;
	regs.rax = SYS_madvise;
	regs.orig_rax = (unsigned long)-1L;
	regs.rdi = (unsigned long)addr;
	regs.rsi = len;
	regs.rdx = MADV_COLD;
	io.iov_base = &regs;
	if (ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &io) < 0 ||
	    ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 ||
	    wait_stop(pid, &status) < 0 ||
	    ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 ||
	    wait_stop(pid, &status) < 0)
		return -1;
	if ((long)saved.orig_rax >= 0) {
		switch ((long)saved.rax) {
		case -512:	/* ERESTARTSYS */
		case -513:	/* ERESTARTNOINTR */
		case -514:	/* ERESTARTNOHAND */
			saved.rax = saved.orig_rax;
			saved.rip -= 2;
			break;
		case -516:	/* ERESTART_RESTARTBLOCK */
			saved.rax = SYS_restart_syscall;
			saved.rip -= 2;
			break;
		}
	}
	io.iov_base = &saved;
	if (ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &io) < 0 ||
	    ptrace(PTRACE_DETACH, pid, 0, 0) < 0)
		return -1;
	return 0;
}
#endif

/* ---- The legs ---- */

enum leg {
	LEG_BASELINE_SLEEPING,
	LEG_XMM_SLEEPING,
	LEG_BASELINE_SPINNING,
	LEG_XMM_SPINNING,
	LEG_LOOP_1000,
	LEG_XMM_1000,
	LEGS,
};

static const char *const leg_names[LEGS] = {
	"baseline, 1 range, sleeping target",
	"xmm inject, 1 range, sleeping target",
	"baseline, 1 range, spinning target",
	"xmm inject, 1 range, spinning target",
	"in-target loop, 1,000 ranges",
	"xmm inject, 1,000 ranges",
};

/* One timed operation of the leg; its time in ns, or -1. */
static long run_leg(enum leg leg, struct child *sleeping,
		    struct child *spinning)
{
	struct child *c = leg == LEG_BASELINE_SPINNING ||
			  leg == LEG_XMM_SPINNING ? spinning : sleeping;
	long start = now_ns();
	char byte = 1;
	int ok = 0;

	switch (leg) {
	case LEG_BASELINE_SLEEPING:
	case LEG_BASELINE_SPINNING:
#ifdef __x86_64__
		ok = minimal_injection(c->pid, iov[0].iov_base,
				       iov[0].iov_len) == 0;
#endif
		break;
	case LEG_XMM_SLEEPING:
	case LEG_XMM_SPINNING:
		ok = xmm_process_madvise(c->pidfd, iov, 1, MADV_COLD, 0) ==
		     page;
		break;
	case LEG_LOOP_1000:
		ok = write(c->ask, &byte, 1) == 1 &&
		     read(c->done, &byte, 1) == 1;
		break;
	case LEG_XMM_1000:
		ok = xmm_process_madvise(c->pidfd, iov, RANGES, MADV_COLD,
					 0) == page * RANGES;
		break;
	default:
		break;
	}
	return ok ? now_ns() - start : -1;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 30;
	struct child sleeping, spinning;
	double median[LEGS];
	long *ns[LEGS];
	int per_round[LEGS], count[LEGS] = { 0 };
	int leg, round, i;

	page = sysconf(_SC_PAGESIZE);
#ifdef __x86_64__
	if (find_syscall_insn() < 0)
		return 1;
#else
	fprintf(stderr, "the baseline leg is written for x86_64\n");
	return 77;
#endif
	mem = mmap(NULL, (size_t)page * RANGES * 2, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 1, (size_t)page * RANGES * 2);
	/* Every other page: 1,000 separate ranges, never merged. */
	for (i = 0; i < RANGES; i++) {
		iov[i].iov_base = mem + (size_t)i * 2 * page;
		iov[i].iov_len = (size_t)page;
	}
	if (child_start(&sleeping, false) < 0 ||
	    child_start(&spinning, true) < 0 ||
	    xmm_backend_force("process_madvise", "inject") < 0) {
		perror("setup");
		return 1;
	}
	for (leg = 0; leg < LEGS; leg++) {
		per_round[leg] = leg >= LEG_LOOP_1000 ? 2 : ONE_RANGE_CALLS;
		ns[leg] = calloc((size_t)(rounds * per_round[leg]),
				 sizeof(long));
		if (!ns[leg])
			return 1;
	}
	/* A warm-up of each leg, then the rounds, legs alternating. */
	for (round = -1; round < rounds; round++) {
		for (leg = 0; leg < LEGS; leg++) {
			for (i = 0; i < per_round[leg]; i++) {
				long t = run_leg((enum leg)leg, &sleeping,
						 &spinning);

				if (t < 0) {
					fprintf(stderr, "%s: %s\n",
						leg_names[leg],
						strerror(errno));
					return 1;
				}
				if (round >= 0)
					ns[leg][count[leg]++] = t;
			}
		}
	}
	for (leg = 0; leg < LEGS; leg++) {
		median[leg] = median_us(ns[leg], count[leg]);
		printf("%-40s median %9.1f us\n", leg_names[leg],
		       median[leg]);
		free(ns[leg]);
	}
	printf("ratio, 1 range, sleeping target:  %.2fx (target <= 1.5x)\n",
	       median[LEG_XMM_SLEEPING] / median[LEG_BASELINE_SLEEPING]);
	printf("ratio, 1 range, spinning target:  %.2fx (target <= 1.5x)\n",
	       median[LEG_XMM_SPINNING] / median[LEG_BASELINE_SPINNING]);
	printf("ratio, 1,000 ranges:              %.2fx (target <= 1.2x)\n",
	       median[LEG_XMM_1000] / median[LEG_LOOP_1000]);
	child_stop(&sleeping);
	child_stop(&spinning);
	return 0;
}
