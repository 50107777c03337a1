/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The library's one fork hook (atfork.c): a constructor registers these
 * two with pthread_atfork() once, and they call each subsystem's handler,
 * declared in that subsystem's header, in a fixed order.
 *
 * Each subsystem with a handler calls xmm_atfork_register() too: in a
 * static link (libxmm.a) nothing else would bring atfork.o, and with it
 * the constructor, into the program, and its fork children would keep
 * the parent's helper, userfaultfd and fork flag unhandled.
 */
#ifndef XMM_SRC_ATFORK_H
#define XMM_SRC_ATFORK_H

/* Runs in the parent just before each fork(). */
void xmm_atfork_prepare(void);

/* Runs in the child just after each fork(). */
void xmm_atfork_child(void);

/* Register the two handlers, once (the constructor did, where linked). */
void xmm_atfork_register(void);

#endif /* XMM_SRC_ATFORK_H */
