// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The ptrace injection engine (see inject.h).
 *
 * One batch, step by step, and what the target is left with if anything
 * stops half way:
 *
 *  1. PTRACE_SEIZE (PTRACE_O_TRACESYSGOOD, never EXITKILL: the target must
 *     outlive us), then check the pidfd: a reused pid is not our target.
 *  2. PTRACE_INTERRUPT and wait (__WALL, bounded) for PTRACE_EVENT_STOP.
 *     Its stop signal tells a group-stop (SIGSTOP, ...) from a running
 *     target (SIGTRAP).  A signal-delivery-stop on the way is handed back.
 *     The saved registers R are taken here, inside get_signal(), where an
 *     interrupted syscall of the target still waits for its restart.
 *  3. For each call: registers = R with pc on an existing syscall
 *     instruction of the target, the call's number and arguments, and "in
 *     no syscall" (orig_rax -1), so no restart logic touches them.  Run to
 *     the syscall-entry stop (check the number), then to the exit stop
 *     (take the result).  No byte of the target's code is written.
 *     A signal that arrives meanwhile stops the thread before the
 *     instruction runs: R goes back first and the signal is delivered
 *     with PTRACE_CONT, exactly as if it had come before we did; then we
 *     interrupt again and go on with the remaining calls.
 *  4. Registers = R, PTRACE_INTERRUPT, resume: the thread stops again
 *     inside get_signal(), the only place from which the kernel restarts
 *     the target's interrupted syscall (-ERESTARTSYS must never leak).
 *     PTRACE_DETACH there.  A process that was group-stopped goes back to
 *     its stop: the kernel re-arms it on detach.
 *
 * Who traces: a helper process, a vfork-like clone of the caller that
 * shares its memory.  If the caller is killed at any step, the helper goes
 * on and finishes the restore; the helper blocks every signal it can.
 * Every wait is bounded: the helper sleeps in sigtimedwait() for SIGCHLD,
 * which the kernel sends to a tracer on each stop of its tracee.
 */
#include "internal.h"
#include "inject.h"
#include "backend.h"
#include "inject_seccomp.h"
#include "procfs.h"
#include "syscall.h"

#if defined(__x86_64__)
#include "arch/x86_64/inject.h"
#define XMM_HAVE_INJECT	1
#elif defined(__aarch64__)
#include "arch/aarch64/inject.h"
#define XMM_HAVE_INJECT	1
#elif defined(__riscv) && __riscv_xlen == 64
#include "arch/riscv64/inject.h"
#define XMM_HAVE_INJECT	1
#endif

#ifdef XMM_HAVE_INJECT

#include <dirent.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER	0x420c
#endif
#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP		128
#endif

/* A running or sleeping thread reaches the interrupt stop at once; a
 * frozen or uninterruptible one may never: give up while nothing is
 * changed yet. */
#define STOP_TIMEOUT_MS		2000
/* Once registers are borrowed, wait much longer before giving up. */
#define STEP_TIMEOUT_MS		10000

/* The longest a waiting tracer sleeps before it looks again. */
#define SLEEP_SLICE_MS		5
/* Yields before a waiting tracer goes to sleep. */
#define SPIN_WAITS		50

#define HELPER_STACK_SIZE	(192 * 1024)
#define MAPS_CHUNK		4096
#define INSN_SEARCH_LIMIT	(4UL << 20)
#define MAX_CANDIDATES		64

/* The request a helper serves, in the memory it shares with the caller. */
struct inject_request {
	pid_t caller;		/* who asked: a helper outliving it does nothing */
	pid_t pid;
	int pidfd;
	unsigned int flags;
	size_t count;
	long result;
	struct xmm_inject_call calls[];
};

struct tracer {
	pid_t tid;
	bool blocking_wait;	/* SIGCHLD is ours (helper): sleep on it */
	int status;		/* the last wait status */
	int mem_fd;		/* /proc/PID/mem, opened once stopped */
	unsigned long insn;	/* a syscall instruction of the target */
	struct xmm_inject_regs saved;	/* R: the target's own registers */
};

enum stop_kind {
	STOP_EVENT,		/* PTRACE_EVENT_STOP (interrupt, group) */
	STOP_SYSCALL,		/* syscall-entry or -exit stop */
	STOP_SIGNAL,		/* signal-delivery-stop */
	STOP_OTHER,
};

