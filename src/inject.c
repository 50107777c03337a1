// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The batch runner of the injection engine (see inject.h and
 * inject_private.h for the other files).
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
 *     Giving up here (EAGAIN) changes nothing.  A register set of
 *     another size is a task of another ABI: EXDEV, released untouched.
 *     The target's seccomp is asked about every call before any runs
 *     (inject_seccomp.c); where we may, it is suspended for our calls
 *     and only for them (inject_ptrace.c, xmm_tracer_resume()).
 *  3. For each call: registers = R with pc on an existing syscall
 *     instruction of the target, the call's number and arguments, and "in
 *     no syscall" (orig_rax -1), so no restart logic touches them.  Run to
 *     the syscall-entry stop (check the number), then to the exit stop
 *     (take the result), waiting as long as the call takes.  No byte of
 *     the target's code is written.  The entry stop is waited for as
 *     long as the first stop: a thread frozen by the cgroup v2 freezer
 *     stops for our interrupt but loops back into the freezer inside
 *     the kernel, never reaching our instruction; then an interrupt
 *     tells whether the call began, and one that did not gives R back
 *     and the answer EAGAIN (a later call: the count of those that ran,
 *     the batch's partial progress), as a thread that never stops gets
 *     in step 2 (inject_call.c).  A signal that arrives meanwhile stops
 *     the thread before the instruction runs: R goes back first and the
 *     signal is delivered with PTRACE_CONT, exactly as if it had come
 *     before we did; then we interrupt again and go on.
 *     (Why not one stop with PTRACE_SINGLESTEP: see inject_call.c.)
 *  4. xmm_tracer_release(): registers = R, a stop inside get_signal(),
 *     PTRACE_DETACH (inject_ptrace.c; on x86_64 the detach is made from
 *     the exit stop of the last call, which the kernel's restart rule
 *     treats alike).  Every path after step 1 ends there.
 *
 * Batches of STUB_MIN_CALLS ranges or more run through the stub
 * (inject_stub.c), which ends on a breakpoint: also a forced SIGTRAP, so
 * also only where inject_sigtrap.c allows it.
 */
#include "internal.h"
#include "inject_private.h"

#ifdef XMM_HAVE_INJECT

#include <errno.h>
#include <poll.h>
#include <unistd.h>

/* From this many calls on, one stub run beats two stops per call. */
#define STUB_MIN_CALLS		4

/* Has the caller died (or exec'd) since it asked?  A per-call helper is
 * reparented then; the server's channel hangs up. */
static bool caller_gone(const struct xmm_inject_request *req)
{
	struct pollfd chan = { .fd = req->caller_chan, .events = POLLRDHUP };

	if (req->caller_chan < 0)
		return getppid() != req->caller;
	return poll(&chan, 1, 0) > 0 &&
	       (chan.revents & (POLLHUP | POLLRDHUP | POLLERR));
}

/* Everything after the seize: take R, check, run.  The count run or
 * -errno; the caller releases the target. */
static long run_batch(struct xmm_tracer *t, struct xmm_inject_request *req)
{
	long answer[XMM_INJECT_MAX_CALLS];
	size_t done = 0;
	long ret;

	/* Where our exit cannot let go of the target, only its stop can. */
	ret = xmm_tracer_event_stop(t, t->exit_releases ?
				    XMM_INJECT_STOP_TIMEOUT_MS :
				    XMM_INJECT_WAIT_FOREVER);
	if (ret < 0)
		return ret;
	/* A task of another ABI (a compat register set) is let go of
	 * untouched: EXDEV. */
	if (xmm_inject_getregs(t->tid, &t->saved) < 0)
		return errno == EXDEV ? -EXDEV : -ESRCH;
	ret = xmm_inject_find_insn(t);
	if (ret < 0)
		return ret;
	ret = xmm_inject_seccomp_answers(t, t->insn + XMM_INJECT_INSN_LEN,
					 req->calls, req->count, answer);
	if (ret < 0)
		return ret;
	/* The last point of no change: a helper whose caller has died
	 * lets go of the target untouched. */
	if (t->blocking_wait && caller_gone(req))
		return -ESRCH;

#ifdef XMM_INJECT_HAVE_STUB
	/* The stub ends on a breakpoint: a forced SIGTRAP. */
	if (req->count >= STUB_MIN_CALLS &&
	    (req->flags & XMM_INJECT_RANGE_ARGS) &&
	    xmm_inject_sigtrap_untouched(t)) {
		size_t i;

		for (i = 0; i < req->count && !answer[i]; i++)
			;
		if (i == req->count) {
			ret = xmm_inject_run_stub(t, req->calls, req->count,
				req->flags & XMM_INJECT_STOP_ON_ERROR);
			if (ret != XMM_INJECT_STUB_NOT_HERE)
				return ret;
		}
	}
#endif
	while (done < req->count) {
		struct xmm_inject_call *c = &req->calls[done];

		if (answer[done]) {
			c->ret = answer[done];
		} else {
			ret = xmm_inject_run_one(t, c, true);
			/* This call never began (a frozen target, step 3):
			 * those before it stand, as after an error. */
			if (ret == -EAGAIN && done > 0)
				break;
			if (ret < 0)
				return ret;
			if (ret == 1)
				continue;
		}
		done++;
		if (c->ret < 0 && (req->flags & XMM_INJECT_STOP_ON_ERROR))
			break;
	}
	return (long)done;
}

long xmm_inject_trace_batch(struct xmm_inject_request *req,
			    bool blocking_wait, bool exit_releases,
			    bool alarm_wait)
{
	struct xmm_tracer t = {
		.tid = req->pid,
		.blocking_wait = blocking_wait,
		.exit_releases = exit_releases,
		.alarm_wait = alarm_wait,
		.unchecked = req->flags & XMM_INJECT_UNCHECKED,
		/* Only the kept helper serves through a channel. */
		.server_caller = req->caller_chan >= 0 ? req->caller : 0,
		.mem_fd = -1,
	};
	long ret, released;

	/* Begun: a tracer that dies from here on must not be replaced. */
	req->result = XMM_INJECT_BEGUN;
	req->target_held = false;
	ret = xmm_inject_seize_target(&t, req);
	if (ret < 0)
		goto out;	/* (its release may have armed the alarm) */
	ret = run_batch(&t, req);
	/* A target that would not stop: our exit lets go of it (the thread
	 * or helper ends next), no second wait for it.  (One that stopped
	 * but would not make our call is at a stop, R in place: released
	 * below.) */
	if (ret == -EAGAIN && exit_releases && t.running) {
		req->target_held = true;
		goto out;
	}
	released = xmm_tracer_release(&t);
	if (released < 0 && ret >= 0)
		ret = released;
out:
	if (t.mem_fd >= 0)
		close(t.mem_fd);
	/* No tick of ours outlives the batch (inject_ptrace.c). */
	xmm_tracer_alarm_end(&t);
	return ret;
}

#endif /* XMM_HAVE_INJECT */
