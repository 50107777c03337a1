#!/bin/bash
# Build the small x86_64 test kernels for xmm from Debian's linux-source-6.1.
#
#   kernel/build.sh [-j N] [WORKDIR] [stock|patched|debug|both|all]
#
# WORKDIR defaults to kernel/work (git-ignored). The source is unpacked once
# into WORKDIR/src, objects live in WORKDIR/obj and are shared by both
# variants, so the second build is incremental. Results:
#   WORKDIR/bzImage-stock    plain 6.1
#   WORKDIR/bzImage-patched  6.1 + kernel/patches/*.patch
#   WORKDIR/bzImage-debug    patched, SMP, with DEBUG_VM and lockdep
#                            (own object dir WORKDIR/obj-debug; only
#                            built when asked for: "debug" or "all")
#   WORKDIR/build-times.txt  one line per build: variant, seconds
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
src=$work/src
obj=$work/obj
applied=$work/applied	# copies of the patches currently applied to $src

if [ ! -f "$src/.xmm-unpacked" ]; then
	echo "== unpacking $tarball"
	rm -rf "$src" "$applied"
	mkdir -p "$src"
	tar -xJf "$tarball" -C "$src" --strip-components=1
	touch "$src/.xmm-unpacked"
fi
mkdir -p "$applied" "$obj"

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
	local obj=$1 options=$2 opt args=""
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
	local variant=$1 obj=$obj options=$config_options start end
	if [ "$variant" = debug ]; then
		obj=$work/obj-debug
		options="$config_options $debug_options"
	fi
	mkdir -p "$obj"
	start=$(date +%s)
	if [ ! -f "$obj/.config" ]; then
		configure "$obj" "$options"
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
	stock) unapply_all ;;
	patched|debug) apply_all ;;
	esac
	build "$v"
done
