// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The injection backend against its floors, the ratios issue 11 sets
 * (bench/inject_floor.h says what the floors are):
 *
 *   one range, sleeping target   <= 1.5x a hand-written injection
 *   one range, spinning target   <= 1.5x a hand-written injection
 *   1,000 ranges                 <= 1.2x the target's own loop
 *
 * All six legs alternate in one measurement, so that the machine's drift
 * falls on each alike.  bench/inject-bench measures the same legs call by
 * call (medians of single calls) for a quick look.
 */
#include "bench.h"
#include "inject_floor.h"
#include "rows.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>

#include <xmm/xmm.h>

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define FLOOR_RANGES	1000

struct floor_ctx {
	const struct bench_floor_child *child;
	const struct iovec *iov;
	size_t vlen;
};

static int xmm_inject_op(struct bench_leg *leg)
{
	const struct floor_ctx *ctx = leg->ctx;
	size_t bytes = ctx->vlen * bench_page_size();
	ssize_t ret;

	ret = xmm_process_madvise(ctx->child->pidfd, ctx->iov, ctx->vlen,
				  MADV_COLD, 0);
	if (ret < 0)
		return -errno;
	return (size_t)ret == bytes ? 0 : -EIO;
}

/* The library's calls, its inject backend forced around them. */
static int run_xmm_inject(struct bench_leg *leg, unsigned long iterations,
			  uint64_t *ns)
{
	int ret = bench_force(leg, "process_madvise", "inject");

	if (ret < 0)
		return ret;
	ret = bench_time_loop(leg, iterations, ns, xmm_inject_op);
	xmm_backend_force("process_madvise", NULL);
	if (ret == -ENOSYS)
		return bench_unavailable(leg, ENOSYS, NULL);
	if (!ret) {
		leg->served = xmm_backend_last("process_madvise");
		if (!leg->served || strcmp(leg->served, "inject")) {
			leg->why = "another backend served the call";
			ret = -EPROTO;
		}
	}
	return ret;
}

static int floor_inject_op(struct bench_leg *leg)
{
	const struct floor_ctx *ctx = leg->ctx;

	if (bench_floor_inject(ctx->child->pid, ctx->iov[0].iov_base,
			       ctx->iov[0].iov_len, MADV_COLD) < 0)
		return -errno;
	return 0;
}

static int run_floor_inject(struct bench_leg *leg, unsigned long iterations,
			    uint64_t *ns)
{
	if (!bench_floor_supported())
		return bench_unavailable(leg, ENOSYS,
			"the hand-written injection knows x86_64 only");
	return bench_time_loop(leg, iterations, ns, floor_inject_op);
}

static int target_loop_op(struct bench_leg *leg)
{
	const struct floor_ctx *ctx = leg->ctx;

	return bench_floor_child_loop(ctx->child) < 0 ? -errno : 0;
}

static int run_target_loop(struct bench_leg *leg, unsigned long iterations,
			   uint64_t *ns)
{
	return bench_time_loop(leg, iterations, ns, target_loop_op);
}

enum floor_leg {
	XMM_SLEEPING,
	FLOOR_SLEEPING,
	XMM_SPINNING,
	FLOOR_SPINNING,
	XMM_MANY,
	LOOP_MANY,
	FLOOR_LEGS,
};

static void report_all(struct bench_leg *legs)
{
	static const struct bench_row sleeping = {
		.name = "injection floor, 1 range, sleeping target",
		.target_text = "ratio <= 1.5 (issue 11)",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 1.5,
		.note = "target sleeps in read(2); x86_64 floor",
	};
	static const struct bench_row spinning = {
		.name = "injection floor, 1 range, spinning target",
		.target_text = "ratio <= 1.5 (issue 11)",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 1.5,
		.note = "target spins in user space, keeping one CPU busy",
	};
	static const struct bench_row many = {
		.name = "injection floor, 1,000 ranges",
		.target_text = "ratio <= 1.2 (issue 11)",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 1.2,
		.note = "1,000 one-page ranges, every other page",
	};

	bench_report(&sleeping, &legs[XMM_SLEEPING], &legs[FLOOR_SLEEPING]);
	bench_report(&spinning, &legs[XMM_SPINNING], &legs[FLOOR_SPINNING]);
	bench_report(&many, &legs[XMM_MANY], &legs[LOOP_MANY]);
}

void bench_injection_floor(void)
{
	static struct iovec iov[FLOOR_RANGES];
	size_t page = bench_page_size(), len = 2 * FLOOR_RANGES * page, i;
	struct bench_floor_child sleeper = { .pid = 0 }, spinner = { .pid = 0 };
	struct floor_ctx one_sleeping = { &sleeper, iov, 1 };
	struct floor_ctx one_spinning = { &spinner, iov, 1 };
	struct floor_ctx many = { &sleeper, iov, FLOOR_RANGES };
	struct bench_leg legs[FLOOR_LEGS] = {
		[XMM_SLEEPING] = { .name = "inject backend, 1 range",
				   .run = run_xmm_inject,
				   .ctx = &one_sleeping },
		[FLOOR_SLEEPING] = { .name = "hand-written injection, 1 range",
				     .run = run_floor_inject,
				     .ctx = &one_sleeping },
		[XMM_SPINNING] = { .name = "inject backend, 1 range",
				   .run = run_xmm_inject,
				   .ctx = &one_spinning },
		[FLOOR_SPINNING] = { .name = "hand-written injection, 1 range",
				     .run = run_floor_inject,
				     .ctx = &one_spinning },
		[XMM_MANY] = { .name = "inject backend, 1,000 ranges",
			       .run = run_xmm_inject, .ctx = &many },
		[LOOP_MANY] = { .name = "the target's own loop, 1,000 calls",
				.run = run_target_loop, .ctx = &many },
	};
	const struct bench_plan plan = {
		.rounds = 11,
		.round_ns = 20 * 1000 * 1000,
		.max_iterations = 10 * 1000,
		.slices = 5,
	};
	char *mem = bench_map(len);
	uint64_t warm_up_ns = 0;
	int err = 0;

	if (!mem) {
		err = ENOMEM;
		goto report;
	}
	bench_fill_pages(mem, len);
	/* Every other page: 1,000 ranges the kernel never merges. */
	for (i = 0; i < FLOOR_RANGES; i++) {
		iov[i].iov_base = mem + 2 * i * page;
		iov[i].iov_len = page;
	}
	if (bench_floor_child_start(&sleeper, BENCH_FLOOR_SLEEPING, iov,
				    FLOOR_RANGES, MADV_COLD) < 0 ||
	    bench_floor_child_start(&spinner, BENCH_FLOOR_SPINNING, iov,
				    FLOOR_RANGES, MADV_COLD) < 0) {
		err = errno;
		goto stop;
	}
	/* The first injection starts the library's helper (milliseconds):
	 * not a figure for the calibration to size the rounds by. */
	run_xmm_inject(&legs[XMM_SLEEPING], 1, &warm_up_ns);
	legs[XMM_SLEEPING].served = NULL;
	legs[XMM_SLEEPING].why = NULL;
	bench_measure(legs, FLOOR_LEGS, &plan);
stop:
	if (spinner.pid > 0)
		bench_floor_child_stop(&spinner);
	if (sleeper.pid > 0)
		bench_floor_child_stop(&sleeper);
	munmap(mem, len);
report:
	for (i = 0; err && i < FLOOR_LEGS; i++)
		legs[i].err = err;
	report_all(legs);
}
