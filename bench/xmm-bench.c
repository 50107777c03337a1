// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm-bench: every speed promise of xmm measured against its baseline.
 *
 *   xmm-bench [--json FILE] [--header] [GROUP...]
 *   xmm-bench --list
 *
 * Prints Markdown table rows on standard output and, with --json, one JSON
 * object per row to FILE (appended).  bench/run.sh runs every group and
 * assembles the table.
 */
#include "bench.h"
#include "rows.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct group {
	const char *name;
	void (*run)(void);
} groups[] = {
	{ "references", bench_references },
	{ "madvise-call", bench_madvise_call },
	{ "remap-large", bench_remap_large },
	{ "remap-small", bench_remap_small },
	{ "vm-mmap-shared", bench_vm_mmap_shared },
	{ "vm-mmap-scale", bench_vm_mmap_scale },
	{ "vm-mmap-private", bench_vm_mmap_private },
	{ "injection", bench_injection },
	{ "injection-floor", bench_injection_floor },
	{ "vector-advice", bench_vector_advice },
	{ "advise-scale", bench_advise_scale },
};

static const struct group *find_group(const char *name)
{
	size_t i;

	for (i = 0; i < BENCH_ARRAY_SIZE(groups); i++)
		if (!strcmp(groups[i].name, name))
			return &groups[i];
	return NULL;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: xmm-bench [--json FILE] [--header] [GROUP...]\n"
		"       xmm-bench --list\n");
	return 2;
}

int main(int argc, char **argv)
{
	bool any = false;
	size_t i;
	int arg;

	for (arg = 1; arg < argc && argv[arg][0] == '-'; arg++) {
		if (!strcmp(argv[arg], "--list")) {
			for (i = 0; i < BENCH_ARRAY_SIZE(groups); i++)
				printf("%s\n", groups[i].name);
			return 0;
		} else if (!strcmp(argv[arg], "--header")) {
			bench_print_header();
		} else if (!strcmp(argv[arg], "--json") && arg + 1 < argc) {
			bench_json = fopen(argv[++arg], "a");
			if (!bench_json) {
				perror(argv[arg]);
				return 1;
			}
		} else {
			return usage();
		}
	}
	for (; arg < argc; arg++) {
		const struct group *group = find_group(argv[arg]);

		if (!group) {
			fprintf(stderr, "xmm-bench: no group %s\n", argv[arg]);
			return usage();
		}
		group->run();
		any = true;
	}
	if (!any && argc == 1) {
		bench_print_header();
		for (i = 0; i < BENCH_ARRAY_SIZE(groups); i++)
			groups[i].run();
	}
	if (bench_json)
		fclose(bench_json);
	return 0;
}
