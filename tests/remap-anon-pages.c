// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_remap_anon_pages() on the real kernel, every backend forced in turn:
 * contents move, the source empties, /proc/self/maps stays the same, and
 * each error of the man page is provoked for real.
 */
#include <inttypes.h>
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
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
#include "syscall.h"

#define OP		"remap_anon_pages"
#define THP_SIZE	(2UL << 20)

static size_t page;

static const char *const backends[] = { "native", "uffd-move", "mremap",
					"copy" };
#define BACKEND_COUNT	(sizeof(backends) / sizeof(backends[0]))

/* A private anonymous mapping of its own, with PROT_NONE guards around it
 * so that it never merges with a neighbour. */
struct area {
	char *reserve;
	size_t reserve_len;
	char *addr;
	size_t len;
};

static char *area_map_prot(struct area *a, size_t len, size_t align,
			   int advice, int prot, int flags, int fd)
{
	uintptr_t at;

	a->len = len;
	a->reserve_len = len + 2 * align + 2 * page;
	a->reserve = mmap(NULL, a->reserve_len, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	assert_true(a->reserve != MAP_FAILED);
	at = ((uintptr_t)a->reserve + page + align - 1) & ~(align - 1);
	a->addr = mmap((void *)at, len, prot, flags | MAP_FIXED, fd, 0);
	assert_true(a->addr == (char *)at);
	if (advice >= 0)
		assert_int_equal(madvise(a->addr, len, advice), 0);
	return a->addr;
}

static char *area_map(struct area *a, size_t len)
{
	return area_map_prot(a, len, page, -1, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1);
}

static void area_unmap(struct area *a)
{
	munmap(a->reserve, a->reserve_len);
}

/* The /proc/self/maps lines that touch [addr, addr+len). */
static char *maps_of(const void *addr, size_t len)
{
	FILE *maps = fopen("/proc/self/maps", "r");
	uintptr_t from = (uintptr_t)addr, to = from + len;
	size_t size = 0;
	char *out = NULL, line[512];
	FILE *mem = open_memstream(&out, &size);

	assert_non_null(maps);
	assert_non_null(mem);
	while (fgets(line, sizeof(line), maps)) {
		uintptr_t start, end;

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR, &start, &end) == 2 &&
		    start < to && from < end)
			fputs(line, mem);
	}
	fclose(maps);
	fclose(mem);
	return out;
}

static bool all_zero(const char *p, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i])
			return false;
	return true;
}

static bool backend_available(const char *name)
{
	struct xmm_backend_info info;
	unsigned int i;

	for (i = 0; xmm_backend_info(i, &info) == 0; i++) {
		if (strcmp(info.operation, OP) || strcmp(info.backend, name))
			continue;
		if (!info.available)
			printf("note: backend %s unavailable here: %s\n",
			       name, info.detail ? info.detail : "");
		return info.available;
	}
	return false;
}

/* Run body once per available backend, forced. */
#define FOR_EACH_BACKEND(name)						\
	for (size_t _i = 0; _i < BACKEND_COUNT; _i++)			\
		for (const char *name = backends[_i];			\
		     name && (backend_available(name) ?			\
			      (xmm_backend_force(OP, name), 1) : 0);	\
		     name = NULL)

static void assert_served_by(const char *name)
{
	const char *last = xmm_backend_last(OP);

	assert_non_null(last);
	assert_string_equal(last, name);
}

/* Move len bytes between two fresh mappings with backend name. */
static void check_move(const char *name, size_t len, size_t align,
		       int advice)
{
	struct area s, d;
	char *src = area_map_prot(&s, len, align, advice,
				  PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1);
	char *dst = area_map_prot(&d, len, align, advice,
				  PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1);
	unsigned long long sum;
	char *src_maps, *dst_maps, *after;

	harness_fill_random(src, len, (unsigned int)len);
	sum = harness_checksum(src, len);
	src_maps = maps_of(src, len);
	dst_maps = maps_of(dst, len);

	assert_int_equal(xmm_remap_anon_pages(dst, src, len, 0), len);
	assert_served_by(name);
	assert_int_equal(harness_resident_pages(src, len), 0);
	assert_true(harness_checksum(dst, len) == sum);
	assert_true(all_zero(src, len));

	after = maps_of(src, len);
	assert_string_equal(after, src_maps);
	free(after);
	after = maps_of(dst, len);
	assert_string_equal(after, dst_maps);
	free(after);
	free(src_maps);
	free(dst_maps);
	area_unmap(&s);
	area_unmap(&d);
}

static void test_move_one_page(void **state)
{
	FOR_EACH_BACKEND(name)
		check_move(name, page, page, -1);
}

static void test_move_64_pages(void **state)
{
	FOR_EACH_BACKEND(name)
		check_move(name, 64 * page, page, -1);
}

static void test_move_256m_thp(void **state)
{
	FOR_EACH_BACKEND(name)
		check_move(name, 256UL << 20, THP_SIZE, MADV_HUGEPAGE);
}

static void test_move_256m_no_thp(void **state)
{
	FOR_EACH_BACKEND(name)
		check_move(name, 256UL << 20, THP_SIZE, MADV_NOHUGEPAGE);
}

/* GC compaction: both ranges inside one mapping, which must stay whole. */
static void test_move_within_one_mapping(void **state)
{
	FOR_EACH_BACKEND(name) {
		struct area a;
		char *base = area_map(&a, 64 * page);
		char *src = base + 4 * page, *dst = base + 32 * page;
		char *before, *after;
		unsigned long long sum;

		harness_fill_random(src, 16 * page, 3);
		sum = harness_checksum(src, 16 * page);
		before = maps_of(base, 64 * page);
		if (!strcmp(name, "mremap")) {
			/* It would split the mapping: it declines. */
			assert_int_equal(xmm_remap_anon_pages(dst, src,
							      16 * page, 0),
					 -1);
			assert_int_equal(errno, ENOSYS);
		} else {
			assert_int_equal(xmm_remap_anon_pages(dst, src,
							      16 * page, 0),
					 16 * page);
			assert_served_by(name);
			assert_true(harness_checksum(dst, 16 * page) == sum);
			assert_true(all_zero(src, 16 * page));
		}
		after = maps_of(base, 64 * page);
		assert_string_equal(after, before);
		free(before);
		free(after);
		area_unmap(&a);
	}
}

