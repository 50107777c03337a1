// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_madvise(): the cost the library adds to the system call,
 * and the injection backend against the system call it stands in for.
 */
#include "bench.h"
#include "rows.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xmm/xmm.h>

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

/* The injection rows' target: this many pages, every other one advised. */
#define INJECT_RANGES	1000
#define INJECT_PAGES	(2 * INJECT_RANGES)

struct advise_ctx {
	int pidfd;
	const struct iovec *iov;
	size_t vlen;
	size_t bytes;		/* what a full answer is */
	unsigned int flags;
	const char *backend;	/* force it around the calls; NULL: don't */
};

static int check_answer(const struct advise_ctx *ctx, ssize_t ret)
{
	if (ret < 0)
		return -errno;
	if ((size_t)ret != ctx->bytes)
		return -EIO;
	return 0;
}

static int xmm_madvise(struct bench_leg *leg)
{
	const struct advise_ctx *ctx = leg->ctx;

	return check_answer(ctx, xmm_process_madvise(ctx->pidfd, ctx->iov,
			    ctx->vlen, MADV_COLD, ctx->flags));
}

static int run_xmm_madvise(struct bench_leg *leg, unsigned long iterations,
			   uint64_t *ns)
{
	const struct advise_ctx *ctx = leg->ctx;
	int ret = 0;

	if (ctx->backend) {
		ret = bench_force(leg, "process_madvise", ctx->backend);
		if (ret < 0)
			return ret;
	}
	ret = bench_time_loop(leg, iterations, ns, xmm_madvise);
	if (ctx->backend)
		xmm_backend_force("process_madvise", NULL);
	if (ret == -ENOSYS)
		return bench_unavailable(leg, ENOSYS, NULL);
	if (!ret) {
		leg->served = xmm_backend_last("process_madvise");
		if (ctx->backend && (!leg->served ||
				     strcmp(leg->served, ctx->backend))) {
			leg->why = "another backend served the call";
			ret = -EPROTO;
		}
	}
	return ret;
}

static int glibc_madvise(struct bench_leg *leg)
{
	const struct advise_ctx *ctx = leg->ctx;

	return check_answer(ctx, process_madvise(ctx->pidfd, ctx->iov,
			    ctx->vlen, MADV_COLD, ctx->flags));
}

static int run_glibc_madvise(struct bench_leg *leg, unsigned long iterations,
			     uint64_t *ns)
{
	return bench_time_loop(leg, iterations, ns, glibc_madvise);
}

/*
 * What the library adds to one call, which should be nothing: the same
 * arguments through xmm_process_madvise() and glibc's process_madvise(),
 * 1 page of our own, many calls per round in interleaved slices.
 */
void bench_madvise_call(void)
{
	size_t page = bench_page_size();
	struct iovec iov = { .iov_base = bench_map(page), .iov_len = page };
	struct advise_ctx ctx = {
		.pidfd = pidfd_open(getpid(), 0),
		.iov = &iov,
		.vlen = 1,
		.bytes = page,
	};
	struct bench_leg legs[] = {
		{ .name = "xmm_process_madvise(pidfd, 1 page, MADV_COLD)",
		  .run = run_xmm_madvise, .ctx = &ctx },
		{ .name = "glibc process_madvise, same arguments",
		  .run = run_glibc_madvise, .ctx = &ctx },
	};
	const struct bench_plan plan = {
		.rounds = 41,
		.round_ns = 20 * 1000 * 1000,
		.max_iterations = 1000 * 1000,
		.slices = 500,
	};
	const struct bench_row row = {
		.name = "call overhead",
		.target_text = "ratio <= 1.02",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 1.02,
		.note = "self, through a real pidfd of our own process",
	};

	if (ctx.pidfd < 0 || !iov.iov_base) {
		legs[0].err = legs[1].err = ctx.pidfd < 0 ? errno : ENOMEM;
	} else {
		memset(iov.iov_base, 1, page);
		bench_measure(legs, BENCH_ARRAY_SIZE(legs), &plan);
	}
	bench_report(&row, &legs[0], &legs[1]);
	if (iov.iov_base)
		munmap(iov.iov_base, page);
	if (ctx.pidfd >= 0)
		close(ctx.pidfd);
}

static int setup_inject_target(void *arg, void **addr)
{
	size_t len = INJECT_PAGES * bench_page_size();

	addr[0] = bench_map(len);
	if (!addr[0])
		return -ENOMEM;
	bench_fill_pages(addr[0], len);
	return 0;
}

static void injection_row(const struct bench_child *child,
			  const struct iovec *iov, size_t vlen,
			  const struct bench_row *row)
{
	struct advise_ctx inject = {
		.pidfd = child->pidfd,
		.iov = iov,
		.vlen = vlen,
		.bytes = vlen * bench_page_size(),
		.flags = XMM_PMADV_INJECT,
		.backend = "inject",
	};
	struct advise_ctx native = inject;
	struct bench_leg legs[2] = {
		{ .run = run_xmm_madvise, .ctx = &inject },
		{ .run = run_glibc_madvise, .ctx = &native },
	};
	const struct bench_plan plan = {
		.rounds = 11,
		.round_ns = 20 * 1000 * 1000,
		.max_iterations = 10 * 1000,
		.slices = 5,
	};

	native.flags = 0;
	native.backend = NULL;
	legs[0].name = vlen == 1 ?
		"inject backend, 1 range, MADV_COLD" :
		"inject backend, 1,000 ranges in one call, MADV_COLD";
	legs[1].name = "process_madvise, same ranges";
	bench_measure(legs, BENCH_ARRAY_SIZE(legs), &plan);
	bench_report(row, &legs[0], &legs[1]);
}

/*
 * The ptrace injection backend, forced, on a child that sleeps in
 * read(2): one range, then 1,000 ranges in one stop, with the ratio to
 * the system call it stands in for, for information.  Injection is
 * judged against its own floors (issue 11), which the injection-floor
 * group (injection.c) measures in the same run: a minimal hand-written
 * injection (one range, <= 1.5x) and the target's own loop of the calls
 * (1,000 ranges, <= 1.2x).  These rows carry no target of their own.
 */
void bench_injection(void)
{
	static const struct bench_row one = {
		.name = "injection, 1 range",
		.target_text = "see the injection-floor rows",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_NONE,
	};
	static const struct bench_row many = {
		.name = "injection, 1,000 ranges",
		.target_text = "see the injection-floor rows",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_NONE,
	};
	static struct iovec iov[INJECT_RANGES];
	size_t page = bench_page_size(), i;
	struct bench_child child;
	int err;

	err = bench_child_start(&child, setup_inject_target, NULL);
	if (err) {
		struct bench_leg failed = {
			.name = "child", .err = -err,
		};

		bench_report(&one, &failed, &failed);
		bench_report(&many, &failed, &failed);
		return;
	}
	for (i = 0; i < INJECT_RANGES; i++) {
		iov[i].iov_base = (char *)child.addr[0] + 2 * i * page;
		iov[i].iov_len = page;
	}
	injection_row(&child, iov, 1, &one);
	injection_row(&child, iov, INJECT_RANGES, &many);
	bench_child_stop(&child);
}
