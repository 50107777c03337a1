// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Opening a process's /proc directory race-free, pinning a process named
 * by a bare pid, and reading its small files.
 */
#include "internal.h"
#include "pidfd.h"
#include "procfs.h"
#include "syscall.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Signal 0 through the pidfd: 0 while the process lives. */
static int pidfd_alive(int pidfd)
{
	long alive = xmm_sys(pidfd_send_signal, pidfd, 0, NULL, 0);

	/* EPERM still says it lives; ENOSYS cannot tell. */
	if (alive < 0 && alive != -EPERM && alive != -ENOSYS)
		return (int)alive;
	return 0;
}

/* /proc/PID: a directory fd, -ESRCH, or -ENOSYS without /proc at all. */
static int open_pid_dir(pid_t pid)
{
	char path[32];
	int dirfd;

	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	dirfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd >= 0)
		return dirfd;
	if (errno != ENOENT)
		return -errno;
	return access("/proc/self", F_OK) == 0 ? -ESRCH : -ENOSYS;
}

int xmm_proc_open_self(void)
{
	int dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	return dirfd < 0 ? -errno : dirfd;
}

int xmm_proc_open(int pidfd, pid_t *pid)
{
	int dirfd, ret;

	if (xmm_pidfd_is_self_sentinel(pidfd)) {
		*pid = getpid();
		return xmm_proc_open_self();
	}
	/* PIDFD_GET_INFO where the kernel has it, fdinfo otherwise. */
	ret = xmm_pidfd_to_pid(pidfd, pid);
	if (ret < 0)
		return ret;
	dirfd = open_pid_dir(*pid);
	if (dirfd < 0)
		return dirfd;
	/*
	 * If the process still lives now, the directory opened before is
	 * its own (a PID is not reused while its process lives).
	 */
	ret = pidfd_alive(pidfd);
	if (ret < 0) {
		close(dirfd);
		return ret;
	}
	return dirfd;
}

#ifndef PIDFD_THREAD
#define PIDFD_THREAD	O_EXCL	/* Linux 6.9: a pidfd of one thread */
#endif

int xmm_proc_pin(pid_t pid, struct xmm_proc_pin *pin)
{
	long pidfd;
	int ret;

	pin->pid = pid;
	pin->pidfd = -1;
	pin->dirfd = -1;
	if (pid <= 0)
		return -EINVAL;
	pidfd = xmm_sys(pidfd_open, pid, 0);
	/* Not a thread-group leader: a thread's ID, as /proc takes too. */
	if (pidfd == -EINVAL)
		pidfd = xmm_sys(pidfd_open, pid, PIDFD_THREAD);
	if (pidfd < 0 && pidfd != -ENOSYS && pidfd != -EINVAL)
		return (int)pidfd;
	/* Before Linux 5.3 (or 6.9 for a thread): the directory alone. */
	pin->pidfd = pidfd < 0 ? -1 : (int)pidfd;
	ret = open_pid_dir(pid);
	if (ret == -ENOSYS && pin->pidfd >= 0)
		return 0;	/* no /proc: the pidfd still pins */
	if (ret >= 0) {
		pin->dirfd = ret;
		ret = xmm_proc_pin_check(pin);
	}
	if (ret < 0)
		xmm_proc_unpin(pin);
	return ret;
}

static bool state_exited(char state)
{
	return state == 'Z' || state == 'X';
}

/*
 * Without a pidfd: the process has exited, as a pidfd would poll, once
 * its leader is a zombie (or gone) and no thread of it runs any more.
 * The directory alone stays readable until the zombie is reaped.
 */
static int pid_dir_alive(int dirfd)
{
	struct dirent *entry;
	int taskfd, ret = -ESRCH;
	DIR *tasks;
	char state;

	if (xmm_proc_stat_state(dirfd, "stat", &state) < 0)
		return -ESRCH;
	if (!state_exited(state))
		return 0;
	/* A zombie leader whose other threads still run: alive. */
	taskfd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (taskfd < 0)
		return -ESRCH;
	tasks = fdopendir(taskfd);
	if (!tasks) {
		close(taskfd);
		return -ENOMEM;
	}
	while (ret < 0 && (entry = readdir(tasks))) {
		char path[300];

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/stat", entry->d_name);
		if (xmm_proc_stat_state(taskfd, path, &state) == 0 &&
		    !state_exited(state))
			ret = 0;
	}
	closedir(tasks);
	return ret;
}

int xmm_proc_pin_check(const struct xmm_proc_pin *pin)
{
	struct pollfd pfd = { .fd = pin->pidfd, .events = POLLIN };
	int n;

	if (pin->pidfd < 0) {
		if (pin->dirfd < 0)
			return 0;	/* nothing pins it: nothing to tell */
		return pid_dir_alive(pin->dirfd);
	}
	/* A pidfd polls readable once the whole process has exited. */
	do
		n = poll(&pfd, 1, 0);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	return n ? -ESRCH : 0;
}

void xmm_proc_unpin(struct xmm_proc_pin *pin)
{
	if (pin->dirfd >= 0)
		close(pin->dirfd);
	if (pin->pidfd >= 0)
		close(pin->pidfd);
	pin->dirfd = -1;
	pin->pidfd = -1;
}

