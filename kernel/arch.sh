# Sourced by build.sh, run-guest.sh and run-suite.sh: what differs between
# the architectures whose kernels kernel/ builds and boots.
#
#   xmm_kernel_arch ARCH    sets, for ARCH x86_64, aarch64 or riscv64:
#     kernel_arch       the kernel's ARCH= (x86, arm64, riscv)
#     kernel_cross      CROSS_COMPILE= prefix ("" on a native build)
#     kernel_target     the make target of the boot image
#     kernel_image      where make leaves it, relative to the object dir
#     kernel_name       the image's file name in the work dir, before -VARIANT
#     kernel_options    config options on top of the common ones
#     qemu_cmd          the qemu-system binary, then its machine options
#     qemu_console      the console= device the guest writes to
#     guest_lock        the lock file every user of this arch's work dirs
#                       holds while building or booting
# and returns 1 for an architecture it does not know.

xmm_kernel_cache=${XMM_KERNEL_CACHE:-/var/cache/xmm}

xmm_kernel_arch() {
	case $1 in
	x86_64)
		# ARCH=x86 (what make picks on x86_64) plus CONFIG_64BIT:
		# ARCH=x86_64 starts tinyconfig from a 64-bit base and gives
		# a .config that differs, which would rebuild every object of
		# the work dirs configured before the arch parameter existed.
		kernel_arch=x86
		kernel_cross=
		[ "$(uname -m)" = x86_64 ] || kernel_cross=x86_64-linux-gnu-
		kernel_target=bzImage
		kernel_image=arch/x86/boot/bzImage
		kernel_name=bzImage
		# IA32_EMULATION: i386 programs, the targets of another ABI
		# that tests/abi-target.c is (inject-abi).
		kernel_options="64BIT EARLY_PRINTK SERIAL_8250 SERIAL_8250_CONSOLE
			IA32_EMULATION"
		qemu_cmd=(qemu-system-x86_64)
		qemu_console=ttyS0
		# The name the x86 guest suite has always been run under.
		guest_lock=$xmm_kernel_cache/x86.lock
		;;
	aarch64)
		kernel_arch=arm64
		kernel_cross=aarch64-linux-gnu-
		kernel_target=Image
		kernel_image=arch/arm64/boot/Image
		kernel_name=Image
		kernel_options="SERIAL_AMBA_PL011 SERIAL_AMBA_PL011_CONSOLE"
		qemu_cmd=(qemu-system-aarch64 -machine virt -cpu cortex-a57)
		qemu_console=ttyAMA0
		guest_lock=$xmm_kernel_cache/aarch64.lock
		;;
	riscv64)
		kernel_arch=riscv
		kernel_cross=riscv64-linux-gnu-
		kernel_target=Image
		kernel_image=arch/riscv/boot/Image
		kernel_name=Image
		# tinyconfig turns off MMU and FPU (both are prompts);
		# SOC_VIRT brings the PLIC the virt machine's UART interrupt
		# needs (without it the 8250 probe defers forever).
		kernel_options="64BIT MMU FPU SOC_VIRT SERIAL_8250
			SERIAL_8250_CONSOLE SERIAL_OF_PLATFORM"
		qemu_cmd=(qemu-system-riscv64 -machine virt -bios default)
		qemu_console=ttyS0
		guest_lock=$xmm_kernel_cache/riscv64.lock
		;;
	*)
		return 1
		;;
	esac
}

# xmm_guest_busybox ARCH: a static busybox for the guest's /init. The
# host's /bin/busybox (busybox-static) for the host's arch; for another,
# Debian's busybox-static of that arch unpacked under the cache (what
# `apt-get download busybox-static:arm64` fetches once `dpkg
# --add-architecture arm64` and `apt-get update` have run); for riscv64,
# which bookworm does not build, kernel/busybox.sh from Debian's source.
xmm_guest_busybox() {
	local deb_arch dir=$xmm_kernel_cache/cross/$1/busybox deb
	if [ "$1" = "$(uname -m)" ]; then
		command -v busybox || echo /bin/busybox
		return
	fi
	if [ ! -x "$dir/bin/busybox" ]; then
		case $1 in
		aarch64) deb_arch=arm64 ;;
		*) deb_arch=$1 ;;
		esac
		deb=$(ls "$xmm_kernel_cache/cross/$1"/busybox-static_*_"$deb_arch".deb \
			2>/dev/null | tail -1)
		if [ -z "$deb" ] && [ "$1" = riscv64 ]; then
			# bookworm has no riscv64 packages: Debian's source
			"$(dirname "${BASH_SOURCE[0]}")/busybox.sh" "$1" >&2 ||
				return 1
			echo "$dir/bin/busybox"
			return
		fi
		if [ -z "$deb" ]; then
			echo "no busybox-static:$deb_arch: dpkg --add-architecture" \
			     "$deb_arch; apt-get update; (cd" \
			     "$xmm_kernel_cache/cross/$1 && apt-get download" \
			     "busybox-static:$deb_arch)" >&2
			return 1
		fi
		mkdir -p "$dir"
		dpkg-deb -x "$deb" "$dir"
	fi
	echo "$dir/bin/busybox"
}
