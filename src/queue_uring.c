// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The queue's io_uring engine: advice on the caller's own memory as
 * IORING_OP_MADVISE requests (Linux 5.6).
 *
 * One thread of the queue, the ring thread, is the only one that enters
 * the ring.  Requests belong to the task that submitted them: a submitting
 * thread that exits takes its unstarted io-wq work with it, so callers'
 * threads never submit.  They append jobs to a backlog and kick the ring
 * thread through an eventfd.  The ring thread sleeps in poll(2) on that
 * eventfd and the ring (readable when completions wait), not inside
 * io_uring_enter(2): a tool that serialises threads around system calls it
 * believes quick (valgrind 3.19 treats io_uring_enter so) would otherwise
 * stop every other thread while the ring thread waits.
 *
 * process_madvise(2) stops at the first range that fails: the ranges after
 * it are not advised.  io_uring cannot chain that -- a failed
 * IORING_OP_MADVISE does not break an IOSQE_IO_LINK chain (io_madvise()
 * never marks the request failed), so the rest of the chain would run.  A
 * job therefore has one range in the ring at a time, the next submitted
 * when the previous succeeded; every io_uring_enter carries the next
 * range of every job in flight.  The answer is the bytes of the ranges
 * before the first failure, or that failure when there were none.
 *
 * The ranges are those process_madvise(2) visits (xmm_madvise_visits()).
 */
#include "internal.h"
#include "madvise.h"
#include "queue.h"

#include <liburing.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#define RING_ENTRIES	1024

struct ring_job {
	struct iovec *ranges;	/* those the kernel would visit */
	size_t count;
	size_t next;		/* the range in the ring */
	size_t done;		/* bytes of the ranges before it */
	struct xmm_queue_job *prev_in_ring, *next_in_ring;
};

struct ring {
	struct io_uring ring;
	int kick_fd;		/* non-blocking eventfd */
	pthread_t thread;

	pthread_mutex_t lock;	/* the backlog and stopping */
	struct xmm_queue_job *backlog, **backlog_tail;
	bool stopping;

	/* The ring thread's own: the jobs with a range in the ring. */
	struct xmm_queue_job *in_ring;
	unsigned int jobs_in_ring;
	unsigned int capacity;	/* SQ entries */
};

static void ring_job_free(struct xmm_queue_job *job)
{
	struct ring_job *rj = job->engine_data;

	if (rj) {
		free(rj->ranges);
		free(rj);
		job->engine_data = NULL;
	}
}

/*
 * The SQ always has room: only the ring thread fills it, with at most one
 * entry per job in the ring, and no more jobs than SQ entries.
 */
static void queue_range(struct ring *r, struct xmm_queue_job *job)
{
	struct ring_job *rj = job->engine_data;
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);

	io_uring_prep_madvise(sqe, rj->ranges[rj->next].iov_base,
			      (off_t)rj->ranges[rj->next].iov_len,
			      job->advice);
	io_uring_sqe_set_data(sqe, job);
}

/* Move backlog jobs into the ring while it has room. */
static bool fill_ring(struct ring *r)
{
	bool stopping;

	pthread_mutex_lock(&r->lock);
	while (r->backlog && !r->stopping &&
	       r->jobs_in_ring < r->capacity) {
		struct xmm_queue_job *job = r->backlog;
		struct ring_job *rj = job->engine_data;

		r->backlog = job->next;
		if (!r->backlog)
			r->backlog_tail = &r->backlog;
		rj->prev_in_ring = NULL;
		rj->next_in_ring = r->in_ring;
		if (r->in_ring)
			((struct ring_job *)r->in_ring->engine_data)
				->prev_in_ring = job;
		r->in_ring = job;
		r->jobs_in_ring++;
		queue_range(r, job);
	}
	stopping = r->stopping;
	pthread_mutex_unlock(&r->lock);
	return stopping;
}

static void finish(struct ring *r, struct xmm_queue_job *job, int error)
{
	struct ring_job *rj = job->engine_data;

	if (error && !rj->done) {
		job->advised = -1;
		job->error = error;
	} else {
		job->advised = (ssize_t)rj->done;
		job->error = 0;
	}
	job->backend = "io_uring";

	if (rj->prev_in_ring)
		((struct ring_job *)rj->prev_in_ring->engine_data)
			->next_in_ring = rj->next_in_ring;
	else
		r->in_ring = rj->next_in_ring;
	if (rj->next_in_ring)
		((struct ring_job *)rj->next_in_ring->engine_data)
			->prev_in_ring = rj->prev_in_ring;
	r->jobs_in_ring--;
	ring_job_free(job);
	xmm_queue_complete(job);
}

static void reap_ring(struct ring *r)
{
	struct io_uring_cqe *cqe;
	unsigned int head, seen = 0;

	io_uring_for_each_cqe(&r->ring, head, cqe) {
		struct xmm_queue_job *job = io_uring_cqe_get_data(cqe);
		struct ring_job *rj = job->engine_data;

		seen++;
		if (cqe->res < 0) {
			finish(r, job, -cqe->res);
			continue;
		}
		rj->done += rj->ranges[rj->next].iov_len;
		if (++rj->next == rj->count)
			finish(r, job, 0);
		else
			queue_range(r, job);
	}
	io_uring_cq_advance(&r->ring, seen);
}