/* The last syscall instruction found, tried first next time. */
static _Atomic pid_t insn_cache_pid;
static _Atomic unsigned long insn_cache_addr;

static long elapsed_ms(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - since->tv_sec) * 1000 +
	       (now.tv_nsec - since->tv_nsec) / 1000000;
}

/*
 * Wait for the next stop of the tracee, for at most timeout_ms.
 * 0 with t->status set; -ESRCH when it is gone (exited, killed, or no
 * longer ours); -EAGAIN on timeout.
 */
static int wait_tracee(struct tracer *t, int timeout_ms)
{
	struct timespec start;
	sigset_t chld;
	int spins = 0;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	clock_gettime(CLOCK_MONOTONIC, &start);
	for (;;) {
		pid_t got = waitpid(t->tid, &t->status, __WALL | WNOHANG);
		long left;

		if (got == t->tid)
			return WIFEXITED(t->status) ||
			       WIFSIGNALED(t->status) ? -ESRCH : 0;
		if (got < 0 && errno != EINTR)
			return -ESRCH;	/* ECHILD: no longer ours */
		left = timeout_ms - elapsed_ms(&start);
		if (left <= 0)
			return -EAGAIN;
		/*
		 * A stop usually follows within microseconds: yield a few
		 * times before sleeping, as a woken sleeper can wait a whole
		 * time slice on a busy machine.
		 */
		if (t->blocking_wait && spins++ < SPIN_WAITS) {
			sched_yield();
		} else if (t->blocking_wait) {
			/*
			 * Sleep until SIGCHLD, which every stop of a tracee
			 * sends its tracer; but never long, so that a
			 * notification the kernel coalesced or dropped costs
			 * one slice, not the whole timeout.
			 */
			struct timespec ts = {
				.tv_nsec = (left < SLEEP_SLICE_MS ?
					    left : SLEEP_SLICE_MS) * 1000000,
			};

			sigtimedwait(&chld, NULL, &ts);
		} else {
			/* SIGCHLD belongs to the caller: do not take it. */
			sched_yield();
		}
	}
}

static enum stop_kind classify(int status, int *sig)
{
	*sig = 0;
	if (!WIFSTOPPED(status))
		return STOP_OTHER;
	if (status >> 16 == PTRACE_EVENT_STOP)
		return STOP_EVENT;
	if (status >> 16)
		return STOP_OTHER;	/* no other event is enabled */
	if (WSTOPSIG(status) == (SIGTRAP | 0x80))
		return STOP_SYSCALL;
	*sig = WSTOPSIG(status);
	return STOP_SIGNAL;
}

/*
 * From a running (or signal-stopped) tracee with its own registers, reach
 * an event stop, handing back every signal it dequeues meanwhile.  The
 * signals keep their siginfo: PTRACE_CONT with the stop's own signal.
 */
static int reach_event_stop(struct tracer *t, int timeout_ms)
{
	int ret, sig;

	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		return -ESRCH;
	for (;;) {
		ret = wait_tracee(t, timeout_ms);
		if (ret < 0)
			return ret;
		switch (classify(t->status, &sig)) {
		case STOP_EVENT:
			return 0;
		case STOP_SIGNAL:
			if (ptrace(PTRACE_CONT, t->tid, 0, sig) < 0)
				return -ESRCH;
			/* The interrupt trap may be spent: ask again. */
			if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
				return -ESRCH;
			break;
		default:
			/* A syscall stop left over from us: move on. */
			if (ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
				return -ESRCH;
			break;
		}
	}
}

/* Does the target's memory hold a syscall instruction at addr? */
static bool is_insn_at(const struct tracer *t, unsigned long addr)
{
	unsigned char buf[XMM_INJECT_INSN_LEN];

	return pread(t->mem_fd, buf, sizeof(buf), (off_t)addr) ==
		       (ssize_t)sizeof(buf) &&
	       memcmp(buf, xmm_inject_insn, sizeof(buf)) == 0;
}

static bool search_range(const struct tracer *t, unsigned long start,
			 unsigned long end, unsigned long *found)
{
	unsigned char buf[MAPS_CHUNK + XMM_INJECT_INSN_LEN];
	unsigned long addr;

	if (end - start > INSN_SEARCH_LIMIT)
		end = start + INSN_SEARCH_LIMIT;
	for (addr = start; addr < end; addr += MAPS_CHUNK) {
		size_t want = end - addr < sizeof(buf) ? end - addr :
			      sizeof(buf);
		ssize_t got = pread(t->mem_fd, buf, want, (off_t)addr);
		size_t i;

		if (got < XMM_INJECT_INSN_LEN)
			return false;
		/* Fixed-width ISAs: instructions are aligned. */
		for (i = 0; i + XMM_INJECT_INSN_LEN <= (size_t)got;
		     i += XMM_INJECT_INSN_LEN == 4 ? 4 : 1) {
			if (memcmp(buf + i, xmm_inject_insn,
				   XMM_INJECT_INSN_LEN) == 0) {
				*found = addr + i;
				return true;
			}
		}
	}
	return false;
}

struct candidate {
	unsigned long start, end;
	int rank;		/* 0 libc, 1 other file, 2 anything else */
};

/* libc itself (glibc's libc.so.6 or libc-2.x.so, musl's loader), not
 * libcap or libcmocka. */
static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/') + 1;

	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "ld-musl", 7);
}

