// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A classic BPF interpreter for seccomp filters, so that the injection
 * engine can ask the target's filters about a syscall without running it:
 * SECCOMP_RET_KILL would take the target with it.  Only what seccomp
 * accepts is implemented (seccomp_check_filter()); anything else answers
 * KILL, which makes the engine refuse the call.
 *
 * And the query: the target's filters read with PTRACE_SECCOMP_GET_FILTER
 * and run against each call the engine is about to inject.
 */
#include "internal.h"
#include "inject_seccomp.h"
#include "inject_private.h"
#include "procfs.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/ptrace.h>
#include <unistd.h>

#ifndef SECCOMP_RET_KILL_PROCESS
#define SECCOMP_RET_KILL_PROCESS	0x80000000U
#endif
#ifndef SECCOMP_RET_USER_NOTIF
#define SECCOMP_RET_USER_NOTIF		0x7fc00000U
#endif
#ifndef SECCOMP_RET_LOG
#define SECCOMP_RET_LOG			0x7ffc0000U
#endif
#ifndef SECCOMP_RET_ACTION_FULL
#define SECCOMP_RET_ACTION_FULL		0xffff0000U
#endif

#define XMM_BPF_MEMWORDS	16

static uint32_t alu(uint16_t op, uint32_t a, uint32_t operand, bool *bad)
{
	switch (BPF_OP(op)) {
	case BPF_ADD: return a + operand;
	case BPF_SUB: return a - operand;
	case BPF_MUL: return a * operand;
	case BPF_DIV:
		if (!operand)
			*bad = true;
		return operand ? a / operand : 0;
	case BPF_MOD:
		if (!operand)
			*bad = true;
		return operand ? a % operand : 0;
	case BPF_AND: return a & operand;
	case BPF_OR: return a | operand;
	case BPF_XOR: return a ^ operand;
	case BPF_LSH: return operand < 32 ? a << operand : 0;
	case BPF_RSH: return operand < 32 ? a >> operand : 0;
	case BPF_NEG: return -a;
	default:
		*bad = true;
		return 0;
	}
}

