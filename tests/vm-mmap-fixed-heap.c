// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap() with XMM_PVMMAP_FIXED over a destination with a
 * hole, in a process whose allocator maps its blocks wherever mmap() finds
 * room -- as musl's does, whose heap the clone once replaced (the library's
 * copy buffers were mapped in the hole, the clone was moved over them).
 *
 * This program brings its own malloc(): each block is a mapping of its
 * own, with a header that free() checks.  While a "trap" is armed, blocks
 * go first into a given range (the destination's hole), the way musl's
 * allocator happened to place them; any allocator may.  The library must
 * leave every block it allocated during the call intact: free() of a block
 * that the clone replaced finds a broken header.  Not built with
 * sanitizers, which bring their own malloc().
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <errno.h>
#include <malloc.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000	/* Linux 4.17 */
#endif

#define OP		"process_vm_mmap"
#define BLOCK_MAGIC	0x786d6d626c6f636bULL	/* "xmmblock" */
#define HEADER_SIZE	64	/* keeps blocks aligned to 64 */

struct block_header {
	uint64_t magic;
	void *map;		/* where the mapping starts */
	size_t map_len;		/* the whole mapping, header included */
	size_t size;		/* what was asked */
};

/* The range blocks go to first while armed; blocks placed there. */
static char *trap_start;
static size_t trap_len;
static unsigned long trapped_blocks;
/* Blocks whose header free() found overwritten. */
static unsigned long broken_blocks;

static size_t page_size(void)
{
	static size_t page;

	if (!page)
		page = (size_t)sysconf(_SC_PAGESIZE);
	return page;
}

/* The first place in the armed trap where map_len bytes are free. */
static void *map_in_trap(size_t map_len)
{
	size_t off;

	for (off = 0; trap_start && off + map_len <= trap_len;
	     off += page_size()) {
		void *want = trap_start + off;
		void *got = mmap(want, map_len, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS |
				 MAP_FIXED_NOREPLACE, -1, 0);

		if (got == want) {
			__atomic_add_fetch(&trapped_blocks, 1,
					   __ATOMIC_RELAXED);
			return got;
		}
		if (got != MAP_FAILED)
			munmap(got, map_len);
	}
	return MAP_FAILED;
}

static void *block_alloc(size_t size, size_t align)
{
	size_t page = page_size();
	size_t head = align > HEADER_SIZE ? align : HEADER_SIZE;
	size_t map_len;
	struct block_header *h;
	char *map;

	if (head > page || size > SIZE_MAX - head - page) {
		errno = ENOMEM;
		return NULL;
	}
	map_len = (head + size + page - 1) / page * page;
	map = map_in_trap(map_len);
	if (map == MAP_FAILED)
		map = mmap(NULL, map_len, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map == MAP_FAILED) {
		errno = ENOMEM;
		return NULL;
	}
	h = (struct block_header *)(map + head) - 1;
	h->magic = BLOCK_MAGIC;
	h->map = map;
	h->map_len = map_len;
	h->size = size;
	return map + head;
}

static struct block_header *header_of(void *ptr)
{
	return (struct block_header *)ptr - 1;
}

void *malloc(size_t size)
{
	return block_alloc(size, 0);
}

void *calloc(size_t n, size_t size)
{
	if (size && n > SIZE_MAX / size) {
		errno = ENOMEM;
		return NULL;
	}
	return block_alloc(n * size, 0);	/* fresh mappings are zero */
}

void free(void *ptr)
{
	struct block_header *h;

	if (!ptr)
		return;
	h = header_of(ptr);
	if (h->magic != BLOCK_MAGIC) {
		/* Not ours any more: leave it to whatever replaced it. */
		__atomic_add_fetch(&broken_blocks, 1, __ATOMIC_RELAXED);
		return;
	}
	munmap(h->map, h->map_len);
}

size_t malloc_usable_size(void *ptr)
{
	return ptr ? header_of(ptr)->size : 0;
}

void *realloc(void *ptr, size_t size)
{
	void *bigger;
	size_t old;

	if (!ptr)
		return malloc(size);
	old = header_of(ptr)->size;
	bigger = malloc(size);
	if (!bigger)
		return NULL;
	memcpy(bigger, ptr, old < size ? old : size);
	free(ptr);
	return bigger;
}

void *aligned_alloc(size_t align, size_t size)
{
	return block_alloc(size, align);
}

void *memalign(size_t align, size_t size)
{
	return block_alloc(size, align);
}

int posix_memalign(void **out, size_t align, size_t size)
{
	void *p = block_alloc(size, align);

	if (!p)
		return ENOMEM;
	*out = p;
	return 0;
}

void *valloc(size_t size)
{
	return block_alloc(size, page_size());
}

/* The tuning calls of glibc's malloc that the harness makes (glibc's
 * only, as there): this allocator has no knobs.  Defined so that a static
 * link (the guests of another arch) takes none of libc.a's malloc, whose
 * malloc() and free() would clash with the ones above. */
#ifdef M_TOP_PAD
int mallopt(int param, int value)
{
	(void)param;
	(void)value;
	return 1;
}

int malloc_trim(size_t pad)
{
	(void)pad;
	return 0;
}
#endif

/* --- the test ---------------------------------------------------------- */

static bool noreplace_honoured(void)
{
	size_t page = page_size();
	void *a = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		       -1, 0);
	void *b = mmap(a, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		       MAP_FIXED_NOREPLACE, -1, 0);
	bool honoured = b == MAP_FAILED && errno == EEXIST;

	if (b != MAP_FAILED)
		munmap(b, page);
	munmap(a, page);
	return honoured;
}

