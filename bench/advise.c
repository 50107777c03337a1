// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Whole-process advice over a child with 2,000 VMAs, against what memory
 * managers hand-write today: read /proc/PID/maps, pick the private
 * anonymous VMAs, one process_madvise(2) per VMA.  And against the
 * kernel's floor for the same work (issue 14): one read(2) of maps into a
 * buffer, no parsing, and process_madvise(2) vectors of IOV_MAX ranges
 * known beforehand; at 200, 2,000 and 20,000 VMAs, with the slope.
 *
 * The xmm side is written against the API of <xmm/vma.h> as designed on
 * the branch "whole"; meson compiles a sample of it first, and where this
 * tree lacks that API (or it changed) the xmm legs report themselves
 * unavailable and say which.
 */
#include "bench.h"
#include "bench-config.h"
#include "rows.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include <xmm/xmm.h>

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define VMA_COUNT	2000
#define VMA_PAGES	4	/* each VMA; a hole of as many pages follows */
/* The kernel's limit of iovecs per call (UIO_MAXIOV). */
#define FLOOR_IOV_MAX	1024

struct vma_range {
	unsigned long start;
	unsigned long end;
};

struct advise_target {
	struct bench_child child;
	size_t count;		/* VMAs the child holds */
	unsigned long lo;	/* the child's VMAs lie in [lo, hi) */
	unsigned long hi;
	struct vma_range *ranges;	/* count, for "ranges known" */
	struct iovec *iov;	/* the same as iovecs, for the floor */
	char *maps;		/* a buffer for /proc/PID/maps */
	size_t maps_size;
};

/* In the child: *(size_t *)arg private anonymous VMAs with holes between. */
static int setup_vmas(void *arg, void **addr)
{
	size_t count = *(const size_t *)arg;
	size_t chunk = VMA_PAGES * bench_page_size(), i;
	char *region = bench_map(2 * count * chunk);

	if (!region)
		return -ENOMEM;
	for (i = 0; i < count; i++) {
		char *vma = region + 2 * i * chunk;

		memset(vma, 1, chunk);
		if (munmap(vma + chunk, chunk))
			return -errno;
	}
	addr[0] = region;
	addr[1] = region + 2 * count * chunk;
	return 0;
}

/* The whole of /proc/PID/maps into target->maps; its length, or -errno. */
static ssize_t read_maps(struct advise_target *target)
{
	char path[64];
	size_t len = 0;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)target->child.pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	for (;;) {
		ssize_t n;

		if (len + 4096 > target->maps_size) {
			size_t size = 2 * target->maps_size + 4096;
			char *bigger = realloc(target->maps, size);

			if (!bigger) {
				close(fd);
				return -ENOMEM;
			}
			target->maps = bigger;
			target->maps_size = size;
		}
		n = read(fd, target->maps + len, target->maps_size - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			if (n < 0)
				return -errno;
			target->maps[len] = '\0';
			return (ssize_t)len;
		}
		len += (size_t)n;
	}
}

/*
 * "start-end perms offset dev inode   path": keep private anonymous VMAs
 * (no inode, no path) of [lo, hi).  The number found, or -errno.
 */
static int parse_maps(const struct advise_target *target,
		      struct vma_range *ranges, size_t max)
{
	const char *line = target->maps;
	size_t found = 0;

	while (*line) {
		const char *next = strchr(line, '\n');
		unsigned long start, end, inode;
		char *p;
		bool private;

		next = next ? next + 1 : line + strlen(line);
		start = strtoul(line, &p, 16);
		end = strtoul(p + 1, &p, 16);
		private = p[4] == 'p';
		strtoul(p + 6, &p, 16);			/* offset */
		p = strchr(p + 1, ' ');			/* past dev */
		inode = p ? strtoul(p, &p, 10) : 1;
		while (p && *p == ' ')
			p++;
		if (p && private && !inode && (*p == '\n' || !*p) &&
		    start >= target->lo && end <= target->hi) {
			if (found == max)
				return -E2BIG;
			ranges[found].start = start;
			ranges[found].end = end;
			found++;
		}
		line = next;
	}
	return (int)found;
}

static int advise_ranges(const struct advise_target *target,
			 const struct vma_range *ranges, size_t count)
{
	size_t i;

	for (i = 0; i < count; i++) {
		struct iovec iov = {
			.iov_base = (void *)ranges[i].start,
			.iov_len = ranges[i].end - ranges[i].start,
		};

		if (process_madvise(target->child.pidfd, &iov, 1, MADV_COLD,
				    0) != (ssize_t)iov.iov_len)
			return -errno;
	}
	return 0;
}

