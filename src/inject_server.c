// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The injection server, the caller's side (the helper's own process is
 * inject_server_helper.c, what it keeps of the caller's memory
 * inject_server_mm.c, what both sides share inject_server.h).
 *
 * One helper process kept between calls, so that a call pays a byte
 * through a pipe and a futex wake instead of a process's creation and
 * exit (clone, acct_collect over the shared mm, the extra wake-ups).
 * What it must hold, and how:
 *
 * - The OOM killer.  When it kills a process it kills every other
 *   process that shares its memory (__oom_kill_process()), and the
 *   reaper then unmaps that memory.  A helper sharing the caller's
 *   memory died with a caller the OOM killer picked, and a tracer that
 *   dies while the target holds our registers lets the target run on
 *   with them (exit_ptrace() detaches it): it crashed.  So the helper
 *   has memory of its own: a fork of the caller (not CLONE_VM), which
 *   at once unmaps all of the caller's memory but the code and data it
 *   runs on (inject_server_mm.c), so that it is tiny, the OOM killer's
 *   last choice, and frees nothing the caller frees later.  The price,
 *   once per helper: the fork copies the page tables of the caller's
 *   private memory, and the caller's first write to each such page
 *   afterwards takes a fault (25-60 ms and 200-500 ms per GiB here,
 *   by load).
 *
 * - Lifetime.  Created on the first injection of a process, by the
 *   calling thread.  It waits for requests in read(2) of a pipe, and
 *   exits when the pipe hangs up: the caller's write end is
 *   close-on-exec, so the caller's exit *and* its exec close it (an exec
 *   would otherwise leave the helper holding the old mm).  The helper has
 *   a descriptor table of its own (no CLONE_FILES: with a shared table a
 *   close-on-exec descriptor never closes, and the helper would keep
 *   every descriptor of the old process open) and first closes every
 *   descriptor it inherited but the pipe's read end and its end of a
 *   socket (its start, and pidfds: below).  The library's destructor
 *   hangs up and waits until the helper's socket end closes (it has left
 *   user code then), so dlclose() never unmaps code it runs.
 * - The answer.  The helper stores it and wakes the caller's futex wait
 *   on a word of a page both map (MAP_SHARED).  The word is on the
 *   helper's robust futex list: whatever kills the helper, the kernel
 *   marks it FUTEX_OWNER_DIED and wakes the caller, so a helper killed
 *   half way never leaves the caller waiting.  (CLONE_CHILD_CLEARTID
 *   would not: the kernel clears that word only while another process
 *   shares the dying one's memory.)  A pipe and a futex cost about half
 *   of two messages on a socket.  The caller keeps the pipe's read end
 *   open too, so its write never raises SIGPIPE, whatever became of the
 *   helper.
 * - Memory.  The request is read and answered in place on the shared
 *   page, and a caller killed half way leaves the helper all it needs to
 *   finish the restore (it checks the hang-up at the last point of no
 *   change, as the per-call helper checks its parent).  It runs only
 *   async-signal-safe code (see inject_private.h), with every signal
 *   blocked but SIGALRM, whose handler (its own: no CLONE_SIGHAND) does
 *   nothing but end the bounded wait for a first stop (inject_ptrace.c),
 *   on a stack of its own with a guard page below.  Its thread pointer
 *   (errno, the stack protector's canary) must stay valid: a short-lived
 *   pthread running on a stack in our mapping (glibc and musl place its
 *   TLS there) spawns it, and the helper keeps its copy of that TLS.
 * - Not a child wait(2) sees.  The pthread clones an intermediate
 *   (CLONE_VFORK, no exit signal) that clones the helper and exits: the
 *   helper is reparented to init (or the nearest subreaper above the
 *   caller), which reaps it, so no zombie is left to the caller, nor to
 *   the program it execs.  But a caller that is itself a child subreaper
 *   (PR_SET_CHILD_SUBREAPER: supervisors, systemd --user, container
 *   shims) or the init of its pid namespace (pid 1) would adopt it, with
 *   SIGCHLD as its exit signal (reparent_leader(), kernel/exit.c): its
 *   wait(2) for all children would block for as long as it lives,
 *   waitpid(-1, WNOHANG) would answer 0 instead of ECHILD, and the
 *   helper's exit would send SIGCHLD.  There (would_adopt_orphans()) the
 *   intermediate clones the helper with CLONE_PARENT instead: it is the
 *   child of the spawner thread, with the intermediate's exit signal,
 *   none, and stays so when that thread ends (forget_original_parent()
 *   hands it to another thread of ours without reparent_leader()).  A
 *   child whose exit signal is not SIGCHLD is a "clone child": wait(2),
 *   waitpid(2) and waitid(2) see it only with __WALL or __WCLONE, and its
 *   exit sends no signal.  server_stop() reaps it (__WALL, by its pidfd).
 *   What remains (xmm_process_madvise(3), BUGS): after an execve(2) the
 *   hung-up helper is a zombie of the new program that only such a wait
 *   reaps (and, the exec having changed the parent's exec id, its exit
 *   sends SIGCHLD: do_notify_parent()); a SIGSTOP of the helper (it is
 *   in the caller's process group) still sends SIGCHLD (CLD_STOPPED);
 *   the caller's own death gives it to the next reaper with SIGCHLD,
 *   which reaps it like any orphan.
 * - The target's pidfd travels with a request (SCM_RIGHTS) into the
 *   helper's own table, where the pid-reuse check after the seize uses it
 *   (pidfd_getfd(2) would need ptrace rights over the caller, which Yama
 *   scope 1 refuses to a non-ancestor).  The helper keeps the last one it
 *   received, and the next request for the same process sends none: the
 *   same only when the caller's pidfd has the pidfs inode number of the
 *   one sent (64-bit kernels since 6.9 give every struct pid its own,
 *   never reused during a boot), so the kept pidfd refers to the same
 *   struct pid as the caller's, and the check after the seize answers
 *   alike.  Where pidfds have no such number (anonymous inodes before
 *   6.9, 32-bit), every request sends its pidfd.
 * - One helper per process.  A fork child forgets its parent's helper
 *   (xmm_inject_helper_atfork_child(), called from atfork.c, closes the
 *   inherited pipe and socket); a child forked without the handlers (raw
 *   clone, _Fork()) is told by getpid() and never uses the parent's
 *   helper, nor the shared page of a helper its parent had (the
 *   parent's next helper uses it too): it maps its own.
 * - Dead tracees.  A target that dies under the helper stays its tracee,
 *   a zombie its parent cannot reap, until the tracer waits for it (the
 *   per-call helper's exit let go of it): between requests the helper
 *   reaps every wait status, all of them its tracees' (it has no child),
 *   and while one is left (its detach failed: it was dying) waits on the
 *   pipe and on a signalfd of its (blocked) SIGCHLD; tracing none, it
 *   waits in read(2) alone.
 * - Concurrent callers.  One request at a time: a caller that finds the
 *   server busy (or is a signal handler interrupting a call) takes the
 *   per-call paths of inject_helper.c, which still work in parallel.
 * - Credentials.  The helper traces with the credentials the caller had
 *   when it was created.  Before each request the caller compares its
 *   real/effective/saved uid and gid and its effective and permitted
 *   capabilities with those: any change stops the helper and starts a new
 *   one.  Seccomp filters: the helper runs under those of the thread
 *   that made it (inherited), and serves only callers under the very
 *   same ones (helper_fits()): any caller where it was made under none;
 *   where it was made under some, only that thread, while its count in
 *   /proc/thread-self/status (Linux 5.9) is unchanged.  Any other caller
 *   gets the per-call helper, which inherits its filters; one under
 *   filters whose count cannot be read (before 5.9) always does.  The
 *   per-call permission checks of madvise.c (mm_access through
 *   /proc/PID/exe or environ, CAP_SYS_NICE) still run in the caller
 *   first.  Not compared: LSM
 *   labels and the user namespace (see xmm_process_madvise(3), BUGS).
 * - Foreign closes.  A program may close descriptors it did not open (a
 *   daemon closing them all) and reuse the numbers: the pipe's inode is
 *   checked before each request (and the socket's before a pidfd goes
 *   through it), and a changed one is forgotten, never written to nor
 *   closed (closing the pipe hung the helper up already); those still
 *   ours are closed.  A forgotten helper that is our clone child (above)
 *   is reaped by a later start or stop once it has exited (reap_stray():
 *   its pidfd, a new one if the program closed ours, is kept until then).
 * - Fallback.  Where the server cannot be made (RLIMIT_NPROC, a seccomp
 *   policy refusing clone, an emulator whose clone does not share
 *   memory), it answers "unavailable" and the per-call paths serve.
 *   Those still share the caller's memory (a fork per call would cost
 *   the page tables every call): the OOM killer's choice of such a
 *   caller during a call still ends the target (BUGS in
 *   xmm_process_madvise(3)).
 *
 * ps(1) shows the helper with the command name "xmm-inject" (and the
 * caller's command line, which it keeps on no page of its own: empty),
 * in the caller's process group.
 */
#include "internal.h"
#include "atfork.h"
#include "inject_private.h"
#include "inject_server.h"
#include "procfs.h"
#include "syscall.h"

#ifdef XMM_HAVE_INJECT

#include <dirent.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/futex.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define XMM_P_PIDFD		3	/* waitid(2), Linux 5.4 */
#define XMM_UFFD_FEATURE_EVENT_FORK	(1ULL << 1)	/* Linux 4.11 */

/* What the caller compares before each request (see the top). */
struct server_creds {
	uid_t uid[3];
	gid_t gid[3];
	__u32 cap_effective[2];
	__u32 cap_permitted[2];
};

/* The generation of the helper this thread made, under its filters; a
 * new thread (even with a reused tid) starts at 0. */
static __thread unsigned long helper_made_here;

/*
 * A descriptor we opened, and what it was: a program that closes
 * descriptors it did not open (a daemon closing them all) may reuse the
 * number, so it is written to or closed only while it is still ours.
 */
struct owned_fd {
	int fd;			/* -1: none */
	dev_t dev;
	ino_t ino;
};

static struct {
	atomic_bool busy;	/* a request (or the creation) is under way */
	pid_t owner;		/* the process the helper serves */
	struct owned_fd chan;	/* our end of the socket; -1: no helper */
	struct owned_fd wake;	/* the request pipe's write end */
	struct owned_fd wake_reader;	/* its read end: never a SIGPIPE */
	pid_t helper;
	struct owned_fd helper_pidfd;	/* readable once it is gone */
	bool adopted;		/* the helper is our clone child (the top) */
	/* A forgotten helper of ours (adopted) not yet reaped: its pidfd. */
	struct owned_fd stray_pidfd;
	/* The pidfd the helper keeps: pidfs inode (0: none) and flags. */
	ino_t kept_pidfd_ino;
	int kept_pidfd_flags;
	bool unsupported;	/* clone does not share memory here */
	/* The seccomp filters the helper was made under (inherited from the
	 * thread that made it): how many, and which helper that was. */
	long filters;
	unsigned long generation;
	char *region;		/* private: the stacks */
	struct server_shared *shared;
	pid_t shared_owner;	/* the process that mapped it */
	struct server_creds creds;
} server = {
	.chan = { .fd = -1 },
	.wake = { .fd = -1 },
	.wake_reader = { .fd = -1 },
	.helper_pidfd = { .fd = -1 },
	.stray_pidfd = { .fd = -1 },
};

/* ---- The caller's side ---- */

/* The spawner pthread: its TLS becomes the helper's. */
static void *spawner_main(void *arg)
{
	struct server_shared *shared = arg;
	struct server_spawn *spawn = &shared->spawn;
	size_t page = (size_t)getpagesize();
	char *stack = spawn->region + MIDDLE_STACK_OFF(page) +
		      MIDDLE_STACK_SIZE;
	char *tls = (char *)&errno;
	pid_t middle;
	int status;

	/* Where a libc puts this thread's TLS elsewhere (and frees it when
	 * the thread ends), the helper could not keep it. */
	if (tls < spawn->region + SPAWNER_STACK_OFF(page) ||
	    tls >= spawn->region + REGION_SIZE(page))
		return NULL;
	atomic_store(&spawn->spawner_tls_ours, true);
	middle = clone(xmm_server_middle_main, stack,
		       CLONE_VM | CLONE_VFORK | CLONE_FILES, shared);
	if (middle < 0 && errno == EINVAL)	/* an emulator's limits */
		middle = clone(xmm_server_middle_main, stack, CLONE_VM | CLONE_VFORK,
			       shared);
	if (middle < 0)
		return NULL;	/* no process to spare: maybe later */
	atomic_store(&spawn->middle_cloned, true);
	while (waitpid(middle, &status, __WALL) < 0 && errno == EINTR)
		;
	return NULL;
}

static bool creds_read(struct server_creds *c)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(c, 0, sizeof(*c));
	if (getresuid(&c->uid[0], &c->uid[1], &c->uid[2]) < 0 ||
	    getresgid(&c->gid[0], &c->gid[1], &c->gid[2]) < 0 ||
	    syscall(SYS_capget, &header, data) < 0)
		return false;
	c->cap_effective[0] = data[0].effective;
	c->cap_effective[1] = data[1].effective;
	c->cap_permitted[0] = data[0].permitted;
	c->cap_permitted[1] = data[1].permitted;
	return true;
}

/* Is it still the descriptor we opened (device and inode as noted)? */
static bool still_ours(const struct owned_fd *o)
{
	struct stat st;

	return o->fd >= 0 && fstat(o->fd, &st) == 0 && st.st_dev == o->dev &&
	       st.st_ino == o->ino;
}

/* Take fd (or -1) as ours, noting what it is. */
static void own_fd(struct owned_fd *o, int fd)
{
	struct stat st;

	o->fd = fd;
	o->dev = 0;
	o->ino = 0;
	if (fd >= 0 && fstat(fd, &st) == 0) {
		o->dev = st.st_dev;
		o->ino = st.st_ino;
	}
}

/* Close it if it is still ours; forget it either way. */
static void close_if_ours(struct owned_fd *o)
{
	if (still_ours(o))
		close(o->fd);
	o->fd = -1;
}

/* Close it whatever it is now (a fork child's copies, a failed start). */
static void close_owned(struct owned_fd *o)
{
	if (o->fd >= 0)
		close(o->fd);
	o->fd = -1;
}

/*
 * Reap a forgotten helper of ours once it has exited (it is our clone
 * child: no one else reaps it); forget its pidfd once it is reaped, or
 * no longer ours.
 */
static void reap_stray(void)
{
	siginfo_t info;

	if (server.stray_pidfd.fd < 0)
		return;
	if (still_ours(&server.stray_pidfd)) {
		info.si_pid = 0;
		if (waitid((idtype_t)XMM_P_PIDFD, (id_t)server.stray_pidfd.fd,
			   &info, WEXITED | WNOHANG | __WALL) == 0 &&
		    info.si_pid == 0)
			return;	/* not yet exited */
	}
	close_if_ours(&server.stray_pidfd);
}

/*
 * Forget a helper whose descriptors the program closed (and perhaps
 * reused): those are not ours to close, and the pipe's hang-up ends the
 * helper.  Those still ours we close (the program may have closed one).
 * An adopted helper, our clone child, would stay a zombie: its pidfd (a
 * new one if the program closed ours: an unreaped child's pid is not
 * reused) is kept until reap_stray() has reaped it.
 */
static void server_forget(void)
{
	close_if_ours(&server.chan);
	close_if_ours(&server.wake);
	close_if_ours(&server.wake_reader);
	if (server.adopted && server.helper > 0) {
		long ret;

		reap_stray();
		close_if_ours(&server.stray_pidfd);	/* one at most */
		if (still_ours(&server.helper_pidfd)) {
			server.stray_pidfd = server.helper_pidfd;
			server.helper_pidfd.fd = -1;
		} else {
			ret = xmm_sys(pidfd_open, server.helper, 0);
			own_fd(&server.stray_pidfd, ret < 0 ? -1 : (int)ret);
		}
		reap_stray();
	}
	close_if_ours(&server.helper_pidfd);
	server.kept_pidfd_ino = 0;
	server.helper = 0;
}

/*
 * Hang up (close the pipe) and wait until the helper has left user code
 * (its end of the socket closes), then until it is gone, its ptrace
 * links with it (its pidfd polls readable only after exit_ptrace()).
 */
static void server_stop(void)
{
	struct pollfd gone = { .fd = server.helper_pidfd.fd,
			       .events = POLLIN };
	char byte;

	reap_stray();
	if (server.chan.fd < 0)
		return;
	if (!still_ours(&server.chan) || !still_ours(&server.wake)) {
		server_forget();
		return;
	}
	if (gone.fd >= 0 && !still_ours(&server.helper_pidfd))
		gone.fd = -1;
	close_owned(&server.wake);	/* ours: checked above */
	shutdown(server.chan.fd, SHUT_WR);
	for (;;) {
		ssize_t got = recv(server.chan.fd, &byte, 1, 0);

		if (got == 0 || (got < 0 && errno != EINTR))
			break;
	}
	close_owned(&server.chan);
	close_if_ours(&server.wake_reader);
	if (gone.fd >= 0) {
		siginfo_t info;

		while (poll(&gone, 1, -1) < 0 && errno == EINTR)
			;
		/* Ours to reap where we adopted it (our clone child: no one
		 * else reaps it); by its pidfd, never a reused pid. */
		waitid((idtype_t)XMM_P_PIDFD, (id_t)gone.fd, &info,
		       WEXITED | WNOHANG | __WALL);
		close_owned(&server.helper_pidfd);
	} else if (server.adopted && server.helper > 0) {
		int status;

		/* No pidfd (before 5.3, or the program closed ours): our
		 * child's pid is not reused before we reap it. */
		while (waitpid(server.helper, &status, __WALL) < 0 &&
		       errno == EINTR)
			;
	}
	server.helper = 0;
}

/*
 * Would we adopt a process our intermediate orphans?  The kernel gives
 * an orphan to a live thread of the nearest child subreaper among its
 * dead parent's ancestors, else to the init of its pid namespace
 * (find_new_reaper(), kernel/exit.c), and sets its exit signal to
 * SIGCHLD (reparent_leader()): to us when we are a child subreaper
 * (PR_SET_CHILD_SUBREAPER, which is per process and not inherited) or
 * that init (pid 1: a daemon run as a container's first process).  The
 * intermediate runs in our pid namespace (a thread cannot be made after
 * unshare(CLONE_NEWPID), so no helper is either).
 */
static bool would_adopt_orphans(void)
{
	int subreaper = 0;

	if (getpid() == 1)
		return true;
	return prctl(PR_GET_CHILD_SUBREAPER, &subreaper, 0, 0, 0) == 0 &&
	       subreaper != 0;
}

#if defined(__SANITIZE_ADDRESS__)
#define XMM_ASAN	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define XMM_ASAN	1
#endif
#endif
#ifdef XMM_ASAN
#include <sanitizer/asan_interface.h>
#endif

/*
 * A helper killed half way (SIGKILL) leaves AddressSanitizer's redzone
 * marks of its frames on the stack the next helper reuses, where frames
 * of other functions then lie: clear them before a helper starts.
 * (Nothing to do without AddressSanitizer.)
 */
static void forget_stack_marks(char *stack, size_t size)
{
#ifdef XMM_ASAN
	__asan_unpoison_memory_region(stack, size);
#else
	(void)stack;
	(void)size;
#endif
}

/*
 * What the new helper keeps of the memory it is forked with: our two
 * mappings, and every ELF object's segments (inject_server_mm.c).
 */
static void note_what_to_keep(struct xmm_keep_ranges *keep)
{
	size_t page = (size_t)getpagesize();

	keep->all = false;
	keep->count = 0;
	xmm_keep_add(keep, (unsigned long)server.region,
		     (unsigned long)server.region + REGION_SIZE(page));
	xmm_keep_add(keep, (unsigned long)server.shared,
		     (unsigned long)server.shared + SHARED_SIZE(page));
	xmm_keep_collect(keep);
}

/*
 * Does a userfaultfd in our table report forks (UFFD_FEATURE_EVENT_FORK,
 * the second field of its fdinfo's "API:" line)?  Forking the helper
 * would queue a fork event, and the fork waits until the monitor reads
 * it: a monitor that is the calling thread would wait for itself, and
 * any other would see a fork of ours.  Then the helper shares our memory
 * (CLONE_VM) as before it had its own, and the OOM killer's kill of the
 * caller ends it too (BUGS).  A userfaultfd whose descriptor only
 * another process holds is not seen; its monitor reads the event.
 */
static bool userfaultfd_reports_forks(void)
{
	char link[64], path[64], info[512];
	struct dirent *entry;
	bool reports = false;
	DIR *dir = opendir("/proc/self/fd");

	if (!dir)
		return false;
	while (!reports && (entry = readdir(dir))) {
		unsigned long long api, features;
		const char *field;
		ssize_t len;

		if (entry->d_name[0] == '.')
			continue;
		len = readlinkat(dirfd(dir), entry->d_name, link,
				 sizeof(link) - 1);
		if (len <= 0)
			continue;
		link[len] = '\0';
		if (strcmp(link, "anon_inode:[userfaultfd]"))
			continue;
		if (snprintf(path, sizeof(path), "/proc/self/fdinfo/%s",
			     entry->d_name) >= (int)sizeof(path) ||
		    xmm_proc_read_small(AT_FDCWD, path, info,
					sizeof(info)) <= 0)
			continue;
		field = xmm_proc_field(info, "API");
		if (field && sscanf(field, "%llx:%llx", &api, &features) == 2 &&
		    (features & XMM_UFFD_FEATURE_EVENT_FORK))
			reports = true;
	}
	closedir(dir);
	return reports;
}

static bool server_start(const struct server_creds *creds, long filters)
{
	size_t page = (size_t)getpagesize();
	struct server_spawn *spawn;
	pthread_attr_t attr;
	pthread_t spawner;
	sigset_t all, old;
	int ends[2], pipe_ends[2], err;
	char byte;
	long ret;

	reap_stray();
	if (!server.region) {
		char *map = mmap(NULL, REGION_SIZE(page),
				 PROT_READ | PROT_WRITE,
				 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
				 -1, 0);

		if (map == MAP_FAILED)
			return false;
		if (mprotect(map, page, PROT_NONE) < 0 ||
		    mprotect(map + MIDDLE_STACK_OFF(page) - page, page,
			     PROT_NONE) < 0) {
			munmap(map, REGION_SIZE(page));
			return false;
		}
		server.region = map;
	}
	forget_stack_marks(server.region + HELPER_STACK_OFF(page),
			   HELPER_STACK_SIZE);
	/* A child forked without our handler (a raw clone(2), _Fork())
	 * after its parent's helper ended still maps the page its parent
	 * and the parent's next helper share: never ours to use. */
	if (server.shared && server.shared_owner != getpid()) {
		munmap(server.shared, SHARED_SIZE(page));
		server.shared = NULL;
	}
	if (!server.shared) {
		void *map = mmap(NULL, SHARED_SIZE(page),
				 PROT_READ | PROT_WRITE,
				 MAP_SHARED | MAP_ANONYMOUS, -1, 0);

		if (map == MAP_FAILED)
			return false;
		server.shared = map;
		server.shared_owner = getpid();
	}
	spawn = &server.shared->spawn;
	xmm_atfork_register();	/* the child forgets it (atfork.c) */
	if (pipe2(pipe_ends, O_CLOEXEC) < 0)
		return false;
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, ends) < 0) {
		close(pipe_ends[0]);
		close(pipe_ends[1]);
		return false;
	}
	memset(spawn, 0, sizeof(*spawn));
	spawn->region = server.region;
	spawn->helper_end = ends[1];
	spawn->helper_wake = pipe_ends[0];
	spawn->shares_memory = userfaultfd_reports_forks();
	spawn->adopted = would_adopt_orphans();
	atomic_store(&xmm_server_middle_ran, false);
	note_what_to_keep(&server.shared->keep);
	own_fd(&server.chan, ends[0]);
	own_fd(&server.wake, pipe_ends[1]);
	own_fd(&server.wake_reader, pipe_ends[0]);
	server.kept_pidfd_ino = 0;	/* a new helper keeps none yet */
	server.owner = getpid();

	if (pthread_attr_init(&attr) != 0)
		goto fail;
	err = pthread_attr_setstack(&attr, server.region +
				    SPAWNER_STACK_OFF(page),
				    SPAWNER_STACK_SIZE);
	/* None of the caller's signals is the spawner's. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (err == 0)
		err = pthread_create(&spawner, &attr, spawner_main,
				     server.shared);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (err != 0)
		goto fail;
	pthread_join(spawner, NULL);
	close(ends[1]);
	ends[1] = -1;
	/* Never here: TLS a libc keeps elsewhere, a clone without CLONE_VM
	 * (an emulator).  A clone refused (RLIMIT_NPROC) may work later. */
	if (!atomic_load(&spawn->spawner_tls_ours) ||
	    (atomic_load(&spawn->middle_cloned) &&
	     !atomic_load(&xmm_server_middle_ran)))
		server.unsupported = true;
	if (atomic_load(&spawn->helper) <= 0)
		goto fail;
	server.helper = atomic_load(&spawn->helper);
	server.adopted = spawn->adopted;
	/* Its first message says it runs; the flag, that it runs here. */
	while (recv(server.chan.fd, &byte, 1, 0) < 0 && errno == EINTR)
		;
	if (!atomic_load(&spawn->helper_ran)) {
		server.unsupported = true;
		server_stop();
		return false;
	}
	/* It waits for us now: its pid cannot be reused yet. */
	ret = xmm_sys(pidfd_open, server.helper, 0);
	own_fd(&server.helper_pidfd, ret < 0 ? -1 : (int)ret);
	server.creds = *creds;
	server.filters = filters;
	server.generation++;
	helper_made_here = server.generation;
	return true;
fail:
	if (ends[1] >= 0)
		close(ends[1]);
	close_owned(&server.chan);
	close_owned(&server.wake);
	close_owned(&server.wake_reader);
	return false;
}

#define XMM_PIDFS_MAGIC		0x50494446	/* pidfs, 6.9 */

/*
 * The pidfs inode number of a pidfd, which names its struct pid for the
 * whole boot on 64-bit kernels since 6.9; 0 where there is none (older
 * pidfds are anonymous inodes, and 32-bit kernels reuse the low half).
 * Whether pidfds live on pidfs is asked once (fstatfs(2)), and pidfs's
 * device noted: one fstat(2) a call after that.  *flags: the file's
 * status flags, for two pidfds of one struct pid may differ in them, and
 * the check after the seize answers by them (PIDFD_THREAD, O_EXCL: its
 * poll(2) tells that thread's exit, not the process's).
 */
static ino_t pidfd_ino(int pidfd, int *flags)
{
	/* Only a request uses them, one at a time (server.busy). */
	static int pidfs_known;	/* 0 unknown, 1 pidfs, -1 not */
	static dev_t pidfs_dev;
	struct statfs fs;
	struct stat st;

	if (sizeof(unsigned long) < 8 || sizeof(st.st_ino) < 8 ||
	    pidfs_known < 0 || fstat(pidfd, &st) < 0)
		return 0;
	if (!pidfs_known) {
		/* The pidfd passed the caller's checks: it is one, and every
		 * pidfd of this kernel is on pidfs or none is. */
		if (fstatfs(pidfd, &fs) < 0)
			return 0;
		if (fs.f_type != XMM_PIDFS_MAGIC) {
			pidfs_known = -1;
			return 0;
		}
		pidfs_dev = st.st_dev;
		pidfs_known = 1;
	}
	if (st.st_dev != pidfs_dev)
		return 0;
	*flags = fcntl(pidfd, F_GETFL);
	return *flags < 0 ? 0 : st.st_ino;
}

/* Hand the request over and wait for the answer. */
static long server_request(int pidfd)
{
	struct server_spawn *spawn = &server.shared->spawn;
	struct xmm_inject_request *req = (struct xmm_inject_request *)
		((char *)server.shared + SHARED_REQUEST_OFF);
	uint32_t idle = (uint32_t)server.helper, state = idle;
	uint32_t pending = idle | FUTEX_WAITERS;
	int flags = 0;
	ino_t ino = pidfd_ino(pidfd, &flags);
	struct chan_message m;
	struct cmsghdr *cmsg;
	char byte = CHAN_REQUEST_KEPT;
	ssize_t got;

	req->result = XMM_INJECT_SERVER_UNAVAILABLE;
	/* Idle, not marked dead: the helper waits for us. */
	if (!atomic_compare_exchange_strong(&spawn->answer, &state, pending))
		return XMM_INJECT_SERVER_UNAVAILABLE;
	if (!ino || ino != server.kept_pidfd_ino ||
	    flags != server.kept_pidfd_flags) {
		/* The helper's pidfd does not name the same struct pid (the
		 * top): this one goes first, then the byte says so. */
		if (!still_ours(&server.chan))
			return XMM_INJECT_SERVER_UNAVAILABLE;
		byte = CHAN_REQUEST_PIDFD;
		xmm_server_chan_message_init(&m, byte);
		cmsg = CMSG_FIRSTHDR(&m.msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pidfd, sizeof(int));
		do
			got = sendmsg(server.chan.fd, &m.msg, MSG_NOSIGNAL);
		while (got < 0 && errno == EINTR);
		if (got != 1)
			return XMM_INJECT_SERVER_UNAVAILABLE;
	}
	/* Unknown until it answers: send a pidfd next time. */
	server.kept_pidfd_ino = 0;
	do
		got = write(server.wake.fd, &byte, 1);
	while (got < 0 && errno == EINTR);
	if (got != 1)
		return XMM_INJECT_SERVER_UNAVAILABLE;
	while ((state = atomic_load_explicit(&spawn->answer,
					     memory_order_acquire)) == pending)
		syscall(SYS_futex, &spawn->answer, FUTEX_WAIT, pending, NULL,
			NULL, 0);
	/* Marked dead (FUTEX_OWNER_DIED): the helper was killed; whatever
	 * it wrote stands.  After an EAGAIN that left the target seized (it
	 * never stopped) it exits to let go of it: wait until it has. */
	if (state != idle || (req->result == -EAGAIN && req->target_held)) {
		server_stop();
	} else if (atomic_load(&spawn->helper_keeps_pidfd)) {
		server.kept_pidfd_ino = ino;
		server.kept_pidfd_flags = flags;
	}
	/* Killed after it began: the target may still run our call. */
	if (req->result == XMM_INJECT_BEGUN)
		return -EOWNERDEAD;
	return req->result;
}

/*
 * How many seccomp filters this thread runs under: 0 for none, -1 where
 * that cannot be told (a strict mode; a kernel before 5.9 without the
 * status field Seccomp_filters, or /proc unreadable).
 */
static long filters_of_this_thread(void)
{
	char status[4096];
	const char *count;
	int mode;

	mode = prctl(PR_GET_SECCOMP, 0, 0, 0, 0);
	if (mode == 0 || (mode < 0 && errno == EINVAL))
		return 0;	/* none (or no CONFIG_SECCOMP) */
	if (mode != 2)
		return -1;	/* (strict: we would not be running) */
	if (xmm_proc_read_small(AT_FDCWD, "/proc/thread-self/status", status,
				sizeof(status)) <= 0)
		return -1;
	count = xmm_proc_field(status, "Seccomp_filters");
	return count ? strtol(count, NULL, 10) : -1;
}

/*
 * May this thread, under filters seccomp filters, use the kept helper?
 * The helper runs under the filters of the thread that made it, so only
 * a caller under the very same ones may: no filter, for a helper made
 * without; else the thread that made it, not one filter more.  A
 * thread's filters only grow (a filter added, or TSYNC from another
 * thread: both lengthen its chain), so the same thread with the same
 * count has the same filters; a new thread (helper_made_here 0) may have
 * others.  Anything else would hand a sandboxed caller a helper with
 * fewer filters than its own.
 */
static bool helper_fits(long filters)
{
	if (filters != server.filters)
		return false;
	return filters == 0 || helper_made_here == server.generation;
}

long xmm_inject_server_call(pid_t pid, int pidfd,
			    struct xmm_inject_call *calls, size_t count,
			    unsigned int flags)
{
	struct server_creds creds;
	struct xmm_inject_request *req = NULL;
	bool idle = false;
	int cancel_state, attempt;
	long ret = XMM_INJECT_SERVER_UNAVAILABLE, filters;

	if (!atomic_compare_exchange_strong(&server.busy, &idle, true))
		return ret;
	pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel_state);
	if (server.unsupported)
		goto out;
	/* A child forked without our atfork handler: not its helper. */
	if (server.chan.fd >= 0 && server.owner != getpid())
		goto out;
	if (server.chan.fd >= 0 && !still_ours(&server.wake))
		server_forget();
	/* Filters it cannot tell: the per-call helper, which inherits them. */
	filters = filters_of_this_thread();
	if (filters < 0 || !creds_read(&creds))
		goto out;
	if (server.chan.fd >= 0 && memcmp(&creds, &server.creds, sizeof(creds)))
		server_stop();
	/*
	 * A helper made under other filters (helper_fits()) serves others.
	 * One made under none gives way to a sandboxed caller's own, once:
	 * a process that sandboxes itself after its first call.  Otherwise
	 * (another sandboxed thread, or an unsandboxed one beside a
	 * sandboxed helper) the per-call helper serves, so that threads
	 * taking turns do not make a helper each turn.
	 */
	if (server.chan.fd >= 0 && !helper_fits(filters)) {
		if (server.filters != 0 || filters == 0)
			goto out;
		server_stop();
	}
	for (attempt = 0; attempt < 2; attempt++) {
		if (server.chan.fd < 0 && !server_start(&creds, filters))
			goto out;
		req = (struct xmm_inject_request *)
			((char *)server.shared + SHARED_REQUEST_OFF);
		req->caller = server.owner;	/* (the channel tells) */
		req->pid = pid;
		req->flags = flags;
		req->count = count;
		memcpy(req->calls, calls, count * sizeof(*calls));
		ret = server_request(pidfd);
		if (ret != XMM_INJECT_SERVER_UNAVAILABLE)
			break;
		/* Gone before it began (killed): one new helper, once. */
		server_stop();
	}
	if (ret > 0 && req)
		memcpy(calls, req->calls, (size_t)ret * sizeof(*calls));
out:
	pthread_setcancelstate(cancel_state, NULL);
	atomic_store(&server.busy, false);
	return ret;
}

void xmm_inject_helper_atfork_child(void)
{
	/* The parent's helper serves the parent; ours comes when asked. */
	close_owned(&server.chan);
	close_owned(&server.wake);
	close_owned(&server.wake_reader);
	close_owned(&server.helper_pidfd);
	close_owned(&server.stray_pidfd);	/* the parent's child */
	server.helper = 0;
	server.owner = 0;
	server.kept_pidfd_ino = 0;
	/* Shared with the parent's helper: never ours to use. */
	if (server.shared)
		munmap(server.shared, SHARED_SIZE((size_t)getpagesize()));
	server.shared = NULL;
	atomic_store(&server.busy, false);
}

/* Unloaded (or exiting): the helper goes before our code does. */
__attribute__((destructor)) static void server_unload(void)
{
	bool idle = false;

	if ((server.chan.fd < 0 && server.stray_pidfd.fd < 0) ||
	    server.owner != getpid())
		return;
	if (!atomic_compare_exchange_strong(&server.busy, &idle, true)) {
		/* A call still runs: it hangs up when it ends. */
		return;
	}
	server_stop();
	close_if_ours(&server.stray_pidfd);	/* (not exited yet: left) */
	if (server.region)
		munmap(server.region, REGION_SIZE((size_t)getpagesize()));
	server.region = NULL;
	if (server.shared)
		munmap(server.shared, SHARED_SIZE((size_t)getpagesize()));
	server.shared = NULL;
	atomic_store(&server.busy, false);
}

#else /* !XMM_HAVE_INJECT */

void xmm_inject_helper_atfork_child(void)
{
}

#endif /* XMM_HAVE_INJECT */
