// SPDX-License-Identifier: GPL-2.0
/*
 * Raw-syscall test of remap_anon_pages (991) on xmm's patched kernel.
 *   rap_test [-b MIB]   functional tests, then the benchmark on MIB MiB
 *                       (default 256; 0 skips it)
 * On a kernel without the syscall it prints why and exits 77.
 */
#include "common.h"

static void test_one_page(void)
{
	char *src = map_anon(page_size), *dst = map_anon(page_size);
	long ret;

	fill(src, page_size, 1);
	ret = sys_remap_anon_pages(dst, src, page_size, 0);
	check(ret == page_size, "move 1 page: returns bytes moved",
	      "ret %ld errno %s", ret, strerror(errno));
	check(!page_present(src) && page_present(dst),
	      "move 1 page: src unpopulated, dst populated", "src %d dst %d",
	      page_present(src), page_present(dst));
	check(check_fill(dst, page_size, 1), "move 1 page: data at dst",
	      "mismatch");
	check(src[0] == 0 && src[page_size - 1] == 0,
	      "move 1 page: src reads zero afterwards", "nonzero");
	munmap(src, page_size);
	munmap(dst, page_size);
}

static void test_64_pages(void)
{
	size_t len = 64 * page_size, i;
	char *src = map_anon(len), *dst = map_anon(len);
	int ok = 1;
	long ret;

	madvise(src, len, MADV_NOHUGEPAGE);
	for (i = 0; i < 64; i++)
		fill(src + i * page_size, page_size, 100 + i);
	ret = sys_remap_anon_pages(dst, src, len, 0);
	check(ret == (long)len, "move 64 pages: returns bytes moved",
	      "ret %ld errno %s", ret, strerror(errno));
	for (i = 0; i < 64; i++)
		ok &= check_fill(dst + i * page_size, page_size, 100 + i) &&
		      !page_present(src + i * page_size);
	check(ok, "move 64 pages: each page moved to its place", "mismatch");
	/* and back again, within one VMA (two halves of dst) */
	ret = sys_remap_anon_pages(src, dst, len, 0);
	check(ret == (long)len && check_fill(src, page_size, 100),
	      "move 64 pages back", "ret %ld errno %s", ret, strerror(errno));
	munmap(src, len);
	munmap(dst, len);
}

static void test_same_vma(void)
{
	size_t len = 8 * page_size;
	char *p = map_anon(2 * len);
	long ret;

	fill(p, len, 7);
	ret = sys_remap_anon_pages(p + len, p, len, 0);
	check(ret == (long)len && check_fill(p + len, len, 7) &&
	      !page_present(p), "move inside one VMA",
	      "ret %ld errno %s", ret, strerror(errno));
	munmap(p, 2 * len);
}

static void test_eexist(void)
{
	size_t len = 4 * page_size;
	char *src = map_anon(len), *dst = map_anon(len);
	long ret;

	char *ref = malloc(len);

	fill(src, len, 3);
	memcpy(ref, src, len);
	dst[2 * page_size] = 1;
	ret = sys_remap_anon_pages(dst, src, len, 0);
	check(ret == 2 * page_size, "partial move stops before a populated dst",
	      "ret %ld errno %s", ret, strerror(errno));
	ret = sys_remap_anon_pages(dst + 2 * page_size, src + 2 * page_size,
				   2 * page_size, 0);
	CHECK_ERR(ret, EEXIST, "retry at the populated dst page: EEXIST");
	check(memcmp(dst, ref, 2 * page_size) == 0 &&
	      memcmp(src + 2 * page_size, ref + 2 * page_size,
		     2 * page_size) == 0,
	      "pages before the failure moved, the rest stayed", "mismatch");
	free(ref);
	munmap(src, len);
	munmap(dst, len);
}

static void test_enoent(void)
{
	size_t len = 4 * page_size;
	char *src = map_anon(len), *dst = map_anon(len);
	long ret;

	memset(src, 5, page_size);
	memset(src + 2 * page_size, 6, 2 * page_size);
	ret = sys_remap_anon_pages(dst, src, len, 0);
	check(ret == page_size, "partial move stops before a src hole",
	      "ret %ld errno %s", ret, strerror(errno));
	ret = sys_remap_anon_pages(dst + page_size, src + page_size,
				   len - page_size, 0);
	CHECK_ERR(ret, ENOENT, "retry at the src hole: ENOENT");
	ret = sys_remap_anon_pages(dst + page_size, src + page_size,
				   len - page_size, RAP_ALLOW_SRC_HOLES);
	check(ret == (long)(len - page_size) && dst[2 * page_size] == 6 &&
	      dst[len - 1] == 6 && !page_present(dst + page_size),
	      "RAP_ALLOW_SRC_HOLES skips the hole and counts it",
	      "ret %ld errno %s", ret, strerror(errno));
	ret = sys_remap_anon_pages(dst, src, len, RAP_ALLOW_SRC_HOLES);
	check(ret == -1 && errno == EEXIST, "all-holes src with populated dst: EEXIST",
	      "ret %ld errno %s", ret, strerror(errno));
	munmap(src, len);
	munmap(dst, len);
}

