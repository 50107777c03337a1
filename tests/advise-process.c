// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_advise_process(): batching under IOV_MAX and MAX_RW_COUNT with the
 * number of calls checked, partial progress when a mapping disappears
 * mid-way under each error policy, cancellation from another thread,
 * freezing, memory usage, and every documented errno provoked for real.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <malloc.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/magic.h>

#include <xmm/xmm.h>

#include "harness.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define IOV_LIMIT	1024
#define MANY_VMAS	3000

static char *map_fenced(size_t len, int flags)
{
	size_t page = harness_page_size();
	char *guard = mmap(NULL, len + 2 * page, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS | flags, -1, 0);

	if (guard == MAP_FAILED ||
	    mprotect(guard + page, len, PROT_READ | PROT_WRITE) < 0)
		return MAP_FAILED;
	return guard + page;
}

static void unmap_fenced(char *region, size_t len)
{
	size_t page = harness_page_size();

	munmap(region - page, len + 2 * page);
}

/* Every page its own mapping: alternate read-only and read-write. */
static void alternate(char *region, size_t pages)
{
	size_t page = harness_page_size(), i;

	for (i = 0; i < pages; i += 2)
		mprotect(region + i * page, page, PROT_READ);
}

static void alternate_in_child(void *arg)
{
	alternate(arg, MANY_VMAS);
}

static struct xmm_vma_select only(const void *region, size_t len)
{
	struct xmm_vma_select select = {
		.addr_min = (unsigned long)region,
		.addr_max = (unsigned long)region + len,
	};

	return select;
}

static void test_batches_of_iov_max(void **state)
{
	size_t page = harness_page_size(), len = MANY_VMAS * page;
	struct xmm_advise_report report;
	struct xmm_vma_select select;
	struct harness_child child;
	char *region = map_fenced(len, 0);

	assert_true(region != MAP_FAILED);
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, alternate_in_child, region);
	select = only(region, len);
	assert_int_equal(xmm_advise_process(child.pidfd, &select, MADV_COLD,
					    NULL, &report), 0);
	assert_int_equal(report.vmas_selected, MANY_VMAS);
	assert_int_equal(report.vmas_advised, MANY_VMAS);
	assert_true(report.vmas_total > MANY_VMAS);
	assert_int_equal(report.bytes_selected, len);
	assert_int_equal(report.bytes_advised, len);
	/* 1024 + 1024 + 952 */
	assert_int_equal(report.calls,
			 (MANY_VMAS + IOV_LIMIT - 1) / IOV_LIMIT);
	assert_int_equal(report.errors, 0);
	assert_int_equal(report.stop_errno, 0);
	assert_true(report.elapsed_ns >= report.maps_ns);
	harness_child_stop(&child);
	unmap_fenced(region, len);
}

#define BIG_LEN		(3UL << 30)

static void test_vma_larger_than_max_rw_count(void **state)
{
	size_t page = harness_page_size(), max_rw = INT_MAX & ~(page - 1);
	struct xmm_advise_report report;
	struct xmm_vma_select select;
	struct harness_child child;
	char *region;

	if (sizeof(void *) < 8)
		harness_skip("a 3 GiB mapping needs a 64-bit address space");
	/* Untouched and MAP_NORESERVE: it costs nothing. */
	region = map_fenced(BIG_LEN, MAP_NORESERVE);
	assert_true(region != MAP_FAILED);
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	select = only(region, BIG_LEN);
	assert_int_equal(xmm_advise_process(child.pidfd, &select,
					    MADV_PAGEOUT, NULL, &report), 0);
	assert_int_equal(report.vmas_selected, 1);
	assert_int_equal(report.vmas_advised, 1);
	assert_int_equal(report.bytes_advised, BIG_LEN);
	assert_int_equal(report.calls, (BIG_LEN + max_rw - 1) / max_rw);

	/*
	 * With 1023 one-page mappings in front, the first call is full by
	 * count after one piece of the big one: 1023 + 1 elements, then
	 * the rest in MAX_RW_COUNT pieces.
	 */
	harness_child_stop(&child);
	unmap_fenced(region, BIG_LEN);
}

/* Both limits at once: count fills first, then bytes. */
static void both_limits_setup(void *arg)
{
	alternate(arg, IOV_LIMIT - 1);
}

