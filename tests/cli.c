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

#include <dirent.h>
#include <pthread.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/mount.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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
	/*
	 * One vector per 1,024 ranges; the command's calls start at 4 MiB
	 * (so that a cancel lands within ~100 ms) and grow eightfold while
	 * they are fast: at most three calls more.
	 */
	assert_true(calls >= (selected + 1023) / 1024);
	assert_true(calls <= (selected + 1023) / 1024 + 3);
	assert_string_equal(strchr(strchr(strchr(value, ' ') + 1, ' ') + 1,
				   ' ') + 1, "0 cold True True False");

	/* A pattern picks the one memfd mapping. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "pageout", "-s",
		 "path:*xmm-cli-pattern*", "-j", NULL);
	assert_int_equal(r.status, 0);
	python_json(r.out, "d['vmas_selected'], d['bytes_advised']", value,
		    sizeof(value));
	assert_string_equal(value, "1 65536");

	/* Human output names what it did. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "file,shmem", "--freeze", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "advice cold on file,shmem"));
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
	/* Advice the kernel never applies remotely: the flag it needs. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "dontneed", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "--inject"));
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "dontneed", "-j",
		 NULL);
	assert_int_equal(r.status, 2);
	if (python_json(r.out, "d['error'], 'inject' in d['message']", value,
			sizeof(value)))
		assert_string_equal(value, "usage True");
	/* A number is decimal: 020 is 20, MADV_COLD. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "020", "-j", NULL);
	assert_int_equal(r.status, 0);
	if (python_json(r.out, "d['advice'], d['advice_value']", value,
			sizeof(value)))
		assert_string_equal(value, "cold 20");
	else	/* no python3 (the guests): the document's own text */
		assert_non_null(strstr(r.out, "\"advice\": \"cold\", "
					      "\"advice_value\": 20,"));
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold",
		 "--unchecked-seccomp", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "needs --inject"));

	gone = child.pid;
	harness_child_stop(&child);
	run_tool(&r, "advise", pid_arg(gone), "-a", "cold", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no process with PID"));
	run_tool(&r, "stat", pid_arg(gone), NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no process with PID"));
	/* --json: one document, errors included. */
	run_tool(&r, "advise", pid_arg(gone), "-a", "pageout", "--json",
		 NULL);
	assert_int_equal(r.status, 1);
	if (python_json(r.out, "d['error']", value, sizeof(value)))
		assert_string_equal(value, "ESRCH");
	run_tool(&r, "stat", "--json", pid_arg(gone), NULL);
	assert_int_equal(r.status, 1);
	if (python_json(r.out, "d['error']", value, sizeof(value)))
		assert_string_equal(value, "ESRCH");
}

/* As nobody, advising a process of nobody: no CAP_SYS_NICE. */
static int advise_as_nobody(void *arg)
{
	static struct run r;
	char *argv[] = { (char *)arg, "advise", NULL, "-a", "cold", NULL };
	struct harness_child target;
	char pid[32];

	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(harness_child_start(&target, harness_setup_dumpable,
					NULL) == 0);
	snprintf(pid, sizeof(pid), "%d", (int)target.pid);
	argv[2] = pid;
	CHILD_CHECK(run_argv(argv, NULL, &r) == 0);
	harness_child_stop(&target);
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
 * exit status 130 (128 + SIGINT), and the target runs again.  Without the
 * SIGINT it would wait out the freeze timeout and say "timed out".
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
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 128 + SIGINT)
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

/* ---- whole-process advice as a daily tool (issue 16) ---- */

/* harness_child_or_skip() for a setup that exits HARNESS_EXIT_SKIP. */


/* A file of len bytes under /var/tmp (or /tmp where it is missing). */
static int scratch_file(const char *name, size_t len)
{
	const char *dir = access("/var/tmp", W_OK) == 0 ? "/var/tmp" : "/tmp";
	char path[256];
	int fd;

	snprintf(path, sizeof(path), "%s/%s-%d", dir, name, (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	unlink(path);
	if (ftruncate(fd, (off_t)len) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * In the child: one mapping of every kind.  Private anonymous, a private
 * and a shared file mapping, a memfd, shared anonymous memory and SysV
 * shared memory, besides the heap and stack every process has.
 */
static void every_kind(void *arg)
{
	size_t len = 1 << 20;
	char *anon, *priv, *shared, *memfd_map, *shared_anon, *sysv;
	int priv_fd, shared_fd, memfd, shm_id;

	(void)arg;
	priv_fd = scratch_file("xmm-cli-private-file", len);
	shared_fd = scratch_file("xmm-cli-shared-file", len);
	memfd = memfd_create("xmm-cli-memfd", MFD_CLOEXEC);
	if (priv_fd < 0 || shared_fd < 0 || memfd < 0 ||
	    ftruncate(memfd, (off_t)len) < 0)
		_exit(1);
	anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, priv_fd,
		    0);
	shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
		      shared_fd, 0);
	memfd_map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED,
			 memfd, 0);
	shared_anon = mmap(NULL, len, PROT_READ | PROT_WRITE,
			   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	shm_id = shmget(IPC_PRIVATE, len, IPC_CREAT | 0600);
	if (shm_id < 0 && errno == ENOSYS)
		_exit(HARNESS_EXIT_SKIP);	/* no CONFIG_SYSVIPC */
	sysv = shm_id >= 0 ? shmat(shm_id, NULL, 0) : (void *)-1;
	if (shm_id >= 0)
		shmctl(shm_id, IPC_RMID, NULL);	/* gone when we are */
	if (anon == MAP_FAILED || priv == MAP_FAILED ||
	    shared == MAP_FAILED || memfd_map == MAP_FAILED ||
	    shared_anon == MAP_FAILED || sysv == (void *)-1)
		_exit(1);
	memset(anon, 1, len);
	memset(priv, 2, len);
	memset(shared, 3, len);
	memset(memfd_map, 4, len);
	memset(shared_anon, 5, len);
	memset(sysv, 6, len);
}

/* --dry-run -s WHAT: the mapping names it lists must (not) include. */
static void check_selection(pid_t pid, const char *what,
			    const char *const *in, const char *const *out)
{
	static struct run r;
	size_t i;

	run_tool(&r, "advise", pid_arg(pid), "-a", "pageout", "-s", what,
		 "--dry-run", NULL);
	if (r.status != 0)
		fail_msg("-s %s: status %d\n%s%s", what, r.status, r.out,
			 r.err);
	for (i = 0; in[i]; i++)
		if (!strstr(r.out, in[i]))
			fail_msg("-s %s leaves out %s:\n%s", what, in[i],
				 r.out);
	for (i = 0; out[i]; i++)
		if (strstr(r.out, out[i]))
			fail_msg("-s %s takes %s:\n%s", what, out[i], r.out);
}

static void test_classes_on_every_kind(void **state)
{
	static const char *const files[] = { "xmm-cli-private-file",
		"xmm-cli-shared-file", NULL };
	static const char *const shmem[] = { "/memfd:xmm-cli-memfd",
		"/SYSV", "/dev/zero", NULL };
	static const char *const anon[] = { "[stack]", " anon ", NULL };
	static const char *const none[] = { NULL };
	static const char *const either[] = { "xmm-cli-private-file",
		"/memfd:xmm-cli-memfd", NULL };
	static const char *const shared_file[] = { "xmm-cli-shared-file",
		NULL };
	struct harness_child child;
	static struct run r;
	char value[256];

	harness_child_or_skip_because(&child, every_kind, NULL,
				      "no System V IPC in this kernel");
	check_selection(child.pid, "file", files, shmem);
	check_selection(child.pid, "shmem", shmem, files);
	check_selection(child.pid, "anon", anon, files);
	check_selection(child.pid, "anon", none, shmem);
	check_selection(child.pid, "all", files, none);
	check_selection(child.pid, "all", shmem, none);
	/* Commas OR: two patterns, a class and a pattern. */
	check_selection(child.pid,
			"path:*xmm-cli-private-file*,path:*xmm-cli-memfd*",
			either, shared_file);
	check_selection(child.pid, "shmem,path:*xmm-cli-private-file*",
			either, shared_file);

	/* The per-class report of a real run: file takes both files. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "pageout", "-s",
		 "file,shmem", "-j", NULL);
	assert_int_equal(r.status, 0);
	if (python_json(r.out, "d['classes']['file']['vmas_selected'] >= 2, "
			"d['classes']['shmem']['vmas_selected'] >= 3, "
			"d['classes']['anon']['vmas_selected'], "
			"sorted(d['rss'].keys())", value, sizeof(value)))
		assert_string_equal(value, "True True 0 ['anon', 'file', "
				    "'shmem']");
	/* Human output: RSS before and after beside the bytes advised. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "shmem", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "RSS before -> after"));
	assert_non_null(strstr(r.out, "  shmem      3"));
	harness_child_stop(&child);
}

static void test_selection_errors(void **state)
{
	struct harness_child child;
	static struct run r;
	char value[256];

	harness_child_or_skip(&child, NULL, NULL);
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "bogus", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "unknown class 'bogus'"));
	assert_non_null(strstr(r.err, "path:GLOB"));
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "ANON", NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "shared", NULL);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "shmem"));
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "anon,", "-j", NULL);
	assert_int_equal(r.status, 0);
	/* Nothing selected: its own exit status, said on stderr. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "path:*no-such-mapping*", NULL);
	assert_int_equal(r.status, 3);
	assert_non_null(strstr(r.err, "nothing selected"));
	/* A usage error with --json is a JSON document too. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "bogus", "--json", NULL);
	assert_int_equal(r.status, 2);
	if (python_json(r.out, "d['error']", value, sizeof(value)))
		assert_string_equal(value, "usage");
	/* A pattern that is not UTF-8 is escaped, not copied raw. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "path:\xff\xfe*", "--json", NULL);
	assert_int_equal(r.status, 3);
	if (python_json(r.out, "d['select'] == 'path:\\u00ff\\u00fe*'",
			value, sizeof(value)))
		assert_string_equal(value, "True");
	harness_child_stop(&child);
}

#define ANON_AFTER	(16UL << 20)

/*
 * The kernel refuses cold and pageout on a locked mapping: it is skipped
 * and reported, and the rest is advised, whatever the error policy but
 * stop.
 */
static void test_refused_mapping_skipped(void **state)
{
	static const char *const policies[] = { "skip-vma", "skip-page" };
	static const char *const advice[] = { "cold", "pageout" };
	struct harness_child child;
	static struct run r;
	char value[256], expect[128];
	size_t i;

	harness_child_or_skip_because(&child, harness_setup_locked_lowest,
				      &(size_t){ ANON_AFTER },
				      "cannot map at 0x100000 or mlock() "
				      "there (RLIMIT_MEMLOCK)");
	for (i = 0; i < 4; i++) {
		run_tool(&r, "advise", pid_arg(child.pid), "-a", advice[i / 2],
			 "-s", "anon", "-e", policies[i % 2], "-j", NULL);
		if (r.status != 0)
			fail_msg("%s %s: %d\n%s%s", advice[i / 2],
				 policies[i % 2], r.status, r.out, r.err);
		if (!python_json(r.out, "d['vmas_skipped'], "
				 "d['classes']['anon']['skip_errno'], "
				 "d['classes']['anon']['bytes_skipped'], "
				 "d['bytes_advised'] >= " "16777216, "
				 "'error' in d", value, sizeof(value)))
			harness_skip("python3 is not installed");
		assert_string_equal(value, "1 EINVAL 4096 True False");
	}
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "pageout", "-s",
		 "anon", NULL);
	assert_int_equal(r.status, 0);
	snprintf(expect, sizeof(expect), "skipped    anon: 1 mapping, "
		 "4.00 KiB: EINVAL (the kernel refuses this advice on locked");
	assert_non_null(strstr(r.out, expect));
	/* Stop means stop. */
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", "-s",
		 "anon", "-e", "stop", NULL);
	assert_int_equal(r.status, 1);
	harness_child_stop(&child);
}

#define BIG_BYTES	(1UL << 30)
#define HUGE_BYTES	(2UL << 20)

/* In the child: 1 GiB of small pages that MADV_COLLAPSE may merge. */
static void collapsible_gib(void *arg)
{
	char *p = mmap(NULL, BIG_BYTES + HUGE_BYTES, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	(void)arg;
	if (p == MAP_FAILED)
		_exit(1);
	p = (char *)(((unsigned long)p + HUGE_BYTES - 1) & ~(HUGE_BYTES - 1));
	if (madvise(p, BIG_BYTES, MADV_NOHUGEPAGE) < 0)
		_exit(HARNESS_EXIT_SKIP);
	memset(p, 1, BIG_BYTES);
	if (madvise(p, BIG_BYTES, MADV_HUGEPAGE) < 0)
		_exit(HARNESS_EXIT_SKIP);
}

static unsigned long long anon_huge_kib(pid_t pid)
{
	char path[64], line[256];
	unsigned long long kib = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %llu kB", &kib) == 1)
			break;
	fclose(f);
	return kib;
}

static unsigned long long wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

/* Huge pages khugepaged has made so far, in every process (0 if unknown). */
static unsigned long long khugepaged_collapsed(void)
{
	unsigned long long count = 0;
	FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/khugepaged/"
			"pages_collapsed", "re");

	if (!f)
		return 0;
	if (fscanf(f, "%llu", &count) != 1)
		count = 0;
	fclose(f);
	return count;
}

/*
 * Has the tool itself collapsed part of the child's memory since *_before?
 * khugepaged collapses it too (THP "always", or the MADV_HUGEPAGE), so a
 * new huge page alone may be khugepaged's, made before the tool even
 * installed its SIGTERM handler.  Only new huge pages beyond the ones
 * khugepaged counts as collapsed meanwhile are the tool's: its counter is
 * read after the child's, so it includes every collapse that the child's
 * count shows.
 */
static bool tool_collapsed(pid_t pid, unsigned long long huge_kib_before,
			   unsigned long long khugepaged_before)
{
	unsigned long long huge_kib = anon_huge_kib(pid);
	unsigned long long by_khugepaged = khugepaged_collapsed() -
					   khugepaged_before;

	return huge_kib > huge_kib_before &&
	       (huge_kib - huge_kib_before) / (HUGE_BYTES >> 10) >
	       by_khugepaged;
}

/*
 * SIGTERM while `xmm advise -a collapse` works through 1 GiB (seconds of
 * kernel work): the command stops between two calls, reports what it
 * did, and exits 143.  Were the GiB one call, it would finish and exit 0.
 */
static void test_sigterm_within_a_large_mapping(void **state)
{
	struct timespec tick = { 0, 1000000 };
	struct harness_child child;
	static struct run r;
	char *argv[10], value[256];
	char thp[64] = "";
	unsigned long long huge_before, khugepaged_before, started;
	int out, status, fd;
	pid_t tool;

	fd = open("/sys/kernel/mm/transparent_hugepage/enabled", O_RDONLY);
	if (fd >= 0) {
		ssize_t n = read(fd, thp, sizeof(thp) - 1);

		thp[n > 0 ? n : 0] = '\0';
		close(fd);
	}
	if (!strstr(thp, "[always]") && !strstr(thp, "[madvise]"))
		harness_skip("transparent huge pages are off (%s)", thp);
	if (!harness_kernel_at_least(6, 1))
		harness_skip("MADV_COLLAPSE needs Linux 6.1");
	harness_child_or_skip_because(&child, collapsible_gib, NULL,
				      "MADV_HUGEPAGE is refused (no THP)");
	argv[0] = (char *)tool_path();
	argv[1] = "advise";
	argv[2] = (char *)pid_arg(child.pid);
	argv[3] = "-a";
	argv[4] = "collapse";
	argv[5] = "-s";
	argv[6] = "anon";
	argv[7] = "--json";
	argv[8] = NULL;
	out = memfd_create("xmm-cli-out", 0);
	assert_true(out >= 0);
	/* Huge pages the child has already (khugepaged's, or a sanitizer's
	 * THP-backed shadow memory): the advice shows as more than these. */
	huge_before = anon_huge_kib(child.pid);
	khugepaged_before = khugepaged_collapsed();
	fflush(NULL);
	tool = fork();
	assert_true(tool >= 0);
	if (tool == 0) {
		dup2(out, 1);
		execv(argv[0], argv);
		_exit(127);
	}
	/*
	 * The tool has collapsed a huge page of its own: the advice is under
	 * way (and its SIGTERM handler installed).  Either process ending
	 * first fails with what it said; reading the GiB's smaps takes up to
	 * a second in an emulated guest, hence the bound in time.
	 */
	started = wall_ns();
	while (!tool_collapsed(child.pid, huge_before, khugepaged_before)) {
		if (waitpid(tool, &status, WNOHANG) == tool) {
			read_back(out, r.out, sizeof(r.out));
			harness_child_stop(&child);
			fail_msg("xmm advise ended (status 0x%x) before it "
				 "collapsed anything:\n%s", status, r.out);
		}
		if (harness_proc_state(child.pid) == 'Z' ||
		    kill(child.pid, 0) < 0) {
			kill(tool, SIGKILL);
			waitpid(tool, NULL, 0);
			fail_msg("the child died before the tool collapsed "
				 "anything (the OOM killer?)");
		}
		if (wall_ns() - started > 45000000000ULL) {
			kill(tool, SIGKILL);
			waitpid(tool, NULL, 0);
			fail_msg("no huge page of the tool's after 45 s: "
				 "%llu KiB, %llu before, khugepaged made %llu",
				 anon_huge_kib(child.pid), huge_before,
				 khugepaged_collapsed() - khugepaged_before);
		}
		nanosleep(&tick, NULL);
	}
	assert_int_equal(kill(tool, SIGTERM), 0);
	assert_int_equal(waitpid(tool, &status, 0), tool);
	read_back(out, r.out, sizeof(r.out));
	harness_child_stop(&child);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 128 + SIGTERM)
		fail_msg("xmm advise: status 0x%x\n%s", status, r.out);
	if (python_json(r.out, "d['error'], d['bytes_selected'] >= 1 << 30, "
			"0 < d['bytes_advised'] < d['bytes_selected']", value,
			sizeof(value)))
		assert_string_equal(value, "ECANCELED True True");
}

static void test_thaw(void **state)
{
	struct timespec tick = { 0, 1000000 };
	struct harness_child child;
	static struct run r;
	int i;

	harness_child_or_skip(&child, NULL, NULL);
	run_tool(&r, "thaw", pid_arg(child.pid), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "neither frozen nor stopped"));
	/* What a SIGKILLed `xmm advise --freeze` leaves behind. */
	assert_int_equal(kill(child.pid, SIGSTOP), 0);
	for (i = 0; i < 5000 && harness_proc_state(child.pid) != 'T'; i++)
		nanosleep(&tick, NULL);
	assert_int_equal(harness_proc_state(child.pid), 'T');
	run_tool(&r, "thaw", pid_arg(child.pid), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "sent SIGCONT"));
	for (i = 0; i < 5000 && harness_proc_state(child.pid) == 'T'; i++)
		nanosleep(&tick, NULL);
	assert_true(harness_proc_state(child.pid) != 'T');
	harness_child_stop(&child);
}

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

