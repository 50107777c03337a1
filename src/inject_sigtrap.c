// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Would a trap the kernel forces on the target leave its signal state as
 * it was?  The engine's trap is a forced signal: the SIGTRAP of the stub's
 * final breakpoint (inject_stub.c).  force_sig_info_to_task() unblocks a
 * forced signal the thread blocks, and resets its action to SIG_DFL when the
 * thread blocks it or the process ignores it, for good: the tracer takes the
 * trap, but the target would be left with SIGTRAP unblocked, and
 * killable by a SIGTRAP it ignored (or without the handler it had).  So
 * the engine traps only a thread whose SIGTRAP is neither blocked nor
 * ignored, and goes the slower way elsewhere.
 *
 * The answer comes from /proc/TID/status (SigBlk, the thread's; SigIgn,
 * the process's): from the read the seccomp check makes anyway when it
 * made one for these registers, else from a read of its own.  The thread
 * is stopped, so its mask holds until it runs again (a signal delivered
 * with R takes the answer away); another thread may change SIGTRAP's
 * action at any time, as it may between any check and any use.
 *
 * Async-signal-safe (inject_private.h).
 */
#include "internal.h"
#include "inject_private.h"

#ifdef XMM_HAVE_INJECT

#include <fcntl.h>
#include <signal.h>

#include "procfs.h"

/* The hexadecimal mask of the status line "name:\t...", if there is one. */
static bool status_mask(const char *status, const char *name,
			unsigned long long *mask)
{
	const char *s = xmm_proc_field(status, name);
	int digits = 0;

	if (!s)
		return false;
	*mask = 0;
	for (;; s++, digits++) {
		unsigned int v;

		if (*s >= '0' && *s <= '9')
			v = (unsigned int)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			v = (unsigned int)(*s - 'a' + 10);
		else
			break;
		*mask = *mask << 4 | v;
	}
	return digits > 0;
}

void xmm_inject_note_sigtrap(struct xmm_tracer *t, const char *status)
{
	unsigned long long blocked, ignored, bit = 1ULL << (SIGTRAP - 1);

	t->sigtrap_untouched = status_mask(status, "SigBlk", &blocked) &&
			       status_mask(status, "SigIgn", &ignored) &&
			       !(blocked & bit) && !(ignored & bit);
	t->sigtrap_known = true;
}

bool xmm_inject_sigtrap_untouched(struct xmm_tracer *t)
{
	char path[64], buf[4096];

	if (!t->sigtrap_known) {
		xmm_inject_proc_path(path, t->tid, 0, "status");
		if (xmm_proc_read_small(AT_FDCWD, path, buf, sizeof(buf)) <= 0)
			buf[0] = '\0';
		xmm_inject_note_sigtrap(t, buf);
	}
	return t->sigtrap_untouched;
}

#endif /* XMM_HAVE_INJECT */
