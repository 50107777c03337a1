// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The conformance table: what "the kernel's semantics" means for this
 * library, checked against every backend.
 *
 * One row per condition (every documented errno, every edge input) of
 * xmm_process_madvise(), xmm_remap_anon_pages() and xmm_process_vm_mmap();
 * one column per backend of the operation, forced in turn with
 * xmm_backend_force().  Each cell makes the call for real (real children,
 * pidfds, userfaultfds) and asserts the one answer of the manual page: the
 * return value, errno, and, where the answer is an error, that the memory
 * of the caller or target is unchanged.  Each row names the sentence of
 * the manual page it pins.
 *
 * A backend that cannot serve a row here answers ENOSYS when forced (its
 * manual page says so); such a cell is printed with the reason, and a row
 * lists the backends that may not serve it and why.  An ENOSYS anywhere
 * else is a failure, never a pass.  The whole table is printed at the end.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/userfaultfd.h>

#include <xmm/xmm.h>

#include "harness.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY	1
#endif
#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

#define MAX_BACKENDS	4
#define MAX_ROWS	40

static size_t page;

/* What a call answered: its return value and, when it failed, errno. */
struct answer {
	long ret;	/* -1 for MAP_FAILED */
	int err;
};

/* A row's verdict on memory, set by the row when it checks. */
struct cell_ctx {
	const char *backend;
	struct answer got;
	char cannot[160];	/* set by a row that could not be set up */
	/*
	 * Set by a row that got a wrong answer it knows, with where the bug
	 * is: the cell is marked, and the table's test then skips (listed
	 * in .ci/expected-skips with the bug), so each other cell counts.
	 */
	char known_bug[200];
};

struct row {
	const char *condition;
	/* The manual page sentence (section, words) this row pins. */
	const char *man;
	void (*run)(struct cell_ctx *cell);
	long want_pages;	/* bytes as pages; -1: an error, want_err */
	int want_err;
	/*
	 * Per backend (column): why it may be unable to serve this row on
	 * some kernel (it then answers ENOSYS when forced); NULL: it serves.
	 */
	const char *cannot[MAX_BACKENDS];
};

struct operation {
	const char *name;
	const char *backends[MAX_BACKENDS];
	const struct row *rows;
	size_t row_count;
	/* The printed table: one cell per row and backend. */
	char cells[MAX_ROWS][MAX_BACKENDS][12];
};

/* An operation's table: its name, rows and backends (the columns). */
#define OPERATION(var, op_name, row_table, ...)				\
	static struct operation var = {					\
		.name = op_name,					\
		.backends = { __VA_ARGS__ },				\
		.rows = row_table,					\
		.row_count = sizeof(row_table) / sizeof(row_table[0]),	\
	}

static void record(struct cell_ctx *cell, long ret)
{
	cell->got.ret = ret;
	cell->got.err = ret == -1 ? errno : 0;
}

/* Is backend name of op available here?  Its reason when not. */
static bool backend_available(const char *op, const char *name,
			      const char **detail)
{
	struct xmm_backend_info info;
	unsigned int i;

	for (i = 0; xmm_backend_info(i, &info) == 0; i++) {
		if (strcmp(info.operation, op) || strcmp(info.backend, name))
			continue;
		*detail = info.detail ? info.detail : "unavailable";
		return info.available;
	}
	*detail = "no such backend";
	return false;
}

static long want_answer(const struct row *row)
{
	return row->want_pages == -1 ? -1 : row->want_pages * (long)page;
}

static void run_table(struct operation *op)
{
	size_t r, b, failures = 0, known_bugs = 0;

	for (r = 0; r < op->row_count; r++) {
		const struct row *row = &op->rows[r];

		for (b = 0; b < MAX_BACKENDS && op->backends[b]; b++) {
			const char *name = op->backends[b], *detail;
			bool available = backend_available(op->name, name,
							   &detail);
			struct cell_ctx cell = { .backend = name };
			char *mark = op->cells[r][b];
			bool want_match;

			assert_int_equal(xmm_backend_force(op->name, name),
					 0);
			errno = 0;
			row->run(&cell);
			assert_int_equal(xmm_backend_force(op->name, NULL), 0);
			if (cell.cannot[0]) {
				print_message("  %-44s %-12s cannot run "
					      "here: %s\n", row->condition,
					      name, cell.cannot);
				snprintf(mark, 12, "not here");
				continue;
			}
			want_match = cell.got.ret == want_answer(row) &&
				     (row->want_pages != -1 ||
				      cell.got.err == row->want_err);
			if (want_match) {
				snprintf(mark, 12, "ok");
				continue;
			}
			if (cell.got.ret == -1 && cell.got.err == ENOSYS &&
			    (!available || row->cannot[b])) {
				print_message("  %-44s %-12s cannot serve "
					      "(ENOSYS): %s\n", row->condition,
					      name, available ? row->cannot[b]
							      : detail);
				snprintf(mark, 12, "ENOSYS");
				continue;
			}
			if (cell.known_bug[0]) {
				print_message("  %-44s %-12s KNOWN BUG: "
					      "answered %ld: %s\n",
					      row->condition, name,
					      cell.got.ret, cell.known_bug);
				snprintf(mark, 12, "known bug");
				known_bugs++;
				continue;
			}
			print_message("FAIL %s: %s: backend %s answered %ld "
				      "(%s), the manual page says %ld (%s)\n"
				      "     [%s]\n", op->name, row->condition,
				      name, cell.got.ret,
				      cell.got.ret == -1 ?
					      strerror(cell.got.err) : "-",
				      want_answer(row),
				      row->want_pages == -1 ?
					      strerror(row->want_err) : "-",
				      row->man);
			snprintf(mark, 12, "FAIL");
			failures++;
		}
	}

	print_message("\n%s conformance table:\n%-46s", op->name,
		      "condition");
	for (b = 0; b < MAX_BACKENDS && op->backends[b]; b++)
		print_message(" %-12s", op->backends[b]);
	print_message("\n");
	for (r = 0; r < op->row_count; r++) {
		print_message("%-46.46s", op->rows[r].condition);
		for (b = 0; b < MAX_BACKENDS && op->backends[b]; b++)
			print_message(" %-12s", op->cells[r][b]);
		print_message("\n");
	}
	if (failures)
		fail_msg("%zu cells of %s differ from the manual page",
			 failures, op->name);
	if (known_bugs) {
		print_message("SKIP: %zu cell(s) of %s give a known wrong "
			      "answer (above); every other cell passed\n",
			      known_bugs, op->name);
		skip();
	}
}

/* ---- helpers ---- */

static unsigned char *filled(size_t pages, int seed)
{
	unsigned char *p = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(p != MAP_FAILED);
	harness_fill_random(p, pages * page, (unsigned int)seed);
	return p;
}

static bool same_as_seed(const unsigned char *p, size_t pages, int seed)
{
	unsigned char *ref = malloc(pages * page);
	bool same;

	assert_non_null(ref);
	harness_fill_random(ref, pages * page, (unsigned int)seed);
	same = memcmp(ref, p, pages * page) == 0;
	free(ref);
	return same;
}

