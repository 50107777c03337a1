// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ptrace primitives of the injection engine and the state they keep
 * (struct xmm_tracer): where the tracee is stopped, whether it runs, and
 * whether it holds our registers.  xmm_tracer_release() leaves it as it
 * was from any of those states: every path after PTRACE_SEIZE ends there.
 *
 * Two waits:
 *  - bounded (the interrupt stop, and the syscall-entry stop of a call
 *    that may still be given up: inject_call.c), only where giving up
 *    changes nothing, or where the stop that follows (an interrupt's,
 *    waited for without limit) lets the tracer put everything back.
 *    The kept helper blocks in waitpid(2) until its SIGALRM says the
 *    time is up; the others sleep on SIGCHLD or nap between looks;
 *  - unbounded once a call runs: it may take as long as it takes
 *    (MADV_POPULATE_READ on a userfaultfd, MADV_PAGEOUT to a slow disk);
 *    the tracer waits until it ends or the target dies.
 *
 * Async-signal-safe throughout (see inject_private.h).
 */
#include "internal.h"
#include "inject_private.h"
#include "maps_parse.h"

#ifdef XMM_HAVE_INJECT

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>

/* <linux/ptrace.h>, which clashes with <sys/ptrace.h>. */

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP		128
#endif

/* Our ptrace options, from the seize on (PTRACE_SETOPTIONS replaces them
 * all: xmm_tracer_suspend_seccomp() adds its one to these). */
#define TRACER_OPTIONS		PTRACE_O_TRACESYSGOOD

/* The longest a waiting tracer sleeps before it looks again. */
#define SLEEP_SLICE_NS		5000000L
/* A tracer that cannot sleep on SIGCHLD starts its naps this short. */
#define FIRST_NAP_NS		10000L
/* ... and makes them no longer than this. */
#define LONGEST_NAP_NS		1000000L

void xmm_inject_proc_path(char *buf, pid_t a, pid_t b, const char *leaf)
{
	static const char proc[] = "/proc/", task[] = "/task/";
	char digits[12];
	size_t used = 0, n;
	pid_t v;
	int pass;

	for (n = 0; proc[n]; n++)
		buf[used++] = proc[n];
	for (pass = 0; pass < 2; pass++) {
		v = pass ? b : a;
		if (pass && !b)
			break;
		if (pass)
			for (n = 0; task[n]; n++)
				buf[used++] = task[n];
		n = 0;
		do {
			digits[n++] = (char)('0' + v % 10);
			v /= 10;
		} while (v > 0 && n < sizeof(digits));
		while (n)
			buf[used++] = digits[--n];
	}
	buf[used++] = '/';
	for (n = 0; leaf[n] && used < 63; n++)
		buf[used++] = leaf[n];
	buf[used] = '\0';
}

/* One read's worth of maps text; a longer line is dropped. */
#define MAPS_CHUNK		4096

int xmm_inject_maps_each(const char *path,
			 int (*each)(const struct xmm_vma *vma, void *arg),
			 void *arg)
{
	char buf[MAPS_CHUNK + 1];
	size_t used = 0, malformed = 0;
	int fd, stop = 0;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	while (!stop) {
		ssize_t got = read(fd, buf + used, MAPS_CHUNK - used);
		size_t consumed;

		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		used += (size_t)got;
		consumed = xmm_maps_parse_lines(buf, used, got == 0, each, arg,
						&malformed, &stop);
		if (got == 0)
			break;
		memmove(buf, buf + consumed, used - consumed);
		used -= consumed;
		if (used == MAPS_CHUNK)
			used = 0;	/* an absurd line: drop it */
	}
	close(fd);
	return 0;
}

long xmm_inject_parse_decimal(const char *s)
{
	long v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9' && v < 100000000L)
		v = v * 10 + (*s++ - '0');
	return v;
}

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 +
	       (now.tv_nsec - since->tv_nsec) / 1000000;
}

/*
 * The target's memory: process_vm_readv/writev, one syscall each; where
 * a policy refuses those (a seccomp profile), /proc/PID/mem, opened once.
 * Never writes a byte of the target's own mappings (only the stub's).
 */
