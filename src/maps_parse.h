/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The /proc/PID/maps parser: a pure function over a buffer, with no I/O
 * and no allocation, so that it can be fuzzed on its own (fuzz/).
 */
#ifndef XMM_SRC_MAPS_PARSE_H
#define XMM_SRC_MAPS_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include <xmm/vma.h>

/*
 * Parse the maps text in buf[0, len) into vmas[], at most max of them.
 * buf is modified and must have len + 1 bytes: each line's end becomes
 * '\0' (the last one at buf[len] when unterminated), so that every name
 * points into buf.  Lines that are not maps lines (missing fields,
 * numbers out of range, start > end) are skipped and counted in
 * *malformed.  Returns the number of records written.
 */
size_t xmm_maps_parse(char *buf, size_t len, struct xmm_vma *vmas,
		      size_t max, size_t *malformed);

/*
 * Parse one line, line[0, len), which holds no '\n'; line[len] must be
 * writable: it becomes the '\0' that ends the name.  False if the line
 * is not a maps line.
 */
bool xmm_maps_parse_line(char *line, size_t len, struct xmm_vma *vma);

/*
 * The line splitter of the streaming reader: parse the complete lines of
 * buf[0, len) (and, when eof, an unterminated last line, for which
 * buf[len] must be writable), calling each() with every record; the
 * record and its name live in buf.  Lines that do not parse are counted
 * in *malformed.  Stops early when each() answers non-zero, which is
 * stored in *stop (else 0).  Returns the bytes consumed: where the
 * incomplete last line starts, or len.  Lines laid out as the kernel
 * writes them, with at least 128 bytes of buf from their start, take a
 * fast path; the records are the same as xmm_maps_parse_line()'s.
 */
size_t xmm_maps_parse_lines(char *buf, size_t len, bool eof,
			    int (*each)(const struct xmm_vma *vma, void *arg),
			    void *arg, size_t *malformed, int *stop);

/* The number of lines in buf[0, len): a bound for xmm_maps_parse(). */
size_t xmm_maps_count_lines(const char *buf, size_t len);

/*
 * A name as maps prints it, name[0, len) and '\0' at name[len]: if it
 * ends in " (deleted)", cut that off and answer true.
 */
bool xmm_maps_strip_deleted(char *name, size_t len);

/* The class of a parsed mapping (XMM_VMA_CLASS_*). */
unsigned int xmm_maps_classify(const struct xmm_vma *vma);

#endif /* XMM_SRC_MAPS_PARSE_H */
