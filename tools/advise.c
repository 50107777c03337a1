// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * xmm advise PID... --advice ADVICE: xmm_advise_process() on the command
 * line, for one or several processes or a cgroup, with one report per
 * process (human units or JSON) and a total.  Each target goes through
 * advise_target() alone; with --jobs N, several targets are advised at
 * once on the workers of an advice queue (xmm_queue(3)), at most N at a
 * time, and reported in the order given.
 */
#include "xmm-tool.h"

#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <xmm/queue.h>

#ifndef MADV_COLD
#define MADV_COLD		20
#endif
#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT		21
#endif
#ifndef MADV_COLLAPSE
#define MADV_COLLAPSE		25
#endif

/* Progress on a terminal once the target is this large. */
#define PROGRESS_MIN_BYTES	(1ULL << 30)
#define PROGRESS_MIN_VMAS	10000
#define PROGRESS_EVERY_NS	100000000ULL

#define MAX_PATTERNS		64

static int cancel_requested;
static volatile sig_atomic_t cancel_signal;

static void on_interrupt(int sig)
{
	cancel_signal = sig;
	__atomic_store_n(&cancel_requested, 1, __ATOMIC_RELEASE);
}

static void advise_usage(FILE *out)
{
	fprintf(out,
"Usage: xmm advise PID... --advice ADVICE [OPTIONS]\n"
"       xmm advise --cgroup PATH --advice ADVICE [OPTIONS]\n"
"Apply ADVICE to the selected mappings of each process with as few\n"
"process_madvise(2) calls as the kernel allows; report per process and\n"
"in total.  A thread ID stands for its process.\n\n"
"  -a, --advice ADVICE    what the kernel applies to another process:\n"
"                         cold, pageout, willneed, collapse; with --inject\n"
"                         any madvise(2) advice (dontneed, free, ...);\n"
"                         or a decimal number\n"
"  -s, --select WHAT      comma-separated, ORed: anon (private anonymous,\n"
"                         with heap and stack), heap, stack, file (files,\n"
"                         private and shared), shmem (SysV shm, memfd,\n"
"                         shared anonymous, /dev/shm), all (the default),\n"
"                         path:GLOB (fnmatch(3) on the mapping's path)\n"
"      --min-size SIZE    only mappings at least SIZE (e.g. 64K, 2M)\n"
"      --max-size SIZE    only mappings at most SIZE\n"
"  -e, --on-error POLICY  skip-vma (default), skip-page or stop\n"
"  -f, --freeze           hold the target still meanwhile (cgroup v2\n"
"                         freezer if it is alone in its cgroup, else\n"
"                         SIGSTOP and SIGCONT); 'xmm thaw' undoes it\n"
"  -c, --cgroup PATH      every process of a cgroup v2 (absolute, or\n"
"                         under the cgroup2 mount, /sys/fs/cgroup)\n"
"  -n, --dry-run          list the selected mappings per class, advise\n"
"                         nothing\n"
"      --jobs N           advise up to N processes at once (default 1)\n"
"      --inject           XMM_PMADV_INJECT: advice the kernel refuses\n"
"                         remotely runs as madvise(2) inside the target\n"
"      --unchecked-seccomp  XMM_PMADV_INJECT_UNCHECKED: inject even\n"
"                         where the target's seccomp filter is unknown\n"
"  -j, --json             print one JSON document\n"
"  -h, --help             show this help\n\n"
"A mapping the kernel refuses (mlocked, PFN-mapped, hugetlb, too small to\n"
"collapse) is skipped and reported; the rest is advised.  Exit status: 0\n"
"done, 1 failed, 2 bad usage, 3 nothing selected, 128+N interrupted by\n"
"signal N (SIGINT, SIGTERM).  Advising another process needs\n"
"CAP_SYS_NICE and ptrace read access.\n");
}

/* What the user asked for, shared by every target. */
struct advise_job {
	int advice;
	struct xmm_vma_select select;
	struct xmm_advise_options opts;
	const char *select_text;
	bool dry_run;
	unsigned int jobs;	/* targets advised at once */
	const char *patterns[MAX_PATTERNS];
	char *select_copy;
};

/* What one target gave. */
struct target_result {
	pid_t pid;
	int err;		/* 0, or why it failed */
	const char *failed_at;	/* what failed: "reading the target", ... */
	struct xmm_advise_report report;
	struct xmm_vma_list list;	/* --dry-run: the mappings read */
};

/* The hint for a target's error: why access is refused, if known. */
static const char *target_hint(const struct target_result *t)
{
	static char why[256];

	if ((t->err == EACCES || t->err == EPERM) &&
	    access_hint(t->pid, why, sizeof(why)))
		return why;
	return error_hint("advise", t->err);
}

