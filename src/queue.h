/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The advice queue's internal interface: a submission (job), and the two
 * engines that run jobs behind the same four calls -- io_uring for advice
 * on the caller's own memory (queue_uring.c; queue_uring_none.c where the
 * build has no liburing), and worker threads for everything else
 * (queue_worker.c).  queue.c holds the public API and the completions.
 */
#ifndef XMM_SRC_QUEUE_H
#define XMM_SRC_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct xmm_queue;
struct xmm_vma_select;
struct xmm_advise_options;
struct xmm_advise_report;

struct xmm_queue_job {
	struct xmm_queue_job *next;	/* in whichever list holds it */
	struct xmm_queue *queue;
	uint64_t token;

	/*
	 * Whole-process advice (xmm_queue_submit_process()): these are set
	 * and iov is NULL.  report points to the caller's, or to own_report.
	 */
	bool whole_process;
	const struct xmm_vma_select *select;
	const struct xmm_advise_options *options;
	struct xmm_advise_report *report;
	struct xmm_advise_report *own_report;

	/* The call, checked by xmm_madvise_prepare() at submission. */
	int pidfd;		/* a sentinel, or pidfd_copy's descriptor */
	struct xmm_queue_pidfd *pidfd_copy;	/* the job's reference */
	struct iovec *iov;	/* checked and clamped; the job owns it */
	size_t vlen;
	int advice;
	unsigned int flags;

	/* The answer, as struct xmm_queue_completion carries it. */
	ssize_t advised;
	int error;
	const char *backend;

	void *engine_data;	/* the serving engine's, freed by it */
};

struct xmm_queue_engine {
	const char *name;
	/* Set up for queue; 0 or -errno (the engine cannot serve here). */
	int (*start)(struct xmm_queue *queue, unsigned int workers,
		     void **state);
	/* Take the job (0), or refuse it (-errno, the job is untouched). */
	int (*submit)(void *state, struct xmm_queue_job *job);
	/* Remove the jobs with this token that have not started: a list. */
	struct xmm_queue_job *(*cancel)(void *state, uint64_t token);
	/*
	 * Discard what has not started, wait for what runs, free the rest:
	 * no job of this engine completes afterwards.
	 */
	void (*stop)(void *state);
};

extern const struct xmm_queue_engine xmm_queue_engine_uring;
extern const struct xmm_queue_engine xmm_queue_engine_worker;

/*
 * The queue's copies of its callers' pidfds (queue_pidfd.c): the jobs of
 * one target process share one descriptor, reference-counted.
 */
struct xmm_queue_pidfds;
struct xmm_queue_pidfd;

struct xmm_queue_pidfds *xmm_queue_pidfds_new(void);
/* Every copy must have been put back. */
void xmm_queue_pidfds_free(struct xmm_queue_pidfds *set);

/*
 * A descriptor for pidfd, which refers to process pid (as the caller's
 * pidfd showed it): the copy the waiting jobs of that process share, or a
 * new one (-EMFILE, -ENFILE, -ENOMEM).  *copy is the reference to give
 * back with xmm_queue_pidfd_put(); the descriptor lives until then.
 */
int xmm_queue_pidfd_get(struct xmm_queue_pidfds *set, int pidfd, pid_t pid,
			struct xmm_queue_pidfd **copy);
void xmm_queue_pidfd_put(struct xmm_queue_pidfd *copy);

/* An engine hands a finished job back: it becomes a completion. */
void xmm_queue_complete(struct xmm_queue_job *job);

/* Free a job that will never complete (discarded by stop()). */
void xmm_queue_job_free(struct xmm_queue_job *job);

/*
 * Start a thread for an engine with every signal blocked: the library's
 * threads never take the process's signals.  0 or -errno.
 */
int xmm_queue_thread_start(pthread_t *thread, void *(*fn)(void *),
			   void *arg);

#endif /* XMM_SRC_QUEUE_H */
