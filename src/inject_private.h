/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the files of the injection engine share, and nothing else sees.
 *
 *   inject.c          the batch runner: call by call, or the stub
 *   inject_call.c     one call from a stop
 *   inject_ptrace.c   ptrace primitives and the stop state machine
 *   inject_insn.c     finding a syscall instruction of the target
 *   inject_seccomp.c  the target's seccomp filters, read and run
 *   inject_sigtrap.c  whether a forced SIGTRAP leaves the target as it is
 *   inject_stub.c     the batch stub in a mapping of its own
 *   inject_thread.c   which thread to seize (a leaderless target)
 *   inject_helper.c   who traces: server, helper process, thread, or
 *                     the caller
 *   inject_server.c   the helper process kept between calls: the
 *                     caller's side
 *   inject_server_helper.c  that helper's own process
 *   inject_server_mm.c  what that helper keeps of the caller's memory
 *
 * Everything that a helper process runs (all of the above but the
 * entry point of inject_helper.c and the caller's side of
 * inject_server.c) is async-signal-safe: it shares the
 * caller's memory, and a caller killed while one of its threads held the
 * malloc lock must not hang it.  No malloc, no stdio, no opendir.
 */
#ifndef XMM_SRC_INJECT_PRIVATE_H
#define XMM_SRC_INJECT_PRIVATE_H

#include "inject.h"

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

#include <stdbool.h>
#include <sys/types.h>

/*
 * A running or sleeping thread reaches the interrupt stop at once; a
 * frozen or uninterruptible one may never: give up while nothing is
 * changed yet (and only where our exit would let go of the target).
 * The same bound holds for the syscall-entry stop of an injected call
 * (inject_call.c): a thread of a frozen cgroup v2 stops for our
 * interrupt but never returns to user mode to make our call.
 */
#define XMM_INJECT_STOP_TIMEOUT_MS	2000
/* No limit: once the target runs our call, wait until it ends or dies. */
#define XMM_INJECT_WAIT_FOREVER		(-1)

/*
 * inject_server_mm.c: what the kept helper keeps of the memory it was
 * forked with (ranges the caller notes), all of it unmapped but these.
 */
#define XMM_KEEP_MAX	1024

struct xmm_keep_ranges {
	bool all;		/* keep every mapping: unmapping is unsafe */
	size_t count;
	struct {
		unsigned long start, end;
	} range[XMM_KEEP_MAX];
};

/* The caller's side: add one range (false when full: then all). */
bool xmm_keep_add(struct xmm_keep_ranges *keep, unsigned long start,
		  unsigned long end);
/* The caller's side: every ELF object's segments. */
void xmm_keep_collect(struct xmm_keep_ranges *keep);
/* The helper's side (async-signal-safe): unmap the rest. */
void xmm_keep_only(const struct xmm_keep_ranges *keep);

/* The request a tracer serves, in memory it shares with the caller. */
struct xmm_inject_request {
	pid_t caller;		/* who asked: a helper outliving it stops */
	int caller_chan;	/* the server's channel, which hangs up when
				 * the caller dies; -1: check getppid() */
	pid_t pid;
	int pidfd;
	unsigned int flags;
	size_t count;
	long result;
	/* The batch ended with the target seized but never stopped
	 * (EAGAIN): only the tracer's exit lets go of it. */
	bool target_held;
	struct xmm_inject_call calls[];
};

