// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap() on a child's memory: a shared memfd region at
 * 1 MiB and 1 GiB, a dense private 1 GiB region against process_vm_readv,
 * and a sparse private 1 GiB region (1 MiB touched) against the dense one.
 * The scale rows clone 1 MiB, 1 GiB and 16 GiB of a sparse 16 GiB memfd
 * region (a few sample pages written) and print the slope per GiB.
 * Each clone is unmapped outside the clock.
 */
#include "bench.h"
#include "rows.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xmm/xmm.h>

#define REGION_LEN	BENCH_GIB
#define SCALE_LEN	(16 * BENCH_GIB)
#define WARM_UP_LEN	(16 * BENCH_MIB)
/* The sparse region: one page touched every SPARSE_STRIDE pages (1 MiB). */
#define SPARSE_STRIDE	1024

struct clone_ctx {
	const struct bench_child *child;
	void *src;
	size_t len;
	size_t stride;	/* pages between two populated ones */
};

static int setup_shared_region(void *arg, void **addr)
{
	int fd = memfd_create("xmm-bench", MFD_CLOEXEC);
	void *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, REGION_LEN)) {
		close(fd);
		return -errno;
	}
	p = mmap(NULL, REGION_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	bench_fill_pages(p, REGION_LEN);
	addr[0] = p;
	return 0;
}

/*
 * A 16 GiB memfd, not populated but for the pages clone_matches() samples
 * in its first 1 MiB, 1 GiB and 16 GiB.
 */
static int setup_sparse_shared_region(void *arg, void **addr)
{
	static const size_t lens[] = { BENCH_MIB, BENCH_GIB, SCALE_LEN };
	size_t page = bench_page_size(), i, k;
	int fd = memfd_create("xmm-bench-sparse", MFD_CLOEXEC);
	char *p;

	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)SCALE_LEN)) {
		close(fd);
		return -errno;
	}
	p = mmap(NULL, SCALE_LEN, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -errno;
	for (k = 0; k < BENCH_ARRAY_SIZE(lens); k++) {
		size_t pages = lens[k] / page, step = pages / 64;

		for (i = 0; i < pages; i += step)
			*(uint64_t *)(p + i * page) = i + 1;
	}
	addr[0] = p;
	return 0;
}

static int setup_private_regions(void *arg, void **addr)
{
	size_t page = bench_page_size(), i;
	char *sparse;

	addr[0] = bench_map(REGION_LEN);
	sparse = bench_map(REGION_LEN);
	if (!addr[0] || !sparse)
		return -ENOMEM;
	madvise(addr[0], REGION_LEN, MADV_NOHUGEPAGE);
	madvise(sparse, REGION_LEN, MADV_NOHUGEPAGE);
	bench_fill_pages(addr[0], REGION_LEN);
	for (i = 0; i < REGION_LEN / page; i += SPARSE_STRIDE)
		*(uint64_t *)(sparse + i * page) = i + 1;
	addr[1] = sparse;
	return 0;
}

/* Does the copy hold what the child wrote, on a sample of its pages? */
static bool clone_matches(const struct clone_ctx *ctx, const char *copy)
{
	size_t page = bench_page_size(), pages = ctx->len / page, i;
	size_t step = ctx->stride;

	if (pages / step > 64)
		step = pages / 64 / ctx->stride * ctx->stride;
	for (i = 0; i < pages; i += step)
		if (*(const uint64_t *)(copy + i * page) != i + 1)
			return false;
	return true;
}

/*
 * The clones of one slice are taken back to back and checked and
 * unmapped only after it: a clone checked and unmapped between two timed
 * calls made the next call pay for it (the 64 sampled pages of a 16 GiB
 * clone sit under 64 page tables, those of 1 MiB under one; measured: a
 * 1 MiB call right after that work on a 16 GiB clone cost as much as a
 * 16 GiB call, and a 16 GiB call after it on a 1 MiB clone as little as
 * a 1 MiB call).  A clone of a shared region costs address space only.
 */
