// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap(): map another process's memory into ours.
 *
 * Backends, in order:
 *   native    the process_vm_mmap system call of our patched kernels.
 *   shared    MAP_SHARED sources: map the same object (vm_mmap_shared.c).
 *   readv     private sources: copy with process_vm_readv (vm_mmap_copy.c).
 *   proc-mem  private sources: copy through /proc/PID/mem, where
 *             process_vm_readv is refused or the source is not readable.
 *
 * The arguments are checked here, before any backend, with the errors of
 * the 2019 proposal; the fallbacks then share xmm_vm_mmap_prepare(), which
 * checks permission before it reads anything else about the target.
 */
#include "internal.h"
#include "backend.h"
#include "procfs.h"
#include "syscall.h"
#include "vm_mmap.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/fsuid.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#define XMM_PVMMAP_ALL_FLAGS	(XMM_PVMMAP_FIXED | XMM_PVMMAP_FIXED_NOREPLACE)

static struct xmm_backend native_backend;

/*
 * Only our patched kernels have process_vm_mmap (syscall_table.h).  Ask with
 * flags no kernel accepts: ours answers EINVAL without doing anything, an
 * unpatched one ENOSYS.  Any other answer means the number belongs to
 * something else there, and it is never called with real arguments.
 */
static int native_probe(const char **detail)
{
	long ret = xmm_sys(process_vm_mmap, 0, 0, 0, 0, ~0UL);

	if (ret == -EINVAL)
		return 0;
	*detail = ret == -ENOSYS ?
		"the kernel has no process_vm_mmap (not in mainline; "
		"see xmm(7))" :
		"syscall number process_vm_mmap answers like another syscall";
	return -ENOSYS;
}

static long native_run(void *arg)
{
	struct xmm_vm_mmap_call *call = arg;
	long ret;

	/*
	 * The rounded range, not src_addr and len: the kernel covers the
	 * pages of [src_addr, src_addr + len), one more than the documented
	 * independent rounding when src_addr is not page aligned.
	 */
	ret = xmm_sys(process_vm_mmap, call->pid, call->src, call->size,
		      call->dst_addr, call->flags);

	if (ret == -ENOSYS) {
		xmm_backend_disable(&native_backend, ENOSYS,
			"the kernel has no process_vm_mmap (not in mainline)");
		return xmm_try_next(ENOSYS);
	}
	if ((unsigned long)ret > -4096UL)
		return ret;
	call->mapped = (void *)ret;
	return 0;
}

static struct xmm_backend native_backend = {
	.name = "native",
	.probe = native_probe,
	.run = native_run,
};

static struct xmm_backend *const vm_mmap_backends[] = {
	&native_backend,
	&xmm_vm_mmap_shared_backend,
	&xmm_vm_mmap_readv_backend,
	&xmm_vm_mmap_proc_mem_backend,
	NULL,
};

struct xmm_operation xmm_op_process_vm_mmap = {
	.name = "process_vm_mmap",
	.id = XMM_OP_PROCESS_VM_MMAP,
	.backends = vm_mmap_backends,
	.forced = XMM_FORCE_NONE,
};

/* The proposal's EINVAL cases, and the rounding every backend uses. */
static int check_arguments(struct xmm_vm_mmap_call *call)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	uintptr_t mask = (uintptr_t)page - 1;

	call->page_size = page;
	if (call->flags & ~XMM_PVMMAP_ALL_FLAGS)
		return -EINVAL;
	if (!call->len || call->pid <= 0)
		return -EINVAL;
	if (call->len > SIZE_MAX - mask)
		return -EINVAL;
	call->src = (uintptr_t)call->src_addr & ~mask;
	call->size = (call->len + mask) & ~mask;
	/* The last byte, src + size - 1, must not wrap. */
	if (call->size - 1 > UINTPTR_MAX - call->src)
		return -EINVAL;
	/* As mmap(2) with MAP_FIXED: an exact address is a page address. */
	if ((call->flags & XMM_PVMMAP_ALL_FLAGS) &&
	    ((uintptr_t)call->dst_addr & mask))
		return -EINVAL;
	return 0;
}

/*
 * Are the caller's filesystem credentials its real ones?  Then the
 * PTRACE_MODE_ATTACH_FSCREDS check of opening /proc/PID/mem is exactly the
 * PTRACE_MODE_ATTACH_REALCREDS check of process_vm_readv.  setfsuid(-1)
 * changes nothing and answers the current value.
 */
static bool fs_credentials_are_real(void)
{
	return (uid_t)setfsuid((uid_t)-1) == getuid() &&
	       (gid_t)setfsgid((gid_t)-1) == getgid();
}

/*
 * process_vm_readv was refused: by the ptrace rule (a real EPERM), or by
 * a seccomp or LSM policy on the syscall (ENOSYS, or an EPERM of its own).
 * Opening /proc/PID/mem asks the ptrace rule alone.  When the two rules
 * could differ (set-user-ID programs), the refusal stands: never wider.
 */
