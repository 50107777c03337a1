// SPDX-License-Identifier: LGPL-2.1-or-later
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <grp.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <inttypes.h>
#include <limits.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/sched.h>

#if __has_include(<valgrind/valgrind.h>)
#include <valgrind/valgrind.h>
#else
#define RUNNING_ON_VALGRIND	0
#endif

#include <xmm/xmm.h>

#include "harness.h"

size_t harness_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

bool harness_under_valgrind(void)
{
	const char *preload = getenv("LD_PRELOAD");

	/* The client request; the preload for a build without valgrind.h. */
	return RUNNING_ON_VALGRIND ||
	       (preload && strstr(preload, "vgpreload_memcheck"));
}

/* The "Pid:" of a descriptor's fdinfo: a pidfd's process; -1 if none. */
static long fdinfo_pid(int fd)
{
	char path[64], info[1024], *line;
	ssize_t n;
	int info_fd;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	info_fd = open(path, O_RDONLY | O_CLOEXEC);
	if (info_fd < 0)
		return -1;
	n = read(info_fd, info, sizeof(info) - 1);
	close(info_fd);
	if (n <= 0)
		return -1;
	info[n] = '\0';
	line = strstr(info, "\nPid:");
	return line ? strtol(line + 5, NULL, 10) : -1;
}

int harness_pidfd_self(void)
{
	const char *inherited = getenv("HARNESS_PIDFD_SELF");
	int pidfd;

	/* tests/valgrind-wrap.sh opened it before exec'ing valgrind. */
	if (harness_under_valgrind() && inherited &&
	    fdinfo_pid(atoi(inherited)) == (long)getpid()) {
		pidfd = fcntl(atoi(inherited), F_DUPFD_CLOEXEC, 3);
		if (pidfd < 0)
			fail_msg("dup of the inherited pidfd: %s",
				 strerror(errno));
		return pidfd;
	}
	if (harness_under_valgrind())
		harness_skip("needs a pidfd of the test process itself, which "
			     "only pidfd_open(2) gives; valgrind 3.19 answers "
			     "ENOSYS to it (run it by tests/valgrind-wrap.sh)");
	pidfd = xmm_pidfd_open(getpid(), 0);
	if (pidfd < 0)
		fail_msg("pidfd_open(getpid()): %s", strerror(errno));
	return pidfd;
}

/* The helper's half: send fd (and pid, as data) over sock. */
static int send_pidfd(int sock, pid_t pid, int fd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	struct iovec data = { &pid, sizeof(pid) };
	struct msghdr msg = {
		.msg_iov = &data,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);

	cmsg->cmsg_level = SOL_SOCKET;
	cmsg->cmsg_type = SCM_RIGHTS;
	cmsg->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
	return sendmsg(sock, &msg, 0) == sizeof(pid) ? 0 : -1;
}

/* The parent's half: the child's pid, or -errno the helper sent. */
static pid_t receive_pidfd(int sock, int *pidfd)
{
	char control[CMSG_SPACE(sizeof(int))] = { 0 };
	pid_t pid = -ECHILD;
	struct iovec data = { &pid, sizeof(pid) };
	struct msghdr msg = {
		.msg_iov = &data,
		.msg_iovlen = 1,
		.msg_control = control,
		.msg_controllen = sizeof(control),
	};
	struct cmsghdr *cmsg;

	if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != sizeof(pid))
		return -ECHILD;
	cmsg = CMSG_FIRSTHDR(&msg);
	if (pid > 0 && (!cmsg || cmsg->cmsg_type != SCM_RIGHTS))
		return -ECHILD;
	if (pid > 0)
		memcpy(pidfd, CMSG_DATA(cmsg), sizeof(int));
	return pid;
}