static void test_both_limits(void **state)
{
	size_t page = harness_page_size(), max_rw = INT_MAX & ~(page - 1);
	size_t small = (IOV_LIMIT - 1) * page;
	size_t len = small + BIG_LEN;
	struct xmm_advise_report report;
	struct xmm_vma_select select;
	struct harness_child child;
	unsigned long rest;
	char *region;

	if (sizeof(void *) < 8)
		harness_skip("a 3 GiB mapping needs a 64-bit address space");
	region = map_fenced(len, MAP_NORESERVE);
	assert_true(region != MAP_FAILED);
	/* Page IOV_LIMIT - 2 is read-write, so the big tail must differ. */
	assert_int_equal(mprotect(region + small, BIG_LEN,
				  PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, both_limits_setup, region);
	select = only(region, len);
	assert_int_equal(xmm_advise_process(child.pidfd, &select, MADV_COLD,
					    NULL, &report), 0);
	assert_int_equal(report.vmas_selected, IOV_LIMIT);
	assert_int_equal(report.vmas_advised, IOV_LIMIT);
	assert_int_equal(report.bytes_advised, len);
	/* Call 1: 1023 pages and max_rw - 1023 pages of the big one. */
	rest = BIG_LEN - (max_rw - small);
	assert_int_equal(report.calls, 1 + (rest + max_rw - 1) / max_rw);
	harness_child_stop(&child);
	unmap_fenced(region, len);
}

/*
 * Partial progress: a mapping disappears between reading the maps and
 * advising it.  The target is the test process itself, so that the
 * progress callback can unmap a page after the first call.
 */
struct hole {
	char *addr;
	size_t len;
	int calls_seen;
};

static int punch_hole(const struct xmm_advise_report *report, void *arg)
{
	struct hole *hole = arg;

	if (hole->calls_seen++ == 0)
		munmap(hole->addr, hole->len);
	return 0;
}

/* The sentinel: it works where pidfd_open(2) does not (valgrind). */
static int self_pidfd(void)
{
	return XMM_PIDFD_SELF;
}

static void test_hole_skip_vma(void **state)
{
	size_t page = harness_page_size(), len = MANY_VMAS * page;
	char *region = map_fenced(len, 0);
	struct hole hole = { region + 1100 * page, page, 0 };
	struct xmm_advise_options opts = {
		.on_error = XMM_ADVISE_ON_ERROR_SKIP_VMA,
		.progress = punch_hole,
		.progress_arg = &hole,
	};
	struct xmm_advise_report report;
	struct xmm_vma_select select = only(region, len);
	int pidfd = self_pidfd();

	assert_true(region != MAP_FAILED);
	alternate(region, MANY_VMAS);
	assert_int_equal(xmm_advise_process(pidfd, &select, MADV_COLD,
					    &opts, &report), 0);
	/*
	 * 1: elements 0..1023.  2: 1024..2047, short at the hole (1100).
	 * 3: the hole alone, ENOMEM, skipped.  4: 1101..2124.
	 * 5: 2125..2999.
	 */
	assert_int_equal(report.calls, 5);
	assert_int_equal(report.vmas_selected, MANY_VMAS);
	assert_int_equal(report.vmas_advised, MANY_VMAS - 1);
	assert_int_equal(report.bytes_advised, len - page);
	assert_int_equal(report.errors, 1);
	assert_int_equal(report.errno_count[0].err, ENOMEM);
	assert_int_equal(report.errno_count[0].count, 1);
	assert_int_equal(report.errno_count[1].err, 0);
	assert_int_equal(report.stop_errno, 0);
	unmap_fenced(region, len);
}

static void test_hole_stop(void **state)
{
	size_t page = harness_page_size(), len = MANY_VMAS * page;
	char *region = map_fenced(len, 0);
	struct hole hole = { region + 1100 * page, page, 0 };
	struct xmm_advise_options opts = {
		.on_error = XMM_ADVISE_ON_ERROR_STOP,
		.progress = punch_hole,
		.progress_arg = &hole,
	};
	struct xmm_advise_report report;
	struct xmm_vma_select select = only(region, len);
	int pidfd = self_pidfd();

	assert_true(region != MAP_FAILED);
	alternate(region, MANY_VMAS);
	errno = 0;
	assert_int_equal(xmm_advise_process(pidfd, &select, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, ENOMEM);
	assert_int_equal(report.stop_errno, ENOMEM);
	assert_int_equal(report.calls, 3);
	assert_int_equal(report.vmas_advised, 1100);
	assert_int_equal(report.bytes_advised, 1100 * page);
	assert_int_equal(report.errors, 1);
	unmap_fenced(region, len);
}

#define BIG_VMA_PAGES	64

static void test_hole_skip_page(void **state)
{
	size_t page = harness_page_size();
	size_t len = (IOV_LIMIT + BIG_VMA_PAGES) * page;
	char *region = map_fenced(len, 0);
	char *big = region + IOV_LIMIT * page;
	struct hole hole = { big + 10 * page, page, 0 };
	struct xmm_advise_options opts = {
		.on_error = XMM_ADVISE_ON_ERROR_SKIP_PAGE,
		.progress = punch_hole,
		.progress_arg = &hole,
	};
	struct xmm_advise_report report;
	struct xmm_vma_select select = only(region, len);
	int pidfd = self_pidfd();

	assert_true(region != MAP_FAILED);
	/* 1024 one-page mappings, then one of 64 pages (read-only). */
	alternate(region, IOV_LIMIT);
	assert_int_equal(mprotect(big, BIG_VMA_PAGES * page,
				  PROT_READ | PROT_WRITE | PROT_EXEC), 0);
	assert_int_equal(xmm_advise_process(pidfd, &select, MADV_COLD,
					    &opts, &report), 0);
	/*
	 * 1: the 1024 small ones.  2: the big one, ENOMEM for its hole.
	 * Then halves down to the bad page: 2 calls at each of the 6
	 * levels from 64 pages to 1.
	 */
	assert_int_equal(report.calls, 2 + 2 * 6);
	assert_int_equal(report.bytes_advised, len - page);
	assert_int_equal(report.errors, 1);
	assert_int_equal(report.errno_count[0].err, ENOMEM);
	assert_int_equal(report.vmas_advised, IOV_LIMIT);
	unmap_fenced(region, len);
}

/* Cancellation from another thread, synchronised with the first call. */
struct canceller {
	int flag;
	sem_t first_call_done;
	sem_t flag_set;
};

static void *cancel_thread(void *arg)
{
	struct canceller *c = arg;

	sem_wait(&c->first_call_done);
	__atomic_store_n(&c->flag, 1, __ATOMIC_RELEASE);
	sem_post(&c->flag_set);
	return NULL;
}

static int wait_for_cancel(const struct xmm_advise_report *report,
			   void *arg)
{
	struct canceller *c = arg;

	if (report->calls == 1) {
		sem_post(&c->first_call_done);
		sem_wait(&c->flag_set);
	}
	return 0;
}

static void test_cancel_from_thread(void **state)
{
	size_t page = harness_page_size(), len = MANY_VMAS * page;
	struct xmm_advise_report report;
	struct xmm_vma_select select;
	struct harness_child child;
	struct canceller c = { 0 };
	struct xmm_advise_options opts = {
		.cancel = &c.flag,
		.progress = wait_for_cancel,
		.progress_arg = &c,
	};
	char *region = map_fenced(len, 0);
	pthread_t thread;

	assert_true(region != MAP_FAILED);
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, alternate_in_child, region);
	sem_init(&c.first_call_done, 0, 0);
	sem_init(&c.flag_set, 0, 0);
	assert_int_equal(pthread_create(&thread, NULL, cancel_thread, &c), 0);
	select = only(region, len);
	errno = 0;
	assert_int_equal(xmm_advise_process(child.pidfd, &select, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, ECANCELED);
	assert_int_equal(report.stop_errno, ECANCELED);
	assert_int_equal(report.calls, 1);
	assert_int_equal(report.vmas_advised, IOV_LIMIT);
	pthread_join(thread, NULL);
	sem_destroy(&c.first_call_done);
	sem_destroy(&c.flag_set);

	/* Cancelled before it starts: no call at all. */
	assert_int_equal(xmm_advise_process(child.pidfd, &select, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, ECANCELED);
	assert_int_equal(report.calls, 0);
	harness_child_stop(&child);
	unmap_fenced(region, len);
}

static int stop_after_first(const struct xmm_advise_report *report,
			    void *arg)
{
	return 1;
}

static void test_cancel_from_progress(void **state)
{
	size_t page = harness_page_size(), len = MANY_VMAS * page;
	struct xmm_advise_options opts = { .progress = stop_after_first };
	struct xmm_advise_report report;
	struct xmm_vma_select select;
	struct harness_child child;
	char *region = map_fenced(len, 0);

	assert_true(region != MAP_FAILED);
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, alternate_in_child, region);
	select = only(region, len);
	assert_int_equal(xmm_advise_process(child.pidfd, &select, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, ECANCELED);
	assert_int_equal(report.calls, 1);
	harness_child_stop(&child);
	unmap_fenced(region, len);
}

/* The state letter of /proc/PID/stat. */
struct seen_state {
	pid_t pid;
	char state;
};

static int note_state(const struct xmm_advise_report *report, void *arg)
{
	struct seen_state *seen = arg;

	seen->state = harness_proc_state(seen->pid);
	return 0;
}

static void test_freeze_sigstop(void **state)
{
	struct harness_child child;
	struct seen_state seen;
	struct xmm_advise_options opts = {
		.flags = XMM_ADVISE_FREEZE,
		.progress = note_state,
		.progress_arg = &seen,
	};
	struct xmm_advise_report report;
	siginfo_t info;

	/* In our own cgroup, not alone: the freezer is not for it. */
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	seen.pid = child.pid;
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_COLD,
					    &opts, &report), 0);
	assert_int_equal(report.frozen, XMM_FREEZE_SIGSTOP);
	assert_int_equal(seen.state, 'T');
	/* Continued: waitid sees the SIGCONT. */
	memset(&info, 0, sizeof(info));
	assert_int_equal(waitid(P_PID, (id_t)child.pid, &info,
				WCONTINUED | WNOHANG), 0);
	assert_int_equal(info.si_code, CLD_CONTINUED);

	/* Already stopped by someone else: left stopped. */
	kill(child.pid, SIGSTOP);
	assert_int_equal(waitid(P_PID, (id_t)child.pid, &info, WSTOPPED), 0);
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_COLD,
					    &opts, &report), 0);
	assert_int_equal(report.frozen, XMM_FREEZE_ALREADY);
	assert_int_equal(harness_proc_state(child.pid), 'T');
	harness_child_stop(&child);
}

