/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Reading a tracee's general registers, shared by the per-arch injection
 * headers: the size the kernel answers tells the tracee's ABI.
 */
#ifndef XMM_SRC_ARCH_INJECT_REGSET_H
#define XMM_SRC_ARCH_INJECT_REGSET_H

#include <elf.h>
#include <errno.h>
#include <stddef.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>

/*
 * NT_PRSTATUS into regs, which holds this build's register set.  The
 * kernel answers with the tracee's own set, and a compat task's (i386,
 * arm32) is smaller: EXDEV, a target of another ABI (inject_abi.h).
 * -1 with errno set on failure, as ptrace(2).
 */
static inline int xmm_inject_get_prstatus(pid_t tid, void *regs, size_t size)
{
	struct iovec iov = { regs, size };

	if (ptrace(PTRACE_GETREGSET, tid, (void *)NT_PRSTATUS, &iov) < 0)
		return -1;
	if (iov.iov_len != size) {
		errno = EXDEV;
		return -1;
	}
	return 0;
}

#endif /* XMM_SRC_ARCH_INJECT_REGSET_H */
