// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_madvise(): process_madvise(2) on every kernel.
 *
 * Backends, in order:
 *   native       the system call (Linux 5.10).
 *   self-madvise madvise(2) range by range when the target is the caller
 *                (or shares its mm: clone(2) CLONE_VM, told by kcmp(2))
 *                and the kernel cannot or will not do it: no syscall
 *                (ENOSYS), advice refused for self before 6.13 (EINVAL),
 *                CAP_SYS_NICE demanded of self before 6.13 (EPERM), or
 *                PIDFD_SELF unknown before 6.15 (EBADF).
 *   inject       madvise(2) run inside a remote target by ptrace (inject.c):
 *                where the kernel has no process_madvise (ENOSYS), with
 *                XMM_PMADV_INJECT for advice it refuses remotely (EINVAL),
 *                or with either injection flag where a seccomp policy
 *                answered EPERM to a caller with CAP_SYS_NICE.
 */
#include "internal.h"
#include "backend.h"
#include "inject.h"
#include "madvise.h"
#include "pidfd.h"
#include "procfs.h"
#include "procfs_task.h"
#include "syscall.h"
#include "usercopy.h"

#include <linux/capability.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef MADV_COLD
#define MADV_COLD	20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT	21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE	25
#endif

/* MAX_RW_COUNT: INT_MAX rounded down to a page, the kernel's iovec cap. */
#define XMM_MAX_RW_COUNT	((size_t)0x7ffff000)

bool xmm_madvise_remote_allowed(int advice)
{
	switch (advice) {
	case MADV_COLD:
	case MADV_PAGEOUT:
	case MADV_WILLNEED:
	case MADV_COLLAPSE:
		return true;
	default:
		return false;
	}
}

int xmm_madvise_prepare(struct xmm_madvise_call *call)
{
	size_t i, total = 0;
	int ret;

	if (call->prepared)
		return 0;

	/* import_iovec(): vlen, then the array, then each length. */
	if (call->vlen > XMM_IOV_MAX)
		return -EINVAL;
	if (call->vlen) {
		call->checked_iov = malloc(call->vlen * sizeof(struct iovec));
		if (!call->checked_iov)
			return -ENOMEM;
		ret = xmm_copy_from_caller(call->checked_iov, call->iov,
					   call->vlen * sizeof(struct iovec));
		if (ret < 0)
			goto fail;
	}
	/* iovec_from_user(): every length first. */
	ret = -EINVAL;
	for (i = 0; i < call->vlen; i++)
		if ((ssize_t)call->checked_iov[i].iov_len < 0)
			goto fail;
	for (i = 0; i < call->vlen; i++) {
		struct iovec *v = &call->checked_iov[i];

		/*
		 * access_ok(): no wrap, and below the top of user space.
		 * madvise(2) itself would answer ENOMEM or EINVAL there.
		 */
		ret = -EFAULT;
		if (!xmm_user_range_ok((uintptr_t)v->iov_base, v->iov_len))
			goto fail;
		if (v->iov_len > XMM_MAX_RW_COUNT - total)
			v->iov_len = XMM_MAX_RW_COUNT - total;
		total += v->iov_len;
	}
	call->checked_vlen = call->vlen;
	call->checked_total = total;

	/* pidfd_get_task(): EBADF or ESRCH. */
	if (xmm_pidfd_is_self_sentinel(call->pidfd)) {
		call->target_pid = getpid();
		call->target_is_self = true;
	} else {
		pid_t tgid;

		ret = xmm_pidfd_to_pid_tgid(call->pidfd, &call->target_pid,
					    &tgid);
		if (ret < 0)
			goto fail;
		call->target_is_self = xmm_task_is_self(call->target_pid,
							tgid);
	}
	call->prepared = true;
	return 0;
fail:
	free(call->checked_iov);
	call->checked_iov = NULL;
	return ret;
}

/* KCMP_VM, <linux/kcmp.h> (Linux 3.5). */
#define XMM_KCMP_VM	1

