#!/bin/bash
# Boot a kernel under QEMU (TCG) with a busybox initramfs and run programs.
#
#   kernel/run-guest.sh [options] KERNEL_IMAGE OUT_DIR -- PROG [ARGS...] [-- PROG [ARGS...]]...
#
# Options:
#   -t SECONDS   per-program timeout inside the guest (default 300)
#   -T SECONDS   timeout for the whole guest run (default: 90 + sum of
#                per-program timeouts)
#   -m SIZE      guest memory (default 1G)
#   -c CPUS      guest CPUs (default 1; the stock and patched kernels are
#                built without SMP, the debug one with it)
#   -e NAME=VAL  environment variable for the programs (repeatable)
#   -a PATH      extra file or directory copied into the guest at the same
#                absolute path (repeatable)
#   -k ARGS      extra kernel command-line arguments
#   -q           quiet: do not echo the guest console
#   -A ARCH      the kernel's and the programs' architecture: x86_64 (the
#                default), aarch64, riscv64 (kernel/arch.sh). Programs of
#                another arch than the host's must be static.
#
# Each program is copied into the guest at its absolute host path together
# with the shared libraries ldd reports and the dynamic loader, and runs with
# its own directory as the working directory. The guest prints, per program,
#   XMM-BEGIN name            before it starts
#   XMM-TEST name rc=N        when it ends (N=137 or 143: killed by timeout)
# and XMM-DONE at the end, then reboots (QEMU exits because of -no-reboot).
#
# Output in OUT_DIR: console.log (whole serial console), NAME.log (the
# console lines of one program), results.txt (one "name rc=N status" line
# each). Status per program: pass (rc 0), skip (rc 77), fail (anything
# else). Exit status: 0 if every program passed or skipped, the guest
# reached XMM-DONE and the kernel logged no BUG/Oops/WARNING/panic;
# 1 otherwise; 2 on usage errors. With a single program that skipped,
# 77 instead of 0, so a test harness (meson) can show the skip.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/arch.sh"

usage() {
	sed -n '3,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

test_timeout=300
total_timeout=
mem=1G
cpus=1
quiet=0
kargs=
envs=()
extras=()
arch=x86_64
while getopts "t:T:m:c:e:a:k:qA:h" opt; do
	case $opt in
	t) test_timeout=$OPTARG ;;
	T) total_timeout=$OPTARG ;;
	m) mem=$OPTARG ;;
	c) cpus=$OPTARG ;;
	e) envs+=("$OPTARG") ;;
	a) extras+=("$OPTARG") ;;
	k) kargs="$kargs $OPTARG" ;;
	q) quiet=1 ;;
	A) arch=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 4 ] || usage
kernel=$1
out=$2
shift 2
[ "$1" = "--" ] || usage
[ -r "$kernel" ] || { echo "$0: cannot read kernel image $kernel" >&2; exit 2; }
xmm_kernel_arch "$arch" || usage
foreign=0
[ "$arch" = "$(uname -m)" ] || foreign=1
for tool in "${qemu_cmd[0]}" cpio ldd timeout; do
	command -v $tool >/dev/null || { echo "$0: $tool not found" >&2; exit 2; }
done
# busybox-static's /bin/busybox (for another arch: arch.sh's); a dynamic
# busybox gets its libraries copied like the programs' below.
busybox=$(xmm_guest_busybox "$arch") || exit 2
[ -n "$busybox" ] && [ -x "$busybox" ] || { echo "$0: busybox (busybox-static) not found" >&2; exit 2; }

mkdir -p "$out"
out=$(cd "$out" && pwd)
stage=$(mktemp -d "${TMPDIR:-/var/tmp}/xmm-initramfs.XXXXXX")
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,run,etc,root}
# mktemp made the stage 0700, and cpio gives its mode to the guest's "/":
# an unprivileged process there could not even reach /proc. Modes of a
# real root file system instead.
chmod 0755 "$stage"
chmod 1777 "$stage/tmp"
cp "$busybox" "$stage/bin/busybox"
echo "root:x:0:0:root:/root:/bin/sh" > "$stage/etc/passwd"
echo "root:x:0:" > "$stage/etc/group"

