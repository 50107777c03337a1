/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Whole-process memory advice: read a process's mappings, select some,
 * and advise them all with as few process_madvise(2) calls as the kernel
 * allows.  Included by <xmm/xmm.h>; see xmm_vma_read(3),
 * xmm_vma_match(3), xmm_mem_usage(3) and xmm_advise_process(3).
 */
#ifndef XMM_VMA_H
#define XMM_VMA_H

#include <stddef.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * What a mapping is: exactly one class per mapping, usable as masks.
 * The classes follow the kernel's RssAnon, RssFile and RssShmem: anon,
 * heap and stack pages count in RssAnon, file in RssFile, shmem in
 * RssShmem.
 */
#define XMM_VMA_CLASS_ANON	0x01U	/* private anonymous, [anon:x] */
#define XMM_VMA_CLASS_FILE	0x02U	/* a file, private or MAP_SHARED */
#define XMM_VMA_CLASS_SHMEM	0x04U	/* shared anonymous memory: SysV
					 * shm, memfd, MAP_SHARED|
					 * MAP_ANONYMOUS, /dev/shm */
#define XMM_VMA_CLASS_HEAP	0x08U	/* [heap] */
#define XMM_VMA_CLASS_STACK	0x10U	/* [stack] */
#define XMM_VMA_CLASS_SPECIAL	0x20U	/* [vdso], [vvar], ... */
/* The old name: shared file mappings are XMM_VMA_CLASS_FILE now. */
#define XMM_VMA_CLASS_SHARED	XMM_VMA_CLASS_SHMEM
/* Every class that advice can apply to. */
#define XMM_VMA_CLASS_ALL	0x1fU
/* Classes are bits 0 to XMM_VMA_CLASS_COUNT - 1: report arrays index. */
#define XMM_VMA_CLASS_COUNT	6

/* struct xmm_vma.flags */
#define XMM_VMA_F_SHARED	0x1U	/* 's' in maps: MAP_SHARED */
#define XMM_VMA_F_DELETED	0x2U	/* the file was deleted */
#define XMM_VMA_F_PAGEMAP	0x4U	/* the page counts are set */

/* One line of /proc/PID/maps. */
struct xmm_vma {
	unsigned long start;		/* first byte */
	unsigned long end;		/* one past the last byte */
	unsigned long long offset;	/* in the file, in bytes */
	unsigned long long inode;
	unsigned int dev_major;
	unsigned int dev_minor;
	unsigned int prot;		/* PROT_READ, _WRITE, _EXEC */
	unsigned int flags;		/* XMM_VMA_F_* */
	unsigned int vma_class;		/* one XMM_VMA_CLASS_* */
	const char *name;	/* path or pseudo-name, "" when none; no
				 * " (deleted)" suffix (see flags) */
	/* With XMM_VMA_READ_PAGEMAP, from /proc/PID/pagemap. */
	unsigned long resident_pages;
	unsigned long swapped_pages;
};

struct xmm_vma_list {
	struct xmm_vma *vmas;	/* by address, as the kernel lists */
	size_t count;
	size_t malformed;	/* lines that could not be parsed (skipped) */
	void *storage;		/* the text names point into; private */
};

/* xmm_vma_read() flags */
#define XMM_VMA_READ_PAGEMAP	0x1U	/* count the pages too */

int xmm_vma_read(int pidfd, unsigned int flags, struct xmm_vma_list *list);
void xmm_vma_list_free(struct xmm_vma_list *list);

/* struct xmm_vma_select.flags */
#define XMM_VMA_SELECT_ANY	0x1U	/* class OR name, not AND */

/*
 * Which mappings to act on.  Every condition must hold; a zeroed struct
 * (or NULL) selects every mapping of XMM_VMA_CLASS_ALL.  The name
 * condition holds when pattern or any of patterns[] matches.  With
 * XMM_VMA_SELECT_ANY, a mapping passes when its class is in classes
 * (0 then means none) or its name matches; the other conditions still
 * apply.
 */
struct xmm_vma_select {
	unsigned int classes;	/* XMM_VMA_CLASS_* mask; 0: _ALL */
	const char *pattern;	/* fnmatch(3) on the name; NULL: any */
	int fnmatch_flags;
	unsigned int flags;	/* XMM_VMA_SELECT_* */
	const char *const *patterns;	/* more patterns, ORed */
	size_t pattern_count;
	unsigned int prot_set;	/* PROT_* bits that must be set */
	unsigned int prot_clear;	/* PROT_* bits that must be clear */
	unsigned long min_size;	/* bytes; 0: no minimum */
	unsigned long max_size;	/* bytes; 0: no maximum */
	/* Only the part of a mapping inside [addr_min, addr_max); 0: none. */
	unsigned long addr_min;
	unsigned long addr_max;
};