static ssize_t tracer_mem(struct xmm_tracer *t, unsigned long addr,
			  void *buf, size_t len, bool write)
{
	struct iovec local = { buf, len };
	struct iovec remote = { (void *)addr, len };
	char path[64];
	ssize_t got;

	if (!t->vm_rw_refused) {
		got = write ? process_vm_writev(t->tid, &local, 1, &remote, 1,
						0) :
			      process_vm_readv(t->tid, &local, 1, &remote, 1,
					       0);
		if (got >= 0 || (errno != ENOSYS && errno != EPERM))
			return got;
		t->vm_rw_refused = true;
	}
	if (t->mem_fd < 0) {
		xmm_inject_proc_path(path, t->tid, 0, "mem");
		t->mem_fd = open(path, O_RDWR | O_CLOEXEC);
		if (t->mem_fd < 0)
			return -1;
	}
	return write ? pwrite(t->mem_fd, buf, len, (off_t)addr) :
		       pread(t->mem_fd, buf, len, (off_t)addr);
}

bool xmm_tracer_read(struct xmm_tracer *t, unsigned long addr, void *buf,
		     size_t len)
{
	return tracer_mem(t, addr, buf, len, false) == (ssize_t)len;
}

ssize_t xmm_tracer_read_some(struct xmm_tracer *t, unsigned long addr,
			     void *buf, size_t len)
{
	return tracer_mem(t, addr, buf, len, false);
}

/*
 * A few bytes at addr, by PTRACE_PEEKTEXT of the aligned word that holds
 * them: the tracee is stopped and ours, so this skips what
 * process_vm_readv(2) pays per call (mm_access()'s permission check, an
 * iovec, pinning the page): about 0.4 us less here.  An aligned word
 * never reaches into the next page, which the bytes asked for do not
 * touch either (reading it could fault it in).  Bytes that straddle two
 * words take the other way.
 */
bool xmm_tracer_peek(struct xmm_tracer *t, unsigned long addr, void *buf,
		     size_t len)
{
	unsigned long base = addr & ~(sizeof(long) - 1);
	long word;

	if (addr - base + len > sizeof(word))
		return xmm_tracer_read(t, addr, buf, len);
	errno = 0;
	word = ptrace(PTRACE_PEEKTEXT, t->tid, (void *)base, NULL);
	if (word == -1 && errno)
		return xmm_tracer_read(t, addr, buf, len);
	/* The word holds the bytes in memory order. */
	memcpy(buf, (const char *)&word + (addr - base), len);
	return true;
}

bool xmm_tracer_write(struct xmm_tracer *t, unsigned long addr,
		      const void *buf, size_t len)
{
	return tracer_mem(t, addr, (void *)buf, len, true) == (ssize_t)len;
}

int xmm_tracer_seize(struct xmm_tracer *t, pid_t tid)
{
	if (ptrace(PTRACE_SEIZE, tid, 0, TRACER_OPTIONS) < 0)
		return -errno;
	t->tid = tid;
	t->attached = true;
	t->running = true;
	t->at_event_stop = false;
	return 0;
}

/*
 * Sleep a little while waiting for a stop with a time limit, where no
 * alarm ends a blocking waitpid() (below).  Never yield: on a busy
 * machine sched_yield() gives the processor away for a whole slice.
 * A per-call helper sleeps on SIGCHLD, which the kernel sends a tracer at
 * each stop of its tracee; never long, so that a notification the kernel
 * coalesced costs one slice.  A thread of the caller must not take the
 * caller's SIGCHLD: it naps, each nap twice as long as the one before.
 */
static void pause_for_stop(const struct xmm_tracer *t, long left_ms,
			   long *nap_ns)
{
	struct timespec ts = { 0, SLEEP_SLICE_NS };
	sigset_t chld;

	if (left_ms >= 0 && left_ms * 1000000L < ts.tv_nsec)
		ts.tv_nsec = left_ms * 1000000L;
	if (t->blocking_wait) {
		sigemptyset(&chld);
		sigaddset(&chld, SIGCHLD);
		sigtimedwait(&chld, NULL, &ts);
		return;
	}
	if (*nap_ns < ts.tv_nsec)
		ts.tv_nsec = *nap_ns;
	*nap_ns = *nap_ns * 2 < LONGEST_NAP_NS ? *nap_ns * 2 : LONGEST_NAP_NS;
	nanosleep(&ts, NULL);
}

