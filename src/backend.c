// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Backend dispatch, the probe cache, forcing, and the introspection calls
 * xmm_backend_info(), xmm_backend_force() and xmm_backend_last().
 */
#include "internal.h"
#include "backend.h"

#include <stdlib.h>
#include <string.h>

static struct xmm_operation *const operations[XMM_OP_COUNT] = {
	[XMM_OP_PROCESS_MADVISE] = &xmm_op_process_madvise,
	[XMM_OP_REMAP_ANON_PAGES] = &xmm_op_remap_anon_pages,
	[XMM_OP_PROCESS_VM_MMAP] = &xmm_op_process_vm_mmap,
};

/* Which backend served each operation's last call, per thread. */
static __thread const char *last_backend[XMM_OP_COUNT]
	__attribute__((tls_model("initial-exec")));

bool xmm_backend_usable(struct xmm_backend *b)
{
	int state = atomic_load_explicit(&b->state, memory_order_acquire);
	const char *detail = NULL;

	if (state == XMM_BACKEND_UNPROBED) {
		/* Racing probes compute the same answer; either store wins. */
		state = b->probe ? b->probe(&detail) : 0;
		if (state < 0) {
			atomic_store_explicit(&b->detail, detail,
					      memory_order_relaxed);
		} else {
			state = XMM_BACKEND_AVAILABLE;
		}
		atomic_store_explicit(&b->state, state, memory_order_release);
	}
	return state == XMM_BACKEND_AVAILABLE;
}

void xmm_backend_disable(struct xmm_backend *b, int err, const char *detail)
{
	atomic_store_explicit(&b->detail, detail, memory_order_relaxed);
	atomic_store_explicit(&b->state, -err, memory_order_release);
}

void xmm_backend_served(struct xmm_operation *op, struct xmm_backend *b)
{
	last_backend[op->id] = b->name;
}

/*
 * Try op's backends from index first on.  refusal is the answer of an
 * earlier backend that could not serve (an xmm_try_next() value), or 0.
 */
static long dispatch_from(struct xmm_operation *op, void *call, int first,
			  long refusal)
{
	int forced = atomic_load_explicit(&op->forced, memory_order_relaxed);
	/* The first refusal is the kernel's own answer: keep it. */
	long pending = refusal ? refusal + XMM_TRY_NEXT_BASE : -ENOSYS;
	bool have_pending = refusal != 0;
	int i;

	if (forced == XMM_FORCE_UNKNOWN)
		return -ENOSYS;

	for (i = first; op->backends[i]; i++) {
		struct xmm_backend *b = op->backends[i];
		long ret;

		if (forced >= 0 && forced != i)
			continue;
		if (!xmm_backend_usable(b))
			continue;
		ret = b->run(call);
		if (!xmm_is_try_next(ret)) {
			xmm_backend_served(op, b);
			return ret;
		}
		if (!have_pending) {
			pending = ret + XMM_TRY_NEXT_BASE;
			have_pending = true;
		}
	}
	return pending;
}

long xmm_dispatch(struct xmm_operation *op, void *call)
{
	return dispatch_from(op, call, 0, 0);
}

long xmm_dispatch_after_first(struct xmm_operation *op, void *call,
			      long first_answer)
{
	return dispatch_from(op, call, 1, first_answer);
}

static struct xmm_operation *find_operation(const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < XMM_ARRAY_SIZE(operations); i++) {
		const char *op_name = operations[i]->name;

		if (strlen(op_name) == len && !memcmp(op_name, name, len))
			return operations[i];
	}
	return NULL;
}

static int find_backend(const struct xmm_operation *op, const char *name,
			size_t len)
{
	int i;

	for (i = 0; op->backends[i]; i++) {
		const char *b_name = op->backends[i]->name;

		if (strlen(b_name) == len && !memcmp(b_name, name, len))
			return i;
	}
	return -1;
}

/*
 * What XMM_BACKEND named that does not exist: xmm_backend_info() lists
 * each after the real backends, so that `xmm probe` shows the typo.
 */
#define UNKNOWN_SLOTS	8
#define UNKNOWN_NAME	64

static struct unknown_item {
	char operation[UNKNOWN_NAME];
	char backend[UNKNOWN_NAME];
	const char *detail;
} unknown_items[UNKNOWN_SLOTS];
static unsigned int unknown_count;

