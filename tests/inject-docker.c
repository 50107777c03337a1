// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The injection fallback under a real published policy: Docker's default
 * seccomp profile (moby's profiles/seccomp/default.json, for a container
 * without added capabilities), built here with libseccomp, on the caller
 * and, inherited, on its target; process_madvise made to answer ENOSYS,
 * as profiles that predate it do.  The rules that matter are encoded
 * below: unlisted calls answer EPERM (defaultErrnoRet 1); the names the
 * caller, the target, the C library and cmocka use here are allowed, as
 * the profile allows them (ptrace and process_vm_* since Linux 4.8);
 * clone only without namespace flags; clone3 answers ENOSYS.
 *
 * Without XMM_PMADV_INJECT_UNCHECKED the call is refused (EPERM: the
 * caller, under seccomp, cannot read the target's filter); with it,
 * injection works, stub included: the profile allows madvise, mmap and
 * munmap, which is what the caller vouches for.
 */
#include "inject-common.h"

#include <stdio.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#if XMM_TEST_HAVE_LIBSECCOMP
#include <seccomp.h>

/* Allowed by the profile's unconditional list (a subset: what runs
 * here). */
static const char *const docker_allowed[] = {
	"access", "brk", "clock_gettime", "clock_nanosleep", "close",
	"close_range", "dup", "dup2", "dup3", "execve", "exit",
	"exit_group", "fcntl", "fstat", "futex", "getdents64", "getpid",
	"getppid", "getrandom", "gettid", "getuid", "geteuid", "getgid",
	"getegid", "ioctl", "kill", "lseek", "madvise", "mmap", "mprotect",
	"mremap", "munmap", "nanosleep", "newfstatat", "open", "openat",
	"pause", "pidfd_open", "pidfd_send_signal", "pipe", "pipe2", "poll",
	"ppoll", "prctl", "pread64", "prlimit64", "pwrite64", "read",
	"readlink", "restart_syscall", "rseq", "rt_sigaction",
	"rt_sigprocmask", "rt_sigreturn", "rt_sigtimedwait",
	"sched_getaffinity", "sched_yield", "seccomp", "set_robust_list",
	"set_tid_address", "sigaltstack", "statx", "tgkill", "uname",
	"vfork", "wait4", "waitid", "write", "writev",
	/* "minKernel": "4.8" */
	"ptrace", "process_vm_readv", "process_vm_writev",
};

/* CLONE_NEWNS | NEWCGROUP | NEWUTS | NEWIPC | NEWUSER | NEWPID | NEWNET */
#define DOCKER_CLONE_NS_MASK	2114060288ULL

static int docker_default_profile(void)
{
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ERRNO(EPERM));
	size_t i;
	int ret = -1;

	if (!ctx)
		return -1;
	for (i = 0; i < sizeof(docker_allowed) / sizeof(docker_allowed[0]);
	     i++) {
		int nr = seccomp_syscall_resolve_name(docker_allowed[i]);

		if (nr != __NR_SCMP_ERROR &&
		    seccomp_rule_add(ctx, SCMP_ACT_ALLOW, nr, 0) < 0)
			goto out;
	}
	if (seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(clone), 1,
			     SCMP_A0(SCMP_CMP_MASKED_EQ,
				     DOCKER_CLONE_NS_MASK, 0)) < 0 ||
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3),
			     0) < 0 ||
	    /* The profile minus process_madvise: ENOSYS, an old profile. */
	    seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS),
			     SCMP_SYS(process_madvise), 0) < 0)
		goto out;
	/* seccomp_load() sets no_new_privs itself (SCMP_FLTATR_CTL_NNP). */
	ret = seccomp_load(ctx) < 0 ? -1 : 0;
out:
	seccomp_release(ctx);
	return ret;
}

static int setup(void **state)
{
	(void)state;
	return inject_setup(false);
}

static void test_docker_default_profile(void **state)
{
	struct sandbox_case sc = {
		.s = shared_new(),
		.sandbox = docker_default_profile,
	};

	(void)state;
	assert_int_equal(harness_run_in_child(sandboxed_caller, &sc), 0);
	munmap(sc.s, sizeof(*sc.s));
}

static void test_docker_profile_target_kill_filter(void **state)
{
	struct sandbox_case sc = {
		.s = shared_new(),
		.sandbox = docker_default_profile,
		.target_kills_madvise = true,
	};

	(void)state;
	assert_int_equal(harness_run_in_child(sandboxed_caller, &sc), 0);
	munmap(sc.s, sizeof(*sc.s));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_docker_default_profile),
		cmocka_unit_test(test_docker_profile_target_kill_filter),
	};

	harness_require(HARNESS_NEEDS_PTRACE |
			 HARNESS_NEEDS_SECCOMP |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, setup, inject_teardown);
}

#else

int main(void)
{
	printf("SKIP: built without libseccomp (libseccomp-dev)\n");
	return 77;
}

#endif
