/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one internal interface behind every operation: an ordered list of
 * backends, tried in turn.  A backend is probed at most once per process
 * (the answer is cached, thread-safely), may be forced by name, and tells
 * the dispatcher with xmm_try_next() that it cannot serve this call here,
 * so that the next one is tried.  Any other negative answer is final.
 */
#ifndef XMM_SRC_BACKEND_H
#define XMM_SRC_BACKEND_H

#include <stdatomic.h>
#include <stdbool.h>

/*
 * "Not here, try the next backend", carrying the errno to report if no
 * later backend serves.  These values lie below every -errno, and no
 * operation returns a negative value other than -errno.
 */
#define XMM_TRY_NEXT_BASE	4096L

static inline long xmm_try_next(int err)
{
	return -(XMM_TRY_NEXT_BASE + err);
}

static inline bool xmm_is_try_next(long ret)
{
	return ret <= -XMM_TRY_NEXT_BASE;
}

/* Probe states kept in xmm_backend.state. */
#define XMM_BACKEND_UNPROBED	0
#define XMM_BACKEND_AVAILABLE	1
/* Any negative state is the -errno that says why it is unavailable. */

struct xmm_backend {
	const char *name;
	/*
	 * Is this backend usable on this system?  0, or -errno with *detail
	 * set to a sentence for `xmm probe`.  Cheap and free of side
	 * effects; runs once per process.  NULL: always usable.
	 */
	int (*probe)(const char **detail);
	/* Serve one call: a result >= 0, -errno, or xmm_try_next(). */
	long (*run)(void *call);

	/* The probe cache. */
	atomic_int state;
	const char *_Atomic detail;
};

/* Forced state of an operation: a backend index, or one of these. */
#define XMM_FORCE_NONE		(-1)	/* try every backend in order */
#define XMM_FORCE_UNKNOWN	(-2)	/* forced to a name nobody has */

/* Every operation, in the order xmm_backend_info() lists them. */
enum xmm_operation_id {
	XMM_OP_PROCESS_MADVISE,
	XMM_OP_REMAP_ANON_PAGES,
	XMM_OP_PROCESS_VM_MMAP,
	XMM_OP_COUNT
};

struct xmm_operation {
	const char *name;
	enum xmm_operation_id id;
	struct xmm_backend *const *backends;	/* NULL-terminated */
	atomic_int forced;
};

/* Run the call through op's backends; the answer of the one that served. */
long xmm_dispatch(struct xmm_operation *op, void *call);

/*
 * The same, after the caller already ran op's first backend itself and got
 * first_answer (a fast path, see xmm_process_madvise()).
 */
long xmm_dispatch_after_first(struct xmm_operation *op, void *call,
			      long first_answer);

/* Is b the backend every call of op goes to first, with nothing forced? */
static inline bool xmm_backend_first_and_ready(struct xmm_operation *op,
					       struct xmm_backend *b)
{
	return atomic_load_explicit(&op->forced, memory_order_relaxed) ==
		       XMM_FORCE_NONE &&
	       atomic_load_explicit(&b->state, memory_order_relaxed) ==
		       XMM_BACKEND_AVAILABLE;
}

/* Record that b answered the calling thread's call of op. */
void xmm_backend_served(struct xmm_operation *op, struct xmm_backend *b);

/* Forget it: the next xmm_backend_last() of op tells of a later call. */
void xmm_backend_forget_served(struct xmm_operation *op);

/* Is b usable?  Probes on first use. */
bool xmm_backend_usable(struct xmm_backend *b);

/*
 * A backend found at run time that it cannot serve on this system (the
 * kernel answered ENOSYS, a policy refused): skip it from now on.
 * detail must be a string constant.
 */
void xmm_backend_disable(struct xmm_backend *b, int err, const char *detail);

/* The operations, each defined next to its backends. */
extern struct xmm_operation xmm_op_process_madvise;
extern struct xmm_operation xmm_op_remap_anon_pages;
extern struct xmm_operation xmm_op_process_vm_mmap;

#endif /* XMM_SRC_BACKEND_H */
