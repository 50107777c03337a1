/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* xmm_process_madvise(): the call every backend receives. */
#ifndef XMM_SRC_MADVISE_H
#define XMM_SRC_MADVISE_H

#include <stdbool.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Flags the library consumes; the kernel never sees them. */
#define XMM_PMADV_LIBRARY_FLAGS	(XMM_PMADV_INJECT | XMM_PMADV_INJECT_UNCHECKED)

struct xmm_madvise_call {
	/* As the caller passed them. */
	int pidfd;
	const struct iovec *iov;
	size_t vlen;
	int advice;
	unsigned int flags;

	/*
	 * Filled by xmm_madvise_prepare() for the fallbacks, which must see
	 * the arguments as the kernel would: iovecs copied and checked,
	 * lengths clamped, the target resolved.
	 */
	bool prepared;
	struct iovec *checked_iov;
	size_t checked_vlen;
	size_t checked_total;	/* bytes, after the clamp */
	pid_t target_pid;
	bool target_is_self;

	/* target_shares_our_mm() asked kcmp(2), and its answer. */
	bool shares_mm_known;
	bool shares_mm;

	/*
	 * The native call's EPERM came from a seccomp policy, not the kernel
	 * (native_run()): a fallback may serve, and if none does the answer
	 * is that EPERM.
	 */
	bool refused_by_policy;
};

/*
 * Check and copy the arguments in the kernel's order, with its errors
 * (EINVAL, EFAULT, EBADF, ESRCH).  Idempotent: the first caller pays.
 */
int xmm_madvise_prepare(struct xmm_madvise_call *call);

/*
 * Did this thread's last xmm_process_madvise() end with the injection
 * engine answering EAGAIN (the target could not be stopped, or could
 * not run the injected call: frozen), rather than with the answer of the
 * advice itself in the target (MADV_COLLAPSE's EAGAIN is one range's)?
 * The first is the target's state, which no other range escapes.
 */
bool xmm_madvise_target_could_not_run(void);

/* Did the inject backend serve this thread's last xmm_process_madvise()? */
bool xmm_madvise_served_by_injection(void);

/* Advice that process_madvise(2) accepts for another process (6.1+). */
bool xmm_madvise_remote_allowed(int advice);

/*
 * Does process_madvise(2) visit element i of a checked iovec whose lengths
 * add up to total?  Its iov_iter skips a zero-length element unless it is
 * the first, and visits nothing when the total is 0.
 */
static inline bool xmm_madvise_visits(const struct iovec *iov, size_t i,
				      size_t total)
{
	return total && (i == 0 || iov[i].iov_len);
}

/* Advice sub-range by sub-range with the kernel's partial-progress rule:
 * bytes done before the first failure, or the failure if none. */
static inline long xmm_madvise_progress(size_t done, long err)
{
	return done ? (long)done : err;
}

#endif /* XMM_SRC_MADVISE_H */
