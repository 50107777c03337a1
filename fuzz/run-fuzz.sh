#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
# Run a libFuzzer binary for a bounded time from the seed corpus, keeping
# what it learns (and any crash) in the build directory, not the source.
# Usage: run-fuzz.sh FUZZER SEED_CORPUS WORK_DIR SECONDS
set -eu
fuzzer=$1 seeds=$2 work=$3 seconds=$4
mkdir -p "$work/corpus" "$work/artifacts"
exec "$fuzzer" -max_total_time="$seconds" -timeout=5 -rss_limit_mb=1024 \
	-print_final_stats=1 -artifact_prefix="$work/artifacts/" \
	"$work/corpus" "$seeds"
