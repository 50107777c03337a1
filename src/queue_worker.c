// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The queue's worker engine: up to N threads, started as work arrives,
 * each running one submission at a time through xmm_process_madvise()
 * itself -- so that a queued call answers exactly what the direct call
 * answers, with every backend (injection included).  Jobs start in the
 * order they were submitted.
 */
#include "internal.h"
#include "backend.h"
#include "queue.h"

#include <limits.h>
#include <pthread.h>
#include <stdlib.h>

struct worker_pool {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct xmm_queue_job *head, **tail;	/* not started, in order */
	size_t queued;
	unsigned int idle;	/* threads waiting for a job */
	unsigned int started;
	unsigned int max;
	bool stopping;
	pthread_t *threads;
};

static ssize_t run_whole_process(struct xmm_queue_job *job)
{
	unsigned long long bytes;

	if (xmm_advise_process(job->pidfd, job->select, job->advice,
			       job->options, job->report) < 0)
		return -1;
	bytes = job->report->bytes_advised;
	return bytes > SSIZE_MAX ? SSIZE_MAX : (ssize_t)bytes;
}

static void run_job(struct xmm_queue_job *job)
{
	ssize_t ret;

	xmm_backend_forget_served(&xmm_op_process_madvise);
	if (job->whole_process)
		ret = run_whole_process(job);
	else
		ret = xmm_process_madvise(job->pidfd, job->iov, job->vlen,
					  job->advice, job->flags);
	job->advised = ret < 0 ? -1 : ret;
	job->error = ret < 0 ? errno : 0;
	job->backend = xmm_backend_last("process_madvise");
}

static void *worker_main(void *arg)
{
	struct worker_pool *pool = arg;

	pthread_mutex_lock(&pool->lock);
	for (;;) {
		struct xmm_queue_job *job;

		while (!pool->head && !pool->stopping) {
			pool->idle++;
			pthread_cond_wait(&pool->wake, &pool->lock);
			pool->idle--;
		}
		if (pool->stopping)
			break;
		job = pool->head;
		pool->head = job->next;
		if (!pool->head)
			pool->tail = &pool->head;
		pool->queued--;
		pthread_mutex_unlock(&pool->lock);

		run_job(job);
		xmm_queue_complete(job);

		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

static int worker_start(struct xmm_queue *queue, unsigned int workers,
			void **state)
{
	struct worker_pool *pool = calloc(1, sizeof(*pool));

	if (!pool)
		return -ENOMEM;
	pool->threads = calloc(workers, sizeof(*pool->threads));
	if (!pool->threads) {
		free(pool);
		return -ENOMEM;
	}
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pool->tail = &pool->head;
	pool->max = workers;
	*state = pool;
	return 0;
}

static int worker_submit(void *state, struct xmm_queue_job *job)
{
	struct worker_pool *pool = state;
	int ret = 0;

	pthread_mutex_lock(&pool->lock);
	job->next = NULL;
	*pool->tail = job;
	pool->tail = &job->next;
	pool->queued++;
	/* Another thread, while jobs outnumber the idle ones. */
	if (pool->queued > pool->idle && pool->started < pool->max) {
		ret = xmm_queue_thread_start(&pool->threads[pool->started],
					     worker_main, pool);
		if (ret >= 0)
			pool->started++;
		else if (pool->started)
			ret = 0;	/* the running threads will serve it */
	}
	if (ret < 0) {
		/* No thread at all: take the job back. */
		struct xmm_queue_job **link = &pool->head;

		while (*link != job)
			link = &(*link)->next;
		*link = NULL;
		pool->tail = link;
		pool->queued--;
	} else {
		pthread_cond_signal(&pool->wake);
	}
	pthread_mutex_unlock(&pool->lock);
	return ret;
}

static struct xmm_queue_job *worker_cancel(void *state, uint64_t token)
{
	struct worker_pool *pool = state;
	struct xmm_queue_job *cancelled = NULL, **cancelled_tail = &cancelled;
	struct xmm_queue_job **link;

	pthread_mutex_lock(&pool->lock);
	link = &pool->head;
	pool->tail = &pool->head;
	while (*link) {
		struct xmm_queue_job *job = *link;

		if (job->token == token) {
			*link = job->next;
			job->next = NULL;
			*cancelled_tail = job;
			cancelled_tail = &job->next;
			pool->queued--;
		} else {
			link = &job->next;
			pool->tail = link;
		}
	}
	pthread_mutex_unlock(&pool->lock);
	return cancelled;
}

static void worker_stop(void *state)
{
	struct worker_pool *pool = state;
	struct xmm_queue_job *job;
	unsigned int i;

	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (i = 0; i < pool->started; i++)
		pthread_join(pool->threads[i], NULL);
	while ((job = pool->head)) {
		pool->head = job->next;
		xmm_queue_job_free(job);
	}
	pthread_cond_destroy(&pool->wake);
	pthread_mutex_destroy(&pool->lock);
	free(pool->threads);
	free(pool);
}

const struct xmm_queue_engine xmm_queue_engine_worker = {
	.name = "worker",
	.start = worker_start,
	.submit = worker_submit,
	.cancel = worker_cancel,
	.stop = worker_stop,
};
