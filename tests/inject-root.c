// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The injection tests that need root: a target's seccomp filters read
 * and honoured (PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN), callers
 * of another uid, and targets in a frozen cgroup (making one needs
 * root).  The rest are in inject.c.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <dirent.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mount.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/kcmp.h>
#include <linux/magic.h>
#include <linux/seccomp.h>
#include <linux/userfaultfd.h>

#include <xmm/xmm.h>

#include "inject-common.h"
#include "inject-target.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define MiB	(1024UL * 1024)
static int setup(void **state)
{
	(void)state;
	return inject_setup(true);
}

static volatile sig_atomic_t got_sigsys;

static void note_sigsys(int sig)
{
	(void)sig;
	got_sigsys = 1;
}

static void ignore_signal(int sig)
{
	(void)sig;
}

static int seccomp_child(void *arg)
{
	struct shared *s = arg;
	struct sigaction sa = { .sa_handler = note_sigsys };
	struct sigaction wake = { .sa_handler = ignore_signal };

	sigaction(SIGSYS, &sa, NULL);
	sigaction(SIGUSR1, &wake, NULL);
	if (install_madvise_filter((unsigned int)s->value[0]) < 0)
		return 1;
	s->ready = 1;
	while (!s->stop)
		nap();
	return got_sigsys ? 4 : 0;
}

static void check_seccomp_flags(unsigned int action, int expect_errno,
				unsigned int flags)
{
	struct shared *s = shared_new();
	struct target t;

	s->value[0] = action;
	target_start(&t, seccomp_child, s);
	wait_ready(s);
	errno = 0;
	assert_int_equal(inject_madvise(t.pidfd, scratch, 4096, MADV_COLD,
					flags), -1);
	assert_int_equal(errno, expect_errno);
	assert_true(untraced(t.pid));
	/* Alive, and no SIGSYS (delivered first, being synchronous). */
	s->stop = 1;
	assert_int_equal(kill(t.pid, SIGUSR1), 0);
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}

static void check_seccomp(unsigned int action, int expect_errno)
{
	check_seccomp_flags(action, expect_errno, 0);
}

static void test_seccomp_errno_reported_target_alive(void **state)
{
	(void)state;
	check_seccomp(SECCOMP_RET_ERRNO | EACCES, EACCES);
}

static void test_seccomp_kill_refused_target_alive(void **state)
{
	(void)state;
	check_seccomp(SECCOMP_RET_KILL_PROCESS, EPERM);
}

/* XMM_PMADV_INJECT_UNCHECKED vouches only for filters that cannot be
 * read: one that can is honoured all the same. */
static void test_unchecked_honours_readable_filter(void **state)
{
	(void)state;
	check_seccomp_flags(SECCOMP_RET_KILL_PROCESS, EPERM,
			    XMM_PMADV_INJECT_UNCHECKED);
	check_seccomp_flags(SECCOMP_RET_ERRNO | EACCES, EACCES,
			    XMM_PMADV_INJECT_UNCHECKED);
}

static void test_seccomp_trap_refused_no_sigsys(void **state)
{
	(void)state;
	check_seccomp(SECCOMP_RET_TRAP, EPERM);
}

/* ---- Seccomp suspended for our calls only ---- */

/* Drop CAP_SYS_ADMIN from the effective and permitted sets, keep the
 * rest (root still traces its own uid's children). */
static int drop_cap_sys_admin(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &header, data) < 0)
		return -1;
	data[0].effective &= ~(1U << CAP_SYS_ADMIN);
	data[0].permitted &= ~(1U << CAP_SYS_ADMIN);
	return (int)syscall(SYS_capset, &header, data);
}

struct strict_case {
	int pidfd;
	struct iovec iov[STRICT_RANGES];
};

static int inject_without_cap_sys_admin(void *arg)
{
	struct strict_case *sc = arg;

	CHILD_CHECK(drop_cap_sys_admin() == 0);
	errno = 0;
	CHILD_CHECK(inject_madvise(sc->pidfd, scratch, 4096, MADV_DONTNEED,
				   XMM_PMADV_INJECT) == -1);
	CHILD_CHECK(errno == EPERM);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(sc->pidfd, sc->iov, STRICT_RANGES,
					MADV_DONTNEED, XMM_PMADV_INJECT) == -1);
	CHILD_CHECK(errno == EPERM);
	return 0;
}

/*
 * Root without CAP_SYS_ADMIN may not suspend a tracee's seccomp: the
 * strict-mode target is refused as it always was (madvise would kill
 * it), and lives, its memory untouched.
 */
static void test_strict_target_without_cap_sys_admin_eperm(void **state)
{
	struct shared *s = shared_new();
	struct strict_case sc;
	struct target t;
	int pipe_fd[2], i;
	unsigned char byte;
	struct iovec local = { &byte, 1 }, remote;

	(void)state;
	for (i = 0; i < STRICT_RANGES; i++) {
		sc.iov[i].iov_base = (char *)scratch + (size_t)(i + 1) * 8192;
		sc.iov[i].iov_len = 4096;
	}
	assert_int_equal(pipe(pipe_fd), 0);
	s->value[0] = pipe_fd[0];
	target_start(&t, strict_child, s);
	wait_ready(s);
	sc.pidfd = t.pidfd;
	assert_int_equal(harness_run_in_child(inject_without_cap_sys_admin,
					      &sc), 0);
	assert_true(untraced(t.pid));
	for (i = 0; i <= STRICT_RANGES; i++) {
		remote.iov_base = i ? sc.iov[i - 1].iov_base : scratch;
		remote.iov_len = 1;
		assert_int_equal(process_vm_readv(t.pid, &local, 1, &remote, 1,
						  0), 1);
		assert_int_equal(byte, 0x5a);
	}
	assert_int_equal(write(pipe_fd[1], "q", 1), 1);
	assert_int_equal(target_wait(&t), 0);
	close(pipe_fd[0]);
	close(pipe_fd[1]);
	munmap(s, sizeof(*s));
}

/*
 * A target whose filter answers EPERM to getppid, and whose signal
 * handler calls getppid: value[3] counts the handler's runs, value[4]
 * the answers that were not EPERM (the filter bypassed).
 */
static struct shared *handler_record;

static void call_getppid(int sig)
{
	int saved = errno;
	long ret = syscall(SYS_getppid);

	(void)sig;
	handler_record->value[3]++;
	if (ret != -1 || errno != EPERM)
		handler_record->value[4]++;
	errno = saved;
}

static int getppid_filtered_child(void *arg)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { 4, filter };
	struct sigaction sa = { .sa_handler = call_getppid };

	handler_record = arg;
	sigaction(SIGRTMIN, &sa, NULL);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return 1;
	handler_record->ready = 1;
	while (!handler_record->stop)
		nap();
	return 0;
}

struct getppid_signaller {
	pid_t pid;
	int count;
};

static void *send_rt_signals(void *arg)
{
	struct getppid_signaller *sg = arg;
	struct timespec pause = { 0, 300000 };
	union sigval v = { 0 };
	int i;

	for (i = 0; i < sg->count; i++) {
		sigqueue(sg->pid, SIGRTMIN, v);
		nanosleep(&pause, NULL);
	}
	return NULL;
}

/*
 * Our calls run with the target's seccomp suspended; its own code never
 * does.  Signals that arrive during injections (long batches through the
 * stub, and short ones call by call) are handed to the target with its
 * filter in force again: its handler's getppid still gets EPERM.
 */
static void test_signal_handler_filtered_during_injection(void **state)
{
	struct shared *s = shared_new();
	struct iovec *iov = calloc(1024, sizeof(*iov));
	struct getppid_signaller sg = { .count = 100 };
	struct target t;
	pthread_t th;
	int i, round;

	(void)state;
	assert_non_null(iov);
	for (i = 0; i < 1024; i++) {
		iov[i].iov_base = (char *)scratch + (size_t)(i % 256) * 4096;
		iov[i].iov_len = 4096;
	}
	target_start(&t, getppid_filtered_child, s);
	wait_ready(s);
	sg.pid = t.pid;
	for (round = 0; round < 2; round++) {
		/* 1,024 ranges: the stub; 3: call by call. */
		size_t count = round ? 3 : 1024;
		int batches = round ? 1500 : 40;

		assert_int_equal(pthread_create(&th, NULL, send_rt_signals,
						&sg), 0);
		for (i = 0; i < batches; i++)
			assert_int_equal(xmm_process_madvise(t.pidfd, iov,
							     count, MADV_COLD,
							     0),
					 (ssize_t)count * 4096);
		pthread_join(th, NULL);
	}
	for (i = 0; i < 50000 && s->value[3] < 2 * sg.count; i++)
		tick();
	printf("%ld handler runs, %ld saw getppid unfiltered\n",
	       (long)s->value[3], (long)s->value[4]);
	assert_int_equal(s->value[3], 2 * sg.count);
	assert_int_equal(s->value[4], 0);
	assert_true(untraced(t.pid));
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	free(iov);
	munmap(s, sizeof(*s));
}

