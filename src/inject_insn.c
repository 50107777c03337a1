// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Finding a syscall instruction in the target: libc's text first (its
 * syscall stubs), then any other file's, then anything executable.  The
 * instruction is only executed, never written, so any occurrence will do.
 * The last one found is tried first next time (one read to confirm it).
 *
 * /proc/PID/maps goes through the library's maps parser, streaming, in a
 * buffer on the stack: async-signal-safe (see inject_private.h).
 */
#include "internal.h"
#include "inject_private.h"
#include "maps_parse.h"

#ifdef XMM_HAVE_INJECT

#include <fcntl.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SEARCH_CHUNK		4096
#define INSN_SEARCH_LIMIT	(4UL << 20)
#define MAX_CANDIDATES		64

enum rank { RANK_LIBC, RANK_FILE, RANK_OTHER, RANKS };

struct candidate {
	unsigned long start, end;
	enum rank rank;
};

struct candidates {
	struct candidate c[MAX_CANDIDATES];
	size_t count;
	size_t vmas;	/* all mappings seen, executable or not */
};

/* The syscall instructions found last, by target, tried first next time
 * (a caller may alternate between a few targets). */
#define INSN_CACHE_SLOTS	4

static struct {
	_Atomic pid_t pid;
	_Atomic unsigned long addr;
} insn_cache[INSN_CACHE_SLOTS];
static _Atomic unsigned int insn_cache_next;

void xmm_inject_forget_insn(void)
{
	unsigned int i;

	for (i = 0; i < INSN_CACHE_SLOTS; i++)
		atomic_store(&insn_cache[i].pid, 0);
}

static void remember_insn(pid_t tid, unsigned long addr)
{
	unsigned int slot = atomic_fetch_add(&insn_cache_next, 1) %
			    INSN_CACHE_SLOTS;

	atomic_store(&insn_cache[slot].pid, 0);
	atomic_store(&insn_cache[slot].addr, addr);
	atomic_store(&insn_cache[slot].pid, tid);
}

/* libc itself (glibc's libc.so.6 or libc-2.x.so, musl's loader), not
 * libcap or libcmocka. */
static bool is_libc(const char *path)
{
	const char *base = strrchr(path, '/') + 1;

	return !strncmp(base, "libc.so", 7) || !strncmp(base, "libc-", 5) ||
	       !strncmp(base, "ld-musl", 7);
}

static int add_candidate(const struct xmm_vma *vma, void *arg)
{
	struct candidates *cands = arg;
	struct candidate *c;

	cands->vmas++;
	if ((vma->prot & (PROT_READ | PROT_EXEC)) != (PROT_READ | PROT_EXEC))
		return 0;
	if (cands->count == MAX_CANDIDATES)
		return 1;
	c = &cands->c[cands->count++];
	c->start = vma->start;
	c->end = vma->end;
	if (vma->name[0] == '/')
		c->rank = is_libc(vma->name) ? RANK_LIBC : RANK_FILE;
	else
		c->rank = RANK_OTHER;
	return 0;
}

static int read_candidates(pid_t tid, struct candidates *cands)
{
	char path[64];

	xmm_inject_proc_path(path, tid, 0, "maps");
	return xmm_inject_maps_each(path, add_candidate, cands);
}

/* Does the target's memory hold a syscall instruction at addr? */
static bool is_insn_at(struct xmm_tracer *t, unsigned long addr)
{
	unsigned char buf[XMM_INJECT_INSN_LEN];

	return xmm_tracer_peek(t, addr, buf, sizeof(buf)) &&
	       memcmp(buf, xmm_inject_insn, sizeof(buf)) == 0;
}

static bool search_range(struct xmm_tracer *t, unsigned long start,
			 unsigned long end, unsigned long *found)
{
	unsigned char buf[SEARCH_CHUNK + XMM_INJECT_INSN_LEN];
	unsigned long addr;

	if (end - start > INSN_SEARCH_LIMIT)
		end = start + INSN_SEARCH_LIMIT;
	for (addr = start; addr < end; addr += SEARCH_CHUNK) {
		size_t want = end - addr < sizeof(buf) ? end - addr :
			      sizeof(buf);
		ssize_t got = xmm_tracer_read_some(t, addr, buf, want);
		size_t i;

		if (got < XMM_INJECT_INSN_LEN)
			return false;
		/* Fixed-width ISAs: instructions are aligned. */
		for (i = 0; i + XMM_INJECT_INSN_LEN <= (size_t)got;
		     i += XMM_INJECT_INSN_LEN == 4 ? 4 : 1) {
			if (memcmp(buf + i, xmm_inject_insn,
				   XMM_INJECT_INSN_LEN) == 0) {
				*found = addr + i;
				return true;
			}
		}
	}
	return false;
}

bool xmm_inject_insn_at_saved_pc(struct xmm_tracer *t)
{
	unsigned long pc = xmm_inject_pc(&t->saved);

	if (!XMM_INJECT_RESTART_ON_RESUME || !is_insn_at(t, pc))
		return false;
	t->insn = pc;
	return true;
}

int xmm_inject_find_insn(struct xmm_tracer *t)
{
	struct candidates cands = { .count = 0 };
	size_t i;
	int rank, ret;

	if (xmm_inject_insn_at_saved_pc(t))
		return 0;
	for (i = 0; i < INSN_CACHE_SLOTS; i++) {
		unsigned long addr = atomic_load(&insn_cache[i].addr);

		/* A stale pair only costs one read: it is checked. */
		if (atomic_load(&insn_cache[i].pid) == t->tid && addr &&
		    is_insn_at(t, addr)) {
			t->insn = addr;
			return 0;
		}
	}
	ret = read_candidates(t->tid, &cands);
	if (ret < 0)
		return ret;
	for (rank = 0; rank < RANKS; rank++) {
		for (i = 0; i < cands.count; i++) {
			if (cands.c[i].rank != (enum rank)rank ||
			    !search_range(t, cands.c[i].start, cands.c[i].end,
					  &t->insn))
				continue;
			remember_insn(t->tid, t->insn);
			return 0;
		}
	}
	/* An exiting target has no memory left (its maps read empty, its
	 * memory at end of file): it is gone, not without a syscall
	 * instruction (-ENOEXEC would send the caller to another backend). */
	cands.count = cands.vmas = 0;
	if (read_candidates(t->tid, &cands) < 0 || !cands.vmas)
		return -ESRCH;
	return -ENOEXEC;
}

#endif /* XMM_HAVE_INJECT */
