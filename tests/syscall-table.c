// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The syscall table against the building machine's <asm/unistd.h>: every
 * number the header defines must equal the table's, and every table entry
 * must either be in the header or be one the header cannot know (an
 * unmerged call, or one newer than the header).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <asm/unistd.h>
#include <sys/mman.h>

#include "syscall.h"
#include "harness.h"

struct table_entry {
	const char *name;
	long nr;
};

#define XMM_SYSCALL(name, x86_64, i386, x32, aarch64, arm, riscv64,	\
		    loongarch64, powerpc, s390x, mips_o32, mips_n32,	\
		    mips_n64, alpha)					\
	{ #name, XMM_NR_##name },
static const struct table_entry table[] = {
#include "syscall_table.h"
};
#undef XMM_SYSCALL

/* What this machine's kernel headers say, for each name in the table. */
static const struct table_entry header[] = {
/* The table leaves out the struct-argument old_mmap of these ABIs. */
#if defined(__NR_mmap) && !defined(__i386__) && !defined(__s390x__) && \
	!defined(__arm__)
	{ "mmap", __NR_mmap },
#else
	{ "mmap", XMM_NR_NONE },
#endif
#ifdef __NR_munmap
	{ "munmap", __NR_munmap },
#endif
#ifdef __NR_mremap
	{ "mremap", __NR_mremap },
#endif
#ifdef __NR_madvise
	{ "madvise", __NR_madvise },
#endif
#ifdef __NR_process_vm_readv
	{ "process_vm_readv", __NR_process_vm_readv },
#endif
#ifdef __NR_process_vm_writev
	{ "process_vm_writev", __NR_process_vm_writev },
#endif
#ifdef __NR_memfd_create
	{ "memfd_create", __NR_memfd_create },
#endif
#ifdef __NR_userfaultfd
	{ "userfaultfd", __NR_userfaultfd },
#endif
#ifdef __NR_pidfd_send_signal
	{ "pidfd_send_signal", __NR_pidfd_send_signal },
#endif
#ifdef __NR_pidfd_open
	{ "pidfd_open", __NR_pidfd_open },
#endif
#ifdef __NR_pidfd_getfd
	{ "pidfd_getfd", __NR_pidfd_getfd },
#endif
#ifdef __NR_process_madvise
	{ "process_madvise", __NR_process_madvise },
#endif
#ifdef __NR_process_mrelease
	{ "process_mrelease", __NR_process_mrelease },
#endif
#ifdef __NR_process_vm_mmap
	{ "process_vm_mmap", __NR_process_vm_mmap },
#endif
#ifdef __NR_remap_anon_pages
	{ "remap_anon_pages", __NR_remap_anon_pages },
#endif
};

/* Names the header may lack: calls mainline never merged. */
static const char *const unmerged[] = {
	"process_vm_mmap",
	"remap_anon_pages",
};

static const struct table_entry *find(const struct table_entry *list,
				      size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(list[i].name, name))
			return &list[i];
	return NULL;
}

static bool is_unmerged(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(unmerged) / sizeof(unmerged[0]); i++)
		if (!strcmp(unmerged[i], name))
			return true;
	return false;
}

static void test_header_numbers_match_table(void **state)
{
	size_t i, checked = 0;

	for (i = 0; i < sizeof(header) / sizeof(header[0]); i++) {
		const struct table_entry *t = find(table,
			sizeof(table) / sizeof(table[0]), header[i].name);

		assert_non_null(t);
		if (t->nr != header[i].nr)
			fail_msg("%s: table says %ld, <asm/unistd.h> %ld",
				 t->name, t->nr, header[i].nr);
		checked++;
	}
	/* This machine's headers (6.1) know every merged call we issue. */
	assert_true(checked >= 11);
	printf("checked %zu numbers for ABI %s\n", checked, XMM_ABI_NAME);
}

static void test_every_table_entry_is_checked_or_unmerged(void **state)
{
	size_t i;

	for (i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (find(header, sizeof(header) / sizeof(header[0]),
			 table[i].name))
			continue;
		if (!is_unmerged(table[i].name))
			fail_msg("%s is in the table but not in this test's "
				 "header list", table[i].name);
	}
}

/* An unmerged call with no number must never reach the kernel. */
static void test_unnumbered_call_answers_enosys(void **state)
{
	if (XMM_NR_remap_anon_pages >= 0)
		harness_skip("remap_anon_pages has a number on this ABI");
	assert_int_equal(xmm_sys(remap_anon_pages, 0, 0, 0, ~0UL), -ENOSYS);
}

/* The raw layer returns -errno and leaves errno alone. */
static void test_raw_call_returns_negative_errno(void **state)
{
	errno = 1234;
	assert_int_equal(xmm_sys(madvise, (void *)1, 4096, MADV_NORMAL),
			 -EINVAL);
	assert_int_equal(errno, 1234);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_numbers_match_table),
		cmocka_unit_test(test_every_table_entry_is_checked_or_unmerged),
		cmocka_unit_test(test_unnumbered_call_answers_enosys),
		cmocka_unit_test(test_raw_call_returns_negative_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
