/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xmm_remap_anon_pages(): the call every backend receives, and what the
 * fallback backends share: reading /proc/self/maps and /proc/self/pagemap,
 * and the copying mover.
 */
#ifndef XMM_SRC_REMAP_H
#define XMM_SRC_REMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backend.h"

/* Arguments are checked (alignment, length, overlap, flags) before this. */
struct xmm_remap_call {
	uintptr_t dst;
	uintptr_t src;
	size_t len;
	unsigned long flags;
};

/* The page size, read once. */
size_t xmm_remap_page_size(void);

/* The backends after native, each in its own file. */
extern struct xmm_backend xmm_remap_uffd_backend;
extern struct xmm_backend xmm_remap_mremap_backend;
extern struct xmm_backend xmm_remap_copy_backend;

/*
 * atfork.c's child handler calls this in a forked child: it closes the
 * uffd-move backend's userfaultfd, which belongs to the parent's memory.
 */
void xmm_uffd_atfork_child(void);

/* One line of /proc/self/maps. */
struct xmm_remap_vma {
	uintptr_t start;
	uintptr_t end;
	char perms[5];		/* "rw-p" */
	bool private_anon;	/* no file, not special ([vdso], ...), or
				 * a private mapping of /dev/zero */
	bool dev_zero;		/* a private mapping of /dev/zero */
};

/*
 * The mappings that hold [call->src, +len) and [call->dst, +len): 0, or
 * -EINVAL when a range is not inside one private anonymous read-write
 * mapping or the two differ in protection (the kernel's own checks), or
 * another -errno when /proc/self/maps cannot be read.
 */
int xmm_remap_check_vmas(const struct xmm_remap_call *call,
			 struct xmm_remap_vma *src_vma,
			 struct xmm_remap_vma *dst_vma);

/*
 * Is the mapping that holds dst registered with a userfaultfd (VmFlags
 * um, uw or ui in /proc/self/smaps)?  1, 0, or -errno.  That userfaultfd
 * is the caller's: the uffd-move backend's registration lasts one call.
 */
int xmm_remap_dst_uffd_registered(uintptr_t dst);

/* What /proc/self/smaps says of the two mappings of a call. */
struct xmm_remap_vmflags {
	bool dst_uffd;		/* registered with a userfaultfd */
	bool dst_locked;	/* mlock(2)ed: VmFlags lo */
	bool src_locked;
};

/*
 * The checks the kernel's move makes that /proc/self/maps cannot show:
 * -EBUSY when dst is registered with a userfaultfd, -EINVAL when one
 * mapping is mlock(2)ed and the other not; 0, or another -errno when
 * smaps cannot be read.
 */
int xmm_remap_check_vmflags(const struct xmm_remap_call *call);

/*
 * Where the move must stop, from /proc/self/pagemap: scans the pages of
 * both ranges in order and returns the offset of the first page that
 * cannot be moved (dst populated: *err = -EEXIST; src a hole without
 * XMM_RAP_ALLOW_SRC_HOLES: *err = -ENOENT), or len with *err = 0.  A
 * negative return is a failure to read pagemap.
 */
long xmm_remap_scan(const struct xmm_remap_call *call, int *err);

/*
 * Move the first len bytes of the call by copying: memcpy() of every
 * populated source page into dst, then MADV_DONTNEED on the source.
 * Holes stay holes.  The caller has checked that the range is movable.
 * Returns 0 or -errno.
 */
int xmm_remap_copy_prefix(const struct xmm_remap_call *call, size_t len);

/* In a fork child (atfork.c): close the inherited cached userfaultfd. */
void xmm_uffd_atfork_child(void);

#endif /* XMM_SRC_REMAP_H */
