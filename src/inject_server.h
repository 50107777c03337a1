/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the two sides of the injection server share (inject_server.c:
 * the caller's side and the design; inject_server_helper.c: the helper's
 * own process): the layout of the private stacks mapping and of the page
 * both map, the channel's messages, and the intermediate's entry.
 */
#ifndef XMM_SRC_INJECT_SERVER_H
#define XMM_SRC_INJECT_SERVER_H

#include "inject_private.h"

#include <linux/futex.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef XMM_HAVE_INJECT

#define HELPER_STACK_SIZE	(192 * 1024)
#define MIDDLE_STACK_SIZE	(16 * 1024)
/* The spawning pthread: its stack, with its TLS and descriptor on top. */
#define SPAWNER_STACK_SIZE	(256 * 1024)
#define REQUEST_SIZE	(sizeof(struct xmm_inject_request) + \
			 XMM_INJECT_MAX_CALLS * sizeof(struct xmm_inject_call))

/*
 * The private mapping: [guard][helper stack][guard][intermediate's stack]
 * [spawner's stack, TLS on top]; the helper runs on its own copy.  Kept
 * for the life of the process (a new helper reuses it once the old one
 * is gone).
 */
#define HELPER_STACK_OFF(page)	(page)
#define MIDDLE_STACK_OFF(page)	(HELPER_STACK_OFF(page) + HELPER_STACK_SIZE + \
				 (page))
#define SPAWNER_STACK_OFF(page)	(MIDDLE_STACK_OFF(page) + MIDDLE_STACK_SIZE)
#define REGION_SIZE(page)	(SPAWNER_STACK_OFF(page) + SPAWNER_STACK_SIZE)

/* What the spawner, the intermediate and the helper share at the start. */
struct server_spawn {
	char *region;
	int helper_end;		/* the helper's end of the channel */
	atomic_bool spawner_tls_ours;	/* the TLS lies in our mapping */
	atomic_bool middle_cloned;	/* the intermediate's clone worked */
	atomic_bool helper_ran;	/* the helper runs, on our shared page */
	bool shares_memory;	/* CLONE_VM: a userfaultfd reports forks */
	bool adopted;		/* CLONE_PARENT: we would adopt an orphan */
	_Atomic pid_t helper;
	int helper_wake;	/* the request pipe's read end */
	/*
	 * The answer word, a robust futex of the helper's: its tid while it
	 * is idle (an answer stored), tid | FUTEX_WAITERS while a request
	 * waits for it.  Whatever kills the helper, the kernel marks it
	 * FUTEX_OWNER_DIED then and wakes the caller's wait.
	 */
	_Atomic uint32_t answer;
	uint32_t helper_self;	/* its tid, as the helper stored it */
	atomic_bool helper_keeps_pidfd;	/* with the answer */
};

/*
 * The mapping the caller and the helper share (MAP_SHARED: the helper's
 * memory is its own): this, then the request.
 */
struct server_shared {
	struct server_spawn spawn;
	/* The helper's robust futex list: one entry, the answer word. */
	struct robust_list_head robust;
	struct robust_list answer_entry;
	/* What the helper keeps of the memory it was forked with. */
	struct xmm_keep_ranges keep;
};

#define SHARED_REQUEST_OFF	((sizeof(struct server_shared) + 63) & ~63UL)
#define SHARED_SIZE(page)	((SHARED_REQUEST_OFF + REQUEST_SIZE + \
				  (page) - 1) & ~((page) - 1))

/* One byte on the channel, with room for one descriptor beside it. */
struct chan_message {
	struct msghdr msg;
	struct iovec iov;
	char byte;
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} control;
};

/* Request bytes: a pidfd comes (first) on the socket, or use the one
 * kept. */
#define CHAN_REQUEST_PIDFD	'q'
#define CHAN_REQUEST_KEPT	'k'

/* Written by the intermediate in the caller's memory: it shares it
 * (CLONE_VM); false afterwards where an emulator turned that into a fork. */
extern atomic_bool xmm_server_middle_ran;

/* inject_server_helper.c: async-signal-safe, the caller uses it too. */
void xmm_server_chan_message_init(struct chan_message *m, char byte);
/* The intermediate: clones the helper (arg: struct server_shared *). */
int xmm_server_middle_main(void *arg);

#endif /* XMM_HAVE_INJECT */

#endif /* XMM_SRC_INJECT_SERVER_H */