pid_t harness_fork_pidfd(int *pidfd)
{
	int sock[2], status;
	pid_t helper, pid;

	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sock) < 0)
		return -errno;
	fflush(NULL);
	helper = fork();
	if (helper < 0) {
		pid = -errno;
		close(sock[0]);
		close(sock[1]);
		return pid;
	}
	if (helper == 0) {
		int fd = -1;

		close(sock[0]);
		/* The parent_tid argument takes the pidfd on every ABI. */
		pid = (pid_t)syscall(SYS_clone, CLONE_PIDFD | CLONE_PARENT,
				     0, &fd, 0, 0);
		if (pid == 0) {
			close(sock[1]);
			return 0;	/* the child, as after fork() */
		}
		if (pid < 0)
			pid = errno == EINVAL ? -ENOSYS : -errno;
		_exit(send_pidfd(sock[1], pid, fd) == 0 ? 0 : 1);
	}
	close(sock[1]);
	pid = receive_pidfd(sock[0], pidfd);
	close(sock[0]);
	if (waitpid(helper, &status, 0) != helper || status != 0) {
		if (pid > 0) {
			kill(pid, SIGKILL);
			waitpid(pid, NULL, 0);
			close(*pidfd);
		}
		return pid < 0 ? pid : -ECHILD;
	}
	return pid;
}

int harness_raise(int sig)
{
	if (syscall(SYS_tgkill, getpid(), (pid_t)syscall(SYS_gettid), sig) < 0)
		return -errno;
	return 0;
}

int harness_child_start(struct harness_child *child,
			void (*setup)(void *arg), void *arg)
{
	int ready[2];
	char byte;

	if (pipe2(ready, O_CLOEXEC) < 0)
		return -errno;
	child->pid = harness_fork_pidfd(&child->pidfd);
	if (child->pid < 0) {
		int err = child->pid;

		close(ready[0]);
		close(ready[1]);
		child->pidfd = -1;
		return err;
	}
	if (child->pid == 0) {
		close(ready[0]);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (setup)
			setup(arg);
		if (write(ready[1], "r", 1) != 1)
			_exit(1);
		for (;;)
			pause();
	}
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1) {
		int status = 0;

		close(ready[0]);
		close(child->pidfd);
		child->pidfd = -1;
		waitpid(child->pid, &status, 0);
		/* The setup found that it cannot run here: skip, not fail. */
		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == HARNESS_EXIT_SKIP)
			return -EOPNOTSUPP;
		return -ECHILD;
	}
	close(ready[0]);
	return 0;
}

void harness_setup_dumpable(void *arg)
{
	(void)arg;
	if (prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0)
		_exit(1);
}

