/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Injection targets shared by the injection tests and the stress program:
 * a child that spins with known values in its registers and checks them.
 */
#ifndef XMM_TESTS_INJECT_TARGET_H
#define XMM_TESTS_INJECT_TARGET_H

/* Set by the parent in memory it shares with the child. */
struct busy_control {
	volatile int ready;
	volatile int stop;
	volatile unsigned long rounds;
};

#ifdef __x86_64__
/*
 * Spin with known values in every general register it may use and in
 * XMM0-7, checking them all the time: any register the injection fails
 * to restore ends the loop with 1.
 */
static inline int busy_registers_child(void *arg)
{
	struct busy_control *s = arg;
	long bad;

	s->ready = 1;
	while (!s->stop) {
		__asm__ volatile(
			"mov $0x1000000000000001, %%rbx\n\t"
			"mov $0x2000000000000002, %%rsi\n\t"
			"mov $0x3000000000000003, %%rdi\n\t"
			"mov $0x4000000000000004, %%r8\n\t"
			"mov $0x5000000000000005, %%r9\n\t"
			"mov $0x6000000000000006, %%r10\n\t"
			"mov $0x7000000000000007, %%r11\n\t"
			"mov $0x8000000000000008, %%r12\n\t"
			"mov $0x9000000000000009, %%r13\n\t"
			"mov $0xa00000000000000a, %%r14\n\t"
			"mov $0xb00000000000000b, %%r15\n\t"
			"movq %%rbx, %%xmm0\n\tmovq %%rsi, %%xmm1\n\t"
			"movq %%rdi, %%xmm2\n\tmovq %%r8, %%xmm3\n\t"
			"movq %%r9, %%xmm4\n\tmovq %%r10, %%xmm5\n\t"
			"movq %%r11, %%xmm6\n\tmovq %%r12, %%xmm7\n\t"
			"mov $2000000, %%ecx\n"
			"1:\n\t"
			"mov $0x1000000000000001, %%rax\n\t"
			"cmp %%rax, %%rbx\n\tjne 2f\n\t"
			"mov $0x2000000000000002, %%rax\n\t"
			"cmp %%rax, %%rsi\n\tjne 2f\n\t"
			"mov $0x3000000000000003, %%rax\n\t"
			"cmp %%rax, %%rdi\n\tjne 2f\n\t"
			"mov $0x4000000000000004, %%rax\n\t"
			"cmp %%rax, %%r8\n\tjne 2f\n\t"
			"mov $0x5000000000000005, %%rax\n\t"
			"cmp %%rax, %%r9\n\tjne 2f\n\t"
			"mov $0x6000000000000006, %%rax\n\t"
			"cmp %%rax, %%r10\n\tjne 2f\n\t"
			"mov $0x7000000000000007, %%rax\n\t"
			"cmp %%rax, %%r11\n\tjne 2f\n\t"
			"mov $0x8000000000000008, %%rax\n\t"
			"cmp %%rax, %%r12\n\tjne 2f\n\t"
			"mov $0x9000000000000009, %%rax\n\t"
			"cmp %%rax, %%r13\n\tjne 2f\n\t"
			"mov $0xa00000000000000a, %%rax\n\t"
			"cmp %%rax, %%r14\n\tjne 2f\n\t"
			"mov $0xb00000000000000b, %%rax\n\t"
			"cmp %%rax, %%r15\n\tjne 2f\n\t"
			"movq %%xmm0, %%rax\n\tcmp %%rax, %%rbx\n\tjne 2f\n\t"
			"movq %%xmm1, %%rax\n\tcmp %%rax, %%rsi\n\tjne 2f\n\t"
			"movq %%xmm2, %%rax\n\tcmp %%rax, %%rdi\n\tjne 2f\n\t"
			"movq %%xmm3, %%rax\n\tcmp %%rax, %%r8\n\tjne 2f\n\t"
			"movq %%xmm4, %%rax\n\tcmp %%rax, %%r9\n\tjne 2f\n\t"
			"movq %%xmm5, %%rax\n\tcmp %%rax, %%r10\n\tjne 2f\n\t"
			"movq %%xmm6, %%rax\n\tcmp %%rax, %%r11\n\tjne 2f\n\t"
			"movq %%xmm7, %%rax\n\tcmp %%rax, %%r12\n\tjne 2f\n\t"
			"dec %%ecx\n\tjnz 1b\n\t"
			"xor %%eax, %%eax\n\tjmp 3f\n"
			"2:\n\tmov $1, %%eax\n"
			"3:\n"
			: "=a"(bad)
			:
			: "rbx", "rcx", "rsi", "rdi", "r8", "r9", "r10",
			  "r11", "r12", "r13", "r14", "r15", "xmm0", "xmm1",
			  "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7",
			  "cc", "memory");
		if (bad)
			return 1;
		s->rounds++;
	}
	return 0;
}

