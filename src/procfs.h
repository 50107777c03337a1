/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The one /proc layer of the library.  Every reader works relative to an
 * open /proc/PID directory, so that a caller pins its target once
 * (xmm_proc_pin()) and every file it reads after belongs to the same
 * process.  The parsers are pure functions over a buffer (fuzz/):
 *
 *   maps_parse.c       maps lines, and what counts as anonymous
 *   procfs.c           opening and pinning, the file reader, the stat
 *                      state letter, "key: value kB" fields
 *   procfs_maps.c      the maps readers: the whole list, streaming, and
 *                      one address (PROCMAP_QUERY, else maps)
 *   procfs_smaps.c     VmFlags of smaps
 *   procfs_pagemap.c   pagemap entries
 *   procfs_cgroup.c    the cgroup2 mount point, a process's cgroup
 */
#ifndef XMM_SRC_PROCFS_H
#define XMM_SRC_PROCFS_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <xmm/vma.h>

/* ---- procfs.c: opening, pinning, reading ---- */

/* /proc/self as a directory fd, or -errno. */
int xmm_proc_open_self(void);

/*
 * Open /proc/PID of the process pidfd refers to (XMM_PIDFD_SELF too) and
 * make sure it is that process: the pidfd is checked alive after the
 * open, so a recycled PID cannot slip in.  Returns a directory fd or
 * -errno (EBADF: not a pidfd; ESRCH: the process has exited).
 */
int xmm_proc_open(int pidfd, pid_t *pid);

/* A process held by a bare pid for the length of one call. */
struct xmm_proc_pin {
	pid_t pid;
	int pidfd;	/* -1 where the kernel has no pidfd_open (5.3) */
	int dirfd;	/* /proc/PID */
};

/*
 * Resolve pid once: a pidfd, then /proc/PID opened while the pidfd shows
 * the process alive.  0, or -ESRCH (no such process), -EINVAL (pid <= 0)
 * or another -errno; nothing is left open on failure.
 */
int xmm_proc_pin(pid_t pid, struct xmm_proc_pin *pin);

/*
 * Is the pinned process still running?  0 if so; -ESRCH once it has
 * exited (a zombie too: its memory is gone, and its PID may be reused
 * as soon as it is reaped).  Without a pidfd, 0 while /proc/PID answers.
 */
int xmm_proc_pin_check(const struct xmm_proc_pin *pin);

void xmm_proc_unpin(struct xmm_proc_pin *pin);

/*
 * Open name under dirfd for reading: an fd, or -errno with ENOENT (the
 * process went away) as -ESRCH and EACCES as -EPERM when eperm is set
 * (the ptrace access rule's answer), else as is.
 */
int xmm_proc_openat(int dirfd, const char *name, bool eperm);

/*
 * Read all of the file name under dirfd into a malloc()ed buffer with
 * one spare byte after the text, which is '\0'.  A /proc file has no
 * size, so the buffer grows until a read returns nothing; size_hint, if
 * not 0, is the first size tried.  Returns 0 with *buf and *len set, or
 * -errno with *buf NULL and *len 0.
 */
int xmm_proc_read_all(int dirfd, const char *name, char **buf, size_t *len);
int xmm_proc_read_fd(int fd, size_t size_hint, char **buf, size_t *len);

/*
 * Read at most size - 1 bytes of name under dirfd (AT_FDCWD: a path)
 * into buf, '\0' terminated, with plain system calls (no stdio locks):
 * the length, or -errno as open(2) and read(2) answer.  For the small
 * files (stat, fdinfo), where the first bytes are all that is needed.
 */
ssize_t xmm_proc_read_small(int dirfd, const char *name, char *buf,
			    size_t size);

/*
 * Read fd to its end through one buffer of size bytes (grown for a line
 * longer than that), handing the text to lines(): it parses the complete
 * lines of buf[0, len) (and, when eof, the unterminated last one, for
 * which buf[len] is writable), answers the bytes it consumed and sets
 * *stop non-zero to end the reading.  lines() is called once fewer than
 * room bytes of the buffer are free (room >= size: after every read(2),
 * for a reader that stops early), and at the end of the file.  Returns
 * *stop's value if it stopped, else 0 or -errno.  The one streaming line
 * reader of the /proc layer.
 */
int xmm_proc_stream_lines(int fd, size_t size, size_t room,
			  size_t (*lines)(char *buf, size_t len, bool eof,
					  void *arg, int *stop),
			  void *arg);