/* Parse one /proc/PID/maps line into an executable candidate. */
static bool parse_maps_line(const char *line, struct candidate *c)
{
	char *end;
	const char *p;

	c->start = strtoul(line, &end, 16);
	if (*end != '-')
		return false;
	c->end = strtoul(end + 1, &end, 16);
	if (end[0] != ' ' || end[1] != 'r' || end[3] != 'x')
		return false;
	p = strchr(end, '/');
	if (p && is_libc(p))
		c->rank = 0;
	else if (p)
		c->rank = 1;
	else
		c->rank = 2;
	return true;
}

/*
 * Find a syscall instruction in the target's executable mappings: libc's
 * text first (its syscall stubs), then any other.  The instruction is only
 * executed, never written, so any occurrence will do.
 */
static int find_insn(struct tracer *t)
{
	struct candidate cand[MAX_CANDIDATES];
	char path[64], buf[MAPS_CHUNK + 1];
	size_t used = 0, ncand = 0, i;
	int fd, rank;

	if (atomic_load(&insn_cache_pid) == t->tid) {
		unsigned long addr = atomic_load(&insn_cache_addr);

		if (addr && is_insn_at(t, addr)) {
			t->insn = addr;
			return 0;
		}
	}
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)t->tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	for (;;) {
		ssize_t got = read(fd, buf + used, MAPS_CHUNK - used);
		char *line = buf, *nl;

		if (got < 0 && errno == EINTR)
			continue;
		if (got <= 0)
			break;
		used += (size_t)got;
		buf[used] = '\0';
		while ((nl = strchr(line, '\n'))) {
			*nl = '\0';
			if (ncand < MAX_CANDIDATES &&
			    parse_maps_line(line, &cand[ncand]))
				ncand++;
			line = nl + 1;
		}
		used = (size_t)(buf + used - line);
		memmove(buf, line, used);
		if (used == MAPS_CHUNK)
			used = 0;	/* an absurd line: drop it */
	}
	close(fd);

	for (rank = 0; rank <= 2; rank++) {
		for (i = 0; i < ncand; i++) {
			if (cand[i].rank != rank ||
			    !search_range(t, cand[i].start, cand[i].end,
					  &t->insn))
				continue;
			atomic_store(&insn_cache_addr, t->insn);
			atomic_store(&insn_cache_pid, t->tid);
			return 0;
		}
	}
	return -ENOEXEC;
}

/* Is seccomp filtering the target?  0 none, 1 strict, 2 filter. */
static int seccomp_mode(pid_t tid)
{
	char path[64], buf[4096];
	const char *line;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)tid);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -ESRCH;
	len = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (len <= 0)
		return -ESRCH;
	buf[len] = '\0';
	line = strstr(buf, "\nSeccomp:");
	if (!line)
		return 0;	/* a kernel without seccomp */
	return atoi(line + 9);
}

/*
 * Ask the target's filters about each call before any runs, as issued
 * from the syscall instruction that ends at ip: the answer each call gets
 * instead of running (0: it may run) in answer[].  -EPERM
 * when the filters cannot be read (PTRACE_SECCOMP_GET_FILTER needs
 * CAP_SYS_ADMIN): a filter we cannot read may kill the target.
 */
