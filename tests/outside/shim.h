/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Force-included (cc -include shim.h) into a third-party test's sources:
 * routes its syscall(2) calls through xmm_shim_syscall(), which sends
 * process_madvise to xmm_process_madvise() and everything else to the
 * kernel.  See doc/outside-tests.md.
 */
#ifndef XMM_OUTSIDE_SHIM_H
#define XMM_OUTSIDE_SHIM_H

long xmm_shim_syscall(long number, ...);

/* Also renames glibc's declaration of syscall() in <unistd.h>. */
#define syscall(...) xmm_shim_syscall(__VA_ARGS__)

/* <linux/pidfd.h> of Linux 6.15; Debian's 6.1 headers lack them. */
#ifndef PIDFD_SELF_THREAD
#define PIDFD_SELF_THREAD		-10000
#define PIDFD_SELF_THREAD_GROUP		-10001
#define PIDFD_SELF			PIDFD_SELF_THREAD
#define PIDFD_SELF_PROCESS		PIDFD_SELF_THREAD_GROUP
#endif

#endif
