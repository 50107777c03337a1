# SPDX-License-Identifier: LGPL-2.1-or-later
#
# Sourced by cross/build-all.sh and cross/qemu-user.sh (and .ci/run for
# the target list): the targets, their compilers, and the parsing of
# the scripts' common arguments.  Bash.

cross_src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# The targets whose programs run under qemu-user (not x32: no qemu-user,
# and a kernel without CONFIG_X86_X32_ABI; musl runs on the host), and
# every target with a file cross/<target>.txt, in build order.
cross_run_targets="aarch64 armhf i386 riscv64 ppc64el s390x mips64el"
cross_build_targets="$cross_run_targets x32 musl"

# The C compiler a target's cross (or native) file names.
cross_cc() {
	sed -n "s/^c = '\(.*\)'/\1/p" "$cross_src/cross/$1.txt"
}

# cross_args FLAGS DEFAULT_TARGETS [ARG...]: -o OUTDIR, and -n when FLAGS
# holds n, then TARGET....  Sets cross_out (OUTDIR, default build-cross/
# in the source tree), cross_native (true for -n, else false) and
# cross_targets (the TARGETs, else DEFAULT_TARGETS).  An unknown option:
# a usage line and exit 2.
cross_args() {
	local flags=$1 opt

	cross_targets=$2
	shift 2
	cross_out=$cross_src/build-cross
	cross_native=false
	OPTIND=1
	while getopts "o:$flags" opt; do
		case $opt in
		o) cross_out=$OPTARG ;;
		n) cross_native=true ;;
		*) echo "usage: $0 [-o OUTDIR]${flags:+ [-$flags]}" \
			"[TARGET...]" >&2
		   exit 2 ;;
		esac
	done
	shift $((OPTIND - 1))
	[ $# -eq 0 ] || cross_targets="$*"
}