static int seccomp_answers(const struct tracer *t, unsigned long ip,
			   const struct xmm_inject_call *calls, size_t count,
			   long *answer)
{
	struct sock_filter prog[BPF_MAXINSNS];
	uint32_t action[XMM_INJECT_MAX_CALLS];
	unsigned long index;
	size_t i;
	int mode = seccomp_mode(t->tid);

	for (i = 0; i < count; i++) {
		answer[i] = 0;
		action[i] = SECCOMP_RET_ALLOW;
	}
	if (mode <= 0)
		return mode;
	if (mode == 1) {	/* strict: madvise and friends kill */
		for (i = 0; i < count; i++)
			answer[i] = -EPERM;
		return 0;
	}
	for (index = 0;; index++) {
		long len = ptrace(PTRACE_SECCOMP_GET_FILTER, t->tid,
				  (void *)index, prog);

		if (len < 0 && errno == ENOENT && index > 0)
			break;
		if (len < 0 || len > BPF_MAXINSNS)
			return -EPERM;
		for (i = 0; i < count; i++) {
			struct seccomp_data data = {
				.nr = (int)calls[i].nr,
				.arch = XMM_INJECT_AUDIT_ARCH,
				.instruction_pointer = ip,
			};
			int a;

			for (a = 0; a < 6; a++)
				data.args[a] = calls[i].arg[a];
			action[i] = xmm_seccomp_stronger(action[i],
				xmm_seccomp_run(prog, (size_t)len, &data));
		}
	}
	for (i = 0; i < count; i++)
		answer[i] = xmm_seccomp_answer(action[i]);
	return 0;
}

/*
 * Put R back and hand the pending signal of a signal-delivery-stop to the
 * target, as if it had arrived before we came; then stop it again and
 * take its new registers.
 */
static int deliver_and_restop(struct tracer *t, int sig)
{
	int ret;

	if (xmm_inject_setregs(t->tid, &t->saved) < 0)
		return -ESRCH;
	if (ptrace(PTRACE_CONT, t->tid, 0, sig) < 0)
		return -ESRCH;
	ret = reach_event_stop(t, STEP_TIMEOUT_MS);
	if (ret < 0)
		return ret;
	return xmm_inject_getregs(t->tid, &t->saved) < 0 ? -ESRCH : 0;
}

/* Did the thread fault fetching our syscall instruction (unmapped or made
 * non-executable by a sibling since we found it)? */
static bool faulted_on_insn(const struct tracer *t, int sig)
{
	siginfo_t info;

	if (sig != SIGSEGV && sig != SIGBUS && sig != SIGILL)
		return false;
	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &info) < 0)
		return false;
	return info.si_code > 0 && (unsigned long)info.si_addr >= t->insn &&
	       (unsigned long)info.si_addr < t->insn + XMM_INJECT_INSN_LEN;
}

/*
 * Run one call from a stop.  0: ran, c->ret set, the tracee at its exit
 * stop.  1: a signal came first; it was delivered and the tracee is at a
 * new event stop with new saved registers: run the call again.
 */
static int run_one(struct tracer *t, struct xmm_inject_call *c)
{
	struct xmm_inject_regs regs = t->saved;
	bool entered = false;
	int ret, sig;

	xmm_inject_set_call(&regs, t->insn, c->nr, c->arg);
	if (xmm_inject_setregs(t->tid, &regs) < 0)
		return -ESRCH;
	for (;;) {
		if (ptrace(PTRACE_SYSCALL, t->tid, 0, 0) < 0)
			return -ESRCH;
		ret = wait_tracee(t, STEP_TIMEOUT_MS);
		if (ret < 0)
			return ret;
		switch (classify(t->status, &sig)) {
		case STOP_SYSCALL:
			if (xmm_inject_getregs(t->tid, &regs) < 0)
				return -ESRCH;
			if (entered) {
				c->ret = xmm_inject_result(&regs);
				return c->nr == -1 ? -EIO : 0;
			}
			entered = true;
			if (xmm_inject_pc(&regs) ==
				    t->insn + XMM_INJECT_INSN_LEN &&
			    xmm_inject_entry_nr(&regs) == c->nr)
				break;
			/* Not the call we set up (never seen): skip it and
			 * report it, never let R's syscall run here. */
			xmm_inject_cancel_entry(&regs);
			if (xmm_inject_setregs(t->tid, &regs) < 0)
				return -ESRCH;
			c->nr = -1;
			break;
		case STOP_SIGNAL:
			if (entered)
				return -EIO;
			if (faulted_on_insn(t, sig)) {
				/* Our instruction vanished: our fault, not
				 * the target's.  Swallow it. */
				atomic_store(&insn_cache_pid, 0);
				if (xmm_inject_setregs(t->tid, &t->saved) < 0)
					return -ESRCH;
				return -ENOEXEC;
			}
			ret = deliver_and_restop(t, sig);
			return ret < 0 ? ret : 1;
		case STOP_EVENT:
			/* A leftover interrupt or a group stop: the call has
			 * not started; resume it as it is. */
			if (entered)
				return -EIO;
			break;
		default:
			return -EIO;
		}
	}
}

