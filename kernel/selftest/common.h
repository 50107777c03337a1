/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Helpers shared by the raw-syscall selftests of xmm's kernel patches.
 * Output is TAP-like: "ok N - name" / "not ok N - name: why".
 * Exit status: 0 all passed, 1 something failed, 77 syscalls absent.
 */
#ifndef XMM_SELFTEST_COMMON_H
#define XMM_SELFTEST_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>

/* The numbers of xmm's patched kernel (x86_64 and i386). */
#define NR_process_vm_mmap	990
#define NR_remap_anon_pages	991

#define PVMMAP_FIXED		0x1UL
#define PVMMAP_FIXED_NOREPLACE	0x2UL
#define RAP_ALLOW_SRC_HOLES	0x1UL

static int test_count, test_failed;
static __attribute__((unused)) long page_size;

static __attribute__((unused)) void check(int ok, const char *name, const char *fmt, ...)
{
	va_list ap;

	test_count++;
	if (ok) {
		printf("ok %d - %s\n", test_count, name);
	} else {
		test_failed++;
		printf("not ok %d - %s: ", test_count, name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
}

/* check that a syscall returned -1 with errno @err */
#define CHECK_ERR(ret, err, name) \
	check((ret) == -1 && errno == (err), name, \
	      "got %ld errno %d (%s), want errno %d (%s)", (long)(ret), \
	      errno, strerror(errno), err, strerror(err))

static __attribute__((unused)) long sys_remap_anon_pages(void *dst, void *src, unsigned long len,
				 unsigned long flags)
{
	return syscall(NR_remap_anon_pages, dst, src, len, flags);
}

static __attribute__((unused)) long sys_process_vm_mmap(pid_t pid, const void *src,
				unsigned long len, void *dst,
				unsigned long flags)
{
	return syscall(NR_process_vm_mmap, pid, src, len, dst, flags);
}

static __attribute__((unused)) void *map_anon(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	return p;
}

/* Fill each page with a pattern derived from @seed and its number. */
static __attribute__((unused)) void fill(void *p, size_t len, uint64_t seed)
{
	uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		w[i] = seed * 0x9e3779b97f4a7c15ULL + i;
}

static __attribute__((unused)) int check_fill(const void *p, size_t len, uint64_t seed)
{
	const uint64_t *w = p;
	size_t i;

	for (i = 0; i < len / 8; i++)
		if (w[i] != seed * 0x9e3779b97f4a7c15ULL + i)
			return 0;
	return 1;
}

static __attribute__((unused)) uint64_t checksum(const void *p, size_t len)
{
	const uint64_t *w = p;
	uint64_t h = 1469598103934665603ULL;
	size_t i;

	for (i = 0; i < len / 8; i++)
		h = (h ^ w[i]) * 1099511628211ULL;
	return h;
}

/* pagemap: is the page at @p present (bit 63) or swapped (bit 62)? */
static __attribute__((unused)) uint64_t pagemap_entry(const void *p)
{
	uint64_t e = 0;
	int fd = open("/proc/self/pagemap", O_RDONLY);

	if (fd < 0)
		return 0;
	if (pread(fd, &e, 8, (uintptr_t)p / page_size * 8) != 8)
		e = 0;
	close(fd);
	return e;
}

static __attribute__((unused)) int page_present(const void *p)
{
	return !!(pagemap_entry(p) & (1ULL << 63));
}

static __attribute__((unused)) double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

/* Swap on zram if the kernel has it; 1 when some swap is active. */
static __attribute__((unused)) int have_swap(void)
{
	char line[256];
	int lines = 0;
	FILE *f;

	if (access("/sys/block/zram0/disksize", W_OK) == 0 &&
	    system("grep -q zram0 /proc/swaps || "
		   "{ echo 128M > /sys/block/zram0/disksize && "
		   "mkswap /dev/zram0 >/dev/null && swapon /dev/zram0; } "
		   "2>/dev/null") != 0)
		return 0;
	f = fopen("/proc/swaps", "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		lines++;
	fclose(f);
	return lines > 1;
}

/* Page out [p, p + len) and tell whether every page went to swap. */
static __attribute__((unused)) int page_out(void *p, size_t len)
{
	size_t off;

	if (madvise(p, len, MADV_PAGEOUT))
		return 0;
	for (off = 0; off < len; off += page_size)
		if (!(pagemap_entry((char *)p + off) & (1ULL << 62)))
			return 0;
	return 1;
}

/* AnonHugePages (kB) of the mapping that starts at @start, or -1. */
static __attribute__((unused)) long anon_huge_kb(const void *start)
{
	char line[256], want[32];
	int found = 0;
	long kb = -1;
	FILE *f = fopen("/proc/self/smaps", "r");

	if (!f)
		return -1;
	snprintf(want, sizeof(want), "%lx-", (unsigned long)start);
	while (fgets(line, sizeof(line), f)) {
		if (strchr(line, '-') && strchr(line, ' ') &&
		    strchr(line, '-') < strchr(line, ' '))
			found = strncmp(line, want, strlen(want)) == 0;
		else if (found && sscanf(line, "AnonHugePages: %ld", &kb) == 1)
			break;
	}
	fclose(f);
	return found ? kb : -1;
}

/* @len bytes at a @align-aligned address, with unmapped guards around. */
static __attribute__((unused)) void *map_aligned(size_t len, size_t align)
{
	char *raw = mmap(NULL, len + 3 * align, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	char *p;

	if (raw == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	p = (char *)(((uintptr_t)raw + 2 * align - 1) & ~(align - 1));
	munmap(raw, p - raw);
	munmap(p + len, raw + len + 3 * align - (p + len));
	if (mprotect(p, len, PROT_READ | PROT_WRITE)) {
		perror("mprotect");
		exit(1);
	}
	return p;
}

static __attribute__((unused)) int finish(void)
{
	printf("# %d tests, %d failed\n", test_count, test_failed);
	return test_failed ? 1 : 0;
}

#endif
