// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Physical references measured in the same run, so that every figure can
 * be read against the machine's limits: memcpy bandwidth and the cost of
 * an empty system call.
 */
#include "bench.h"
#include "rows.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MEMCPY_LEN	(256 * BENCH_MIB)

struct memcpy_ctx {
	char *src;
	char *dst;
};

static int copy_once(struct bench_leg *leg)
{
	struct memcpy_ctx *ctx = leg->ctx;

	memcpy(ctx->dst, ctx->src, MEMCPY_LEN);
	/* Keep the compiler from proving the copies redundant. */
	__asm__ volatile("" : : "r"(ctx->dst) : "memory");
	return 0;
}

static int run_memcpy(struct bench_leg *leg, unsigned long iterations,
		      uint64_t *ns)
{
	return bench_time_loop(leg, iterations, ns, copy_once);
}

static int getppid_once(struct bench_leg *leg)
{
	syscall(SYS_getppid);
	return 0;
}

static int run_getppid(struct bench_leg *leg, unsigned long iterations,
		       uint64_t *ns)
{
	return bench_time_loop(leg, iterations, ns, getppid_once);
}

static void memcpy_bandwidth(void)
{
	struct memcpy_ctx ctx = {
		.src = bench_map(MEMCPY_LEN),
		.dst = bench_map(MEMCPY_LEN),
	};
	struct bench_leg leg = {
		.name = "memcpy 256 MiB, both buffers populated",
		.run = run_memcpy,
		.ctx = &ctx,
	};
	const struct bench_plan plan = {
		.rounds = 11,
		.round_ns = 100 * 1000 * 1000,
		.max_iterations = 100,
	};

	if (!ctx.src || !ctx.dst) {
		leg.err = ENOMEM;
	} else {
		memset(ctx.src, 0x5a, MEMCPY_LEN);
		memset(ctx.dst, 0, MEMCPY_LEN);
		bench_measure(&leg, 1, &plan);
	}
	/* Bytes per ns are GB/s. */
	bench_report_reference("memcpy bandwidth", &leg, "GB/s",
			       -(double)MEMCPY_LEN, NULL);
	if (ctx.src)
		munmap(ctx.src, MEMCPY_LEN);
	if (ctx.dst)
		munmap(ctx.dst, MEMCPY_LEN);
}

static void empty_syscall(void)
{
	struct bench_leg leg = {
		.name = "syscall(SYS_getppid)",
		.run = run_getppid,
	};
	const struct bench_plan plan = {
		.rounds = 11,
		.round_ns = 20 * 1000 * 1000,
		.max_iterations = 10 * 1000 * 1000,
		.slices = 200,
	};

	bench_measure(&leg, 1, &plan);
	bench_report_reference("empty system call", &leg, "ns", 1, NULL);
}

void bench_references(void)
{
	memcpy_bandwidth();
	empty_syscall();
}
