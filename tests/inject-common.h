/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the injection tests share: see inject-common.c. */
#ifndef XMM_TESTS_INJECT_COMMON_H
#define XMM_TESTS_INJECT_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <xmm/xmm.h>

#include "harness.h"

#ifndef MADV_COLD
#define MADV_COLD	20
#endif

#define MiB	(1024UL * 1024)

/* A child running fn(arg) and exiting with its answer. */
struct target {
	pid_t pid;
	int pidfd;
};

void target_start(struct target *t, int (*fn)(void *), void *arg);
/* Its exit code, or 128 + signal. */
int target_wait(struct target *t);
void target_kill(struct target *t);
int pause_child(void *arg);
/* The parent's bounded waits for a child's state: 100 us a tick. */
void tick(void);
/* A child's wait for the parent's word: polls, so no wake-up is lost. */
void nap(void);

/* Memory the parent and its children share, mapped before each fork. */
struct shared {
	volatile int ready;
	volatile int stop;
	volatile int result;
	volatile long value[16];
	char page[4096] __attribute__((aligned(4096)));
};

struct shared *shared_new(void);
void wait_ready(struct shared *s);

/* One injected madvise of one range; the backend is forced. */
ssize_t inject_madvise(int pidfd, void *addr, size_t len, int advice,
		       unsigned int flags);

/* A private MiB of the caller (and so of a forked child), for advice. */
extern void *scratch;

/* The group setup: skips all without pidfds (or without root when
 * need_root), maps scratch, forces the inject backend. */
int inject_setup(bool need_root);
int inject_teardown(void **state);

/* /proc/PID/status field, as a string. */
void status_field(pid_t pid, const char *name, char *out, size_t size);
/* ... and as a number (its first, for Uid: the real one); 0 if none. */
long status_number(pid_t pid, const char *name);
char proc_state(pid_t pid);
/* Wait (bounded, 5 s) until pid sleeps (state S); its state then. */
char wait_asleep(pid_t pid);
/* Wait (bounded) until no tracer is attached to pid any more. */
bool untraced(pid_t pid);

/* A seccomp filter (no_new_privs first) answering action to madvise. */
int install_madvise_filter(unsigned int action);

/*
 * A strict-mode target (SECCOMP_MODE_STRICT): it reads the pipe
 * s->value[0] until 'q', then exits with 0.  s->ready once strict.
 */
int strict_child(void *arg);
/* Ranges of the strict-mode tests' batch (four or more: the stub). */
#define STRICT_RANGES	8

/*
 * A caller under a seccomp filter (sandbox(), which must make
 * process_madvise answer ENOSYS) forks its target, which inherits it (a
 * container).  A tracer under seccomp cannot read the target's filters:
 * EPERM by default, and the target untouched; XMM_PMADV_INJECT_UNCHECKED
 * vouches for them (one range, the stub, with XMM_PMADV_INJECT).  A
 * target that adds a filter killing on madvise is refused and lives.
 * For harness_run_in_child().
 */
struct sandbox_case {
	struct shared *s;
	int (*sandbox)(void);
	bool target_kills_madvise;
};

int sandboxed_caller(void *arg);

/* The kept injection helper of this process (the xmm-inject process
 * sharing our memory), or 0. */
pid_t kept_helper(void);
/* Does pid map anything of [addr, addr + len)? */
bool maps_any_of(pid_t pid, const void *addr, size_t len);
/* Skip where the library keeps no helper (a libc keeping TLS apart). */
void need_kept_helper(void);
/* Has pid exited (gone, or a zombie) within 5 s? */
bool process_ends(pid_t pid);

/* The ppid field of /proc/PID/stat, -1 when gone. */
pid_t parent_of(pid_t pid);

/*
 * SIGALRM (a handler: no restart) ends a blocking call after seconds, so
 * that a wait that would never end fails instead; 0 cancels.
 */
void bound_waits(unsigned int seconds);

/*
 * A caller that would adopt a process orphaned below it: a child
 * subreaper (subreaper: it becomes one), or the init of its pid
 * namespace.  It injects twice into a child through one kept helper,
 * which must stay invisible to its waits: the helper killed, no SIGCHLD
 * and no exited child shows, and the next call makes another; the child
 * reaped, waitpid(-1, WNOHANG) and a blocking wait() (bounded) answer
 * ECHILD.  Then it stores the helper's pid in s->value[0], sets s->ready
 * and exits once s->stop is set.  For harness_run_in_child().
 */
struct adopt_case {
	struct shared *s;
	bool subreaper;
};

int adopting_caller(void *arg);

#endif /* XMM_TESTS_INJECT_COMMON_H */
