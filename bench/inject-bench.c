// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What one injection costs against the floor of this machine, measured in
 * the same run, legs alternating round by round:
 *
 *   one range    xmm_process_madvise(MADV_COLD) of one page through the
 *                "inject" backend, against a minimal hand-written
 *                injection from the caller's own thread: seize,
 *                interrupt, one madvise at an existing syscall
 *                instruction, restore (with the kernel's restart rule),
 *                detach.  Into a child sleeping in read(2), and into one
 *                spinning in user space.
 *   1,000 ranges one call of 1,000 one-page ranges, against the child
 *                running the same 1,000 madvise calls itself in a loop
 *                (asked through a pipe).
 *
 * Prints the median of each leg and the ratios (targets: one range <=
 * 1.5x, 1,000 ranges <= 1.2x; see bench/README.md).  x86_64 only for the
 * baseline leg (its registers); root or same-uid ptrace.
 *
 * The floors are bench/inject_floor.c's, which xmm-bench's injection-floor
 * rows (bench/run.sh) measure too.
 *
 * usage: inject-bench [rounds]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "inject_floor.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <xmm/xmm.h>

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define RANGES		1000
#define ONE_RANGE_CALLS	20	/* per round and leg */

static long page;
static char *mem;
static struct iovec iov[RANGES];

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

static double median_us(long *ns, int count)
{
	qsort(ns, (size_t)count, sizeof(*ns), compare_ns);
	return ns[count / 2] / 1000.0;
}

/* ---- The legs ---- */

enum leg {
	LEG_BASELINE_SLEEPING,
	LEG_XMM_SLEEPING,
	LEG_BASELINE_SPINNING,
	LEG_XMM_SPINNING,
	LEG_LOOP_1000,
	LEG_XMM_1000,
	LEGS,
};

static const char *const leg_names[LEGS] = {
	"baseline, 1 range, sleeping target",
	"xmm inject, 1 range, sleeping target",
	"baseline, 1 range, spinning target",
	"xmm inject, 1 range, spinning target",
	"in-target loop, 1,000 ranges",
	"xmm inject, 1,000 ranges",
};

/* One timed operation of the leg; its time in ns, or -1. */
static long run_leg(enum leg leg, struct bench_floor_child *sleeping,
		    struct bench_floor_child *spinning)
{
	struct bench_floor_child *c = leg == LEG_BASELINE_SPINNING ||
				      leg == LEG_XMM_SPINNING ?
				      spinning : sleeping;
	long start = now_ns();
	int ok = 0;

	switch (leg) {
	case LEG_BASELINE_SLEEPING:
	case LEG_BASELINE_SPINNING:
		ok = bench_floor_inject(c->pid, iov[0].iov_base,
					iov[0].iov_len, MADV_COLD) == 0;
		break;
	case LEG_XMM_SLEEPING:
	case LEG_XMM_SPINNING:
		ok = xmm_process_madvise(c->pidfd, iov, 1, MADV_COLD, 0) ==
		     page;
		break;
	case LEG_LOOP_1000:
		ok = bench_floor_child_loop(c) == 0;
		break;
	case LEG_XMM_1000:
		ok = xmm_process_madvise(c->pidfd, iov, RANGES, MADV_COLD,
					 0) == page * RANGES;
		break;
	default:
		break;
	}
	return ok ? now_ns() - start : -1;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 30;
	struct bench_floor_child sleeping, spinning;
	double median[LEGS];
	long *ns[LEGS];
	int per_round[LEGS], count[LEGS] = { 0 };
	int leg, round, i;

	page = sysconf(_SC_PAGESIZE);
	if (!bench_floor_supported()) {
		fprintf(stderr, "the baseline leg is written for x86_64\n");
		return 77;
	}
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
	if (bench_floor_child_start(&sleeping, BENCH_FLOOR_SLEEPING, iov,
				    RANGES, MADV_COLD) < 0 ||
	    bench_floor_child_start(&spinning, BENCH_FLOOR_SPINNING, iov,
				    RANGES, MADV_COLD) < 0 ||
	    xmm_backend_force("process_madvise", "inject") < 0) {
		perror("setup");
		return 1;
	}
	for (leg = 0; leg < LEGS; leg++) {
		per_round[leg] = leg >= LEG_LOOP_1000 ? 2 : ONE_RANGE_CALLS;
		ns[leg] = calloc((size_t)(rounds * per_round[leg]),
				 sizeof(long));
		if (!ns[leg])
			return 1;
	}
	/* A warm-up of each leg, then the rounds, legs alternating. */
	for (round = -1; round < rounds; round++) {
		for (leg = 0; leg < LEGS; leg++) {
			for (i = 0; i < per_round[leg]; i++) {
				long t = run_leg((enum leg)leg, &sleeping,
						 &spinning);

				if (t < 0) {
					fprintf(stderr, "%s: %s\n",
						leg_names[leg],
						strerror(errno));
					return 1;
				}
				if (round >= 0)
					ns[leg][count[leg]++] = t;
			}
		}
	}
	for (leg = 0; leg < LEGS; leg++) {
		median[leg] = median_us(ns[leg], count[leg]);
		printf("%-40s median %9.1f us\n", leg_names[leg],
		       median[leg]);
		free(ns[leg]);
	}
	printf("ratio, 1 range, sleeping target:  %.2fx (target <= 1.5x)\n",
	       median[LEG_XMM_SLEEPING] / median[LEG_BASELINE_SLEEPING]);
	printf("ratio, 1 range, spinning target:  %.2fx (target <= 1.5x)\n",
	       median[LEG_XMM_SPINNING] / median[LEG_BASELINE_SPINNING]);
	printf("ratio, 1,000 ranges:              %.2fx (target <= 1.2x)\n",
	       median[LEG_XMM_1000] / median[LEG_LOOP_1000]);
	bench_floor_child_stop(&sleeping);
	bench_floor_child_stop(&spinning);
	return 0;
}
