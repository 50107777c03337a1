// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * What the fallback backends of xmm_remap_anon_pages() learn from procfs:
 * the mappings that hold both ranges (/proc/self/maps), and which pages
 * are populated (/proc/self/pagemap).  The kernel's move checks both
 * itself; a fallback must check them first to give the same answers.
 * Both files are opened per call: a descriptor kept open would go on
 * describing the parent after a fork().
 */
#include "internal.h"
#include "remap.h"
#include "syscall.h"

#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* /proc/PID/pagemap entry bits, Documentation/admin-guide/mm/pagemap.rst. */
#define PAGEMAP_PRESENT		(1ULL << 63)
#define PAGEMAP_SWAPPED		(1ULL << 62)

/* Entries read from pagemap at a time, per range. */
#define PAGEMAP_BATCH		512

/* Anonymous mappings the kernel names; any other name is a file or special. */
static bool anonymous_name(const char *name)
{
	return !*name || !strcmp(name, "[heap]") || !strcmp(name, "[stack]") ||
	       !strncmp(name, "[anon:", 6);
}

/*
 * A private mapping of /dev/zero: the kernel makes it anonymous
 * (vma_is_anonymous(), mmap_zero()), and UFFDIO_MOVE moves its pages.
 * The maps line names the device node; it is /dev/zero when that node is
 * the memory device 1:5 with the line's inode.
 */
static bool dev_zero_name(const char *name, unsigned long long inode)
{
	struct stat node;

	return name[0] == '/' && stat(name, &node) == 0 &&
	       S_ISCHR(node.st_mode) && node.st_rdev == makedev(1, 5) &&
	       (unsigned long long)node.st_ino == inode;
}

/* Parse one maps line: "start-end perms offset dev inode   name". */
static bool parse_maps_line(char *line, struct xmm_remap_vma *vma)
{
	unsigned long long inode;
	uintptr_t start, end;
	int name_at = 0;

	if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " %4s %*s %*s %llu %n",
		   &start, &end, vma->perms, &inode, &name_at) < 4)
		return false;
	line[strcspn(line, "\n")] = '\0';
	vma->start = start;
	vma->end = end;
	vma->dev_zero = vma->perms[3] == 'p' && inode != 0 && name_at &&
			dev_zero_name(line + name_at, inode);
	vma->private_anon = vma->dev_zero ||
			    (vma->perms[3] == 'p' && inode == 0 &&
			     name_at && anonymous_name(line + name_at));
	return true;
}

static bool vma_holds(const struct xmm_remap_vma *vma, uintptr_t addr,
		      size_t len)
{
	return vma->start <= addr && addr + len <= vma->end;
}

int xmm_remap_check_vmas(const struct xmm_remap_call *call,
			 struct xmm_remap_vma *src_vma,
			 struct xmm_remap_vma *dst_vma)
{
	bool found_src = false, found_dst = false, line_start = true;
	char line[4352];	/* PATH_MAX and the fields before it */
	FILE *maps = fopen("/proc/self/maps", "re");

	if (!maps)
		return -errno;
	while (fgets(line, sizeof(line), maps)) {
		struct xmm_remap_vma vma;
		bool whole = strchr(line, '\n') != NULL;

		/* The tail of an overlong line is not a line. */
		if (line_start && parse_maps_line(line, &vma)) {
			if (!found_src &&
			    vma_holds(&vma, call->src, call->len)) {
				*src_vma = vma;
				found_src = true;
			}
			if (!found_dst &&
			    vma_holds(&vma, call->dst, call->len)) {
				*dst_vma = vma;
				found_dst = true;
			}
		}
		line_start = whole;
		if (found_src && found_dst)
			break;
	}
	fclose(maps);

	if (!found_src || !found_dst)
		return -EINVAL;
	if (!src_vma->private_anon || !dst_vma->private_anon)
		return -EINVAL;
	/* Equal protection, and writable as UFFDIO_MOVE demands. */
	if (strcmp(src_vma->perms, dst_vma->perms) ||
	    src_vma->perms[0] != 'r' || src_vma->perms[1] != 'w')
		return -EINVAL;
	return 0;
}

/* Does a VmFlags line of smaps hold one of these two-letter flags? */
static bool vmflags_has(const char *flags, const char *const *wanted,
			size_t n_wanted)
{
	const char *at = flags;
	char word[8];
	int used;
	size_t i;

	while (sscanf(at, " %7s%n", word, &used) == 1) {
		for (i = 0; i < n_wanted; i++)
			if (!strcmp(word, wanted[i]))
				return true;
		at += used;
	}
	return false;
}

static const char *const uffd_flags[] = { "um", "uw", "ui" };
static const char *const locked_flags[] = { "lo" };

/*
 * Read the VmFlags of the mappings holding dst and, when src_too, src:
 * /proc/self/smaps up to the later of the two.  Field lines never parse
 * as a mapping's first line.
 */
static int read_vmflags(uintptr_t dst, uintptr_t src, bool src_too,
			struct xmm_remap_vmflags *out)
{
	bool in_dst = false, in_src = false, line_start = true;
	bool dst_done = false, src_done = !src_too;
	char line[4352];	/* PATH_MAX and the fields before it */
	FILE *smaps = fopen("/proc/self/smaps", "re");

