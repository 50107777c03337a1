#!/bin/bash
# The meson suite `kernel`: build one kernel variant (incrementally) and run
# the library's test programs in it under QEMU.
#
#   kernel/run-suite.sh WORKDIR stock|patched OUTDIR -- PROG...
#
# The programs run with XMM_EXPECT_KERNEL=VARIANT, which
# tests/backend-choice.c reads to assert which backend each operation
# chose. Exit status: that of run-guest.sh (0 pass, 1 fail, 77 skip when
# the tools to build or boot a kernel are missing).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
[ $# -ge 4 ] && [ "$4" = -- ] ||
	{ echo "usage: $0 WORKDIR stock|patched OUTDIR -- PROG..." >&2; exit 2; }
work=$1 variant=$2 out=$3
shift 4

missing=
[ -r /usr/src/linux-source-6.1.tar.xz ] || missing="$missing linux-source-6.1"
command -v qemu-system-x86_64 >/dev/null || missing="$missing qemu-system-x86"
command -v cpio >/dev/null || missing="$missing cpio"
[ -x /bin/busybox ] || missing="$missing busybox-static"
if [ -n "$missing" ]; then
	echo "SKIP: cannot build or boot the test kernel, missing:$missing"
	exit 77
fi

mkdir -p "$out"
echo "== building the $variant kernel in $work (log: $out/build.log)"
start=$(date +%s)
if ! "$here/build.sh" "$work" "$variant" >"$out/build.log" 2>&1; then
	tail -n 40 "$out/build.log"
	echo "FAIL: kernel build"
	exit 1
fi
echo "   built in $(( $(date +%s) - start )) s"

guest_args=()
# The xmm command, for tests/cli.c and tests/advise-zram.c.
if [ -n "${XMM_TOOL:-}" ]; then
	guest_args+=(-e XMM_TOOL="$XMM_TOOL" -a "$XMM_TOOL")
fi
guest_opts=("${guest_args[@]}")
guest_args=()
for prog in "$@"; do
	guest_args+=(-- "$prog")
done
status=0
"$here/run-guest.sh" -q -m 2G -t 900 "${guest_opts[@]}" \
	-e XMM_EXPECT_KERNEL="$variant" -e CMOCKA_MESSAGE_OUTPUT=stdout \
	"$work/bzImage-$variant" "$out" "${guest_args[@]}" || status=$?
for log in "$out"/*.log; do
	case $log in */console.log|*/build.log) continue ;; esac
	grep -E '^\[  (FAILED|  SKIPPED) \]|^SKIP|child check failed|ERROR' \
		"$log" | sed "s|^|$(basename "$log" .log): |" || true
done
cat "$out/results.txt"
exit $status