/* The cgroup v2 hierarchy, where a test may make a cgroup of its own. */
static int make_test_cgroup(char *dir, size_t size)
{
	static const char *const mounts[] = {
		"/sys/fs/cgroup/unified", "/sys/fs/cgroup",
	};
	size_t i;

	for (i = 0; i < sizeof(mounts) / sizeof(mounts[0]); i++) {
		char probe[256];

		snprintf(probe, sizeof(probe), "%s/cgroup.procs", mounts[i]);
		if (access(probe, F_OK) < 0)
			continue;
		snprintf(dir, size, "%s/xmm-test-%d", mounts[i], (int)getpid());
		if (mkdir(dir, 0755) == 0)
			return 0;
	}
	return -1;
}

static int write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	int fd, ok;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok ? 0 : -1;
}

struct seen_frozen {
	const char *dir;
	int frozen;
};

static int note_frozen(const struct xmm_advise_report *report, void *arg)
{
	struct seen_frozen *seen = arg;
	char path[512], buf[256];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/cgroup.events", seen->dir);
	fd = open(path, O_RDONLY);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	if (fd >= 0)
		close(fd);
	if (n > 0) {
		buf[n] = '\0';
		seen->frozen = strstr(buf, "frozen 1") != NULL;
	}
	return 0;
}

/* What test_freeze_cgroup made, for its teardown to undo even on failure. */
struct cgroup_fixture {
	char dir[256];
	struct harness_child child;
};

/*
 * The fixture of the cgroup tests: a cgroup of ours holding one child
 * (the teardown undoes it).  Skips without root, a writable cgroup v2,
 * or (injected: the test's advice goes through the injection fallback)
 * an injection backend.
 */
