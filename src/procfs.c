// SPDX-License-Identifier: LGPL-2.1-or-later
/* Opening a process's /proc directory race-free and reading its files. */
#include "internal.h"
#include "pidfd.h"
#include "procfs.h"
#include "syscall.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int xmm_proc_open(int pidfd, pid_t *pid)
{
	char path[32];
	long alive;
	int dirfd, ret;

	if (xmm_pidfd_is_self_sentinel(pidfd)) {
		*pid = getpid();
		dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		return dirfd < 0 ? -errno : dirfd;
	}
	ret = xmm_pidfd_to_pid(pidfd, pid);
	if (ret < 0)
		return ret;
	snprintf(path, sizeof(path), "/proc/%d", (int)*pid);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	/*
	 * Signal 0 through the pidfd: if the process still lives now, the
	 * directory opened before is its own (a PID is not reused while
	 * its process lives).  EPERM still says it lives.
	 */
	alive = xmm_sys(pidfd_send_signal, pidfd, 0, NULL, 0);
	if (alive < 0 && alive != -EPERM && alive != -ENOSYS) {
		close(dirfd);
		return (int)alive;
	}
	return dirfd;
}

int xmm_proc_stat_state(int dirfd, const char *name, char *state)
{
	/* The state follows the command name, within the first bytes. */
	char text[512];
	const char *paren;
	ssize_t n;
	int fd;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	n = read(fd, text, sizeof(text) - 1);
	if (n < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	close(fd);
	text[n] = '\0';
	/* After the last ')': a command name may hold one too. */
	paren = strrchr(text, ')');
	*state = paren && paren[1] == ' ' ? paren[2] : '?';
	return 0;
}

int xmm_proc_read_all(int dirfd, const char *name, char **buf, size_t *len)
{
	size_t size = 64 * 1024, used = 0;
	char *text = NULL;
	int fd, err = 0;

	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	for (;;) {
		ssize_t n;

		if (!text || size - used < 4096 + 1) {
			char *bigger;

			if (text)
				size *= 2;
			bigger = realloc(text, size);
			if (!bigger) {
				err = -ENOMEM;
				break;
			}
			text = bigger;
		}
		n = read(fd, text + used, size - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = -errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	close(fd);
	if (err < 0) {
		free(text);
		return err;
	}
	text[used] = '\0';
	*buf = text;
	*len = used;
	return 0;
}

int xmm_proc_field_kib(const char *text, const char *key,
		       unsigned long long *bytes)
{
	size_t key_len = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, key_len) && p[key_len] == ':') {
			*bytes = strtoull(p + key_len + 1, NULL, 10) * 1024;
			return 1;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return 0;
}
