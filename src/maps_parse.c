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

/*
 * The name part of a line whose fixed fields are in *vma: name[0,
 * name_len), ended here with '\0' (name[name_len] is writable).
 */
static inline __attribute__((always_inline)) void
finish_line(char *name, size_t name_len, struct xmm_vma *vma)
{
	name[name_len] = '\0';
	vma->name = name;
	/* Most lines: xmm_maps_classify()'s first test, here. */
	if (!name_len) {
		vma->vma_class = vma->inode == 0 ? XMM_VMA_CLASS_ANON :
						   XMM_VMA_CLASS_FILE;
		return;
	}
	if (xmm_maps_strip_deleted(name, name_len))
		vma->flags |= XMM_VMA_F_DELETED;
	vma->vma_class = xmm_maps_classify(vma);
}

bool xmm_maps_parse_line(char *line, size_t len, struct xmm_vma *vma)
{
	struct cursor c = { line, line + len };
	unsigned long long start, end, offset, major, minor, inode;

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

	vma->start = (unsigned long)start;
	vma->end = (unsigned long)end;
	vma->offset = offset;
	vma->dev_major = (unsigned int)major;
	vma->dev_minor = (unsigned int)minor;
	vma->inode = inode;
	finish_line((char *)c.p, (size_t)(c.end - c.p), vma);
	return true;
}

/*
 * The fast path: lines exactly as the kernel writes them
 * (show_vma_header_prefix() in fs/proc/task_mmu.c): one space between
 * fields, perms of four letters, a space after the inode, then the
 * padded name or the newline.  The lines of one file share their field
 * widths (addresses of 12 digits, the offset of 8, the device of 2:2 on
 * a 64-bit machine), so the widths of the last line are tried first:
 * every load then sits at a known place, and the digits of start, end
 * and offset are checked and converted sixteen bytes a step, each field
 * independently of the others (the device numbers, two or three digits,
 * cost less digit by digit).  Whatever does not fit that layout goes to
 * the careful parser above, which decides; the fast path never answers
 * differently, only sooner.
 */
#define FIELD_MAX	16	/* hex digits of one field, at most */
/*
 * Bytes it may read from the line's start: the fixed part (five hex
 * fields of at most 16 digits, the inode's 19, the separators) and what
 * it looks at after it, with room to spare.
 */
#define FAST_READ	128

/* One field's width, and what the vector path needs of it, made once. */
struct maps_field {
	unsigned int width;
	unsigned int shift;	/* 4 * (16 - width) */
	uint64_t keep_lo;	/* the digits' bytes among the first 8 */
	uint64_t keep_hi;	/* and among the next 8 */
};

struct maps_layout {
	struct maps_field field[5];	/* start, end, offset, major, minor */
};

static void set_width(struct maps_field *field, unsigned int width)
{
	field->width = width;
	field->shift = 4 * (16 - width);
	field->keep_lo = width >= 8 ? ~0ULL : ~(~0ULL << (8 * width));
	field->keep_hi = width <= 8 ? 0 : ~0ULL >> (128 - 8 * width);
}

/* What a 64-bit kernel writes: 12-digit addresses, offset 8, dev 2:2. */
static void default_layout(struct maps_layout *layout)
{
	static const unsigned char widths[5] = { 12, 12, 8, 2, 2 };
	unsigned int i;

	for (i = 0; i < 5; i++)
		set_width(&layout->field[i], widths[i]);
}

/*
 * Exactly width (5 to 16) hex digits at p, 16 bytes readable from p, in
 * one vector (GCC's generic vectors: SSE2 on x86-64, NEON on arm64):
 * their value into *value, and true; false if one is not a digit.
 * Little-endian byte order only: the lanes are read as words.
 */
typedef uint8_t u8x16 __attribute__((vector_size(16)));
typedef uint16_t u16x8 __attribute__((vector_size(16)));
typedef uint32_t u32x4 __attribute__((vector_size(16)));
typedef uint64_t u64x2 __attribute__((vector_size(16)));