uint32_t xmm_seccomp_run(const struct sock_filter *prog, size_t len,
			 const struct seccomp_data *data)
{
	uint32_t a = 0, x = 0, mem[XMM_BPF_MEMWORDS] = { 0 };
	size_t pc = 0;
	bool bad = false;

	while (pc < len && !bad) {
		const struct sock_filter *in = &prog[pc++];
		uint32_t k = in->k, operand;

		switch (BPF_CLASS(in->code)) {
		case BPF_LD:
		case BPF_LDX:
			if (in->code == (BPF_LD | BPF_W | BPF_ABS)) {
				if (k % 4 || k + 4 > sizeof(*data))
					return SECCOMP_RET_KILL_PROCESS;
				memcpy(&a, (const char *)data + k, 4);
			} else if (BPF_MODE(in->code) == BPF_LEN) {
				operand = sizeof(*data);
				if (BPF_CLASS(in->code) == BPF_LD)
					a = operand;
				else
					x = operand;
			} else if (BPF_MODE(in->code) == BPF_IMM) {
				if (BPF_CLASS(in->code) == BPF_LD)
					a = k;
				else
					x = k;
			} else if (BPF_MODE(in->code) == BPF_MEM) {
				if (k >= XMM_BPF_MEMWORDS)
					return SECCOMP_RET_KILL_PROCESS;
				if (BPF_CLASS(in->code) == BPF_LD)
					a = mem[k];
				else
					x = mem[k];
			} else {
				return SECCOMP_RET_KILL_PROCESS;
			}
			break;
		case BPF_ST:
		case BPF_STX:
			if (k >= XMM_BPF_MEMWORDS)
				return SECCOMP_RET_KILL_PROCESS;
			mem[k] = BPF_CLASS(in->code) == BPF_ST ? a : x;
			break;
		case BPF_ALU:
			operand = BPF_SRC(in->code) == BPF_X ? x : k;
			a = alu(in->code, a, operand, &bad);
			break;
		case BPF_JMP:
			operand = BPF_SRC(in->code) == BPF_X ? x : k;
			switch (BPF_OP(in->code)) {
			case BPF_JA:
				pc += k;
				break;
			case BPF_JEQ:
				pc += a == operand ? in->jt : in->jf;
				break;
			case BPF_JGT:
				pc += a > operand ? in->jt : in->jf;
				break;
			case BPF_JGE:
				pc += a >= operand ? in->jt : in->jf;
				break;
			case BPF_JSET:
				pc += (a & operand) ? in->jt : in->jf;
				break;
			default:
				bad = true;
			}
			break;
		case BPF_RET:
			return BPF_RVAL(in->code) == BPF_A ? a : k;
		case BPF_MISC:
			if (BPF_MISCOP(in->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		default:
			bad = true;
		}
	}
	return SECCOMP_RET_KILL_PROCESS;
}

/* The kernel compares actions as signed: KILL_PROCESS is the strongest. */
uint32_t xmm_seccomp_stronger(uint32_t a, uint32_t b)
{
	int32_t action_a = (int32_t)(a & SECCOMP_RET_ACTION_FULL);
	int32_t action_b = (int32_t)(b & SECCOMP_RET_ACTION_FULL);

	return action_b < action_a ? b : a;
}

long xmm_seccomp_answer(uint32_t action)
{
	switch (action & SECCOMP_RET_ACTION_FULL) {
	case SECCOMP_RET_ALLOW:
	case SECCOMP_RET_LOG:
		return 0;
	case SECCOMP_RET_ERRNO: {
		uint32_t err = action & SECCOMP_RET_DATA;

		return -(long)(err > 4095 ? 4095 : err);
	}
	case SECCOMP_RET_TRACE:
		return -ENOSYS;
	default:
		return -EPERM;
	}
}

/* ---- The target's filters, read with ptrace ---- */
#ifdef XMM_HAVE_INJECT

#ifndef PTRACE_SECCOMP_GET_FILTER
#define PTRACE_SECCOMP_GET_FILTER	0x420c
#endif

#define MODE_NONE	0
#define MODE_STRICT	1
#define MODE_FILTER	2

/*
 * Is seccomp filtering the target?  0 none, 1 strict, 2 filter.  The
 * procfs readers used here make plain system calls and string scans only:
 * async-signal-safe, as the helper needs (inject_private.h).
 */
static int read_seccomp_mode(struct xmm_tracer *t)
{
	char path[64], buf[4096];
	unsigned long long mode;

	xmm_inject_proc_path(path, t->tid, 0, "status");
	if (xmm_proc_read_small(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
		return -ESRCH;
	/* The same text tells whether a trap may be forced (one read). */
	xmm_inject_note_sigtrap(t, buf);
	if (!xmm_proc_field_kib(buf, "Seccomp", &mode))
		return MODE_NONE;	/* a kernel without seccomp */
	return (int)mode;
}

/*
 * Refusals of PTRACE_O_SUSPEND_SECCOMP that outlive a batch, so that they
 * are not asked again on every call (each costs a syscall and, where an
 * LSM audits capability checks, a denial in its log).  EINVAL holds for
 * every tracer: the kernel lacks CONFIG_CHECKPOINT_RESTORE (kernel/'s 6.1
 * guests have it, so there as on the host root suspends; inject-root's
 * strict test drops CAP_SYS_ADMIN for the refused way).  EPERM is the
 * tracer's own answer; it is remembered only
 * for the kept helper (inject_server.c), whose credentials are fixed and
 * which has no filter, keyed by the pid of the caller it serves (a fork
 * child has its own helper).  A per-call helper or thread asks again: a
 * caller's threads may differ in credentials and filters, and a stale
 * refusal would only cost the slow way.  (A kept helper made again with
 * CAP_SYS_ADMIN after a refused one keeps the slow way: only speed.)
 */
static atomic_bool suspend_unsupported;
static _Atomic pid_t suspend_refused_to_server_of;

static int suspend_seccomp(struct xmm_tracer *t)
{
	int ret;

	if (atomic_load(&suspend_unsupported) ||
	    (t->server_caller &&
	     atomic_load(&suspend_refused_to_server_of) == t->server_caller))
		return -EPERM;
	ret = xmm_tracer_suspend_seccomp(t, true);
	if (ret == -EINVAL)
		atomic_store(&suspend_unsupported, true);
	else if (ret == -EPERM && t->server_caller)
		atomic_store(&suspend_refused_to_server_of, t->server_caller);
	return ret;
}

/*
 * The target's mode, learnt at the stop before our calls.  Where we may
 * suspend its seccomp (PTRACE_O_SUSPEND_SECCOMP needs what
 * PTRACE_SECCOMP_GET_FILTER needs: CAP_SYS_ADMIN in the initial user
 * namespace and no seccomp of our own; and CONFIG_CHECKPOINT_RESTORE),
 * GET_FILTER of the first filter answers its length in filter mode and
 * EINVAL in the other two; then our calls run suspended (while they run,
 * and only then: inject_ptrace.c), so that a strict-mode target is not
 * killed by madvise and gets the answer process_madvise(2), which ignores
 * the target's seccomp, would give; filters are still read and honoured
 * (xmm_inject_seccomp_answers()).  Elsewhere /proc/PID/status tells,
 * as it always did, and the kernel's checks stay in force.
 */
static int probe_seccomp_mode(struct xmm_tracer *t)
{
	int ret = suspend_seccomp(t);

	if (ret == -ESRCH)
		return -ESRCH;
	if (ret < 0)
		return read_seccomp_mode(t);
	t->seccomp_suspend = true;
	if (ptrace(PTRACE_SECCOMP_GET_FILTER, t->tid, 0, NULL) >= 0)
		return MODE_FILTER;
	if (errno == EINVAL) {
		/* None, or strict: our calls need the suspension. */
		t->seccomp_suspend_needed = true;
		return MODE_NONE;
	}
	if (errno == ESRCH)
		return -ESRCH;
	/* (Never seen.)  The way without suspension. */
	t->seccomp_suspend = false;
	return read_seccomp_mode(t);
}

/* Learnt once a batch: a stopped target installs no filter meanwhile. */
static int seccomp_mode(struct xmm_tracer *t)
{
	if (!t->seccomp_mode_known) {
		t->seccomp_mode = probe_seccomp_mode(t);
		t->seccomp_mode_known = true;
	}
	return t->seccomp_mode;
}

/*
 * Ask the target's filters about each call before any runs.  A filter
 * that cannot be read (PTRACE_SECCOMP_GET_FILTER needs CAP_SYS_ADMIN and
 * a tracer under no seccomp filter of its own) may kill the target: -EPERM,
 * unless the caller vouched for it (t->unchecked), which lets the calls
 * run as far as the filters read so far allow them.
 */
int xmm_inject_seccomp_answers(struct xmm_tracer *t, unsigned long ip,
			       const struct xmm_inject_call *calls,
			       size_t count, long *answer)
{
	struct sock_filter prog[BPF_MAXINSNS];
	uint32_t action[XMM_INJECT_MAX_CALLS];
	unsigned long index;
	size_t i;
	int mode = seccomp_mode(t);

	for (i = 0; i < count; i++) {
		answer[i] = 0;
		action[i] = SECCOMP_RET_ALLOW;
	}
	if (mode <= MODE_NONE)
		return mode;
	if (mode == MODE_STRICT) {	/* madvise and friends kill */
		for (i = 0; i < count; i++)
			answer[i] = -EPERM;
		return 0;
	}
	for (index = 0;; index++) {
		long len = ptrace(PTRACE_SECCOMP_GET_FILTER, t->tid,
				  (void *)index, prog);

		if (len < 0 && errno == ENOENT && index > 0)
			break;
		if (len < 0 || len > BPF_MAXINSNS) {
			if (!t->unchecked)
				return -EPERM;
			/* The caller vouches for the filters we could not
			 * read: the kernel must still run them. */
			t->seccomp_suspend = false;
			break;
		}
		for (i = 0; i < count; i++) {
			struct seccomp_data data = {
				.nr = (int)calls[i].nr,
				.arch = XMM_INJECT_AUDIT_ARCH,
				.instruction_pointer = ip,
			};
			int a;

			for (a = 0; a < 6; a++)
				data.args[a] = calls[i].arg[a];
			action[i] = xmm_seccomp_stronger(action[i],
				xmm_seccomp_run(prog, (size_t)len, &data));
		}
	}
	for (i = 0; i < count; i++)
		answer[i] = xmm_seccomp_answer(action[i]);
	return 0;
}

#endif /* XMM_HAVE_INJECT */