struct xmm_tracer {
	pid_t tid;
	bool blocking_wait;	/* SIGCHLD is ours (helper): sleep on it */
	bool alarm_wait;	/* our SIGALRM ends a waitpid(2) (kept helper:
				 * xmm_tracer_alarm_init()) */
	bool alarm_armed;	/* its timer runs (xmm_tracer_wait()) */
	bool exit_releases;	/* our exit detaches (helper, thread) */
	bool unchecked;		/* XMM_INJECT_UNCHECKED */
	/* Where the tracee is, kept by the primitives of inject_ptrace.c: */
	bool attached;		/* seized and not yet detached */
	bool running;		/* resumed, its next stop not yet waited for */
	bool at_event_stop;	/* stopped in PTRACE_EVENT_STOP */
	bool swapped;		/* it holds our registers, not R */
	bool gone;		/* exited, or no longer ours */
	bool group_stopped;	/* its event stop was a group stop */
	bool sigtrap_known;	/* sigtrap_untouched known for these R */
	bool sigtrap_untouched;	/* SIGTRAP neither blocked nor ignored */
	int status;		/* the last wait status */
	int pending_sig;	/* the signal of a signal-delivery-stop */
	int seccomp_mode;	/* its seccomp mode, once learnt a batch */
	bool seccomp_mode_known;
	/*
	 * PT_SUSPEND_SECCOMP (inject_seccomp.c): wanted while the tracee
	 * holds our registers and only then; whether a call may run
	 * without it (no: its mode is strict, or unknown); whether it is
	 * set on the tracee now.
	 */
	bool seccomp_suspend;
	bool seccomp_suspend_needed;
	bool seccomp_suspended;
	pid_t server_caller;	/* the kept helper's caller; 0 elsewhere */
	int mem_fd;		/* /proc/PID/mem, where process_vm_* fail */
	bool vm_rw_refused;	/* process_vm_readv refused (seccomp) */
	unsigned long insn;	/* a syscall instruction of the target */
	struct xmm_inject_regs saved;	/* R: the target's own registers */
};

enum xmm_stop_kind {
	XMM_STOP_EVENT,		/* PTRACE_EVENT_STOP (interrupt, group) */
	XMM_STOP_SYSCALL,	/* syscall-entry or -exit stop */
	XMM_STOP_SIGNAL,	/* signal-delivery-stop */
	XMM_STOP_OTHER,
};

/* inject_ptrace.c */
bool xmm_tracer_alarm_init(void);
void xmm_tracer_alarm_end(struct xmm_tracer *t);
int xmm_tracer_seize(struct xmm_tracer *t, pid_t tid);
int xmm_tracer_wait(struct xmm_tracer *t, int timeout_ms);
enum xmm_stop_kind xmm_tracer_stop_kind(const struct xmm_tracer *t, int *sig);
int xmm_tracer_resume(struct xmm_tracer *t, int request, int sig);
int xmm_tracer_event_stop(struct xmm_tracer *t, int timeout_ms);
int xmm_tracer_set_regs(struct xmm_tracer *t,
			const struct xmm_inject_regs *regs);
int xmm_tracer_restore_regs(struct xmm_tracer *t);
int xmm_tracer_deliver_and_restop(struct xmm_tracer *t, int sig);
int xmm_tracer_release(struct xmm_tracer *t);
int xmm_tracer_suspend_seccomp(struct xmm_tracer *t, bool suspend);
bool xmm_tracer_read(struct xmm_tracer *t, unsigned long addr, void *buf,
		     size_t len);
ssize_t xmm_tracer_read_some(struct xmm_tracer *t, unsigned long addr,
			     void *buf, size_t len);
bool xmm_tracer_peek(struct xmm_tracer *t, unsigned long addr, void *buf,
		     size_t len);
bool xmm_tracer_write(struct xmm_tracer *t, unsigned long addr,
		      const void *buf, size_t len);

/*
 * Where the kernel turns an interrupted call into restart_syscall only on
 * the first resume from the stop that took R, and only when the thread
 * resumes at R's pc (arm64, riscv64: their arch inject.h), the arch defines
 * XMM_INJECT_RESTART_ON_RESUME 1 and xmm_inject_take_restart(): at the
 * syscall-entry stop of a call set up at R's pc, it copies a restart the
 * kernel chose into R and lets the call go on as nr (true), or answers
 * false.
 */
#ifndef XMM_INJECT_RESTART_ON_RESUME
#define XMM_INJECT_RESTART_ON_RESUME	0
static inline bool xmm_inject_take_restart(struct xmm_inject_regs *saved,
					   struct xmm_inject_regs *entry,
					   long nr)
{
	(void)saved;
	(void)entry;
	(void)nr;
	return false;
}
#endif

