/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Raw system calls: this ABI's numbers from syscall_table.h, and
 * xmm_syscall0() .. xmm_syscall6() over the instruction that
 * src/arch/<arch>/syscall.h provides as xmm_arch_syscall6().
 *
 * The raw calls return the kernel's answer unchanged: a result, or a
 * negative errno.  They never touch errno, so the library's internal
 * functions can pass errors up as values and set errno once, at the edge.
 */
#ifndef XMM_SRC_SYSCALL_H
#define XMM_SRC_SYSCALL_H

#include <errno.h>

/* A syscall that has no number on this ABI. */
#define XMM_NR_NONE	(-1L)

#include <stdint.h>

#if defined(__x86_64__)
#include "arch/x86_64/syscall.h"
#elif defined(__aarch64__)
#include "arch/aarch64/syscall.h"
#elif defined(__riscv) && __riscv_xlen == 64
#include "arch/riscv64/syscall.h"
#else
#include "arch/generic/syscall.h"
#endif

/* Every argument travels as a full register; pointers go through uintptr_t
 * so that 32-bit ABIs with 64-bit registers (x32) convert cleanly. */
#define XMM_ARG(x)	((xmm_reg_t)(uintptr_t)(x))
#define xmm_syscall0(nr)	xmm_arch_syscall6(nr, 0, 0, 0, 0, 0, 0)
#define xmm_syscall1(nr, a)	xmm_arch_syscall6(nr, XMM_ARG(a), 0, 0, 0, 0, 0)
#define xmm_syscall2(nr, a, b)						\
	xmm_arch_syscall6(nr, XMM_ARG(a), XMM_ARG(b), 0, 0, 0, 0)
#define xmm_syscall3(nr, a, b, c)					\
	xmm_arch_syscall6(nr, XMM_ARG(a), XMM_ARG(b), XMM_ARG(c), 0, 0, 0)
#define xmm_syscall4(nr, a, b, c, d)					\
	xmm_arch_syscall6(nr, XMM_ARG(a), XMM_ARG(b), XMM_ARG(c),	\
			  XMM_ARG(d), 0, 0)
#define xmm_syscall5(nr, a, b, c, d, e)					\
	xmm_arch_syscall6(nr, XMM_ARG(a), XMM_ARG(b), XMM_ARG(c),	\
			  XMM_ARG(d), XMM_ARG(e), 0)
#define xmm_syscall6(nr, a, b, c, d, e, f)				\
	xmm_arch_syscall6(nr, XMM_ARG(a), XMM_ARG(b), XMM_ARG(c),	\
			  XMM_ARG(d), XMM_ARG(e), XMM_ARG(f))

/* This ABI's column of the table, as constants XMM_NR_<name>. */
#define XMM_SYSCALL(name, x86_64, i386, x32, aarch64, arm, riscv64,	\
		    loongarch64, powerpc, s390x, mips_o32, mips_n32,	\
		    mips_n64, alpha)					\
	XMM_NR_##name = XMM_ABI_COLUMN(x86_64, i386, x32, aarch64, arm,	\
				       riscv64, loongarch64, powerpc,	\
				       s390x, mips_o32, mips_n32,	\
				       mips_n64, alpha),
enum xmm_syscall_nr {
#include "syscall_table.h"
};
#undef XMM_SYSCALL

/*
 * Issue a syscall by table number.  A missing number answers -ENOSYS here,
 * without entering the kernel, so no other syscall can run in its place.
 */
#define xmm_sys(name, ...)						\
	((long)XMM_NR_##name < 0 ? -(long)ENOSYS :			\
	 xmm_sysN(XMM_NR_##name, ##__VA_ARGS__))

/*
 * Did a raw call fail?  Only -4095..-1 are errors: on a 32-bit ABI an
 * address above 2 GiB (mremap's, mmap's answer) is negative as a long too.
 */
static inline int xmm_sys_failed(long ret)
{
	return (unsigned long)ret > -4096UL;
}

/* Count the arguments to pick xmm_syscall0() .. xmm_syscall6(). */
#define XMM_NARGS(...)	XMM_NARGS_(0, ##__VA_ARGS__, 6, 5, 4, 3, 2, 1, 0)
#define XMM_NARGS_(z, a, b, c, d, e, f, n, ...)	n
#define XMM_CAT(a, b)	XMM_CAT_(a, b)
#define XMM_CAT_(a, b)	a##b
#define xmm_sysN(nr, ...)						\
	XMM_CAT(xmm_syscall, XMM_NARGS(__VA_ARGS__))(nr, ##__VA_ARGS__)

#endif /* XMM_SRC_SYSCALL_H */
