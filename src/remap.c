// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_remap_anon_pages(): move private anonymous pages without copying.
 *
 * Backends, in order:
 *   native  the remap_anon_pages system call of our patched kernels.
 */
#include "internal.h"
#include "backend.h"
#include "syscall.h"

struct remap_call {
	void *dst;
	void *src;
	size_t len;
	unsigned long flags;
};

static struct xmm_backend native_backend;

/*
 * Only our patched kernels have remap_anon_pages (syscall_table.h).  Ask with
 * flags no kernel accepts: ours answers EINVAL without doing anything, an
 * unpatched one ENOSYS.  Any other answer means the number belongs to
 * something else there, and it is never called with real arguments.
 */
static int native_probe(const char **detail)
{
	long ret = xmm_sys(remap_anon_pages, 0, 0, 0, ~0UL);

	if (ret == -EINVAL)
		return 0;
	*detail = ret == -ENOSYS ?
		"the kernel has no remap_anon_pages (not in mainline; see xmm(7))" :
		"syscall number remap_anon_pages answers like another syscall";
	return -ENOSYS;
}

static long native_run(void *arg)
{
	struct remap_call *call = arg;
	long ret = xmm_sys(remap_anon_pages, call->dst, call->src, call->len,
			   call->flags);

	if (ret == -ENOSYS) {
		xmm_backend_disable(&native_backend, ENOSYS,
			"the kernel has no remap_anon_pages (not in mainline)");
		return xmm_try_next(ENOSYS);
	}
	return ret;
}

static struct xmm_backend native_backend = {
	.name = "native",
	.probe = native_probe,
	.run = native_run,
};

static struct xmm_backend *const remap_backends[] = {
	&native_backend,
	NULL,
};

struct xmm_operation xmm_op_remap_anon_pages = {
	.name = "remap_anon_pages",
	.id = XMM_OP_REMAP_ANON_PAGES,
	.backends = remap_backends,
	.forced = XMM_FORCE_NONE,
};

XMM_EXPORT ssize_t xmm_remap_anon_pages(void *dst, void *src, size_t len,
					unsigned long flags)
{
	struct remap_call call = {
		.dst = dst,
		.src = src,
		.len = len,
		.flags = flags,
	};

	return xmm_errno_result(xmm_dispatch(&xmm_op_remap_anon_pages, &call));
}
