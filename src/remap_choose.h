/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The default choice of xmm_remap_anon_pages() for a large move onto one
 * whole mapping (remap_choose.c).
 */
#ifndef XMM_SRC_REMAP_CHOOSE_H
#define XMM_SRC_REMAP_CHOOSE_H

#include <stdbool.h>

#include "remap.h"

/*
 * With no backend forced: when the call is proved to be a complete move
 * onto exactly one whole mapping that mremap serves with the answer
 * uffd-move would give, move it with mremap(MREMAP_DONTUNMAP), store the
 * bytes moved in *moved and return true.  false: nothing was done, the
 * backends serve the call in their order.
 */
bool xmm_remap_whole_mapping(const struct xmm_remap_call *call, long *moved);

/* Before each fork() (atfork.c): the process has forked. */
void xmm_remap_choose_atfork_prepare(void);

#endif /* XMM_SRC_REMAP_CHOOSE_H */
