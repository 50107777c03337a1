// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm demo: start a child with a few hundred MiB of mixed memory, run
 * each operation of the library on it, and print what each did and how
 * long it took.  An operation that no backend can serve on this kernel
 * (ENOSYS) is reported and is not a failure; any other failure is.
 */
#include "xmm-tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif

#define MIB		(1UL << 20)
#define ANON_BYTES	(160 * MIB)
#define FILE_BYTES	(32 * MIB)
#define SHARED_BYTES	(32 * MIB)
#define SMALL_MAPPINGS	256
/* A guard between mappings: one page is enough to keep them apart. */
#define GUARD_BYTES	((size_t)sysconf(_SC_PAGESIZE))
#define REMAP_BYTES	(64 * MIB)

struct demo_memory {
	char *anon;
	char *file;
	char *shared;
	char *small;
	size_t page;
};

static void demo_usage(FILE *out)
{
	fprintf(out,
"Usage: xmm demo\n"
"Start a child with %lu MiB of mixed memory (anonymous, file-backed,\n"
"shared, and %d small mappings), then run on it, timing each:\n"
"  1. xmm_advise_process(MADV_PAGEOUT) on all its mappings,\n"
"  2. xmm_process_vm_mmap() of its shared region into this process,\n"
"  3. xmm_remap_anon_pages() of %lu MiB inside this process.\n"
"An operation this kernel cannot serve (ENOSYS) is reported, not failed.\n"
"Exit status: 0 when every operation worked or is unavailable, 1 when one\n"
"failed otherwise.\n\n"
"  -h, --help   show this help\n",
		(ANON_BYTES + FILE_BYTES + SHARED_BYTES) / MIB, SMALL_MAPPINGS,
		REMAP_BYTES / MIB);
}

/* Cheap deterministic contents, different on every page. */
static void fill(char *p, size_t len, unsigned int seed)
{
	size_t i;

	for (i = 0; i + sizeof(uint64_t) <= len; i += 512)
		*(uint64_t *)(p + i) = (i + seed) * 0x9e3779b97f4a7c15ULL;
}

static uint64_t checksum(const char *p, size_t len)
{
	uint64_t sum = 0;
	size_t i;

	for (i = 0; i + sizeof(uint64_t) <= len; i += 512)
		sum = sum * 31 + *(const uint64_t *)(p + i);
	return sum;
}

/* A private mapping of a file on disk (not tmpfs, so pageout drops it). */
static char *map_scratch_file(size_t len)
{
	static const char *const dirs[] = { "/var/tmp", "/tmp", "." };
	char path[256], *buf, *map = MAP_FAILED;
	size_t i;
	int fd = -1;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]) && fd < 0; i++) {
		snprintf(path, sizeof(path), "%s/xmm-demo-XXXXXX", dirs[i]);
		fd = mkstemp(path);
	}
	if (fd < 0)
		return MAP_FAILED;
	unlink(path);
	buf = malloc(MIB);
	if (buf) {
		fill(buf, MIB, 3);
		for (i = 0; i < len / MIB; i++)
			if (write(fd, buf, MIB) != (ssize_t)MIB)
				break;
		free(buf);
		if (i == len / MIB)
			map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	}
	close(fd);
	return map;
}