static void with_thread(void *arg)
{
	pthread_t thread;

	(void)arg;
	if (pthread_create(&thread, NULL, sleeper, NULL))
		_exit(1);
}

/* Thread IDs name their process; PIDs that never were say so. */
static void test_thread_ids_and_messages(void **state)
{
	struct harness_child child;
	static struct run r;
	char path[64], expect[128];
	struct dirent *entry;
	pid_t tid = 0;
	DIR *dir;

	harness_child_or_skip(&child, with_thread, NULL);
	snprintf(path, sizeof(path), "/proc/%d/task", (int)child.pid);
	dir = opendir(path);
	assert_non_null(dir);
	while ((entry = readdir(dir)))
		if (atoi(entry->d_name) > 0 &&
		    atoi(entry->d_name) != child.pid)
			tid = atoi(entry->d_name);
	closedir(dir);
	assert_true(tid > 0);
	run_tool(&r, "stat", pid_arg(tid), NULL);
	assert_int_equal(r.status, 0);
	snprintf(expect, sizeof(expect), "%d is a thread of process %d",
		 (int)tid, (int)child.pid);
	assert_non_null(strstr(r.err, expect));
	snprintf(expect, sizeof(expect), "pid %d:", (int)child.pid);
	assert_non_null(strstr(r.out, expect));
	run_tool(&r, "advise", pid_arg(tid), "-a", "cold", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, expect));
	harness_child_stop(&child);
	/* Beyond pid_max: never existed. */
	run_tool(&r, "advise", "2147483647", "-a", "cold", NULL);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "no process with PID 2147483647"));
}

