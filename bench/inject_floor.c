// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The injection floors: a minimal hand-written injection and the
 * children it and the library inject into (see inject_floor.h).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "inject_floor.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef __x86_64__
/* A syscall instruction of libc's syscall(3): 0 until found. */
static unsigned long syscall_insn;

static bool find_syscall_insn(void)
{
	const unsigned char *p = (const unsigned char *)(void *)syscall;
	int i;

	for (i = 0; !syscall_insn && i < 256; i++)
		if (p[i] == 0x0f && p[i + 1] == 0x05)
			syscall_insn = (unsigned long)(p + i);
	return syscall_insn != 0;
}

bool bench_floor_supported(void)
{
	return find_syscall_insn();
}

static int wait_stop(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, __WALL) != pid)
		return -1;
	if (!WIFSTOPPED(status)) {
		errno = ESRCH;
		return -1;
	}
	return 0;
}

/*
 * The kernel's restart rule, as get_signal()'s caller applies it when no
 * signal is to be delivered: a syscall the stop interrupted runs again.
 */
static void apply_restart_rule(struct user_regs_struct *regs)
{
	if ((long)regs->orig_rax < 0)
		return;
	switch ((long)regs->rax) {
	case -512:	/* ERESTARTSYS */
	case -513:	/* ERESTARTNOINTR */
	case -514:	/* ERESTARTNOHAND */
		regs->rax = regs->orig_rax;
		regs->rip -= 2;
		break;
	case -516:	/* ERESTART_RESTARTBLOCK */
		regs->rax = SYS_restart_syscall;
		regs->rip -= 2;
		break;
	}
}

int bench_floor_inject(pid_t pid, void *addr, size_t len, int advice)
{
	struct user_regs_struct saved, regs;
	struct iovec io = { &saved, sizeof(saved) };

	if (!find_syscall_insn()) {
		errno = ENOSYS;
		return -1;
	}
	if (ptrace(PTRACE_SEIZE, pid, 0, 0) < 0 ||
	    ptrace(PTRACE_INTERRUPT, pid, 0, 0) < 0 || wait_stop(pid) < 0 ||
	    ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &io) < 0)
		return -1;
	regs = saved;
	regs.rip = syscall_insn;
	regs.rax = SYS_madvise;
	regs.orig_rax = (unsigned long)-1L;
	regs.rdi = (unsigned long)addr;
	regs.rsi = len;
	regs.rdx = (unsigned long)advice;
	io.iov_base = &regs;
	if (ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &io) < 0 ||
	    ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 || wait_stop(pid) < 0 ||
	    ptrace(PTRACE_SYSCALL, pid, 0, 0) < 0 || wait_stop(pid) < 0)
		return -1;
	apply_restart_rule(&saved);
	io.iov_base = &saved;
	if (ptrace(PTRACE_SETREGSET, pid, (void *)NT_PRSTATUS, &io) < 0 ||
	    ptrace(PTRACE_DETACH, pid, 0, 0) < 0)
		return -1;
	return 0;
}
#else
bool bench_floor_supported(void)
{
	return false;
}

int bench_floor_inject(pid_t pid, void *addr, size_t len, int advice)
{
	(void)pid, (void)addr, (void)len, (void)advice;
	errno = ENOSYS;
	return -1;
}
#endif

/* Sleeps in read(2); on a byte, runs the calls, answers a byte. */
static void loop_child(int ask, int done, const struct iovec *iov,
		       size_t vlen, int advice)
{
	char byte;
	size_t i;

	while (read(ask, &byte, 1) == 1) {
		for (i = 0; i < vlen; i++)
			syscall(SYS_madvise, iov[i].iov_base, iov[i].iov_len,
				advice);
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

int bench_floor_child_start(struct bench_floor_child *child,
			    enum bench_floor_kind kind,
			    const struct iovec *iov, size_t vlen, int advice)
{
	int ask[2], done[2], err;

	if (pipe2(ask, O_CLOEXEC) < 0)
		return -1;
	if (pipe2(done, O_CLOEXEC) < 0)
		goto close_ask;
	child->pid = fork();
	if (child->pid < 0)
		goto close_done;
	if (child->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (kind == BENCH_FLOOR_SPINNING)
			spin_child();
		close(ask[1]);
		close(done[0]);
		loop_child(ask[0], done[1], iov, vlen, advice);
	}
	close(ask[0]);
	close(done[1]);
	child->ask = ask[1];
	child->done = done[0];
	child->pidfd = (int)syscall(SYS_pidfd_open, child->pid, 0);
	if (child->pidfd < 0) {
		err = errno;
		bench_floor_child_stop(child);
		errno = err;
		return -1;
	}
	return 0;

close_done:
	err = errno;
	close(done[0]);
	close(done[1]);
	errno = err;
close_ask:
	err = errno;
	close(ask[0]);
	close(ask[1]);
	errno = err;
	return -1;
}

int bench_floor_child_loop(const struct bench_floor_child *child)
{
	char byte = 1;

	errno = 0;
	if (write(child->ask, &byte, 1) != 1 ||
	    read(child->done, &byte, 1) != 1) {
		if (!errno)
			errno = EPIPE;
		return -1;
	}
	return 0;
}

void bench_floor_child_stop(struct bench_floor_child *child)
{
	kill(child->pid, SIGKILL);
	while (waitpid(child->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (child->pidfd >= 0)
		close(child->pidfd);
	close(child->ask);
	close(child->done);
	child->pid = 0;
	child->pidfd = child->ask = child->done = -1;
}
