#!/bin/bash
# Check other ABIs' columns of src/syscall_table.h against their kernel
# headers, by compiling tests/syscall-table-static.c with each cross
# compiler present (Debian: gcc-aarch64-linux-gnu, gcc-riscv64-linux-gnu, ...).
# Usage: syscall-table-cross.sh SOURCE_DIR
set -eu
src=$1
checked=0
for cc in x86_64-linux-gnu-gcc x86_64-linux-gnux32-gcc \
	  aarch64-linux-gnu-gcc riscv64-linux-gnu-gcc \
	  arm-linux-gnueabihf-gcc i686-linux-gnu-gcc powerpc64le-linux-gnu-gcc \
	  s390x-linux-gnu-gcc mips-linux-gnu-gcc mips64el-linux-gnuabi64-gcc \
	  loongarch64-linux-gnu-gcc alpha-linux-gnu-gcc; do
	command -v "$cc" >/dev/null || continue
	"$cc" -std=gnu11 -D_GNU_SOURCE -I"$src/src" -I"$src/tests" \
		-c "$src/tests/syscall-table-static.c" -o /dev/null
	echo "$cc: table matches <asm/unistd.h>"
	checked=$((checked + 1))
done
if [ $checked -lt 2 ]; then
	echo "SKIP: fewer than two cross compilers (found $checked);" \
	     "install gcc-aarch64-linux-gnu gcc-riscv64-linux-gnu"
	exit 77
fi