static const struct {
	const char *name;
	unsigned int classes;
} class_names[] = {
	{ "anon", XMM_VMA_CLASS_ANON | XMM_VMA_CLASS_HEAP |
		  XMM_VMA_CLASS_STACK },
	{ "heap", XMM_VMA_CLASS_HEAP },
	{ "stack", XMM_VMA_CLASS_STACK },
	{ "file", XMM_VMA_CLASS_FILE },
	{ "shmem", XMM_VMA_CLASS_SHMEM },
	{ "all", XMM_VMA_CLASS_ALL },
};

/* Classes and path:GLOB patterns, comma-separated and ORed; 0 or -1. */
static int parse_select(struct advise_job *job, const char *text)
{
	char *copy = strdup(text), *item, *save = NULL;
	unsigned int classes = 0;
	size_t patterns = 0, i;

	if (!copy)
		return usage_error("advise", "out of memory");
	free(job->select_copy);
	job->select_copy = copy;
	for (item = strtok_r(copy, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		bool found = false;

		if (!strncmp(item, "path:", 5)) {
			if (!item[5])
				return usage_error("advise", "empty pattern "
						   "in '%s'", text);
			if (patterns == MAX_PATTERNS)
				return usage_error("advise", "more than %d "
						   "patterns", MAX_PATTERNS);
			job->patterns[patterns++] = item + 5;
			continue;
		}
		for (i = 0; i < sizeof(class_names) / sizeof(class_names[0]);
		     i++) {
			if (!strcmp(class_names[i].name, item)) {
				classes |= class_names[i].classes;
				found = true;
			}
		}
		if (found)
			continue;
		if (!strcmp(item, "shared"))
			return usage_error("advise", "unknown class 'shared': "
					   "shared files are in 'file', shared "
					   "memory in 'shmem'");
		return usage_error("advise", "unknown class '%s' (classes: "
				   "anon, heap, stack, file, shmem, all; a "
				   "path pattern is written path:GLOB)", item);
	}
	if (!classes && !patterns)
		return usage_error("advise", "empty selection '%s'", text);
	job->select.classes = classes;
	job->select.patterns = patterns ? job->patterns : NULL;
	job->select.pattern_count = patterns;
	job->select.flags = patterns ? XMM_VMA_SELECT_ANY : 0;
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

/* Why the kernel refused a mapping for this advice. */
static const char *skip_reason(int advice, int err)
{
	if (err != EINVAL)
		return strerror(err);
	switch (advice) {
	case MADV_COLD:
	case MADV_PAGEOUT:
		return "the kernel refuses this advice on locked (mlock), "
		       "PFN-mapped (VM_PFNMAP, VM_IO) and hugetlb mappings";
	case MADV_COLLAPSE:
		return "the kernel refuses to collapse a mapping smaller than "
		       "an aligned huge page, or one not eligible for "
		       "transparent huge pages";
	default:
		return "the kernel refuses this advice on these mappings";
	}
}

/* RSS groups as the kernel counts them: which classes fall in each. */
static const struct {
	const char *name;
	unsigned int classes;
} rss_groups[] = {
	{ "anon", XMM_VMA_CLASS_ANON | XMM_VMA_CLASS_HEAP |
		  XMM_VMA_CLASS_STACK },
	{ "file", XMM_VMA_CLASS_FILE },
	{ "shmem", XMM_VMA_CLASS_SHMEM },
};
#define RSS_GROUPS	(sizeof(rss_groups) / sizeof(rss_groups[0]))

static unsigned long long group_rss(const struct xmm_mem_usage *u,
				    size_t group)
{
	return group == 0 ? u->rss_anon : group == 1 ? u->rss_file :
	       u->rss_shmem;
}

/* One class's totals summed over the classes of a mask. */
static struct xmm_advise_class sum_classes(const struct xmm_advise_report *r,
					   unsigned int mask)
{
	struct xmm_advise_class sum = { 0 };
	int i;

	for (i = 0; i < XMM_VMA_CLASS_COUNT; i++) {
		const struct xmm_advise_class *c = &r->classes[i];

		if (!(mask & (1U << i)))
			continue;
		sum.vmas_selected += c->vmas_selected;
		sum.vmas_skipped += c->vmas_skipped;
		sum.bytes_selected += c->bytes_selected;
		sum.bytes_advised += c->bytes_advised;
		sum.bytes_skipped += c->bytes_skipped;
		if (!sum.skip_errno)
			sum.skip_errno = c->skip_errno;
	}
	return sum;
}

static void print_json_report(const struct advise_job *job,
			      const struct target_result *t)
{
	const struct xmm_advise_report *r = &t->report;
	size_t i;
	int c;

	printf("{\"pid\": %d, \"advice\": \"%s\", \"advice_value\": %d, "
	       "\"select\": ", (int)t->pid, advice_name(job->advice),
	       job->advice);
	json_string(stdout, job->select_text);
	printf(",\n \"vmas_total\": %zu, \"vmas_selected\": %zu, "
	       "\"vmas_advised\": %zu, \"vmas_skipped\": %zu,\n"
	       " \"bytes_selected\": %llu, \"bytes_advised\": %llu, "
	       "\"bytes_skipped\": %llu, \"calls\": %lu,\n \"errors\": %lu, "
	       "\"errors_by_errno\": {", r->vmas_total, r->vmas_selected,
	       r->vmas_advised, r->vmas_skipped, r->bytes_selected,
	       r->bytes_advised, r->bytes_skipped, r->calls, r->errors);
	for (i = 0; i < XMM_ADVISE_ERRNO_SLOTS && r->errno_count[i].err; i++)
		printf("%s\"%s\": %lu", i ? ", " : "",
		       errno_name(r->errno_count[i].err),
		       r->errno_count[i].count);
	if (r->errors_other)
		printf("%s\"other\": %lu", i ? ", " : "", r->errors_other);
	printf("},\n \"classes\": {");
	for (c = 0; c < XMM_VMA_CLASS_COUNT; c++) {
		const struct xmm_advise_class *k = &r->classes[c];

		printf("%s\n  \"%s\": {\"vmas_selected\": %zu, "
		       "\"bytes_selected\": %llu, \"bytes_advised\": %llu, "
		       "\"vmas_skipped\": %zu, \"bytes_skipped\": %llu",
		       c ? "," : "", class_name(1U << c), k->vmas_selected,
		       k->bytes_selected, k->bytes_advised, k->vmas_skipped,
		       k->bytes_skipped);
		if (k->skip_errno) {
			printf(", \"skip_errno\": \"%s\", \"skip_reason\": ",
			       errno_name(k->skip_errno));
			json_string(stdout, skip_reason(job->advice,
							k->skip_errno));
		}
		printf("}");
	}
	printf("},\n \"rss\": {");
	for (i = 0; i < RSS_GROUPS; i++)
		printf("%s\"%s\": {\"before\": %llu, \"after\": %llu}",
		       i ? ", " : "", rss_groups[i].name,
		       group_rss(&r->usage_before, i),
		       group_rss(&r->usage_after, i));
	printf("},\n \"frozen\": \"%s\", \"elapsed_ns\": %llu, "
	       "\"cpu_ns\": %llu, \"maps_ns\": %llu,\n \"usage_before\": ",
	       freeze_name(r->frozen), r->elapsed_ns, r->cpu_ns, r->maps_ns);
	json_usage(stdout, &r->usage_before);
	printf(",\n \"usage_after\": ");
	json_usage(stdout, &r->usage_after);
	if (t->err) {
		const char *hint = target_hint(t);

		printf(",\n \"error\": \"%s\", \"message\": ",
		       errno_name(t->err));
		json_string(stdout, strerror(t->err));
		if (hint) {
			printf(", \"hint\": ");
			json_string(stdout, hint);
		}
	}
	printf("}");
}

static void print_human_report(const struct advise_job *job,
			       const struct target_result *t)
{
	const struct xmm_advise_report *r = &t->report;
	char a[32], b[32], c[32], d[32], e[32];
	size_t i;
	int k;

	printf("pid %d: advice %s on %s\n", (int)t->pid,
	       advice_name(job->advice), job->select_text);
	printf("  %-10s %zu read, %zu selected, %zu advised, %zu skipped\n",
	       "mappings", r->vmas_total, r->vmas_selected, r->vmas_advised,
	       r->vmas_skipped);
	printf("  %-10s %s selected, %s advised, %s skipped\n", "bytes",
	       human_bytes(r->bytes_selected, a, sizeof(a)),
	       human_bytes(r->bytes_advised, b, sizeof(b)),
	       human_bytes(r->bytes_skipped, c, sizeof(c)));
	printf("  %-10s %-9s %10s %10s %10s   %s\n", "class", "mappings",
	       "selected", "advised", "skipped", "RSS before -> after");
	for (i = 0; i < RSS_GROUPS; i++) {
		struct xmm_advise_class s = sum_classes(r,
							rss_groups[i].classes);

		printf("  %-10s %-9zu %10s %10s %10s   %s -> %s\n",
		       rss_groups[i].name, s.vmas_selected,
		       human_bytes(s.bytes_selected, a, sizeof(a)),
		       human_bytes(s.bytes_advised, b, sizeof(b)),
		       human_bytes(s.bytes_skipped, c, sizeof(c)),
		       human_bytes(group_rss(&r->usage_before, i), d,
				   sizeof(d)),
		       human_bytes(group_rss(&r->usage_after, i), e,
				   sizeof(e)));
	}
	for (k = 0; k < XMM_VMA_CLASS_COUNT; k++) {
		const struct xmm_advise_class *s = &r->classes[k];

		if (!s->vmas_skipped)
			continue;
		printf("  %-10s %s: %zu mapping%s, %s: %s (%s)\n", "skipped",
		       class_name(1U << k), s->vmas_skipped,
		       s->vmas_skipped == 1 ? "" : "s",
		       human_bytes(s->bytes_skipped, a, sizeof(a)),
		       errno_name(s->skip_errno),
		       skip_reason(job->advice, s->skip_errno));
	}
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
	printf("  %-10s %s -> %s, swap %s -> %s\n", "RSS",
	       human_bytes(r->usage_before.rss, a, sizeof(a)),
	       human_bytes(r->usage_after.rss, b, sizeof(b)),
	       human_bytes(r->usage_before.swap, c, sizeof(c)),
	       human_bytes(r->usage_after.swap, d, sizeof(d)));
}

/* --dry-run: count what would be advised; keep the mappings for later. */
static int dry_run_target(const struct advise_job *job, int pidfd,
			  struct target_result *t)
{
	unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
	struct xmm_advise_report *r = &t->report;
	size_t i;

	if (xmm_vma_read(pidfd, XMM_VMA_READ_PAGEMAP, &t->list) < 0 &&
	    xmm_vma_read(pidfd, 0, &t->list) < 0)
		return -errno;
	r->vmas_total = t->list.count;
	for (i = 0; i < t->list.count; i++) {
		const struct xmm_vma *v = &t->list.vmas[i];
		struct xmm_advise_class *c;
		unsigned long size = v->end - v->start;

		if (xmm_vma_match(v, &job->select) != 1)
			continue;
		c = &r->classes[__builtin_ffs((int)v->vma_class) - 1];
		c->vmas_selected++;
		c->bytes_selected += size;
		/* No advice yet: bytes_advised holds the resident bytes. */
		c->bytes_advised += v->resident_pages * page;
		r->vmas_selected++;
		r->bytes_selected += size;
	}
	return 0;
}

/* The selected mappings, pmap -X style, then the totals per class. */
static void print_dry_run(const struct advise_job *job,
			  const struct target_result *t)
{
	unsigned long long page = (unsigned long long)sysconf(_SC_PAGESIZE);
	const struct xmm_advise_report *r = &t->report;
	bool first = true;
	char a[32], b[32];
	size_t i;
	int k;

	if (json_output)
		printf("{\"pid\": %d, \"dry_run\": true, \"advice\": \"%s\", "
		       "\"select\": ", (int)t->pid, advice_name(job->advice));
	else
		printf("pid %d: would advise %s on %s\n%18s %10s %10s %-6s "
		       "%s\n", (int)t->pid, advice_name(job->advice),
		       job->select_text, "Address", "Size", "Rss", "Class",
		       "Mapping");
	if (json_output) {
		json_string(stdout, job->select_text);
		printf(",\n \"mappings\": [");
	}
	for (i = 0; i < t->list.count; i++) {
		const struct xmm_vma *v = &t->list.vmas[i];
		unsigned long size = v->end - v->start;
		bool paged = v->flags & XMM_VMA_F_PAGEMAP;

		if (xmm_vma_match(v, &job->select) != 1)
			continue;
		if (json_output) {
			printf("%s\n  {\"start\": %lu, \"size\": %lu, "
			       "\"class\": \"%s\", \"name\": ",
			       first ? "" : ",", v->start, size,
			       class_name(v->vma_class));
			json_string(stdout, v->name);
			if (paged)
				printf(", \"resident\": %llu",
				       v->resident_pages * page);
			printf("}");
			first = false;
			continue;
		}
		printf("%18lx %10s %10s %-6s %s\n", v->start,
		       human_bytes(size, a, sizeof(a)),
		       paged ? human_bytes(v->resident_pages * page, b,
					   sizeof(b)) : "?",
		       class_name(v->vma_class), v->name);
	}
	if (json_output) {
		printf("],\n \"vmas_total\": %zu, \"vmas_selected\": %zu, "
		       "\"bytes_selected\": %llu, \"classes\": {",
		       r->vmas_total, r->vmas_selected, r->bytes_selected);
		for (k = 0; k < XMM_VMA_CLASS_COUNT; k++)
			printf("%s\"%s\": {\"vmas_selected\": %zu, "
			       "\"bytes_selected\": %llu, \"resident\": %llu}",
			       k ? ", " : "", class_name(1U << k),
			       r->classes[k].vmas_selected,
			       r->classes[k].bytes_selected,
			       r->classes[k].bytes_advised);
		printf("}}");
		return;
	}
	for (k = 0; k < XMM_VMA_CLASS_COUNT; k++) {
		const struct xmm_advise_class *c = &r->classes[k];

		if (!c->vmas_selected)
			continue;
		printf("%18s %10s %10s %-6s %zu mapping%s\n", "class total",
		       human_bytes(c->bytes_selected, a, sizeof(a)),
		       human_bytes(c->bytes_advised, b, sizeof(b)),
		       class_name(1U << k), c->vmas_selected,
		       c->vmas_selected == 1 ? "" : "s");
	}
	printf("%18s %10s %10s %-6s %zu of %zu mappings\n", "total",
	       human_bytes(r->bytes_selected, a, sizeof(a)), "", "",
	       r->vmas_selected, r->vmas_total);
}

/* The process a PID names (a thread's, if it is one): its pidfd, or -1. */
static int open_advise_target(pid_t pid, struct target_result *t)
{
	pid_t tgid = task_tgid(pid);
	int pidfd;

	memset(t, 0, sizeof(*t));
	t->pid = pid;
	if (tgid == -ESRCH) {
		t->failed_at = "no such process";
		t->err = ESRCH;
		return -1;
	}
	if (tgid > 0 && tgid != pid) {
		fprintf(stderr, "xmm advise: %d is a thread of process %d: "
			"advising the process\n", (int)pid, (int)tgid);
		t->pid = pid = tgid;
	}
	pidfd = xmm_pidfd_open(pid, 0);
	if (pidfd < 0) {
		t->failed_at = "pidfd_open";
		t->err = errno;
	}
	return pidfd;
}

/*
 * Everything done for one target, printing nothing: open it, advise it
 * (or list it), fill t.  Returns t->err as 0 or an errno.
 */
static int advise_target(const struct advise_job *job, pid_t pid,
			 struct progress_state *progress,
			 struct target_result *t)
{
	struct xmm_advise_options opts = job->opts;
	int pidfd, ret;

	pidfd = open_advise_target(pid, t);
	if (pidfd < 0)
		return t->err;
	if (job->dry_run) {
		ret = dry_run_target(job, pidfd, t);
		close(pidfd);
		if (ret < 0) {
			t->failed_at = "reading the target";
			t->err = -ret;
		}
		return t->err;
	}
	/* Only a person watching a terminal wants progress, and only on a
	 * target large enough to take a while. */
	if (progress) {
		struct xmm_vma_list list;
		unsigned long long size = 0;
		size_t i;

		if (xmm_vma_read(pidfd, 0, &list) == 0) {
			for (i = 0; i < list.count; i++)
				size += list.vmas[i].end - list.vmas[i].start;
			progress->enabled = size >= PROGRESS_MIN_BYTES ||
					    list.count >= PROGRESS_MIN_VMAS;
			xmm_vma_list_free(&list);
		}
		progress->last_ns = monotonic_ns();
		opts.progress = show_progress;
		opts.progress_arg = progress;
	}
	ret = xmm_advise_process(pidfd, &job->select, job->advice, &opts,
				 &t->report);
	if (ret < 0) {
		t->err = errno;
		t->failed_at = "advising";
	}
	close(pidfd);
	return t->err;
}

/*
 * Advise count targets at once through an advice queue, at most job->jobs
 * at a time, into results[i] for pids[i].  ^C or SIGTERM stops the ones
 * running (job->opts.cancel) and cancels the ones still waiting.  0, or
 * an errno when the queue itself failed.
 */
static int advise_concurrently(const struct advise_job *job,
			       const pid_t *pids, size_t count,
			       struct target_result *results)
{
	struct xmm_queue_completion done[16];
	struct xmm_queue *queue = xmm_queue_create(job->jobs, 0);
	size_t i, waiting = 0;
	bool cancelled = false;
	int pidfd, n;

	if (!queue)
		return errno;
	for (i = 0; i < count; i++) {
		pidfd = open_advise_target(pids[i], &results[i]);
		if (pidfd < 0)
			continue;
		/* The queue keeps a copy of the pidfd. */
		if (xmm_queue_submit_process(queue, pidfd, &job->select,
					     job->advice, &job->opts,
					     &results[i].report, i) < 0) {
			results[i].err = errno;
			results[i].failed_at = "queueing";
		} else {
			waiting++;
		}
		close(pidfd);
	}
	while (waiting) {
		struct pollfd pfd = { xmm_queue_fd(queue), POLLIN, 0 };

		if (!cancelled &&
		    __atomic_load_n(&cancel_requested, __ATOMIC_ACQUIRE)) {
			for (i = 0; i < count; i++)
				xmm_queue_cancel(queue, i);
			cancelled = true;
		}
		/* A signal interrupts the wait, to cancel the rest. */
		if (poll(&pfd, 1, -1) < 0 && errno != EINTR)
			break;
		n = xmm_queue_reap(queue, done, 16);
		while (n-- > 0) {
			struct target_result *t = &results[done[n].token];

			if (done[n].advised < 0) {
				t->err = done[n].error;
				t->failed_at = "advising";
			}
			waiting--;
		}
	}
	/* Waits for anything still running (only after a poll error). */
	xmm_queue_destroy(queue);
	return 0;
}

/* The PIDs of a cgroup v2 (cgroup.procs), appended to *pids. */
static int cgroup_pids(const char *path, pid_t **pids, size_t *count)
{
	char file[PATH_MAX], root[PATH_MAX];
	FILE *f;
	int pid;

	if (path[0] == '/')
		snprintf(file, sizeof(file), "%s/cgroup.procs", path);
	else
		snprintf(file, sizeof(file), "%s/%s/cgroup.procs",
			 cgroup2_root(root, sizeof(root)), path);
	f = fopen(file, "re");
	if (!f)
		return message_error("advise", errno == ENOENT ? EXIT_USAGE :
				     EXIT_FAILED, errno_name(errno),
				     "cgroup %s: %s: %s", path, file,
				     strerror(errno));
	while (fscanf(f, "%d", &pid) == 1) {
		pid_t *more = realloc(*pids, (*count + 1) * sizeof(**pids));

		if (!more) {
			fclose(f);
			return message_error("advise", EXIT_FAILED, "ENOMEM",
					     "out of memory");
		}
		*pids = more;
		(*pids)[(*count)++] = pid;
	}
	fclose(f);
	return 0;
}

static void add_report(struct xmm_advise_report *total,
		       const struct xmm_advise_report *r)
{
	int k;

	total->vmas_total += r->vmas_total;
	total->vmas_selected += r->vmas_selected;
	total->vmas_advised += r->vmas_advised;
	total->vmas_skipped += r->vmas_skipped;
	total->bytes_selected += r->bytes_selected;
	total->bytes_advised += r->bytes_advised;
	total->bytes_skipped += r->bytes_skipped;
	total->calls += r->calls;
	total->errors += r->errors;
	total->elapsed_ns += r->elapsed_ns;
	total->usage_before.rss += r->usage_before.rss;
	total->usage_after.rss += r->usage_after.rss;
	total->usage_before.swap += r->usage_before.swap;
	total->usage_after.swap += r->usage_after.swap;
	for (k = 0; k < XMM_VMA_CLASS_COUNT; k++) {
		total->classes[k].vmas_selected +=
			r->classes[k].vmas_selected;
		total->classes[k].bytes_selected +=
			r->classes[k].bytes_selected;
		total->classes[k].bytes_advised +=
			r->classes[k].bytes_advised;
	}
}

static void print_total(const struct xmm_advise_report *t, size_t processes,
			size_t failed)
{
	char a[32], b[32], c[32], d[32], e[32];

	if (json_output) {
		printf("{\"processes\": %zu, \"failed\": %zu, "
		       "\"vmas_selected\": %zu, \"vmas_advised\": %zu, "
		       "\"vmas_skipped\": %zu, \"bytes_selected\": %llu, "
		       "\"bytes_advised\": %llu, \"bytes_skipped\": %llu, "
		       "\"calls\": %lu, \"errors\": %lu, \"rss_before\": %llu, "
		       "\"rss_after\": %llu}", processes, failed,
		       t->vmas_selected, t->vmas_advised, t->vmas_skipped,
		       t->bytes_selected, t->bytes_advised, t->bytes_skipped,
		       t->calls, t->errors, t->usage_before.rss,
		       t->usage_after.rss);
		return;
	}
	printf("total: %zu process%s (%zu failed), %zu mappings selected, "
	       "%s advised, %s skipped; RSS %s -> %s, %s elapsed "
	       "(summed over the processes)\n",
	       processes, processes == 1 ? "" : "es", failed,
	       t->vmas_selected, human_bytes(t->bytes_advised, a, sizeof(a)),
	       human_bytes(t->bytes_skipped, b, sizeof(b)),
	       human_bytes(t->usage_before.rss, c, sizeof(c)),
	       human_bytes(t->usage_after.rss, d, sizeof(d)),
	       human_ns(t->elapsed_ns, e, sizeof(e)));
}

/* Report one target; its exit status alone. */
static int report_target(const struct advise_job *job,
			 const struct target_result *t, bool first)
{
	if (json_output && !first)
		printf(",\n");
	if (t->err == ESRCH && !t->report.vmas_total) {
		const char *what = t->failed_at &&
				   !strcmp(t->failed_at, "no such process") ?
				   "no process with PID %d" :
				   "process %d exited";

		fprintf(stderr, "xmm advise: ");
		fprintf(stderr, what, (int)t->pid);
		fprintf(stderr, "\n");
		if (json_output) {
			printf("{\"pid\": %d, \"error\": \"ESRCH\", "
			       "\"message\": ", (int)t->pid);
			json_string(stdout, t->failed_at);
			printf("}");
		}
		return EXIT_FAILED;
	}
	if (job->dry_run && !t->err) {
		print_dry_run(job, t);
		return t->report.vmas_selected ? EXIT_OK : EXIT_NOTHING;
	}
	if (t->err && !t->report.vmas_total) {
		const char *hint = target_hint(t);

		fprintf(stderr, "xmm advise: pid %d: %s: %s%s%s%s\n",
			(int)t->pid, t->failed_at, strerror(t->err),
			hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
		if (json_output) {
			printf("{\"pid\": %d, \"error\": \"%s\", \"message\": ",
			       (int)t->pid, errno_name(t->err));
			json_string(stdout, strerror(t->err));
			if (hint) {
				printf(", \"hint\": ");
				json_string(stdout, hint);
			}
			printf("}");
		}
		return EXIT_FAILED;
	}
	if (json_output)
		print_json_report(job, t);
	else
		print_human_report(job, t);
	if (t->err == ECANCELED)
		return cancel_signal ? 128 + cancel_signal : EXIT_FAILED;
	if (t->err) {
		const char *hint = target_hint(t);

		fprintf(stderr, "xmm advise: pid %d: %s: %s%s%s%s\n",
			(int)t->pid, t->failed_at, strerror(t->err),
			hint ? " (" : "", hint ? hint : "", hint ? ")" : "");
		return EXIT_FAILED;
	}
	if (!t->report.vmas_selected)
		return EXIT_NOTHING;
	if (t->report.errors && !t->report.bytes_advised) {
		fprintf(stderr, "xmm advise: pid %d: every selected mapping "
			"failed (%s: %s)\n", (int)t->pid,
			errno_name(t->report.errno_count[0].err),
			strerror(t->report.errno_count[0].err));
		return EXIT_FAILED;
	}
	return EXIT_OK;
}

/* May another process be given this advice without injection? */
static bool remote_advice(int advice)
{
	return advice == MADV_COLD || advice == MADV_PAGEOUT ||
	       advice == MADV_WILLNEED || advice == MADV_COLLAPSE;
}

static int parse_options(int argc, char **argv, struct advise_job *job,
			 const char **cgroup)
{
	static const struct option options[] = {
		{ "advice", required_argument, NULL, 'a' },
		{ "select", required_argument, NULL, 's' },
		{ "min-size", required_argument, NULL, 'm' },
		{ "max-size", required_argument, NULL, 'M' },
		{ "on-error", required_argument, NULL, 'e' },
		{ "freeze", no_argument, NULL, 'f' },
		{ "cgroup", required_argument, NULL, 'c' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "jobs", required_argument, NULL, 'J' },
		{ "inject", no_argument, NULL, 'I' },
		{ "unchecked-seccomp", no_argument, NULL, 'U' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int opt, ret;

	while ((opt = getopt_long(argc, argv, "a:s:e:fc:njh", options,
				  NULL)) != -1) {
		switch (opt) {
		case 'a':
			job->advice = advice_from_name(optarg);
			if (job->advice < 0)
				return usage_error("advise", "unknown advice "
						   "'%s'", optarg);
			break;
		case 's':
			job->select_text = optarg;
			ret = parse_select(job, optarg);
			if (ret)
				return ret;
			break;
		case 'm':
			if (!parse_size(optarg, &job->select.min_size))
				return usage_error("advise", "bad size '%s'",
						   optarg);
			break;
		case 'M':
			if (!parse_size(optarg, &job->select.max_size))
				return usage_error("advise", "bad size '%s'",
						   optarg);
			break;
		case 'e':
			if (!strcmp(optarg, "skip-vma"))
				job->opts.on_error =
					XMM_ADVISE_ON_ERROR_SKIP_VMA;
			else if (!strcmp(optarg, "skip-page"))
				job->opts.on_error =
					XMM_ADVISE_ON_ERROR_SKIP_PAGE;
			else if (!strcmp(optarg, "stop"))
				job->opts.on_error = XMM_ADVISE_ON_ERROR_STOP;
			else
				return usage_error("advise", "unknown error "
						   "policy '%s'", optarg);
			break;
		case 'f':
			job->opts.flags |= XMM_ADVISE_FREEZE;
			break;
		case 'c':
			*cgroup = optarg;
			break;
		case 'n':
			job->dry_run = true;
			break;
		case 'J': {
			char *end;
			unsigned long n;

			errno = 0;
			n = strtoul(optarg, &end, 10);
			if (errno || *end || !n || optarg[0] == '-' ||
			    n > XMM_QUEUE_MAX_WORKERS)
				return usage_error("advise", "--jobs takes 1 "
						   "to %d",
						   XMM_QUEUE_MAX_WORKERS);
			job->jobs = (unsigned int)n;
			break;
		}
		case 'I':
			job->opts.madvise_flags |= XMM_PMADV_INJECT;
			break;
		case 'U':
			job->opts.madvise_flags |= XMM_PMADV_INJECT_UNCHECKED;
			break;
		case 'j':
			break;	/* json_output, set by main() */
		case 'h':
			advise_usage(stdout);
			return -1;
		default:
			return usage_error("advise", "bad option");
		}
	}
	if (job->advice < 0)
		return usage_error("advise", "--advice is required");
	if (!remote_advice(job->advice) &&
	    !(job->opts.madvise_flags & XMM_PMADV_INJECT))
		return usage_error("advise", "the kernel never applies advice "
				   "'%s' to another process: add --inject "
				   "(XMM_PMADV_INJECT) to run it inside the "
				   "target", advice_name(job->advice));
	if ((job->opts.madvise_flags & XMM_PMADV_INJECT_UNCHECKED) &&
	    !(job->opts.madvise_flags & XMM_PMADV_INJECT))
		return usage_error("advise", "--unchecked-seccomp needs "
				   "--inject");
	if (job->select.max_size && job->select.min_size > job->select.max_size)
		return usage_error("advise", "--min-size exceeds --max-size");
	return 0;
}

int cmd_advise(int argc, char **argv)
{
	struct advise_job job = {
		.advice = -1,
		.jobs = 1,
		.select_text = "all",
		.opts = {
			.on_error = XMM_ADVISE_ON_ERROR_SKIP_VMA,
			.flags = XMM_ADVISE_USAGE,
			.cancel = &cancel_requested,
		},
	};
	struct xmm_advise_report total = { 0 };
	struct progress_state progress = { 0 };
	struct sigaction sa = { .sa_handler = on_interrupt };
	struct target_result result, *results = NULL;
	const char *cgroup = NULL;
	pid_t *pids = NULL;
	size_t count = 0, i, failed = 0, done = 0;
	int status = EXIT_OK, ret, worst = -1;

	ret = parse_options(argc, argv, &job, &cgroup);
	if (ret) {
		free(job.select_copy);
		return ret < 0 ? EXIT_OK : ret;
	}
	for (i = (size_t)optind; i < (size_t)argc; i++) {
		pid_t pid = parse_pid(argv[i]), *more;

		if (pid < 0) {
			free(pids);
			free(job.select_copy);
			return usage_error("advise", "'%s' is not a PID",
					   argv[i]);
		}
		more = realloc(pids, (count + 1) * sizeof(*pids));
		if (!more) {
			free(pids);
			free(job.select_copy);
			return message_error("advise", EXIT_FAILED, "ENOMEM",
					     "out of memory");
		}
		pids = more;
		pids[count++] = pid;
	}
	if (cgroup) {
		ret = cgroup_pids(cgroup, &pids, &count);
		if (ret) {
			free(pids);
			free(job.select_copy);
			return ret;
		}
	}
	if (!count && !cgroup) {
		free(job.select_copy);
		return usage_error("advise", "expected a PID or --cgroup");
	}

	/* ^C or SIGTERM cancels cleanly: the target is thawed first. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	if (json_output) {
		json_printed = true;
		if (count != 1 || cgroup)
			printf("{\"processes\": [\n");
	}
	/* Several processes at once: all advised, then reported in order. */
	if (job.jobs > 1 && count > 1 && !job.dry_run) {
		results = calloc(count, sizeof(*results));
		ret = results ? advise_concurrently(&job, pids, count,
						    results) : ENOMEM;
		if (ret) {
			free(results);
			free(pids);
			free(job.select_copy);
			return message_error("advise", EXIT_FAILED,
					     errno_name(ret), "%s",
					     strerror(ret));
		}
	}
	for (i = 0; i < count; i++) {
		bool tty = isatty(STDERR_FILENO) && !json_output;
		int one;

		if (results) {
			result = results[i];
		} else {
			if (__atomic_load_n(&cancel_requested,
					    __ATOMIC_ACQUIRE))
				break;
			advise_target(&job, pids[i], tty ? &progress : NULL,
				      &result);
		}
		if (progress.shown) {
			fprintf(stderr, "\r%60s\r", "");
			progress.shown = false;
		}
		one = report_target(&job, &result, i == 0);
		xmm_vma_list_free(&result.list);
		if (!json_output && (count > 1 || cgroup))
			printf("\n");
		done++;
		if (one == EXIT_FAILED)
			failed++;
		add_report(&total, &result.report);
		/* Interrupted beats failed beats nothing-selected beats ok. */
		if (one >= 128)
			worst = one;
		else if (one == EXIT_FAILED && worst < 128)
			worst = EXIT_FAILED;
		else if (one == EXIT_NOTHING && worst < 0)
			worst = EXIT_NOTHING;
		else if (one == EXIT_OK && worst == EXIT_NOTHING)
			worst = EXIT_OK;
		else if (worst < 0)
			worst = one;
	}
	if (cancel_signal && worst < 128)
		worst = 128 + cancel_signal;
	if (json_output && (count != 1 || cgroup)) {
		printf("],\n\"total\": ");
		print_total(&total, done, failed);
		printf("}\n");
	} else if (json_output) {
		printf("\n");
	} else if (count != 1 || cgroup) {
		print_total(&total, done, failed);
	}
	status = worst < 0 ? EXIT_NOTHING : worst;
	if (status == EXIT_NOTHING)
		fprintf(stderr, "xmm advise: nothing selected (%s)\n",
			count ? job.select_text : "the cgroup is empty");
	free(results);
	free(pids);
	free(job.select_copy);
	return status;
}