/*
 * An address with the top bit set: in the kernel's half of a 64-bit
 * process's address space, where no user mapping can be.
 */
static const uintptr_t kernel_half = (uintptr_t)1 << (sizeof(void *) * 8 - 1);

/*
 * Can a row at kernel_half run here?  A 32-bit process has no kernel
 * half: on a 64-bit kernel all of its 4 GiB but the top page are user
 * space, and a 32-bit kernel splits at 3 GiB (or 2 or 1, a build
 * option), so 2 GiB may be an ordinary user address.  Those rows alone
 * do not run there; the cell says why.
 */
static bool kernel_half_here(struct cell_ctx *cell)
{
	if (sizeof(void *) >= 8)
		return true;
	snprintf(cell->cannot, sizeof(cell->cannot),
		 "a 32-bit process has no kernel half (2 GiB may be a user "
		 "address)");
	return false;
}

/* A child that has exited and not been reaped: a zombie. */
static pid_t zombie(int *pidfd)
{
	pid_t pid = fork();
	siginfo_t info;

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	if (pidfd)
		*pidfd = xmm_pidfd_open(pid, 0);
	assert_int_equal(waitid(P_PID, (id_t)pid, &info,
				WEXITED | WNOWAIT), 0);
	return pid;
}

static void reap(pid_t pid)
{
	assert_int_equal(waitpid(pid, NULL, 0), pid);
}

static pid_t reaped_pid(int *pidfd)
{
	pid_t pid = zombie(pidfd);

	reap(pid);
	return pid;
}

/* A child that sleeps with the parent's memory; false: cannot here. */
static bool child_start(struct cell_ctx *cell, struct harness_child *child)
{
	int err = harness_child_start(child, NULL, NULL);

	if (err < 0) {
		snprintf(cell->cannot, sizeof(cell->cannot),
			 "no child with a pidfd: %s", strerror(-err));
		return false;
	}
	return true;
}

/*
 * Run fn as nobody in a child and bring back its answer.  Rows of
 * permission need root to create the unprivileged caller.
 */
struct as_nobody {
	int (*fn)(void *arg, struct answer *got);
	void *arg;
	struct answer *shared;
	bool keep_cap_sys_nice;
};

static int as_nobody_main(void *arg)
{
	struct as_nobody *n = arg;

	CHILD_CHECK((n->keep_cap_sys_nice ?
		     harness_drop_privileges_keep_cap_sys_nice() :
		     harness_drop_privileges()) == 0);
	return n->fn(n->arg, n->shared);
}

static bool run_as_nobody_nice(struct cell_ctx *cell,
			       int (*fn)(void *arg, struct answer *got),
			       void *arg, bool keep_cap_sys_nice)
{
	struct answer *shared;
	struct as_nobody n = { fn, arg, NULL, keep_cap_sys_nice };

	if (!harness_is_root()) {
		snprintf(cell->cannot, sizeof(cell->cannot),
			 "needs root to create an unprivileged caller");
		return false;
	}
	shared = mmap(NULL, sizeof(*shared), PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(shared != MAP_FAILED);
	n.shared = shared;
	assert_int_equal(harness_run_in_child(as_nobody_main, &n), 0);
	cell->got = *shared;
	munmap(shared, sizeof(*shared));
	return true;
}

static bool run_as_nobody(struct cell_ctx *cell,
			  int (*fn)(void *arg, struct answer *got), void *arg)
{
	return run_as_nobody_nice(cell, fn, arg, false);
}

/* ==== xmm_process_madvise ==== */

/* Columns: native, self-madvise, inject. */
#define SELF_CANNOT	{ "before 6.13 the kernel refuses this advice for "  \
			  "the caller itself (EINVAL)", NULL,		     \
			  "inject traces another process, never the caller" }
#define REMOTE_CANNOT	{ NULL, "self-madvise advises only the caller "	     \
			  "itself", NULL }

/*
 * Most rows advise ranges of a region of their own, filled with seed 1:
 * the caller's own (self rows: its pidfd, MADV_DONTNEED; an error must
 * leave the pattern) or a child's copy of it (remote rows).
 */
struct madv_range {
	size_t off;		/* bytes into the region */
	size_t len;
	uintptr_t addr;		/* not 0: this address, not the region's */
};

struct madv_case {
	size_t pages;		/* the region; 0: none */
	size_t hole;		/* a page of it unmapped first; 0: none */
	size_t nranges;
	struct madv_range ranges[3];
	size_t vlen;		/* beyond nranges: the last range again */
	unsigned int flags;
	int advice;		/* remote rows; self rows: MADV_DONTNEED */
	size_t kept_on_error;	/* pages from the start that an error keeps */
	bool kernel_address;	/* a range at kernel_half: 64-bit only */
	bool kept_always;	/* and the region keeps its pattern anyway */
	/* More checks on the memory, before the region goes. */
	void (*after)(struct cell_ctx *cell, unsigned char *region);
};

#define VLEN_MAX	1025

/* The call itself, on the caller (self) or on a child with its memory. */
static void madv_call(struct cell_ctx *cell, const struct iovec *iov,
		      size_t vlen, int advice, unsigned int flags, bool remote)
{
	struct harness_child child;
	int pidfd;

	if (remote) {
		if (!child_start(cell, &child))
			return;
		errno = 0;
		record(cell, xmm_process_madvise(child.pidfd, iov, vlen,
						 advice, flags));
		harness_child_stop(&child);
		return;
	}
	pidfd = xmm_pidfd_open(getpid(), 0);
	assert_true(pidfd >= 0);
	errno = 0;
	record(cell, xmm_process_madvise(pidfd, iov, vlen, MADV_DONTNEED,
					 flags));
	close(pidfd);
}

static void madv_case(struct cell_ctx *cell, const struct madv_case *c,
		      bool remote)
{
	static struct iovec iov[VLEN_MAX];
	size_t i, count = c->vlen > c->nranges ? c->vlen : c->nranges;
	unsigned char *r;

	if (c->kernel_address && !kernel_half_here(cell))
		return;
	r = c->pages ? filled(c->pages, 1) : NULL;
	assert_true(count <= VLEN_MAX);
	for (i = 0; c->nranges && i < count; i++) {
		const struct madv_range *range =
			&c->ranges[i < c->nranges ? i : c->nranges - 1];

		iov[i].iov_base = range->addr ? (void *)range->addr :
						r + range->off;
		iov[i].iov_len = range->len;
	}
	if (c->hole)
		assert_int_equal(munmap(r + c->hole * page, page), 0);
	/* No ranges: a NULL array. */
	madv_call(cell, c->nranges ? iov : NULL, c->vlen, c->advice,
		  c->flags, remote);
	if (cell->got.ret == -1 && c->kept_on_error)
		assert_true(same_as_seed(r, c->kept_on_error, 1));
	if (c->kept_always)
		assert_true(same_as_seed(r, c->pages, 1));
	if (c->after)
		c->after(cell, r);
	if (r)
		munmap(r, c->pages * page);
}