/*
 * The text the injector borrows its syscall instruction from, as its
 * search goes: libc's, or in a static program (the guests) our own.
 */
static bool borrowed_text(unsigned long *start, unsigned long *end)
{
	char line[512], perms[8], path[256], exe[256] = "";
	FILE *maps = fopen("/proc/self/maps", "r");
	ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	bool libc = false, own = false;

	if (!maps)
		return false;
	exe[len > 0 ? len : 0] = '\0';
	while (!libc && fgets(line, sizeof(line), maps)) {
		unsigned long s, e;
		const char *base;

		path[0] = '\0';
		if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %255s", &s, &e,
			   perms, path) < 3 || perms[2] != 'x' || !path[0])
			continue;
		base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
		if (!strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5))
			libc = true;
		else if (own || strcmp(path, exe))
			continue;
		own = true;
		*start = s;
		*end = e;
	}
	fclose(maps);
	return own;
}

/*
 * A filter that judges by the instruction pointer: madvise is allowed only
 * from [lo, hi) (where the injector borrows its syscall instruction), and
 * kills the process from anywhere else, such as an injected stub.
 */
static int install_madvise_ip_filter(unsigned long lo, unsigned long hi)
{
	const unsigned int ip = offsetof(struct seccomp_data,
					 instruction_pointer);
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 1, 0),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
		/* Little-endian: the high word of the IP is at +4. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip + 4),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
			 (uint32_t)((uint64_t)lo >> 32), 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ip),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)lo, 0, 1),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, (uint32_t)hi, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof(filter) / sizeof(filter[0]),
				   filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

static int ip_filter_child(void *arg)
{
	struct shared *s = arg;

	if (install_madvise_ip_filter((unsigned long)s->value[0],
				      (unsigned long)s->value[1]) < 0)
		return 1;
	s->ready = 1;
	while (!s->stop)
		nap();
	return 0;
}

/*
 * A batch long enough for the stub runs where the filter allows it: from
 * the borrowed instruction, call by call.  The target lives.
 */
static void test_seccomp_by_instruction_pointer(void **state)
{
	struct shared *s = shared_new();
	struct iovec iov[16];
	unsigned long lo = 0, hi = 0;
	struct target t;
	size_t i;

	(void)state;
	if (!borrowed_text(&lo, &hi) ||
	    (uint64_t)lo >> 32 != (uint64_t)(hi - 1) >> 32)
		harness_skip("no libc or own text found, or it crosses a 4 GiB "
			     "boundary (the filter compares one word)");
	s->value[0] = (long)lo;
	s->value[1] = (long)hi;
	for (i = 0; i < 16; i++) {
		iov[i].iov_base = (char *)scratch + i * 4096;
		iov[i].iov_len = 4096;
	}
	target_start(&t, ip_filter_child, s);
	wait_ready(s);
	assert_int_equal(xmm_process_madvise(t.pidfd, iov, 16, MADV_COLD, 0),
			 16 * 4096);
	assert_true(untraced(t.pid));
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	munmap(s, sizeof(*s));
}


/* ---- A call that takes longer than any timeout ---- */

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ	22
#endif
#define LONG_CALL_S		12

struct long_call {
	volatile int ready;
	volatile int stop;
	volatile int failed;		/* errno of the target's setup */
	volatile unsigned long region;
	volatile int served;
	volatile int delay_s;		/* the fault's answer; 0: LONG_CALL_S */
	volatile long rounds;		/* of the target's register loop */
};

static int uffd_of_target = -1;

/* The target's fault server: answers the first fault LONG_CALL_S late. */
static void *serve_late(void *arg)
{
	struct long_call *lc = arg;
	struct timespec wait = { lc->delay_s ? lc->delay_s : LONG_CALL_S, 0 };
	static char page[4096] __attribute__((aligned(4096)));
	struct uffd_msg msg;
	struct uffdio_copy copy;

	if (read(uffd_of_target, &msg, sizeof(msg)) != sizeof(msg))
		return NULL;
	nanosleep(&wait, NULL);
	memset(page, 0x77, sizeof(page));
	copy = (struct uffdio_copy){
		.dst = msg.arg.pagefault.address & ~4095ULL,
		.src = (unsigned long)page,
		.len = 4096,
	};
	if (ioctl(uffd_of_target, UFFDIO_COPY, &copy) == 0)
		lc->served = 1;
	return NULL;
}

