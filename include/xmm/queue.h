/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xmm advice queue: xmm_process_madvise() without blocking the caller, for
 * event loops.  Submit advice, learn from a descriptor (epoll) when it is
 * done, reap the results.  Advice on the caller's own memory runs through
 * io_uring (IORING_OP_MADVISE) where the kernel allows it; everything else
 * runs on worker threads the queue owns.  See xmm_queue(3).
 */
#ifndef XMM_QUEUE_H
#define XMM_QUEUE_H

#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <xmm/xmm.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xmm_queue;

/* The most worker threads xmm_queue_create() accepts. */
#define XMM_QUEUE_MAX_WORKERS	1024

/* One finished submission. */
struct xmm_queue_completion {
	uint64_t token;		/* as passed to xmm_queue_submit() */
	/*
	 * What xmm_process_madvise() returns for the same call: the bytes
	 * advised, or -1 when nothing was advised.
	 */
	ssize_t advised;
	int error;		/* when advised is -1: the errno, else 0 */
	/*
	 * What ran it: "io_uring", or the xmm_process_madvise() backend that
	 * served ("native", "self-madvise", "inject"); NULL when nothing ran
	 * (cancelled, or refused before any backend served).
	 */
	const char *backend;
};

struct xmm_queue *xmm_queue_create(unsigned int workers, unsigned int flags);
int xmm_queue_fd(const struct xmm_queue *queue);
int xmm_queue_submit(struct xmm_queue *queue, int pidfd,
		     const struct iovec *iov, size_t vlen, int advice,
		     unsigned int flags, uint64_t token);
int xmm_queue_submit_process(struct xmm_queue *queue, int pidfd,
			     const struct xmm_vma_select *select, int advice,
			     const struct xmm_advise_options *options,
			     struct xmm_advise_report *report, uint64_t token);
int xmm_queue_reap(struct xmm_queue *queue,
		   struct xmm_queue_completion *completions, unsigned int max);
int xmm_queue_cancel(struct xmm_queue *queue, uint64_t token);
void xmm_queue_destroy(struct xmm_queue *queue);

#ifdef __cplusplus
}
#endif

#endif /* XMM_QUEUE_H */
