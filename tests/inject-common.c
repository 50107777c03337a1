// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the injection tests share (inject.c: what needs only same-uid
 * ptrace; inject-root.c: what needs root): children, shared memory,
 * /proc/PID/status, the forced backend.
 */
#include "inject-common.h"

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/filter.h>
#include <linux/kcmp.h>
#include <linux/seccomp.h>


void target_start(struct target *t, int (*fn)(void *), void *arg)
{
	t->pid = harness_fork_pidfd(&t->pidfd);
	assert_true(t->pid >= 0);
	if (t->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(fn(arg));
	}
}

/* Its exit code, or 128 + signal. */
int target_wait(struct target *t)
{
	int status;

	assert_int_equal(waitpid(t->pid, &status, 0), t->pid);
	close(t->pidfd);
	t->pid = -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) :
				   128 + WTERMSIG(status);
}

void target_kill(struct target *t)
{
	kill(t->pid, SIGKILL);
	target_wait(t);
}

int pause_child(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return 0;
}

/* The parent's bounded waits for a child's state: 100 us a tick. */
void tick(void)
{
	struct timespec t = { 0, 100000 };

	nanosleep(&t, NULL);
}

/* A child's wait for the parent's word: polls, so no wake-up is lost. */
void nap(void)
{
	struct timespec tick = { 0, 2000000 };

	nanosleep(&tick, NULL);
}


struct shared *shared_new(void)
{
	struct shared *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE,
				MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	assert_true(s != MAP_FAILED);
	return s;
}

void wait_ready(struct shared *s)
{
	struct timespec tick = { 0, 1000000 };
	int i;

	for (i = 0; i < 10000 && !s->ready; i++)
		nanosleep(&tick, NULL);
	assert_true(s->ready);
}

/* One injected madvise of one range; the backend is forced. */
ssize_t inject_madvise(int pidfd, void *addr, size_t len, int advice,
			      unsigned int flags)
{
	struct iovec iov = { addr, len };

	return xmm_process_madvise(pidfd, &iov, 1, advice, flags);
}

/* A private page of the caller (and so of a forked child), for advice. */
void *scratch;

int inject_setup(bool need_root)
{
	int pidfd;
	pid_t pid;

	harness_skip_all_under_valgrind(HARNESS_VALGRIND_NO_INJECT);
	pid = harness_fork_pidfd(&pidfd);
	if (pid == 0)
		_exit(0);
	if (pid < 0)
		harness_skip_all("no clone(CLONE_PIDFD) (Linux 5.2)");
	waitpid(pid, NULL, 0);
	close(pidfd);
	if (!harness_has_cap_sys_nice())
		harness_skip_all("the caller lacks CAP_SYS_NICE, which "
				 "process_madvise(2) and so every backend "
				 "asks for another process");
	if (need_root && !harness_is_root())
		harness_skip_all("these injection tests need root (another "
				 "uid, reading a target's seccomp filters); "
				 "the rest are in the inject test");
	scratch = mmap(NULL, MiB, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED)
		return -1;
	memset(scratch, 0x5a, MiB);
	return xmm_backend_force("process_madvise", "inject");
}

int inject_teardown(void **state)
{
	(void)state;
	munmap(scratch, MiB);
	return xmm_backend_force("process_madvise", NULL);
}

/* /proc/PID/status field, as a string. */
void status_field(pid_t pid, const char *name, char *out, size_t size)
{
	char path[64], line[256];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	out[0] = '\0';
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, name, strlen(name)) == 0 &&
		    line[strlen(name)] == ':') {
			snprintf(out, size, "%s", line + strlen(name) + 1);
			break;
		}
	}
	fclose(f);
}

long status_number(pid_t pid, const char *name)
{
	char field[64];

	status_field(pid, name, field, sizeof(field));
	return atol(field);
}

char proc_state(pid_t pid)
{
	char state[64];

	status_field(pid, "State", state, sizeof(state));
	return state[strspn(state, " \t")];
}

char wait_asleep(pid_t pid)
{
	int i;

	for (i = 0; i < 50000 && proc_state(pid) != 'S'; i++)
		tick();
	return proc_state(pid);
}

/* Wait (bounded) until no tracer is attached to pid any more. */
bool untraced(pid_t pid)
{
	struct timespec tick = { 0, 200000 };
	char tracer[64];
	int i;

	for (i = 0; i < 25000; i++) {
		status_field(pid, "TracerPid", tracer, sizeof(tracer));
		if (atoi(tracer) == 0)
			return true;
		nanosleep(&tick, NULL);
	}
	return false;
}
int install_madvise_filter(unsigned int action)
{
	struct sock_filter filter[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
			 offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_madvise, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, action),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { 4, filter };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -1;
	return (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog);
}