/*
 * Does the target share our memory: a process created with clone(2)
 * CLONE_VM without CLONE_THREAD (a thread of ours is target_is_self)?
 * process_madvise(2) treats such a target as the caller, since it only
 * asks whether mm == current->mm: from 6.13 any advice, and no
 * CAP_SYS_NICE.  kcmp(2) KCMP_VM answers 0 for the same mm.  Where it is
 * missing (CONFIG_KCMP off, a seccomp policy's ENOSYS or EPERM) or refuses
 * (the ptrace access check), this cannot tell and answers false: the
 * target is then another process, and gets that answer (EPERM without
 * CAP_SYS_NICE).  A caller under seccomp is not asked at all: a policy may
 * kill on kcmp(2), as Android's app policy does (SIGSYS), where the
 * caller asked only for advice (tests/outside found it).  Asked at most
 * once a call, and only on paths that are errors or fallbacks for another
 * process: the native call pays nothing.
 */
static bool target_shares_our_mm(struct xmm_madvise_call *call)
{
	if (call->target_is_self)
		return true;
	if (!call->shares_mm_known) {
		call->shares_mm = prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == 0 &&
				  syscall(SYS_kcmp, getpid(), call->target_pid,
					  XMM_KCMP_VM, 0UL, 0UL) == 0;
		call->shares_mm_known = true;
	}
	return call->shares_mm;
}

static struct xmm_backend native_backend;

static int native_probe(const char **detail)
{
	/* No pidfd -1: EBADF where the call exists, ENOSYS where not. */
	if (xmm_sys(process_madvise, -1, NULL, 0, MADV_COLD, 0) == -ENOSYS) {
		*detail = "the kernel has no process_madvise (Linux 5.10)";
		return -ENOSYS;
	}
	return 0;
}

/* Does this refusal of the kernel leave the self fallback to try? */
static bool self_may_fall_back(const struct xmm_madvise_call *call, long err)
{
	switch (err) {
	case -EBADF:
		return xmm_pidfd_is_self_sentinel(call->pidfd);
	case -EINVAL:
	case -EPERM:
		return xmm_pidfd_is_self(call->pidfd);
	default:
		return false;
	}
}

/*
 * Recent kernels (6.18 seen; 6.1 does not) import a single iovec without
 * access_ok(): one in the kernel's half gets madvise(2)'s ENOMEM, where
 * two or more, and older kernels, get EFAULT.  Answer EFAULT for one too.
 */
static long single_iovec_error(const struct xmm_madvise_call *call, long err)
{
	struct iovec v;

	if (err != -ENOMEM || call->vlen != 1 ||
	    xmm_copy_from_caller(&v, call->iov, sizeof(v)) < 0)
		return err;
	if ((ssize_t)v.iov_len >= 0 &&
	    !xmm_user_range_ok((uintptr_t)v.iov_base, v.iov_len))
		return -EFAULT;
	return err;
}

/*
 * Before 6.13 the kernel refuses advice for the calling process that it
 * refuses for another (EINVAL), whatever the ranges: it checks the advice
 * first.  Asked once, with no range: 6.13 and later answer 0.
 */
static bool kernel_refuses_self_advice(int self_pidfd)
{
	static atomic_int refuses;	/* 0 unknown, 1 yes, 2 no */
	int known = atomic_load_explicit(&refuses, memory_order_relaxed);

	if (!known) {
		known = xmm_sys(process_madvise, self_pidfd, NULL, 0,
				MADV_DONTNEED, 0) == -EINVAL ? 1 : 2;
		atomic_store_explicit(&refuses, known, memory_order_relaxed);
	}
	return known == 1;
}

/*
 * A refusal that says the kernel cannot do this for the caller itself, not
 * that the call is wrong: a PIDFD_SELF sentinel it does not know (EBADF,
 * before 6.15), or advice it refuses for self before 6.13 (EINVAL).  Only
 * self-madvise can serve then; this backend, forced, answers ENOSYS.
 */
