// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The kept helper's memory of its own (inject_server.c says why it has
 * one: the OOM killer kills every process that shares the victim's
 * memory, and a tracer killed while the target holds our registers lets
 * the target run on with them).
 *
 * The helper is a fork of the caller, so its memory starts as a copy of
 * the caller's: every private page the caller has is counted in the
 * helper's RSS too (the OOM killer's measure), and a page the caller
 * writes later is copied, the old one staying the helper's for as long
 * as it lives.  So the helper keeps only what it runs on and unmaps every
 * other private mapping at once:
 *
 *  - kept: the segments of every ELF object (their code, data and bss:
 *    libxmm, the C library and the dynamic linker among them), which
 *    the caller notes with dl_iterate_phdr() before the fork; the
 *    ranges the caller adds (the stacks, the spawner's TLS, the shared
 *    request); the kernel's [vdso], [vvar] and [vsyscall];
 *  - unmapped: the heap, anonymous memory, other threads' stacks, the
 *    main stack, and every file or shared mapping that is no ELF
 *    object's: a fork copies none of their pages, but a mapping kept
 *    would keep what the caller frees alive (a shared buffer it unmaps,
 *    a deleted file).
 *
 * What the helper no longer has it never uses: it calls into libxmm,
 * the C library and the vDSO only, with its TLS on the spawner's stack.
 * Two things could still reach the unmapped memory, and where either may
 * the helper keeps everything (a large RSS, but no fault): lazy binding
 * (the dynamic linker's resolver reads link maps it allocated
 * anywhere), so libxmm is linked with -z now and a libxmm that is not
 * bound at load (linked statically into a lazily bound program) keeps
 * all; and a sanitizer's runtime (the library's, or the program's only:
 * a distro's libxmm in a sanitized build of an application), whose
 * shadow and allocator are anonymous mappings its interceptors read.
 */
#include "internal.h"
#include "inject_private.h"
#include <xmm/vma.h>

#ifdef XMM_HAVE_INJECT

#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define UNDER_SANITIZER	1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
	__has_feature(memory_sanitizer)
#define UNDER_SANITIZER	1
#endif
#endif
#ifndef UNDER_SANITIZER
#define UNDER_SANITIZER	0
#endif

#ifndef DF_1_NOW
#define DF_1_NOW	0x00000001
#endif

bool xmm_keep_add(struct xmm_keep_ranges *keep, unsigned long start,
		  unsigned long end)
{
	unsigned long page = (unsigned long)getpagesize();

	if (keep->count == XMM_KEEP_MAX) {
		keep->all = true;
		return false;
	}
	keep->range[keep->count].start = start & ~(page - 1);
	keep->range[keep->count].end = (end + page - 1) & ~(page - 1);
	keep->count++;
	return true;
}

/* Is this object bound at load, DF_BIND_NOW or DF_1_NOW? */
static bool bound_now(const struct dl_phdr_info *info)
{
	const ElfW(Dyn) *dyn = NULL;
	int i;

	for (i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			dyn = (const ElfW(Dyn) *)(info->dlpi_addr +
						  info->dlpi_phdr[i].p_vaddr);
	if (!dyn)
		return true;	/* static: nothing is bound lazily */
	for (; dyn->d_tag != DT_NULL; dyn++) {
		if (dyn->d_tag == DT_BIND_NOW ||
		    (dyn->d_tag == DT_FLAGS && (dyn->d_un.d_val & DF_BIND_NOW)) ||
		    (dyn->d_tag == DT_FLAGS_1 && (dyn->d_un.d_val & DF_1_NOW)))
			return true;
	}
	return false;
}

static bool contains(const struct dl_phdr_info *info, uintptr_t addr)
{
	int i;

	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD && addr >= start &&
		    addr - start < ph->p_memsz)
			return true;
	}
	return false;
}

