// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The advice queue (xmm_queue(3)) against the real kernel: every errno of
 * every function; each answer equal to xmm_process_madvise()'s on the same
 * input (self through io_uring, other processes through the workers,
 * injection included), also with io_uring refused by a seccomp filter;
 * 10,000 submissions from 8 threads each completing exactly once; a target
 * that exits while queued; cancel; destroy with work in flight leaking no
 * descriptor, thread or mapping.
 *
 * The same program runs in a build without liburing (-Dliburing=disabled),
 * where XMM_TEST_URING_BUILT is 0 and the workers serve everything.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/userfaultfd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xmm/queue.h>

#include "harness.h"

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23
#endif
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup	425
#endif

/* Longest any wait may take before the test calls it a hang. */
#define HANG_MS		60000

static size_t page;

/*
 * valgrind 3.19 has no seccomp filters, keeps descriptors of its own below
 * RLIMIT_NOFILE, runs out of memory itself under RLIMIT_AS, and reports
 * the library's deliberate probe of an unreadable iovec as an error.
 */
static bool under_valgrind(void)
{
	return harness_under_valgrind();
}

#define SKIP_UNDER_VALGRIND(what) harness_skip_under_valgrind(what)

/* Did the build include io_uring, and does the kernel let us set it up? */
static bool uring_expected(void)
{
	unsigned char params[120] = { 0 };	/* struct io_uring_params */
	long fd;

	if (!XMM_TEST_URING_BUILT)
		return false;
	fd = syscall(__NR_io_uring_setup, 4, params);
	if (fd < 0)
		return false;
	close((int)fd);
	return true;
}

/*
 * Checks that work in cmocka tests and in forked children alike: each
 * returns 0, or the line that failed.
 */
#define CHECK(cond)							\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: check failed: %s\n",	\
				__FILE__, __LINE__, #cond);		\
			return __LINE__;				\
		}							\
	} while (0)

#define RUN(call)							\
	do {								\
		int failed_line = (call);				\
		if (failed_line)					\
			return failed_line;				\
	} while (0)

/* Reap until n completions arrived (or HANG_MS went by), in order. */
static int wait_for(struct xmm_queue *queue,
		    struct xmm_queue_completion *out, unsigned int n)
{
	unsigned int got = 0;

	while (got < n) {
		struct pollfd pfd = { xmm_queue_fd(queue), POLLIN, 0 };
		int ret = xmm_queue_reap(queue, out + got, n - got);

		CHECK(ret >= 0);
		got += (unsigned int)ret;
		if (got < n)
			CHECK(poll(&pfd, 1, HANG_MS) == 1);
	}
	return 0;
}

/* Completions by token, in any order. */
static const struct xmm_queue_completion *
find_token(const struct xmm_queue_completion *done, unsigned int n,
	   uint64_t token)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if (done[i].token == token)
			return &done[i];
	return NULL;
}

