// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The copy backend of xmm_remap_anon_pages(), the last resort: memcpy() of
 * every populated source page into dst, then MADV_DONTNEED on the source.
 * It works on every kernel and never changes a mapping, but it copies, and
 * a thread writing src during the call may lose its write.
 */
#include "internal.h"
#include "backend.h"
#include "remap.h"

static long copy_run(void *arg)
{
	struct xmm_remap_call *call = arg;
	struct xmm_remap_vma src_vma, dst_vma;
	int err, stop;
	long movable;

	err = xmm_remap_check_vmas(call, &src_vma, &dst_vma);
	if (err < 0)
		return err;
	/*
	 * A dst registered with the caller's userfaultfd (copying would
	 * raise faults for its handler), mlock states that differ.
	 */
	err = xmm_remap_check_vmflags(call);
	if (err < 0)
		return err;
	movable = xmm_remap_scan(call, &stop);
	if (movable < 0)
		return movable;
	if (!movable)
		return stop;
	err = xmm_remap_copy_prefix(call, (size_t)movable);
	return err < 0 ? err : movable;
}

struct xmm_backend xmm_remap_copy_backend = {
	.name = "copy",
	.run = copy_run,
};
