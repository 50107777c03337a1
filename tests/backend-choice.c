// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Which backend the library picks by itself, asserted per environment.
 *
 * The environment comes from outside the library, so that the test cannot
 * agree with a wrong probe: kernel/ runs it in its QEMU guests with
 * XMM_EXPECT_KERNEL=stock (Debian's 6.1) or =patched (6.1 with our
 * process_vm_mmap and remap_anon_pages); without the variable it is the
 * host, a mainline kernel judged by its version.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

static size_t page;
static bool patched_kernel;

static void *map_anon(size_t len, int flags)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, flags, -1, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static void test_process_madvise_on_self(void **state)
{
	unsigned char *region = map_anon(page, MAP_PRIVATE | MAP_ANONYMOUS);
	struct iovec v = { region, page };
	int pidfd = harness_pidfd_self();

	region[0] = 1;
	assert_int_equal(xmm_process_madvise(pidfd, &v, 1, MADV_DONTNEED, 0),
			 (ssize_t)page);
	assert_int_equal(region[0], 0);
	/* Any advice for self: the kernel from 6.13, the library before
	 * (and under valgrind, which answers ENOSYS to process_madvise). */
	assert_string_equal(xmm_backend_last("process_madvise"),
			    harness_kernel_at_least(6, 13) &&
			    !harness_under_valgrind() ? "native" :
							"self-madvise");
	close(pidfd);
	munmap(region, page);
}

static void test_process_madvise_on_a_child(void **state)
{
	unsigned char *region = map_anon(page, MAP_PRIVATE | MAP_ANONYMOUS);
	struct iovec v = { region, page };
	struct harness_child child;

	harness_skip_under_valgrind(HARNESS_VALGRIND_NO_PROCESS_MADVISE);
	assert_int_equal(harness_child_start(&child, NULL, NULL), 0);
	assert_int_equal(xmm_process_madvise(child.pidfd, &v, 1, MADV_COLD, 0),
			 (ssize_t)page);
	assert_string_equal(xmm_backend_last("process_madvise"), "native");
	harness_child_stop(&child);
	munmap(region, page);
}

static void test_remap_anon_pages(void **state)
{
	size_t len = 16 * page;
	/* Two mappings with holes around each, so that the kernel cannot
	 * merge them with each other or their neighbours: dst is then one
	 * whole mapping, as mremap needs. */
	unsigned char *area = map_anon(2 * len + 3 * page,
				       MAP_PRIVATE | MAP_ANONYMOUS);
	unsigned char *src = area + page;
	unsigned char *dst = src + len + page;
	const char *expected;

	assert_int_equal(munmap(area, page), 0);
	assert_int_equal(munmap(src + len, page), 0);
	assert_int_equal(munmap(dst + len, page), 0);

	memset(src, 0x5a, len);
	assert_int_equal(xmm_remap_anon_pages(dst, src, len, 0),
			 (ssize_t)len);
	assert_int_equal(dst[len - 1], 0x5a);
	assert_int_equal(src[0], 0);
	/* dst is one whole mapping, so mremap may serve before copy. */
	if (patched_kernel)
		expected = "native";
	else if (harness_kernel_at_least(6, 8))
		expected = "uffd-move";
	else if (harness_kernel_at_least(5, 7))
		expected = "mremap";
	else
		expected = "copy";
	assert_string_equal(xmm_backend_last("remap_anon_pages"), expected);
	munmap(src, len);
	munmap(dst, len);
}

static void fill_region(void *arg)
{
	memset(arg, 0x6b, 16 * page);
}

static void check_vm_mmap(int map_flags, const char *fallback)
{
	size_t len = 16 * page;
	unsigned char *region = map_anon(len, map_flags);
	struct harness_child child;
	unsigned char *clone;

	assert_int_equal(harness_child_start(&child, fill_region, region), 0);
	clone = xmm_process_vm_mmap(child.pid, region, len, NULL, 0);
	assert_true(clone != MAP_FAILED);
	assert_int_equal(clone[0], 0x6b);
	assert_int_equal(clone[len - 1], 0x6b);
	assert_string_equal(xmm_backend_last("process_vm_mmap"),
			    patched_kernel ? "native" : fallback);
	munmap(clone, len);
	harness_child_stop(&child);
	munmap(region, len);
}

static void test_process_vm_mmap_private(void **state)
{
	check_vm_mmap(MAP_PRIVATE | MAP_ANONYMOUS, "readv");
}

static void test_process_vm_mmap_shared(void **state)
{
	check_vm_mmap(MAP_SHARED | MAP_ANONYMOUS, "shared");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_process_madvise_on_self),
		cmocka_unit_test(test_process_madvise_on_a_child),
		cmocka_unit_test(test_remap_anon_pages),
		cmocka_unit_test(test_process_vm_mmap_private),
		cmocka_unit_test(test_process_vm_mmap_shared),
	};
	const char *expect = getenv("XMM_EXPECT_KERNEL");

	page = harness_page_size();
	patched_kernel = expect && !strcmp(expect, "patched");
	printf("environment: %s kernel\n", expect ? expect : "host");
	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_PROCESS_VM_READV |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
