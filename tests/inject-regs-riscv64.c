// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The injection engine's riscv64 code (src/arch/riscv64/inject.h) against
 * real children: what tests/inject.c checks with x86_64 registers, with
 * riscv64's.  A target blocked in read(2) by a raw ecall with patterns in
 * f0-f31 shows the same integer registers, FP registers and fcsr, signal
 * mask and pending signals to a tracer before and after 50 injections,
 * and its read restarts with its own arguments (a0 = the fd again: the
 * kernel keeps orig_a0 out of a tracer's reach) and returns the data
 * written afterwards.  A target spinning with known values in 21 integer
 * and 8 FP registers finds them intact after 300 injections.  Built on
 * riscv64 only; runs in the riscv64 guest (doc/architectures.md).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <asm/ptrace.h>	/* user_regs_struct, __riscv_d_ext_state */

#include "inject-common.h"
#include "inject-target.h"

struct snapshot {
	struct user_regs_struct gp;
	struct __riscv_d_ext_state fp;	/* f0-f31, fcsr */
	unsigned long long sigmask;
	char pending[64], shared_pending[64], blocked[64];
};

/* The target's state as a tracer sees it at a PTRACE_INTERRUPT stop. */
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
	assert_int_equal(gp.iov_len, sizeof(snap->gp));
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

/* f0-f31, as bit patterns (fld/fsd move them unchanged). */
static const unsigned long long fp_pattern[32] = {
	0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x1111111111111111ULL,
	0x2222222222222222ULL, 0x3333333333333333ULL, 0x4444444444444444ULL,
	0x5555555555555555ULL, 0x6666666666666666ULL, 0x7777777777777777ULL,
	0x8888888888888888ULL, 0x9999999999999999ULL, 0xaaaaaaaaaaaaaaaaULL,
	0xbbbbbbbbbbbbbbbbULL, 0xccccccccccccccccULL, 0xddddddddddddddddULL,
	0xeeeeeeeeeeeeeeeeULL, 0x0f0f0f0f0f0f0f0fULL, 0xf0f0f0f0f0f0f0f0ULL,
	0x1234123412341234ULL, 0x5678567856785678ULL, 0x9abc9abc9abc9abcULL,
	0xdef0def0def0def0ULL, 0x0102030405060708ULL, 0x090a0b0c0d0e0f10ULL,
	0x1112131415161718ULL, 0x191a1b1c1d1e1f20ULL, 0x2122232425262728ULL,
	0x292a2b2c2d2e2f30ULL, 0x3132333435363738ULL, 0x393a3b3c3d3e3f40ULL,
	0x4142434445464748ULL, 0x494a4b4c4d4e4f50ULL,
};

#define FP_LOAD(n)	"fld f" #n ", " #n "*8(%[in])\n\t"
#define FP_STORE(n)	"fsd f" #n ", " #n "*8(%[out])\n\t"
#define FP_ALL(op)	op(0) op(1) op(2) op(3) op(4) op(5) op(6) op(7) \
			op(8) op(9) op(10) op(11) op(12) op(13) op(14) op(15) \
			op(16) op(17) op(18) op(19) op(20) op(21) op(22) \
			op(23) op(24) op(25) op(26) op(27) op(28) op(29) \
			op(30) op(31)

/*
 * Load f0-f31 with patterns, block in read(2) by a raw ecall (no libc
 * code in between that could touch them), and check them afterwards.
 */
static int blocked_read_child(void *arg)
{
	struct shared *s = arg;
	unsigned long long after[32];
	char buf[8] = "";
	sigset_t usr;
	long got;

	/* Pending, blocked signals the injection must leave pending: one
	 * for the thread, one for the process. */
	sigemptyset(&usr);
	sigaddset(&usr, SIGUSR2);
	sigaddset(&usr, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr, NULL);
	if (harness_raise(SIGUSR2) < 0)
		return 5;
	kill(getpid(), SIGUSR1);
	s->ready = 1;
	{
		/* Set right before the asm: a call in between would clobber
		 * them. */
		register long a0 __asm__("a0") = s->value[0];
		register long a1 __asm__("a1") = (long)buf;
		register long a2 __asm__("a2") = sizeof(buf) - 1;
		register long a7 __asm__("a7") = SYS_read;

		__asm__ volatile(
			FP_ALL(FP_LOAD)
			"ecall\n\t"
			FP_ALL(FP_STORE)
			: "+r"(a0)
			: "r"(a1), "r"(a2), "r"(a7), [in] "r"(fp_pattern),
			  [out] "r"(after)
			: "memory", "f0", "f1", "f2", "f3", "f4", "f5", "f6",
			  "f7", "f8", "f9", "f10", "f11", "f12", "f13", "f14",
			  "f15", "f16", "f17", "f18", "f19", "f20", "f21",
			  "f22", "f23", "f24", "f25", "f26", "f27", "f28",
			  "f29", "f30", "f31");
		got = a0;
	}
	if (got != 5 || strcmp(buf, "after") != 0)
		return 2;	/* the read did not return the later data */
	if (memcmp(after, fp_pattern, sizeof(after)) != 0)
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

	/* The stop shows the read rewound for its restart: pc on the ecall,
	 * a0 the fd again, a7 read. */
	assert_int_equal(before.gp.a0, fds[0]);
	assert_int_equal(before.gp.a7, SYS_read);
	assert_memory_equal(&before.gp, &after.gp, sizeof(before.gp));
	/* The snapshot does see the registers the target loaded. */
	assert_memory_equal(before.fp.f, fp_pattern, sizeof(fp_pattern));
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
	struct busy_control *s = mmap(NULL, sizeof(*s),
				      PROT_READ | PROT_WRITE,
				      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct target t;
	int i;

	(void)state;
	assert_true(s != MAP_FAILED);
	target_start(&t, busy_registers_child, s);
	for (i = 0; i < 50000 && !s->ready; i++)
		tick();
	assert_true(s->ready);
	for (i = 0; i < 300; i++)
		assert_int_equal(inject_madvise(t.pidfd, scratch, MiB,
						MADV_COLD, 0), (ssize_t)MiB);
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}

static int setup(void **state)
{
	(void)state;
	return inject_setup(false);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_state_identical_around_injection),
		cmocka_unit_test(test_busy_target_registers_intact),
	};

	return cmocka_run_group_tests(tests, setup, inject_teardown);
}