/*
 * The kept helper's bounded wait: one blocking waitpid(), which SIGALRM
 * (ITIMER_REAL, the helper's own: it is a process of its own) ends with
 * EINTR at the deadline.  That is one syscall where sleeping on SIGCHLD
 * takes four (a stale SIGCHLD ends the first sleep at once, then a
 * WNOHANG look, the sleep, the look that finds the stop).  The helper has
 * dispositions of its own (no CLONE_SIGHAND), so the handler is the
 * helper's alone: the caller's process never gets one.  The handler does
 * nothing; without SA_RESTART the kernel answers EINTR instead of
 * restarting the wait.  SIGALRM stays unblocked in the helper; all its
 * other signals are blocked.  Every syscall of the helper that can sleep
 * interruptibly (read, recvmsg, poll, waitpid, its naps) goes round again
 * on EINTR, so a SIGALRM that another process sends costs a round, no
 * more.
 *
 * The first expiry is the deadline; then it repeats every ALARM_REPEAT_US:
 * a tick that lands after the deadline check but before waitpid(2) is
 * entered runs the handler in user space and leaves the wait blocking,
 * and the next tick ends it.
 *
 * One timer serves a whole batch: armed by its first bounded wait (the
 * interrupt stop), it runs on through the bounded wait for the first
 * call's entry stop, so that bounding that one costs no syscall; a
 * bounded wait that finds it running keeps it and checks its own
 * deadline at each tick.  An unbounded wait that a tick ends disarms it
 * (a long call is woken once, not every ALARM_REPEAT_US), and the next
 * bounded wait arms it again.  xmm_tracer_alarm_end() disarms it before
 * the batch's answer, on every path (xmm_inject_trace_batch()); a tick
 * queued just before that is delivered on the way out of setitimer(2)
 * itself (SIGALRM being unblocked), so no tick outlives the batch and
 * none can end the helper's wait for its next request.  A tick between
 * two waits only runs the handler: none of the tracer's other syscalls
 * sleeps interruptibly.
 */
#define ALARM_REPEAT_US		5000

static void alarm_tick(int sig)
{
	(void)sig;
}

/* Install the helper's own SIGALRM handler and unblock it: true when
 * waits may rely on it.  Only in a helper process (never the caller's). */
bool xmm_tracer_alarm_init(void)
{
	struct sigaction tick = { .sa_handler = alarm_tick };
	sigset_t alrm;

	sigfillset(&tick.sa_mask);
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	return sigaction(SIGALRM, &tick, NULL) == 0 &&
	       sigprocmask(SIG_UNBLOCK, &alrm, NULL) == 0;
}

static bool alarm_arm(int timeout_ms)
{
	struct itimerval timer = {
		.it_interval = { 0, ALARM_REPEAT_US },
		.it_value = { timeout_ms / 1000, timeout_ms % 1000 * 1000 },
	};

	/* (A zero expiry would disarm it: the wait would never end.) */
	return timeout_ms > 0 && setitimer(ITIMER_REAL, &timer, NULL) == 0;
}

static void alarm_disarm(struct xmm_tracer *t)
{
	static const struct itimerval off;

	setitimer(ITIMER_REAL, &off, NULL);
	t->alarm_armed = false;
}

void xmm_tracer_alarm_end(struct xmm_tracer *t)
{
	if (t->alarm_armed)
		alarm_disarm(t);
}

/*
 * The loop of xmm_tracer_wait(), from start: blocking where unbounded or
 * where an armed alarm bounds it, else WNOHANG looks between pauses.
 */
static int wait_from(struct xmm_tracer *t, int timeout_ms,
		     const struct timespec *start, bool alarmed)
{
	bool blocking = alarmed || timeout_ms == XMM_INJECT_WAIT_FOREVER;
	long nap_ns = FIRST_NAP_NS;

	/*
	 * A per-call helper sleeps on SIGCHLD before it looks: the stop
	 * waited for with a limit was asked for just now (the interrupt,
	 * or the resume into a call), and on a CPU shared with the tracee
	 * it cannot have come yet; a stop that has come sent its SIGCHLD,
	 * which ends the sleep at once.  One syscall fewer than looking
	 * first; a SIGCHLD left pending from an earlier stop only costs
	 * one more round.  (A thread naps instead, and an early nap would
	 * cost a whole nap: it looks first.)
	 */
	if (!blocking && t->blocking_wait)
		pause_for_stop(t, timeout_ms, &nap_ns);
	for (;;) {
		/* Blocking, it sleeps in the kernel until the stop: the
		 * cheapest wake-up there is.  (Every tracer blocks its
		 * signals but SIGALRM in the kept helper, and the caller's
		 * own thread: EINTR, again.) */
		pid_t got = waitpid(t->tid, &t->status,
				    blocking ? __WALL : __WALL | WNOHANG);
		long left;

		if (got == t->tid) {
			if (WIFEXITED(t->status) || WIFSIGNALED(t->status)) {
				t->gone = true;
				return -ESRCH;
			}
			t->running = false;
			(void)xmm_tracer_stop_kind(t, &t->pending_sig);
			return 0;
		}
		if (got < 0 && errno != EINTR) {
			t->gone = true;	/* ECHILD: no longer ours */
			return -ESRCH;
		}
		if (timeout_ms == XMM_INJECT_WAIT_FOREVER) {
			/* A tick of a bounded wait's timer: no more. */
			xmm_tracer_alarm_end(t);
			continue;
		}
		left = timeout_ms - elapsed_ms(start);
		if (left <= 0)
			return -EAGAIN;
		if (!alarmed)
			pause_for_stop(t, left, &nap_ns);
	}
}

