// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Parsing /proc/PID/maps.  A line is
 *
 *   start-end perms offset major:minor inode [spaces name]
 *
 * in hexadecimal except the decimal inode.  The name runs to the end of
 * the line and may hold spaces; the kernel escapes newlines in paths, so
 * a line never spans two.  Nothing here trusts the text: every number is
 * checked for overflow and every field for presence, because the parser
 * is also fed arbitrary bytes by the fuzzer.
 */
#include "maps_parse.h"

#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>

#define DELETED_SUFFIX	" (deleted)"

struct cursor {
	const char *p;
	const char *end;
};

/* Digit values plus one; 0 for anything that is not a hex digit. */
static const unsigned char digit_value_1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/*
 * A hexadecimal number no larger than max; false if there is none or it
 * is larger.  The digits are gathered without a bound check each: only a
 * number of more than 16 digits can overflow, and then only if one of
 * its leading digits is not a zero.  This loop is most of the parse.
 */
static inline __attribute__((always_inline)) bool
parse_hex(struct cursor *c, unsigned long long max, unsigned long long *value)
{
	const char *start = c->p, *p = c->p, *end = c->end;
	unsigned long long v = 0;

	while (p < end) {
		/* Not a digit: 0 - 1 wraps above any digit. */
		unsigned int d = digit_value_1[(unsigned char)*p] - 1U;

		if (d >= 16)
			break;
		v = v << 4 | d;
		p++;
	}
	c->p = p;
	if (p - start > 16) {
		const char *q;

		for (q = start; q < p - 16; q++)
			if (*q != '0')
				return false;
	}
	*value = v;
	return p != start && v <= max;
}

/* The same in decimal: the inode, the one decimal field. */
static inline __attribute__((always_inline)) bool
parse_decimal(struct cursor *c, unsigned long long max,
	      unsigned long long *value)
{
	unsigned long long v = 0, limit = max / 10;
	unsigned int last = (unsigned int)(max % 10);
	const char *start = c->p;

	while (c->p < c->end) {
		unsigned int d = (unsigned int)(unsigned char)*c->p - '0';

		if (d >= 10)
			break;
		if (v > limit || (v == limit && d > last))
			return false;
		v = v * 10 + d;
		c->p++;
	}
	*value = v;
	return c->p != start;
}

static bool expect(struct cursor *c, char ch)
{
	if (c->p >= c->end || *c->p != ch)
		return false;
	c->p++;
	return true;
}

static bool skip_spaces(struct cursor *c)
{
	const char *start = c->p;
	uint64_t word;

	/* The kernel pads before the name: eight spaces at a time first. */
	while (c->end - c->p >= 8) {
		memcpy(&word, c->p, sizeof(word));
		if (word != 0x2020202020202020ULL)
			break;
		c->p += 8;
	}
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t'))
		c->p++;
	return c->p != start;
}

static bool parse_perms(struct cursor *c, struct xmm_vma *vma)
{
	static const char want[3] = { 'r', 'w', 'x' };
	static const unsigned int bit[3] = { PROT_READ, PROT_WRITE, PROT_EXEC };
	int i;

	if (c->end - c->p < 4)
		return false;
	vma->prot = 0;
	for (i = 0; i < 3; i++) {
		if (c->p[i] == want[i])
			vma->prot |= bit[i];
		else if (c->p[i] != '-')
			return false;
	}
	if (c->p[3] == 's')
		vma->flags |= XMM_VMA_F_SHARED;
	else if (c->p[3] != 'p')
		return false;
	c->p += 4;
	return true;
}

/*
 * Shared anonymous memory, which the kernel counts in RssShmem: SysV
 * shm, memfd, POSIX shm in /dev/shm, MAP_SHARED|MAP_ANONYMOUS (a
 * deleted /dev/zero) and [anon_shmem:name] (Linux 6.2).
 */
static bool is_shmem(const struct xmm_vma *vma)
{
	const char *name = vma->name;

	/* Every such name starts with '/' or '[': most lines stop here. */
	if (name[0] != '/' && name[0] != '[')
		return false;
	if (!strncmp(name, "/SYSV", 5) || !strncmp(name, "/memfd:", 7) ||
	    !strncmp(name, "/dev/shm/", 9) ||
	    !strncmp(name, "[anon_shmem:", 12))
		return true;
	return (vma->flags & XMM_VMA_F_SHARED) &&
	       (vma->flags & XMM_VMA_F_DELETED) && !strcmp(name, "/dev/zero");
}

