/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The threads of a process, listed from /proc/PID/task (procfs_task.c).
 * Async-signal-safe: open(), getdents64 into a buffer the caller provides
 * (on its stack), close(); no malloc, no stdio, no locks.  The injector's
 * helper (inject_private.h) and madvise.c's permission check use it.
 */
#ifndef XMM_SRC_PROCFS_TASK_H
#define XMM_SRC_PROCFS_TASK_H

#include <stddef.h>
#include <sys/types.h>

/*
 * The smallest buffer getdents64 always fills with one entry: the record
 * header and a 255-byte name, rounded up.  A buffer of 4096 bytes holds
 * the entries of about 120 threads; the iterator refills it as it goes.
 */
#define XMM_PROC_TASK_BUF_MIN	288

struct xmm_proc_task_iter {
	int dirfd;		/* /proc/PID/task */
	char *buf;		/* the caller's, 8-byte aligned */
	size_t size;
	size_t filled;		/* bytes the last getdents64 returned */
	size_t next;		/* offset of the next record in buf */
};

/*
 * Start listing the threads of pid into buf (size bytes, the caller's,
 * alive until xmm_proc_task_close()).  0, or -EINVAL (pid <= 0, or size
 * below XMM_PROC_TASK_BUF_MIN once buf is aligned), -ESRCH (no such
 * process), or the open's -errno.
 */
int xmm_proc_task_open(struct xmm_proc_task_iter *it, pid_t pid, void *buf,
		       size_t size);

/*
 * The next thread id (> 0), in the kernel's order, the leader's too; 0
 * when there is no more; -errno when getdents64 fails.  Threads that start
 * or exit meanwhile may or may not be listed; the others are listed once.
 */
pid_t xmm_proc_task_next(struct xmm_proc_task_iter *it);

void xmm_proc_task_close(struct xmm_proc_task_iter *it);

#endif /* XMM_SRC_PROCFS_TASK_H */