/* Output that cannot be written fails the command. */
static void test_write_errors(void **state)
{
	struct harness_child child;
	char *argv[4];
	int status, full;
	pid_t tool;

	full = open("/dev/full", O_WRONLY | O_CLOEXEC);
	if (full < 0)
		harness_skip("no /dev/full");
	harness_child_or_skip(&child, NULL, NULL);
	argv[0] = (char *)tool_path();
	argv[1] = "stat";
	argv[2] = (char *)pid_arg(child.pid);
	argv[3] = NULL;
	fflush(NULL);
	tool = fork();
	assert_true(tool >= 0);
	if (tool == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(full, 1);
		dup2(null, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	close(full);
	assert_int_equal(waitpid(tool, &status, 0), tool);
	harness_child_stop(&child);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 1);
}

static int probe_as_nobody(void *arg)
{
	static struct run r;
	char *argv[] = { (char *)arg, "probe", NULL };

	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(run_argv(argv, NULL, &r) == 0);
	CHILD_CHECK(r.status == 0);
	CHILD_CHECK(strstr(r.out, "needs CAP_SYS_NICE") != NULL);
	return 0;
}

static void test_probe_tells_what_is_missing(void **state)
{
	struct harness_child child;
	static struct run r;
	char value[256];

	if (harness_is_root())
		assert_int_equal(harness_run_in_child(probe_as_nobody,
						      (void *)tool_path()), 0);
	/* A typo in XMM_BACKEND: probe lists it, a call names it. */
	harness_child_or_skip(&child, NULL, NULL);
	setenv("XMM_BACKEND", "process_madvise=bogus", 1);
	run_tool(&r, "probe", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "bogus"));
	assert_non_null(strstr(r.out, "no such backend"));
	run_tool(&r, "probe", "--json", NULL);
	if (python_json(r.out, "[b['errno'] for b in d['backends'] "
			"if b['backend'] == 'bogus']", value, sizeof(value)))
		assert_string_equal(value, "['ENOENT']");
	run_tool(&r, "advise", pid_arg(child.pid), "-a", "cold", NULL);
	unsetenv("XMM_BACKEND");
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "process_madvise=bogus"));
	harness_child_stop(&child);
}

