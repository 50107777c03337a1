#!/bin/sh
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build a static libcmocka.a for one compiler from Debian's cmocka source
# package, for targets where no libcmocka-dev exists: the cross
# architectures and musl. Nothing of cmocka is kept in this tree; the source
# comes from `apt-get source cmocka` (needs a deb-src line), once, into
# $XMM_CMOCKA_SRC (default /var/cache/xmm/src/cmocka-*).
#
#   cross/cmocka.sh CC PREFIX
#
# Installs PREFIX/include/cmocka.h, PREFIX/lib/libcmocka.a and
# PREFIX/lib/pkgconfig/cmocka.pc (what meson's dependency('cmocka') finds
# through the cross file's pkg_config_libdir). Does nothing when
# PREFIX/lib/libcmocka.a exists and is newer than the source.
set -eu
[ $# -eq 2 ] || { echo "usage: $0 CC PREFIX" >&2; exit 2; }
cc=$1
prefix=$2
cache=${XMM_KERNEL_CACHE:-/var/cache/xmm}
src=${XMM_CMOCKA_SRC:-}
if [ -z "$src" ]; then
	src=$(ls -d "$cache"/src/cmocka-[0-9]* 2>/dev/null | tail -1 || true)
fi
if [ -z "$src" ] || [ ! -f "$src/src/cmocka.c" ]; then
	mkdir -p "$cache/src"
	(cd "$cache/src" && apt-get source cmocka >/dev/null 2>&1) || {
		echo "$0: no cmocka source: set XMM_CMOCKA_SRC or enable" \
		     "deb-src and run 'apt-get source cmocka' in" \
		     "$cache/src" >&2
		exit 1
	}
	src=$(ls -d "$cache"/src/cmocka-[0-9]* | tail -1)
fi
lib=$prefix/lib/libcmocka.a
if [ -f "$lib" ] && [ "$lib" -nt "$src/src/cmocka.c" ]; then
	exit 0
fi
version=$(sed -n 's/^project(cmocka VERSION \([0-9.]*\).*/\1/p' \
	"$src/CMakeLists.txt")
mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# What cmocka's ConfigureChecks.cmake finds on any Linux libc.
cat > "$tmp/config.h" <<CONF
#define HAVE_INTTYPES_H 1
#define HAVE_SIGNAL_H 1
#define HAVE_STRINGS_H 1
#define HAVE_STDINT_H 1
#define HAVE_SETJMP_H 1
#define HAVE_GCC_THREAD_LOCAL_STORAGE 1
#define HAVE_CLOCK_REALTIME 1
#define HAVE_CLOCK_GETTIME 1
#define HAVE_STRUCT_TIMESPEC 1
#define HAVE_SIGLONGJMP 1
#define HAVE_STRSIGNAL 1
#define HAVE_SNPRINTF 1
#define HAVE_VSNPRINTF 1
CONF
$cc -std=gnu99 -O2 -D_GNU_SOURCE -DHAVE_CONFIG_H -I"$tmp" \
	-I"$src/include" -c "$src/src/cmocka.c" -o "$tmp/cmocka.o"
ar=${cc%gcc}ar
command -v "$ar" >/dev/null 2>&1 || ar=ar
"$ar" rcs "$tmp/libcmocka.a" "$tmp/cmocka.o"
cp "$src/include/cmocka.h" "$src/include/cmocka_pbc.h" "$prefix/include/"
cat > "$prefix/lib/pkgconfig/cmocka.pc" <<PC
prefix=$prefix
Name: cmocka
Description: cmocka $version, static, built by xmm's cross/cmocka.sh
Version: $version
Libs: -L\${prefix}/lib -lcmocka
Cflags: -I\${prefix}/include
PC
mv "$tmp/libcmocka.a" "$lib"
