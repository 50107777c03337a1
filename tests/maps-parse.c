// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The maps parser on its own, against lines the kernel writes and lines
 * it never would: every field missing in turn, numbers out of range,
 * a name longer than any buffer, no final newline, NUL bytes.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/mman.h>

/* The parser's code itself: its functions are hidden in the library. */
#include "maps_parse.c"
#include "harness.h"

/* Parse a string (copied: the parser writes into its buffer). */
static size_t parse(const char *text, struct xmm_vma *vmas, size_t max,
		    size_t *malformed, char **keep)
{
	size_t len = strlen(text);
	char *buf = malloc(len + 1);

	assert_non_null(buf);
	memcpy(buf, text, len);
	*keep = buf;
	return xmm_maps_parse(buf, len, vmas, max, malformed);
}

/*
 * What a 64-bit kernel prints (x86_64), and what a 32-bit one prints
 * (armhf): the addresses of a 64-bit process do not fit a 32-bit
 * unsigned long, and a 32-bit build must skip those lines as malformed.
 */
static const char kernel_lines_64[] =
	"55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0"
	"                          [heap]\n"
	"7f1c2e600000-7f1c2e628000 r-xp 00028000 fe:01 1835023"
	"                    /usr/lib/x86_64-linux-gnu/libc.so.6\n"
	"7f1c2e800000-7f1c2e900000 rw-s 00001000 00:01 42"
	"   /memfd:my buf (deleted)\n"
	"7ffd1a000000-7ffd1a021000 rw-p 00000000 00:00 0 [stack]\n"
	"7f1c2ea00000-7f1c2ea01000 ---p 00000000 00:00 0\n"
	"7f1c2eb00000-7f1c2eb01000 rw-p 00000000 00:00 0"
	" [anon:my name]\n"
	"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
	"  [vsyscall]";

static const char kernel_lines_32[] =
	"00455000-00476000 rw-p 00000000 00:00 0"
	"          [heap]\n"
	"b6e00000-b6e28000 r-xp 00028000 fe:01 1835023"
	"    /usr/lib/arm-linux-gnueabihf/libc.so.6\n"
	"b6f00000-b7000000 rw-s 00001000 00:01 42"
	"   /memfd:my buf (deleted)\n"
	"bea1a000-bea3b000 rw-p 00000000 00:00 0 [stack]\n"
	"b6fa0000-b6fa1000 ---p 00000000 00:00 0\n"
	"b6fb0000-b6fb1000 rw-p 00000000 00:00 0"
	" [anon:my name]\n"
	"ffff0000-ffff1000 r-xp 00000000 00:00 0"
	"  [vectors]";

static void test_kernel_lines(void **state)
{
	bool lp64 = sizeof(unsigned long) == 8;
	struct xmm_vma v[8];
	size_t bad, n;
	char *buf;

	if (!lp64) {
		/* Every 64-bit address is out of range: 7 lines skipped. */
		n = parse(kernel_lines_64, v, 8, &bad, &buf);
		assert_int_equal(n, 0);
		assert_int_equal(bad, 7);
		free(buf);
	}
	n = parse(lp64 ? kernel_lines_64 : kernel_lines_32, v, 8, &bad,
		  &buf);
	assert_int_equal(n, 7);
	assert_int_equal(bad, 0);
	assert_int_equal(v[0].start, lp64 ? 0x55d0c8a00000ULL : 0x455000);
	assert_int_equal(v[0].end, lp64 ? 0x55d0c8a21000ULL : 0x476000);
	assert_int_equal(v[0].vma_class, XMM_VMA_CLASS_HEAP);
	assert_string_equal(v[0].name, "[heap]");
	assert_int_equal(v[1].prot, PROT_READ | PROT_EXEC);
	assert_int_equal(v[1].offset, 0x28000);
	assert_int_equal(v[1].dev_major, 0xfe);
	assert_int_equal(v[1].dev_minor, 1);
	assert_int_equal(v[1].inode, 1835023);
	assert_int_equal(v[1].vma_class, XMM_VMA_CLASS_FILE);
	assert_string_equal(v[2].name, "/memfd:my buf");
	assert_int_equal(v[2].flags, XMM_VMA_F_SHARED | XMM_VMA_F_DELETED);
	assert_int_equal(v[2].vma_class, XMM_VMA_CLASS_SHMEM);
	assert_int_equal(v[3].vma_class, XMM_VMA_CLASS_STACK);
	assert_int_equal(v[4].prot, 0);
	assert_string_equal(v[4].name, "");
	assert_int_equal(v[4].vma_class, XMM_VMA_CLASS_ANON);
	assert_string_equal(v[5].name, "[anon:my name]");
	assert_int_equal(v[5].vma_class, XMM_VMA_CLASS_ANON);
	/* The last line has no newline: its name still ends. */
	assert_string_equal(v[6].name, lp64 ? "[vsyscall]" : "[vectors]");
	assert_int_equal(v[6].vma_class, XMM_VMA_CLASS_SPECIAL);
	free(buf);
}