#ifdef XMM_INJECT_HAVE_STUB
/* From this many calls on, one stub run beats two stops per call. */
#define STUB_MIN_CALLS		4
#define STUB_NOT_HERE		(-ENOTSUP)

_Static_assert(sizeof(struct xmm_inject_call) == 64,
	       "the stub walks 64-byte table entries");

/* Does any call's range (arg 0 start, arg 1 length) meet [start, +size)? */
static bool ranges_overlap(const struct xmm_inject_call *calls, size_t count,
			   unsigned long start, size_t size)
{
	size_t i;

	for (i = 0; i < count; i++) {
		unsigned long from = calls[i].arg[0];
		unsigned long to = from + calls[i].arg[1];

		if (to < from || (from < start + size && start < to))
			return true;
	}
	return false;
}

/* Run one bookkeeping call (mmap, munmap), riding out signals. */
static int run_one_retrying(struct tracer *t, struct xmm_inject_call *c)
{
	int ret;

	do
		ret = run_one(t, c);
	while (ret == 1);
	return ret;
}

/* Would every call run from the stub's syscall instruction at ip? */
static bool stub_allowed(const struct tracer *t, unsigned long ip,
			 const struct xmm_inject_call *calls, size_t count)
{
	long answer[XMM_INJECT_MAX_CALLS];
	size_t i;

	if (seccomp_answers(t, ip, calls, count, answer) < 0)
		return false;
	for (i = 0; i < count; i++)
		if (answer[i])
			return false;
	return true;
}

/*
 * Run the whole batch through the stub in a fresh private mapping of the
 * target: three stops (mmap, the stub, munmap) instead of two per call.
 * Returns how many calls ran, STUB_NOT_HERE when the stub cannot be set
 * up here (the target's seccomp filter or W^X policy says no: run call by
 * call instead), or -errno.  The tracee is left at a syscall-exit stop.
 */
static long run_stub(struct tracer *t, struct xmm_inject_call *calls,
		     size_t count, bool stop_on_error)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	size_t code_size = (sizeof(xmm_inject_stub) + 63) & ~(size_t)63;
	size_t size = (code_size + count * sizeof(*calls) + page - 1) &
		      ~(page - 1);
	struct xmm_inject_call map[2] = {
		{ .nr = XMM_NR_mmap, .arg = { 0, size,
			PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long)-1L, 0 } },
		{ .nr = XMM_NR_munmap, .arg = { 0, size } },
	};
	struct xmm_inject_regs regs, stub_regs;
	long answer[2], ret;
	unsigned long code, done = 0;
	int sig;

	if (XMM_NR_mmap < 0 ||
	    seccomp_answers(t, t->insn + XMM_INJECT_INSN_LEN, map, 2,
			    answer) < 0 || answer[0] || answer[1])
		return STUB_NOT_HERE;
	ret = run_one_retrying(t, &map[0]);
	if (ret < 0)
		return ret;
	if (map[0].ret < 0 && map[0].ret > -4096)
		return STUB_NOT_HERE;	/* W^X policy, or no memory */
	code = (unsigned long)map[0].ret;
	map[1].arg[0] = code;
	/* The kernel may have put it where a call's range points (into a
	 * hole that must stay a hole): then go call by call. */
	if (ranges_overlap(calls, count, code, size)) {
		ret = STUB_NOT_HERE;
		goto unmap;
	}
	/* A filter may judge by the IP: the stub's must be allowed too. */
	if (!stub_allowed(t, code + XMM_INJECT_STUB_SYSCALL_END, calls,
			  count)) {
		ret = STUB_NOT_HERE;
		goto unmap;
	}

	if (pwrite(t->mem_fd, xmm_inject_stub, sizeof(xmm_inject_stub),
		   (off_t)code) != (ssize_t)sizeof(xmm_inject_stub) ||
	    pwrite(t->mem_fd, calls, count * sizeof(*calls),
		   (off_t)(code + code_size)) !=
		    (ssize_t)(count * sizeof(*calls))) {
		ret = STUB_NOT_HERE;
		goto unmap;
	}
	regs = t->saved;
	xmm_inject_set_stub(&regs, code, code + code_size, count,
			    stop_on_error);
	if (xmm_inject_setregs(t->tid, &regs) < 0)
		return -ESRCH;
	for (;;) {
		if (ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
			return -ESRCH;
		ret = wait_tracee(t, STEP_TIMEOUT_MS);
		if (ret < 0)
			return ret;
		if (classify(t->status, &sig) != STOP_SIGNAL)
			continue;	/* leftover interrupt, group stop */
		if (xmm_inject_getregs(t->tid, &stub_regs) < 0)
			return -ESRCH;
		if (sig == SIGTRAP && xmm_inject_pc(&stub_regs) ==
					      code + sizeof(xmm_inject_stub))
			break;		/* the stub's int3: all done */
		if (xmm_inject_pc(&stub_regs) - code >= size ||
		    sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
		    sig == SIGTRAP) {
			ret = -EIO;	/* never seen; do not go on */
			goto unmap;
		}
		/* A signal for the target: deliver it with its own
		 * registers, then carry on with the stub where it was. */
		ret = deliver_and_restop(t, sig);
		if (ret < 0)
			return ret;
		if (xmm_inject_setregs(t->tid, &stub_regs) < 0)
			return -ESRCH;
	}
	done = xmm_inject_stub_done(&stub_regs);
	if (done > count ||
	    pread(t->mem_fd, calls, done * sizeof(*calls),
		  (off_t)(code + code_size)) !=
		    (ssize_t)(done * sizeof(*calls)))
		ret = -EIO;
	else
		ret = (long)done;
unmap:
	if (run_one_retrying(t, &map[1]) < 0)
		return -ESRCH;
	return ret;
}
#endif /* XMM_INJECT_HAVE_STUB */

