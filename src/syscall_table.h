/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The single source of the system call numbers xmm issues raw, one column
 * per ABI.  Numbers were read from Linux 6.1's arch/<arch>/.../syscall*.tbl
 * and include/uapi/asm-generic/unistd.h; tests/syscall-table.c checks
 * this machine's column against <asm/unistd.h> and
 * tests/syscall-table-cross.sh checks other columns with cross compilers.
 *
 * Column notes:
 *  - aarch64, riscv64 and loongarch64 use the asm-generic numbering.
 *  - x32 numbers carry __X32_SYSCALL_BIT (0x40000000); process_vm_readv and
 *    process_vm_writev have x32-only entries (539, 540).
 *  - mips numbers include the ABI base: o32 4000, n64 5000, n32 6000.
 *  - powerpc and powerpc64 share one table, as do s390 and s390x.
 *  - alpha numbers its newer calls 110 above the unified ones.
 *  - XMM_NR_NONE: no number; the raw call answers ENOSYS without entering
 *    the kernel, so an unmerged call can never run another syscall.
 *
 * XMM_SYSCALL(name, x86_64, i386, x32, aarch64, arm, riscv64, loongarch64,
 *             powerpc, s390x, mips_o32, mips_n32, mips_n64, alpha)
 */
#define XMM_X32(nr)	((nr) | 0x40000000)

/* mmap: the six-argument call only.  i386 and s390x number an old_mmap
 * that takes a struct, and arm EABI has mmap2 alone: none here. */
XMM_SYSCALL(mmap,		9, XMM_NR_NONE, XMM_X32(9), 222, XMM_NR_NONE,
	    222, 222, 90, XMM_NR_NONE, 4090, 6009, 5009, 71)
XMM_SYSCALL(munmap,		11, 91, XMM_X32(11), 215, 91, 215, 215,
	    91, 91, 4091, 6011, 5011, 73)
XMM_SYSCALL(mremap,		25, 163, XMM_X32(25), 216, 163, 216, 216,
	    163, 163, 4167, 6024, 5024, 341)
XMM_SYSCALL(madvise,		28, 219, XMM_X32(28), 233, 220, 233, 233,
	    205, 219, 4218, 6027, 5027, 75)
XMM_SYSCALL(process_vm_readv,	310, 347, XMM_X32(539), 270, 376, 270, 270,
	    351, 340, 4345, 6309, 5304, 504)
XMM_SYSCALL(process_vm_writev,	311, 348, XMM_X32(540), 271, 377, 271, 271,
	    352, 341, 4346, 6310, 5305, 505)
XMM_SYSCALL(memfd_create,	319, 356, XMM_X32(319), 279, 385, 279, 279,
	    360, 350, 4354, 6318, 5314, 512)
XMM_SYSCALL(userfaultfd,	323, 374, XMM_X32(323), 282, 388, 282, 282,
	    364, 355, 4357, 6321, 5317, 516)
XMM_SYSCALL(pidfd_send_signal,	424, 424, XMM_X32(424), 424, 424, 424, 424,
	    424, 424, 4424, 6424, 5424, 534)
XMM_SYSCALL(pidfd_open,		434, 434, XMM_X32(434), 434, 434, 434, 434,
	    434, 434, 4434, 6434, 5434, 544)
XMM_SYSCALL(pidfd_getfd,	438, 438, XMM_X32(438), 438, 438, 438, 438,
	    438, 438, 4438, 6438, 5438, 548)
XMM_SYSCALL(process_madvise,	440, 440, XMM_X32(440), 440, 440, 440, 440,
	    440, 440, 4440, 6440, 5440, 550)
XMM_SYSCALL(process_mrelease,	448, 448, XMM_X32(448), 448, 448, 448, 448,
	    448, 448, 4448, 6448, 5448, 558)

/*
 * Unmerged system calls, as kernel/patches/ adds them to Linux 6.1.
 *
 * The numbers are ours.  Mainline assigns numbers upward from the unified
 * 440s (about ten a year): 990 and 991 are decades away from any of them,
 * and below 1000 so that they stay inside each mips ABI's block (o32 4000,
 * n64 5000, n32 6000).  alpha keeps its offset of 110, x32 its bit.  The
 * library calls them only after a probe that only our kernels answer with
 * EINVAL (see the native backends), so an unpatched kernel, even one that
 * some day gives these numbers to something else, is never asked to run
 * them with real arguments.
 */
XMM_SYSCALL(process_vm_mmap,	990, 990, XMM_X32(990), 990, 990, 990, 990,
	    990, 990, 4990, 6990, 5990, 1100)
XMM_SYSCALL(remap_anon_pages,	991, 991, XMM_X32(991), 991, 991, 991, 991,
	    991, 991, 4991, 6991, 5991, 1101)

#undef XMM_X32

/*
 * Historical numbers, recorded so nobody reuses them: the original
 * proposals' numbers, which mainline gave to other calls.  Never called;
 * XMM_SYSCALL_HISTORICAL expands to nothing unless a reader defines it
 * (tests/syscall-table.c checks that each collides as noted).
 *
 * XMM_SYSCALL_HISTORICAL(name, abi, number, proposal, mainline_owner)
 */
#ifdef XMM_SYSCALL_HISTORICAL
XMM_SYSCALL_HISTORICAL(process_vm_mmap, x86_64, 428, "RFC, May 2019",
		       open_tree)
XMM_SYSCALL_HISTORICAL(process_vm_mmap, x86_64, 434, "v2, May 2019",
		       pidfd_open)
XMM_SYSCALL_HISTORICAL(remap_anon_pages, x86_64, 317, "RFC, 2014",
		       seccomp)
XMM_SYSCALL_HISTORICAL(remap_anon_pages, x86_64, 321, "v1, Oct 2014", bpf)
XMM_SYSCALL_HISTORICAL(remap_anon_pages, i386, 354, "RFC, 2014", seccomp)
XMM_SYSCALL_HISTORICAL(remap_anon_pages, i386, 357, "v1, Oct 2014", bpf)
XMM_SYSCALL_HISTORICAL(remap_anon_pages, powerpc, 361, "v1, Oct 2014", bpf)
#endif