int xmm_proc_openat(int dirfd, const char *name, bool eperm)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd >= 0)
		return fd;
	if (errno == ENOENT || errno == ESRCH)
		return -ESRCH;
	if (errno == EACCES && eperm)
		return -EPERM;
	return -errno;
}

ssize_t xmm_proc_read_small(int dirfd, const char *name, char *buf,
			    size_t size)
{
	ssize_t len = 0;
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((size_t)len < size - 1) {
		ssize_t n = read(fd, buf + len, size - 1 - (size_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			len = -errno;
			break;
		}
		if (n == 0)
			break;
		len += n;
	}
	close(fd);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

char xmm_proc_parse_stat_state(const char *text, size_t len)
{
	const char *paren = NULL, *p;

	/* After the last ')': a command name may hold one too. */
	for (p = text; p < text + len; p++)
		if (*p == ')')
			paren = p;
	if (!paren || text + len - paren < 3 || paren[1] != ' ')
		return '?';
	return paren[2];
}

int xmm_proc_stat_state(int dirfd, const char *name, char *state)
{
	/* The state follows the command name, within the first bytes. */
	char text[512];
	ssize_t n = xmm_proc_read_small(dirfd, name, text, sizeof(text));

	/* Set on failure too: the caller may read it whatever we return. */
	*state = '?';
	if (n == -ENOENT)
		return -ESRCH;	/* the process or thread went away */
	if (n < 0)
		return (int)n;
	*state = xmm_proc_parse_stat_state(text, (size_t)n);
	return 0;
}

/* Double *buf, keeping its contents: 0, or -ENOMEM with *buf as it was. */
static int grow_buffer(char **buf, size_t *size)
{
	char *bigger = realloc(*buf, *size * 2);

	if (!bigger)
		return -ENOMEM;
	*buf = bigger;
	*size *= 2;
	return 0;
}

int xmm_proc_read_fd(int fd, size_t size_hint, char **buf, size_t *len)
{
	size_t size = size_hint ? size_hint : 16 * 1024, used = 0;
	char *text = malloc(size);
	int err = 0;

	/* No pointer to freed memory left behind on failure. */
	*buf = NULL;
	*len = 0;
	if (!text)
		return -ENOMEM;
	for (;;) {
		ssize_t n;

		/* Room for a full page from seq_file, and the '\0'. */
		if (size - used < 4096 + 1) {
			err = grow_buffer(&text, &size);
			if (err < 0)
				break;
		}
		n = read(fd, text + used, size - used - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			err = errno == ESRCH ? -ESRCH : -errno;
			break;
		}
		if (n == 0)
			break;
		used += (size_t)n;
	}
	if (err < 0) {
		free(text);
		return err;
	}
	text[used] = '\0';
	*buf = text;
	*len = used;
	return 0;
}

int xmm_proc_stream_lines(int fd, size_t size, size_t room,
			  size_t (*lines)(char *buf, size_t len, bool eof,
					  void *arg, int *stop),
			  void *arg)
{
	size_t used = 0, consumed;
	int ret = 0, stop = 0;
	bool eof = false;
	char *buf = malloc(size);

	if (!buf)
		return -ENOMEM;
	while (!stop && !eof) {
		ssize_t n;

		/* One line fills the buffer: a long name, grow for it. */
		if (used == size - 1) {
			ret = grow_buffer(&buf, &size);
			if (ret < 0)
				break;
		}
		n = read(fd, buf + used, size - 1 - used);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ret = -errno;
			break;
		}
		used += (size_t)n;
		eof = n == 0;
		/* seq_file hands out a page a read: gather before parsing. */
		if (!eof && size - 1 - used >= room)
			continue;
		consumed = lines(buf, used, eof, arg, &stop);
		used -= consumed;
		memmove(buf, buf + consumed, used);
	}
	free(buf);
	return stop ? stop : ret;
}

int xmm_proc_read_all(int dirfd, const char *name, char **buf, size_t *len)
{
	int fd = xmm_proc_openat(dirfd, name, false), ret;

	if (fd < 0) {
		*buf = NULL;
		*len = 0;
		return fd;
	}
	ret = xmm_proc_read_fd(fd, 0, buf, len);
	close(fd);
	return ret;
}

const char *xmm_proc_field(const char *text, const char *key)
{
	size_t key_len = strlen(key);
	const char *p = text;

	while (p && *p) {
		if (!strncmp(p, key, key_len) && p[key_len] == ':') {
			p += key_len + 1;
			while (*p == ' ' || *p == '\t')
				p++;
			return p;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return NULL;
}

int xmm_proc_field_kib(const char *text, const char *key,
		       unsigned long long *bytes)
{
	const char *q = xmm_proc_field(text, key);
	unsigned long long value = 0;

	if (!q)
		return 0;
	for (; *q >= '0' && *q <= '9'; q++) {
		if (value > (~0ULL - 9) / 10)
			return 0;	/* not a real value */
		value = value * 10 + (unsigned)(*q - '0');
	}
	while (*q == ' ' || *q == '\t')
		q++;
	if (q[0] == 'k' && q[1] == 'B') {
		if (value > ~0ULL / 1024)
			return 0;
		value *= 1024;
	}
	*bytes = value;
	return 1;
}
