#!/bin/bash
# The kernel cache: built kernels live outside the clone, under
# $XMM_KERNEL_CACHE (default /var/cache/xmm):
#
#   /var/cache/xmm/ARCH-KEY/      the images one set of inputs produced:
#                                 IMAGE-VARIANT, config-VARIANT and a
#                                 .xmm-built-VARIANT stamp
#   /var/cache/xmm/work-ARCH/     build.sh's WORKDIR for that arch: sources
#                                 and objects (may be a link to a real dir)
#
# KEY is a hash of everything that decides what build.sh produces: the
# architecture, build.sh (the common config options), arch.sh's settings
# for that arch (its config options, cross compiler, image) and the
# patches. A run whose inputs are unchanged finds ARCH-KEY with its stamp
# and reuses the image without running make. A changed input has no
# ARCH-KEY yet: build.sh runs in work-ARCH, incrementally (make decides
# what the change touches), and the new image is stored under its key.
# The objects stay in one work dir per arch because the kernel's build
# records absolute paths in every object's command line: a copy at another
# path would rebuild everything.
#

set -eu
here=$(cd "$(dirname "$0")" && pwd)
. "$here/arch.sh"

# Hold the arch's lock unless an ancestor (flock LOCK meson test ...)
# already does: a second flock on the same file from a child would wait
# for its own parent forever.
lock_held_by_ancestor() {
	local lock=$1 inode pid holders p
	[ -e "$lock" ] || return 1
	inode=$(stat -c %i "$lock")
	holders=$(awk -v i=":$inode" '$2 == "FLOCK" && $6 ~ i "$" { print $5 }' \
		/proc/locks)
	[ -n "$holders" ] || return 1
	p=$$
	while [ "$p" -gt 1 ]; do
		for pid in $holders; do
			[ "$pid" = "$p" ] && return 0
		done
		# the parent pid: the 2nd field after "(comm) "
		p=$(sed 's/.*) //' "/proc/$p/stat" 2>/dev/null | cut -d' ' -f2)
		[ -n "$p" ] || return 1
	done
	return 1
}
arch=x86_64
check_only=0
while getopts "a:nl:" opt; do
	case $opt in
	a) arch=$OPTARG ;;
	n) check_only=1 ;;
	l) lock_held_by_ancestor "$OPTARG"; exit ;;
	*) echo "usage: $0 [-a ARCH] [-n] VARIANT..." >&2; exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -gt 0 ] || { echo "usage: $0 [-a ARCH] [-n] VARIANT..." >&2; exit 2; }
xmm_kernel_arch "$arch" || { echo "$0: unknown arch $arch" >&2; exit 2; }

# arch.sh counts by what it sets for this arch (its other functions and
# the other arches' settings do not change this kernel).
key=$( {
	echo "$arch"
	declare -p kernel_arch kernel_cross kernel_target kernel_image \
		kernel_options
	cat "$here/build.sh"
	for p in "$here"/patches/*.patch; do
		echo "== $(basename "$p")"
		cat "$p"
	done
} | sha256sum | cut -c1-16)
dir=$xmm_kernel_cache/$arch-$key
work=$xmm_kernel_cache/work-$arch

built() {
	local v
	for v in "$@"; do
		[ -f "$dir/.xmm-built-$v" ] && [ -f "$dir/$kernel_name-$v" ] ||
			return 1
	done
}

if [ $check_only = 1 ]; then
	echo "$dir"
	built "$@"
	exit
fi

# A hit needs no lock: an image and its stamp appear only when complete.
if built "$@"; then
	echo "== kernel cache hit: $dir" >&2
	echo "$dir"
	exit 0
fi

if [ -z "${XMM_KERNEL_LOCKED:-}" ] && ! lock_held_by_ancestor "$guest_lock"
then
	mkdir -p "$xmm_kernel_cache"
	export XMM_KERNEL_LOCKED=1
	exec flock "$guest_lock" "$0" -a "$arch" "$@"
fi

mkdir -p "$dir"
for v in "$@"; do
	if built "$v"; then
		echo "== kernel cache hit: $dir/$kernel_name-$v" >&2
		continue
	fi
	echo "== kernel cache miss: building $arch $v in $work for $dir" >&2
	"$here/build.sh" -a "$arch" "$work" "$v" >&2
	cp "$work/$kernel_name-$v" "$dir/$kernel_name-$v.tmp"
	mv "$dir/$kernel_name-$v.tmp" "$dir/$kernel_name-$v"
	case $v in
	stock) cp "$work/config-obj-stock" "$dir/config-$v" ;;
	patched) cp "$work/config-obj" "$dir/config-$v" ;;
	debug) cp "$work/config-obj-debug" "$dir/config-$v" ;;
	esac
	touch "$dir/.xmm-built-$v"
done
echo "$dir"
