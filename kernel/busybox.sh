#!/bin/bash
# A static busybox for a guest of an architecture Debian bookworm has no
# binary packages for (riscv64 is only in debian-ports there), built from
# Debian's own busybox source package with Debian's static configuration
# (debian/config/pkg/static, what busybox-static is built from) and the
# arch's cross compiler.
#
#   kernel/busybox.sh ARCH
#
# The source comes from `apt-get source busybox` (needs a deb-src line),
# once, into $XMM_KERNEL_CACHE/src (default /var/cache/xmm/src); objects go
# to $XMM_KERNEL_CACHE/cross/ARCH/busybox-obj and the binary to
# $XMM_KERNEL_CACHE/cross/ARCH/busybox/bin/busybox, where kernel/arch.sh's
# xmm_guest_busybox looks first. Does nothing when that binary exists.
# About 4 minutes on two loaded cores.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/arch.sh"
[ $# -eq 1 ] || { echo "usage: $0 ARCH" >&2; exit 2; }
arch=$1
xmm_kernel_arch "$arch" || { echo "$0: unknown arch $arch" >&2; exit 2; }
[ -n "$kernel_cross" ] ||
	{ echo "$0: $arch is native: use busybox-static" >&2; exit 2; }
out=$xmm_kernel_cache/cross/$arch/busybox
[ -x "$out/bin/busybox" ] && exit 0

src=$(ls -d "$xmm_kernel_cache"/src/busybox-[0-9]* 2>/dev/null | tail -1 ||
	true)
if [ -z "$src" ] || [ ! -f "$src/debian/config/pkg/static" ]; then
	mkdir -p "$xmm_kernel_cache/src"
	(cd "$xmm_kernel_cache/src" && apt-get source busybox >/dev/null 2>&1) ||
		{ echo "$0: no busybox source: enable deb-src and run" \
		       "'apt-get source busybox' in $xmm_kernel_cache/src" >&2
		  exit 1; }
	src=$(ls -d "$xmm_kernel_cache"/src/busybox-[0-9]* | tail -1)
fi
obj=$xmm_kernel_cache/cross/$arch/busybox-obj
mkdir -p "$obj"
prefix="CONFIG_CROSS_COMPILER_PREFIX="
sed "s|^$prefix.*|$prefix\"$kernel_cross\"|" \
	"$src/debian/config/pkg/static" > "$obj/.config"
yes '' | make -C "$src" O="$obj" oldconfig >/dev/null
make -C "$src" O="$obj" -j2 -s busybox
mkdir -p "$out/bin"
cp "$obj/busybox" "$out/bin/busybox.tmp"
mv "$out/bin/busybox.tmp" "$out/bin/busybox"
echo "$out/bin/busybox"