void harness_setup_locked_lowest(void *arg)
{
	size_t rest_len = *(const size_t *)arg;
	char *low, *rest;

	low = mmap(HARNESS_LOCKED_ADDR, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (low != HARNESS_LOCKED_ADDR)
		_exit(HARNESS_EXIT_SKIP);	/* the address is taken */
	/* The raw syscall: ASan's mlock() locks nothing. */
	if (syscall(SYS_mlock, low, 4096) < 0)
		_exit(HARNESS_EXIT_SKIP);	/* RLIMIT_MEMLOCK */
	rest = mmap(NULL, rest_len, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (rest == MAP_FAILED)
		_exit(1);
	memset(rest, 1, rest_len);
}

void harness_child_or_skip_because(struct harness_child *child,
				   void (*setup)(void *arg), void *arg,
				   const char *why)
{
	int ret = harness_child_start(child, setup, arg);

	if (ret == -EOPNOTSUPP)
		harness_skip("%s", why);
	if (ret == -ENOSYS)
		harness_skip("clone(2) has no CLONE_PIDFD here (Linux 5.2)");
	assert_int_equal(ret, 0);
}

void harness_child_or_skip(struct harness_child *child,
			   void (*setup)(void *arg), void *arg)
{
	int ret = harness_child_start(child, setup, arg);

	if (ret == -ENOSYS)
		harness_skip("clone(2) has no CLONE_PIDFD here (Linux 5.2)");
	if (ret == -EOPNOTSUPP)
		harness_skip("vfork() does not block its caller here "
			     "(valgrind turns it into fork())");
	assert_int_equal(ret, 0);
}

void harness_child_stop(struct harness_child *child)
{
	if (child->pid > 0) {
		kill(child->pid, SIGKILL);
		waitpid(child->pid, NULL, 0);
	}
	if (child->pidfd >= 0)
		close(child->pidfd);
	child->pid = -1;
	child->pidfd = -1;
}

/*
 * Set by the vfork child: its parent thread is now blocked in vfork().
 * Set by the parent thread when vfork() returns: under valgrind, at once,
 * because valgrind turns vfork() into fork().
 */
static volatile int in_vfork, vfork_returned;

/*
 * Raw syscalls only: the vfork child runs on its parent's stack.  It
 * pauses until the child dies, or sleeps *arg and exits.
 */
static void *vfork_and_wait(void *arg)
{
	const struct timespec *sleep_for = arg;

	if (vfork() == 0) {
		syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		in_vfork = 1;
		if (sleep_for) {
			syscall(SYS_nanosleep, sleep_for, NULL);
			syscall(SYS_exit, 0);
		}
		/* ppoll on nothing, without a timeout: pause(2) for
		 * the architectures that have no pause syscall. */
		for (;;)
			syscall(SYS_ppoll, NULL, 0, NULL, NULL, 0);
	}
	vfork_returned = 1;
	return NULL;
}

/* The same, until a byte (or EOF) arrives on the descriptor *arg. */
static void *vfork_until_released(void *arg)
{
	long release_fd = *(const int *)arg;
	char byte;

	if (vfork() == 0) {
		syscall(SYS_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		in_vfork = 1;
		syscall(SYS_read, release_fd, &byte, 1);
		syscall(SYS_exit, 0);
	}
	vfork_returned = 1;
	return NULL;
}

static void start_vfork_thread(void *(*fn)(void *), void *arg)
{
	struct timespec tick = { 0, 1000000 };
	pthread_t thread;

	if (pthread_create(&thread, NULL, fn, arg) != 0)
		_exit(1);
	/* One of the two happens: no bound needed (the test's timeout). */
	while (!in_vfork && !vfork_returned)
		nanosleep(&tick, NULL);
	/* No vfork() that blocks here. */
	if (!in_vfork)
		_exit(HARNESS_EXIT_SKIP);
}

void harness_start_vfork_thread(void *arg)
{
	start_vfork_thread(vfork_and_wait, arg);
}

void harness_start_vfork_thread_held(void *arg)
{
	start_vfork_thread(vfork_until_released, arg);
}

char harness_proc_state(pid_t pid)
{
	char path[64], buf[512], *paren;
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return '?';
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return '?';
	buf[n] = '\0';
	paren = strrchr(buf, ')');
	return paren && paren[1] == ' ' ? paren[2] : '?';
}

int harness_run_in_child(int (*fn)(void *arg), void *arg)
{
	pid_t pid;
	int status;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int code;

		/* cmocka's crash handlers would rerun the suite here. */
		signal(SIGSEGV, SIG_DFL);
		signal(SIGBUS, SIG_DFL);
		signal(SIGILL, SIG_DFL);
		signal(SIGFPE, SIG_DFL);
		code = fn(arg);

		fflush(NULL);
		_exit(code);
	}
	if (waitpid(pid, &status, 0) < 0)
		return -errno;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

#if defined(__x86_64__)
#define HARNESS_AUDIT_ARCH	AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define HARNESS_AUDIT_ARCH	AUDIT_ARCH_AARCH64
#elif defined(__riscv) && __riscv_xlen == 64
#define HARNESS_AUDIT_ARCH	AUDIT_ARCH_RISCV64
#elif defined(__i386__)
#define HARNESS_AUDIT_ARCH	AUDIT_ARCH_I386
#endif

/* Syscall nr gets action (SECCOMP_RET_*) in the calling process. */
static int seccomp_action(long nr, unsigned int action)
{
#ifdef HARNESS_AUDIT_ARCH
	struct sock_filter filter[] = {
		/* Another ABI (x86 int 0x80, say): leave it alone. */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, HARNESS_AUDIT_ARCH, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned int)nr, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = {
		.len = sizeof(filter) / sizeof(filter[0]),
		.filter = filter,
	};

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
		return -errno;
	return 0;
#else
	return -ENOTSUP;
#endif
}

int harness_seccomp_errno(long nr, int err)
{
	return seccomp_action(nr, SECCOMP_RET_ERRNO |
				  ((unsigned int)err & 0xfff));
}

int harness_seccomp_kill(long nr)
{
	return seccomp_action(nr, SECCOMP_RET_KILL_PROCESS);
}

int harness_seccomp_enosys(long nr)
{
	return harness_seccomp_errno(nr, ENOSYS);
}

int harness_drop_privileges(void)
{
	if (setgroups(0, NULL) < 0 || setgid(65534) < 0 || setuid(65534) < 0)
		return -errno;
	return 0;
}

/*
 * Become uid/gid 65534 keeping CAP_SYS_NICE alone: what process_madvise(2)
 * asks of a caller advising another process (Linux 5.12), and so what every
 * backend of xmm_process_madvise asks (Android's memory managers hold it).
 */
int harness_drop_privileges_keep_cap_sys_nice(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };
	int ret;

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return -errno;
	ret = harness_drop_privileges();
	if (ret < 0)
		return ret;
	data[0].effective = data[0].permitted = 1U << CAP_SYS_NICE;
	if (syscall(SYS_capset, &header, data) < 0)
		return -errno;
	return 0;
}

bool harness_has_cap_sys_nice(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2] = { { 0 } };

	if (syscall(SYS_capget, &header, data) < 0)
		return false;
	return data[0].effective & (1U << CAP_SYS_NICE);
}

bool harness_is_root(void)
{
	return geteuid() == 0;
}

bool harness_kernel_at_least(int major, int minor)
{
	struct utsname u;
	int have_major = 0, have_minor = 0;

	if (uname(&u) < 0 ||
	    sscanf(u.release, "%d.%d", &have_major, &have_minor) != 2)
		return false;
	return have_major > major ||
	       (have_major == major && have_minor >= minor);
}

/*
 * From now on, every new mapping or heap growth fails with ENOMEM: the
 * address space is capped at its current size, and malloc() made to ask
 * the kernel for anything it does not already hold.  Only in a child.
 */
int harness_limit_address_space(void)
{
	char status[4096], *vm_size;
	void *probe;
	struct rlimit limit;
	ssize_t n;
	int fd;

#if defined(__SANITIZE_ADDRESS__)
	return HARNESS_NO_LIMIT;	/* its allocator aborts, not fails */
#endif
	if (harness_under_valgrind())
		return HARNESS_NO_LIMIT;	/* the limit kills valgrind */
/* glibc's malloc; musl's has no knobs (the probe decides). */
#ifdef M_TOP_PAD
	mallopt(M_MMAP_THRESHOLD, 0);
	mallopt(M_TOP_PAD, 0);
	malloc_trim(0);
#endif
	/* VmSize without allocating: no stdio. */
	fd = open("/proc/self/status", O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, status, sizeof(status) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	status[n] = '\0';
	vm_size = strstr(status, "VmSize:");
	if (!vm_size)
		return -1;
	limit.rlim_cur = limit.rlim_max = strtoul(vm_size + 7, NULL, 10) << 10;
	if (setrlimit(RLIMIT_AS, &limit) < 0)
		return -1;
	/* Another allocator (ASan's, valgrind's) ignores all this. */
	probe = malloc(1 << 20);
	if (probe) {
		free(probe);
		return HARNESS_NO_LIMIT;
	}
	return 0;
}

void harness_fill_random(void *buf, size_t len, unsigned int seed)
{
	uint64_t state = seed * 0x9e3779b97f4a7c15ULL + 1;
	unsigned char *p = buf;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		state ^= state << 13;
		state ^= state >> 7;
		state ^= state << 17;
		memcpy(p + i, &state, 8);
	}
	for (; i < len; i++)
		p[i] = (unsigned char)(state >> (i % 8));
}

unsigned long long harness_checksum(const void *buf, size_t len)
{
	const unsigned char *p = buf;
	uint64_t hash = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i + 8 <= len; i += 8) {
		uint64_t word;

		memcpy(&word, p + i, 8);
		hash = (hash ^ word) * 0x100000001b3ULL;
	}
	for (; i < len; i++)
		hash = (hash ^ p[i]) * 0x100000001b3ULL;
	return hash;
}