#define MADV_ROW(name, remote, ...)					\
	static void name(struct cell_ctx *cell)				\
	{								\
		const struct madv_case c = { __VA_ARGS__ };		\
									\
		madv_case(cell, &c, remote);				\
	}

MADV_ROW(m_unknown_flag, false, .pages = 1, .nranges = 1,
	 .ranges = { { 0, page } }, .vlen = 1, .flags = 1U << 5,
	 .kept_on_error = 1)
MADV_ROW(m_vlen_1025, false, .pages = 1, .nranges = 1,
	 .ranges = { { 0, page } }, .vlen = 1025, .kept_on_error = 1)

static void after_vlen_1024(struct cell_ctx *cell, unsigned char *r)
{
	if (cell->got.ret == (long)(1024 * page))
		assert_int_equal(harness_resident_pages(r, page), 0);
}

MADV_ROW(m_vlen_1024, false, .pages = 1, .nranges = 1,
	 .ranges = { { 0, page } }, .vlen = 1024, .after = after_vlen_1024)
MADV_ROW(m_vlen_0, false, .pages = 1, .nranges = 1,
	 .ranges = { { 0, page } }, .vlen = 0, .kept_on_error = 1,
	 .kept_always = true)
MADV_ROW(m_null_iov_vlen_0, false, .vlen = 0)

MADV_ROW(m_null_iov, false, .vlen = 1)

static void m_unreadable_iov(struct cell_ctx *cell)
{
	madv_call(cell, (struct iovec *)8, 1, MADV_DONTNEED, 0, false);
}

/* Unknown advice with nothing to advise: the selftest mm/process_madv.c. */
static void m_unknown_advice_no_range(struct cell_ctx *cell)
{
	int pidfd = xmm_pidfd_open(getpid(), 0);
	struct iovec v = { NULL, 0 };

	assert_true(pidfd >= 0);
	errno = 0;
	record(cell, xmm_process_madvise(pidfd, &v, 1, -1, 0));
	close(pidfd);
}

static void m_unknown_advice_vlen_0(struct cell_ctx *cell)
{
	errno = 0;
	record(cell, xmm_process_madvise(XMM_PIDFD_SELF, NULL, 0, -1, 0));
}

MADV_ROW(m_len_over_ssize_max, false, .pages = 1, .nranges = 2,
	 .ranges = { { 0, page }, { 0, (size_t)SSIZE_MAX + 1 } }, .vlen = 2,
	 .kept_on_error = 1)
MADV_ROW(m_zero_length, false, .pages = 1, .nranges = 1,
	 .ranges = { { 0, 0 } }, .vlen = 1, .kept_on_error = 1,
	 .kept_always = true)
MADV_ROW(m_unaligned, false, .pages = 2, .nranges = 1,
	 .ranges = { { 1, page } }, .vlen = 1, .kept_on_error = 2)
/*
 * A length that fits in ssize_t wraps only from the kernel's half.  A
 * 32-bit caller on a 64-bit kernel gets EFAULT from the library: that
 * kernel checks the range in 64 bits, where it does not wrap.
 */
MADV_ROW(m_wraps, false, .pages = 1, .nranges = 2,
	 .ranges = { { 0, page }, { 0, 2 * page, UINTPTR_MAX - page + 1 } },
	 .vlen = 2, .kept_on_error = 1)

MADV_ROW(m_kernel_half, false, .nranges = 1,
	 .ranges = { { 0, page, kernel_half } }, .vlen = 1,
	 .kernel_address = true)
MADV_ROW(m_kernel_half_second, false, .pages = 1, .nranges = 2,
	 .ranges = { { 0, page }, { 0, page, kernel_half } }, .vlen = 2,
	 .kept_on_error = 1, .kernel_address = true)
MADV_ROW(m_hole, false, .pages = 2, .hole = 1, .nranges = 1,
	 .ranges = { { page, page } }, .vlen = 1, .kept_on_error = 1)

/* The first element advised, the second a hole: the first's bytes. */
static void after_partial(struct cell_ctx *cell, unsigned char *r)
{
	if (cell->got.ret == (long)page) {
		/* Exactly the first: the third, after the hole, stays. */
		assert_int_equal(harness_resident_pages(r, page), 0);
		assert_true(same_as_seed(r + 2 * page, 1, 3) ||
			    harness_resident_pages(r + 2 * page, page) == 1);
	}
}

MADV_ROW(m_partial, false, .pages = 3, .hole = 1, .nranges = 3,
	 .ranges = { { 0, page }, { page, page }, { 2 * page, page } },
	 .vlen = 3, .after = after_partial)

static void after_overlap(struct cell_ctx *cell, unsigned char *r)
{
	if (cell->got.ret == (long)(3 * page))
		assert_int_equal(harness_resident_pages(r, 2 * page), 0);
}

MADV_ROW(m_overlap, false, .pages = 2, .nranges = 2,
	 .ranges = { { 0, 2 * page }, { page, page } }, .vlen = 2,
	 .after = after_overlap)

static void after_success(struct cell_ctx *cell, unsigned char *r)
{
	if (cell->got.ret == (long)(3 * page)) {
		assert_int_equal(harness_resident_pages(r, page), 0);
		assert_int_equal(harness_resident_pages(r + page, page), 1);
		assert_int_equal(harness_resident_pages(r + 2 * page,
							2 * page), 0);
	}
}

MADV_ROW(m_success, false, .pages = 4, .nranges = 2,
	 .ranges = { { 0, page }, { 2 * page, 2 * page } }, .vlen = 2,
	 .after = after_success)

static void m_pidfd_minus_one(struct cell_ctx *cell)
{
	unsigned char *r = filled(1, 1);
	struct iovec v = { r, page };

	errno = 0;
	record(cell, xmm_process_madvise(-1, &v, 1, MADV_DONTNEED, 0));
	assert_true(same_as_seed(r, 1, 1));
	munmap(r, page);
}

static void m_not_a_pidfd(struct cell_ctx *cell)
{
	unsigned char *r = filled(1, 1);
	struct iovec v = { r, page };
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	errno = 0;
	record(cell, xmm_process_madvise(fd, &v, 1, MADV_DONTNEED, 0));
	assert_true(same_as_seed(r, 1, 1));
	close(fd);
	munmap(r, page);
}

/* Remote rows: a child with the caller's memory, MADV_COLD. */
MADV_ROW(r_success, true, .pages = 2, .nranges = 1,
	 .ranges = { { 0, 2 * page } }, .vlen = 1, .advice = MADV_COLD)
MADV_ROW(r_advice_refused, true, .pages = 1, .nranges = 1,
	 .ranges = { { 0, page } }, .vlen = 1, .advice = MADV_DONTNEED)
MADV_ROW(r_hole, true, .pages = 2, .hole = 1, .nranges = 1,
	 .ranges = { { page, page } }, .vlen = 1, .advice = MADV_COLD)
MADV_ROW(r_kernel_half, true, .nranges = 1,
	 .ranges = { { 0, page, kernel_half } }, .vlen = 1,
	 .advice = MADV_COLD, .kernel_address = true)
MADV_ROW(r_vlen_1025, true, .pages = 1, .nranges = 1,
	 .ranges = { { 0, page } }, .vlen = 1025, .advice = MADV_COLD)