/*
 * Give the target its registers back from wherever it is stopped, stop
 * it inside get_signal() so that the kernel finishes (restarts) its own
 * interrupted syscall, and detach.
 */
static int restore_and_detach(struct tracer *t, bool at_event_stop)
{
	int ret;

	if (xmm_inject_setregs(t->tid, &t->saved) < 0)
		return -ESRCH;
	if (!at_event_stop) {
		if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0 ||
		    ptrace(PTRACE_CONT, t->tid, 0, 0) < 0)
			return -ESRCH;
		ret = reach_event_stop(t, STEP_TIMEOUT_MS);
		if (ret < 0)
			return ret;
	}
	if (ptrace(PTRACE_DETACH, t->tid, 0, 0) < 0)
		return -ESRCH;
	return 0;
}

/* The state letter of /proc/PID/task/TID/stat, '?' when unreadable. */
static char thread_state(pid_t pid, pid_t tid)
{
	char path[64], state;

	snprintf(path, sizeof(path), "/proc/%d/task/%d/stat", (int)pid,
		 (int)tid);
	if (xmm_proc_stat_state(AT_FDCWD, path, &state) < 0)
		return '?';
	return state;
}

/* A thread of pid other than the leader that has not exited, or -1. */
static pid_t live_thread_of(pid_t pid)
{
	char path[64];
	struct dirent *entry;
	pid_t found = -1;
	DIR *tasks;

	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	tasks = opendir(path);
	if (!tasks)
		return -1;
	while (found < 0 && (entry = readdir(tasks))) {
		pid_t tid = (pid_t)atoi(entry->d_name);
		char state;

		if (tid <= 0 || tid == pid)
			continue;
		state = thread_state(pid, tid);
		if (state != 'Z' && state != 'X' && state != '?')
			found = tid;
	}
	closedir(tasks);
	return found;
}

/* Is tid (traced by us, so not reusable) still a thread of pid? */
static bool still_thread_of(pid_t pid, pid_t tid)
{
	return thread_state(pid, tid) != '?';
}

/*
 * Attach to the target: its leader, or, when the leader has called
 * pthread_exit() and is a zombie that ptrace refuses, any live thread:
 * madvise and the rest act on the whole process whichever thread runs
 * them.  -ESRCH when the process is gone, -EPERM when we may not.
 */