/* A page of its own on its own userfaultfd, served 12 s late. */
static int long_call_child(void *arg)
{
	struct long_call *lc = arg;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	pthread_t server;
	long a = 1, b = 2, c = 3;
	char *page;

	uffd_of_target = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	reg = (struct uffdio_register){
		.range = { (unsigned long)page, 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (uffd_of_target < 0 || page == MAP_FAILED ||
	    ioctl(uffd_of_target, UFFDIO_API, &api) < 0 ||
	    ioctl(uffd_of_target, UFFDIO_REGISTER, &reg) < 0 ||
	    pthread_create(&server, NULL, serve_late, lc) != 0) {
		lc->failed = errno ? errno : EINVAL;
		lc->ready = 1;
		return 3;
	}
	lc->region = (unsigned long)page;
	lc->ready = 1;
	/* Values kept in registers across the naps: the thread we inject
	 * into would lose them if it ran on with our registers. */
	while (!lc->stop) {
		nap();
		a += 1;
		b += 2;
		c += 3;
		lc->rounds = a;
		if (b != 2 * a || c != 3 * a)
			return 4;
	}
	pthread_join(server, NULL);
	return lc->served && page[0] == 0x77 && page[4095] == 0x77 ? 0 : 1;
}

/*
 * Start long_call_child in t; false when it has no userfaultfd (it is
 * killed then, and lc->failed says why).
 */
static bool long_call_start(struct target *t, struct long_call *lc)
{
	int i;

	target_start(t, long_call_child, lc);
	for (i = 0; i < 10000 && !lc->ready; i++)
		tick();
	assert_true(lc->ready);
	if (lc->failed)
		target_kill(t);
	return !lc->failed;
}

/*
 * MADV_POPULATE_READ of a page whose fault the target's own userfaultfd
 * answers 12 s later: longer than the engine ever waited before.  The
 * call must end with its result, the target untouched and released.
 */
static void test_call_longer_than_timeouts_completes(void **state)
{
	struct long_call *lc = mmap(NULL, sizeof(*lc), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct timespec start, end;
	struct target t;

	(void)state;
	assert_true(lc != MAP_FAILED);
	if (!harness_kernel_at_least(5, 14))
		harness_skip("MADV_POPULATE_READ needs Linux 5.14");
	if (!long_call_start(&t, lc))
		harness_skip("no userfaultfd here (errno %d)", lc->failed);
	clock_gettime(CLOCK_MONOTONIC, &start);
	assert_int_equal(inject_madvise(t.pidfd, (void *)lc->region, 4096,
					MADV_POPULATE_READ, XMM_PMADV_INJECT),
			 4096);
	clock_gettime(CLOCK_MONOTONIC, &end);
	/* It did wait for the fault (the scenario, not a speed claim). */
	assert_true(end.tv_sec - start.tv_sec >= LONG_CALL_S - 1);
	assert_true(untraced(t.pid));
	lc->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	munmap(lc, sizeof(*lc));
}

/* ---- A caller the OOM killer picks during a call ---- */

#define OOM_LIMIT	(64UL * MiB)

static bool write_file(const char *dir, const char *file, const char *text)
{
	char path[512];
	ssize_t len = (ssize_t)strlen(text);
	int fd;
	bool ok;

	if (snprintf(path, sizeof(path), "%s/%s", dir, file) >=
	    (int)sizeof(path))
		return false;
	fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	ok = write(fd, text, (size_t)len) == len;
	close(fd);
	return ok;
}

/*
 * A memory cgroup of OOM_LIMIT bytes and no swap, cgroup v2 or v1: its
 * directory in dir; false (dir says why) where there is none to make.
 */
static bool memcg_make(char *dir, size_t size)
{
	char limit[32];

	snprintf(limit, sizeof(limit), "%lu", OOM_LIMIT);
	/* v2, where the root delegates the memory controller. */
	snprintf(dir, size, "/sys/fs/cgroup/xmm-oom-%d", (int)getpid());
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0 &&
	    (write_file("/sys/fs/cgroup", "cgroup.subtree_control",
			"+memory") || errno == EBUSY) &&
	    mkdir(dir, 0755) == 0) {
		if (write_file(dir, "memory.max", limit) &&
		    (write_file(dir, "memory.swap.max", "0") ||
		     errno == ENOENT))
			return true;
		rmdir(dir);
	}
	/* v1. */
	snprintf(dir, size, "/sys/fs/cgroup/memory/xmm-oom-%d",
		 (int)getpid());
	if (mkdir(dir, 0755) == 0) {
		if (write_file(dir, "memory.limit_in_bytes", limit) &&
		    (write_file(dir, "memory.memsw.limit_in_bytes", limit) ||
		     errno == ENOENT))
			return true;
		rmdir(dir);
	}
	snprintf(dir, size, "no memory cgroup to make (v2 with the memory "
		 "controller, or v1's /sys/fs/cgroup/memory)");
	return false;
}

static bool memcg_join(const char *dir)
{
	char pid[16];

	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	return write_file(dir, "cgroup.procs", pid) ||
	       write_file(dir, "tasks", pid);
}

/* rmdir once its last process (the helper, finishing) is gone. */
static bool memcg_remove(const char *dir)
{
	int i;

	for (i = 0; i < 50000; i++) {	/* 5 s */
		if (rmdir(dir) == 0)
			return true;
		tick();
	}
	return false;
}

struct oom_case {
	struct long_call *lc;
	pid_t target;
	int pidfd;
	const char *memcg;
};

/* The caller's hog: once the target is ours, memory until the OOM
 * killer comes. */
static void *hog_when_traced(void *arg)
{
	struct oom_case *oc = arg;
	char tracer[64];
	int i;

	for (i = 0; i < 50000; i++) {	/* 5 s */
		status_field(oc->target, "TracerPid", tracer, sizeof(tracer));
		if (atoi(tracer) != 0)
			break;
		tick();
	}
	for (;;) {
		char *chunk = mmap(NULL, MiB, PROT_READ | PROT_WRITE,
				   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (chunk != MAP_FAILED)
			memset(chunk, 1, MiB);
	}
	return NULL;
}

/* In the memory cgroup: one long injected call, and the hog. */
static int oom_caller(void *arg)
{
	struct oom_case *oc = arg;
	struct iovec iov = { (void *)oc->lc->region, 4096 };
	pthread_t hog;

	if (!memcg_join(oc->memcg))
		return 3;
	if (xmm_backend_force("process_madvise", "inject") < 0 ||
	    pthread_create(&hog, NULL, hog_when_traced, oc) != 0)
		return 4;
	xmm_process_madvise(oc->pidfd, &iov, 1, MADV_POPULATE_READ,
			    XMM_PMADV_INJECT);
	return 5;	/* never: killed before the call ends */
}

/*
 * The OOM killer kills every process that shares its victim's memory:
 * a tracer sharing the caller's died with it, and the target, holding
 * our registers, ran on with them and crashed.  The kept helper has
 * memory of its own: the caller, in a memory cgroup, is killed during a
 * call 4 s long (a fault its userfaultfd answers late), and the helper
 * finishes the call, restores the registers (the target's loop checks
 * three of them) and lets go of the target.
 */
static void test_caller_oom_killed_during_call_target_lives(void **state)
{
	struct long_call *lc = mmap(NULL, sizeof(*lc), PROT_READ | PROT_WRITE,
				    MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	struct oom_case oc = { .lc = lc };
	char memcg[256];
	struct target t;
	pid_t caller;
	long rounds;
	int status, i;

	(void)state;
	assert_true(lc != MAP_FAILED);
	if (!harness_kernel_at_least(5, 14))
		harness_skip("MADV_POPULATE_READ needs Linux 5.14");
	/* Per-call helpers share the caller's memory (BUGS). */
	need_kept_helper();
	if (!memcg_make(memcg, sizeof(memcg)))
		harness_skip("%s", memcg);
	lc->delay_s = 4;
	if (!long_call_start(&t, lc)) {
		memcg_remove(memcg);
		harness_skip("no userfaultfd here (errno %d)", lc->failed);
	}
	oc.target = t.pid;
	oc.pidfd = t.pidfd;
	oc.memcg = memcg;
	fflush(NULL);
	caller = fork();
	assert_true(caller >= 0);
	if (caller == 0)
		_exit(oom_caller(&oc));
	assert_int_equal(waitpid(caller, &status, 0), caller);
	/* The OOM killer's SIGKILL, during the call. */
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	assert_false(lc->served);
	/* The call ends when the fault is answered; then the target is
	 * let go of, and its loop goes on with its registers. */
	for (i = 0; i < 100000 && !lc->served; i++)	/* 10 s */
		tick();
	assert_true(lc->served);
	assert_true(untraced(t.pid));
	rounds = lc->rounds;
	for (i = 0; i < 20000 && lc->rounds < rounds + 10; i++)
		tick();
	assert_true(lc->rounds >= rounds + 10);
	lc->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	assert_true(memcg_remove(memcg));
	munmap(lc, sizeof(*lc));
}

/* ---- A caller whose userfaultfd reports forks ---- */

/*
 * A caller that monitors its own memory with a userfaultfd reporting
 * forks (UFFD_FEATURE_EVENT_FORK: lazy restore, live migration).  A
 * helper forked from it would queue a fork event, and the fork waits
 * until the monitor reads it: here the monitor is the calling thread, so
 * the call would never end.  The helper shares the caller's memory then
 * (CLONE_VM); the call answers, and no fork event is queued.
 */
static int uffd_fork_caller(void *arg)
{
	struct uffdio_api api = { .api = UFFD_API,
				  .features = UFFD_FEATURE_EVENT_FORK };
	struct uffdio_register reg;
	int *pidfd = arg;
	struct iovec iov = { scratch, 4096 };
	struct uffd_msg msg;
	char *watched = mmap(NULL, MiB, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	pid_t helper;

	alarm(20);	/* a hang fails, with SIGALRM */
	CHILD_CHECK(watched != MAP_FAILED);
	if (uffd < 0 || ioctl(uffd, UFFDIO_API, &api) < 0)
		return HARNESS_EXIT_SKIP;
	reg = (struct uffdio_register){
		.range = { (unsigned long)watched, MiB },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	CHILD_CHECK(ioctl(uffd, UFFDIO_REGISTER, &reg) == 0);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(*pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	helper = kept_helper();
	CHILD_CHECK(helper > 0);
	/* It shares our memory; the monitor was told of no fork. */
	CHILD_CHECK(syscall(SYS_kcmp, getpid(), helper, KCMP_VM, 0, 0) == 0);
	CHILD_CHECK(read(uffd, &msg, sizeof(msg)) < 0 && errno == EAGAIN);
	CHILD_CHECK(xmm_process_madvise(*pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(kept_helper() == helper);
	return 0;
}

static void test_userfaultfd_fork_events_caller_answered(void **state)
{
	struct target t;
	int ret;

	(void)state;
	need_kept_helper();
	target_start(&t, pause_child, NULL);
	ret = harness_run_in_child(uffd_fork_caller, &t.pidfd);
	target_kill(&t);
	if (ret == HARNESS_EXIT_SKIP)
		harness_skip("no userfaultfd with UFFD_FEATURE_EVENT_FORK "
			     "here");
	assert_int_equal(ret, 0);
}

/* ---- Permissions ---- */

struct perm_case {
	int pidfd;
	pid_t pid;
};

/*
 * The ptrace access check of process_madvise(2) fails (another user, or a
 * target that is not dumpable): EACCES, as mm_access() answers.
 */
static int inject_as_nobody(void *arg)
{
	struct perm_case *pc = arg;
	struct iovec iov = { scratch, 4096 };

	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(pc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    -1);
	CHILD_CHECK(errno == EACCES);
	return 0;
}


/* Same uid without CAP_SYS_NICE: EPERM, as process_madvise answers. */
static int inject_as_nobody_without_cap_sys_nice(void *arg)
{
	struct perm_case *pc = arg;
	struct iovec iov = { scratch, 4096 };

	CHILD_CHECK(harness_drop_privileges() == 0);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(pc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    -1);
	CHILD_CHECK(errno == EPERM);
	return 0;
}

static void test_other_uid_eperm(void **state)
{
	struct perm_case pc;
	struct target t;

	(void)state;
	target_start(&t, pause_child, NULL);
	pc.pidfd = t.pidfd;
	pc.pid = t.pid;
	assert_int_equal(harness_run_in_child(inject_as_nobody, &pc), 0);
	assert_true(untraced(t.pid));
	/* Neither stopped nor traced: running or sleeping as before. */
	assert_true(strchr("RS", proc_state(t.pid)) != NULL);
	target_kill(&t);
}

static int nondumpable_nobody_child(void *arg)
{
	struct shared *s = arg;

	if (harness_drop_privileges() < 0 ||
	    prctl(PR_SET_DUMPABLE, (int)s->value[0], 0, 0, 0) < 0)
		return 1;
	s->ready = 1;
	while (!s->stop)
		nap();
	return 0;
}

static int inject_as_nobody_works(void *arg)
{
	struct perm_case *pc = arg;
	struct iovec iov = { scratch, 4096 };

	CHILD_CHECK(harness_drop_privileges_keep_cap_sys_nice() == 0);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(pc->pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	return 0;
}

/* Same uid (nobody) on both sides: dumpable works with CAP_SYS_NICE
 * (EPERM without it), non-dumpable fails the access check (EACCES). */
static void test_nondumpable_target_eperm(void **state)
{
	struct shared *s = shared_new();
	struct perm_case pc;
	struct target t;
	int dumpable;

	(void)state;
	for (dumpable = 1; dumpable >= 0; dumpable--) {
		s->ready = 0;
		s->value[0] = dumpable;
		target_start(&t, nondumpable_nobody_child, s);
		wait_ready(s);
		pc.pidfd = t.pidfd;
		pc.pid = t.pid;
		assert_int_equal(harness_run_in_child(dumpable ?
				inject_as_nobody_works : inject_as_nobody,
				&pc), 0);
		if (dumpable)
			assert_int_equal(harness_run_in_child(
				inject_as_nobody_without_cap_sys_nice, &pc),
				0);
		assert_true(untraced(t.pid));
		target_kill(&t);
	}
	munmap(s, sizeof(*s));
}

/*
 * The kept helper traces with the credentials it was made with: a caller
 * that drops root gets a new helper with its new uid, and the old one
 * ends.
 */
struct cred_case {
	int root_pidfd;
	int nobody_pidfd;
};

static int inject_then_drop_root(void *arg)
{
	struct cred_case *cc = arg;
	struct iovec iov = { scratch, 4096 };
	pid_t as_root, as_nobody;

	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(cc->root_pidfd, &iov, 1, MADV_COLD,
					0) == 4096);
	as_root = kept_helper();
	CHILD_CHECK(as_root > 0 && status_number(as_root, "Uid") == 0);
	CHILD_CHECK(harness_drop_privileges_keep_cap_sys_nice() == 0 &&
		    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
	/* The root target is refused now, as process_madvise refuses it. */
	errno = 0;
	CHILD_CHECK(xmm_process_madvise(cc->root_pidfd, &iov, 1, MADV_COLD,
					0) == -1 && errno == EACCES);
	CHILD_CHECK(xmm_process_madvise(cc->nobody_pidfd, &iov, 1, MADV_COLD,
					0) == 4096);
	as_nobody = kept_helper();
	CHILD_CHECK(as_nobody > 0 && as_nobody != as_root);
	CHILD_CHECK(status_number(as_nobody, "Uid") == 65534);
	CHILD_CHECK(process_ends(as_root));
	return 0;
}

static void test_kept_helper_follows_credentials(void **state)
{
	struct shared *s = shared_new();
	struct cred_case cc;
	struct target root_target, nobody_target;

	(void)state;
	target_start(&root_target, pause_child, NULL);
	s->value[0] = 1;	/* dumpable */
	target_start(&nobody_target, nondumpable_nobody_child, s);
	wait_ready(s);
	cc.root_pidfd = root_target.pidfd;
	cc.nobody_pidfd = nobody_target.pidfd;
	assert_int_equal(harness_run_in_child(inject_then_drop_root, &cc), 0);
	assert_true(untraced(root_target.pid));
	assert_true(untraced(nobody_target.pid));
	target_kill(&root_target);
	target_kill(&nobody_target);
	munmap(s, sizeof(*s));
}

/* ---- The access check without a file mode ---- */

/*
 * A caller of another uid (nobody) with CAP_SYS_PTRACE and CAP_SYS_NICE
 * but no CAP_DAC_OVERRIDE: the root target's environ is root's, mode
 * 0400, and cannot be opened, yet mm_access() lets the caller in
 * (CAP_SYS_PTRACE), and process_madvise(2) advises.  The inject backend
 * answers the same.
 */
static int ptrace_capable_nobody_advises(void *arg)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };
	pid_t *target = arg;
	struct iovec iov = { scratch, 4096 };
	char path[64];
	int pidfd;

	CHILD_CHECK(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) == 0);
	CHILD_CHECK(harness_drop_privileges() == 0);
	data[0].effective = data[0].permitted =
		(1U << CAP_SYS_NICE) | (1U << CAP_SYS_PTRACE);
	CHILD_CHECK(syscall(SYS_capset, &header, data) == 0);
	snprintf(path, sizeof(path), "/proc/%d/environ", (int)*target);
	CHILD_CHECK(open(path, O_RDONLY | O_CLOEXEC) < 0 && errno == EACCES);
	pidfd = (int)syscall(SYS_pidfd_open, *target, 0);
	CHILD_CHECK(pidfd >= 0);
	CHILD_CHECK(xmm_backend_force("process_madvise", "native") == 0);
	CHILD_CHECK(xmm_process_madvise(pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	CHILD_CHECK(xmm_process_madvise(pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	close(pidfd);
	return 0;
}

static void test_ptrace_capable_caller_without_dac_override(void **state)
{
	struct target t;

	(void)state;
	target_start(&t, pause_child, NULL);
	assert_int_equal(harness_run_in_child(ptrace_capable_nobody_advises,
					      &t.pid), 0);
	assert_true(untraced(t.pid));
	target_kill(&t);
}

/* ---- The pidfd the kept helper keeps ---- */

/* A child with PID pid (clone3 set_tid, root) and its pidfd; -errno. */
static pid_t fork_with_pid(pid_t pid, int *pidfd)
{
	struct {
		uint64_t flags, pidfd, child_tid, parent_tid, exit_signal;
		uint64_t stack, stack_size, tls, set_tid, set_tid_size;
	} args = {
		.flags = CLONE_PIDFD,
		.pidfd = (uintptr_t)pidfd,
		.exit_signal = SIGCHLD,
		.set_tid = (uintptr_t)&pid,
		.set_tid_size = 1,
	};
	long ret = syscall(SYS_clone3, &args, sizeof(args));

	if (ret == 0) {
		/* Only this thread was copied: raw calls alone. */
		syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL);
		for (;;)	/* no SYS_pause on aarch64, riscv64 */
			syscall(SYS_ppoll, NULL, 0, NULL, NULL, 0);
	}
	return ret < 0 ? -errno : (pid_t)ret;
}

/* ---- The init of a pid namespace ---- */

/* The first process of a new pid namespace, with a /proc of its own as a
 * container's init has: it runs the adopting caller's checks. */
static int pid_namespace_init(struct adopt_case *ac)
{
	CHILD_CHECK(getpid() == 1);
	CHILD_CHECK(unshare(CLONE_NEWNS) == 0);
	CHILD_CHECK(mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) == 0);
	CHILD_CHECK(mount("proc", "/proc", "proc", 0, NULL) == 0);
	return adopting_caller(ac);
}

/*
 * The pid, in our namespace, of the process named xmm-inject in the pid
 * namespace ns (the link text of /proc/PID/ns/pid) whose pid there is
 * inner; 0 if none.
 */
static pid_t outer_pid_of_helper(const char *ns, pid_t inner)
{
	char path[64], link[64], line[256];
	struct dirent *entry;
	pid_t found = 0;
	DIR *proc = opendir("/proc");

	if (!proc)
		return 0;
	while (!found && (entry = readdir(proc))) {
		pid_t pid = (pid_t)atoi(entry->d_name);
		int outer, in_ns;
		bool named = false;
		ssize_t len;
		FILE *f;

		if (pid <= 0)
			continue;
		snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)pid);
		len = readlink(path, link, sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, ns))
			continue;
		snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		while (fgets(line, sizeof(line), f)) {
			if (!strcmp(line, "Name:\txmm-inject\n"))
				named = true;
			if (named && sscanf(line, "NSpid: %d %d", &outer,
					    &in_ns) == 2 && in_ns == inner)
				found = outer;
		}
		fclose(f);
	}
	closedir(proc);
	return found;
}

/* Makes a pid namespace whose init is an adopting caller, and sees its
 * helper gone once that init has exited. */
static int pid_namespace_parent(void *arg)
{
	struct adopt_case *ac = arg;
	struct pollfd gone = { .events = POLLIN };
	char path[64], ns[64];
	siginfo_t info;
	pid_t init, helper;
	ssize_t len;
	int status, ready, i;

	CHILD_CHECK(unshare(CLONE_NEWPID) == 0);
	fflush(NULL);
	init = fork();
	CHILD_CHECK(init >= 0);
	if (init == 0)
		_exit(pid_namespace_init(ac));
	snprintf(path, sizeof(path), "/proc/%d/ns/pid", (int)init);
	len = readlink(path, ns, sizeof(ns) - 1);
	for (i = 0; i < 5000 && !ac->s->ready; i++)
		nap();
	ready = ac->s->ready;
	helper = ready && len > 0 ?
		 (ns[len] = '\0', outer_pid_of_helper(ns, (pid_t)
						       ac->s->value[0])) : 0;
	gone.fd = helper > 0 ? xmm_pidfd_open(helper, 0) : -1;
	ac->s->stop = 1;
	CHILD_CHECK(waitpid(init, &status, 0) == init);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	CHILD_CHECK(gone.fd >= 0);
	/* The namespace ended with its init: the helper with it. */
	bound_waits(10);
	CHILD_CHECK(poll(&gone, 1, -1) == 1);
	bound_waits(0);
	errno = 0;
	CHILD_CHECK(waitid((idtype_t)3 /* P_PIDFD */, (id_t)gone.fd, &info,
			   WEXITED | WNOHANG | __WALL) == -1 &&
		    errno == ECHILD);
	close(gone.fd);
	return 0;
}

/* 0 where a new pid namespace can be made here, else the errno. */
static int new_pid_namespace_probe(void *arg)
{
	(void)arg;
	return unshare(CLONE_NEWPID) == 0 ? 0 : errno;
}

/*
 * A daemon run as the first process of a container (the init of its pid
 * namespace) would adopt a helper orphaned below it: its kept helper
 * stays out of its wait(2) and sends it no SIGCHLD (adopting_caller()).
 */
static void test_kept_helper_unseen_by_pid_namespace_init(void **state)
{
	struct adopt_case ac = { .s = shared_new(), .subreaper = false };
	int probe;

	(void)state;
	need_kept_helper();
	probe = harness_run_in_child(new_pid_namespace_probe, NULL);
	if (probe == EINVAL)
		harness_skip("unshare(CLONE_NEWPID) answers EINVAL: this "
			     "kernel has no pid namespaces (CONFIG_PID_NS)");
	assert_int_equal(probe, 0);
	assert_int_equal(harness_run_in_child(pid_namespace_parent, &ac), 0);
	munmap(ac.s, sizeof(*ac.s));
}

/*
 * The kept helper keeps the last target's pidfd, and a call naming the
 * same struct pid (another descriptor of the same open file, here) sends
 * none.  A pidfd of that process with other flags (PIDFD_THREAD) and one
 * of a new process given the old one's PID (set_tid) are other pidfds:
 * each must reach the helper, whose check after the seize would answer
 * ESRCH with the dead process's pidfd instead of advising the new one.
 */
static void test_kept_pidfd_never_names_a_reused_pid(void **state)
{
	struct target t;
	int copy, thread_pidfd, reused_pidfd = -1, status;
	pid_t pid, reused;

	(void)state;
	target_start(&t, pause_child, NULL);
	pid = t.pid;
	assert_int_equal(inject_madvise(t.pidfd, scratch, 4096, MADV_COLD, 0),
			 4096);
	copy = dup(t.pidfd);
	assert_true(copy >= 0);
	assert_int_equal(inject_madvise(copy, scratch, 4096, MADV_COLD, 0),
			 4096);
	close(copy);
	/* PIDFD_THREAD is O_EXCL (6.9); where unknown, the leg is left. */
	thread_pidfd = (int)syscall(SYS_pidfd_open, pid, O_EXCL);
	if (thread_pidfd >= 0) {
		assert_int_equal(inject_madvise(thread_pidfd, scratch, 4096,
						MADV_COLD, 0), 4096);
		close(thread_pidfd);
	}
	assert_true(untraced(pid));
	target_kill(&t);

	reused = fork_with_pid(pid, &reused_pidfd);
	if (reused == -EEXIST)	/* taken again meanwhile: rare */
		skip();
	assert_int_equal(reused, pid);
	assert_int_equal(inject_madvise(reused_pidfd, scratch, 4096,
					MADV_COLD, 0), 4096);
	assert_true(untraced(reused));
	kill(reused, SIGKILL);
	assert_int_equal(waitpid(reused, &status, 0), reused);
	close(reused_pidfd);
}

/* ---- A target frozen by the cgroup freezer (docker pause) ---- */

/*
 * A thread frozen by the cgroup v2 freezer stops for PTRACE_INTERRUPT
 * but never returns to user mode to make an injected call: the engine
 * waited for its syscall-entry stop for ever (until someone thawed the
 * cgroup).  Each of these calls is bounded by alarm(), whose SIGALRM
 * ends the test program: such an engine fails here, it does not hang.
 */
#define FREEZE_ALARM_S	30
#define FROZEN_RANGES	64	/* a batch: the stub's path */

struct freezer {
	bool v1;
	char dir[256];		/* our cgroup */
	char mounted[64];	/* a hierarchy we mounted, or "" */
};

static bool read_text(const char *dir, const char *file, char *buf,
		      size_t size)
{
	char path[512];
	ssize_t got;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	got = read(fd, buf, size - 1);
	close(fd);
	buf[got > 0 ? got : 0] = '\0';
	return got > 0;
}

/* Is path the root of a hierarchy of this file system type? */
static bool hierarchy_at(const char *path, unsigned long magic,
			 const char *probe)
{
	char file[256];
	struct statfs fs;

	snprintf(file, sizeof(file), "%s/%s", path, probe);
	return statfs(path, &fs) == 0 &&
	       (unsigned long)fs.f_type == magic && access(file, F_OK) == 0;
}

/*
 * A cgroup of our own with a freezer: cgroup v2 (cgroup.freeze, Linux
 * 5.2) under the mounted hierarchy, or one we mount; v1's freezer
 * controller likewise.  false when the kernel has none (why says so).
 */
static bool freezer_make(struct freezer *fz, bool v1, char *why,
			 size_t why_size)
{
	static const char *const v2_mounts[] = {
		"/sys/fs/cgroup/unified", "/sys/fs/cgroup",
	};
	const char *root = NULL;
	char probe[300];
	size_t i;

	memset(fz, 0, sizeof(*fz));
	fz->v1 = v1;
	if (!v1) {
		for (i = 0; i < 2 && !root; i++)
			if (hierarchy_at(v2_mounts[i], CGROUP2_SUPER_MAGIC,
					 "cgroup.procs"))
				root = v2_mounts[i];
	} else if (hierarchy_at("/sys/fs/cgroup/freezer", CGROUP_SUPER_MAGIC,
				"freezer.state") ||
		   hierarchy_at("/sys/fs/cgroup/freezer", CGROUP_SUPER_MAGIC,
				"tasks")) {
		root = "/sys/fs/cgroup/freezer";
	}
	if (!root) {
		strcpy(fz->mounted, "/tmp/xmm-freezer-XXXXXX");
		if (!mkdtemp(fz->mounted)) {
			snprintf(why, why_size, "no directory to mount on");
			return false;
		}
		if (mount("none", fz->mounted, v1 ? "cgroup" : "cgroup2", 0,
			  v1 ? "freezer" : NULL) < 0) {
			snprintf(why, why_size, "no cgroup %s freezer here: "
				 "none mounted, and mounting one fails "
				 "(errno %d%s)", v1 ? "v1" : "v2", errno,
				 errno == ENODEV ? ": a kernel without it" :
				 errno == EBUSY ? ": its controller is "
				 "bound to the other hierarchy" : "");
			rmdir(fz->mounted);
			fz->mounted[0] = '\0';
			return false;
		}
		root = fz->mounted;
	}
	snprintf(fz->dir, sizeof(fz->dir), "%s/xmm-frozen-%d", root,
		 (int)getpid());
	snprintf(probe, sizeof(probe), "%s/%s", fz->dir,
		 v1 ? "freezer.state" : "cgroup.freeze");
	if (mkdir(fz->dir, 0755) < 0 || access(probe, F_OK) < 0) {
		snprintf(why, why_size, "no cgroup %s freezer in %s (%s)",
			 v1 ? "v1" : "v2", root, v1 ? "freezer.state" :
			 "cgroup.freeze: Linux 5.2");
		rmdir(fz->dir);
		if (fz->mounted[0]) {
			umount2(fz->mounted, MNT_DETACH);
			rmdir(fz->mounted);
		}
		return false;
	}
	return true;
}

static bool freezer_join(const struct freezer *fz, pid_t pid)
{
	char text[16];

	snprintf(text, sizeof(text), "%d", (int)pid);
	return write_file(fz->dir, "cgroup.procs", text);
}

/* Does the kernel report the cgroup frozen (or thawed) within 5 s? */
static bool freezer_is(const struct freezer *fz, bool frozen)
{
	char text[512];
	int i;

	for (i = 0; i < 50000; i++) {
		if (fz->v1 && read_text(fz->dir, "freezer.state", text,
					sizeof(text)) &&
		    strcmp(text, frozen ? "FROZEN\n" : "THAWED\n") == 0)
			return true;
		if (!fz->v1 && read_text(fz->dir, "cgroup.events", text,
					 sizeof(text)) &&
		    strstr(text, frozen ? "frozen 1" : "frozen 0"))
			return true;
		tick();
	}
	return false;
}

static void freezer_set(const struct freezer *fz, bool frozen)
{
	if (fz->v1)
		assert_true(write_file(fz->dir, "freezer.state",
				       frozen ? "FROZEN" : "THAWED"));
	else
		assert_true(write_file(fz->dir, "cgroup.freeze",
				       frozen ? "1" : "0"));
	assert_true(freezer_is(fz, frozen));
}

/* Once its processes are gone. */
static void freezer_remove(struct freezer *fz)
{
	int i;

	for (i = 0; i < 50000 && rmdir(fz->dir) < 0 && errno == EBUSY; i++)
		tick();
	if (fz->mounted[0]) {
		umount2(fz->mounted, MNT_DETACH);
		rmdir(fz->mounted);
	}
}

static void freezer_make_or_skip(struct freezer *fz, bool v1)
{
	char why[256];

	if (!freezer_make(fz, v1, why, sizeof(why)))
		harness_skip("%s", why);
}

/* The text of /proc/PID/maps (its first 64 KiB). */
static void maps_text(pid_t pid, char *buf, size_t size)
{
	char dir[32];

	snprintf(dir, sizeof(dir), "/proc/%d", (int)pid);
	assert_true(read_text(dir, "maps", buf, size));
}

/*
 * Asleep in read(2) of the pipe s->value[0] until the parent writes
 * "thawed", with known values in the registers a syscall keeps (x86_64):
 * a read that did not restart, or a register not given back, fails it.
 */
static int frozen_sleeper(void *arg)
{
	struct shared *s = arg;
	char buf[16] = "";
	long got;
	long bad = 0;

	s->ready = 1;
#ifdef __x86_64__
	__asm__ volatile(
		"mov $0x1010101010101010, %%rbx\n\t"
		"mov $0x1212121212121212, %%r12\n\t"
		"mov $0x1313131313131313, %%r13\n\t"
		"mov $0x1414141414141414, %%r14\n\t"
		"mov $0x1515151515151515, %%r15\n\t"
		"syscall\n\t"
		"xor %%ecx, %%ecx\n\t"
		"mov $0x1010101010101010, %%r11\n\t"
		"cmp %%r11, %%rbx\n\tjne 1f\n\t"
		"mov $0x1212121212121212, %%r11\n\t"
		"cmp %%r11, %%r12\n\tjne 1f\n\t"
		"mov $0x1313131313131313, %%r11\n\t"
		"cmp %%r11, %%r13\n\tjne 1f\n\t"
		"mov $0x1414141414141414, %%r11\n\t"
		"cmp %%r11, %%r14\n\tjne 1f\n\t"
		"mov $0x1515151515151515, %%r11\n\t"
		"cmp %%r11, %%r15\n\tjne 1f\n\t"
		"jmp 2f\n"
		"1:\n\tmov $1, %%ecx\n"
		"2:\n"
		: "=a"(got), "=c"(bad)
		: "a"((long)SYS_read), "D"((long)s->value[0]), "S"(buf),
		  "d"(sizeof(buf) - 1)
		: "rbx", "r11", "r12", "r13", "r14", "r15", "memory", "cc");
#else
	got = read((int)s->value[0], buf, sizeof(buf) - 1);
#endif
	if (bad)
		return 3;
	return got == 6 && memcmp(buf, "thawed", 6) == 0 ? 0 : 2;
}

/* The injected advice into a target in a frozen cgroup: iovs ranges of
 * scratch, bounded by alarm(). */
static ssize_t advise_frozen(int pidfd, int ranges, int advice,
			     unsigned int flags)
{
	struct iovec iov[FROZEN_RANGES];
	ssize_t ret;
	int i, saved;

	for (i = 0; i < ranges; i++) {
		iov[i].iov_base = (char *)scratch + (size_t)i * 4096;
		iov[i].iov_len = 4096;
	}
	alarm(FREEZE_ALARM_S);
	ret = xmm_process_madvise(pidfd, iov, (size_t)ranges, advice, flags);
	saved = errno;
	alarm(0);
	errno = saved;
	return ret;
}

/*
 * The sleeping target, frozen: EAGAIN, and nothing of it changed: let
 * go of (TracerPid 0), still frozen, its mappings as they were (no stub
 * left by the batch); thawed, its read restarts and gets the data, its
 * registers intact, and it can be advised again.
 */
/* Start frozen_sleeper (fds: its pipe), asleep, in fz's cgroup. */
static void frozen_sleeper_start(struct target *t, struct shared *s,
				 struct freezer *fz, int fds[2])
{
	assert_int_equal(pipe(fds), 0);
	s->value[0] = fds[0];
	target_start(t, frozen_sleeper, s);
	wait_ready(s);
	assert_int_equal(wait_asleep(t->pid), 'S');
	assert_true(freezer_join(fz, t->pid));
}

static void frozen_sleeper_case(bool v1, int ranges)
{
	static char before[65536], after[65536];
	struct shared *s = shared_new();
	struct freezer fz;
	struct target t;
	int fds[2];

	freezer_make_or_skip(&fz, v1);
	frozen_sleeper_start(&t, s, &fz, fds);
	freezer_set(&fz, true);
	maps_text(t.pid, before, sizeof(before));

	errno = 0;
	assert_int_equal(advise_frozen(t.pidfd, ranges, MADV_COLD, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(untraced(t.pid));
	assert_true(freezer_is(&fz, true));
	maps_text(t.pid, after, sizeof(after));
	assert_string_equal(before, after);

	freezer_set(&fz, false);
	assert_int_equal(advise_frozen(t.pidfd, ranges, MADV_COLD, 0),
			 (ssize_t)ranges * 4096);
	assert_true(untraced(t.pid));
	assert_int_equal(write(fds[1], "thawed", 6), 6);
	assert_int_equal(target_wait(&t), 0);
	freezer_remove(&fz);
	close(fds[0]);
	close(fds[1]);
	munmap(s, sizeof(*s));
}

/*
 * The kept helper after an EAGAIN: one that stopped the frozen target
 * (v2) released it and serves on; one whose target never stopped (v1)
 * still held it seized, and only its exit lets go: a new one serves next.
 */
static void frozen_kept_helper_case(bool v1)
{
	struct shared *s = shared_new();
	struct freezer fz;
	struct target t;
	pid_t helper, after;
	int fds[2];

	need_kept_helper();
	freezer_make_or_skip(&fz, v1);
	frozen_sleeper_start(&t, s, &fz, fds);
	assert_int_equal(advise_frozen(t.pidfd, 1, MADV_COLD, 0), 4096);
	helper = kept_helper();
	assert_true(helper > 0);
	freezer_set(&fz, true);

	errno = 0;
	assert_int_equal(advise_frozen(t.pidfd, 1, MADV_COLD, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(untraced(t.pid));
	after = kept_helper();
	if (v1)
		assert_true(after != helper);
	else
		assert_int_equal(after, helper);

	freezer_set(&fz, false);
	assert_int_equal(advise_frozen(t.pidfd, 1, MADV_COLD, 0), 4096);
	assert_true(kept_helper() > 0);
	if (!v1)
		assert_int_equal(kept_helper(), helper);
	assert_int_equal(write(fds[1], "thawed", 6), 6);
	assert_int_equal(target_wait(&t), 0);
	freezer_remove(&fz);
	close(fds[0]);
	close(fds[1]);
	munmap(s, sizeof(*s));
}

static void test_frozen_target_kept_helper_serves_on(void **state)
{
	(void)state;
	frozen_kept_helper_case(false);
}

static void test_v1_frozen_target_kept_helper_replaced(void **state)
{
	(void)state;
	frozen_kept_helper_case(true);
}

static void test_frozen_sleeping_target_eagain(void **state)
{
	(void)state;
	frozen_sleeper_case(false, 1);
}

static void test_frozen_target_batch_eagain_no_stub_left(void **state)
{
	(void)state;
	frozen_sleeper_case(false, FROZEN_RANGES);
}

static void test_v1_frozen_target_eagain(void **state)
{
	(void)state;
	frozen_sleeper_case(true, 1);
}

/* The spinning target (its registers checked all the time), frozen. */
static void test_frozen_spinning_target_eagain(void **state)
{
#ifdef HAVE_BUSY_REGISTERS_CHILD
	static char before[65536], after[65536];
	struct busy_control *s = mmap(NULL, sizeof(*s), PROT_READ |
				      PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
				      -1, 0);
	struct freezer fz;
	struct target t;
	unsigned long rounds;
	int i;

	(void)state;
	assert_true(s != MAP_FAILED);
	freezer_make_or_skip(&fz, false);
	target_start(&t, busy_registers_child, s);
	for (i = 0; i < 50000 && !s->ready; i++)
		tick();
	assert_true(s->ready);
	assert_true(freezer_join(&fz, t.pid));
	freezer_set(&fz, true);
	maps_text(t.pid, before, sizeof(before));

	errno = 0;
	assert_int_equal(advise_frozen(t.pidfd, 1, MADV_COLD, 0), -1);
	assert_int_equal(errno, EAGAIN);
	assert_true(untraced(t.pid));
	assert_true(freezer_is(&fz, true));
	maps_text(t.pid, after, sizeof(after));
	assert_string_equal(before, after);

	/* Thawed, it spins on with its registers (or exits with 1). */
	rounds = s->rounds;
	freezer_set(&fz, false);
	for (i = 0; i < 50000 && s->rounds < rounds + 2; i++)
		tick();
	assert_true(s->rounds >= rounds + 2);
	s->stop = 1;
	assert_int_equal(target_wait(&t), 0);
	freezer_remove(&fz);
	munmap(s, sizeof(*s));
#else
	(void)state;
	harness_skip("the register loop target is written for x86_64 and "
		     "riscv64");
#endif
}

/*
 * A target frozen half way through a batch: its first call (a
 * MADV_POPULATE_READ) waits in a fault of the target's userfaultfd,
 * which this test holds (pidfd_getfd(2)); the cgroup is frozen during
 * that wait, then the fault is served.  The first call ends; the second
 * never begins: the answer is the first range's bytes (the partial
 * progress of process_madvise(2)), and the target is let go of, frozen,
 * with the first page populated and nothing else changed.
 */
struct mid_batch {
	struct shared *s;
	int pidfd;
	struct iovec iov[2];
	ssize_t ret;
	int err;
};

static int mid_batch_child(void *arg)
{
	struct shared *s = arg;
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg;
	char buf[8];
	int uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC);
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	reg = (struct uffdio_register){
		.range = { (unsigned long)page, 4096 },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	if (uffd < 0 || page == MAP_FAILED ||
	    ioctl(uffd, UFFDIO_API, &api) < 0 ||
	    ioctl(uffd, UFFDIO_REGISTER, &reg) < 0) {
		s->value[3] = errno ? errno : EINVAL;
		s->ready = 1;
		return 3;
	}
	s->value[1] = uffd;
	s->value[2] = (long)page;
	s->ready = 1;
	if (read((int)s->value[0], buf, 6) != 6)
		return 2;
	return page[0] == 0x77 && page[4095] == 0x77 ? 0 : 1;
}

/*
 * Start a mid_batch_child target (fds: its pipe) and take its
 * userfaultfd; skips (the freezer removed) where there is none.
 */
static int fault_target_start(struct target *t, struct shared *s,
			      struct freezer *fz, int fds[2])
{
	int uffd;

	assert_int_equal(pipe(fds), 0);
	s->value[0] = fds[0];
	target_start(t, mid_batch_child, s);
	wait_ready(s);
	if (s->value[3]) {
		target_kill(t);
		freezer_remove(fz);
		harness_skip("no userfaultfd here (errno %ld)", s->value[3]);
	}
	uffd = (int)syscall(SYS_pidfd_getfd, t->pidfd, (int)s->value[1], 0);
	assert_true(uffd >= 0);
	return uffd;
}

/* Answer the target's page fault msg with a page of 0x77. */
static void fault_serve(int uffd, const struct uffd_msg *msg)
{
	static char fill[4096] __attribute__((aligned(4096)));
	struct uffdio_copy copy = {
		.dst = msg->arg.pagefault.address & ~4095ULL,
		.src = (unsigned long)fill,
		.len = 4096,
	};

	memset(fill, 0x77, sizeof(fill));
	assert_int_equal(ioctl(uffd, UFFDIO_COPY, &copy), 0);
}

static void *mid_batch_call(void *arg)
{
	struct mid_batch *mb = arg;

	mb->ret = xmm_process_madvise(mb->pidfd, mb->iov, 2,
				      MADV_POPULATE_READ, XMM_PMADV_INJECT);
	mb->err = errno;
	return NULL;
}

static void test_frozen_half_way_through_batch(void **state)
{
	static char before[65536], after[65536];
	struct mid_batch mb = { .s = shared_new(), .ret = -2 };
	struct pollfd fault = { .events = POLLIN };
	struct uffd_msg msg;
	struct freezer fz;
	struct target t;
	pthread_t caller;
	int fds[2];

	(void)state;
	if (!harness_kernel_at_least(5, 14))
		harness_skip("MADV_POPULATE_READ needs Linux 5.14");
	freezer_make_or_skip(&fz, false);
	fault.fd = fault_target_start(&t, mb.s, &fz, fds);
	assert_int_equal(wait_asleep(t.pid), 'S');
	assert_true(freezer_join(&fz, t.pid));
	maps_text(t.pid, before, sizeof(before));

	mb.pidfd = t.pidfd;
	mb.iov[0].iov_base = (void *)mb.s->value[2];
	mb.iov[0].iov_len = 4096;
	mb.iov[1].iov_base = scratch;
	mb.iov[1].iov_len = 4096;
	alarm(FREEZE_ALARM_S);
	assert_int_equal(pthread_create(&caller, NULL, mid_batch_call, &mb),
			 0);
	/* The first call waits in the fault: freeze, then serve it. */
	assert_int_equal(poll(&fault, 1, 10000), 1);
	assert_int_equal(read(fault.fd, &msg, sizeof(msg)), sizeof(msg));
	assert_int_equal(msg.event, UFFD_EVENT_PAGEFAULT);
	assert_true(write_file(fz.dir, "cgroup.freeze", "1"));
	fault_serve(fault.fd, &msg);
	assert_int_equal(pthread_join(caller, NULL), 0);
	alarm(0);

	assert_int_equal(mb.ret, 4096);
	assert_true(untraced(t.pid));
	assert_true(freezer_is(&fz, true));
	maps_text(t.pid, after, sizeof(after));
	assert_string_equal(before, after);
	freezer_set(&fz, false);
	assert_int_equal(write(fds[1], "thawed", 6), 6);
	assert_int_equal(target_wait(&t), 0);
	freezer_remove(&fz);
	close(fault.fd);
	close(fds[0]);
	close(fds[1]);
	munmap(mb.s, sizeof(*mb.s));
}

/*
 * The other tracers bound the wait too.  A helper made for the call
 * (waits on SIGCHLD): a call while the kept helper is busy gets one, so
 * the kept helper is held in a call whose fault this test serves late
 * (mid_batch_child's userfaultfd), and meanwhile a frozen target is
 * advised.  The kept helper is the same process afterwards: it did not
 * answer EAGAIN (which ends it).
 */
struct busy_call {
	int pidfd;
	void *page;
	ssize_t ret;
};

static void *busy_call_run(void *arg)
{
	struct busy_call *bc = arg;

	bc->ret = inject_madvise(bc->pidfd, bc->page, 4096,
				 MADV_POPULATE_READ, XMM_PMADV_INJECT);
	return NULL;
}

static void test_frozen_target_per_call_helper_eagain(void **state)
{
	static char before[65536], after[65536];
	struct shared *busy_s = shared_new(), *s = shared_new();
	struct pollfd fault = { .events = POLLIN };
	struct busy_call bc = { .ret = -2 };
	struct uffd_msg msg;
	struct target busy, t;
	struct freezer fz;
	pthread_t caller;
	pid_t helper;
	int busy_fds[2], fds[2];

	(void)state;
	if (!harness_kernel_at_least(5, 14))
		harness_skip("MADV_POPULATE_READ needs Linux 5.14");
	need_kept_helper();
	freezer_make_or_skip(&fz, false);
	fault.fd = fault_target_start(&busy, busy_s, &fz, busy_fds);
	frozen_sleeper_start(&t, s, &fz, fds);
	freezer_set(&fz, true);
	maps_text(t.pid, before, sizeof(before));

	/* The kept helper, busy in the fault. */
	bc.pidfd = busy.pidfd;
	bc.page = (void *)busy_s->value[2];
	alarm(FREEZE_ALARM_S);
	assert_int_equal(pthread_create(&caller, NULL, busy_call_run, &bc), 0);
	assert_int_equal(poll(&fault, 1, 10000), 1);
	assert_int_equal(read(fault.fd, &msg, sizeof(msg)), sizeof(msg));
	helper = kept_helper();
	assert_true(helper > 0);

	errno = 0;
	assert_int_equal(advise_frozen(t.pidfd, 1, MADV_COLD, 0), -1);
	assert_int_equal(errno, EAGAIN);
	alarm(FREEZE_ALARM_S);
	assert_true(untraced(t.pid));
	assert_true(freezer_is(&fz, true));
	maps_text(t.pid, after, sizeof(after));
	assert_string_equal(before, after);

	fault_serve(fault.fd, &msg);
	assert_int_equal(pthread_join(caller, NULL), 0);
	alarm(0);
	assert_int_equal(bc.ret, 4096);
	assert_int_equal(kept_helper(), helper);

	freezer_set(&fz, false);
	assert_int_equal(write(fds[1], "thawed", 6), 6);
	assert_int_equal(target_wait(&t), 0);
	assert_int_equal(write(busy_fds[1], "thawed", 6), 6);
	assert_int_equal(target_wait(&busy), 0);
	freezer_remove(&fz);
	close(fault.fd);
	close(fds[0]);
	close(fds[1]);
	close(busy_fds[0]);
	close(busy_fds[1]);
	munmap(s, sizeof(*s));
	munmap(busy_s, sizeof(*busy_s));
}

/*
 * The caller's own thread (no helper, no thread: RLIMIT_NPROC at 1, which
 * binds only a user without privilege).  The caller, nobody, forks the
 * target; this test (root) freezes it; the call answers EAGAIN and has
 * let go of the target when it returns; thawed, the target reads on.
 * s->value: [0] the pipe, [5] the target, [6] frozen, [7] the call's
 * answer (errno, or -1), [8] thawed.
 */
static int own_thread_caller(void *arg)
{
	struct shared *s = arg;
	struct rlimit one = { 1, 1 };
	struct iovec iov = { scratch, 4096 };
	int pidfd, status, i;
	pid_t pid, spare;
	ssize_t ret;

	CHILD_CHECK(harness_drop_privileges_keep_cap_sys_nice() == 0 &&
		    prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) == 0);
	fflush(NULL);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(frozen_sleeper(s));
	}
	pidfd = xmm_pidfd_open(pid, 0);
	CHILD_CHECK(pidfd >= 0);
	s->value[5] = pid;
	for (i = 0; i < 5000 && !s->value[6]; i++)
		nap();
	CHILD_CHECK(s->value[6]);

	CHILD_CHECK(setrlimit(RLIMIT_NPROC, &one) == 0);
	spare = fork();
	if (spare == 0)
		_exit(0);
	CHILD_CHECK(spare < 0 && errno == EAGAIN);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	alarm(FREEZE_ALARM_S);
	ret = xmm_process_madvise(pidfd, &iov, 1, MADV_COLD, 0);
	s->value[7] = ret == -1 ? errno : -1;
	alarm(0);
	/* Synchronous: let go of before the call returned. */
	CHILD_CHECK(s->value[7] == EAGAIN);
	CHILD_CHECK(status_number(pid, "TracerPid") == 0);
	for (i = 0; i < 5000 && !s->value[8]; i++)
		nap();
	CHILD_CHECK(s->value[8]);
	CHILD_CHECK(write((int)s->value[9], "thawed", 6) == 6);
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pidfd);
	return 0;
}

struct own_thread_run {
	struct shared *s;
	int status;
	volatile int done;
};

static void *own_thread_run(void *arg)
{
	struct own_thread_run *run = arg;

	run->status = harness_run_in_child(own_thread_caller, run->s);
	run->done = 1;
	return NULL;
}

static void test_frozen_target_callers_own_thread_eagain(void **state)
{
	struct own_thread_run run = { .s = shared_new(), .status = -1 };
	struct freezer fz;
	pthread_t runner;
	int fds[2], i;

	(void)state;
	freezer_make_or_skip(&fz, false);
	assert_int_equal(pipe(fds), 0);
	run.s->value[0] = fds[0];
	run.s->value[9] = fds[1];
	assert_int_equal(pthread_create(&runner, NULL, own_thread_run, &run),
			 0);
	for (i = 0; i < 50000 && !run.s->value[5]; i++)
		tick();
	assert_true(run.s->value[5] > 0);
	assert_int_equal(wait_asleep((pid_t)run.s->value[5]), 'S');
	assert_true(freezer_join(&fz, (pid_t)run.s->value[5]));
	freezer_set(&fz, true);
	run.s->value[6] = 1;
	/* Until it answers, or dies (of its alarm, where the call hangs). */
	for (i = 0; i < 600000 && !run.s->value[7] && !run.done; i++)
		tick();
	assert_int_equal(run.s->value[7], EAGAIN);
	assert_true(freezer_is(&fz, true));
	freezer_set(&fz, false);
	run.s->value[8] = 1;
	assert_int_equal(pthread_join(runner, NULL), 0);
	assert_int_equal(run.status, 0);
	freezer_remove(&fz);
	close(fds[0]);
	close(fds[1]);
	munmap(run.s, sizeof(*run.s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_seccomp_errno_reported_target_alive),
		cmocka_unit_test(test_seccomp_kill_refused_target_alive),
		cmocka_unit_test(test_seccomp_trap_refused_no_sigsys),
		cmocka_unit_test(test_unchecked_honours_readable_filter),
		cmocka_unit_test(test_call_longer_than_timeouts_completes),
		cmocka_unit_test(test_caller_oom_killed_during_call_target_lives),
		cmocka_unit_test(test_userfaultfd_fork_events_caller_answered),
		cmocka_unit_test(test_seccomp_by_instruction_pointer),
		cmocka_unit_test(
			test_strict_target_without_cap_sys_admin_eperm),
		cmocka_unit_test(test_signal_handler_filtered_during_injection),
		cmocka_unit_test(test_other_uid_eperm),
		cmocka_unit_test(test_nondumpable_target_eperm),
		cmocka_unit_test(test_kept_helper_follows_credentials),
		cmocka_unit_test(test_kept_pidfd_never_names_a_reused_pid),
		cmocka_unit_test(test_kept_helper_unseen_by_pid_namespace_init),
		cmocka_unit_test(
			test_ptrace_capable_caller_without_dac_override),
		cmocka_unit_test(test_frozen_sleeping_target_eagain),
		cmocka_unit_test(test_frozen_spinning_target_eagain),
		cmocka_unit_test(test_frozen_target_batch_eagain_no_stub_left),
		cmocka_unit_test(test_v1_frozen_target_eagain),
		cmocka_unit_test(test_frozen_half_way_through_batch),
		cmocka_unit_test(test_frozen_target_per_call_helper_eagain),
		cmocka_unit_test(test_frozen_target_kept_helper_serves_on),
		cmocka_unit_test(test_v1_frozen_target_kept_helper_replaced),
		cmocka_unit_test(test_frozen_target_callers_own_thread_eagain),
	};
	const char *why;

	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_SECCOMP |
			 HARNESS_NEEDS_PIDFD_CHILD);
	if (!harness_injection_available(&why))
		harness_skip_all("the library has no injection backend here "
				 "(%s)", why);
	return cmocka_run_group_tests(tests, setup, inject_teardown);
}