/* MADV_COLD through pidfd, of a process that has gone (-1: none here). */
static void madv_gone(struct cell_ctx *cell, int pidfd)
{
	unsigned char *r = filled(1, 1);
	struct iovec v = { r, page };

	if (pidfd < 0) {
		snprintf(cell->cannot, sizeof(cell->cannot),
			 "no pidfd_open here");
	} else {
		errno = 0;
		record(cell, xmm_process_madvise(pidfd, &v, 1, MADV_COLD, 0));
		close(pidfd);
	}
	munmap(r, page);
}

static void r_reaped(struct cell_ctx *cell)
{
	int pidfd = -1;

	reaped_pid(&pidfd);
	madv_gone(cell, pidfd);
}

static void r_zombie(struct cell_ctx *cell)
{
	int pidfd = -1;
	pid_t pid = zombie(&pidfd);

	madv_gone(cell, pidfd);
	reap(pid);
}

struct perm_arg {
	unsigned char *region;
	int pidfd;
	pid_t pid;
};

static int madvise_root_as_nobody(void *arg, struct answer *got)
{
	struct perm_arg *p = arg;
	struct iovec v = { p->region, page };

	errno = 0;
	got->ret = xmm_process_madvise(p->pidfd, &v, 1, MADV_COLD, 0);
	got->err = errno;
	return 0;
}

static void r_eacces(struct cell_ctx *cell)
{
	struct perm_arg p = { filled(1, 1), xmm_pidfd_open(getpid(), 0) };

	assert_true(p.pidfd >= 0);
	run_as_nobody(cell, madvise_root_as_nobody, &p);
	close(p.pidfd);
	munmap(p.region, page);
}

/* The access check decides alone: EACCES comes first, CAP_SYS_NICE or
 * not. */
static void r_eacces_nice(struct cell_ctx *cell)
{
	struct perm_arg p = { filled(1, 1), xmm_pidfd_open(getpid(), 0) };

	assert_true(p.pidfd >= 0);
	if (!harness_has_cap_sys_nice()) {
		snprintf(cell->cannot, sizeof(cell->cannot),
			 "no CAP_SYS_NICE to keep");
	} else {
		run_as_nobody_nice(cell, madvise_root_as_nobody, &p, true);
	}
	close(p.pidfd);
	munmap(p.region, page);
}

static int madvise_sibling_as_nobody(void *arg, struct answer *got)
{
	struct perm_arg *p = arg;
	struct iovec v = { p->region, page };
	struct harness_child sibling;

	/* setuid() made us non-dumpable; the sibling must be dumpable. */
	CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
	CHILD_CHECK(harness_child_start(&sibling, NULL, NULL) == 0);
	errno = 0;
	got->ret = xmm_process_madvise(sibling.pidfd, &v, 1, MADV_COLD, 0);
	got->err = errno;
	harness_child_stop(&sibling);
	return 0;
}

static void r_eperm(struct cell_ctx *cell)
{
	struct perm_arg p = { filled(1, 1), -1 };

	run_as_nobody(cell, madvise_sibling_as_nobody, &p);
	munmap(p.region, page);
}

#define M(c, m, fn, ret, err)	{ c, m, fn, ret, err, SELF_CANNOT }
#define R(c, m, fn, ret, err)	{ c, m, fn, ret, err, REMOTE_CANNOT }
#define PG	1L	/* one page: rows count bytes in pages */

static const struct row madvise_rows[] = {
	M("self: unknown flag bit", "ERRORS EINVAL: flags has a bit other "
	  "than XMM_PMADV_INJECT", m_unknown_flag, -1, EINVAL),
	M("self: vlen 1025", "ERRORS EINVAL: vlen is larger than IOV_MAX "
	  "(1024)", m_vlen_1025, -1, EINVAL),
	M("self: vlen 1024, one page each", "RETURN VALUE: the number of "
	  "bytes advised", m_vlen_1024, 1024 * PG, 0),
	M("self: vlen 0", "RETURN VALUE: the number of bytes advised (none)",
	  m_vlen_0, 0, 0),
	M("self: NULL iov, vlen 0", "RETURN VALUE: nothing to read, 0",
	  m_null_iov_vlen_0, 0, 0),
	M("self: NULL iov, vlen 1", "ERRORS EFAULT: the memory described by "
	  "iov cannot be read", m_null_iov, -1, EFAULT),
	M("self: iov at address 8", "ERRORS EFAULT: the memory described by "
	  "iov cannot be read", m_unreadable_iov, -1, EFAULT),
	M("self: iov_len > SSIZE_MAX", "ERRORS EINVAL: an iov_len does not "
	  "fit in ssize_t", m_len_over_ssize_max, -1, EINVAL),
	M("self: zero-length range", "RETURN VALUE: bytes advised, 0",
	  m_zero_length, 0, 0),
	M("self: unknown advice, zero-length range", "ERRORS EINVAL: advice "
	  "is not one that madvise(2) knows, even when no range is given",
	  m_unknown_advice_no_range, -1, EINVAL),
	M("self: unknown advice, vlen 0", "ERRORS EINVAL: advice is not one "
	  "that madvise(2) knows, even when no range is given",
	  m_unknown_advice_vlen_0, -1, EINVAL),
	M("self: unaligned start", "ERRORS EINVAL: madvise(2) refuses ... a "
	  "start address that is not page aligned", m_unaligned, -1, EINVAL),
	M("self: range wraps", "ERRORS EFAULT: a range wraps around the end "
	  "of the address space", m_wraps, -1, EFAULT),
	M("self: kernel-half address", "ERRORS EFAULT: ends above the top of "
	  "user space (access_ok)", m_kernel_half, -1, EFAULT),
	M("self: kernel-half second range", "ERRORS EFAULT: every range is "
	  "checked before any is advised", m_kernel_half_second, -1, EFAULT),
	M("self: hole", "ERRORS ENOMEM: a range is not mapped in the target",
	  m_hole, -1, ENOMEM),
	M("self: partial, hole in 2nd of 3", "RETURN VALUE: bytes advised "
	  "before the first element that failed", m_partial, PG, 0),
	M("self: overlapping ranges", "RETURN VALUE: bytes advised, each "
	  "range counted", m_overlap, 3 * PG, 0),
	M("self: two ranges advised", "RETURN VALUE: the number of bytes "
	  "advised", m_success, 3 * PG, 0),
	M("pidfd -1", "ERRORS EBADF: pidfd is not a PID file descriptor",
	  m_pidfd_minus_one, -1, EBADF),
	M("pidfd of /dev/null", "ERRORS EBADF: pidfd is not a PID file "
	  "descriptor", m_not_a_pidfd, -1, EBADF),
	R("child: MADV_COLD advised", "RETURN VALUE: the number of bytes "
	  "advised", r_success, 2 * PG, 0),
	R("child: MADV_DONTNEED (not remote)", "ERRORS EINVAL: advice is not "
	  "allowed for a remote target", r_advice_refused, -1, EINVAL),
	R("child: hole", "ERRORS ENOMEM: a range is not mapped in the target",
	  r_hole, -1, ENOMEM),
	R("child: kernel-half address", "ERRORS EFAULT: ends above the top "
	  "of user space (access_ok)", r_kernel_half, -1, EFAULT),
	R("child: vlen 1025", "ERRORS EINVAL: vlen is larger than IOV_MAX",
	  r_vlen_1025, -1, EINVAL),
	R("child: exited and reaped", "ERRORS ESRCH: the target has exited "
	  "and been reaped", r_reaped, -1, ESRCH),
	R("child: exited, not reaped (zombie)", "ERRORS ESRCH: the target "
	  "has exited (its memory is gone)", r_zombie, -1, ESRCH),
	R("nobody -> root target", "ERRORS EACCES: the ptrace access check "
	  "(PTRACE_MODE_READ_FSCREDS) failed", r_eacces, -1, EACCES),
	R("nobody with CAP_SYS_NICE -> root target", "ERRORS EACCES: the "
	  "ptrace access check (PTRACE_MODE_READ_FSCREDS) failed",
	  r_eacces_nice, -1, EACCES),
	R("nobody -> nobody, no CAP_SYS_NICE", "ERRORS EPERM: the caller "
	  "passes the access check but lacks CAP_SYS_NICE", r_eperm, -1,
	  EPERM),
};

