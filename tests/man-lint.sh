#!/bin/bash
# Every manual page must pass mandoc's linter without a single warning.
set -eu
if ! command -v mandoc >/dev/null; then
	echo "SKIP: mandoc is not installed"
	exit 77
fi
status=0
for page in "$@"; do
	out=$(mandoc -Tlint -W warning "$page" 2>&1 || true)
	if [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
	# An empty page lints clean but documents nothing.
	[ -s "$page" ] || { echo "$page: empty"; status=1; }
done
[ $status -eq 0 ] && echo "$# pages lint clean"
exit $status
