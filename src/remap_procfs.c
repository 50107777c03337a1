// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the fallback backends of xmm_remap_anon_pages() learn from procfs,
 * through the /proc layer (procfs.h): the mappings that hold both ranges
 * (PROCMAP_QUERY, else maps), their VmFlags (smaps, read only up to the
 * later of the two) and which pages are populated (pagemap).  The
 * kernel's move checks all of it itself; a fallback must check it first
 * to give the same answers.  /proc/self is opened per call: a descriptor
 * kept open would go on describing the parent after a fork().
 */
#include "internal.h"
#include "procfs.h"
#include "remap.h"
#include "syscall.h"

#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* Entries read from pagemap at a time, per range. */
#define PAGEMAP_BATCH		512

/* The mapping holding addr, as the backends see it; -EFAULT: none. */
static int find_vma(int dirfd, uintptr_t addr, struct xmm_proc_vma *found,
		    struct xmm_remap_vma *vma)
{
	const struct xmm_vma *v = &found->vma;
	int ret = xmm_proc_vma_at(dirfd, addr, found);

	if (ret < 0)
		return ret;
	vma->start = v->start;
	vma->end = v->end;
	vma->perms[0] = v->prot & PROT_READ ? 'r' : '-';
	vma->perms[1] = v->prot & PROT_WRITE ? 'w' : '-';
	vma->perms[2] = v->prot & PROT_EXEC ? 'x' : '-';
	vma->perms[3] = v->flags & XMM_VMA_F_SHARED ? 's' : 'p';
	vma->perms[4] = '\0';
	vma->private_anon = xmm_proc_vma_is_anon(v);
	vma->dev_zero = vma->private_anon && v->vma_class == XMM_VMA_CLASS_FILE;
	return 0;
}

static bool vma_holds(const struct xmm_remap_vma *vma, uintptr_t addr,
		      size_t len)
{
	return vma->start <= addr && addr + len <= vma->end;
}

int xmm_remap_check_vmas(const struct xmm_remap_call *call,
			 struct xmm_remap_vma *src_vma,
			 struct xmm_remap_vma *dst_vma)
{
	struct xmm_proc_vma found;
	int dirfd = xmm_proc_open_self(), ret;

	if (dirfd < 0)
		return dirfd;
	ret = find_vma(dirfd, call->src, &found, src_vma);
	if (ret == 0)
		ret = find_vma(dirfd, call->dst, &found, dst_vma);
	close(dirfd);
	if (ret == -EFAULT)
		return -EINVAL;	/* a range in a hole */
	if (ret < 0)
		return ret;
	if (!vma_holds(src_vma, call->src, call->len) ||
	    !vma_holds(dst_vma, call->dst, call->len))
		return -EINVAL;
	if (!src_vma->private_anon || !dst_vma->private_anon)
		return -EINVAL;
	/* Equal protection, and writable as UFFDIO_MOVE demands. */
	if (strcmp(src_vma->perms, dst_vma->perms) ||
	    src_vma->perms[0] != 'r' || src_vma->perms[1] != 'w')
		return -EINVAL;
	return 0;
}

/*
 * The VmFlags of the mappings holding dst and src: one pass over smaps up
 * to the later of the two.  An address in a hole has none.
 */
static int read_vmflags(uintptr_t dst, uintptr_t src, bool src_too,
			struct xmm_remap_vmflags *out)
{
	uintptr_t addrs[2] = { dst, src };
	uint64_t flags[2];
	int dirfd = xmm_proc_open_self(), ret;

	memset(out, 0, sizeof(*out));
	if (dirfd < 0)
		return dirfd;
	ret = xmm_proc_vm_flags_n(dirfd, src_too ? 2 : 1, addrs, flags);
	close(dirfd);
	if (ret == -EFAULT || ret == -ENODATA)
		return 0;	/* a hole, or a kernel before 3.8 */
	if (ret < 0)
		return ret;
	out->dst_uffd = flags[0] & XMM_VMF_UFFD;
	out->dst_locked = flags[0] & XMM_VMF(LO);
	out->src_locked = src_too && (flags[1] & XMM_VMF(LO));
	return 0;
}