static bool native_cannot_serve_self(const struct xmm_madvise_call *call,
				     long err)
{
	if (err == -EBADF)
		return true;	/* self_may_fall_back(): a sentinel */
	return err == -EINVAL && !xmm_madvise_remote_allowed(call->advice) &&
	       kernel_refuses_self_advice(call->pidfd);
}

/* CAP_SYS_NICE, <linux/capability.h>. */
#define XMM_CAP_SYS_NICE	23

/*
 * Does the calling thread have CAP_SYS_NICE in its effective set?  One
 * capget(2) of this thread (pid 0), not a read of its status file: 1 or 0,
 * or -errno when capget(2) fails.
 */
static int caller_cap_sys_nice(void)
{
	struct __user_cap_header_struct header = {
		.version = _LINUX_CAPABILITY_VERSION_3,
		.pid = 0,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &header, data) < 0)
		return -errno;
	return (data[XMM_CAP_SYS_NICE / 32].effective >>
		(XMM_CAP_SYS_NICE % 32)) & 1;
}

static bool caller_has_cap_sys_nice(void)
{
	/* When capget(2) fails, leave it to the kernel. */
	return caller_cap_sys_nice() != 0;
}

/* The initial user namespace's inode, PROC_USER_INIT_INO (Linux 3.8). */
#define XMM_PROC_USER_INIT_INO	0xEFFFFFFDUL

/*
 * Is the caller in the initial user namespace, where the kernel's
 * capable() asks for the capabilities capget(2) shows?  In any other (a
 * rootless container) it has none of them for process_madvise(2).  A
 * kernel without user namespaces (CONFIG_USER_NS off: no ns/user entry)
 * has only the initial one.  false when /proc cannot tell.
 */
static bool caller_in_initial_user_ns(void)
{
	struct stat ns;

	if (stat("/proc/self/ns/user", &ns) == 0)
		return (unsigned long)ns.st_ino == XMM_PROC_USER_INIT_INO;
	/* No entry in a mounted /proc: this kernel has no user namespaces. */
	return errno == ENOENT && stat("/proc/self", &ns) == 0;
}

/*
 * The native call answered EPERM with valid arguments.  Could the kernel
 * have answered that?  For another process it answers EPERM only to a
 * caller without CAP_SYS_NICE (in the initial user namespace), after the
 * advice (EINVAL) and the ptrace access check (EACCES): with the
 * capability, the EPERM is a seccomp policy's (Docker's default profile
 * answers so without CAP_SYS_PTRACE).  The inject fallback may then serve,
 * but only when the caller asked for injection by a flag: a policy refusal
 * is deliberate, and a call without the flags keeps its EPERM.  (The
 * caller itself has the self fallback: self_may_fall_back().)
 */
static bool eperm_is_a_policy_refusal(const struct xmm_madvise_call *call)
{
	return !call->target_is_self &&
	       (call->flags & XMM_PMADV_LIBRARY_FLAGS) &&
	       caller_cap_sys_nice() == 1 && caller_in_initial_user_ns();
}

/* iovecs read at a time by compat_range_wraps(): 512 bytes of stack. */
#define XMM_WRAP_CHUNK	64

/*
 * A 32-bit caller on a 64-bit kernel: import_iovec() widens each compat
 * iovec to 64 bits and access_ok() checks it against the kernel's own
 * TASK_SIZE_MAX (2^47 on x86_64), where a 32-bit base plus a length below
 * 2 GiB (compat_ssize_t) ends below 2^33, so no range of such a caller is
 * refused there: the ranges before one that wraps the caller's 4 GiB
 * are advised, and then that one where it is mapped.  A 32-bit kernel
 * refuses it (EFAULT) before advising any, as the other backends do
 * (xmm_user_range_ok()), and so must this one, before the call.  Ranges that
 * end between a 32-bit kernel's split (3 GiB) and 4 GiB are ordinary memory
 * of a compat task (its stack lives there), so only the wrap is checked.
 * true when every iovec was read, every length fits in ssize_t (else the
 * kernel's own EFAULT or EINVAL comes first) and one range wraps.
 */