static void test_eexist_first_page(void **state)
{
	FOR_EACH_BACKEND(name) {
		struct area s, d;
		char *src = area_map(&s, 8 * page);
		char *dst = area_map(&d, 8 * page);
		unsigned long long sum;

		harness_fill_random(src, 8 * page, 5);
		sum = harness_checksum(src, 8 * page);
		dst[0] = 1;
		assert_int_equal(xmm_remap_anon_pages(dst, src, 8 * page, 0),
				 -1);
		assert_int_equal(errno, EEXIST);
		assert_true(harness_checksum(src, 8 * page) == sum);
		assert_int_equal(harness_resident_pages(dst, 8 * page), 1);
		area_unmap(&s);
		area_unmap(&d);
	}
}

static void test_eexist_middle_page_partial(void **state)
{
	FOR_EACH_BACKEND(name) {
		struct area s, d;
		char *src = area_map(&s, 8 * page);
		char *dst = area_map(&d, 8 * page);
		unsigned long long head, tail;
		char *src_maps = maps_of(src, 8 * page);
		char *dst_maps = maps_of(dst, 8 * page), *after;
		ssize_t ret;

		harness_fill_random(src, 8 * page, 6);
		head = harness_checksum(src, 3 * page);
		tail = harness_checksum(src + 3 * page, 5 * page);
		dst[3 * page] = 1;

		ret = xmm_remap_anon_pages(dst, src, 8 * page, 0);
		assert_int_equal(ret, 3 * page);
		assert_served_by(name);
		assert_true(harness_checksum(dst, 3 * page) == head);
		assert_int_equal(harness_resident_pages(src, 3 * page), 0);
		assert_true(harness_checksum(src + 3 * page, 5 * page) ==
			    tail);
		/* The retry from src+ret learns why the move stopped. */
		assert_int_equal(xmm_remap_anon_pages(dst + ret, src + ret,
						      8 * page - ret, 0), -1);
		assert_int_equal(errno, EEXIST);

		after = maps_of(src, 8 * page);
		assert_string_equal(after, src_maps);
		free(after);
		after = maps_of(dst, 8 * page);
		assert_string_equal(after, dst_maps);
		free(after);
		free(src_maps);
		free(dst_maps);
		area_unmap(&s);
		area_unmap(&d);
	}
}

static void test_enoent_src_hole(void **state)
{
	FOR_EACH_BACKEND(name) {
		struct area s, d;
		char *src = area_map(&s, 8 * page);
		char *dst = area_map(&d, 8 * page);
		unsigned long long head;

		harness_fill_random(src, 8 * page, 7);
		head = harness_checksum(src, 2 * page);
		assert_int_equal(madvise(src + 2 * page, page, MADV_DONTNEED),
				 0);
		/* A hole at the first page: nothing moves. */
		assert_int_equal(xmm_remap_anon_pages(dst + 2 * page,
						      src + 2 * page,
						      6 * page, 0), -1);
		assert_int_equal(errno, ENOENT);
		assert_int_equal(harness_resident_pages(dst, 8 * page), 0);
		/* A hole in the middle: the pages before it move. */
		assert_int_equal(xmm_remap_anon_pages(dst, src, 8 * page, 0),
				 2 * page);
		assert_served_by(name);
		assert_true(harness_checksum(dst, 2 * page) == head);
		assert_int_equal(xmm_remap_anon_pages(dst + 2 * page,
						      src + 2 * page,
						      6 * page, 0), -1);
		assert_int_equal(errno, ENOENT);
		area_unmap(&s);
		area_unmap(&d);
	}
}

static void test_allow_src_holes(void **state)
{
	FOR_EACH_BACKEND(name) {
		struct area s, d;
		char *src = area_map(&s, 8 * page);
		char *dst = area_map(&d, 8 * page);
		char *expect = malloc(8 * page);
		char *dst_maps = maps_of(dst, 8 * page), *after;
		size_t hole[] = { 0, 3, 7 }, i;

		harness_fill_random(src, 8 * page, 8);
		memcpy(expect, src, 8 * page);
		for (i = 0; i < 3; i++) {
			assert_int_equal(madvise(src + hole[i] * page, page,
						 MADV_DONTNEED), 0);
			memset(expect + hole[i] * page, 0, page);
		}
		assert_int_equal(harness_resident_pages(src, 8 * page), 5);

		assert_int_equal(xmm_remap_anon_pages(dst, src, 8 * page,
						      XMM_RAP_ALLOW_SRC_HOLES),
				 8 * page);
		assert_served_by(name);
		assert_int_equal(harness_resident_pages(src, 8 * page), 0);
		/* The holes stay holes in dst. */
		assert_int_equal(harness_resident_pages(dst, 8 * page), 5);
		for (i = 0; i < 3; i++)
			assert_int_equal(harness_resident_pages(
				dst + hole[i] * page, page), 0);
		assert_memory_equal(dst, expect, 8 * page);
		after = maps_of(dst, 8 * page);
		assert_string_equal(after, dst_maps);
		free(after);
		free(dst_maps);
		free(expect);
		area_unmap(&s);
		area_unmap(&d);
	}
}

static void expect_einval(void *dst, void *src, size_t len,
			  unsigned long flags)
{
	errno = 0;
	assert_int_equal(xmm_remap_anon_pages(dst, src, len, flags), -1);
	assert_int_equal(errno, EINVAL);
}

