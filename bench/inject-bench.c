// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What one injection costs: xmm_process_madvise(MADV_COLD) on a sleeping
 * child through the "inject" backend against the kernel's own
 * process_madvise(2) ("native"), for one range and for 1,000 ranges in
 * one call.  Prints the median and the 90th percentile of each.
 *
 * usage: inject-bench [rounds]
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
#include <sys/prctl.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xmm/xmm.h>

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define RANGES	1000

static int compare_ns(const void *a, const void *b)
{
	long x = *(const long *)a, y = *(const long *)b;

	return (x > y) - (x < y);
}

static long now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

/* Median and 90th percentile of rounds calls, in microseconds. */
static int measure(const char *backend, int pidfd, struct iovec *iov,
		   size_t count, int rounds, double *median, double *p90)
{
	long *ns = calloc((size_t)rounds, sizeof(*ns));
	int i;

	if (!ns || xmm_backend_force("process_madvise", backend) < 0)
		return -1;
	for (i = 0; i < rounds; i++) {
		long start = now_ns();

		if (xmm_process_madvise(pidfd, iov, count, MADV_COLD, 0) < 0) {
			fprintf(stderr, "%s: %s\n", backend, strerror(errno));
			free(ns);
			return -1;
		}
		ns[i] = now_ns() - start;
	}
	qsort(ns, (size_t)rounds, sizeof(*ns), compare_ns);
	*median = ns[rounds / 2] / 1000.0;
	*p90 = ns[rounds * 9 / 10] / 1000.0;
	free(ns);
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 200;
	long page = sysconf(_SC_PAGESIZE);
	static struct iovec iov[RANGES];
	const char *backends[] = { "native", "inject" };
	char *mem;
	pid_t pid;
	int pidfd, b, i;

	mem = mmap(NULL, (size_t)page * RANGES * 2, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED)
		return 1;
	memset(mem, 1, (size_t)page * RANGES * 2);
	/* Every other page: 1,000 separate ranges, never merged. */
	for (i = 0; i < RANGES; i++) {
		iov[i].iov_base = mem + (size_t)i * 2 * page;
		iov[i].iov_len = (size_t)page;
	}
	pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		for (;;)
			pause();
	}
	pidfd = xmm_pidfd_open(pid, 0);
	if (pidfd < 0)
		return 1;

	printf("%-8s %-12s %12s %12s\n", "backend", "ranges", "median_us",
	       "p90_us");
	for (b = 0; b < 2; b++) {
		double median, p90;

		if (measure(backends[b], pidfd, iov, 1, rounds, &median,
			    &p90) == 0)
			printf("%-8s %-12d %12.1f %12.1f\n", backends[b], 1,
			       median, p90);
		if (measure(backends[b], pidfd, iov, RANGES, rounds / 10 + 1,
			    &median, &p90) == 0)
			printf("%-8s %-12d %12.1f %12.1f\n", backends[b],
			       RANGES, median, p90);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return 0;
}