static bool compat_range_wraps(const struct iovec *iov, size_t vlen)
{
	struct iovec chunk[XMM_WRAP_CHUNK];
	bool wraps = false;
	size_t done, count, i;

	if (vlen > XMM_IOV_MAX)
		return false;
	for (done = 0; done < vlen; done += count) {
		count = vlen - done < XMM_WRAP_CHUNK ? vlen - done :
						       XMM_WRAP_CHUNK;
		if (xmm_copy_from_caller(chunk, iov + done,
					 count * sizeof(*chunk)) < 0)
			return false;
		for (i = 0; i < count; i++) {
			if ((ssize_t)chunk[i].iov_len < 0)
				return false;
			if (!xmm_user_range_ok((uintptr_t)chunk[i].iov_base,
					       chunk[i].iov_len))
				wraps = true;
		}
	}
	return wraps;
}

static long native_run(void *arg)
{
	struct xmm_madvise_call *call = arg;
	long ret;

	/* Only 32-bit builds pay: a 64-bit caller's ranges are the
	 * kernel's to check. */
	if (sizeof(long) == 4 && compat_range_wraps(call->iov, call->vlen))
		return -EFAULT;
	ret = xmm_sys(process_madvise, call->pidfd, call->iov, call->vlen,
		      call->advice, call->flags & ~XMM_PMADV_LIBRARY_FLAGS);
	if (ret >= 0)
		return ret;
	ret = single_iovec_error(call, ret);
	if (ret == -ENOSYS) {
		xmm_backend_disable(&native_backend, ENOSYS,
			"the kernel has no process_madvise (Linux 5.10), or a "
			"seccomp policy refuses it");
		return xmm_try_next(ENOSYS);
	}
	if (self_may_fall_back(call, ret))
		return xmm_try_next(native_cannot_serve_self(call, ret) ?
				    ENOSYS : (int)-ret);
	/*
	 * A target sharing our memory is the caller for process_madvise(2)
	 * from 6.13; before, it refuses advice (EINVAL) and demands
	 * CAP_SYS_NICE (EPERM) as for another process.  Self-madvise serves
	 * it then, as it serves the caller itself: madvise(2) acts on the
	 * very mm.  From 6.13 such an answer is madvise(2)'s own, and
	 * self-madvise gives it again.
	 */
	if (ret == -EINVAL || ret == -EPERM) {
		long bad = xmm_madvise_prepare(call);

		if (bad < 0)
			return bad;
		if (target_shares_our_mm(call))
			return xmm_try_next(
				native_cannot_serve_self(call, ret) ?
				ENOSYS : (int)-ret);
		/*
		 * The kernel answers EPERM (no CAP_SYS_NICE) only after the
		 * iovec, the pidfd and the target passed (bad above); an
		 * EPERM before that came from a seccomp policy (Docker's
		 * default profile answers process_madvise so), and the
		 * kernel would have answered the argument's error.
		 */
		if (ret == -EPERM && eperm_is_a_policy_refusal(call)) {
			call->refused_by_policy = true;
			return xmm_try_next(EPERM);
		}
	}
	/* Advice refused for a remote target: injection may apply it. */
	if (ret == -EINVAL && (call->flags & XMM_PMADV_INJECT))
		return xmm_try_next(EINVAL);
	return ret;
}

static struct xmm_backend native_backend = {
	.name = "native",
	.probe = native_probe,
	.run = native_run,
};

