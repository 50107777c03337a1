// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One injected call from a stop: registers = R with the pc on the
 * borrowed syscall instruction, the call's number and arguments, and "in
 * no syscall", so that no restart logic touches them; then to the
 * syscall-entry stop (check the number) and the exit stop (the result),
 * waiting as long as the call takes.  A signal that comes first is
 * delivered with R in place, as if it had come before we did.  A call
 * that may be given up gets as long to reach its entry stop as the
 * target got for its first stop (wait_for_entry()): a frozen target
 * answers EAGAIN, R back in place, as if it had never stopped.
 *
 * Why two stops and not one: on x86_64, PTRACE_SINGLESTEP over the
 * syscall instruction runs it and stops once, at the SIGTRAP the kernel
 * forces at the syscall's exit (syscall_exit_work(), send_sigtrap()),
 * which saves about 5 us of 72 a call here.  But from the syscall's exit
 * until get_signal() dequeues it that trap is a pending SIGTRAP of the
 * thread, and a SIGTRAP sent to the thread meanwhile (tgkill(2),
 * pthread_kill(3)) is merged into it (legacy_queue()) and lost when we
 * drop the trap, with no trace a tracer could see: perf's
 * signal:signal_generate showed such a tgkill() with res=2 (already
 * pending) 3 us after the step's TRAP_BRKPT, and
 * test_foreign_sigtrap_during_injections_delivered (tests/inject.c) lost
 * one in about one run in five.  The exit stop of PTRACE_SYSCALL is no
 * signal and merges with nothing.  (The forced trap would also unblock a
 * blocked SIGTRAP and reset an ignored one: see inject_sigtrap.c.)
 */
#include "internal.h"
#include "inject_private.h"

#ifdef XMM_HAVE_INJECT

#include <errno.h>
#include <signal.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

/* Did the thread fault fetching our syscall instruction (unmapped or made
 * non-executable by a sibling since we found it)? */
static bool faulted_on_insn(const struct xmm_tracer *t, int sig)
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
 * A signal stopped the thread before the call ran: if it faulted on our
 * instruction (-ENOEXEC), swallow it; else deliver it with R in place, as
 * if it had come before we did, and stop again (1: run the call again).
 */
static int signal_first(struct xmm_tracer *t, int sig)
{
	int ret;

	if (faulted_on_insn(t, sig)) {
		/* Our instruction vanished: our fault, not the target's. */
		xmm_inject_forget_insn();
		t->pending_sig = 0;
		ret = xmm_tracer_restore_regs(t);
		return ret < 0 ? ret : -ENOEXEC;
	}
	ret = xmm_tracer_deliver_and_restop(t, sig);
	return ret < 0 ? ret : 1;
}

/*
 * At the syscall-entry stop of a call set up at R's pc: a restart the
 * kernel chose on this resume (inject_private.h) goes to R, and the call
 * runs as set up.
 */
static bool took_restart(struct xmm_tracer *t, struct xmm_inject_regs *entry,
			 long nr)
{
	return t->insn == xmm_inject_pc(&t->saved) &&
	       xmm_inject_take_restart(&t->saved, entry, nr) &&
	       xmm_tracer_set_regs(t, entry) == 0;
}

/*
 * The wait for the first stop after resuming into the call set up.
 *
 * Unbounded where the call must run (may_give_up false).  Else bounded
 * as the first stop is (XMM_INJECT_STOP_TIMEOUT_MS), for a thread that
 * stops for us but never returns to user mode: the cgroup v2 freezer
 * (docker pause, Android's app freezer) parks a thread in
 * do_freezer_trap() inside get_signal() (kernel/signal.c, 6.1 to 6.18).
 * Our interrupt (JOBCTL_TRAP_STOP) wakes it from there, and get_signal()
 * serves JOBCTL_TRAP_MASK before JOBCTL_TRAP_FREEZE, so we got our first
 * stop; but resumed from it, the thread loops in get_signal() straight
 * back into the freezer, and our instruction never runs.  (The v1
 * freezer's refrigerator ignores the interrupt: such a thread never
 * makes the first stop, and gives up there.)
 *
 * When the time is up, PTRACE_INTERRUPT again (*asked) and wait without
 * limit, our registers being in place: a thread still in get_signal()
 * stops there at once, frozen or not, and that PTRACE_EVENT_STOP before
 * any syscall-entry stop proves the call never began; an entry stop
 * first says it did.  (A thread of the v1 freezer, frozen since our
 * first stop, makes neither until it is thawed: it is waited for.)
 */
