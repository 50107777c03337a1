/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The floors issue 11 judges the injection backend by, shared by
 * xmm-bench's injection rows (bench/run.sh) and bench/inject-bench:
 *
 *  - a minimal hand-written injection from the caller's own thread:
 *    seize, interrupt, one madvise at an existing syscall instruction
 *    with its entry and exit stops, the target's registers back with the
 *    kernel's restart rule, detach (one range: <= 1.5x of it);
 *  - the target running the same calls itself in a loop, asked through
 *    a pipe (1,000 ranges: <= 1.2x of it).
 *
 * The hand-written injection knows only x86_64's registers: elsewhere
 * bench_floor_supported() is false and its legs are unavailable.
 */
#ifndef XMM_BENCH_INJECT_FLOOR_H
#define XMM_BENCH_INJECT_FLOOR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <sys/uio.h>

/* Does this architecture have the hand-written injection? */
bool bench_floor_supported(void);

/*
 * One madvise(addr, len, advice) inside pid, hand-written (see the top).
 * The children below share our libc's code, so our syscall instruction
 * is theirs.  Assumes no signal reaches the target meanwhile (the
 * children get none).  0, or -1 with errno set.
 */
int bench_floor_inject(pid_t pid, void *addr, size_t len, int advice);

/* How a floor child spends its time between requests. */
enum bench_floor_kind {
	BENCH_FLOOR_SLEEPING,	/* in read(2) of its request pipe */
	BENCH_FLOOR_SPINNING,	/* in a loop in user space, never a call */
};

struct bench_floor_child {
	pid_t pid;
	int pidfd;
	int ask, done;	/* the loop's request and answer pipes, or -1 */
};

/*
 * Fork a child of that kind.  A sleeping child answers a byte on ask by
 * running madvise(iov[i], advice) for every range of iov (our memory,
 * its copy), then a byte on done.  0, or -1 with errno set.
 */
int bench_floor_child_start(struct bench_floor_child *child,
			    enum bench_floor_kind kind,
			    const struct iovec *iov, size_t vlen, int advice);

/* Have a sleeping child run its loop once.  0, or -1 with errno set. */
int bench_floor_child_loop(const struct bench_floor_child *child);

void bench_floor_child_stop(struct bench_floor_child *child);

#endif /* XMM_BENCH_INJECT_FLOOR_H */
