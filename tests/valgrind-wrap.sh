#!/bin/bash
# meson test --wrap for the valgrind stage of .ci/run.
#
# The verdict:
#   - any valgrind error (invalid access, uninitialised value, bad free,
#     definite leak) in the test or in any process it forked: FAIL, even
#     when the test itself passed or skipped;
#   - the test killed by a signal, or any exit status but 0 and 77: FAIL;
#   - exit 77: SKIP (the test said why; under valgrind the tests that
#     cannot run are listed with the reason in .ci/expected-skips/
#     valgrind.txt, and .ci/run fails on any skip not listed there);
#   - exit 0 with no error: PASS.
#
# Errors are counted from valgrind's XML (one file per process: forked
# children that are killed never print a summary, but their errors are in
# their file) and printed readably on stderr.
set -u
xml_dir=$(mktemp -d "${TMPDIR:-/tmp}/xmm-valgrind.XXXXXX")
trap 'rm -rf "$xml_dir"' EXIT
# Children that drop privileges (to nobody) write their own file there.
chmod 1777 "$xml_dir"

# Valgrind answers ENOSYS to pidfd_open(2), and nothing else gives a
# process a pidfd of itself.  So the process that becomes the test opens
# one natively and execs valgrind with it inherited; the harness's
# harness_pidfd_self() hands out copies (HARNESS_PIDFD_SELF names it).
python3 -c '
import os, sys
fd = os.pidfd_open(os.getpid())
os.set_inheritable(fd, True)
os.environ["HARNESS_PIDFD_SELF"] = str(fd)
os.execvp(sys.argv[1], sys.argv[1:])
' valgrind --quiet --leak-check=full --show-leak-kinds=definite \
	--errors-for-leak-kinds=definite --trace-children=no \
	--suppressions="$(dirname "$0")/valgrind.supp" \
	--xml=yes --xml-file="$xml_dir/vg.%p.xml" "$@"
status=$?

errors=$(python3 - "$xml_dir" <<'PY'
import glob, html, os, re, sys

# Plain regular expressions, not an XML parser: the file of a process
# killed mid-run (SIGKILL) is cut short, and every <error> in it counts.
def field(block, tag):
	m = re.search(f"<{tag}>(.*?)</{tag}>", block, re.S)
	return html.unescape(m.group(1).strip()) if m else ""

count = 0
for path in sorted(glob.glob(os.path.join(sys.argv[1], "vg.*.xml"))):
	text = open(path, errors="replace").read()
	pid = field(text, "pid") or "?"
	for block in re.split("<error>", text)[1:]:
		block = block.split("</error>")[0]
		kind = field(block, "kind")
		# As --errors-for-leak-kinds=definite: only definite leaks.
		if kind.startswith("Leak_") and kind != "Leak_DefinitelyLost":
			continue
		what = field(block, "what") or field(block, "text")
		print(f"valgrind error in pid {pid}: {kind}: "
		      f"{what}", file=sys.stderr)
		for tag, part in re.findall(r"<(stack|auxwhat)>(.*?)</\1>",
					    block, re.S):
			if tag == "auxwhat":
				print(f"  {html.unescape(part.strip())}",
				      file=sys.stderr)
				continue
			for frame in re.findall("<frame>(.*?)</frame>", part,
						re.S):
				place = field(frame, "file")
				place = (f"{place}:{field(frame, 'line')}"
					 if place else field(frame, "obj"))
				print(f"    at {field(frame, 'fn') or '???'} "
				      f"({place})", file=sys.stderr)
		count += 1
print(count)
PY
) || { echo "FAIL: cannot read valgrind's XML output" >&2; exit 1; }

if [ "$errors" != 0 ]; then
	echo "FAIL: valgrind found $errors error(s) (exit status $status)" >&2
	exit 1
fi
case $status in
0)	exit 0 ;;
77)	exit 77 ;;
*)	if [ "$status" -gt 128 ]; then
		echo "FAIL: killed by signal $((status - 128))" \
			"under valgrind" >&2
	else
		echo "FAIL: exit status $status under valgrind" >&2
	fi
	exit 1 ;;
esac