static struct cgroup_fixture *cgroup_fixture_start(void **state,
						   bool injected)
{
	struct cgroup_fixture *fix = calloc(1, sizeof(*fix));
	const char *why;
	char pid_text[32];

	assert_non_null(fix);
	fix->child.pid = -1;
	fix->child.pidfd = -1;
	*state = fix;
	if (!harness_is_root())
		harness_skip("making a cgroup needs root");
	if (make_test_cgroup(fix->dir, sizeof(fix->dir)) < 0) {
		fix->dir[0] = '\0';
		harness_skip("no writable cgroup v2 hierarchy");
	}
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	if (injected && !harness_injection_available(&why))
		harness_skip("the library has no injection backend here (%s)",
			     why);
	harness_child_or_skip(&fix->child, NULL, NULL);
	snprintf(pid_text, sizeof(pid_text), "%d", (int)fix->child.pid);
	assert_int_equal(write_file(fix->dir, "cgroup.procs", pid_text), 0);
	return fix;
}

static void test_freeze_cgroup(void **state)
{
	struct cgroup_fixture *fix = cgroup_fixture_start(state, false);
	struct seen_frozen seen = { .dir = fix->dir };
	struct xmm_advise_options opts = {
		.flags = XMM_ADVISE_FREEZE,
		.progress = note_frozen,
		.progress_arg = &seen,
	};
	struct xmm_advise_report report;

	assert_int_equal(xmm_advise_process(fix->child.pidfd, NULL, MADV_COLD,
					    &opts, &report), 0);
	assert_int_equal(report.frozen, XMM_FREEZE_CGROUP);
	assert_int_equal(seen.frozen, 1);
	note_frozen(&report, &seen);
	assert_int_equal(seen.frozen, 0);

	/* Frozen by someone else: left frozen. */
	assert_int_equal(write_file(fix->dir, "cgroup.freeze", "1"), 0);
	assert_int_equal(xmm_advise_process(fix->child.pidfd, NULL, MADV_COLD,
					    &opts, &report), 0);
	assert_int_equal(report.frozen, XMM_FREEZE_ALREADY);
}

struct seen_hold {
	struct seen_frozen cgroup;
	struct seen_state task;
	bool stopped_wanted;	/* wait for 'T' (see note_hold()) */
};

/*
 * A group-stopped task that a tracer detaches is woken to stop again (it
 * never leaves the kernel meanwhile): wait for it to be back in 'T'.
 */
static int note_hold(const struct xmm_advise_report *report, void *arg)
{
	struct seen_hold *seen = arg;
	struct timespec pause_ts = { 0, 1000000 };
	int tries;

	note_frozen(report, &seen->cgroup);
	for (tries = 0; tries < 1000; tries++) {
		note_state(report, &seen->task);
		if (seen->task.state == 'T' || !seen->stopped_wanted)
			break;
		nanosleep(&pause_ts, NULL);
	}
	return 0;
}

/*
 * Advice through the injection fallback holds the target with SIGSTOP,
 * even alone in a cgroup we may freeze: a task the cgroup freezer holds
 * never runs an injected call (the call waited for it for ever).
 */
static void test_freeze_for_injection_stops_not_cgroup(void **state)
{
	struct cgroup_fixture *fix = cgroup_fixture_start(state, true);
	struct seen_hold seen = {
		.cgroup.dir = fix->dir,
		.task.pid = fix->child.pid,
		.stopped_wanted = true,
	};
	struct xmm_advise_options opts = {
		.flags = XMM_ADVISE_FREEZE,
		.progress = note_hold,
		.progress_arg = &seen,
	};
	struct xmm_advise_report report;
	int ret;

	assert_int_equal(xmm_backend_force("process_madvise", "inject"), 0);
	alarm(60);	/* the old code waited for ever: fail instead */
	ret = xmm_advise_process(fix->child.pidfd, NULL, MADV_COLD, &opts,
				 &report);
	alarm(0);
	xmm_backend_force("process_madvise", NULL);
	assert_int_equal(ret, 0);
	assert_string_equal(xmm_backend_last("process_madvise"), "inject");
	assert_int_equal(report.frozen, XMM_FREEZE_SIGSTOP);
	assert_int_equal(seen.task.state, 'T');
	assert_int_equal(seen.cgroup.frozen, 0);
	assert_int_equal(report.errors, 0);
	assert_true(report.bytes_advised > 0);
	assert_int_equal(harness_proc_state(fix->child.pid) == 'T', 0);

	/* Natively served, but XMM_PMADV_INJECT may inject any mapping
	 * whose advice the kernel refuses: stopped too. */
	opts.madvise_flags = XMM_PMADV_INJECT;
	memset(&seen.task, 0, sizeof(seen.task));
	seen.task.pid = fix->child.pid;
	seen.cgroup.frozen = 0;
	assert_int_equal(xmm_advise_process(fix->child.pidfd, NULL, MADV_COLD,
					    &opts, &report), 0);
	assert_int_equal(report.frozen, XMM_FREEZE_SIGSTOP);
	assert_int_equal(seen.task.state, 'T');
	assert_int_equal(seen.cgroup.frozen, 0);

	/* Without it, natively served: the cgroup freezer, as before. */
	opts.madvise_flags = 0;
	seen.stopped_wanted = false;
	assert_int_equal(xmm_advise_process(fix->child.pidfd, NULL, MADV_COLD,
					    &opts, &report), 0);
	assert_int_equal(report.frozen, XMM_FREEZE_CGROUP);
	assert_int_equal(seen.cgroup.frozen, 1);
}

/* Freeze the test's cgroup and wait (bounded) until it is frozen. */
static int freeze_test_cgroup(const char *dir)
{
	struct timespec tick = { 0, 1000000 };
	struct seen_frozen seen = { .dir = dir };
	int tries;

	if (write_file(dir, "cgroup.freeze", "1") < 0)
		return -1;
	for (tries = 0; tries < 5000 && !seen.frozen; tries++) {
		note_frozen(NULL, &seen);
		if (!seen.frozen)
			nanosleep(&tick, NULL);
	}
	return seen.frozen ? 0 : -1;
}

