#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Build xmm (library, xmm command, tests, examples) for every Debian
# architecture with warnings as errors, and musl, and check each ABI's
# column of src/syscall_table.h against that architecture's kernel headers.
#
#   cross/build-all.sh [-o OUTDIR] [TARGET...]
#
# TARGETs: the cross files cross/<target>.txt (aarch64 armhf i386 riscv64
# ppc64el s390x mips64el x32) and musl; all of them by default. Build dirs
# go to OUTDIR/<target> (default build-cross/ in the source tree); cmocka
# for each target is built by cross/cmocka.sh into /var/cache/xmm/cross/.
# Prints one line per target and check, and a summary table; exits 1 if any
# build or table check failed (a missing cross compiler is a failure too:
# .ci/packages-cross lists them all).
#
# The table check compiles tests/syscall-table-static.c with the target's
# compiler: a _Static_assert per syscall compares XMM_NR_<name> with the
# __NR_<name> of that compiler's <asm/unistd.h> (linux-libc-dev-ARCH-cross),
# and every merged call the headers lack must have no number in the table.
set -u
. "$(dirname "$0")/lib.sh"
cross_args "" "$cross_build_targets" "$@"
src=$cross_src out=$cross_out targets=$cross_targets
cache=${XMM_KERNEL_CACHE:-/var/cache/xmm}
mkdir -p "$out" "$cache/cross"

# musl-gcc sees no kernel headers; give it linux/, asm/ and asm-generic/
# of linux-libc-dev (and nothing else of glibc's /usr/include).
musl_kernel_headers() {
	local dir=$cache/cross/musl/kernel-include
	mkdir -p "$dir"
	ln -sfn /usr/include/linux "$dir/linux"
	ln -sfn /usr/include/asm-generic "$dir/asm-generic"
	ln -sfn "/usr/include/$(gcc -print-multiarch)/asm" "$dir/asm"
	echo "$dir"
}

failed=0
summary=()
for t in $targets; do
	file=$src/cross/$t.txt
	if [ ! -f "$file" ]; then
		echo "$t: no cross file $file"
		failed=1
		continue
	fi
	cc=$(cross_cc "$t")
	lib=- tests=- table=-
	if ! command -v "$cc" >/dev/null 2>&1; then
		echo "FAIL $t: $cc not installed (see .ci/packages-cross)"
		summary+=("$t|$cc missing|-|-")
		failed=1
		continue
	fi
	prefix=$cache/cross/$t
	cflags=()
	setup=(--cross-file "$file")
	if [ "$t" = musl ]; then
		hdr=$(musl_kernel_headers)
		cflags=(-idirafter "$hdr")
		setup=(--native-file "$file" -Dc_args="-idirafter $hdr")
	fi
	log=$out/$t.log
	: > "$log"
	if ! "$src/cross/cmocka.sh" "$cc" "$prefix" >>"$log" 2>&1; then
		echo "FAIL $t: cmocka for $cc (log: $log)"
		summary+=("$t|no cmocka|-|-")
		failed=1
		continue
	fi
	dir=$out/$t
	if [ -f "$dir/build.ninja" ]; then
		meson setup --reconfigure "$dir" "${setup[@]}" >>"$log" 2>&1
	else
		meson setup "$dir" "$src" "${setup[@]}" -Dwerror=true \
			-Dbench=false >>"$log" 2>&1
	fi
	rc=$?
	if [ $rc = 0 ] && ninja -k 0 -C "$dir" >>"$log" 2>&1; then
		lib=ok tests=ok
		# What was built: the library, the command, every test program.
		[ -e "$dir/src/libxmm.so" ] || lib=missing
		ls "$dir"/tests/*-test >/dev/null 2>&1 || tests=missing
		[ -e "$dir/tools/xmm" ] || lib="$lib, no xmm command"
		echo "ok   $t: library, xmm command and tests built with" \
		     "-Werror"
	else
		lib=FAIL
		echo "FAIL $t: build (log: $log)"
		grep -E 'error|warning' "$log" | head -20 | sed 's/^/     /'
		failed=1
	fi
	if "$cc" -std=gnu11 -D_GNU_SOURCE "${cflags[@]}" \
		-I"$src/src" -I"$src/tests" \
		-c "$src/tests/syscall-table-static.c" -o /dev/null \
		>>"$log" 2>&1
	then
		table=ok
		echo "ok   $t: syscall table column matches $cc's" \
		     "<asm/unistd.h>"
	else
		table=FAIL
		echo "FAIL $t: syscall table column differs from $cc's" \
		     "<asm/unistd.h>:"
		grep -E 'error:' "$log" | tail -5 | sed 's/^/     /'
		failed=1
	fi
	[ "$lib" = ok ] && [ "$tests" = ok ] || failed=1
	summary+=("$t|$lib|$tests|$table")
done

echo
echo "| target | library + xmm | tests | syscall table vs headers |"
echo "|---|---|---|---|"
for row in "${summary[@]}"; do
	IFS='|' read -r t lib tests table <<< "$row"
	echo "| $t | $lib | $tests | $table |"
done
exit $failed
