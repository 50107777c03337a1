/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * riscv64 for the injection engine: `ecall` (00000073), number in a7,
 * args in a0..a5, result in a0.  The kernel keeps orig_a0 and the trap
 * cause out of the tracer's reach, and has already rewound an interrupted
 * syscall (a0 = orig_a0, pc at the ecall, cause cleared) before it reports
 * the stop, so restoring NT_PRSTATUS restarts it as the kernel intended.
 *
 * Except a call interrupted with -ERESTART_RESTARTBLOCK (relative sleeps,
 * timed waits): as on arm64, do_signal() turns it into restart_syscall
 * (a7 = __NR_restart_syscall) only after get_signal() returns, on the
 * resume from our stop, and only if pc is then still at that ecall.  So
 * the first call after each stop that took R borrows the ecall at R's pc
 * when there is one (XMM_INJECT_RESTART_ON_RESUME): the kernel's choice
 * shows at its syscall-entry stop as a7 = __NR_restart_syscall (the entry
 * path reloads a7 after the stop), which xmm_inject_take_restart() copies
 * into R's a7 before the call goes on with its own number.
 */
#ifndef XMM_ARCH_RISCV64_INJECT_H
#define XMM_ARCH_RISCV64_INJECT_H

#include <elf.h>
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <asm/ptrace.h>	/* struct user_regs_struct */

#include "../inject_regset.h"

#define XMM_INJECT_AUDIT_ARCH	0xc00000f3U	/* AUDIT_ARCH_RISCV64 */

static const unsigned char xmm_inject_insn[] = { 0x73, 0x00, 0x00, 0x00 };
#define XMM_INJECT_INSN_LEN	4

struct xmm_inject_regs {
	struct user_regs_struct gp;
};

static inline int xmm_inject_getregs(pid_t tid, struct xmm_inject_regs *r)
{
	return xmm_inject_get_prstatus(tid, &r->gp, sizeof(r->gp));
}

static inline int xmm_inject_setregs(pid_t tid,
				     const struct xmm_inject_regs *r)
{
	struct iovec iov = { (void *)&r->gp, sizeof(r->gp) };

	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov);
}

static inline void xmm_inject_set_call(struct xmm_inject_regs *r,
				       unsigned long insn, long nr,
				       const unsigned long arg[6])
{
	r->gp.pc = insn;
	r->gp.a7 = (unsigned long)nr;
	r->gp.a0 = arg[0];
	r->gp.a1 = arg[1];
	r->gp.a2 = arg[2];
	r->gp.a3 = arg[3];
	r->gp.a4 = arg[4];
	r->gp.a5 = arg[5];
}

static inline unsigned long xmm_inject_pc(const struct xmm_inject_regs *r)
{
	return r->gp.pc;
}

static inline long xmm_inject_entry_nr(const struct xmm_inject_regs *r)
{
	return (long)r->gp.a7;
}

/* At a syscall-entry stop: skip the syscall (it answers -ENOSYS). */
static inline void xmm_inject_cancel_entry(struct xmm_inject_regs *r)
{
	r->gp.a7 = (unsigned long)-1L;
}

#define XMM_INJECT_RESTART_ON_RESUME	1
#define XMM_INJECT_NR_RESTART_SYSCALL	128	/* __NR_restart_syscall */

/*
 * At the syscall-entry stop of a call set up as nr at R's ecall: did the
 * kernel's restart rule replace the number (a7) with restart_syscall?
 * Then R gets the restart, and the entry goes on as nr.
 */
static inline bool xmm_inject_take_restart(struct xmm_inject_regs *saved,
					   struct xmm_inject_regs *entry,
					   long nr)
{
	if ((long)entry->gp.a7 != XMM_INJECT_NR_RESTART_SYSCALL ||
	    nr == XMM_INJECT_NR_RESTART_SYSCALL)
		return false;
	saved->gp.a7 = XMM_INJECT_NR_RESTART_SYSCALL;
	entry->gp.a7 = (unsigned long)nr;
	return true;
}

static inline long xmm_inject_result(const struct xmm_inject_regs *r)
{
	return (long)r->gp.a0;
}

static inline bool xmm_inject_regs_equal(const struct xmm_inject_regs *a,
					 const struct xmm_inject_regs *b)
{
	return memcmp(&a->gp, &b->gp, sizeof(a->gp)) == 0;
}

#endif /* XMM_ARCH_RISCV64_INJECT_H */
