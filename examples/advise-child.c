// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * advise-child: start a child that fills 64 MiB of private memory, then
 * page it out from the parent with xmm_process_madvise(MADV_PAGEOUT) and
 * show the child's resident memory before and after.
 *
 * Build against an installed xmm:
 *   cc advise-child.c $(pkg-config --cflags --libs xmm)
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xmm/xmm.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define REGION_SIZE	(64UL << 20)

/* Resident anonymous memory of pid in KiB, from /proc/PID/status. */
static long rss_anon_kib(pid_t pid)
{
	char path[64], line[256];
	long kib = -1;
	FILE *status;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	status = fopen(path, "r");
	if (!status)
		return -1;
	while (fgets(line, sizeof(line), status))
		if (sscanf(line, "RssAnon: %ld kB", &kib) == 1)
			break;
	fclose(status);
	return kib;
}

int main(void)
{
	int ready[2], pidfd;
	struct iovec range;
	ssize_t advised;
	void *region;
	pid_t child;

	region = mmap(NULL, REGION_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (region == MAP_FAILED || pipe(ready) < 0) {
		perror("advise-child: setup");
		return 1;
	}

	child = fork();
	if (child == 0) {
		/* The child owns its copy of region: fill it, then wait. */
		memset(region, 0x5a, REGION_SIZE);
		if (write(ready[1], "x", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (child < 0 || read(ready[0], &(char){0}, 1) != 1) {
		perror("advise-child: child");
		return 1;
	}

	pidfd = xmm_pidfd_open(child, 0);
	if (pidfd < 0) {
		perror("advise-child: xmm_pidfd_open");
		return 1;
	}
	printf("child %d: RssAnon %ld KiB before\n", (int)child,
	       rss_anon_kib(child));

	range.iov_base = region;
	range.iov_len = REGION_SIZE;
	advised = xmm_process_madvise(pidfd, &range, 1, MADV_PAGEOUT, 0);
	if (advised < 0)
		printf("xmm_process_madvise(MADV_PAGEOUT): %s\n",
		       strerror(errno));
	else
		printf("xmm_process_madvise(MADV_PAGEOUT): %zd bytes advised "
		       "by backend %s\n", advised,
		       xmm_backend_last("process_madvise"));
	printf("child %d: RssAnon %ld KiB after%s\n", (int)child,
	       rss_anon_kib(child),
	       rss_anon_kib(child) > 1024 ? " (no swap: anonymous pages "
					    "have nowhere to go)" : "");

	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	close(pidfd);
	return advised < 0;
}
