/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* The /proc files of a process named by a pidfd, read safely. */
#ifndef XMM_SRC_PROCFS_H
#define XMM_SRC_PROCFS_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Open /proc/PID of the process pidfd refers to (XMM_PIDFD_SELF too) and
 * make sure it is that process: the pidfd is checked alive after the
 * open, so a recycled PID cannot slip in.  Returns a directory fd or
 * -errno (EBADF: not a pidfd; ESRCH: the process has exited).
 */
int xmm_proc_open(int pidfd, pid_t *pid);

/*
 * Read all of the file name under dirfd into a malloc()ed buffer with
 * one spare byte after the text, which is '\0'.  A /proc file has no
 * size, so the buffer grows until a read returns nothing.  Returns 0
 * with *buf and *len set, or -errno.
 */
int xmm_proc_read_all(int dirfd, const char *name, char **buf, size_t *len);

/*
 * The state letter ('R', 'S', 'T', 'Z', ...) of a stat file such as
 * /proc/PID/stat or task/TID/stat (name, relative to dirfd) into *state:
 * '?' when the text holds none.  0, or -errno when it cannot be read.
 */
int xmm_proc_stat_state(int dirfd, const char *name, char *state);

/* The value of "key:" in a "key: value kB" file such as status, in bytes;
 * false when absent. */
int xmm_proc_field_kib(const char *text, const char *key,
		       unsigned long long *bytes);

#endif /* XMM_SRC_PROCFS_H */
