/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * x86_64 (and x32, whose tracee registers are the same 64-bit set) for the
 * injection engine: the `syscall` instruction 0f 05, number in rax, args in
 * rdi rsi rdx r10 r8 r9, result in rax.  orig_rax holds the number of the
 * syscall the thread is in (-1: none); the kernel's restart logic reads it.
 */
#ifndef XMM_ARCH_X86_64_INJECT_H
#define XMM_ARCH_X86_64_INJECT_H

#include <elf.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#define XMM_INJECT_AUDIT_ARCH	0xc000003eU	/* AUDIT_ARCH_X86_64 */

/* The syscall instruction and its length (the pc advances by it). */
static const unsigned char xmm_inject_insn[] = { 0x0f, 0x05 };
#define XMM_INJECT_INSN_LEN	2

struct xmm_inject_regs {
	struct user_regs_struct gp;
};

static inline int xmm_inject_getregs(pid_t tid, struct xmm_inject_regs *r)
{
	struct iovec iov = { &r->gp, sizeof(r->gp) };

	return ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov);
}

static inline int xmm_inject_setregs(pid_t tid,
				     const struct xmm_inject_regs *r)
{
	struct iovec iov = { (void *)&r->gp, sizeof(r->gp) };

	return ptrace(PTRACE_SETREGSET, tid, (void *)NT_PRSTATUS, &iov);
}

/*
 * Turn a copy of the saved registers into a context that executes
 * syscall nr at insn.  orig_rax -1: no syscall to restart when the
 * thread leaves its current stop.
 */
static inline void xmm_inject_set_call(struct xmm_inject_regs *r,
				       unsigned long insn, long nr,
				       const unsigned long arg[6])
{
	r->gp.rip = insn;
	r->gp.rax = (unsigned long)nr;
	r->gp.orig_rax = (unsigned long)-1L;
	r->gp.rdi = arg[0];
	r->gp.rsi = arg[1];
	r->gp.rdx = arg[2];
	r->gp.r10 = arg[3];
	r->gp.r8 = arg[4];
	r->gp.r9 = arg[5];
}

static inline unsigned long xmm_inject_pc(const struct xmm_inject_regs *r)
{
	return r->gp.rip;
}

/* At a syscall-entry stop: the number about to run. */
static inline long xmm_inject_entry_nr(const struct xmm_inject_regs *r)
{
	return (long)r->gp.orig_rax;
}

/* At a syscall-entry stop: skip the syscall (it answers -ENOSYS). */
static inline void xmm_inject_cancel_entry(struct xmm_inject_regs *r)
{
	r->gp.orig_rax = (unsigned long)-1L;
}

/* At a syscall-exit stop: the result. */
static inline long xmm_inject_result(const struct xmm_inject_regs *r)
{
	return (long)r->gp.rax;
}

static inline bool xmm_inject_regs_equal(const struct xmm_inject_regs *a,
					 const struct xmm_inject_regs *b)
{
	return memcmp(&a->gp, &b->gp, sizeof(a->gp)) == 0;
}

#endif /* XMM_ARCH_X86_64_INJECT_H */
