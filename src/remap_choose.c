// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The default choice of xmm_remap_anon_pages() for a large move onto one
 * whole mapping: the mremap backend's system call, which moves page
 * tables, where UFFDIO_MOVE moves and locks page by page (about six times
 * slower on 4 KiB pages).
 *
 * It is chosen only when the answer is the one the uffd-move backend
 * would give, so it must be proved first, cheaply:
 *   - PROCMAP_QUERY (or /proc/self/maps): dst is exactly one whole
 *     mapping, src lies in one mapping, both private anonymous with the
 *     same name and protection, read-write (mremap then leaves
 *     /proc/self/maps unchanged);
 *   - /proc/self/status: nothing is mlock()ed (uffd-move refuses mappings
 *     that differ in mlock state; mremap would move the lock);
 *   - a userfaultfd of its own registers both ranges: it fails where one
 *     is registered with another userfaultfd, where uffd-move answers
 *     EBUSY and mremap would unregister the caller's range;
 *   - PAGEMAP_SCAN (Linux 6.7), which skips empty page tables: no page of
 *     dst is populated and, without XMM_RAP_ALLOW_SRC_HOLES, no page of
 *     src is a hole, so the move is complete.  The mremap backend reads
 *     8 bytes of pagemap per page of both ranges instead: about as long
 *     as UFFDIO_MOVE itself;
 *   - no fork since the library was loaded, so no page can be shared
 *     with another process (uffd-move answers EBUSY for such a page).
 * Anything unproved, or an error on the way, leaves the call to the
 * backends in their order, which give their usual answer.
 */
#include "internal.h"
#include "atfork.h"
#include "backend.h"
#include "remap.h"
#include "remap_choose.h"
#include "syscall.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "procfs.h"

#if HAVE_LINUX_USERFAULTFD_H
#include <linux/fs.h>
#include <linux/userfaultfd.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY	1
#endif

/* Linux 6.7; Debian's 6.1 headers lack it. */
#ifndef PAGEMAP_SCAN
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_SWAPPED		(1 << 4)
struct page_region {
	__u64 start;
	__u64 end;
	__u64 categories;
};
struct pm_scan_arg {
	__u64 size;
	__u64 flags;
	__u64 start;
	__u64 end;
	__u64 walk_end;
	__u64 vec;
	__u64 vec_len;
	__u64 max_pages;
	__u64 category_inverted;
	__u64 category_mask;
	__u64 category_anyof_mask;
	__u64 return_mask;
};
#define PAGEMAP_SCAN	_IOWR('f', 16, struct pm_scan_arg)
#endif
/* Linux 6.14: a guard region (MADV_GUARD_INSTALL) is neither. */
#ifndef PAGE_IS_GUARD
#define PAGE_IS_GUARD		(1 << 8)
#endif

#define POPULATED	(PAGE_IS_PRESENT | PAGE_IS_SWAPPED)

/*
 * Below this, the proof costs more than UFFDIO_MOVE saves: at 4 MiB both
 * took the same here (the proof reading maps and status), at 8 MiB the
 * proof and mremap took 0.57x of UFFDIO_MOVE.
 */
#define WHOLE_MAPPING_MIN_LEN	(8UL << 20)

static bool holds(const struct xmm_vma *vma, uintptr_t addr, size_t len)
{
	return vma->start <= addr && addr + len <= vma->end;
}

static bool mappings_alike(const struct xmm_vma *src,
			   const struct xmm_vma *dst)
{
	const unsigned int rw = PROT_READ | PROT_WRITE;

	return src->vma_class == XMM_VMA_CLASS_ANON &&
	       dst->vma_class == XMM_VMA_CLASS_ANON &&
	       !(src->flags & XMM_VMA_F_SHARED) &&
	       !(dst->flags & XMM_VMA_F_SHARED) &&
	       src->prot == dst->prot && (src->prot & rw) == rw &&
	       !strcmp(src->name, dst->name);
}

/*
 * dst is one whole mapping, src lies in one alike: 1, else 0 or -errno.
 * Two PROCMAP_QUERY lookups (Linux 6.11), or maps where the kernel lacks
 * it.
 */
static int whole_and_alike(int proc_self, const struct xmm_remap_call *call)
{
	struct xmm_proc_vma *both = malloc(2 * sizeof(*both));
	const struct xmm_vma *src = &both[0].vma, *dst = &both[1].vma;
	int ret;

	if (!both)
		return -ENOMEM;
	ret = xmm_proc_vma_at(proc_self, call->src, &both[0]);
	if (ret == 0)
		ret = xmm_proc_vma_at(proc_self, call->dst, &both[1]);
	if (ret == 0)
		ret = holds(src, call->src, call->len) &&
		      dst->start == call->dst &&
		      dst->end == call->dst + call->len &&
		      mappings_alike(src, dst);
	free(both);
	return ret;
}

/*
 * Has this process forked since the library was loaded (or is it a child
 * of such a fork)?  Its anonymous pages may then be shared with another
 * process: uffd-move answers EBUSY for such a page, mremap would move it.
 * The prepare handler (called by atfork.c) runs in the parent before each
 * fork, so parent and child both see the flag.
 */
