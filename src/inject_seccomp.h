/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * What the target's seccomp filters answer to a syscall, worked out before
 * the engine runs it: a filter that kills or traps must never see it.
 */
#ifndef XMM_SRC_INJECT_SECCOMP_H
#define XMM_SRC_INJECT_SECCOMP_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdint.h>

/* A classic BPF program's answer to one seccomp_data, as the kernel runs
 * it.  A program that would fault (bad load, bad jump) answers KILL. */
uint32_t xmm_seccomp_run(const struct sock_filter *prog, size_t len,
			 const struct seccomp_data *data);

/* The stronger of two actions, by the kernel's precedence. */
uint32_t xmm_seccomp_stronger(uint32_t a, uint32_t b);

/*
 * What an injected call gets instead of running, for an action: 0 when it
 * may run (ALLOW, LOG), else -errno: the filter's errno (ERRNO), -ENOSYS
 * (TRACE without a seccomp tracer), -EPERM (KILL, TRAP, USER_NOTIF).
 */
long xmm_seccomp_answer(uint32_t action);

#endif /* XMM_SRC_INJECT_SECCOMP_H */
