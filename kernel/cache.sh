#!/bin/bash
# The kernel cache: built kernels live outside the clone, under
# $XMM_KERNEL_CACHE (default /var/cache/xmm), one work dir per set of
# inputs:
#
#   /var/cache/xmm/ARCH-KEY/      build.sh's WORKDIR (sources, objects,
#                                 images, .xmm-built-VARIANT stamps)
#
# KEY is a hash of everything that decides what build.sh produces: the
# architecture, build.sh (the common config options), arch.sh's settings
# for that arch (its config options, cross compiler, image) and the
# patches. A run whose inputs are unchanged finds its dir with the stamp
# and reuses the image without running make; a changed input gets a new
# dir, which starts as a copy of the newest dir of the same arch (sources
# hard-linked, objects copied, so make only rebuilds what the change
# touches and a wrong object cannot survive: make decides, not the cache).
#
#   kernel/cache.sh [-a ARCH] [-n] VARIANT...
#   kernel/cache.sh -l LOCKFILE
#
# Builds what is missing for each VARIANT (stock, patched, debug) and prints
# the work dir on stdout, progress and the build log on stderr. -n only
# prints the dir and exits 1 if a VARIANT is not built. The caller holds
# the arch's lock (arch.sh's guest_lock) or lets this script take it.
# -l: exit 0 if a process above this one (flock LOCKFILE meson test ...)
# holds LOCKFILE, 1 if not.
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
work=$xmm_kernel_cache/$arch-$key

built() {
	local v
	for v in "$@"; do
		[ -f "$work/.xmm-built-$v" ] && [ -f "$work/$kernel_name-$v" ] ||
			return 1
	done
}

if [ $check_only = 1 ]; then
	echo "$work"
	built "$@"
	exit
fi

if [ -z "${XMM_KERNEL_LOCKED:-}" ] && ! lock_held_by_ancestor "$guest_lock"
then
	mkdir -p "$xmm_kernel_cache"
	export XMM_KERNEL_LOCKED=1
	exec flock "$guest_lock" "$0" -a "$arch" "$@"
fi

if built "$@"; then
	echo "== kernel cache hit: $work" >&2
	echo "$work"
	exit 0
fi

if [ ! -d "$work" ]; then
	# The newest work dir of this arch seeds the new one (for x86_64 also
	# the pre-cache dir work-x86_64).
	seed=$(ls -dt "$xmm_kernel_cache/$arch"-* "$xmm_kernel_cache/work-$arch" \
		2>/dev/null | grep -v "^$work\$" | grep -v '\.tmp' | head -1 || true)
	tmp=$work.tmp
	rm -rf "$tmp"
	mkdir -p "$tmp"
	if [ -n "$seed" ] && [ -f "$seed/src-stock/.xmm-unpacked" ]; then
		echo "== kernel cache miss: seeding $work from $seed" >&2
		for d in src-stock src; do
			[ ! -d "$seed/$d" ] || cp -al "$seed/$d" "$tmp/"
		done
		[ ! -d "$seed/applied" ] || cp -a "$seed/applied" "$tmp/"
		# An object dir only from a finished build: its image exists
		# and nothing in it is newer (a build running there could
		# leave half-written objects that look up to date).
		for v in stock:obj-stock patched:obj debug:obj-debug; do
			d=$seed/${v#*:}
			image=$seed/$kernel_name-${v%%:*}
			[ -d "$d" ] && [ -f "$image" ] || continue
			if [ -z "$(find "$d" -newer "$image" -print -quit)" ]; then
				cp -a "$d" "$tmp/"
			else
				echo "   not copying $d: a build is running there?" >&2
			fi
		done
	else
		echo "== kernel cache miss: building $work from scratch" >&2
	fi
	mv "$tmp" "$work"
else
	echo "== kernel cache: completing $work" >&2
fi

for v in "$@"; do
	"$here/build.sh" -a "$arch" "$work" "$v" >&2
	touch "$work/.xmm-built-$v"
done
echo "$work"