/* The first line of a small file, into buf; false if unreadable. */
static bool read_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "re");
	bool ok;

	if (!f)
		return false;
	ok = fgets(buf, (int)size, f) != NULL;
	fclose(f);
	return ok;
}

/*
 * Freeze the cgroup dir (holding pid), as a killed `xmm advise --freeze`
 * leaves it, and thaw it with `xmm thaw pid`: 0, or what went wrong
 * (the command's output in out).
 */
static int thaw_frozen_cgroup(const char *dir, const char *pid, char *out,
			      size_t size)
{
	struct timespec tick = { 0, 1000000 };
	char path[256], line[64];
	static struct run r;
	int fd, i;

	snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
	fd = open(path, O_WRONLY);
	if (fd < 0 || write(fd, "1", 1) != 1) {
		snprintf(out, size, "cannot freeze %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	snprintf(path, sizeof(path), "%s/cgroup.events", dir);
	for (i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "re");
		bool frozen = false;

		while (f && fgets(line, sizeof(line), f))
			frozen |= !strcmp(line, "frozen 1\n");
		if (f)
			fclose(f);
		if (frozen)
			break;
		nanosleep(&tick, NULL);
	}
	run_tool(&r, "thaw", pid, NULL);
	snprintf(out, size, "%.200s%.200s", r.out, r.err);
	if (r.status != 0)
		return r.status;
	if (!strstr(r.out, "thawed its cgroup"))
		return -2;
	snprintf(path, sizeof(path), "%s/cgroup.freeze", dir);
	if (!read_line(path, line, sizeof(line)) || line[0] != '0')
		return -3;
	return 0;
}

/* A target holding 256 MiB of touched anonymous memory. */
static void hold_256_mib(void *arg)
{
	size_t len = 256UL << 20, i;
	unsigned char *mem = mmap(NULL, len, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (mem == MAP_FAILED)
		_exit(1);
	for (i = 0; i < len; i += 4096)
		mem[i] = 1;
}

/*
 * Advise two targets with --jobs N; the sum of the targets' own advice
 * times (elapsed_ns) and the command's wall-clock time, in ns.
 */
static void advise_two(pid_t a, pid_t b, const char *jobs,
		       unsigned long long *sum, unsigned long long *wall,
		       unsigned long long *bytes)
{
	static struct run r;
	char pa[32], pb[32], value[256];
	unsigned long long start = wall_ns();

	snprintf(pa, sizeof(pa), "%d", (int)a);
	snprintf(pb, sizeof(pb), "%d", (int)b);
	run_tool(&r, "advise", pa, pb, "-a", "pageout", "-s", "anon",
		 "--jobs", jobs, "-j", NULL);
	*wall = wall_ns() - start;
	assert_int_equal(r.status, 0);
	if (!python_json(r.out, "sum(p['elapsed_ns'] for p in "
			 "d['processes']), d['total']['bytes_advised'], "
			 "[p['pid'] for p in d['processes']]", value,
			 sizeof(value)))
		harness_skip("python3 is not installed");
	assert_int_equal(sscanf(value, "%llu %llu", sum, bytes), 2);
	/* Reported in the order given, whatever order they finished in. */
	snprintf(pa, sizeof(pa), "[%d, %d]", (int)a, (int)b);
	assert_non_null(strstr(value, pa));
}

/*
 * --jobs N advises N targets at the same time, through an advice queue.
 * Each target's report holds the time its own advice took (elapsed_ns).
 * One after another, those intervals lie apart inside the command's run:
 * their sum is below its wall-clock time.  Run at once, they overlap: the
 * sum exceeds it.  No threshold is timed: only the order of the two.
 */
static void test_several_targets_concurrently(void **state)
{
	struct harness_child a, b;
	unsigned long long sum, wall, bytes, seq_bytes;
	static struct run r;

	harness_child_or_skip(&a, hold_256_mib, NULL);
	harness_child_or_skip(&b, hold_256_mib, NULL);

	advise_two(a.pid, b.pid, "1", &sum, &wall, &seq_bytes);
	assert_true(sum <= wall);
	advise_two(a.pid, b.pid, "2", &sum, &wall, &bytes);
	printf("--jobs 2: the targets' advice took %llu ms in all, the "
	       "command %llu ms\n", sum / 1000000, wall / 1000000);
	assert_true(sum > wall);
	assert_true(bytes == seq_bytes);
	assert_true(bytes >= 2 * (256ULL << 20));

	run_tool(&r, "advise", pid_arg(a.pid), "-a", "cold", "--jobs", "0",
		 NULL);
	assert_int_equal(r.status, 2);
	run_tool(&r, "advise", pid_arg(a.pid), "-a", "cold", "--jobs", "x",
		 NULL);
	assert_int_equal(r.status, 2);
	harness_child_stop(&a);
	harness_child_stop(&b);
}

/* Remove what cgroup_make() made (dir: NULL for none). */
static void cgroup_remove(const char *dir, char *mounted)
{
	if (dir)
		rmdir(dir);
	if (mounted[0]) {
		umount(mounted);
		rmdir(mounted);
		mounted[0] = '\0';
	}
}

/*
 * A cgroup v2 of ours, dir: in the system's hierarchy, or in one we mount
 * on mounted (64 bytes; "" when none).  False where there is none (no
 * root, a kernel without CONFIG_CGROUPS).
 */
static bool cgroup_make(char *dir, size_t size, char *mounted)
{
	mounted[0] = '\0';
	if (!harness_is_root())
		return false;
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0) {
		snprintf(dir, size, "/sys/fs/cgroup/xmm-cli-%d",
			 (int)getpid());
	} else if (mkdtemp(strcpy(mounted, "/tmp/xmm-cli-cg-XXXXXX"))) {
		if (mount("none", mounted, "cgroup2", 0, NULL) < 0) {
			rmdir(mounted);
			mounted[0] = '\0';
			return false;
		}
		snprintf(dir, size, "%s/xmm-cli-%d", mounted, (int)getpid());
	} else {
		return false;
	}
	if (mkdir(dir, 0755) == 0)
		return true;
	cgroup_remove(NULL, mounted);
	return false;
}

/* Write text into dir's file name: true when all of it went. */
static bool cgroup_write(const char *dir, const char *name, const char *text)
{
	char path[256];
	bool ok;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY);
	if (fd < 0)
		return false;
	ok = write(fd, text, strlen(text)) == (ssize_t)strlen(text);
	close(fd);
	return ok;
}