long harness_resident_pages(void *addr, size_t len)
{
	size_t page = harness_page_size();
	size_t n = (len + page - 1) / page, i;
	unsigned char *vec = malloc(n);
	long resident = 0;

	if (!vec)
		return -ENOMEM;
	if (mincore(addr, len, vec) < 0) {
		resident = -errno;
	} else {
		for (i = 0; i < n; i++)
			resident += vec[i] & 1;
	}
	free(vec);
	return resident;
}

/*
 * Run probe() in a child; its exit status (an errno), ETIMEDOUT if it did
 * not end within 10 s (a blocked clone under qemu-i386), or -1 if it died.
 */
static int probe_in_child(int (*probe)(void))
{
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		alarm(10);
		_exit(probe());
	}
	if (waitpid(pid, &status, 0) != pid)
		return -1;
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
		return ETIMEDOUT;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int probe_ptrace(void)
{
	return ptrace(PTRACE_TRACEME, 0, NULL, NULL) == 0 ? 0 : errno;
}

static int probe_seccomp(void)
{
	struct sock_filter allow = BPF_STMT(BPF_RET | BPF_K,
					    SECCOMP_RET_ALLOW);
	struct sock_fprog prog = { .len = 1, .filter = &allow };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return errno;
	if (prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) < 0)
		return errno;
	return 0;
}

