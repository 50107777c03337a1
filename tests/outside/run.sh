#!/bin/bash
# Run third-party process_madvise tests against xmm, as a new user would:
# the kernel's selftest tools/testing/selftests/mm/process_madv.c and LTP's
# testcases/kernel/syscalls/process_madvise/process_madvise01.c, each
# compiled with shim.h, which routes their process_madvise syscalls to
# xmm_process_madvise().  Their sources are NOT in this tree: pass
# checkouts.  Not run by meson or CI (it needs those checkouts, which need
# the network).  doc/outside-tests.md records what was run and the results.
#
#   tests/outside/run.sh [-b XMM_BUILD] [-l LINUX] [-t LTP] [-m MOBY]
#                        [-a BIONIC] [-g] [-o OUT]
#
#   -b XMM_BUILD  a meson build dir of xmm (default: build); its
#                 src/libxmm.so is linked, with an rpath
#   -l LINUX      a Linux checkout with tools/testing/selftests/mm/
#                 process_madv.c (6.17 or later; the harness headers may
#                 be older)
#   -t LTP        an LTP checkout; its lib/ is built if libltp.a is absent
#                 (make autotools, ./configure, make -C lib: autoconf and
#                 automake needed)
#   -m MOBY       a checkout with Docker's profiles/seccomp/default.json
#                 (moby/profiles, or moby/moby: vendor/github.com/moby/...)
#   -a BIONIC     an Android bionic checkout (libc/SYSCALLS.TXT and the
#                 SECCOMP_*.TXT lists)
#   -g            also run in the 6.1 x86_64 QEMU guest (stock kernel from
#                 kernel/cache.sh; takes /var/cache/xmm/x86.lock)
#   -o OUT        work and log dir (default: a new dir under /tmp)
#
# Setups (columns of the table):
#   plain           the host's kernel as it is
#   enosys          caller and targets under a seccomp filter that makes
#                   process_madvise answer ENOSYS (enosys-exec), no flags
#   enosys+inject   the same, the shim adding XMM_PMADV_INJECT to every call
#   enosys+unchk    ... adding XMM_PMADV_INJECT_UNCHECKED
#   enosys+both     ... adding both
#   docker          Docker's default profile for a container with the
#                   default capabilities (-m): process_madvise answers EPERM
#   docker+unchk    the same, XMM_PMADV_INJECT_UNCHECKED added
#   android12       Android's app policy from bionic (-a), process_madvise
#                   allowed but answering ENOSYS (a 5.4 kernel)
#   android12+unchk the same, XMM_PMADV_INJECT_UNCHECKED added
#   android11       the app policy without process_madvise and pidfd_*
#                   (bionic before 2020-12 and 2021-02): they trap, SIGSYS
#   guest:...       plain and the four enosys setups inside the 6.1 guest (-g)
# The Android setups also allow what the glibc test programs call and
# bionic programs do not: $android_glibc_extras below.
# A cell is pass, fail, skip (the test said why: see the log), or conf
# (LTP's TCONF).  Exit status: 0 when no cell failed, 1 otherwise.
set -u
here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
build=$top/build linux= ltp= guest=0 out= moby= bionic=
android_glibc_extras="access set_robust_list rseq alarm pause poll chmod dup2
	unlink"
while getopts b:l:t:m:a:go: opt; do
	case $opt in
	b) build=$(cd "$OPTARG" && pwd) ;;
	l) linux=$(cd "$OPTARG" && pwd) ;;
	t) ltp=$(cd "$OPTARG" && pwd) ;;
	m) moby=$(cd "$OPTARG" && pwd) ;;
	a) bionic=$(cd "$OPTARG" && pwd) ;;
	g) guest=1 ;;
	o) out=$OPTARG ;;
	*) sed -n 9,50p "$0" >&2; exit 2 ;;
	esac
done
[ -n "$linux$ltp" ] || { echo "$0: give -l LINUX and/or -t LTP" >&2; exit 2; }
[ -e "$build/src/libxmm.so" ] ||
	{ echo "$0: no $build/src/libxmm.so" >&2; exit 2; }
[ -n "$out" ] || out=$(mktemp -d /tmp/xmm-outside.XXXXXX)
mkdir -p "$out" && out=$(cd "$out" && pwd)
nr_process_madvise=$(printf '#include <sys/syscall.h>\nSYS_process_madvise\n' |
		     cc -E -P - | tail -n 1)

cc=${CC:-cc}
cflags="-O2 -g -Wall -Wno-sign-compare"
xmm_inc="-I$top/include -I$build/include"
xmm_lib="-L$build/src -lxmm -Wl,-rpath,$build/src"
programs=()	# "name path" of each built test program

