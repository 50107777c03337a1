// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading /proc/PID/maps: the whole list (xmm_vma_read()), a stream of
 * records, and the one mapping that holds an address.
 *
 * The text is read in large pieces through one buffer and parsed in
 * place (maps_parse.c): no stdio, no allocation per mapping.  Its cost
 * is the kernel's: generating the text takes several times longer than
 * parsing it.
 */
#include "internal.h"
#include "maps_parse.h"
#include "procfs.h"

#include <fcntl.h>
#include <linux/ioctl.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

/*
 * PROCMAP_QUERY (Linux 6.11, <linux/fs.h>), which Debian's 6.1 headers
 * lack: one mapping by address, from the maps fd, without generating the
 * text of every mapping before it.
 */
#ifndef PROCMAP_QUERY
struct procmap_query {
	uint64_t size;
	uint64_t query_flags;
	uint64_t query_addr;
	uint64_t vma_start;
	uint64_t vma_end;
	uint64_t vma_flags;
	uint64_t vma_page_size;
	uint64_t vma_offset;
	uint64_t inode;
	uint32_t dev_major;
	uint32_t dev_minor;
	uint32_t vma_name_size;
	uint32_t build_id_size;
	uint64_t vma_name_addr;
	uint64_t build_id_addr;
};

#define PROCMAP_QUERY		_IOWR('f', 17, struct procmap_query)
#define PROCMAP_QUERY_VMA_READABLE	0x01
#define PROCMAP_QUERY_VMA_WRITABLE	0x02
#define PROCMAP_QUERY_VMA_EXECUTABLE	0x04
#define PROCMAP_QUERY_VMA_SHARED	0x08
#endif

/* Is the node at path the memory device /dev/zero (1:5) of that inode? */
static bool is_dev_zero(const char *path, unsigned long long inode)
{
	struct stat node;

	return path[0] == '/' && stat(path, &node) == 0 &&
	       S_ISCHR(node.st_mode) && node.st_rdev == makedev(1, 5) &&
	       (unsigned long long)node.st_ino == inode;
}

bool xmm_proc_vma_is_anon(const struct xmm_vma *vma)
{
	if (vma->flags & XMM_VMA_F_SHARED)
		return false;
	switch (vma->vma_class) {
	case XMM_VMA_CLASS_ANON:
	case XMM_VMA_CLASS_HEAP:
	case XMM_VMA_CLASS_STACK:
		return true;
	case XMM_VMA_CLASS_FILE:
		return vma->inode && !(vma->flags & XMM_VMA_F_DELETED) &&
		       is_dev_zero(vma->name, vma->inode);
	default:
		return false;
	}
}

/*
 * The list is built from the stream: records in one array, the names in
 * one pool.  Both start at the sizes the last list needed, so that a
 * process read again costs one allocation each and no copy.
 */
static atomic_size_t last_count, last_names;

/*
 * Sixteen pages: the kernel's seq_file fills one page a read(2), so the
 * pages are gathered and parsed sixteen at a time (few lines fall on a
 * boundary); a buffer this small comes from the heap, warm, rather than
 * mapped fresh.
 */
#define STREAM_BUFFER	(64 * 1024)
#define STREAM_ROOM	4096

struct maps_stream {
	int (*each)(const struct xmm_vma *vma, void *arg);
	void *arg;
	size_t *malformed;
};

static size_t maps_lines(char *buf, size_t len, bool eof, void *arg,
			 int *stop)
{
	struct maps_stream *stream = arg;

	return xmm_maps_parse_lines(buf, len, eof, stream->each, stream->arg,
				    stream->malformed, stop);
}

/* room: as xmm_proc_stream_lines() takes it. */
static int maps_stream(int dirfd, size_t room,
		       int (*each)(const struct xmm_vma *vma, void *arg),
		       void *arg, size_t *malformed)
{
	struct maps_stream stream = { each, arg, malformed };
	int fd, ret;

	*malformed = 0;
	fd = xmm_proc_openat(dirfd, "maps", false);
	if (fd < 0)
		return fd;
	ret = xmm_proc_stream_lines(fd, STREAM_BUFFER, room, maps_lines,
				    &stream);
	close(fd);
	return ret;
}