OPERATION(madvise_op, "process_madvise", madvise_rows,
	  "native", "self-madvise", "inject");

static void test_process_madvise_table(void **state)
{
	harness_skip_under_valgrind("pidfd_open(2) answers ENOSYS (every "
				    "row needs a pidfd), and the inject "
				    "column's clone() is unsupported");
	run_table(&madvise_op);
}

/* ==== xmm_remap_anon_pages ==== */

/*
 * A mapping of its own (PROT_NONE guards around it, so that it never
 * merges with a neighbour): the destination is one whole mapping, which
 * is what the mremap backend serves.
 */
struct area {
	char *reserve;
	size_t reserve_len;
	char *addr;
};

static char *area_map(struct area *a, size_t pages, int prot, int flags,
		      int fd)
{
	size_t len = pages * page;

	a->reserve_len = len + 2 * page;
	a->reserve = mmap(NULL, a->reserve_len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(a->reserve != MAP_FAILED);
	a->addr = mmap(a->reserve + page, len, prot, flags | MAP_FIXED, fd,
		       0);
	assert_true(a->addr == a->reserve + page);
	return a->addr;
}

static char *anon(struct area *a, size_t pages)
{
	return area_map(a, pages, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1);
}

static void area_unmap(struct area *a)
{
	munmap(a->reserve, a->reserve_len);
}

/*
 * After the test unmapped the middle: only the guards, since the library
 * may have mapped a page of its own in the hole since (the uffd-move
 * backend's page that notices forks).
 */
static void area_unmap_guards(struct area *a)
{
	munmap(a->reserve, page);
	munmap(a->reserve + a->reserve_len - page, page);
}

/*
 * The common shape: src 4 pages filled (seed 7), dst 4 pages empty; the
 * call, then on an error: src unchanged and dst as empty as it was.
 */
static void remap_check(struct cell_ctx *cell, void *dst, void *src,
			size_t len, unsigned long flags, char *src_area,
			size_t src_pages, char *dst_area, size_t dst_resident)
{
	errno = 0;
	record(cell, xmm_remap_anon_pages(dst, src, len, flags));
	if (cell->got.ret != -1)
		return;
	if (src_area)
		assert_true(same_as_seed((unsigned char *)src_area,
					 src_pages, 7));
	if (dst_area)
		assert_int_equal(harness_resident_pages(dst_area, 4 * page),
				 (long)dst_resident);
}

/* What p_move() checks after a complete move, besides remap_check(). */
#define MOVED_TO_DST	0x1	/* dst holds src's bytes */
#define MOVED_FROM_SRC	0x2	/* and src has none left */

/*
 * The common shape on two areas of 4 pages the row mapped: src filled
 * (seed 7), the call from src + src_off to dst + dst_off, the checks,
 * then both areas unmapped.
 */
static void p_move(struct cell_ctx *cell, struct area *s, struct area *d,
		   size_t dst_off, size_t src_off, size_t len,
		   unsigned long flags, unsigned int moved_checks)
{
	char *src = s->addr, *dst = d->addr;

	harness_fill_random(src, 4 * page, 7);
	remap_check(cell, dst + dst_off, src + src_off, len, flags, src, 4,
		    dst, 0);
	if (cell->got.ret == (long)(4 * page)) {
		if (moved_checks & MOVED_TO_DST)
			assert_true(same_as_seed((unsigned char *)dst, 4, 7));
		if (moved_checks & MOVED_FROM_SRC)
			assert_int_equal(harness_resident_pages(src,
								4 * page), 0);
	}
	area_unmap(s);
	area_unmap(d);
}

static void p_plain(struct cell_ctx *cell, size_t dst_off, size_t src_off,
		    size_t len, unsigned long flags)
{
	struct area s, d;

	anon(&s, 4);
	anon(&d, 4);
	p_move(cell, &s, &d, dst_off, src_off, len, flags, 0);
}

static void p_unknown_flag(struct cell_ctx *cell)
{
	p_plain(cell, 0, 0, 4 * page, 0x2);
}

static void p_len_0(struct cell_ctx *cell)
{
	p_plain(cell, 0, 0, 0, 0);
}

static void p_unaligned_src(struct cell_ctx *cell)
{
	p_plain(cell, 0, 1, page, 0);
}

static void p_unaligned_len(struct cell_ctx *cell)
{
	p_plain(cell, 0, 0, page + 1, 0);
}

static void p_wraps(struct cell_ctx *cell)
{
	struct area s;
	char *src = anon(&s, 4);

	harness_fill_random(src, 4 * page, 7);
	remap_check(cell, (void *)(UINTPTR_MAX - page + 1), src, 2 * page, 0,
		    src, 4, NULL, 0);
	area_unmap(&s);
}

static void p_overlap(struct cell_ctx *cell)
{
	struct area s;
	char *src = anon(&s, 4);

	harness_fill_random(src, 4 * page, 7);
	remap_check(cell, src + page, src, 2 * page, 0, src, 4, NULL, 0);
	area_unmap(&s);
}

static void p_dst_unmapped(struct cell_ctx *cell)
{
	struct area s, d;
	char *src = anon(&s, 4), *dst = anon(&d, 4);

	harness_fill_random(src, 4 * page, 7);
	assert_int_equal(munmap(dst, 4 * page), 0);
	remap_check(cell, dst, src, 4 * page, 0, src, 4, NULL, 0);
	area_unmap(&s);
	area_unmap_guards(&d);
}

static void p_src_unmapped(struct cell_ctx *cell)
{
	struct area s, d;
	char *src = anon(&s, 4), *dst = anon(&d, 4);

	assert_int_equal(munmap(src, 4 * page), 0);
	remap_check(cell, dst, src, 4 * page, XMM_RAP_ALLOW_SRC_HOLES, NULL,
		    0, dst, 0);
	area_unmap_guards(&s);
	area_unmap(&d);
}

static void p_kernel_half_dst(struct cell_ctx *cell)
{
	struct area s;
	char *src;

	if (!kernel_half_here(cell))
		return;
	src = anon(&s, 4);
	harness_fill_random(src, 4 * page, 7);
	remap_check(cell, (void *)kernel_half, src, 4 * page, 0, src, 4,
		    NULL, 0);
	area_unmap(&s);
}

static void p_src_shared(struct cell_ctx *cell)
{
	struct area s, d;

	area_map(&s, 4, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
		 -1);
	anon(&d, 4);
	p_move(cell, &s, &d, 0, 0, 4 * page, 0, 0);
}

static void p_dst_file(struct cell_ctx *cell)
{
	FILE *tmp = tmpfile();
	struct area s, d;

	assert_non_null(tmp);
	assert_int_equal(ftruncate(fileno(tmp), 4 * page), 0);
	anon(&s, 4);
	area_map(&d, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE, fileno(tmp));
	p_move(cell, &s, &d, 0, 0, 4 * page, 0, 0);
	fclose(tmp);
}

static void p_prot_differs(struct cell_ctx *cell)
{
	struct area s, d;

	anon(&s, 4);
	area_map(&d, 4, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	p_move(cell, &s, &d, 0, 0, 4 * page, 0, 0);
}

static void p_mlock_differs(struct cell_ctx *cell)
{
	struct area s, d;
	char *src = anon(&s, 4);

	anon(&d, 4);
	/* The system call itself: ASan's mlock() does nothing. */
	if (syscall(SYS_mlock, src, 4 * page) == 0) {
		/* Unmapped at the end, it is unlocked too. */
		p_move(cell, &s, &d, 0, 0, 4 * page, 0, 0);
		return;
	}
	snprintf(cell->cannot, sizeof(cell->cannot), "mlock(2) refused: %s",
		 strerror(errno));
	area_unmap(&s);
	area_unmap(&d);
}

static void p_crosses_mapping(struct cell_ctx *cell)
{
	/* From the last page of dst into its PROT_NONE guard. */
	p_plain(cell, 3 * page, 0, 2 * page, 0);
}

/* dst page k populated (value 0x5a): a move stops there. */
static void p_dst_populated(struct cell_ctx *cell, size_t k)
{
	struct area s, d;
	char *src = anon(&s, 4), *dst = anon(&d, 4);

	harness_fill_random(src, 4 * page, 7);
	memset(dst + k * page, 0x5a, page);
	errno = 0;
	record(cell, xmm_remap_anon_pages(dst, src, 4 * page, 0));
	/* The populated page is never overwritten. */
	assert_int_equal(dst[k * page], 0x5a);
	assert_int_equal(dst[k * page + page - 1], 0x5a);
	if (cell->got.ret == -1)
		assert_true(same_as_seed((unsigned char *)src, 4, 7));
	else if (cell->got.ret == (long)(k * page))
		assert_true(same_as_seed((unsigned char *)dst, k, 7) &&
			    harness_resident_pages(src, k * page) == 0);
	area_unmap(&s);
	area_unmap(&d);
}

static void p_eexist_first(struct cell_ctx *cell)
{
	p_dst_populated(cell, 0);
}

static void p_eexist_third(struct cell_ctx *cell)
{
	p_dst_populated(cell, 2);
}

/* src page k a hole. */
static void p_src_hole(struct cell_ctx *cell, size_t k, unsigned long flags)
{
	struct area s, d;
	char *src = anon(&s, 4), *dst = anon(&d, 4);

	harness_fill_random(src, 4 * page, 7);
	assert_int_equal(madvise(src + k * page, page, MADV_DONTNEED), 0);
	errno = 0;
	record(cell, xmm_remap_anon_pages(dst, src, 4 * page, flags));
	if (cell->got.ret == -1)
		assert_int_equal(harness_resident_pages(dst, 4 * page), 0);
	if (cell->got.ret == (long)(4 * page)) {
		/* With holes allowed: a hole in src stays a hole in dst. */
		assert_int_equal(harness_resident_pages(dst + k * page,
							page), 0);
		assert_int_equal(harness_resident_pages(src, 4 * page), 0);
	}
	area_unmap(&s);
	area_unmap(&d);
}

static void p_enoent_first(struct cell_ctx *cell)
{
	p_src_hole(cell, 0, 0);
}

static void p_enoent_second(struct cell_ctx *cell)
{
	p_src_hole(cell, 1, 0);
}

static void p_holes_allowed(struct cell_ctx *cell)
{
	p_src_hole(cell, 1, XMM_RAP_ALLOW_SRC_HOLES);
}

static void p_ebusy_uffd(struct cell_ctx *cell)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = { .mode = UFFDIO_REGISTER_MODE_MISSING };
	struct area s, d;
	char *src, *dst;
	int uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK |
				UFFD_USER_MODE_ONLY);

	if (uffd < 0)
		uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0) {
		snprintf(cell->cannot, sizeof(cell->cannot),
			 "userfaultfd(2) refused here: %s", strerror(errno));
		return;
	}
	assert_int_equal(ioctl(uffd, UFFDIO_API, &api), 0);
	src = anon(&s, 4);
	dst = anon(&d, 4);
	harness_fill_random(src, 4 * page, 7);
	reg.range.start = (uintptr_t)dst;
	reg.range.len = 4 * page;
	assert_int_equal(ioctl(uffd, UFFDIO_REGISTER, &reg), 0);
	remap_check(cell, dst, src, 4 * page, 0, src, 4, dst, 0);
	/* The caller's registration is still there. */
	assert_int_equal(ioctl(uffd, UFFDIO_UNREGISTER, &reg.range), 0);
	close(uffd);
	area_unmap(&s);
	area_unmap(&d);
}

