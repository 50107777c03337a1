/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* x86_64 and x32: the syscall instruction, number in rax, args in
 * rdi rsi rdx r10 r8 r9; rcx and r11 are clobbered by the instruction. */
#ifndef XMM_ARCH_X86_64_SYSCALL_H
#define XMM_ARCH_X86_64_SYSCALL_H

#ifdef __ILP32__
#define XMM_ABI_COLUMN(x86_64, i386, x32, aarch64, arm, riscv64,	\
		       loongarch64, powerpc, s390x, mips_o32, mips_n32,	\
		       mips_n64, alpha)	(x32)
#define XMM_ABI_NAME	"x32"
#else
#define XMM_ABI_COLUMN(x86_64, i386, x32, aarch64, arm, riscv64,	\
		       loongarch64, powerpc, s390x, mips_o32, mips_n32,	\
		       mips_n64, alpha)	(x86_64)
#define XMM_ABI_NAME	"x86_64"
#endif

/*
 * The kernel's access_ok() limit, TASK_SIZE_MAX: 47 bits less a guard
 * page with 4-level paging; usercopy.c finds a wider one (5-level) at run
 * time.
 */
#define XMM_ARCH_USER_ADDR_BITS		47
#define XMM_ARCH_USER_TOP_GUARD		4096

typedef long long xmm_reg_t;	/* 64-bit registers, also on x32 */

static inline long xmm_arch_syscall6(long nr, xmm_reg_t a1, xmm_reg_t a2,
				xmm_reg_t a3, xmm_reg_t a4, xmm_reg_t a5,
				xmm_reg_t a6)
{
	register xmm_reg_t r10 __asm__("r10") = a4;
	register xmm_reg_t r8 __asm__("r8") = a5;
	register xmm_reg_t r9 __asm__("r9") = a6;
	xmm_reg_t ret;

	__asm__ volatile("syscall"
			 : "=a"(ret)
			 : "0"((xmm_reg_t)nr), "D"(a1), "S"(a2), "d"(a3),
			   "r"(r10), "r"(r8), "r"(r9)
			 : "rcx", "r11", "memory");
	return (long)ret;
}

#endif /* XMM_ARCH_X86_64_SYSCALL_H */
