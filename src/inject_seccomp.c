// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A classic BPF interpreter for seccomp filters, so that the injection
 * engine can ask the target's filters about a syscall without running it:
 * SECCOMP_RET_KILL would take the target with it.  Only what seccomp
 * accepts is implemented (seccomp_check_filter()); anything else answers
 * KILL, which makes the engine refuse the call.
 */
#include "internal.h"
#include "inject_seccomp.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

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
