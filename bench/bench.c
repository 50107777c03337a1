// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The benchmark driver: clock, rounds, statistics, output and children.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xmm/xmm.h>

FILE *bench_json;

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

size_t bench_page_size(void)
{
	return (size_t)sysconf(_SC_PAGESIZE);
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* The q-quantile of sorted samples, interpolating between neighbours. */
static double quantile(const double *sorted, size_t count, double q)
{
	double pos = q * (double)(count - 1);
	size_t below = (size_t)pos;
	double frac = pos - (double)below;

	if (below + 1 >= count)
		return sorted[count - 1];
	return sorted[below] + frac * (sorted[below + 1] - sorted[below]);
}

void bench_stats(const double *samples, size_t count, struct bench_stats *st)
{
	double *sorted;

	memset(st, 0, sizeof(*st));
	sorted = count ? malloc(count * sizeof(*sorted)) : NULL;
	if (!sorted)
		return;
	memcpy(sorted, samples, count * sizeof(*sorted));
	qsort(sorted, count, sizeof(*sorted), compare_doubles);
	st->min = sorted[0];
	st->max = sorted[count - 1];
	st->median = quantile(sorted, count, 0.5);
	st->q1 = quantile(sorted, count, 0.25);
	st->q3 = quantile(sorted, count, 0.75);
	free(sorted);
}

static int leg_op(struct bench_leg *leg)
{
	return leg->op(leg);
}

int bench_run_op(struct bench_leg *leg, unsigned long iterations,
		 uint64_t *ns)
{
	return bench_time_loop(leg, iterations, ns, leg_op);
}

int bench_unavailable(struct bench_leg *leg, int err, const char *why)
{
	leg->unavailable = true;
	if (why)
		leg->why = why;
	return -err;
}

int bench_force(struct bench_leg *leg, const char *operation,
		const char *backend)
{
	if (!xmm_backend_force(operation, backend))
		return 0;
	if (errno == ENOENT)
		return bench_unavailable(leg, ENOENT,
				"no backend of that name in this build");
	return -errno;
}

/* Iterations that make about budget_ns of work at op_ns each. */
static unsigned long iterations_for(uint64_t budget_ns, double op_ns,
				    unsigned long max_iterations)
{
	double n = op_ns > 0 ? (double)budget_ns / op_ns : 1;

	if (n < 1)
		return 1;
	if (n > (double)max_iterations)
		return max_iterations;
	return (unsigned long)n;
}

/* One warm-up run of n iterations: the time per operation, or -errno. */
static double warm_up(struct bench_leg *leg, unsigned long n)
{
	uint64_t ns = 0;
	int ret = leg->run(leg, n, &ns);

	if (ret < 0) {
		leg->err = -ret;
		if (leg->err == ENOSYS)
			leg->unavailable = true;
		return -1;
	}
	return (double)ns / (double)n;
}

static void calibrate(struct bench_leg *leg, const struct bench_plan *plan)
{
	unsigned long slices = plan->slices ? plan->slices : 1;
	unsigned long n;
	double op_ns;

	leg->err = 0;
	leg->rounds = 0;
	op_ns = warm_up(leg, plan->warm_up_small ? 2 : 1);
	if (op_ns < 0)
		return;
	n = iterations_for(plan->round_ns, op_ns, plan->max_iterations);
	/* A fast operation: warm up again at full size, and measure better. */
	if (n > 1) {
		op_ns = warm_up(leg, n);
		if (op_ns < 0)
			return;
		n = iterations_for(plan->round_ns, op_ns,
				   plan->max_iterations);
	}
	/* Whole slices, so that every slice runs the same count. */
	n = (n + slices - 1) / slices * slices;
	leg->iterations = n;
}

/*
 * A leg's figure for one round: its time per operation, or with slices
 * the median slice's, so that a burst of load from elsewhere on the
 * machine, which only ever adds time, does not move the figure.
 */
static double round_figure(const double *slice_ns, unsigned long slices,
			   unsigned long iterations)
{
	struct bench_stats st;
	double total = 0;
	unsigned long s;

	if (slices == 1) {
		for (s = 0; s < slices; s++)
			total += slice_ns[s];
		return total / (double)iterations;
	}
	bench_stats(slice_ns, slices, &st);
	return st.median * (double)slices / (double)iterations;
}

void bench_measure(struct bench_leg *legs, size_t count,
		   const struct bench_plan *plan)
{
	unsigned long slices = plan->slices ? plan->slices : 1;
	size_t rounds = plan->rounds, r, k;
	double *slice_ns;
	unsigned long s;

	if (rounds > BENCH_MAX_ROUNDS)
		rounds = BENCH_MAX_ROUNDS;
	slice_ns = calloc(count * slices, sizeof(*slice_ns));
	if (plan->warm_up_small)
		plan->warm_up_small(plan->warm_up_arg, true);
	for (k = 0; k < count; k++) {
		if (!slice_ns)
			legs[k].err = ENOMEM;
		else
			calibrate(&legs[k], plan);
	}
	if (plan->warm_up_small)
		plan->warm_up_small(plan->warm_up_arg, false);

	for (r = 0; r < rounds && slice_ns; r++) {
		for (s = 0; s < slices; s++) {
			for (k = 0; k < count; k++) {
				size_t i = (r + s + k) % count;
				struct bench_leg *leg = &legs[i];
				uint64_t ns = 0;
				int ret;

				if (leg->err)
					continue;
				ret = leg->run(leg, leg->iterations / slices,
					       &ns);
				if (ret < 0)
					leg->err = -ret;
				slice_ns[i * slices + s] = (double)ns;
			}
		}
		for (k = 0; k < count; k++) {
			struct bench_leg *leg = &legs[k];

			if (leg->err)
				continue;
			leg->op_ns[r] = round_figure(&slice_ns[k * slices],
						     slices, leg->iterations);
			leg->rounds = r + 1;
		}
	}
	free(slice_ns);
}

/* Time in a unit a person reads at a glance. */
static const char *format_ns(double ns, char *buf, size_t len)
{
	if (ns < 10e3)
		snprintf(buf, len, "%.0f ns", ns);
	else if (ns < 10e6)
		snprintf(buf, len, "%.1f us", ns / 1e3);
	else if (ns < 10e9)
		snprintf(buf, len, "%.1f ms", ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", ns / 1e9);
	return buf;
}

static void json_string(const char *key, const char *value)
{
	const char *c;

	fprintf(bench_json, "\"%s\":", key);
	if (!value) {
		fputs("null", bench_json);
		return;
	}
	fputc('"', bench_json);
	for (c = value; *c; c++) {
		if (*c == '"' || *c == '\\')
			fprintf(bench_json, "\\%c", *c);
		else if ((unsigned char)*c < 0x20)
			fprintf(bench_json, "\\u%04x", *c);
		else
			fputc(*c, bench_json);
	}
	fputc('"', bench_json);
}

static void json_stats(const char *key, const struct bench_stats *st,
		       bool present)
{
	if (!present) {
		fprintf(bench_json, "\"%s\":null", key);
		return;
	}
	fprintf(bench_json,
		"\"%s\":{\"median\":%.6g,\"min\":%.6g,\"max\":%.6g,"
		"\"q1\":%.6g,\"q3\":%.6g}",
		key, st->median, st->min, st->max, st->q1, st->q3);
}

/* The status of a leg that did not run: text for the result column. */
static void leg_problem(const struct bench_leg *leg, const char *role,
			char *buf, size_t len, const char **status)
{
	const char *prefix = leg->unavailable ? "unavailable" : "failed";

	*status = leg->unavailable ? "unavailable" : "failed";
	if (leg->why)
		snprintf(buf, len, "%s: %s%s%s (%s)", prefix, role,
			 *role ? ": " : "", strerror(leg->err), leg->why);
	else
		snprintf(buf, len, "%s: %s%s%s", prefix, role,
			 *role ? ": " : "", strerror(leg->err));
}

static bool judge(const struct bench_row *row, double ratio)
{
	switch (row->target) {
	case BENCH_TARGET_RATIO_MAX:
		return ratio <= row->target_value;
	case BENCH_TARGET_RATIO_MIN:
		return ratio >= row->target_value;
	default:
		return true;
	}
}

void bench_print_header(void)
{
	printf("| row | xmm path | baseline | xmm | baseline | ratio: median "
	       "[min, max] (IQR) | target | result |\n");
	printf("|---|---|---|---|---|---|---|---|\n");
}

void bench_report(const struct bench_row *row, const struct bench_leg *xmm,
		  const struct bench_leg *base)
{
	struct bench_stats xs = { 0 }, bs = { 0 }, rs = { 0 };
	double ratios[BENCH_MAX_ROUNDS];
	char result[256], xt[32], bt[32], rt[96], path[128];
	const char *status;
	size_t r, rounds = 0;

	if (xmm->err) {
		leg_problem(xmm, "", result, sizeof(result), &status);
	} else if (base->err) {
		leg_problem(base, "baseline", result, sizeof(result), &status);
	} else {
		rounds = xmm->rounds < base->rounds ? xmm->rounds :
						      base->rounds;
		for (r = 0; r < rounds; r++)
			ratios[r] = row->ratio == BENCH_COST ?
				xmm->op_ns[r] / base->op_ns[r] :
				base->op_ns[r] / xmm->op_ns[r];
		bench_stats(ratios, rounds, &rs);
		status = "info";
		if (row->target != BENCH_TARGET_NONE)
			status = judge(row, rs.median) ? "met" : "missed";
		snprintf(result, sizeof(result), "%s", status);
	}
	if (!xmm->err)
		bench_stats(xmm->op_ns, xmm->rounds, &xs);
	if (!base->err)
		bench_stats(base->op_ns, base->rounds, &bs);

	if (xmm->served)
		snprintf(path, sizeof(path), "%s [%s]", xmm->name,
			 xmm->served);
	else
		snprintf(path, sizeof(path), "%s", xmm->name);
	if (rounds)
		snprintf(rt, sizeof(rt), "%.3g [%.3g, %.3g] (%.3g-%.3g)",
			 rs.median, rs.min, rs.max, rs.q1, rs.q3);
	else
		snprintf(rt, sizeof(rt), "-");
	printf("| %s | %s | %s | %s | %s | %s | %s | %s |\n", row->name,
	       path, base->name, xmm->err ? "-" :
	       format_ns(xs.median, xt, sizeof(xt)),
	       base->err ? "-" : format_ns(bs.median, bt, sizeof(bt)),
	       rt, row->target_text, result);
	fflush(stdout);

	if (!bench_json)
		return;
	fputc('{', bench_json);
	json_string("row", row->name);
	fputc(',', bench_json);
	json_string("xmm", xmm->name);
	fputc(',', bench_json);
	json_string("served", xmm->served);
	fputc(',', bench_json);
	json_string("baseline", base->name);
	fputc(',', bench_json);
	json_string("ratio_is", row->ratio == BENCH_COST ?
		    "xmm time / baseline time" : "baseline time / xmm time");
	fputc(',', bench_json);
	json_string("target", row->target_text);
	fputc(',', bench_json);
	json_string("status", status);
	fputc(',', bench_json);
	json_string("result", result);
	fprintf(bench_json, ",\"rounds\":%zu,\"xmm_iterations\":%lu,"
		"\"baseline_iterations\":%lu,", rounds,
		xmm->err ? 0 : xmm->iterations,
		base->err ? 0 : base->iterations);
	json_stats("xmm_ns", &xs, !xmm->err);
	fputc(',', bench_json);
	json_stats("baseline_ns", &bs, !base->err);
	fputc(',', bench_json);
	json_stats("ratio", &rs, rounds > 0);
	fputc(',', bench_json);
	json_string("note", row->note);
	fputs("}\n", bench_json);
	fflush(bench_json);
}

/* A leg whose figure per round is (large - small) / units. */
static void slope_leg(struct bench_leg *slope, const struct bench_leg *small,
		      const struct bench_leg *large, double units,
		      const char *unit_name, char *name, size_t name_len)
{
	size_t r;

	memset(slope, 0, sizeof(*slope));
	snprintf(name, name_len, "slope to %s, per %s", large->name,
		 unit_name);
	slope->name = name;
	slope->served = large->served;
	slope->err = small->err ? small->err : large->err;
	slope->unavailable = small->err ? small->unavailable :
					  large->unavailable;
	slope->why = small->err ? small->why : large->why;
	slope->iterations = large->iterations;
	slope->rounds = small->rounds < large->rounds ? small->rounds :
							large->rounds;
	for (r = 0; r < slope->rounds; r++)
		slope->op_ns[r] = (large->op_ns[r] - small->op_ns[r]) / units;
}

void bench_report_slope(const struct bench_row *row,
			const struct bench_leg *xmm_small,
			const struct bench_leg *xmm_large,
			const struct bench_leg *base_small,
			const struct bench_leg *base_large,
			double units, const char *unit_name)
{
	char xmm_name[320], base_name[320];
	struct bench_leg xmm, base;

	slope_leg(&xmm, xmm_small, xmm_large, units, unit_name, xmm_name,
		  sizeof(xmm_name));
	if (!base_small || !base_large) {
		bench_report_reference(row->name, &xmm, "ns", 1, row->note);
		return;
	}
	slope_leg(&base, base_small, base_large, units, unit_name, base_name,
		  sizeof(base_name));
	bench_report(row, &xmm, &base);
}

void bench_report_reference(const char *name, const struct bench_leg *leg,
			    const char *unit, double scale, const char *note)
{
	struct bench_stats st = { 0 };
	double values[BENCH_MAX_ROUNDS];
	char result[256] = "reference", median[32], low[32], high[32];
	const char *status = "reference";
	size_t r;

	if (leg->err) {
		leg_problem(leg, "", result, sizeof(result), &status);
	} else {
		/* scale turns ns per operation into the unit. */
		for (r = 0; r < leg->rounds; r++)
			values[r] = scale < 0 ? -scale / leg->op_ns[r] :
						scale * leg->op_ns[r];
		bench_stats(values, leg->rounds, &st);
	}
	if (!strcmp(unit, "ns"))
		printf("| %s | - | %s | - | %s [%s, %s] | - | - | %s |\n",
		       name, leg->name,
		       format_ns(st.median, median, sizeof(median)),
		       format_ns(st.min, low, sizeof(low)),
		       format_ns(st.max, high, sizeof(high)), result);
	else
		printf("| %s | - | %s | - | %.3g %s [%.3g, %.3g] | - | - | "
		       "%s |\n", name, leg->name, st.median, unit, st.min,
		       st.max, result);
	fflush(stdout);

	if (!bench_json)
		return;
	fputc('{', bench_json);
	json_string("row", name);
	fputc(',', bench_json);
	json_string("baseline", leg->name);
	fputc(',', bench_json);
	json_string("status", status);
	fputc(',', bench_json);
	json_string("result", result);
	fputc(',', bench_json);
	json_string("unit", unit);
	fprintf(bench_json, ",\"rounds\":%zu,", leg->rounds);
	json_stats("value", &st, !leg->err);
	fputc(',', bench_json);
	json_string("note", note);
	fputs("}\n", bench_json);
	fflush(bench_json);
}

struct child_report {
	int err;
	void *addr[BENCH_CHILD_ADDRS];
};

static bool read_full(int fd, void *buf, size_t len)
{
	char *p = buf;

	while (len) {
		ssize_t n = read(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static void __attribute__((noreturn))
child_main(int report_fd, int hold_fd, int (*setup)(void *, void **),
	   void *arg)
{
	struct child_report report = { 0 };
	char byte;

	/* Die with the benchmark, whatever kills it. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (setup)
		report.err = setup(arg, report.addr);
	if (write(report_fd, &report, sizeof(report)) != sizeof(report))
		_exit(1);
	/*
	 * Sleep in read(2) until the parent closes its end: a target
	 * blocked in a system call, as most real ones are.
	 */
	while (read(hold_fd, &byte, 1) != 0)
		;
	_exit(0);
}

int bench_child_start(struct bench_child *child,
		      int (*setup)(void *arg, void **addr), void *arg)
{
	struct child_report report;
	int report_pipe[2], hold_pipe[2];
	int err;

	if (pipe2(report_pipe, O_CLOEXEC))
		return -errno;
	if (pipe2(hold_pipe, O_CLOEXEC)) {
		err = -errno;
		goto close_report;
	}
	fflush(NULL);
	child->pid = fork();
	if (child->pid < 0) {
		err = -errno;
		goto close_hold;
	}
	if (!child->pid) {
		close(report_pipe[0]);
		close(hold_pipe[1]);
		child_main(report_pipe[1], hold_pipe[0], setup, arg);
	}
	close(report_pipe[1]);
	close(hold_pipe[0]);
	child->hold = hold_pipe[1];
	child->pidfd = -1;
	err = read_full(report_pipe[0], &report, sizeof(report)) ?
		report.err : -ECHILD;
	close(report_pipe[0]);
	if (!err) {
		child->pidfd = pidfd_open(child->pid, 0);
		if (child->pidfd < 0)
			err = -errno;
	}
	if (err) {
		bench_child_stop(child);
		return err;
	}
	memcpy(child->addr, report.addr, sizeof(child->addr));
	return 0;

close_hold:
	close(hold_pipe[0]);
	close(hold_pipe[1]);
close_report:
	close(report_pipe[0]);
	close(report_pipe[1]);
	return err;
}

void bench_child_stop(struct bench_child *child)
{
	kill(child->pid, SIGKILL);
	while (waitpid(child->pid, NULL, 0) < 0 && errno == EINTR)
		;
	if (child->pidfd >= 0)
		close(child->pidfd);
	close(child->hold);
	child->pid = 0;
	child->pidfd = -1;
}

void *bench_map(size_t len)
{
	void *p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	return p == MAP_FAILED ? NULL : p;
}

void bench_fill_pages(void *addr, size_t len)
{
	size_t page = bench_page_size(), i;

	for (i = 0; i < len / page; i++)
		*(uint64_t *)((char *)addr + i * page) = i + 1;
}

bool bench_check_pages(const void *addr, size_t len, size_t page0)
{
	size_t page = bench_page_size(), pages = len / page;
	size_t step = pages > 64 ? pages / 64 : 1, i;

	for (i = 0; i < pages; i += step)
		if (*(const uint64_t *)((const char *)addr + i * page) !=
		    page0 + i + 1)
			return false;
	return *(const uint64_t *)((const char *)addr + (pages - 1) * page) ==
		page0 + pages;
}
