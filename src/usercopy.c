// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading memory the caller handed us, as the kernel's copy_from_user()
 * does: a bad pointer is an EFAULT answer, not a SIGSEGV.  The bytes pass
 * through a pipe, because write(2) reads the buffer in the kernel and
 * answers EFAULT for what it cannot read.  Only fallback paths use this.
 */
#include "internal.h"
#include "usercopy.h"

#include <fcntl.h>
#include <unistd.h>

/* Keep each chunk below the default pipe capacity, so write never blocks. */
#define XMM_PIPE_CHUNK	(16 * 4096)

int xmm_copy_from_caller(void *dst, const void *src, size_t len)
{
	char *out = dst;
	const char *in = src;
	int pipe_fds[2];
	int ret = 0;

	if (pipe2(pipe_fds, O_CLOEXEC) < 0)
		return -errno;

	while (len) {
		size_t chunk = len < XMM_PIPE_CHUNK ? len : XMM_PIPE_CHUNK;
		ssize_t written = write(pipe_fds[1], in, chunk);
		ssize_t got = 0;

		if (written <= 0) {
			ret = written < 0 ? -errno : -EFAULT;
			break;
		}
		while (got < written) {
			ssize_t n = read(pipe_fds[0], out + got,
					 (size_t)(written - got));

			if (n <= 0) {
				ret = n < 0 ? -errno : -EIO;
				goto out;
			}
			got += n;
		}
		in += written;
		out += written;
		len -= (size_t)written;
	}
out:
	close(pipe_fds[0]);
	close(pipe_fds[1]);
	return ret;
}
