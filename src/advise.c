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
 *
 * EINVAL for one element is the kernel refusing that mapping for this
 * advice (mlocked, VM_PFNMAP or VM_IO, hugetlb, too small to collapse):
 * the mapping is skipped and counted per class, and the work goes on.
 * Only when a call with no element at all answers EINVAL too is the
 * advice itself refused, which stops the work.
 *
 * With a cancel flag or a progress callback, a call carries no more
 * bytes than the kernel advised in about CALL_TARGET_NS last time, so
 * that cancelling takes effect within about that long whatever the
 * sizes; without them every call is as large as the kernel allows.
 */
#include "internal.h"
#include "freeze.h"
#include "madvise.h"
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

/* How long one call may take when it can be cancelled, and its bytes. */
#define CALL_TARGET_NS		50000000ULL
#define CALL_FIRST_BYTES	(4UL << 20)
#define CALL_MIN_BYTES		(1UL << 20)
/*
 * Where a range is cut between two calls: at a multiple of this when
 * possible, so that MADV_COLLAPSE, which takes only the huge pages
 * wholly inside a call's range, loses none at the cut (x86-64's and
 * arm64-4K's PMD size).
 */
#define CUT_ALIGN		(2UL << 20)

struct range {
	unsigned long start;
	unsigned long end;
	unsigned char class_index;	/* report->classes[] */
	bool failed;
};

