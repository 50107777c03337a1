// SPDX-License-Identifier: LGPL-2.1-or-later
/* xmm probe: every operation and backend, available or not and why. */
#include "xmm-tool.h"

#include <errno.h>
#include <getopt.h>
#include <string.h>
#include <sys/utsname.h>

#define CAP_SYS_NICE_BIT	23

/* Does this process hold CAP_SYS_NICE (effective)? */
static bool have_cap_sys_nice(void)
{
	char line[256];
	unsigned long long caps = 0;
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return false;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "CapEff: %llx", &caps) == 1)
			break;
	fclose(f);
	return caps & (1ULL << CAP_SYS_NICE_BIT);
}

/* What an available backend still needs that this process lacks. */
static const char *backend_note(const struct xmm_backend_info *info)
{
	if (info->available && !strcmp(info->operation, "process_madvise") &&
	    !strcmp(info->backend, "native") && !have_cap_sys_nice())
		return "needs CAP_SYS_NICE to advise another process, which "
		       "this process lacks";
	return NULL;
}

static void probe_usage(FILE *out)
{
	fprintf(out, "Usage: xmm probe [--json]\n"
		"List every operation and each of its backends, in the order "
		"they are tried,\nwith whether it can serve on this system "
		"and, when not, why.\n\n"
		"  -j, --json   print JSON instead of a table\n"
		"  -h, --help   show this help\n");
}

int cmd_probe(int argc, char **argv)
{
	static const struct option options[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct xmm_backend_info info;
	struct utsname u;
	bool json = false;
	unsigned int i;
	int opt;

	while ((opt = getopt_long(argc, argv, "jh", options, NULL)) != -1) {
		switch (opt) {
		case 'j':
			json = true;
			break;
		case 'h':
			probe_usage(stdout);
			return EXIT_OK;
		default:
			return usage_error("probe", "bad option");
		}
	}
	if (optind < argc)
		return usage_error("probe", "unexpected argument '%s'",
				   argv[optind]);
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));

	if (json)
		printf("{\"kernel\": \"%s\", \"library\": \"%s\", "
		       "\"backends\": [", u.release, XMM_VERSION_STRING);
	else
		printf("kernel %s %s, libxmm %s\n\n%-18s %-14s %s %s\n",
		       u.release, u.machine, XMM_VERSION_STRING, "OPERATION",
		       "BACKEND", "STATE      ", "WHY");
	for (i = 0; xmm_backend_info(i, &info) == 0; i++) {
		const char *state = info.available ? "available" :
				    "unavailable";

		if (json) {
			printf("%s\n  {\"operation\": \"%s\", \"backend\": "
			       "\"%s\", \"available\": %s, \"forced\": %s",
			       i ? "," : "", info.operation, info.backend,
			       info.available ? "true" : "false",
			       info.forced ? "true" : "false");
			if (!info.available) {
				printf(", \"errno\": \"%s\", \"why\": ",
				       errno_name(info.reason));
				json_string(stdout, info.detail ? info.detail :
						    strerror(info.reason));
			}
			if (backend_note(&info)) {
				printf(", \"note\": ");
				json_string(stdout, backend_note(&info));
			}
			printf("}");
			continue;
		}
		printf("%-18s %-14s %s", info.operation, info.backend, state);
		if (!info.available)
			printf(" %s: %s", errno_name(info.reason),
			       info.detail ? info.detail :
			       strerror(info.reason));
		if (info.forced)
			printf(" (forced)");
		if (backend_note(&info))
			printf(" (%s)", backend_note(&info));
		printf("\n");
	}
	if (json)
		printf("\n]}\n");
	json_printed = true;
	return EXIT_OK;
}
