// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_madvise() against the real kernel: every documented errno
 * provoked for real, the effects of the advice checked (zeroed pages,
 * pages out of the page cache), partial progress, and the self fallback
 * under a seccomp filter that makes process_madvise answer ENOSYS.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sched.h>
#include <fcntl.h>
#include <signal.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/vfs.h>
#include <linux/capability.h>
#include <linux/magic.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define PAGES	8

static size_t page;

/* A private anonymous region of n pages, page i filled with byte i + 1. */
static unsigned char *filled_region(size_t n)
{
	unsigned char *region = mmap(NULL, n * page, PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;

	assert_true(region != MAP_FAILED);
	for (i = 0; i < n; i++)
		memset(region + i * page, (int)i + 1, page);
	return region;
}

static bool page_is(const unsigned char *p, int byte)
{
	size_t i;

	for (i = 0; i < page; i++)
		if (p[i] != byte)
			return false;
	return true;
}

static int own_pidfd(void)
{
	return harness_pidfd_self();
}

/* ---- errors ---- */

static void test_ebadf_for_minus_one(void **state)
{
	struct iovec v = { NULL, 0 };

	errno = 0;
	assert_int_equal(xmm_process_madvise(-1, &v, 1, MADV_COLD, 0), -1);
	assert_int_equal(errno, EBADF);
}

static void test_ebadf_for_a_non_pidfd(void **state)
{
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	struct iovec v = { NULL, 0 };

	assert_true(fd >= 0);
	errno = 0;
	assert_int_equal(xmm_process_madvise(fd, &v, 1, MADV_COLD, 0), -1);
	assert_int_equal(errno, EBADF);
	close(fd);
}

static void test_esrch_for_a_reaped_child(void **state)
{
	unsigned char *region = filled_region(1);
	struct iovec v = { region, page };
	int pidfd;
	pid_t child = harness_fork_pidfd(&pidfd);

	assert_true(child >= 0);
	if (child == 0)
		_exit(0);
	assert_int_equal(waitpid(child, NULL, 0), child);

	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, &v, 1, MADV_COLD, 0), -1);
	assert_int_equal(errno, ESRCH);
	close(pidfd);
	munmap(region, page);
}

static void test_einval_for_unknown_flags(void **state)
{
	unsigned char *region = filled_region(1);
	struct iovec v = { region, page };
	int pidfd = own_pidfd();

	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, &v, 1, MADV_DONTNEED, 1),
			 -1);
	assert_int_equal(errno, EINVAL);
	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, &v, 1, MADV_DONTNEED,
					     XMM_PMADV_INJECT | 2), -1);
	assert_int_equal(errno, EINVAL);
	/* Nothing was advised: the data is still there. */
	assert_true(page_is(region, 1));
	close(pidfd);
	munmap(region, page);
}

static void test_einval_for_vlen_over_iov_max(void **state)
{
	static struct iovec many[1025];
	unsigned char *region = filled_region(1);
	int pidfd = own_pidfd();
	size_t i;

	for (i = 0; i < 1025; i++)
		many[i] = (struct iovec){ region, page };
	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, many, 1025,
					     MADV_DONTNEED, 0), -1);
	assert_int_equal(errno, EINVAL);
	assert_true(page_is(region, 1));
	close(pidfd);
	munmap(region, page);
}

static void test_einval_for_a_length_that_overflows(void **state)
{
	unsigned char *region = filled_region(1);
	struct iovec v[2] = {
		{ region, page },
		{ region, (size_t)SSIZE_MAX + 1 },
	};
	int pidfd = own_pidfd();

	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, v, 2, MADV_DONTNEED, 0),
			 -1);
	assert_int_equal(errno, EINVAL);
	assert_true(page_is(region, 1));
	close(pidfd);
	munmap(region, page);
}

static void test_einval_for_advice_refused_remotely(void **state)
{
	unsigned char *region = filled_region(1);
	struct iovec v = { region, page };
	struct harness_child child;

	assert_int_equal(harness_child_start(&child, NULL, NULL), 0);
	errno = 0;
	assert_int_equal(xmm_process_madvise(child.pidfd, &v, 1,
					     MADV_DONTNEED, 0), -1);
	assert_int_equal(errno, EINVAL);
	harness_child_stop(&child);
	munmap(region, page);
}

/* The backends that serve a remote target, forced in turn. */
static const char *const remote_backends[] = { "native", "inject" };

static bool backend_usable(const char *name)
{
	struct xmm_backend_info info;
	unsigned int i;

	for (i = 0; xmm_backend_info(i, &info) == 0; i++)
		if (!strcmp(info.operation, "process_madvise") &&
		    !strcmp(info.backend, name)) {
			if (!info.available)
				printf("%s cannot serve here: %s\n", name,
				       info.detail ? info.detail : "");
			return info.available;
		}
	return false;
}

/*
 * EFAULT for a range the kernel's access_ok() refuses: in the kernel's
 * half, or ending above the top of user space, on every backend.  Linux
 * 6.18 answers ENOMEM for a single such iovec itself.
 */