static void test_malformed_lines_are_skipped(void **state)
{
	static const char *const bad_lines[] = {
		"",				/* empty: not counted */
		"1000-2000",				/* fields missing */
		"1000-2000 rw-p",
		"1000-2000 rw-p 0",
		"1000-2000 rw-p 0 00:00",
		"1000-2000 rw-p 0 0000 0",		/* no ':' in dev */
		"1000 2000 rw-p 0 00:00 0",		/* no '-' */
		"2000-1000 rw-p 0 00:00 0",		/* start > end */
		"1000-2000 rwzp 0 00:00 0",		/* bad perms */
		"1000-2000 rw-q 0 00:00 0",
		"1000-2000 rw 0 00:00 0",
		"10000000000000000-2 rw-p 0 00:00 0",	/* 65 bits */
		"1000-2000 rw-p 10000000000000000 00:00 0",
		"1000-2000 rw-p 0 100000000:0 0",	/* major > 32 bits */
		"1000-2000 rw-p 0 00:00 18446744073709551616",
		"1000-2000 rw-p 0 00:00 0x",		/* after inode */
		"g000-2000 rw-p 0 00:00 0",
		"-2000 rw-p 0 00:00 0",
	};
	struct xmm_vma v[4];
	size_t i, bad, n;
	char line[80];
	char *buf;

	for (i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		n = parse(bad_lines[i], v, 4, &bad, &buf);
		if (n != 0 || bad != (i ? 1U : 0U))
			fail_msg("line %zu \"%s\": %zu parsed, %zu malformed",
				 i, bad_lines[i], n, bad);
		free(buf);
	}
	/* One more than an unsigned long holds (33 bits on 32-bit ABIs). */
	snprintf(line, sizeof(line), "1000-1%0*d rw-p 0 00:00 0",
		 (int)(2 * sizeof(unsigned long)), 0);
	n = parse(line, v, 4, &bad, &buf);
	if (n != 0 || bad != 1)
		fail_msg("\"%s\": %zu parsed, %zu malformed", line, n, bad);
	free(buf);
	/* The largest values that fit are accepted. */
	snprintf(line, sizeof(line), "0-%lx rw-p ffffffffffffffff "
		 "ffffffff:ffffffff 18446744073709551615", ULONG_MAX);
	n = parse(line, v, 4, &bad, &buf);
	assert_int_equal(n, 1);
	assert_true(v[0].end == ULONG_MAX);
	assert_true(v[0].inode == UINT64_MAX);
	assert_int_equal(v[0].dev_major, 0xffffffffU);
	free(buf);
}

static void test_long_name_and_nul_bytes(void **state)
{
	static const char tail[] = "\n3000-4000 r--p 0 08:01 12 /x\0y\n";
	size_t name_len = 1 << 20, bad, n;
	const char *prefix = "1000-2000 r--p 0 08:01 12 /";
	size_t prefix_len = strlen(prefix);
	char *text = malloc(prefix_len + name_len + sizeof(tail));
	struct xmm_vma v[2];

	assert_non_null(text);
	memcpy(text, prefix, prefix_len);
	memset(text + prefix_len, 'a', name_len);
	memcpy(text + prefix_len + name_len, tail, sizeof(tail));
	/* A NUL inside a name: the name stops there, nothing breaks. */
	n = xmm_maps_parse(text, prefix_len + name_len + sizeof(tail) - 1,
			   v, 2, &bad);
	assert_int_equal(n, 2);
	assert_int_equal(strlen(v[0].name), name_len + 1);
	assert_string_equal(v[1].name, "/x");
	free(text);
}

static void test_capacity_is_respected(void **state)
{
	const char *text = "1000-2000 r--p 0 0:0 0\n3000-4000 r--p 0 0:0 0\n";
	struct xmm_vma v[1];
	size_t bad, n;
	char *buf;

	assert_int_equal(xmm_maps_count_lines(text, strlen(text)), 2);
	assert_int_equal(xmm_maps_count_lines("", 0), 0);
	assert_int_equal(xmm_maps_count_lines("x", 1), 1);
	n = parse(text, v, 1, &bad, &buf);
	assert_int_equal(n, 1);
	free(buf);
}

