/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the tests share: real children, seccomp filters that make a syscall
 * answer ENOSYS, dropping privileges, and skipping with a reason.
 *
 * Include after <stdarg.h>, <stddef.h>, <setjmp.h> and <cmocka.h>.
 */
#ifndef XMM_TESTS_HARNESS_H
#define XMM_TESTS_HARNESS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

/* meson's exit code for "skipped". */
#define HARNESS_EXIT_SKIP	77

/* Skip the whole test program, saying why. */
#define harness_skip_all(...)						\
	do {								\
		printf("SKIP: " __VA_ARGS__);				\
		printf("\n");						\
		fflush(stdout);						\
		exit(HARNESS_EXIT_SKIP);				\
	} while (0)

/* Skip one cmocka test, saying why. */
#define harness_skip(...)						\
	do {								\
		printf("SKIP: " __VA_ARGS__);				\
		printf("\n");						\
		fflush(stdout);						\
		skip();							\
	} while (0)

/*
 * Skip one cmocka test (or the whole program) under valgrind, saying why.
 * Only for what valgrind 3.19 cannot run; each such test is listed with
 * the reason in .ci/expected-skips/valgrind.txt.
 */
#define harness_skip_under_valgrind(why)				\
	do {								\
		if (harness_under_valgrind())				\
			harness_skip("under valgrind 3.19: %s", why);	\
	} while (0)
#define harness_skip_all_under_valgrind(why)				\
	do {								\
		if (harness_under_valgrind())				\
			harness_skip_all("under valgrind 3.19: %s", why); \
	} while (0)

/*
 * Remote process_madvise under valgrind: it answers ENOSYS to
 * process_madvise(2), so the library injects, and valgrind 3.19 exits the
 * whole process at the injector's clone(CLONE_VM | CLONE_VFORK |
 * CLONE_FILES) ("Unsupported clone() flags").
 */
#define HARNESS_VALGRIND_NO_INJECT					\
	"remote advice runs by ptrace injection, whose helper clone(CLONE_VM" \
	" | CLONE_VFORK | CLONE_FILES) valgrind does not support"

/* For tests that assert the native process_madvise(2) served a call. */
#define HARNESS_VALGRIND_NO_PROCESS_MADVISE				\
	"process_madvise(2) answers ENOSYS: no native backend"

size_t harness_page_size(void);

/* A child process that runs setup() and then waits to be killed. */
struct harness_child {
	pid_t pid;
	int pidfd;
};

/*
 * fork() that also gives the child's pidfd in *pidfd, without pidfd_open(2)
 * (valgrind 3.19 answers ENOSYS to it but passes clone(CLONE_PIDFD)
 * through): a forked helper makes the child with clone(CLONE_PIDFD |
 * CLONE_PARENT) and sends the pidfd back.  The child is ours (waitpid,
 * PR_SET_PDEATHSIG work as after fork()).  Returns the child's pid in the
 * parent, 0 in the child, -errno on failure (-ENOSYS: no CLONE_PIDFD).
 * Unlike after fork(), musl's thread descriptor in the child still holds
 * the helper's thread id (musl caches it; glibc asks the kernel): raise(3)
 * and pthread_kill(3) there signal the helper, so the child signals itself
 * with harness_raise().
 */
pid_t harness_fork_pidfd(int *pidfd);

/*
 * raise(3) by the kernel's own ids (tgkill of getpid() and gettid()), right
 * in a child of harness_fork_pidfd() under every libc.  0 or -errno.
 */
int harness_raise(int sig);

/*
 * Are we running under valgrind?  Only for the tests listed, each with the
 * reason, in .ci/expected-skips/valgrind.txt: they skip when this is true.
 */
bool harness_under_valgrind(void);

/*
 * A pidfd of the calling process, in a cmocka test: fails the test if
 * pidfd_open(2) fails.  Under valgrind, which lacks pidfd_open, a copy of
 * the pidfd tests/valgrind-wrap.sh opened for the process before it
 * exec'd valgrind (or a skip, when run under valgrind some other way).
 */
int harness_pidfd_self(void);

/*
 * Fork a child that runs setup(arg) (if any), reports ready, and sleeps
 * until harness_child_stop().  Returns 0, or -errno: -EOPNOTSUPP when the
 * setup exited with HARNESS_EXIT_SKIP (it cannot run here).  Memory the
 * parent mapped before the call is at the same addresses in the child.
 */
int harness_child_start(struct harness_child *child,
			void (*setup)(void *arg), void *arg);

/*
 * harness_child_start() in a cmocka test: skips the test where the kernel
 * has no CLONE_PIDFD or the setup cannot run here, fails it on any other
 * error.
 */
void harness_child_or_skip(struct harness_child *child,
			   void (*setup)(void *arg), void *arg);
void harness_child_stop(struct harness_child *child);

/*
 * harness_child_start() in a cmocka test for a setup that may find it
 * cannot run here (it exits HARNESS_EXIT_SKIP): skips the test saying
 * why; skips without CLONE_PIDFD; fails it on any other error.
 */
void harness_child_or_skip_because(struct harness_child *child,
				   void (*setup)(void *arg), void *arg,
				   const char *why);

/*
 * A setup for harness_child_start() in a process that changed its uid
 * (harness_drop_privileges()), which made it non-dumpable: the child is
 * made dumpable again, so that its owner may read its /proc files and
 * advise it as the kernel's ptrace access rule allows.
 */
void harness_setup_dumpable(void *arg);