static void test_efault_for_a_kernel_half_address(void **state)
{
	static const char *const self_backends[] = { "native",
						     "self-madvise" };
	uintptr_t kernel_half = (uintptr_t)1 << (sizeof(void *) * 8 - 1);
	unsigned char *region = filled_region(1);
	struct iovec one = { (void *)kernel_half, page };
	struct iovec two[2] = { { region, page }, one };
	struct harness_child child;
	int pidfd = own_pidfd();
	size_t i;

	if (sizeof(void *) < 8)
		harness_skip("a 32-bit process reaches no kernel address");
	for (i = 0; i < 2; i++) {
		assert_int_equal(xmm_backend_force("process_madvise",
						   self_backends[i]), 0);
		errno = 0;
		assert_int_equal(xmm_process_madvise(pidfd, &one, 1,
						     MADV_DONTNEED, 0), -1);
		assert_int_equal(errno, EFAULT);
		errno = 0;
		assert_int_equal(xmm_process_madvise(pidfd, two, 2,
						     MADV_DONTNEED, 0), -1);
		assert_int_equal(errno, EFAULT);
		assert_true(page_is(region, 1));
	}
	harness_child_or_skip(&child, NULL, NULL);
	for (i = 0; i < 2; i++) {
		if (!backend_usable(remote_backends[i]))
			continue;
		assert_int_equal(xmm_backend_force("process_madvise",
						   remote_backends[i]), 0);
		errno = 0;
		assert_int_equal(xmm_process_madvise(child.pidfd, &one, 1,
						     MADV_COLD, 0), -1);
		assert_int_equal(errno, EFAULT);
	}
	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
	harness_child_stop(&child);
	close(pidfd);
	munmap(region, page);
}

static void test_efault_for_an_unreadable_iovec(void **state)
{
	int pidfd = own_pidfd();

	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, (struct iovec *)8, 1,
					     MADV_COLD, 0), -1);
	assert_int_equal(errno, EFAULT);
	close(pidfd);
}

/*
 * Permission, one errno per condition on every backend (the kernel's
 * order in process_madvise(2)): an unprivileged process targeting root
 * fails mm_access()'s ptrace check, PTRACE_MODE_READ_FSCREDS: EACCES.
 * One that passes it but lacks CAP_SYS_NICE gets EPERM.
 */
static struct harness_child root_target;	/* region mapped there too */

static int unprivileged_against_root(void *arg)
{
	unsigned char *region = arg;
	struct iovec v = { region, page };
	int pidfd = root_target.pidfd;
	size_t i;

	CHILD_CHECK(pidfd >= 0);
	CHILD_CHECK(harness_drop_privileges() == 0);
	for (i = 0; i < 2; i++) {
		if (!backend_usable(remote_backends[i]))
			continue;
		CHILD_CHECK(xmm_backend_force("process_madvise",
					      remote_backends[i]) == 0);
		errno = 0;
		CHILD_CHECK(xmm_process_madvise(pidfd, &v, 1, MADV_COLD,
						0) == -1);
		if (errno != EACCES) {
			fprintf(stderr, "%s: errno %d (%s)\n",
				remote_backends[i], errno, strerror(errno));
			return 2;
		}
	}
	return 0;
}

static void test_eacces_for_an_unprivileged_caller(void **state)
{
	unsigned char *region = filled_region(1);

	if (!harness_is_root())
		harness_skip("needs root to create an unprivileged caller");
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	harness_child_or_skip(&root_target, NULL, NULL);
	assert_int_equal(harness_run_in_child(unprivileged_against_root,
					      region), 0);
	harness_child_stop(&root_target);
	assert_true(page_is(region, 1));
	munmap(region, page);
}

static int same_uid_without_cap_sys_nice(void *arg)
{
	unsigned char *region = arg;
	struct iovec v = { region, page };
	struct harness_child sibling;
	ssize_t ret[2] = { -1, -1 };
	int err[2] = { EPERM, EPERM };
	size_t i;

	CHILD_CHECK(harness_drop_privileges() == 0);
	/* setuid() made us non-dumpable; the target must be dumpable. */
	CHILD_CHECK(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
	CHILD_CHECK(harness_child_start(&sibling, NULL, NULL) == 0);
	for (i = 0; i < 2; i++) {
		if (!backend_usable(remote_backends[i]))
			continue;
		CHILD_CHECK(xmm_backend_force("process_madvise",
					      remote_backends[i]) == 0);
		errno = 0;
		ret[i] = xmm_process_madvise(sibling.pidfd, &v, 1, MADV_COLD,
					     0);
		err[i] = errno;
	}
	harness_child_stop(&sibling);
	for (i = 0; i < 2; i++) {
		CHILD_CHECK(ret[i] == -1);
		CHILD_CHECK(err[i] == EPERM);
	}
	return 0;
}

static void test_eperm_without_cap_sys_nice(void **state)
{
	unsigned char *region = filled_region(1);

	if (!harness_is_root())
		harness_skip("needs root to create an unprivileged caller");
	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	assert_int_equal(harness_run_in_child(same_uid_without_cap_sys_nice,
					      region), 0);
	munmap(region, page);
}

/* The advice's own madvise(2) errors come through: ENOMEM for a hole. */
static void test_enomem_for_an_unmapped_range(void **state)
{
	unsigned char *region = filled_region(2);
	struct iovec v = { region + page, page };
	int pidfd = own_pidfd();

	assert_int_equal(munmap(region + page, page), 0);
	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, &v, 1, MADV_DONTNEED, 0),
			 -1);
	assert_int_equal(errno, ENOMEM);
	close(pidfd);
	munmap(region, page);
}

