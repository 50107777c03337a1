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
#include <errno.h>
#include <stdbool.h>
#include <string.h>
#include <sys/ptrace.h>
#include <sys/uio.h>
#include <sys/user.h>

#include "../inject_regset.h"

#define XMM_INJECT_AUDIT_ARCH	0xc000003eU	/* AUDIT_ARCH_X86_64 */

/* The syscall instruction and its length (the pc advances by it). */
static const unsigned char xmm_inject_insn[] = { 0x0f, 0x05 };
#define XMM_INJECT_INSN_LEN	2

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

/*
 * The syscall exit path enters arch_do_signal_or_restart() when the thread
 * has TIF_SIGPENDING, which PTRACE_DETACH sets: a thread detached from a
 * syscall-exit stop with registers saved inside get_signal() goes through
 * the kernel's own restart rule, exactly as if it had been detached from
 * that stop (inject_ptrace.c, leave_from_syscall_stop()).
 */
#define XMM_INJECT_HAVE_RESTART_RULE	1

static inline bool xmm_inject_regs_equal(const struct xmm_inject_regs *a,
					 const struct xmm_inject_regs *b)
{
	return memcmp(&a->gp, &b->gp, sizeof(a->gp)) == 0;
}

/*
 * The batch stub: copied into a fresh private mapping of the target (no
 * other code of it is ever written), it runs the table of calls without a
 * stop per call.  Table entries are struct xmm_inject_call (nr, six args,
 * ret: 64 bytes).  r12 = next entry, r13 = entries left, r14 = stop after
 * an error, r15 = entries done; int3 at the end.
 *
 *   1: test %r13,%r13 ; jz 3f
 *      mov 0(%r12),%rax ; mov 8..48(%r12),%rdi %rsi %rdx %r10 %r8 %r9
 *      syscall
 *      mov %rax,56(%r12) ; inc %r15 ; add $64,%r12 ; dec %r13
 *      test %r14,%r14 ; jz 1b ; cmp $-4095,%rax ; jb 1b
 *   3: int3
 */
#ifdef __LP64__	/* x32's entries are 32 bytes: one stop per call there */
#define XMM_INJECT_HAVE_STUB	1
#endif
/* Where the stub's syscall instruction ends: the IP a seccomp filter sees. */
#define XMM_INJECT_STUB_SYSCALL_END	41

static const unsigned char xmm_inject_stub[] = {
	0x4d, 0x85, 0xed, 0x74, 0x40, 0x49, 0x8b, 0x04, 0x24, 0x49, 0x8b,
	0x7c, 0x24, 0x08, 0x49, 0x8b, 0x74, 0x24, 0x10, 0x49, 0x8b, 0x54,
	0x24, 0x18, 0x4d, 0x8b, 0x54, 0x24, 0x20, 0x4d, 0x8b, 0x44, 0x24,
	0x28, 0x4d, 0x8b, 0x4c, 0x24, 0x30, 0x0f, 0x05, 0x49, 0x89, 0x44,
	0x24, 0x38, 0x49, 0xff, 0xc7, 0x49, 0x83, 0xc4, 0x40, 0x49, 0xff,
	0xcd, 0x4d, 0x85, 0xf6, 0x74, 0xc3, 0x48, 0x3d, 0x01, 0xf0, 0xff,
	0xff, 0x72, 0xbb, 0xcc,
};

static inline void xmm_inject_set_stub(struct xmm_inject_regs *r,
				       unsigned long code, unsigned long table,
				       unsigned long count, bool stop_on_error)
{
	r->gp.rip = code;
	r->gp.orig_rax = (unsigned long)-1L;
	r->gp.r12 = table;
	r->gp.r13 = count;
	r->gp.r14 = stop_on_error;
	r->gp.r15 = 0;
}

/* Entries the stub has run (their ret stored). */
static inline unsigned long
xmm_inject_stub_done(const struct xmm_inject_regs *r)
{
	return r->gp.r15;
}

#endif /* XMM_ARCH_X86_64_INJECT_H */
