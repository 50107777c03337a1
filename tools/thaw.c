// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm thaw PID: resume a process that `xmm advise --freeze` left frozen
 * or stopped because it was killed before it could thaw it: clear the
 * cgroup v2 freezer of the process's cgroup, and send SIGCONT to a
 * stopped process.
 */
#include "xmm-tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static void thaw_usage(FILE *out)
{
	fprintf(out, "Usage: xmm thaw PID\n"
		"Resume process PID after an 'xmm advise --freeze' that was "
		"killed: write 0 to\nthe cgroup.freeze of its cgroup (v2) if "
		"it is 1, and send SIGCONT if the\nprocess is stopped.  Says "
		"what it did; exit status 0 when PID is running.\n\n"
		"  -h, --help   show this help\n");
}

/* Read a small file into buf; -errno. */
static int read_small(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n < 0)
		return -errno;
	buf[n] = '\0';
	return (int)n;
}

/* The cgroup.freeze of pid's cgroup v2, into path; -errno. */
static int freeze_file(pid_t pid, char *path, size_t size)
{
	char file[64], text[4096], root[2048], *line, *save = NULL;

	snprintf(file, sizeof(file), "/proc/%d/cgroup", (int)pid);
	if (read_small(file, text, sizeof(text)) < 0)
		return -errno;
	for (line = strtok_r(text, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::", 3))
			continue;
		snprintf(path, size, "%s%s/cgroup.freeze",
			 cgroup2_root(root, sizeof(root)), line + 3);
		return 0;
	}
	return -ENOENT;
}

/* The state letter of /proc/PID/stat, or 0. */
static char process_state(pid_t pid)
{
	char file[64], text[1024], *paren;

	snprintf(file, sizeof(file), "/proc/%d/stat", (int)pid);
	if (read_small(file, text, sizeof(text)) < 0)
		return 0;
	paren = strrchr(text, ')');
	return paren && paren[1] == ' ' ? paren[2] : 0;
}

int cmd_thaw(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char path[PATH_MAX], value[16];
	int opt, pidfd, status = EXIT_OK, fd;
	bool did = false;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (opt) {
		case 'h':
			thaw_usage(stdout);
			return EXIT_OK;
		default:
			return usage_error("thaw", "bad option");
		}
	}
	if (optind != argc - 1)
		return usage_error("thaw", "expected one PID");
	pid = parse_pid(argv[optind]);
	if (pid < 0)
		return usage_error("thaw", "'%s' is not a PID", argv[optind]);
	pidfd = open_target("thaw", &pid, &status);
	if (pidfd < 0)
		return status;

	if (freeze_file(pid, path, sizeof(path)) == 0 &&
	    read_small(path, value, sizeof(value)) > 0 && value[0] == '1') {
		fd = open(path, O_WRONLY | O_CLOEXEC);
		if (fd < 0 || write(fd, "0", 1) != 1) {
			status = operation_error("thaw", path, errno);
			if (fd >= 0)
				close(fd);
			close(pidfd);
			return status;
		}
		close(fd);
		printf("pid %d: thawed its cgroup (%s)\n", (int)pid, path);
		did = true;
	}
	if (process_state(pid) == 'T') {
		if (syscall(SYS_pidfd_send_signal, pidfd, SIGCONT, NULL, 0)) {
			status = operation_error("thaw", "SIGCONT", errno);
			close(pidfd);
			return status;
		}
		printf("pid %d: was stopped, sent SIGCONT\n", (int)pid);
		did = true;
	}
	if (!did)
		printf("pid %d: neither frozen nor stopped\n", (int)pid);
	close(pidfd);
	return EXIT_OK;
}
