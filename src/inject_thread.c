// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which thread of the target to seize: its leader, or, when the leader
 * has called pthread_exit() and is a zombie that ptrace refuses, any live
 * thread (madvise and the rest act on the whole process whichever thread
 * runs them).  /proc/PID/task is listed by procfs_task.h's iterator into
 * a buffer on the stack: async-signal-safe (see inject_private.h).
 */
#include "internal.h"
#include "inject_private.h"
#include "procfs.h"
#include "procfs_task.h"
#include "syscall.h"

#ifdef XMM_HAVE_INJECT

#include <fcntl.h>
#include <poll.h>
#include <sys/ptrace.h>
#include <unistd.h>

/* The state letter of /proc/PID/task/TID/stat, '?' when unreadable. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], state;

	xmm_inject_proc_path(path, pid, tid, "stat");
	if (xmm_proc_stat_state(AT_FDCWD, path, &state) < 0)
		return '?';
	return state;
}

/* A thread of pid other than the leader that has not exited, or -1. */
static pid_t live_thread_of(pid_t pid)
{
	char buf[4096] __attribute__((aligned(8)));
	struct xmm_proc_task_iter tasks;
	pid_t found = -1, tid;

	if (xmm_proc_task_open(&tasks, pid, buf, sizeof(buf)) < 0)
		return -1;
	while (found < 0 && (tid = xmm_proc_task_next(&tasks)) > 0) {
		char state;

		if (tid == pid)
			continue;
		state = thread_state(pid, tid);
		if (state != 'Z' && state != 'X' && state != '?')
			found = tid;
	}
	xmm_proc_task_close(&tasks);
	return found;
}

/*
 * Attach to the target.  -ESRCH when the process is gone, -EPERM when we
 * may not.  Once seized, every path out goes through
 * xmm_tracer_release(), even here.
 */
int xmm_inject_seize_target(struct xmm_tracer *t,
			    const struct xmm_inject_request *req)
{
	struct pollfd exited = { .fd = req->pidfd, .events = POLLIN };
	pid_t tid;
	int err;

	err = xmm_tracer_seize(t, req->pid);
	if (err < 0) {
		/* A whole process exiting refuses tracers with EPERM too. */
		if (err == -ESRCH || poll(&exited, 1, 0) != 0)
			return -ESRCH;
		if (err != -EPERM || thread_state(req->pid, req->pid) != 'Z')
			return -EPERM;
		tid = live_thread_of(req->pid);
		if (tid < 0)
			return -ESRCH;
		err = xmm_tracer_seize(t, tid);
		if (err < 0)
			return err == -ESRCH ? -ESRCH : -EPERM;
		/* tid, traced by us, cannot be reused: is it still pid's? */
		if (thread_state(req->pid, tid) == '?') {
			xmm_tracer_release(t);
			return -ESRCH;
		}
	}
	/* While we trace pid it cannot be reused; is it still ours? */
	if (xmm_sys(pidfd_send_signal, req->pidfd, 0, NULL, 0) == -ESRCH) {
		xmm_tracer_release(t);
		return -ESRCH;
	}
	return 0;
}

#endif /* XMM_HAVE_INJECT */