/*
 * The state letter ('R', 'S', 'T', 'Z', ...) of a stat file such as
 * /proc/PID/stat or task/TID/stat (name, relative to dirfd) into *state:
 * '?' when the text holds none.  0, or -errno when it cannot be read
 * (*state is '?' then too).
 */
int xmm_proc_stat_state(int dirfd, const char *name, char *state);

/* The state letter in the text of a stat file, text[0, len); '?' if none. */
char xmm_proc_parse_stat_state(const char *text, size_t len);

/*
 * The value of "key:" in a "key: value" file such as status: where it
 * starts (past the blanks), or NULL when no line has that key.  text is
 * '\0' terminated.  Plain string scans: async-signal-safe.
 */
const char *xmm_proc_field(const char *text, const char *key);

/*
 * The value of "key:" in a "key: value kB" file such as status, in bytes
 * (a value without "kB" is taken as it stands); 1 if found, else 0.
 * text is '\0' terminated.
 */
int xmm_proc_field_kib(const char *text, const char *key,
		       unsigned long long *bytes);

/* ---- procfs_maps.c: /proc/PID/maps ---- */

/*
 * Is the mapping anonymous as the kernel counts it (vma_is_anonymous(),
 * what UFFDIO_MOVE and MREMAP of anonymous memory accept)?  Private, and
 * either without a file ("", [heap], [stack], [anon:name]) or a private
 * mapping of /dev/zero, which the kernel turns into anonymous memory
 * while maps still names the device node: the node named must be the
 * memory device 1:5 with the line's inode.  The one definition of the
 * library.
 */
bool xmm_proc_vma_is_anon(const struct xmm_vma *vma);

/*
 * The whole maps file under dirfd as a list: the records in one array,
 * the names in one pool (list->storage), each allocated once at the
 * size the previous list needed.  0 or -errno; the list is empty on
 * failure.
 */
int xmm_proc_maps_read(int dirfd, struct xmm_vma_list *list);

/*
 * Read maps under dirfd through one 64 KiB buffer, parsed when it is
 * nearly full (the kernel serves a page a read), and call each() with
 * every record; the record and its name are valid only during the call.
 * Stops at the first non-zero answer of each(), which it returns; 0 at
 * the end, or -errno.  Unparsable lines are counted in
 * *malformed.
 */
int xmm_proc_maps_for_each(int dirfd,
			   int (*each)(const struct xmm_vma *vma, void *arg),
			   void *arg, size_t *malformed);

/* One mapping with its own copy of the name. */
struct xmm_proc_vma {
	struct xmm_vma vma;		/* vma.name points at name[] */
	char name[PATH_MAX + 32];
};

/*
 * The mapping that holds addr: 0, -EFAULT when none does, -ESRCH when
 * the process has no mappings at all (it exited), or -errno.  Asks
 * PROCMAP_QUERY (Linux 6.11) and falls back to reading maps where the
 * kernel lacks it; the two give the same record.
 */
int xmm_proc_vma_at(int dirfd, uintptr_t addr, struct xmm_proc_vma *out);

/*
 * The two ways, for the tests: the query answers -ENOTTY when the kernel
 * lacks the ioctl, -EOPNOTSUPP when a policy refuses ioctl(2) itself.
 */
int xmm_proc_vma_query(int maps_fd, uintptr_t addr, struct xmm_proc_vma *out);
int xmm_proc_vma_scan(int dirfd, uintptr_t addr, struct xmm_proc_vma *out);

/* ---- procfs_smaps.c: VmFlags ---- */

/* The two-letter VmFlags of smaps (fs/proc/task_mmu.c), one bit each. */
enum xmm_vm_flag {
	XMM_VMF_RD, XMM_VMF_WR, XMM_VMF_EX, XMM_VMF_SH, XMM_VMF_MR,
	XMM_VMF_MW, XMM_VMF_ME, XMM_VMF_MS, XMM_VMF_GD, XMM_VMF_PF,
	XMM_VMF_LO, XMM_VMF_IO, XMM_VMF_SR, XMM_VMF_RR, XMM_VMF_DC,
	XMM_VMF_DE, XMM_VMF_LF, XMM_VMF_AC, XMM_VMF_NR, XMM_VMF_HT,
	XMM_VMF_SF, XMM_VMF_AR, XMM_VMF_WF, XMM_VMF_DD, XMM_VMF_SD,
	XMM_VMF_MM, XMM_VMF_HG, XMM_VMF_NH, XMM_VMF_MG, XMM_VMF_UM,
	XMM_VMF_UW, XMM_VMF_MT, XMM_VMF_UI, XMM_VMF_SS, XMM_VMF_SL,
	XMM_VMF_BT, XMM_VMF_GU, XMM_VMF_DP,
	XMM_VMF_OTHER,		/* any name not above */
	XMM_VMF_COUNT
};