/* Read and parse maps, as a hand-written tool does; the VMAs found. */
static int find_vmas(struct advise_target *target, struct vma_range *ranges)
{
	ssize_t len = read_maps(target);
	int found;

	if (len < 0)
		return (int)len;
	found = parse_maps(target, ranges, target->count);
	if (found >= 0 && (size_t)found != target->count)
		return -EPROTO;
	return found;
}

/* The floor's advice: the known ranges in vectors of FLOOR_IOV_MAX. */
static int advise_vectors(const struct advise_target *target)
{
	size_t done = 0;

	while (done < target->count) {
		size_t n = target->count - done, i;
		ssize_t want = 0;

		if (n > FLOOR_IOV_MAX)
			n = FLOOR_IOV_MAX;
		for (i = 0; i < n; i++)
			want += (ssize_t)target->iov[done + i].iov_len;
		if (process_madvise(target->child.pidfd, &target->iov[done],
				    n, MADV_COLD, 0) != want)
			return errno ? -errno : -EIO;
		done += n;
	}
	return 0;
}

/* The floor of the maps row: read(2) of the whole file, no parsing. */
static int bare_maps(struct bench_leg *leg)
{
	ssize_t len = read_maps(leg->ctx);

	return len < 0 ? (int)len : 0;
}

/* The floor of whole-process advice: one read(2), vectors of ranges known. */
static int floor_advise(struct bench_leg *leg)
{
	ssize_t len = read_maps(leg->ctx);

	return len < 0 ? (int)len : advise_vectors(leg->ctx);
}

static struct vma_range hand_ranges[VMA_COUNT];

static int hand_maps(struct bench_leg *leg)
{
	int found = find_vmas(leg->ctx, hand_ranges);

	return found < 0 ? found : 0;
}

static int hand_advise(struct bench_leg *leg)
{
	int found = find_vmas(leg->ctx, hand_ranges);

	return found < 0 ? found :
	       advise_ranges(leg->ctx, hand_ranges, VMA_COUNT);
}

static int known_ranges(struct bench_leg *leg)
{
	const struct advise_target *target = leg->ctx;

	return advise_ranges(target, target->ranges, VMA_COUNT);
}

#if HAVE_XMM_ADVISE_PROCESS
/* The library's whole-process call over the same VMAs. */
static int xmm_advise(struct bench_leg *leg)
{
	const struct advise_target *target = leg->ctx;
	const struct xmm_vma_select select = {
		.classes = XMM_VMA_CLASS_ANON,
		.addr_min = target->lo,
		.addr_max = target->hi,
	};
	struct xmm_advise_report report;

	if (xmm_advise_process(target->child.pidfd, &select, MADV_COLD, NULL,
			       &report) < 0)
		return -errno;
	return report.vmas_advised != target->count ? -EPROTO : 0;
}

static int run_xmm_advise(struct bench_leg *leg, unsigned long iterations,
			  uint64_t *ns)
{
	int ret = bench_time_loop(leg, iterations, ns, xmm_advise);

	if (ret == -ENOSYS)
		return bench_unavailable(leg, ENOSYS, NULL);
	if (ret == -EPROTO)
		leg->why = "it did not advise exactly the child's VMAs";
	return ret;
}

/* The library's maps reader alone. */
static int run_xmm_maps(struct bench_leg *leg, unsigned long iterations,
			uint64_t *ns)
{
	const struct advise_target *target = leg->ctx;
	unsigned long i;

	for (i = 0; i < iterations; i++) {
		struct xmm_vma_list list;
		uint64_t start = bench_now_ns();

		if (xmm_vma_read(target->child.pidfd, 0, &list) < 0) {
			if (errno == ENOSYS)
				return bench_unavailable(leg, ENOSYS, NULL);
			return -errno;
		}
		*ns += bench_now_ns() - start;
		xmm_vma_list_free(&list);
	}
	return 0;
}
#else
#if XMM_ADVISE_PROCESS_DECLARED
#define NO_ADVISE_API	"<xmm/vma.h> differs from what bench/advise.c " \
			"was written against: update bench/advise.c"
#else
#define NO_ADVISE_API	"no whole-process advise API in this build"
#endif