static atomic_bool process_forked;

void xmm_remap_choose_atfork_prepare(void)
{
	atomic_store_explicit(&process_forked, true, memory_order_relaxed);
}

/* Is nothing in this process mlock()ed? */
static bool nothing_locked(int proc_self)
{
	unsigned long long locked;
	size_t len;
	char *text;
	bool none;

	if (xmm_proc_read_all(proc_self, "status", &text, &len) < 0)
		return false;
	none = xmm_proc_field_kib(text, "VmLck", &locked) && locked == 0;
	free(text);
	return none;
}

/* Can a userfaultfd of our own register both ranges? */
static bool no_other_userfaultfd(const struct xmm_remap_call *call)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	long fd = xmm_sys(userfaultfd,
			  O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
	bool free_of_others = false;

	if (fd < 0)
		return false;
	if (ioctl((int)fd, UFFDIO_API, &api) == 0) {
		reg.range.start = call->src;
		reg.range.len = call->len;
		free_of_others = ioctl((int)fd, UFFDIO_REGISTER, &reg) == 0;
		reg.range.start = call->dst;
		free_of_others = free_of_others &&
				 ioctl((int)fd, UFFDIO_REGISTER, &reg) == 0;
	}
	/* Closing it unregisters both ranges, and merges them back. */
	close((int)fd);
	return free_of_others;
}

/*
 * Does [start, start+len) hold a page of the categories (inverted:
 * a page of none of them)?  1 or 0, or -errno (ENOTTY/EINVAL: no
 * PAGEMAP_SCAN, or not these categories; EAGAIN: the walk stopped short).
 */
static int pages_in(int pagemap, uintptr_t start, size_t len,
		    unsigned long categories, bool inverted)
{
	struct page_region found;
	struct pm_scan_arg scan = {
		.size = sizeof(scan),
		.start = start,
		.end = start + len,
		.vec = (uintptr_t)&found,
		.vec_len = 1,
		.max_pages = 1,
		.return_mask = categories,
	};
	long ret;

	if (inverted) {
		scan.category_inverted = categories;
		scan.category_mask = categories;
	} else {
		scan.category_anyof_mask = categories;
	}
	ret = ioctl(pagemap, PAGEMAP_SCAN, &scan);
	if (ret < 0)
		return -errno;
	if (ret > 0)
		return 1;
	/* Nothing found is an answer only for a walk to the end. */
	return scan.walk_end == scan.end ? 0 : -EAGAIN;
}

/* Every page of dst empty, and of src populated unless holes may be: */
static bool move_complete(const struct xmm_remap_call *call)
{
	bool holes = call->flags & XMM_RAP_ALLOW_SRC_HOLES;
	unsigned long dst_full = POPULATED | PAGE_IS_GUARD;
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	int found;

	if (fd < 0)
		return false;
	found = pages_in(fd, call->dst, call->len, dst_full, false);
	if (found == -EINVAL) {
		/* A kernel before guard regions (6.14): none can exist. */
		dst_full = POPULATED;
		found = pages_in(fd, call->dst, call->len, dst_full, false);
	}
	if (found == 0 && holes && dst_full != POPULATED)
		found = pages_in(fd, call->src, call->len, PAGE_IS_GUARD,
				 false);
	if (found == 0 && !holes)
		found = pages_in(fd, call->src, call->len, POPULATED, true);
	close(fd);
	return found == 0;
}

bool xmm_remap_whole_mapping(const struct xmm_remap_call *call, long *moved)
{
	int proc_self, proved;
	long ret;

	if (call->len < WHOLE_MAPPING_MIN_LEN ||
	    atomic_load_explicit(&xmm_op_remap_anon_pages.forced,
				 memory_order_relaxed) != XMM_FORCE_NONE ||
	    !xmm_backend_usable(&xmm_remap_mremap_backend) ||
	    atomic_load_explicit(&process_forked, memory_order_relaxed))
		return false;
	xmm_atfork_register();	/* links atfork.c in a static program */
	proc_self = xmm_proc_open_self();
	if (proc_self < 0)
		return false;
	proved = whole_and_alike(proc_self, call) > 0 &&
		 nothing_locked(proc_self);
	close(proc_self);
	if (!proved || !no_other_userfaultfd(call) || !move_complete(call))
		return false;

	ret = xmm_sys(mremap, call->src, call->len, call->len,
		      MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		      call->dst);
	/* A refusal moved nothing: the backends give their answer. */
	if (xmm_sys_failed(ret))
		return false;
	xmm_backend_served(&xmm_op_remap_anon_pages,
			   &xmm_remap_mremap_backend);
	*moved = (long)call->len;
	return true;
}

#else /* !HAVE_LINUX_USERFAULTFD_H */

bool xmm_remap_whole_mapping(const struct xmm_remap_call *call, long *moved)
{
	return false;
}

#endif /* HAVE_LINUX_USERFAULTFD_H */
