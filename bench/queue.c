// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The advice queue (xmm_queue(3)) against synchronous xmm_process_madvise(),
 * each row's legs measured alternately in the same run:
 *
 *   release-4k, release-2m  1 GiB of the caller's own memory advised
 *       MADV_DONTNEED in 4 KiB or 2 MiB ranges (1,024 ranges a call):
 *       the time the caller's thread is blocked, and the total time
 *       (throughput).  The queue's caller is blocked only inside
 *       xmm_queue_submit() and xmm_queue_reap(); it sleeps in poll(2)
 *       meanwhile, which an event loop spends on other work.
 *   ranges-1000  1,000 separate pages of the caller's, one call: the
 *       self-madvise backend forced (one madvise(2) per range, what a
 *       kernel before 6.13 gets) against one queue submission (io_uring).
 *
 *   --cli XMM  `xmm advise --cgroup` over 20 processes of 64 MiB each
 *       (cold, or the advice given): one target at a time (--jobs 1)
 *       against several through the queue (--jobs 4).  Needs root and a
 *       cgroup v2.
 *
 * usage: queue-bench [rounds]      (default 5; ranges-1000 runs 20x more)
 *        queue-bench --cli PATH-TO-XMM [rounds [advice]]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xmm/queue.h>

#define MIB		(1024UL * 1024)
#define GIB		(1024 * MIB)
#define PER_CALL	1024
#define MAX_ROUNDS	200

static size_t page;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* CPU time of the calling thread: what it spent, preemption aside. */
static uint64_t cpu_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), compare);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void die(const char *what)
{
	fprintf(stderr, "queue-bench: %s: %s\n", what, strerror(errno));
	exit(1);
}

/*
 * One leg's round: ns the caller spent inside the library (wall clock,
 * and its thread's CPU time), ns in all.
 */
struct sample {
	double blocked;
	double cpu;
	double total;
};

static void touch(unsigned char *region, size_t len)
{
	size_t i;

	for (i = 0; i < len; i += page)
		region[i] = 1;
}

static void sync_advise(struct iovec *iov, size_t count, int advice,
			struct sample *s)
{
	uint64_t start = now_ns(), cpu = cpu_ns();
	size_t i;

	for (i = 0; i < count; i += PER_CALL) {
		size_t n = count - i < PER_CALL ? count - i : PER_CALL;

		if (xmm_process_madvise(XMM_PIDFD_SELF, iov + i, n, advice,
					0) < 0)
			die("xmm_process_madvise");
	}
	s->total = s->blocked = (double)(now_ns() - start);
	s->cpu = (double)(cpu_ns() - cpu);
}

static void queue_advise(struct xmm_queue *queue, struct iovec *iov,
			 size_t count, int advice, struct sample *s)
{
	struct xmm_queue_completion done[64];
	size_t i, submitted = 0, reaped = 0;
	uint64_t start = now_ns(), blocked = 0, cpu = 0, t, c;

	for (i = 0; i < count; i += PER_CALL) {
		size_t n = count - i < PER_CALL ? count - i : PER_CALL;

		t = now_ns();
		c = cpu_ns();
		if (xmm_queue_submit(queue, XMM_PIDFD_SELF, iov + i, n,
				     advice, 0, i) < 0)
			die("xmm_queue_submit");
		blocked += now_ns() - t;
		cpu += cpu_ns() - c;
		submitted++;
	}
	while (reaped < submitted) {
		struct pollfd pfd = { xmm_queue_fd(queue), POLLIN, 0 };
		int got, k;

		if (poll(&pfd, 1, -1) < 0)
			die("poll");
		t = now_ns();
		c = cpu_ns();
		got = xmm_queue_reap(queue, done, 64);
		blocked += now_ns() - t;
		cpu += cpu_ns() - c;
		if (got < 0)
			die("xmm_queue_reap");
		for (k = 0; k < got; k++)
			if (done[k].advised < 0) {
				errno = done[k].error;
				die("queued advice");
			}
		reaped += (size_t)got;
	}
	s->total = (double)(now_ns() - start);
	s->blocked = (double)blocked;
	s->cpu = (double)cpu;
}

static const char *served_by(struct xmm_queue *queue, struct iovec *iov)
{
	struct xmm_queue_completion done;
	struct pollfd pfd = { xmm_queue_fd(queue), POLLIN, 0 };

	if (xmm_queue_submit(queue, XMM_PIDFD_SELF, iov, 1, MADV_COLD, 0,
			     0) < 0)
		die("xmm_queue_submit");
	while (xmm_queue_reap(queue, &done, 1) != 1)
		poll(&pfd, 1, -1);
	return done.backend ? done.backend : "none";
}

