/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* aarch64: svc #0, number in x8, args in x0..x5, result in x0. */
#ifndef XMM_ARCH_AARCH64_SYSCALL_H
#define XMM_ARCH_AARCH64_SYSCALL_H

#define XMM_ABI_COLUMN(x86_64, i386, x32, aarch64, arm, riscv64,	\
		       loongarch64, powerpc, s390x, mips_o32, mips_n32,	\
		       mips_n64, alpha)	(aarch64)
#define XMM_ABI_NAME	"aarch64"

/* access_ok(): TASK_SIZE_MAX is 1 << VA_BITS (48; 52 found at run time). */
#define XMM_ARCH_USER_ADDR_BITS		48
#define XMM_ARCH_USER_TOP_GUARD		0

typedef long xmm_reg_t;

static inline long xmm_arch_syscall6(long nr, xmm_reg_t a1, xmm_reg_t a2,
				xmm_reg_t a3, xmm_reg_t a4, xmm_reg_t a5,
				xmm_reg_t a6)
{
	register long x8 __asm__("x8") = nr;
	register long x0 __asm__("x0") = a1;
	register long x1 __asm__("x1") = a2;
	register long x2 __asm__("x2") = a3;
	register long x3 __asm__("x3") = a4;
	register long x4 __asm__("x4") = a5;
	register long x5 __asm__("x5") = a6;

	__asm__ volatile("svc #0"
			 : "+r"(x0)
			 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4),
			   "r"(x5)
			 : "memory");
	return x0;
}

#endif /* XMM_ARCH_AARCH64_SYSCALL_H */
