// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_remap_anon_pages(): move private anonymous pages without copying.
 *
 * Backends, in order:
 *   native     the remap_anon_pages system call of our patched kernels.
 *   uffd-move  userfaultfd UFFDIO_MOVE (Linux 6.8), remap_uffd.c.
 *   mremap     mremap(MREMAP_DONTUNMAP) (Linux 5.7) when the destination
 *              is one whole mapping, remap_mremap.c.
 *   copy       memcpy() and MADV_DONTNEED, remap_copy.c.
 *
 * The default choice puts mremap first for a large, complete move onto
 * one whole mapping where it is proved to answer as uffd-move would
 * (remap_choose.c): it moves page tables, UFFDIO_MOVE moves pages.
 *
 * The arguments are checked here, once, before any backend runs, so that
 * every backend answers EINVAL for the same calls.
 */
#include "internal.h"
#include "backend.h"
#include "remap.h"
#include "remap_choose.h"
#include "syscall.h"

#include <sys/auxv.h>
#include <unistd.h>

size_t xmm_remap_page_size(void)
{
	static _Atomic size_t page_size;
	size_t size = atomic_load_explicit(&page_size, memory_order_relaxed);

	if (!size) {
		size = (size_t)getauxval(AT_PAGESZ);
		if (!size)
			size = (size_t)sysconf(_SC_PAGESIZE);
		atomic_store_explicit(&page_size, size, memory_order_relaxed);
	}
	return size;
}

static struct xmm_backend native_backend;

/*
 * Only our patched kernels have remap_anon_pages (syscall_table.h).  Ask with
 * flags no kernel accepts: ours answers EINVAL without doing anything, an
 * unpatched one ENOSYS.  Any other answer means the number belongs to
 * something else there, and it is never called with real arguments.
 */
static int native_probe(const char **detail)
{
	long ret = xmm_sys(remap_anon_pages, 0, 0, 0, ~0UL);

	if (ret == -EINVAL)
		return 0;
	*detail = ret == -ENOSYS ?
		"the kernel has no remap_anon_pages (not in mainline; "
		"see xmm(7))" :
		"syscall number remap_anon_pages answers like another syscall";
	return -ENOSYS;
}

/*
 * Our kernels' remap_anon_pages finds a populated dst page (EEXIST) or a
 * source hole (ENOENT) in mappings the semantics refuse first (EINVAL):
 * it accepts two mappings of equal protection that are not read-write,
 * and answers EFAULT where a range is unmapped.  A refusal that moved
 * nothing is therefore checked against the mappings, as the fallbacks
 * check them beforehand; a success costs no procfs read.
 */
static long native_error(const struct xmm_remap_call *call, long err)
{
	struct xmm_remap_vma src_vma, dst_vma;

	if (xmm_remap_check_vmas(call, &src_vma, &dst_vma) == -EINVAL)
		return -EINVAL;
	return err;
}

static long native_run(void *arg)
{
	struct xmm_remap_call *call = arg;
	long ret;

	/*
	 * Our kernels' remap_anon_pages moves into a mapping registered with
	 * a userfaultfd; UFFDIO_MOVE answers EBUSY there (its registration
	 * collides with the caller's), and so does every backend.  The
	 * kernel does not tell, so smaps does: a cost on every call.
	 */
	ret = xmm_remap_dst_uffd_registered(call->dst);
	if (ret)
		return ret < 0 ? ret : -EBUSY;
	ret = xmm_sys(remap_anon_pages, call->dst, call->src, call->len,
		      call->flags);
	if (ret == -ENOSYS) {
		xmm_backend_disable(&native_backend, ENOSYS,
			"the kernel has no remap_anon_pages (not in mainline)");
		return xmm_try_next(ENOSYS);
	}
	if (ret < 0 && ret != -EINVAL && ret != -EINTR && ret != -ENOMEM)
		return native_error(call, ret);
	return ret;
}

static struct xmm_backend native_backend = {
	.name = "native",
	.probe = native_probe,
	.run = native_run,
};

static struct xmm_backend *const remap_backends[] = {
	&native_backend,
	&xmm_remap_uffd_backend,
	&xmm_remap_mremap_backend,
	&xmm_remap_copy_backend,
	NULL,
};

struct xmm_operation xmm_op_remap_anon_pages = {
	.name = "remap_anon_pages",
	.id = XMM_OP_REMAP_ANON_PAGES,
	.backends = remap_backends,
	.forced = XMM_FORCE_NONE,
};

/* The proposal's argument checks, which need no system call. */
static int check_arguments(const struct xmm_remap_call *call)
{
	uintptr_t page_mask = xmm_remap_page_size() - 1;

	if (call->flags & ~XMM_RAP_ALLOW_SRC_HOLES)
		return -EINVAL;
	if ((call->dst | call->src | call->len) & page_mask)
		return -EINVAL;
	/* A zero length or a range that wraps past the top of memory. */
	if (call->dst + call->len <= call->dst ||
	    call->src + call->len <= call->src)
		return -EINVAL;
	/* Overlapping ranges would move a page onto a page of the move. */
	if (call->dst < call->src + call->len &&
	    call->src < call->dst + call->len)
		return -EINVAL;
	/*
	 * Two ranges that neither wrap nor overlap fit in the address
	 * space together, so from here len <= SSIZE_MAX (2 GiB - 1 on
	 * 32-bit): the bytes moved fit the ssize_t answer and the long
	 * the backends carry it in, whatever the backend.
	 */
	return 0;
}

/* The backends' long carries the ssize_t answer: one width, every ABI. */
_Static_assert(sizeof(long) == sizeof(ssize_t),
	       "a byte count of the move must fit the backends' long");

/*
 * The default choice: the native system call where the kernel has it;
 * else a whole-mapping move that mremap serves as uffd-move would; else
 * the backends in their order.
 */
static long remap_dispatch(struct xmm_remap_call *call)
{
	long moved;

	if (!xmm_backend_usable(&native_backend) &&
	    xmm_remap_whole_mapping(call, &moved))
		return moved;
	return xmm_dispatch(&xmm_op_remap_anon_pages, call);
}

XMM_EXPORT ssize_t xmm_remap_anon_pages(void *dst, void *src, size_t len,
					unsigned long flags)
{
	struct xmm_remap_call call = {
		.dst = (uintptr_t)dst,
		.src = (uintptr_t)src,
		.len = len,
		.flags = flags,
	};
	int bad = check_arguments(&call);

	if (bad < 0)
		return xmm_errno_result(bad);
	return xmm_errno_result(remap_dispatch(&call));
}