$cc $cflags $xmm_inc -c "$here/shim.c" -o "$out/shim.o" || exit 1
$cc $cflags "$here/enosys-exec.c" -o "$out/enosys-exec" || exit 1
if [ -n "$moby$bionic" ]; then
	$cc $cflags "$here/policy-exec.c" -lseccomp -o "$out/policy-exec" ||
		exit 1
fi
if [ -n "$moby" ]; then
	m=$moby
	[ -e "$m/profiles/seccomp/default.json" ] ||
		m=$moby/vendor/github.com/moby
	python3 "$here/policy-names.py" docker "$m" > "$out/docker.names" ||
		exit 1
fi
if [ -n "$bionic" ]; then
	python3 "$here/policy-names.py" android-app "$bionic" \
		> "$out/android12.names" &&
	python3 "$here/policy-names.py" android-app "$bionic" --without \
		process_madvise,pidfd_open,pidfd_getfd,pidfd_send_signal \
		> "$out/android11.names" || exit 1
	for f in android12 android11; do
		printf '%s\n' $android_glibc_extras >> "$out/$f.names"
	done
fi

if [ -n "$linux" ]; then
	st=$linux/tools/testing/selftests
	# A copy, so that "vm_util.h" resolves to the shim's, not mm/'s.
	mkdir -p "$out/selftest/mm"
	cp "$st/mm/process_madv.c" "$out/selftest/mm/" || exit 1
	$cc $cflags -include "$here/shim.h" -I"$here/include" -I"$st/mm" \
		-I"$st" -c "$out/selftest/mm/process_madv.c" \
		-o "$out/process_madv.o" &&
	$cc "$out/process_madv.o" "$out/shim.o" $xmm_lib \
		-o "$out/process_madv" || exit 1
	programs+=("process_madv $out/process_madv")
fi
if [ -n "$ltp" ]; then
	if [ ! -e "$ltp/lib/libltp.a" ]; then
		echo "== building LTP's lib in $ltp (log: $out/ltp-lib.log)"
		(cd "$ltp" && { [ -e configure ] || make autotools; } &&
		 ./configure && make -C lib -j2) > "$out/ltp-lib.log" 2>&1 ||
			{ echo "$0: LTP lib build failed" >&2; exit 1; }
	fi
	t=$ltp/testcases/kernel/syscalls/process_madvise
	$cc $cflags -include "$here/shim.h" -I"$ltp/include" \
		-I"$ltp/include/old" -I"$t" -c "$t/process_madvise01.c" \
		-o "$out/process_madvise01.o" &&
	$cc "$out/process_madvise01.o" "$out/shim.o" -L"$ltp/lib" -lltp \
		$xmm_lib -o "$out/process_madvise01" || exit 1
	programs+=("process_madvise01 $out/process_madvise01")
fi

setups=(plain enosys enosys+inject enosys+unchk enosys+both)
host_setups=("${setups[@]}")
[ -n "$moby" ] && host_setups+=(docker docker+unchk)
[ -n "$bionic" ] && host_setups+=(android12 android12+unchk android11)
# The enosys-exec arguments of a setup.
setup_args() {
	local policy=$out/policy-exec

	case $1 in
	plain)		echo "-" ;;
	enosys)		echo "$nr_process_madvise" ;;
	enosys+inject)	echo "$nr_process_madvise XMM_SHIM_FLAGS=inject" ;;
	enosys+unchk)	echo "$nr_process_madvise XMM_SHIM_FLAGS=unchecked" ;;
	enosys+both)	echo "$nr_process_madvise" \
				"XMM_SHIM_FLAGS=inject,unchecked" ;;
	docker)		echo "- $policy -d eperm -D $out/docker.names" ;;
	docker+unchk)	echo "- XMM_SHIM_FLAGS=unchecked" \
				"$policy -d eperm -D $out/docker.names" ;;
	android12)	echo "$nr_process_madvise" \
				"$policy -d trap $out/android12.names" ;;
	android12+unchk) echo "$nr_process_madvise XMM_SHIM_FLAGS=unchecked" \
				"$policy -d trap $out/android12.names" ;;
	android11)	echo "- XMM_SHIM_FLAGS=unchecked" \
				"$policy -d trap $out/android11.names" ;;
	esac
}