static void copy_name(char *to, const char *from, size_t len)
{
	if (len >= UNKNOWN_NAME)
		len = UNKNOWN_NAME - 1;
	memcpy(to, from, len);
	to[len] = '\0';
}

static void note_unknown(const char *op, size_t op_len, const char *backend,
			 size_t backend_len, const char *detail)
{
	struct unknown_item *item;

	if (unknown_count == UNKNOWN_SLOTS)
		return;
	item = &unknown_items[unknown_count++];
	copy_name(item->operation, op, op_len);
	copy_name(item->backend, backend, backend_len);
	item->detail = detail;
}

/*
 * XMM_BACKEND="op=backend[,op=backend...]" forces backends for the whole
 * process.  A backend name the operation does not have forces it to none,
 * so that every call fails with ENOSYS: a typo must not go unnoticed.
 * Unknown operations and backends, and items without '=', are kept for
 * xmm_backend_info().  Read once, when the library is loaded, so that
 * calls never pay for it.
 */
__attribute__((constructor)) static void read_environment(void)
{
	const char *spec = getenv("XMM_BACKEND");

	while (spec && *spec) {
		size_t item_len = strcspn(spec, ",");
		const char *eq = memchr(spec, '=', item_len);

		if (eq) {
			struct xmm_operation *op =
				find_operation(spec, (size_t)(eq - spec));
			const char *b_name = eq + 1;
			size_t b_len = item_len - (size_t)(b_name - spec);

			if (op) {
				int i = find_backend(op, b_name, b_len);

				atomic_store(&op->forced,
					     i >= 0 ? i : XMM_FORCE_UNKNOWN);
				if (i < 0)
					note_unknown(spec,
						     (size_t)(eq - spec),
						     b_name, b_len,
						     "XMM_BACKEND names no "
						     "such backend: every "
						     "call fails (ENOSYS)");
			} else {
				note_unknown(spec, (size_t)(eq - spec),
					     b_name, b_len, "XMM_BACKEND "
					     "names no such operation");
			}
		} else if (item_len) {
			note_unknown(spec, item_len, "", 0, "XMM_BACKEND "
				     "item without '=' (op=backend)");
		}
		spec += item_len;
		if (*spec == ',')
			spec++;
	}
}

XMM_EXPORT int xmm_backend_info(unsigned int index,
				struct xmm_backend_info *info)
{
	size_t i;

	if (!info)
		return (int)xmm_errno_result(-EINVAL);

	for (i = 0; i < XMM_ARRAY_SIZE(operations); i++) {
		struct xmm_operation *op = operations[i];
		unsigned int n;

		for (n = 0; op->backends[n]; n++) {
			struct xmm_backend *b = op->backends[n];

			if (index--)
				continue;
			memset(info, 0, sizeof(*info));
			info->operation = op->name;
			info->backend = b->name;
			info->available = xmm_backend_usable(b);
			if (!info->available) {
				info->reason = -atomic_load(&b->state);
				info->detail = atomic_load(&b->detail);
			}
			info->forced = atomic_load(&op->forced) == (int)n;
			return 0;
		}
	}
	if (index < unknown_count) {
		const struct unknown_item *item = &unknown_items[index];

		memset(info, 0, sizeof(*info));
		info->operation = item->operation;
		info->backend = item->backend;
		info->reason = ENOENT;
		info->detail = item->detail;
		info->forced = 1;
		return 0;
	}
	return (int)xmm_errno_result(-ENOENT);
}

XMM_EXPORT int xmm_backend_force(const char *operation, const char *backend)
{
	struct xmm_operation *op;
	int i = XMM_FORCE_NONE;

	if (!operation)
		return (int)xmm_errno_result(-EINVAL);
	op = find_operation(operation, strlen(operation));
	if (!op)
		return (int)xmm_errno_result(-ENOENT);
	if (backend) {
		i = find_backend(op, backend, strlen(backend));
		if (i < 0)
			return (int)xmm_errno_result(-ENOENT);
	}
	atomic_store(&op->forced, i);
	return 0;
}

XMM_EXPORT const char *xmm_backend_last(const char *operation)
{
	struct xmm_operation *op;

	if (!operation) {
		errno = EINVAL;
		return NULL;
	}
	op = find_operation(operation, strlen(operation));
	if (!op) {
		errno = ENOENT;
		return NULL;
	}
	if (!last_backend[op->id])
		errno = ENODATA;
	return last_backend[op->id];
}