/* ---- effects ---- */

/* Advise pages 1-2 and 5 of 8 away; exactly those must read zero. */
static void check_dontneed_zeroes_exactly(int pidfd)
{
	unsigned char *region = filled_region(PAGES);
	struct iovec v[2] = {
		{ region + 1 * page, 2 * page },
		{ region + 5 * page, 1 * page },
	};
	size_t i;

	assert_int_equal(xmm_process_madvise(pidfd, v, 2, MADV_DONTNEED, 0),
			 (ssize_t)(3 * page));
	for (i = 0; i < PAGES; i++) {
		bool advised = i == 1 || i == 2 || i == 5;

		if (!page_is(region + i * page, advised ? 0 : (int)i + 1))
			fail_msg("page %zu: expected %s", i,
				 advised ? "zero" : "its data");
	}
	munmap(region, PAGES * page);
}

static void test_dontneed_on_self_zeroes_exactly(void **state)
{
	int pidfd = own_pidfd();

	check_dontneed_zeroes_exactly(pidfd);
	/* 6.13 allows any advice for self; older kernels need the fallback,
	 * and so does valgrind (it answers ENOSYS to process_madvise). */
	assert_string_equal(xmm_backend_last("process_madvise"),
			    harness_kernel_at_least(6, 13) &&
			    !harness_under_valgrind() ? "native" :
							"self-madvise");
	close(pidfd);
}

static void test_dontneed_through_pidfd_self(void **state)
{
	check_dontneed_zeroes_exactly(XMM_PIDFD_SELF);
	/* PIDFD_SELF_PROCESS is known from 6.15 (not to valgrind). */
	assert_string_equal(xmm_backend_last("process_madvise"),
			    harness_kernel_at_least(6, 15) &&
			    !harness_under_valgrind() ? "native" :
							      "self-madvise");
}

static void test_inject_flag_changes_nothing_for_self(void **state)
{
	unsigned char *region = filled_region(2);
	struct iovec v = { region, page };

	assert_int_equal(xmm_process_madvise(XMM_PIDFD_SELF, &v, 1,
					     MADV_DONTNEED,
					     XMM_PMADV_INJECT), (ssize_t)page);
	assert_true(page_is(region, 0));
	assert_true(page_is(region + page, 2));
	munmap(region, 2 * page);
}

/*
 * MADV_PAGEOUT on a shared mapping of a clean file on a disk filesystem
 * drops its pages from the page cache: mincore() shows them gone.
 */
static void test_pageout_of_a_shared_file_mapping(void **state)
{
	char path[] = "/var/tmp/xmm-pageout-XXXXXX";
	size_t len = 64 * page, i;
	unsigned char *map;
	struct iovec v;
	volatile unsigned char sum = 0;
	cpu_set_t one_cpu, all_cpus;
	struct statfs fs;
	int fd = mkstemp(path);

	/* Pages of tmpfs or ramfs have no disk to go back to. */
	if (fd < 0 || fstatfs(fd, &fs) < 0 || fs.f_type == TMPFS_MAGIC ||
	    (unsigned int)fs.f_type == RAMFS_MAGIC) {
		if (fd >= 0) {
			unlink(path);
			close(fd);
		}
		harness_skip("no disk filesystem at /var/tmp: clean file "
			     "pages cannot be paged out");
	}
	unlink(path);
	/*
	 * Stay on one CPU from before the pages exist: a new page waits in
	 * the LRU batch of the CPU that added it, and MADV_PAGEOUT drains
	 * only the batch of the CPU it runs on.
	 */
	CPU_ZERO(&one_cpu);
	CPU_SET(sched_getcpu(), &one_cpu);
	assert_int_equal(sched_getaffinity(0, sizeof(all_cpus), &all_cpus), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(one_cpu), &one_cpu), 0);

	map = malloc(len);
	assert_non_null(map);
	memset(map, 0x42, len);
	assert_int_equal(write(fd, map, len), (ssize_t)len);
	free(map);
	assert_int_equal(fsync(fd), 0);
	/* Drop what write(2) cached: the reads below bring the pages back
	 * on this CPU. */
	assert_int_equal(posix_fadvise(fd, 0, (off_t)len,
				       POSIX_FADV_DONTNEED), 0);

	map = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	assert_true(map != MAP_FAILED);
	for (i = 0; i < len; i += page)
		sum += map[i];
	assert_int_equal(harness_resident_pages(map, len), 64);

	v = (struct iovec){ map, len };
	assert_int_equal(xmm_process_madvise(XMM_PIDFD_SELF, &v, 1,
					     MADV_PAGEOUT, 0), (ssize_t)len);
	assert_int_equal(harness_resident_pages(map, len), 0);
	assert_int_equal(sched_setaffinity(0, sizeof(all_cpus), &all_cpus), 0);
	(void)sum;
	munmap(map, len);
	close(fd);
}

static unsigned char *child_region;

