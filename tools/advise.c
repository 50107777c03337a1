// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm advise PID --advice ADVICE: xmm_advise_process() on the command
 * line, with the report in human units or JSON.
 */
#include "xmm-tool.h"

#include <errno.h>
#include <fnmatch.h>
#include <getopt.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

/* Progress on a terminal once the target is this large. */
#define PROGRESS_MIN_BYTES	(1ULL << 30)
#define PROGRESS_MIN_VMAS	10000
#define PROGRESS_EVERY_NS	100000000ULL

static int cancel_requested;

static void on_interrupt(int sig)
{
	__atomic_store_n(&cancel_requested, 1, __ATOMIC_RELEASE);
}

static void advise_usage(FILE *out)
{
	fprintf(out,
"Usage: xmm advise PID --advice ADVICE [OPTIONS]\n"
"Apply ADVICE to the selected mappings of process PID with as few\n"
"process_madvise(2) calls as the kernel allows, and report what was done.\n\n"
"  -a, --advice ADVICE    cold, pageout, willneed, collapse, dontneed, free,\n"
"                         populate-read, populate-write, hugepage,\n"
"                         nohugepage, mergeable, unmergeable, or a number\n"
"  -s, --select WHAT      comma-separated classes: anon (with heap and\n"
"                         stack), file, shared, heap, stack, all (the\n"
"                         default); anything else is a pattern on the\n"
"                         mapping's path (fnmatch(3), e.g. '*libc*')\n"
"      --min-size SIZE    only mappings at least SIZE (e.g. 64K, 2M)\n"
"      --max-size SIZE    only mappings at most SIZE\n"
"  -e, --on-error POLICY  skip-vma (default), skip-page or stop\n"
"  -f, --freeze           hold the target still meanwhile (cgroup v2\n"
"                         freezer if it is alone in its cgroup, else\n"
"                         SIGSTOP and SIGCONT)\n"
"  -j, --json             print the report as JSON\n"
"  -h, --help             show this help\n\n"
"Advising another process needs CAP_SYS_NICE and ptrace read access.\n");
}

static int parse_select(const char *text, struct xmm_vma_select *select,
			char *pattern, size_t pattern_size)
{
	static const struct {
		const char *name;
		unsigned int classes;
	} names[] = {
		{ "anon", XMM_VMA_CLASS_ANON | XMM_VMA_CLASS_HEAP |
			  XMM_VMA_CLASS_STACK },
		{ "file", XMM_VMA_CLASS_FILE },
		{ "shared", XMM_VMA_CLASS_SHARED },
		{ "heap", XMM_VMA_CLASS_HEAP },
		{ "stack", XMM_VMA_CLASS_STACK },
		{ "all", XMM_VMA_CLASS_ALL },
	};
	const char *p = text;

	while (*p) {
		size_t len = strcspn(p, ","), i;
		bool found = false;

		for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
			if (strlen(names[i].name) == len &&
			    !strncmp(names[i].name, p, len)) {
				select->classes |= names[i].classes;
				found = true;
			}
		}
		if (!found) {
			/* A pattern may hold commas: take the rest. */
			if (select->pattern)
				return -1;
			snprintf(pattern, pattern_size, "%s", p);
			select->pattern = pattern;
			break;
		}
		p += len;
		if (*p == ',')
			p++;
	}
	return 0;
}

struct progress_state {
	bool enabled;
	bool shown;
	unsigned long long last_ns;
};

static int show_progress(const struct xmm_advise_report *r, void *arg)
{
	struct progress_state *p = arg;
	unsigned long long now = monotonic_ns();
	char done[32], total[32];

	if (p->enabled && now - p->last_ns >= PROGRESS_EVERY_NS) {
		p->last_ns = now;
		p->shown = true;
		fprintf(stderr, "\radvised %s of %s, %lu calls   ",
			human_bytes(r->bytes_advised, done, sizeof(done)),
			human_bytes(r->bytes_selected, total, sizeof(total)),
			r->calls);
	}
	return 0;
}

static const char *freeze_name(int frozen)
{
	switch (frozen) {
	case XMM_FREEZE_CGROUP:
		return "cgroup";
	case XMM_FREEZE_SIGSTOP:
		return "sigstop";
	case XMM_FREEZE_ALREADY:
		return "already";
	default:
		return "none";
	}
}

