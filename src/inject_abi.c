// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The target's ABI, from the ELF header of the program it runs
 * (/proc/PID/exe), compared with the caller's own (/proc/self/exe).  The
 * exe is what the kernel's binfmt_elf chose the syscall ABI from at
 * execve(): ELF class and machine (x86_64 vs i386 vs x32: class 32 with
 * EM_X86_64), and for mips the e_flags that tell o32 from n32.
 */
#include "internal.h"
#include "inject_abi.h"

#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

/* mips: n32 is ELFCLASS32 like o32, told apart by EF_MIPS_ABI2. */
/* 0x0000f000 is EF_MIPS_ABI: o64, eabi. */
#define MIPS_ABI_FLAGS	(EF_MIPS_ABI2 | 0x0000f000)

int xmm_elf_abi_read(int fd, struct xmm_elf_abi *abi)
{
	/* Elf32_Ehdr and Elf64_Ehdr agree up to e_version; e_flags differs. */
	union {
		unsigned char ident[EI_NIDENT];
		Elf32_Ehdr h32;
		Elf64_Ehdr h64;
	} hdr;
	ssize_t got = pread(fd, &hdr, sizeof(hdr), 0);
	bool big_endian;
	uint16_t machine;
	uint32_t flags;

	if (got < 0)
		return -errno;
	if ((size_t)got < sizeof(hdr.h32) ||
	    memcmp(hdr.ident, ELFMAG, SELFMAG) != 0)
		return -ENOEXEC;
	switch (hdr.ident[EI_CLASS]) {
	case ELFCLASS32:
		machine = hdr.h32.e_machine;
		flags = hdr.h32.e_flags;
		break;
	case ELFCLASS64:
		if ((size_t)got < sizeof(hdr.h64))
			return -ENOEXEC;
		machine = hdr.h64.e_machine;
		flags = hdr.h64.e_flags;
		break;
	default:
		return -ENOEXEC;
	}
	if (hdr.ident[EI_DATA] != ELFDATA2LSB &&
	    hdr.ident[EI_DATA] != ELFDATA2MSB)
		return -ENOEXEC;
	/* The fields are in the file's byte order, not necessarily ours. */
	big_endian = hdr.ident[EI_DATA] == ELFDATA2MSB;
	if (big_endian != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)) {
		machine = __builtin_bswap16(machine);
		flags = __builtin_bswap32(flags);
	}
	abi->elf_class = hdr.ident[EI_CLASS];
	abi->data = hdr.ident[EI_DATA];
	abi->machine = machine;
	abi->abi_flags = machine == EM_MIPS ? flags & MIPS_ABI_FLAGS : 0;
	return 0;
}

bool xmm_elf_abi_equal(const struct xmm_elf_abi *a,
		       const struct xmm_elf_abi *b)
{
	return a->elf_class == b->elf_class && a->data == b->data &&
	       a->machine == b->machine && a->abi_flags == b->abi_flags;
}

static int exe_abi(const char *path, struct xmm_elf_abi *abi)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	int ret;

	if (fd < 0)
		return -errno;
	ret = xmm_elf_abi_read(fd, abi);
	close(fd);
	return ret;
}

/*
 * Our own ABI, read once: only execve() changes the program a process
 * runs, and it starts this library afresh.  A forked child runs the same
 * program.  Of concurrent first callers, the one that claims the slot
 * stores the value, then sets the flag; the others use what they read.
 */
static struct {
	atomic_bool claimed;
	atomic_bool known;
	struct xmm_elf_abi abi;
} own_abi_cache;

static int own_abi(struct xmm_elf_abi *abi)
{
	int ret;

	if (atomic_load_explicit(&own_abi_cache.known, memory_order_acquire)) {
		*abi = own_abi_cache.abi;
		return 0;
	}
	ret = exe_abi("/proc/self/exe", abi);
	if (ret < 0)
		return ret;
	if (!atomic_exchange(&own_abi_cache.claimed, true)) {
		own_abi_cache.abi = *abi;
		atomic_store_explicit(&own_abi_cache.known, true,
				      memory_order_release);
	}
	return 0;
}

int xmm_inject_target_abi(pid_t pid)
{
	struct xmm_elf_abi mine, theirs;
	char path[32];
	int ret;

	if (pid <= 0)
		return -ESRCH;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ret = exe_abi(path, &theirs);
	if (ret == -ENOENT) {
		/* No exe: a kernel thread, or no process at all. */
		snprintf(path, sizeof(path), "/proc/%d", (int)pid);
		return access(path, F_OK) == 0 ? 0 : -ESRCH;
	}
	if (ret < 0)
		return 0;	/* unreadable: the attach decides */
	if (own_abi(&mine) < 0)
		return 0;
	return xmm_elf_abi_equal(&mine, &theirs) ? 0 : -EXDEV;
}

#if defined(__x86_64__) && !defined(__ILP32__)
/* <asm/unistd_x32.h>: the bit that makes a number an x32 syscall. */
#define X32_SYSCALL_BIT	0x40000000L

/* 0: not probed yet, 1: the kernel runs no x32 syscall, 2: it does. */
static atomic_int x32_state;

bool xmm_inject_regset_tells_abi(void)
{
	int state = atomic_load(&x32_state);

	if (state)
		return state == 1;
	/* Under a filter an unknown number may kill us: not probed. */
	if (prctl(PR_GET_SECCOMP, 0, 0, 0, 0) != 0)
		return false;
	if (syscall(X32_SYSCALL_BIT | SYS_getpid) < 0 && errno == ENOSYS)
		state = 1;
	else
		state = 2;
	atomic_store(&x32_state, state);
	return state == 1;
}
#elif defined(__aarch64__) || (defined(__riscv) && __riscv_xlen == 64)
bool xmm_inject_regset_tells_abi(void)
{
	return true;
}
#else
bool xmm_inject_regset_tells_abi(void)
{
	return false;
}
#endif
