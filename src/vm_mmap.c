// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap(): map another process's memory into ours.
 *
 * Backends, in order:
 *   native  the process_vm_mmap system call of our patched kernels.
 */
#include "internal.h"
#include "backend.h"
#include "syscall.h"

#include <sys/mman.h>

struct vm_mmap_call {
	pid_t pid;
	void *src_addr;
	size_t len;
	void *dst_addr;
	unsigned long flags;
	/* The address of the new mapping: on 32-bit ABIs an address can
	 * look negative, so it never travels in the return value. */
	void *mapped;
};

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
		"the kernel has no process_vm_mmap (not in mainline; see xmm(7))" :
		"syscall number process_vm_mmap answers like another syscall";
	return -ENOSYS;
}

static long native_run(void *arg)
{
	struct vm_mmap_call *call = arg;
	long ret = xmm_sys(process_vm_mmap, call->pid, call->src_addr,
			   call->len, call->dst_addr, call->flags);

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
	NULL,
};

struct xmm_operation xmm_op_process_vm_mmap = {
	.name = "process_vm_mmap",
	.id = XMM_OP_PROCESS_VM_MMAP,
	.backends = vm_mmap_backends,
	.forced = XMM_FORCE_NONE,
};

XMM_EXPORT void *xmm_process_vm_mmap(pid_t pid, void *src_addr, size_t len,
				     void *dst_addr, unsigned long flags)
{
	struct vm_mmap_call call = {
		.pid = pid,
		.src_addr = src_addr,
		.len = len,
		.dst_addr = dst_addr,
		.flags = flags,
	};
	long ret = xmm_dispatch(&xmm_op_process_vm_mmap, &call);

	if (ret < 0) {
		errno = (int)-ret;
		return MAP_FAILED;
	}
	return call.mapped;
}
