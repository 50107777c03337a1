// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap() with XMM_PVMMAP_FIXED: the free parts of the
 * destination are taken first, before the call allocates anything.
 *
 * The fallbacks read /proc and copy through buffers from malloc().  An
 * allocator that maps its blocks with mmap() (musl's for every size,
 * glibc's above its mmap threshold) may place them in a free part of the
 * destination, which the finished clone then replaces: the allocator's
 * memory is gone under it.  So the holes of [dst, dst + size) are mapped
 * here, by the library, with MAP_FIXED_NOREPLACE, and the clone replaces
 * them with the rest.  When the call fails they are unmapped again: the
 * destination is left as it was.
 *
 * The holes are found without allocating: a range that MAP_FIXED_NOREPLACE
 * cannot take and that msync() finds wholly mapped holds no hole; any other
 * range is split in two.  Each reservation records the next one in its
 * first bytes, so that any number of holes is undone without memory of our
 * own.
 */
#include "internal.h"
#include "vm_mmap.h"

#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000	/* Linux 4.17 */
#endif

/* The first bytes of a reserved hole. */
struct xmm_dst_hole {
	struct xmm_dst_hole *next;
	size_t len;
};

/*
 * Reserve the holes of [addr, addr + len); -1 when the kernel cannot
 * (MAP_FIXED_NOREPLACE taken as a hint before 4.17, no more mappings
 * allowed): what is reserved so far stays, the rest is left as it is.
 */
static int reserve_range(struct xmm_vm_mmap_call *call, char *addr,
			 size_t len)
{
	size_t page = call->page_size, half;
	struct xmm_dst_hole *hole;
	void *got;

	got = mmap(addr, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
		   MAP_FIXED_NOREPLACE, -1, 0);
	if (got == addr) {
		hole = got;
		hole->next = call->dst_holes;
		hole->len = len;
		call->dst_holes = hole;
		return 0;
	}
	if (got != MAP_FAILED) {
		munmap(got, len);
		return -1;
	}
	if (errno != EEXIST)
		return -1;
	if (msync(addr, len, MS_ASYNC) == 0 || len == page)
		return 0;	/* wholly mapped */
	half = len / page / 2 * page;
	if (reserve_range(call, addr, half) < 0)
		return -1;
	return reserve_range(call, addr + half, len - half);
}

void xmm_vm_mmap_reserve_dst(struct xmm_vm_mmap_call *call)
{
	call->dst_holes = NULL;
	if (!(call->flags & XMM_PVMMAP_FIXED))
		return;
	reserve_range(call, call->dst_addr, call->size);
}

void xmm_vm_mmap_release_dst(struct xmm_vm_mmap_call *call)
{
	struct xmm_dst_hole *hole = call->dst_holes, *next;

	while (hole) {
		next = hole->next;
		munmap(hole, hole->len);
		hole = next;
	}
	call->dst_holes = NULL;
}
