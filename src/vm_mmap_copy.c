// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap() backends "readv" and "proc-mem": a private source
 * is cloned as a snapshot, a private mapping of our own filled with the
 * source's bytes, then given the source's protection.
 *
 * Only what has to be copied is copied, per /proc/PID/pagemap:
 *   anonymous source    pages present or swapped; the others read as
 *                       zero and stay unpopulated in the clone too.
 *   private file source the clone maps the same file privately, and only
 *                       pages the target changed (present and not a file
 *                       page, or swapped) are copied over it.
 *   no pagemap, or a file that cannot be opened: every page.
 * Runs of pages travel in batches of up to IOV_MAX iovecs, by
 * process_vm_readv (readv) or by pread of /proc/PID/mem (proc-mem), which
 * serves where a policy refuses process_vm_readv and reads sources without
 * PROT_READ as the kernel's FOLL_FORCE does.
 */
#ifndef _LARGEFILE64_SOURCE
/* pread64(): offsets past 2 GiB on 32-bit ABIs. */
#define _LARGEFILE64_SOURCE 1
#endif
#include "internal.h"
#include "backend.h"
#include "procfs.h"
#include "syscall.h"
#include "vm_mmap.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

/* Bytes per batch: well below MAX_RW_COUNT, the kernel's per-call cap. */
#define XMM_COPY_BATCH_BYTES	((size_t)512 << 20)
/* pagemap entries read at once. */
#define XMM_PAGEMAP_CHUNK	8192

enum copy_rule {
	COPY_ALL,		/* no pagemap, or file content unreachable */
	COPY_POPULATED,		/* anonymous: present or swapped */
	COPY_MODIFIED,		/* over the file: anonymous copies only */
};

struct copier {
	struct xmm_vm_mmap_call *call;
	char *clone;		/* the clone being built */
	int mem_fd;		/* proc-mem: /proc/PID/mem; readv: -1 */
	struct iovec *local;
	struct iovec *remote;
	size_t n;		/* iovecs in the batch */
	size_t batch_bytes;
	uintptr_t run_start;	/* the run of pages being gathered */
	size_t run_len;
};

static long readv_batch(struct copier *c)
{
	struct iovec *local = c->local, *remote = c->remote;
	size_t n = c->n;

	while (n) {
		long got = xmm_sys(process_vm_readv, c->call->pid, local, n,
				   remote, n, 0);

		if (got < 0)
			return got;
		if (got == 0)
			return -EFAULT;
		/* A short read stops at a fault: resume there to learn it. */
		while (n && (size_t)got >= local->iov_len) {
			got -= (long)local->iov_len;
			local++;
			remote++;
			n--;
		}
		if (n && got) {
			local->iov_base = (char *)local->iov_base + got;
			local->iov_len -= (size_t)got;
			remote->iov_base = (char *)remote->iov_base + got;
			remote->iov_len -= (size_t)got;
		}
	}
	return 0;
}

static long proc_mem_batch(struct copier *c)
{
	size_t i;

	for (i = 0; i < c->n; i++) {
		char *to = c->local[i].iov_base;
		uintptr_t from = (uintptr_t)c->remote[i].iov_base;
		size_t left = c->local[i].iov_len;

		while (left) {
			ssize_t got = pread64(c->mem_fd, to, left,
					      (off64_t)from);

			if (got < 0 && errno == EINTR)
				continue;
			if (got < 0)
				return errno == EIO ? -EFAULT : -errno;
			if (got == 0)
				return -ESRCH;	/* its memory is gone */
			to += got;
			from += (size_t)got;
			left -= (size_t)got;
		}
	}
	return 0;
}

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE	23	/* Linux 5.14 */
#endif

/* Does madvise(MADV_POPULATE_WRITE) work here?  1 yes, 0 no, -1 unknown. */
static atomic_int populate_works = -1;

/*
 * Fault the batch's pages of the clone in with one call per range before
 * the copy writes them: a fault taken inside the copy costs an exception
 * per page, many times more than the kernel's populate loop (twenty times
 * in a virtual machine).  Older kernels answer EINVAL: copy as is.
 */
