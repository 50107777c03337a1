// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The advice queue (xmm_queue(3)): submissions checked as
 * xmm_process_madvise() checks them, handed to an engine (queue.h), and
 * their completions, announced through an eventfd.
 *
 * Which engine runs a submission:
 *   uring   the caller's own memory, where io_uring could be set up and
 *           no process_madvise backend is forced;
 *   worker  everything else: other processes (through
 *           xmm_process_madvise(), every backend included), and the
 *           caller's memory where io_uring is refused or a backend forced.
 */
#include "internal.h"
#include "backend.h"
#include "madvise.h"
#include "pidfd.h"
#include "queue.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <xmm/queue.h>

struct xmm_queue {
	int event_fd;	/* readable while completions wait to be reaped */
	void *uring;	/* NULL where io_uring cannot serve */
	void *worker;
	struct xmm_queue_pidfds *pidfds;	/* the jobs' pidfd copies */

	pthread_mutex_t lock;	/* the completions */
	struct xmm_queue_job *done_head, **done_tail;
};

int xmm_queue_thread_start(pthread_t *thread, void *(*fn)(void *),
			   void *arg)
{
	sigset_t all, old;
	int ret;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = pthread_create(thread, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return -ret;
}

void xmm_queue_job_free(struct xmm_queue_job *job)
{
	xmm_queue_pidfd_put(job->pidfd_copy);
	free(job->iov);
	free(job->own_report);
	free(job);
}

static void announce(struct xmm_queue *queue)
{
	/* Cannot fail: the counter would need 2^64 - 1 unread writes. */
	eventfd_write(queue->event_fd, 1);
}

void xmm_queue_complete(struct xmm_queue_job *job)
{
	struct xmm_queue *queue = job->queue;

	/* The call's resources go now; the completion keeps the answer. */
	xmm_queue_pidfd_put(job->pidfd_copy);
	job->pidfd_copy = NULL;
	free(job->iov);
	job->iov = NULL;
	free(job->own_report);
	job->own_report = NULL;
	job->next = NULL;

	pthread_mutex_lock(&queue->lock);
	*queue->done_tail = job;
	queue->done_tail = &job->next;
	pthread_mutex_unlock(&queue->lock);
	announce(queue);
}

XMM_EXPORT struct xmm_queue *xmm_queue_create(unsigned int workers,
					      unsigned int flags)
{
	struct xmm_queue *queue;
	int ret;

	if (flags || !workers || workers > XMM_QUEUE_MAX_WORKERS) {
		errno = EINVAL;
		return NULL;
	}
	queue = calloc(1, sizeof(*queue));
	if (!queue) {
		errno = ENOMEM;
		return NULL;
	}
	pthread_mutex_init(&queue->lock, NULL);
	queue->done_tail = &queue->done_head;
	queue->pidfds = xmm_queue_pidfds_new();
	if (!queue->pidfds) {
		ret = -ENOMEM;
		goto fail;
	}
	queue->event_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (queue->event_fd < 0) {
		ret = -errno;
		goto fail_pidfds;
	}
	ret = xmm_queue_engine_worker.start(queue, workers, &queue->worker);
	if (ret < 0)
		goto fail_fd;
	/* Refused (ENOSYS, EPERM, a seccomp policy) or absent: workers. */
	if (xmm_queue_engine_uring.start(queue, workers, &queue->uring) < 0)
		queue->uring = NULL;
	return queue;

fail_fd:
	close(queue->event_fd);
fail_pidfds:
	xmm_queue_pidfds_free(queue->pidfds);
fail:
	pthread_mutex_destroy(&queue->lock);
	free(queue);
	errno = -ret;
	return NULL;
}

XMM_EXPORT int xmm_queue_fd(const struct xmm_queue *queue)
{
	if (!queue)
		return (int)xmm_errno_result(-EINVAL);
	return queue->event_fd;
}

static bool madvise_backend_forced(void)
{
	return atomic_load_explicit(&xmm_op_process_madvise.forced,
				    memory_order_relaxed) != XMM_FORCE_NONE;
}

/*
 * The worker needs a descriptor of its own: the caller may close its.
 * The waiting jobs of one target share one copy (queue_pidfd.c).
 */
static int own_pidfd(struct xmm_queue_job *job, int pidfd, pid_t pid)
{
	int fd;

	if (xmm_pidfd_is_self_sentinel(pidfd)) {
		job->pidfd = pidfd;
		return 0;
	}
	fd = xmm_queue_pidfd_get(job->queue->pidfds, pidfd, pid,
				 &job->pidfd_copy);
	if (fd < 0)
		return fd;
	job->pidfd = fd;
	return 0;
}

static int submit(struct xmm_queue *queue, int pidfd,
		  const struct iovec *iov, size_t vlen, int advice,
		  unsigned int flags, uint64_t token)
{
	struct xmm_madvise_call call = {
		.pidfd = pidfd,
		.iov = iov,
		.vlen = vlen,
		.advice = advice,
		.flags = flags,
	};
	struct xmm_queue_job *job;
	int ret;

	if (!queue)
		return -EINVAL;
	/* xmm_process_madvise()'s own checks, in its order. */
	if (flags & ~XMM_PMADV_LIBRARY_FLAGS)
		return -EINVAL;
	ret = xmm_madvise_prepare(&call);
	if (ret < 0)
		return ret;

	job = calloc(1, sizeof(*job));
	if (!job) {
		free(call.checked_iov);
		return -ENOMEM;
	}
	job->queue = queue;
	job->token = token;
	job->iov = call.checked_iov;
	job->vlen = call.checked_vlen;
	job->advice = advice;
	job->flags = flags;

	if (call.target_is_self && queue->uring && !madvise_backend_forced()) {
		job->pidfd = -1;
		ret = xmm_queue_engine_uring.submit(queue->uring, job);
		if (ret >= 0)
			return 0;
		/* The ring refused (it is stopping): the workers serve. */
	}
	ret = own_pidfd(job, pidfd, call.target_pid);
	if (ret >= 0)
		ret = xmm_queue_engine_worker.submit(queue->worker, job);
	if (ret < 0)
		xmm_queue_job_free(job);
	return ret;
}

XMM_EXPORT int xmm_queue_submit(struct xmm_queue *queue, int pidfd,
				const struct iovec *iov, size_t vlen,
				int advice, unsigned int flags,
				uint64_t token)
{
	return (int)xmm_errno_result(submit(queue, pidfd, iov, vlen, advice,
					    flags, token));
}

static int submit_process(struct xmm_queue *queue, int pidfd,
			  const struct xmm_vma_select *select, int advice,
			  const struct xmm_advise_options *options,
			  struct xmm_advise_report *report, uint64_t token)
{
	struct xmm_queue_job *job;
	pid_t pid = 0;
	int ret;

	if (!queue)
		return -EINVAL;
	/* The target, as xmm_process_madvise() resolves it. */
	if (!xmm_pidfd_is_self_sentinel(pidfd)) {
		ret = xmm_pidfd_to_pid(pidfd, &pid);
		if (ret < 0)
			return ret;
	}
	job = calloc(1, sizeof(*job));
	if (!job)
		return -ENOMEM;
	if (!report) {
		job->own_report = calloc(1, sizeof(*job->own_report));
		if (!job->own_report) {
			free(job);
			return -ENOMEM;
		}
		report = job->own_report;
	}
	job->queue = queue;
	job->token = token;
	job->whole_process = true;
	job->select = select;
	job->options = options;
	job->report = report;
	job->advice = advice;
	ret = own_pidfd(job, pidfd, pid);
	if (ret >= 0)
		ret = xmm_queue_engine_worker.submit(queue->worker, job);
	if (ret < 0)
		xmm_queue_job_free(job);
	return ret;
}

XMM_EXPORT int
xmm_queue_submit_process(struct xmm_queue *queue, int pidfd,
			 const struct xmm_vma_select *select, int advice,
			 const struct xmm_advise_options *options,
			 struct xmm_advise_report *report, uint64_t token)
{
	return (int)xmm_errno_result(submit_process(queue, pidfd, select,
						    advice, options, report,
						    token));
}

XMM_EXPORT int xmm_queue_reap(struct xmm_queue *queue,
			      struct xmm_queue_completion *completions,
			      unsigned int max)
{
	struct xmm_queue_job *taken, *job;
	eventfd_t count;
	unsigned int n = 0;
	bool more;

	if (!queue || (!completions && max))
		return (int)xmm_errno_result(-EINVAL);
	if (!max)
		return 0;
	if (max > INT32_MAX)
		max = INT32_MAX;

	/* Reset the descriptor first: a completion after this re-arms it. */
	eventfd_read(queue->event_fd, &count);
	pthread_mutex_lock(&queue->lock);
	taken = queue->done_head;
	for (job = taken; job && n < max; job = job->next)
		n++;
	if (n && job) {
		struct xmm_queue_job *last = taken;
		unsigned int i;

		for (i = 1; i < n; i++)
			last = last->next;
		last->next = NULL;
	}
	queue->done_head = job;
	if (!job)
		queue->done_tail = &queue->done_head;
	more = job != NULL;
	pthread_mutex_unlock(&queue->lock);
	if (more)
		announce(queue);

	for (n = 0; taken; n++) {
		job = taken;
		taken = job->next;
		completions[n].token = job->token;
		completions[n].advised = job->advised;
		completions[n].error = job->error;
		completions[n].backend = job->backend;
		xmm_queue_job_free(job);
	}
	return (int)n;
}

static void cancel_list(struct xmm_queue_job *job, int *count)
{
	while (job) {
		struct xmm_queue_job *next = job->next;

		job->advised = -1;
		job->error = ECANCELED;
		job->backend = NULL;
		xmm_queue_complete(job);
		(*count)++;
		job = next;
	}
}

XMM_EXPORT int xmm_queue_cancel(struct xmm_queue *queue, uint64_t token)
{
	int count = 0;

	if (!queue)
		return (int)xmm_errno_result(-EINVAL);
	if (queue->uring)
		cancel_list(xmm_queue_engine_uring.cancel(queue->uring, token),
			    &count);
	cancel_list(xmm_queue_engine_worker.cancel(queue->worker, token),
		    &count);
	return count ? count : (int)xmm_errno_result(-ENOENT);
}

XMM_EXPORT void xmm_queue_destroy(struct xmm_queue *queue)
{
	struct xmm_queue_job *job;
	int saved_errno = errno;

	if (!queue)
		return;
	if (queue->uring)
		xmm_queue_engine_uring.stop(queue->uring);
	xmm_queue_engine_worker.stop(queue->worker);
	while ((job = queue->done_head)) {
		queue->done_head = job->next;
		xmm_queue_job_free(job);
	}
	close(queue->event_fd);
	xmm_queue_pidfds_free(queue->pidfds);
	pthread_mutex_destroy(&queue->lock);
	free(queue);
	errno = saved_errno;
}
