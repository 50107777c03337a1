// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_vma_read(), xmm_vma_list_free(), xmm_vma_match() and
 * xmm_mem_usage(): what a memory manager reads about a process before it
 * advises it.  /proc/PID/maps is read whole with plain read(2) into one
 * growing buffer and parsed in place (maps_parse.c): no stdio, no copy
 * of the names.
 */
#include "internal.h"
#include "maps_parse.h"
#include "procfs.h"
#include "vma_private.h"

#include <fcntl.h>
#include <fnmatch.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* Pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PAGEMAP_PRESENT		(1ULL << 63)
#define PAGEMAP_SWAPPED		(1ULL << 62)
#define PAGEMAP_BATCH		512	/* entries per pread() */

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
	unsigned long page = vma->start / page_size;
	unsigned long last = vma->end / page_size;

	vma->resident_pages = 0;
	vma->swapped_pages = 0;
	while (page < last) {
		size_t want = last - page < PAGEMAP_BATCH ?
			      last - page : PAGEMAP_BATCH;
		ssize_t n = pread(pagemap_fd, entries,
				  want * sizeof(entries[0]),
				  (off_t)page * (off_t)sizeof(entries[0]));
		size_t i, got;

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -errno;
		got = (size_t)n / sizeof(entries[0]);
		if (!got)
			break;	/* beyond what the kernel reports */
		for (i = 0; i < got; i++) {
			if (entries[i] & PAGEMAP_PRESENT)
				vma->resident_pages++;
			else if (entries[i] & PAGEMAP_SWAPPED)
				vma->swapped_pages++;
		}
		page += got;
	}
	vma->flags |= XMM_VMA_F_PAGEMAP;
	return 0;
}