static void touch_child_region(void *arg)
{
	memset(child_region, 0x77, 16 * page);
}

static void test_cold_and_pageout_on_a_child(void **s)
{
	struct iovec v[2];
	struct harness_child child;

	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_PROCESS_MADVISE);
	child_region = filled_region(16);
	assert_int_equal(harness_child_start(&child, touch_child_region,
					     NULL), 0);
	v[0] = (struct iovec){ child_region, 8 * page };
	v[1] = (struct iovec){ child_region + 8 * page, 8 * page };
	assert_int_equal(xmm_process_madvise(child.pidfd, v, 2, MADV_COLD, 0),
			 (ssize_t)(16 * page));
	assert_int_equal(xmm_process_madvise(child.pidfd, v, 2, MADV_PAGEOUT,
					     0), (ssize_t)(16 * page));
	assert_string_equal(xmm_backend_last("process_madvise"), "native");
	harness_child_stop(&child);
	munmap(child_region, 16 * page);
}

/* A hole in the second element: the bytes of the first come back. */
static void test_partial_progress(void **s)
{
	unsigned char *region = filled_region(4);
	struct iovec v[3] = {
		{ region, page },
		{ region + page, page },	/* unmapped below */
		{ region + 2 * page, page },
	};
	struct harness_child child;

	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	assert_int_equal(munmap(region + page, page), 0);
	assert_int_equal(harness_child_start(&child, NULL, NULL), 0);
	assert_int_equal(xmm_process_madvise(child.pidfd, v, 3, MADV_COLD, 0),
			 (ssize_t)page);
	harness_child_stop(&child);

	assert_int_equal(xmm_process_madvise(XMM_PIDFD_SELF, v, 3,
					     MADV_DONTNEED, 0), (ssize_t)page);
	assert_true(page_is(region, 0));
	assert_true(page_is(region + 2 * page, 3));	/* never reached */
	munmap(region, 4 * page);
}

/* ---- the self fallback, with process_madvise answering ENOSYS ---- */

static int fallback_checks(void *arg)
{
	unsigned char *region;
	struct iovec v[3];
	static struct iovec many[1025];
	struct harness_child other;
	int pidfd, fd, i;
	ssize_t ret;

	region = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(region != MAP_FAILED);
	for (i = 0; i < 4; i++)
		memset(region + i * page, i + 1, page);
	/*
	 * Another process, started before the filter: one that inherited the
	 * filter would have one the (filtered) caller cannot inspect, and
	 * injection refuses such targets (tests/inject.c).
	 */
	CHILD_CHECK(harness_child_start(&other, NULL, NULL) == 0);
	CHILD_CHECK(harness_seccomp_enosys(__NR_process_madvise) == 0);
	CHILD_CHECK(syscall(__NR_process_madvise, -1, NULL, 0, 0, 0) == -1 &&
		    errno == ENOSYS);

	/* Own pidfd and the sentinel both reach madvise(2). */
	pidfd = xmm_pidfd_open(getpid(), 0);
	CHILD_CHECK(pidfd >= 0);
	v[0] = (struct iovec){ region + page, page };
	CHILD_CHECK(xmm_process_madvise(pidfd, v, 1, MADV_DONTNEED, 0) ==
		    (ssize_t)page);
	CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"),
			    "self-madvise"));
	CHILD_CHECK(page_is(region, 1) && page_is(region + page, 0) &&
		    page_is(region + 2 * page, 3));
	v[0] = (struct iovec){ region + 2 * page, page };
	CHILD_CHECK(xmm_process_madvise(XMM_PIDFD_SELF, v, 1, MADV_DONTNEED,
					0) == (ssize_t)page);
	CHILD_CHECK(page_is(region + 2 * page, 0) &&
		    page_is(region + 3 * page, 4));

	/* Partial progress: bytes before the hole. */
	CHILD_CHECK(munmap(region + 2 * page, page) == 0);
	v[0] = (struct iovec){ region, page };
	v[1] = (struct iovec){ region + 2 * page, page };
	v[2] = (struct iovec){ region + 3 * page, page };
	CHILD_CHECK(xmm_process_madvise(pidfd, v, 3, MADV_DONTNEED, 0) ==
		    (ssize_t)page);
	CHILD_CHECK(page_is(region + 3 * page, 4));
	/* Nothing advised at all: the advice's own error. */
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(pidfd, &v[1], 1, MADV_DONTNEED, 0) ==
		    -1 && errno == ENOMEM);

	/* The kernel's argument errors, reproduced before madvise runs. */
	for (i = 0; i < 1025; i++)
		many[i] = (struct iovec){ region, page };
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(pidfd, many, 1025, MADV_DONTNEED,
					0) == -1 && errno == EINVAL);
	v[0] = (struct iovec){ region, (size_t)SSIZE_MAX + 1 };
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(pidfd, v, 1, MADV_DONTNEED, 0) ==
		    -1 && errno == EINVAL);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(pidfd, (struct iovec *)8, 1,
					MADV_DONTNEED, 0) == -1 &&
		    errno == EFAULT);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	v[0] = (struct iovec){ region, page };
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(fd, v, 1, MADV_COLD, 0) == -1 &&
		    errno == EBADF);
	close(fd);

	/*
	 * A remote target is not self-madvise's: the injection backend
	 * serves it (tests/inject.c covers that path in depth).  Where the
	 * library reports no injection backend (i386, arm, ...), the man
	 * page's answer: ENOSYS, as the kernel gave it, and nothing changed.
	 */
	v[0] = (struct iovec){ region, page };
	errno = 0;
	ret = xmm_process_madvise(other.pidfd, v, 1, MADV_COLD, 0);
	harness_child_stop(&other);
	if (!backend_usable("inject")) {
		CHILD_CHECK(ret == -1 && errno == ENOSYS);
		close(pidfd);
		return 0;
	}
	if (ret != (ssize_t)page)
		fprintf(stderr, "remote: %zd, %s\n", ret, strerror(errno));
	CHILD_CHECK(ret == (ssize_t)page);
	CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"), "inject"));
	close(pidfd);
	return 0;
}