static void *ring_main(void *arg)
{
	struct ring *r = arg;

	/*
	 * Leaving this loop ends the thread, and with it the kernel's work
	 * queue of the ring's requests: ranges not started are cancelled,
	 * those running finish (see uring_stop()).
	 */
	while (!fill_ring(r)) {
		struct pollfd wait[2] = {
			{ r->ring.ring_fd, POLLIN, 0 },
			{ r->kick_fd, POLLIN, 0 },
		};
		eventfd_t kicks;

		/* Never waits in the kernel: the wait is poll(2)'s. */
		io_uring_submit(&r->ring);
		if (io_uring_cq_ready(&r->ring) == 0) {
			poll(wait, 2, -1);
			if (wait[1].revents)
				eventfd_read(r->kick_fd, &kicks);
		}
		reap_ring(r);
	}
	return NULL;
}

/* The ranges process_madvise(2) would visit (see the top of the file). */
static int plan_ranges(struct xmm_queue_job *job, struct ring_job *rj)
{
	size_t i, total = 0;

	for (i = 0; i < job->vlen; i++)
		total += job->iov[i].iov_len;
	if (!total)
		return 0;
	rj->ranges = malloc(job->vlen * sizeof(*rj->ranges));
	if (!rj->ranges)
		return -ENOMEM;
	for (i = 0; i < job->vlen; i++) {
		if (!xmm_madvise_visits(job->iov, i, total))
			continue;
		rj->ranges[rj->count++] = job->iov[i];
	}
	return 0;
}

static int uring_submit(void *state, struct xmm_queue_job *job)
{
	struct ring *r = state;
	struct ring_job *rj = calloc(1, sizeof(*rj));
	int ret;

	if (!rj)
		return -ENOMEM;
	job->engine_data = rj;
	ret = plan_ranges(job, rj);
	if (ret < 0) {
		ring_job_free(job);
		return ret;
	}
	if (!rj->count) {
		/* Nothing to visit: process_madvise(2) answers 0. */
		ring_job_free(job);
		job->advised = 0;
		job->error = 0;
		job->backend = "io_uring";
		xmm_queue_complete(job);
		return 0;
	}

	pthread_mutex_lock(&r->lock);
	if (r->stopping) {
		pthread_mutex_unlock(&r->lock);
		ring_job_free(job);
		return -ESHUTDOWN;
	}
	job->next = NULL;
	*r->backlog_tail = job;
	r->backlog_tail = &job->next;
	pthread_mutex_unlock(&r->lock);
	eventfd_write(r->kick_fd, 1);
	return 0;
}

static struct xmm_queue_job *uring_cancel(void *state, uint64_t token)
{
	struct ring *r = state;
	struct xmm_queue_job *cancelled = NULL, **cancelled_tail = &cancelled;
	struct xmm_queue_job **link;

	pthread_mutex_lock(&r->lock);
	link = &r->backlog;
	r->backlog_tail = &r->backlog;
	while (*link) {
		struct xmm_queue_job *job = *link;

		if (job->token == token) {
			*link = job->next;
			job->next = NULL;
			ring_job_free(job);
			*cancelled_tail = job;
			cancelled_tail = &job->next;
		} else {
			link = &job->next;
			r->backlog_tail = link;
		}
	}
	pthread_mutex_unlock(&r->lock);
	return cancelled;
}

static int uring_start(struct xmm_queue *queue, unsigned int workers,
		       void **state)
{
	struct io_uring_probe *probe;
	struct ring *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return -ENOMEM;
	ret = io_uring_queue_init(RING_ENTRIES, &r->ring, 0);
	if (ret < 0)
		goto fail;
	probe = io_uring_get_probe_ring(&r->ring);
	if (!probe || !io_uring_opcode_supported(probe, IORING_OP_MADVISE))
		ret = -EOPNOTSUPP;
	io_uring_free_probe(probe);
	if (ret < 0)
		goto fail_ring;
	r->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (r->kick_fd < 0) {
		ret = -errno;
		goto fail_ring;
	}
	pthread_mutex_init(&r->lock, NULL);
	r->backlog_tail = &r->backlog;
	r->capacity = r->ring.sq.ring_entries;
	ret = xmm_queue_thread_start(&r->thread, ring_main, r);
	if (ret < 0)
		goto fail_kick;
	*state = r;
	return 0;

fail_kick:
	pthread_mutex_destroy(&r->lock);
	close(r->kick_fd);
fail_ring:
	io_uring_queue_exit(&r->ring);
fail:
	free(r);
	return ret;
}

/*
 * The ring thread's exit ends its io-wq: the kernel cancels the requests
 * that have not started and waits for those running, before the thread
 * is joined (io_uring_files_cancel() runs early in do_exit()).
 */
static void uring_stop(void *state)
{
	struct ring *r = state;
	struct xmm_queue_job *job;

	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_mutex_unlock(&r->lock);
	eventfd_write(r->kick_fd, 1);
	pthread_join(r->thread, NULL);

	io_uring_queue_exit(&r->ring);
	close(r->kick_fd);
	while ((job = r->backlog)) {
		r->backlog = job->next;
		ring_job_free(job);
		xmm_queue_job_free(job);
	}
	while ((job = r->in_ring)) {
		r->in_ring = ((struct ring_job *)job->engine_data)
			->next_in_ring;
		ring_job_free(job);
		xmm_queue_job_free(job);
	}
	pthread_mutex_destroy(&r->lock);
	free(r);
}

const struct xmm_queue_engine xmm_queue_engine_uring = {
	.name = "uring",
	.start = uring_start,
	.submit = uring_submit,
	.cancel = uring_cancel,
	.stop = uring_stop,
};
