#!/bin/bash
# Build the small x86_64 test kernels for xmm from Debian's linux-source-6.1.
#
#   kernel/build.sh [-j N] [WORKDIR] [stock|patched|debug|both|all]
#
# WORKDIR defaults to kernel/work (git-ignored); "both" (the default) builds
# stock and patched, "all" also debug. Results:
#   WORKDIR/bzImage-stock    plain 6.1
#   WORKDIR/bzImage-patched  6.1 + kernel/patches/*.patch
#   WORKDIR/bzImage-debug    patched, SMP, with DEBUG_VM and lockdep
#   WORKDIR/build-times.txt  one line per build: variant, seconds
# Layout: the source is unpacked once into WORKDIR/src-stock; WORKDIR/src is
# a hard-linked copy of it with the patches applied (patch(1) replaces the
# files it changes, so the pristine tree stays pristine). Each variant has
# its own object dir (obj-stock, obj for patched, obj-debug), so a rerun
# only rebuilds what changed. (One tree and one object dir for both was
# measured first: the syscall numbers change the generated unistd_64.h,
# which 700 of the 877 objects include, so switching between stock and
# patched rebuilt nearly everything each time.)
# Installs nothing and needs no network: it expects linux-source-6.1,
# gcc, make, flex, bison, bc, libelf-dev and libssl-dev to be present.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
usage() {
	echo "usage: $0 [-j N] [WORKDIR] [stock|patched|debug|both|all]" >&2
	exit 2
}

jobs=2
if [ "${1:-}" = "-j" ]; then
	[ $# -ge 2 ] || usage
	jobs=$2
	shift 2
fi
case "${1:-}" in
-h|--help) usage ;;
stock|patched|debug|both|all|"") work=$here/work ;;
*) work=$1; shift ;;
esac
variants=${1:-both}
case "$variants" in
stock|patched|debug) ;;
both) variants="stock patched" ;;
all) variants="stock patched debug" ;;
*) usage ;;
esac

tarball=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
[ -r "$tarball" ] || { echo "$0: $tarball not found (apt install linux-source-6.1)" >&2; exit 1; }

mkdir -p "$work"
work=$(cd "$work" && pwd)
stock_src=$work/src-stock	# pristine
src=$work/src			# patched
applied=$work/applied		# copies of the patches applied to $src

if [ ! -f "$stock_src/.xmm-unpacked" ]; then
	echo "== unpacking $tarball"
	rm -rf "$stock_src" "$src" "$applied"
	mkdir -p "$stock_src"
	tar -xJf "$tarball" -C "$stock_src" --strip-components=1
	touch "$stock_src/.xmm-unpacked"
fi
if [ ! -d "$src" ]; then
	cp -al "$stock_src" "$src"
	rm -rf "$applied"
fi
mkdir -p "$applied"

unapply_all() {
	local p
	for p in $(ls "$applied"/*.patch 2>/dev/null | sort -r); do
		echo "== reverting $(basename "$p")"
		patch -d "$src" -p1 -R -E -s < "$p"
		rm -f "$p"
	done
}

apply_all() {
	local p
	# Already applied and unchanged: nothing to do.
	if diff -rq "$here/patches" "$applied" >/dev/null 2>&1; then
		return
	fi
	unapply_all
	for p in "$here"/patches/*.patch; do
		[ -e "$p" ] || continue
		echo "== applying $(basename "$p")"
		patch -d "$src" -p1 -E -s --dry-run < "$p"
		patch -d "$src" -p1 -E -s < "$p"
		cp "$p" "$applied/"
	done
}

# Options the tests need on top of tinyconfig.
config_options="64BIT PRINTK EARLY_PRINTK TTY SERIAL_8250 SERIAL_8250_CONSOLE
	BLK_DEV_INITRD BINFMT_ELF BINFMT_SCRIPT PROC_FS SYSFS PROC_SYSCTL SYSCTL
	DEVTMPFS DEVTMPFS_MOUNT TMPFS SHMEM MEMFD_CREATE USERFAULTFD
	BLOCK SWAP ZSMALLOC ZRAM SECCOMP SECCOMP_FILTER FUTEX EPOLL SIGNALFD
	EVENTFD TIMERFD AIO POSIX_TIMERS MULTIUSER TRANSPARENT_HUGEPAGE
	ADVISE_SYSCALLS KALLSYMS PROC_PAGE_MONITOR CHECKPOINT_RESTORE
	CROSS_MEMORY_ATTACH SYSVIPC IO_URING NET UNIX FILE_LOCKING BUG
	KSM CRYPTO CRYPTO_LZO"

# The debug variant adds these: checks of mm invariants and locking.
debug_options="SMP DEBUG_KERNEL DEBUG_VM PROVE_LOCKING DEBUG_ATOMIC_SLEEP
	DEBUG_SPINLOCK DEBUG_MUTEXES DEBUG_RWSEMS DEBUG_LIST"

configure() {
	local src=$1 obj=$2 options=$3 opt args=""
	make -C "$src" O="$obj" -s tinyconfig
	for opt in $options; do
		args="$args --enable $opt"
	done
	"$src/scripts/config" --file "$obj/.config" $args \
		--disable MODULES --disable RANDOMIZE_BASE --disable DEBUG_INFO
	make -C "$src" O="$obj" -s olddefconfig
	local missing=""
	for opt in $options; do
		grep -q "^CONFIG_$opt=y" "$obj/.config" || missing="$missing $opt"
	done
	[ -z "$missing" ] || echo "== warning: not enabled:$missing" >&2
	cp "$obj/.config" "$work/config-$(basename "$obj")"
}

build() {
	local variant=$1 src=$src obj=$work/obj options=$config_options
	local start end
	case $variant in
	stock)
		src=$stock_src
		obj=$work/obj-stock
		;;
	debug)
		obj=$work/obj-debug
		options="$config_options $debug_options"
		;;
	esac
	mkdir -p "$obj"
	start=$(date +%s)
	if [ ! -f "$obj/.config" ]; then
		configure "$src" "$obj" "$options"
	fi
	echo "== building $variant (make -j$jobs)"
	make -C "$src" O="$obj" -j"$jobs" -s bzImage
	cp "$obj/arch/x86/boot/bzImage" "$work/bzImage-$variant"
	end=$(date +%s)
	echo "$variant $((end - start))s $(date -u +%FT%TZ)" >> "$work/build-times.txt"
	echo "== $variant: $work/bzImage-$variant ($((end - start)) s)"
}

for v in $variants; do
	case $v in
	patched|debug) apply_all ;;
	esac
	build "$v"
done
