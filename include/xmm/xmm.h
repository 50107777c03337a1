/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xmm: cross-process memory operations for Linux, on every kernel.
 *
 * Three operations, each with the kernel's semantics and glibc-style
 * errors (-1, or MAP_FAILED, and errno):
 *
 *   xmm_process_madvise   process_madvise(2), merged in Linux 5.10
 *   xmm_process_vm_mmap   process_vm_mmap(), proposed in 2019
 *   xmm_remap_anon_pages  remap_anon_pages(), proposed in 2014
 *
 * Each runs the kernel's own system call where the kernel has it and a
 * fallback that keeps the same semantics where it does not.  See xmm(7).
 */
#ifndef XMM_XMM_H
#define XMM_XMM_H

#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <xmm/version.h>

#ifdef __cplusplus
extern "C" {
#endif

/* xmm_process_vm_mmap() flags, the values of the 2019 proposal. */
#define XMM_PVMMAP_FIXED		0x1UL
#define XMM_PVMMAP_FIXED_NOREPLACE	0x2UL

/* xmm_remap_anon_pages() flags, the values of the 2014 proposal. */
#define XMM_RAP_ALLOW_SRC_HOLES		0x1UL

/*
 * xmm_process_madvise() flag that the kernel never sees: apply advice the
 * kernel refuses for a remote target by running madvise(2) inside it with
 * ptrace.  See xmm_process_madvise(3).
 */
#define XMM_PMADV_INJECT		(1U << 31)
#define XMM_PMADV_INJECT_UNCHECKED	(1U << 30)

/*
 * A pidfd meaning "the calling process", the kernel's PIDFD_SELF_PROCESS
 * (Linux 6.15).  xmm_process_madvise() accepts it on every kernel.
 */
#define XMM_PIDFD_SELF			(-10001)

ssize_t xmm_process_madvise(int pidfd, const struct iovec *iov, size_t vlen,
			    int advice, unsigned int flags);

void *xmm_process_vm_mmap(pid_t pid, void *src_addr, size_t len,
			  void *dst_addr, unsigned long flags);

ssize_t xmm_remap_anon_pages(void *dst, void *src, size_t len,
			     unsigned long flags);

int xmm_pidfd_open(pid_t pid, unsigned int flags);

/*
 * Backends.  Every operation tries an ordered list of backends: the kernel's
 * system call first, then fallbacks.  These calls list them, force one (for
 * tests and benchmarks), and tell which one served the last call.
 */
struct xmm_backend_info {
	const char *operation;	/* "process_madvise", ... */
	const char *backend;	/* "native", ... */
	int available;		/* 1 when it can serve on this system */
	int reason;		/* when not: the errno that says why */
	const char *detail;	/* when not: a sentence that says why */
	int forced;		/* 1 when the operation is forced to it */
};

int xmm_backend_info(unsigned int index, struct xmm_backend_info *info);
int xmm_backend_force(const char *operation, const char *backend);
const char *xmm_backend_last(const char *operation);

/*
 * Opt-in glibc-style names: define XMM_GLIBC_NAMES before including this
 * header.  process_madvise() is offered only where libc does not declare
 * its own (glibc 2.36 and later do).
 */
#ifdef XMM_GLIBC_NAMES
#define PVMMAP_FIXED		XMM_PVMMAP_FIXED
#define PVMMAP_FIXED_NOREPLACE	XMM_PVMMAP_FIXED_NOREPLACE
#define RAP_ALLOW_SRC_HOLES	XMM_RAP_ALLOW_SRC_HOLES

static inline void *process_vm_mmap(pid_t pid, void *src_addr, size_t len,
				    void *dst_addr, unsigned long flags)
{
	return xmm_process_vm_mmap(pid, src_addr, len, dst_addr, flags);
}

static inline ssize_t remap_anon_pages(void *dst, void *src, size_t len,
				       unsigned long flags)
{
	return xmm_remap_anon_pages(dst, src, len, flags);
}

#if !defined(__GLIBC__) || __GLIBC__ < 2 || \
	(__GLIBC__ == 2 && __GLIBC_MINOR__ < 36)
static inline ssize_t process_madvise(int pidfd, const struct iovec *iov,
				      size_t vlen, int advice,
				      unsigned int flags)
{
	return xmm_process_madvise(pidfd, iov, vlen, advice, flags);
}
#endif
#endif /* XMM_GLIBC_NAMES */

#ifdef __cplusplus
}
#endif

/* Whole-process advice: mappings, selectors, xmm_advise_process(). */
#include <xmm/vma.h>

#endif /* XMM_XMM_H */
