// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * libFuzzer harness for the /proc/PID/maps parser (src/maps_parse.c):
 * arbitrary bytes in, and every record out must be sane: start <= end,
 * a name inside the buffer and terminated there, one class, prot bits
 * only.  AddressSanitizer catches any read or write outside the buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "maps_parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

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
	free(vmas);
	free(buf);
	return 0;
}