/*
 * Wait for the next stop of the tracee, for at most timeout_ms
 * (XMM_INJECT_WAIT_FOREVER: until it stops or dies).  0 with t->status
 * set; -ESRCH when it is gone (exited, killed, or no longer ours);
 * -EAGAIN on timeout, the tracee still running.  Where no alarm can be
 * armed, the pauses of pause_for_stop() bound it.  An alarm armed here
 * runs on until xmm_tracer_alarm_end() (see alarm_tick()).
 */
int xmm_tracer_wait(struct xmm_tracer *t, int timeout_ms)
{
	struct timespec start;
	bool bounded = timeout_ms != XMM_INJECT_WAIT_FOREVER;

	clock_gettime(CLOCK_MONOTONIC, &start);
	if (bounded && t->alarm_wait && !t->alarm_armed)
		t->alarm_armed = alarm_arm(timeout_ms);
	return wait_from(t, timeout_ms, &start, bounded && t->alarm_armed);
}

enum xmm_stop_kind xmm_tracer_stop_kind(const struct xmm_tracer *t, int *sig)
{
	int status = t->status;

	*sig = 0;
	if (!WIFSTOPPED(status))
		return XMM_STOP_OTHER;
	if (status >> 16 == PTRACE_EVENT_STOP)
		return XMM_STOP_EVENT;
	if (status >> 16)
		return XMM_STOP_OTHER;	/* no other event is enabled */
	if (WSTOPSIG(status) == (SIGTRAP | 0x80))
		return XMM_STOP_SYSCALL;
	*sig = WSTOPSIG(status);
	return XMM_STOP_SIGNAL;
}

/*
 * Set or clear PT_SUSPEND_SECCOMP on the stopped tracee, our other
 * options kept.  -EINVAL: the kernel has no CONFIG_CHECKPOINT_RESTORE;
 * -EPERM: we lack CAP_SYS_ADMIN in the initial user namespace, or are
 * under seccomp ourselves.
 */
int xmm_tracer_suspend_seccomp(struct xmm_tracer *t, bool suspend)
{
	unsigned long options = TRACER_OPTIONS;

	if (suspend)
		options |= PTRACE_O_SUSPEND_SECCOMP;
	if (ptrace(PTRACE_SETOPTIONS, t->tid, 0, options) < 0)
		return errno == EINVAL || errno == EPERM ? -errno : -ESRCH;
	t->seccomp_suspended = suspend;
	return 0;
}

/*
 * While PT_SUSPEND_SECCOMP is set, every syscall of the tracee bypasses
 * its seccomp filters and strict mode.  So the tracee runs with it only
 * while it holds our registers (an injected call, or the stub, which
 * makes only our calls), and never runs its own code with it: before
 * any resume with its own registers (a signal handed back, the way to
 * the last stop) it is cleared, or the tracee is not resumed.  Setting
 * it again after such a resume can fail only if we lost CAP_SYS_ADMIN or
 * gained a filter meanwhile: a call that needs it is then refused.
 */
static int suspension_for_resume(struct xmm_tracer *t)
{
	bool want = t->seccomp_suspend && t->swapped;
	int ret;

	if (t->seccomp_suspended == want)
		return 0;
	ret = xmm_tracer_suspend_seccomp(t, want);
	if (ret == 0)
		return 0;
	if (!want || ret == -ESRCH)
		return -ESRCH;
	if (t->seccomp_suspend_needed)
		return -EPERM;
	/* Its filters were read and allow the calls: the kernel may run
	 * them too. */
	t->seccomp_suspend = false;
	return 0;
}

