#!/bin/bash
# meson test --wrap for the valgrind pass of .ci/run: judges memory errors
# (invalid accesses, uninitialised values, definite leaks) and nothing else.
#
# Debian bookworm's valgrind (3.19) does not emulate pidfd_open(2),
# process_madvise(2) or seccomp filters: under it those answer ENOSYS, so
# tests that need them fail for valgrind's sake, not ours.  Their verdict
# comes from the plain and sanitizer runs; here such a run counts as a skip
# and says so, while a memory error always fails.
valgrind --quiet --error-exitcode=99 --leak-check=full \
	--errors-for-leak-kinds=definite --trace-children=no "$@"
status=$?
case $status in
0)	exit 0 ;;
77)	exit 77 ;;
99)	echo "valgrind: memory errors (see above)"; exit 1 ;;
*)	echo "SKIP: exit $status under valgrind, which lacks pidfd_open," \
	     "process_madvise and seccomp; no memory error was found"
	exit 77 ;;
esac