static int probe_process_vm_readv(void)
{
	char from = 'x', to = 0;
	struct iovec local = { &to, 1 }, remote = { &from, 1 };

	if (process_vm_readv(getpid(), &local, 1, &remote, 1, 0) != 1)
		return errno ? errno : EIO;
	return to == 'x' ? 0 : EIO;
}

/*
 * The library reads maps as openat(open("/proc/self"), "maps"): qemu-user
 * emulates only the path /proc/self/maps, so that shows it qemu's own
 * host mappings (for i386, its reservation of the guest's 4 GiB).  A
 * read-only page between two writable ones must be a line of its own.
 */
static int probe_proc_self_maps(void)
{
	size_t page = harness_page_size();
	char *area = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uintptr_t mid = (uintptr_t)area + page;
	int dirfd, fd, err = ENODATA;
	char line[512];
	FILE *maps;

	if (area == MAP_FAILED || mprotect(area + page, page, PROT_READ))
		return errno;
	dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno;
	fd = openat(dirfd, "maps", O_RDONLY | O_CLOEXEC);
	close(dirfd);
	if (fd < 0)
		return errno;
	maps = fdopen(fd, "r");
	if (!maps)
		return errno;
	while (fgets(line, sizeof(line), maps)) {
		uintptr_t start, end;
		char perms[5];

		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s", &start,
			   &end, perms) == 3 && start == mid &&
		    end == mid + page && !strcmp(perms, "r--p"))
			err = 0;
	}
	fclose(maps);
	munmap(area, 3 * page);
	return err;
}

/*
 * The library reads /proc/self/pagemap through a /proc/self descriptor as
 * well, and qemu-user passes the host's file through: its entries are in
 * the host's byte order, wrong for a big-endian target (s390x).  Eight
 * written pages must read present and not swapped, and a mapped page
 * never touched not present.
 */
static int probe_pagemap(void)
{
	enum { WRITTEN = 8 };
	size_t page = harness_page_size();
	char *area = mmap(NULL, (WRITTEN + 1) * page, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t entries[WRITTEN + 1];
	int dirfd, fd, err = 0, i;
	ssize_t got;

	if (area == MAP_FAILED)
		return errno;
	for (i = 0; i < WRITTEN; i++)
		area[i * page] = 1;
	dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dirfd < 0)
		return errno;
	fd = openat(dirfd, "pagemap", O_RDONLY | O_CLOEXEC);
	close(dirfd);
	if (fd < 0)
		return errno;
	got = pread(fd, entries, sizeof(entries),
		    (off_t)((uintptr_t)area / page * sizeof(entries[0])));
	if (got != (ssize_t)sizeof(entries))
		err = got < 0 ? errno : EIO;
	close(fd);
	for (i = 0; !err && i <= WRITTEN; i++) {
		bool present = entries[i] >> 63 & 1;
		bool swapped = entries[i] >> 62 & 1;

		if (present != (i < WRITTEN) || swapped)
			err = EBADMSG;
	}
	munmap(area, (WRITTEN + 1) * page);
	return err;
}

static int probe_pidfd_child(void)
{
	int pidfd = -1, status;
	pid_t pid = harness_fork_pidfd(&pidfd);

	if (pid == 0)
		_exit(0);
	if (pid < 0)
		return -pid;
	if (waitpid(pid, &status, 0) != pid)
		return errno;
	close(pidfd);
	return 0;
}

#define HARNESS_EXEC_PROBE_ENV	"XMM_HARNESS_EXEC_PROBE"

static int probe_exec(void)
{
	char *argv[] = { program_invocation_name, NULL };
	char *envp[] = { HARNESS_EXEC_PROBE_ENV "=1", NULL };

	execve(program_invocation_name, argv, envp);
	return errno;
}

/* The ELF identification and machine of an executable: 20 bytes. */
static int read_elf_machine(const char *path, unsigned char head[20])
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return errno;
	n = read(fd, head, 20);
	close(fd);
	return n == 20 ? 0 : EIO;
}

