// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The mremap backend of xmm_remap_anon_pages(): mremap(MREMAP_MAYMOVE |
 * MREMAP_FIXED | MREMAP_DONTUNMAP) (Linux 5.7) moves the page tables of
 * src to dst without copying and leaves src mapped and empty.
 *
 * mremap moves a mapping, not pages: it replaces whatever mapping held dst
 * by a copy of the source's.  That keeps /proc/self/maps unchanged only
 * when dst is one whole mapping, so this backend serves only then, and
 * only for whole moves; a move that must stop early (EEXIST or ENOENT part
 * way) copies the pages before the stop instead.  Anything else is left to
 * the copy backend, which never changes a mapping: splitting the caller's
 * heap at every call would soon exhaust vm.max_map_count.
 */
#include "internal.h"
#include "backend.h"
#include "remap.h"
#include "syscall.h"

#include <sys/mman.h>

#ifndef MREMAP_DONTUNMAP
#define MREMAP_DONTUNMAP	4
#endif

/* Has the kernel accepted MREMAP_DONTUNMAP in this process? */
static atomic_bool dontunmap_known;

/*
 * Move one page of a scratch mapping onto its other page, then ask
 * mincore() about the source, which must still be mapped.  qemu-user (7.2)
 * runs the host's mremap but then marks the source unmapped in its own
 * page table, so every later system call naming the source page (mincore,
 * write from it...) fails there with ENOMEM or EFAULT: the backend would
 * break its promise that src stays mapped.
 */
static int mremap_probe(const char **detail)
{
	size_t page_size = xmm_remap_page_size();
	char *scratch = mmap(NULL, 2 * page_size, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char resident;
	long ret, src_ret = 0;

	if (scratch == MAP_FAILED) {
		*detail = "no memory for a scratch mapping";
		return -ENOMEM;
	}
	ret = xmm_sys(mremap, scratch, page_size, page_size,
		      MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		      scratch + page_size);
	if (!xmm_sys_failed(ret) &&
	    mincore(scratch, page_size, &resident) < 0)
		src_ret = -errno;
	munmap(scratch, 2 * page_size);
	if (xmm_sys_failed(ret)) {
		*detail = ret == -ENOSYS ? "mremap is refused here (seccomp)" :
			  "the kernel has no MREMAP_DONTUNMAP (Linux 5.7)";
		return -ENOSYS;
	}
	if (src_ret < 0 && src_ret != -ENOSYS) {
		*detail = "after mremap(MREMAP_DONTUNMAP) system calls see "
			  "the source unmapped (qemu-user)";
		return -ENOSYS;
	}
	atomic_store_explicit(&dontunmap_known, true, memory_order_relaxed);
	return 0;
}

static long mremap_run(void *arg)
{
	struct xmm_remap_call *call = arg;
	struct xmm_remap_vma src_vma, dst_vma;
	int err, stop;
	long movable, ret;

	err = xmm_remap_check_vmas(call, &src_vma, &dst_vma);
	if (err < 0)
		return err;
	/*
	 * A dst registered with the caller's userfaultfd (mremap would drop
	 * the registration), mlock states that differ.
	 */
	err = xmm_remap_check_vmflags(call);
	if (err < 0)
		return err;
	movable = xmm_remap_scan(call, &stop);
	if (movable < 0)
		return movable;
	if (stop) {
		if (!movable)
			return stop;
		err = xmm_remap_copy_prefix(call, (size_t)movable);
		return err < 0 ? err : movable;
	}
	/*
	 * The new mapping at dst is a copy of the source's: the same kind
	 * (anonymous, or /dev/zero) keeps /proc/self/maps as it was.
	 */
	if (dst_vma.start != call->dst ||
	    dst_vma.end != call->dst + call->len ||
	    dst_vma.dev_zero != src_vma.dev_zero)
		return xmm_try_next(ENOSYS);

	ret = xmm_sys(mremap, call->src, call->len, call->len,
		      MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP,
		      call->dst);
	if (!xmm_sys_failed(ret)) {
		atomic_store_explicit(&dontunmap_known, true,
				      memory_order_relaxed);
		return (long)call->len;
	}
	switch (ret) {
	case -EINVAL:
		/* Arguments were checked: the flag is what is unknown. */
		if (atomic_load_explicit(&dontunmap_known,
					 memory_order_relaxed))
			return ret;
		xmm_backend_disable(&xmm_remap_mremap_backend, ENOSYS,
			"the kernel has no MREMAP_DONTUNMAP (Linux 5.7)");
		return xmm_try_next(ENOSYS);
	case -ENOSYS:
		xmm_backend_disable(&xmm_remap_mremap_backend, ENOSYS,
			"mremap is refused here (seccomp)");
		return xmm_try_next(ENOSYS);
	case -ENOMEM:
		/* No room for the new mapping (max_map_count, accounting). */
	case -EPERM:
		/* A sealed mapping. */
		return xmm_try_next((int)-ret);
	default:
		return ret;
	}
}

struct xmm_backend xmm_remap_mremap_backend = {
	.name = "mremap",
	.probe = mremap_probe,
	.run = mremap_run,
};