/*
 * `xmm advise` of a target a cgroup freezer holds, through the injection
 * fallback (XMM_BACKEND, as on a kernel without process_madvise): one
 * call, EAGAIN, and a hint that says what it means.
 */
static void test_advise_frozen_target_through_injection(void **state)
{
	struct harness_child child;
	static struct run r;
	char dir[128], mounted[64], pid[32], message[256];
	const char *why;
	bool frozen;

	if (!harness_injection_available(&why))
		harness_skip("the library has no injection backend here (%s)",
			     why);
	harness_child_or_skip(&child, NULL, NULL);
	if (!cgroup_make(dir, sizeof(dir), mounted)) {
		harness_child_stop(&child);
		harness_skip("no cgroup v2 to make a cgroup in (needs root "
			     "and a kernel with CONFIG_CGROUPS)");
	}
	snprintf(pid, sizeof(pid), "%d", (int)child.pid);
	frozen = cgroup_write(dir, "cgroup.procs", pid) &&
		 cgroup_write(dir, "cgroup.freeze", "1");
	if (frozen) {
		setenv("XMM_BACKEND", "process_madvise=inject", 1);
		run_tool(&r, "advise", pid, "-a", "cold", NULL);
		unsetenv("XMM_BACKEND");
	}
	cgroup_write(dir, "cgroup.freeze", "0");
	harness_child_stop(&child);
	cgroup_remove(dir, mounted);
	assert_true(frozen);
	snprintf(message, sizeof(message), "xmm advise: pid %s: advising: %s "
		 "(the injection fallback could not stop the target or have "
		 "it run the call", pid, strerror(EAGAIN));
	if (!strstr(r.err, message))
		fail_msg("expected \"%s\" in:\n%s", message, r.err);
	assert_non_null(strstr(r.out, "calls      1 process_madvise"));
	assert_non_null(strstr(r.out, "errors     EAGAIN 1"));
	assert_int_equal(r.status, 1);
}