static int note_object(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct xmm_keep_ranges *keep = arg;
	int i;

	(void)size;
	/* Our own object must be bound at load (the top). */
	if (contains(info, (uintptr_t)(void *)note_object) &&
	    !bound_now(info))
		keep->all = true;
	for (i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		unsigned long start = info->dlpi_addr + ph->p_vaddr;

		if (ph->p_type == PT_LOAD &&
		    !xmm_keep_add(keep, start, start + ph->p_memsz))
			return 1;
	}
	return 0;
}

/*
 * The command line, on the main thread's stack: kept, so that ps(1) shows
 * the helper with the caller's (fields 48 and 49 of /proc/self/stat).
 */
static void note_command_line(struct xmm_keep_ranges *keep)
{
	char stat[1024], *p;
	unsigned long start = 0, end = 0;
	ssize_t len;
	int fd, field;

	fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	len = read(fd, stat, sizeof(stat) - 1);
	close(fd);
	if (len <= 0)
		return;
	stat[len] = '\0';
	p = strrchr(stat, ')');	/* the command name may hold anything */
	if (!p || p[1] != ' ')
		return;
	p += 2;				/* field 3 */
	for (field = 3; field < 48 && p; field++) {
		p = strchr(p, ' ');
		if (p)
			p++;
	}
	if (p && sscanf(p, "%lu %lu", &start, &end) == 2 && start < end)
		xmm_keep_add(keep, start, end);
}

/*
 * A sanitizer's runtime in the program, this library built without one:
 * its interceptors (memchr, read, close) read its shadow in the helper.
 */
extern void __asan_init(void) __attribute__((weak));
extern void __tsan_init(void) __attribute__((weak));
extern void __msan_init(void) __attribute__((weak));
extern void __hwasan_init(void) __attribute__((weak));

static bool program_sanitized(void)
{
	return __asan_init || __tsan_init || __msan_init || __hwasan_init;
}

void xmm_keep_collect(struct xmm_keep_ranges *keep)
{
	/* Where they would only fault, keep everything. */
	if (UNDER_SANITIZER || program_sanitized() || getenv("LD_BIND_NOT"))
		keep->all = true;
	note_command_line(keep);
	dl_iterate_phdr(note_object, keep);
}

/* ---- The helper's side: async-signal-safe ---- */

/*
 * The first kept range that overlaps [start, end), by its start; false
 * when none does.
 */
static bool first_kept(const struct xmm_keep_ranges *keep, unsigned long start,
		       unsigned long end, unsigned long *kept_start,
		       unsigned long *kept_end)
{
	bool found = false;
	size_t i;

	for (i = 0; i < keep->count; i++) {
		if (keep->range[i].end <= start || keep->range[i].start >= end)
			continue;
		if (!found || keep->range[i].start < *kept_start) {
			*kept_start = keep->range[i].start;
			*kept_end = keep->range[i].end;
			found = true;
		}
	}
	return found;
}

/* Unmap every part of [start, end) that no kept range covers. */
static void unmap_unkept(const struct xmm_keep_ranges *keep,
			 unsigned long start, unsigned long end)
{
	unsigned long kept_start = 0, kept_end = 0;

	while (start < end) {
		if (!first_kept(keep, start, end, &kept_start, &kept_end)) {
			munmap((void *)start, end - start);
			return;
		}
		if (kept_start > start)
			munmap((void *)start, kept_start - start);
		if (kept_end <= start)	/* (cannot be: it overlaps) */
			return;
		start = kept_end;
	}
}

/*
 * One mapping of our own: unmap it unless it is kept.  The kernel's
 * special mappings are named "[v...]": [vdso], [vvar], [vvar_vclock],
 * [vsyscall].
 */
static int drop_vma(const struct xmm_vma *vma, void *arg)
{
	if (vma->name[0] != '[' || vma->name[1] != 'v')
		unmap_unkept(arg, vma->start, vma->end);
	return 0;
}

void xmm_keep_only(const struct xmm_keep_ranges *keep)
{
	if (keep->all)
		return;
	/* Unmapping while reading: the file goes on after the last
	 * mapping it showed, wherever that went. */
	xmm_inject_maps_each("/proc/self/maps", drop_vma, (void *)keep);
}

#endif /* XMM_HAVE_INJECT */
