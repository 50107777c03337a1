// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The queue's io_uring engine where the build has no liburing
 * (-Dliburing=disabled, or liburing-dev absent): it never starts, and the
 * worker engine serves every submission.
 */
#include "internal.h"
#include "queue.h"

static int uring_absent(struct xmm_queue *queue, unsigned int workers,
			void **state)
{
	return -ENOSYS;
}

const struct xmm_queue_engine xmm_queue_engine_uring = {
	.name = "uring",
	.start = uring_absent,
};
