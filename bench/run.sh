#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run every xmm benchmark and print the results: a Markdown table, then
# the same results as JSON in a fenced block (with --json: the JSON alone).
# Builds nothing: build first (meson setup build && ninja -C build).
#
#   bench/run.sh BUILDDIR [--json] [GROUP...]
#
# Progress goes to standard error.  Run as root, or with CAP_SYS_NICE and
# CAP_SYS_PTRACE: the cross-process rows advise and read children.
set -eu

usage() {
	echo "usage: $0 BUILDDIR [--json] [GROUP...]" >&2
	exit 2
}

[ $# -ge 1 ] || usage
build=$1
shift
json_only=0
if [ "${1:-}" = "--json" ]; then
	json_only=1
	shift
fi
exe=$build/bench/xmm-bench
[ -x "$exe" ] || {
	echo "$0: no $exe: build with -Dbench=true first" >&2
	exit 1
}
groups=${*:-$("$exe" --list)}
# A group that hangs must not hang the run: each gets at most this long.
group_timeout=${XMM_BENCH_TIMEOUT:-600}

rows=$(mktemp)
table=$(mktemp)
trap 'rm -f "$rows" "$table"' EXIT INT TERM

# The machine, for the record; quotes and backslashes kept out of JSON.
clean() { tr -d '"\\' | tr -s ' \t' '  '; }
date=$(date -u '+%Y-%m-%dT%H:%M:%SZ')
kernel=$(uname -sr | clean)
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1 |
	clean)
cpus=$(nproc)
mem_kib=$(sed -n 's/^MemTotal: *\([0-9]*\) kB/\1/p' /proc/meminfo)
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null |
	clean || echo unknown)
load=$(cut -d ' ' -f 1-3 /proc/loadavg)
start=$(date +%s)

"$exe" --header >"$table"
for group in $groups; do
	echo "xmm-bench: $group ..." >&2
	group_start=$(date +%s)
	status=0
	timeout --signal=KILL "$group_timeout" \
		"$exe" --json "$rows" "$group" >>"$table" || status=$?
	if [ "$status" -ne 0 ]; then
		echo "| $group | - | - | - | - | - | - |" \
			"failed: exit status $status |" >>"$table"
		printf '{"row":"%s","status":"failed",%s}\n' "$group" \
			"\"result\":\"exit status $status\"" >>"$rows"
	fi
	echo "xmm-bench: $group took $(($(date +%s) - group_start)) s" >&2
done
elapsed=$(($(date +%s) - start))

if [ "$json_only" -eq 0 ]; then
	echo "# xmm benchmarks"
	echo
	echo "$date, $kernel, $cpu ($cpus CPUs), $((mem_kib / 1024)) MiB," \
		"THP $thp, load average at start $load, took $elapsed s."
	echo
	cat "$table"
	echo
	echo '```json'
fi
printf '{"date":"%s","kernel":"%s","cpu":"%s","cpus":%s,' \
	"$date" "$kernel" "$cpu" "$cpus"
printf '"memory_kib":%s,"thp":"%s","load_at_start":"%s","seconds":%s,' \
	"$mem_kib" "$thp" "$load" "$elapsed"
echo '"rows":['
sed '$!s/$/,/' "$rows"
echo ']}'
if [ "$json_only" -eq 0 ]; then
	echo '```'
fi
