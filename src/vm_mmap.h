/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xmm_process_vm_mmap(): the call every backend receives, and what the
 * fallback backends share: the source VMA as /proc describes it, the object
 * behind it, and where the clone goes.
 */
#ifndef XMM_SRC_VM_MMAP_H
#define XMM_SRC_VM_MMAP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "procfs.h"

struct xmm_backend;

struct xmm_vm_mmap_call {
	/* As the caller passed them. */
	pid_t pid;
	/* The target, pinned once: every /proc file is read under
	 * pin.dirfd, and pin.pidfd is checked alive at the end. */
	struct xmm_proc_pin pin;
	void *src_addr;
	size_t len;
	void *dst_addr;
	unsigned long flags;
	/* The address of the new mapping: on 32-bit ABIs an address can
	 * look negative, so it never travels in the return value. */
	void *mapped;

	/* Checked before any backend runs. */
	uintptr_t src;		/* src_addr rounded down to a page */
	size_t size;		/* len rounded up to pages */
	size_t page_size;

	/*
	 * Filled once by xmm_vm_mmap_prepare() for the fallbacks: the
	 * permission check, the source VMA, and the object behind it.
	 */
	bool prepared;
	int prepare_err;
	bool readv_refused;	/* by seccomp or a policy, not by ptrace */
	struct xmm_proc_vma vma;	/* the source mapping */
	int object_fd;		/* the VMA's file, or -1 */

	/* FIXED: the free parts of dst, mapped by us (vm_mmap_reserve.c). */
	struct xmm_dst_hole *dst_holes;
};

/*
 * Check permission (PTRACE_MODE_ATTACH_REALCREDS, as process_vm_readv),
 * find the VMA holding the whole source range and reject the kinds the
 * kernel refuses, and open the object behind a file or shared VMA where
 * the caller may.  Idempotent; the first caller pays.  0, -EPERM, -ESRCH,
 * -EFAULT or another -errno.
 */
int xmm_vm_mmap_prepare(struct xmm_vm_mmap_call *call);

/* The source mapping, as read by xmm_vm_mmap_prepare(). */
static inline const struct xmm_vma *
xmm_vm_mmap_source(const struct xmm_vm_mmap_call *call)
{
	return &call->vma.vma;
}

static inline bool xmm_vm_mmap_shared(const struct xmm_vma *vma)
{
	return vma->flags & XMM_VMA_F_SHARED;
}

/* What /proc tells about the source (vm_mmap_proc.c), under dirfd. */
int xmm_vm_mmap_vma_refused(int dirfd, const struct xmm_vma *vma);
/* MADV_HUGEPAGE or MADV_NOHUGEPAGE as the source VMA was advised, or 0. */
int xmm_vm_mmap_vma_thp_advice(int dirfd, const struct xmm_vma *vma);
int xmm_vm_mmap_open_object(int dirfd, const struct xmm_vma *vma);
int xmm_vm_mmap_object_refused(int fd, bool *known);

/* Where the clone goes (vm_mmap_place.c). */
struct xmm_vm_mmap_place {
	void *addr;		/* the mapping being built */
	bool must_move;		/* FIXED over something: mremap at the end */
};

/*
 * mmap() the clone's first form (prot, flags, fd, offset as mmap(2))
 * where the caller's flags ask, without changing anything that is mapped
 * at dst yet.  0 or -errno (EEXIST for FIXED_NOREPLACE).
 */
int xmm_vm_mmap_place_begin(struct xmm_vm_mmap_call *call,
			    struct xmm_vm_mmap_place *place, int prot,
			    int flags, int fd, uint64_t offset);
/*
 * Put the finished clone at its final address and set call->mapped; or
 * -ESRCH, and the clone unmapped, when the pinned target has exited.
 */
int xmm_vm_mmap_place_finish(struct xmm_vm_mmap_call *call,
			     struct xmm_vm_mmap_place *place);
/* Undo xmm_vm_mmap_place_begin(). */
void xmm_vm_mmap_place_abort(struct xmm_vm_mmap_call *call,
			     struct xmm_vm_mmap_place *place);

/*
 * FIXED: map the free parts of [dst, dst + size) before anything in the
 * call allocates, so that no allocator mapping lands where the clone goes;
 * release them again when the call fails.  No-ops without FIXED.
 */
void xmm_vm_mmap_reserve_dst(struct xmm_vm_mmap_call *call);
void xmm_vm_mmap_release_dst(struct xmm_vm_mmap_call *call);

/* The fallback backends. */
extern struct xmm_backend xmm_vm_mmap_shared_backend;
extern struct xmm_backend xmm_vm_mmap_readv_backend;
extern struct xmm_backend xmm_vm_mmap_proc_mem_backend;

#endif /* XMM_SRC_VM_MMAP_H */
