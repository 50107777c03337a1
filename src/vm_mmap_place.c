// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap() fallbacks: where the clone goes.
 *
 * No flag: dst is a hint, as mmap(2) takes it.  FIXED_NOREPLACE: the clone
 * is built at dst, which MAP_FIXED_NOREPLACE reserves first (EEXIST when
 * anything is there).  FIXED: where dst is free the clone is built there
 * the same way; where something is mapped, the clone is built elsewhere
 * and moved over dst with one mremap(MREMAP_FIXED) at the very end, so
 * that a failure while building leaves dst as it was.  (mremap() itself
 * can still fail after the kernel unmapped dst, for lack of kernel memory;
 * then dst is left unmapped, as a failed mmap(MAP_FIXED) leaves it.)
 */
#ifndef _LARGEFILE64_SOURCE
/* mmap64(): file offsets past 2 GiB on 32-bit ABIs. */
#define _LARGEFILE64_SOURCE 1
#endif
#include "internal.h"
#include "vm_mmap.h"

#include <sys/mman.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000	/* Linux 4.17 */
#endif

/* How many kernel-chosen places to set aside before giving up. */
#define XMM_PLACE_ATTEMPTS	4

static bool overlaps(const void *a, const void *b, size_t len)
{
	uintptr_t x = (uintptr_t)a, y = (uintptr_t)b;

	return x < y + len && y < x + len;
}

/*
 * Build away from dst, where the kernel chooses.  It may choose the free
 * part of a partly mapped dst, which mremap() could not move over: keep
 * such a place mapped, so that the next choice differs, and let it go.
 */
static int build_elsewhere(struct xmm_vm_mmap_call *call,
			   struct xmm_vm_mmap_place *place, int prot,
			   int flags, int fd, uint64_t offset)
{
	void *set_aside[XMM_PLACE_ATTEMPTS];
	int n_set_aside = 0, ret = 0;
	void *addr;

	for (;;) {
		addr = mmap64(NULL, call->size, prot, flags, fd,
			      (off64_t)offset);
		if (addr == MAP_FAILED) {
			ret = -errno;
			break;
		}
		if (!overlaps(addr, call->dst_addr, call->size))
			break;
		if (n_set_aside == XMM_PLACE_ATTEMPTS) {
			munmap(addr, call->size);
			ret = -ENOMEM;
			break;
		}
		set_aside[n_set_aside++] = addr;
	}
	while (n_set_aside)
		munmap(set_aside[--n_set_aside], call->size);
	if (ret < 0)
		return ret;
	place->addr = addr;
	place->must_move = true;
	return 0;
}

int xmm_vm_mmap_place_begin(struct xmm_vm_mmap_call *call,
			    struct xmm_vm_mmap_place *place, int prot,
			    int flags, int fd, uint64_t offset)
{
	void *dst = call->dst_addr;
	void *addr;

	place->must_move = false;
	if (!(call->flags & (XMM_PVMMAP_FIXED | XMM_PVMMAP_FIXED_NOREPLACE))) {
		addr = mmap64(dst, call->size, prot, flags, fd,
			      (off64_t)offset);
		if (addr == MAP_FAILED)
			return -errno;
		place->addr = addr;
		return 0;
	}
	addr = mmap64(dst, call->size, prot, flags | MAP_FIXED_NOREPLACE, fd,
		      (off64_t)offset);
	if (addr == dst) {
		place->addr = addr;
		return 0;
	}
	if (addr != MAP_FAILED)
		munmap(addr, call->size);	/* before 4.17: only a hint */
	else if (errno != EEXIST)
		return -errno;
	if (call->flags & XMM_PVMMAP_FIXED_NOREPLACE)
		return -EEXIST;
	return build_elsewhere(call, place, prot, flags, fd, offset);
}

int xmm_vm_mmap_place_finish(struct xmm_vm_mmap_call *call,
			     struct xmm_vm_mmap_place *place)
{
	void *addr = place->addr;

	/*
	 * The target must have lived until now: once it has exited, its
	 * PID may name another process, whose memory a read by PID (or an
	 * object opened since) could have put in the clone.  Nothing is
	 * left mapped and the destination is untouched, as the kernel's
	 * ESRCH.
	 */
	if (xmm_proc_pin_check(&call->pin) < 0) {
		munmap(place->addr, call->size);
		return -ESRCH;
	}
	if (place->must_move) {
		addr = mremap(place->addr, call->size, call->size,
			      MREMAP_MAYMOVE | MREMAP_FIXED, call->dst_addr);
		if (addr == MAP_FAILED) {
			int err = -errno;

			munmap(place->addr, call->size);
			return err;
		}
	}
	call->mapped = addr;
	return 0;
}

void xmm_vm_mmap_place_abort(struct xmm_vm_mmap_call *call,
			     struct xmm_vm_mmap_place *place)
{
	munmap(place->addr, call->size);
}
