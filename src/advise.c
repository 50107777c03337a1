// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_advise_process(): advise every selected mapping of a process with
 * as few process_madvise(2) calls as the kernel allows.
 *
 * The kernel takes at most IOV_MAX (1024) iovecs and MAX_RW_COUNT
 * (INT_MAX rounded down to a page) bytes per call, silently clamping the
 * bytes.  So the selected ranges are packed greedily under both limits,
 * a range that does not fit is split at a page boundary, and the cursor
 * advances by the bytes each call reports.  process_madvise returns the
 * bytes of the iovecs advised before the first failing one, or the error
 * when that is the first; either way the element at the cursor is the
 * one that failed, and the error policy decides what happens to it.
 */
#include "internal.h"
#include "freeze.h"
#include "procfs.h"
#include "vma_private.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

/* Extra calls SKIP_PAGE may spend isolating the bad pages of one element. */
#define BISECT_BUDGET	64

struct range {
	unsigned long start;
	unsigned long end;
	bool failed;
};

struct advise_run {
	int pidfd;
	int advice;
	const struct xmm_advise_options *opts;
	struct xmm_advise_report *report;
	unsigned long page_size;
	size_t max_rw;		/* MAX_RW_COUNT for this page size */

	struct range *ranges;
	size_t count;
	size_t cur;		/* the cursor: ranges[cur], at address pos */
	unsigned long pos;
	struct iovec *iov;	/* XMM_IOV_MAX of them */
};

static unsigned long long clock_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

static bool cancelled(const struct advise_run *run)
{
	const int *flag = run->opts->cancel;

	return flag && __atomic_load_n(flag, __ATOMIC_ACQUIRE);
}

/* One process_madvise call: bytes advised or -errno. */
static long advise_vec(struct advise_run *run, struct iovec *iov, size_t n)
{
	ssize_t ret = xmm_process_madvise(run->pidfd, iov, n, run->advice,
					  run->opts->madvise_flags);

	run->report->calls++;
	return ret < 0 ? -errno : ret;
}

static void count_error(struct xmm_advise_report *report, int err)
{
	size_t i;

	report->errors++;
	for (i = 0; i < XMM_ADVISE_ERRNO_SLOTS; i++) {
		if (report->errno_count[i].err == err ||
		    report->errno_count[i].err == 0) {
			report->errno_count[i].err = err;
			report->errno_count[i].count++;
			return;
		}
	}
	report->errors_other++;
}

/*
 * Errors that no other element would escape: the target, the caller's
 * rights or the kernel are at fault, not one range.  EINVAL on the very
 * first element, before anything was advised, is the advice or the flags
 * being refused (for example an advice not allowed remotely).
 */
static bool error_is_fatal(const struct advise_run *run, long err)
{
	switch (-err) {
	case EPERM:
	case EACCES:
	case ESRCH:
	case EBADF:
	case ENOSYS:
	case EFAULT:
		return true;
	case EINVAL:
		return run->report->bytes_advised == 0 && run->cur == 0 &&
		       run->pos == run->ranges[0].start;
	default:
		return false;
	}
}

/*
 * Does a failed call mean its first element failed?  Since the 2022 fix
 * ("return correct bytes advised", verified in Linux 6.1's mm/madvise.c)
 * the kernel answers the bytes advised before a failing element and the
 * error only when nothing was; before it, the error even after some were
 * advised.  Cached once per process; racing callers compute the same.
 */
static bool kernel_reports_progress(void)
{
	static int known;	/* 0 unknown, 1 yes, 2 no */
	int answer = __atomic_load_n(&known, __ATOMIC_RELAXED);

	if (!answer) {
		struct utsname u;
		unsigned int major = 0, minor = 0;

		if (uname(&u) == 0)
			sscanf(u.release, "%u.%u", &major, &minor);
		answer = major > 6 || (major == 6 && minor >= 1) ? 1 : 2;
		__atomic_store_n(&known, answer, __ATOMIC_RELAXED);
	}
	return answer == 1;
}

/* Move the cursor by bytes, counting each range it completes. */
static void advance(struct advise_run *run, unsigned long bytes)
{
	while (bytes && run->cur < run->count) {
		struct range *r = &run->ranges[run->cur];
		unsigned long left = r->end - run->pos;
		unsigned long step = bytes < left ? bytes : left;

		run->pos += step;
		bytes -= step;
		if (run->pos == r->end) {
			if (!r->failed)
				run->report->vmas_advised++;
			run->cur++;
			if (run->cur < run->count)
				run->pos = run->ranges[run->cur].start;
		}
	}
}

/* The element that starts at the cursor, as the next batch would hold. */
static unsigned long piece_len(const struct advise_run *run)
{
	unsigned long left = run->ranges[run->cur].end - run->pos;

	return left < run->max_rw ? left : run->max_rw;
}

/*
 * SKIP_PAGE: [start, start + len) failed with err as a whole.  Advise its
 * halves separately, recursively, to isolate the pages that fail; each
 * isolated part counts as one error.  Returns 0 or a fatal -errno.
 */
