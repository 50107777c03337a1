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
#include <unistd.h>

/* Pagemap entry bits (Documentation/admin-guide/mm/pagemap.rst). */
#define PAGEMAP_PRESENT		(1ULL << 63)
#define PAGEMAP_SWAPPED		(1ULL << 62)
#define PAGEMAP_BATCH		4096	/* entries per pread() */

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
		ssize_t n = pread(pagemap_fd, entries, want * sizeof(entries[0]),
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
	int fd, ret = 0;

	fd = openat(dirfd, "pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	for (i = 0; i < list->count && ret == 0; i++) {
		/* [vsyscall] and friends lie outside the user address
		 * space that pagemap describes. */
		if (list->vmas[i].vma_class == XMM_VMA_CLASS_SPECIAL)
			continue;
		ret = count_pages(fd, &list->vmas[i], page_size);
	}
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
	char *buf, *line, *end, *nl;
	struct xmm_vma vma;
	int fd, ret = 0;

	*malformed = 0;
	fd = openat(dirfd, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	buf = malloc(size);
	if (!buf) {
		close(fd);
		return -ENOMEM;
	}
	while (ret == 0) {
		ssize_t n;
		bool eof;

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
		eof = n == 0;
		used += (size_t)n;
		line = buf;
		end = buf + used;
		/* At the end, an unterminated last line counts too. */
		while (ret == 0 && line < end) {
			nl = memchr(line, '\n', (size_t)(end - line));
			if (!nl && !eof)
				break;
			if (!nl)
				nl = end;	/* buf[used] is spare */
			if (nl == line) {
				/* an empty line: nothing */
			} else if (xmm_maps_parse_line(line,
						       (size_t)(nl - line),
						       &vma)) {
				ret = each(&vma, arg);
			} else {
				(*malformed)++;
			}
			line = nl + 1;
		}
		if (eof)
			break;
		used = line < end ? (size_t)(end - line) : 0;
		memmove(buf, line, used);
	}
	free(buf);
	close(fd);
	return ret;
}

int xmm_vma_read_at(int dirfd, unsigned int flags, struct xmm_vma_list *list)
{
	size_t len, lines;
	char *text;
	int ret;

	ret = xmm_proc_read_all(dirfd, "maps", &text, &len);
	if (ret < 0)
		return ret;
	lines = xmm_maps_count_lines(text, len);
	/* The parser writes every field of a record: no need to zero. */
	list->vmas = malloc((lines ? lines : 1) * sizeof(*list->vmas));
	if (!list->vmas) {
		free(text);
		return -ENOMEM;
	}
	list->count = xmm_maps_parse(text, len, list->vmas, lines,
				     &list->malformed);
	list->storage = text;
	if (flags & XMM_VMA_READ_PAGEMAP) {
		ret = read_pagemap(dirfd, list);
		if (ret < 0) {
			xmm_vma_list_free(list);
			return ret;
		}
	}
	return 0;
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
	if (!select)
		return 0;
	if (select->classes & ~(XMM_VMA_CLASS_ALL | XMM_VMA_CLASS_SPECIAL))
		return -EINVAL;
	if (select->max_size && select->min_size > select->max_size)
		return -EINVAL;
	if (select->addr_max && select->addr_min >= select->addr_max)
		return -EINVAL;
	return 0;
}

bool xmm_vma_select_range(const struct xmm_vma *vma,
			  const struct xmm_vma_select *select,
			  unsigned long *start, unsigned long *end)
{
	unsigned int classes = XMM_VMA_CLASS_ALL;
	unsigned long size = vma->end - vma->start;

	*start = vma->start;
	*end = vma->end;
	if (!select)
		return vma->vma_class & classes;
	if (select->classes)
		classes = select->classes;
	if (!(vma->vma_class & classes))
		return false;
	if ((vma->prot & select->prot_set) != select->prot_set ||
	    (vma->prot & select->prot_clear))
		return false;
	if (size < select->min_size ||
	    (select->max_size && size > select->max_size))
		return false;
	if (select->pattern &&
	    fnmatch(select->pattern, vma->name, select->fnmatch_flags) != 0)
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
