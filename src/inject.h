/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The ptrace injection engine: run a batch of system calls inside another
 * process, in one stop, and leave it exactly as it was.
 *
 * The tracer is a helper process that shares the caller's memory, so that
 * a caller killed in the middle never leaves the target with borrowed
 * registers: the helper finishes the restore on its own.  One helper is
 * kept between calls (inject_server.c, the "xmm-inject" process); where
 * it cannot serve (busy, a sandboxed caller, no process to spare) a
 * short-lived one is cloned for the call.  Where Yama forbids a helper
 * to attach (scope >= 1: only ancestors may trace), a short-lived thread
 * of the caller traces instead (its exit releases a target that never
 * stopped), and a killed caller takes it along; where neither can be
 * created (RLIMIT_NPROC), the calling thread itself, which waits for the
 * target's stop without limit.  Every path after the seize detaches;
 * once the target runs an injected call, the tracer waits for its end
 * however long it takes.  The files of the engine are listed in
 * inject_private.h.
 *
 * A long batch of range calls (XMM_INJECT_RANGE_ARGS) runs through a
 * small stub that the engine copies into a fresh private mapping of the
 * target (x86_64), placed clear of the ranges and removed afterwards: one
 * stop for the whole batch instead of two per call.
 */
#ifndef XMM_SRC_INJECT_H
#define XMM_SRC_INJECT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct xmm_inject_call {
	long nr;		/* this ABI's syscall number */
	unsigned long arg[6];
	long ret;		/* out: the result, or -errno */
};

/* Stop the batch after the first call that returns an error. */
#define XMM_INJECT_STOP_ON_ERROR	0x1U
/* Trace from a thread of the caller, never from a helper process. */
#define XMM_INJECT_NO_HELPER		0x2U

/*
 * Every call's first two arguments are an address range of the target
 * (madvise(2) and the like): this lets a long batch run through the stub,
 * whose mapping the engine keeps clear of those ranges.  Without it, the
 * batch runs call by call.
 */
#define XMM_INJECT_RANGE_ARGS		0x4U

/*
 * The caller vouches that the target's seccomp filters allow the calls
 * (and the stub's mmap/munmap): filters that cannot be read (the tracer
 * is under seccomp itself, or lacks CAP_SYS_ADMIN) are not a refusal.
 * Filters that can be read are still honoured.
 */
#define XMM_INJECT_UNCHECKED		0x8U

/* Most calls one batch takes (the kernel's UIO_MAXIOV). */
#define XMM_INJECT_MAX_CALLS		1024

/*
 * Run calls[0..count) as system calls of the process pid, whose pidfd
 * guards against pid reuse.  Returns how many calls ran (each with ret
 * filled in), or -errno with nothing run:
 *   EPERM   ptrace(2) refuses (other uid, Yama, already traced,
 *           non-dumpable), or the target's seccomp filter cannot be read
 *           to prove the calls will not kill it (and no
 *           XMM_INJECT_UNCHECKED), or it is in strict mode and we may
 *           not suspend its seccomp for our calls
 *   ESRCH   the target is gone (or exits during the batch)
 *   EAGAIN  the target did not stop in time (frozen, uninterruptible),
 *           or stopped but did not begin the first call in time (frozen
 *           by the cgroup v2 freezer), nothing changed.  A later call
 *           that does not begin in time ends the batch instead: the
 *           count of those that ran, and no error.  Once a call runs
 *           there is no time limit: the engine waits until it ends or
 *           the target dies.
 *   ENOEXEC no syscall instruction found in the target
 *   EINVAL  count too large
 * A call the target's seccomp filter refuses is not run: its ret is the
 * filter's errno (SECCOMP_RET_ERRNO), -ENOSYS (RET_TRACE) or -EPERM (a
 * filter that would kill or trap), and the target is not harmed.
 */
/* Does this build have injection code for its architecture? */
bool xmm_inject_supported(void);

long xmm_inject_syscalls(pid_t pid, int pidfd, struct xmm_inject_call *calls,
			 size_t count, unsigned int flags);

/* In a fork child (atfork.c): forget the parent's kept helper. */
void xmm_inject_helper_atfork_child(void);

#endif /* XMM_SRC_INJECT_H */
