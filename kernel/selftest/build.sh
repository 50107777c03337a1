#!/bin/bash
# Build the raw-syscall selftests statically.
#   kernel/selftest/build.sh [OUTDIR]     (default kernel/work/selftest)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
out=${1:-$here/../work/selftest}
case "$out" in -h|--help) echo "usage: $0 [OUTDIR]" >&2; exit 2 ;; esac
mkdir -p "$out"
cc=${CC:-gcc}
for t in rap_test pvmm_test stress; do
	"$cc" -static -O2 -Wall -Wextra -Wno-sign-compare -pthread \
		-o "$out/$t" "$here/$t.c"
done
echo "$out/rap_test $out/pvmm_test $out/stress"