static long bisect(struct advise_run *run, unsigned long start,
		   unsigned long len, long err, int *budget)
{
	unsigned long half;
	int i;

	if (len <= run->page_size || *budget < 2 || cancelled(run)) {
		count_error(run->report, (int)-err);
		return 0;
	}
	half = (len / 2) & ~(run->page_size - 1);
	if (!half)
		half = run->page_size;
	for (i = 0; i < 2; i++) {
		struct iovec v = {
			.iov_base = (void *)(i ? start + half : start),
			.iov_len = i ? len - half : half,
		};
		long ret;

		(*budget)--;
		ret = advise_vec(run, &v, 1);
		if (ret >= 0) {
			run->report->bytes_advised += (unsigned long)ret;
			continue;
		}
		if (error_is_fatal(run, ret))
			return ret;
		ret = bisect(run, (unsigned long)v.iov_base, v.iov_len, ret,
			     budget);
		if (ret < 0)
			return ret;
	}
	return 0;
}

/* The element at the cursor failed with err: apply the policy. */
static long element_failed(struct advise_run *run, long err)
{
	struct range *r = &run->ranges[run->cur];
	unsigned long len = piece_len(run);
	int budget = BISECT_BUDGET;
	long ret;

	if (error_is_fatal(run, err) ||
	    run->opts->on_error == XMM_ADVISE_ON_ERROR_STOP) {
		count_error(run->report, (int)-err);
		return err;
	}
	r->failed = true;
	if (run->opts->on_error == XMM_ADVISE_ON_ERROR_SKIP_PAGE) {
		ret = bisect(run, run->pos, len, err, &budget);
		if (ret < 0)
			return ret;
		advance(run, len);
		return 0;
	}
	count_error(run->report, (int)-err);
	advance(run, r->end - run->pos);	/* skip the rest of the VMA */
	return 0;
}

/* Advise the element at the cursor alone: learn whether and why it fails. */
static long retry_alone(struct advise_run *run)
{
	struct iovec v = {
		.iov_base = (void *)run->pos,
		.iov_len = piece_len(run),
	};
	long ret = advise_vec(run, &v, 1);

	if (ret < 0)
		return element_failed(run, ret);
	run->report->bytes_advised += (unsigned long)ret;
	advance(run, (unsigned long)ret);
	return 0;
}

/* Fill the iovec array from the cursor; returns the count, sets *bytes. */
static size_t fill_batch(struct advise_run *run, unsigned long *bytes)
{
	size_t cur = run->cur, n = 0;
	unsigned long pos = run->pos, room = run->max_rw;

	*bytes = 0;
	while (cur < run->count && n < XMM_IOV_MAX && room) {
		unsigned long len = run->ranges[cur].end - pos;

		if (len > room)
			len = room;	/* room stays a page multiple */
		run->iov[n].iov_base = (void *)pos;
		run->iov[n].iov_len = len;
		n++;
		room -= len;
		*bytes += len;
		pos += len;
		if (pos == run->ranges[cur].end && ++cur < run->count)
			pos = run->ranges[cur].start;
	}
	return n;
}

static long advise_all(struct advise_run *run)
{
	const struct xmm_advise_options *opts = run->opts;

	while (run->cur < run->count) {
		unsigned long batch_bytes;
		size_t n;
		long ret;

		if (cancelled(run))
			return -ECANCELED;
		n = fill_batch(run, &batch_bytes);
		ret = advise_vec(run, run->iov, n);
		if (ret >= 0) {
			run->report->bytes_advised += (unsigned long)ret;
			advance(run, (unsigned long)ret);
			/* Short: the element now at the cursor failed. */
			if ((unsigned long)ret < batch_bytes)
				ret = retry_alone(run);
			else
				ret = 0;
		} else if (n > 1 && !kernel_reports_progress() &&
			   !error_is_fatal(run, ret)) {
			/*
			 * An older kernel may have advised some elements
			 * before the one that failed: find out whether the
			 * first one is the culprit.
			 */
			ret = retry_alone(run);
		} else {
			ret = element_failed(run, ret);
		}
		if (ret < 0)
			return ret;
		if (opts->progress &&
		    opts->progress(run->report, opts->progress_arg))
			return -ECANCELED;
	}
	return 0;
}

struct select_state {
	struct advise_run *run;
	const struct xmm_vma_select *select;
	size_t capacity;
};

static int select_one(const struct xmm_vma *vma, void *arg)
{
	struct select_state *state = arg;
	struct advise_run *run = state->run;
	unsigned long mask = run->page_size - 1, start, end;

	run->report->vmas_total++;
	if (!xmm_vma_select_range(vma, state->select, &start, &end))
		return 0;
	if (run->count == state->capacity) {
		size_t capacity = state->capacity ? 2 * state->capacity : 256;
		struct range *bigger = realloc(run->ranges,
					       capacity * sizeof(*bigger));

		if (!bigger)
			return -ENOMEM;
		run->ranges = bigger;
		state->capacity = capacity;
	}
	start &= ~mask;
	end = (end + mask) & ~mask;
	run->ranges[run->count].start = start;
	run->ranges[run->count].end = end;
	run->ranges[run->count].failed = false;
	run->count++;
	run->report->bytes_selected += end - start;
	return 0;
}