struct list_state {
	struct xmm_vma_list *list;
	size_t capacity;
	char *names;
	size_t names_len;
	size_t names_capacity;
};

static int grow_records(struct list_state *state)
{
	struct xmm_vma_list *list = state->list;
	size_t capacity = state->capacity ? 2 * state->capacity : 256;
	struct xmm_vma *bigger = realloc(list->vmas,
					 capacity * sizeof(*bigger));

	if (!bigger)
		return -ENOMEM;
	list->vmas = bigger;
	state->capacity = capacity;
	return 0;
}

static int grow_names(struct list_state *state, size_t need)
{
	size_t capacity = state->names_capacity ?
			  2 * state->names_capacity : 16384;
	char *bigger;

	while (capacity - state->names_len < need)
		capacity *= 2;
	bigger = realloc(state->names, capacity);
	if (!bigger)
		return -ENOMEM;
	state->names = bigger;
	state->names_capacity = capacity;
	return 0;
}

static int keep_one(const struct xmm_vma *vma, void *arg)
{
	struct list_state *state = arg;
	struct xmm_vma_list *list = state->list;
	struct xmm_vma *record;
	size_t name_len;

	if (list->count == state->capacity && grow_records(state) < 0)
		return -ENOMEM;
	record = &list->vmas[list->count++];
	*record = *vma;
	record->name = NULL;	/* anonymous: "" once the pool is final */
	if (!vma->name[0])
		return 0;
	name_len = strlen(vma->name);
	if (state->names_capacity - state->names_len < name_len + 1 &&
	    grow_names(state, name_len + 1) < 0)
		return -ENOMEM;
	/* The pool may move while it grows: keep offsets (plus one) now. */
	memcpy(state->names + state->names_len, vma->name, name_len + 1);
	record->name = (const char *)(uintptr_t)(state->names_len + 1);
	state->names_len += name_len + 1;
	return 0;
}

int xmm_proc_maps_read(int dirfd, struct xmm_vma_list *list)
{
	struct list_state state = { .list = list };
	size_t i, hint;
	int ret;

	memset(list, 0, sizeof(*list));
	hint = atomic_load_explicit(&last_count, memory_order_relaxed);
	if (hint) {
		state.capacity = hint + hint / 8 + 16;
		list->vmas = malloc(state.capacity * sizeof(*list->vmas));
		if (!list->vmas)
			return -ENOMEM;
	}
	hint = atomic_load_explicit(&last_names, memory_order_relaxed);
	if (hint && grow_names(&state, hint + hint / 8 + 256) < 0) {
		free(list->vmas);
		list->vmas = NULL;
		return -ENOMEM;
	}
	ret = maps_stream(dirfd, STREAM_ROOM, keep_one, &state,
			  &list->malformed);
	list->storage = state.names;
	for (i = 0; i < list->count; i++) {
		uintptr_t offset = (uintptr_t)list->vmas[i].name;

		list->vmas[i].name = offset ? state.names + offset - 1 : "";
	}
	if (ret < 0) {
		free(list->vmas);
		free(list->storage);
		memset(list, 0, sizeof(*list));
		return ret;
	}
	atomic_store_explicit(&last_count, list->count, memory_order_relaxed);
	atomic_store_explicit(&last_names, state.names_len,
			      memory_order_relaxed);
	return 0;
}

int xmm_proc_maps_for_each(int dirfd,
			   int (*each)(const struct xmm_vma *vma, void *arg),
			   void *arg, size_t *malformed)
{
	return maps_stream(dirfd, STREAM_ROOM, each, arg, malformed);
}

/* A record with its name copied into out. */
static void keep_vma(const struct xmm_vma *vma, struct xmm_proc_vma *out)
{
	size_t name_len = strlen(vma->name);

	if (name_len >= sizeof(out->name))
		name_len = sizeof(out->name) - 1;
	out->vma = *vma;
	memcpy(out->name, vma->name, name_len);
	out->name[name_len] = '\0';
	out->vma.name = out->name;
}

struct scan_state {
	uintptr_t addr;
	struct xmm_proc_vma *out;
	bool any;
};

