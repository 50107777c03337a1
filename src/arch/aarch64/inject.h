/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * aarch64 for the injection engine: `svc #0` (d4000001), number in x8,
 * args in x0..x5, result in x0.  The syscall the thread is in lives
 * outside NT_PRSTATUS, in NT_ARM_SYSTEM_CALL (-1: none); the engine saves
 * and restores it and sets -1 in the injected context so that no restart
 * logic runs.  orig_x0 cannot be read or written by a tracer (rr documents
 * the trap), but the kernel has already rewound an interrupted syscall
 * (x0 = orig_x0, pc at the svc) before it reports the stop, so restoring
 * NT_PRSTATUS restarts it with its own argument.
 *
 * Except a call interrupted with -ERESTART_RESTARTBLOCK (relative sleeps,
 * timed waits): do_signal() turns it into restart_syscall (x8 =
 * __NR_restart_syscall) only after get_signal() returns, on the resume
 * from our stop, and only if pc is then still at that svc; the saved
 * registers do not say whether it will.  So the first call after each
 * stop that took R borrows the svc at R's pc when there is one
 * (XMM_INJECT_RESTART_ON_RESUME): the kernel's choice then shows at its
 * syscall-entry stop as syscallno __NR_restart_syscall, which
 * xmm_inject_take_restart() copies into R's x8 before the call goes on
 * with its own number.  R restored later resumes the wait through
 * restart_syscall with the time it had left.
 */
#ifndef XMM_ARCH_AARCH64_INJECT_H
#define XMM_ARCH_AARCH64_INJECT_H

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "../inject_regset.h"

#ifndef NT_ARM_SYSTEM_CALL
#define NT_ARM_SYSTEM_CALL	0x404
#endif

#define XMM_INJECT_AUDIT_ARCH	0xc00000b7U	/* AUDIT_ARCH_AARCH64 */

static const unsigned char xmm_inject_insn[] = { 0x01, 0x00, 0x00, 0xd4 };
#define XMM_INJECT_INSN_LEN	4

struct xmm_inject_regs {
	struct user_regs_struct gp;
	int syscallno;
};

static inline int xmm_inject_getregs(pid_t tid, struct xmm_inject_regs *r)
{
	struct iovec nr = { &r->syscallno, sizeof(r->syscallno) };

	/* A compat (arm32) task's set is 72 bytes: EXDEV. */
	if (xmm_inject_get_prstatus(tid, &r->gp, sizeof(r->gp)) < 0)
		return -1;
	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &nr);
}

static inline int xmm_inject_setregs(pid_t tid,
				     const struct xmm_inject_regs *r)
{
	struct iovec iov = { (void *)&r->gp, sizeof(r->gp) };
	struct iovec nr = { (void *)&r->syscallno, sizeof(r->syscallno) };

	if (ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -1;
	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_ARM_SYSTEM_CALL, &nr);
}

static inline void xmm_inject_set_call(struct xmm_inject_regs *r,
				       unsigned long insn, long nr,
				       const unsigned long arg[6])
{
	int i;

	r->gp.pc = insn;
	r->gp.regs[8] = (unsigned long)nr;
	for (i = 0; i < 6; i++)
		r->gp.regs[i] = arg[i];
	r->syscallno = -1;
}

static inline unsigned long xmm_inject_pc(const struct xmm_inject_regs *r)
{
	return r->gp.pc;
}

static inline long xmm_inject_entry_nr(const struct xmm_inject_regs *r)
{
	return r->syscallno;
}

/* At a syscall-entry stop: skip the syscall (it answers -ENOSYS). */
static inline void xmm_inject_cancel_entry(struct xmm_inject_regs *r)
{
	r->syscallno = -1;
}

#define XMM_INJECT_RESTART_ON_RESUME	1
#define XMM_INJECT_NR_RESTART_SYSCALL	128	/* __NR_restart_syscall */

/*
 * At the syscall-entry stop of a call set up as nr at R's svc: did the
 * kernel's restart rule replace the number (x8) with restart_syscall?
 * Then R gets the restart, and the entry goes on as nr.
 */
static inline bool xmm_inject_take_restart(struct xmm_inject_regs *saved,
					   struct xmm_inject_regs *entry,
					   long nr)
{
	if (entry->syscallno != XMM_INJECT_NR_RESTART_SYSCALL ||
	    nr == XMM_INJECT_NR_RESTART_SYSCALL)
		return false;
	saved->gp.regs[8] = XMM_INJECT_NR_RESTART_SYSCALL;
	entry->gp.regs[8] = (unsigned long)nr;
	entry->syscallno = (int)nr;
	return true;
}

static inline long xmm_inject_result(const struct xmm_inject_regs *r)
{
	return (long)r->gp.regs[0];
}

static inline bool xmm_inject_regs_equal(const struct xmm_inject_regs *a,
					 const struct xmm_inject_regs *b)
{
	/* x7 reads as the entry/exit marker at syscall stops: ignore it. */
	struct xmm_inject_regs ca = *a, cb = *b;

	ca.gp.regs[7] = cb.gp.regs[7] = 0;
	return memcmp(&ca.gp, &cb.gp, sizeof(ca.gp)) == 0 &&
	       ca.syscallno == cb.syscallno;
}

#endif /* XMM_ARCH_AARCH64_INJECT_H */