/*
 * A target the cgroup freezer holds cannot run an injected call: the
 * injection fallback answers EAGAIN, which no other range escapes, so
 * the work stops at the first call (it once made one per mapping, each
 * after the 2 s bound).
 */
static void test_frozen_injected_target_stops_at_first_eagain(void **state)
{
	struct cgroup_fixture *fix = cgroup_fixture_start(state, true);
	struct xmm_advise_options opts = { 0 };
	struct xmm_advise_report report;
	int ret, err;

	assert_int_equal(freeze_test_cgroup(fix->dir), 0);
	assert_int_equal(xmm_backend_force("process_madvise", "inject"), 0);
	alarm(120);
	ret = xmm_advise_process(fix->child.pidfd, NULL, MADV_COLD, &opts,
				 &report);
	err = errno;
	alarm(0);
	xmm_backend_force("process_madvise", NULL);
	assert_int_equal(ret, -1);
	assert_int_equal(err, EAGAIN);
	assert_int_equal(report.stop_errno, EAGAIN);
	assert_int_equal(report.calls, 1);
	assert_true(report.vmas_selected > 1);
	assert_int_equal(report.bytes_advised, 0);
}

/* Thaw, end the child (it leaves the cgroup once reaped), remove the dir. */
static int cgroup_teardown(void **state)
{
	struct cgroup_fixture *fix = *state;

	if (!fix)
		return 0;
	if (fix->child.pid > 0)
		harness_child_stop(&fix->child);
	if (fix->dir[0]) {
		write_file(fix->dir, "cgroup.freeze", "0");
		if (rmdir(fix->dir) < 0)
			fprintf(stderr, "could not remove %s: %s\n", fix->dir,
				strerror(errno));
	}
	free(fix);
	*state = NULL;
	return 0;
}

#define FILE_BYTES	(8UL << 20)

static void read_file_pages(void *arg)
{
	const volatile char *map = arg;
	unsigned long sum = 0;
	size_t i;

	for (i = 0; i < FILE_BYTES; i += harness_page_size())
		sum += map[i];
	(void)sum;
}

/* /var/tmp where there is one; a diskless guest has only /tmp. */
static const char *temp_dir(void)
{
	return access("/var/tmp", W_OK | X_OK) == 0 ? "/var/tmp" : "/tmp";
}

/*
 * A new file on a file system with a disk behind it, in /var/tmp or /tmp:
 * pages of tmpfs or ramfs have nowhere to go without swap.  -1 if none.
 */
static int open_on_disk(char *path, size_t size)
{
	static const char *const dirs[] = { "/var/tmp", "/tmp" };
	struct statfs fs;
	size_t i;
	int fd;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, size, "%s/xmm-usage-%d", dirs[i],
			 (int)getpid());
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			continue;
		if (fstatfs(fd, &fs) == 0 && fs.f_type != TMPFS_MAGIC &&
		    (unsigned int)fs.f_type != RAMFS_MAGIC)
			return fd;
		unlink(path);
		close(fd);
	}
	return -1;
}

static void test_usage_before_after(void **state)
{
	struct xmm_advise_options opts = { .flags = XMM_ADVISE_USAGE_ROLLUP };
	struct xmm_vma_select select = { .classes = XMM_VMA_CLASS_FILE };
	struct xmm_advise_report report;
	struct harness_child child;
	char path[64], *buf, *map;
	int fd;

	/* Clean file pages leave on MADV_PAGEOUT without any swap. */
	fd = open_on_disk(path, sizeof(path));
	if (fd < 0)
		harness_skip("no disk file system at /var/tmp or /tmp: clean "
			     "file pages cannot be paged out");
	buf = malloc(FILE_BYTES);
	assert_non_null(buf);
	harness_fill_random(buf, FILE_BYTES, 7);
	assert_int_equal(write(fd, buf, FILE_BYTES), (ssize_t)FILE_BYTES);
	free(buf);
	assert_int_equal(fsync(fd), 0);
	map = mmap(NULL, FILE_BYTES, PROT_READ, MAP_PRIVATE, fd, 0);
	assert_true(map != MAP_FAILED);
	close(fd);
	unlink(path);
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, read_file_pages, map);

	select.pattern = path;
	assert_int_equal(xmm_advise_process(child.pidfd, &select,
					    MADV_PAGEOUT, &opts, &report), 0);
	assert_int_equal(report.vmas_selected, 1);
	assert_int_equal(report.bytes_advised, FILE_BYTES);
	assert_int_equal(report.usage_before.flags, XMM_MEM_ROLLUP);
	assert_true(report.usage_before.rss_file >= FILE_BYTES);
	/* The parent maps the file too, so pages may stay cached: only
	 * the child's mapping of them must go. */
	assert_true(report.usage_after.rss_file + FILE_BYTES / 2 <=
		    report.usage_before.rss_file);
	assert_true(report.usage_after.pss_file <
		    report.usage_before.pss_file);
	harness_child_stop(&child);
	munmap(map, FILE_BYTES);
}

static int advise_without_memory(void *arg)
{
	struct xmm_advise_report report;
	int pidfd = *(int *)arg;
	int limited = harness_limit_address_space();

	if (limited == HARNESS_NO_LIMIT)
		return HARNESS_NO_LIMIT;
	CHILD_CHECK(limited == 0);
	CHILD_CHECK(xmm_advise_process(pidfd, NULL, MADV_COLD, NULL,
				       &report) == -1);
	CHILD_CHECK(errno == ENOMEM);
	CHILD_CHECK(report.calls == 0);
	return 0;
}

static void test_out_of_memory(void **state)
{
	size_t page = harness_page_size(), len = MANY_VMAS * page;
	struct harness_child child;
	char *region = map_fenced(len, 0);
	int ret;

	assert_true(region != MAP_FAILED);
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, alternate_in_child, region);
	ret = harness_run_in_child(advise_without_memory, &child.pidfd);
	harness_child_stop(&child);
	unmap_fenced(region, len);
	if (ret == HARNESS_NO_LIMIT)
		harness_skip("malloc() is not glibc's here (ASan, valgrind): "
			     "no way to run it out of memory");
	assert_int_equal(ret, 0);
}

