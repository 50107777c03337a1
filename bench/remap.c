// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_remap_anon_pages(): 1 GiB with each backend and the default choice
 * against memcpy plus MADV_DONTNEED, the default against a hand-written
 * UFFDIO_MOVE on a pre-registered range, and one page against that ioctl.
 *
 * Two areas take turns holding the data: every leg, library or baseline,
 * moves it from the full area into the empty one, so no round pays for
 * populating memory again.  The areas use 4 KiB pages (MADV_NOHUGEPAGE)
 * whatever the machine's transparent huge page setting.
 */
#include "bench.h"
#include "rows.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <xmm/xmm.h>

/* Linux 6.8; Debian bookworm's headers lack it. */
#ifndef UFFDIO_MOVE
#define UFFD_FEATURE_MOVE		(1 << 16)
#define UFFDIO_MOVE_MODE_DONTWAKE	((__u64)1 << 0)
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
	__s64 move;
};
#define UFFDIO_MOVE	_IOWR(UFFDIO, 0x05, struct uffdio_move)
#endif

#define LARGE_LEN	BENCH_GIB

/* Two areas of len bytes; area[full] holds the data, the other is empty. */
struct remap_pair {
	char *area[2];
	size_t len;
	int full;
};

/* The hand-written baseline's userfaultfd, with UFFD_FEATURE_MOVE. */
struct hand_uffd {
	int fd;
	int err;	/* when fd < 0: why */
};

struct remap_leg {
	struct remap_pair *pair;
	struct hand_uffd *uffd;
	const char *backend;	/* forced; NULL: the default choice */
};

/*
 * Two areas with a PROT_NONE page between them, so that they stay two
 * VMAs: adjacent anonymous mappings merge, and a backend may serve only
 * ranges that are whole VMAs (mremap).
 */
static int pair_map(struct remap_pair *pair, size_t len)
{
	size_t page = bench_page_size();
	char *base;
	int i;

	pair->len = len;
	pair->full = 0;
	base = mmap(NULL, 2 * len + page, PROT_NONE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED) {
		pair->area[0] = pair->area[1] = NULL;
		return -ENOMEM;
	}
	for (i = 0; i < 2; i++) {
		pair->area[i] = base + i * (len + page);
		if (mprotect(pair->area[i], len, PROT_READ | PROT_WRITE))
			return -errno;
		madvise(pair->area[i], len, MADV_NOHUGEPAGE);
	}
	bench_fill_pages(pair->area[0], len);
	return 0;
}

static void pair_unmap(struct remap_pair *pair)
{
	if (pair->area[0])
		munmap(pair->area[0], 2 * pair->len + bench_page_size());
	pair->area[0] = pair->area[1] = NULL;
}

/* After a failed move the data may lie in both areas: start afresh. */
static void pair_reset(struct remap_pair *pair)
{
	size_t len = pair->len;

	pair_unmap(pair);
	pair_map(pair, len);
}

/* Does area[full] hold the data? */
static int pair_check(struct bench_leg *leg, struct remap_pair *pair)
{
	if (bench_check_pages(pair->area[pair->full], pair->len, 0))
		return 0;
	leg->why = "the moved data differs from the source";
	pair_reset(pair);
	return -EIO;
}

/* The data moved from area[full] to the other: check it there. */
static int pair_flip(struct bench_leg *leg, struct remap_pair *pair)
{
	pair->full ^= 1;
	return pair_check(leg, pair);
}

static void hand_uffd_open(struct hand_uffd *uffd)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_MOVE,
	};

	uffd->err = 0;
	uffd->fd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd->fd < 0) {
		uffd->err = errno;
		return;
	}
	if (ioctl(uffd->fd, UFFDIO_API, &api)) {
		uffd->err = errno;
		close(uffd->fd);
		uffd->fd = -1;
	}
}

