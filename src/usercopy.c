// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * Reading memory the caller handed us, as the kernel's copy_from_user()
 * does: a bad pointer is an EFAULT answer, not a SIGSEGV.  One
 * process_vm_readv(2) of our own process does it in the kernel; where that
 * call is missing or filtered, the bytes pass through a pipe, because
 * write(2) reads the buffer in the kernel and answers EFAULT for what it
 * cannot read.  Only fallback paths use this.
 */
#include "internal.h"
#include "syscall.h"
#include "usercopy.h"

#include <fcntl.h>
#include <stdatomic.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE	0x100000
#endif

/* Keep each chunk below the default pipe capacity, so write never blocks. */
#define XMM_PIPE_CHUNK	(16 * 4096)

/*
 * From our own memory: 0, -EFAULT, or 1 when this kernel (or a seccomp
 * filter) will not run the call.  A fault part way is a short count.
 */
static int copy_by_vm_readv(void *dst, const void *src, size_t len)
{
	struct iovec local = { .iov_base = dst, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)src, .iov_len = len };
	ssize_t got = process_vm_readv(getpid(), &local, 1, &remote, 1, 0);

	if (got == (ssize_t)len)
		return 0;
	if (got >= 0 || errno == EFAULT)
		return -EFAULT;
	return 1;
}

int xmm_copy_from_caller(void *dst, const void *src, size_t len)
{
	char *out = dst;
	const char *in = src;
	int pipe_fds[2];
	int ret = len ? copy_by_vm_readv(dst, src, len) : 0;

	if (ret <= 0)
		return ret;
	ret = 0;
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

#ifdef XMM_ARCH_USER_ADDR_BITS

/* Wider user address spaces the same architecture may run with. */
static const unsigned int wider_addr_bits[] = { 47, 48, 52, 56, 57 };

/* Could this process map a page at addr?  Taken: yes, it is user space. */
static bool user_page_possible(uint64_t addr)
{
	size_t page_size = (size_t)sysconf(_SC_PAGESIZE);
	void *got = mmap((void *)(uintptr_t)addr, page_size, PROT_NONE,
			 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
			 MAP_FIXED_NOREPLACE, -1, 0);

	if (got == MAP_FAILED)
		return errno == EEXIST;
	munmap(got, page_size);
	/* Before 4.17 the flag is unknown and addr only a hint. */
	return (uintptr_t)got == addr;
}

/*
 * TASK_SIZE_MAX of this kernel: the architecture's usual one, widened when
 * the pages above it can be mapped (5-level paging, 52-bit VA).  Found once,
 * and only for a caller who passes an address above the usual limit.
 */
static uint64_t user_addr_top(void)
{
	static _Atomic uint64_t top_found;
	uint64_t top = atomic_load_explicit(&top_found, memory_order_relaxed);
	size_t i;

	if (top)
		return top;
	top = 1ULL << XMM_ARCH_USER_ADDR_BITS;
	for (i = 0; i < sizeof(wider_addr_bits) / sizeof(wider_addr_bits[0]);
	     i++) {
		if (wider_addr_bits[i] <= XMM_ARCH_USER_ADDR_BITS ||
		    (1ULL << wider_addr_bits[i]) <= top)
			continue;
		if (!user_page_possible(top))
			break;
		top = 1ULL << wider_addr_bits[i];
	}
	top -= XMM_ARCH_USER_TOP_GUARD;
	atomic_store_explicit(&top_found, top, memory_order_relaxed);
	return top;
}

bool xmm_user_range_ok(uintptr_t addr, size_t len)
{
	uint64_t usual = (1ULL << XMM_ARCH_USER_ADDR_BITS) -
			 XMM_ARCH_USER_TOP_GUARD;
	uint64_t end = (uint64_t)addr + len;

	/* In the caller's own width: x32 wraps at 4 GiB like i386. */
	if ((uintptr_t)(addr + len) < addr)
		return false;
	return end <= usual || end <= user_addr_top();
}

#else /* !XMM_ARCH_USER_ADDR_BITS */

bool xmm_user_range_ok(uintptr_t addr, size_t len)
{
	return addr + len >= addr;
}

#endif /* XMM_ARCH_USER_ADDR_BITS */