static void test_self_fallback_under_enosys(void **state)
{
	harness_skip_under_valgrind("needs a seccomp filter, which valgrind "
				    "answers with ENOSYS");
	assert_int_equal(harness_run_in_child(fallback_checks, NULL), 0);
}

/*
 * A policy that answers process_madvise with EPERM, as Docker's default
 * profile does for a container without CAP_SYS_PTRACE: the argument
 * errors the kernel reports before any permission check stay what they
 * are (the selftest mm/process_madv.c bad_pidfd and exited_process_pidfd
 * got EPERM there).
 */
static int argument_errors_under_eperm(void *arg)
{
	struct harness_child gone;
	struct iovec v;
	char *region;
	(void)arg;

	region = mmap(NULL, page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(region != MAP_FAILED);
	v = (struct iovec){ region, page };
	CHILD_CHECK(harness_child_start(&gone, NULL, NULL) == 0);
	CHILD_CHECK(harness_seccomp_errno(__NR_process_madvise, EPERM) == 0);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(-1, &v, 1, MADV_COLD, 0) == -1 &&
		    errno == EBADF);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(STDIN_FILENO, &v, 1, MADV_COLD, 0) ==
		    -1 && errno == EBADF);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(gone.pidfd, (struct iovec *)8, 1,
					MADV_COLD, 0) == -1 &&
		    errno == EFAULT);
	/* Valid arguments: the policy's EPERM stands. */
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(gone.pidfd, &v, 1, MADV_COLD, 0) ==
		    -1 && errno == EPERM);
	/* Reaped, its pidfd still open. */
	CHILD_CHECK(kill(gone.pid, SIGKILL) == 0 &&
		    waitpid(gone.pid, NULL, 0) == gone.pid);
	gone.pid = -1;
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(gone.pidfd, &v, 1, MADV_COLD, 0) ==
		    -1 && errno == ESRCH);
	harness_child_stop(&gone);
	return 0;
}

static void test_argument_errors_under_eperm_policy(void **state)
{
	harness_skip_under_valgrind("needs a seccomp filter, which valgrind "
				    "answers with ENOSYS");
	assert_int_equal(harness_run_in_child(argument_errors_under_eperm,
					      NULL), 0);
}

/* Is page p of process pid filled with byte?  Read with process_vm_readv. */
static bool remote_page_is(pid_t pid, const unsigned char *p, int byte)
{
	unsigned char copy[page];
	struct iovec local = { copy, page };
	struct iovec remote = { (void *)p, page };

	if (process_vm_readv(pid, &local, 1, &remote, 1, 0) != (ssize_t)page)
		return false;
	return page_is(copy, byte);
}

/* Drop CAP_SYS_NICE from the effective set, keeping every other. */
static int drop_cap_sys_nice(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];

	if (syscall(SYS_capget, &header, data) < 0)
		return -errno;
	data[CAP_SYS_NICE / 32].effective &= ~(1U << (CAP_SYS_NICE % 32));
	if (syscall(SYS_capset, &header, data) < 0)
		return -errno;
	return 0;
}

/*
 * The same EPERM policy, a caller with CAP_SYS_NICE (root): for another
 * process the kernel could not have answered EPERM, so the policy did.
 * With an injection flag the inject fallback serves; without one the
 * EPERM stands, as it does when no fallback can serve.  The caller itself
 * gets self-madvise.  Without CAP_SYS_NICE the EPERM may be the kernel's:
 * it stands, and no fallback is tried.
 */
