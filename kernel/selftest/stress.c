// SPDX-License-Identifier: GPL-2.0
/*
 * Stress for the patched kernel (best on the debug kernel, -c 2):
 * remap_anon_pages back and forth while other threads page the memory
 * out, fault, mmap and munmap; process_vm_mmap of a child that keeps
 * writing, while the clones are paged out and written. Checks the data
 * after every round; the kernel checks itself (DEBUG_VM, lockdep).
 *   stress [SECONDS]   (default 10)
 */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>

#define PAGES 256

static atomic_int stop;
static char *buf_a, *buf_b;

static void *pager(void *arg)
{
	(void)arg;
	while (!stop) {
		madvise(buf_a, PAGES * page_size, MADV_PAGEOUT);
		madvise(buf_b, PAGES * page_size, MADV_PAGEOUT);
		usleep(1000);
	}
	return NULL;
}

static void *churn(void *arg)
{
	(void)arg;
	while (!stop) {
		char *p = map_anon(64 * page_size);

		memset(p, 1, 64 * page_size);
		munmap(p, 64 * page_size);
	}
	return NULL;
}

/* Move everything from @from to @to, page by page where needed. */
static long move_all(char *to, char *from, long *busy)
{
	size_t len = PAGES * page_size, done = 0;
	long ret;

	while (done < len) {
		ret = sys_remap_anon_pages(to + done, from + done, len - done,
					   RAP_ALLOW_SRC_HOLES);
		if (ret > 0) {
			done += ret;
			continue;
		}
		if (errno == EBUSY) {
			/* e.g. in the swap cache: fault it in, retry */
			(*busy)++;
			*(volatile char *)(from + done);
			continue;
		}
		printf("# remap failed at %zu: %s\n", done, strerror(errno));
		return -1;
	}
	return 0;
}

static int stress_remap(int seconds)
{
	size_t len = PAGES * page_size;
	pthread_t t1, t2;
	long rounds = 0, busy = 0;
	double end = now() + seconds;
	int ok = 1;

	buf_a = map_anon(len);
	buf_b = map_anon(len);
	madvise(buf_a, len, MADV_NOHUGEPAGE);
	madvise(buf_b, len, MADV_NOHUGEPAGE);
	fill(buf_a, len, 5);
	stop = 0;
	pthread_create(&t1, NULL, pager, NULL);
	pthread_create(&t2, NULL, churn, NULL);
	while (now() < end && ok) {
		ok = move_all(buf_b, buf_a, &busy) == 0 &&
		     check_fill(buf_b, len, 5);
		ok = ok && move_all(buf_a, buf_b, &busy) == 0 &&
		     check_fill(buf_a, len, 5);
		rounds++;
	}
	stop = 1;
	pthread_join(t1, NULL);
	pthread_join(t2, NULL);
	printf("# remap stress: %ld rounds, %ld EBUSY retries\n", rounds, busy);
	check(ok, "remap_anon_pages under paging and churn keeps the data",
	      "round %ld", rounds);
	munmap(buf_a, len);
	munmap(buf_b, len);
	return ok;
}

static int stress_pvmm(int seconds)
{
	size_t len = PAGES * page_size;
	char *shared = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	volatile uint64_t *gen = (uint64_t *)shared;
	char **addr = (char **)(shared + 64);
	double end = now() + seconds;
	long rounds = 0;
	int ok = 1;
	pid_t child;

	child = fork();
	if (child == 0) {
		uint64_t *p = (uint64_t *)map_anon(len);
		size_t n = len / 8, i;

		*addr = (char *)p;
		for (;;) {
			/* every word of a round holds the round number */
			uint64_t g = *gen + 1;

			for (i = 0; i < n; i++)
				p[i] = g;
			*gen = g;
			if (g % 16 == 0)
				madvise(p, len, MADV_PAGEOUT);
		}
	}
	while (!*gen)
		usleep(1000);
	while (now() < end && ok) {
		long ret = sys_process_vm_mmap(child, *addr, len, NULL, 0);
		uint64_t *c = (uint64_t *)ret;
		size_t i;

		if (ret == -1) {
			printf("# process_vm_mmap: %s\n", strerror(errno));
			ok = 0;
			break;
		}
		/* a snapshot: words are non-decreasing rounds, and it does not
		 * change afterwards while the child goes on writing */
		uint64_t first = c[0], sum = 0;

		for (i = 1; i < len / 8; i++)
			if (c[i] > c[i - 1] + 1 || c[i] > first + 1 ||
			    c[i] < first - 1)
				ok = 0;
		for (i = 0; i < len / 8; i++)
			sum += c[i];
		usleep(2000);
		if (rounds % 4 == 0)
			madvise(c, len, MADV_PAGEOUT);
		for (i = 0; i < len / 8; i++)
			sum -= c[i];
		if (sum)
			ok = 0;
		c[0] = 0;	/* COW in the clone */
		munmap(c, len);
		rounds++;
	}
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	printf("# pvmm stress: %ld clones, child at round %llu\n", rounds,
	       (unsigned long long)*gen);
	check(ok, "process_vm_mmap of a writing child: stable snapshots",
	      "round %ld", rounds);
	return ok;
}

int main(int argc, char **argv)
{
	int seconds = argc > 1 ? atoi(argv[1]) : 10;

	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (sys_remap_anon_pages(NULL, NULL, 0, 0) == -1 && errno == ENOSYS) {
		printf("# SKIP: kernel not patched\n");
		return 77;
	}
	if (!have_swap())
		printf("# no swap: paging out does nothing\n");
	stress_remap(seconds);
	stress_pvmm(seconds);
	return finish();
}