#define HAVE_BUSY_REGISTERS_CHILD	1
#elif defined(__riscv) && __riscv_xlen == 64
/* The pattern of register n of the loop below. */
#define BUSY_VALUE(n)	"0x" #n "000000000000" #n

#define BUSY_SET(reg, n)	"li " #reg ", " BUSY_VALUE(n) "\n\t"
#define BUSY_CHECK(reg, n)	"li t1, " BUSY_VALUE(n) "\n\t" \
				"bne t1, " #reg ", 2f\n\t"
#define BUSY_REGS(op)	op(s1, 11) op(s2, 12) op(s3, 13) op(s4, 14) \
			op(s5, 15) op(s6, 16) op(s7, 17) op(s8, 18) \
			op(s9, 19) op(s10, 20) op(s11, 21) op(t3, 22) \
			op(t4, 23) op(t5, 24) op(t6, 25) op(a2, 26) \
			op(a3, 27) op(a4, 28) op(a5, 29) op(a6, 30) \
			op(a7, 31)
#define BUSY_FP_SET(f, reg)	"fmv.d.x " #f ", " #reg "\n\t"
#define BUSY_FP_CHECK(f, reg)	"fmv.x.d t1, " #f "\n\t" \
				"bne t1, " #reg ", 2f\n\t"
#define BUSY_FP_REGS(op)	op(f0, s1) op(f1, s2) op(f2, s3) op(f3, s4) \
				op(f4, s5) op(f5, s6) op(f6, s7) op(f7, s8)

/*
 * Spin with known values in 21 integer registers (s1-s11, t3-t6, a2-a7)
 * and f0-f7, checking them all the time: any register the injection
 * fails to restore ends the loop with 1.
 */
static inline int busy_registers_child(void *arg)
{
	struct busy_control *s = arg;
	long bad;

	s->ready = 1;
	while (!s->stop) {
		__asm__ volatile(
			BUSY_REGS(BUSY_SET)
			BUSY_FP_REGS(BUSY_FP_SET)
			"li t0, 2000000\n"
			"1:\n\t"
			BUSY_REGS(BUSY_CHECK)
			BUSY_FP_REGS(BUSY_FP_CHECK)
			"addi t0, t0, -1\n\t"
			"bnez t0, 1b\n\t"
			"li %0, 0\n\t"
			"j 3f\n"
			"2:\n\t"
			"li %0, 1\n"
			"3:\n"
			: "=&r"(bad)
			:
			: "s1", "s2", "s3", "s4", "s5", "s6", "s7", "s8",
			  "s9", "s10", "s11", "t0", "t1", "t3", "t4", "t5",
			  "t6", "a2", "a3", "a4", "a5", "a6", "a7", "f0",
			  "f1", "f2", "f3", "f4", "f5", "f6", "f7", "memory");
		if (bad)
			return 1;
		s->rounds++;
	}
	return 0;
}

#define HAVE_BUSY_REGISTERS_CHILD	1
#endif

#endif /* XMM_TESTS_INJECT_TARGET_H */