static void p_dev_zero(struct cell_ctx *cell)
{
	int zero = open("/dev/zero", O_RDWR | O_CLOEXEC);
	struct area s, d;

	assert_true(zero >= 0);
	area_map(&s, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero);
	area_map(&d, 4, PROT_READ | PROT_WRITE, MAP_PRIVATE, zero);
	p_move(cell, &s, &d, 0, 0, 4 * page, 0, MOVED_TO_DST);
	close(zero);
}

static void p_success(struct cell_ctx *cell)
{
	struct area s, d;

	anon(&s, 4);
	anon(&d, 4);
	p_move(cell, &s, &d, 0, 0, 4 * page, 0,
	       MOVED_TO_DST | MOVED_FROM_SRC);
}

#define P(c, m, fn, ret, err)	{ c, m, fn, ret, err, { NULL } }

static const struct row remap_rows[] = {
	P("unknown flag bit", "ERRORS EINVAL: flags has a bit other than "
	  "XMM_RAP_ALLOW_SRC_HOLES", p_unknown_flag, -1, EINVAL),
	P("len 0", "ERRORS EINVAL: len is zero", p_len_0, -1, EINVAL),
	P("src not page aligned", "ERRORS EINVAL: dst, src or len is not a "
	  "multiple of the page size", p_unaligned_src, -1, EINVAL),
	P("len not page aligned", "ERRORS EINVAL: dst, src or len is not a "
	  "multiple of the page size", p_unaligned_len, -1, EINVAL),
	P("dst range wraps", "ERRORS EINVAL: a range wraps around the end of "
	  "the address space", p_wraps, -1, EINVAL),
	P("ranges overlap", "ERRORS EINVAL: the ranges overlap", p_overlap,
	  -1, EINVAL),
	P("dst unmapped", "ERRORS EINVAL: a range is not entirely inside one "
	  "mapping (part of it is unmapped)", p_dst_unmapped, -1, EINVAL),
	P("src unmapped, holes allowed", "ERRORS EINVAL: a range is not "
	  "entirely inside one mapping", p_src_unmapped, -1, EINVAL),
	P("dst in the kernel's half", "ERRORS EINVAL: a range is not "
	  "entirely inside one mapping", p_kernel_half_dst, -1, EINVAL),
	P("dst crosses into another mapping", "ERRORS EINVAL: ... or it "
	  "crosses from one mapping into another", p_crosses_mapping, -1,
	  EINVAL),
	P("src MAP_SHARED", "ERRORS EINVAL: a mapping is shared "
	  "(MAP_SHARED)", p_src_shared, -1, EINVAL),
	P("dst backed by a file", "ERRORS EINVAL: a mapping is ... backed "
	  "by a file", p_dst_file, -1, EINVAL),
	P("protections differ", "ERRORS EINVAL: the two mappings differ in "
	  "protection", p_prot_differs, -1, EINVAL),
	P("mlock state differs", "ERRORS EINVAL: the two mappings differ "
	  "in protection or in mlock(2) state", p_mlock_differs, -1, EINVAL),
	P("dst page 1 populated", "ERRORS EEXIST: the first page of dst is "
	  "already populated", p_eexist_first, -1, EEXIST),
	P("dst page 3 populated", "RETURN VALUE: the bytes moved before the "
	  "page that stopped the move", p_eexist_third, 2 * PG, 0),
	P("src page 1 a hole", "ERRORS ENOENT: the first page of src is "
	  "unpopulated", p_enoent_first, -1, ENOENT),
	P("src page 2 a hole", "RETURN VALUE: the bytes moved before the "
	  "page that stopped the move", p_enoent_second, PG, 0),
	P("src page 2 a hole, holes allowed", "DESCRIPTION: "
	  "XMM_RAP_ALLOW_SRC_HOLES: holes are skipped and counted as moved",
	  p_holes_allowed, 4 * PG, 0),
	P("dst registered with caller's uffd", "ERRORS EBUSY: the mapping "
	  "that holds dst is registered with a userfaultfd", p_ebusy_uffd,
	  -1, EBUSY),
	P("MAP_PRIVATE /dev/zero both", "ERRORS EINVAL: a private mapping of "
	  "/dev/zero is anonymous memory ... and is moved", p_dev_zero,
	  4 * PG, 0),
	P("4 pages moved", "RETURN VALUE: the number of bytes moved",
	  p_success, 4 * PG, 0),
};