unsigned int xmm_maps_classify(const struct xmm_vma *vma)
{
	const char *name = vma->name;

	if (name[0] == '\0')	/* no name: anonymous, or a nameless file */
		return vma->inode == 0 ? XMM_VMA_CLASS_ANON :
					 XMM_VMA_CLASS_FILE;
	if (is_shmem(vma))
		return XMM_VMA_CLASS_SHMEM;
	if (name[0] == '[') {
		if (!strcmp(name, "[heap]"))
			return XMM_VMA_CLASS_HEAP;
		/* "[stack:TID]" is what kernels before 4.5 wrote. */
		if (!strcmp(name, "[stack]") || !strncmp(name, "[stack:", 7))
			return XMM_VMA_CLASS_STACK;
		if (!strncmp(name, "[anon:", 6))
			return XMM_VMA_CLASS_ANON;
		return XMM_VMA_CLASS_SPECIAL;
	}
	if (name[0] == '\0' && vma->inode == 0)
		return XMM_VMA_CLASS_ANON;
	return XMM_VMA_CLASS_FILE;
}

bool xmm_maps_strip_deleted(char *name, size_t len)
{
	size_t suffix_len = sizeof(DELETED_SUFFIX) - 1;

	if (len <= suffix_len ||
	    memcmp(name + len - suffix_len, DELETED_SUFFIX, suffix_len))
		return false;
	name[len - suffix_len] = '\0';
	return true;
}

bool xmm_maps_parse_line(char *line, size_t len, struct xmm_vma *vma)
{
	struct cursor c = { line, line + len };
	unsigned long long start, end, offset, major, minor, inode;
	char *name;
	size_t name_len;

	memset(vma, 0, sizeof(*vma));
	if (!parse_hex(&c, UINTPTR_MAX, &start) || !expect(&c, '-') ||
	    !parse_hex(&c, UINTPTR_MAX, &end) || !skip_spaces(&c) ||
	    !parse_perms(&c, vma) || !skip_spaces(&c) ||
	    !parse_hex(&c, UINT64_MAX, &offset) || !skip_spaces(&c) ||
	    !parse_hex(&c, UINT32_MAX, &major) || !expect(&c, ':') ||
	    !parse_hex(&c, UINT32_MAX, &minor) || !skip_spaces(&c) ||
	    !parse_decimal(&c, UINT64_MAX, &inode))
		return false;
	if (start > end)
		return false;
	/* The inode ends the fixed fields: a name, or nothing, follows. */
	if (c.p < c.end && !skip_spaces(&c))
		return false;

	name = (char *)c.p;
	name_len = (size_t)(c.end - c.p);
	name[name_len] = '\0';
	if (xmm_maps_strip_deleted(name, name_len))
		vma->flags |= XMM_VMA_F_DELETED;

	vma->start = (unsigned long)start;
	vma->end = (unsigned long)end;
	vma->offset = offset;
	vma->dev_major = (unsigned int)major;
	vma->dev_minor = (unsigned int)minor;
	vma->inode = inode;
	vma->name = name;
	vma->vma_class = xmm_maps_classify(vma);
	return true;
}

size_t xmm_maps_count_lines(const char *buf, size_t len)
{
	size_t lines = 0;
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));

		lines++;
		if (!nl)
			break;
		p = nl + 1;
	}
	return lines;
}

size_t xmm_maps_parse_lines(char *buf, size_t len, bool eof,
			    int (*each)(const struct xmm_vma *vma, void *arg),
			    void *arg, size_t *malformed, int *stop)
{
	char *line = buf, *end = buf + len;
	struct xmm_vma vma;

	*stop = 0;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));

		if (!nl && !eof)
			break;	/* the rest of this line is still to come */
		if (!nl)
			nl = end;	/* buf[len]: the caller's spare byte */
		if (nl == line) {
			/* an empty line: nothing */
		} else if (xmm_maps_parse_line(line, (size_t)(nl - line),
					       &vma)) {
			*stop = each(&vma, arg);
		} else {
			(*malformed)++;
		}
		line = nl + 1;
		if (*stop)
			break;
	}
	return line < end ? (size_t)(line - buf) : len;
}

struct parse_array {
	struct xmm_vma *vmas;
	size_t max;
	size_t count;
};

static int append(const struct xmm_vma *vma, void *arg)
{
	struct parse_array *array = arg;

	array->vmas[array->count++] = *vma;
	return array->count == array->max;
}

size_t xmm_maps_parse(char *buf, size_t len, struct xmm_vma *vmas,
		      size_t max, size_t *malformed)
{
	struct parse_array array = { .vmas = vmas, .max = max };
	int stop;

	*malformed = 0;
	if (max)
		xmm_maps_parse_lines(buf, len, true, append, &array,
				     malformed, &stop);
	return array.count;
}