static int fallbacks_under_eperm(void *arg)
{
	const unsigned int both = XMM_PMADV_INJECT | XMM_PMADV_INJECT_UNCHECKED;
	struct harness_child target;
	unsigned char *region;
	struct iovec v;
	int i, pidfd;
	(void)arg;

	region = mmap(NULL, 4 * page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	CHILD_CHECK(region != MAP_FAILED);
	for (i = 0; i < 4; i++)
		memset(region + i * page, i + 1, page);
	CHILD_CHECK(harness_seccomp_errno(__NR_process_madvise, EPERM) == 0);
	CHILD_CHECK(syscall(__NR_process_madvise, -1, NULL, 0, 0, 0) == -1 &&
		    errno == EPERM);
	/* Inheriting the policy, as in a container. */
	CHILD_CHECK(harness_child_start(&target, NULL, NULL) == 0);

	/* No injection flag: the policy's EPERM, from the native call. */
	v = (struct iovec){ region, page };
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(target.pidfd, &v, 1, MADV_COLD, 0) ==
		    -1 && errno == EPERM);
	CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"), "native"));
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(target.pidfd, &v, 1, MADV_DONTNEED,
					0) == -1 && errno == EPERM);
	/*
	 * A fallback tried that cannot serve: still EPERM.  INJECT alone:
	 * the filtered caller cannot read the target's filter.  UNCHECKED
	 * alone: advice the kernel refuses remotely (its EINVAL is hidden by
	 * the policy, as before).
	 */
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(target.pidfd, &v, 1, MADV_DONTNEED,
					XMM_PMADV_INJECT) == -1 &&
		    errno == EPERM);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(target.pidfd, &v, 1, MADV_DONTNEED,
					XMM_PMADV_INJECT_UNCHECKED) == -1 &&
		    errno == EPERM);
	CHILD_CHECK(remote_page_is(target.pid, region, 1));

	/* Argument errors are still the kernel's. */
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(target.pidfd, (struct iovec *)8, 1,
					MADV_COLD, both) == -1 &&
		    errno == EFAULT);

	/* Served by injection; where this build has none, the EPERM stands. */
	if (backend_usable("inject")) {
		CHILD_CHECK(xmm_process_madvise(target.pidfd, &v, 1, MADV_COLD,
						XMM_PMADV_INJECT_UNCHECKED) ==
			    (ssize_t)page);
		CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"),
				    "inject"));
		CHILD_CHECK(remote_page_is(target.pid, region, 1));
		v = (struct iovec){ region + page, page };
		CHILD_CHECK(xmm_process_madvise(target.pidfd, &v, 1,
						MADV_DONTNEED, both) ==
			    (ssize_t)page);
		CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"),
				    "inject"));
		CHILD_CHECK(remote_page_is(target.pid, region, 1) &&
			    remote_page_is(target.pid, region + page, 0) &&
			    remote_page_is(target.pid, region + 2 * page, 3));
	} else {
		v = (struct iovec){ region + page, page };
		errno = 0;
		CHILD_CHECK(xmm_process_madvise(target.pidfd, &v, 1,
						MADV_DONTNEED, both) == -1 &&
			    errno == EPERM);
		CHILD_CHECK(remote_page_is(target.pid, region, 1) &&
			    remote_page_is(target.pid, region + page, 2) &&
			    remote_page_is(target.pid, region + 2 * page, 3));
	}

	/* The caller itself, no flag: self-madvise. */
	pidfd = xmm_pidfd_open(getpid(), 0);
	CHILD_CHECK(pidfd >= 0);
	v = (struct iovec){ region + 2 * page, page };
	CHILD_CHECK(xmm_process_madvise(pidfd, &v, 1, MADV_DONTNEED, 0) ==
		    (ssize_t)page);
	CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"),
			    "self-madvise"));
	v = (struct iovec){ region + 3 * page, page };
	CHILD_CHECK(xmm_process_madvise(XMM_PIDFD_SELF, &v, 1, MADV_DONTNEED,
					both) == (ssize_t)page);
	CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"),
			    "self-madvise"));
	CHILD_CHECK(page_is(region + page, 2) &&
		    page_is(region + 2 * page, 0) &&
		    page_is(region + 3 * page, 0));
	close(pidfd);

	/* Without CAP_SYS_NICE: the EPERM stands, no fallback tried. */
	CHILD_CHECK(drop_cap_sys_nice() == 0 && !harness_has_cap_sys_nice());
	v = (struct iovec){ region + 2 * page, page };
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(target.pidfd, &v, 1, MADV_DONTNEED,
					both) == -1 && errno == EPERM);
	CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"), "native"));
	CHILD_CHECK(remote_page_is(target.pid, region + 2 * page, 3));
	harness_child_stop(&target);
	return 0;
}

static void test_fallbacks_under_eperm_policy(void **state)
{
	if (!harness_is_root())
		harness_skip("needs root for CAP_SYS_NICE and to drop it");
	harness_skip_under_valgrind("needs a seccomp filter, which valgrind "
				    "answers with ENOSYS");
	assert_int_equal(harness_run_in_child(fallbacks_under_eperm, NULL), 0);
}

#ifndef CLONE_PIDFD
#define CLONE_PIDFD	0x00001000
#endif

/*
 * A process sharing our memory waits here until it is killed, or until
 * its parent exits (a failed check): then the pipe's only writer is gone.
 * It leaves by exit(2) alone: no exit handler of the shared memory runs.
 */
static int shared_mm_sleeper(void *arg)
{
	const int *pipe_fds = arg;
	char byte;

	/* A blocked read restarts after each stop of an injection. */
	close(pipe_fds[1]);
	if (read(pipe_fds[0], &byte, 1) != 0)
		syscall(SYS_exit, 1);
	syscall(SYS_exit, 0);
	return 0;
}

