// SPDX-License-Identifier: LGPL-2.1-or-later
/* xmm_pidfd_open(), and telling which process a pidfd refers to. */
#include "internal.h"
#include "pidfd.h"
#include "procfs.h"
#include "syscall.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

XMM_EXPORT int xmm_pidfd_open(pid_t pid, unsigned int flags)
{
	return (int)xmm_errno_result(xmm_sys(pidfd_open, pid, flags));
}

bool xmm_pidfd_is_self_sentinel(int pidfd)
{
	/* -10000/-10001: PIDFD_SELF_THREAD/_PROCESS since 6.15; -20000:
	 * PIDFD_SELF_THREAD_GROUP as first merged in 6.14. */
	return pidfd == -10000 || pidfd == -10001 || pidfd == -20000;
}

int xmm_pidfd_to_pid(int pidfd, pid_t *pid)
{
	char path[64], info[1024];
	const char *line;
	ssize_t ret;
	long value;

	if (pidfd < 0)
		return -EBADF;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	ret = xmm_proc_read_small(AT_FDCWD, path, info, sizeof(info));
	if (ret == -ENOENT)
		return -EBADF;	/* no such descriptor */
	if (ret < 0)
		return (int)ret;	/* /proc unreadable: say so, not EBADF */
	line = strstr(info, "\nPid:");
	if (!line)
		return -EBADF;	/* a descriptor, but not a pidfd */
	value = strtol(line + 5, NULL, 10);
	if (value <= 0)
		return -ESRCH;	/* "Pid: -1": exited and reaped */
	*pid = (pid_t)value;
	return 0;
}

bool xmm_pid_is_self(pid_t pid)
{
	pid_t self = getpid();
	char path[64];

	if (pid == self)
		return true;
	/*
	 * A thread pidfd (PIDFD_THREAD) of one of our threads: tgkill(2)
	 * with signal 0 finds a thread only in the group named, and one
	 * syscall costs less than a path lookup in /proc.  Where a filter
	 * refuses it, our task directory answers.
	 */
	if (syscall(SYS_tgkill, self, pid, 0) == 0)
		return true;
	if (errno == ESRCH)
		return false;
	snprintf(path, sizeof(path), "/proc/self/task/%d", (int)pid);
	return access(path, F_OK) == 0;
}

bool xmm_pidfd_is_self(int pidfd)
{
	pid_t pid;

	if (xmm_pidfd_is_self_sentinel(pidfd))
		return true;
	return xmm_pidfd_to_pid(pidfd, &pid) == 0 && xmm_pid_is_self(pid);
}
