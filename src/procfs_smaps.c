// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The VmFlags line of /proc/PID/smaps: two letters per flag of the
 * mapping (show_smap_vma_flags() in fs/proc/task_mmu.c), among them the
 * userfaultfd registrations um, uw and ui that no other file shows.
 */
#include "internal.h"
#include "maps_parse.h"
#include "procfs.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char vm_flag_names[XMM_VMF_OTHER][2] = {
	[XMM_VMF_RD] = "rd", [XMM_VMF_WR] = "wr", [XMM_VMF_EX] = "ex",
	[XMM_VMF_SH] = "sh", [XMM_VMF_MR] = "mr", [XMM_VMF_MW] = "mw",
	[XMM_VMF_ME] = "me", [XMM_VMF_MS] = "ms", [XMM_VMF_GD] = "gd",
	[XMM_VMF_PF] = "pf", [XMM_VMF_LO] = "lo", [XMM_VMF_IO] = "io",
	[XMM_VMF_SR] = "sr", [XMM_VMF_RR] = "rr", [XMM_VMF_DC] = "dc",
	[XMM_VMF_DE] = "de", [XMM_VMF_LF] = "lf", [XMM_VMF_AC] = "ac",
	[XMM_VMF_NR] = "nr", [XMM_VMF_HT] = "ht", [XMM_VMF_SF] = "sf",
	[XMM_VMF_AR] = "ar", [XMM_VMF_WF] = "wf", [XMM_VMF_DD] = "dd",
	[XMM_VMF_SD] = "sd", [XMM_VMF_MM] = "mm", [XMM_VMF_HG] = "hg",
	[XMM_VMF_NH] = "nh", [XMM_VMF_MG] = "mg", [XMM_VMF_UM] = "um",
	[XMM_VMF_UW] = "uw", [XMM_VMF_MT] = "mt", [XMM_VMF_UI] = "ui",
	[XMM_VMF_SS] = "ss", [XMM_VMF_SL] = "sl", [XMM_VMF_BT] = "bt",
	[XMM_VMF_GU] = "gu", [XMM_VMF_DP] = "dp",
};

static uint64_t vm_flag_bit(const char *word, size_t len)
{
	size_t i;

	if (len == 2)
		for (i = 0; i < XMM_ARRAY_SIZE(vm_flag_names); i++)
			if (word[0] == vm_flag_names[i][0] &&
			    word[1] == vm_flag_names[i][1])
				return 1ULL << i;
	return 1ULL << XMM_VMF_OTHER;
}