static void print_json(pid_t pid, int advice, const char *select_text,
		       const struct xmm_advise_report *r, int err)
{
	size_t i;

	printf("{\"pid\": %d, \"advice\": \"%s\", \"advice_value\": %d, "
	       "\"select\": ", (int)pid, advice_name(advice), advice);
	json_string(stdout, select_text);
	printf(",\n \"vmas_total\": %zu, \"vmas_selected\": %zu, "
	       "\"vmas_advised\": %zu,\n \"bytes_selected\": %llu, "
	       "\"bytes_advised\": %llu, \"calls\": %lu,\n \"errors\": %lu, "
	       "\"errors_by_errno\": {", r->vmas_total, r->vmas_selected,
	       r->vmas_advised, r->bytes_selected, r->bytes_advised, r->calls,
	       r->errors);
	for (i = 0; i < XMM_ADVISE_ERRNO_SLOTS && r->errno_count[i].err; i++)
		printf("%s\"%s\": %lu", i ? ", " : "",
		       errno_name(r->errno_count[i].err),
		       r->errno_count[i].count);
	if (r->errors_other)
		printf("%s\"other\": %lu", i ? ", " : "", r->errors_other);
	printf("},\n \"frozen\": \"%s\", \"elapsed_ns\": %llu, "
	       "\"cpu_ns\": %llu, \"maps_ns\": %llu,\n \"usage_before\": ",
	       freeze_name(r->frozen), r->elapsed_ns, r->cpu_ns, r->maps_ns);
	json_usage(stdout, &r->usage_before);
	printf(",\n \"usage_after\": ");
	json_usage(stdout, &r->usage_after);
	if (err) {
		const char *hint = error_hint("advise", err);

		printf(",\n \"error\": \"%s\", \"message\": ", errno_name(err));
		json_string(stdout, strerror(err));
		if (hint) {
			printf(", \"hint\": ");
			json_string(stdout, hint);
		}
	}
	printf("}\n");
}

static void print_usage_line(const char *label, unsigned long long before,
			     unsigned long long after)
{
	char a[32], b[32];

	printf("  %-10s %s -> %s\n", label, human_bytes(before, a, sizeof(a)),
	       human_bytes(after, b, sizeof(b)));
}

static void print_human(pid_t pid, int advice, const char *select_text,
			const struct xmm_advise_report *r)
{
	char a[32], b[32], c[32];
	size_t i;

	printf("pid %d: advice %s on %s\n", (int)pid, advice_name(advice),
	       select_text);
	printf("  %-10s %zu read, %zu selected, %zu advised\n", "mappings",
	       r->vmas_total, r->vmas_selected, r->vmas_advised);
	printf("  %-10s %s selected, %s advised\n", "bytes",
	       human_bytes(r->bytes_selected, a, sizeof(a)),
	       human_bytes(r->bytes_advised, b, sizeof(b)));
	printf("  %-10s %lu process_madvise\n", "calls", r->calls);
	printf("  %-10s", "errors");
	if (!r->errors)
		printf(" none");
	for (i = 0; i < XMM_ADVISE_ERRNO_SLOTS && r->errno_count[i].err; i++)
		printf(" %s %lu", errno_name(r->errno_count[i].err),
		       r->errno_count[i].count);
	if (r->errors_other)
		printf(" other %lu", r->errors_other);
	printf("\n");
	if (r->frozen != XMM_FREEZE_NONE)
		printf("  %-10s %s\n", "frozen", freeze_name(r->frozen));
	printf("  %-10s %s elapsed (maps %s), %s CPU\n", "time",
	       human_ns(r->elapsed_ns, a, sizeof(a)),
	       human_ns(r->maps_ns, b, sizeof(b)),
	       human_ns(r->cpu_ns, c, sizeof(c)));
	print_usage_line("RSS", r->usage_before.rss, r->usage_after.rss);
	print_usage_line("RSS anon", r->usage_before.rss_anon,
			 r->usage_after.rss_anon);
	print_usage_line("RSS file", r->usage_before.rss_file,
			 r->usage_after.rss_file);
	print_usage_line("RSS shmem", r->usage_before.rss_shmem,
			 r->usage_after.rss_shmem);
	print_usage_line("swap", r->usage_before.swap, r->usage_after.swap);
}