static int hand_uffd_register(const struct hand_uffd *uffd, void *addr,
			      size_t len, bool on)
{
	struct uffdio_register reg = {
		.range = { .start = (unsigned long)addr, .len = len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_range range = reg.range;

	if (on ? ioctl(uffd->fd, UFFDIO_REGISTER, &reg) :
		 ioctl(uffd->fd, UFFDIO_UNREGISTER, &range))
		return -errno;
	return 0;
}

/* What a program that owns its userfaultfd writes to move pages. */
static int hand_move(int fd, char *dst, char *src, size_t len)
{
	while (len) {
		struct uffdio_move move = {
			.dst = (unsigned long)dst,
			.src = (unsigned long)src,
			.len = len,
			.mode = UFFDIO_MOVE_MODE_DONTWAKE,
		};

		if (!ioctl(fd, UFFDIO_MOVE, &move))
			return 0;
		if (errno != EAGAIN || move.move <= 0)
			return -errno;
		dst += move.move;
		src += move.move;
		len -= (size_t)move.move;
	}
	return 0;
}

static int run_memcpy_dontneed(struct bench_leg *leg,
			       unsigned long iterations, uint64_t *ns)
{
	struct remap_pair *pair = ((struct remap_leg *)leg->ctx)->pair;
	unsigned long i;
	int ret = 0;

	for (i = 0; i < iterations && !ret; i++) {
		char *src = pair->area[pair->full];
		char *dst = pair->area[!pair->full];
		uint64_t start = bench_now_ns();

		memcpy(dst, src, pair->len);
		if (madvise(src, pair->len, MADV_DONTNEED))
			return -errno;
		*ns += bench_now_ns() - start;
		ret = pair_flip(leg, pair);
	}
	return ret;
}

static int run_xmm_remap(struct bench_leg *leg, unsigned long iterations,
			 uint64_t *ns)
{
	const struct remap_leg *rl = leg->ctx;
	struct remap_pair *pair = rl->pair;
	unsigned long i;
	int ret;

	ret = bench_force(leg, "remap_anon_pages", rl->backend);
	if (ret < 0)
		return ret;
	for (i = 0; i < iterations && !ret; i++) {
		char *src = pair->area[pair->full];
		char *dst = pair->area[!pair->full];
		uint64_t start = bench_now_ns();
		ssize_t moved = xmm_remap_anon_pages(dst, src, pair->len, 0);

		*ns += bench_now_ns() - start;
		if (moved < 0) {
			ret = -errno;
		} else if ((size_t)moved != pair->len) {
			leg->why = "a short move";
			ret = -EIO;
		} else {
			ret = pair_flip(leg, pair);
		}
	}
	xmm_backend_force("remap_anon_pages", NULL);
	if (ret == -ENOSYS)
		return bench_unavailable(leg, ENOSYS, NULL);
	if (ret < 0 && ret != -EIO)
		pair_reset(pair);
	if (!ret)
		leg->served = xmm_backend_last("remap_anon_pages");
	return ret;
}

/* UFFDIO_MOVE on a range registered beforehand, outside the clock. */
static int run_hand_move(struct bench_leg *leg, unsigned long iterations,
			 uint64_t *ns)
{
	const struct remap_leg *rl = leg->ctx;
	struct remap_pair *pair = rl->pair;
	unsigned long i;
	int ret = 0;

	if (rl->uffd->fd < 0)
		return bench_unavailable(leg, rl->uffd->err,
			"no userfaultfd with UFFD_FEATURE_MOVE (Linux 6.8)");
	for (i = 0; i < iterations && !ret; i++) {
		char *src = pair->area[pair->full];
		char *dst = pair->area[!pair->full];
		uint64_t start;

		ret = hand_uffd_register(rl->uffd, dst, pair->len, true);
		if (ret < 0)
			break;
		start = bench_now_ns();
		ret = hand_move(rl->uffd->fd, dst, src, pair->len);
		*ns += bench_now_ns() - start;
		hand_uffd_register(rl->uffd, dst, pair->len, false);
		if (ret < 0) {
			pair_reset(pair);
			break;
		}
		ret = pair_flip(leg, pair);
	}
	return ret;
}

enum {
	LEG_BASELINE,
	LEG_HAND,
	LEG_UFFD_MOVE,
	LEG_MREMAP,
	LEG_COPY,
	LEG_DEFAULT,
	LEG_COUNT
};

/*
 * The default choice against the hand-written ioctl needs a finer figure
 * than one move per round gives: measure the two alone, several moves per
 * round in alternating slices.  Only when both are fast, as a zero-copy
 * backend is; otherwise report the figures already taken.
 */
static void remap_ioctl(const struct bench_row *row,
			const struct bench_leg *lib,
			const struct bench_leg *hand)
{
	const struct bench_plan plan = {
		.rounds = 10,
		.round_ns = 400 * 1000 * 1000,
		.max_iterations = 16,
		.slices = 4,
	};
	struct bench_leg legs[2] = {
		{ .name = lib->name, .run = lib->run, .ctx = lib->ctx },
		{ .name = hand->name, .run = hand->run, .ctx = hand->ctx },
	};
	struct bench_stats st;

	bench_stats(lib->op_ns, lib->rounds, &st);
	if (lib->err || hand->err || st.median > 1e9) {
		bench_report(row, lib, hand);
		return;
	}
	bench_measure(legs, BENCH_ARRAY_SIZE(legs), &plan);
	bench_report(row, &legs[0], &legs[1]);
}

/* The forced backend leg with the lowest median time (one that ran). */
static int best_forced(const struct bench_leg *legs)
{
	double best_ns = 0;
	int i, best = LEG_UFFD_MOVE;

	for (i = LEG_UFFD_MOVE; i <= LEG_COPY; i++) {
		struct bench_stats st;

		if (legs[i].err || !legs[i].rounds)
			continue;
		bench_stats(legs[i].op_ns, legs[i].rounds, &st);
		if (!best_ns || st.median < best_ns) {
			best_ns = st.median;
			best = i;
		}
	}
	return best;
}

void bench_remap_large(void)
{
	static const char *const backends[] = {
		[LEG_UFFD_MOVE] = "uffd-move",
		[LEG_MREMAP] = "mremap",
		[LEG_COPY] = "copy",
	};
	static const char *const row_names[] = {
		[LEG_UFFD_MOVE] = "remap large, uffd-move",
		[LEG_MREMAP] = "remap large, mremap",
		[LEG_COPY] = "remap large, copy",
	};
	static const char *const leg_names[] = {
		[LEG_BASELINE] = "memcpy + MADV_DONTNEED, 1 GiB",
		[LEG_HAND] = "hand-written UFFDIO_MOVE 1 GiB, pre-registered",
		[LEG_UFFD_MOVE] =
			"xmm_remap_anon_pages 1 GiB, uffd-move forced",
		[LEG_MREMAP] = "xmm_remap_anon_pages 1 GiB, mremap forced",
		[LEG_COPY] = "xmm_remap_anon_pages 1 GiB, copy forced",
		[LEG_DEFAULT] = "xmm_remap_anon_pages 1 GiB, default choice",
	};
	const struct bench_row backend_row = {
		.target_text = "report (the target is the default's)",
		.ratio = BENCH_SPEEDUP,
	};
	const struct bench_row default_row = {
		.name = "remap large, default",
		.target_text = ">= 100x faster",
		.ratio = BENCH_SPEEDUP,
		.target = BENCH_TARGET_RATIO_MIN,
		.target_value = 100,
	};
	const struct bench_row ioctl_row = {
		.name = "remap ioctl",
		.target_text = "ratio <= 1.0 (issue 14)",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 1.0,
		.note = "registration of the hand-written range is untimed",
	};
	const struct bench_row best_row = {
		.name = "remap large, default vs best forced",
		.target_text = ">= 0.95x the speed (issue 14)",
		.ratio = BENCH_SPEEDUP,
		.target = BENCH_TARGET_RATIO_MIN,
		.target_value = 0.95,
		.note = "the forced backend with the lowest median time",
	};
	const struct bench_row hand_row = {
		.name = "remap large, hand-written UFFDIO_MOVE",
		.target_text = "report",
		.ratio = BENCH_SPEEDUP,
		.note = "registration of the hand-written range is untimed",
	};
	const struct bench_plan plan = {
		.rounds = 10,
		.max_iterations = 1,
	};
	struct remap_pair pair = { 0 };
	struct hand_uffd uffd;
	struct remap_leg ctx[LEG_COUNT];
	struct bench_leg legs[LEG_COUNT] = { 0 };
	int i, err;

	hand_uffd_open(&uffd);
	err = pair_map(&pair, LARGE_LEN);
	for (i = 0; i < LEG_COUNT; i++) {
		ctx[i].pair = &pair;
		ctx[i].uffd = &uffd;
		ctx[i].backend = i >= LEG_UFFD_MOVE ? backends[i] : NULL;
		legs[i].name = leg_names[i];
		legs[i].ctx = &ctx[i];
		legs[i].run = i == LEG_BASELINE ? run_memcpy_dontneed :
			      i == LEG_HAND ? run_hand_move : run_xmm_remap;
		legs[i].err = -err;
	}
	if (!err)
		bench_measure(legs, LEG_COUNT, &plan);

	for (i = LEG_UFFD_MOVE; i <= LEG_COPY; i++) {
		struct bench_row row = backend_row;

		row.name = row_names[i];
		bench_report(&row, &legs[i], &legs[LEG_BASELINE]);
	}
	bench_report(&hand_row, &legs[LEG_HAND], &legs[LEG_BASELINE]);
	bench_report(&default_row, &legs[LEG_DEFAULT], &legs[LEG_BASELINE]);
	bench_report(&best_row, &legs[LEG_DEFAULT],
		     &legs[best_forced(legs)]);
	remap_ioctl(&ioctl_row, &legs[LEG_DEFAULT], &legs[LEG_HAND]);
	pair_unmap(&pair);
	if (uffd.fd >= 0)
		close(uffd.fd);
}

/* One page back and forth; the hand-written range stays registered. */
static int xmm_move_page(struct bench_leg *leg)
{
	struct remap_pair *pair = ((struct remap_leg *)leg->ctx)->pair;
	ssize_t moved = xmm_remap_anon_pages(pair->area[!pair->full],
					     pair->area[pair->full],
					     pair->len, 0);

	if (moved != (ssize_t)pair->len)
		return moved < 0 ? -errno : -EIO;
	pair->full ^= 1;
	return 0;
}

static int run_xmm_remap_page(struct bench_leg *leg, unsigned long iterations,
			      uint64_t *ns)
{
	struct remap_pair *pair = ((struct remap_leg *)leg->ctx)->pair;
	int ret = bench_time_loop(leg, iterations, ns, xmm_move_page);

	if (ret == -ENOSYS)
		return bench_unavailable(leg, ENOSYS, NULL);
	if (ret) {
		pair_reset(pair);
		return ret;
	}
	leg->served = xmm_backend_last("remap_anon_pages");
	return pair_check(leg, pair);
}

static int hand_move_page(struct bench_leg *leg)
{
	const struct remap_leg *rl = leg->ctx;
	struct remap_pair *pair = rl->pair;
	int ret = hand_move(rl->uffd->fd, pair->area[!pair->full],
			    pair->area[pair->full], pair->len);

	pair->full ^= !ret;
	return ret;
}

static int run_hand_move_page(struct bench_leg *leg, unsigned long iterations,
			      uint64_t *ns)
{
	const struct remap_leg *rl = leg->ctx;
	struct remap_pair *pair = rl->pair;
	int ret;

	if (rl->uffd->fd < 0)
		return bench_unavailable(leg, rl->uffd->err,
			"no userfaultfd with UFFD_FEATURE_MOVE (Linux 6.8)");
	ret = bench_time_loop(leg, iterations, ns, hand_move_page);
	if (ret)
		return ret;
	return pair_check(leg, pair);
}

void bench_remap_small(void)
{
	const struct bench_row row = {
		.name = "remap small",
		.target_text = "ratio <= 3",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 3,
	};
	const struct bench_plan plan = {
		.rounds = 21,
		.round_ns = 10 * 1000 * 1000,
		.max_iterations = 1000 * 1000,
		.slices = 10,
	};
	size_t page = bench_page_size();
	struct remap_pair lib_pair = { 0 }, hand_pair = { 0 };
	struct hand_uffd uffd;
	struct remap_leg lib_ctx = { .pair = &lib_pair, .uffd = &uffd };
	struct remap_leg hand_ctx = { .pair = &hand_pair, .uffd = &uffd };
	struct bench_leg legs[] = {
		{ .name = "xmm_remap_anon_pages 1 page, default choice",
		  .run = run_xmm_remap_page, .ctx = &lib_ctx },
		{ .name = "hand-written UFFDIO_MOVE, 1 page, pre-registered",
		  .run = run_hand_move_page, .ctx = &hand_ctx },
	};
	int err;

	hand_uffd_open(&uffd);
	err = pair_map(&lib_pair, page);
	if (!err)
		err = pair_map(&hand_pair, page);
	if (!err && uffd.fd >= 0) {
		err = hand_uffd_register(&uffd, hand_pair.area[0], page, true);
		if (!err)
			err = hand_uffd_register(&uffd, hand_pair.area[1],
						 page, true);
	}
	if (err)
		legs[0].err = legs[1].err = -err;
	else
		bench_measure(legs, BENCH_ARRAY_SIZE(legs), &plan);
	bench_report(&row, &legs[0], &legs[1]);
	/* Unmapping a registered range unregisters it. */
	pair_unmap(&lib_pair);
	pair_unmap(&hand_pair);
	if (uffd.fd >= 0)
		close(uffd.fd);
}