/* Argument errors are found before any backend runs. */
static void test_einval_arguments(void **state)
{
	struct area s, d;
	char *src = area_map(&s, 4 * page);
	char *dst = area_map(&d, 4 * page);
	char *top = (char *)(UINTPTR_MAX & ~(uintptr_t)(page - 1));

	harness_fill_random(src, 4 * page, 9);
	xmm_backend_force(OP, NULL);
	expect_einval(dst + 1, src, page, 0);
	expect_einval(dst, src + 1, page, 0);
	expect_einval(dst, src, page + 1, 0);
	expect_einval(dst, src, 0, 0);
	expect_einval(src + page, src, 2 * page, 0);	/* overlap */
	expect_einval(src, src + page, 2 * page, 0);
	expect_einval(top, src, 2 * page, 0);		/* wraps */
	expect_einval(dst, top, 2 * page, 0);
	/*
	 * Longer than SSIZE_MAX (2 GiB on 32-bit): two such ranges cannot
	 * lie apart without one wrapping, so no move ever counts more
	 * bytes than the ssize_t answer holds.
	 */
	expect_einval(dst, src, (size_t)SSIZE_MAX + 1, 0);
	expect_einval(src, dst, (size_t)SSIZE_MAX + 1, 0);
	/* Side by side from the first page up: src runs past the top. */
	expect_einval((char *)page, (char *)page + (size_t)SSIZE_MAX + 1,
		      (size_t)SSIZE_MAX + 1, 0);
	expect_einval(dst, src, SIZE_MAX & ~(size_t)(page - 1), 0);
	expect_einval(dst, src, page, 0x2);		/* unknown flag */
	expect_einval(dst, src, page, ~XMM_RAP_ALLOW_SRC_HOLES);
	/* Nothing moved. */
	assert_int_equal(harness_resident_pages(dst, 4 * page), 0);
	area_unmap(&s);
	area_unmap(&d);
}

/* Mappings the move refuses, on every backend. */
static void test_einval_mappings(void **state)
{
	FOR_EACH_BACKEND(name) {
		struct area anon_src, anon_dst, shared, file, ro, ro2;
		FILE *tmp = tmpfile();
		char *src, *dst, *shared_p, *file_p, *ro_p, *ro2_p;

		assert_non_null(tmp);
		assert_int_equal(ftruncate(fileno(tmp), 4 * page), 0);
		src = area_map(&anon_src, 4 * page);
		dst = area_map(&anon_dst, 4 * page);
		shared_p = area_map_prot(&shared, 4 * page, page, -1,
					 PROT_READ | PROT_WRITE,
					 MAP_SHARED | MAP_ANONYMOUS, -1);
		file_p = area_map_prot(&file, 4 * page, page, -1,
				       PROT_READ | PROT_WRITE, MAP_PRIVATE,
				       fileno(tmp));
		ro_p = area_map_prot(&ro, 4 * page, page, -1, PROT_READ,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1);
		ro2_p = area_map_prot(&ro2, 4 * page, page, -1, PROT_READ,
				      MAP_PRIVATE | MAP_ANONYMOUS, -1);
		harness_fill_random(src, 4 * page, 10);
		harness_fill_random(shared_p, 4 * page, 11);
		harness_fill_random(file_p, 4 * page, 12);
		assert_int_equal(ro_p[0] + ro2_p[0], 0);	/* zero pages */

		/* MAP_SHARED, a file, r-- against rw-, both read-only. */
		expect_einval(shared_p, src, 4 * page, 0);
		expect_einval(dst, shared_p, 4 * page, 0);
		expect_einval(file_p, src, 4 * page, 0);
		expect_einval(dst, file_p, 4 * page, 0);
		expect_einval(ro_p, src, 4 * page, 0);
		expect_einval(dst, ro_p, 4 * page, 0);
		expect_einval(ro2_p, ro_p, 4 * page, 0);
		/* Past the end of its mapping, PROT_NONE, unmapped. */
		expect_einval(dst + page, src, 4 * page, 0);
		expect_einval(dst, src + page, 4 * page, 0);
		expect_einval(anon_dst.reserve, src, page, 0);
		expect_einval(dst, anon_src.reserve, page, 0);
		assert_int_equal(munmap(anon_dst.reserve, page), 0);
		assert_int_equal(munmap(anon_src.reserve, page), 0);
		expect_einval(anon_dst.reserve, src, page, 0);
		expect_einval(dst, anon_src.reserve, page, 0);
		expect_einval(dst, anon_src.reserve, page,
			      XMM_RAP_ALLOW_SRC_HOLES);
		assert_int_equal(harness_resident_pages(dst, 4 * page), 0);

		area_unmap(&anon_src);
		area_unmap(&anon_dst);
		area_unmap(&shared);
		area_unmap(&file);
		area_unmap(&ro);
		area_unmap(&ro2);
		fclose(tmp);
	}
}

/* Is the mapping holding addr registered with a userfaultfd (VmFlags um)? */
static bool smaps_says_uffd_missing(const void *addr)
{
	FILE *smaps = fopen("/proc/self/smaps", "r");
	bool in_vma = false, found = false;
	char line[512];

	assert_non_null(smaps);
	while (fgets(line, sizeof(line), smaps)) {
		uintptr_t start, end;
		char dash;

		if (sscanf(line, "%" SCNxPTR "%c%" SCNxPTR " ", &start, &dash,
			   &end) == 3 &&
		    dash == '-') {
			in_vma = start <= (uintptr_t)addr &&
				 (uintptr_t)addr < end;
			continue;
		}
		if (in_vma && !strncmp(line, "VmFlags:", 8)) {
			found = strstr(line, " um") != NULL;
			break;
		}
	}
	fclose(smaps);
	return found;
}

static int open_caller_userfaultfd(void)
{
	struct uffdio_api api = { .api = UFFD_API };
	int uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK |
				UFFD_USER_MODE_ONLY);

	if (uffd < 0)	/* before 5.11: no UFFD_USER_MODE_ONLY */
		uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (uffd < 0)
		harness_skip("userfaultfd(2) refused here: %s",
			     strerror(errno));
	assert_int_equal(ioctl(uffd, UFFDIO_API, &api), 0);
	return uffd;
}

/*
 * EBUSY: dst belongs to the caller's own userfaultfd, on every backend.
 * Nothing moves, and the caller's registration stays (mremap used to drop
 * it; copy used to block on a fault for the caller's handler).
 */
