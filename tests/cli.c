// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The xmm command (XMM_TOOL names the binary): exit statuses 0, 1 and 2,
 * the hints on stderr, --help on every subcommand, and the JSON of
 * advise, stat and probe parsed back with python3's json module.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xmm/xmm.h>

#include "harness.h"

#define OUTPUT_MAX	(256 * 1024)

struct run {
	int status;		/* exit status, or 128 + signal */
	char out[OUTPUT_MAX];
	char err[OUTPUT_MAX];
};

static const char *tool_path(void)
{
	const char *path = getenv("XMM_TOOL");

	if (!path)
		fail_msg("XMM_TOOL is not set: run through meson test");
	return path;
}

/* Run argv with stdin from input (or /dev/null); collect both outputs. */
static int run_argv(char *const argv[], const char *input, struct run *r)
{
	int out[2], err[2], in[2], status;
	size_t out_len = 0, err_len = 0;
	pid_t pid;

	memset(r, 0, sizeof(*r));
	if (pipe(out) < 0 || pipe(err) < 0 || pipe(in) < 0)
		return -errno;
	fflush(NULL);
	pid = fork();
	if (pid == 0) {
		dup2(in[0], 0);
		dup2(out[1], 1);
		dup2(err[1], 2);
		close(in[1]);
		close(out[0]);
		close(err[0]);
		execvp(argv[0], argv);
		_exit(127);
	}
	close(in[0]);
	close(out[1]);
	close(err[1]);
	if (input && write(in[1], input, strlen(input)) < 0 && errno != EPIPE)
		return -errno;
	close(in[1]);
	for (;;) {
		struct pollfd fds[2] = {
			{ .fd = out[0], .events = POLLIN },
			{ .fd = err[0], .events = POLLIN },
		};
		ssize_t n;

		if (fds[0].fd < 0 && fds[1].fd < 0)
			break;
		if (out[0] < 0)
			fds[0].fd = -1;
		if (err[0] < 0)
			fds[1].fd = -1;
		if (fds[0].fd < 0 && fds[1].fd < 0)
			break;
		if (poll(fds, 2, -1) < 0 && errno != EINTR)
			return -errno;
		if (fds[0].revents) {
			n = read(out[0], r->out + out_len,
				 OUTPUT_MAX - 1 - out_len);
			if (n <= 0) {
				close(out[0]);
				out[0] = -1;
			} else {
				out_len += (size_t)n;
			}
		}
		if (fds[1].revents) {
			n = read(err[0], r->err + err_len,
				 OUTPUT_MAX - 1 - err_len);
			if (n <= 0) {
				close(err[0]);
				err[0] = -1;
			} else {
				err_len += (size_t)n;
			}
		}
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	r->status = WIFEXITED(status) ? WEXITSTATUS(status) :
		    128 + WTERMSIG(status);
	return 0;
}

/* Run the xmm command with up to 14 arguments, NULL-terminated. */
static void run_tool(struct run *r, ...)
{
	char *argv[16];
	va_list ap;
	int i = 1;

	argv[0] = (char *)tool_path();
	va_start(ap, r);
	while ((argv[i] = va_arg(ap, char *)))
		if (++i == 15)
			fail_msg("run_tool: too many arguments");
	va_end(ap);
	assert_int_equal(run_argv(argv, NULL, r), 0);
}

/*
 * Feed json to python3 and run a check expression on it as d; the
 * expression's value is printed into out.  False if python3 is absent.
 */
static bool python_json(const char *json, const char *expr, char *out,
			size_t size)
{
	static struct run py;
	char program[1024];
	char *argv[] = { "python3", "-c", program, NULL };
	size_t len;

	snprintf(program, sizeof(program),
		 "import json, sys\nd = json.load(sys.stdin)\nprint(%s)",
		 expr);
	assert_int_equal(run_argv(argv, json, &py), 0);
	if (py.status == 127)
		return false;
	if (py.status != 0)
		fail_msg("python3 rejected the JSON (%s):\n%s\n%s", py.err,
			 json, expr);
	len = strcspn(py.out, "\n");
	if (len >= size)
		len = size - 1;
	memcpy(out, py.out, len);
	out[len] = '\0';
	return true;
}

static char pid_text[32];

static const char *pid_arg(pid_t pid)
{
	snprintf(pid_text, sizeof(pid_text), "%d", (int)pid);
	return pid_text;
}

static void test_help_and_usage(void **state)
{
	static const char *const commands[] = {
		"probe", "advise", "stat", "demo",
	};
	static struct run r;
	char want[64];
	size_t i;

	run_tool(&r, "--help", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "Usage: xmm COMMAND"));
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		run_tool(&r, commands[i], "--help", NULL);
		assert_int_equal(r.status, 0);
		snprintf(want, sizeof(want), "Usage: xmm %s", commands[i]);
		assert_non_null(strstr(r.out, want));
		run_tool(&r, commands[i], "--no-such-option", NULL);
		assert_int_equal(r.status, 2);
	}
	run_tool(&r, NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "frobnicate", NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "advise", "--advice", "cold", NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "advise", "1", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--advice is required"));
	run_tool(&r, "advise", "1", "--advice", "sideways", NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "advise", "one", "--advice", "cold", NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "advise", "1", "-a", "cold", "--on-error", "ignore",
		 NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "advise", "1", "-a", "cold", "--min-size", "12Q", NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "stat", NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "probe", "extra", NULL);
	assert_int_equal(r.status, 2);
}

