/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef XMM_SRC_PIDFD_H
#define XMM_SRC_PIDFD_H

#include <stdbool.h>
#include <sys/types.h>

/* The PIDFD_SELF values kernels have used (6.14's and 6.15's). */
bool xmm_pidfd_is_self_sentinel(int pidfd);

/*
 * The process a pidfd refers to, from /proc/self/fdinfo: 0 and *pid set,
 * -EBADF when fd is not a pidfd, -ESRCH when the process has been reaped,
 * or the error that kept /proc/self/fdinfo from being read.
 */
int xmm_pidfd_to_pid(int pidfd, pid_t *pid);

/*
 * The same, and where the kernel tells it with the pid (PIDFD_GET_INFO,
 * 6.13) the thread group's id in our pid namespace in *tgid, else 0: the
 * caller is the target exactly when it equals getpid(), with no second
 * question (xmm_pid_is_self()).
 */
int xmm_pidfd_to_pid_tgid(int pidfd, pid_t *pid, pid_t *tgid);

/* Does pid name the calling process or one of its threads? */
bool xmm_pid_is_self(pid_t pid);

/* The same for a pid and tgid from xmm_pidfd_to_pid_tgid(): by the tgid
 * where the kernel gave one, with no second question. */
bool xmm_task_is_self(pid_t pid, pid_t tgid);

/* Does pidfd refer to the calling process (a sentinel or a real pidfd)? */
bool xmm_pidfd_is_self(int pidfd);

#endif /* XMM_SRC_PIDFD_H */