static int wait_for_entry(struct xmm_tracer *t, bool may_give_up,
			  bool *asked)
{
	int ret;

	if (!may_give_up || *asked)
		return xmm_tracer_wait(t, XMM_INJECT_WAIT_FOREVER);
	ret = xmm_tracer_wait(t, XMM_INJECT_STOP_TIMEOUT_MS);
	if (ret != -EAGAIN)
		return ret;
	if (ptrace(PTRACE_INTERRUPT, t->tid, 0, 0) < 0)
		return -ESRCH;
	*asked = true;
	return xmm_tracer_wait(t, XMM_INJECT_WAIT_FOREVER);
}

/*
 * Our interrupt stopped the thread before the call began, inside
 * get_signal() with our registers not yet used: R goes back, and the
 * tracee stays at this event stop, from which the release detaches
 * (a frozen thread goes back to the freezer, R intact).  -EAGAIN.
 */
static int give_up(struct xmm_tracer *t)
{
	int ret;

	t->at_event_stop = true;
	t->group_stopped = WSTOPSIG(t->status) != SIGTRAP;
	ret = xmm_tracer_restore_regs(t);
	return ret < 0 ? ret : -EAGAIN;
}

/*
 * Run one call from a stop.  0: ran, c->ret set, the tracee at its exit
 * stop.  1: a signal came first; it was delivered and the tracee is at a
 * new event stop with new saved registers: run the call again.  (1 also
 * when the call reached its entry only after our interrupt: see below.)
 * -EAGAIN (only where may_give_up): the call never began (wait_for_entry()),
 * the tracee at an event stop with R.
 */
int xmm_inject_run_one(struct xmm_tracer *t, struct xmm_inject_call *c,
		       bool may_give_up)
{
	struct xmm_inject_regs regs = t->saved;
	bool entered = false, asked = false, late = false;
	int ret, sig;

	xmm_inject_set_call(&regs, t->insn, c->nr, c->arg);
	ret = xmm_tracer_set_regs(t, &regs);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = xmm_tracer_resume(t, PTRACE_SYSCALL, 0);
		if (ret < 0)
			return ret;
		ret = entered ? xmm_tracer_wait(t, XMM_INJECT_WAIT_FOREVER) :
				wait_for_entry(t, may_give_up, &asked);
		if (ret < 0)
			return ret;
		switch (xmm_tracer_stop_kind(t, &sig)) {
		case XMM_STOP_SYSCALL:
			if (xmm_inject_getregs(t->tid, &regs) < 0)
				return -ESRCH;
			if (entered && late)
				return 1;
			if (entered) {
				c->ret = xmm_inject_result(&regs);
				return c->nr == -1 ? -EIO : 0;
			}
			entered = true;
			if (xmm_inject_pc(&regs) ==
				    t->insn + XMM_INJECT_INSN_LEN &&
			    (xmm_inject_entry_nr(&regs) == c->nr ||
			     took_restart(t, &regs, c->nr))) {
				if (!asked)
					break;
				/*
				 * Our call, entered after our interrupt (a
				 * thread slow to run, not a frozen one):
				 * the pending trap has set TIF_SIGPENDING,
				 * which would cut short an interruptible
				 * sleep of the call.  Skip it, and run it
				 * again from its exit stop (the trap is
				 * then the leftover one of the next try).
				 */
				late = true;
			} else {
				/* Not the call we set up (never seen): skip
				 * it and report it, never let R's syscall
				 * run here. */
				c->nr = -1;
			}
			xmm_inject_cancel_entry(&regs);
			ret = xmm_tracer_set_regs(t, &regs);
			if (ret < 0)
				return ret;
			break;
		case XMM_STOP_SIGNAL:
			if (entered)
				return -EIO;
			return signal_first(t, sig);
		case XMM_STOP_EVENT:
			if (entered)
				return -EIO;
			/* Our interrupt, before the call began. */
			if (asked)
				return give_up(t);
			/* A leftover interrupt or a group stop: the call has
			 * not started; resume it as it is. */
			break;
		default:
			return -EIO;
		}
	}
}

int xmm_inject_run_one_retrying(struct xmm_tracer *t,
				struct xmm_inject_call *c, bool may_give_up)
{
	int ret;

	do
		ret = xmm_inject_run_one(t, c, may_give_up);
	while (ret == 1);
	return ret;
}

#endif /* XMM_HAVE_INJECT */
