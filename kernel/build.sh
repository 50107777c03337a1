#!/bin/bash
# Build the small test kernels for xmm from Debian's linux-source-6.1.
#
#   kernel/build.sh [-j N] [-a ARCH] [WORKDIR] [stock|patched|debug|both|all]
#
# ARCH is x86_64 (the default), aarch64 or riscv64 (kernel/arch.sh; the
# other two with Debian's cross compilers). WORKDIR defaults to kernel/work
# (git-ignored); "both" (the default) builds stock and patched, "all" also
# debug. Results (IMAGE is bzImage on x86_64, Image elsewhere):
#   WORKDIR/IMAGE-stock      plain 6.1
#   WORKDIR/IMAGE-patched    6.1 + kernel/patches/*.patch
#   WORKDIR/IMAGE-debug      patched, SMP, with DEBUG_VM and lockdep
#   WORKDIR/build-times.txt  one line per build: variant, seconds
# Layout: the source is unpacked once into WORKDIR/src-stock; WORKDIR/src is
# a hard-linked copy of it with the patches applied (files that differ are
# replaced, never written through the link, so the pristine tree stays
# pristine; only files whose contents change are touched). Each variant has
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
	echo "usage: $0 [-j N] [-a ARCH] [WORKDIR] [stock|patched|debug|both|all]" >&2
	exit 2
}
. "$here/arch.sh"

jobs=2
arch=x86_64
while [ "${1:-}" = "-j" ] || [ "${1:-}" = "-a" ]; do
	[ $# -ge 2 ] || usage
	case $1 in
	-j) jobs=$2 ;;
	-a) arch=$2 ;;
	esac
	shift 2
done
xmm_kernel_arch "$arch" || usage
make_args=(ARCH="$kernel_arch")
[ -z "$kernel_cross" ] || make_args+=(CROSS_COMPILE="$kernel_cross")
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
# The physical path: objects record it, and a work dir reached through a
# link (kernel/cache.sh's work-ARCH) must not look moved.
work=$(cd "$work" && pwd -P)
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

# The files a set of patches touches.
touched_files() {
	sed -n 's,^+++ b/,,p; s,^--- a/,,p' "$@" 2>/dev/null | sort -u
}

# Bring $src to src-stock + kernel/patches, rewriting only the files whose
# contents change: a reverted and reapplied syscall table would regenerate
# unistd_64.h and rebuild most of the kernel for nothing.
apply_all() {
	local scratch f p
	if diff -rq "$here/patches" "$applied" >/dev/null 2>&1; then
		return
	fi
	scratch=$(mktemp -d "$work/patching.XXXXXX")
	for f in $(touched_files "$applied"/*.patch "$here"/patches/*.patch); do
		if [ -e "$stock_src/$f" ]; then
			mkdir -p "$scratch/$(dirname "$f")"
			cp -p "$stock_src/$f" "$scratch/$f"
		fi
	done
	for p in "$here"/patches/*.patch; do
		[ -e "$p" ] || continue
		echo "== applying $(basename "$p")"
		patch -d "$scratch" -p1 -E -s < "$p"
	done
	for f in $(touched_files "$applied"/*.patch "$here"/patches/*.patch); do
		if [ ! -e "$scratch/$f" ]; then
			rm -f "$src/$f"
		elif ! cmp -s "$scratch/$f" "$src/$f"; then
			echo "   updating $f"
			mkdir -p "$(dirname "$src/$f")"
			rm -f "$src/$f"	# never write through a hard link
			cp "$scratch/$f" "$src/$f"
		fi
	done
	rm -rf "$scratch" "$applied"
	mkdir -p "$applied"
	cp "$here"/patches/*.patch "$applied/" 2>/dev/null || true
}

# Options the tests need on top of tinyconfig.
# (kernel/arch.sh adds the console and each architecture's own.)
config_options="$kernel_options PRINTK TTY
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

# configure SRC OBJ OPTIONS: tinyconfig plus OPTIONS, made in a scratch
# dir and copied to OBJ/.config only when it differs, so that reconfiguring
# with the same result (a work dir copied from an older one) rebuilds
# nothing. OBJ/.xmm-options records the options it was made from.
configure() {
	local src=$1 obj=$2 options=$3 opt args="" scratch
	scratch=$(mktemp -d "$work/config.XXXXXX")
	make -C "$src" O="$scratch" "${make_args[@]}" -s tinyconfig
	for opt in $options; do
		args="$args --enable $opt"
	done
	"$src/scripts/config" --file "$scratch/.config" $args \
		--disable MODULES --disable RANDOMIZE_BASE --disable DEBUG_INFO
	make -C "$src" O="$scratch" "${make_args[@]}" -s olddefconfig
	local missing=""
	for opt in $options; do
		grep -q "^CONFIG_$opt=y" "$scratch/.config" || missing="$missing $opt"
	done
	[ -z "$missing" ] || echo "== warning: not enabled:$missing" >&2
	if ! cmp -s "$scratch/.config" "$obj/.config"; then
		echo "== new .config for $(basename "$obj")"
		cp "$scratch/.config" "$obj/.config"
	fi
	rm -rf "$scratch"
	echo "$options" > "$obj/.xmm-options"
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
	if [ ! -f "$obj/.config" ] ||
	   [ "$(cat "$obj/.xmm-options" 2>/dev/null)" != "$(echo $options)" ]; then
		configure "$src" "$obj" "$(echo $options)"
	fi
	echo "== building $variant (make -j$jobs)"
	make -C "$src" O="$obj" "${make_args[@]}" -j"$jobs" -s \
		"$kernel_target"
	cp "$obj/$kernel_image" "$work/$kernel_name-$variant"
	end=$(date +%s)
	echo "$variant $((end - start))s $(date -u +%FT%TZ)" >> "$work/build-times.txt"
	echo "== $variant: $work/$kernel_name-$variant ($((end - start)) s)"
}

main() {
	local v
	for v in $variants; do
		case $v in
		patched|debug) apply_all ;;
		esac
		build "$v"
	done
}

# One line, read whole before it runs: editing this file while a build
# runs cannot change what the running build does next.
main; exit $?