static void test_ebusy_fork(void)
{
	size_t len = 2 * page_size;
	char *src = map_anon(len), *dst = map_anon(len);
	int pipefd[2];
	pid_t child;
	long ret;
	char c;

	fill(src, len, 9);
	if (pipe(pipefd))
		exit(1);
	child = fork();
	if (child == 0) {
		close(pipefd[1]);
		read(pipefd[0], &c, 1);
		_exit(check_fill(src, len, 9) ? 0 : 1);
	}
	close(pipefd[0]);
	ret = sys_remap_anon_pages(dst, src, len, 0);
	CHECK_ERR(ret, EBUSY, "page shared with a forked child: EBUSY");
	close(pipefd[1]);
	int status;

	waitpid(child, &status, 0);
	check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	      "child still sees its data", "status %x", status);
	/* the child is gone: a write makes the page ours again */
	src[0] = src[0];
	src[page_size] = src[page_size];
	ret = sys_remap_anon_pages(dst, src, len, 0);
	check(ret == (long)len && check_fill(dst, len, 9),
	      "after the child exited and a write: moves", "ret %ld errno %s",
	      ret, strerror(errno));
	munmap(src, len);
	munmap(dst, len);
}

static void test_thp(void)
{
	size_t huge = 2UL << 20, len = 2 * huge;
	char *src = map_aligned(len, huge), *dst = map_aligned(len, huge);
	long ret, kb;

	/* aligned: the huge page moves whole */
	madvise(src, len, MADV_HUGEPAGE);
	fill(src, len, 11);
	kb = anon_huge_kb(src);
	ret = sys_remap_anon_pages(dst, src, len, 0);
	check(ret == (long)len && check_fill(dst, len, 11) &&
	      !page_present(src) && !page_present(src + len - page_size),
	      "aligned huge pages: moved", "ret %ld errno %s", ret,
	      strerror(errno));
	if (kb >= 2048)
		check(anon_huge_kb(dst) == kb,
		      "aligned huge pages: still huge at dst (no split)",
		      "src had %ld kB, dst has %ld kB", kb, anon_huge_kb(dst));
	else
		printf("ok %d - aligned huge pages: still huge # SKIP no THP (%ld kB)\n",
		       ++test_count, kb);

	/* misaligned by a page: split, then moved page by page */
	madvise(dst, len, MADV_DONTNEED);
	munmap(src, len);
	src = map_aligned(len, huge);
	madvise(src, len, MADV_HUGEPAGE);
	fill(src, len, 12);
	ret = sys_remap_anon_pages(dst + len - huge + page_size, src,
				   huge - page_size, 0);
	check(ret == (long)(huge - page_size) &&
	      !page_present(src) && page_present(src + huge - page_size),
	      "misaligned huge page: split and moved", "ret %ld errno %s",
	      ret, strerror(errno));
	{
		/* compare with a freshly filled reference */
		char *ref = map_anon(huge);

		fill(ref, huge, 12);
		check(memcmp(dst + len - huge + page_size, ref,
			     huge - page_size) == 0 &&
		      memcmp(src + huge - page_size, ref + huge - page_size,
			     page_size) == 0,
		      "misaligned huge page: data in place", "mismatch");
		munmap(ref, huge);
	}
	/* a populated (huge) page at dst: EEXIST */
	madvise(dst, huge, MADV_HUGEPAGE);
	dst[0] = 1;
	ret = sys_remap_anon_pages(dst, src + huge, huge, 0);
	CHECK_ERR(ret, EEXIST, "huge page at dst: EEXIST");
	munmap(src, len);
	munmap(dst, len);
}

static void test_swapped(void)
{
	size_t len = 8 * page_size;
	char *src = map_anon(len), *dst = map_anon(len);
	long ret;

	if (!have_swap()) {
		printf("ok %d - swapped-out src # SKIP no swap\n", ++test_count);
		return;
	}
	fill(src, len, 13);
	if (!page_out(src, len)) {
		printf("ok %d - swapped-out src # SKIP pageout failed\n",
		       ++test_count);
		return;
	}
	ret = sys_remap_anon_pages(dst, src, len, 0);
	check(ret == (long)len, "swapped-out src: swap entries move",
	      "ret %ld errno %s", ret, strerror(errno));
	check((pagemap_entry(dst) & (1ULL << 62)) || page_present(dst),
	      "swapped-out src: dst holds the swap entry", "pagemap %llx",
	      (unsigned long long)pagemap_entry(dst));
	check(check_fill(dst, len, 13) && !page_present(src) &&
	      !(pagemap_entry(src) & (1ULL << 62)),
	      "swapped-out src: data swaps in at dst, src empty", "mismatch");
	munmap(src, len);
	munmap(dst, len);
}