/* Read the maps and keep what the selector picks, page-aligned. */
static int select_ranges(struct advise_run *run, int dirfd,
			 const struct xmm_vma_select *select)
{
	struct select_state state = { .run = run, .select = select };
	size_t malformed;
	int ret;

	ret = xmm_proc_maps_for_each(dirfd, select_one, &state, &malformed);
	if (ret < 0)
		return ret;
	run->report->vmas_selected = run->count;
	if (run->count)
		run->pos = run->ranges[0].start;
	return 0;
}

static int check_options(const struct xmm_advise_options *opts)
{
	size_t i;

	if (opts->flags & ~(XMM_ADVISE_FREEZE | XMM_ADVISE_USAGE |
			    XMM_ADVISE_USAGE_ROLLUP))
		return -EINVAL;
	if (opts->on_error < XMM_ADVISE_ON_ERROR_SKIP_VMA ||
	    opts->on_error > XMM_ADVISE_ON_ERROR_STOP)
		return -EINVAL;
	for (i = 0; i < XMM_ARRAY_SIZE(opts->reserved); i++)
		if (opts->reserved[i])
			return -EINVAL;
	return 0;
}

static long advise_process(int pidfd, const struct xmm_vma_select *select,
			   int advice, const struct xmm_advise_options *opts,
			   struct xmm_advise_report *report)
{
	struct advise_run run = {
		.pidfd = pidfd,
		.advice = advice,
		.opts = opts,
		.report = report,
		.page_size = (unsigned long)sysconf(_SC_PAGESIZE),
	};
	struct xmm_freeze freeze = { .method = XMM_FREEZE_NONE };
	unsigned int usage_flags = opts->flags & XMM_ADVISE_USAGE_ROLLUP ?
				   XMM_MEM_ROLLUP : 0;
	bool usage = opts->flags & (XMM_ADVISE_USAGE | XMM_ADVISE_USAGE_ROLLUP);
	unsigned long long maps_start;
	pid_t pid;
	long ret;
	int dirfd;

	run.max_rw = (size_t)INT_MAX & ~(run.page_size - 1);
	ret = check_options(opts);
	if (ret == 0)
		ret = xmm_vma_select_check(select);
	if (ret < 0)
		return ret;
	dirfd = xmm_proc_open(pidfd, &pid);
	if (dirfd < 0)
		return dirfd;
	if ((opts->flags & XMM_ADVISE_FREEZE) && pid == getpid()) {
		ret = -EINVAL;	/* we would freeze ourselves */
		goto out;
	}
	run.iov = malloc(XMM_IOV_MAX * sizeof(*run.iov));
	if (!run.iov) {
		ret = -ENOMEM;
		goto out;
	}
	if (usage) {
		ret = xmm_mem_usage_at(dirfd, usage_flags,
				       &report->usage_before);
		if (ret < 0)
			goto out;
	}
	if (opts->flags & XMM_ADVISE_FREEZE) {
		ret = xmm_freeze(pid, pidfd, dirfd, opts->cancel, &freeze);
		report->frozen = freeze.method;
		if (ret < 0)
			goto out;
	}

	maps_start = clock_ns(CLOCK_MONOTONIC);
	ret = select_ranges(&run, dirfd, select);
	report->maps_ns = clock_ns(CLOCK_MONOTONIC) - maps_start;
	if (ret == 0)
		ret = advise_all(&run);
	if (ret < 0)
		report->stop_errno = (int)-ret;

	if (usage) {
		long usage_ret = xmm_mem_usage_at(dirfd, usage_flags,
						  &report->usage_after);

		if (ret == 0)
			ret = usage_ret;
	}
	xmm_thaw(&freeze);
out:
	free(run.iov);
	free(run.ranges);
	close(dirfd);
	return ret;
}

XMM_EXPORT int xmm_advise_process(int pidfd,
				  const struct xmm_vma_select *select,
				  int advice,
				  const struct xmm_advise_options *options,
				  struct xmm_advise_report *report)
{
	struct xmm_advise_options defaults;
	struct xmm_advise_report scratch;
	unsigned long long start, cpu_start;
	long ret;

	if (!options) {
		memset(&defaults, 0, sizeof(defaults));
		options = &defaults;
	}
	if (!report)
		report = &scratch;
	memset(report, 0, sizeof(*report));
	start = clock_ns(CLOCK_MONOTONIC);
	cpu_start = clock_ns(CLOCK_THREAD_CPUTIME_ID);

	ret = advise_process(pidfd, select, advice, options, report);

	report->elapsed_ns = clock_ns(CLOCK_MONOTONIC) - start;
	report->cpu_ns = clock_ns(CLOCK_THREAD_CPUTIME_ID) - cpu_start;
	return (int)xmm_errno_result(ret);
}
