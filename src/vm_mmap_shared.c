// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap() backend "shared": a MAP_SHARED source (memfd,
 * shmem, SysV shm, shared anonymous memory, a file) is cloned by mapping
 * the same object at the same offset, so that writes on either side are
 * seen by the other, and nothing is read or copied: the cost does not
 * depend on the length.  The object comes from xmm_vm_mmap_prepare().
 */
#include "internal.h"
#include "backend.h"
#include "vm_mmap.h"

#include <sys/mman.h>

static long shared_run(void *arg)
{
	struct xmm_vm_mmap_call *call = arg;
	const struct xmm_vma *vma = xmm_vm_mmap_source(call);
	struct xmm_vm_mmap_place place;
	int ret;

	ret = xmm_vm_mmap_prepare(call);
	if (ret < 0)
		return ret;
	if (!xmm_vm_mmap_shared(vma))
		return xmm_try_next(ENOSYS);	/* a copy backend's job */
	/*
	 * No later backend can keep a shared source shared: the object is
	 * out of reach (map_files needs CAP_CHECKPOINT_RESTORE, and the
	 * target holds no descriptor and no path to it).
	 */
	if (call->object_fd < 0)
		return -EPERM;
	ret = xmm_vm_mmap_place_begin(call, &place, vma->prot, MAP_SHARED,
				      call->object_fd,
				      vma->offset + (call->src - vma->start));
	if (ret < 0)
		return ret;
	return xmm_vm_mmap_place_finish(call, &place);
}

struct xmm_backend xmm_vm_mmap_shared_backend = {
	.name = "shared",
	.run = shared_run,
};