static void populate_batch(struct copier *c)
{
	size_t i;

	if (!atomic_load_explicit(&populate_works, memory_order_relaxed))
		return;
	for (i = 0; i < c->n; i++) {
		if (madvise(c->local[i].iov_base, c->local[i].iov_len,
			    MADV_POPULATE_WRITE) == 0) {
			atomic_store_explicit(&populate_works, 1,
					      memory_order_relaxed);
		} else if (errno == EINVAL) {
			atomic_store_explicit(&populate_works, 0,
					      memory_order_relaxed);
			return;
		}
	}
}

static long flush_batch(struct copier *c)
{
	long ret;

	if (!c->n)
		return 0;
	populate_batch(c);
	ret = c->mem_fd >= 0 ? proc_mem_batch(c) : readv_batch(c);
	c->n = 0;
	c->batch_bytes = 0;
	return ret;
}

static long end_run(struct copier *c)
{
	if (!c->run_len)
		return 0;
	c->local[c->n].iov_base = c->clone + (c->run_start - c->call->src);
	c->local[c->n].iov_len = c->run_len;
	c->remote[c->n].iov_base = (void *)c->run_start;
	c->remote[c->n].iov_len = c->run_len;
	c->n++;
	c->batch_bytes += c->run_len;
	c->run_len = 0;
	if (c->n == XMM_IOV_MAX || c->batch_bytes >= XMM_COPY_BATCH_BYTES)
		return flush_batch(c);
	return 0;
}

/* One page of the source, to be copied or not. */
static long add_page(struct copier *c, uintptr_t addr, bool copy)
{
	size_t page = c->call->page_size;

	if (c->run_len && (!copy || c->run_start + c->run_len != addr ||
			   c->run_len >= XMM_COPY_BATCH_BYTES)) {
		long ret = end_run(c);

		if (ret < 0)
			return ret;
	}
	if (copy) {
		if (!c->run_len)
			c->run_start = addr;
		c->run_len += page;
	}
	return 0;
}

static bool must_copy(enum copy_rule rule, uint64_t entry)
{
	switch (rule) {
	case COPY_POPULATED:
		return xmm_pm_populated(entry);
	case COPY_MODIFIED:
		return xmm_pm_anon_copy(entry);
	default:
		return true;
	}
}

static long copy_pages(struct copier *c, enum copy_rule rule)
{
	struct xmm_vm_mmap_call *call = c->call;
	size_t page = call->page_size, pages = call->size / page, i = 0;
	uint64_t *entries = NULL;
	int pagemap_fd = -1;
	long ret = 0;

	if (rule != COPY_ALL) {
		pagemap_fd = xmm_proc_openat(call->pin.dirfd, "pagemap",
					     false);
		entries = malloc(XMM_PAGEMAP_CHUNK * sizeof(*entries));
		if (pagemap_fd < 0 || !entries)
			rule = COPY_ALL;
	}
	while (i < pages && ret == 0) {
		size_t n = pages - i, got = n, j;

		if (n > XMM_PAGEMAP_CHUNK)
			n = XMM_PAGEMAP_CHUNK;
		if (rule != COPY_ALL) {
			ssize_t read = xmm_pagemap_read(pagemap_fd,
				call->src + i * page, page, entries, n);

			got = read > 0 ? (size_t)read : 0;
		} else {
			got = 0;
		}
		for (j = 0; j < n && ret == 0; j++)
			ret = add_page(c, call->src + (i + j) * page,
				       j >= got || must_copy(rule, entries[j]));
		i += n;
	}
	if (ret == 0)
		ret = end_run(c);
	if (ret == 0)
		ret = flush_batch(c);
	free(entries);
	if (pagemap_fd >= 0)
		close(pagemap_fd);
	return ret;
}

/*
 * Give the clone the source's MADV_HUGEPAGE or MADV_NOHUGEPAGE before the
 * copy faults anything in, as the kernel's process_vm_mmap copies the
 * VMA's flags.  Without it, THP "always" fills a sparse source's clone
 * with huge pages around each copied small one.  Only a clone as large
 * as a PMD (a page of page table entries) can hold a huge page; smaller
 * ones spare reading smaps.  A kernel without THP refuses the advice,
 * which then changes nothing.
 */
