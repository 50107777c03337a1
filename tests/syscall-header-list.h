/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Every name of src/syscall_table.h, as the kernel headers of the machine
 * compiling this spell it.  Define HEADER_NR(name) before including.
 * Used by syscall-table.c (at run time) and syscall-table-static.c (at
 * compile time, by cross compilers).  HEADER_NONE(name) names a merged
 * call these headers do not have: the table must give it no number either
 * (a reader that does not check that leaves it undefined).
 */
#ifndef HEADER_NONE
#define HEADER_NONE(name)
#define XMM_HEADER_NONE_DEFAULT
#endif
/* i386, s390x and arm name the struct-argument old_mmap __NR_mmap: the
 * table gives them no mmap (XMM_NR_NONE). */
#if defined(__NR_mmap) && \
	!(defined(__i386__) || defined(__s390x__) || defined(__arm__))
HEADER_NR(mmap)
#endif
#ifdef __NR_munmap
HEADER_NR(munmap)
#else
HEADER_NONE(munmap)
#endif
#ifdef __NR_mremap
HEADER_NR(mremap)
#else
HEADER_NONE(mremap)
#endif
#ifdef __NR_madvise
HEADER_NR(madvise)
#else
HEADER_NONE(madvise)
#endif
#ifdef __NR_process_vm_readv
HEADER_NR(process_vm_readv)
#else
HEADER_NONE(process_vm_readv)
#endif
#ifdef __NR_process_vm_writev
HEADER_NR(process_vm_writev)
#else
HEADER_NONE(process_vm_writev)
#endif
#ifdef __NR_memfd_create
HEADER_NR(memfd_create)
#else
HEADER_NONE(memfd_create)
#endif
#ifdef __NR_userfaultfd
HEADER_NR(userfaultfd)
#else
HEADER_NONE(userfaultfd)
#endif
#ifdef __NR_pidfd_send_signal
HEADER_NR(pidfd_send_signal)
#else
HEADER_NONE(pidfd_send_signal)
#endif
#ifdef __NR_pidfd_open
HEADER_NR(pidfd_open)
#else
HEADER_NONE(pidfd_open)
#endif
#ifdef __NR_pidfd_getfd
HEADER_NR(pidfd_getfd)
#else
HEADER_NONE(pidfd_getfd)
#endif
#ifdef __NR_process_madvise
HEADER_NR(process_madvise)
#else
HEADER_NONE(process_madvise)
#endif
#ifdef __NR_process_mrelease
HEADER_NR(process_mrelease)
#else
HEADER_NONE(process_mrelease)
#endif
#ifdef __NR_process_vm_mmap
HEADER_NR(process_vm_mmap)
#endif
#ifdef __NR_remap_anon_pages
HEADER_NR(remap_anon_pages)
#endif
#ifdef XMM_HEADER_NONE_DEFAULT
#undef HEADER_NONE
#undef XMM_HEADER_NONE_DEFAULT
#endif
