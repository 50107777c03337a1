// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for every parser of the /proc layer (src/procfs*.c,
 * src/maps_parse.c) other than the maps lines themselves (maps-fuzz.c):
 * arbitrary bytes in, and every answer must be sane; AddressSanitizer
 * catches any access outside the buffer.  Built once per parser with
 * -DFUZZ_PARSER=N (one harness each, its own corpus); without it the
 * first byte chooses.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "maps_parse.h"
#include "procfs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

enum parser {
	PARSER_SMAPS,		/* xmm_smaps_find_vm_flags() */
	PARSER_VM_FLAGS,	/* xmm_smaps_parse_vm_flags() */
	PARSER_STAT,		/* xmm_proc_parse_stat_state() */
	PARSER_STATUS,		/* xmm_proc_field_kib() */
	PARSER_MOUNTINFO,	/* xmm_proc_parse_cgroup2_mount() */
	PARSER_CGROUP,		/* xmm_proc_parse_cgroup_v2() */
	PARSER_NAME,		/* strip_deleted, classify, is_anon */
	PARSER_COUNT
};

/* A copy with one writable byte after it, as the parsers want. */
static char *copy_of(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1);

	if (!buf)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	return buf;
}

static void fuzz_smaps(const uint8_t *data, size_t size)
{
	uint64_t start = 0, flags = 0;
	char *buf;
	int ret;

	/* The address sought: the first 8 bytes. */
	if (size < 8)
		return;
	memcpy(&start, data, 8);
	buf = copy_of(data + 8, size - 8);
	ret = xmm_smaps_find_vm_flags(buf, size - 8, (uintptr_t)start, &flags);
	if (ret != 0 && ret != -EFAULT && ret != -ENODATA)
		abort();
	if (ret == 0 && (flags >> XMM_VMF_COUNT))
		abort();
	free(buf);
}

static void fuzz_vm_flags(const uint8_t *data, size_t size)
{
	char *buf = copy_of(data, size);
	uint64_t flags = xmm_smaps_parse_vm_flags(buf, size);

	if (flags >> XMM_VMF_COUNT)
		abort();
	/* An empty text holds no flag. */
	if (!size && flags)
		abort();
	free(buf);
}

static void fuzz_stat(const uint8_t *data, size_t size)
{
	char *buf = copy_of(data, size);
	char state = xmm_proc_parse_stat_state(buf, size);
	const char *paren = memchr(buf, ')', size);

	/* Any letter found follows a ')' of the text. */
	if (state != '?' && !paren)
		abort();
	free(buf);
}

static void fuzz_status(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {
		"VmRSS", "RssAnon", "VmSwap", "Pss", "Threads", "",
	};
	/* The text is '\0' terminated: cut at the first NUL as C would. */
	char *buf = copy_of(data, size);
	unsigned long long value = 0;
	size_t i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		int found = xmm_proc_field_kib(buf, keys[i], &value);

		if (found != 0 && found != 1)
			abort();
	}
	free(buf);
}

static void fuzz_mountinfo(const uint8_t *data, size_t size)
{
	char path[64];
	size_t room;
	char *buf;
	int ret;

	if (!size)
		return;
	room = 1 + data[0] % sizeof(path);	/* 1 to 64 bytes */
	buf = copy_of(data + 1, size - 1);
	memset(path, 'x', sizeof(path));
	ret = xmm_proc_parse_cgroup2_mount(buf, size - 1, path, room);
	if (ret != 0 && ret != -ENOENT)
		abort();
	if (ret == 0 && strnlen(path, room) >= room)
		abort();
	free(buf);
}

static void fuzz_cgroup(const uint8_t *data, size_t size)
{
	char *buf = copy_of(data, size);
	const char *path;
	size_t len;

	if (xmm_proc_parse_cgroup_v2(buf, size, &path, &len) == 0) {
		if (path < buf || path + len > buf + size || path[0] != '/')
			abort();
		if (memchr(path, '\n', len))
			abort();
	}
	free(buf);
}

static void fuzz_name(const uint8_t *data, size_t size)
{
	struct xmm_vma vma = { 0 };
	char *buf;
	size_t len;

	if (size < 2)
		return;
	vma.flags = data[0] & XMM_VMA_F_SHARED;
	vma.inode = data[1];
	buf = copy_of(data + 2, size - 2);
	len = strnlen(buf, size - 2);
	if (xmm_maps_strip_deleted(buf, len))
		vma.flags |= XMM_VMA_F_DELETED;
	vma.name = buf;
	vma.vma_class = xmm_maps_classify(&vma);
	if (xmm_proc_vma_is_anon(&vma) &&
	    ((vma.flags & XMM_VMA_F_SHARED) ||
	     vma.vma_class == XMM_VMA_CLASS_SPECIAL))
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned int parser;

#ifdef FUZZ_PARSER
	parser = FUZZ_PARSER;
#else
	if (!size)
		return 0;
	parser = data[0] % PARSER_COUNT;
	data++;
	size--;
#endif
	switch (parser) {
	case PARSER_SMAPS:
		fuzz_smaps(data, size);
		break;
	case PARSER_VM_FLAGS:
		fuzz_vm_flags(data, size);
		break;
	case PARSER_STAT:
		fuzz_stat(data, size);
		break;
	case PARSER_STATUS:
		fuzz_status(data, size);
		break;
	case PARSER_MOUNTINFO:
		fuzz_mountinfo(data, size);
		break;
	case PARSER_CGROUP:
		fuzz_cgroup(data, size);
		break;
	case PARSER_NAME:
		fuzz_name(data, size);
		break;
	}
	return 0;
}
