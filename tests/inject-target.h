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
#endif

#endif /* XMM_TESTS_INJECT_TARGET_H */
