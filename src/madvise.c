// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_madvise(): process_madvise(2) on every kernel.
 *
 * Backends, in order:
 *   native       the system call (Linux 5.10).
 *   self-madvise madvise(2) range by range when the target is the caller
 *                and the kernel cannot or will not do it: no syscall
 *                (ENOSYS), advice refused for self before 6.13 (EINVAL),
 *                CAP_SYS_NICE demanded of self before 6.13 (EPERM), or
 *                PIDFD_SELF unknown before 6.15 (EBADF).
 *   inject       madvise(2) run inside a remote target by ptrace (inject.c):
 *                where the kernel has no process_madvise (ENOSYS), or with
 *                XMM_PMADV_INJECT for advice it refuses remotely (EINVAL).
 */
#include "internal.h"
#include "backend.h"
#include "inject.h"
#include "madvise.h"
#include "pidfd.h"
#include "syscall.h"
#include "usercopy.h"

#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>
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
	for (i = 0; i < call->vlen; i++) {
		struct iovec *v = &call->checked_iov[i];
		uintptr_t start = (uintptr_t)v->iov_base;

		ret = -EINVAL;
		if ((ssize_t)v->iov_len < 0)
			goto fail;
		ret = -EFAULT;	/* access_ok(): the range must not wrap */
		if (start + v->iov_len < start)
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
		ret = xmm_pidfd_to_pid(call->pidfd, &call->target_pid);
		if (ret < 0)
			goto fail;
		call->target_is_self = xmm_pid_is_self(call->target_pid);
	}
	call->prepared = true;
	return 0;
fail:
	free(call->checked_iov);
	call->checked_iov = NULL;
	return ret;
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

static long native_run(void *arg)
{
	struct xmm_madvise_call *call = arg;
	long ret;

	ret = xmm_sys(process_madvise, call->pidfd, call->iov, call->vlen,
		      call->advice, call->flags & ~XMM_PMADV_LIBRARY_FLAGS);
	if (ret >= 0)
		return ret;
	if (ret == -ENOSYS) {
		xmm_backend_disable(&native_backend, ENOSYS,
			"the kernel has no process_madvise (Linux 5.10), or a "
			"seccomp policy refuses it");
		return xmm_try_next(ENOSYS);
	}
	if (self_may_fall_back(call, ret))
		return xmm_try_next((int)-ret);
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
	if (!call->target_is_self)
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

/*
 * Reached for a remote target only when the native call could not serve:
 * it answered ENOSYS (no syscall, or a seccomp policy), or EINVAL with
 * XMM_PMADV_INJECT.  Without the flag, only advice the kernel would take
 * for a remote target is injected: the fallback never widens what
 * process_madvise(2) does.
 */
static long inject_run(void *arg)
{
	struct xmm_madvise_call *call = arg;
	struct xmm_inject_call *calls;
	size_t i, count = 0, done = 0;
	long ran, ret;

	ret = xmm_madvise_prepare(call);
	if (ret < 0)
		return ret;
	if (call->target_is_self)
		return xmm_try_next(ENOSYS);
	if (!(call->flags & XMM_PMADV_INJECT) &&
	    !xmm_madvise_remote_allowed(call->advice))
		return -EINVAL;
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
	ran = xmm_inject_syscalls(call->target_pid, call->pidfd, calls,
				  count, XMM_INJECT_STOP_ON_ERROR |
				  XMM_INJECT_RANGE_ARGS);
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
	.run = inject_run,
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
			xmm_backend_served(&xmm_op_process_madvise,
					   &native_backend);
			return xmm_errno_result(ret);
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
	free(call.checked_iov);
	return xmm_errno_result(ret);
}