int cmd_advise(int argc, char **argv)
{
	static const struct option options[] = {
		{ "advice", required_argument, NULL, 'a' },
		{ "select", required_argument, NULL, 's' },
		{ "min-size", required_argument, NULL, 'm' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "on-error", required_argument, NULL, 'e' },
		{ "freeze", no_argument, NULL, 'f' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xmm_advise_options opts = {
		.on_error = XMM_ADVISE_ON_ERROR_SKIP_VMA,
		.flags = XMM_ADVISE_USAGE,
		.cancel = &cancel_requested,
	};
	struct xmm_vma_select select = { 0 };
	struct progress_state progress = { 0 };
	struct xmm_advise_report report;
	struct sigaction sa = { .sa_handler = on_interrupt };
	const char *select_text = "all";
	char pattern[4096];
	int opt, advice = -1, pidfd, status = EXIT_OK, ret, err = 0;
	bool json = false;
	pid_t pid;

	while ((opt = getopt_long(argc, argv, "a:s:e:fjh", options,
				  NULL)) != -1) {
		switch (opt) {
		case 'a':
			advice = advice_from_name(optarg);
			if (advice < 0)
				return usage_error("advise", "unknown advice "
						   "'%s'", optarg);
			break;
		case 's':
			select_text = optarg;
			if (parse_select(optarg, &select, pattern,
					 sizeof(pattern)) < 0)
				return usage_error("advise", "bad selection "
						   "'%s'", optarg);
			break;
		case 'm':
			if (!parse_size(optarg, &select.min_size))
				return usage_error("advise", "bad size '%s'",
						   optarg);
			break;
		case 'M':
			if (!parse_size(optarg, &select.max_size))
				return usage_error("advise", "bad size '%s'",
						   optarg);
			break;
		case 'e':
			if (!strcmp(optarg, "skip-vma"))
				opts.on_error = XMM_ADVISE_ON_ERROR_SKIP_VMA;
			else if (!strcmp(optarg, "skip-page"))
				opts.on_error = XMM_ADVISE_ON_ERROR_SKIP_PAGE;
			else if (!strcmp(optarg, "stop"))
				opts.on_error = XMM_ADVISE_ON_ERROR_STOP;
			else
				return usage_error("advise", "unknown error "
						   "policy '%s'", optarg);
			break;
		case 'f':
			opts.flags |= XMM_ADVISE_FREEZE;
			break;
		case 'j':
			json = true;
			break;
		case 'h':
			advise_usage(stdout);
			return EXIT_OK;
		default:
			return usage_error("advise", "bad option");
		}
	}
	if (optind != argc - 1)
		return usage_error("advise", "expected one PID");
	pid = parse_pid(argv[optind]);
	if (pid < 0)
		return usage_error("advise", "'%s' is not a PID", argv[optind]);
	if (advice < 0)
		return usage_error("advise", "--advice is required");
	if (select.max_size && select.min_size > select.max_size)
		return usage_error("advise", "--min-size exceeds --max-size");

	pidfd = open_target("advise", pid, &status);
	if (pidfd < 0)
		return status;

	/* Only a person watching a terminal wants progress, and only on a
	 * target large enough to take a while. */
	if (isatty(STDERR_FILENO)) {
		struct xmm_vma_list list;
		unsigned long long size = 0;
		size_t i;

		if (xmm_vma_read(pidfd, 0, &list) == 0) {
			for (i = 0; i < list.count; i++)
				size += list.vmas[i].end - list.vmas[i].start;
			progress.enabled = size >= PROGRESS_MIN_BYTES ||
					   list.count >= PROGRESS_MIN_VMAS;
			xmm_vma_list_free(&list);
		}
		progress.last_ns = monotonic_ns();
		opts.progress = show_progress;
		opts.progress_arg = &progress;
	}
	/* ^C cancels cleanly: a frozen target is thawed before we exit. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	ret = xmm_advise_process(pidfd, &select, advice, &opts, &report);
	if (ret < 0)
		err = errno;
	close(pidfd);
	if (progress.shown)
		fprintf(stderr, "\r%60s\r", "");

	/* Nothing read at all: no report worth printing. */
	if (err && !report.vmas_total && !json)
		return operation_error("advise", "reading the target", err);
	if (json)
		print_json(pid, advice, select_text, &report, err);
	else
		print_human(pid, advice, select_text, &report);
	if (err)
		return operation_error("advise", "process_madvise", err);
	if (report.errors && !report.bytes_advised) {
		fprintf(stderr, "xmm advise: every selected mapping failed "
			"(%s: %s)\n", errno_name(report.errno_count[0].err),
			strerror(report.errno_count[0].err));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}
