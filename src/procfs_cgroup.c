// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The cgroup v2 facts the freezer needs from /proc: where the cgroup2
 * hierarchy is mounted (/proc/self/mountinfo) and which cgroup a process
 * is in (/proc/PID/cgroup).  Pure parsers over a buffer (fuzz/).
 */
#include "internal.h"
#include "procfs.h"

#include <string.h>

/* The next space-separated field of line[*at, len), or NULL. */
static const char *field(const char *line, size_t len, size_t *at,
			 size_t *field_len)
{
	size_t start;

	while (*at < len && line[*at] == ' ')
		(*at)++;
	start = *at;
	while (*at < len && line[*at] != ' ')
		(*at)++;
	*field_len = *at - start;
	return *field_len ? line + start : NULL;
}

/*
 * One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNT_POINT OPTIONS
 * [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS".  True for a cgroup2
 * mount of the hierarchy's root, with its mount point.
 */
static bool cgroup2_root_mount(const char *line, size_t len,
			       const char **mnt, size_t *mnt_len)
{
	static const char sep[] = " - cgroup2 ";
	const char *root, *f;
	size_t at = 0, n, root_len, i;

	/* The separator is the first " - " after the optional fields. */
	for (i = 0; i + sizeof(sep) - 1 <= len; i++)
		if (!memcmp(line + i, " - ", 3))
			break;
	if (i + sizeof(sep) - 1 > len ||
	    memcmp(line + i, sep, sizeof(sep) - 1))
		return false;
	len = i;
	for (n = 0; n < 3; n++)
		if (!field(line, len, &at, &root_len))
			return false;
	root = field(line, len, &at, &root_len);
	f = field(line, len, &at, mnt_len);
	if (!root || !f || root_len != 1 || root[0] != '/')
		return false;
	*mnt = f;
	return true;
}

int xmm_proc_parse_cgroup2_mount(const char *text, size_t len, char *path,
				 size_t size)
{
	const char *line = text, *end = text + len;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end, *mnt;
		size_t mnt_len;

		if (cgroup2_root_mount(line, (size_t)(eol - line), &mnt,
				       &mnt_len) && mnt_len < size) {
			memcpy(path, mnt, mnt_len);
			path[mnt_len] = '\0';
			return 0;
		}
		line = eol + 1;
	}
	return -ENOENT;
}

int xmm_proc_parse_cgroup_v2(const char *text, size_t len, const char **path,
			     size_t *path_len)
{
	const char *line = text, *end = text + len;

	while (line < end) {
		const char *nl = memchr(line, '\n', (size_t)(end - line));
		const char *eol = nl ? nl : end;

		/* The v2 line is "0::/path". */
		if (eol - line >= 4 && !memcmp(line, "0::/", 4)) {
			*path = line + 3;
			*path_len = (size_t)(eol - line - 3);
			return 0;
		}
		line = eol + 1;
	}
	return -ENOENT;
}