static long seize_target(struct tracer *t, const struct inject_request *req)
{
	struct pollfd exited = { .fd = req->pidfd, .events = POLLIN };
	pid_t tid;

	if (ptrace(PTRACE_SEIZE, t->tid, 0, PTRACE_O_TRACESYSGOOD) < 0) {
		int err = errno;

		/* A whole process exiting refuses tracers with EPERM too. */
		if (err == ESRCH || poll(&exited, 1, 0) != 0)
			return -ESRCH;
		if (err != EPERM || thread_state(req->pid, req->pid) != 'Z')
			return -EPERM;
		tid = live_thread_of(req->pid);
		if (tid < 0)
			return -ESRCH;
		if (ptrace(PTRACE_SEIZE, tid, 0, PTRACE_O_TRACESYSGOOD) < 0)
			return errno == ESRCH ? -ESRCH : -EPERM;
		t->tid = tid;
		if (!still_thread_of(req->pid, tid)) {
			ptrace(PTRACE_DETACH, tid, 0, 0);
			return -ESRCH;
		}
	}
	/* While we trace pid it cannot be reused; is it still ours? */
	if (xmm_sys(pidfd_send_signal, req->pidfd, 0, NULL, 0) == -ESRCH) {
		ptrace(PTRACE_DETACH, t->tid, 0, 0);
		return -ESRCH;
	}
	return 0;
}

static long trace_batch(struct inject_request *req, bool blocking_wait)
{
	struct tracer t = {
		.tid = req->pid,
		.blocking_wait = blocking_wait,
		.mem_fd = -1,
	};
	long answer[XMM_INJECT_MAX_CALLS];
	char path[64];
	size_t done = 0;
	bool at_event_stop = true;
	long ret;

	ret = seize_target(&t, req);
	if (ret < 0)
		return ret;
	ret = reach_event_stop(&t, STOP_TIMEOUT_MS);
	if (ret < 0)
		return ret;	/* nothing changed; exit detaches */
	if (xmm_inject_getregs(t.tid, &t.saved) < 0)
		return -ESRCH;

	snprintf(path, sizeof(path), "/proc/%d/mem", (int)t.tid);
	t.mem_fd = open(path, O_RDWR | O_CLOEXEC);
	if (t.mem_fd < 0) {
		ret = -EPERM;
		goto out;
	}
	ret = find_insn(&t);
	if (ret < 0)
		goto out;
	ret = seccomp_answers(&t, t.insn + XMM_INJECT_INSN_LEN, req->calls,
			      req->count, answer);
	if (ret < 0)
		goto out;

#ifdef XMM_INJECT_HAVE_STUB
	if (req->count >= STUB_MIN_CALLS &&
	    (req->flags & XMM_INJECT_RANGE_ARGS)) {
		size_t i;

		for (i = 0; i < req->count && !answer[i]; i++)
			;
		if (i == req->count) {
			at_event_stop = false;
			ret = run_stub(&t, req->calls, req->count,
				       req->flags & XMM_INJECT_STOP_ON_ERROR);
			if (ret != STUB_NOT_HERE)
				goto out;
		}
	}
#endif
	while (done < req->count) {
		struct xmm_inject_call *c = &req->calls[done];

		if (answer[done]) {
			c->ret = answer[done];
		} else {
			at_event_stop = false;
			ret = run_one(&t, c);
			if (ret < 0)
				goto out;
			if (ret == 1) {
				at_event_stop = true;
				continue;
			}
		}
		done++;
		if (c->ret < 0 && (req->flags & XMM_INJECT_STOP_ON_ERROR))
			break;
	}
	ret = (long)done;
out:
	if (ret != -ESRCH) {
		long restored = restore_and_detach(&t, at_event_stop);

		if (restored < 0)
			ret = restored;
	}
	if (t.mem_fd >= 0)
		close(t.mem_fd);
	return ret;
}

/* The helper's life: nothing but SIGKILL may end it half way. */
static int helper_main(void *arg)
{
	struct inject_request *req = arg;
	struct sigaction dfl = { .sa_handler = SIG_DFL };
	sigset_t all;

	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, NULL);
	/* Our own copy of the dispositions: SIGCHLD must be sent to us. */
	sigaction(SIGCHLD, &dfl, NULL);
	/*
	 * A caller killed before we began wants nothing any more: do not
	 * stop its target for no one.  (Killed later, we finish the job.)
	 */
	if (getppid() != req->caller) {
		req->result = -ESRCH;
		return 0;
	}
	req->result = trace_batch(req, true);
	return 0;
}

