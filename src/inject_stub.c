// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The batch stub: a long batch of range calls runs through a small stub
 * that the engine copies into a fresh private mapping of the target
 * (three stops: mmap, the stub, munmap, instead of two per call).  The
 * mapping is placed clear of the ranges and removed on every path on
 * which the target lives.  No other byte of the target is written.
 * Only the mmap may be given up (a frozen target: inject_call.c), before
 * anything exists to remove; from the mapping on, the stub and the
 * munmap are waited for without limit.
 */
#include "internal.h"
#include "inject_private.h"
#include "syscall.h"

#if defined(XMM_HAVE_INJECT) && defined(XMM_INJECT_HAVE_STUB)

#include <signal.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <unistd.h>

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

/* Would every call run from the stub's syscall instruction at ip? */
static bool stub_allowed(struct xmm_tracer *t, unsigned long ip,
			 const struct xmm_inject_call *calls, size_t count)
{
	long answer[XMM_INJECT_MAX_CALLS];
	size_t i;

	if (xmm_inject_seccomp_answers(t, ip, calls, count, answer) < 0)
		return false;
	for (i = 0; i < count; i++)
		if (answer[i])
			return false;
	return true;
}

/*
 * Run the stub to its int3, delivering the target's signals on the way.
 * The number of calls it ran, or -errno (-EIO: it stopped where it never
 * should; the registers are ours still, the mapping in place).
 */
static long run_to_trap(struct xmm_tracer *t, unsigned long code,
			size_t size, const struct xmm_inject_regs *start)
{
	struct xmm_inject_regs stub_regs;
	int ret, sig;

	ret = xmm_tracer_set_regs(t, start);
	if (ret < 0)
		return ret;
	for (;;) {
		ret = xmm_tracer_resume(t, PTRACE_CONT, 0);
		if (ret < 0)
			return ret;
		ret = xmm_tracer_wait(t, XMM_INJECT_WAIT_FOREVER);
		if (ret < 0)
			return ret;
		if (xmm_tracer_stop_kind(t, &sig) != XMM_STOP_SIGNAL)
			continue;	/* leftover interrupt, group stop */
		if (xmm_inject_getregs(t->tid, &stub_regs) < 0)
			return -ESRCH;
		if (sig == SIGTRAP && xmm_inject_pc(&stub_regs) ==
					      code + sizeof(xmm_inject_stub))
			return (long)xmm_inject_stub_done(&stub_regs);
		if (xmm_inject_pc(&stub_regs) - code >= size ||
		    sig == SIGSEGV || sig == SIGBUS || sig == SIGILL ||
		    sig == SIGTRAP) {
			t->pending_sig = 0;	/* ours, never seen */
			return -EIO;
		}
		/* A signal for the target: deliver it with its own
		 * registers, then carry on with the stub where it was. */
		ret = xmm_tracer_deliver_and_restop(t, sig);
		if (ret < 0)
			return ret;
		ret = xmm_tracer_set_regs(t, &stub_regs);
		if (ret < 0)
			return ret;
	}
}

/*
 * Returns how many calls ran, XMM_INJECT_STUB_NOT_HERE when the stub
 * cannot be set up here (the target's seccomp filter or W^X policy says
 * no: run call by call instead), or -errno.
 */
long xmm_inject_run_stub(struct xmm_tracer *t, struct xmm_inject_call *calls,
			 size_t count, bool stop_on_error)
{
	size_t page = (size_t)getpagesize();
	size_t code_size = (sizeof(xmm_inject_stub) + 63) & ~(size_t)63;
	size_t size = (code_size + count * sizeof(*calls) + page - 1) &
		      ~(page - 1);
	struct xmm_inject_call map[2] = {
		{ .nr = XMM_NR_mmap, .arg = { 0, size,
			PROT_READ | PROT_WRITE | PROT_EXEC,
			MAP_PRIVATE | MAP_ANONYMOUS, (unsigned long)-1L, 0 } },
		{ .nr = XMM_NR_munmap, .arg = { 0, size } },
	};
	struct xmm_inject_regs regs;
	long answer[2], ret;
	unsigned long code, done;

	if (XMM_NR_mmap < 0 ||
	    xmm_inject_seccomp_answers(t, t->insn + XMM_INJECT_INSN_LEN, map,
				       2, answer) < 0 ||
	    answer[0] || answer[1])
		return XMM_INJECT_STUB_NOT_HERE;
	/* The first call we make: it may never begin (a frozen target),
	 * and then nothing is changed: -EAGAIN. */
	ret = xmm_inject_run_one_retrying(t, &map[0], true);
	if (ret < 0)
		return ret;
	if (map[0].ret < 0 && map[0].ret > -4096)
		return XMM_INJECT_STUB_NOT_HERE;	/* W^X, or no memory */
	code = (unsigned long)map[0].ret;
	map[1].arg[0] = code;

	ret = XMM_INJECT_STUB_NOT_HERE;
	/* The kernel may have put it where a call's range points (into a
	 * hole that must stay a hole): then go call by call.  A filter may
	 * judge by the IP: the stub's must be allowed too. */
	if (ranges_overlap(calls, count, code, size) ||
	    !stub_allowed(t, code + XMM_INJECT_STUB_SYSCALL_END, calls,
			  count) ||
	    !xmm_tracer_write(t, code, xmm_inject_stub,
			      sizeof(xmm_inject_stub)) ||
	    !xmm_tracer_write(t, code + code_size, calls,
			      count * sizeof(*calls)))
		goto unmap;

	regs = t->saved;
	xmm_inject_set_stub(&regs, code, code + code_size, count,
			    stop_on_error);
	ret = run_to_trap(t, code, size, &regs);
	if (ret == -ESRCH)
		return ret;
	if (ret >= 0) {
		done = (unsigned long)ret;
		if (done > count ||
		    !xmm_tracer_read(t, code + code_size, calls,
				     done * sizeof(*calls)))
			ret = -EIO;
	}
unmap:
	/* Never given up: a target frozen since the stub ran keeps us
	 * waiting until it thaws, and then loses the mapping. */
	if (xmm_inject_run_one_retrying(t, &map[1], false) < 0)
		return -ESRCH;
	return ret;
}

#endif