#define MANY_VMAS	1500

static void many_mappings(void *arg)
{
	char *region = arg;
	size_t page = harness_page_size(), i;
	int memfd;

	for (i = 0; i < MANY_VMAS; i += 2)
		mprotect(region + i * page, page, PROT_READ);
	/* A mapping to find by pattern. */
	memfd = memfd_create("xmm-cli-pattern", 0);
	if (memfd < 0 || ftruncate(memfd, 65536) < 0 ||
	    mmap(NULL, 65536, PROT_READ, MAP_PRIVATE, memfd, 0) == MAP_FAILED)
		_exit(1);
}

static void test_advise_json(void **state)
{
	size_t page = harness_page_size();
	struct harness_child child;
	static struct run r;
	char *region, value[256];
	unsigned long calls, selected, advised;

	region = mmap(NULL, (MANY_VMAS + 2) * page, PROT_NONE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	assert_true(region != MAP_FAILED);
	assert_int_equal(mprotect(region + page, MANY_VMAS * page,
				  PROT_READ | PROT_WRITE), 0);
	harness_child_or_skip(&child, many_mappings, region + page);

	/* No huge mappings (a sanitizer's shadow): one element each. */
	run_tool(&r, "advise", pid_arg(child.pid), "--advice", "cold",
		 "--select", "anon", "--max-size", "1G", "--json", NULL);
	assert_int_equal(r.status, 0);
	if (!python_json(r.out, "d['calls'], d['vmas_selected'], "
			 "d['vmas_advised'], d['errors'], d['advice'], "
			 "d['bytes_selected'] == d['bytes_advised'], "
			 "d['usage_before']['rss'] > 0, 'error' in d",
			 value, sizeof(value)))
		harness_skip("python3 is not installed");
	assert_int_equal(sscanf(value, "%lu %lu %lu", &calls, &selected,
				&advised), 3);
	assert_true(selected > MANY_VMAS);
	assert_int_equal(advised, selected);
	assert_int_equal(calls, (selected + 1023) / 1024);
	assert_string_equal(strchr(strchr(strchr(value, ' ') + 1, ' ') + 1,
				   ' ') + 1, "0 cold True True False");

	/* A pattern picks the one memfd mapping. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "pageout", "-s",
		 "*xmm-cli-pattern*", "-j", NULL);
	assert_int_equal(r.status, 0);
	python_json(r.out, "d['vmas_selected'], d['bytes_advised']", value,
		    sizeof(value));
	assert_string_equal(value, "1 65536");

	/* Human output names what it did. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "file,shared", "--freeze", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "advice cold on file,shared"));
	assert_non_null(strstr(r.out, "frozen     sigstop"));

	run_tool(&r, "stat", "--json", pid_arg(child.pid), NULL);
	assert_int_equal(r.status, 0);
	python_json(r.out, "d['classes']['anon']['mappings'] > 1500, "
		    "d['classes']['total']['mappings'] > "
		    "d['classes']['anon']['mappings'], d['pagemap']", value,
		    sizeof(value));
	assert_string_equal(value, "True True True");
	run_tool(&r, "stat", pid_arg(child.pid), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "CLASS"));
	assert_non_null(strstr(r.out, "anon"));

	harness_child_stop(&child);
	munmap(region, (MANY_VMAS + 2) * page);
}

static void test_probe_json(void **state)
{
	static struct run r;
	char value[256];

	run_tool(&r, "probe", "--json", NULL);
	assert_int_equal(r.status, 0);
	if (!python_json(r.out, "[b['backend'] for b in d['backends'] if "
			 "b['operation'] == 'process_madvise'][0], "
			 "all('why' in b for b in d['backends'] if not "
			 "b['available'])", value, sizeof(value)))
		harness_skip("python3 is not installed");
	assert_string_equal(value, "native True");
	run_tool(&r, "probe", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "process_madvise"));
}

static void test_operation_errors(void **state)
{
	struct harness_child child;
	static struct run r;
	char value[256];
	pid_t gone;

	harness_child_or_skip(&child, NULL, NULL);
	/* Advice the kernel refuses remotely. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "dontneed", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "Invalid argument"));
	assert_non_null(strstr(r.err, "refuses this advice"));
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "dontneed", "-j",
		 NULL);
	assert_int_equal(r.status, 1);
	if (python_json(r.out, "d['error'], d['calls']", value, sizeof(value)))
		assert_string_equal(value, "EINVAL 1");

	gone = child.pid;
	harness_child_stop(&child);
	run_tool(&r, "advise", pid_arg(gone), "-a", "cold", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "target exited"));
	run_tool(&r, "stat", pid_arg(gone), NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "target exited"));
}

/* As nobody, advising a process of nobody: no CAP_SYS_NICE. */
static int advise_as_nobody(void *arg)
{
	static struct run r;
	char *argv[] = { (char *)arg, "advise", NULL, "-a", "cold", NULL };
	char pid[32], byte;
	pid_t target;
	int ready[2];

	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(pipe(ready) == 0);
	target = fork();
	if (target == 0) {
		prctl(PR_SET_DUMPABLE, 1);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (write(ready[1], "d", 1) != 1)
			_exit(1);
		pause();
		_exit(0);
	}
	CHILD_CHECK(target > 0);
	/* Look only once it is dumpable. */
	close(ready[1]);
	CHILD_CHECK(read(ready[0], &byte, 1) == 1);
	close(ready[0]);
	snprintf(pid, sizeof(pid), "%d", (int)target);
	argv[2] = pid;
	CHILD_CHECK(run_argv(argv, NULL, &r) == 0);
	kill(target, SIGKILL);
	waitpid(target, NULL, 0);
	CHILD_CHECK(r.status == 1);
	CHILD_CHECK(strstr(r.err, "needs CAP_SYS_NICE") != NULL);
	return 0;
}

static void test_needs_cap_sys_nice(void **state)
{
	if (!harness_is_root())
		harness_skip("needs root to drop to nobody");
	assert_int_equal(harness_run_in_child(advise_as_nobody,
					      (void *)tool_path()), 0);
}

/* `xmm advise PID -a cold --freeze`, for a child of ours to exec. */
static void advise_freeze_argv(char *argv[7], pid_t pid)
{
	argv[0] = (char *)tool_path();
	argv[1] = "advise";
	argv[2] = (char *)pid_arg(pid);
	argv[3] = "-a";
	argv[4] = "cold";
	argv[5] = "--freeze";
	argv[6] = NULL;
}

/* The whole of a memfd that collected a command's output. */
static void read_back(int fd, char *buf, size_t size)
{
	ssize_t n = pread(fd, buf, size - 1, 0);

	buf[n > 0 ? n : 0] = '\0';
	close(fd);
}

/*
 * ^C while `xmm advise --freeze` waits for a target that cannot stop
 * (a thread in vfork): the command gives up at once with "interrupted",
 * exit status 1, and the target runs again.  Without the SIGINT it would
 * wait out the freeze timeout and say "timed out".
 */
static void test_interrupted(void **state)
{
	struct timespec tick = { 0, 1000000 };
	struct harness_child child;
	static struct run r;
	int out, err, status, i;
	char *argv[7];
	pid_t tool;

	harness_child_or_skip(&child, harness_start_vfork_thread, NULL);
	advise_freeze_argv(argv, child.pid);
	out = memfd_create("xmm-cli-out", 0);
	err = memfd_create("xmm-cli-err", 0);
	assert_true(out >= 0 && err >= 0);
	fflush(NULL);
	tool = fork();
	assert_true(tool >= 0);
	if (tool == 0) {
		dup2(out, 1);
		dup2(err, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	/* The SIGSTOP has landed: the command is now waiting. */
	for (i = 0; i < 30000 && harness_proc_state(child.pid) != 'T'; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(harness_proc_state(child.pid), 'T');
	assert_int_equal(kill(tool, SIGINT), 0);
	assert_int_equal(waitpid(tool, &status, 0), tool);
	read_back(out, r.out, sizeof(r.out));
	read_back(err, r.err, sizeof(r.err));
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 1)
		fail_msg("xmm advise: status 0x%x\n%s\n%s", status, r.out,
			 r.err);
	assert_non_null(strstr(r.err, "interrupted"));
	assert_true(harness_proc_state(child.pid) != 'T');
	harness_child_stop(&child);
}

/*
 * 1 GiB of mappings (none of it memory), and a freeze that lasts until the
 * test writes to the pipe *arg reads.
 */
static void large_and_slow_to_stop(void *arg)
{
	if (mmap(NULL, 1UL << 30, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS |
		 MAP_NORESERVE, -1, 0) == MAP_FAILED)
		_exit(1);
	harness_start_vfork_thread_held(arg);
}

/* Open a pseudo-terminal pair: the master's fd, the slave's path. */
static int open_pty(char *slave, size_t size)
{
	int master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);

	if (master < 0)
		return -1;
	if (grantpt(master) < 0 || unlockpt(master) < 0 ||
	    ptsname_r(master, slave, size) != 0) {
		close(master);
		return -1;
	}
	return master;
}

/*
 * Progress goes to a terminal, for a large target, at most every 0.1 s.
 * The freeze waits for a thread in vfork, which the test releases only
 * once the command's SIGSTOP has landed and 0.2 s more have passed: the
 * first progress call comes at least 0.2 s after the start, so one line
 * must show, and be erased at the end.
 */
static void test_progress_on_terminal(void **state)
{
	/* More than the command's 0.1 s between progress lines. */
	const struct timespec past_interval = { 0, 200000000 };
	const struct timespec tick = { 0, 1000000 };
	struct harness_child child;
	static struct run r;
	char slave[64];
	size_t len = 0;
	int master, status, release[2], i;
	char *argv[7];
	pid_t tool;

	master = open_pty(slave, sizeof(slave));
	if (master < 0)
		harness_skip("no pseudo-terminal (%s): devpts or "
			     "CONFIG_UNIX98_PTYS missing", strerror(errno));
	assert_int_equal(pipe2(release, O_CLOEXEC), 0);
	harness_child_or_skip(&child, large_and_slow_to_stop, &release[0]);
	close(release[0]);
	advise_freeze_argv(argv, child.pid);
	fflush(NULL);
	tool = fork();
	assert_true(tool >= 0);
	if (tool == 0) {
		int tty = open(slave, O_RDWR | O_NOCTTY);
		int null = open("/dev/null", O_WRONLY);

		if (tty < 0 || null < 0)
			_exit(126);
		dup2(null, 1);
		dup2(tty, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	/* The SIGSTOP has landed: the freeze is waiting for the vfork. */
	for (i = 0; i < 30000 && harness_proc_state(child.pid) != 'T'; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(harness_proc_state(child.pid), 'T');
	nanosleep(&past_interval, NULL);
	assert_int_equal(write(release[1], "r", 1), 1);
	close(release[1]);
	/* Read until the last writer is gone (EIO on Linux). */
	for (;;) {
		ssize_t n = read(master, r.err + len, OUTPUT_MAX - 1 - len);

		if (n <= 0)
			break;
		len += (size_t)n;
	}
	r.err[len] = '\0';
	close(master);
	assert_int_equal(waitpid(tool, &status, 0), tool);
	harness_child_stop(&child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fail_msg("xmm advise: status 0x%x\n%s", status, r.err);
	if (!strstr(r.err, "\radvised "))
		fail_msg("no progress line on the terminal:\n%s", r.err);
	assert_non_null(strstr(r.err, " calls"));
	/* Erased: the last thing written is a carriage return. */
	assert_int_equal(r.err[len - 1], '\r');
}

static void test_demo(void **state)
{
	static struct run r;

	run_tool(&r, "demo", NULL);
	if (r.status != 0)
		fail_msg("xmm demo: %d\n%s\n%s", r.status, r.out, r.err);
	assert_non_null(strstr(r.out, "xmm_advise_process"));
	assert_non_null(strstr(r.out, "xmm_process_vm_mmap"));
	assert_non_null(strstr(r.out, "xmm_remap_anon_pages"));
	assert_non_null(strstr(r.out, "demo: done"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_help_and_usage),
		cmocka_unit_test(test_advise_json),
		cmocka_unit_test(test_probe_json),
		cmocka_unit_test(test_operation_errors),
		cmocka_unit_test(test_needs_cap_sys_nice),
		cmocka_unit_test(test_interrupted),
		cmocka_unit_test(test_progress_on_terminal),
		cmocka_unit_test(test_demo),
	};

	/* A child that cannot exec (no python3 in a minimal guest) closes
	 * its input early: let write() say EPIPE rather than kill us. */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
