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
#include <sys/ioctl.h>
#include <sys/vfs.h>
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

/* <linux/pidfd.h> of 6.13 (Debian's headers are 6.1): PIDFD_GET_INFO. */
struct xmm_pidfd_info {
	unsigned long long mask;
	unsigned long long cgroupid;
	unsigned int pid, tgid, ppid;
	unsigned int ruid, rgid, euid, egid, suid, sgid, fsuid, fsgid;
	unsigned int spare0[1];
};
#define XMM_PIDFD_INFO_PID	0x1ULL
#define XMM_PIDFD_GET_INFO	_IOWR(0xFF, 11, struct xmm_pidfd_info)
#define XMM_PIDFS_MAGIC		0x50494446	/* pidfs, 6.9 */

/*
 * Linux 6.13 tells a pidfd's pid with one ioctl(2), where the fdinfo file
 * costs a path lookup and a text read (a pidfs descriptor only, 6.9 and
 * later; older pidfds are anonymous inodes).  The same answers: ESRCH once the
 * process is reaped or outside our pid namespace ("Pid: -1" / "Pid: 0"),
 * EBADF for no descriptor.  1 when this kernel cannot tell (another
 * descriptor, an older kernel, a filter): ask fdinfo.  The same answer
 * carries the thread group's id in our namespace (never 0 with the pid).
 */
static int pidfd_info_pid(int pidfd, pid_t *pid, pid_t *tgid)
{
	struct xmm_pidfd_info info = { .mask = XMM_PIDFD_INFO_PID };
	struct statfs fs;

	/* Never a foreign ioctl to whatever else the descriptor is. */
	if (fstatfs(pidfd, &fs) < 0)
		return errno == EBADF ? -EBADF : 1;
	if (fs.f_type != XMM_PIDFS_MAGIC)
		return 1;
	if (ioctl(pidfd, XMM_PIDFD_GET_INFO, &info) < 0)
		return errno == ESRCH || errno == EBADF ? -errno : 1;
	if (!(info.mask & XMM_PIDFD_INFO_PID) || (int)info.pid <= 0)
		return 1;
	*pid = (pid_t)info.pid;
	*tgid = (int)info.tgid > 0 ? (pid_t)info.tgid : 0;
	return 0;
}

int xmm_pidfd_to_pid_tgid(int pidfd, pid_t *pid, pid_t *tgid)
{
	char path[64], info[1024];
	const char *line;
	ssize_t ret;
	long value;

	if (pidfd < 0)
		return -EBADF;
	*tgid = 0;
	ret = pidfd_info_pid(pidfd, pid, tgid);
	if (ret <= 0)
		return (int)ret;
	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", pidfd);
	ret = xmm_proc_read_small(AT_FDCWD, path, info, sizeof(info));
	if (ret == -ENOENT)
		return -EBADF;	/* no such descriptor */
	if (ret < 0)
		return (int)ret;	/* /proc unreadable: not EBADF */
	line = strstr(info, "\nPid:");
	if (!line)
		return -EBADF;	/* a descriptor, but not a pidfd */
	value = strtol(line + 5, NULL, 10);
	if (value <= 0)
		return -ESRCH;	/* "Pid: -1": exited and reaped */
	*pid = (pid_t)value;
	return 0;
}

int xmm_pidfd_to_pid(int pidfd, pid_t *pid)
{
	pid_t tgid;

	return xmm_pidfd_to_pid_tgid(pidfd, pid, &tgid);
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
	pid_t pid, tgid;

	if (xmm_pidfd_is_self_sentinel(pidfd))
		return true;
	return xmm_pidfd_to_pid_tgid(pidfd, &pid, &tgid) == 0 &&
	       xmm_task_is_self(pid, tgid);
}

bool xmm_task_is_self(pid_t pid, pid_t tgid)
{
	return tgid ? tgid == getpid() : xmm_pid_is_self(pid);
}
