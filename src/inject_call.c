// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * One injected call from a stop: registers = R with the pc on the
 * borrowed syscall instruction, the call's number and arguments, and "in
 * no syscall", so that no restart logic touches them; then to the
 * syscall-entry stop (check the number) and the exit stop (the result),
 * waiting as long as the call takes.  A signal that comes first is
 * delivered with R in place, as if it had come before we did.
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

#include <signal.h>
#include <sys/ptrace.h>

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
 * Run one call from a stop.  0: ran, c->ret set, the tracee at its exit
 * stop.  1: a signal came first; it was delivered and the tracee is at a
 * new event stop with new saved registers: run the call again.
 */
int xmm_inject_run_one(struct xmm_tracer *t, struct xmm_inject_call *c)
{
	struct xmm_inject_regs regs = t->saved;
	bool entered = false;
	int ret, sig;

	xmm_inject_set_call(&regs, t->insn, c->nr, c->arg);
	ret = xmm_tracer_set_regs(t, &regs);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = xmm_tracer_resume(t, PTRACE_SYSCALL, 0);
		if (ret < 0)
			return ret;
		ret = xmm_tracer_wait(t, XMM_INJECT_WAIT_FOREVER);
		if (ret < 0)
			return ret;
		switch (xmm_tracer_stop_kind(t, &sig)) {
		case XMM_STOP_SYSCALL:
			if (xmm_inject_getregs(t->tid, &regs) < 0)
				return -ESRCH;
			if (entered) {
				c->ret = xmm_inject_result(&regs);
				return c->nr == -1 ? -EIO : 0;
			}
			entered = true;
			if (xmm_inject_pc(&regs) ==
				    t->insn + XMM_INJECT_INSN_LEN &&
			    (xmm_inject_entry_nr(&regs) == c->nr ||
			     took_restart(t, &regs, c->nr)))
				break;
			/* Not the call we set up (never seen): skip it and
			 * report it, never let R's syscall run here. */
			xmm_inject_cancel_entry(&regs);
			ret = xmm_tracer_set_regs(t, &regs);
			if (ret < 0)
				return ret;
			c->nr = -1;
			break;
		case XMM_STOP_SIGNAL:
			if (entered)
				return -EIO;
			return signal_first(t, sig);
		case XMM_STOP_EVENT:
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

int xmm_inject_run_one_retrying(struct xmm_tracer *t,
				struct xmm_inject_call *c)
{
	int ret;

	do
		ret = xmm_inject_run_one(t, c);
	while (ret == 1);
	return ret;
}

#endif /* XMM_HAVE_INJECT */