/*
 * The paths that decide early: padding skipped eight spaces at a time
 * (with tabs in it, or ending just before the name), and the class of a
 * line without a name, which only its inode tells.
 */
static void test_padding_and_nameless_lines(void **state)
{
	struct xmm_vma v[6];
	size_t bad, n;
	char *buf;

	n = parse("1000-2000 rw-p 00000000 00:00 0                \t  "
		  "        [heap]\n"
		  "2000-3000 r--p 00000000 08:01 77\n"
		  "3000-4000 r--p 00000000 08:01 77        \n"
		  "4000-5000 rw-s 00000000 00:01 9        /dev/zero (deleted)\n"
		  "5000-6000 rw-p 00000000 00:00 0\t\t/SYSV00000000\n"
		  "6000-7000 rw-p 00000000 00:00 0                        "
		  "        x y", v, 6, &bad, &buf);
	assert_int_equal(n, 6);
	assert_int_equal(bad, 0);
	assert_string_equal(v[0].name, "[heap]");
	assert_int_equal(v[0].vma_class, XMM_VMA_CLASS_HEAP);
	/* No name, but an inode: a file (as a deleted one kept open). */
	assert_string_equal(v[1].name, "");
	assert_int_equal(v[1].vma_class, XMM_VMA_CLASS_FILE);
	/* Padding to the end of the line: no name either. */
	assert_string_equal(v[2].name, "");
	assert_int_equal(v[2].vma_class, XMM_VMA_CLASS_FILE);
	assert_int_equal(v[3].vma_class, XMM_VMA_CLASS_SHMEM);
	assert_int_equal(v[3].flags, XMM_VMA_F_SHARED | XMM_VMA_F_DELETED);
	assert_int_equal(v[4].vma_class, XMM_VMA_CLASS_SHMEM);
	assert_string_equal(v[5].name, "x y");
	assert_int_equal(v[5].vma_class, XMM_VMA_CLASS_FILE);
	free(buf);
}

/*
 * The fast path (lines laid out as the kernel lays them out, with at
 * least a line's worth of text after them) against the careful parser
 * alone, line by line: widths changing from line to line (8, 12 and 16
 * digits, a 3-digit major), what it must leave to the careful parser
 * (upper case, two spaces, 16-digit offset, an inode of 20 digits,
 * trailing padding), and malformed lines among them.
 */