static void test_ebusy_dst_registered_elsewhere(void **state)
{
	struct uffdio_register reg = {
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int uffd = open_caller_userfaultfd();

	FOR_EACH_BACKEND(name) {
		unsigned long long sum;
		struct area s, d;

		area_map(&s, 4 * page);
		area_map(&d, 4 * page);
		harness_fill_random(s.addr, 4 * page, 70);
		sum = harness_checksum(s.addr, 4 * page);
		reg.range.start = (uintptr_t)d.addr;
		reg.range.len = 4 * page;
		assert_int_equal(ioctl(uffd, UFFDIO_REGISTER, &reg), 0);

		errno = 0;
		assert_int_equal(xmm_remap_anon_pages(d.addr, s.addr,
						      4 * page, 0), -1);
		assert_int_equal(errno, EBUSY);
		assert_true(smaps_says_uffd_missing(d.addr));
		assert_int_equal(harness_resident_pages(d.addr, 4 * page), 0);
		assert_true(harness_checksum(s.addr, 4 * page) == sum);
		area_unmap(&s);
		area_unmap(&d);
	}
	close(uffd);
}

/*
 * A MAP_PRIVATE mapping of /dev/zero is anonymous memory to the kernel
 * (UFFDIO_MOVE moves it on 6.18): every backend moves it.
 */
static void test_dev_zero_private_moves(void **state)
{
	int zero = open("/dev/zero", O_RDWR | O_CLOEXEC);

	assert_true(zero >= 0);
	FOR_EACH_BACKEND(name) {
		unsigned long long sum;
		struct area s, d;

		area_map_prot(&s, 4 * page, page, -1, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE, zero);
		area_map_prot(&d, 4 * page, page, -1, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE, zero);
		harness_fill_random(s.addr, 4 * page, 71);
		sum = harness_checksum(s.addr, 4 * page);
		errno = 0;
		assert_int_equal(xmm_remap_anon_pages(d.addr, s.addr,
						      4 * page, 0),
				 (ssize_t)(4 * page));
		assert_served_by(name);
		assert_true(harness_checksum(d.addr, 4 * page) == sum);
		assert_int_equal(harness_resident_pages(s.addr, 4 * page), 0);
		area_unmap(&s);
		area_unmap(&d);
	}
	close(zero);
}

/*
 * How many of this process's descriptors are userfaultfds (-1: /proc
 * unreadable); *last, if not NULL: the last one listed, or -1.
 */
static int userfaultfds(int *last)
{
	DIR *fds = opendir("/proc/self/fd");
	struct dirent *entry;
	int count = 0;

	if (last)
		*last = -1;
	if (!fds)
		return -1;
	while ((entry = readdir(fds))) {
		char path[300], target[64];
		ssize_t n;

		snprintf(path, sizeof(path), "/proc/self/fd/%s",
			 entry->d_name);
		n = readlink(path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (!strstr(target, "[userfaultfd]"))
			continue;
		count++;
		if (last)
			*last = atoi(entry->d_name);
	}
	closedir(fds);
	return count;
}

/* The descriptor of the library's userfaultfd: its only one here. */
static int library_userfaultfd(void)
{
	int found;

	assert_true(userfaultfds(&found) >= 0);
	return found;
}

/* Move fd to number (free: the caller just closed it). */
static int take_number(int fd, int number)
{
	if (fd == number)
		return fd;
	assert_int_equal(dup3(fd, number, O_CLOEXEC), number);
	close(fd);
	return number;
}

static void move_four_pages(void)
{
	unsigned long long sum;
	struct area s, d;

	area_map(&s, 4 * page);
	area_map(&d, 4 * page);
	harness_fill_random(s.addr, 4 * page, 72);
	sum = harness_checksum(s.addr, 4 * page);
	assert_int_equal(xmm_remap_anon_pages(d.addr, s.addr, 4 * page, 0),
			 (ssize_t)(4 * page));
	assert_served_by("uffd-move");
	assert_true(harness_checksum(d.addr, 4 * page) == sum);
	area_unmap(&s);
	area_unmap(&d);
}

/*
 * The caller closes the library's cached userfaultfd (close_range(), as
 * daemons do) and the number is reused: by the caller's own userfaultfd,
 * then by a pipe.  The library notices (its inode), opens another one and
 * leaves the caller's file alone.
 */
static void test_cached_userfaultfd_number_reused(void **state)
{
	struct uffdio_register reg = {
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	int lib_fd, caller_uffd, pipe_fds[2];
	struct area mine;
	char byte = 0;

	if (!backend_available("uffd-move"))
		harness_skip("no userfaultfd UFFDIO_MOVE here");
	xmm_backend_force(OP, "uffd-move");
	move_four_pages();
	lib_fd = library_userfaultfd();
	assert_true(lib_fd >= 0);

	/* The caller's userfaultfd takes the number. */
	assert_int_equal(syscall(SYS_close_range, lib_fd, lib_fd, 0), 0);
	caller_uffd = take_number(open_caller_userfaultfd(), lib_fd);
	area_map(&mine, 4 * page);
	reg.range.start = (uintptr_t)mine.addr;
	reg.range.len = 4 * page;
	assert_int_equal(ioctl(caller_uffd, UFFDIO_REGISTER, &reg), 0);
	move_four_pages();
	/* Its registration is intact, and nothing else was registered. */
	assert_true(smaps_says_uffd_missing(mine.addr));
	assert_int_equal(ioctl(caller_uffd, UFFDIO_UNREGISTER, &reg.range),
			 0);
	assert_false(smaps_says_uffd_missing(mine.addr));
	area_unmap(&mine);

	/* A pipe takes the number. */
	lib_fd = library_userfaultfd();
	assert_true(lib_fd >= 0 && lib_fd != caller_uffd);
	assert_int_equal(syscall(SYS_close_range, lib_fd, lib_fd, 0), 0);
	assert_int_equal(pipe(pipe_fds), 0);
	pipe_fds[0] = take_number(pipe_fds[0], lib_fd);
	move_four_pages();
	assert_int_equal(write(pipe_fds[1], "x", 1), 1);
	assert_int_equal(read(pipe_fds[0], &byte, 1), 1);
	assert_int_equal(byte, 'x');
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	close(caller_uffd);
	/* The library's current one is still served. */
	move_four_pages();
}

/* A forked child that keeps the parent's memory, copy-on-write. */
static pid_t start_sleeping_child(void)
{
	int ready[2];
	char byte;
	pid_t pid;

	assert_int_equal(pipe(ready), 0);
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(ready[0]);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &byte, 1), 1);
	close(ready[0]);
	return pid;
}

static void stop_child(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

/* Seccomp filters cannot be installed (valgrind): the child says so. */
#define SECCOMP_UNAVAILABLE	77

static int block_syscall(long nr)
{
	return harness_seccomp_enosys(nr) == 0 ? 0 : SECCOMP_UNAVAILABLE;
}

/*
 * Our patched kernels' remap_anon_pages serves first wherever it exists:
 * refuse it too, so that a test of the order of the fallbacks tests them
 * on every kernel.  Nothing to refuse on an ABI without the number.
 */
static int block_native(void)
{
	if (XMM_NR_remap_anon_pages == XMM_NR_NONE)
		return 0;
	return block_syscall(XMM_NR_remap_anon_pages);
}

static void expect_child_success(int (*fn)(void *), void *arg)
{
	int ret = harness_run_in_child(fn, arg);

	if (ret == SECCOMP_UNAVAILABLE)
		harness_skip("seccomp filters cannot be installed here");
	assert_int_equal(ret, 0);
}

/* Pages shared with a forked child: EBUSY, or the child's view intact. */
static void test_pages_shared_with_child(void **state)
{
	bool saw_ebusy = false;

	/* What the child still sees is read with process_vm_readv(2). */
	harness_need(HARNESS_NEEDS_PROCESS_VM_READV);
	FOR_EACH_BACKEND(name) {
		struct area s, d;
		char *src = area_map(&s, 16 * page);
		char *dst = area_map(&d, 16 * page);
		char *child_view = malloc(16 * page);
		unsigned long long sum;
		pid_t child;
		struct iovec local = { child_view, 16 * page };
		struct iovec remote = { src, 16 * page };
		ssize_t ret;

		harness_fill_random(src, 16 * page, 13);
		sum = harness_checksum(src, 16 * page);
		child = start_sleeping_child();

		ret = xmm_remap_anon_pages(dst, src, 16 * page, 0);
		if (ret < 0) {
			assert_int_equal(errno, EBUSY);
			assert_true(harness_checksum(src, 16 * page) == sum);
			saw_ebusy = true;
			printf("note: %s refuses shared pages (EBUSY)\n",
			       name);
		} else {
			assert_int_equal(ret, 16 * page);
			assert_true(harness_checksum(dst, 16 * page) == sum);
			assert_true(all_zero(src, 16 * page));
		}
		assert_int_equal(process_vm_readv(child, &local, 1,
						  &remote, 1, 0), 16 * page);
		assert_true(harness_checksum(child_view, 16 * page) == sum);
		stop_child(child);
		free(child_view);
		area_unmap(&s);
		area_unmap(&d);
	}
	/* UFFDIO_MOVE refuses them; EBUSY is provoked wherever it exists. */
	if (backend_available("uffd-move"))
		assert_true(saw_ebusy);
}

#define THREADS		8
#define THREAD_PAGES	32

struct mover {
	pthread_t thread;
	pthread_barrier_t *start;
	struct area src, dst;
	unsigned long long sum;
	ssize_t ret;
	const char *served_by;
};

static void *mover_main(void *arg)
{
	struct mover *m = arg;
	int round;

	pthread_barrier_wait(m->start);
	/* Back and forth, so that calls overlap in time. */
	for (round = 0; round < 20; round++) {
		char *to = round & 1 ? m->src.addr : m->dst.addr;
		char *from = round & 1 ? m->dst.addr : m->src.addr;

		m->ret = xmm_remap_anon_pages(to, from, THREAD_PAGES * page,
					      0);
		if (m->ret != (ssize_t)(THREAD_PAGES * page))
			break;
	}
	m->served_by = xmm_backend_last(OP);
	return NULL;
}

static void test_threads_disjoint_ranges(void **state)
{
	FOR_EACH_BACKEND(name) {
		struct mover movers[THREADS];
		pthread_barrier_t start;
		int i;

		pthread_barrier_init(&start, NULL, THREADS);
		for (i = 0; i < THREADS; i++) {
			struct mover *m = &movers[i];

			area_map(&m->src, THREAD_PAGES * page);
			area_map(&m->dst, THREAD_PAGES * page);
			harness_fill_random(m->src.addr, THREAD_PAGES * page,
					    20 + i);
			m->sum = harness_checksum(m->src.addr,
						  THREAD_PAGES * page);
			m->start = &start;
			assert_int_equal(pthread_create(&m->thread, NULL,
							mover_main, m), 0);
		}
		for (i = 0; i < THREADS; i++) {
			struct mover *m = &movers[i];

			pthread_join(m->thread, NULL);
			assert_int_equal(m->ret, THREAD_PAGES * page);
			assert_non_null(m->served_by);
			assert_string_equal(m->served_by, name);
			/* An even number of rounds ends where it began. */
			assert_true(harness_checksum(m->src.addr,
					THREAD_PAGES * page) == m->sum);
			assert_true(all_zero(m->dst.addr,
					     THREAD_PAGES * page));
			area_unmap(&m->src);
			area_unmap(&m->dst);
		}
		pthread_barrier_destroy(&start);
	}
}

/* A child moves its own pages, never the parent's. */
struct fork_move {
	char *src, *dst;
	size_t len;
	/* userfaultfds the child starts with: fork()'s handler closed ours */
	int inherited_uffds;
};

static int child_moves_own_pages(void *arg)
{
	struct fork_move *fm = arg;
	unsigned long long sum;

	/* The fork hook (atfork.c) closed the parent's; a raw clone not. */
	CHILD_CHECK(userfaultfds(NULL) == fm->inherited_uffds);
	/* Pages of its own: a write gives the child private copies. */
	harness_fill_random(fm->src, fm->len, 99);
	sum = harness_checksum(fm->src, fm->len);
	CHILD_CHECK(xmm_remap_anon_pages(fm->dst, fm->src, fm->len, 0) ==
		    (ssize_t)fm->len);
	CHILD_CHECK(!strcmp(xmm_backend_last(OP), "uffd-move"));
	CHILD_CHECK(harness_checksum(fm->dst, fm->len) == sum);
	CHILD_CHECK(all_zero(fm->src, fm->len));
	return 0;
}

/* fork() without pthread_atfork handlers, as _Fork() and clone() do. */
static int run_in_raw_child(int (*fn)(void *), void *arg)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = (pid_t)syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
	if (pid == 0)
		_exit(fn(arg));
	assert_true(pid > 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

static void test_fork_after_cached_userfaultfd(void **state)
{
	struct area s, d, warm_s, warm_d;
	struct fork_move fm;
	unsigned long long sum;
	int raw, parent_uffds;

	if (!backend_available("uffd-move"))
		harness_skip("no userfaultfd UFFDIO_MOVE here");
	xmm_backend_force(OP, "uffd-move");
	/* The parent opens and caches its userfaultfd. */
	area_map(&warm_s, page);
	area_map(&warm_d, page);
	warm_s.addr[0] = 1;
	assert_int_equal(xmm_remap_anon_pages(warm_d.addr, warm_s.addr, page,
					      0), page);
	parent_uffds = userfaultfds(NULL);
	assert_true(parent_uffds >= 1);

	for (raw = 0; raw < 2; raw++) {
		fm.inherited_uffds = raw ? parent_uffds : parent_uffds - 1;
		fm.len = 16 * page;
		fm.src = area_map(&s, fm.len);
		fm.dst = area_map(&d, fm.len);
		harness_fill_random(fm.src, fm.len, 30);
		sum = harness_checksum(fm.src, fm.len);

		assert_int_equal(raw ? run_in_raw_child(child_moves_own_pages,
							&fm) :
				 harness_run_in_child(child_moves_own_pages,
						      &fm), 0);
		/* The parent's pages stayed where they were. */
		assert_true(harness_checksum(fm.src, fm.len) == sum);
		assert_int_equal(harness_resident_pages(fm.dst, fm.len), 0);
		/*
		 * And the parent's own userfaultfd still works.  Its pages
		 * stay marked shared after the fork until written: rewrite.
		 */
		harness_fill_random(fm.src, fm.len, 31);
		sum = harness_checksum(fm.src, fm.len);
		assert_int_equal(xmm_remap_anon_pages(fm.dst, fm.src, fm.len,
						      0), fm.len);
		assert_true(harness_checksum(fm.dst, fm.len) == sum);
		area_unmap(&s);
		area_unmap(&d);
	}
	area_unmap(&warm_s);
	area_unmap(&warm_d);
}

/* In a child: move one page between two whole mappings, and one inside a
 * larger mapping; report which backends served. */
struct served {
	char whole[16];
	char inside[16];
};

static int move_and_report(struct served *out)
{
	struct area s, d, big;
	unsigned long long sum;
	const char *last;

	area_map(&s, 4 * page);
	area_map(&d, 4 * page);
	area_map(&big, 16 * page);
	harness_fill_random(s.addr, 4 * page, 40);
	sum = harness_checksum(s.addr, 4 * page);
	CHILD_CHECK(xmm_remap_anon_pages(d.addr, s.addr, 4 * page, 0) ==
		    (ssize_t)(4 * page));
	CHILD_CHECK(harness_checksum(d.addr, 4 * page) == sum);
	last = xmm_backend_last(OP);
	CHILD_CHECK(last);
	snprintf(out->whole, sizeof(out->whole), "%s", last);

	harness_fill_random(big.addr, 4 * page, 41);
	sum = harness_checksum(big.addr, 4 * page);
	CHILD_CHECK(xmm_remap_anon_pages(big.addr + 8 * page, big.addr,
					 4 * page, 0) == (ssize_t)(4 * page));
	CHILD_CHECK(harness_checksum(big.addr + 8 * page, 4 * page) == sum);
	last = xmm_backend_last(OP);
	CHILD_CHECK(last);
	snprintf(out->inside, sizeof(out->inside), "%s", last);
	return 0;
}

static int child_userfaultfd_blocked(void *arg)
{
	struct served served;

	if (block_native() || block_syscall(__NR_userfaultfd))
		return SECCOMP_UNAVAILABLE;
	CHILD_CHECK(move_and_report(&served) == 0);
	CHILD_CHECK(!strcmp(served.whole, "uffd-move"));
	CHILD_CHECK(!strcmp(served.inside, "uffd-move"));
	return 0;
}

static void test_userfaultfd_syscall_blocked_uses_device(void **state)
{
	if (!backend_available("uffd-move"))
		harness_skip("no userfaultfd UFFDIO_MOVE here");
	if (access("/dev/userfaultfd", R_OK | W_OK) < 0)
		harness_skip("no usable /dev/userfaultfd (Linux 6.1)");
	xmm_backend_force(OP, NULL);
	expect_child_success(child_userfaultfd_blocked, NULL);
}

/* With userfaultfd refused altogether (the syscall and every ioctl),
 * automatic dispatch goes on to mremap, and to copy where mremap would
 * split a mapping or is refused too. */
static int child_userfaultfd_refused(void *arg)
{
	bool block_mremap = arg != NULL;
	struct served served;

	if (block_native() || block_syscall(__NR_userfaultfd) ||
	    block_syscall(__NR_ioctl) ||
	    (block_mremap && block_syscall(__NR_mremap)))
		return SECCOMP_UNAVAILABLE;
	CHILD_CHECK(move_and_report(&served) == 0);
	CHILD_CHECK(!strcmp(served.whole, block_mremap ? "copy" : "mremap"));
	CHILD_CHECK(!strcmp(served.inside, "copy"));
	return 0;
}

static void test_automatic_order_without_userfaultfd(void **state)
{
	xmm_backend_force(OP, NULL);
	expect_child_success(child_userfaultfd_refused, NULL);
	expect_child_success(child_userfaultfd_refused, (void *)1);
}

/* ENOMEM: at vm.max_map_count, uffd-move cannot split the destination
 * for its registration; automatic dispatch then copies. */
static int child_at_map_count_limit(void *arg)
{
	size_t pages = 70000, i;
	char *many = mmap(NULL, pages * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	struct area s, d;
	unsigned long long sum;

	CHILD_CHECK(many != MAP_FAILED);
	area_map(&s, 4 * page);
	area_map(&d, 16 * page);
	harness_fill_random(s.addr, 4 * page, 50);
	sum = harness_checksum(s.addr, 4 * page);
	for (i = 1; i < pages; i += 2)
		if (mprotect(many + i * page, page, PROT_READ) < 0)
			break;
	CHILD_CHECK(i < pages && errno == ENOMEM);

	CHILD_CHECK(xmm_backend_force(OP, "uffd-move") == 0);
	CHILD_CHECK(xmm_remap_anon_pages(d.addr + 4 * page, s.addr, 4 * page,
					 0) == -1);
	CHILD_CHECK(errno == ENOMEM);
	CHILD_CHECK(xmm_backend_force(OP, NULL) == 0);
	CHILD_CHECK(xmm_remap_anon_pages(d.addr + 4 * page, s.addr, 4 * page,
					 0) == (ssize_t)(4 * page));
	CHILD_CHECK(!strcmp(xmm_backend_last(OP), "copy"));
	CHILD_CHECK(harness_checksum(d.addr + 4 * page, 4 * page) == sum);
	return 0;
}

static void test_enomem_at_map_count_limit(void **state)
{
	const char *preload = getenv("LD_PRELOAD");

	if (!backend_available("uffd-move"))
		harness_skip("no userfaultfd UFFDIO_MOVE here");
	/* Valgrind tracks far fewer mappings than the kernel allows. */
	if (preload && strstr(preload, "vgpreload"))
		harness_skip("valgrind cannot hold vm.max_map_count mappings");
	assert_int_equal(harness_run_in_child(child_at_map_count_limit, NULL),
			 0);
}

/* ENOSYS: a forced backend that cannot serve. */
static void test_enosys_forced_backend_cannot_serve(void **state)
{
	struct area s, d;

	area_map(&s, 4 * page);
	area_map(&d, 8 * page);
	harness_fill_random(s.addr, 4 * page, 60);
	if (!backend_available("native")) {
		xmm_backend_force(OP, "native");
		assert_int_equal(xmm_remap_anon_pages(d.addr, s.addr,
						      4 * page, 0), -1);
		assert_int_equal(errno, ENOSYS);
	}
	/* mremap would split the destination mapping. */
	xmm_backend_force(OP, "mremap");
	assert_int_equal(xmm_remap_anon_pages(d.addr, s.addr, 4 * page, 0),
			 -1);
	assert_int_equal(errno, ENOSYS);
	assert_int_equal(harness_resident_pages(d.addr, 8 * page), 0);
	area_unmap(&s);
	area_unmap(&d);
}

/*
 * The default choice: a large complete move onto one whole mapping goes
 * to mremap, and must give every answer uffd-move gives.  Each case runs
 * twice, with the default and with uffd-move forced, on fresh mappings.
 */
#define CHOICE_LEN	(8UL << 20)

enum choice_case {
	CHOICE_WHOLE,		/* complete, whole dst: mremap */
	CHOICE_DST_INSIDE,	/* dst is part of a larger mapping */
	CHOICE_DST_POPULATED,	/* a populated page half way in dst */
	CHOICE_SRC_HOLE,	/* a hole half way in src, no flag */
	CHOICE_SRC_HOLE_ALLOWED,	/* the same, XMM_RAP_ALLOW_SRC_HOLES */
	CHOICE_NAMES_DIFFER,	/* [anon:...] names differ */
	CHOICE_DST_REGISTERED,	/* dst registered with another uffd */
	CHOICE_SRC_REGISTERED,	/* src registered with another uffd */
	CHOICE_DST_LOCKED,	/* dst mlock()ed on fault, src not */
	CHOICE_THP,		/* both MADV_HUGEPAGE, 2 MiB aligned */
};

struct choice_result {
	ssize_t ret;
	int err;
	const char *served;
	unsigned long long dst_sum;
	long src_resident;
	long dst_resident;
	bool maps_same;
};

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT		1
#endif

#ifndef PR_SET_VMA
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif

static int prctl_vma_name(void *addr, size_t len, const char *name)
{
	return prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME, (unsigned long)addr,
		     len, (unsigned long)name);
}

static void run_choice(enum choice_case which, const char *backend,
		       struct choice_result *out)
{
	size_t len = CHOICE_LEN, half = CHOICE_LEN / 2;
	size_t dst_len = which == CHOICE_DST_INSIDE ? 2 * len : len;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	unsigned long flags = 0;
	struct area s, d;
	char *before, *after;
	int uffd = -1;

	if (which == CHOICE_THP) {
		area_map_prot(&s, len, THP_SIZE, MADV_HUGEPAGE,
			      PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1);
		area_map_prot(&d, dst_len, THP_SIZE, MADV_HUGEPAGE,
			      PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS, -1);
	} else {
		area_map(&s, len);
		area_map(&d, dst_len);
	}
	harness_fill_random(s.addr, len, 90);
	if (which == CHOICE_DST_POPULATED)
		d.addr[half] = 1;
	if (which == CHOICE_SRC_HOLE || which == CHOICE_SRC_HOLE_ALLOWED)
		assert_int_equal(madvise(s.addr + half, page, MADV_DONTNEED),
				 0);
	if (which == CHOICE_SRC_HOLE_ALLOWED)
		flags = XMM_RAP_ALLOW_SRC_HOLES;
	if (which == CHOICE_NAMES_DIFFER &&
	    (prctl_vma_name(s.addr, len, "xmm-src") < 0 ||
	     prctl_vma_name(d.addr, len, "xmm-dst") < 0))
		harness_skip("no PR_SET_VMA_ANON_NAME here (Linux 5.17, "
			     "CONFIG_ANON_VMA_NAME)");
	/* The system call: ASan's mlock() wrapper locks nothing. */
	if (which == CHOICE_DST_LOCKED &&
	    syscall(__NR_mlock2, d.addr, len, MLOCK_ONFAULT) < 0)
		harness_skip("mlock2(MLOCK_ONFAULT) refused here: %s",
			     strerror(errno));
	if (which == CHOICE_DST_REGISTERED ||
	    which == CHOICE_SRC_REGISTERED) {
		uffd = (int)syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK |
				    UFFD_USER_MODE_ONLY);
		if (uffd < 0)
			harness_skip("userfaultfd(2) refused here: %s",
				     strerror(errno));
		assert_int_equal(ioctl(uffd, UFFDIO_API, &api), 0);
		reg.range.start = (uintptr_t)(which == CHOICE_DST_REGISTERED ?
					      d.addr : s.addr);
		reg.range.len = len;
		assert_int_equal(ioctl(uffd, UFFDIO_REGISTER, &reg), 0);
	}
	before = maps_of(d.reserve, d.reserve_len);

	xmm_backend_force(OP, backend);
	out->ret = xmm_remap_anon_pages(d.addr, s.addr, len, flags);
	out->err = out->ret < 0 ? errno : 0;
	out->served = out->ret < 0 ? NULL : xmm_backend_last(OP);
	xmm_backend_force(OP, NULL);

	after = maps_of(d.reserve, d.reserve_len);
	out->maps_same = !strcmp(before, after);
	/* Still registered: reading dst would wait for a handler. */
	if (uffd >= 0)
		close(uffd);
	out->dst_sum = harness_checksum(d.addr, dst_len);
	out->src_resident = harness_resident_pages(s.addr, len);
	out->dst_resident = harness_resident_pages(d.addr, dst_len);
	free(before);
	free(after);
	area_unmap(&s);
	area_unmap(&d);
}

static void check_choice(enum choice_case which, const char *expect_served)
{
	struct choice_result def, uffd;

	if (!backend_available("uffd-move") ||
	    !backend_available("mremap"))
		harness_skip("needs both uffd-move and mremap here");
	if (backend_available("native"))
		harness_skip("the native system call serves by default here");
	run_choice(which, "uffd-move", &uffd);
	run_choice(which, NULL, &def);

	assert_int_equal(def.ret, uffd.ret);
	assert_int_equal(def.err, uffd.err);
	assert_true(def.dst_sum == uffd.dst_sum);
	assert_int_equal(def.src_resident, uffd.src_resident);
	assert_int_equal(def.dst_resident, uffd.dst_resident);
	assert_true(def.maps_same);
	assert_true(uffd.maps_same);
	if (expect_served) {
		assert_non_null(def.served);
		assert_string_equal(def.served, expect_served);
	}
}

static void test_default_whole_mapping_uses_mremap(void **state)
{
	check_choice(CHOICE_WHOLE, "mremap");
}

static void test_default_keeps_uffd_answers(void **state)
{
	check_choice(CHOICE_DST_INSIDE, "uffd-move");
	check_choice(CHOICE_DST_POPULATED, "uffd-move");
	check_choice(CHOICE_SRC_HOLE, "uffd-move");
	check_choice(CHOICE_SRC_HOLE_ALLOWED, "mremap");
	check_choice(CHOICE_DST_REGISTERED, NULL);
	check_choice(CHOICE_THP, "mremap");
}

static void test_default_other_userfaultfd_on_src(void **state)
{
	check_choice(CHOICE_SRC_REGISTERED, NULL);
}

static void test_default_dst_locked(void **state)
{
	check_choice(CHOICE_DST_LOCKED, NULL);
}

static void test_default_names_differ(void **state)
{
	check_choice(CHOICE_NAMES_DIFFER, "uffd-move");
}

/*
 * After a fork the process's anonymous pages may be shared with the
 * child, which uffd-move refuses page by page (EBUSY) and mremap would
 * move: the default choice then leaves even a whole mapping to uffd-move.
 * (The tests that expect mremap run before any test forks.)
 */
static void test_default_after_fork_keeps_uffd_move(void **state)
{
	pid_t pid = fork();

	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	assert_int_equal(waitpid(pid, NULL, 0), pid);
	check_choice(CHOICE_WHOLE, "uffd-move");
}

static int group_setup(void **state)
{
	struct area s, d;

	page = harness_page_size();
	/* One automatic call, so that backends that only learn at run time
	 * (native) know whether they serve before tests ask. */
	area_map(&s, page);
	area_map(&d, page);
	s.addr[0] = 1;
	if (xmm_remap_anon_pages(d.addr, s.addr, page, 0) != (ssize_t)page)
		return -1;
	printf("automatic dispatch chose %s\n", xmm_backend_last(OP));
	area_unmap(&s);
	area_unmap(&d);
	return 0;
}

static int test_teardown(void **state)
{
	xmm_backend_force(OP, NULL);
	return 0;
}

#define TEST(fn)	cmocka_unit_test_teardown(fn, test_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		/* First: the default choice takes mremap only in a process
		 * that has not forked (test_default_after_fork_...). */
		TEST(test_default_whole_mapping_uses_mremap),
		TEST(test_default_keeps_uffd_answers),
		TEST(test_default_other_userfaultfd_on_src),
		TEST(test_default_dst_locked),
		TEST(test_default_names_differ),
		TEST(test_default_after_fork_keeps_uffd_move),
		TEST(test_move_one_page),
		TEST(test_move_64_pages),
		TEST(test_move_256m_thp),
		TEST(test_move_256m_no_thp),
		TEST(test_move_within_one_mapping),
		TEST(test_eexist_first_page),
		TEST(test_eexist_middle_page_partial),
		TEST(test_enoent_src_hole),
		TEST(test_allow_src_holes),
		TEST(test_einval_arguments),
		TEST(test_einval_mappings),
		TEST(test_pages_shared_with_child),
		TEST(test_ebusy_dst_registered_elsewhere),
		TEST(test_dev_zero_private_moves),
		TEST(test_cached_userfaultfd_number_reused),
		TEST(test_threads_disjoint_ranges),
		TEST(test_fork_after_cached_userfaultfd),
		TEST(test_userfaultfd_syscall_blocked_uses_device),
		TEST(test_automatic_order_without_userfaultfd),
		TEST(test_enomem_at_map_count_limit),
		TEST(test_enosys_forced_backend_cannot_serve),
	};

	/* Every backend but native checks the mappings in maps, and the
	 * copy and mremap backends which pages are there in pagemap. */
	harness_require(HARNESS_NEEDS_PROC_SELF_MAPS | HARNESS_NEEDS_PAGEMAP);
	return cmocka_run_group_tests(tests, group_setup, NULL);
}
