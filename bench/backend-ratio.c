// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * backend-ratio: one operation, two of its backends, the same work, in
 * turns; prints the median time of each and their ratio.  Meant for the
 * patched-kernel guest (kernel/README.md), where the raw system calls can
 * be set against the fallbacks the library uses everywhere else:
 *
 *   backend-ratio vm_mmap MIB ROUNDS   native vs readv, private region of
 *                                      a child, every page populated
 *   backend-ratio remap MIB ROUNDS     native vs copy, in this process
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xmm/xmm.h>

#define MIB	(1024UL * 1024)
#define MAX_ROUNDS	32

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static uint64_t median(uint64_t *samples, int count)
{
	qsort(samples, (size_t)count, sizeof(*samples), compare);
	return samples[count / 2];
}

/* Clone a child's private region with one backend; ns, or 0 on error. */
static uint64_t time_vm_mmap(const char *backend, pid_t child, void *region,
			     size_t len)
{
	uint64_t start;
	void *clone;

	xmm_backend_force("process_vm_mmap", backend);
	start = now_ns();
	clone = xmm_process_vm_mmap(child, region, len, NULL, 0);
	if (clone == MAP_FAILED) {
		fprintf(stderr, "process_vm_mmap [%s]: %s\n", backend,
			strerror(errno));
		return 0;
	}
	start = now_ns() - start;
	munmap(clone, len);
	return start;
}

static int bench_vm_mmap(size_t len, int rounds)
{
	uint64_t native[MAX_ROUNDS], readv[MAX_ROUNDS];
	char *region = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int ready[2], i;
	pid_t child;

	if (region == MAP_FAILED || pipe(ready) < 0)
		return 1;
	child = fork();
	if (child == 0) {
		memset(region, 0x3c, len);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	if (child < 0 || read(ready[0], &(char){ 0 }, 1) != 1)
		return 1;
	for (i = 0; i < rounds; i++) {
		native[i] = time_vm_mmap("native", child, region, len);
		readv[i] = time_vm_mmap("readv", child, region, len);
		if (!native[i] || !readv[i])
			break;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	if (i < rounds)
		return 1;
	printf("process_vm_mmap %zu MiB private: native %.2f ms, readv "
	       "%.2f ms: readv / native = %.1f\n", len / MIB,
	       median(native, rounds) / 1e6, median(readv, rounds) / 1e6,
	       (double)median(readv, rounds) / median(native, rounds));
	return 0;
}

/* Move len populated bytes with one backend; ns, or 0 on error. */
static uint64_t time_remap(const char *backend, char *src, char *dst,
			   size_t len)
{
	uint64_t start;
	ssize_t moved;

	memset(src, 0x5d, len);
	madvise(dst, len, MADV_DONTNEED);
	xmm_backend_force("remap_anon_pages", backend);
	start = now_ns();
	moved = xmm_remap_anon_pages(dst, src, len, 0);
	start = now_ns() - start;
	if (moved != (ssize_t)len) {
		fprintf(stderr, "remap_anon_pages [%s]: %zd, %s\n", backend,
			moved, strerror(errno));
		return 0;
	}
	return start;
}

static int bench_remap(size_t len, int rounds)
{
	uint64_t native[MAX_ROUNDS], copy[MAX_ROUNDS];
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	/* src and dst apart, so that the two mappings never merge. */
	char *area = mmap(NULL, 2 * len + page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *src = area, *dst = area + len + page;
	int i;

	if (area == MAP_FAILED || munmap(area + len, page) < 0)
		return 1;
	for (i = 0; i < rounds; i++) {
		native[i] = time_remap("native", src, dst, len);
		copy[i] = time_remap("copy", src, dst, len);
		if (!native[i] || !copy[i])
			return 1;
	}
	printf("remap_anon_pages %zu MiB: native %.2f ms, copy %.2f ms: "
	       "copy / native = %.1f\n", len / MIB,
	       median(native, rounds) / 1e6, median(copy, rounds) / 1e6,
	       (double)median(copy, rounds) / median(native, rounds));
	return 0;
}

int main(int argc, char **argv)
{
	size_t len;
	int rounds;

	if (argc != 4) {
		fprintf(stderr, "usage: %s vm_mmap|remap MIB ROUNDS\n",
			argv[0]);
		return 2;
	}
	len = strtoul(argv[2], NULL, 10) * MIB;
	rounds = atoi(argv[3]);
	if (!len || rounds < 1 || rounds > MAX_ROUNDS)
		return 2;
	if (!strcmp(argv[1], "vm_mmap"))
		return bench_vm_mmap(len, rounds);
	if (!strcmp(argv[1], "remap"))
		return bench_remap(len, rounds);
	return 2;
}
