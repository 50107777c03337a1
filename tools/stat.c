// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm stat: a process's memory by mapping class, with resident and
 * swapped sizes from pagemap: what one needs to decide what to advise.
 */
#include "xmm-tool.h"

#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/*
 * USS, the memory only this process maps: Private_Clean + Private_Dirty
 * of /proc/PID/smaps_rollup.  false when unreadable.
 */
static bool read_uss(pid_t pid, unsigned long long *uss)
{
	char path[64], line[256];
	unsigned long long kib, total = 0;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/smaps_rollup", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "Private_Clean: %llu kB", &kib) == 1 ||
		    sscanf(line, "Private_Dirty: %llu kB", &kib) == 1) {
			total += kib * 1024;
			found = true;
		}
	}
	fclose(f);
	*uss = total;
	return found;
}

static const unsigned int classes[] = {
	XMM_VMA_CLASS_ANON, XMM_VMA_CLASS_HEAP, XMM_VMA_CLASS_STACK,
	XMM_VMA_CLASS_FILE, XMM_VMA_CLASS_SHMEM, XMM_VMA_CLASS_SPECIAL,
};
#define CLASS_COUNT	(sizeof(classes) / sizeof(classes[0]))

struct class_total {
	unsigned long count;
	unsigned long long size, resident, swapped;
};

static void stat_usage(FILE *out)
{
	fprintf(out, "Usage: xmm stat [--json] PID\n"
		"Show the memory of process PID: RSS and swap, and its "
		"mappings by class\n(anon, heap, stack, file, shmem, "
		"special) with their size, resident and\nswapped bytes; RSS, "
		"PSS and USS (the memory only this process maps).\n\n"
		"  -j, --json   print JSON\n"
		"  -h, --help   show this help\n");
}

static void print_row(const char *name, const struct class_total *t)
{
	char size[32], resident[32], swapped[32];

	printf("%-8s %9lu %11s %11s %11s\n", name, t->count,
	       human_bytes(t->size, size, sizeof(size)),
	       human_bytes(t->resident, resident, sizeof(resident)),
	       human_bytes(t->swapped, swapped, sizeof(swapped)));
}

static void json_row(const char *name, const struct class_total *t,
		     bool last)
{
	printf("    \"%s\": {\"mappings\": %lu, \"size\": %llu, "
	       "\"resident\": %llu, \"swapped\": %llu}%s\n", name, t->count,
	       t->size, t->resident, t->swapped, last ? "" : ",");
}

int cmd_stat(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct class_total totals[CLASS_COUNT], all;
	unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
	struct xmm_mem_usage usage;
	struct xmm_vma_list list;
	unsigned long long uss = 0;
	int opt, pidfd, status = EXIT_OK, err;
	bool json = false, have_uss;
	size_t i, c;
	pid_t pid;
	char a[32], b[32], d[32], e[32], f[32];

	while ((opt = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			stat_usage(stdout);
			return EXIT_OK;
		default:
			return usage_error("stat", "bad option");
		}
	}
	if (optind != argc - 1)
		return usage_error("stat", "expected one PID");
	pid = parse_pid(argv[optind]);
	if (pid < 0)
		return usage_error("stat", "'%s' is not a PID", argv[optind]);
	pidfd = open_target("stat", &pid, &status);
	if (pidfd < 0)
		return status;
	if (xmm_mem_usage(pidfd, XMM_MEM_ROLLUP, &usage) < 0 &&
	    xmm_mem_usage(pidfd, 0, &usage) < 0) {
		status = operation_error("stat", "reading memory usage", errno);
		close(pidfd);
		return status;
	}
	have_uss = read_uss(pid, &uss);
	if (xmm_vma_read(pidfd, XMM_VMA_READ_PAGEMAP, &list) < 0 &&
	    xmm_vma_read(pidfd, 0, &list) < 0) {
		/* What status shows is still worth showing. */
		err = errno;
		if (!json)
			printf("pid %d: RSS %s (anon %s, file %s, shmem %s), "
			       "swap %s\n", (int)pid,
			       human_bytes(usage.rss, a, sizeof(a)),
			       human_bytes(usage.rss_anon, b, sizeof(b)),
			       human_bytes(usage.rss_file, d, sizeof(d)),
			       human_bytes(usage.rss_shmem, e, sizeof(e)),
			       human_bytes(usage.swap, f, sizeof(f)));
		status = access_error("stat", pid, "reading mappings", err);
		close(pidfd);
		return status;
	}
	close(pidfd);

	memset(totals, 0, sizeof(totals));
	memset(&all, 0, sizeof(all));
	for (i = 0; i < list.count; i++) {
		const struct xmm_vma *v = &list.vmas[i];

		for (c = 0; c < CLASS_COUNT; c++) {
			if (v->vma_class != classes[c])
				continue;
			totals[c].count++;
			totals[c].size += v->end - v->start;
			totals[c].resident += v->resident_pages * page;
			totals[c].swapped += v->swapped_pages * page;
		}
	}
	for (c = 0; c < CLASS_COUNT; c++) {
		all.count += totals[c].count;
		all.size += totals[c].size;
		all.resident += totals[c].resident;
		all.swapped += totals[c].swapped;
	}

	if (json) {
		printf("{\"pid\": %d, \"pagemap\": %s, \"usage\": ", (int)pid,
		       list.count && (list.vmas[0].flags & XMM_VMA_F_PAGEMAP) ?
		       "true" : "false");
		json_usage(stdout, &usage);
		if (have_uss)
			printf(", \"uss\": %llu", uss);
		printf(",\n  \"classes\": {\n");
		for (c = 0; c < CLASS_COUNT; c++)
			json_row(class_name(classes[c]), &totals[c], false);
		json_row("total", &all, true);
		printf("  }\n}\n");
	} else {
		printf("pid %d: RSS %s (anon %s, file %s, shmem %s), swap %s",
		       (int)pid, human_bytes(usage.rss, a, sizeof(a)),
		       human_bytes(usage.rss_anon, b, sizeof(b)),
		       human_bytes(usage.rss_file, d, sizeof(d)),
		       human_bytes(usage.rss_shmem, e, sizeof(e)),
		       human_bytes(usage.swap, f, sizeof(f)));
		if (usage.flags & XMM_MEM_ROLLUP)
			printf(", PSS %s",
			       human_bytes(usage.pss, a, sizeof(a)));
		if (have_uss)
			printf(", USS %s", human_bytes(uss, a, sizeof(a)));
		printf("\n\n%-8s %9s %11s %11s %11s\n", "CLASS", "MAPPINGS",
		       "SIZE", "RESIDENT", "SWAPPED");
		for (c = 0; c < CLASS_COUNT; c++)
			print_row(class_name(classes[c]), &totals[c]);
		print_row("total", &all);
		if (list.count && !(list.vmas[0].flags & XMM_VMA_F_PAGEMAP))
			printf("(resident and swapped need read access to "
			       "/proc/%d/pagemap)\n", (int)pid);
	}
	xmm_vma_list_free(&list);
	return EXIT_OK;
}