/*
 * One advice for a target sharing our mm, by the backend named (NULL:
 * none forced): on a kernel that exempts such a target (6.13 and later,
 * the answer of the native call above) every backend serves it, and so
 * does the library unforced on an older one, through self-madvise.  The
 * native backend forced on such a kernel answers what it answers for the
 * caller itself there: ENOSYS for advice refused (its EINVAL), EPERM
 * without CAP_SYS_NICE.
 */
static int shared_mm_advise(int pidfd, unsigned char *p, int advice,
			    const char *backend, bool kernel_exempts)
{
	struct iovec v = { p, page };
	bool old_native = backend && !strcmp(backend, "native") &&
			  !kernel_exempts;
	ssize_t got;

	CHILD_CHECK(xmm_backend_force("process_madvise", backend) == 0);
	errno = 0;
	got = xmm_process_madvise(pidfd, &v, 1, advice, 0);
	if (old_native) {
		CHILD_CHECK(got == -1 && errno == (advice == MADV_DONTNEED ?
						   ENOSYS : EPERM));
		return 0;
	}
	if (got != (ssize_t)page)
		printf("%s: %zd (%s)\n", backend ? backend : "unforced", got,
		       strerror(errno));
	CHILD_CHECK(got == (ssize_t)page);
	if (backend)
		CHILD_CHECK(!strcmp(xmm_backend_last("process_madvise"),
				    backend));
	return 0;
}

/*
 * process_madvise(2) asks CAP_SYS_NICE, and remote advice, only of a
 * target whose mm is not the caller's: a process made by clone(CLONE_VM)
 * without CLONE_THREAD is exempt (from Linux 6.13).  A caller without
 * CAP_SYS_NICE gets the same answer from every backend: advice served,
 * MADV_DONTNEED zeroing the page in our (shared) memory.  A process that
 * does not share our mm still gets EPERM from each.
 */