static void test_freeze_timeout(void **state)
{
	struct xmm_advise_options opts = { .flags = XMM_ADVISE_FREEZE };
	struct xmm_advise_report report;
	struct harness_child child;

	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, harness_start_vfork_thread, NULL);
	errno = 0;
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, ETIMEDOUT);
	/* One empty call checked the rights before the freeze. */
	assert_int_equal(report.calls, 1);
	/* Continued again: the main thread is not left stopped. */
	assert_true(harness_proc_state(child.pid) != 'T');
	harness_child_stop(&child);
}

/* Cancel once the target's main thread shows the SIGSTOP. */
struct freeze_canceller {
	pid_t pid;
	int flag;
	bool saw_stop;	/* or it cancelled after 30 s without one */
};

static void *cancel_when_stopped(void *arg)
{
	struct freeze_canceller *c = arg;
	struct timespec tick = { 0, 1000000 };
	int i;

	for (i = 0; i < 30000 && harness_proc_state(c->pid) != 'T'; i++)
		nanosleep(&tick, NULL);
	c->saw_stop = harness_proc_state(c->pid) == 'T';
	__atomic_store_n(&c->flag, 1, __ATOMIC_RELEASE);
	return NULL;
}

/*
 * A target that cannot stop (a thread in vfork) and a caller who gives up
 * while the freeze waits: ECANCELED, not the timeout, and the target runs.
 */
static void test_freeze_cancelled(void **state)
{
	struct freeze_canceller c = { 0 };
	struct xmm_advise_options opts = {
		.flags = XMM_ADVISE_FREEZE,
		.cancel = &c.flag,
	};
	struct xmm_advise_report report;
	struct harness_child child;
	pthread_t thread;

	(void)state;
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, harness_start_vfork_thread, NULL);
	c.pid = child.pid;
	assert_int_equal(pthread_create(&thread, NULL, cancel_when_stopped,
					&c), 0);
	errno = 0;
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, ECANCELED);
	assert_int_equal(report.calls, 1);	/* the rights check */
	pthread_join(thread, NULL);
	/* Cancelled while the freeze waited, not after a timeout. */
	assert_true(c.saw_stop);
	assert_true(harness_proc_state(child.pid) != 'T');
	harness_child_stop(&child);
}

/*
 * A maps line longer than the reader's one-page buffer: a file whose path
 * is 5,000 characters long, built from nested directories.
 */
#define LONG_DEPTH	25
#define LONG_COMPONENT	200

static int long_dirs[LONG_DEPTH + 1];

static void *map_long_path_file(char *component)
{
	void *map;
	int i, fd;

	memset(component, 'd', LONG_COMPONENT);
	component[LONG_COMPONENT] = '\0';
	for (i = 0; i < LONG_DEPTH; i++) {
		if (mkdirat(long_dirs[i], component, 0700) < 0)
			return MAP_FAILED;
		long_dirs[i + 1] = openat(long_dirs[i], component,
					  O_RDONLY | O_DIRECTORY);
		if (long_dirs[i + 1] < 0)
			return MAP_FAILED;
	}
	fd = openat(long_dirs[LONG_DEPTH], "xmm-long-file",
		    O_RDWR | O_CREAT, 0600);
	if (fd < 0 || ftruncate(fd, 65536) < 0)
		return MAP_FAILED;
	map = mmap(NULL, 65536, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	return map;
}

static void remove_long_path(const char *component)
{
	int i;

	unlinkat(long_dirs[LONG_DEPTH], "xmm-long-file", 0);
	for (i = LONG_DEPTH; i > 0; i--) {
		close(long_dirs[i]);
		unlinkat(long_dirs[i - 1], component, AT_REMOVEDIR);
	}
}

static void test_maps_line_longer_than_buffer(void **state)
{
	struct xmm_vma_select select = { .pattern = "*/xmm-long-file" };
	struct xmm_advise_report report;
	struct harness_child child;
	char component[LONG_COMPONENT + 1], top[64];
	void *map;

	snprintf(top, sizeof(top), "%s/xmm-long-%d", temp_dir(),
		 (int)getpid());
	assert_int_equal(mkdir(top, 0700), 0);
	long_dirs[0] = open(top, O_RDONLY | O_DIRECTORY);
	assert_true(long_dirs[0] >= 0);
	map = map_long_path_file(component);
	assert_true(map != MAP_FAILED);
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	assert_int_equal(xmm_advise_process(child.pidfd, &select, MADV_COLD,
					    NULL, &report), 0);
	assert_int_equal(report.vmas_selected, 1);
	assert_int_equal(report.bytes_advised, 65536);
	harness_child_stop(&child);
	munmap(map, 65536);
	remove_long_path(component);
	close(long_dirs[0]);
	rmdir(top);
}

/* EPERM: an unprivileged caller without CAP_SYS_NICE, same user. */
static int advise_without_cap_sys_nice(void *arg)
{
	struct xmm_advise_report report;
	struct harness_child target;
	int ret;

	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(harness_child_start(&target, harness_setup_dumpable,
					NULL) == 0);
	ret = xmm_advise_process(target.pidfd, NULL, MADV_COLD, NULL,
				 &report);
	harness_child_stop(&target);
	CHILD_CHECK(ret == -1);
	CHILD_CHECK(errno == EPERM);
	CHILD_CHECK(report.calls == 1);
	CHILD_CHECK(report.stop_errno == EPERM);
	return 0;
}

static int advise_root_as_nobody(void *arg)
{
	int pidfd = *(int *)arg;

	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(xmm_advise_process(pidfd, NULL, MADV_COLD, NULL,
				       NULL) == -1);
	CHILD_CHECK(errno == EACCES);
	return 0;
}

static void test_errors(void **state)
{
	struct xmm_advise_options opts = { 0 };
	struct xmm_advise_report report;
	struct xmm_vma_select select = { .classes = 0x400 };
	struct harness_child child;
	int fd, pidfd;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(xmm_advise_process(fd, NULL, MADV_COLD, NULL,
					    &report), -1);
	assert_int_equal(errno, EBADF);
	close(fd);

	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	assert_int_equal(xmm_advise_process(child.pidfd, &select, MADV_COLD,
					    NULL, &report), -1);
	assert_int_equal(errno, EINVAL);
	opts.flags = 0x100;
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, EINVAL);
	opts.flags = 0;
	opts.on_error = 3;
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, EINVAL);
	opts.on_error = 0;
	opts.reserved[3] = 1;
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, EINVAL);
	opts.reserved[3] = 0;

	/* Advice the kernel refuses for another process: EINVAL, even with
	 * a policy that skips, after two calls: the batch, and an empty one
	 * telling the advice from the mapping. */
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_DONTNEED,
					    &opts, &report), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(report.calls, 2);
	assert_int_equal(report.vmas_skipped, 0);
	assert_int_equal(report.stop_errno, EINVAL);

	/* Freezing ourselves. */
	opts.flags = XMM_ADVISE_FREEZE;
	assert_int_equal(xmm_advise_process(XMM_PIDFD_SELF, NULL, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, EINVAL);

	/* A reaped target. */
	pidfd = dup(child.pidfd);
	harness_child_stop(&child);
	assert_int_equal(xmm_advise_process(pidfd, NULL, MADV_COLD, NULL,
					    &report), -1);
	assert_int_equal(errno, ESRCH);
	close(pidfd);

	if (!harness_is_root())
		harness_skip("EPERM and EACCES need root to drop to nobody");
	assert_int_equal(harness_run_in_child(advise_without_cap_sys_nice,
					      NULL), 0);
	pidfd = harness_pidfd_self();
	assert_int_equal(harness_run_in_child(advise_root_as_nobody, &pidfd),
			 0);
	close(pidfd);
}