static int run_xmm_clone(struct bench_leg *leg, unsigned long iterations,
			 uint64_t *ns)
{
	const struct clone_ctx *ctx = leg->ctx;
	void **copies = calloc(iterations, sizeof(*copies));
	unsigned long i, made = 0;
	uint64_t start;
	int ret = 0;

	if (!copies)
		return -ENOMEM;
	start = bench_now_ns();
	for (i = 0; i < iterations; i++) {
		void *copy = xmm_process_vm_mmap(ctx->child->pid, ctx->src,
						 ctx->len, NULL, 0);

		if (copy == MAP_FAILED) {
			ret = -errno;
			break;
		}
		copies[made++] = copy;
	}
	*ns += bench_now_ns() - start;
	if (ret == -ENOSYS) {
		ret = bench_unavailable(leg, ENOSYS, NULL);
	} else if (made) {
		leg->served = xmm_backend_last("process_vm_mmap");
	}
	/*
	 * The first clone of the slice is checked: the others come from
	 * the same call on the same region, and touching them all would
	 * leave their page tables for the next slice to pay for.
	 */
	for (i = 0; i < made; i++) {
		if (!ret && !i && !clone_matches(ctx, copies[i])) {
			leg->why = "the clone differs from the child's memory";
			ret = -EIO;
		}
		munmap(copies[i], ctx->len);
	}
	free(copies);
	return ret;
}

/* What page servers do today: copy into a fresh buffer. */
static int run_readv(struct bench_leg *leg, unsigned long iterations,
		     uint64_t *ns)
{
	const struct clone_ctx *ctx = leg->ctx;
	unsigned long i;

	for (i = 0; i < iterations; i++) {
		uint64_t start = bench_now_ns();
		char *buf = bench_map(ctx->len);
		size_t done = 0;
		bool match;

		if (!buf)
			return -ENOMEM;
		while (done < ctx->len) {
			struct iovec local = {
				.iov_base = buf + done,
				.iov_len = ctx->len - done,
			};
			struct iovec remote = {
				.iov_base = (char *)ctx->src + done,
				.iov_len = ctx->len - done,
			};
			ssize_t n = process_vm_readv(ctx->child->pid, &local,
						     1, &remote, 1, 0);

			if (n <= 0) {
				munmap(buf, ctx->len);
				return n < 0 ? -errno : -EIO;
			}
			done += (size_t)n;
		}
		*ns += bench_now_ns() - start;
		match = clone_matches(ctx, buf);
		munmap(buf, ctx->len);
		if (!match)
			return -EIO;
	}
	return 0;
}

static void report_child_failure(const struct bench_row *rows, size_t count,
				 int err)
{
	struct bench_leg failed = { .name = "child", .err = err };
	size_t i;

	for (i = 0; i < count; i++)
		bench_report(&rows[i], &failed, &failed);
}

void bench_vm_mmap_shared(void)
{
	static const struct bench_row row = {
		.name = "vm_mmap shared",
		.target_text = "ratio <= 1.3 (issue 14)",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 1.3,
	};
	const struct bench_plan plan = {
		.rounds = 11,
		.round_ns = 10 * 1000 * 1000,
		.max_iterations = 1000,
		.slices = 10,
	};
	struct bench_child child;
	struct clone_ctx large = { .child = &child, .len = REGION_LEN,
				   .stride = 1 };
	struct clone_ctx small = { .child = &child, .len = BENCH_MIB,
				   .stride = 1 };
	struct bench_leg legs[] = {
		{ .name = "xmm_process_vm_mmap, 1 GiB memfd region",
		  .run = run_xmm_clone, .ctx = &large },
		{ .name = "xmm_process_vm_mmap, 1 MiB of it",
		  .run = run_xmm_clone, .ctx = &small },
	};
	int err;

	err = bench_child_start(&child, setup_shared_region, NULL);
	if (err) {
		report_child_failure(&row, 1, -err);
		return;
	}
	large.src = small.src = child.addr[0];
	bench_measure(legs, BENCH_ARRAY_SIZE(legs), &plan);
	bench_report(&row, &legs[0], &legs[1]);
	bench_child_stop(&child);
}