/* inject_sigtrap.c: may a trap be forced on the thread (the stub's
 * breakpoint) without changing its signal state?  _note: from the
 * text of /proc/TID/status read for these registers anyway. */
bool xmm_inject_sigtrap_untouched(struct xmm_tracer *t);
void xmm_inject_note_sigtrap(struct xmm_tracer *t, const char *status);

/* inject_insn.c */
int xmm_inject_find_insn(struct xmm_tracer *t);
/* With XMM_INJECT_RESTART_ON_RESUME: borrow the syscall instruction at
 * R's pc when there is one (true), so that the kernel's pending restart
 * decision is made and seen; false elsewhere. */
bool xmm_inject_insn_at_saved_pc(struct xmm_tracer *t);
void xmm_inject_forget_insn(void);

/* inject_seccomp.c: the answer each call gets instead of running (0: it
 * may run), issued from the syscall instruction that ends at ip. */
int xmm_inject_seccomp_answers(struct xmm_tracer *t, unsigned long ip,
			       const struct xmm_inject_call *calls,
			       size_t count, long *answer);

/* inject_stub.c */
#define XMM_INJECT_STUB_NOT_HERE	(-ENOTSUP)
long xmm_inject_run_stub(struct xmm_tracer *t, struct xmm_inject_call *calls,
			 size_t count, bool stop_on_error);

/* inject_thread.c */
int xmm_inject_seize_target(struct xmm_tracer *t,
			    const struct xmm_inject_request *req);

/*
 * inject_call.c: one call from a stop (0 ran; 1 a signal came first, run
 * it again), or riding out signals (_retrying).  may_give_up: the wait
 * for its syscall-entry stop is bounded, and -EAGAIN says that the call
 * never began (a frozen thread), R back in place, the tracee at an event
 * stop; else the call is waited for without limit (the stub's munmap,
 * which must run).
 */
int xmm_inject_run_one(struct xmm_tracer *t, struct xmm_inject_call *c,
		       bool may_give_up);
int xmm_inject_run_one_retrying(struct xmm_tracer *t,
				struct xmm_inject_call *c, bool may_give_up);

/* A result no tracer writes: the server could not take the request. */
#define XMM_INJECT_SERVER_UNAVAILABLE	(-16384L)
/*
 * The result while a tracer runs the request (xmm_inject_trace_batch()
 * writes it first): a helper that dies leaving it began, and the target
 * may run our call still; never run such a request again.
 */
#define XMM_INJECT_BEGUN		(-16385L)

/* inject_server.c: the request through the kept helper, or
 * XMM_INJECT_SERVER_UNAVAILABLE (not created, busy, caller sandboxed). */
long xmm_inject_server_call(pid_t pid, int pidfd,
			    struct xmm_inject_call *calls, size_t count,
			    unsigned int flags);

/* inject.c: the request, run from the calling task (the three flags of
 * struct xmm_tracer that say who traces). */
long xmm_inject_trace_batch(struct xmm_inject_request *req,
			    bool blocking_wait, bool exit_releases,
			    bool alarm_wait);

/*
 * "/proc/<a>[/task/<b>]/<leaf>" into buf (64 bytes), without snprintf
 * (not async-signal-safe).  b 0: no task part.
 */
void xmm_inject_proc_path(char *buf, pid_t a, pid_t b, const char *leaf);

/* The decimal at s (stops at the first non-digit); -1 when none. */
long xmm_inject_parse_decimal(const char *s);
/*
 * Stream the maps file at path through xmm_maps_parse_lines() (a buffer
 * on the stack, plain system calls: async-signal-safe), calling each()
 * with every mapping until it answers non-zero.  0, or -ESRCH when the
 * file cannot be opened.
 */
struct xmm_vma;
int xmm_inject_maps_each(const char *path,
			 int (*each)(const struct xmm_vma *vma, void *arg),
			 void *arg);

#endif /* XMM_HAVE_INJECT */
#endif /* XMM_SRC_INJECT_PRIVATE_H */