# copy_file PATH: copy PATH (following links) to the same path in the guest.
copy_file() {
	local dst=$stage$1
	[ -e "$dst" ] && return
	mkdir -p "$(dirname "$dst")"
	cp -L "$1" "$dst"
}

libdirs=""
# copy_with_libs PROG: the program, its libraries and its loader.
copy_with_libs() {
	local prog=$1 lib
	copy_file "$prog"
	# Another arch's programs: ldd cannot read them; they must be static.
	if [ $foreign = 1 ]; then
		if "${kernel_cross}readelf" -l "$prog" 2>/dev/null |
			grep -q 'program interpreter'; then
			echo "$0: $prog is dynamic; $arch programs must be static" >&2
			exit 2
		fi
		return
	fi
	# "name => /path (addr)", "/lib64/ld-linux-x86-64.so.2 (addr)"
	for lib in $(ldd "$prog" 2>/dev/null |
		sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
		copy_file "$lib"
		# the loader also needs to be reachable under its own link name
		case ":$libdirs:" in
		*":$(dirname "$lib"):"*) ;;
		*) libdirs=${libdirs:+$libdirs:}$(dirname "$lib") ;;
		esac
	done
	if ldd "$prog" 2>&1 | grep -q "not found"; then
		echo "$0: warning: $prog has unresolved libraries:" >&2
		ldd "$prog" | grep "not found" >&2
	fi
}

