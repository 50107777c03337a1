// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the /proc/PID/maps parser (src/maps_parse.c):
 * arbitrary bytes in, and every record out must be sane: start <= end,
 * a name inside the buffer and terminated there, one class, prot bits
 * only.  AddressSanitizer catches any read or write outside the buffer.
 * The whole-buffer parse (which takes the fast path on lines laid out as
 * the kernel lays them out) must give, record for record, what the
 * careful one-line parser gives for each line.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "maps_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int count_records(const struct xmm_vma *vma, void *arg)
{
	(*(size_t *)arg)++;
	return 0;
}

/*
 * Feed data in chunks of chunk bytes, as the streaming reader gets them
 * from read(2), carrying incomplete lines over: the records must be the
 * same as from the whole buffer at once.
 */
static size_t parse_in_chunks(const uint8_t *data, size_t size, size_t chunk,
			      size_t *malformed)
{
	char *buf = malloc(size + 1);
	size_t used = 0, fed = 0, count = 0;
	int stop;

	if (!buf)
		abort();
	*malformed = 0;
	for (;;) {
		size_t n = size - fed < chunk ? size - fed : chunk;
		size_t consumed;

		memcpy(buf + used, data + fed, n);
		used += n;
		fed += n;
		consumed = xmm_maps_parse_lines(buf, used, n == 0,
						count_records, &count,
						malformed, &stop);
		if (consumed > used || stop)
			abort();
		if (n == 0)
			break;
		used -= consumed;
		memmove(buf, buf + consumed, used);
	}
	free(buf);
	return count;
}

static bool same_record(const struct xmm_vma *a, const struct xmm_vma *b)
{
	return a->start == b->start && a->end == b->end &&
	       a->offset == b->offset && a->inode == b->inode &&
	       a->dev_major == b->dev_major && a->dev_minor == b->dev_minor &&
	       a->prot == b->prot && a->flags == b->flags &&
	       a->vma_class == b->vma_class && !strcmp(a->name, b->name);
}

/* Every line through xmm_maps_parse_line() alone: the same records. */
static void check_line_by_line(const uint8_t *data, size_t size,
			       const struct xmm_vma *vmas, size_t count,
			       size_t malformed)
{
	char *buf = malloc(size + 1), *line, *end;
	size_t n = 0, bad = 0;
	struct xmm_vma vma;

	if (!buf)
		abort();
	memcpy(buf, data, size);
	line = buf;
	end = buf + size;
	while (line < end) {
		char *nl = memchr(line, '\n', (size_t)(end - line));

		if (!nl)
			nl = end;
		if (nl == line) {
			/* empty */
		} else if (xmm_maps_parse_line(line, (size_t)(nl - line),
					       &vma)) {
			if (n >= count || !same_record(&vma, &vmas[n]))
				abort();
			n++;
		} else {
			bad++;
		}
		line = nl + 1;
	}
	if (n != count || bad != malformed)
		abort();
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* The parser may write one byte past the text: see its header. */
	char *buf = malloc(size + 1);
	struct xmm_vma *vmas;
	size_t max, count, malformed, i;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	max = xmm_maps_count_lines(buf, size);
	vmas = calloc(max ? max : 1, sizeof(*vmas));
	if (!vmas) {
		free(buf);
		return 0;
	}
	count = xmm_maps_parse(buf, size, vmas, max, &malformed);
	if (count + malformed > max)
		abort();
	for (i = 0; i < count; i++) {
		const struct xmm_vma *v = &vmas[i];
		unsigned int c = v->vma_class;

		if (v->start > v->end)
			abort();
		if (v->name < buf || v->name > buf + size)
			abort();
		if (strlen(v->name) > (size_t)(buf + size - v->name))
			abort();
		if (!c || (c & (c - 1)) ||
		    (c & ~(XMM_VMA_CLASS_ALL | XMM_VMA_CLASS_SPECIAL)))
			abort();
		if (v->prot & ~(unsigned int)(PROT_READ | PROT_WRITE |
					      PROT_EXEC))
			abort();
	}
	check_line_by_line(data, size, vmas, count, malformed);
	free(vmas);
	free(buf);

	if (size) {
		size_t chunk = 1 + data[0] % 97, chunk_malformed;

		if (parse_in_chunks(data, size, chunk, &chunk_malformed) !=
		    count || chunk_malformed != malformed)
			abort();
	}
	return 0;
}