/* Yama scope >= 1 lets only ancestors trace: a helper would be refused. */
static bool yama_forbids_helper(void)
{
	char buf[8] = "";
	int fd = open("/proc/sys/kernel/yama/ptrace_scope",
		      O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return false;
	if (read(fd, buf, sizeof(buf) - 1) < 0)
		buf[0] = '\0';
	close(fd);
	return atoi(buf) >= 1;
}

bool xmm_inject_supported(void)
{
	return true;
}

/* A result no tracer writes: the helper never ran in our memory. */
#define RESULT_UNSET	(-(long)XMM_TRY_NEXT_BASE * 4)

static void *thread_main(void *arg)
{
	struct inject_request *req = arg;

	req->result = trace_batch(req, false);
	return NULL;
}

/*
 * Trace from a short-lived thread: ptrace links belong to the tracing
 * thread, and its exit detaches whatever it still traces.  So a target
 * that never stopped (EAGAIN) is released when the thread ends, instead
 * of staying traced by the caller's thread.  (A caller killed half way
 * takes this thread with it: only a helper process survives that.)
 */
static void run_in_thread(struct inject_request *req)
{
	sigset_t all, old;
	pthread_t thread;
	int err;

	/* The thread starts with every signal blocked: none is ours. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&thread, NULL, thread_main, req);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err == 0)
		pthread_join(thread, NULL);
}

/*
 * Run the batch from a helper.  CLONE_VM | CLONE_VFORK: it shares our
 * memory and we sleep until it exits; CLONE_FILES saves copying the
 * descriptor table; exit signal 0: the caller's SIGCHLD handler never
 * hears of it.  RESULT_UNSET afterwards when it could not run here.
 */
static void run_in_helper(struct inject_request *req, char *stack_top)
{
	pid_t helper = clone(helper_main, stack_top,
			     CLONE_VM | CLONE_VFORK | CLONE_FILES, req);
	int status;

	if (helper < 0 && errno == EINVAL)	/* an emulator's limits */
		helper = clone(helper_main, stack_top,
			       CLONE_VM | CLONE_VFORK, req);
	if (helper < 0)
		return;
	while (waitpid(helper, &status, __WALL) < 0 && errno == EINTR)
		;
}

long xmm_inject_syscalls(pid_t pid, int pidfd, struct xmm_inject_call *calls,
			 size_t count, unsigned int flags)
{
	size_t req_size = sizeof(struct inject_request) +
			  count * sizeof(*calls);
	struct inject_request *req;
	char *map;
	long ret;

	if (count > XMM_INJECT_MAX_CALLS)
		return -EINVAL;
	if (pid <= 0)
		return -ESRCH;
	map = mmap(NULL, HELPER_STACK_SIZE + req_size, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (map == MAP_FAILED)
		return -ENOMEM;
	req = (struct inject_request *)(map + HELPER_STACK_SIZE);
	req->caller = getpid();
	req->pid = pid;
	req->pidfd = pidfd;
	req->flags = flags;
	req->count = count;
	req->result = RESULT_UNSET;
	memcpy(req->calls, calls, count * sizeof(*calls));

	if (!(flags & XMM_INJECT_NO_HELPER) && !yama_forbids_helper())
		run_in_helper(req, map + HELPER_STACK_SIZE);
	/*
	 * No helper process (Yama, no memory for one), or one that did not
	 * share our memory (an emulator turned the clone into a fork):
	 * trace from a thread of ours, which Yama counts as us.
	 */
	if (req->result == RESULT_UNSET)
		run_in_thread(req);
	if (req->result == RESULT_UNSET)
		req->result = trace_batch(req, false);
	ret = req->result;
	if (ret > 0)
		memcpy(calls, req->calls, (size_t)ret * sizeof(*calls));
	munmap(map, HELPER_STACK_SIZE + req_size);
	return ret;
}

#else /* !XMM_HAVE_INJECT */

bool xmm_inject_supported(void)
{
	return false;
}

#ifdef XMM_REQUIRE_INJECT
#error "no injection code for this architecture"
#endif

long xmm_inject_syscalls(pid_t pid, int pidfd, struct xmm_inject_call *calls,
			 size_t count, unsigned int flags)
{
	(void)pid, (void)pidfd, (void)calls, (void)count, (void)flags;
	return -ENOSYS;
}

#endif /* XMM_HAVE_INJECT */