/* Is [addr, addr + len) wholly free? */
static bool range_free(void *addr, size_t len)
{
	void *got = mmap(addr, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
			 MAP_FIXED_NOREPLACE, -1, 0);

	if (got == MAP_FAILED)
		return false;
	munmap(got, len);
	return got == addr;
}

struct source {
	char *addr;
	size_t len;
	unsigned long long sum;
};

/*
 * A destination of len bytes whose upper half is a hole, the lower half
 * filled with 'o'; the trap armed on the hole.
 */
static char *half_mapped_dst(size_t len)
{
	char *dst = mmap(NULL, len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	assert_true(dst != MAP_FAILED);
	memset(dst, 'o', len / 2);
	assert_int_equal(munmap(dst + len / 2, len / 2), 0);
	return dst;
}

static void arm_trap(char *start, size_t len)
{
	trapped_blocks = broken_blocks = 0;
	trap_len = len;
	__atomic_store_n(&trap_start, start, __ATOMIC_SEQ_CST);
}

static void disarm_trap(void)
{
	__atomic_store_n(&trap_start, NULL, __ATOMIC_SEQ_CST);
}

static void check_backend(const char *backend, const struct source *src)
{
	size_t len = src->len, page = page_size();
	char *dst = half_mapped_dst(len), *p;
	void *probe;

	/* The trap works: a block asked for now lands in the hole. */
	arm_trap(dst + len / 2, len / 2);
	probe = malloc(100);
	disarm_trap();
	assert_ptr_equal((char *)probe - HEADER_SIZE, dst + len / 2);
	assert_int_equal(trapped_blocks, 1);
	free(probe);
	assert_true(range_free(dst + len / 2, len / 2));

	/* FIXED over it: the clone, and every block of the call intact. */
	assert_int_equal(xmm_backend_force(OP, backend), 0);
	arm_trap(dst + len / 2, len / 2);
	p = xmm_process_vm_mmap(getpid(), src->addr, len, dst,
				XMM_PVMMAP_FIXED);
	disarm_trap();
	if (p == MAP_FAILED && errno == ENOSYS && backend &&
	    !strcmp(backend, "native")) {
		printf("native: not on this kernel\n");
		munmap(dst, len);
		return;
	}
	assert_ptr_equal(p, dst);
	printf("%s: %lu block(s) of the call in the hole\n",
	       xmm_backend_last(OP), trapped_blocks);
	assert_int_equal(broken_blocks, 0);
	assert_int_equal(harness_checksum(p, len), src->sum);
	assert_int_equal(munmap(p, len), 0);

	/* A failing FIXED (two pages past the source) leaves the hole free
	 * and the mapped half as it was. */
	dst = half_mapped_dst(len);
	arm_trap(dst + len / 2, len / 2);
	p = xmm_process_vm_mmap(getpid(), src->addr, len + 2 * page, dst,
				XMM_PVMMAP_FIXED);
	disarm_trap();
	assert_true(p == MAP_FAILED);
	assert_int_equal(errno, EFAULT);
	assert_int_equal(broken_blocks, 0);
	assert_int_equal(dst[0], 'o');
	assert_int_equal(dst[len / 2 - 1], 'o');
	assert_true(range_free(dst + len / 2, len / 2));
	munmap(dst, len);
}

static void check_backends(const char *const *backends, size_t n,
			   struct source *src)
{
	size_t i;

	harness_fill_random(src->addr, src->len, 11);
	src->sum = harness_checksum(src->addr, src->len);
	for (i = 0; i < n; i++)
		check_backend(backends[i], src);
	assert_int_equal(xmm_backend_force(OP, NULL), 0);
}

static void setup_source(struct source *src, int flags, int fd)
{
	size_t page = page_size();
	char *area = mmap(NULL, src->len + 2 * page, PROT_NONE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	/* The source, and two pages of another VMA above it. */
	assert_true(area != MAP_FAILED);
	src->addr = mmap(area, src->len, PROT_READ | PROT_WRITE,
			 flags | MAP_FIXED, fd, 0);
	assert_true(src->addr == area);
}

static void test_private_source(void **state)
{
	static const char *const backends[] = {
		NULL, "native", "readv", "proc-mem",
	};
	struct source src = { .len = 32 * page_size() };

	setup_source(&src, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	check_backends(backends, sizeof(backends) / sizeof(backends[0]),
		       &src);
	munmap(src.addr, src.len + 2 * page_size());
}

static void test_shared_source(void **state)
{
	static const char *const backends[] = { NULL, "native", "shared" };
	struct source src = { .len = 32 * page_size() };
	int fd = memfd_create("xmm-fixed-heap", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)src.len), 0);
	setup_source(&src, MAP_SHARED, fd);
	close(fd);
	check_backends(backends, sizeof(backends) / sizeof(backends[0]),
		       &src);
	munmap(src.addr, src.len + 2 * page_size());
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_private_source),
		cmocka_unit_test(test_shared_source),
	};

	if (!noreplace_honoured())
		harness_skip_all("MAP_FIXED_NOREPLACE is a hint here "
				 "(before Linux 4.17, valgrind, "
				 "qemu-user 7.2): no trap");
	return cmocka_run_group_tests(tests, NULL, NULL);
}