static int run_xmm_advise(struct bench_leg *leg, unsigned long iterations,
			  uint64_t *ns)
{
	return bench_unavailable(leg, ENOSYS, NO_ADVISE_API);
}

static int run_xmm_maps(struct bench_leg *leg, unsigned long iterations,
			uint64_t *ns)
{
	return bench_unavailable(leg, ENOSYS, NO_ADVISE_API);
}
#endif

/* A child with count VMAs, their ranges found by the hand-written reader. */
static int target_start(struct advise_target *target, size_t count)
{
	size_t i;
	int err;

	memset(target, 0, sizeof(*target));
	target->count = count;
	target->ranges = calloc(count, sizeof(*target->ranges));
	target->iov = calloc(count, sizeof(*target->iov));
	if (!target->ranges || !target->iov)
		return -ENOMEM;
	err = bench_child_start(&target->child, setup_vmas, &target->count);
	if (err) {
		target->child.pid = 0;
		return err;
	}
	target->lo = (unsigned long)target->child.addr[0];
	target->hi = (unsigned long)target->child.addr[1];
	err = find_vmas(target, target->ranges);
	if (err < 0)
		return err;
	for (i = 0; i < count; i++) {
		target->iov[i].iov_base = (void *)target->ranges[i].start;
		target->iov[i].iov_len = target->ranges[i].end -
					 target->ranges[i].start;
	}
	return 0;
}

static void target_stop(struct advise_target *target)
{
	if (target->child.pid > 0)
		bench_child_stop(&target->child);
	free(target->ranges);
	free(target->iov);
	free(target->maps);
	memset(target, 0, sizeof(*target));
}

enum {
	LEG_XMM_ADVISE,
	LEG_XMM_MAPS,
	LEG_HAND_ADVISE,
	LEG_HAND_MAPS,
	LEG_KNOWN_RANGES,
	LEG_BARE_MAPS,
	LEG_COUNT
};

void bench_vector_advice(void)
{
	static const struct bench_row rows[] = {
		{
			.name = "vector advice",
			.target_text = ">= 1.15x faster (aim 1.5x)",
			.ratio = BENCH_SPEEDUP,
			.target = BENCH_TARGET_RATIO_MIN,
			.target_value = 1.15,
			.note = "both sides start from a pid and read maps",
		},
		{
			.name = "vector advice, ranges known",
			.target_text = ">= 1.15x faster (aim 1.5x)",
			.ratio = BENCH_SPEEDUP,
			.target = BENCH_TARGET_RATIO_MIN,
			.target_value = 1.15,
			.note = "the baseline's maps reading left out, as in "
				"the seed's comparison",
		},
		{
			.name = "maps reading",
			.target_text = "ratio < 0.10",
			.ratio = BENCH_COST,
			.target = BENCH_TARGET_RATIO_MAX,
			.target_value = 0.10,
		},
		{
			.name = "maps reading, hand-written",
			.target_text = "report",
			.ratio = BENCH_COST,
			.note = "the hand-written baseline's own share",
		},
		{
			.name = "maps reading, floor",
			.target_text = "ratio <= 1.1 (issue 14)",
			.ratio = BENCH_COST,
			.target = BENCH_TARGET_RATIO_MAX,
			.target_value = 1.1,
			.note = "the floor reads the whole file into a buffer "
				"and parses nothing",
		},
	};
	static struct advise_target target;
	const struct bench_plan plan = {
		.rounds = 11,
		.round_ns = 50 * 1000 * 1000,
		.max_iterations = 1000,
		.slices = 5,
	};
	struct bench_leg legs[LEG_COUNT] = {
		[LEG_XMM_ADVISE] = {
			.name = "xmm whole-process advise, MADV_COLD, "
				"2,000 VMAs",
			.run = run_xmm_advise,
		},
		[LEG_XMM_MAPS] = {
			.name = "xmm maps reader, same target",
			.run = run_xmm_maps,
		},
		[LEG_HAND_ADVISE] = {
			.name = "read maps + one process_madvise per VMA",
			.run = bench_run_op,
			.op = hand_advise,
		},
		[LEG_HAND_MAPS] = {
			.name = "hand-written maps reading and parsing",
			.run = bench_run_op,
			.op = hand_maps,
		},
		[LEG_KNOWN_RANGES] = {
			.name = "one process_madvise per VMA, ranges known",
			.run = bench_run_op,
			.op = known_ranges,
		},
		[LEG_BARE_MAPS] = {
			.name = "read(2) of the whole maps file, no parsing",
			.run = bench_run_op,
			.op = bare_maps,
		},
	};
	int i, err;

	err = target_start(&target, VMA_COUNT);
	for (i = 0; i < LEG_COUNT; i++) {
		legs[i].ctx = &target;
		legs[i].err = -err;
	}
	if (!err)
		bench_measure(legs, LEG_COUNT, &plan);
	bench_report(&rows[0], &legs[LEG_XMM_ADVISE], &legs[LEG_HAND_ADVISE]);
	bench_report(&rows[1], &legs[LEG_XMM_ADVISE],
		     &legs[LEG_KNOWN_RANGES]);
	bench_report(&rows[2], &legs[LEG_XMM_MAPS], &legs[LEG_XMM_ADVISE]);
	bench_report(&rows[3], &legs[LEG_HAND_MAPS], &legs[LEG_HAND_ADVISE]);
	bench_report(&rows[4], &legs[LEG_XMM_MAPS], &legs[LEG_BARE_MAPS]);
	target_stop(&target);
}