static void test_einval(void)
{
	size_t len = 4 * page_size;
	char *src = map_anon(len), *dst = map_anon(len), *ro, *shared;
	long ret;

	fill(src, len, 2);
	ret = sys_remap_anon_pages(dst + 1, src, page_size, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: dst not aligned");
	ret = sys_remap_anon_pages(dst, src + 8, page_size, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: src not aligned");
	ret = sys_remap_anon_pages(dst, src, 100, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: len not aligned");
	ret = sys_remap_anon_pages(dst, src, 0, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: len 0");
	ret = sys_remap_anon_pages(dst, src, page_size, 0x2);
	CHECK_ERR(ret, EINVAL, "EINVAL: unknown flag");
	ret = sys_remap_anon_pages(src + page_size, src, 2 * page_size, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: overlapping ranges");
	ret = sys_remap_anon_pages((void *)-page_size, src, 2 * page_size, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: range wraps");
	ret = sys_remap_anon_pages(dst, src, 2 * len, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: range beyond the VMA");
	ro = mmap(NULL, len, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ret = sys_remap_anon_pages(ro, src, page_size, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: protections differ");
	shared = mmap(NULL, len, PROT_READ | PROT_WRITE,
		      MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shared[0] = 1;
	ret = sys_remap_anon_pages(dst, shared, page_size, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: shared anonymous src");
	ret = sys_remap_anon_pages(shared + page_size, src, page_size, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: shared anonymous dst");
	if (mlock(dst, len) == 0) {
		munlock(dst, len);
		madvise(dst, len, MADV_DONTNEED);
	}
	munmap(ro, len);
	ret = sys_remap_anon_pages(ro, src, page_size, 0);
	CHECK_ERR(ret, EFAULT, "EFAULT: no VMA at dst");
	ret = sys_remap_anon_pages(dst, ro, page_size, 0);
	CHECK_ERR(ret, EFAULT, "EFAULT: no VMA at src");
	check(check_fill(src, len, 2), "failed calls left src alone",
	      "mismatch");
	munmap(shared, len);
	munmap(src, len);
	munmap(dst, len);
}

/*
 * Time moving @len bytes from src to dst, both 2 MiB aligned plus @shift
 * for dst, with THP on (@huge) or off: the raw syscall, or (@copy) what
 * the copy backend does: memcpy into the unpopulated dst, then
 * MADV_DONTNEED on src.
 */
static double bench_one(size_t len, int huge, size_t shift, int copy)
{
	size_t align = 2UL << 20;
	char *src = map_aligned(len + align, align);
	char *dst = map_aligned(len + align, align);
	double t0, t;
	long ret = len;

	madvise(src, len + align, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	madvise(dst, len + align, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(src, 0x5a, len);
	t0 = now();
	if (copy) {
		memcpy(dst + shift, src, len);
		madvise(src, len, MADV_DONTNEED);
	} else {
		ret = sys_remap_anon_pages(dst + shift, src, len, 0);
	}
	t = now() - t0;
	check(ret == (long)len && dst[shift + len - 1] == 0x5a &&
	      !page_present(src),
	      copy ? "bench: memcpy+MADV_DONTNEED" :
	      "bench: remap_anon_pages moved everything", "ret %ld errno %s",
	      ret, strerror(errno));
	munmap(src, len + align);
	munmap(dst, len + align);
	return t;
}

static void bench(size_t mib)
{
	static const struct {
		const char *name;
		int huge;
		size_t shift;
	} modes[] = {
		{ "thp", 1, 0 },	/* aligned huge pages: moved whole */
		{ "4k", 0, 0 },		/* THP off */
		{ "split", 1, 4096 },	/* huge pages, dst off by a page */
	};
	size_t len = mib << 20, i;

	for (i = 0; i < sizeof(modes) / sizeof(modes[0]); i++) {
		double raw = 1e9, copy = 1e9, t;
		int rep;

		/* the best of three: TCG timings are noisy */
		for (rep = 0; rep < 3; rep++) {
			t = bench_one(len, modes[i].huge, modes[i].shift, 0);
			raw = t < raw ? t : raw;
			t = bench_one(len, modes[i].huge, modes[i].shift, 1);
			copy = t < copy ? t : copy;
		}

		printf("# bench remap_anon_pages %zu MiB, %s: raw %.4f s, memcpy+MADV_DONTNEED %.4f s, copy/raw %.1f\n",
		       mib, modes[i].name, raw, copy, copy / raw);
		printf("XMM-RATIO remap_anon_pages %zuMiB mode=%s raw=%.4f copy=%.4f ratio=%.2f\n",
		       mib, modes[i].name, raw, copy, copy / raw);
	}
}

int main(int argc, char **argv)
{
	size_t mib = 256;
	long ret;

	if (argc == 3 && strcmp(argv[1], "-b") == 0)
		mib = strtoul(argv[2], NULL, 0);
	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = sys_remap_anon_pages(NULL, NULL, 0, 0);
	if (ret == -1 && errno == ENOSYS) {
		printf("# SKIP remap_anon_pages (%d): ENOSYS, kernel not patched\n",
		       NR_remap_anon_pages);
		return 77;
	}
	CHECK_ERR(ret, EINVAL, "probe: len 0 is EINVAL (syscall present)");
	test_one_page();
	test_64_pages();
	test_same_vma();
	test_eexist();
	test_enoent();
	test_ebusy_fork();
	test_thp();
	test_swapped();
	test_einval();
	if (mib)
		bench(mib);
	return finish();
}
