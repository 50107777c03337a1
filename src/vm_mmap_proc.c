// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm_process_vm_mmap() fallbacks: what /proc tells about the source.
 *
 * /proc/PID/maps gives the VMA; /proc/PID/smaps its flags; the object
 * behind a file or shared VMA is opened through /proc/PID/map_files (which
 * needs CAP_CHECKPOINT_RESTORE, or CAP_SYS_ADMIN before Linux 5.9), else
 * through an open descriptor of the target, else by the path the maps line
 * shows; an object is accepted only when fstat() shows the device and
 * inode of the maps line, so that a renamed or replaced file is never
 * mapped in its place.
 */
#include "internal.h"
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

static FILE *open_proc(pid_t pid, const char *what)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", (int)pid, what);
	return fopen(path, "re");
}

/*
 * A proc file of the target could not be opened: why, as the kernel's.
 * Without /proc at all the fallbacks cannot serve (ENOSYS).
 */
static int proc_open_error(void)
{
	if (errno == ENOENT)
		return access("/proc/self", F_OK) == 0 ? -ESRCH : -ENOSYS;
	if (errno == EACCES)
		return -EPERM;
	return -errno;
}

/*
 * Parse one maps (or smaps header) line.  Returns true for a VMA line:
 * "start-end perms offset major:minor inode   path".
 */
static bool parse_vma_line(const char *line, struct xmm_vm_mmap_vma *vma)
{
	unsigned long start, end, inode;
	unsigned long long offset;
	unsigned int major, minor;
	char perms[5];
	int path_at = 0;
	size_t path_len;

	if (sscanf(line, "%lx-%lx %4s %llx %x:%x %lu %n", &start, &end, perms,
		   &offset, &major, &minor, &inode, &path_at) < 7 || !path_at)
		return false;
	vma->start = start;
	vma->end = end;
	vma->prot = (perms[0] == 'r' ? PROT_READ : 0) |
		    (perms[1] == 'w' ? PROT_WRITE : 0) |
		    (perms[2] == 'x' ? PROT_EXEC : 0);
	vma->shared = perms[3] == 's';
	vma->offset = offset;
	vma->dev_major = major;
	vma->dev_minor = minor;
	vma->inode = inode;
	path_len = strcspn(line + path_at, "\n");
	if (path_len >= sizeof(vma->path))
		path_len = sizeof(vma->path) - 1;
	memcpy(vma->path, line + path_at, path_len);
	vma->path[path_len] = '\0';
	return true;
}

int xmm_vm_mmap_find_vma(pid_t pid, uintptr_t addr,
			 struct xmm_vm_mmap_vma *vma)
{
	FILE *maps = open_proc(pid, "maps");
	char *line = NULL;
	size_t line_cap = 0;
	bool any = false;
	int ret = -EFAULT;

	if (!maps)
		return proc_open_error();
	while (getline(&line, &line_cap, maps) > 0) {
		if (!parse_vma_line(line, vma))
			continue;
		any = true;
		if (vma->start > addr)
			break;		/* lines come in address order */
		if (addr < vma->end) {
			ret = 0;
			break;
		}
	}
	/* A process without a single mapping has exited (or is a kernel
	 * thread): process_vm_readv answers ESRCH for both. */
	if (!any)
		ret = -ESRCH;
	free(line);
	fclose(maps);
	return ret;
}

/*
 * VmFlags the proposal refuses: hugetlb (ht), VM_IO (io), VM_PFNMAP (pf)
 * and VM_DONTEXPAND (de).
 */
static bool flags_refused(const char *vm_flags)
{
	static const char *const refused[] = { "ht", "io", "pf", "de" };
	const char *p = vm_flags;
	size_t i;

	while (*p) {
		size_t word = strcspn(p, " \n");

		for (i = 0; word == 2 && i < XMM_ARRAY_SIZE(refused); i++)
			if (!memcmp(p, refused[i], 2))
				return true;
		p += word;
		p += strspn(p, " \n");
	}
	return false;
}

/*
 * The VmFlags of vma in the target's smaps, as a malloc()ed line (NULL
 * for kernels before 3.8, which print none), or -errno (EFAULT: the VMA
 * went away since maps was read).
 */
static int read_vm_flags(pid_t pid, const struct xmm_vm_mmap_vma *vma,
			 char **vm_flags)
{
	FILE *smaps = open_proc(pid, "smaps");
	struct xmm_vm_mmap_vma seen;
	char *line = NULL;
	size_t line_cap = 0;
	bool inside = false;
	int ret = -EFAULT;

	*vm_flags = NULL;
	if (!smaps)
		return proc_open_error();
	while (getline(&line, &line_cap, smaps) > 0) {
		if (parse_vma_line(line, &seen)) {
			if (inside || seen.start > vma->start)
				break;
			inside = seen.start == vma->start &&
				 seen.end == vma->end;
			if (inside)
				ret = 0;
			continue;
		}
		if (inside && !strncmp(line, "VmFlags:", 8)) {
			*vm_flags = line;
			line = NULL;
			break;
		}
	}
	free(line);
	fclose(smaps);
	return ret;
}