/*
 * Strict mode allows read, write, _exit and sigreturn, and kills on any
 * other call: raw calls only from here (no libc wrapper, no sanitizer's
 * interceptor around them).  'q' on the pipe ends it with 0.
 */
int strict_child(void *arg)
{
	struct shared *s = arg;
	int fd = (int)s->value[0];
	char c = 0;

	if (syscall(SYS_prctl, PR_SET_SECCOMP, SECCOMP_MODE_STRICT, 0, 0,
		    0) < 0)
		return 1;
	s->ready = 1;
	while (syscall(SYS_read, fd, &c, 1) == 1 && c != 'q')
		;
	syscall(SYS_exit, c == 'q' ? 0 : 2);
	return 3;
}

/* ---- A caller under seccomp ---- */

#define SANDBOX_RANGES	64

/* In the target: the inherited filter, perhaps one of its own on top. */
static int sandboxed_target(struct sandbox_case *sc)
{
	if (sc->target_kills_madvise &&
	    install_madvise_filter(SECCOMP_RET_KILL_PROCESS) < 0)
		return 1;
	sc->s->ready = 1;
	while (!sc->s->stop)
		nap();
	return 0;
}

int sandboxed_caller(void *arg)
{
	struct sandbox_case *sc = arg;
	struct iovec one = { scratch, MiB }, many[SANDBOX_RANGES];
	const char *last;
	pid_t pid;
	int pidfd, status, i;

	for (i = 0; i < SANDBOX_RANGES; i++) {
		many[i].iov_base = (char *)scratch + (size_t)i * 4096;
		many[i].iov_len = 4096;
	}
	CHILD_CHECK(sc->sandbox() == 0);
	CHILD_CHECK(xmm_backend_force("process_madvise", NULL) == 0);
	fflush(NULL);
	pid = fork();
	CHILD_CHECK(pid >= 0);
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(sandboxed_target(sc));
	}
	pidfd = xmm_pidfd_open(pid, 0);
	CHILD_CHECK(pidfd >= 0);
	for (i = 0; i < 5000 && !sc->s->ready; i++)
		nap();
	CHILD_CHECK(sc->s->ready);

	errno = 0;
	CHILD_CHECK(xmm_process_madvise(pidfd, &one, 1, MADV_COLD, 0) == -1);
	CHILD_CHECK(errno == EPERM);
	CHILD_CHECK(untraced(pid));
	if (!sc->target_kills_madvise) {
		CHILD_CHECK(xmm_process_madvise(pidfd, &one, 1, MADV_COLD,
				XMM_PMADV_INJECT_UNCHECKED) == (ssize_t)MiB);
		last = xmm_backend_last("process_madvise");
		CHILD_CHECK(last && strcmp(last, "inject") == 0);
		/* A batch through the stub: its mmap/munmap vouched for. */
		CHILD_CHECK(xmm_process_madvise(pidfd, many, SANDBOX_RANGES,
				MADV_COLD, XMM_PMADV_INJECT_UNCHECKED) ==
			    SANDBOX_RANGES * 4096);
		/* With XMM_PMADV_INJECT: advice the kernel refuses. */
		CHILD_CHECK(xmm_process_madvise(pidfd, &one, 1, MADV_DONTNEED,
				XMM_PMADV_INJECT |
				XMM_PMADV_INJECT_UNCHECKED) == (ssize_t)MiB);
		CHILD_CHECK(untraced(pid));
	}
	/* The target lives, and leaves by its own exit. */
	sc->s->stop = 1;
	CHILD_CHECK(waitpid(pid, &status, 0) == pid);
	CHILD_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(pidfd);
	return 0;
}

/*
 * Does this libc put a thread's TLS on a stack the program gives it?  The
 * kept helper runs on such a thread's TLS (src/inject_server.c); where the
 * libc maps TLS apart (musl, once a program's TLS passes its limit), the
 * library keeps no helper and per-call helpers serve every call.  Probed
 * the way the library decides, with a stack of its spawner's size.
 */
static void *tls_address(void *arg)
{
	*(char **)arg = (char *)&errno;
	return NULL;
}