static long self_madvise_run(void *arg)
{
	struct xmm_madvise_call *call = arg;
	size_t i, done = 0;
	int ret;

	ret = xmm_madvise_prepare(call);
	if (ret < 0)
		return ret;
	/* Our own mm, even through another process that shares it. */
	if (!target_shares_our_mm(call))
		return xmm_try_next(ENOSYS);

	for (i = 0; i < call->checked_vlen; i++) {
		const struct iovec *v = &call->checked_iov[i];
		long err;

		if (!xmm_madvise_visits(call->checked_iov, i,
					call->checked_total))
			continue;
		err = xmm_sys(madvise, v->iov_base, v->iov_len, call->advice);
		if (err < 0)
			return xmm_madvise_progress(done, err);
		done += v->iov_len;
	}
	return (long)done;
}

static struct xmm_backend self_madvise_backend = {
	.name = "self-madvise",
	.run = self_madvise_run,
};

/* Set by each call the inject backend serves (madvise.h says why). */
static __thread bool target_could_not_run;
static struct xmm_backend inject_backend;

bool xmm_madvise_served_by_injection(void)
{
	const char *backend = xmm_backend_last("process_madvise");

	return backend && !strcmp(backend, inject_backend.name);
}

bool xmm_madvise_target_could_not_run(void)
{
	return target_could_not_run && xmm_madvise_served_by_injection();
}

/*
 * Reached for a remote target only when the native call could not serve:
 * it answered ENOSYS (no syscall, or a seccomp policy), EINVAL with
 * XMM_PMADV_INJECT, or a policy's EPERM with an injection flag
 * (eperm_is_a_policy_refusal()).  Only inject_run_permitted() calls it,
 * after the advice and permission checks.
 */
static long inject_run(void *arg)
{
	struct xmm_madvise_call *call = arg;
	struct xmm_inject_call *calls;
	unsigned int inject_flags;
	size_t i, count = 0, done = 0;
	long ran, ret;

	ret = xmm_madvise_prepare(call);
	if (ret < 0)
		return ret;
	if (call->target_is_self)
		return xmm_try_next(ENOSYS);
	calls = calloc(call->checked_vlen ? call->checked_vlen : 1,
		       sizeof(*calls));
	if (!calls)
		return -ENOMEM;
	for (i = 0; i < call->checked_vlen; i++) {
		if (!xmm_madvise_visits(call->checked_iov, i,
					call->checked_total))
			continue;
		calls[count].nr = XMM_NR_madvise;
		calls[count].arg[0] =
			(unsigned long)call->checked_iov[i].iov_base;
		calls[count].arg[1] = call->checked_iov[i].iov_len;
		calls[count].arg[2] = (unsigned long)call->advice;
		count++;
	}
	if (!count) {
		free(calls);
		return 0;
	}
	inject_flags = XMM_INJECT_STOP_ON_ERROR | XMM_INJECT_RANGE_ARGS;
	if (call->flags & XMM_PMADV_INJECT_UNCHECKED)
		inject_flags |= XMM_INJECT_UNCHECKED;
	ran = xmm_inject_syscalls(call->target_pid, call->pidfd, calls,
				  count, inject_flags);
	target_could_not_run = ran == -EAGAIN;
	if (ran < 0) {
		ret = ran == -ENOEXEC ? xmm_try_next(ENOSYS) : ran;
		goto out;
	}
	ret = 0;
	for (i = 0; i < (size_t)ran; i++) {
		if (calls[i].ret < 0) {
			ret = xmm_madvise_progress(done, calls[i].ret);
			goto out;
		}
		done += calls[i].arg[1];
	}
	ret = (long)done;
out:
	free(calls);
	return ret;
}

/*
 * The fast answer of task_access(): true when the caller surely passes
 * mm_access(PTRACE_MODE_READ_FSCREDS) on the task, false when this cannot
 * tell.  Reading the link /proc/PID/exe makes ptrace_may_access(task,
 * PTRACE_MODE_READ_FSCREDS), mm_access()'s very check, and then finds the
 * executable through the task's mm: a link read means the check passed
 * and the task has memory, which is all mm_access() asks.  It costs a
 * path lookup but no open file (a third less than environ's open and
 * close).  Any refusal goes to environ, which answers as before: a
 * refusal (EACCES), no memory (ENOENT: exiting, or a leader that called
 * pthread_exit()), and the few grants only environ knows (a process
 * sharing our mm, which mm_access() lets in whatever ptrace says) keep
 * their one answer.  Unlike environ's open, the link has no file mode to
 * pass: a caller with CAP_SYS_PTRACE but not CAP_DAC_OVERRIDE is let in
 * to a task that is not dumpable, as the kernel lets it in.
 */