int xmm_vm_mmap_vma_refused(pid_t pid, const struct xmm_vm_mmap_vma *vma)
{
	char *vm_flags;
	int ret = read_vm_flags(pid, vma, &vm_flags);

	if (ret == 0 && vm_flags && flags_refused(vm_flags + 8))
		ret = -EFAULT;
	free(vm_flags);
	return ret;
}

/* Does the VmFlags line hold the two-letter flag? */
static bool has_vm_flag(const char *vm_flags, const char *flag)
{
	const char *p = vm_flags + 8;

	while (*p) {
		size_t word = strcspn(p, " \n");

		if (word == 2 && !memcmp(p, flag, 2))
			return true;
		p += word;
		p += strspn(p, " \n");
	}
	return false;
}

int xmm_vm_mmap_vma_thp_advice(pid_t pid, const struct xmm_vm_mmap_vma *vma)
{
	char *vm_flags;
	int advice = 0;

	if (read_vm_flags(pid, vma, &vm_flags) < 0 || !vm_flags)
		return 0;
	if (has_vm_flag(vm_flags, "nh"))
		advice = MADV_NOHUGEPAGE;
	else if (has_vm_flag(vm_flags, "hg"))
		advice = MADV_HUGEPAGE;
	free(vm_flags);
	return advice;
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

static bool same_object(const struct stat *st,
			const struct xmm_vm_mmap_vma *vma)
{
	return st->st_dev == makedev(vma->dev_major, vma->dev_minor) &&
	       st->st_ino == (ino_t)vma->inode;
}

/*
 * Open path, and keep it only if it is the VMA's object.  fd or -1.  Only
 * regular files (memfd, shmem, SysV shm and shared anonymous memory are
 * regular files too): opening a device can have effects of its own.
 */
static int open_if_same(const char *path, int mode,
			const struct xmm_vm_mmap_vma *vma)
{
	struct stat st;
	int fd;

	if (stat(path, &st) < 0 || !S_ISREG(st.st_mode) ||
	    !same_object(&st, vma))
		return -1;
	fd = open(path, mode | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) < 0 || !same_object(&st, vma)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* An open descriptor of the target whose link reads as the maps path. */
static int open_from_target_fds(pid_t pid, int mode,
				const struct xmm_vm_mmap_vma *vma)
{
	char dir_path[64], link_path[64 + 256 + 2], target[sizeof(vma->path)];
	struct dirent *entry;
	DIR *dir;
	int fd = -1;

	snprintf(dir_path, sizeof(dir_path), "/proc/%d/fd", (int)pid);
	dir = opendir(dir_path);
	if (!dir)
		return -1;
	while (fd < 0 && (entry = readdir(dir))) {
		ssize_t n;

		if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
			continue;
		snprintf(link_path, sizeof(link_path), "%s/%s", dir_path,
			 entry->d_name);
		n = readlink(link_path, target, sizeof(target) - 1);
		if (n < 0)
			continue;
		target[n] = '\0';
		if (strcmp(target, vma->path))
			continue;
		fd = open_if_same(link_path, mode, vma);
	}
	closedir(dir);
	return fd;
}

static bool ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && !strcmp(s + n - m, suffix);
}

int xmm_vm_mmap_open_object(pid_t pid, const struct xmm_vm_mmap_vma *vma)
{
	/* A shared writable clone needs a writable object. */
	int mode = vma->shared && (vma->prot & PROT_WRITE) ? O_RDWR : O_RDONLY;
	char path[96];
	int fd;

	/*
	 * map_files lists every VMA with a file, whatever maps names it
	 * ("[anon_shmem:name]" since Linux 6.2; inode 0 for System V
	 * segment 0); the others lead nowhere for special mappings.
	 */
	snprintf(path, sizeof(path), "/proc/%d/map_files/%lx-%lx", (int)pid,
		 (unsigned long)vma->start, (unsigned long)vma->end);
	fd = open_if_same(path, mode, vma);
	if (fd >= 0 || vma->path[0] != '/')
		return fd;
	fd = open_from_target_fds(pid, mode, vma);
	if (fd >= 0)
		return fd;
	if (vma->path[0] == '/' && !ends_with(vma->path, " (deleted)"))
		return open_if_same(vma->path, mode, vma);
	return -1;
}