/* PTRACE_CONT or PTRACE_SYSCALL from a stop. */
int xmm_tracer_resume(struct xmm_tracer *t, int request, int sig)
{
	int ret = suspension_for_resume(t);

	if (ret < 0)
		return ret;
	if (ptrace(request, t->tid, 0, sig) < 0)
		return -ESRCH;
	t->running = true;
	t->at_event_stop = false;
	t->pending_sig = 0;
	return 0;
}

/*
 * From a running (or signal-stopped) tracee with its own registers, reach
 * an event stop, handing back every signal it dequeues meanwhile.  The
 * signals keep their siginfo: PTRACE_CONT with the stop's own signal.
 * From a stop, the tracee resumes with its pending signal, if any.
 */
int xmm_tracer_event_stop(struct xmm_tracer *t, int timeout_ms)
{
	int ret, sig;

	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		return -ESRCH;
	if (!t->running) {
		ret = xmm_tracer_resume(t, PTRACE_CONT, t->pending_sig);
		if (ret < 0)
			return ret;
	}
	for (;;) {
		ret = xmm_tracer_wait(t, timeout_ms);
		if (ret < 0)
			return ret;
		switch (xmm_tracer_stop_kind(t, &sig)) {
		case XMM_STOP_EVENT:
			t->at_event_stop = true;
			/* SIGTRAP: our interrupt; else a group stop. */
			t->group_stopped = WSTOPSIG(t->status) != SIGTRAP;
			return 0;
		case XMM_STOP_SIGNAL:
			ret = xmm_tracer_resume(t, PTRACE_CONT, sig);
			if (ret < 0)
				return ret;
			/* The interrupt trap may be spent: ask again. */
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
				return -ESRCH;
			break;
		default:
			/* A syscall stop left over from us: move on. */
			ret = xmm_tracer_resume(t, PTRACE_CONT, 0);
			if (ret < 0)
				return ret;
			break;
		}
	}
}

int xmm_tracer_set_regs(struct xmm_tracer *t,
			const struct xmm_inject_regs *regs)
{
	if (xmm_inject_setregs(t->tid, regs) < 0)
		return -ESRCH;
	t->swapped = true;
	return 0;
}

int xmm_tracer_restore_regs(struct xmm_tracer *t)
{
	if (xmm_inject_setregs(t->tid, &t->saved) < 0)
		return -ESRCH;
	t->swapped = false;
	return 0;
}

/*
 * Put R back and hand the pending signal of a signal-delivery-stop to the
 * target, as if it had arrived before we came; then stop it again and
 * take its new registers.
 */
int xmm_tracer_deliver_and_restop(struct xmm_tracer *t, int sig)
{
	int ret;

	ret = xmm_tracer_restore_regs(t);
	if (ret < 0)
		return ret;
	ret = xmm_tracer_resume(t, PTRACE_CONT, sig);
	if (ret < 0)
		return ret;
	/* Begun is begun: a stub mapping may wait for its removal. */
	ret = xmm_tracer_event_stop(t, XMM_INJECT_WAIT_FOREVER);
	if (ret < 0)
		return ret;
	if (xmm_inject_getregs(t->tid, &t->saved) < 0)
		return -ESRCH;
	t->sigtrap_known = false;	/* a handler may block SIGTRAP */
	xmm_inject_insn_at_saved_pc(t);
	return 0;
}