static int read_pagemap(int dirfd, struct xmm_vma_list *list)
{
	size_t i, page_size = (size_t)sysconf(_SC_PAGESIZE);
	struct page_region *regions;
	bool scan = true;
	int fd, ret = 0;

	fd = openat(dirfd, "pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	regions = malloc(SCAN_REGIONS * sizeof(*regions));
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

/* One page: the most the kernel's seq_file hands out per read anyway. */
#define STREAM_BUFFER	4096

int xmm_maps_for_each(int dirfd, int (*each)(const struct xmm_vma *vma,
					      void *arg),
		      void *arg, size_t *malformed)
{
	size_t size = STREAM_BUFFER, used = 0;
	int fd, ret = 0, stop = 0;
	char *buf;

	*malformed = 0;
	fd = openat(dirfd, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	buf = malloc(size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (!stop) {
		size_t consumed;
		ssize_t n;

		/* One line fills the buffer: a long name, grow for it. */
		if (used == size - 1) {
			char *bigger = realloc(buf, size * 2);

			if (!bigger) {
				ret = -ENOMEM;
				break;
			}
			buf = bigger;
			size *= 2;
		}
		n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		used += (size_t)n;
		consumed = xmm_maps_parse_lines(buf, used, n == 0, each, arg,
						malformed, &stop);
		if (n == 0)
			break;
		used -= consumed;
		memmove(buf, buf + consumed, used);
	}
	free(buf);
	close(fd);
	return stop ? stop : ret;
}

/* Building a list from the stream: records, and a pool for the names. */
struct read_state {
	struct xmm_vma_list *list;
	size_t capacity;
	char *names;
	size_t names_len;
	size_t names_capacity;
};

static int keep_one(const struct xmm_vma *vma, void *arg)
{
	struct read_state *state = arg;
	struct xmm_vma_list *list = state->list;
	size_t name_len = strlen(vma->name);
	struct xmm_vma *record;

	if (list->count == state->capacity) {
		size_t capacity = state->capacity ? 2 * state->capacity : 256;
		struct xmm_vma *bigger = realloc(list->vmas,
						 capacity * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		list->vmas = bigger;
		state->capacity = capacity;
	}
	record = &list->vmas[list->count++];
	*record = *vma;
	record->name = NULL;	/* anonymous: "" once the pool is final */
	if (!name_len)
		return 0;
	if (state->names_capacity - state->names_len < name_len + 1) {
		size_t capacity = state->names_capacity ?
				  2 * state->names_capacity : 16384;
		char *bigger;

		while (capacity - state->names_len < name_len + 1)
			capacity *= 2;
		bigger = realloc(state->names, capacity);
		if (!bigger)
			return -ENOMEM;
		state->names = bigger;
		state->names_capacity = capacity;
	}
	/* The pool may move while it grows: keep offsets (plus one) now. */
	memcpy(state->names + state->names_len, vma->name, name_len + 1);
	record->name = (const char *)(uintptr_t)(state->names_len + 1);
	state->names_len += name_len + 1;
	return 0;
}

int xmm_vma_read_at(int dirfd, unsigned int flags, struct xmm_vma_list *list)
{
	struct read_state state = { .list = list };
	size_t i;
	int ret;

	ret = xmm_maps_for_each(dirfd, keep_one, &state, &list->malformed);
	list->storage = state.names;
	for (i = 0; i < list->count; i++) {
		uintptr_t offset = (uintptr_t)list->vmas[i].name;

		list->vmas[i].name = offset ? state.names + offset - 1 : "";
	}
	if (ret == 0 && (flags & XMM_VMA_READ_PAGEMAP))
		ret = read_pagemap(dirfd, list);
	if (ret < 0)
		xmm_vma_list_free(list);
	return ret;
}

XMM_EXPORT int xmm_vma_read(int pidfd, unsigned int flags,
			    struct xmm_vma_list *list)
{
	pid_t pid;
	int dirfd, ret;

	if (!list || (flags & ~XMM_VMA_READ_PAGEMAP))
		return (int)xmm_errno_result(-EINVAL);
	memset(list, 0, sizeof(*list));
	dirfd = xmm_proc_open(pidfd, &pid);
	if (dirfd < 0)
		return (int)xmm_errno_result(dirfd);
	ret = xmm_vma_read_at(dirfd, flags, list);
	close(dirfd);
	return (int)xmm_errno_result(ret);
}

XMM_EXPORT void xmm_vma_list_free(struct xmm_vma_list *list)
{
	if (!list)
		return;
	free(list->vmas);
	free(list->storage);
	memset(list, 0, sizeof(*list));
}

int xmm_vma_select_check(const struct xmm_vma_select *select)
{
	size_t i;

	if (!select)
		return 0;
	if (select->classes & ~XMM_VMA_CLASS_ALL & ~XMM_VMA_CLASS_SPECIAL)
		return -EINVAL;
	if (select->flags & ~XMM_VMA_SELECT_ANY)
		return -EINVAL;
	if (select->pattern_count && !select->patterns)
		return -EINVAL;
	for (i = 0; i < select->pattern_count; i++)
		if (!select->patterns[i])
			return -EINVAL;
	if (select->max_size && select->min_size > select->max_size)
		return -EINVAL;
	if (select->addr_max && select->addr_min >= select->addr_max)
		return -EINVAL;
	return 0;
}

/* Does any pattern match the name?  -1 when there is no pattern. */
static int name_matches(const struct xmm_vma *vma,
			const struct xmm_vma_select *select)
{
	size_t i;

	if (!select->pattern && !select->pattern_count)
		return -1;
	if (select->pattern &&
	    fnmatch(select->pattern, vma->name, select->fnmatch_flags) == 0)
		return 1;
	for (i = 0; i < select->pattern_count; i++)
		if (fnmatch(select->patterns[i], vma->name,
			    select->fnmatch_flags) == 0)
			return 1;
	return 0;
}

/* The class and name conditions: AND, or OR with XMM_VMA_SELECT_ANY. */
static bool kind_matches(const struct xmm_vma *vma,
			 const struct xmm_vma_select *select)
{
	int named;

	if (select->flags & XMM_VMA_SELECT_ANY) {
		if (vma->vma_class & select->classes)
			return true;
		return name_matches(vma, select) == 1;
	}
	if (!(vma->vma_class &
	      (select->classes ? select->classes : XMM_VMA_CLASS_ALL)))
		return false;
	named = name_matches(vma, select);
	return named != 0;
}

bool xmm_vma_select_range(const struct xmm_vma *vma,
			  const struct xmm_vma_select *select,
			  unsigned long *start, unsigned long *end)
{
	unsigned long size = vma->end - vma->start;

	*start = vma->start;
	*end = vma->end;
	if (!select)
		return vma->vma_class & XMM_VMA_CLASS_ALL;
	if ((vma->prot & select->prot_set) != select->prot_set ||
	    (vma->prot & select->prot_clear))
		return false;
	if (size < select->min_size ||
	    (select->max_size && size > select->max_size))
		return false;
	if (!kind_matches(vma, select))
		return false;
	if (select->addr_min > *start)
		*start = select->addr_min;
	if (select->addr_max && select->addr_max < *end)
		*end = select->addr_max;
	return *start < *end;
}

XMM_EXPORT int xmm_vma_match(const struct xmm_vma *vma,
			     const struct xmm_vma_select *select)
{
	unsigned long start, end;
	int ret;

	if (!vma)
		return (int)xmm_errno_result(-EINVAL);
	ret = xmm_vma_select_check(select);
	if (ret < 0)
		return (int)xmm_errno_result(ret);
	return xmm_vma_select_range(vma, select, &start, &end);
}

int xmm_mem_usage_at(int dirfd, unsigned int flags,
		     struct xmm_mem_usage *usage)
{
	char *text;
	size_t len;
	int ret;

	memset(usage, 0, sizeof(*usage));
	ret = xmm_proc_read_all(dirfd, "status", &text, &len);
	if (ret < 0)
		return ret;
	/* A zombie or kernel thread has no Vm lines: nothing mapped. */
	xmm_proc_field_kib(text, "VmRSS", &usage->rss);
	xmm_proc_field_kib(text, "RssAnon", &usage->rss_anon);
	xmm_proc_field_kib(text, "RssFile", &usage->rss_file);
	xmm_proc_field_kib(text, "RssShmem", &usage->rss_shmem);
	xmm_proc_field_kib(text, "VmSwap", &usage->swap);
	free(text);
	if (!(flags & XMM_MEM_ROLLUP))
		return 0;

	ret = xmm_proc_read_all(dirfd, "smaps_rollup", &text, &len);
	if (ret < 0)
		return ret;
	xmm_proc_field_kib(text, "Pss", &usage->pss);
	xmm_proc_field_kib(text, "Pss_Anon", &usage->pss_anon);
	xmm_proc_field_kib(text, "Pss_File", &usage->pss_file);
	xmm_proc_field_kib(text, "Pss_Shmem", &usage->pss_shmem);
	xmm_proc_field_kib(text, "SwapPss", &usage->swap_pss);
	free(text);
	usage->flags |= XMM_MEM_ROLLUP;
	return 0;
}

XMM_EXPORT int xmm_mem_usage(int pidfd, unsigned int flags,
			     struct xmm_mem_usage *usage)
{
	pid_t pid;
	int dirfd, ret;

	if (!usage || (flags & ~XMM_MEM_ROLLUP))
		return (int)xmm_errno_result(-EINVAL);
	dirfd = xmm_proc_open(pidfd, &pid);
	if (dirfd < 0)
		return (int)xmm_errno_result(dirfd);
	ret = xmm_mem_usage_at(dirfd, flags, usage);
	close(dirfd);
	return (int)xmm_errno_result(ret);
}