quote() {
	local s=${1//\'/\'\\\'\'}
	printf "'%s'" "$s"
}

[ $foreign = 1 ] ||
for lib in $(ldd "$busybox" 2>/dev/null |
	sed -n 's/.*=> \(\/[^ ]*\) .*/\1/p; s/^[[:space:]]*\(\/[^ ]*\) (.*/\1/p'); do
	copy_file "$lib"
done

# Split the programs on "--" and write the guest's test list.
runlist=$stage/xmm-tests.sh
: > "$runlist"
names=()
count=0
shift	# the first --
while [ $# -gt 0 ]; do
	args=()
	while [ $# -gt 0 ] && [ "$1" != "--" ]; do
		args+=("$1")
		shift
	done
	[ $# -gt 0 ] && shift
	[ ${#args[@]} -gt 0 ] || continue
	prog=${args[0]}
	case $prog in
	*/*) ;;
	*) prog=$(command -v "$prog" || true) ;;
	esac
	[ -n "$prog" ] && [ -f "$prog" ] || { echo "$0: no such program: ${args[0]}" >&2; exit 2; }
	prog=$(cd "$(dirname "$prog")" && pwd)/$(basename "$prog")
	copy_with_libs "$prog"
	name=$(basename "$prog")
	n=1
	while printf '%s\n' "${names[@]+"${names[@]}"}" | grep -qx "$name"; do
		n=$((n + 1))
		name=$(basename "$prog").$n
	done
	names+=("$name")
	count=$((count + 1))
	cmd="run_test $(quote "$name") $(quote "$(dirname "$prog")") $(quote "$prog")"
	for a in "${args[@]:1}"; do
		cmd="$cmd $(quote "$a")"
	done
	echo "$cmd" >> "$runlist"
done
[ $count -gt 0 ] || usage

for x in "${extras[@]+"${extras[@]}"}"; do
	x=$(cd "$(dirname "$x")" && pwd)/$(basename "$x")
	mkdir -p "$stage$(dirname "$x")"
	cp -aL "$x" "$stage$(dirname "$x")/"
done

{
	echo "export PATH=/bin:/sbin:/usr/bin:/usr/sbin"
	echo "export LD_LIBRARY_PATH=$(quote "$libdirs")"
	echo "export HOME=/root TMPDIR=/tmp"
	for e in "${envs[@]+"${envs[@]}"}"; do
		echo "export $(quote "$e")"
	done
} > "$stage/xmm-env.sh"

cat > "$stage/init" <<INIT
#!/bin/busybox sh
/bin/busybox --install -s
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mkdir -p /dev/shm /dev/pts
# /tmp stays on the rootfs (tmpfs): programs may live there
mount -t tmpfs tmpfs /dev/shm
mount -t tmpfs tmpfs /run
. /xmm-env.sh
echo "XMM-BOOT \$(uname -r) \$(cat /proc/uptime)"
run_test() {
	name=\$1
	dir=\$2
	shift 2
	echo "XMM-BEGIN \$name"
	( cd "\$dir" && exec timeout -s KILL $test_timeout "\$@" ) </dev/null 2>&1
	echo "XMM-TEST \$name rc=\$?"
}
. /xmm-tests.sh
echo "XMM-DONE \$(cat /proc/uptime)"
sync
reboot -f
sleep 10
INIT
chmod +x "$stage/init"

initrd=$out/initramfs.cpio
(cd "$stage" && find . | cpio -o -H newc --quiet) > "$initrd"

if [ -z "$total_timeout" ]; then
	total_timeout=$((90 + count * test_timeout))
fi

# Under TCG the guest cannot calibrate its TSC against the PIT and falls
# back to a 10 ms jiffies clock. The guest's TSC runs at the host's rate:
# tell it that rate (an error in it scales all timings alike, so ratios
# stay exact).
khz=$(awk -F: '/^cpu MHz/ { printf "%d", $2 * 1000; exit }' /proc/cpuinfo 2>/dev/null || true)
if [ "$arch" = x86_64 ] && [ -n "$khz" ] && [ "$khz" -gt 0 ]; then
	kargs="tsc_early_khz=$khz tsc=reliable$kargs"
fi

console=$out/console.log
start=$(date +%s)
set +e
if [ $quiet = 1 ]; then
	echo_console() { cat > /dev/null; }
else
	echo_console() { cat; }
fi
timeout -s KILL "$total_timeout" "${qemu_cmd[@]}" -accel tcg -m "$mem" -smp "$cpus" \
	-nographic -no-reboot -kernel "$kernel" -initrd "$initrd" \
	-append "console=$qemu_console quiet loglevel=5 panic=-1 $kargs" < /dev/null 2>&1 |
	tr -d '\r' | tee "$console" | echo_console
qemu_rc=${PIPESTATUS[0]}
set -e
end=$(date +%s)
rm -f "$initrd"

status=0
: > "$out/results.txt"
for name in "${names[@]}"; do
	line=$(grep -a "^XMM-TEST $name rc=" "$console" | head -1 || true)
	awk -v n="$name" '$0 == "XMM-BEGIN " n {on=1; next}
		on && index($0, "XMM-TEST " n " rc=") == 1 {exit}
		on {print}' "$console" > "$out/$name.log"
	if [ -z "$line" ]; then
		rc=none
		result=fail
	else
		rc=${line##*rc=}
		case $rc in
		0) result=pass ;;
		77) result=skip ;;
		137) result="fail (killed: timeout of ${test_timeout}s?)" ;;
		*) result=fail ;;
		esac
	fi
	case $result in fail*) status=1 ;; esac
	echo "$name rc=$rc $result" >> "$out/results.txt"
done
if ! grep -aq "^XMM-DONE" "$console"; then
	echo "guest did not finish (qemu rc=$qemu_rc, killed after ${total_timeout}s?)" >> "$out/results.txt"
	status=1
fi
if grep -aEq "BUG:|Oops|WARNING:|Kernel panic|general protection" "$console"; then
	echo "kernel reported a problem (see console.log)" >> "$out/results.txt"
	status=1
fi
echo "guest time $((end - start))s" >> "$out/results.txt"
if [ $status = 0 ] && [ $count = 1 ] && [ "$result" = skip ]; then
	status=77
fi
echo "== results ($kernel)"
sed 's/^/   /' "$out/results.txt"
exit $status