static int check_access_without_readv(int dirfd, long readv_err)
{
	int fd;

	if (!fs_credentials_are_real())
		return readv_err == -ENOSYS ? -EPERM : (int)readv_err;
	if (dirfd < 0)
		return -ENOSYS;	/* no /proc either */
	fd = xmm_proc_openat(dirfd, "mem", true);
	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/*
 * The permission check comes first, before anything else is read from
 * the target: one byte of process_vm_readv from address 0.  The kernel
 * finds the process and applies the ptrace rule before it reads; the read
 * then fails with EFAULT (nothing is mapped at 0), which means "allowed".
 * Reading the source itself instead would fault a page in the target, or
 * block on a userfaultfd the target registered there.
 */
static int check_access(struct xmm_vm_mmap_call *call)
{
	char byte;
	struct iovec local = { .iov_base = &byte, .iov_len = 1 };
	struct iovec remote = { .iov_base = NULL, .iov_len = 1 };
	long ret;
	int err;

	ret = xmm_sys(process_vm_readv, call->pid, &local, 1, &remote, 1, 0);
	if (ret >= 0 || ret == -EFAULT)
		return 0;
	if (ret != -ENOSYS && ret != -EPERM)
		return (int)ret;
	err = check_access_without_readv(call->pin.dirfd, ret);
	if (err < 0)
		return err;
	call->readv_refused = true;
	if (ret == -ENOSYS)
		xmm_backend_disable(&xmm_vm_mmap_readv_backend, ENOSYS,
			"the kernel has no process_vm_readv (Linux 3.2), or "
			"a seccomp policy refuses it");
	return 0;
}

static int prepare(struct xmm_vm_mmap_call *call)
{
	const struct xmm_vma *vma = &call->vma.vma;
	int dirfd = call->pin.dirfd;
	bool known = false;
	int ret;

	ret = check_access(call);
	if (ret < 0)
		return ret;
	if (dirfd < 0)
		return -ENOSYS;	/* no /proc: the fallbacks cannot see */
	ret = xmm_proc_vma_at(dirfd, call->src, &call->vma);
	if (ret == -EACCES)
		return -EPERM;
	if (ret < 0)
		return ret;
	if (call->size > vma->end - call->src)
		return -EFAULT;	/* the range runs past this VMA */
	if (xmm_proc_vma_is_anon(vma))
		return 0;	/* plain anonymous memory has none of them */

	call->object_fd = xmm_vm_mmap_open_object(dirfd, vma);
	if (call->object_fd >= 0) {
		ret = xmm_vm_mmap_object_refused(call->object_fd, &known);
		if (ret < 0)
			return ret;
	}
	/* Only smaps tells the rest, at a cost that grows with the VMA. */
	if (!known)
		return xmm_vm_mmap_vma_refused(dirfd, vma);
	return 0;
}

int xmm_vm_mmap_prepare(struct xmm_vm_mmap_call *call)
{
	if (!call->prepared) {
		call->prepare_err = prepare(call);
		call->prepared = true;
	}
	return call->prepare_err;
}

XMM_EXPORT void *xmm_process_vm_mmap(pid_t pid, void *src_addr, size_t len,
				     void *dst_addr, unsigned long flags)
{
	struct xmm_vm_mmap_call call = {
		.pid = pid,
		.src_addr = src_addr,
		.len = len,
		.dst_addr = dst_addr,
		.flags = flags,
		.object_fd = -1,
	};
	long ret = check_arguments(&call);

	call.pin.pidfd = call.pin.dirfd = -1;
	/* First, before anything below allocates (vm_mmap_reserve.c). */
	if (ret == 0)
		xmm_vm_mmap_reserve_dst(&call);
	/*
	 * Resolve the pid once: every /proc file is read under one
	 * directory of the process found now, and the fallbacks check that
	 * it still lives before their clone is put in place (place_finish).
	 */
	if (ret == 0) {
		ret = xmm_proc_pin(pid, &call.pin);
		if (ret == -ENOSYS)
			ret = 0;	/* no /proc: native alone can serve */
	}
	if (ret == 0)
		ret = xmm_dispatch(&xmm_op_process_vm_mmap, &call);
	/*
	 * When no backend could serve, still answer what the kernel would
	 * have answered for a target or a range it refuses.
	 */
	if (ret == -ENOSYS) {
		int bad = xmm_vm_mmap_prepare(&call);

		if (bad < 0)
			ret = bad;
	}
	if (call.object_fd >= 0)
		close(call.object_fd);
	xmm_proc_unpin(&call.pin);
	if (ret < 0) {
		xmm_vm_mmap_release_dst(&call);
		errno = (int)-ret;
		return MAP_FAILED;
	}
	return call.mapped;
}
