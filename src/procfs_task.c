// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The threads of a process from /proc/PID/task, async-signal-safe (see
 * procfs_task.h): the directory is read with getdents64 into the caller's
 * buffer, refilled as the caller walks it.
 */
#include "internal.h"
#include "procfs_task.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>

/* A record of getdents64 (<linux/dirent.h> is not exported). */
struct proc_task_dirent {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* "/proc/PID/task" into path (>= 32 bytes), without stdio. */
static void task_dir_path(char *path, pid_t pid)
{
	static const char head[] = "/proc/", tail[] = "/task";
	char digits[12];
	size_t used = 0, n = 0, i;
	unsigned long v = (unsigned long)pid;

	for (i = 0; head[i]; i++)
		path[used++] = head[i];
	do {
		digits[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		path[used++] = digits[--n];
	for (i = 0; tail[i]; i++)
		path[used++] = tail[i];
	path[used] = '\0';
}

/* A thread id's name, or 0 for anything else ("." and ".."). */
static pid_t tid_of_name(const char *name)
{
	long tid = 0;

	if (*name < '1' || *name > '9')
		return 0;
	for (; *name; name++) {
		if (*name < '0' || *name > '9' || tid > INT32_MAX / 10)
			return 0;
		tid = tid * 10 + (*name - '0');
	}
	return tid <= INT32_MAX ? (pid_t)tid : 0;
}

int xmm_proc_task_open(struct xmm_proc_task_iter *it, pid_t pid, void *buf,
		       size_t size)
{
	uintptr_t start = (uintptr_t)buf, aligned = (start + 7) & ~(uintptr_t)7;
	char path[32];
	int fd;

	it->dirfd = -1;
	if (pid <= 0 || !buf || size < aligned - start ||
	    size - (aligned - start) < XMM_PROC_TASK_BUF_MIN)
		return -EINVAL;
	task_dir_path(path, pid);
	fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	it->dirfd = fd;
	it->buf = (char *)aligned;
	it->size = size - (aligned - start);
	it->filled = 0;
	it->next = 0;
	return 0;
}

pid_t xmm_proc_task_next(struct xmm_proc_task_iter *it)
{
	for (;;) {
		const struct proc_task_dirent *entry;
		pid_t tid;

		if (it->next >= it->filled) {
			long got = syscall(SYS_getdents64, it->dirfd, it->buf,
					   it->size);

			if (got < 0)
				return -errno;
			if (got == 0)
				return 0;
			it->filled = (size_t)got;
			it->next = 0;
		}
		entry = (const void *)(it->buf + it->next);
		it->next += entry->d_reclen;
		tid = tid_of_name(entry->d_name);
		if (tid > 0)
			return tid;
	}
}

void xmm_proc_task_close(struct xmm_proc_task_iter *it)
{
	if (it->dirfd >= 0)
		close(it->dirfd);
	it->dirfd = -1;
}
