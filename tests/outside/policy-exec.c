// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * policy-exec [-d trap|eperm] [-D] [-e NR]... NAMES_FILE PROGRAM [ARGS...]
 *
 * Runs PROGRAM under an allow-list seccomp policy built with libseccomp:
 * every syscall named in NAMES_FILE (one a line) is allowed, any other
 * answers the default action: -d trap (SIGSYS, Android's app policy) or
 * -d eperm (Docker's default profile, defaultErrnoRet 1).  -D adds the
 * two rules of Docker's profile for a container without CAP_SYS_ADMIN:
 * clone only without namespace flags, clone3 answering ENOSYS.  -e NR
 * makes syscall NR answer ENOSYS (a kernel that lacks it) even when
 * allowed.  Names libseccomp does not know on this arch are skipped.
 * run.sh generates NAMES_FILE from the published policy's own files.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* CLONE_NEWNS|NEWCGROUP|NEWUTS|NEWIPC|NEWUSER|NEWPID|NEWNET (the profile) */
#define DOCKER_CLONE_NAMESPACE_MASK 2114060288ULL

int main(int argc, char **argv)
{
	uint32_t default_action = SCMP_ACT_TRAP;
	int docker_rules = 0, opt, nr, allowed = 0;
	scmp_filter_ctx ctx;
	char name[128];
	FILE *names;

	ctx = seccomp_init(SCMP_ACT_ALLOW);	/* replaced below */
	while ((opt = getopt(argc, argv, "+d:De:")) != -1) {
		switch (opt) {
		case 'd':
			default_action = !strcmp(optarg, "eperm") ?
				SCMP_ACT_ERRNO(EPERM) : SCMP_ACT_TRAP;
			break;
		case 'D':
			docker_rules = 1;
			break;
		case 'e':
			break;	/* second pass, once the context exists */
		default:
			return 2;
		}
	}
	if (optind + 2 > argc) {
		fprintf(stderr, "usage: %s [-d trap|eperm] [-D] [-e NR]... "
			"NAMES_FILE PROGRAM [ARGS...]\n", argv[0]);
		return 2;
	}
	seccomp_release(ctx);
	ctx = seccomp_init(default_action);
	names = fopen(argv[optind], "r");
	if (!ctx || !names) {
		perror("policy-exec");
		return 1;
	}
	while (fscanf(names, "%127s", name) == 1) {
		nr = seccomp_syscall_resolve_name(name);
		if (nr == __NR_SCMP_ERROR || nr < 0)
			continue;
		if (docker_rules && (!strcmp(name, "clone") ||
				     !strcmp(name, "clone3")))
			continue;
		if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) == 0)
			allowed++;
	}
	fclose(names);
	if (docker_rules) {
		seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
				 SCMP_A0(SCMP_CMP_MASKED_EQ,
					 DOCKER_CLONE_NAMESPACE_MASK, 0));
		seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
				 0);
	}
	optind = 1;
	while ((opt = getopt(argc, argv, "+d:De:")) != -1)
		if (opt == 'e' && seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
					atoi(optarg), 0) < 0)
			fprintf(stderr, "policy-exec: -e %s refused\n", optarg);
	fprintf(stderr, "policy-exec: %d syscalls allowed\n", allowed);
	if (seccomp_load(ctx) < 0) {
		perror("policy-exec: seccomp_load");
		return 1;
	}
	execvp(argv[optind + 1], argv + optind + 1);
	perror("policy-exec: exec");
	return 127;
}