static bool task_access_granted(const char *task_dir)
{
	char path[96], target;

	snprintf(path, sizeof(path), "%s/exe", task_dir);
	/* readlinkat(2), not readlink(2): seccomp policies that allow only
	 * the *at calls (Android's) kill on the other. */
	return readlinkat(AT_FDCWD, path, &target, 1) == 1;
}

/*
 * Does the caller pass mm_access(PTRACE_MODE_READ_FSCREDS) on this task?
 * Opening its environ makes that very check.  0 when it does, -EACCES
 * when not, -ESRCH when the task has no memory left (exiting, or a leader
 * that called pthread_exit()): /proc shows such a task's files as root's,
 * which is no refusal.
 */
static long task_access(pid_t pid, pid_t tid)
{
	char path[64], status[4096];
	ssize_t len;
	int fd;

	if (tid)
		snprintf(path, sizeof(path), "/proc/%d/task/%d",
			 (int)pid, (int)tid);
	else
		snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	if (task_access_granted(path))
		return 0;
	strcat(path, "/environ");
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		return 0;
	}
	if (errno == ENOENT || errno == ESRCH)
		return -ESRCH;
	if (errno != EACCES && errno != EPERM)
		return 0;	/* cannot tell: leave it to ptrace */
	strcpy(strrchr(path, '/') + 1, "status");
	len = xmm_proc_read_small(AT_FDCWD, path, status, sizeof(status));
	if (len > 0 && !memmem(status, (size_t)len, "\nVmSize:", 8))
		return -ESRCH;
	return -EACCES;
}

/* task_access() on the first thread of pid that still has memory. */
static long live_thread_access(pid_t pid)
{
	char buf[4096] __attribute__((aligned(8)));
	struct xmm_proc_task_iter tasks;
	long ret = -ESRCH;
	pid_t tid;

	if (xmm_proc_task_open(&tasks, pid, buf, sizeof(buf)) < 0)
		return -ESRCH;
	while (ret == -ESRCH && (tid = xmm_proc_task_next(&tasks)) > 0) {
		if (tid != pid)
			ret = task_access(pid, tid);
	}
	xmm_proc_task_close(&tasks);
	return ret;
}

/*
 * The kernel's permission checks of process_madvise(2), in its order, for
 * the inject backend: mm_access(PTRACE_MODE_READ_FSCREDS) answers EACCES,
 * then a caller without CAP_SYS_NICE gets EPERM.  A process whose leader
 * has exited is checked through a live thread, the one injection uses.
 * 0 when permitted.
 */
static long remote_permission(struct xmm_madvise_call *call)
{
	long ret = task_access(call->target_pid, 0);

	if (ret == -ESRCH)
		ret = live_thread_access(call->target_pid);
	if (ret < 0)
		return ret;
	/* Not asked of a target sharing our mm (mm != current->mm). */
	if (!caller_has_cap_sys_nice() && !target_shares_our_mm(call))
		return -EPERM;
	return 0;
}

/*
 * The inject backend answers as process_madvise(2) would: EACCES when the
 * ptrace access check fails, EPERM without CAP_SYS_NICE, both before the
 * target is touched.  EPERM from the injection itself then means what the
 * manual page says: a ptrace policy (Yama, an existing tracer) or the
 * target's seccomp filter refused it.
 */