static inline __attribute__((always_inline)) bool
hex16_field(const char *p, const struct maps_field *field, uint64_t *value)
{
	u8x16 bytes, digit, letter, is_digit, is_letter, nibbles;
	u16x8 pairs;
	u32x4 quads;
	u64x2 octets, valid;
	uint64_t all;

	memcpy(&bytes, p, sizeof(bytes));
	digit = bytes - '0';
	letter = (bytes | 0x20) - 'a';
	is_digit = (u8x16)(digit < 10);
	is_letter = (u8x16)(letter < 6);
	nibbles = (digit & is_digit) | ((letter + 10) & is_letter);
	valid = (u64x2)(is_digit | is_letter);
	/* Nibble pairs, pairs of bytes, of halves: 8 digits a lane. */
	pairs = (u16x8)nibbles;
	pairs = ((pairs << 4) | (pairs >> 8)) & 0xff;
	quads = (u32x4)pairs;
	quads = ((quads << 8) | (quads >> 16)) & 0xffff;
	octets = (u64x2)quads;
	octets = ((octets << 16) | (octets >> 32)) & 0xffffffffULL;
	all = octets[0] << 32 | octets[1];
	*value = all >> field->shift;
	/* The first width bytes must all be digits. */
	return ((~valid[0] & field->keep_lo) |
		(~valid[1] & field->keep_hi)) == 0;
}

/*
 * Exactly width (1 to 16) hex digits at p, 16 bytes readable from p:
 * their value into *value, and true; false if one is not a digit.
 */