/* Several PIDs, a cgroup: one report each and a total. */
static void test_several_targets(void **state)
{
	struct harness_child a, b;
	static struct run r;
	char value[256], pa[32], pb[32], dir[128], procs[160], mounted[64];
	char thawed[512];
	int fd, empty_status, thaw_status;

	harness_child_or_skip(&a, NULL, NULL);
	harness_child_or_skip(&b, NULL, NULL);
	snprintf(pa, sizeof(pa), "%d", (int)a.pid);
	snprintf(pb, sizeof(pb), "%d", (int)b.pid);
	run_tool(&r, "advise", pa, pb, "-a", "cold", "-s", "anon", "-j",
		 NULL);
	assert_int_equal(r.status, 0);
	if (python_json(r.out, "len(d['processes']), "
			"d['total']['processes'], d['total']['bytes_advised'] "
			"== sum(p['bytes_advised'] for p in d['processes'])",
			value, sizeof(value)))
		assert_string_equal(value, "2 2 True");
	run_tool(&r, "advise", pa, pb, "-a", "cold", "-s", "anon", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "total: 2 processes (0 failed)"));
	/* The bytes advised are printed as bytes, the time as a time. */
	{
		const char *total = strstr(r.out, "total: ");
		const char *advised = strstr(total, " advised,");
		const char *unit = advised;

		assert_non_null(advised);
		while (unit > total && unit[-1] != ' ')
			unit--;
		/* TiB: under ASan the children map its shadow, anonymous. */
		assert_true(!strncmp(unit, "B", 1) ||
			    !strncmp(unit, "KiB", 3) ||
			    !strncmp(unit, "MiB", 3) ||
			    !strncmp(unit, "GiB", 3) ||
			    !strncmp(unit, "TiB", 3));
		advised = strstr(total, " elapsed (summed over the "
				 "processes)");
		assert_non_null(advised);
		assert_true(advised[-1] == 's' && advised[-2] != 'B');
	}
	/* Also a dry run, pmap -X style, per class. */
	run_tool(&r, "advise", pa, "-a", "cold", "-s", "anon", "-n", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "would advise cold on anon"));
	assert_non_null(strstr(r.out, "class total"));
	run_tool(&r, "advise", pa, "-a", "cold", "-s", "anon", "-n", "-j",
		 NULL);
	assert_int_equal(r.status, 0);
	if (python_json(r.out, "d['dry_run'], len(d['mappings']) == "
			"d['vmas_selected'] > 0, all(m['class'] in ('anon', "
			"'heap', 'stack') for m in d['mappings'])", value,
			sizeof(value)))
		assert_string_equal(value, "True True True");

	if (!cgroup_make(dir, sizeof(dir), mounted)) {
		harness_child_stop(&a);
		harness_child_stop(&b);
		harness_skip("no cgroup v2 to make a cgroup in (needs root "
			     "and a kernel with CONFIG_CGROUPS)");
	}
	/* Empty: nothing selected (a relative path: under the mount). */
	run_tool(&r, "advise", "--cgroup", strrchr(dir, '/') + 1, "-a",
		 "cold", NULL);
	empty_status = r.status;
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", dir);
	fd = open(procs, O_WRONLY);
	if (fd >= 0 && write(fd, pb, strlen(pb)) > 0)
		run_tool(&r, "advise", "--cgroup", dir, "-a", "cold", "-j",
			 NULL);
	else
		r.status = -1;
	if (fd >= 0)
		close(fd);
	thaw_status = thaw_frozen_cgroup(dir, pb, thawed, sizeof(thawed));
	harness_child_stop(&a);
	harness_child_stop(&b);
	cgroup_remove(dir, mounted);
	assert_int_equal(empty_status, 3);
	assert_int_equal(r.status, 0);
	/* `xmm thaw` of a process whose cgroup is frozen thaws it. */
	if (thaw_status != 0)
		fail_msg("xmm thaw of a frozen cgroup: %d\n%s", thaw_status,
			 thawed);
	snprintf(procs, sizeof(procs), "[%s]", pb);
	if (python_json(r.out, "[p['pid'] for p in d['processes']]", value,
			sizeof(value)))
		assert_string_equal(value, procs);
}