static int shared_mm_without_cap_sys_nice(void *arg)
{
	static const char *const backends[] = { NULL, "native",
						"self-madvise", "inject" };
	const size_t stack_size = 64 * 1024;
	struct harness_child other;
	unsigned char *region, *stack;
	bool kernel_exempts;
	struct iovec v;
	int pidfd = -1, pipe_fds[2], i, n = 1;
	long raw;
	pid_t pid;
	(void)arg;

	region = mmap(NULL, (1 + 2 * 4) * page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	stack = mmap(NULL, stack_size, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
	CHILD_CHECK(region != MAP_FAILED && stack != MAP_FAILED);
	for (i = 0; i < 1 + 2 * 4; i++)
		memset(region + i * page, i + 1, page);
	CHILD_CHECK(drop_cap_sys_nice() == 0 && !harness_has_cap_sys_nice());
	CHILD_CHECK(pipe2(pipe_fds, O_CLOEXEC) == 0);
	pid = clone(shared_mm_sleeper, stack + stack_size,
		    CLONE_VM | CLONE_PIDFD | SIGCHLD, pipe_fds, &pidfd);
	CHILD_CHECK(pid > 0 && pidfd >= 0);

	/* The kernel's own answer, for page 0. */
	v = (struct iovec){ region, page };
	errno = 0;
	raw = syscall(__NR_process_madvise, pidfd, &v, 1, MADV_DONTNEED, 0);
	kernel_exempts = raw == (long)page;
	printf("kernel: process_madvise(2) for a CLONE_VM target without "
	       "CAP_SYS_NICE: %ld (%s)\n", raw, raw < 0 ? strerror(errno) :
	       "advised");
	CHILD_CHECK(kernel_exempts ? page_is(region, 0) :
		    raw == -1 && errno == EINVAL && page_is(region, 1));

	/* Pages 1-8: each backend once with MADV_DONTNEED, once MADV_COLD. */
	for (i = 0; i < 4; i++) {
		unsigned char *p = region + n * page;

		if (backends[i] && !strcmp(backends[i], "inject") &&
		    !backend_usable("inject"))
			continue;
		CHILD_CHECK(shared_mm_advise(pidfd, p, MADV_DONTNEED,
					     backends[i], kernel_exempts) ==
			    0);
		CHILD_CHECK(page_is(p, backends[i] &&
				    !strcmp(backends[i], "native") &&
				    !kernel_exempts ? n + 1 : 0));
		CHILD_CHECK(page_is(p + page, n + 2));
		CHILD_CHECK(shared_mm_advise(pidfd, p + page, MADV_COLD,
					     backends[i], kernel_exempts) ==
			    0);
		CHILD_CHECK(page_is(p + page, n + 2));
		n += 2;
	}
	CHILD_CHECK(xmm_backend_force("process_madvise", NULL) == 0);
	kill(pid, SIGKILL);
	CHILD_CHECK(waitpid(pid, NULL, 0) == pid);
	close(pidfd);
	close(pipe_fds[0]);
	close(pipe_fds[1]);

	/* Not our mm: still EPERM, from every backend that serves it. */
	CHILD_CHECK(harness_child_start(&other, NULL, NULL) == 0);
	v = (struct iovec){ region, page };
	for (i = 0; i < 2; i++) {
		if (!backend_usable(remote_backends[i]))
			continue;
		CHILD_CHECK(xmm_backend_force("process_madvise",
					      remote_backends[i]) == 0);
		errno = 0;
		CHILD_CHECK(xmm_process_madvise(other.pidfd, &v, 1, MADV_COLD,
						0) == -1 && errno == EPERM);
	}
	CHILD_CHECK(xmm_backend_force("process_madvise", NULL) == 0);
	harness_child_stop(&other);
	return 0;
}

static void test_shared_mm_target_without_cap_sys_nice(void **state)
{
	if (!harness_is_root())
		harness_skip("needs root for CAP_SYS_NICE and to drop it");
	harness_skip_under_valgrind("needs clone(CLONE_VM) without "
				    "CLONE_THREAD, which valgrind does not "
				    "run");
	/* KCMP_VM (1) of ourselves: 0 where the library can ask kcmp(2). */
	if (syscall(SYS_kcmp, getpid(), getpid(), 1, 0UL, 0UL) != 0)
		harness_skip("no kcmp(2) here (CONFIG_KCMP): the library "
			     "cannot tell a target shares our memory");
	assert_int_equal(harness_run_in_child(shared_mm_without_cap_sys_nice,
					      NULL), 0);
}

/*
 * A caller under a policy that kills on syscalls it does not list (as
 * Android's does: no kcmp(2), and readlinkat(2) but no readlink(2)) asks
 * only for advice: the library must not make those calls for it.  Advice
 * refused remotely (MADV_DONTNEED: native EINVAL, where the library asks
 * whether the target shares our mm), and, where injection serves, MADV_COLD
 * through the inject backend (its access check reads /proc/PID/exe).
 */
static int advise_under_kill_policy(void *arg)
{
	struct harness_child other;
	struct iovec v;
	void *region;
	(void)arg;

	/* Mapped before the fork: the other process has it too. */
	region = mmap(NULL, page, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	CHILD_CHECK(region != MAP_FAILED);
	v = (struct iovec){ region, page };
	CHILD_CHECK(harness_child_start(&other, NULL, NULL) == 0);
	CHILD_CHECK(harness_seccomp_kill(SYS_kcmp) == 0);
#ifdef SYS_readlink
	CHILD_CHECK(harness_seccomp_kill(SYS_readlink) == 0);
#endif
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(other.pidfd, &v, 1, MADV_DONTNEED,
					0) == -1 && errno == EINVAL);
	if (backend_usable("inject")) {
		CHILD_CHECK(xmm_backend_force("process_madvise",
					      "inject") == 0);
		CHILD_CHECK(xmm_process_madvise(other.pidfd, &v, 1,
						MADV_COLD, 0) == (ssize_t)page);
		CHILD_CHECK(xmm_backend_force("process_madvise", NULL) == 0);
	}
	harness_child_stop(&other);
	return 0;
}

static void test_no_unlisted_syscalls_under_a_kill_policy(void **state)
{
	(void)state;
	harness_skip_under_valgrind("needs a seccomp filter, which valgrind "
				    "answers with ENOSYS");
	/* 128 + SIGSYS if the library made a call the policy kills on. */
	assert_int_equal(harness_run_in_child(advise_under_kill_policy, NULL),
			 0);
}

/* The fallback when forced, without seccomp: same effects. */
static void test_forced_self_madvise_backend(void **state)
{
	int pidfd = own_pidfd();

	assert_int_equal(xmm_backend_force("process_madvise", "self-madvise"),
			 0);
	check_dontneed_zeroes_exactly(pidfd);
	assert_string_equal(xmm_backend_last("process_madvise"),
			    "self-madvise");
	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
	close(pidfd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ebadf_for_minus_one),
		cmocka_unit_test(test_ebadf_for_a_non_pidfd),
		cmocka_unit_test(test_esrch_for_a_reaped_child),
		cmocka_unit_test(test_einval_for_unknown_flags),
		cmocka_unit_test(test_einval_for_vlen_over_iov_max),
		cmocka_unit_test(test_einval_for_a_length_that_overflows),
		cmocka_unit_test(test_einval_for_advice_refused_remotely),
		cmocka_unit_test(test_efault_for_an_unreadable_iovec),
		cmocka_unit_test(test_efault_for_a_kernel_half_address),
		cmocka_unit_test(test_eacces_for_an_unprivileged_caller),
		cmocka_unit_test(test_eperm_without_cap_sys_nice),
		cmocka_unit_test(test_shared_mm_target_without_cap_sys_nice),
		cmocka_unit_test(test_no_unlisted_syscalls_under_a_kill_policy),
		cmocka_unit_test(test_enomem_for_an_unmapped_range),
		cmocka_unit_test(test_dontneed_on_self_zeroes_exactly),
		cmocka_unit_test(test_dontneed_through_pidfd_self),
		cmocka_unit_test(test_inject_flag_changes_nothing_for_self),
		cmocka_unit_test(test_pageout_of_a_shared_file_mapping),
		cmocka_unit_test(test_cold_and_pageout_on_a_child),
		cmocka_unit_test(test_partial_progress),
		cmocka_unit_test(test_self_fallback_under_enosys),
		cmocka_unit_test(test_argument_errors_under_eperm_policy),
		cmocka_unit_test(test_fallbacks_under_eperm_policy),
		cmocka_unit_test(test_forced_self_madvise_backend),
	};

	page = harness_page_size();
	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_SECCOMP |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