static long inject_run_permitted(void *arg)
{
	struct xmm_madvise_call *call = arg;
	long ret = xmm_madvise_prepare(call);

	target_could_not_run = false;
	if (ret < 0)
		return ret;
	if (!call->target_is_self) {
		/*
		 * The kernel's order: the advice, then permission.  Without
		 * XMM_PMADV_INJECT, only advice the kernel would take for a
		 * remote target is injected: the fallback never widens what
		 * process_madvise(2) does; any advice for a target that
		 * shares our mm, as 6.13 takes it.
		 */
		if (!(call->flags & XMM_PMADV_INJECT) &&
		    !xmm_madvise_remote_allowed(call->advice) &&
		    !target_shares_our_mm(call))
			return -EINVAL;
		ret = remote_permission(call);
		if (ret < 0)
			return ret;
	}
	return inject_run(arg);
}

static int inject_probe(const char **detail)
{
	if (!xmm_inject_supported()) {
		*detail = "no ptrace injection code for this architecture";
		return -ENOSYS;
	}
	return 0;
}

static struct xmm_backend inject_backend = {
	.name = "inject",
	.probe = inject_probe,
	.run = inject_run_permitted,
};

static struct xmm_backend *const madvise_backends[] = {
	&native_backend,
	&self_madvise_backend,
	&inject_backend,
	NULL,
};

struct xmm_operation xmm_op_process_madvise = {
	.name = "process_madvise",
	.id = XMM_OP_PROCESS_MADVISE,
	.backends = madvise_backends,
	.forced = XMM_FORCE_NONE,
};

/*
 * Unknown advice is EINVAL even when no range is visited: 6.1 checks the
 * advice first, and mainline does again (the selftest mm/process_madv.c,
 * invalid_advice_zero_length); 6.18 answers 0 for the caller itself, and
 * self-madvise and inject, which visit no range then, would too.
 * madvise(2) with no range checks the advice and does nothing else.
 */
static long zero_result_advice_checked(const struct xmm_madvise_call *call,
				       long ret)
{
	if (ret != 0 || xmm_sys(madvise, NULL, 0, call->advice) != -EINVAL)
		return ret;
	return -EINVAL;
}

XMM_EXPORT ssize_t xmm_process_madvise(int pidfd, const struct iovec *iov,
				       size_t vlen, int advice,
				       unsigned int flags)
{
	struct xmm_madvise_call call = {
		.pidfd = pidfd,
		.iov = iov,
		.vlen = vlen,
		.advice = advice,
		.flags = flags,
	};
	long ret;

	if (flags & ~XMM_PMADV_LIBRARY_FLAGS)
		return xmm_errno_result(-EINVAL);

	/*
	 * The common case, the kernel serving with nothing forced, runs the
	 * system call from here: on kernels that flush the TLB at every
	 * syscall (pti without PCID) each page the call touches is a
	 * measurable share of a one-page advice (bench/, "call overhead").
	 */
	if (xmm_backend_first_and_ready(&xmm_op_process_madvise,
					&native_backend)) {
		ret = native_run(&call);
		if (!xmm_is_try_next(ret)) {
			free(call.checked_iov);
			xmm_backend_served(&xmm_op_process_madvise,
					   &native_backend);
			return xmm_errno_result(
				zero_result_advice_checked(&call, ret));
		}
		ret = xmm_dispatch_after_first(&xmm_op_process_madvise,
					       &call, ret);
	} else {
		ret = xmm_dispatch(&xmm_op_process_madvise, &call);
	}
	/*
	 * When no backend could serve, still answer what the kernel would
	 * have answered for bad arguments (vlen, iovec, pidfd).
	 */
	if (ret == -ENOSYS) {
		int bad = xmm_madvise_prepare(&call);

		if (bad < 0)
			ret = bad;
	}
	/* No fallback served after a policy's EPERM: that EPERM stands. */
	if (call.refused_by_policy && ret < 0)
		ret = -EPERM;
	free(call.checked_iov);
	return xmm_errno_result(zero_result_advice_checked(&call, ret));
}
