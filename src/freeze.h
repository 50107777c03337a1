/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* Holding a target process still while its mappings are advised. */
#ifndef XMM_SRC_FREEZE_H
#define XMM_SRC_FREEZE_H

#include <stdbool.h>
#include <sys/types.h>

struct xmm_freeze {
	int method;		/* XMM_FREEZE_* */
	int freeze_fd;		/* cgroup.freeze, for the cgroup method */
	int pidfd;		/* for SIGCONT, the SIGSTOP method */
};

/*
 * Freeze the process (pid, pidfd, its /proc directory dirfd): its
 * cgroup v2 freezer when it is alone in a cgroup we may write, else
 * SIGSTOP.  With for_injection, SIGSTOP only: the calls will be injected
 * by ptrace, and a task the cgroup freezer holds goes back into the
 * freezer before it runs anything its tracer resumes it with, while a
 * stopped one runs it.  Leaves alone a target that is already frozen or
 * stopped.
 * Waits (bounded) until every thread is frozen or stopped, or until
 * *cancel (when cancel is not NULL) becomes non-zero: a person pressing ^C
 * should not wait out the timeout.  On failure nothing stays frozen.
 * Returns 0, or -errno (ESRCH, EPERM, ETIMEDOUT, ECANCELED).
 */
int xmm_freeze(pid_t pid, int pidfd, int dirfd, const int *cancel,
	       bool for_injection, struct xmm_freeze *freeze);

/* Undo what xmm_freeze() did, and only that. */
void xmm_thaw(struct xmm_freeze *freeze);

#endif /* XMM_SRC_FREEZE_H */