/*
 * 0 if a child's /proc/PID/exe is of our own ELF class and machine (under
 * qemu-user it is qemu, a program of the host).
 */
static int probe_proc_exe(void)
{
	unsigned char mine[20], its[20];
	char path[64];
	pid_t pid;
	int ret;

	ret = read_elf_machine("/proc/self/exe", mine);
	if (ret)
		return ret;
	pid = fork();
	if (pid == 0) {
		pause();
		_exit(0);
	}
	if (pid < 0)
		return errno;
	snprintf(path, sizeof(path), "/proc/%d/exe", (int)pid);
	ret = read_elf_machine(path, its);
	/* e_ident (class, byte order, ABI) and e_machine; not e_type. */
	if (!ret && (memcmp(mine, its, 16) || memcmp(mine + 18, its + 18, 2)))
		ret = EXDEV;
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	return ret;
}

/* A probe with no lasting effect runs in this process (.here): a fork
 * would change the library's choices (the remap default after a fork). */
static const struct {
	unsigned int need;
	int (*probe)(void);
	const char *what;
	bool here;
} harness_probes[] = {
	{ HARNESS_NEEDS_PTRACE, probe_ptrace, "ptrace(PTRACE_TRACEME)" },
	{ HARNESS_NEEDS_SECCOMP, probe_seccomp,
	  "installing a seccomp filter" },
	{ HARNESS_NEEDS_PROCESS_VM_READV, probe_process_vm_readv,
	  "process_vm_readv(2) on itself" },
	{ HARNESS_NEEDS_PIDFD_CHILD, probe_pidfd_child,
	  "clone(CLONE_PIDFD | CLONE_PARENT) from a helper" },
	{ HARNESS_NEEDS_EXEC, probe_exec,
	  "execve(2) of a program of this architecture" },
	{ HARNESS_NEEDS_PROC_EXE, probe_proc_exe,
	  "a child's /proc/PID/exe of this program's ELF machine" },
	{ HARNESS_NEEDS_PROC_SELF_MAPS, probe_proc_self_maps,
	  "its own mappings in maps opened from a /proc/self descriptor",
	  true },
	{ HARNESS_NEEDS_PAGEMAP, probe_pagemap,
	  "its pages' present bits in pagemap, in this ABI's byte order",
	  true },
};

/*
 * Probe each of needs (each probe once per process) and print a line
 * "SKIP: ..." for every one that fails.  True if all of them are there.
 */
static bool have_needs(unsigned int needs, const char *who)
{
	/* Each probe's answer (0, an errno, -1 if it died) once probed. */
	static int answers[sizeof(harness_probes) / sizeof(harness_probes[0])];
	static bool probed[sizeof(harness_probes) / sizeof(harness_probes[0])];
	bool all = true;
	size_t i;

	for (i = 0; i < sizeof(harness_probes) / sizeof(harness_probes[0]);
	     i++) {
		int err;

		if (!(needs & harness_probes[i].need))
			continue;
		if (!probed[i]) {
			answers[i] = harness_probes[i].here ?
				     harness_probes[i].probe() :
				     probe_in_child(harness_probes[i].probe);
			probed[i] = true;
		}
		err = answers[i];
		if (err == 0)
			continue;
		printf("SKIP: %s needs %s, which fails here: %s\n", who,
		       harness_probes[i].what,
		       err > 0 ? strerror(err) : "child died");
		all = false;
	}
	fflush(stdout);
	return all;
}

void harness_require(unsigned int needs)
{
	if (getenv(HARNESS_EXEC_PROBE_ENV))
		_exit(0);
	if (!have_needs(needs, "this program"))
		exit(HARNESS_EXIT_SKIP);
}

void harness_need(unsigned int needs)
{
	if (!have_needs(needs, "this test"))
		skip();
}

bool harness_injection_available(const char **detail)
{
	struct xmm_backend_info info;
	unsigned int i;

	for (i = 0; xmm_backend_info(i, &info) == 0; i++) {
		if (strcmp(info.operation, "process_madvise") ||
		    strcmp(info.backend, "inject"))
			continue;
		*detail = info.detail ? info.detail : "unavailable";
		return info.available;
	}
	*detail = "xmm_backend_info() lists no inject backend";
	return false;
}