#define LOCKED_REST	(8UL << 20)

/*
 * A mapping the kernel refuses (mlocked, for cold) is skipped and counted
 * in its class, and the rest advised: the call succeeds, stop_errno 0.
 * ON_ERROR_STOP still stops there with EINVAL.
 */
static void test_refused_mapping_skipped(void **state)
{
	/* From the locked page up: a static non-PIE program (riscv64's
	 * starts at 0x10000) has its own anonymous pages below it. */
	struct xmm_vma_select anon = {
		.classes = XMM_VMA_CLASS_ANON,
		.addr_min = (unsigned long)HARNESS_LOCKED_ADDR,
	};
	struct xmm_advise_options opts = { 0 };
	struct xmm_advise_report report;
	struct harness_child child;
	const struct xmm_advise_class *c = &report.classes[0];
	int policy;

	(void)state;
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip_because(&child, harness_setup_locked_lowest,
				      &(size_t){ LOCKED_REST },
				      "cannot map at 0x100000 or mlock() "
				      "there (RLIMIT_MEMLOCK)");
	for (policy = XMM_ADVISE_ON_ERROR_SKIP_VMA;
	     policy <= XMM_ADVISE_ON_ERROR_SKIP_PAGE; policy++) {
		opts.on_error = policy;
		assert_int_equal(xmm_advise_process(child.pidfd, &anon,
						    MADV_COLD, &opts,
						    &report), 0);
		assert_int_equal(report.stop_errno, 0);
		assert_int_equal(report.errors, 0);
		assert_int_equal(report.vmas_skipped, 1);
		assert_int_equal(report.bytes_skipped, 4096);
		assert_int_equal(c->vmas_skipped, 1);
		assert_int_equal(c->bytes_skipped, 4096);
		assert_int_equal(c->skip_errno, EINVAL);
		assert_true(c->bytes_advised >= LOCKED_REST);
		assert_int_equal(c->bytes_advised, report.bytes_advised);
		assert_int_equal(c->bytes_selected, report.bytes_selected);
		assert_int_equal(report.vmas_advised,
				 report.vmas_selected - 1);
	}
	opts.on_error = XMM_ADVISE_ON_ERROR_STOP;
	assert_int_equal(xmm_advise_process(child.pidfd, &anon, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(report.stop_errno, EINVAL);
	assert_int_equal(report.bytes_advised, 0);
	/* Only the locked page selected: every mapping refused, EINVAL. */
	anon.addr_min = (unsigned long)HARNESS_LOCKED_ADDR;
	anon.addr_max = (unsigned long)HARNESS_LOCKED_ADDR + 4096;
	opts.on_error = XMM_ADVISE_ON_ERROR_SKIP_VMA;
	assert_int_equal(xmm_advise_process(child.pidfd, &anon, MADV_COLD,
					    &opts, &report), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(report.vmas_skipped, 1);
	assert_int_equal(report.vmas_selected, 1);
	harness_child_stop(&child);
}

/* Per class: every selected byte lands in its mapping's class. */
static void test_report_per_class(void **state)
{
	struct xmm_advise_report report;
	struct harness_child child;
	unsigned long long selected = 0, advised = 0;
	size_t vmas = 0;
	int i;

	(void)state;
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&child, NULL, NULL);
	assert_int_equal(xmm_advise_process(child.pidfd, NULL, MADV_COLD,
					    NULL, &report), 0);
	for (i = 0; i < XMM_VMA_CLASS_COUNT; i++) {
		selected += report.classes[i].bytes_selected;
		advised += report.classes[i].bytes_advised;
		vmas += report.classes[i].vmas_selected;
	}
	assert_int_equal(selected, report.bytes_selected);
	assert_int_equal(advised, report.bytes_advised);
	assert_int_equal(vmas, report.vmas_selected);
	assert_true(report.classes[0].vmas_selected > 0);	/* anon */
	assert_true(report.classes[1].vmas_selected > 0);	/* file */
	assert_int_equal(report.classes[5].vmas_selected, 0);	/* special */
	harness_child_stop(&child);
}

/*
 * A caller without the right to advise never freezes the target: the
 * rights are checked first (as nobody, against a root child).
 */
static int freeze_as_nobody(void *arg)
{
	struct xmm_advise_options opts = { .flags = XMM_ADVISE_FREEZE };
	struct xmm_advise_report report;
	/* The child's pidfd from clone(): valgrind has no pidfd_open. */
	int pidfd = *(const int *)arg, ret;

	CHILD_CHECK(harness_drop_privileges() == 0);
	ret = xmm_advise_process(pidfd, NULL, MADV_COLD, &opts, &report);
	CHILD_CHECK(ret == -1);
	CHILD_CHECK(errno == EPERM || errno == EACCES);
	CHILD_CHECK(report.frozen == XMM_FREEZE_NONE);
	CHILD_CHECK(report.stop_errno == errno);
	return 0;
}

static void test_freeze_checks_rights_first(void **state)
{
	struct harness_child child;

	(void)state;
	if (!harness_is_root())
		harness_skip("needs root to drop to nobody");
	harness_child_or_skip(&child, NULL, NULL);
	assert_int_equal(harness_run_in_child(freeze_as_nobody, &child.pidfd),
			 0);
	assert_true(harness_proc_state(child.pid) != 'T');
	harness_child_stop(&child);
}

/* Patterns ORed, and XMM_VMA_SELECT_ANY: class OR name. */
static void test_select_patterns_any(void **state)
{
	static const char *const two[] = { "*libc*", "*python*" };
	struct xmm_vma libc = { .end = 0x1000, .name = "/usr/lib/libc.so.6",
				.vma_class = XMM_VMA_CLASS_FILE };
	struct xmm_vma python = libc, other = libc, anon = libc;
	struct xmm_vma_select s = { .patterns = two, .pattern_count = 2 };

	(void)state;
	python.name = "/usr/bin/python3";
	other.name = "/usr/lib/libm.so.6";
	anon.name = "";
	anon.vma_class = XMM_VMA_CLASS_ANON;
	assert_int_equal(xmm_vma_match(&libc, &s), 1);
	assert_int_equal(xmm_vma_match(&python, &s), 1);
	assert_int_equal(xmm_vma_match(&other, &s), 0);
	assert_int_equal(xmm_vma_match(&anon, &s), 0);
	/* AND by default: a class and a pattern must both hold. */
	s.classes = XMM_VMA_CLASS_ANON;
	assert_int_equal(xmm_vma_match(&libc, &s), 0);
	assert_int_equal(xmm_vma_match(&anon, &s), 0);
	/* OR with XMM_VMA_SELECT_ANY. */
	s.flags = XMM_VMA_SELECT_ANY;
	assert_int_equal(xmm_vma_match(&libc, &s), 1);
	assert_int_equal(xmm_vma_match(&anon, &s), 1);
	assert_int_equal(xmm_vma_match(&other, &s), 0);
	/* The other conditions still hold under ANY. */
	s.min_size = 0x2000;
	assert_int_equal(xmm_vma_match(&anon, &s), 0);
	s.min_size = 0;
	/* ANY with no class: the patterns alone. */
	s.classes = 0;
	assert_int_equal(xmm_vma_match(&anon, &s), 0);
	assert_int_equal(xmm_vma_match(&python, &s), 1);
	/* EINVAL: unknown flags, a NULL array or a NULL pattern. */
	s.flags = 0x80;
	assert_int_equal(xmm_vma_match(&libc, &s), -1);
	assert_int_equal(errno, EINVAL);
	s.flags = 0;
	s.patterns = NULL;
	assert_int_equal(xmm_vma_match(&libc, &s), -1);
	assert_int_equal(errno, EINVAL);
	{
		static const char *const holes[] = { "*libc*", NULL };

		s.patterns = holes;
		assert_int_equal(xmm_vma_match(&libc, &s), -1);
		assert_int_equal(errno, EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_batches_of_iov_max),
		cmocka_unit_test(test_vma_larger_than_max_rw_count),
		cmocka_unit_test(test_both_limits),
		cmocka_unit_test(test_hole_skip_vma),
		cmocka_unit_test(test_hole_stop),
		cmocka_unit_test(test_hole_skip_page),
		cmocka_unit_test(test_cancel_from_thread),
		cmocka_unit_test(test_cancel_from_progress),
		cmocka_unit_test(test_freeze_sigstop),
		cmocka_unit_test_teardown(test_freeze_cgroup,
					  cgroup_teardown),
		cmocka_unit_test_teardown(
			test_freeze_for_injection_stops_not_cgroup,
			cgroup_teardown),
		cmocka_unit_test_teardown(
			test_frozen_injected_target_stops_at_first_eagain,
			cgroup_teardown),
		cmocka_unit_test(test_usage_before_after),
		cmocka_unit_test(test_maps_line_longer_than_buffer),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_freeze_timeout),
		cmocka_unit_test(test_freeze_cancelled),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_refused_mapping_skipped),
		cmocka_unit_test(test_report_per_class),
		cmocka_unit_test(test_freeze_checks_rights_first),
		cmocka_unit_test(test_select_patterns_any),
	};

	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
