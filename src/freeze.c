// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Freezing the target of a whole-process advice, so that its address
 * space cannot change between reading /proc/PID/maps and the last
 * process_madvise() call (the race of the process_madvise mail's Q.2).
 *
 * The cgroup v2 freezer is preferred: the target does not see it, and
 * its parent gets no SIGCHLD.  It is used only when the target is alone
 * in its cgroup (freezing a cgroup freezes everyone in it) and
 * cgroup.freeze is writable, and not when the advice goes through the
 * ptrace injection fallback: a task the cgroup freezer holds never runs
 * an injected call (it re-enters the freezer on its way out of every
 * ptrace stop), while a stopped task runs what its tracer resumes it
 * with.  Otherwise SIGSTOP through the pidfd, and SIGCONT afterwards; a
 * target that was already stopped (state T or t) or frozen is left
 * exactly as it was.
 */
#include "internal.h"
#include "freeze.h"
#include "procfs.h"
#include "syscall.h"

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* How long a target may take to stop or freeze entirely. */
#define FREEZE_TIMEOUT_MS	2000

static long long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The mount point of the cgroup2 hierarchy whose root is "/", if any. */
static int cgroup2_mount(char *path, size_t size)
{
	char *text;
	size_t len;
	int ret, self;

	self = xmm_proc_open_self();
	if (self < 0)
		return self;
	ret = xmm_proc_read_all(self, "mountinfo", &text, &len);
	close(self);
	if (ret < 0)
		return -ENOENT;
	ret = xmm_proc_parse_cgroup2_mount(text, len, path, size);
	free(text);
	return ret;
}

/* Open the cgroup directory of the target if it is alone in it. */
static int target_cgroup(pid_t pid, int dirfd)
{
	char mnt[256], dir[4096], *text;
	const char *cg;
	size_t len, cg_len;
	int cgfd, ret;

	if (cgroup2_mount(mnt, sizeof(mnt)) < 0)
		return -ENOENT;
	ret = xmm_proc_read_all(dirfd, "cgroup", &text, &len);
	if (ret < 0)
		return ret;
	ret = xmm_proc_parse_cgroup_v2(text, len, &cg, &cg_len);
	if (ret == 0)
		ret = snprintf(dir, sizeof(dir), "%s%.*s", mnt, (int)cg_len,
			       cg);
	free(text);
	if (ret < 0)
		return ret;
	if ((size_t)ret >= sizeof(dir))
		return -ENAMETOOLONG;
	cgfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (cgfd < 0)
		return -errno;
	ret = xmm_proc_read_all(cgfd, "cgroup.procs", &text, &len);
	if (ret < 0) {
		close(cgfd);
		return ret;
	}
	/* Exactly one line, the target's PID. */
	if (strtol(text, NULL, 10) != pid ||
	    strchr(text, '\n') != text + len - 1)
		ret = -EBUSY;
	free(text);
	if (ret < 0) {
		close(cgfd);
		return ret;
	}
	return cgfd;
}

static int read_events_frozen(int cgfd)
{
	char *text;
	size_t len;
	int frozen;

	if (xmm_proc_read_all(cgfd, "cgroup.events", &text, &len) < 0)
		return -1;
	frozen = strstr(text, "frozen 1") != NULL;
	free(text);
	return frozen;
}

/* Has the caller asked us to stop waiting? */
static bool wait_cancelled(const int *cancel)
{
	return cancel && __atomic_load_n(cancel, __ATOMIC_ACQUIRE);
}

static int freeze_cgroup(int cgfd, const int *cancel,
			 struct xmm_freeze *freeze)
{
	long long deadline = now_ms() + FREEZE_TIMEOUT_MS;
	char state = '0';
	int fd, events;

	fd = openat(cgfd, "cgroup.freeze", O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (pread(fd, &state, 1, 0) == 1 && state == '1') {
		close(fd);
		freeze->method = XMM_FREEZE_ALREADY;
		return 0;
	}
	if (pwrite(fd, "1", 1, 0) != 1) {
		int err = -errno;

		close(fd);
		return err;
	}
	freeze->method = XMM_FREEZE_CGROUP;
	freeze->freeze_fd = fd;

	/* cgroup.events signals POLLPRI when "frozen" changes. */
	events = openat(cgfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
	while (read_events_frozen(cgfd) == 0) {
		struct pollfd pfd = { .fd = events, .events = POLLPRI };
		long long left = deadline - now_ms();

		if (left <= 0 || events < 0 || wait_cancelled(cancel)) {
			if (events >= 0)
				close(events);
			xmm_thaw(freeze);
			return wait_cancelled(cancel) ? -ECANCELED : -ETIMEDOUT;
		}
		poll(&pfd, 1, (int)(left < 50 ? left : 50));
	}
	if (events >= 0)
		close(events);
	return 0;
}

/* The state letter of a stat file; 'X' (gone) when it cannot be read. */
static char task_state(int dirfd, const char *name)
{
	char state;

	if (xmm_proc_stat_state(dirfd, name, &state) < 0)
		return 'X';
	return state;
}

/* Have all threads stopped?  1 yes, 0 not yet, -errno. */
static int all_threads_stopped(int dirfd)
{
	struct dirent *entry;
	int taskfd, stopped = 1;
	DIR *tasks;

	taskfd = openat(dirfd, "task", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (taskfd < 0)
		return errno == ENOENT ? -ESRCH : -errno;
	tasks = fdopendir(taskfd);
	if (!tasks) {
		close(taskfd);
		return -ENOMEM;
	}
	while (stopped && (entry = readdir(tasks))) {
		char path[300], state;

		if (entry->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/stat", entry->d_name);
		state = task_state(taskfd, path);
		/* Stopped, traced, or gone: none of them runs. */
		stopped = state == 'T' || state == 't' || state == 'X' ||
			  state == 'Z';
	}
	closedir(tasks);
	return stopped;
}

static int freeze_sigstop(int pidfd, int dirfd, const int *cancel,
			  struct xmm_freeze *freeze)
{
	long long deadline = now_ms() + FREEZE_TIMEOUT_MS;
	char state = task_state(dirfd, "stat");
	long ret;

	if (state == 'Z' || state == 'X')
		return -ESRCH;
	if (state == 'T' || state == 't') {
		freeze->method = XMM_FREEZE_ALREADY;
		return 0;
	}
	ret = xmm_sys(pidfd_send_signal, pidfd, SIGSTOP, NULL, 0);
	if (ret < 0)
		return (int)ret;
	freeze->method = XMM_FREEZE_SIGSTOP;
	freeze->pidfd = pidfd;
	for (;;) {
		struct timespec pause_ts = { 0, 1000000 };
		int stopped = all_threads_stopped(dirfd);

		if (stopped < 0 || (stopped == 0 && now_ms() > deadline)) {
			xmm_thaw(freeze);
			return stopped < 0 ? stopped : -ETIMEDOUT;
		}
		if (stopped)
			return 0;
		if (wait_cancelled(cancel)) {
			xmm_thaw(freeze);
			return -ECANCELED;
		}
		/* Group stop takes effect as each thread next runs. */
		nanosleep(&pause_ts, NULL);
	}
}

int xmm_freeze(pid_t pid, int pidfd, int dirfd, const int *cancel,
	       bool for_injection, struct xmm_freeze *freeze)
{
	int cgfd;

	freeze->method = XMM_FREEZE_NONE;
	freeze->freeze_fd = -1;
	freeze->pidfd = -1;
	cgfd = for_injection ? -ENOENT : target_cgroup(pid, dirfd);
	if (cgfd >= 0) {
		int ret = freeze_cgroup(cgfd, cancel, freeze);

		close(cgfd);
		if (ret == 0 || ret == -ETIMEDOUT || ret == -ECANCELED)
			return ret;
		/* Not writable (EACCES, EROFS): fall back to SIGSTOP. */
	}
	return freeze_sigstop(pidfd, dirfd, cancel, freeze);
}

void xmm_thaw(struct xmm_freeze *freeze)
{
	switch (freeze->method) {
	case XMM_FREEZE_CGROUP:
		if (pwrite(freeze->freeze_fd, "0", 1, 0) != 1) {
			/* Nothing better to do: the cgroup stays frozen. */
		}
		close(freeze->freeze_fd);
		break;
	case XMM_FREEZE_SIGSTOP:
		xmm_sys(pidfd_send_signal, freeze->pidfd, SIGCONT, NULL, 0);
		break;
	default:
		break;
	}
	freeze->freeze_fd = -1;
	freeze->method = XMM_FREEZE_NONE;
}
