/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * xmm_process_vm_mmap(): the call every backend receives, and what the
 * fallback backends share: the source VMA as /proc describes it, the object
 * behind it, and where the clone goes.
 */
#ifndef XMM_SRC_VM_MMAP_H
#define XMM_SRC_VM_MMAP_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct xmm_backend;

/* The source VMA, from its /proc/PID/maps line. */
struct xmm_vm_mmap_vma {
	uintptr_t start;
	uintptr_t end;
	int prot;		/* PROT_READ | PROT_WRITE | PROT_EXEC */
	bool shared;		/* 's' in the permissions: MAP_SHARED */
	uint64_t offset;	/* file offset of start */
	unsigned int dev_major;
	unsigned int dev_minor;
	unsigned long inode;	/* 0: anonymous */
	char path[PATH_MAX + 32];	/* "", "[heap]", "/a/file (deleted)" */
};

struct xmm_vm_mmap_call {
	/* As the caller passed them. */
	pid_t pid;
	void *src_addr;
	size_t len;
	void *dst_addr;
	unsigned long flags;
	/* The address of the new mapping: on 32-bit ABIs an address can
	 * look negative, so it never travels in the return value. */
	void *mapped;

	/* Checked before any backend runs. */
	uintptr_t src;		/* src_addr rounded down to a page */
	size_t size;		/* len rounded up to pages */
	size_t page_size;

	/*
	 * Filled once by xmm_vm_mmap_prepare() for the fallbacks: the
	 * permission check, the source VMA, and the object behind it.
	 */
	bool prepared;
	int prepare_err;
	bool readv_refused;	/* by seccomp or a policy, not by ptrace */
	struct xmm_vm_mmap_vma vma;
	int object_fd;		/* the VMA's file, or -1 */
};

/*
 * Check permission (PTRACE_MODE_ATTACH_REALCREDS, as process_vm_readv),
 * find the VMA holding the whole source range and reject the kinds the
 * kernel refuses, and open the object behind a file or shared VMA where
 * the caller may.  Idempotent; the first caller pays.  0, -EPERM, -ESRCH,
 * -EFAULT or another -errno.
 */
int xmm_vm_mmap_prepare(struct xmm_vm_mmap_call *call);

/* Is the source an anonymous VMA (no file, or a heap or stack)? */
bool xmm_vm_mmap_vma_is_anon(const struct xmm_vm_mmap_vma *vma);

/* /proc parsing (vm_mmap_proc.c). */
int xmm_vm_mmap_find_vma(pid_t pid, uintptr_t addr,
			 struct xmm_vm_mmap_vma *vma);
int xmm_vm_mmap_vma_refused(pid_t pid, const struct xmm_vm_mmap_vma *vma);
/* MADV_HUGEPAGE or MADV_NOHUGEPAGE as the source VMA was advised, or 0. */
int xmm_vm_mmap_vma_thp_advice(pid_t pid, const struct xmm_vm_mmap_vma *vma);
int xmm_vm_mmap_open_object(pid_t pid, const struct xmm_vm_mmap_vma *vma);
int xmm_vm_mmap_object_refused(int fd, bool *known);

/* pagemap entry bits, Documentation/admin-guide/mm/pagemap.rst. */
#define XMM_PM_PRESENT		(1ULL << 63)
#define XMM_PM_SWAPPED		(1ULL << 62)
#define XMM_PM_FILE		(1ULL << 61)

/* Where the clone goes (vm_mmap_place.c). */
struct xmm_vm_mmap_place {
	void *addr;		/* the mapping being built */
	bool must_move;		/* FIXED over something: mremap at the end */
};

/*
 * mmap() the clone's first form (prot, flags, fd, offset as mmap(2))
 * where the caller's flags ask, without changing anything that is mapped
 * at dst yet.  0 or -errno (EEXIST for FIXED_NOREPLACE).
 */
int xmm_vm_mmap_place_begin(struct xmm_vm_mmap_call *call,
			    struct xmm_vm_mmap_place *place, int prot,
			    int flags, int fd, uint64_t offset);
/* Put the finished clone at its final address and set call->mapped. */
int xmm_vm_mmap_place_finish(struct xmm_vm_mmap_call *call,
			     struct xmm_vm_mmap_place *place);
/* Undo xmm_vm_mmap_place_begin(). */
void xmm_vm_mmap_place_abort(struct xmm_vm_mmap_call *call,
			     struct xmm_vm_mmap_place *place);

/* The fallback backends. */
extern struct xmm_backend xmm_vm_mmap_shared_backend;
extern struct xmm_backend xmm_vm_mmap_readv_backend;
extern struct xmm_backend xmm_vm_mmap_proc_mem_backend;

#endif /* XMM_SRC_VM_MMAP_H */