static void test_fast_path_matches_careful(void **state)
{
	static const char *const lines[] = {
		"00400000-00452000 r-xp 00000000 08:02 173521"
		"                             /usr/bin/dbus-daemon",
		"55d0c8a00000-55d0c8a21000 rw-p 00000000 00:00 0"
		"                          [heap]",
		"7f1c2e600000-7f1c2e628000 r-xp 00028000 103:02 1835023"
		"                   /usr/lib/libc.so.6",
		"7f1c2e800000-7f1c2e900000 rw-s 00001000 00:01 42"
		"                         /memfd:my buf (deleted)",
		"7f1c2ea00000-7f1c2ea01000 ---p 00000000 00:00 0 ",
		"7F1C2EA02000-7F1C2EA03000 rw-p 00000000 00:00 0 ",
		"7f1c2ea03000-7f1c2ea04000 rw-p 00000000 00:00 0  ",
		"7f1c2ea04000-7f1c2ea05000 rw-p 00000000 00:00 "
		"18446744073709551615 ",
		"7f1c2ea05000-7f1c2ea06000 rw-p 00000000 00:00 "
		"18446744073709551616 ",	/* malformed: 2^64 */
		"7f1c2ea06000-7f1c2ea07000 rw-p 0000000000000000 00:00 0 ",
		"7f1c2ea07000-7f1c2ea08000 rwxs 00000000 fff:fffff 0"
		"                      /dev/zero (deleted)",
		/* malformed: start > end */
		"7f1c2ea08000-7f1c2ea07000 rw-p 00000000 00:00 0 ",
		"7f1c2ea08000-7f1c2ea09000 rw-p 00000000 00:00 0",
		"7f1c2ea09000-7f1c2ea0a000 rw-p 00000000 00:00 0 x",
		/* malformed: perms */
		"7f1c2ea0a000-7f1c2ea0b000 rwzp 00000000 00:00 0 ",
		"ffffffffff600000-ffffffffff601000 --xp 00000000 00:00 0"
		"                  [vsyscall]",
		/* widths no kernel writes, but laid out as it would */
		"10000-fffff r--p 000a0 0a:1f 5 ",
		"1234567-89abcde r--p 0000000000abcdef 0a:1f 5 ",
	};
	const size_t count = sizeof(lines) / sizeof(lines[0]);
	struct xmm_vma all[2 * 18], one;
	size_t i, j, k, len = 0, bad, n, expect_bad = 0;
	char *text, *copy;

	assert_int_equal(count, 18);
	for (i = 0; i < count; i++)
		len += strlen(lines[i]) + 1;
	text = malloc(2 * len + 1);
	assert_non_null(text);
	/* Twice over: every line but the last few goes the fast way. */
	for (k = 0, len = 0; k < 2; k++)
		for (i = 0; i < count; i++) {
			size_t l = strlen(lines[i]);

			memcpy(text + len, lines[i], l);
			text[len + l] = '\n';
			len += l + 1;
		}
	n = xmm_maps_parse(text, len, all, 2 * count, &bad);
	for (k = 0, j = 0; k < 2; k++)
		for (i = 0; i < count; i++) {
			copy = strdup(lines[i]);
			assert_non_null(copy);
			if (!xmm_maps_parse_line(copy, strlen(copy), &one)) {
				expect_bad++;
				free(copy);
				continue;
			}
			assert_true(j < n);
			assert_int_equal(all[j].start, one.start);
			assert_int_equal(all[j].end, one.end);
			assert_int_equal(all[j].offset, one.offset);
			assert_true(all[j].inode == one.inode);
			assert_int_equal(all[j].dev_major, one.dev_major);
			assert_int_equal(all[j].dev_minor, one.dev_minor);
			assert_int_equal(all[j].prot, one.prot);
			assert_int_equal(all[j].flags, one.flags);
			assert_int_equal(all[j].vma_class, one.vma_class);
			assert_string_equal(all[j].name, one.name);
			j++;
			free(copy);
		}
	assert_int_equal(n, j);
	assert_int_equal(bad, expect_bad);
	if (sizeof(unsigned long) < 8) {
		/*
		 * A 32-bit build: every address above 4 GiB is out of range,
		 * so those lines are malformed there (the comparison above
		 * holds them to the same answer); the 64-bit counts and
		 * values below do not apply.  Three lines a copy fit.
		 */
		assert_int_equal(n, 2 * 3);
		assert_int_equal(all[0].start, 0x400000UL);
		assert_int_equal(all[1].start, 0x10000UL);
		assert_int_equal(all[2].end, 0x89abcdeUL);
		free(text);
		return;
	}
	assert_int_equal(bad, 6);
	/* A few by value. */
	assert_int_equal(all[0].start, 0x400000UL);
	assert_string_equal(all[0].name, "/usr/bin/dbus-daemon");
	assert_int_equal(all[2].dev_major, 0x103);
	assert_int_equal(all[3].flags, XMM_VMA_F_SHARED | XMM_VMA_F_DELETED);
	assert_int_equal(all[3].vma_class, XMM_VMA_CLASS_SHMEM);
	assert_int_equal(all[5].start, 0x7f1c2ea02000UL);
	assert_true(all[7].inode == UINT64_MAX);
	assert_int_equal(all[9].dev_major, 0xfff);
	assert_int_equal(all[9].dev_minor, 0xfffff);
	assert_string_equal(all[11].name, "x");
	assert_int_equal(all[12].start, (unsigned long)0xffffffffff600000ULL);
	assert_int_equal(all[13].start, 0x10000UL);
	assert_int_equal(all[13].end, 0xfffffUL);
	assert_int_equal(all[13].offset, 0xa0);
	assert_int_equal(all[13].dev_minor, 0x1f);
	assert_int_equal(all[14].start, 0x1234567UL);
	assert_int_equal(all[14].end, 0x89abcdeUL);
	assert_int_equal(all[14].offset, 0xabcdef);
	free(text);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kernel_lines),
		cmocka_unit_test(test_malformed_lines_are_skipped),
		cmocka_unit_test(test_long_name_and_nul_bytes),
		cmocka_unit_test(test_capacity_is_respected),
		cmocka_unit_test(test_padding_and_nameless_lines),
		cmocka_unit_test(test_fast_path_matches_careful),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