/*
 * Whole-process advice against its floor at three sizes: at each size the
 * two legs take turns in slices of their own length (legs of 0.2 ms and
 * 150 ms in one plan would not share the machine's bursts alike).
 */
void bench_advise_scale(void)
{
	static const size_t counts[] = { 200, 2000, 20000 };
	static const char *const names[][2] = {
		{ "xmm whole-process advise, MADV_COLD, 200 VMAs",
		  "read(2) of maps + process_madvise vectors, 200 ranges "
		  "known" },
		{ "xmm whole-process advise, MADV_COLD, 2,000 VMAs",
		  "read(2) of maps + process_madvise vectors, 2,000 ranges "
		  "known" },
		{ "xmm whole-process advise, MADV_COLD, 20,000 VMAs",
		  "read(2) of maps + process_madvise vectors, 20,000 ranges "
		  "known" },
	};
	static const char *const row_names[] = {
		"whole-process advise vs floor, 200 VMAs",
		"whole-process advise vs floor, 2,000 VMAs",
		"whole-process advise vs floor, 20,000 VMAs",
	};
	const struct bench_row floor_row = {
		.target_text = "ratio <= 1.2 (issue 14)",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 1.2,
		.note = "the floor: one read(2) of maps, no parsing, and "
			"process_madvise vectors of 1,024 ranges known "
			"beforehand",
	};
	const struct bench_row slope_row = {
		.name = "whole-process advise, slope per VMA, 200 to 20,000",
		.target_text = "ratio <= 1.2 (issue 14)",
		.ratio = BENCH_COST,
		.target = BENCH_TARGET_RATIO_MAX,
		.target_value = 1.2,
		.note = "each leg's (time at 20,000 - time at 200) / 19,800, "
			"round r of one size against round r of the other",
	};
	const struct bench_plan plan = {
		.rounds = 11,
		.round_ns = 100 * 1000 * 1000,
		.max_iterations = 1000,
		.slices = 10,
	};
	enum { SIZES = BENCH_ARRAY_SIZE(counts) };
	static struct advise_target targets[SIZES];
	struct bench_leg legs[2 * SIZES] = { 0 };
	size_t i;

	for (i = 0; i < SIZES; i++) {
		int err = target_start(&targets[i], counts[i]);

		legs[2 * i].name = names[i][0];
		legs[2 * i].run = run_xmm_advise;
		legs[2 * i].ctx = &targets[i];
		legs[2 * i].err = -err;
		legs[2 * i + 1].name = names[i][1];
		legs[2 * i + 1].run = bench_run_op;
		legs[2 * i + 1].op = floor_advise;
		legs[2 * i + 1].ctx = &targets[i];
		legs[2 * i + 1].err = -err;
	}
	for (i = 0; i < SIZES; i++)
		bench_measure(&legs[2 * i], 2, &plan);
	for (i = 0; i < SIZES; i++) {
		struct bench_row row = floor_row;

		row.name = row_names[i];
		bench_report(&row, &legs[2 * i], &legs[2 * i + 1]);
	}
	bench_report_slope(&slope_row, &legs[0], &legs[2 * SIZES - 2],
			   &legs[1], &legs[2 * SIZES - 1],
			   (double)(counts[SIZES - 1] - counts[0]), "VMA");
	for (i = 0; i < SIZES; i++)
		target_stop(&targets[i]);
}
