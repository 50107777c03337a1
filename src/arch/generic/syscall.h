/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every other ABI: numbers from the table, the instruction from libc's
 * syscall(2).  errno is saved and restored so that, as on the raw arches,
 * the answer comes back only as a negative value.
 */
#ifndef XMM_ARCH_GENERIC_SYSCALL_H
#define XMM_ARCH_GENERIC_SYSCALL_H

#include <errno.h>
#include <unistd.h>
#include <sys/syscall.h>

#if defined(__i386__)
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(i386)
#define XMM_ABI_NAME	"i386"
#elif defined(__arm__) && defined(__ARM_EABI__)
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(arm)
#define XMM_ABI_NAME	"arm"
#elif defined(__loongarch64)
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(la64)
#define XMM_ABI_NAME	"loongarch64"
#elif defined(__powerpc__)
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(ppc)
#define XMM_ABI_NAME	"powerpc"
#elif defined(__s390x__)
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(s390x)
#define XMM_ABI_NAME	"s390x"
#elif defined(__mips__) && _MIPS_SIM == _ABIO32
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(o32)
#define XMM_ABI_NAME	"mips-o32"
#elif defined(__mips__) && _MIPS_SIM == _ABIN32
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(n32)
#define XMM_ABI_NAME	"mips-n32"
#elif defined(__mips__) && _MIPS_SIM == _ABI64
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(n64)
#define XMM_ABI_NAME	"mips-n64"
#elif defined(__alpha__)
#define XMM_ABI_PICK(x86_64, i386, x32, aarch64, arm, riscv64, la64, ppc, \
		     s390x, o32, n32, n64, alpha)	(alpha)
#define XMM_ABI_NAME	"alpha"
#else
#error "xmm: no syscall table column for this ABI; add one to syscall_table.h"
#endif

#define XMM_ABI_COLUMN(...)	XMM_ABI_PICK(__VA_ARGS__)

typedef long xmm_reg_t;

static inline long xmm_arch_syscall6(long nr, xmm_reg_t a1, xmm_reg_t a2,
				xmm_reg_t a3, xmm_reg_t a4, xmm_reg_t a5,
				xmm_reg_t a6)
{
	int saved_errno = errno;
	long ret = syscall(nr, a1, a2, a3, a4, a5, a6);

	if (ret == -1) {
		ret = -errno;
		errno = saved_errno;
	}
	return ret;
}

#endif /* XMM_ARCH_GENERIC_SYSCALL_H */
