/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What the subcommands of the xmm command share (tools/xmm.c). */
#ifndef XMM_TOOLS_XMM_TOOL_H
#define XMM_TOOLS_XMM_TOOL_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <xmm/xmm.h>

/* Exit statuses. */
#define EXIT_OK		0
#define EXIT_FAILED	1	/* the operation failed */
#define EXIT_USAGE	2	/* bad command line */
#define EXIT_NOTHING	3	/* advise: nothing selected */

/* --json was given: every error is a JSON document on stdout too. */
extern bool json_output;
/* The document of this run has been printed. */
extern bool json_printed;

int cmd_probe(int argc, char **argv);
int cmd_advise(int argc, char **argv);
int cmd_stat(int argc, char **argv);
int cmd_demo(int argc, char **argv);
int cmd_thaw(int argc, char **argv);

/* "xmm SUBCOMMAND: message" on stderr, then EXIT_USAGE. */
int usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Report a failed operation on stderr: "xmm CMD: WHAT: strerror
 * (hint)", then EXIT_FAILED.
 */
int operation_error(const char *cmd, const char *what, int err);

/* Why ptrace read access to pid is refused, into buf; NULL if unknown. */
const char *access_hint(pid_t pid, char *buf, size_t size);
/* operation_error() with the reason ptrace access to pid is refused. */
int access_error(const char *cmd, pid_t pid, const char *what, int err);

/* "xmm CMD: message" on stderr (and JSON), then status. */
int message_error(const char *cmd, int status, const char *error,
		  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The sentence that tells how to fix err for cmd, or NULL. */
const char *error_hint(const char *what, int err);

/* "EPERM" for EPERM; never NULL. */
const char *errno_name(int err);

/* A PID from the command line; -1 if not one. */
pid_t parse_pid(const char *text);

/*
 * Open a pidfd for *pid, reporting failure; -1 then.  A thread ID is
 * replaced by its process's ID (said on stderr).
 */
int open_target(const char *cmd, pid_t *pid, int *exit_status);
/* The mount point of the cgroup v2 hierarchy, into buf. */
const char *cgroup2_root(char *buf, size_t size);
/* The process of a thread ID (itself for a process), or -errno. */
pid_t task_tgid(pid_t tid);

/* "1.5 GiB", "312 KiB", "17 B" into buf. */
const char *human_bytes(unsigned long long bytes, char *buf, size_t size);
/* "3.2 ms", "14 us", "1.20 s" into buf. */
const char *human_ns(unsigned long long ns, char *buf, size_t size);
/* "12M", "4096", "1G" into bytes: true when it parses. */
bool parse_size(const char *text, unsigned long *bytes);

/* A JSON string with escapes. */
void json_string(FILE *out, const char *text);
/* {"rss":...} for usage. */
void json_usage(FILE *out, const struct xmm_mem_usage *usage);

/* Advice names: "cold" -> MADV_COLD; -1 if unknown. */
int advice_from_name(const char *name);
const char *advice_name(int advice);

/* Class names: "anon" -> XMM_VMA_CLASS_ANON; "" for a mask. */
const char *class_name(unsigned int vma_class);

unsigned long long monotonic_ns(void);

#endif /* XMM_TOOLS_XMM_TOOL_H */