OPERATION(remap_op, "remap_anon_pages", remap_rows,
	  "native", "uffd-move", "mremap", "copy");

static void test_remap_anon_pages_table(void **state)
{
	run_table(&remap_op);
}

/* ==== xmm_process_vm_mmap ==== */

/* Columns: native, shared, readv, proc-mem. */
#define PRIVATE_CANNOT	{ NULL, "shared maps only MAP_SHARED sources", \
			  NULL, NULL }
#define SHARED_WHY	"a copy would not stay shared with the target"
#define SHARED_CANNOT	{ NULL, NULL, SHARED_WHY, SHARED_WHY }

/* A target child holding 4 private pages (seed 9) and 4 shared pages. */
struct target {
	struct harness_child child;
	unsigned char *priv;
	unsigned char *shared;
};

static void target_map(struct target *t)
{
	t->priv = filled(4, 9);
	t->shared = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
			 MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	assert_true(t->shared != MAP_FAILED);
	harness_fill_random(t->shared, 4 * page, 9);
}

static bool target_start(struct cell_ctx *cell, struct target *t)
{
	if (!t->priv)
		target_map(t);
	return child_start(cell, &t->child);
}

static void target_stop(struct target *t)
{
	if (t->child.pid > 0)
		harness_child_stop(&t->child);
	munmap(t->priv, 4 * page);
	munmap(t->shared, 4 * page);
}

/*
 * The call against the target; a clone it returns is compared with the
 * source and unmapped.  Our own copies of the regions must not change.
 */
static void pvm_call(struct cell_ctx *cell, struct target *t, pid_t pid,
		     void *src, size_t len, void *dst, unsigned long flags)
{
	void *got;

	errno = 0;
	got = xmm_process_vm_mmap(pid, src, len, dst, flags);
	if (got == MAP_FAILED) {
		record(cell, -1);
	} else {
		/* The answer of a success: the length cloned. */
		cell->got.ret = (long)len;
		assert_true(same_as_seed(got, len / page, 9));
		assert_int_equal(munmap(got, len), 0);
	}
	assert_true(same_as_seed(t->priv, 4, 9));
	assert_true(same_as_seed(t->shared, 4, 9));
}

static void pvm_simple(struct cell_ctx *cell, size_t src_off, size_t len,
		       void *dst, unsigned long flags, bool shared)
{
	struct target t = { 0 };

	if (target_start(cell, &t))
		pvm_call(cell, &t, t.child.pid,
			 (shared ? t.shared : t.priv) + src_off, len, dst,
			 flags);
	target_stop(&t);
}

static void v_unknown_flag(struct cell_ctx *cell)
{
	pvm_simple(cell, 0, 4 * page, NULL, 0x4, false);
}

static void v_len_0(struct cell_ctx *cell)
{
	pvm_simple(cell, 0, 0, NULL, 0, false);
}

/* pid in place of the target's: the target child itself. */
#define TARGET_PID	INT_MIN

/*
 * The call for pid (or the running target's), from src (NULL: the
 * target's private pages) with no dst.
 */
static void pvm_pid(struct cell_ctx *cell, pid_t pid, void *src, size_t len)
{
	struct target t = { 0 };

	if (target_start(cell, &t))
		pvm_call(cell, &t, pid == TARGET_PID ? t.child.pid : pid,
			 src ? src : t.priv, len, NULL, 0);
	target_stop(&t);
}

static void v_pid_0(struct cell_ctx *cell)
{
	pvm_pid(cell, 0, NULL, page);
}

static void v_pid_negative(struct cell_ctx *cell)
{
	pvm_pid(cell, -1, NULL, page);
}

static void v_wraps(struct cell_ctx *cell)
{
	pvm_pid(cell, TARGET_PID, (void *)(UINTPTR_MAX - page + 1),
		2 * page);
}

static void v_fixed_unaligned(struct cell_ctx *cell)
{
	unsigned char *dst = filled(4, 5);

	pvm_simple(cell, 0, page, dst + 1, XMM_PVMMAP_FIXED, false);
	assert_true(same_as_seed(dst, 4, 5));
	munmap(dst, 4 * page);
}

