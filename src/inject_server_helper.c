// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kept injection helper's own process (inject_server.c has the
 * design): the intermediate that clones it, and the helper from its
 * start to its exit.  Everything here is async-signal-safe (see
 * inject_private.h): it runs first in the caller's memory, then in its
 * own copy of it, with no lock of the C library taken.
 */
#include "internal.h"
#include "inject_server.h"
#include "syscall.h"

#ifdef XMM_HAVE_INJECT

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

atomic_bool xmm_server_middle_ran;

struct linux_dirent64 {
	unsigned long long d_ino;
	long long d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

/* Close every descriptor but low and high, low < high (close_range(2),
 * or /proc/self/fd). */
static void close_all_but(int low, int high)
{
	char buf[1024] __attribute__((aligned(8)));
	long got;
	int dir;

#ifdef __NR_close_range
	if ((low == 0 || syscall(__NR_close_range, 0, low - 1, 0) == 0) &&
	    (high == low + 1 ||
	     syscall(__NR_close_range, low + 1, high - 1, 0) == 0) &&
	    syscall(__NR_close_range, high + 1, ~0U, 0) == 0)
		return;
#endif
	dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return;
	/* Closing while listing: list again until only we three are left. */
	for (;;) {
		bool closed = false;

		lseek(dir, 0, SEEK_SET);
		while ((got = syscall(SYS_getdents64, dir, buf,
				      sizeof(buf))) > 0) {
			long off = 0;

			while (off < got) {
				const struct linux_dirent64 *entry =
					(const void *)(buf + off);
				long fd = xmm_inject_parse_decimal(
						entry->d_name);

				off += entry->d_reclen;
				if (fd >= 0 && fd != low && fd != high &&
				    fd != dir) {
					close((int)fd);
					closed = true;
				}
			}
		}
		if (!closed)
			break;
	}
	close(dir);
}

/* Async-signal-safe: the helper receives with it too. */
void xmm_server_chan_message_init(struct chan_message *m, char byte)
{
	memset(m, 0, sizeof(*m));
	m->byte = byte;
	m->iov.iov_base = &m->byte;
	m->iov.iov_len = 1;
	m->msg.msg_iov = &m->iov;
	m->msg.msg_iovlen = 1;
	m->msg.msg_control = m->control.buf;
	m->msg.msg_controllen = sizeof(m->control.buf);
}

/* The answer: stored, then the caller's futex wait woken. */
static void answer(struct server_spawn *spawn, bool keeps_pidfd)
{
	atomic_store(&spawn->helper_keeps_pidfd, keeps_pidfd);
	atomic_store_explicit(&spawn->answer, spawn->helper_self,
			      memory_order_release);
	syscall(SYS_futex, &spawn->answer, FUTEX_WAKE, 1, NULL, NULL, 0);
}

/*
 * One request: its byte on the pipe wake, its pidfd on the socket chan
 * or the one kept (*kept_pidfd, the last received, or -1).  false when
 * the caller hung up (exit, exec, the destructor).  *traces_none goes
 * false unless the request ended detached (a result >= 0).
 */
static bool serve_one(struct server_spawn *spawn, int chan, int wake,
		      struct xmm_inject_request *req, int *kept_pidfd,
		      bool alarm_wait, bool *traces_none)
{
	struct chan_message m;
	struct cmsghdr *cmsg;
	bool never_stopped;
	ssize_t got;
	char byte;
	int pidfd = -1;

	do
		got = read(wake, &byte, 1);
	while (got < 0 && errno == EINTR);
	if (got <= 0)
		return false;
	if (byte != CHAN_REQUEST_KEPT) {
		/* Sent before the byte: it is there, or the caller is gone. */
		xmm_server_chan_message_init(&m, 0);
		do
			got = recvmsg(chan, &m.msg,
				      MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		while (got < 0 && errno == EINTR);
		cmsg = got > 0 ? CMSG_FIRSTHDR(&m.msg) : NULL;
		if (cmsg && cmsg->cmsg_level == SOL_SOCKET &&
		    cmsg->cmsg_type == SCM_RIGHTS &&
		    cmsg->cmsg_len == CMSG_LEN(sizeof(int)))
			memcpy(&pidfd, CMSG_DATA(cmsg), sizeof(int));
		/* A new pidfd (or none arrived): the old one is no use. */
		if (*kept_pidfd >= 0)
			close(*kept_pidfd);
		*kept_pidfd = pidfd;
	}
	if (*kept_pidfd < 0) {
		req->result = -EBADF;
	} else {
		req->pidfd = *kept_pidfd;
		req->caller_chan = wake;	/* hangs up as the pipe does */
		req->result = xmm_inject_trace_batch(req, true, true,
						     alarm_wait);
	}
	/* (req is the caller's again once it has the answer.) */
	never_stopped = req->result == -EAGAIN && req->target_held;
	/* A result >= 0: the release detached (xmm_inject_trace_batch());
	 * a failure may leave a dying tracee to reap. */
	if (req->result < 0)
		*traces_none = false;
	answer(spawn, *kept_pidfd >= 0);
	/* A target that never stopped is seized still: only our exit lets
	 * go of it (PTRACE_DETACH needs a stop).  (EAGAIN also answers a
	 * target that stopped but would not begin our call, a frozen one:
	 * released already, so we serve on.) */
	return !never_stopped;
}

/*
 * A target that died under us stays our tracee, a zombie its parent
 * cannot reap, until we wait for it: the exit of a per-call helper let go
 * of it, the kept one reaps it.  We have no children of our own, so every
 * wait status is such a tracee's.  true when we trace no task any more
 * (ECHILD): only a request makes a new tracee then.
 */
static bool reap_dead_tracees(void)
{
	int status;
	pid_t got;

	while ((got = waitpid(-1, &status, __WALL | WNOHANG)) > 0)
		;
	return got < 0 && errno == ECHILD;
}

/*
 * Between requests: wait for the next one, reaping tracees that die
 * meanwhile (their SIGCHLD, blocked, read from sigchld).  true when the
 * pipe has something (a request, or the hang-up).  Tracing no task (the
 * common case: every release detached), nothing can die under us until
 * the next request, so read(2) alone waits: the caller's byte wakes us
 * there directly, without a poll(2) first.  *traces_none: known to trace
 * none (no tracee since the last ECHILD but detached ones), which spares
 * the look (a waitpid(2) each request).
 */
static bool await_request(int wake, int sigchld, bool *traces_none)
{
	struct pollfd fds[2] = {
		{ .fd = wake, .events = POLLIN },
		{ .fd = sigchld, .events = POLLIN },
	};
	char drain[128];

	if (*traces_none)
		return true;
	for (;;) {
		if (reap_dead_tracees()) {
			*traces_none = true;
			return true;
		}
		if (poll(fds, sigchld >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return true;	/* let recvmsg() tell */
		}
		if (fds[0].revents)
			return true;
		while (read(sigchld, drain, sizeof(drain)) > 0)
			;
	}
}

/*
 * The answer word on our robust futex list, so that the kernel marks it
 * when we die, whatever kills us (set_robust_list(2); a new process has
 * no list), then our tid in it: idle.
 */
static void own_answer_word(struct server_shared *shared)
{
	struct server_spawn *spawn = &shared->spawn;

	shared->robust.list.next = &shared->answer_entry;
	shared->answer_entry.next = &shared->robust.list;
	shared->robust.futex_offset = (long)((char *)&spawn->answer -
					     (char *)&shared->answer_entry);
	shared->robust.list_op_pending = NULL;
	syscall(SYS_set_robust_list, &shared->robust, sizeof(shared->robust));
	spawn->helper_self = (uint32_t)getpid();
	atomic_store(&spawn->answer, spawn->helper_self);
}

/*
 * Tiny once the caller's memory is gone, and needed most when the OOM
 * killer is about (its death while the target holds our registers is
 * what it exists to prevent), the helper asks to be the OOM killer's
 * last choice: -1000, where the caller may lower it (CAP_SYS_RESOURCE);
 * else it keeps the caller's value.  Not for a helper sharing the
 * caller's memory: the kernel gives the value to every process of an mm.
 */
static void shun_the_oom_killer(void)
{
	int fd = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);

	if (fd < 0)
		return;
	if (write(fd, "-1000", 5) < 0) {
		/* EACCES without CAP_SYS_RESOURCE: the caller's value stays */
	}
	close(fd);
}

static int helper_main(void *arg)
{
	struct server_shared *shared = arg;
	struct server_spawn *spawn = &shared->spawn;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	int chan = spawn->helper_end, wake = spawn->helper_wake;
	int kept_pidfd = -1;
	bool traces_none = true;	/* a new process traces nothing */
	char ready = 'r';
	sigset_t all, chld;
	int sigchld;
	bool alarm_wait;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* Memory of our own, a copy of the caller's: keep only ours. */
	if (!spawn->shares_memory) {
		xmm_keep_only(&shared->keep);
		shun_the_oom_killer();
	}
	own_answer_word(shared);
	/* Our own copy of the dispositions: SIGCHLD must be sent to us. */
	sigaction(SIGCHLD, &dfl, NULL);
	/* And SIGALRM, which bounds the wait for a first stop. */
	alarm_wait = xmm_tracer_alarm_init();
	prctl(PR_SET_NAME, "xmm-inject", 0, 0, 0);
	close_all_but(chan < wake ? chan : wake, chan < wake ? wake : chan);
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	sigchld = signalfd(-1, &chld, SFD_NONBLOCK | SFD_CLOEXEC);
	atomic_store(&spawn->helper_ran, true);
	if (send(chan, &ready, 1, MSG_NOSIGNAL) != 1)
		return 0;
	while (await_request(wake, sigchld, &traces_none) &&
	       serve_one(spawn, chan, wake, (struct xmm_inject_request *)
			 ((char *)shared + SHARED_REQUEST_OFF), &kept_pidfd,
			 alarm_wait, &traces_none))
		;
	return 0;
}

/*
 * The intermediate: clone the helper, exit, and so orphan it.  The
 * helper gets memory of its own (no CLONE_VM): the top says why.  Where
 * the caller would adopt the orphan (spawn->adopted: inject_server.c's
 * top), the helper is the caller's clone child instead: CLONE_PARENT
 * gives it our parent (the caller's spawner thread) and our exit signal,
 * none (a clone(2) flags' low byte, 0 here too, counts only without it).
 */
int xmm_server_middle_main(void *arg)
{
	struct server_shared *shared = arg;
	struct server_spawn *spawn = &shared->spawn;
	size_t page = (size_t)getpagesize();
	int flags = spawn->shares_memory ? CLONE_VM : 0;
	pid_t helper;

	atomic_store(&xmm_server_middle_ran, true);
	if (spawn->adopted)
		flags |= CLONE_PARENT;
	helper = clone(helper_main, spawn->region + HELPER_STACK_OFF(page) +
		       HELPER_STACK_SIZE, flags, shared);
	atomic_store(&spawn->helper, helper);
	return 0;
}

#endif /* XMM_HAVE_INJECT */