void need_kept_helper(void)
{
	const size_t size = 256 * 1024;
	char *stack = mmap(NULL, size, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	char *tls = NULL;
	pthread_attr_t attr;
	pthread_t thread;

	assert_true(stack != MAP_FAILED);
	assert_int_equal(pthread_attr_init(&attr), 0);
	assert_int_equal(pthread_attr_setstack(&attr, stack, size), 0);
	assert_int_equal(pthread_create(&thread, &attr, tls_address, &tls),
			 0);
	assert_int_equal(pthread_join(thread, NULL), 0);
	pthread_attr_destroy(&attr);
	munmap(stack, size);
	if (tls < stack || tls >= stack + size)
		harness_skip("this libc keeps a thread's TLS off the stack "
			     "it is given: the library keeps no injection "
			     "helper here, per-call helpers serve");
}

/* Does pid map anything of [addr, addr + len)? */
bool maps_any_of(pid_t pid, const void *addr, size_t len)
{
	unsigned long start, end, lo = (unsigned long)addr, hi = lo + len;
	char path[64], line[512];
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (sscanf(line, "%lx-%lx", &start, &end) == 2 &&
		    start < hi && lo < end)
			found = true;
	fclose(f);
	return found;
}

/* The descriptor numbers of pid, at most max; how many. */
static size_t fds_of(pid_t pid, int *fds, size_t max)
{
	char path[64];
	struct dirent *entry;
	size_t count = 0;
	DIR *dir;

	snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
	dir = opendir(path);
	if (!dir)
		return 0;
	while (count < max && (entry = readdir(dir)))
		if (entry->d_name[0] != '.')
			fds[count++] = atoi(entry->d_name);
	closedir(dir);
	return count;
}

/* Is our descriptor fd a pipe or a socket? */
static bool pipe_or_socket(int fd)
{
	char path[64], link[64];
	ssize_t len;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	len = readlink(path, link, sizeof(link) - 1);
	if (len <= 0)
		return false;
	link[len] = '\0';
	return !strncmp(link, "pipe:", 5) || !strncmp(link, "socket:", 7);
}

/*
 * Do we and pid hold a pipe or socket in common (kcmp KCMP_FILE)?  Not
 * any file: the helper keeps the target's pidfd, which a fork child of
 * ours holds too.
 */
static bool shares_a_channel(pid_t pid)
{
	int ours[256], theirs[16];
	size_t n_ours = fds_of(getpid(), ours, 256);
	size_t n_theirs = fds_of(pid, theirs, 16), i, j;

	for (j = 0; j < n_ours; j++) {
		if (!pipe_or_socket(ours[j]))
			continue;
		for (i = 0; i < n_theirs; i++)
			if (syscall(SYS_kcmp, getpid(), pid, KCMP_FILE,
				    ours[j], theirs[i]) == 0)
				return true;
	}
	return false;
}

/*
 * The kept injection helper of this process, 0 when there is none: the
 * process named xmm-inject that holds a pipe or socket of ours (the
 * request pipe's read end, which we keep open too, and the socket).  Its
 * memory is its own, so no memory comparison tells.
 */
pid_t kept_helper(void)
{
	char path[64], comm[32];
	struct dirent *entry;
	pid_t found = 0;
	DIR *proc = opendir("/proc");

	if (!proc)
		return 0;
	while (!found && (entry = readdir(proc))) {
		pid_t pid = (pid_t)atoi(entry->d_name);
		FILE *f;
		bool named;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
		f = fopen(path, "r");
		if (!f)
			continue;
		named = fgets(comm, sizeof(comm), f) &&
			strcmp(comm, "xmm-inject\n") == 0;
		fclose(f);
		if (named && shares_a_channel(pid))
			found = pid;
	}
	closedir(proc);
	return found;
}

/* Has pid exited (gone, or a zombie) within 5 s? */
bool process_ends(pid_t pid)
{
	char path[64], buf[256], *close_paren;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	for (i = 0; i < 5000; i++) {
		FILE *f = fopen(path, "r");
		bool ended = true;

		if (f) {
			if (fgets(buf, sizeof(buf), f) &&
			    (close_paren = strrchr(buf, ')')))
				ended = close_paren[2] == 'Z' ||
					close_paren[2] == 'X';
			fclose(f);
		}
		if (ended)
			return true;
		nap();
	}
	return false;
}

/* The ppid field of /proc/PID/stat. */
pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	FILE *f;
	int ppid = -1;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return -1;
	if (fgets(buf, sizeof(buf), f) && (close_paren = strrchr(buf, ')')))
		sscanf(close_paren + 2, "%*c %d", &ppid);
	fclose(f);
	return ppid;
}