	memset(out, 0, sizeof(*out));
	if (!smaps)
		return -errno;
	while (!(dst_done && src_done) && fgets(line, sizeof(line), smaps)) {
		struct xmm_remap_vma vma;
		bool whole = strchr(line, '\n') != NULL;

		if (line_start && !strncmp(line, "VmFlags:", 8)) {
			if (in_dst) {
				out->dst_uffd = vmflags_has(line + 8,
							    uffd_flags, 3);
				out->dst_locked = vmflags_has(line + 8,
							      locked_flags, 1);
				dst_done = true;
			}
			if (in_src) {
				out->src_locked = vmflags_has(line + 8,
							      locked_flags, 1);
				src_done = true;
			}
		} else if (line_start && parse_maps_line(line, &vma)) {
			in_dst = vma.start <= dst && dst < vma.end;
			in_src = src_too && vma.start <= src && src < vma.end;
			/* Past both without finding one: it is a hole. */
			if (vma.start > dst && vma.start > src)
				break;
		}
		line_start = whole;
	}
	fclose(smaps);
	return 0;
}

int xmm_remap_dst_uffd_registered(uintptr_t dst)
{
	struct xmm_remap_vmflags flags;
	int ret = read_vmflags(dst, 0, false, &flags);

	return ret < 0 ? ret : flags.dst_uffd;
}

int xmm_remap_check_vmflags(const struct xmm_remap_call *call)
{
	struct xmm_remap_vmflags flags;
	int ret = read_vmflags(call->dst, call->src, true, &flags);

	if (ret < 0)
		return ret;
	if (flags.dst_uffd)
		return -EBUSY;
	if (flags.src_locked != flags.dst_locked)
		return -EINVAL;
	return 0;
}

static int read_pagemap(int fd, uintptr_t addr, size_t pages,
			uint64_t *entries)
{
	size_t want = pages * sizeof(*entries);
	off_t at = (off_t)(addr / xmm_remap_page_size() * sizeof(*entries));
	ssize_t got = pread(fd, entries, want, at);

	if (got < 0)
		return -errno;
	if ((size_t)got != want)
		return -EIO;
	return 0;
}

static bool populated(uint64_t entry)
{
	return entry & (PAGEMAP_PRESENT | PAGEMAP_SWAPPED);
}

long xmm_remap_scan(const struct xmm_remap_call *call, int *err)
{
	bool holes_allowed = call->flags & XMM_RAP_ALLOW_SRC_HOLES;
	size_t page_size = xmm_remap_page_size();
	size_t pages = call->len / page_size, done = 0;
	uint64_t src_map[PAGEMAP_BATCH], dst_map[PAGEMAP_BATCH];
	int fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	long ret = 0;

	if (fd < 0)
		return -errno;
	*err = 0;
	while (done < pages && !*err) {
		size_t batch = pages - done, i;
		uintptr_t offset = done * page_size;

		if (batch > PAGEMAP_BATCH)
			batch = PAGEMAP_BATCH;
		ret = read_pagemap(fd, call->dst + offset, batch, dst_map);
		if (!ret)
			ret = read_pagemap(fd, call->src + offset, batch,
					   src_map);
		if (ret < 0)
			break;
		for (i = 0; i < batch; i++, done++) {
			/* As the kernel's move: a full dst before a hole. */
			if (populated(dst_map[i])) {
				*err = -EEXIST;
				break;
			}
			if (!populated(src_map[i]) && !holes_allowed) {
				*err = -ENOENT;
				break;
			}
		}
	}
	close(fd);
	return ret < 0 ? ret : (long)(done * page_size);
}

/* Copy one run of populated pages and empty the source. */
static int copy_run(const struct xmm_remap_call *call, size_t offset,
		    size_t len)
{
	if (!len)
		return 0;
	memcpy((void *)(call->dst + offset), (const void *)(call->src + offset),
	       len);
	return (int)xmm_sys(madvise, call->src + offset, len, MADV_DONTNEED);
}

int xmm_remap_copy_prefix(const struct xmm_remap_call *call, size_t len)
{
	size_t page_size = xmm_remap_page_size();
	size_t pages = len / page_size, done = 0, run_start = 0;
	uint64_t src_map[PAGEMAP_BATCH];
	int fd, ret = 0;

	/* Without holes every source page is populated: one run. */
	if (!(call->flags & XMM_RAP_ALLOW_SRC_HOLES))
		return copy_run(call, 0, len);

	fd = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	while (done < pages && !ret) {
		size_t batch = pages - done, i;

		if (batch > PAGEMAP_BATCH)
			batch = PAGEMAP_BATCH;
		ret = read_pagemap(fd, call->src + done * page_size, batch,
				   src_map);
		for (i = 0; i < batch && !ret; i++, done++) {
			if (populated(src_map[i]))
				continue;
			/* A hole ends a run; dst stays unpopulated there. */
			ret = copy_run(call, run_start * page_size,
				       (done - run_start) * page_size);
			run_start = done + 1;
		}
	}
	if (!ret)
		ret = copy_run(call, run_start * page_size,
			       (done - run_start) * page_size);
	close(fd);
	return ret;
}
