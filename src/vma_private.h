/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What advise.c shares with vma.c. */
#ifndef XMM_SRC_VMA_PRIVATE_H
#define XMM_SRC_VMA_PRIVATE_H

#include <stdbool.h>

#include <xmm/vma.h>

/* xmm_vma_read() and xmm_mem_usage() on an open /proc/PID directory. */
int xmm_vma_read_at(int dirfd, unsigned int flags, struct xmm_vma_list *list);
int xmm_mem_usage_at(int dirfd, unsigned int flags,
		     struct xmm_mem_usage *usage);

/* 0, or -EINVAL for a selector that can match nothing sensible. */
int xmm_vma_select_check(const struct xmm_vma_select *select);

/* Does select pick vma?  If so, [*start, *end) is the part it picks. */
bool xmm_vma_select_range(const struct xmm_vma *vma,
			  const struct xmm_vma_select *select,
			  unsigned long *start, unsigned long *end);

#endif /* XMM_SRC_VMA_PRIVATE_H */
