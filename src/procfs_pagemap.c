// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * /proc/PID/pagemap: one 64-bit entry per page of the address space
 * (Documentation/admin-guide/mm/pagemap.rst), and PAGEMAP_SCAN where the
 * kernel has it.  The entry bits are in procfs.h, once.
 */
#ifndef _LARGEFILE64_SOURCE
/* pread64(): offsets past 2 GiB on 32-bit ABIs. */
#define _LARGEFILE64_SOURCE 1
#endif
#include "internal.h"
#include "procfs.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <unistd.h>

#define PAGEMAP_BATCH		512	/* entries per pread() */

ssize_t xmm_pagemap_read(int pagemap_fd, uintptr_t addr, size_t page_size,
			 uint64_t *entries, size_t pages)
{
	off64_t at = (off64_t)(addr / page_size) * (off64_t)sizeof(*entries);
	size_t want = pages * sizeof(*entries), got = 0;

	while (got < want) {
		ssize_t n = pread64(pagemap_fd, (char *)entries + got,
				    want - got, at + (off64_t)got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == ESRCH ? -ESRCH : -errno;
		if (n == 0)
			break;
		got += (size_t)n;
	}
	return (ssize_t)(got / sizeof(*entries));
}

/*
 * PAGEMAP_SCAN (Linux 6.7, <linux/fs.h>), which Debian's 6.1 headers
 * lack: it reports ranges of pages by category and skips empty page
 * tables, so its cost follows the populated memory, not the address
 * space (a sanitizer's terabytes of shadow cost nothing).
 */
#ifndef PAGEMAP_SCAN
struct page_region {
	uint64_t start;
	uint64_t end;
	uint64_t categories;
};

struct pm_scan_arg {
	uint64_t size;
	uint64_t flags;
	uint64_t start;
	uint64_t end;
	uint64_t walk_end;
	uint64_t vec;
	uint64_t vec_len;
	uint64_t max_pages;
	uint64_t category_inverted;
	uint64_t category_mask;
	uint64_t category_anyof_mask;
	uint64_t return_mask;
};

#define PAGEMAP_SCAN		_IOWR('f', 16, struct pm_scan_arg)
#define PAGE_IS_PRESENT		(1 << 3)
#define PAGE_IS_SWAPPED		(1 << 4)
#endif

#define SCAN_REGIONS		256

/* Count with PAGEMAP_SCAN: 0, -ENOTTY where the kernel lacks it, -errno. */
static int scan_pages(int pagemap_fd, struct xmm_vma *vma, size_t page_size,
		      struct page_region *regions)
{
	struct pm_scan_arg arg = {
		.size = sizeof(arg),
		.start = vma->start,
		.end = vma->end,
		.vec = (uintptr_t)regions,
		.vec_len = SCAN_REGIONS,
		.category_anyof_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
		.return_mask = PAGE_IS_PRESENT | PAGE_IS_SWAPPED,
	};

	vma->resident_pages = 0;
	vma->swapped_pages = 0;
	while (arg.start < arg.end) {
		int n = ioctl(pagemap_fd, PAGEMAP_SCAN, &arg), i;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return errno == EINVAL ? -ENOTTY : -errno;
		for (i = 0; i < n; i++) {
			unsigned long pages = (unsigned long)
				((regions[i].end - regions[i].start) /
				 page_size);

			if (regions[i].categories & PAGE_IS_PRESENT)
				vma->resident_pages += pages;
			else
				vma->swapped_pages += pages;
		}
		if (arg.walk_end <= arg.start)
			break;
		arg.start = arg.walk_end;
	}
	vma->flags |= XMM_VMA_F_PAGEMAP;
	return 0;
}

/* Count by reading 8 bytes per page: every kernel, costs the VMA's size. */
static int count_pages(int pagemap_fd, struct xmm_vma *vma, size_t page_size)
{
	uint64_t entries[PAGEMAP_BATCH];
	uintptr_t addr = vma->start;

	vma->resident_pages = 0;
	vma->swapped_pages = 0;
	while (addr < vma->end) {
		size_t want = (vma->end - addr) / page_size, i;
		ssize_t got;

		if (want > PAGEMAP_BATCH)
			want = PAGEMAP_BATCH;
		got = xmm_pagemap_read(pagemap_fd, addr, page_size, entries,
				       want);
		if (got < 0)
			return (int)got;
		if (!got)
			break;	/* beyond what the kernel reports */
		for (i = 0; i < (size_t)got; i++) {
			if (entries[i] & XMM_PM_PRESENT)
				vma->resident_pages++;
			else if (entries[i] & XMM_PM_SWAPPED)
				vma->swapped_pages++;
		}
		addr += (size_t)got * page_size;
	}
	vma->flags |= XMM_VMA_F_PAGEMAP;
	return 0;
}

int xmm_proc_pagemap_count(int dirfd, struct xmm_vma_list *list)
{
	size_t i, page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct page_region *regions;
	bool scan = true;
	int fd, ret = 0;

	fd = xmm_proc_openat(dirfd, "pagemap", false);
	if (fd < 0)
		return fd;
	/* Zeroed: valgrind does not know that PAGEMAP_SCAN writes it. */
	regions = calloc(SCAN_REGIONS, sizeof(*regions));
	if (!regions) {
		close(fd);
		return -ENOMEM;
	}
	for (i = 0; i < list->count && ret == 0; i++) {
		struct xmm_vma *vma = &list->vmas[i];

		/* [vsyscall] and friends lie outside the user address
		 * space that pagemap describes. */
		if (vma->vma_class == XMM_VMA_CLASS_SPECIAL)
			continue;
		if (scan) {
			ret = scan_pages(fd, vma, page_size, regions);
			if (ret != -ENOTTY)
				continue;
			scan = false;	/* before Linux 6.7 */
		}
		ret = count_pages(fd, vma, page_size);
	}
	free(regions);
	close(fd);
	return ret;
}