# Results: lines "CASE SETUP RESULT" in $out/results.
: > "$out/results"
# parse LOG PROGRAM SETUP: one result line per test case of the log.
parse() {
	local log=$1 program=$2 setup=$3
	if [ "$program" = process_madvise01 ]; then
		local r=broken
		if grep -q 'TFAIL' "$log"; then r=fail
		elif grep -q 'TBROK' "$log"; then r=broken
		elif grep -q 'TPASS' "$log"; then r=pass
		elif grep -q 'TCONF' "$log"; then r=conf
		fi
		echo "process_madvise01 $setup $r" >> "$out/results"
		return
	fi
	# kselftest TAP: "#  RUN  fixture.case ...", then "ok N ...", "ok N
	# # SKIP reason" or "not ok N ..." (older harnesses omit the name).
	awk -v s="$setup" '
		/^#  RUN / { name = $3 }
		/^ok [0-9]+/ { print name, s, (/# SKIP/ ? "skip" : "pass") }
		/^not ok [0-9]+/ { print name, s, "fail" }
	' "$log" >> "$out/results"
	grep -q '^ok\|^not ok' "$log" ||
		echo "process_madv(all) $setup broken" >> "$out/results"
}

for entry in "${programs[@]}"; do
	set -- $entry
	name=$1 path=$2
	for setup in "${host_setups[@]}"; do
		log=$out/$name.$setup.log
		echo "== $name, $setup (log: $log)"
		# In a session of its own, so that what a dead test leaves
		# behind (a target child pausing) is killed with it.
		(cd "$out" && XMM_SHIM_LOG=1 exec setsid timeout 600 \
			"$out/enosys-exec" $(setup_args "$setup") "$path" \
			> "$log" 2>&1 < /dev/null) &
		session=$!
		wait $session
		# (kselftest puts each test in a process group of its own)
		for pid in $(ps -eo pid=,sid= |
			     awk -v s=$session '$2 == s { print $1 }'); do
			kill -KILL "$pid" 2>/dev/null
		done
		# LTP's IPC file, /dev/shm/ltp_TEST_PID, stays behind when the
		# policy kills the test before it unlinks it (android11), and a
		# later run given the same pid then breaks (TBROK EEXIST).
		for ipc in /dev/shm/ltp_"$name"_*; do
			[ -e "$ipc" ] && [ ! -d "/proc/${ipc##*_}" ] &&
				rm -f "$ipc"
		done
		parse "$log" "$name" "$setup"
	done
done

if [ "$guest" = 1 ]; then
	# Per program: itself (setup plain; run-guest.sh copies it in with
	# the libraries ldd names), then enosys-exec for each other setup.
	guest_args=()
	for entry in "${programs[@]}"; do
		set -- $entry
		guest_args+=(-- "$2")
		for setup in "${setups[@]:1}"; do
			guest_args+=(-- "$out/enosys-exec"
				     $(setup_args "$setup") "$2")
		done
	done
	echo "== 6.1 guest (log: $out/guest/console.log)"
	flock_cmd=(flock /var/cache/xmm/x86.lock)
	# Already held by our caller (flock ... run.sh): do not wait for it.
	inode=$(stat -c %i /var/cache/xmm/x86.lock 2>/dev/null)
	awk -v i=":$inode" \
		'$2 == "FLOCK" && $6 ~ i "$" { f = 1 } END { exit !f }' \
		/proc/locks && flock_cmd=()
	"${flock_cmd[@]}" bash -c '
		top=$1; shift
		dir=$("$top"/kernel/cache.sh stock) || exit 1
		# LTP reads the kernel config (no /proc/config.gz there).
		"$top"/kernel/run-guest.sh -q -t 600 -e XMM_SHIM_LOG=1 \
			-a "$dir"/config-stock \
			-e KCONFIG_PATH="$dir"/config-stock \
			"$dir"/bzImage-stock "$@"' run "$top" \
		"$out/guest" "${guest_args[@]}" > "$out/guest.log" 2>&1
	# Split the console by program, in the order they ran.
	i=0
	for entry in "${programs[@]}"; do
		set -- $entry
		for setup in "${setups[@]}"; do
			i=$((i + 1))
			awk -v n=$i '/XMM-BEGIN/ { k++ } k == n' \
				"$out/guest/console.log" |
				sed 's/^\[[^]]*\] //' \
				> "$out/guest.$1.$setup.log"
			parse "$out/guest.$1.$setup.log" "$1" "guest:$setup"
		done
	done
fi

# The table: one row per test case, one column per setup.
awk '
	{ if (!($1 in seen)) { seen[$1] = 1; rows[++n] = $1 }
	  if (!($2 in cseen)) { cseen[$2] = 1; cols[++m] = $2 }
	  cell[$1, $2] = $3 }
	END {
		printf "%-44s", "test case"
		for (j = 1; j <= m; j++) printf " %-14s", cols[j]
		printf "\n"
		for (i = 1; i <= n; i++) {
			printf "%-44s", rows[i]
			for (j = 1; j <= m; j++) {
				c = cell[rows[i], cols[j]]
				printf " %-14s", c == "" ? "-" : c
			}
			printf "\n"
		}
	}' "$out/results" | tee "$out/table.txt"
! grep -q ' fail$\| broken$' "$out/results"
