// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_vma_read(), xmm_vma_list_free(), xmm_vma_match() and
 * xmm_mem_usage(): what a memory manager reads about a process before it
 * advises it.  The reading itself is the /proc layer's (procfs_maps.c,
 * procfs_pagemap.c).
 */
#include "internal.h"
#include "procfs.h"
#include "vma_private.h"

#include <fnmatch.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int xmm_vma_read_at(int dirfd, unsigned int flags, struct xmm_vma_list *list)
{
	int ret = xmm_proc_maps_read(dirfd, list);

	if (ret == 0 && (flags & XMM_VMA_READ_PAGEMAP))
		ret = xmm_proc_pagemap_count(dirfd, list);
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