/*
 * A setup for harness_child_start(): one page at HARNESS_LOCKED_ADDR, its
 * lowest address, locked with mlock(2), then *(size_t *)arg bytes of
 * anonymous memory, written.  Exits HARNESS_EXIT_SKIP when the address is
 * taken or mlock() refused (RLIMIT_MEMLOCK).
 */
#define HARNESS_LOCKED_ADDR	((void *)0x100000UL)
void harness_setup_locked_lowest(void *arg);

/*
 * A setup for harness_child_start(): a thread of the child calls vfork()
 * and stays blocked there until the vfork child exits: never (arg NULL),
 * or after sleeping the struct timespec arg points to.  Such a thread
 * sleeps uninterruptibly: SIGSTOP cannot stop the process meanwhile.
 * Where vfork() does not block (valgrind makes it a fork), the child
 * exits with HARNESS_EXIT_SKIP.
 */
void harness_start_vfork_thread(void *arg);

/*
 * The same, blocked until the test releases it: arg points to the read
 * end of a pipe; the vfork child exits when a byte (or EOF) arrives.
 */
void harness_start_vfork_thread_held(void *arg);

/* The state letter of /proc/PID/stat ('R', 'S', 'T', ...), '?' if gone. */
char harness_proc_state(pid_t pid);

/*
 * Run fn(arg) in a forked child and return its exit code (or 128 + signal).
 * For code that must not run in the test process itself: seccomp filters,
 * dropped privileges.  cmocka assertions do not work there; fn returns 0
 * for success or a non-zero code, using CHILD_CHECK.
 */
int harness_run_in_child(int (*fn)(void *arg), void *arg);

#define CHILD_CHECK(cond)						\
	do {								\
		if (!(cond)) {						\
			fprintf(stderr, "%s:%d: child check failed: %s\n", \
				__FILE__, __LINE__, #cond);		\
			return 1;					\
		}							\
	} while (0)

/*
 * Make syscall nr answer ENOSYS in the calling process from now on, as a
 * container runtime's seccomp policy does to syscalls it does not know.
 * Irreversible: call it only in a child.  Returns 0 or -errno.
 */
int harness_seccomp_enosys(long nr);

/* The same with a chosen errno (EPERM, as some policies answer). */
int harness_seccomp_errno(long nr, int err);

/* The same, killing the process (as Android's policy traps with SIGSYS). */
int harness_seccomp_kill(long nr);

/* Become nobody (uid/gid 65534, no groups).  Returns 0 or -errno. */
int harness_drop_privileges(void);
int harness_drop_privileges_keep_cap_sys_nice(void);
bool harness_has_cap_sys_nice(void);

bool harness_is_root(void);

/*
 * Does this build of the library have the injection backend of
 * xmm_process_madvise?  Asked of xmm_backend_info(), as a user would;
 * *detail says why not.
 */
bool harness_injection_available(const char **detail);

/* Is the running kernel at least major.minor (uname(2))? */
bool harness_kernel_at_least(int major, int minor);

/*
 * Cap the address space at its current size and make malloc() ask the
 * kernel for everything, so that new mappings fail with ENOMEM.  Only in
 * a child (harness_run_in_child).  0, -1 on error, or HARNESS_NO_LIMIT
 * where an allocator (ASan's, valgrind's) ignores the limit.
 */
#define HARNESS_NO_LIMIT	77
int harness_limit_address_space(void);

/* A random fill and a checksum for comparing memory across processes. */
void harness_fill_random(void *buf, size_t len, unsigned int seed);
unsigned long long harness_checksum(const void *buf, size_t len);

/* Pages of [addr, addr+len) resident per mincore(2), or -errno. */
long harness_resident_pages(void *addr, size_t len);

/*
 * What a test program needs of the kernel (or of the emulator running
 * it: qemu-user answers ENOSYS to ptrace(2) and process_vm_readv(2),
 * refuses seccomp filters, cannot exec a program of its target without
 * binfmt_misc, shows itself as a child's /proc/PID/exe, emulates
 * /proc/self/maps only when opened by that path, and passes the host's
 * pagemap through in the host's byte order).  Each is
 * probed at run time, in a child where it has effects.
 */
#define HARNESS_NEEDS_PTRACE		(1u << 0)	/* PTRACE_TRACEME */
#define HARNESS_NEEDS_SECCOMP		(1u << 1)	/* a filter installs */
#define HARNESS_NEEDS_PROCESS_VM_READV	(1u << 2)	/* not ENOSYS */
#define HARNESS_NEEDS_PIDFD_CHILD	(1u << 3)	/* harness_fork_pidfd */
#define HARNESS_NEEDS_EXEC		(1u << 4)	/* execve of ourself */
#define HARNESS_NEEDS_PROC_EXE		(1u << 5)	/* child's exe: ours */
#define HARNESS_NEEDS_PROC_SELF_MAPS	(1u << 6)	/* maps via a dirfd */
#define HARNESS_NEEDS_PAGEMAP		(1u << 7)	/* its byte order */

/*
 * First thing in main(): skip the whole program (exit 77), printing each
 * missing need and why, unless all of needs are there.  (A program that
 * asks HARNESS_NEEDS_EXEC is its own exec probe: argv is not needed.)
 */
void harness_require(unsigned int needs);

/* In a cmocka test: skip this test likewise unless all of needs are there. */
void harness_need(unsigned int needs);

#endif /* XMM_TESTS_HARNESS_H */
