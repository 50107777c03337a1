// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_vma_read(), xmm_vma_match() and xmm_mem_usage() against real
 * processes built for the purpose: thousands of mappings, names with
 * spaces, deleted files, named anonymous memory, shared memory.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif

#define MANY_VMAS	3000

static const struct xmm_vma *find_vma(const struct xmm_vma_list *list,
				      unsigned long addr)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (list->vmas[i].start <= addr && addr < list->vmas[i].end)
			return &list->vmas[i];
	return NULL;
}

/*
 * Anonymous read-write memory between two PROT_NONE guard pages, so that
 * it cannot merge with a neighbour and stays one mapping of its own.
 */
static char *map_fenced(size_t len)
{
	size_t page = harness_page_size();
	char *guard = mmap(NULL, len + 2 * page, PROT_NONE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

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

/* Alternate protections page by page so that no two mappings merge. */
static void alternate_protections(void *arg)
{
	char *region = arg;
	size_t page = harness_page_size(), i;

	for (i = 0; i < MANY_VMAS; i += 2)
		if (mprotect(region + i * page, page, PROT_READ) < 0)
			_exit(1);
}

static void test_thousands_of_vmas(void **state)
{
	size_t page = harness_page_size(), i, inside = 0;
	struct harness_child child;
	struct xmm_vma_list list;
	char *region;

	region = map_fenced(MANY_VMAS * page);
	assert_true(region != MAP_FAILED);
	harness_child_or_skip(&child, alternate_protections, region);
	assert_int_equal(xmm_vma_read(child.pidfd, 0, &list), 0);
	assert_int_equal(list.malformed, 0);
	for (i = 0; i < list.count; i++) {
		const struct xmm_vma *v = &list.vmas[i];
		size_t index = (v->start - (unsigned long)region) / page;

		if (v->start < (unsigned long)region ||
		    v->start >= (unsigned long)region + MANY_VMAS * page)
			continue;
		inside++;
		assert_int_equal(v->end - v->start, page);
		assert_int_equal(v->prot, index % 2 ? PROT_READ | PROT_WRITE :
					  PROT_READ);
		assert_int_equal(v->vma_class, XMM_VMA_CLASS_ANON);
	}
	assert_int_equal(inside, MANY_VMAS);
	assert_true(list.count > MANY_VMAS);
	xmm_vma_list_free(&list);
	assert_null(list.vmas);
	harness_child_stop(&child);
	unmap_fenced(region, MANY_VMAS * page);
}

struct named_maps {
	char path[128];		/* a file whose name has spaces */
	char deleted[128];	/* a file unlinked while mapped */
	void *path_map, *deleted_map, *anon_map, *shared_map;
	int anon_named;
};

static void *map_new_file(const char *path, int unlink_it)
{
	int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	void *map;

	if (fd < 0 || ftruncate(fd, 4 * 4096) < 0)
		return MAP_FAILED;
	map = mmap(NULL, 4 * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (unlink_it)
		unlink(path);
	return map;
}

/* /var/tmp where there is one; a diskless guest has only /tmp. */
static const char *temp_dir(void)
{
	return access("/var/tmp", W_OK | X_OK) == 0 ? "/var/tmp" : "/tmp";
}

static void test_names(void **state)
{
	struct named_maps m = { .anon_named = 1 };
	struct xmm_vma_list list;
	const struct xmm_vma *v;
	int memfd;
	size_t i;

	snprintf(m.path, sizeof(m.path), "%s/xmm test %d name (x)",
		 temp_dir(), (int)getpid());
	snprintf(m.deleted, sizeof(m.deleted), "%s/xmm-deleted-%d",
		 temp_dir(), (int)getpid());
	m.path_map = map_new_file(m.path, 1);
	m.deleted_map = map_new_file(m.deleted, 1);
	assert_true(m.path_map != MAP_FAILED && m.deleted_map != MAP_FAILED);
	m.anon_map = mmap(NULL, 8192, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(m.anon_map != MAP_FAILED);
	if (prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, m.anon_map, 8192,
		  "xmm test name") < 0)
		m.anon_named = 0;	/* no CONFIG_ANON_VMA_NAME */
	memfd = memfd_create("xmm shared", 0);
	assert_true(memfd >= 0 && ftruncate(memfd, 8192) == 0);
	m.shared_map = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED,
			    memfd, 0);
	assert_true(m.shared_map != MAP_FAILED);
	close(memfd);

	assert_int_equal(xmm_vma_read(XMM_PIDFD_SELF, 0, &list), 0);

	/* Unlinked, so " (deleted)" follows a name with spaces and parens. */
	v = find_vma(&list, (unsigned long)m.path_map);
	assert_non_null(v);
	assert_string_equal(v->name, m.path);
	assert_int_equal(v->flags, XMM_VMA_F_DELETED);
	assert_int_equal(v->vma_class, XMM_VMA_CLASS_FILE);
	assert_true(v->inode != 0);
	assert_int_equal(v->prot, PROT_READ);

	v = find_vma(&list, (unsigned long)m.deleted_map);
	assert_non_null(v);
	assert_string_equal(v->name, m.deleted);
	assert_true(v->flags & XMM_VMA_F_DELETED);

	v = find_vma(&list, (unsigned long)m.anon_map);
	assert_non_null(v);
	assert_int_equal(v->vma_class, XMM_VMA_CLASS_ANON);
	if (m.anon_named)
		assert_string_equal(v->name, "[anon:xmm test name]");

	v = find_vma(&list, (unsigned long)m.shared_map);
	assert_non_null(v);
	assert_string_equal(v->name, "/memfd:xmm shared");
	assert_int_equal(v->flags, XMM_VMA_F_SHARED | XMM_VMA_F_DELETED);
	assert_int_equal(v->vma_class, XMM_VMA_CLASS_SHMEM);

	/* By name: under valgrind our stack is not the main [stack]. */
	for (i = 0; i < list.count; i++)
		if (!strcmp(list.vmas[i].name, "[stack]"))
			break;
	assert_true(i < list.count);
	assert_int_equal(list.vmas[i].vma_class, XMM_VMA_CLASS_STACK);

	xmm_vma_list_free(&list);
	munmap(m.path_map, 4 * 4096);
	munmap(m.deleted_map, 4 * 4096);
	munmap(m.anon_map, 8192);
	munmap(m.shared_map, 8192);
}

#define TOUCHED_PAGES	37

static void touch_some(void *arg)
{
	char *region = arg;
	size_t i;

	for (i = 0; i < TOUCHED_PAGES; i++)
		region[i * 2 * harness_page_size()] = 1;
}

static void test_pagemap_counts(void **state)
{
	size_t page = harness_page_size(), len = 128 * page;
	struct harness_child child;
	struct xmm_vma_list list;
	const struct xmm_vma *v;
	char *region;

	region = map_fenced(len);
	assert_true(region != MAP_FAILED);
	harness_child_or_skip(&child, touch_some, region);
	assert_int_equal(xmm_vma_read(child.pidfd, XMM_VMA_READ_PAGEMAP,
				      &list), 0);
	v = find_vma(&list, (unsigned long)region);
	assert_non_null(v);
	assert_true(v->flags & XMM_VMA_F_PAGEMAP);
	assert_int_equal(v->resident_pages, TOUCHED_PAGES);
	assert_int_equal(v->swapped_pages, 0);
	xmm_vma_list_free(&list);
	harness_child_stop(&child);
	unmap_fenced(region, len);
}

static void test_selectors(void **state)
{
	struct xmm_vma v = {
		.start = 0x10000, .end = 0x20000,
		.prot = PROT_READ | PROT_WRITE,
		.vma_class = XMM_VMA_CLASS_FILE,
		.name = "/usr/lib/libfoo.so.1",
	};
	struct xmm_vma_select s = { 0 };

	assert_int_equal(xmm_vma_match(&v, NULL), 1);
	assert_int_equal(xmm_vma_match(&v, &s), 1);
	s.classes = XMM_VMA_CLASS_ANON | XMM_VMA_CLASS_HEAP;
	assert_int_equal(xmm_vma_match(&v, &s), 0);
	s.classes |= XMM_VMA_CLASS_FILE;
	assert_int_equal(xmm_vma_match(&v, &s), 1);
	s.pattern = "*libfoo*";
	assert_int_equal(xmm_vma_match(&v, &s), 1);
	s.pattern = "*libbar*";
	assert_int_equal(xmm_vma_match(&v, &s), 0);
	s.pattern = "/usr/*/libfoo.so.?";
	s.fnmatch_flags = FNM_PATHNAME;
	assert_int_equal(xmm_vma_match(&v, &s), 1);
	s.prot_set = PROT_WRITE;
	assert_int_equal(xmm_vma_match(&v, &s), 1);
	s.prot_clear = PROT_EXEC;
	assert_int_equal(xmm_vma_match(&v, &s), 1);
	s.prot_clear = PROT_READ;
	assert_int_equal(xmm_vma_match(&v, &s), 0);
	s.prot_clear = 0;
	s.min_size = 0x10000;
	assert_int_equal(xmm_vma_match(&v, &s), 1);
	s.min_size = 0x10001;
	assert_int_equal(xmm_vma_match(&v, &s), 0);
	s.min_size = 0;
	s.max_size = 0xffff;
	assert_int_equal(xmm_vma_match(&v, &s), 0);
	s.max_size = 0x10000;
	assert_int_equal(xmm_vma_match(&v, &s), 1);
	s.addr_min = 0x20000;
	s.addr_max = 0x30000;
	assert_int_equal(xmm_vma_match(&v, &s), 0);
	s.addr_min = 0x1f000;
	assert_int_equal(xmm_vma_match(&v, &s), 1);

	/* Special mappings only when asked for by class. */
	v.vma_class = XMM_VMA_CLASS_SPECIAL;
	assert_int_equal(xmm_vma_match(&v, NULL), 0);
	memset(&s, 0, sizeof(s));
	s.classes = XMM_VMA_CLASS_SPECIAL;
	assert_int_equal(xmm_vma_match(&v, &s), 1);
}

static void test_selector_errors(void **state)
{
	struct xmm_vma v = { .end = 0x1000, .vma_class = XMM_VMA_CLASS_ANON,
			     .name = "" };
	struct xmm_vma_select s = { .classes = 0x100 };

	errno = 0;
	assert_int_equal(xmm_vma_match(&v, &s), -1);
	assert_int_equal(errno, EINVAL);
	memset(&s, 0, sizeof(s));
	s.min_size = 2;
	s.max_size = 1;
	assert_int_equal(xmm_vma_match(&v, &s), -1);
	assert_int_equal(errno, EINVAL);
	memset(&s, 0, sizeof(s));
	s.addr_min = 0x2000;
	s.addr_max = 0x1000;
	assert_int_equal(xmm_vma_match(&v, &s), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xmm_vma_match(NULL, NULL), -1);
	assert_int_equal(errno, EINVAL);
}

#define USAGE_BYTES	(16UL << 20)

static void fill_usage(void *arg)
{
	memset(arg, 0x5a, USAGE_BYTES);
}

static void test_mem_usage(void **state)
{
	struct harness_child child;
	struct xmm_mem_usage usage;
	void *region;

	region = mmap(NULL, USAGE_BYTES, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(region != MAP_FAILED);
	harness_child_or_skip(&child, fill_usage, region);
	assert_int_equal(xmm_mem_usage(child.pidfd, 0, &usage), 0);
	assert_true(usage.rss_anon >= USAGE_BYTES);
	assert_true(usage.rss >= usage.rss_anon);
	assert_int_equal(usage.flags, 0);
	assert_int_equal(usage.pss, 0);
	assert_int_equal(xmm_mem_usage(child.pidfd, XMM_MEM_ROLLUP, &usage),
			 0);
	assert_int_equal(usage.flags, XMM_MEM_ROLLUP);
	assert_true(usage.pss_anon >= USAGE_BYTES);
	harness_child_stop(&child);
	munmap(region, USAGE_BYTES);
}

static int read_without_memory(void *arg)
{
	struct xmm_mem_usage usage;
	struct xmm_vma_list list;
	int pidfd = *(int *)arg;
	int limited = harness_limit_address_space();

	if (limited == HARNESS_NO_LIMIT)
		return HARNESS_NO_LIMIT;
	CHILD_CHECK(limited == 0);
	CHILD_CHECK(xmm_vma_read(pidfd, 0, &list) == -1);
	CHILD_CHECK(errno == ENOMEM);
	CHILD_CHECK(xmm_mem_usage(pidfd, 0, &usage) == -1);
	CHILD_CHECK(errno == ENOMEM);
	return 0;
}

static void test_out_of_memory(void **state)
{
	size_t page = harness_page_size();
	struct harness_child child;
	char *region = map_fenced(MANY_VMAS * page);
	int ret;

	assert_true(region != MAP_FAILED);
	harness_child_or_skip(&child, alternate_protections, region);
	ret = harness_run_in_child(read_without_memory, &child.pidfd);
	harness_child_stop(&child);
	unmap_fenced(region, MANY_VMAS * page);
	if (ret == HARNESS_NO_LIMIT)
		harness_skip("malloc() is not glibc's here (ASan, valgrind): "
			     "no way to run it out of memory");
	assert_int_equal(ret, 0);
}

static int read_root_maps_as_nobody(void *arg)
{
	struct xmm_mem_usage usage;
	struct xmm_vma_list list;
	int pidfd = *(int *)arg;

	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(xmm_vma_read(pidfd, 0, &list) == -1);
	CHILD_CHECK(errno == EACCES);
	/* status is public; smaps_rollup is not. */
	CHILD_CHECK(xmm_mem_usage(pidfd, 0, &usage) == 0);
	CHILD_CHECK(xmm_mem_usage(pidfd, XMM_MEM_ROLLUP, &usage) == -1);
	CHILD_CHECK(errno == EACCES);
	return 0;
}

static void test_errors(void **state)
{
	struct harness_child child;
	struct xmm_mem_usage usage;
	struct xmm_vma_list list;
	int fd, pidfd;

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(xmm_vma_read(fd, 0, &list), -1);
	assert_int_equal(errno, EBADF);
	assert_int_equal(xmm_mem_usage(fd, 0, &usage), -1);
	assert_int_equal(errno, EBADF);
	close(fd);

	assert_int_equal(xmm_vma_read(XMM_PIDFD_SELF, 0x80, &list), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xmm_vma_read(XMM_PIDFD_SELF, 0, NULL), -1);
	assert_int_equal(errno, EINVAL);
	assert_int_equal(xmm_mem_usage(XMM_PIDFD_SELF, 0x80, &usage), -1);
	assert_int_equal(errno, EINVAL);

	/* A reaped child: its pidfd says ESRCH. */
	harness_child_or_skip(&child, NULL, NULL);
	pidfd = dup(child.pidfd);
	harness_child_stop(&child);
	assert_int_equal(xmm_vma_read(pidfd, 0, &list), -1);
	assert_int_equal(errno, ESRCH);
	assert_int_equal(xmm_mem_usage(pidfd, 0, &usage), -1);
	assert_int_equal(errno, ESRCH);
	close(pidfd);

	if (!harness_is_root())
		harness_skip("EACCES needs root to drop to nobody");
	pidfd = harness_pidfd_self();
	assert_int_equal(harness_run_in_child(read_root_maps_as_nobody,
					      &pidfd), 0);
	close(pidfd);
}

/*
 * In a child whose filter answers err for syscall nr: the pid behind a
 * pidfd then comes from fdinfo, and the answers stay the same: the
 * parent's list, EBADF for a descriptor that is not a pidfd, ESRCH for
 * a reaped process.
 */
struct refused_call {
	long nr;
	int err;
};

static int read_with_call_refused(void *arg)
{
	const struct refused_call *refused = arg;
	struct xmm_vma_list list;
	int pidfd, fd, status;
	size_t count;
	pid_t pid;

	/* The parent waits in waitpid(): its mappings do not change, so
	 * the list read before the filter is the one to get after it.
	 * (Under valgrind neither pidfds nor seccomp filters exist.) */
	pidfd = xmm_pidfd_open(getppid(), 0);
	if (pidfd < 0 && (errno == ENOSYS || harness_under_valgrind()))
		return HARNESS_EXIT_SKIP;
	CHILD_CHECK(pidfd >= 0);
	CHILD_CHECK(xmm_vma_read(pidfd, 0, &list) == 0);
	count = list.count;
	xmm_vma_list_free(&list);
	if (harness_seccomp_errno(refused->nr, refused->err) < 0)
		return HARNESS_EXIT_SKIP;
	CHILD_CHECK(xmm_vma_read(pidfd, 0, &list) == 0);
	CHILD_CHECK(list.count == count);
	xmm_vma_list_free(&list);
	close(pidfd);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	CHILD_CHECK(fd >= 0);
	CHILD_CHECK(xmm_vma_read(fd, 0, &list) == -1 && errno == EBADF);
	close(fd);

	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0)
		_exit(0);
	pidfd = xmm_pidfd_open(pid, 0);
	CHILD_CHECK(pidfd >= 0);
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	CHILD_CHECK(xmm_vma_read(pidfd, 0, &list) == -1 && errno == ESRCH);
	close(pidfd);
	return 0;
}

static void test_pid_without_pidfd_info(void **state)
{
	static const struct refused_call calls[] = {
		{ SYS_ioctl, ENOTTY },		/* before Linux 6.13 */
		{ SYS_ioctl, EPERM },		/* a policy */
		{ SYS_pidfd_send_signal, ENOSYS },
		{ SYS_fstatfs, EPERM },		/* pidfs is not asked */
	};
	size_t i;
	int ret;

	for (i = 0; i < sizeof(calls) / sizeof(calls[0]); i++) {
		struct refused_call refused = calls[i];

		ret = harness_run_in_child(read_with_call_refused, &refused);
		if (ret == HARNESS_EXIT_SKIP)
			harness_skip("no seccomp filter or no pidfd_open(2) "
				     "here");
		assert_int_equal(ret, 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_thousands_of_vmas),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_pagemap_counts),
		cmocka_unit_test(test_selectors),
		cmocka_unit_test(test_selector_errors),
		cmocka_unit_test(test_mem_usage),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_pid_without_pidfd_info),
	};

	harness_require(HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
