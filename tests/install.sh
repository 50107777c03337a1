#!/bin/bash
# Install into a temporary DESTDIR and use the result the way an
# application does: pkg-config, the public headers (C99, C11, C++), -lxmm.
# Also check the ABI: only xmm_ symbols, all in version nodes XMM_1.0/1.1.
# Usage: install.sh BUILD_DIR SOURCE_DIR [B_SANITIZE]
set -eu
build=$(realpath "$1")
src=$(realpath "$2")
if [ "${3:-none}" != none ]; then
	# A consumer built without the sanitizer cannot load a sanitized lib.
	echo "SKIP: the install test runs in the build without -Db_sanitize"
	exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

meson install -C "$build" --destdir "$work/root" --no-rebuild --quiet
pc=$(find "$work/root" -name xmm.pc | head -n 1)
[ -n "$pc" ] || { echo "xmm.pc was not installed"; exit 1; }
export PKG_CONFIG_PATH=$(dirname "$pc")
prefix="$work/root$(pkg-config --variable=prefix xmm)"
pc_args=(--define-variable=prefix="$prefix")
cflags=$(pkg-config "${pc_args[@]}" --cflags xmm)
libs=$(pkg-config "${pc_args[@]}" --libs xmm)
libdir=$(pkg-config "${pc_args[@]}" --variable=libdir xmm)
echo "pkg-config: $cflags $libs"

find "$work/root" -path '*/bash-completion/completions/xmm' | grep -q . ||
	{ echo "the bash completion was not installed"; exit 1; }
bash -n "$(find "$work/root" -path '*/bash-completion/completions/xmm')"

for page in man3/xmm_process_madvise.3 man3/xmm_pidfd_open.3 man7/xmm.7 \
	man3/xmm_queue.3 man3/xmm_queue_submit.3; do
	find "$work/root" -path "*/man/$page" | grep -q . ||
		{ echo "man page $page was not installed"; exit 1; }
done

cat > "$work/consumer.c" <<'C'
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#define XMM_GLIBC_NAMES
#include <xmm/xmm.h>

#if !XMM_VERSION_AT_LEAST(0, 1)
#error "XMM_VERSION_AT_LEAST(0, 1) must hold"
#endif
#if XMM_VERSION_AT_LEAST(99, 0)
#error "XMM_VERSION_AT_LEAST(99, 0) must not hold"
#endif

int main(void)
{
	static char page[4096] __attribute__((aligned(4096)));
	struct iovec v = { page, sizeof(page) };
	int pidfd = xmm_pidfd_open(getpid(), 0);

	memset(page, 1, sizeof(page));
	if (pidfd < 0 ||
	    xmm_process_madvise(pidfd, &v, 1, MADV_DONTNEED, 0) != 4096 ||
	    page[0] != 0) {
		perror("consumer");
		return 1;
	}
	/* glibc's own process_madvise stays usable beside ours. */
	if (process_madvise(pidfd, &v, 1, MADV_WILLNEED, 0) != 4096)
		return 2;
	printf("consumer of xmm %s: ok\n", XMM_VERSION_STRING);
	return 0;
}
C
${CC:-cc} -std=gnu11 -Wall -Werror $cflags "$work/consumer.c" $libs \
	-o "$work/consumer"
LD_LIBRARY_PATH=$libdir "$work/consumer"

# The static library: pkg-config --static names what libxmm.a needs.
static_libs=$(pkg-config "${pc_args[@]}" --static --libs xmm)
[ -f "$libdir/libxmm.a" ] || { echo "libxmm.a was not installed"; exit 1; }
case "$static_libs" in
*-pthread*) ;;
*) echo "pkg-config --static adds nothing: $static_libs"; exit 1 ;;
esac
if ${CC:-cc} -static -std=gnu11 -Wall -Werror $cflags "$work/consumer.c" \
	$static_libs -o "$work/consumer-static" 2> "$work/static.err"; then
	file_type=$(readelf -d "$work/consumer-static" 2>&1 || true)
	case "$file_type" in
	*NEEDED*) echo "the -static consumer is dynamic"; exit 1 ;;
	esac
	"$work/consumer-static"
else
	# Only a missing static libc (libc6-dev has it) may stop this.
	grep -q "cannot find -lc" "$work/static.err" ||
		{ cat "$work/static.err"; exit 1; }
	echo "no static libc here: the -static link is not tried"
fi

# The headers alone, as strict C99 and as C++.
printf '#include <xmm/%s.h>\n' xmm queue > "$work/h.c"
echo 'int main(void) { return 0; }' >> "$work/h.c"
${CC:-cc} -std=c99 -pedantic -Wall -Werror $cflags -c "$work/h.c" -o /dev/null
if command -v c++ >/dev/null; then
	cp "$work/h.c" "$work/h.cc"
	c++ -std=c++11 -pedantic -Wall -Werror $cflags -c "$work/h.cc" \
		-o /dev/null
	printf '#define XMM_GLIBC_NAMES\n#include <xmm/xmm.h>\n' > "$work/g.cc"
	c++ -Wall -Werror $cflags -c "$work/g.cc" -o /dev/null
fi

# The ABI: every exported function is xmm_*, versioned XMM_1.0 or XMM_1.1.
lib=$(find "$work/root" -name 'libxmm.so.1' | head -n 1)
soname=$(readelf -d "$lib" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$soname" = libxmm.so.1 ] || { echo "soname is '$soname'"; exit 1; }
bad=$(nm -D --defined-only "$lib" |
	awk '$2 == "T" || $2 == "D" || $2 == "B" { print $3 }' |
	grep -v '^xmm_[a-z0-9_]*@@XMM_1\.[01]$' || true)
if [ -n "$bad" ]; then
	echo "exported outside the xmm_ namespace or version node:"
	echo "$bad"
	exit 1
fi
echo "install, pkg-config, headers and ABI: ok"