static void carry_thp_advice(struct xmm_vm_mmap_call *call, void *clone)
{
	size_t pmd_size = call->page_size * (call->page_size / 8);
	int advice;

	if (call->size < pmd_size)
		return;
	advice = xmm_vm_mmap_vma_thp_advice(call->pin.dirfd,
					    xmm_vm_mmap_source(call));
	if (advice)
		madvise(clone, call->size, advice);
}

static long copy_run(struct xmm_vm_mmap_call *call, bool use_proc_mem)
{
	const struct xmm_vma *vma = xmm_vm_mmap_source(call);
	bool anon = xmm_proc_vma_is_anon(vma);
	int file_fd = anon ? -1 : call->object_fd;
	enum copy_rule rule = anon ? COPY_POPULATED :
			      file_fd >= 0 ? COPY_MODIFIED : COPY_ALL;
	struct copier c = { .call = call, .mem_fd = -1 };
	struct xmm_vm_mmap_place place;
	long ret;

	if (use_proc_mem) {
		c.mem_fd = xmm_proc_openat(call->pin.dirfd, "mem", true);
		if (c.mem_fd < 0)
			return c.mem_fd;
	}
	c.local = malloc(XMM_IOV_MAX * sizeof(*c.local));
	c.remote = malloc(XMM_IOV_MAX * sizeof(*c.remote));
	ret = -ENOMEM;
	if (!c.local || !c.remote)
		goto out;

	if (file_fd >= 0)
		ret = xmm_vm_mmap_place_begin(call, &place,
			PROT_READ | PROT_WRITE, MAP_PRIVATE, file_fd,
			vma->offset + (call->src - vma->start));
	else
		ret = xmm_vm_mmap_place_begin(call, &place,
			PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1, 0);
	if (ret < 0)
		goto out;
	c.clone = place.addr;
	carry_thp_advice(call, place.addr);
	ret = copy_pages(&c, rule);
	if (ret == 0 && mprotect(place.addr, call->size, vma->prot) < 0)
		ret = -errno;
	if (ret < 0)
		xmm_vm_mmap_place_abort(call, &place);
	else
		ret = xmm_vm_mmap_place_finish(call, &place);
out:
	free(c.local);
	free(c.remote);
	if (c.mem_fd >= 0)
		close(c.mem_fd);
	return ret;
}

static long readv_run(void *arg)
{
	struct xmm_vm_mmap_call *call = arg;
	int ret = xmm_vm_mmap_prepare(call);

	if (ret < 0)
		return ret;
	if (xmm_vm_mmap_shared(xmm_vm_mmap_source(call)))
		return xmm_try_next(ENOSYS);	/* the shared backend's */
	if (call->readv_refused)
		return xmm_try_next(ENOSYS);
	/* process_vm_readv honours PROT_READ; /proc/PID/mem does not. */
	if (!(xmm_vm_mmap_source(call)->prot & PROT_READ))
		return xmm_try_next(EFAULT);
	return copy_run(call, false);
}

static long proc_mem_run(void *arg)
{
	struct xmm_vm_mmap_call *call = arg;
	int ret = xmm_vm_mmap_prepare(call);

	if (ret < 0)
		return ret;
	if (xmm_vm_mmap_shared(xmm_vm_mmap_source(call)))
		return xmm_try_next(ENOSYS);
	return copy_run(call, true);
}

static int readv_probe(const char **detail)
{
	/* Nothing to read: 0 where the call exists, before any lookup. */
	if (xmm_sys(process_vm_readv, 0, NULL, 0, NULL, 0, 0) == -ENOSYS) {
		*detail = "the kernel has no process_vm_readv (Linux 3.2), "
			  "or a seccomp policy refuses it";
		return -ENOSYS;
	}
	return 0;
}

struct xmm_backend xmm_vm_mmap_readv_backend = {
	.name = "readv",
	.probe = readv_probe,
	.run = readv_run,
};

struct xmm_backend xmm_vm_mmap_proc_mem_backend = {
	.name = "proc-mem",
	.run = proc_mem_run,
};