static unsigned char *filled(size_t pages)
{
	unsigned char *region = mmap(NULL, pages * page,
				     PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	if (region == MAP_FAILED)
		return NULL;
	for (i = 0; i < pages; i++)
		memset(region + i * page, (int)i + 1, page);
	return region;
}

/* A bitmap of which pages still hold their fill. */
static unsigned long intact_pages(const unsigned char *region, size_t pages,
				  size_t hole)
{
	unsigned long map = 0;
	size_t i;

	for (i = 0; i < pages; i++)
		if (i != hole && region[i * page] == i + 1 &&
		    region[i * page + page - 1] == i + 1)
			map |= 1UL << i;
	return map;
}

/* ---- the same answers as xmm_process_madvise ---- */

#define CASE_PAGES	6
#define CASE_HOLE	2	/* unmapped page of each case's region */

struct self_case {
	const char *name;
	/* Ranges as (first page, pages, byte offset); page -1 ends. */
	struct { int first; size_t pages; size_t offset; } range[4];
	size_t vlen;
	int advice;
};

static const struct self_case self_cases[] = {
	{ "whole", { { 0, 2, 0 } }, 1, MADV_DONTNEED },
	{ "several", { { 0, 1, 0 }, { 3, 2, 0 }, { 5, 1, 0 } }, 3,
	  MADV_DONTNEED },
	{ "partial at the hole", { { 0, 2, 0 }, { CASE_HOLE, 1, 0 },
	  { 4, 1, 0 } }, 3, MADV_DONTNEED },
	{ "first range fails", { { CASE_HOLE, 1, 0 }, { 0, 1, 0 } }, 2,
	  MADV_DONTNEED },
	{ "unknown advice", { { 0, 1, 0 } }, 1, 12345 },
	{ "unaligned", { { 0, 1, 1 } }, 1, MADV_DONTNEED },
	{ "empty range", { { 0, 0, 0 } }, 1, MADV_DONTNEED },
	{ "no ranges", { { 0, 0, 0 } }, 0, MADV_DONTNEED },
	{ "unaligned empty range in the middle",
	  { { 0, 1, 0 }, { 1, 0, 1 }, { 3, 1, 0 } }, 3, MADV_DONTNEED },
	{ "unaligned empty range first", { { 0, 0, 1 }, { 3, 1, 0 } }, 2,
	  MADV_DONTNEED },
	{ "pageout", { { 0, 2, 0 }, { 4, 2, 0 } }, 2, MADV_PAGEOUT },
	{ "populate", { { 0, 2, 0 }, { 3, 1, 0 } }, 2,
	  MADV_POPULATE_WRITE },
};

static unsigned char *case_region(const struct self_case *c,
				  struct iovec *iov)
{
	unsigned char *region = filled(CASE_PAGES);
	size_t i;

	if (!region)
		return NULL;
	munmap(region + CASE_HOLE * page, page);
	for (i = 0; i < c->vlen; i++) {
		iov[i].iov_base = region + (size_t)c->range[i].first * page +
				  c->range[i].offset;
		iov[i].iov_len = c->range[i].pages * page;
	}
	return region;
}

static void case_unmap(unsigned char *region)
{
	munmap(region, CASE_PAGES * page);
}

/* The self-madvise fallback answers what the kernel answers. */
static int check_self_madvise_agrees(const struct self_case *c,
				     ssize_t sync_ret, int sync_errno)
{
	struct iovec iov[4];
	unsigned char *region = case_region(c, iov);
	ssize_t ret;

	CHECK(region);
	CHECK(xmm_backend_force("process_madvise", "self-madvise") == 0);
	errno = 0;
	ret = xmm_process_madvise(XMM_PIDFD_SELF, iov, c->vlen, c->advice, 0);
	CHECK(xmm_backend_force("process_madvise", NULL) == 0);
	if (ret != sync_ret)
		fprintf(stderr, "case \"%s\": self-madvise %zd, first %zd\n",
			c->name, ret, sync_ret);
	CHECK(ret == sync_ret);
	CHECK(ret >= 0 || errno == sync_errno);
	case_unmap(region);
	return 0;
}

static int check_self_cases(bool expect_uring)
{
	struct xmm_queue *queue = xmm_queue_create(2, 0);
	size_t n;

	CHECK(queue);
	for (n = 0; n < sizeof(self_cases) / sizeof(self_cases[0]); n++) {
		const struct self_case *c = &self_cases[n];
		struct iovec sync_iov[4], queue_iov[4];
		unsigned char *sync_region = case_region(c, sync_iov);
		unsigned char *queue_region = case_region(c, queue_iov);
		struct xmm_queue_completion done;
		ssize_t sync_ret;
		int sync_errno;

		CHECK(sync_region && queue_region);
		errno = 0;
		sync_ret = xmm_process_madvise(XMM_PIDFD_SELF, sync_iov,
					       c->vlen, c->advice, 0);
		sync_errno = sync_ret < 0 ? errno : 0;
		RUN(check_self_madvise_agrees(c, sync_ret, sync_errno));
		CHECK(xmm_queue_submit(queue, XMM_PIDFD_SELF, queue_iov,
				       c->vlen, c->advice, 0, n) == 0);
		/* The iovec array is the caller's again at once. */
		memset(queue_iov, 0xff, sizeof(queue_iov));
		RUN(wait_for(queue, &done, 1));

		if (done.advised != sync_ret || done.error != sync_errno ||
		    intact_pages(queue_region, CASE_PAGES, CASE_HOLE) !=
		    intact_pages(sync_region, CASE_PAGES, CASE_HOLE))
			fprintf(stderr, "case \"%s\": queue %zd/%d, sync "
				"%zd/%d, pages %#lx/%#lx\n", c->name,
				done.advised, done.error, sync_ret, sync_errno,
				intact_pages(queue_region, CASE_PAGES,
					     CASE_HOLE),
				intact_pages(sync_region, CASE_PAGES,
					     CASE_HOLE));
		CHECK(done.token == n);
		CHECK(done.advised == sync_ret);
		CHECK(done.error == sync_errno);
		/* Exactly the same pages were advised. */
		CHECK(intact_pages(queue_region, CASE_PAGES, CASE_HOLE) ==
		      intact_pages(sync_region, CASE_PAGES, CASE_HOLE));
		CHECK(done.backend);
		CHECK(!strcmp(done.backend, "io_uring") == expect_uring);
		case_unmap(sync_region);
		case_unmap(queue_region);
	}
	xmm_queue_destroy(queue);
	return 0;
}

/* The partial-progress rule seen from the memory: ranges after the first
 * failure are not advised (the io_uring chain stops there). */
static int check_stop_at_failure(void)
{
	struct xmm_queue *queue = xmm_queue_create(1, 0);
	unsigned char *region = filled(CASE_PAGES);
	struct xmm_queue_completion done;
	struct iovec iov[3];

	CHECK(queue && region);
	munmap(region + CASE_HOLE * page, page);
	iov[0] = (struct iovec){ region, page };
	iov[1] = (struct iovec){ region + CASE_HOLE * page, page };
	iov[2] = (struct iovec){ region + 4 * page, page };
	CHECK(xmm_queue_submit(queue, XMM_PIDFD_SELF, iov, 3, MADV_DONTNEED,
			       0, 7) == 0);
	RUN(wait_for(queue, &done, 1));
	CHECK(done.advised == (ssize_t)page && done.error == 0);
	CHECK(region[0] == 0);			/* advised */
	CHECK(region[4 * page] == 5);		/* after the failure: not */
	CHECK(region[3 * page] == 4);
	case_unmap(region);
	xmm_queue_destroy(queue);
	return 0;
}

static void test_self_same_as_sync(void **state)
{
	assert_int_equal(check_self_cases(uring_expected()), 0);
	assert_int_equal(check_stop_at_failure(), 0);
}

static int self_without_uring(void *arg)
{
	CHECK(harness_seccomp_enosys(__NR_io_uring_setup) == 0);
	RUN(check_self_cases(false));
	RUN(check_stop_at_failure());
	return 0;
}

static void test_self_same_with_uring_refused(void **state)
{
	SKIP_UNDER_VALGRIND("it has no seccomp filters");
	assert_int_equal(harness_run_in_child(self_without_uring, NULL), 0);
}

/* kernel.io_uring_disabled=2 and some policies answer EPERM instead. */
static int self_with_uring_eperm(void *arg)
{
	CHECK(harness_seccomp_errno(__NR_io_uring_setup, EPERM) == 0);
	RUN(check_self_cases(false));
	return 0;
}

static void test_self_same_with_uring_eperm(void **state)
{
	SKIP_UNDER_VALGRIND("it has no seccomp filters");
	assert_int_equal(harness_run_in_child(self_with_uring_eperm, NULL),
			 0);
}

/* Another process: the workers run xmm_process_madvise() itself. */
struct remote_case {
	const char *name;
	int advice;
	unsigned int flags;
	bool hole;
};

static const struct remote_case remote_cases[] = {
	{ "cold", MADV_COLD, 0, false },
	{ "pageout across the hole", MADV_PAGEOUT, 0, true },
	{ "dontneed refused remotely", MADV_DONTNEED, 0, false },
	{ "dontneed injected", MADV_DONTNEED, XMM_PMADV_INJECT, false },
	{ "injected across the hole", MADV_DONTNEED, XMM_PMADV_INJECT, true },
};

static void test_remote_same_as_sync(void **state)
{
	unsigned char *region = filled(CASE_PAGES);
	struct xmm_queue *queue;
	struct harness_child child;
	size_t n;

	assert_non_null(region);
	munmap(region + CASE_HOLE * page, page);
	SKIP_UNDER_VALGRIND(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	queue = xmm_queue_create(2, 0);
	assert_non_null(queue);
	for (n = 0; n < sizeof(remote_cases) / sizeof(remote_cases[0]); n++) {
		const struct remote_case *c = &remote_cases[n];
		struct iovec iov[2] = {
			{ region, 2 * page },
			{ region + (c->hole ? CASE_HOLE : 3) * page, page },
		};
		struct xmm_queue_completion done;
		const char *sync_backend;
		ssize_t sync_ret;
		int sync_errno;

		errno = 0;
		sync_ret = xmm_process_madvise(child.pidfd, iov, 2, c->advice,
					       c->flags);
		sync_errno = sync_ret < 0 ? errno : 0;
		sync_backend = xmm_backend_last("process_madvise");
		assert_int_equal(xmm_queue_submit(queue, child.pidfd, iov, 2,
						  c->advice, c->flags, n), 0);
		assert_int_equal(wait_for(queue, &done, 1), 0);
		printf("remote \"%s\": %zd/%d by %s\n", c->name, done.advised,
		       done.error, done.backend ? done.backend : "none");
		assert_int_equal(done.token, n);
		assert_int_equal(done.advised, sync_ret);
		assert_int_equal(done.error, sync_errno);
		if (sync_ret >= 0)
			assert_string_equal(done.backend, sync_backend);
	}
	xmm_queue_destroy(queue);
	harness_child_stop(&child);
	case_unmap(region);
}

/*
 * A pidfd of a child that has exited and been reaped, or -1 (no
 * pidfd_open).  Forked before any queue exists: the child holds none.
 */
static int reaped_pidfd(void)
{
	pid_t child = fork();
	int pidfd;

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	pidfd = xmm_pidfd_open(child, 0);
	assert_int_equal(waitpid(child, NULL, 0), child);
	return pidfd;
}

/* Whole-process advice: the answer and report of xmm_advise_process(). */
static void test_whole_process_same_as_sync(void **state)
{
	unsigned char *region = filled(CASE_PAGES);
	struct xmm_queue *queue;
	struct xmm_vma_select select = {
		.classes = XMM_VMA_CLASS_ANON,
		.addr_min = (unsigned long)region,
		.addr_max = (unsigned long)region + CASE_PAGES * page,
	};
	struct xmm_vma_select bad = { .classes = 1U << 30 };
	struct xmm_advise_report sync_report, queue_report;
	struct xmm_queue_completion done[3];
	const struct xmm_queue_completion *c;
	struct harness_child child;
	int sync_ret, sync_errno;

	assert_non_null(region);
	SKIP_UNDER_VALGRIND(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	queue = xmm_queue_create(2, 0);
	assert_non_null(queue);

	sync_ret = xmm_advise_process(child.pidfd, &select, MADV_COLD, NULL,
				      &sync_report);
	assert_int_equal(sync_ret, 0);
	assert_int_equal(xmm_queue_submit_process(queue, child.pidfd, &select,
						  MADV_COLD, NULL,
						  &queue_report, 1), 0);
	/* Without a report, and with a selection the library refuses. */
	assert_int_equal(xmm_queue_submit_process(queue, child.pidfd, &select,
						  MADV_COLD, NULL, NULL, 2),
			 0);
	errno = 0;
	sync_ret = xmm_advise_process(child.pidfd, &bad, MADV_COLD, NULL,
				      NULL);
	sync_errno = errno;
	assert_int_equal(sync_ret, -1);
	assert_int_equal(xmm_queue_submit_process(queue, child.pidfd, &bad,
						  MADV_COLD, NULL, NULL, 3),
			 0);
	assert_int_equal(wait_for(queue, done, 3), 0);

	c = find_token(done, 3, 1);
	assert_non_null(c);
	assert_int_equal(c->advised, (ssize_t)queue_report.bytes_advised);
	assert_int_equal(queue_report.bytes_advised,
			 sync_report.bytes_advised);
	assert_int_equal(queue_report.bytes_advised, CASE_PAGES * page);
	assert_int_equal(queue_report.vmas_advised, sync_report.vmas_advised);
	c = find_token(done, 3, 2);
	assert_non_null(c);
	assert_int_equal(c->advised, CASE_PAGES * page);
	c = find_token(done, 3, 3);
	assert_non_null(c);
	assert_int_equal(c->advised, -1);
	assert_int_equal(c->error, sync_errno);

	xmm_queue_destroy(queue);
	harness_child_stop(&child);
	case_unmap(region);
}

static void test_whole_process_errors(void **state)
{
	int pidfd = reaped_pidfd();
	struct xmm_queue *queue = xmm_queue_create(1, 0);
	struct xmm_queue_completion done;
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_non_null(queue);
	assert_true(devnull >= 0);
	errno = 0;
	assert_int_equal(xmm_queue_submit_process(NULL, XMM_PIDFD_SELF, NULL,
						  MADV_COLD, NULL, NULL, 0),
			 -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(xmm_queue_submit_process(queue, -1, NULL, MADV_COLD,
						  NULL, NULL, 0), -1);
	assert_int_equal(errno, EBADF);
	errno = 0;
	assert_int_equal(xmm_queue_submit_process(queue, devnull, NULL,
						  MADV_COLD, NULL, NULL, 0),
			 -1);
	assert_int_equal(errno, EBADF);

	if (pidfd >= 0) {
		errno = 0;
		assert_int_equal(xmm_queue_submit_process(queue, pidfd, NULL,
							  MADV_COLD, NULL,
							  NULL, 0), -1);
		assert_int_equal(errno, ESRCH);
		assert_int_equal(xmm_queue_reap(queue, &done, 1), 0);
		close(pidfd);
	}
	close(devnull);
	xmm_queue_destroy(queue);
	if (pidfd < 0)
		harness_skip("ESRCH: pidfd_open is missing (valgrind 3.19)");
}

/* ---- exactly once: 8 threads, 10,000 submissions ---- */

#define SUBMITTERS	8
#define SUBMISSIONS	10000

/*
 * valgrind runs one thread at a time, 50 times slower: there the test
 * looks for memory errors, with a tenth of the work.
 */
static unsigned int scaled(unsigned int n)
{
	return under_valgrind() ? n / 10 : n;
}

struct stress {
	struct xmm_queue *queue;
	unsigned char *self_region;	/* one page per submitter */
	unsigned char *remote_region;
	int pidfd;
	unsigned int thread;
	int failed_line;
	int failed_errno;
};

static void *submitter(void *arg)
{
	struct stress *s = arg;
	unsigned int i;

	for (i = s->thread; i < scaled(SUBMISSIONS); i += SUBMITTERS) {
		bool self = i % 2 == 0;
		struct iovec v = {
			self ? s->self_region + s->thread * page :
			       s->remote_region,
			page,
		};

		/*
		 * The waiting remote submissions share one copy of the
		 * pidfd (xmm_queue(3)): however far the submitters outrun
		 * the workers (one slow CPU, the guests), no EMFILE.
		 */
		if (xmm_queue_submit(s->queue,
				     self ? XMM_PIDFD_SELF : s->pidfd, &v, 1,
				     self ? MADV_DONTNEED : MADV_COLD, 0,
				     i) != 0) {
			s->failed_errno = errno;
			s->failed_line = __LINE__;
			break;
		}
	}
	return NULL;
}

static int check_exactly_once(int pidfd, unsigned char *remote_region,
			      bool expect_uring)
{
	static unsigned char seen[SUBMISSIONS];
	struct xmm_queue_completion *done;
	struct stress s[SUBMITTERS];
	pthread_t threads[SUBMITTERS];
	unsigned char *self_region = filled(SUBMITTERS);
	struct xmm_queue *queue = xmm_queue_create(4, 0);
	unsigned int t, i, uring = 0;
	int ret;

	CHECK(self_region && queue);
	done = calloc(SUBMISSIONS, sizeof(*done));
	CHECK(done);
	memset(seen, 0, sizeof(seen));
	for (t = 0; t < SUBMITTERS; t++) {
		s[t] = (struct stress){ queue, self_region, remote_region,
					pidfd, t, 0 };
		CHECK(pthread_create(&threads[t], NULL, submitter,
				     &s[t]) == 0);
	}
	/* Reap while they submit (a refused submission: it never comes). */
	ret = wait_for(queue, done, scaled(SUBMISSIONS));
	for (t = 0; t < SUBMITTERS; t++) {
		pthread_join(threads[t], NULL);
		if (s[t].failed_line)
			fprintf(stderr, "submitter %u: line %d: %s\n", t,
				s[t].failed_line, strerror(s[t].failed_errno));
		CHECK(s[t].failed_line == 0);
	}
	RUN(ret);
	for (i = 0; i < scaled(SUBMISSIONS); i++) {
		CHECK(done[i].token < scaled(SUBMISSIONS));
		CHECK(seen[done[i].token]++ == 0);	/* never twice */
		CHECK(done[i].advised == (ssize_t)page);
		CHECK(done[i].error == 0);
		if (done[i].token % 2 == 0 || pidfd == XMM_PIDFD_SELF)
			uring += !strcmp(done[i].backend, "io_uring");
		else
			CHECK(strcmp(done[i].backend, "io_uring"));
	}
	/* None lost: SUBMISSIONS distinct tokens seen once each. */
	CHECK(uring == (!expect_uring ? 0 : pidfd == XMM_PIDFD_SELF ?
			scaled(SUBMISSIONS) : scaled(SUBMISSIONS) / 2));
	/* And nothing more comes. */
	CHECK(xmm_queue_reap(queue, done, 1) == 0);
	xmm_queue_destroy(queue);
	free(done);
	munmap(self_region, SUBMITTERS * page);
	return 0;
}

static void test_exactly_once(void **state)
{
	unsigned char *region = filled(1);
	struct harness_child child;

	assert_non_null(region);
	SKIP_UNDER_VALGRIND(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	assert_int_equal(check_exactly_once(child.pidfd, region,
					    uring_expected()), 0);
	harness_child_stop(&child);
	munmap(region, page);
}

struct remote_target {
	int pidfd;
	unsigned char *region;
};

/* The same with self-advice only: no child needed (valgrind 3.19). */
static void test_exactly_once_self(void **state)
{
	unsigned char *region = filled(1);

	assert_non_null(region);
	assert_int_equal(check_exactly_once(XMM_PIDFD_SELF, region,
					    uring_expected()), 0);
	munmap(region, page);
}

static int exactly_once_without_uring(void *arg)
{
	struct remote_target *target = arg;

	CHECK(harness_seccomp_enosys(__NR_io_uring_setup) == 0);
	RUN(check_exactly_once(target->pidfd, target->region, false));
	return 0;
}

static void test_exactly_once_with_uring_refused(void **state)
{
	unsigned char *region = filled(1);
	struct harness_child child;
	struct remote_target target;

	SKIP_UNDER_VALGRIND("it has no seccomp filters");
	assert_non_null(region);
	harness_child_or_skip(&child, NULL, NULL);
	target = (struct remote_target){ child.pidfd, region };
	assert_int_equal(harness_run_in_child(exactly_once_without_uring,
					      &target), 0);
	harness_child_stop(&child);
	munmap(region, page);
}

/* ---- a worker held in a userfaultfd fault, so that work queues ---- */

struct blocker {
	int uffd;
	unsigned char *region;
};

/* Make the queue's only worker wait in a fault until blocker_release(). */
/* The userfaultfd region (skips where there is no userfaultfd). */
static void blocker_open(struct blocker *b)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;

	b->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (b->uffd < 0)
		harness_skip("userfaultfd: %s", strerror(errno));
	assert_int_equal(ioctl(b->uffd, UFFDIO_API, &api), 0);
	b->region = mmap(NULL, page, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(b->region != MAP_FAILED);
	reg.range.start = (unsigned long)b->region;
	reg.range.len = page;
	reg.mode = UFFDIO_REGISTER_MODE_MISSING;
	assert_int_equal(ioctl(b->uffd, UFFDIO_REGISTER, &reg), 0);
}

static void blocker_start(struct blocker *b, struct xmm_queue *queue)
{
	struct iovec v;
	struct pollfd pfd;

	/*
	 * Self-advice through the worker: a forced backend sends it there.
	 * self-madvise, not native: before 6.13 the kernel refuses
	 * MADV_POPULATE_WRITE for the caller itself (the 6.1 guests), and
	 * the worker would never reach the fault.
	 */
	assert_int_equal(xmm_backend_force("process_madvise", "self-madvise"),
			 0);
	v = (struct iovec){ b->region, page };
	assert_int_equal(xmm_queue_submit(queue, XMM_PIDFD_SELF, &v, 1,
					  MADV_POPULATE_WRITE, 0, 1000), 0);
	/* The fault's message arrives when the worker sleeps in it. */
	pfd = (struct pollfd){ b->uffd, POLLIN, 0 };
	assert_int_equal(poll(&pfd, 1, HANG_MS), 1);
}

static void blocker_release(struct blocker *b)
{
	struct uffdio_zeropage zero = {
		.range = { (unsigned long)b->region, page },
	};

	/* Unforced first: what waits behind the fault runs the usual way. */
	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
	assert_int_equal(ioctl(b->uffd, UFFDIO_ZEROPAGE, &zero), 0);
}

static void blocker_end(struct blocker *b)
{
	close(b->uffd);
	munmap(b->region, page);
}

static void test_target_exits_while_queued(void **state)
{
	struct xmm_queue *queue;
	struct xmm_queue_completion done[2];
	const struct xmm_queue_completion *c;
	unsigned char *region = filled(1);
	struct harness_child child;
	struct blocker b;
	struct iovec v = { region, page };

	assert_non_null(region);
	harness_child_or_skip(&child, NULL, NULL);
	blocker_open(&b);
	queue = xmm_queue_create(1, 0);
	assert_non_null(queue);
	blocker_start(&b, queue);

	assert_int_equal(xmm_queue_submit(queue, child.pidfd, &v, 1,
					  MADV_COLD, 0, 1), 0);
	/* The target exits and is reaped while its advice waits. */
	kill(child.pid, SIGKILL);
	assert_int_equal(waitpid(child.pid, NULL, 0), child.pid);
	child.pid = -1;
	blocker_release(&b);

	assert_int_equal(wait_for(queue, done, 2), 0);
	c = find_token(done, 2, 1000);
	assert_non_null(c);
	assert_int_equal(c->advised, page);	/* the fault was served */
	c = find_token(done, 2, 1);
	assert_non_null(c);
	assert_int_equal(c->advised, -1);
	assert_int_equal(c->error, ESRCH);
	blocker_end(&b);
	close(child.pidfd);
	xmm_queue_destroy(queue);
	munmap(region, page);
}

static void test_cancel(void **state)
{
	struct xmm_queue *queue;
	struct xmm_queue_completion done[4];
	const struct xmm_queue_completion *c;
	unsigned char *region = filled(2);
	struct iovec v = { region, page }, w = { region + page, page };
	struct blocker b;

	assert_non_null(region);
	blocker_open(&b);
	queue = xmm_queue_create(1, 0);
	assert_non_null(queue);
	blocker_start(&b, queue);
	/* Queued behind the blocked one: two with token 5, one with 6. */
	assert_int_equal(xmm_queue_submit(queue, XMM_PIDFD_SELF, &v, 1,
					  MADV_DONTNEED, 0, 5), 0);
	assert_int_equal(xmm_queue_submit(queue, XMM_PIDFD_SELF, &w, 1,
					  MADV_DONTNEED, 0, 6), 0);
	assert_int_equal(xmm_queue_submit(queue, XMM_PIDFD_SELF, &w, 1,
					  MADV_DONTNEED, 0, 5), 0);
	assert_int_equal(xmm_queue_cancel(queue, 5), 2);

	/* ENOENT: nothing waiting carries the token (running, or unknown). */
	errno = 0;
	assert_int_equal(xmm_queue_cancel(queue, 1000), -1);
	assert_int_equal(errno, ENOENT);
	errno = 0;
	assert_int_equal(xmm_queue_cancel(queue, 77), -1);
	assert_int_equal(errno, ENOENT);

	blocker_release(&b);
	assert_int_equal(wait_for(queue, done, 4), 0);
	assert_int_equal(done[0].token, 5);	/* cancelled first */
	assert_int_equal(done[0].advised, -1);
	assert_int_equal(done[0].error, ECANCELED);
	assert_null(done[0].backend);
	assert_int_equal(done[1].token, 5);
	assert_int_equal(done[1].error, ECANCELED);
	c = find_token(done, 4, 6);
	assert_non_null(c);
	assert_int_equal(c->advised, page);
	/* Cancelled advice did not run: page 0 keeps its fill. */
	assert_int_equal(region[0], 1);
	assert_int_equal(region[page], 0);
	errno = 0;
	assert_int_equal(xmm_queue_cancel(queue, 6), -1);
	assert_int_equal(errno, ENOENT);
	blocker_end(&b);
	xmm_queue_destroy(queue);
	munmap(region, 2 * page);
}

/* ---- destroy with work in flight ---- */

static int count_dir(const char *path)
{
	DIR *dir = opendir(path);
	struct dirent *entry;
	int n = 0;

	if (!dir)
		return -1;
	while ((entry = readdir(dir)))
		n += entry->d_name[0] != '.';
	closedir(dir);
	return n - 1;	/* opendir's own descriptor, for /proc/self/fd */
}

/* ---- waiting submissions of one target share one pidfd copy ---- */

#define WAITING_ON_ONE	500

/*
 * Behind a blocked worker, WAITING_ON_ONE submissions for one target hold
 * one descriptor, whichever of the target's pidfds the caller passed (and
 * closed after); another target takes one more; a target that has exited
 * gets a copy of its own (its pid may be reused once it is reaped).
 * Cancelled, they give every descriptor back.
 */
static void test_waiting_share_one_pidfd(void **state)
{
	struct xmm_queue_completion *done;
	struct harness_child child, other, exited;
	unsigned char *region = filled(1);
	struct iovec v = { region, page };
	struct xmm_queue *queue;
	struct blocker b;
	siginfo_t zombie;
	int fds, i, pidfd;

	assert_non_null(region);
	blocker_open(&b);	/* first: it may skip */
	done = calloc(WAITING_ON_ONE + 12, sizeof(*done));
	assert_non_null(done);
	harness_child_or_skip(&child, NULL, NULL);
	harness_child_or_skip(&other, NULL, NULL);
	harness_child_or_skip(&exited, NULL, NULL);
	queue = xmm_queue_create(1, 0);
	assert_non_null(queue);
	blocker_start(&b, queue);
	fds = count_dir("/proc/self/fd");

	for (i = 0; i < WAITING_ON_ONE; i++) {
		/* Every other one through a pidfd the caller then closes. */
		pidfd = i % 2 ? child.pidfd : fcntl(child.pidfd,
						    F_DUPFD_CLOEXEC, 0);
		assert_true(pidfd >= 0);
		assert_int_equal(xmm_queue_submit(queue, pidfd, &v, 1,
						  MADV_COLD, 0, 7), 0);
		if (pidfd != child.pidfd)
			close(pidfd);
	}
	/* Whole-process advice of the same target shares it too. */
	for (i = 0; i < 5; i++)
		assert_int_equal(xmm_queue_submit_process(queue, child.pidfd,
							  NULL, MADV_COLD,
							  NULL, NULL, 7), 0);
	assert_int_equal(count_dir("/proc/self/fd"), fds + 1);

	/* Another process: one more. */
	for (i = 0; i < 5; i++)
		assert_int_equal(xmm_queue_submit(queue, other.pidfd, &v, 1,
						  MADV_COLD, 0, 7), 0);
	assert_int_equal(count_dir("/proc/self/fd"), fds + 2);

	/*
	 * A process that has exited (a zombie: its pid is not free yet)
	 * shares no copy: each submission has its own.
	 */
	kill(exited.pid, SIGKILL);
	assert_int_equal(waitid(P_PID, (id_t)exited.pid, &zombie,
				WEXITED | WNOWAIT), 0);
	assert_int_equal(xmm_queue_submit(queue, exited.pidfd, &v, 1,
					  MADV_COLD, 0, 7), 0);
	assert_int_equal(xmm_queue_submit(queue, exited.pidfd, &v, 1,
					  MADV_COLD, 0, 7), 0);
	assert_int_equal(count_dir("/proc/self/fd"), fds + 4);

	/* Cancelled, they complete, and every copy is closed. */
	assert_int_equal(xmm_queue_cancel(queue, 7), WAITING_ON_ONE + 12);
	assert_int_equal(xmm_queue_reap(queue, done, WAITING_ON_ONE + 12),
			 WAITING_ON_ONE + 12);
	for (i = 0; i < WAITING_ON_ONE + 12; i++)
		assert_int_equal(done[i].error, ECANCELED);
	assert_int_equal(count_dir("/proc/self/fd"), fds);

	blocker_release(&b);
	assert_int_equal(wait_for(queue, done, 1), 0);
	assert_int_equal(done[0].token, 1000);
	blocker_end(&b);
	xmm_queue_destroy(queue);
	harness_child_stop(&exited);
	harness_child_stop(&other);
	harness_child_stop(&child);
	free(done);
	munmap(region, page);
}

static int count_lines(const char *path)
{
	FILE *f = fopen(path, "re");
	int n = 0, ch;

	if (!f)
		return -1;
	while ((ch = fgetc(f)) != EOF)
		n += ch == '\n';
	fclose(f);
	return n;
}

#define BUSY_RANGES	1024
#define BUSY_SUBMISSIONS 64

/* Submit a lot, destroy at once. */
static void busy_then_destroy(unsigned char *region, int pidfd)
{
	static struct iovec iov[BUSY_RANGES];
	struct xmm_queue *queue = xmm_queue_create(4, 0);
	unsigned int i;

	assert_non_null(queue);
	for (i = 0; i < BUSY_RANGES; i++)
		iov[i] = (struct iovec){ region + i * page, page };
	for (i = 0; i < scaled(BUSY_SUBMISSIONS); i++) {
		assert_int_equal(xmm_queue_submit(queue, XMM_PIDFD_SELF, iov,
						  BUSY_RANGES, MADV_DONTNEED,
						  0, i), 0);
		assert_int_equal(xmm_queue_submit(queue, pidfd, iov,
						  BUSY_RANGES, MADV_COLD, 0,
						  i), 0);
	}
	xmm_queue_destroy(queue);
}

/* Rounds of the leak check: a leak of one line a round shows in any. */
#define LEAK_ROUNDS 4

static void test_destroy_in_flight_leaks_nothing(void **state)
{
	unsigned char *region = filled(BUSY_RANGES);
	struct harness_child child;
	int fds, tasks, maps, round;

	assert_non_null(region);
	SKIP_UNDER_VALGRIND(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	/* Once first: allocator arenas and cached thread stacks settle. */
	busy_then_destroy(region, child.pidfd);

	fds = count_dir("/proc/self/fd");
	tasks = count_dir("/proc/self/task") + 1;
	maps = count_lines("/proc/self/maps");
	for (round = 0; round < LEAK_ROUNDS; round++)
		busy_then_destroy(region, child.pidfd);
	assert_int_equal(count_dir("/proc/self/fd"), fds);
	assert_int_equal(count_dir("/proc/self/task") + 1, tasks);
	/*
	 * A queue that leaked its ring or a worker's stack would leave at
	 * least one more line every round.  The allocator may keep one page
	 * it mapped on the way (ASan's thread registry grows a page at a
	 * time, never unmapped), so fewer lines than rounds is no leak.
	 */
	assert_true(count_lines("/proc/self/maps") - maps < LEAK_ROUNDS);

	harness_child_stop(&child);
	munmap(region, BUSY_RANGES * page);
}

/* Destroying a queue whose completions nobody reaped, and NULL. */
static void test_destroy_unreaped(void **state)
{
	struct xmm_queue *queue = xmm_queue_create(1, 0);
	unsigned char *region = filled(1);
	struct iovec v = { region, page };
	struct pollfd pfd;

	assert_non_null(queue);
	assert_int_equal(xmm_queue_submit(queue, XMM_PIDFD_SELF, &v, 1,
					  MADV_DONTNEED, 0, 1), 0);
	pfd = (struct pollfd){ xmm_queue_fd(queue), POLLIN, 0 };
	assert_int_equal(poll(&pfd, 1, HANG_MS), 1);
	xmm_queue_destroy(queue);
	xmm_queue_destroy(NULL);
	munmap(region, page);
}

/* ---- the descriptor ---- */

static void test_fd_readable_only_with_completions(void **state)
{
	struct xmm_queue *queue = xmm_queue_create(1, 0);
	struct xmm_queue_completion done[2];
	unsigned char *region = filled(1);
	struct iovec v = { region, page };
	struct pollfd pfd;

	assert_non_null(queue);
	pfd = (struct pollfd){ xmm_queue_fd(queue), POLLIN, 0 };
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(xmm_queue_reap(queue, done, 2), 0);
	assert_int_equal(xmm_queue_submit(queue, XMM_PIDFD_SELF, &v, 1,
					  MADV_DONTNEED, 0, 1), 0);
	assert_int_equal(xmm_queue_submit(queue, XMM_PIDFD_SELF, &v, 1,
					  MADV_DONTNEED, 0, 2), 0);
	/* Both done; reaping one leaves the descriptor readable. */
	while (1) {
		assert_int_equal(poll(&pfd, 1, HANG_MS), 1);
		if (xmm_queue_reap(queue, done, 1) == 1)
			break;
	}
	assert_int_equal(poll(&pfd, 1, HANG_MS), 1);
	assert_int_equal(wait_for(queue, done + 1, 1), 0);
	assert_true(done[0].token + done[1].token == 3);
	assert_int_equal(poll(&pfd, 1, 0), 0);
	assert_int_equal(xmm_queue_reap(queue, done, 0), 0);
	xmm_queue_destroy(queue);
	munmap(region, page);
}

/* ---- errors of each function ---- */

static void test_create_einval(void **state)
{
	errno = 0;
	assert_null(xmm_queue_create(1, 1));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(xmm_queue_create(0, 0));
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_null(xmm_queue_create(XMM_QUEUE_MAX_WORKERS + 1, 0));
	assert_int_equal(errno, EINVAL);
}

static int create_without_fds(void *arg)
{
	struct rlimit none = { 0, 0 };

	CHECK(setrlimit(RLIMIT_NOFILE, &none) == 0);
	errno = 0;
	CHECK(!xmm_queue_create(1, 0));
	CHECK(errno == EMFILE);
	return 0;
}

static void test_create_emfile(void **state)
{
	SKIP_UNDER_VALGRIND("its descriptors lie below RLIMIT_NOFILE");
	assert_int_equal(harness_run_in_child(create_without_fds, NULL), 0);
}

static int without_memory(void *arg)
{
	/* A queue of the child's own: one does not survive fork(). */
	struct xmm_queue *queue = xmm_queue_create(1, 0);
	int limited = harness_limit_address_space();
	static struct iovec many[1024];
	char buf[1];
	size_t i;

	if (limited == HARNESS_NO_LIMIT)
		return HARNESS_NO_LIMIT;
	CHECK(queue && limited == 0);
	for (i = 0; i < 1024; i++)
		many[i] = (struct iovec){ buf, 1 };
	/* Room for the copy of 1,024 iovecs, or of 1,024 thread ids. */
	errno = 0;
	CHECK(!xmm_queue_create(XMM_QUEUE_MAX_WORKERS, 0));
	CHECK(errno == ENOMEM);
	errno = 0;
	CHECK(xmm_queue_submit(queue, XMM_PIDFD_SELF, many, 1024, MADV_COLD,
			       0, 0) == -1);
	CHECK(errno == ENOMEM);
	xmm_queue_destroy(queue);
	return 0;
}

static void test_enomem(void **state)
{
	int ret;

	SKIP_UNDER_VALGRIND("it runs out of memory itself under RLIMIT_AS");
	ret = harness_run_in_child(without_memory, NULL);
	if (ret == HARNESS_NO_LIMIT)
		harness_skip("malloc() is not glibc's here (ASan, valgrind): "
			     "an address-space limit does not reach it");
	assert_int_equal(ret, 0);
}

static void test_null_queue(void **state)
{
	struct xmm_queue_completion done;
	struct iovec v = { NULL, 0 };

	errno = 0;
	assert_int_equal(xmm_queue_fd(NULL), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(xmm_queue_submit(NULL, XMM_PIDFD_SELF, &v, 1,
					  MADV_COLD, 0, 0), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(xmm_queue_reap(NULL, &done, 1), -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(xmm_queue_cancel(NULL, 0), -1);
	assert_int_equal(errno, EINVAL);
}

static void test_reap_einval(void **state)
{
	struct xmm_queue *queue = xmm_queue_create(1, 0);

	assert_non_null(queue);
	errno = 0;
	assert_int_equal(xmm_queue_reap(queue, NULL, 1), -1);
	assert_int_equal(errno, EINVAL);
	xmm_queue_destroy(queue);
}

/* Each is refused at submission and nothing completes for it. */
static void expect_refused(struct xmm_queue *queue, int pidfd,
			   const struct iovec *iov, size_t vlen,
			   unsigned int flags, int err)
{
	struct xmm_queue_completion done;

	errno = 0;
	assert_int_equal(xmm_queue_submit(queue, pidfd, iov, vlen, MADV_COLD,
					  flags, 9), -1);
	assert_int_equal(errno, err);
	/* xmm_process_madvise() answers the same. */
	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, iov, vlen, MADV_COLD,
					     flags), -1);
	assert_int_equal(errno, err);
	assert_int_equal(xmm_queue_reap(queue, &done, 1), 0);
}

static void test_submit_errors(void **state)
{
	int pidfd = reaped_pidfd();
	struct xmm_queue *queue = xmm_queue_create(1, 0);
	unsigned char *region = filled(1);
	struct iovec v = { region, page };
	struct iovec negative = { region, (size_t)-1 };
	struct iovec wraps = { (void *)-page, 2 * page };
	static struct iovec many[1025];
	int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_non_null(queue);
	assert_true(devnull >= 0);
	expect_refused(queue, XMM_PIDFD_SELF, &v, 1, 1, EINVAL);
	expect_refused(queue, XMM_PIDFD_SELF, many, 1025, 0, EINVAL);
	expect_refused(queue, XMM_PIDFD_SELF, &negative, 1, 0, EINVAL);
	if (!under_valgrind())
		expect_refused(queue, XMM_PIDFD_SELF, (struct iovec *)8, 1, 0,
			       EFAULT);
	expect_refused(queue, XMM_PIDFD_SELF, &wraps, 1, 0, EFAULT);
	expect_refused(queue, -1, &v, 1, 0, EBADF);
	expect_refused(queue, devnull, &v, 1, 0, EBADF);

	if (pidfd >= 0)
		expect_refused(queue, pidfd, &v, 1, 0, ESRCH);

	close(devnull);
	xmm_queue_destroy(queue);
	munmap(region, page);
	if (pidfd < 0)
		harness_skip("ESRCH: pidfd_open is missing (valgrind 3.19)");
	assert_true(pidfd >= 0);
	close(pidfd);
}

static int submit_without_fds(void *arg)
{
	struct harness_child *child = arg;
	struct xmm_queue *queue = xmm_queue_create(1, 0);
	struct rlimit low;
	char buf[1];
	struct iovec v = { buf, 1 };
	int lowest_free = dup(0);

	CHECK(queue);
	CHECK(lowest_free >= 0);
	close(lowest_free);
	/* No descriptor left for the queue's copy of the pidfd. */
	CHECK(getrlimit(RLIMIT_NOFILE, &low) == 0);
	low.rlim_cur = (rlim_t)lowest_free;
	CHECK(setrlimit(RLIMIT_NOFILE, &low) == 0);
	errno = 0;
	CHECK(xmm_queue_submit(queue, child->pidfd, &v, 1, MADV_COLD, 0,
			       0) == -1);
	CHECK(errno == EMFILE);
	errno = 0;
	CHECK(xmm_queue_submit_process(queue, child->pidfd, NULL, MADV_COLD,
				       NULL, NULL, 0) == -1);
	CHECK(errno == EMFILE);
	xmm_queue_destroy(queue);
	return 0;
}

static void test_submit_emfile(void **state)
{
	struct harness_child child;

	harness_child_or_skip(&child, NULL, NULL);
	assert_int_equal(harness_run_in_child(submit_without_fds, &child), 0);
	harness_child_stop(&child);
}

static int submit_without_threads(void *arg)
{
	struct harness_child *child = arg;
	struct xmm_queue *queue;
	struct rlimit none = { 0, 0 };
	char buf[1];
	struct iovec v = { buf, 1 };

	/* Not root, and no process (thread) left to this user. */
	CHECK(harness_drop_privileges() == 0);
	CHECK(setrlimit(RLIMIT_NPROC, &none) == 0);
	queue = xmm_queue_create(1, 0);
	CHECK(queue);
	errno = 0;
	CHECK(xmm_queue_submit(queue, child->pidfd, &v, 1, MADV_COLD, 0,
			       0) == -1);
	CHECK(errno == EAGAIN);
	errno = 0;
	CHECK(xmm_queue_submit_process(queue, child->pidfd, NULL, MADV_COLD,
				       NULL, NULL, 0) == -1);
	CHECK(errno == EAGAIN);
	xmm_queue_destroy(queue);
	return 0;
}

static void test_submit_eagain(void **state)
{
	struct harness_child child;

	if (!harness_is_root())
		harness_skip("dropping to nobody needs root");
	harness_child_or_skip(&child, NULL, NULL);
	assert_int_equal(harness_run_in_child(submit_without_threads, &child),
			 0);
	harness_child_stop(&child);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_einval),
		cmocka_unit_test(test_create_emfile),
		cmocka_unit_test(test_enomem),
		cmocka_unit_test(test_null_queue),
		cmocka_unit_test(test_reap_einval),
		cmocka_unit_test(test_submit_errors),
		cmocka_unit_test(test_submit_emfile),
		cmocka_unit_test(test_submit_eagain),
		cmocka_unit_test(test_fd_readable_only_with_completions),
		cmocka_unit_test(test_self_same_as_sync),
		cmocka_unit_test(test_self_same_with_uring_refused),
		cmocka_unit_test(test_self_same_with_uring_eperm),
		cmocka_unit_test(test_remote_same_as_sync),
		cmocka_unit_test(test_whole_process_same_as_sync),
		cmocka_unit_test(test_whole_process_errors),
		cmocka_unit_test(test_exactly_once),
		cmocka_unit_test(test_exactly_once_self),
		cmocka_unit_test(test_exactly_once_with_uring_refused),
		cmocka_unit_test(test_target_exits_while_queued),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_destroy_unreaped),
		cmocka_unit_test(test_destroy_in_flight_leaks_nothing),
		/*
		 * After it: under ASan one more queue's threads before
		 * test_destroy_in_flight_leaks_nothing can land its second
		 * round on a new page of ASan's thread registry (never
		 * unmapped), one more line in its maps count.
		 */
		cmocka_unit_test(test_waiting_share_one_pidfd),
	};

	page = harness_page_size();
	printf("io_uring %s\n", uring_expected() ? "serves self-advice" :
	       "is not available: workers serve everything");
	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
