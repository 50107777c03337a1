#!/bin/bash
# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Run the cross-built test programs of each architecture under qemu-user
# and print a table: test program x architecture, pass / skip / FAIL.
#
#   cross/qemu-user.sh [-o OUTDIR] [-n] [TARGET...]
#
# -n: run the programs natively instead, on this kernel (i386 on an x86_64
# kernel with IA32 emulation; logs and results.txt then go to
# OUTDIR/<target>/native/).
#
# TARGETs are build dirs OUTDIR/<target> made by cross/build-all.sh
# (default build-cross/; targets aarch64 armhf i386 riscv64 ppc64el s390x
# mips64el by default.  Left out: x32, which qemu-user does not emulate
# and which needs a kernel with CONFIG_X86_X32_ABI).  binfmt_misc need not
# be mounted: each program runs as `qemu-ARCH-static -L /usr/TRIPLE -E
# LD_LIBRARY_PATH=/usr/TRIPLE/lib PROGRAM`, with the environment and
# timeout meson gives it (meson introspect --tests).  LD_LIBRARY_PATH keeps
# the target's ld.so (from -L) with its own libc: without it the host's
# /etc/ld.so.cache sent i386's to libc6-i386's /lib32/libc.so.6, another
# build of glibc than the cross ld.so, and every forked child then spun
# forever in user space.  Only the cmocka
# programs of the default suite run (not the stress suite, not the
# scripts).  The programs skip, with the reason printed, what qemu-user
# cannot do (tests/harness.c probes ptrace, seccomp, process_vm_readv,
# process_madvise, userfaultfd, exec and /proc/PID/exe at run time).
# Logs: OUTDIR/<target>/qemu-user/<test>.log, and results.txt there (one
# "NAME rc=N pass|skip|fail" line per program, the form .ci/check-skips
# reads from the guests).  Each line gives the program's wall time in
# milliseconds: one that skips at its first probe takes 10 to 50 (these
# showed as 0.0 s with one decimal).  Exit status 1 if any cell is FAIL.
set -u
. "$(dirname "$0")/lib.sh"
cross_args n "$cross_run_targets" "$@"
src=$cross_src out=$cross_out native=$cross_native targets=$cross_targets
logdir=qemu-user
$native && logdir=native

# qemu's name for a target's machine.
qemu_arch() {
	case $1 in
	aarch64) echo aarch64 ;;
	armhf) echo arm ;;
	i386) echo i386 ;;
	riscv64) echo riscv64 ;;
	ppc64el) echo ppc64le ;;
	s390x) echo s390x ;;
	mips64el) echo mips64el ;;
	x32) echo x86_64 ;;
	*) return 1 ;;
	esac
}

# The sysroot of a target's libraries: its compiler's triple under /usr.
triple() {
	local cc

	cc=$(cross_cc "$1")
	echo "${cc%-gcc}"
}

results=$(mktemp)
trap 'rm -f "$results"' EXIT
failed=0
for t in $targets; do
	dir=$out/$t
	qemu=qemu-$(qemu_arch "$t")-static || {
		echo "FAIL $t: no qemu-user for it"; failed=1; continue; }
	sysroot=/usr/$(triple "$t")
	runner="$qemu -L $sysroot -E LD_LIBRARY_PATH=$sysroot/lib"
	$native && runner=""
	if [ ! -f "$dir/build.ninja" ]; then
		echo "FAIL $t: $dir missing (run cross/build-all.sh $t)"
		failed=1
		continue
	fi
	if ! ninja -C "$dir" >/dev/null; then
		echo "FAIL $t: build"
		failed=1
		continue
	fi
	mkdir -p "$dir/$logdir"
	# One line per program, as kernel/run-guest.sh writes them, for
	# .ci/check-skips STAGE guest DIR.
	: >"$dir/$logdir/results.txt"
	# name, timeout, NUL-separated env and command, one test per line.
	meson introspect --tests "$dir" | python3 -c '
import json, shlex, sys
for t in json.load(sys.stdin):
    if "xmm:default" not in t["suite"] or not t["cmd"][0].endswith("-test"):
        continue
    env = " ".join(shlex.quote(k + "=" + v) for k, v in t["env"].items())
    print(t["name"], t["timeout"], env, "--",
          " ".join(shlex.quote(c) for c in t["cmd"]))
' | while read -r name timeout rest; do
		log=$dir/$logdir/$name.log
		start=${EPOCHREALTIME//[!0-9]/}
		( cd "$dir" && eval "timeout $timeout env ${rest%% -- *}" \
			"$runner ${rest#* -- }" ) >"$log" 2>&1 </dev/null
		rc=$?
		ms=$(((${EPOCHREALTIME//[!0-9]/} - start) / 1000))
		case $rc in
		0) cell=pass
		   skipped=$(sed -n 's/^\[  SKIPPED \] \([0-9]*\) test.*/\1/p' \
			"$log")
		   [ -z "$skipped" ] || cell="pass ($skipped skipped)" ;;
		77) cell=skip ;;
		*) cell=FAIL ;;
		esac
		printf '%-8s %-18s %-20s %6d ms' "$t" "$name" "$cell" "$ms"
		[ "$cell" = skip ] && printf '  %s' "$(grep -m1 '^SKIP' "$log")"
		[ "$cell" = FAIL ] && printf '  exit %d, log %s' $rc "$log"
		echo
		echo "$t|$name|$cell" >>"$results"
		case $rc in
		0) word=pass ;;
		77) word=skip ;;
		*) word=fail ;;
		esac
		echo "$name rc=$rc $word" >>"$dir/$logdir/results.txt"
	done
done

python3 - "$results" "$targets" <<'PY'
import sys
rows, archs = {}, sys.argv[2].split()
for line in open(sys.argv[1]):
    arch, name, cell = line.rstrip("\n").split("|")
    rows.setdefault(name, {})[arch] = cell
print()
print("| test program | " + " | ".join(archs) + " |")
print("|---|" + "---|" * len(archs))
for name in rows:
    print("| %s | %s |" % (name, " | ".join(rows[name].get(a, "-")
                                          for a in archs)))
PY
grep -q '|FAIL$' "$results" && failed=1
exit $failed
