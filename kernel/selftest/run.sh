#!/bin/bash
# Build the selftests and run them in the stock and the patched guest.
#   kernel/selftest/run.sh [-b MIB] [WORKDIR]
# WORKDIR (default kernel/work) must hold bzImage-stock and bzImage-patched
# (kernel/build.sh). Passes when the stock guest skips the three programs
# (ENOSYS, exit 77) and the patched guest passes them. -b sets the
# benchmark size in MiB (default 256, 0 skips it). Results land in
# WORKDIR/selftest-stock and WORKDIR/selftest-patched.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
mib=256
if [ "${1:-}" = "-b" ]; then
	[ $# -ge 2 ] || { echo "usage: $0 [-b MIB] [WORKDIR]" >&2; exit 2; }
	mib=$2
	shift 2
fi
work=${1:-$here/../work}
for v in stock patched; do
	[ -r "$work/bzImage-$v" ] || { echo "$0: $work/bzImage-$v missing: run kernel/build.sh" >&2; exit 2; }
done
"$here/build.sh" "$work/selftest" >/dev/null
status=0
for v in stock patched; do
	"$here/../run-guest.sh" -q -t 600 "$work/bzImage-$v" "$work/selftest-$v" \
		-- "$work/selftest/rap_test" -b "$mib" \
		-- "$work/selftest/pvmm_test" -b "$mib" \
		-- "$work/selftest/stress" 10 || true
	for t in rap_test pvmm_test stress; do
		want=pass
		[ $v = stock ] && want=skip
		got=$(awk -v t=$t '$1 == t { print $3 }' "$work/selftest-$v/results.txt")
		if [ "$got" != "$want" ]; then
			echo "FAIL: $t on $v: $got (want $want)"
			status=1
		fi
	done
	if grep -q "^kernel reported\|^guest did not finish" "$work/selftest-$v/results.txt"; then
		echo "FAIL: $v guest: $(grep "^kernel reported\|^guest did not finish" "$work/selftest-$v/results.txt")"
		status=1
	fi
done
grep -h "^# bench\|^XMM-RATIO" "$work/selftest-patched"/rap_test.log \
	"$work/selftest-patched"/pvmm_test.log || true
[ $status = 0 ] && echo "selftests: stock skipped, patched passed"
exit $status
