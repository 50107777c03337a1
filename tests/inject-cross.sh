#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Compile the injection engine for the architectures this machine cannot
# run, with Debian's cross compilers: the per-arch register code of
# src/arch/<arch>/inject.h must build warning-free everywhere it is
# claimed.  Skips (77) when no cross compiler is installed.
#
# usage: inject-cross.sh SOURCE_ROOT BUILD_ROOT
set -u
# Leave any wrapper (meson test --wrap=valgrind checks the shell's own
# leaks otherwise): run the work in a fresh, unwrapped shell.
if [ -z "${XMM_CROSS_CLEAN:-}" ]; then
	XMM_CROSS_CLEAN=1 exec env -u LD_PRELOAD /bin/sh "$0" "$@"
fi
src=$1
build=$2
out=$(mktemp -d) || exit 1
trap 'rm -rf "$out"' EXIT

tried=0
failed=0
for cc in aarch64-linux-gnu-gcc riscv64-linux-gnu-gcc; do
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "SKIP: $cc not installed"
		continue
	fi
	tried=$((tried + 1))
	for file in $(cd "$src/src" && ls inject*.c); do
		# XMM_REQUIRE_INJECT: fail if the arch code is not picked up.
		if "$cc" -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
			-DXMM_REQUIRE_INJECT -fvisibility=hidden \
			-I"$build" -I"$build/include" -I"$src/include" \
			-I"$src/src" -c "$src/src/$file" \
			-o "$out/${cc%%-*}-${file%.c}.o"; then
			echo "ok: $cc $file"
		else
			echo "FAIL: $cc $file"
			failed=$((failed + 1))
		fi
	done
done
if [ "$tried" -eq 0 ]; then
	echo "SKIP: no cross compiler (apt install gcc-aarch64-linux-gnu" \
	     "gcc-riscv64-linux-gnu)"
	exit 77
fi
[ "$failed" -eq 0 ]