static void v_no_such_pid(struct cell_ctx *cell)
{
	pvm_pid(cell, reaped_pid(NULL), NULL, page);
}

static void v_zombie(struct cell_ctx *cell)
{
	pid_t pid = zombie(NULL);

	pvm_pid(cell, pid, NULL, page);
	reap(pid);
}

static void v_src_unmapped(struct cell_ctx *cell)
{
	struct target t = { 0 };
	unsigned char *hole;

	target_map(&t);	/* first, so that nothing is mapped in the hole */
	hole = filled(1, 1);
	assert_int_equal(munmap(hole, page), 0);
	if (target_start(cell, &t))
		pvm_call(cell, &t, t.child.pid, hole, page, NULL, 0);
	target_stop(&t);
}

static void v_src_crosses_hole(struct cell_ctx *cell)
{
	struct target t = { 0 };
	unsigned char *two;

	target_map(&t);
	two = filled(2, 9);
	assert_int_equal(munmap(two + page, page), 0);
	if (target_start(cell, &t))
		pvm_call(cell, &t, t.child.pid, two, 2 * page, NULL, 0);
	target_stop(&t);
	munmap(two, page);
}

static void v_noreplace_occupied(struct cell_ctx *cell)
{
	unsigned char *dst = filled(4, 5);

	pvm_simple(cell, 0, 4 * page, dst, XMM_PVMMAP_FIXED_NOREPLACE,
		   false);
	assert_true(same_as_seed(dst, 4, 5));
	munmap(dst, 4 * page);
}

static void v_kernel_half_fixed(struct cell_ctx *cell)
{
	if (!kernel_half_here(cell))
		return;
	pvm_simple(cell, 0, page, (void *)kernel_half, XMM_PVMMAP_FIXED,
		   false);
}

static void v_private(struct cell_ctx *cell)
{
	pvm_simple(cell, 0, 4 * page, NULL, 0, false);
}

static void v_private_unaligned_src(struct cell_ctx *cell)
{
	struct target t = { 0 };
	void *got;

	/* src rounded down, len rounded up: the first two pages. */
	if (target_start(cell, &t)) {
		errno = 0;
		got = xmm_process_vm_mmap(t.child.pid, t.priv + 10, page + 1,
					  NULL, 0);
		if (got == MAP_FAILED) {
			record(cell, -1);
		} else {
			cell->got.ret = 2 * (long)page;
			assert_true(same_as_seed(got, 1, 9));
			munmap(got, 2 * page);
		}
	}
	target_stop(&t);
}

static void v_private_fixed_over(struct cell_ctx *cell)
{
	unsigned char *dst = filled(4, 5);

	pvm_simple(cell, 0, 4 * page, dst, XMM_PVMMAP_FIXED, false);
	munmap(dst, 4 * page);
}

static void v_shared(struct cell_ctx *cell)
{
	pvm_simple(cell, 0, 4 * page, NULL, 0, true);
}

static int pvm_root_as_nobody(void *arg, struct answer *got)
{
	struct perm_arg *p = arg;
	void *clone;

	errno = 0;
	clone = xmm_process_vm_mmap(p->pid, p->region, page, NULL, 0);
	got->ret = clone == MAP_FAILED ? -1 : (long)page;
	got->err = clone == MAP_FAILED ? errno : 0;
	return 0;
}

static void v_eperm(struct cell_ctx *cell)
{
	struct perm_arg p = { filled(1, 9), -1, getpid() };

	run_as_nobody(cell, pvm_root_as_nobody, &p);
	assert_true(same_as_seed(p.region, 1, 9));
	munmap(p.region, page);
}

#define VP(c, m, fn, ret, err)	{ c, m, fn, ret, err, PRIVATE_CANNOT }
#define VS(c, m, fn, ret, err)	{ c, m, fn, ret, err, SHARED_CANNOT }

static const struct row vm_mmap_rows[] = {
	VP("unknown flag bit", "ERRORS EINVAL: flags has an unknown bit",
	   v_unknown_flag, -1, EINVAL),
	VP("len 0", "ERRORS EINVAL: len is 0", v_len_0, -1, EINVAL),
	VP("pid 0", "ERRORS EINVAL: pid is 0 or negative", v_pid_0, -1,
	   EINVAL),
	VP("pid -1", "ERRORS EINVAL: pid is 0 or negative", v_pid_negative,
	   -1, EINVAL),
	VP("src range wraps", "ERRORS EINVAL: the rounded range wraps around "
	   "the end of the address space", v_wraps, -1, EINVAL),
	VP("FIXED, dst not page aligned", "ERRORS EINVAL: an exact placement "
	   "was asked with a dst_addr that is not page aligned",
	   v_fixed_unaligned, -1, EINVAL),
	VP("no such pid", "ERRORS ESRCH: no process has the ID pid",
	   v_no_such_pid, -1, ESRCH),
	VP("exited, not reaped (zombie)", "ERRORS ESRCH: or it has exited (a "
	   "zombie has no memory)", v_zombie, -1, ESRCH),
	VP("src unmapped", "ERRORS EFAULT: nothing is mapped there",
	   v_src_unmapped, -1, EFAULT),
	VP("src crosses into a hole", "ERRORS EFAULT: the source range is not "
	   "inside one mapping", v_src_crosses_hole, -1, EFAULT),
	VP("FIXED_NOREPLACE, dst occupied", "ERRORS EEXIST: something is "
	   "mapped in [dst_addr, dst_addr + len)", v_noreplace_occupied, -1,
	   EEXIST),
	VP("FIXED, dst in the kernel's half", "ERRORS ENOMEM: the caller's "
	   "address space has no room for the mapping", v_kernel_half_fixed,
	   -1, ENOMEM),
	VP("private anonymous, 4 pages", "RETURN VALUE: the address of the "
	   "clone", v_private, 4 * PG, 0),
	VP("unaligned src, len page + 1", "DESCRIPTION: src_addr rounded "
	   "down, len rounded up", v_private_unaligned_src, 2 * PG, 0),
	VP("FIXED over our own mapping", "DESCRIPTION: XMM_PVMMAP_FIXED "
	   "replaces what is mapped at dst_addr", v_private_fixed_over, 4 * PG,
	   0),
	VS("MAP_SHARED anonymous, 4 pages", "RETURN VALUE: the address of "
	   "the clone (shared with the target)", v_shared, 4 * PG, 0),
	VP("nobody -> root target", "ERRORS EPERM: the caller may not read "
	   "the target's memory (PTRACE_MODE_ATTACH_REALCREDS)", v_eperm, -1,
	   EPERM),
};

OPERATION(vm_mmap_op, "process_vm_mmap", vm_mmap_rows,
	  "native", "shared", "readv", "proc-mem");

static void test_process_vm_mmap_table(void **state)
{
	run_table(&vm_mmap_op);
}

static int group_setup(void **state)
{
	page = harness_page_size();
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process_madvise_table),
		cmocka_unit_test(test_remap_anon_pages_table),
		cmocka_unit_test(test_process_vm_mmap_table),
	};

	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_PROCESS_VM_READV |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
