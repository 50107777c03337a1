// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The queue's copies of the callers' pidfds (queue.h).  A job needs a
 * descriptor of its own, since the caller may close its pidfd as soon as
 * the submission returns; the jobs of one target share one copy, counted,
 * so that N waiting submissions on one process hold one descriptor.
 *
 * Two pidfds name the same target when both show the same pid in
 * /proc/self/fdinfo and the same file flags (PIDFD_THREAD, PIDFD_NONBLOCK).
 * A pid is reused once its process is reaped, so a copy is shared only
 * while its process has not exited (poll() on it is not readable): the
 * submitted pidfd showed that pid before the check, and two living
 * processes cannot hold one pid, so they are the same process.  Advice
 * for a process that has exited gets a copy of its own, as before.
 */
#include "internal.h"
#include "queue.h"

#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#define COPY_BUCKETS	64

struct xmm_queue_pidfd {
	struct xmm_queue_pidfd *next;	/* in its bucket */
	struct xmm_queue_pidfds *set;
	int fd;
	pid_t pid;
	int file_flags;
	unsigned long refs;
};

struct xmm_queue_pidfds {
	pthread_mutex_t lock;
	struct xmm_queue_pidfd *buckets[COPY_BUCKETS];
};

struct xmm_queue_pidfds *xmm_queue_pidfds_new(void)
{
	struct xmm_queue_pidfds *set = calloc(1, sizeof(*set));

	if (set)
		pthread_mutex_init(&set->lock, NULL);
	return set;
}

void xmm_queue_pidfds_free(struct xmm_queue_pidfds *set)
{
	if (!set)
		return;
	pthread_mutex_destroy(&set->lock);
	free(set);
}

/* Has the process behind fd not exited yet? */
static bool still_running(int fd)
{
	struct pollfd exited = { .fd = fd, .events = POLLIN };

	return poll(&exited, 1, 0) == 0;
}

static struct xmm_queue_pidfd **bucket_of(struct xmm_queue_pidfds *set,
					  pid_t pid)
{
	return &set->buckets[(unsigned int)pid % COPY_BUCKETS];
}

int xmm_queue_pidfd_get(struct xmm_queue_pidfds *set, int pidfd, pid_t pid,
			struct xmm_queue_pidfd **copy)
{
	struct xmm_queue_pidfd *found;
	int file_flags = fcntl(pidfd, F_GETFL), ret;

	if (file_flags < 0)
		return -errno;
	pthread_mutex_lock(&set->lock);
	for (found = *bucket_of(set, pid); found; found = found->next)
		if (found->pid == pid && found->file_flags == file_flags &&
		    still_running(found->fd))
			break;
	if (found) {
		found->refs++;
		goto out;
	}
	/* A new target (under the lock: two submitters make one copy). */
	found = malloc(sizeof(*found));
	if (!found) {
		ret = -ENOMEM;
		goto fail;
	}
	found->fd = fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
	if (found->fd < 0) {
		ret = -errno;
		free(found);
		goto fail;
	}
	found->set = set;
	found->pid = pid;
	found->file_flags = file_flags;
	found->refs = 1;
	found->next = *bucket_of(set, pid);
	*bucket_of(set, pid) = found;
out:
	pthread_mutex_unlock(&set->lock);
	*copy = found;
	return found->fd;
fail:
	pthread_mutex_unlock(&set->lock);
	return ret;
}

void xmm_queue_pidfd_put(struct xmm_queue_pidfd *copy)
{
	struct xmm_queue_pidfds *set;
	struct xmm_queue_pidfd **link;
	bool last;

	if (!copy)
		return;
	set = copy->set;
	pthread_mutex_lock(&set->lock);
	last = --copy->refs == 0;
	if (last) {
		for (link = bucket_of(set, copy->pid); *link != copy;
		     link = &(*link)->next)
			;
		*link = copy->next;
	}
	pthread_mutex_unlock(&set->lock);
	if (last) {
		close(copy->fd);
		free(copy);
	}
}