int xmm_remap_dst_uffd_registered(uintptr_t dst)
{
	struct xmm_remap_vmflags flags;
	int ret = read_vmflags(dst, 0, false, &flags);

	return ret < 0 ? ret : flags.dst_uffd;
}

int xmm_remap_check_vmflags(const struct xmm_remap_call *call)
{
	struct xmm_remap_vmflags flags;
	int ret = read_vmflags(call->dst, call->src, true, &flags);

	if (ret < 0)
		return ret;
	if (flags.dst_uffd)
		return -EBUSY;
	if (flags.src_locked != flags.dst_locked)
		return -EINVAL;
	return 0;
}

/* All pages entries of [addr, +pages) or -EIO: the ranges are mapped. */
static int read_pagemap(int fd, uintptr_t addr, size_t pages,
			uint64_t *entries)
{
	ssize_t got = xmm_pagemap_read(fd, addr, xmm_remap_page_size(),
				       entries, pages);

	if (got < 0)
		return (int)got;
	return (size_t)got == pages ? 0 : -EIO;
}

static int open_pagemap(void)
{
	int dirfd = xmm_proc_open_self(), fd;

	if (dirfd < 0)
		return dirfd;
	fd = xmm_proc_openat(dirfd, "pagemap", false);
	close(dirfd);
	return fd;
}

long xmm_remap_scan(const struct xmm_remap_call *call, int *err)
{
	bool holes_allowed = call->flags & XMM_RAP_ALLOW_SRC_HOLES;
	size_t page_size = xmm_remap_page_size();
	size_t pages = call->len / page_size, done = 0;
	uint64_t src_map[PAGEMAP_BATCH], dst_map[PAGEMAP_BATCH];
	int fd = open_pagemap();
	long ret = 0;

	if (fd < 0)
		return fd;
	*err = 0;
	while (done < pages && !*err) {
		size_t batch = pages - done, i;
		uintptr_t offset = done * page_size;

		if (batch > PAGEMAP_BATCH)
			batch = PAGEMAP_BATCH;
		ret = read_pagemap(fd, call->dst + offset, batch, dst_map);
		if (!ret)
			ret = read_pagemap(fd, call->src + offset, batch,
					   src_map);
		if (ret < 0)
			break;
		for (i = 0; i < batch; i++, done++) {
			/* As the kernel's move: a full dst before a hole. */
			if (xmm_pm_populated(dst_map[i])) {
				*err = -EEXIST;
				break;
			}
			if (!xmm_pm_populated(src_map[i]) && !holes_allowed) {
				*err = -ENOENT;
				break;
			}
		}
	}
	close(fd);
	return ret < 0 ? ret : (long)(done * page_size);
}

/* Copy one run of populated pages and empty the source. */
static int copy_run(const struct xmm_remap_call *call, size_t offset,
		    size_t len)
{
	if (!len)
		return 0;
	memcpy((void *)(call->dst + offset), (const void *)(call->src + offset),
	       len);
	return (int)xmm_sys(madvise, call->src + offset, len, MADV_DONTNEED);
}

int xmm_remap_copy_prefix(const struct xmm_remap_call *call, size_t len)
{
	size_t page_size = xmm_remap_page_size();
	size_t pages = len / page_size, done = 0, run_start = 0;
	uint64_t src_map[PAGEMAP_BATCH];
	int fd, ret = 0;

	/* Without holes every source page is populated: one run. */
	if (!(call->flags & XMM_RAP_ALLOW_SRC_HOLES))
		return copy_run(call, 0, len);

	fd = open_pagemap();
	if (fd < 0)
		return fd;
	while (done < pages && !ret) {
		size_t batch = pages - done, i;

		if (batch > PAGEMAP_BATCH)
			batch = PAGEMAP_BATCH;
		ret = read_pagemap(fd, call->src + done * page_size, batch,
				   src_map);
		for (i = 0; i < batch && !ret; i++, done++) {
			if (xmm_pm_populated(src_map[i]))
				continue;
			/* A hole ends a run; dst stays unpopulated there. */
			ret = copy_run(call, run_start * page_size,
				       (done - run_start) * page_size);
			run_start = done + 1;
		}
	}
	if (!ret)
		ret = copy_run(call, run_start * page_size,
			       (done - run_start) * page_size);
	close(fd);
	return ret;
}