#define XMM_VMF(flag)		(1ULL << XMM_VMF_##flag)
/* Registered with a userfaultfd: missing, write-protect, minor. */
#define XMM_VMF_UFFD		(XMM_VMF(UM) | XMM_VMF(UW) | XMM_VMF(UI))

/* The bits of the flags in a VmFlags value, text[0, len) (no "VmFlags:"). */
uint64_t xmm_smaps_parse_vm_flags(const char *text, size_t len);

/*
 * The VmFlags of the mapping that starts at start, in the smaps text
 * text[0, len), which is modified (text[len] must be writable, as for
 * xmm_maps_parse()): 0 and *flags set; -EFAULT when no mapping starts there;
 * -ENODATA when it has no VmFlags line (Linux before 3.8).
 */
int xmm_smaps_find_vm_flags(char *text, size_t len, uintptr_t start,
			    uint64_t *flags);

/*
 * The VmFlags of the mapping holding addr, read from smaps under dirfd:
 * 0, -EFAULT (no mapping
 * there), -ENODATA, or -errno.  smaps walks the page tables of every
 * mapping it prints, so this costs with the memory of the process: one
 * address only, where the answer matters.
 */
int xmm_proc_vm_flags(int dirfd, uintptr_t addr, uint64_t *flags);

/*
 * The same for n addresses (at most 4) in one pass over smaps, which
 * stops after the last of their mappings: flags[i] for addrs[i].
 */
int xmm_proc_vm_flags_n(int dirfd, size_t n, const uintptr_t *addrs,
			uint64_t *flags);

/* ---- procfs_pagemap.c: /proc/PID/pagemap ---- */

/* Entry bits, Documentation/admin-guide/mm/pagemap.rst. */
#define XMM_PM_PRESENT		(1ULL << 63)
#define XMM_PM_SWAPPED		(1ULL << 62)
#define XMM_PM_FILE		(1ULL << 61)
#define XMM_PM_EXCLUSIVE	(1ULL << 56)

/* Present or swapped: the page holds data. */
static inline bool xmm_pm_populated(uint64_t entry)
{
	return entry & (XMM_PM_PRESENT | XMM_PM_SWAPPED);
}

/* Present and not a file page, or swapped: an anonymous copy. */
static inline bool xmm_pm_anon_copy(uint64_t entry)
{
	return (entry & XMM_PM_SWAPPED) ||
	       ((entry & XMM_PM_PRESENT) && !(entry & XMM_PM_FILE));
}

/*
 * Read the entries of pages [addr, addr + pages * page_size) from an open
 * pagemap: the number read (fewer past the end of the address space), or
 * -errno.
 */
ssize_t xmm_pagemap_read(int pagemap_fd, uintptr_t addr, size_t page_size,
			 uint64_t *entries, size_t pages);

/*
 * Count the resident and swapped pages of each mapping in list (not the
 * special ones), with PAGEMAP_SCAN (Linux 6.7) where the kernel has it,
 * else 8 bytes per page; sets XMM_VMA_F_PAGEMAP.  0 or -errno.
 */
int xmm_proc_pagemap_count(int dirfd, struct xmm_vma_list *list);

/* ---- procfs_cgroup.c: cgroup v2 ---- */

/*
 * The mount point of the cgroup2 hierarchy whose root is "/" in the
 * mountinfo text text[0, len), into path[size]: 0, or -ENOENT (none, or
 * longer than size - 1).
 */
int xmm_proc_parse_cgroup2_mount(const char *text, size_t len, char *path,
				 size_t size);

/*
 * The cgroup v2 path ("/a/b") in the text of /proc/PID/cgroup: 0 with
 * *path pointing into text, or -ENOENT.
 */
int xmm_proc_parse_cgroup_v2(const char *text, size_t len, const char **path,
			     size_t *path_len);

#endif /* XMM_SRC_PROCFS_H */