static int map_memory(struct demo_memory *m)
{
	size_t small_len;
	int memfd;

	m->page = (size_t)sysconf(_SC_PAGESIZE);
	small_len = SMALL_MAPPINGS * m->page;
	m->anon = mmap(NULL, ANON_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m->small = mmap(NULL, small_len, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	m->file = map_scratch_file(FILE_BYTES);
	memfd = memfd_create("xmm-demo-shared", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, SHARED_BYTES) < 0)
		return -1;
	m->shared = mmap(NULL, SHARED_BYTES, PROT_READ | PROT_WRITE,
			 MAP_SHARED, memfd, 0);
	close(memfd);
	if (m->anon == MAP_FAILED || m->small == MAP_FAILED ||
	    m->file == MAP_FAILED || m->shared == MAP_FAILED)
		return -1;
	fill(m->shared, SHARED_BYTES, 2);
	return 0;
}

/* In the child: make the memory resident, and many small mappings. */
static void populate(struct demo_memory *m)
{
	volatile char sink = 0;
	size_t i;

	fill(m->anon, ANON_BYTES, 1);
	for (i = 0; i < FILE_BYTES; i += m->page)
		sink += m->file[i];
	for (i = 0; i < SMALL_MAPPINGS; i++) {
		m->small[i * m->page] = 1;
		if (i % 2)
			mprotect(m->small + i * m->page, m->page, PROT_READ);
	}
	(void)sink;
}

static pid_t start_child(struct demo_memory *m)
{
	int ready[2];
	char byte = 0;
	pid_t pid;

	if (pipe(ready) < 0)
		return -1;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		populate(m);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (pid > 0 && read(ready[0], &byte, 1) != 1) {
		waitpid(pid, NULL, 0);
		pid = -1;
	}
	close(ready[0]);
	return pid;
}

static int demo_advise(int pidfd)
{
	struct xmm_advise_options opts = { .flags = XMM_ADVISE_USAGE };
	struct xmm_advise_report r;
	char a[32], b[32], c[32], d[32];

	printf("1. xmm_advise_process(MADV_PAGEOUT) on all mappings\n");
	if (xmm_advise_process(pidfd, NULL, MADV_PAGEOUT, &opts, &r) < 0) {
		int err = errno;

		printf("   failed: %s\n", strerror(err));
		return operation_error("demo", "xmm_advise_process", err);
	}
	printf("   %zu mappings read, %zu selected, %zu advised: %s in %lu "
	       "process_madvise call%s\n", r.vmas_total, r.vmas_selected,
	       r.vmas_advised, human_bytes(r.bytes_advised, a, sizeof(a)),
	       r.calls, r.calls == 1 ? "" : "s");
	printf("   %s elapsed (reading maps %s), %s CPU; %lu ranges "
	       "failed\n", human_ns(r.elapsed_ns, a, sizeof(a)),
	       human_ns(r.maps_ns, b, sizeof(b)),
	       human_ns(r.cpu_ns, c, sizeof(c)), r.errors);
	printf("   RSS %s -> %s (file %s -> %s)\n",
	       human_bytes(r.usage_before.rss, a, sizeof(a)),
	       human_bytes(r.usage_after.rss, b, sizeof(b)),
	       human_bytes(r.usage_before.rss_file, c, sizeof(c)),
	       human_bytes(r.usage_after.rss_file, d, sizeof(d)));
	printf("   anon %s -> %s, swap %s -> %s%s\n",
	       human_bytes(r.usage_before.rss_anon, a, sizeof(a)),
	       human_bytes(r.usage_after.rss_anon, b, sizeof(b)),
	       human_bytes(r.usage_before.swap, c, sizeof(c)),
	       human_bytes(r.usage_after.swap, d, sizeof(d)),
	       r.usage_after.swap ? "" :
	       " (anonymous pages leave only when there is swap)");
	return EXIT_OK;
}

/* An operation no backend serves here: say so, and why, and go on. */
static void print_unavailable(const char *operation)
{
	struct xmm_backend_info info;
	unsigned int i;

	printf("   unavailable on this system (ENOSYS)\n");
	for (i = 0; xmm_backend_info(i, &info) == 0; i++)
		if (!strcmp(info.operation, operation) && !info.available)
			printf("   backend %s: %s\n", info.backend,
			       info.detail ? info.detail :
			       strerror(info.reason));
}

static int demo_vm_mmap(pid_t pid, struct demo_memory *m)
{
	unsigned long long start, map_ns;
	char t[32], size[32];
	bool same;
	void *mapped;
	int err;

	printf("2. xmm_process_vm_mmap() of the child's %s shared region\n",
	       human_bytes(SHARED_BYTES, size, sizeof(size)));
	start = monotonic_ns();
	mapped = xmm_process_vm_mmap(pid, m->shared, SHARED_BYTES, NULL, 0);
	map_ns = monotonic_ns() - start;	/* the call, not the faults */
	err = errno;
	if (mapped == MAP_FAILED && err == ENOSYS) {
		print_unavailable("process_vm_mmap");
		return EXIT_OK;
	}
	if (mapped == MAP_FAILED)
		return operation_error("demo", "xmm_process_vm_mmap", err);
	/* Compared after the timing: reading faults every page in. */
	same = checksum(mapped, SHARED_BYTES) ==
	       checksum(m->shared, SHARED_BYTES);
	printf("   mapped at %p in %s by backend %s; contents %s\n", mapped,
	       human_ns(map_ns, t, sizeof(t)),
	       xmm_backend_last("process_vm_mmap"), same ? "match" : "DIFFER");
	munmap(mapped, SHARED_BYTES);
	return EXIT_OK;
}

static int demo_remap(void)
{
	unsigned long long start, remap_ns, copy_ns;
	char *src, *dst, *copy, t[32], u[32], size[32];
	uint64_t sum;
	ssize_t moved;
	int err, status = EXIT_OK;

	printf("3. xmm_remap_anon_pages() of %s inside this process\n",
	       human_bytes(REMAP_BYTES, size, sizeof(size)));
	/*
	 * Three mappings kept apart by unmapped guard pages: adjacent ones
	 * would merge, and where transparent huge pages are "always", a huge
	 * page faulted in at the end of src would reach into dst (EEXIST).
	 */
	src = mmap(NULL, 3 * REMAP_BYTES + 4 * GUARD_BYTES,
		   PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED)
		return operation_error("demo", "mmap", errno);
	munmap(src, GUARD_BYTES);
	src += GUARD_BYTES;
	dst = src + REMAP_BYTES + GUARD_BYTES;
	copy = dst + REMAP_BYTES + GUARD_BYTES;
	munmap(dst - GUARD_BYTES, GUARD_BYTES);
	munmap(copy - GUARD_BYTES, GUARD_BYTES);
	munmap(copy + REMAP_BYTES, GUARD_BYTES);
	fill(src, REMAP_BYTES, 4);
	sum = checksum(src, REMAP_BYTES);

	start = monotonic_ns();
	memcpy(copy, src, REMAP_BYTES);
	copy_ns = monotonic_ns() - start;

	start = monotonic_ns();
	moved = xmm_remap_anon_pages(dst, src, REMAP_BYTES, 0);
	remap_ns = monotonic_ns() - start;
	err = errno;
	if (moved < 0 && err == ENOSYS) {
		print_unavailable("remap_anon_pages");
	} else if (moved < 0) {
		status = operation_error("demo", "xmm_remap_anon_pages", err);
	} else {
		printf("   moved %s in %s by backend %s (memcpy of the same: "
		       "%s); contents %s\n",
		       human_bytes((unsigned long long)moved, size,
				   sizeof(size)),
		       human_ns(remap_ns, t, sizeof(t)),
		       xmm_backend_last("remap_anon_pages"),
		       human_ns(copy_ns, u, sizeof(u)),
		       checksum(dst, REMAP_BYTES) == sum ? "match" : "DIFFER");
	}
	munmap(src, REMAP_BYTES);
	munmap(dst, REMAP_BYTES);
	munmap(copy, REMAP_BYTES);
	return status;
}

int cmd_demo(int argc, char **argv)
{
	static const struct option options[] = {
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct demo_memory m;
	int opt, pidfd, status = EXIT_OK, step;
	char anon[32], file[32], shared[32];
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		if (opt == 'h') {
			demo_usage(stdout);
			return EXIT_OK;
		}
		return usage_error("demo", "bad option");
	}
	if (optind < argc)
		return usage_error("demo", "unexpected argument '%s'",
				   argv[optind]);
	if (map_memory(&m) < 0)
		return operation_error("demo", "setting up memory", errno);
	pid = start_child(&m);
	if (pid < 0)
		return operation_error("demo", "starting the child", errno);
	printf("child %d: %s of anonymous, %s of file, %s of shared memory, "
	       "%d small mappings\n\n", (int)pid,
	       human_bytes(ANON_BYTES, anon, sizeof(anon)),
	       human_bytes(FILE_BYTES, file, sizeof(file)),
	       human_bytes(SHARED_BYTES, shared, sizeof(shared)),
	       SMALL_MAPPINGS);
	pidfd = open_target("demo", &pid, &status);
	if (pidfd >= 0) {
		status = demo_advise(pidfd);
		close(pidfd);
	}
	/* The other operations are independent: show them all anyway. */
	step = demo_vm_mmap(pid, &m);
	if (step != EXIT_OK)
		status = step;
	step = demo_remap();
	if (step != EXIT_OK)
		status = step;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	printf("\n%s\n", status == EXIT_OK ? "demo: done" : "demo: FAILED");
	return status;
}
