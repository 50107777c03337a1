// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One injected call in one stop, where the arch can step over a syscall
 * instruction (XMM_INJECT_HAVE_STEP: x86_64; see its inject.h for the
 * kernel's side) and takes that way (XMM_INJECT_TAKE_STEP: not today, for
 * the SIGTRAP it can lose, see there).  From a stop: registers = R with the pc on the borrowed
 * instruction, the call, "in no syscall"; PTRACE_SINGLESTEP; the thread
 * stops once, in get_signal(), at the SIGTRAP the kernel forces at the
 * syscall's exit.  Every stop on the way is told apart by the registers:
 *
 *  - pc still on the instruction, no syscall: the call has not run.  A
 *    signal is handed back with R in place, as in inject_call.c (the
 *    call is run again); an event stop (interrupt, group stop) resumes.
 *  - pc past it, the call's number: the call ran and rax holds its
 *    result.  A SIGTRAP there is the step's own trap when its siginfo
 *    says so (TRAP_BRKPT at that pc; a SIGTRAP sent by anyone else has
 *    another si_code; one sent to the thread while the trap is pending is
 *    merged into it by the kernel, unseen: why x86_64 does not take this
 *    way, see its inject.h).  Any other signal is the target's: it stays
 *    pending for the target, delivered when we let go (PTRACE_DETACH
 *    with it, R in place), after the step's trap, if still queued, is
 *    taken out of the way, so that it never reaches the target.
 *
 * The tracee is left at that last stop, inside get_signal(): release
 * puts R back and detaches with the pending signal, if any, and the
 * kernel applies its restart rule to R as from any stop there.
 *
 * The kernel forces the trap: a SIGTRAP the thread blocks or the process
 * ignores would be unblocked and reset to SIG_DFL for good.  So the step
 * is taken only where inject_sigtrap.c finds it neither, and never for a
 * target that was group-stopped (release re-arms its stop from an event
 * stop, as it always did).  Elsewhere, two stops per call.
 *
 * Async-signal-safe (inject_private.h).
 */
#include "internal.h"
#include "inject_private.h"

#if defined(XMM_HAVE_INJECT) && XMM_INJECT_HAVE_STEP

#include <signal.h>
#include <string.h>
#include <sys/ptrace.h>

#ifndef PTRACE_PEEKSIGINFO
#define PTRACE_PEEKSIGINFO	0x4209
#endif

bool xmm_inject_can_step(struct xmm_tracer *t)
{
	return XMM_INJECT_TAKE_STEP && !t->group_stopped &&
	       xmm_inject_sigtrap_untouched(t);
}

/* Is the signal of this stop the step's own trap? */
static bool own_trap(const struct xmm_tracer *t)
{
	siginfo_t info;

	if (ptrace(PTRACE_GETSIGINFO, t->tid, 0, &info) < 0)
		return false;
	return info.si_signo == SIGTRAP &&
	       info.si_code == XMM_INJECT_STEP_SI_CODE &&
	       (unsigned long)info.si_addr == t->insn + XMM_INJECT_INSN_LEN;
}

/* Is the step's trap still queued for the thread (behind the signal of
 * this stop)?  -ESRCH when the thread is gone. */
static int own_trap_queued(const struct xmm_tracer *t)
{
	struct {
		unsigned long long off;
		unsigned int flags;
		int nr;
	} peek = { 0, 0, 1 };
	siginfo_t info;
	long got;

	for (;; peek.off++) {
		got = ptrace(PTRACE_PEEKSIGINFO, t->tid, &peek, &info);
		if (got < 0)
			return -ESRCH;
		if (got == 0)
			return 0;
		if (info.si_signo == SIGTRAP &&
		    info.si_code == XMM_INJECT_STEP_SI_CODE &&
		    (unsigned long)info.si_addr ==
			    t->insn + XMM_INJECT_INSN_LEN)
			return 1;
	}
}

/*
 * After the call ran, a signal of the target's came out before the step's
 * trap (one the thread was sent itself, which crowded the trap out of its
 * queue, or one dequeued first).  If the trap is still queued, keep the
 * signal's siginfo and go on to the trap (1); else this stop is the last,
 * and its signal is the one to hand back (0).
 */
static int target_signal_first(struct xmm_tracer *t, int sig,
			       siginfo_t *kept, int *kept_sig)
{
	int queued = own_trap_queued(t);

	if (queued <= 0)
		return queued;
	if (*kept_sig ||
	    ptrace(PTRACE_GETSIGINFO, t->tid, 0, kept) < 0)
		return -EIO;	/* two before the trap: never seen */
	*kept_sig = sig;
	return 1;
}

/*
 * The last stop of a call that ran, inside get_signal().  Without a
 * signal of the target's, the tracee stays here (release: R, detach).
 * With one, it is handed back now with R in place (its own siginfo), as
 * if it had come after we let go, and the tracee waits at a new event
 * stop.
 */
static int at_last_stop(struct xmm_tracer *t, int sig,
			const siginfo_t *info)
{
	t->pending_sig = 0;
	if (!sig) {
		t->at_step_stop = true;
		return 0;
	}
	if (info && ptrace(PTRACE_SETSIGINFO, t->tid, 0, info) < 0)
		return -ESRCH;
	return xmm_tracer_deliver_and_restop(t, sig);
}

int xmm_inject_run_one_step(struct xmm_tracer *t, struct xmm_inject_call *c)
{
	struct xmm_inject_regs regs = t->saved;
	siginfo_t kept;
	int kept_sig = 0;
	bool ran = false;
	int ret, sig;

	xmm_inject_set_call(&regs, t->insn, c->nr, c->arg);
	ret = xmm_tracer_set_regs(t, &regs);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = xmm_tracer_resume(t, PTRACE_SINGLESTEP, 0);
		if (ret < 0)
			return ret;
		ret = xmm_tracer_wait(t, XMM_INJECT_WAIT_FOREVER);
		if (ret < 0)
			return ret;
		if (xmm_inject_getregs(t->tid, &regs) < 0)
			return -ESRCH;
		/* Past the instruction: it ran (as the call set up, unless
		 * the kernel says another number: never seen, -EIO). */
		if (!ran && xmm_inject_pc(&regs) ==
				    t->insn + XMM_INJECT_INSN_LEN) {
			ran = true;
			c->ret = xmm_inject_result(&regs);
			if (!xmm_inject_step_ran(&regs, t->insn, c->nr))
				c->nr = -1;
		}
		switch (xmm_tracer_stop_kind(t, &sig)) {
		case XMM_STOP_SIGNAL:
			if (!ran) {
				if (xmm_inject_pc(&regs) != t->insn)
					return -EIO;
				return xmm_inject_signal_first(t, sig);
			}
			if (sig == SIGTRAP && own_trap(t)) {
				ret = kept_sig ? at_last_stop(t, kept_sig,
							      &kept) :
						 at_last_stop(t, 0, NULL);
				break;
			}
			ret = target_signal_first(t, sig, &kept, &kept_sig);
			if (ret == 0)
				ret = at_last_stop(t, sig, NULL);
			if (ret == 1)
				continue;
			break;
		case XMM_STOP_EVENT:
			/* An interrupt or a group stop on the way: resume as
			 * it is (after the call, its trap is still queued). */
			continue;
		default:
			return -EIO;
		}
		if (ret < 0)
			return ret;
		return c->nr == -1 ? -EIO : 0;
	}
}

#endif