int xmm_vma_match(const struct xmm_vma *vma,
		  const struct xmm_vma_select *select);

/* Memory of a process, in bytes. */
#define XMM_MEM_ROLLUP		0x1U	/* also smaps_rollup (PSS) */

struct xmm_mem_usage {
	unsigned long long rss;		/* VmRSS */
	unsigned long long rss_anon;	/* RssAnon */
	unsigned long long rss_file;	/* RssFile */
	unsigned long long rss_shmem;	/* RssShmem */
	unsigned long long swap;	/* VmSwap */
	/* With XMM_MEM_ROLLUP. */
	unsigned long long pss;
	unsigned long long pss_anon;
	unsigned long long pss_file;
	unsigned long long pss_shmem;
	unsigned long long swap_pss;
	unsigned int flags;		/* XMM_MEM_ROLLUP if those are */
};

int xmm_mem_usage(int pidfd, unsigned int flags,
		  struct xmm_mem_usage *usage);

/* What to do when advice fails on part of the selection. */
#define XMM_ADVISE_ON_ERROR_SKIP_VMA	0	/* skip the rest of it */
#define XMM_ADVISE_ON_ERROR_SKIP_PAGE	1	/* skip the bad pages */
#define XMM_ADVISE_ON_ERROR_STOP	2	/* stop and fail */

/* struct xmm_advise_options.flags */
#define XMM_ADVISE_FREEZE	0x1U	/* freeze the target meanwhile */
#define XMM_ADVISE_USAGE	0x2U	/* fill usage_before, usage_after */
#define XMM_ADVISE_USAGE_ROLLUP	0x4U	/* ... with XMM_MEM_ROLLUP */

struct xmm_advise_report;

struct xmm_advise_options {
	unsigned int flags;		/* XMM_ADVISE_* */
	int on_error;			/* XMM_ADVISE_ON_ERROR_* */
	unsigned int madvise_flags;	/* for xmm_process_madvise() */
	/*
	 * Non-zero stops the work before the next call (ECANCELED).  Read
	 * with an atomic acquire load: set it from any thread with
	 * __atomic_store_n() or through an atomic_int.
	 */
	const int *cancel;
	/* Called after every process_madvise call; non-zero cancels. */
	int (*progress)(const struct xmm_advise_report *report, void *arg);
	void *progress_arg;
	unsigned long reserved[4];	/* zero */
};

/* How the target was held still (struct xmm_advise_report.frozen). */
#define XMM_FREEZE_NONE		0	/* not asked */
#define XMM_FREEZE_CGROUP	1	/* cgroup v2 cgroup.freeze */
#define XMM_FREEZE_SIGSTOP	2	/* SIGSTOP, then SIGCONT */
#define XMM_FREEZE_ALREADY	3	/* was frozen or stopped: left so */

#define XMM_ADVISE_ERRNO_SLOTS	8

/* One class of mappings in a report: classes[i] is class 1U << i. */
struct xmm_advise_class {
	size_t vmas_selected;
	size_t vmas_skipped;		/* the kernel refused them */
	unsigned long long bytes_selected;
	unsigned long long bytes_advised;
	unsigned long long bytes_skipped;
	int skip_errno;			/* why the first was skipped */
};

struct xmm_advise_report {
	size_t vmas_total;		/* mappings read */
	size_t vmas_selected;
	size_t vmas_advised;		/* selected and advised entirely */
	unsigned long long bytes_selected;
	unsigned long long bytes_advised;
	unsigned long calls;		/* process_madvise calls made */
	unsigned long errors;		/* failed ranges */
	/* Errors by errno: the first distinct ones, then the rest. */
	struct {
		int err;
		unsigned long count;
	} errno_count[XMM_ADVISE_ERRNO_SLOTS];
	unsigned long errors_other;
	int stop_errno;			/* why it stopped early, or 0 */
	int frozen;			/* XMM_FREEZE_* */
	unsigned long long elapsed_ns;	/* wall clock, whole call */
	unsigned long long cpu_ns;	/* CPU time of the calling thread */
	unsigned long long maps_ns;	/* of elapsed_ns: reading maps */
	struct xmm_mem_usage usage_before;	/* with XMM_ADVISE_USAGE */
	struct xmm_mem_usage usage_after;
	/* Per class; vmas_skipped and bytes_skipped sum them. */
	struct xmm_advise_class classes[XMM_VMA_CLASS_COUNT];
	size_t vmas_skipped;
	unsigned long long bytes_skipped;
};

int xmm_advise_process(int pidfd, const struct xmm_vma_select *select,
		       int advice, const struct xmm_advise_options *options,
		       struct xmm_advise_report *report);

#ifdef __cplusplus
}
#endif

#endif /* XMM_VMA_H */