static void test_stat_uss_and_version(void **state)
{
	struct harness_child child;
	static struct run r;
	char value[256];

	harness_child_or_skip(&child, NULL, NULL);
	run_tool(&r, "stat", pid_arg(child.pid), NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, ", USS "));
	run_tool(&r, "stat", "--json", pid_arg(child.pid), NULL);
	assert_int_equal(r.status, 0);
	if (python_json(r.out, "0 < d['uss'] <= d['usage']['rss']", value,
			sizeof(value)))
		assert_string_equal(value, "True");
	harness_child_stop(&child);
	run_tool(&r, "-V", NULL);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "xmm " XMM_VERSION_STRING));
}

struct stat_as_nobody_args {
	const char *tool;
	pid_t target;
};

/* As nobody, `xmm stat` of a root process: what status shows, and why
 * the rest is refused. */
static int stat_as_nobody(void *arg)
{
	struct stat_as_nobody_args *a = arg;
	static struct run r;
	char pid[32], *argv[] = { (char *)a->tool, "stat", pid, NULL };

	snprintf(pid, sizeof(pid), "%d", (int)a->target);
	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(run_argv(argv, NULL, &r) == 0);
	CHILD_CHECK(r.status == 1);
	CHILD_CHECK(strstr(r.out, "RSS ") != NULL);
	CHILD_CHECK(strstr(r.err, "belongs to uid 0") != NULL);
	CHILD_CHECK(strstr(r.err, "Yama") == NULL);
	return 0;
}

