/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the benchmark rows share: a clock, a driver that runs several legs
 * (an xmm path and its baseline) alternately for many rounds, statistics
 * over the rounds, the output (a Markdown table row and a JSON line per
 * result), and children that hold memory for the cross-process rows.
 *
 * A leg times only what it measures: setup and checks around the measured
 * calls stay outside its clock.
 */
#ifndef XMM_BENCH_BENCH_H
#define XMM_BENCH_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#define BENCH_KIB		(1024UL)
#define BENCH_MIB		(1024UL * 1024)
#define BENCH_GIB		(1024UL * 1024 * 1024)
#define BENCH_MAX_ROUNDS	64
#define BENCH_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

uint64_t bench_now_ns(void);
size_t bench_page_size(void);

struct bench_stats {
	double median;
	double min;
	double max;
	double q1;	/* first and third quartiles */
	double q3;
};

void bench_stats(const double *samples, size_t count, struct bench_stats *st);

struct bench_leg;

/*
 * Run the measured operation iterations times and add the time it took,
 * in ns, to *ns.  0, or -errno: an error in the warm-up makes the leg
 * unavailable (ENOSYS, or ENOENT for a backend this build lacks) or
 * failed (anything else); later errors make it failed.
 */
typedef int (*bench_run_fn)(struct bench_leg *leg, unsigned long iterations,
			    uint64_t *ns);

struct bench_leg {
	const char *name;	/* what it runs, for the table */
	bench_run_fn run;
	/* For run = bench_run_op: one operation, 0 or -errno. */
	int (*op)(struct bench_leg *leg);
	void *ctx;
	/* Set by run(): which backend served, a sentence on an error. */
	const char *served;
	const char *why;

	/* Filled by bench_measure(). */
	int err;		/* 0, or the errno that stopped it */
	bool unavailable;	/* err means "not here", not a failure */
	unsigned long iterations;	/* per round */
	size_t rounds;
	double op_ns[BENCH_MAX_ROUNDS];	/* per operation, each round */
};

/*
 * The timing loop of most legs: op(leg) iterations times under one
 * clock, the time added to *ns; it stops at the first answer other than
 * 0 (-errno), which it returns.  Inline, so that op is inlined too and
 * the loop costs what a hand-written one does.
 */
static inline int bench_time_loop(struct bench_leg *leg,
				  unsigned long iterations, uint64_t *ns,
				  int (*op)(struct bench_leg *leg))
{
	uint64_t start = bench_now_ns();
	unsigned long i;
	int ret = 0;

	for (i = 0; i < iterations && !ret; i++)
		ret = op(leg);
	*ns += bench_now_ns() - start;
	return ret;
}

/*
 * A bench_run_fn for the legs whose operation is leg->op: the same loop
 * through a pointer, for operations long enough (microseconds) that the
 * indirect call does not count.
 */
int bench_run_op(struct bench_leg *leg, unsigned long iterations,
		 uint64_t *ns);

/* How bench_measure() runs the legs. */
struct bench_plan {
	size_t rounds;		/* measured rounds, after one warm-up */
	/*
	 * Iterations per leg and round: enough for round_ns of work by the
	 * warm-up's speed, within [1, max_iterations].
	 */
	uint64_t round_ns;
	unsigned long max_iterations;
	/* Split each round into this many slices, legs alternating. */
	unsigned int slices;
	/*
	 * Optional, for rows of one huge operation per round: called with
	 * true before the warm-up and false after it, so that the warm-up
	 * runs on small sizes instead of costing a round.  The warm-up then
	 * runs two operations per leg.  Only for rows whose operations
	 * behave alike on a part of the region (not for remap, where the
	 * mremap backend serves whole VMAs only).
	 */
	void (*warm_up_small)(void *arg, bool small);
	void *warm_up_arg;
};

/*
 * Warm up, then run every leg for plan->rounds rounds, the legs taking
 * turns (their order rotates each slice) so that a shared machine's drift
 * falls on all of them alike.
 */
void bench_measure(struct bench_leg *legs, size_t count,
		   const struct bench_plan *plan);

/* How a row turns the two legs' times into its ratio, and judges it. */
enum bench_ratio {
	BENCH_COST,	/* xmm time / baseline time: lower is better */
	BENCH_SPEEDUP,	/* baseline time / xmm time: higher is better */
};

enum bench_target {
	BENCH_TARGET_NONE,	/* reported only */
	BENCH_TARGET_RATIO_MAX,	/* median ratio <= value */
	BENCH_TARGET_RATIO_MIN,	/* median ratio >= value */
};

struct bench_row {
	const char *name;
	const char *target_text;	/* as the issue states it */
	enum bench_ratio ratio;
	enum bench_target target;
	double target_value;
	const char *note;		/* printed in the JSON, optional */
};

/* Print a row comparing xmm (leg) with base (leg). */
void bench_report(const struct bench_row *row, const struct bench_leg *xmm,
		  const struct bench_leg *base);

/*
 * Print the slope of a row that runs at two sizes: each leg's (time at
 * the large size - time at the small one) / units, round by round, as
 * ns per unit_name.  base_small and base_large may be NULL: then the xmm
 * slope alone is printed, for information.
 */
void bench_report_slope(const struct bench_row *row,
			const struct bench_leg *xmm_small,
			const struct bench_leg *xmm_large,
			const struct bench_leg *base_small,
			const struct bench_leg *base_large,
			double units, const char *unit_name);

/* Print a physical reference: one leg's figure in a unit of its own. */
void bench_report_reference(const char *name, const struct bench_leg *leg,
			    const char *unit, double scale, const char *note);

/* Where bench_report() writes JSON lines; NULL: nowhere. */
extern FILE *bench_json;

/* Markdown header of the results table. */
void bench_print_header(void);

/* Say why a leg is unavailable (NULL for no more than strerror). */
int bench_unavailable(struct bench_leg *leg, int err, const char *why);

/*
 * Force an operation's backend around an xmm call.  Returns 0 or -errno;
 * an unknown name becomes -ENOENT with leg->why saying so.
 */
int bench_force(struct bench_leg *leg, const char *operation,
		const char *backend);

/* A child that maps memory, tells us where, then waits to be killed. */
#define BENCH_CHILD_ADDRS	4

struct bench_child {
	pid_t pid;
	int pidfd;
	int hold;	/* closing it lets the child exit */
	void *addr[BENCH_CHILD_ADDRS];
};

/*
 * setup(arg, addr) runs in the child and fills addr; it returns 0 or
 * -errno.  The child then sleeps in read(2) until bench_child_stop().
 */
int bench_child_start(struct bench_child *child,
		      int (*setup)(void *arg, void **addr), void *arg);
void bench_child_stop(struct bench_child *child);

/* An anonymous private mapping, or NULL. */
void *bench_map(size_t len);
/* Write each page's index into its first word (populates every page). */
void bench_fill_pages(void *addr, size_t len);
/* Does page i of addr hold i, for a sample of pages?  page0 is i's base. */
bool bench_check_pages(const void *addr, size_t len, size_t page0);

#endif /* XMM_BENCH_BENCH_H */
