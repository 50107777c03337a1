// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The library's one fork hook.  Every subsystem that must learn of a
 * fork() has a handler in its own header; this file calls them, in this
 * order, and is the only pthread_atfork() registration of the library.
 *
 * Only fork() (and the libc calls built on it) runs these handlers;
 * _Fork(), vfork() and a raw clone() do not, so no handler may be what
 * keeps a child correct on its own (remap_uffd.c's wipe-on-fork page is).
 */
#include "internal.h"
#include "atfork.h"
#include "inject.h"
#include "remap.h"
#include "remap_choose.h"

#include <pthread.h>

void xmm_atfork_prepare(void)
{
	/* Before the fork, so that parent and child both see it. */
	xmm_remap_choose_atfork_prepare();
}

void xmm_atfork_child(void)
{
	xmm_uffd_atfork_child();
	xmm_inject_helper_atfork_child();
}

static void atfork_register_once(void)
{
	pthread_atfork(xmm_atfork_prepare, NULL, xmm_atfork_child);
}

void xmm_atfork_register(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;

	pthread_once(&once, atfork_register_once);
}

/* At load, so that every fork() of the program is seen (remap_choose.c's
 * flag counts forks from the start). */
__attribute__((constructor)) static void atfork_register(void)
{
	xmm_atfork_register();
}