/* 1 MiB, 1 GiB and 16 GiB of one sparse memfd region, taking turns. */
void bench_vm_mmap_scale(void)
{
	static const struct bench_row rows[] = {
		{
			.name = "vm_mmap shared, sparse 1 GiB vs 1 MiB",
			.target_text = "ratio <= 1.3 (issue 14)",
			.ratio = BENCH_COST,
			.target = BENCH_TARGET_RATIO_MAX,
			.target_value = 1.3,
			.note = "a 16 GiB memfd, 192 sample pages written",
		},
		{
			.name = "vm_mmap shared, sparse 16 GiB vs 1 MiB",
			.target_text = "ratio <= 1.3 (issue 14)",
			.ratio = BENCH_COST,
			.target = BENCH_TARGET_RATIO_MAX,
			.target_value = 1.3,
			.note = "a 16 GiB memfd, 192 sample pages written",
		},
		{
			.name = "vm_mmap shared, slope per GiB, "
				"1 MiB to 16 GiB",
			.note = "(time at 16 GiB - time at 1 MiB) / (16 GiB - "
				"1 MiB), per round; 0 is a zero-copy clone",
		},
	};
	const struct bench_plan plan = {
		.rounds = 11,
		.round_ns = 10 * 1000 * 1000,
		.max_iterations = 1000,
		.slices = 10,
	};
	struct bench_child child;
	struct clone_ctx sizes[] = {
		{ .child = &child, .len = BENCH_MIB, .stride = 1 },
		{ .child = &child, .len = BENCH_GIB, .stride = 1 },
		{ .child = &child, .len = SCALE_LEN, .stride = 1 },
	};
	struct bench_leg legs[] = {
		{ .name = "xmm_process_vm_mmap, 1 MiB of a sparse memfd",
		  .run = run_xmm_clone, .ctx = &sizes[0] },
		{ .name = "xmm_process_vm_mmap, 1 GiB of it",
		  .run = run_xmm_clone, .ctx = &sizes[1] },
		{ .name = "xmm_process_vm_mmap, 16 GiB of it",
		  .run = run_xmm_clone, .ctx = &sizes[2] },
	};
	size_t i;
	int err;

	err = bench_child_start(&child, setup_sparse_shared_region, NULL);
	if (err) {
		report_child_failure(rows, 2, -err);
		return;
	}
	for (i = 0; i < BENCH_ARRAY_SIZE(sizes); i++)
		sizes[i].src = child.addr[0];
	bench_measure(legs, BENCH_ARRAY_SIZE(legs), &plan);
	bench_report(&rows[0], &legs[1], &legs[0]);
	bench_report(&rows[1], &legs[2], &legs[0]);
	bench_report_slope(&rows[2], &legs[0], &legs[2], NULL, NULL,
			   (double)(SCALE_LEN - BENCH_MIB) / BENCH_GIB, "GiB");
	bench_child_stop(&child);
}

/* bench_plan.warm_up_small: warm up on the first few MiB of each region. */
static void clones_warm_up_small(void *arg, bool small)
{
	struct clone_ctx *ctx = arg;

	ctx[0].len = ctx[1].len = small ? WARM_UP_LEN : REGION_LEN;
}

void bench_vm_mmap_private(void)
{
	static const struct bench_row rows[] = {
		{
			.name = "vm_mmap private",
			.target_text = ">= 0.9x throughput",
			.ratio = BENCH_SPEEDUP,
			.target = BENCH_TARGET_RATIO_MIN,
			.target_value = 0.9,
			.note = "the baseline reads into a freshly mapped "
				"buffer, as the clone must be fresh",
		},
		{
			.name = "vm_mmap sparse",
			.target_text = "ratio <= 0.0098 (10x the populated "
				       "share, 1/1024)",
			.ratio = BENCH_COST,
			.target = BENCH_TARGET_RATIO_MAX,
			.target_value = 10.0 / SPARSE_STRIDE,
			.note = "1 page populated every 4 MiB",
		},
	};
	struct bench_child child;
	/* The dense region, then the sparse one. */
	struct clone_ctx regions[2] = {
		{ .child = &child, .len = REGION_LEN, .stride = 1 },
		{ .child = &child, .len = REGION_LEN,
		  .stride = SPARSE_STRIDE },
	};
	const struct bench_plan plan = {
		.rounds = 10,
		.max_iterations = 1,
		.warm_up_small = clones_warm_up_small,
		.warm_up_arg = regions,
	};
	struct bench_leg legs[] = {
		{ .name = "xmm_process_vm_mmap, 1 GiB dense private",
		  .run = run_xmm_clone, .ctx = &regions[0] },
		{ .name = "process_vm_readv 1 GiB into a fresh buffer",
		  .run = run_readv, .ctx = &regions[0] },
		{ .name = "xmm_process_vm_mmap, 1 GiB with 1 MiB touched",
		  .run = run_xmm_clone, .ctx = &regions[1] },
	};
	int err;

	err = bench_child_start(&child, setup_private_regions, NULL);
	if (err) {
		report_child_failure(rows, BENCH_ARRAY_SIZE(rows), -err);
		return;
	}
	regions[0].src = child.addr[0];
	regions[1].src = child.addr[1];
	bench_measure(legs, BENCH_ARRAY_SIZE(legs), &plan);
	bench_report(&rows[0], &legs[0], &legs[1]);
	bench_report(&rows[1], &legs[2], &legs[0]);
	bench_child_stop(&child);
}