static void test_stat_partial_with_reason(void **state)
{
	struct stat_as_nobody_args a = { .tool = tool_path() };
	struct harness_child child;

	if (!harness_is_root())
		harness_skip("needs root to drop to nobody");
	harness_child_or_skip(&child, NULL, NULL);
	a.target = child.pid;
	assert_int_equal(harness_run_in_child(stat_as_nobody, &a), 0);
	harness_child_stop(&child);
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
		cmocka_unit_test(test_classes_on_every_kind),
		cmocka_unit_test(test_selection_errors),
		cmocka_unit_test(test_refused_mapping_skipped),
		cmocka_unit_test(test_sigterm_within_a_large_mapping),
		cmocka_unit_test(test_thaw),
		cmocka_unit_test(test_thread_ids_and_messages),
		cmocka_unit_test(test_write_errors),
		cmocka_unit_test(test_probe_tells_what_is_missing),
		cmocka_unit_test(test_several_targets),
		cmocka_unit_test(test_advise_frozen_target_through_injection),
		cmocka_unit_test(test_several_targets_concurrently),
		cmocka_unit_test(test_stat_uss_and_version),
		cmocka_unit_test(test_stat_partial_with_reason),
	};

	/* A child that cannot exec (no python3 in a minimal guest) closes
	 * its input early: let write() say EPIPE rather than kill us. */
	signal(SIGPIPE, SIG_IGN);
	harness_require(HARNESS_NEEDS_EXEC |
			 HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