static int scan_one(const struct xmm_vma *vma, void *arg)
{
	struct scan_state *state = arg;

	state->any = true;
	if (vma->start > state->addr)
		return -EFAULT;	/* lines come in address order */
	if (state->addr >= vma->end)
		return 0;
	keep_vma(vma, state->out);
	return 1;
}

int xmm_proc_vma_scan(int dirfd, uintptr_t addr, struct xmm_proc_vma *out)
{
	struct scan_state state = { .addr = addr, .out = out };
	size_t malformed;
	int ret;

	/* It stops at the address: each page parsed as soon as it comes. */
	ret = maps_stream(dirfd, STREAM_BUFFER, scan_one, &state, &malformed);
	if (ret == 1)
		return 0;
	/* A process without a single mapping has exited (or is a kernel
	 * thread): process_vm_readv answers ESRCH for both. */
	if (ret >= 0 && !state.any)
		return -ESRCH;
	return ret < 0 ? ret : -EFAULT;
}

int xmm_proc_vma_query(int maps_fd, uintptr_t addr, struct xmm_proc_vma *out)
{
	struct procmap_query query = {
		.size = sizeof(query),
		.query_addr = addr,
		.vma_name_size = sizeof(out->name),
		.vma_name_addr = (uintptr_t)out->name,
	};
	struct xmm_vma *vma = &out->vma;
	size_t name_len;

	/* Cleared: valgrind does not know that the ioctl writes it. */
	memset(out->name, 0, sizeof(out->name));
	if (ioctl(maps_fd, PROCMAP_QUERY, &query) < 0) {
		/* Before 6.11: ENOTTY; a size the kernel refuses: EINVAL. */
		if (errno == ENOTTY || errno == EINVAL)
			return -ENOTTY;
		/* ENOENT: no mapping there; ESRCH: no mm at all. */
		if (errno == ENOENT)
			return -EFAULT;
		if (errno == ESRCH)
			return -ESRCH;
		/* ENOSYS, EPERM: a seccomp policy on ioctl(2). */
		return -EOPNOTSUPP;
	}
	memset(vma, 0, sizeof(*vma));
	vma->start = (unsigned long)query.vma_start;
	vma->end = (unsigned long)query.vma_end;
	vma->offset = query.vma_offset;
	vma->inode = query.inode;
	vma->dev_major = query.dev_major;
	vma->dev_minor = query.dev_minor;
	if (query.vma_flags & PROCMAP_QUERY_VMA_READABLE)
		vma->prot |= PROT_READ;
	if (query.vma_flags & PROCMAP_QUERY_VMA_WRITABLE)
		vma->prot |= PROT_WRITE;
	if (query.vma_flags & PROCMAP_QUERY_VMA_EXECUTABLE)
		vma->prot |= PROT_EXEC;
	if (query.vma_flags & PROCMAP_QUERY_VMA_SHARED)
		vma->flags |= XMM_VMA_F_SHARED;
	/* The name as maps prints it: " (deleted)" goes to the flags. */
	name_len = query.vma_name_size ? strnlen(out->name,
						 sizeof(out->name) - 1) : 0;
	out->name[name_len] = '\0';
	if (xmm_maps_strip_deleted(out->name, name_len))
		vma->flags |= XMM_VMA_F_DELETED;
	vma->name = out->name;
	vma->vma_class = xmm_maps_classify(vma);
	return 0;
}

/* 1 until PROCMAP_QUERY answers ENOTTY once; then maps alone. */
static atomic_int query_works = 1;

int xmm_proc_vma_at(int dirfd, uintptr_t addr, struct xmm_proc_vma *out)
{
	int fd, ret;

	if (atomic_load_explicit(&query_works, memory_order_relaxed)) {
		fd = xmm_proc_openat(dirfd, "maps", false);
		if (fd < 0)
			return fd;
		ret = xmm_proc_vma_query(fd, addr, out);
		close(fd);
		if (ret == -ENOTTY)
			atomic_store_explicit(&query_works, 0,
					      memory_order_relaxed);
		else if (ret != -EOPNOTSUPP)
			return ret;
	}
	return xmm_proc_vma_scan(dirfd, addr, out);
}