struct advise_run {
	int pidfd;
	int advice;
	const struct xmm_advise_options *opts;
	struct xmm_advise_report *report;
	unsigned long page_size;
	size_t max_rw;		/* MAX_RW_COUNT for this page size */
	size_t call_bytes;	/* at most this much per call */
	bool interruptible;	/* call_bytes adapts to CALL_TARGET_NS */
	int advice_checked;	/* 0 unknown, 1 taken, -errno refused */

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

/*
 * May the ranges go through the ptrace injection fallback?  The rights
 * check's empty call takes the way they will: the kernel's answer to an
 * empty vector (ENOSYS, or EINVAL for advice it refuses remotely) sends
 * it on to the same backend.  With XMM_PMADV_INJECT, a mapping whose
 * advice the kernel refuses (a locked one) is injected too.
 */
static bool advised_by_injection(const struct advise_run *run)
{
	return xmm_madvise_served_by_injection() ||
	       (run->opts->madvise_flags & XMM_PMADV_INJECT);
}

/*
 * Make the next call's bytes take about CALL_TARGET_NS, judging by this
 * one: bytes advised in ns.  Grows at most eightfold a call.
 */
static void adapt_call_bytes(struct advise_run *run, unsigned long bytes,
			     unsigned long long ns)
{
	unsigned long long want, most = 8ULL * run->call_bytes;

	if (!run->interruptible || bytes < run->call_bytes / 2)
		return;	/* a short call says little about the rate */
	want = ns ? (unsigned long long)bytes * CALL_TARGET_NS / ns : most;
	if (want > most)
		want = most;
	if (want > run->max_rw)
		want = run->max_rw;
	if (want < CALL_MIN_BYTES)
		want = CALL_MIN_BYTES;
	run->call_bytes = (size_t)want & ~(run->page_size - 1);
}

/*
 * Is the advice itself refused, rather than the mapping at the cursor?
 * A call with no element checks the pidfd, the rights and the advice
 * and nothing else.  Asked once, on the first EINVAL.
 */
static bool advice_refused(struct advise_run *run)
{
	if (!run->advice_checked) {
		long ret = advise_vec(run, NULL, 0);

		run->advice_checked = ret == -EINVAL ? -EINVAL : 1;
	}
	return run->advice_checked < 0;
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
 * rights or the kernel are at fault, not one range.  EINVAL is one
 * mapping refused unless advice_refused() says otherwise.
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
	case EXDEV:	/* injection into a target of another ABI */
	case EOWNERDEAD: /* its tracer was killed during a call */
		return true;
	case EAGAIN:	/* unless the advice's own, one range's */
		return xmm_madvise_target_could_not_run();
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

/*
 * Move the cursor by bytes, counting each range it completes, and the
 * bytes in their classes when they were advised.
 */
static void advance(struct advise_run *run, unsigned long bytes,
		    bool advised)
{
	while (bytes && run->cur < run->count) {
		struct range *r = &run->ranges[run->cur];
		unsigned long left = r->end - run->pos;
		unsigned long step = bytes < left ? bytes : left;

		if (advised)
			run->report->classes[r->class_index].bytes_advised +=
				step;
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

/*
 * How much of a range, from pos with left bytes to go, fits in room
 * bytes: all of it, or up to the last CUT_ALIGN boundary in the room
 * (else a page boundary).
 */
static unsigned long cut_len(unsigned long pos, unsigned long left,
			     unsigned long room)
{
	unsigned long cut;

	if (left <= room)
		return left;
	cut = (pos + room) & ~(CUT_ALIGN - 1);
	return cut > pos ? cut - pos : room;	/* room is page-aligned */
}

/* The element that starts at the cursor, as the next batch would hold. */
static unsigned long piece_len(const struct advise_run *run)
{
	return cut_len(run->pos, run->ranges[run->cur].end - run->pos,
		       run->call_bytes);
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

/* The kernel refused the mapping at the cursor: skip all of it. */
static void skip_refused(struct advise_run *run, long err)
{
	struct range *r = &run->ranges[run->cur];
	struct xmm_advise_class *c = &run->report->classes[r->class_index];
	unsigned long left = r->end - run->pos;

	if (!r->failed) {
		c->vmas_skipped++;
		run->report->vmas_skipped++;
	}
	r->failed = true;
	if (!c->skip_errno)
		c->skip_errno = (int)-err;
	c->bytes_skipped += left;
	run->report->bytes_skipped += left;
	advance(run, left, false);
}

/* The element at the cursor failed with err: apply the policy. */
static long element_failed(struct advise_run *run, long err)
{
	struct range *r = &run->ranges[run->cur];
	unsigned long len = piece_len(run);
	int budget = BISECT_BUDGET;
	long ret;

	if (error_is_fatal(run, err) ||
	    run->opts->on_error == XMM_ADVISE_ON_ERROR_STOP ||
	    (err == -EINVAL && advice_refused(run))) {
		count_error(run->report, (int)-err);
		return err;
	}
	if (err == -EINVAL) {
		skip_refused(run, err);
		return 0;
	}
	r->failed = true;
	if (run->opts->on_error == XMM_ADVISE_ON_ERROR_SKIP_PAGE) {
		unsigned long long before = run->report->bytes_advised;

		ret = bisect(run, run->pos, len, err, &budget);
		if (ret < 0)
			return ret;
		run->report->classes[r->class_index].bytes_advised +=
			run->report->bytes_advised - before;
		advance(run, len, false);
		return 0;
	}
	count_error(run->report, (int)-err);
	advance(run, r->end - run->pos, false);	/* skip the rest of it */
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
	advance(run, (unsigned long)ret, true);
	return 0;
}

/* Fill the iovec array from the cursor; returns the count, sets *bytes. */
static size_t fill_batch(struct advise_run *run, unsigned long *bytes)
{
	size_t cur = run->cur, n = 0;
	unsigned long pos = run->pos, room = run->call_bytes;

	*bytes = 0;
	while (cur < run->count && n < XMM_IOV_MAX && room) {
		unsigned long len = cut_len(pos, run->ranges[cur].end - pos,
					    room);

		run->iov[n].iov_base = (void *)pos;
		run->iov[n].iov_len = len;
		n++;
		room -= len;	/* stays a page multiple */
		*bytes += len;
		pos += len;
		if (pos != run->ranges[cur].end)
			break;	/* cut: the rest goes in the next call */
		if (++cur < run->count)
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

		unsigned long long call_start;

		if (cancelled(run))
			return -ECANCELED;
		n = fill_batch(run, &batch_bytes);
		call_start = run->interruptible ? clock_ns(CLOCK_MONOTONIC) : 0;
		ret = advise_vec(run, run->iov, n);
		if (ret >= 0 && run->interruptible)
			adapt_call_bytes(run, (unsigned long)ret,
					 clock_ns(CLOCK_MONOTONIC) -
					 call_start);
		if (ret >= 0) {
			run->report->bytes_advised += (unsigned long)ret;
			advance(run, (unsigned long)ret, true);
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
	unsigned char class_index;

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
	class_index = (unsigned char)(__builtin_ffs((int)vma->vma_class) - 1);
	run->ranges[run->count].start = start;
	run->ranges[run->count].end = end;
	run->ranges[run->count].class_index = class_index;
	run->ranges[run->count].failed = false;
	run->count++;
	run->report->bytes_selected += end - start;
	run->report->classes[class_index].vmas_selected++;
	run->report->classes[class_index].bytes_selected += end - start;
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
	run.interruptible = opts->cancel || opts->progress;
	run.call_bytes = run.interruptible ? CALL_FIRST_BYTES : run.max_rw;
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
		/* Rights and advice first: never stop a target for nothing. */
		ret = advise_vec(&run, NULL, 0);
		if (ret < 0) {
			count_error(report, (int)-ret);
			report->stop_errno = (int)-ret;
			goto out;
		}
		run.advice_checked = 1;
		ret = xmm_freeze(pid, pidfd, dirfd, opts->cancel,
				 advised_by_injection(&run), &freeze);
		report->frozen = freeze.method;
		if (ret < 0)
			goto out;
	}

	maps_start = clock_ns(CLOCK_MONOTONIC);
	ret = select_ranges(&run, dirfd, select);
	report->maps_ns = clock_ns(CLOCK_MONOTONIC) - maps_start;
	if (ret == 0)
		ret = advise_all(&run);
	/* Every selected mapping refused: the advice did nothing here. */
	if (ret == 0 && run.count && report->vmas_skipped == run.count &&
	    !report->errors)
		ret = -EINVAL;
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