static inline __attribute__((always_inline)) bool
hex_field(const char *p, const struct maps_field *field, uint64_t *value)
{
	unsigned int i, bad = 0;
	uint64_t v = 0;

	if (field->width > 4 && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
		return hex16_field(p, field, value);
	/* A device number: a few digits cost less one by one. */
	for (i = 0; i < field->width; i++) {
		unsigned int d = digit_value_1[(unsigned char)p[i]];

		d -= 1U;	/* not a digit: wraps above 15 */
		bad |= d;
		v = v << 4 | (d & 15);
	}
	*value = v;
	return bad < 16;
}

/* The digits of a hex run at p, up to FIELD_MAX + 1. */
static unsigned int hex_run(const char *p)
{
	unsigned int n = 0;

	while (n <= FIELD_MAX && digit_value_1[(unsigned char)p[n]])
		n++;
	return n;
}

/*
 * The widths of the line at line (FAST_READ bytes readable), or false
 * when it is not laid out as the kernel lays it out.
 */
static bool learn_layout(const char *line, struct maps_layout *layout)
{
	static const char after[5] = { '-', ' ', ' ', ':', ' ' };
	const char *p = line;
	unsigned int i, n;

	for (i = 0; i < 5; i++) {
		n = hex_run(p);
		if (!n || n > FIELD_MAX || p[n] != after[i])
			return false;
		set_width(&layout->field[i], n);
		p += n + 1;
		if (i == 1)
			p += 5;	/* perms and their space */
	}
	return true;
}

/* The inode: 1 to 19 decimal digits (20 could overflow: the careful way). */
static inline __attribute__((always_inline)) bool
fast_decimal(const char **p, uint64_t *value)
{
	const char *q = *p, *last = q + 19;
	unsigned int d = (unsigned int)(unsigned char)*q - '0';
	uint64_t v = 0;

	if (d >= 10)
		return false;
	do {
		v = v * 10 + d;
		d = (unsigned int)(unsigned char)*++q - '0';
	} while (d < 10 && q < last);
	if (d < 10)
		return false;
	*value = v;
	*p = q;
	return true;
}

/*
 * The fixed fields of the line at line, FAST_READ bytes readable, laid
 * out as layout says: true with *vma filled but for its name and *rest
 * just past the inode.  False: not this layout.
 */
static inline __attribute__((always_inline)) bool
fast_fixed_fields(const char *line, const struct maps_layout *layout,
		  struct xmm_vma *vma, const char **rest)
{
	const unsigned int ws = layout->field[0].width;
	const unsigned int we = layout->field[1].width;
	const unsigned int wo = layout->field[2].width;
	const unsigned int wj = layout->field[3].width;
	const unsigned int wn = layout->field[4].width;
	const char *end_at = line + ws + 1, *perms = end_at + we + 1;
	const char *offset_at = perms + 5, *major_at = offset_at + wo + 1;
	const char *minor_at = major_at + wj + 1, *inode_at = minor_at + wn + 1;
	uint64_t start, end, offset, major, minor, inode;
	unsigned int r, w, x, s;
	bool ok;

	ok = end_at[-1] == '-' && perms[-1] == ' ' && offset_at[-1] == ' ' &&
	     major_at[-1] == ' ' && minor_at[-1] == ':' && inode_at[-1] == ' ';
	r = perms[0] == 'r';
	w = perms[1] == 'w';
	x = perms[2] == 'x';
	s = perms[3] == 's';
	ok &= (r | (perms[0] == '-')) & (w | (perms[1] == '-')) &
	      (x | (perms[2] == '-')) & (s | (perms[3] == 'p')) &
	      (perms[4] == ' ');
	ok &= hex_field(line, &layout->field[0], &start);
	ok &= hex_field(end_at, &layout->field[1], &end);
	ok &= hex_field(offset_at, &layout->field[2], &offset);
	ok &= hex_field(major_at, &layout->field[3], &major);
	ok &= hex_field(minor_at, &layout->field[4], &minor);
	if (!ok || !fast_decimal(&inode_at, &inode))
		return false;
	if (start > end || start > UINTPTR_MAX || end > UINTPTR_MAX ||
	    major > UINT32_MAX || minor > UINT32_MAX)
		return false;
	memset(vma, 0, sizeof(*vma));
	vma->start = (unsigned long)start;
	vma->end = (unsigned long)end;
	vma->prot = (r ? PROT_READ : 0) | (w ? PROT_WRITE : 0) |
		    (x ? PROT_EXEC : 0);
	vma->flags = s ? XMM_VMA_F_SHARED : 0;
	vma->offset = offset;
	vma->dev_major = (unsigned int)major;
	vma->dev_minor = (unsigned int)minor;
	vma->inode = inode;
	*rest = inode_at;
	return true;
}

/*
 * One line at line, with at least FAST_READ bytes of buf up to end:
 * 1 with *vma and *next (past its newline), 0 when the careful parser
 * must decide, -1 when its newline has not been read yet.
 */
static inline __attribute__((always_inline)) int
fast_line(char *line, char *end, bool eof, struct maps_layout *layout,
	  struct xmm_vma *vma, char **next)
{
	struct cursor c;
	const char *rest;
	char *nl;

	if (!fast_fixed_fields(line, layout, vma, &rest)) {
		if (!learn_layout(line, layout) ||
		    !fast_fixed_fields(line, layout, vma, &rest))
			return 0;
	}
	if (rest[0] == ' ' && rest[1] == '\n') {
		rest++;
		nl = (char *)rest;	/* the kernel's line without a name */
	} else if (rest[0] == '\n') {
		nl = (char *)rest;
	} else {
		c.p = rest;
		c.end = end;
		if (!skip_spaces(&c))
			return 0;
		nl = memchr(c.p, '\n', (size_t)(end - c.p));
		if (!nl && !eof)
			return -1;
		if (!nl)
			nl = end;	/* buf[len]: the caller's spare byte */
		rest = c.p;
	}
	finish_line((char *)rest, (size_t)(nl - rest), vma);
	*next = nl + 1;
	return 1;
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
	struct maps_layout layout;
	struct xmm_vma vma;

	*stop = 0;
	default_layout(&layout);
	while (line < end) {
		char *nl;

		if (end - line >= FAST_READ) {
			int fast = fast_line(line, end, eof, &layout, &vma,
					     &nl);

			if (fast < 0)
				break;	/* the rest of this line is to come */
			if (fast > 0) {
				*stop = each(&vma, arg);
				line = nl;
				if (*stop)
					break;
				continue;
			}
		}
		nl = memchr(line, '\n', (size_t)(end - line));
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