uint64_t xmm_smaps_parse_vm_flags(const char *text, size_t len)
{
	const char *p = text, *end = text + len;
	uint64_t flags = 0;

	while (p < end) {
		const char *word;

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		word = p;
		while (p < end && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (p > word)
			flags |= vm_flag_bit(word, (size_t)(p - word));
		if (p < end && *p == '\n')
			break;
	}
	return flags;
}

/* Field lines start with a capital ("Rss:"), headers with a hex digit. */
static bool may_be_header(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* The mappings sought, by their first address. */
struct smaps_search {
	size_t n;
	const uintptr_t *starts;
	uint64_t *flags;
	size_t found;		/* how many have their flags */
	size_t inside;		/* whose lines are being read; n: none */
	uintptr_t last;		/* the largest start: read no further */
};

/*
 * One line, line[0, len) with line[len] writable: 1 when the answer is
 * known (0, or -errno in *ret), else 0.
 */
static int smaps_line(struct smaps_search *search, char *line, size_t len,
		      int *ret)
{
	static const char key[] = "VmFlags:";
	const size_t key_len = sizeof(key) - 1;
	struct xmm_vma vma;
	size_t i;

	if (len >= key_len && !memcmp(line, key, key_len)) {
		if (search->inside == search->n)
			return 0;
		search->flags[search->inside] = xmm_smaps_parse_vm_flags(
			line + key_len, len - key_len);
		search->inside = search->n;
		if (++search->found < search->n)
			return 0;
		*ret = 0;
		return 1;
	}
	if (!len || !may_be_header(line[0]) ||
	    !xmm_maps_parse_line(line, len, &vma))
		return 0;
	/* The next mapping: the one being read had no VmFlags. */
	if (search->inside != search->n) {
		*ret = -ENODATA;
		return 1;
	}
	if (vma.start > search->last) {
		*ret = -EFAULT;
		return 1;
	}
	for (i = 0; i < search->n; i++)
		if (search->starts[i] == vma.start)
			search->inside = i;
	return 0;
}

/*
 * The lines of buf[0, len), the last one only when eof: 1 when the
 * answer is known (in *ret), else 0 and *consumed the bytes of whole
 * lines.
 */
static int smaps_lines(struct smaps_search *search, char *buf, size_t len,
		       bool eof, size_t *consumed, int *ret)
{
	char *line = buf, *end = buf + len;

	while (line < end) {
		char *eol = memchr(line, '\n', (size_t)(end - line));

		if (!eol && !eof)
			break;
		if (!eol)
			eol = end;	/* buf[len] is writable */
		if (smaps_line(search, line, (size_t)(eol - line), ret))
			return 1;
		line = eol + 1;
	}
	*consumed = line < end ? (size_t)(line - buf) : len;
	return 0;
}

static void search_init(struct smaps_search *search, size_t n,
			const uintptr_t *starts, uint64_t *flags)
{
	size_t i;

	search->n = n;
	search->starts = starts;
	search->flags = flags;
	search->found = 0;
	search->inside = n;
	search->last = 0;
	for (i = 0; i < n; i++)
		if (starts[i] > search->last)
			search->last = starts[i];
}

/* Where the text ends before every mapping was found. */
static int search_end(const struct smaps_search *search)
{
	return search->inside != search->n ? -ENODATA : -EFAULT;
}

int xmm_smaps_find_vm_flags(char *text, size_t len, uintptr_t start,
			    uint64_t *flags)
{
	struct smaps_search search;
	size_t consumed;
	int ret;

	search_init(&search, 1, &start, flags);
	if (!smaps_lines(&search, text, len, true, &consumed, &ret))
		return search_end(&search);
	return ret;
}

#define SMAPS_BUFFER	8192

struct smaps_stream {
	struct smaps_search *search;
	int ret;		/* the answer, once known */
};

/*
 * xmm_proc_stream_lines()'s parser: *stop = 1 once the answer is known;
 * at the end of the text without it, the answer is where it ended.
 */
static size_t smaps_stream_lines(char *buf, size_t len, bool eof, void *arg,
				 int *stop)
{
	struct smaps_stream *stream = arg;
	size_t consumed = len;

	*stop = smaps_lines(stream->search, buf, len, eof, &consumed,
			    &stream->ret);
	if (!*stop && eof)
		stream->ret = search_end(stream->search);
	return consumed;
}

/*
 * smaps is generated as it is read, one mapping at a time, each walking
 * its page tables: parse after every read(2), and read only up to the
 * last mapping sought.
 */
static int smaps_stream(int fd, struct smaps_search *search)
{
	struct smaps_stream stream = { search, -EFAULT };
	int ret = xmm_proc_stream_lines(fd, SMAPS_BUFFER, SMAPS_BUFFER,
					smaps_stream_lines, &stream);

	return ret < 0 ? ret : stream.ret;
}

#define VM_FLAGS_MAX	4

int xmm_proc_vm_flags_n(int dirfd, size_t n, const uintptr_t *addrs,
			uint64_t *flags)
{
	uintptr_t starts[VM_FLAGS_MAX];
	uint64_t found[VM_FLAGS_MAX];
	size_t i, j, which[VM_FLAGS_MAX], unique = 0;
	struct smaps_search search;
	struct xmm_proc_vma *vma;
	int fd, ret = 0;

	if (n > VM_FLAGS_MAX)
		return -EINVAL;
	vma = malloc(sizeof(*vma));
	if (!vma)
		return -ENOMEM;
	/* The mapping of each address, by PROCMAP_QUERY where it can. */
	for (i = 0; i < n && ret == 0; i++) {
		ret = xmm_proc_vma_at(dirfd, addrs[i], vma);
		if (ret < 0)
			break;
		for (j = 0; j < unique; j++)
			if (starts[j] == vma->vma.start)
				break;
		if (j == unique)
			starts[unique++] = vma->vma.start;
		which[i] = j;
	}
	free(vma);
	if (ret < 0 || !n)
		return ret;
	fd = xmm_proc_openat(dirfd, "smaps", false);
	if (fd < 0)
		return fd;
	search_init(&search, unique, starts, found);
	ret = smaps_stream(fd, &search);
	close(fd);
	if (ret < 0)
		return ret;
	for (i = 0; i < n; i++)
		flags[i] = found[which[i]];
	return 0;
}

int xmm_proc_vm_flags(int dirfd, uintptr_t addr, uint64_t *flags)
{
	return xmm_proc_vm_flags_n(dirfd, 1, &addr, flags);
}