/* ---- A caller that would adopt an orphan ---- */

static volatile sig_atomic_t alarms;

static void count_alarm(int sig)
{
	(void)sig;
	alarms++;
}

/*
 * SIGALRM ends a blocking wait (EINTR: no SA_RESTART) after 10 s, so that
 * a wait that would never end fails instead; 0 cancels.  A handler, not
 * the default action: a pid namespace's init ignores signals it has no
 * handler for.
 */
void bound_waits(unsigned int seconds)
{
	struct sigaction sa = { .sa_handler = count_alarm };

	if (seconds)
		sigaction(SIGALRM, &sa, NULL);
	alarm(seconds);
}

/* Is a (blocked) SIGCHLD pending?  Takes it if so. */
static bool took_sigchld(void)
{
	struct timespec none = { 0, 0 };
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	return sigtimedwait(&chld, NULL, &none) == SIGCHLD;
}

/* Does any exited child show to a plain waitid(2)?  (Reaps none.) */
static bool exited_child_shows(void)
{
	siginfo_t info;

	memset(&info, 0, sizeof(info));
	return waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) == 0 &&
	       info.si_pid != 0;
}

int adopting_caller(void *arg)
{
	struct adopt_case *ac = arg;
	struct iovec iov = { scratch, 4096 };
	struct target t;
	siginfo_t info;
	sigset_t chld;
	pid_t helper, next, got;
	int helper_pidfd, status, i;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	CHILD_CHECK(sigprocmask(SIG_BLOCK, &chld, NULL) == 0);
	if (ac->subreaper)
		CHILD_CHECK(prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) == 0);
	else
		CHILD_CHECK(getpid() == 1);
	CHILD_CHECK(xmm_backend_force("process_madvise", "inject") == 0);
	t.pid = harness_fork_pidfd(&t.pidfd);
	CHILD_CHECK(t.pid >= 0);
	if (t.pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		_exit(pause_child(NULL));
	}

	/* Two calls, one kept helper: the kernel would give it to us. */
	CHILD_CHECK(kept_helper() == 0);
	CHILD_CHECK(xmm_process_madvise(t.pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	helper = kept_helper();
	CHILD_CHECK(helper > 0);
	CHILD_CHECK(xmm_process_madvise(t.pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(kept_helper() == helper);
	CHILD_CHECK(parent_of(helper) == getpid());

	/* It dies while we live (killed): no SIGCHLD, no exited child to
	 * see; the next call reaps it and makes another. */
	helper_pidfd = xmm_pidfd_open(helper, 0);
	CHILD_CHECK(helper_pidfd >= 0);
	took_sigchld();		/* the backends' probes' children */
	CHILD_CHECK(kill(helper, SIGKILL) == 0);
	CHILD_CHECK(process_ends(helper));
	CHILD_CHECK(!took_sigchld());
	CHILD_CHECK(!exited_child_shows());
	CHILD_CHECK(xmm_process_madvise(t.pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	next = kept_helper();
	CHILD_CHECK(next > 0 && next != helper);
	errno = 0;
	CHILD_CHECK(waitid((idtype_t)3 /* P_PIDFD */, (id_t)helper_pidfd,
			   &info, WEXITED | WNOHANG | __WALL) == -1 &&
		    errno == ECHILD);	/* reaped */
	close(helper_pidfd);
	CHILD_CHECK(xmm_process_madvise(t.pidfd, &iov, 1, MADV_COLD, 0) ==
		    4096);
	CHILD_CHECK(kept_helper() == next);

	/* The target reaped: no child left for wait(2). */
	kill(t.pid, SIGKILL);
	CHILD_CHECK(waitpid(t.pid, &status, 0) == t.pid);
	close(t.pidfd);
	took_sigchld();		/* the target's */
	errno = 0;
	CHILD_CHECK(waitpid(-1, &status, WNOHANG) == -1 && errno == ECHILD);
	bound_waits(10);
	errno = 0;
	got = wait(&status);
	bound_waits(0);
	CHILD_CHECK(got == -1 && errno == ECHILD);
	CHILD_CHECK(!took_sigchld());
	CHILD_CHECK(kill(next, 0) == 0);	/* still kept */

	/* The helper for our parent to follow; then we exit (_exit(2)). */
	ac->s->value[0] = next;
	ac->s->ready = 1;
	for (i = 0; i < 5000 && !ac->s->stop; i++)
		nap();
	CHILD_CHECK(ac->s->stop);
	return 0;
}
