// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * `xmm advise PID --advice pageout --select anon` on a child, with swap
 * on a zram device this test sets up: the child's anonymous RSS must
 * fall and its swap grow.  Root only.  The swap and the zram device are
 * always taken down again: in the teardown, at exit, and on SIGTERM
 * (meson's timeout).  Runs alone (parallel : false): swap is global.
 *
 * The child's lowest mapping is a locked page, which the kernel refuses
 * to page out: the command skips it, says so, and pages out the 100 MiB
 * above it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/swap.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"

#define ZRAM_SIZE	(256UL << 20)
#define CHILD_ANON	(100UL << 20)
#define LOCKED_ADDR	((void *)0x100000UL)
#define RSS_LAG_KIB	(64 * 4)	/* see test_pageout_to_zram() */

/* What is set up, for the cleanup that must always run. */
static int zram_index = -1;
static char zram_dev[64];
static volatile sig_atomic_t swap_on;
static struct harness_child child = { .pid = -1, .pidfd = -1 };

static int write_sysfs(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	close(fd);
	return n == (ssize_t)strlen(text) ? 0 : -EIO;
}

/* Only async-signal-safe calls: it also runs from the SIGTERM handler. */
static void cleanup(void)
{
	char path[96], index[16];
	int i = zram_index, len = 0, digits = i;

	if (child.pid > 0)
		kill(child.pid, SIGKILL);
	if (swap_on) {
		swapoff(zram_dev);
		swap_on = 0;
	}
	if (i < 0)
		return;
	zram_index = -1;
	/* snprintf is not async-signal-safe: format by hand. */
	do {
		index[len++] = (char)('0' + digits % 10);
		digits /= 10;
	} while (digits && len < 10);
	index[len] = '\0';
	for (digits = 0; digits < len / 2; digits++) {
		char t = index[digits];

		index[digits] = index[len - 1 - digits];
		index[len - 1 - digits] = t;
	}
	strcpy(path, "/sys/block/zram");
	strcat(path, index);
	strcat(path, "/reset");
	write_sysfs(path, "1");
	write_sysfs("/sys/class/zram-control/hot_remove", index);
}

static void on_term(int sig)
{
	cleanup();
	signal(sig, SIG_DFL);
	raise(sig);
}

/* A version 1 swap header, as mkswap(8) writes it. */
static int write_swap_header(const char *dev, size_t size)
{
	size_t page = harness_page_size();
	unsigned char *header = calloc(1, page);
	uint32_t version = 1, last_page = (uint32_t)(size / page - 1);
	ssize_t n;
	int fd;

	if (!header)
		return -ENOMEM;
	memcpy(header + 1024, &version, 4);
	memcpy(header + 1028, &last_page, 4);
	/* nr_badpages 0, no uuid, no label. */
	memcpy(header + page - 10, "SWAPSPACE2", 10);
	fd = open(dev, O_WRONLY | O_CLOEXEC);
	if (fd < 0) {
		free(header);
		return -errno;
	}
	n = pwrite(fd, header, page, 0);
	fsync(fd);
	close(fd);
	free(header);
	return n == (ssize_t)page ? 0 : -EIO;
}

static int setup_zram_swap(const char **why)
{
	char path[96], text[32];
	ssize_t n;
	int fd;

	fd = open("/sys/class/zram-control/hot_add", O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*why = "no zram (CONFIG_ZRAM, or modprobe zram)";
		return -1;
	}
	n = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (n <= 0) {
		*why = "zram hot_add failed";
		return -1;
	}
	text[n] = '\0';
	zram_index = atoi(text);
	snprintf(zram_dev, sizeof(zram_dev), "/dev/zram%d", zram_index);
	snprintf(path, sizeof(path), "/sys/block/zram%d/disksize", zram_index);
	snprintf(text, sizeof(text), "%lu", ZRAM_SIZE);
	if (write_sysfs(path, text) < 0) {
		*why = "cannot size the zram device";
		return -1;
	}
	/* devtmpfs made the node when hot_add added the disk. */
	if (access(zram_dev, F_OK) < 0) {
		*why = "no device node for the zram disk (no devtmpfs on /dev)";
		return -1;
	}
	if (write_swap_header(zram_dev, ZRAM_SIZE) < 0) {
		*why = "cannot write the swap header";
		return -1;
	}
	if (swapon(zram_dev, 0) < 0) {
		*why = "swapon refused the zram device";
		return -1;
	}
	swap_on = 1;
	return 0;
}

static void fill_anon(void *arg)
{
	unsigned char *p = arg, *low;
	size_t i;

	low = mmap(LOCKED_ADDR, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	/* The raw syscall: ASan's mlock() locks nothing. */
	if (low != LOCKED_ADDR || syscall(SYS_mlock, low, 4096) < 0)
		_exit(1);
	/* Compressible but not uniform: zram stores it, not a same-fill. */
	for (i = 0; i < CHILD_ANON; i++)
		p[i] = (unsigned char)((i >> 12) + (i & 7));
}

static unsigned long long status_kib(pid_t pid, const char *key)
{
	struct xmm_mem_usage usage;
	int pidfd = xmm_pidfd_open(pid, 0);

	assert_true(pidfd >= 0);
	assert_int_equal(xmm_mem_usage(pidfd, 0, &usage), 0);
	close(pidfd);
	return (!strcmp(key, "swap") ? usage.swap : usage.rss_anon) >> 10;
}

static void test_pageout_to_zram(void **state)
{
	char *argv[8], pid[32], out[4096];
	unsigned long long anon_before, anon_after, swap_after;
	const char *why = NULL, *tool = getenv("XMM_TOOL");
	int pipefd[2], status, ret;
	size_t len;
	ssize_t n;
	void *region;
	pid_t run;

	if (!tool)
		fail_msg("XMM_TOOL is not set: run through meson test");
	if (setup_zram_swap(&why) < 0)
		harness_skip("%s", why);

	region = mmap(NULL, CHILD_ANON, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(region != MAP_FAILED);
	ret = harness_child_start(&child, fill_anon, region);
	if (ret == -ENOSYS)
		harness_skip("pidfd_open(2) answers ENOSYS (valgrind)");
	assert_int_equal(ret, 0);
	munmap(region, CHILD_ANON);
	anon_before = status_kib(child.pid, "anon");
	/* SMP 6.1 kernels (every arm64 one) cache RSS counts per thread and
	 * fold them in every 64 faults (TASK_RSS_EVENTS_THRESH): up to 63
	 * pages of the child's may not show yet. */
	assert_true(anon_before + RSS_LAG_KIB >= CHILD_ANON >> 10);

	snprintf(pid, sizeof(pid), "%d", (int)child.pid);
	argv[0] = (char *)tool;
	argv[1] = "advise";
	argv[2] = pid;
	argv[3] = "--advice";
	argv[4] = "pageout";
	argv[5] = "--select";
	argv[6] = "anon";
	argv[7] = NULL;
	assert_int_equal(pipe(pipefd), 0);
	fflush(NULL);
	run = fork();
	if (run == 0) {
		dup2(pipefd[1], 1);
		execv(tool, argv);
		_exit(127);
	}
	close(pipefd[1]);
	/* Until EOF: the report may come in several writes (musl's stdout
	 * line-buffers its first line, then buffers fully). */
	len = 0;
	while (len < sizeof(out) - 1) {
		n = read(pipefd[0], out + len, sizeof(out) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	out[len] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(run, &status, 0), run);
	printf("%s", out);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, "skipped    anon: 1 mapping, 4.00 KiB: "
			       "EINVAL (the kernel refuses this advice on "
			       "locked"));

	anon_after = status_kib(child.pid, "anon");
	swap_after = status_kib(child.pid, "swap");
	printf("child RssAnon %llu KiB -> %llu KiB, VmSwap %llu KiB\n",
	       anon_before, anon_after, swap_after);
	/* Most of it left for swap; a few pages may be busy. */
	assert_true(anon_after < anon_before / 4);
	assert_true(swap_after >= (CHILD_ANON >> 10) / 2);
}

static int teardown(void **state)
{
	cleanup();
	harness_child_stop(&child);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_pageout_to_zram, teardown),
	};
	struct sigaction sa = { .sa_handler = on_term };

	if (!harness_is_root())
		harness_skip_all("swap on zram needs root");
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	atexit(cleanup);
	harness_require(HARNESS_NEEDS_EXEC |
			 HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
