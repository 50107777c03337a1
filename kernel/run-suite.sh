#!/bin/bash
# The meson suite `kernel`: build one kernel variant (incrementally) and run
# the library's test programs in it under QEMU.
#
#   kernel/run-suite.sh [-a ARCH] WORKDIR|cache stock|patched OUTDIR -- PROG...
#
# ARCH: x86_64 (default), aarch64 or riscv64 (kernel/arch.sh); the programs of
# another arch than the host's must be static. WORKDIR "cache", or one that
# does not exist, takes the work dir from the kernel cache (kernel/cache.sh: /var/cache/xmm/ARCH-KEY,
# reused while the kernel inputs are unchanged); any other WORKDIR is
# build.sh's, built incrementally. The whole run holds the arch's lock
# (/var/cache/xmm/x86.lock for x86_64), unless a caller already does
# (flock /var/cache/xmm/x86.lock meson test --suite kernel ...).
#
# The programs run with XMM_EXPECT_KERNEL=VARIANT, which
# tests/backend-choice.c reads to assert which backend each operation
# chose. Exit status: that of run-guest.sh (0 pass, 1 fail, 77 skip when
# the tools to build or boot a kernel are missing).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/arch.sh"
arch=x86_64
if [ "${1:-}" = -a ]; then
	arch=$2
	shift 2
fi
[ $# -ge 4 ] && [ "$4" = -- ] && xmm_kernel_arch "$arch" ||
	{ echo "usage: $0 [-a ARCH] WORKDIR|cache stock|patched OUTDIR -- PROG..." >&2; exit 2; }
work=$1 variant=$2 out=$3
shift 4
[ -d "$work" ] || work=cache

missing=
[ -r /usr/src/linux-source-6.1.tar.xz ] || missing="$missing linux-source-6.1"
command -v "${qemu_cmd[0]}" >/dev/null || missing="$missing ${qemu_cmd[0]}"
[ -z "$kernel_cross" ] || command -v "${kernel_cross}gcc" >/dev/null ||
	missing="$missing ${kernel_cross}gcc"
command -v cpio >/dev/null || missing="$missing cpio"
xmm_guest_busybox "$arch" >/dev/null || missing="$missing busybox-static"
if [ -n "$missing" ]; then
	echo "SKIP: cannot build or boot the $arch test kernel, missing:$missing"
	exit 77
fi

# The arch's lock, for the build and the guest run (see cache.sh).
if [ -z "${XMM_KERNEL_LOCKED:-}" ]; then
	mkdir -p "$xmm_kernel_cache"
	export XMM_KERNEL_LOCKED=1
	if ! "$here/cache.sh" -l "$guest_lock"; then
		echo "== waiting for $guest_lock"
		exec flock "$guest_lock" "$0" -a "$arch" "$work" "$variant" \
			"$out" -- "$@"
	fi
fi

mkdir -p "$out"
start=$(date +%s)
if [ "$work" = cache ]; then
	echo "== the $arch $variant kernel from the cache (log: $out/build.log)"
	work=$("$here/cache.sh" -a "$arch" "$variant" 2>"$out/build.log") ||
		work=
else
	echo "== building the $variant kernel in $work (log: $out/build.log)"
	"$here/build.sh" -a "$arch" "$work" "$variant" >"$out/build.log" 2>&1 ||
		work=
fi
if [ -z "$work" ]; then
	tail -n 40 "$out/build.log"
	echo "FAIL: kernel build"
	exit 1
fi
grep '^== kernel cache' "$out/build.log" || true
echo "   $work, ready in $(( $(date +%s) - start )) s"

guest_args=()
# The xmm command, for tests/cli.c and tests/advise-zram.c.
if [ -n "${XMM_TOOL:-}" ]; then
	guest_args+=(-e XMM_TOOL="$XMM_TOOL" -a "$XMM_TOOL")
fi
# The static program of another ABI, for tests/inject-abi.c (i386 next to
# x86_64: the x86_64 kernels have IA32_EMULATION).
if [ -n "${XMM_ABI_TARGET:-}" ]; then
	guest_args+=(-e XMM_ABI_TARGET="$XMM_ABI_TARGET" -a "$XMM_ABI_TARGET")
fi
# Smaller stress counts for an emulated guest of another arch.
for var in XMM_STRESS_INJECTIONS XMM_STRESS_CALLER_KILLS; do
	[ -z "${!var:-}" ] || guest_args+=(-e "$var=${!var}")
done
guest_opts=("${guest_args[@]}")
guest_args=()
for prog in "$@"; do
	guest_args+=(-- "$prog")
done
status=0
"$here/run-guest.sh" -A "$arch" -q -m 2G -t 900 "${guest_opts[@]}" \
	-e XMM_EXPECT_KERNEL="$variant" -e CMOCKA_MESSAGE_OUTPUT=stdout \
	"$work/$kernel_name-$variant" "$out" "${guest_args[@]}" || status=$?
for log in "$out"/*.log; do
	case $log in */console.log|*/build.log) continue ;; esac
	grep -E '^\[  (FAILED|  SKIPPED) \]|^SKIP|child check failed|ERROR' \
		"$log" | sed "s|^|$(basename "$log" .log): |" || true
done
cat "$out/results.txt"
exit $status
