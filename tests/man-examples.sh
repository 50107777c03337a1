#!/bin/bash
# Every EXAMPLES section of the installed section-3 pages is a complete
# program: extract it (roff escapes undone), compile it against the
# installed library with -std=c99 -Wall -Werror, and run those that need
# no target (a program that reads argv[1] runs without it, on itself or
# a child of its own; one that prints "Usage:" without it is compiled
# only). COMPILER is the build's C compiler command and C flags (words);
# cc without it.
# Usage: man-examples.sh BUILD_DIR [B_SANITIZE [COMPILER...]]
set -eu
build=$(realpath "$1")
# A sanitized library needs the sanitizers' runtimes in the program too.
sanitize=()
if [ "${2:-none}" != none ]; then
	sanitize=("-fsanitize=$2")
fi
compiler=("${@:3}")
[ ${#compiler[@]} -gt 0 ] || compiler=(cc)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

meson install -C "$build" --destdir "$work/root" --no-rebuild --quiet
pc=$(find "$work/root" -name xmm.pc | head -n 1)
export PKG_CONFIG_PATH=$(dirname "$pc")
prefix="$work/root$(pkg-config --variable=prefix xmm)"
pc_args=(--define-variable=prefix="$prefix")
cflags=$(pkg-config "${pc_args[@]}" --cflags xmm)
libs=$(pkg-config "${pc_args[@]}" --libs xmm)
libdir=$(pkg-config "${pc_args[@]}" --variable=libdir xmm)

# The program between .EX and .EE of the EXAMPLES section, unescaped.
extract() {
	awk '/^\.SH EXAMPLES/ { on = 1; next } /^\.SH/ { on = 0 }
	     on && /^\.EX/ { code = 1; next } on && /^\.EE/ { code = 0 }
	     on && code' "$1" |
	sed -e 's/\\e/\x01/g' -e 's/\\-/-/g' -e "s/\\\\(aq/'/g" \
	    -e 's/\\(dq/"/g' -e 's/\\&//g' -e 's/\\f[BIRP]//g' \
	    -e 's/\x01/\\/g'
}

pages=0 ran=0
for page in $(find "$work/root" -path '*/man3/*.3' | sort); do
	grep -q '^\.SH EXAMPLES' "$page" || continue
	name=$(basename "$page" .3)
	extract "$page" > "$work/$name.c"
	grep -q 'main(' "$work/$name.c" ||
		{ echo "$name(3): EXAMPLES is not a complete program"; exit 1; }
	if ! "${compiler[@]}" -std=c99 -Wall -Werror \
		${sanitize[@]+"${sanitize[@]}"} $cflags "$work/$name.c" $libs \
		-o "$work/$name" 2> "$work/$name.err"; then
		echo "$name(3): the example does not compile:"
		cat "$work/$name.err"
		exit 1
	fi
	pages=$((pages + 1))
	grep -q '"Usage:' "$work/$name.c" && continue
	# Advising a child needs CAP_SYS_NICE.
	if [ "$(id -u)" -ne 0 ] &&
	   grep -q 'xmm_process_madvise(' "$work/$name.c"; then
		echo "$name(3): compiled; not run (needs CAP_SYS_NICE)"
		continue
	fi
	if ! LD_LIBRARY_PATH=$libdir timeout 60 "$work/$name" \
		> "$work/$name.out" 2>&1; then
		echo "$name(3): the example fails:"
		cat "$work/$name.out"
		exit 1
	fi
	ran=$((ran + 1))
done
[ $pages -gt 0 ] || { echo "no EXAMPLES section found"; exit 1; }
echo "$pages examples compile, $ran ran"
