/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Which ABI a target process runs, checked before anything is injected
 * into it: a 64-bit caller must never run its own syscall numbers and
 * register layout in a 32-bit process (i386 under x86_64, arm32 under
 * arm64), nor an x32 one in an x86_64 process.
 */
#ifndef XMM_SRC_INJECT_ABI_H
#define XMM_SRC_INJECT_ABI_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

/* What an ELF header says about the ABI of the program it starts. */
struct xmm_elf_abi {
	uint8_t elf_class;	/* ELFCLASS32, ELFCLASS64 */
	uint8_t data;		/* ELFDATA2LSB, ELFDATA2MSB */
	uint16_t machine;	/* EM_X86_64, EM_386, EM_AARCH64, ... */
	uint32_t abi_flags;	/* the e_flags bits that pick an ABI (mips) */
};

/*
 * Read the ABI from the ELF header at the start of fd (pread, offset 0).
 * 0, -ENOEXEC when fd holds no ELF header, or -errno of the read.
 */
int xmm_elf_abi_read(int fd, struct xmm_elf_abi *abi);

/* Do two programs run the same syscall ABI? */
bool xmm_elf_abi_equal(const struct xmm_elf_abi *a,
		       const struct xmm_elf_abi *b);

/*
 * 0 when process pid runs this process's ABI (read from the ELF headers
 * of /proc/PID/exe and /proc/self/exe), -EXDEV when it runs another,
 * -ESRCH when there is no such process.  When the ABI cannot be read
 * (a kernel thread, an exe the caller may not read) it answers 0: the
 * attach that follows fails with its own documented errno.
 */
int xmm_inject_target_abi(pid_t pid);

/*
 * Does the register set a tracer reads (PTRACE_GETREGSET NT_PRSTATUS)
 * tell the target's ABI, so that xmm_inject_target_abi() may wait until
 * the attach fails?  The kernel answers with the tracee's own set, whose
 * size is smaller for a compat task: on x86_64 an i386 task's is 68 bytes
 * (not sizeof(struct user_regs_struct)), on arm64 an arm32 task's 72 (not
 * 272), on riscv64 an rv32 task's 128 (not 256).  An x32 task has the
 * x86_64 set: true on x86_64 only where the kernel runs no x32 syscall
 * (then no x32 program gets past its first one), probed once, and only
 * by a caller under no seccomp filter (one may kill on the probe).
 */
bool xmm_inject_regset_tells_abi(void);

#endif /* XMM_SRC_INJECT_ABI_H */