static void release_row(struct xmm_queue *queue, const char *name,
			size_t range, int rounds)
{
	size_t count = GIB / range, i;
	struct iovec *iov = calloc(count, sizeof(*iov));
	double sync_blocked[MAX_ROUNDS], sync_total[MAX_ROUNDS];
	double q_blocked[MAX_ROUNDS], q_total[MAX_ROUNDS];
	double sync_cpu[MAX_ROUNDS], q_cpu[MAX_ROUNDS];
	unsigned char *region;
	double sb, st, qb, qt, sc, qc;
	int r;

	region = mmap(NULL, GIB + 2 * MIB, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (!iov || region == MAP_FAILED)
		die("1 GiB");
	region = (unsigned char *)(((uintptr_t)region + 2 * MIB - 1) &
				   ~(2 * MIB - 1));
	madvise(region, GIB, range >= 2 * MIB ? MADV_HUGEPAGE :
						 MADV_NOHUGEPAGE);
	for (i = 0; i < count; i++)
		iov[i] = (struct iovec){ region + i * range, range };

	for (r = 0; r < rounds; r++) {
		struct sample s;
		/* Alternate which leg goes first. */
		int leg;

		for (leg = 0; leg < 2; leg++) {
			touch(region, GIB);
			if ((leg + r) % 2 == 0) {
				sync_advise(iov, count, MADV_DONTNEED, &s);
				sync_blocked[r] = s.blocked;
				sync_total[r] = s.total;
				sync_cpu[r] = s.cpu;
			} else {
				queue_advise(queue, iov, count, MADV_DONTNEED,
					     &s);
				q_blocked[r] = s.blocked;
				q_total[r] = s.total;
				q_cpu[r] = s.cpu;
			}
		}
	}
	sb = median(sync_blocked, rounds);
	st = median(sync_total, rounds);
	qb = median(q_blocked, rounds);
	qt = median(q_total, rounds);
	sc = median(sync_cpu, rounds);
	qc = median(q_cpu, rounds);
	printf("| %s: caller blocked (wall) | sync %.2f ms | queue %.3f ms | "
	       "%.1fx less |\n", name, sb / 1e6, qb / 1e6, sb / qb);
	printf("| %s: caller CPU in the library | sync %.2f ms | "
	       "queue %.3f ms | %.1fx less |\n", name, sc / 1e6, qc / 1e6,
	       sc / qc);
	printf("| %s: total (throughput) | sync %.2f ms (%.1f GiB/s) | "
	       "queue %.2f ms (%.1f GiB/s) | queue/sync %.2f |\n", name,
	       st / 1e6, 1e9 / st, qt / 1e6, 1e9 / qt, qt / st);
	munmap(region, GIB);
	free(iov);
}

static void ranges_row(struct xmm_queue *queue, int rounds)
{
	enum { RANGES = 1000 };
	static struct iovec iov[RANGES];
	double base[MAX_ROUNDS], q_total[MAX_ROUNDS], q_blocked[MAX_ROUNDS];
	double native[MAX_ROUNDS], base_cpu[MAX_ROUNDS], q_cpu[MAX_ROUNDS];
	unsigned char *region = mmap(NULL, 2 * RANGES * page,
				     PROT_READ | PROT_WRITE,
				     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	double b, n, qt, qb, bc, qc;
	int r, i;

	if (region == MAP_FAILED)
		die("mmap");
	madvise(region, 2 * RANGES * page, MADV_NOHUGEPAGE);
	/* Every other page: 1,000 ranges the kernel cannot merge. */
	for (i = 0; i < RANGES; i++)
		iov[i] = (struct iovec){ region + 2 * (size_t)i * page, page };
	if (rounds > MAX_ROUNDS)
		rounds = MAX_ROUNDS;
	for (r = 0; r < rounds; r++) {
		struct sample s;

		touch(region, 2 * RANGES * page);
		if (xmm_backend_force("process_madvise", "self-madvise") < 0)
			die("forcing self-madvise");
		sync_advise(iov, RANGES, MADV_DONTNEED, &s);
		base[r] = s.total;
		base_cpu[r] = s.cpu;
		xmm_backend_force("process_madvise", NULL);

		touch(region, 2 * RANGES * page);
		queue_advise(queue, iov, RANGES, MADV_DONTNEED, &s);
		q_total[r] = s.total;
		q_blocked[r] = s.blocked;
		q_cpu[r] = s.cpu;

		touch(region, 2 * RANGES * page);
		sync_advise(iov, RANGES, MADV_DONTNEED, &s);
		native[r] = s.total;
	}
	b = median(base, rounds);
	n = median(native, rounds);
	qt = median(q_total, rounds);
	qb = median(q_blocked, rounds);
	bc = median(base_cpu, rounds);
	qc = median(q_cpu, rounds);
	printf("| 1,000 ranges: total | self-madvise %.0f us | queue %.0f us "
	       "| queue/self-madvise %.2f |\n", b / 1e3, qt / 1e3, qt / b);
	printf("| 1,000 ranges: caller blocked (wall) | self-madvise %.0f us "
	       "| queue %.1f us | %.1fx less |\n", b / 1e3, qb / 1e3, b / qb);
	printf("| 1,000 ranges: caller CPU in the library | self-madvise "
	       "%.0f us | queue %.1f us | %.1fx less |\n", bc / 1e3,
	       qc / 1e3, bc / qc);
	printf("| 1,000 ranges: reference | process_madvise(2) on self "
	       "%.0f us | | |\n", n / 1e3);
	munmap(region, 2 * RANGES * page);
}

#define CLI_TARGETS	20
#define CLI_TARGET_MEM	(64 * MIB)

/* A child holding CLI_TARGET_MEM of touched memory, in the cgroup. */
static pid_t start_target(const char *procs)
{
	pid_t pid = fork();
	char text[32];
	int fd;

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		unsigned char *mem = mmap(NULL, CLI_TARGET_MEM,
					  PROT_READ | PROT_WRITE,
					  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (mem == MAP_FAILED)
			_exit(1);
		touch(mem, CLI_TARGET_MEM);
		for (;;)
			pause();
	}
	fd = open(procs, O_WRONLY);
	snprintf(text, sizeof(text), "%d", (int)pid);
	if (fd < 0 || write(fd, text, strlen(text)) < 0)
		die(procs);
	close(fd);
	return pid;
}

static const char *cli_advice = "cold";

/* Run `xmm advise --cgroup dir -a ADVICE --jobs N`: its wall-clock ns. */
static double run_advise(const char *xmm, const char *dir, const char *jobs)
{
	uint64_t start = now_ns();
	int status;
	pid_t pid = fork();

	if (pid < 0)
		die("fork");
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(null, 1);
		execl(xmm, xmm, "advise", "--cgroup", dir, "-a", cli_advice,
		      "--jobs", jobs, (char *)NULL);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0) {
		fprintf(stderr, "queue-bench: xmm advise --jobs %s failed "
			"(status %#x)\n", jobs, status);
		exit(1);
	}
	return (double)(now_ns() - start);
}

static int cli_row(const char *xmm, int rounds)
{
	char dir[128], procs[160], mounted[64] = "";
	double seq[MAX_ROUNDS], par[MAX_ROUNDS], a, b;
	pid_t targets[CLI_TARGETS];
	int i, r;

	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
		snprintf(dir, sizeof(dir), "/sys/fs/cgroup/xmm-bench-%d",
			 (int)getpid());
	} else {
		strcpy(mounted, "/tmp/xmm-bench-cg-XXXXXX");
		if (!mkdtemp(mounted) ||
		    mount("none", mounted, "cgroup2", 0, NULL) < 0)
			die("mounting a cgroup v2");
		snprintf(dir, sizeof(dir), "%s/xmm-bench", mounted);
	}
	if (mkdir(dir, 0755) < 0)
		die(dir);
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	for (i = 0; i < CLI_TARGETS; i++)
		targets[i] = start_target(procs);
	/* Let them touch their memory before the first round. */
	run_advise(xmm, dir, "1");

	for (r = 0; r < rounds; r++) {
		if (r % 2) {
			seq[r] = run_advise(xmm, dir, "1");
			par[r] = run_advise(xmm, dir, "4");
		} else {
			par[r] = run_advise(xmm, dir, "4");
			seq[r] = run_advise(xmm, dir, "1");
		}
	}
	a = median(seq, rounds);
	b = median(par, rounds);
	printf("| xmm advise --cgroup, %d x %lu MiB, %s | --jobs 1 %.1f ms "
	       "| --jobs 4 %.1f ms | %.2fx faster |\n", CLI_TARGETS,
	       CLI_TARGET_MEM / MIB, cli_advice, a / 1e6, b / 1e6, a / b);

	for (i = 0; i < CLI_TARGETS; i++) {
		kill(targets[i], SIGKILL);
		waitpid(targets[i], NULL, 0);
	}
	rmdir(dir);
	if (mounted[0]) {
		umount(mounted);
		rmdir(mounted);
	}
	return 0;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 5;
	struct xmm_queue *queue;
	struct iovec probe;

	page = (size_t)sysconf(_SC_PAGESIZE);
	if (argc > 2 && !strcmp(argv[1], "--cli")) {
		rounds = argc > 3 ? atoi(argv[3]) : 10;
		if (argc > 4)
			cli_advice = argv[4];
		if (rounds < 1 || rounds > MAX_ROUNDS)
			rounds = 10;
		printf("| row | baseline | queue | ratio |\n"
		       "|---|---|---|---|\n");
		return cli_row(argv[2], rounds);
	}
	if (rounds < 1 || rounds > MAX_ROUNDS / 20)
		rounds = 5;
	queue = xmm_queue_create(4, 0);
	if (!queue)
		die("xmm_queue_create");
	probe = (struct iovec){ &probe, 1 };
	probe.iov_base = (void *)((uintptr_t)&probe & ~(page - 1));
	printf("queue self-advice served by: %s\n\n",
	       served_by(queue, &probe));
	printf("| row | baseline | queue | ratio |\n|---|---|---|---|\n");
	release_row(queue, "1 GiB DONTNEED, 4 KiB ranges", 4096, rounds);
	release_row(queue, "1 GiB DONTNEED, 2 MiB ranges", 2 * MIB, rounds);
	ranges_row(queue, rounds * 20);
	xmm_queue_destroy(queue);
	return 0;
}
