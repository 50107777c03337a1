#!/bin/bash
# The installed `xmm` under a prefix the dynamic linker does not search
# (here a fresh temporary one) runs as installed, without LD_LIBRARY_PATH:
# meson gives it an rpath to the prefix's libdir (tools/meson.build).
# A separate build: configure, build and install the library and the
# command under the temporary prefix, then run the command from there.
# Usage: install-prefix.sh SOURCE_DIR
set -eu
src=$(realpath "$1")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

meson setup "$work/build" "$src" --prefix "$work/prefix" \
	-Dtests=false >"$work/setup.log" 2>&1 ||
	{ cat "$work/setup.log"; exit 1; }
ninja -C "$work/build" -j2 >"$work/build.log" 2>&1 ||
	{ tail -n 30 "$work/build.log"; exit 1; }
meson install -C "$work/build" --quiet >/dev/null

xmm=$work/prefix/bin/xmm
[ -x "$xmm" ] || { echo "no $xmm installed"; exit 1; }
runpath=$(readelf -d "$xmm" | sed -n 's/.*(RUNPATH).*\[\(.*\)\]/\1/p')
case "$runpath" in
"$work/prefix/"*) ;;
*) echo "xmm has no rpath into the prefix: '$runpath'"; exit 1 ;;
esac
unset LD_LIBRARY_PATH
version=$("$xmm" -V) || { echo "the installed xmm did not run"; exit 1; }
echo "installed under $work/prefix, runs without LD_LIBRARY_PATH: $version"
