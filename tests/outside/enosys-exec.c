// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * enosys-exec NR[,NR...]|- [NAME=VALUE...] PROGRAM [ARGS...]
 *
 * Sets each NAME=VALUE in the environment (as env(1) would; the QEMU
 * guest runner passes one environment to every program), then, unless
 * the list is "-", installs a seccomp filter that makes each listed
 * syscall number answer
 * ENOSYS (what a container runtime's policy does to a call it does not
 * know, and what a kernel older than the call answers), then execs
 * PROGRAM.  The program and every process it forks run under the filter:
 * caller and target in the same sandbox, as in a container.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__)
#define ENOSYS_EXEC_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define ENOSYS_EXEC_AUDIT_ARCH AUDIT_ARCH_AARCH64
#else
#error "enosys-exec: add this architecture's AUDIT_ARCH"
#endif

#define MAX_NUMBERS 16

int main(int argc, char **argv)
{
	struct sock_filter filter[4 + 2 * MAX_NUMBERS + 1];
	unsigned int numbers[MAX_NUMBERS];
	struct sock_fprog prog;
	unsigned int count = 0, length = 0, i;
	char *list, *item, *save;
	int program = 2;

	if (argc < 3) {
		fprintf(stderr,
			"usage: %s NR[,NR...]|- [NAME=VALUE...] "
			"PROGRAM [ARGS...]\n",
			argv[0]);
		return 2;
	}
	while (program < argc - 1 && strchr(argv[program], '='))
		putenv(argv[program++]);
	if (!strcmp(argv[1], "-"))
		goto run;
	list = strdup(argv[1]);
	for (item = strtok_r(list, ",", &save); item && count < MAX_NUMBERS;
	     item = strtok_r(NULL, ",", &save))
		numbers[count++] = (unsigned int)strtoul(item, NULL, 0);

	filter[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W |
		BPF_ABS, offsetof(struct seccomp_data, arch));
	filter[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ |
		BPF_K, ENOSYS_EXEC_AUDIT_ARCH, 1, 0);
	filter[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	filter[length++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W |
		BPF_ABS, offsetof(struct seccomp_data, nr));
	for (i = 0; i < count; i++) {
		filter[length++] = (struct sock_filter)BPF_JUMP(BPF_JMP |
			BPF_JEQ | BPF_K, numbers[i], 0, 1);
		filter[length++] = (struct sock_filter)BPF_STMT(BPF_RET |
			BPF_K, SECCOMP_RET_ERRNO | ENOSYS);
	}
	filter[length++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K,
		SECCOMP_RET_ALLOW);
	prog.len = (unsigned short)length;
	prog.filter = filter;

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
	    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) {
		perror("enosys-exec: seccomp");
		return 1;
	}
run:
	execvp(argv[program], argv + program);
	perror("enosys-exec: exec");
	return 127;
}
