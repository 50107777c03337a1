// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap() fallbacks: what /proc tells about the source.
 *
 * All of it is read under the target's pinned /proc/PID directory, by
 * the /proc layer (procfs.h): maps gives the VMA, smaps its flags; the object
 * behind a file or shared VMA is opened through /proc/PID/map_files (which
 * needs CAP_CHECKPOINT_RESTORE, or CAP_SYS_ADMIN before Linux 5.9), else
 * through an open descriptor of the target, else by the path the maps line
 * shows; an object is accepted only when fstat() shows the device and
 * inode of the maps line, so that a renamed or replaced file is never
 * mapped in its place.
 */
#include "internal.h"
#include "maps_parse.h"
#include "procfs.h"
#include "vm_mmap.h"

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/* Filesystem magics, <linux/magic.h>. */
#define XMM_HUGETLBFS_MAGIC	0x958458f6
#define XMM_TMPFS_MAGIC		0x01021994
#define XMM_RAMFS_MAGIC		0x858458f6
#define XMM_EXT4_SUPER_MAGIC	0xef53
#define XMM_XFS_SUPER_MAGIC	0x58465342
#define XMM_BTRFS_SUPER_MAGIC	0x9123683e
#define XMM_F2FS_SUPER_MAGIC	0xf2f52010

/* VmFlags the proposal refuses: hugetlb, VM_IO, VM_PFNMAP, VM_DONTEXPAND. */
#define REFUSED_VM_FLAGS	(XMM_VMF(HT) | XMM_VMF(IO) | XMM_VMF(PF) | \
				 XMM_VMF(DE))

int xmm_vm_mmap_vma_refused(int dirfd, const struct xmm_vma *vma)
{
	uint64_t flags;
	int ret = xmm_proc_vm_flags(dirfd, vma->start, &flags);

	if (ret == -ENODATA)
		return 0;	/* before Linux 3.8: smaps prints none */
	if (ret < 0)
		return ret;
	return flags & REFUSED_VM_FLAGS ? -EFAULT : 0;
}

int xmm_vm_mmap_vma_thp_advice(int dirfd, const struct xmm_vma *vma)
{
	uint64_t flags;

	if (xmm_proc_vm_flags(dirfd, vma->start, &flags) < 0)
		return 0;
	if (flags & XMM_VMF(NH))
		return MADV_NOHUGEPAGE;
	if (flags & XMM_VMF(HG))
		return MADV_HUGEPAGE;
	return 0;
}

int xmm_vm_mmap_object_refused(int fd, bool *known)
{
	struct statfs fs;
	struct stat st;

	*known = false;
	if (fstatfs(fd, &fs) < 0 || fstat(fd, &st) < 0)
		return 0;
	if ((unsigned long)fs.f_type == XMM_HUGETLBFS_MAGIC) {
		*known = true;
		return -EFAULT;
	}
	/*
	 * Page-cache files of these filesystems are mapped by their generic
	 * mmap, which sets none of the refused flags; only drivers do.
	 */
	switch ((unsigned long)fs.f_type) {
	case XMM_TMPFS_MAGIC:
	case XMM_RAMFS_MAGIC:
	case XMM_EXT4_SUPER_MAGIC:
	case XMM_XFS_SUPER_MAGIC:
	case XMM_BTRFS_SUPER_MAGIC:
	case XMM_F2FS_SUPER_MAGIC:
		*known = S_ISREG(st.st_mode);
		break;
	default:
		break;
	}
	return 0;
}

static bool same_object(const struct stat *st, const struct xmm_vma *vma)
{
	return st->st_dev == makedev(vma->dev_major, vma->dev_minor) &&
	       st->st_ino == (ino_t)vma->inode;
}

/*
 * Open name (under dirfd), and keep it only if it is the VMA's object.
 * fd or -1.  Only regular files (memfd, shmem, SysV shm and shared
 * anonymous memory are regular files too): opening a device can have
 * effects of its own.
 */
static int open_if_same(int dirfd, const char *name, int mode,
			const struct xmm_vma *vma)
{
	struct stat st;
	int fd;

	if (fstatat(dirfd, name, &st, 0) < 0 || !S_ISREG(st.st_mode) ||
	    !same_object(&st, vma))
		return -1;
	fd = openat(dirfd, name, mode | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !same_object(&st, vma)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* An open descriptor of the target whose link reads as the maps path. */
static int open_from_target_fds(int dirfd, int mode,
				const struct xmm_vma *vma)
{
	char target[PATH_MAX + 32];
	struct dirent *entry;
	int fd = -1, fds_fd;
	DIR *dir;

	fds_fd = openat(dirfd, "fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fds_fd < 0)
		return -1;
	dir = fdopendir(fds_fd);
	if (!dir) {
		close(fds_fd);
		return -1;
	}
	while (fd < 0 && (entry = readdir(dir))) {
		ssize_t n;

		if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
			continue;
		n = readlinkat(fds_fd, entry->d_name, target,
			       sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		/* A deleted file's link reads "path (deleted)", as maps. */
		if (xmm_maps_strip_deleted(target, (size_t)n) !=
		    !!(vma->flags & XMM_VMA_F_DELETED) ||
		    strcmp(target, vma->name))
			continue;
		fd = open_if_same(fds_fd, entry->d_name, mode, vma);
	}
	closedir(dir);
	return fd;
}

int xmm_vm_mmap_open_object(int dirfd, const struct xmm_vma *vma)
{
	/* A shared writable clone needs a writable object. */
	int mode = xmm_vm_mmap_shared(vma) && (vma->prot & PROT_WRITE) ?
		   O_RDWR : O_RDONLY;
	char name[64];
	int fd;

	/*
	 * map_files lists every VMA with a file, whatever maps names it
	 * ("[anon_shmem:name]" since Linux 6.2; inode 0 for System V
	 * segment 0); the others lead nowhere for special mappings.
	 */
	snprintf(name, sizeof(name), "map_files/%lx-%lx", vma->start,
		 vma->end);
	fd = open_if_same(dirfd, name, mode, vma);
	if (fd >= 0 || vma->name[0] != '/')
		return fd;
	fd = open_from_target_fds(dirfd, mode, vma);
	if (fd >= 0)
		return fd;
	if (!(vma->flags & XMM_VMA_F_DELETED))
		return open_if_same(AT_FDCWD, vma->name, mode, vma);
	return -1;
}