#ifdef XMM_INJECT_HAVE_RESTART_RULE
/*
 * The short way out of a syscall-exit stop of ours: R itself, then
 * PTRACE_DETACH, and nothing else.  Why that is exactly what a stop in
 * get_signal() and a detach there would give (Linux 6.1 and 6.18 alike):
 *
 *  - The stop is in ptrace_report_syscall_exit(), called from
 *    syscall_exit_work() before exit_to_user_mode_prepare() looks at the
 *    thread's work flags (kernel/entry/common.c), so whatever the detach
 *    leaves in them is seen on this very way out.
 *  - PTRACE_DETACH of a thread in TASK_TRACED: __ptrace_unlink() clears
 *    the pending ptrace traps (JOBCTL_TRAP_MASK) and wakes it with
 *    ptrace_signal_wake_up(child, true), which sets TIF_SIGPENDING
 *    (kernel/ptrace.c, signal_wake_up_state()), whatever R holds.  On
 *    waking, ptrace_stop() runs recalc_sigpending_tsk(), which sets it
 *    for any unblocked pending signal too and never clears it: "never
 *    ... when it's possible the current syscall is returning -ERESTART*"
 *    (kernel/signal.c).
 *  - With TIF_SIGPENDING, exit_to_user_mode_loop() calls
 *    arch_do_signal_or_restart(): get_signal() dequeues whatever signal
 *    is pending and handle_signal() sets up its handler on R with the
 *    handler's restart rule (or its default action runs), else the
 *    no-handler restart rule is applied to R (arch/x86/kernel/signal.c:
 *    only where orig_ax is not -1 and ax is -ERESTARTSYS,
 *    -ERESTARTNOINTR, -ERESTARTNOHAND or -ERESTART_RESTARTBLOCK).
 *
 * So a thread in no syscall (a spinning target, stopped from an
 * interrupt: orig_ax -1) or with no restart code returns to user mode
 * with R, any pending signal delivered as usual; one interrupted in a
 * syscall restarts it (or gets EINTR from a handler's rule), as after a
 * stop in get_signal().  A PTRACE_INTERRUPT before the detach (which
 * sets TIF_SIGPENDING too) would change nothing: tests/inject-restart.c
 * (-ERESTARTSYS, -ERESTART_RESTARTBLOCK) and
 * test_busy_target_gets_signals_sent_during_injection check it.  Not for
 * a group stop to go back to (the long way re-arms it).  0 when
 * detached, else -EAGAIN (take the long way).
 */
static int leave_from_syscall_stop(struct xmm_tracer *t)
{
	int sig;

	if (t->running || t->group_stopped ||
	    xmm_tracer_stop_kind(t, &sig) != XMM_STOP_SYSCALL)
		return -EAGAIN;
	if (t->swapped && xmm_inject_setregs(t->tid, &t->saved) < 0)
		return -EAGAIN;
	t->swapped = false;
	if (ptrace(PTRACE_DETACH, t->tid, 0, 0) < 0)
		return -EAGAIN;
	return 0;
}
#else
static int leave_from_syscall_stop(struct xmm_tracer *t)
{
	(void)t;
	return -EAGAIN;
}
#endif

/*
 * Leave the target as we found it and let go of it, from wherever it is:
 *  - running with our registers (a call under way): wait, without limit,
 *    until it stops or dies;
 *  - running with its own: stop it (bounded where our exit lets go of it
 *    anyway, else without limit: nothing else would ever detach it);
 *  - registers back, then a stop inside get_signal(), the only place from
 *    which the kernel restarts the target's interrupted syscall
 *    (-ERESTARTSYS must never leak); PTRACE_DETACH there.  A process that
 *    was group-stopped goes back to its stop: the kernel re-arms it.
 *    Where the arch's syscall exit is known to enter get_signal() after
 *    a detach (x86_64), the thread is detached from the syscall-exit stop
 *    of our last call instead, R in place: one stop fewer, the kernel's
 *    own rule (see leave_from_syscall_stop()).
 * 0, or -errno (-ESRCH: the target is gone; -EAGAIN: it would not stop
 * and our exit will release it).
 */
int xmm_tracer_release(struct xmm_tracer *t)
{
	int stop_ms = t->exit_releases ? XMM_INJECT_STOP_TIMEOUT_MS :
					 XMM_INJECT_WAIT_FOREVER;
	int ret;

	if (!t->attached)
		return 0;
	if (t->gone)
		goto gone;
	/* (No path leaves a call of ours running; if one did, its end is
	 * waited for here.) */
	if (t->running && t->swapped &&
	    xmm_tracer_wait(t, XMM_INJECT_WAIT_FOREVER) < 0)
		goto gone;
	if (!t->at_event_stop && leave_from_syscall_stop(t) == 0)
		goto detached;
	if (t->swapped && xmm_tracer_restore_regs(t) < 0)
		goto gone;
	if (!t->at_event_stop) {
		ret = xmm_tracer_event_stop(t, stop_ms);
		if (ret == -EAGAIN)
			return ret;
		if (ret < 0)
			goto gone;
	}
	if (ptrace(PTRACE_DETACH, t->tid, 0, 0) < 0)
		goto gone;
detached:
	t->attached = false;
	return 0;
gone:
	t->attached = false;
	return -ESRCH;
}

#endif /* XMM_HAVE_INJECT */
