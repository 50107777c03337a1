/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* riscv64: ecall, number in a7, args in a0..a5, result in a0. */
#ifndef XMM_ARCH_RISCV64_SYSCALL_H
#define XMM_ARCH_RISCV64_SYSCALL_H

#define XMM_ABI_COLUMN(x86_64, i386, x32, aarch64, arm, riscv64,	\
		       loongarch64, powerpc, s390x, mips_o32, mips_n32,	\
		       mips_n64, alpha)	(riscv64)
#define XMM_ABI_NAME	"riscv64"

/* access_ok(): TASK_SIZE is 1 << 38 with Sv39 (Sv48, Sv57 found at run time). */
#define XMM_ARCH_USER_ADDR_BITS		38
#define XMM_ARCH_USER_TOP_GUARD		0

typedef long xmm_reg_t;

static inline long xmm_arch_syscall6(long nr, xmm_reg_t a1, xmm_reg_t a2,
				xmm_reg_t a3, xmm_reg_t a4, xmm_reg_t a5,
				xmm_reg_t a6)
{
	register long a7 __asm__("a7") = nr;
	register long a0 __asm__("a0") = a1;
	register long r1 __asm__("a1") = a2;
	register long r2 __asm__("a2") = a3;
	register long r3 __asm__("a3") = a4;
	register long r4 __asm__("a4") = a5;
	register long r5 __asm__("a5") = a6;

	__asm__ volatile("ecall"
			 : "+r"(a0)
			 : "r"(a7), "r"(r1), "r"(r2), "r"(r3), "r"(r4),
			   "r"(r5)
			 : "memory");
	return a0;
}

#endif /* XMM_ARCH_RISCV64_SYSCALL_H */
