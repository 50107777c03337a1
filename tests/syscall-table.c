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
#define HEADER_NR(name)	{ #name, __NR_##name },
static const struct table_entry header[] = {
#include "syscall-header-list.h"
};
#undef HEADER_NR

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
		/* No number on this ABI: nothing to compare. */
		if (table[i].nr < 0)
			continue;
		if (!is_unmerged(table[i].name))
			fail_msg("%s is in the table but not in this test's "
				 "header list", table[i].name);
	}
}

/* Our numbers for the unmerged calls are free on this machine's kernel:
 * probing them with invalid flags answers ENOSYS here (a mainline kernel)
 * or EINVAL (our patched kernel), and nothing else. */
static void test_unmerged_numbers_are_free_or_ours(void **state)
{
	long vm_mmap = xmm_sys(process_vm_mmap, 0, 0, 0, 0, ~0UL);
	long remap = xmm_sys(remap_anon_pages, 0, 0, 0, ~0UL);

	assert_true(vm_mmap == -ENOSYS || vm_mmap == -EINVAL);
	assert_true(remap == -ENOSYS || remap == -EINVAL);
	assert_int_equal(XMM_NR_process_vm_mmap, XMM_ABI_COLUMN(990, 990,
		990 | 0x40000000, 990, 990, 990, 990, 990, 990, 4990, 6990,
		5990, 1100));
}

#if defined(__x86_64__) && !defined(__ILP32__)
/* The proposals' own numbers belong to other calls in mainline. */
static void test_historical_numbers_collide_as_recorded(void **state)
{
	struct { const char *name; long proposed, owner; } collisions[] = {
#define XMM_SYSCALL_HISTORICAL(name, abi, nr, proposal, owner)		\
	{ #name "/" #abi "/" #owner, #abi[0] == 'x' ? nr : -1,		\
	  #abi[0] == 'x' ? __NR_##owner : -1 },
#define XMM_SYSCALL(...)
#include "syscall_table.h"
#undef XMM_SYSCALL
#undef XMM_SYSCALL_HISTORICAL
	};
	size_t i, checked = 0;

	for (i = 0; i < sizeof(collisions) / sizeof(collisions[0]); i++) {
		if (collisions[i].proposed < 0)
			continue;
		if (collisions[i].proposed != collisions[i].owner)
			fail_msg("%s: %ld", collisions[i].name,
				 collisions[i].owner);
		checked++;
	}
	assert_int_equal(checked, 4);
}
#endif

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
		cmocka_unit_test(test_unmerged_numbers_are_free_or_ours),
#if defined(__x86_64__) && !defined(__ILP32__)
		cmocka_unit_test(test_historical_numbers_collide_as_recorded),
#endif
		cmocka_unit_test(test_raw_call_returns_negative_errno),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
