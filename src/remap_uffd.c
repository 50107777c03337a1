// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The uffd-move backend of xmm_remap_anon_pages(): userfaultfd's
 * UFFDIO_MOVE (Linux 6.8), the mainline descendant of remap_anon_pages.
 *
 * UFFDIO_MOVE only moves into a range registered with the userfaultfd that
 * issues it, so each call registers [dst, dst+len) (MISSING mode), moves,
 * and unregisters.  Registration splits the destination mapping for the
 * duration of the call; unregistration merges it back, so /proc/self/maps
 * looks the same afterwards.  A thread touching dst during the call waits
 * for the move, which wakes it.
 *
 * The userfaultfd is opened once and shared by all threads.  It belongs to
 * the address space that opened it: a forked child that used it would move
 * the parent's pages.  Its number lives in a page marked MADV_WIPEONFORK,
 * which every fork (fork(), _Fork(), clone() without CLONE_VM) hands to the
 * child zeroed, so a child opens its own with one load of overhead; the
 * library's fork hook (atfork.c) closes the inherited descriptor after
 * fork().
 *
 * The number is the caller's to close (a daemon closing every descriptor,
 * close_range()), and the kernel then gives it to the next file opened.
 * Before each use the descriptor's inode is compared with the one recorded
 * at open; when it differs, the library opens a new userfaultfd and leaves
 * the number alone: it belongs to whatever the caller opened there.
 */
#include "internal.h"
#include "atfork.h"
#include "backend.h"
#include "remap.h"

#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#if HAVE_LINUX_USERFAULTFD_H
#include <linux/userfaultfd.h>

#include "syscall.h"

/* Linux 6.8 additions that Debian's 6.1 headers lack. */
#ifndef UFFD_FEATURE_MOVE
#define UFFD_FEATURE_MOVE		(1ULL << 16)
#endif
#ifndef UFFDIO_MOVE
#define UFFDIO_MOVE_MODE_DONTWAKE	((__u64)1 << 0)
#define UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES ((__u64)1 << 1)
struct uffdio_move {
	__u64 dst;
	__u64 src;
	__u64 len;
	__u64 mode;
	__s64 move;
};
#define UFFDIO_MOVE	_IOWR(UFFDIO, 0x05, struct uffdio_move)
#endif
/* Linux 5.11. */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY		1
#endif
/* Linux 6.1. */
#ifndef USERFAULTFD_IOC_NEW
#define USERFAULTFD_IOC_NEW		_IO(0xAA, 0x00)
#endif

/*
 * Zero-progress EAGAIN answers (a page table or folio changing under the
 * move) tolerated before the page counts as busy.
 */
#define UFFD_MOVE_RETRIES	128

/*
 * A userfaultfd handles faults of user code only: the library never serves
 * faults, and this is what an unprivileged caller may open (5.11).
 */
#define UFFD_OPEN_FLAGS	(O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY)

/* The page that forgets the descriptor in a forked child. */
struct uffd_cache {
	atomic_int fd_plus_one;	/* 0: none opened in this process */
	/* What fstat() said of it at open: the file behind the number. */
	_Atomic unsigned long long ino;
	_Atomic unsigned long long dev;
	atomic_flag reopening;	/* one thread replaces a lost descriptor */
};

static struct uffd_cache *_Atomic uffd_cache;
/* The same number in ordinary memory, for the atfork handler to close. */
static atomic_int uffd_opened_fd = -1;

void xmm_uffd_atfork_child(void)
{
	int fd = atomic_exchange(&uffd_opened_fd, -1);

	if (fd >= 0)
		close(fd);
}

static struct uffd_cache *uffd_cache_get(void)
{
	struct uffd_cache *cache = atomic_load_explicit(&uffd_cache,
							memory_order_acquire);
	struct uffd_cache *expected = NULL;
	size_t page_size = xmm_remap_page_size();
	void *page;

	if (cache)
		return cache;
	page = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (page == MAP_FAILED)
		return NULL;
	if (madvise(page, page_size, MADV_WIPEONFORK) < 0) {
		munmap(page, page_size);
		return NULL;
	}
	if (!atomic_compare_exchange_strong(&uffd_cache, &expected, page)) {
		munmap(page, page_size);
		return expected;
	}
	return page;
}

/* A new userfaultfd with UFFDIO_MOVE, or -errno. */
static int uffd_open(const char **detail)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_MOVE,
	};
	long fd = xmm_sys(userfaultfd, UFFD_OPEN_FLAGS);

	/* Refused (seccomp, sysctl): the device asks only file access. */
	if (fd < 0) {
		int dev = open("/dev/userfaultfd", O_RDWR | O_CLOEXEC);
		long refusal = fd;

		fd = -ENOENT;
		if (dev >= 0) {
			fd = ioctl(dev, USERFAULTFD_IOC_NEW, UFFD_OPEN_FLAGS);
			if (fd < 0)
				fd = -errno;
			close(dev);
		}
		if (fd < 0) {
			*detail = "userfaultfd is refused here (seccomp, "
				  "vm.unprivileged_userfaultfd, or no access "
				  "to /dev/userfaultfd)";
			return (int)refusal;
		}
	}
	if (ioctl((int)fd, UFFDIO_API, &api) < 0 ||
	    !(api.features & UFFD_FEATURE_MOVE)) {
		close((int)fd);
		*detail = "the kernel has no UFFDIO_MOVE (Linux 6.8)";
		return -ENOSYS;
	}
	return (int)fd;
}

/* Is fd still the userfaultfd the cache recorded? */
static bool uffd_still_ours(struct uffd_cache *cache, int fd)
{
	struct stat st;

	if (fstat(fd, &st) < 0)
		return false;
	return (unsigned long long)st.st_ino ==
	       atomic_load_explicit(&cache->ino, memory_order_relaxed) &&
	       (unsigned long long)st.st_dev ==
	       atomic_load_explicit(&cache->dev, memory_order_relaxed);
}

/*
 * Open a userfaultfd in place of a lost one (or the first), record its
 * inode, and publish it.  One thread at a time; the others wait for it.
 */
static int uffd_replace(struct uffd_cache *cache, const char **detail)
{
	struct stat st;
	int fd;

	while (atomic_flag_test_and_set_explicit(&cache->reopening,
						 memory_order_acquire))
		sched_yield();
	fd = atomic_load_explicit(&cache->fd_plus_one,
				  memory_order_acquire) - 1;
	if (fd >= 0 && uffd_still_ours(cache, fd))
		goto out;	/* another thread replaced it meanwhile */

	xmm_atfork_register();	/* the child closes it (atfork.c) */
	fd = uffd_open(detail);
	if (fd < 0)
		goto out;
	if (fstat(fd, &st) < 0) {
		close(fd);
		fd = -errno;
		*detail = "fstat() of a new userfaultfd failed";
		goto out;
	}
	atomic_store_explicit(&cache->ino, (unsigned long long)st.st_ino,
			      memory_order_relaxed);
	atomic_store_explicit(&cache->dev, (unsigned long long)st.st_dev,
			      memory_order_relaxed);
	atomic_store_explicit(&cache->fd_plus_one, fd + 1,
			      memory_order_release);
	/*
	 * The atfork handler closes this number in a child, never the lost
	 * one, which is the caller's now.  A number a raw clone() child
	 * inherited is left to it, not closed.
	 */
	atomic_store(&uffd_opened_fd, fd);
out:
	atomic_flag_clear_explicit(&cache->reopening, memory_order_release);
	return fd;
}

/* This process's userfaultfd, opened on first use; or -errno. */
static int uffd_get(const char **detail)
{
	struct uffd_cache *cache = uffd_cache_get();
	int fd;

	if (!cache) {
		*detail = "no MADV_WIPEONFORK page to keep the userfaultfd";
		return -ENOMEM;
	}
	fd = atomic_load_explicit(&cache->fd_plus_one,
				  memory_order_acquire) - 1;
	if (fd >= 0 && uffd_still_ours(cache, fd))
		return fd;
	return uffd_replace(cache, detail);
}

/*
 * Free of side effects: the userfaultfd it opens to ask for UFFDIO_MOVE
 * is closed again; the first move opens the one the library keeps.
 */
static int uffd_probe(const char **detail)
{
	int fd = uffd_open(detail);

	if (fd < 0)
		return fd;
	close(fd);
	return 0;
}

/* Is any page of [addr, addr+len) unmapped? */
static bool unmapped(uintptr_t addr, size_t len)
{
	unsigned char vec[1];
	size_t page_size = xmm_remap_page_size();

	/* The first page is what the kernel looked up. */
	if (len > page_size)
		len = page_size;
	return mincore((void *)addr, len, vec) < 0 && errno == ENOMEM;
}

/* The semantics' answer for a refusal of UFFDIO_MOVE that moved nothing. */
static long uffd_move_error(const struct xmm_remap_call *call, size_t done,
			    int err)
{
	/* The kernel says ENOENT for an unmapped range too. */
	if (err == ENOENT && (unmapped(call->src + done, call->len - done) ||
			      unmapped(call->dst + done, call->len - done)))
		return -EINVAL;
	if (err == EAGAIN)
		return -EBUSY;
	return -err;
}

static long uffd_move(int fd, const struct xmm_remap_call *call)
{
	__u64 mode = call->flags & XMM_RAP_ALLOW_SRC_HOLES ?
		     UFFDIO_MOVE_MODE_ALLOW_SRC_HOLES : 0;
	unsigned int retries = 0;
	size_t done = 0;

	while (done < call->len) {
		struct uffdio_move move = {
			.dst = call->dst + done,
			.src = call->src + done,
			.len = call->len - done,
			.mode = mode,
		};
		int err;

		if (ioctl(fd, UFFDIO_MOVE, &move) == 0)
			return (long)call->len;
		err = errno;
		/* A short move: go on, and learn why it stopped. */
		if (move.move > 0) {
			done += (size_t)move.move;
			continue;
		}
		if (err == EAGAIN && ++retries < UFFD_MOVE_RETRIES) {
			sched_yield();
			continue;
		}
		return done ? (long)done : uffd_move_error(call, done, err);
	}
	return (long)done;
}

/* A registration the kernel refused: the caller's error, or not here. */
static long uffd_register_error(const struct xmm_remap_call *call, int err)
{
	switch (err) {
	case ENOMEM:
		/* No mapping there, or no room for a split (max_map_count). */
		if (unmapped(call->dst, call->len))
			return -EINVAL;
		return xmm_try_next(ENOMEM);
	case EBUSY:
		/*
		 * dst belongs to another userfaultfd, the caller's own.  No
		 * other backend may touch it: copying would raise faults for
		 * that userfaultfd's handler, and mremap would unmap it.
		 */
		return -EBUSY;
	case EPERM:
		/* A security module refuses the registration. */
		return xmm_try_next(err);
	default:
		return -err;
	}
}

static long uffd_run(void *arg)
{
	struct xmm_remap_call *call = arg;
	struct uffdio_register reg = {
		.range = { .start = call->dst, .len = call->len },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	struct uffdio_range range = { .start = call->dst, .len = call->len };
	const char *detail = NULL;
	int fd = uffd_get(&detail);
	long ret;

	if (fd < 0) {
		/* Out of descriptors or memory is for now; a refusal is not. */
		if (fd != -EMFILE && fd != -ENFILE && fd != -ENOMEM)
			xmm_backend_disable(&xmm_remap_uffd_backend, -fd,
					    detail);
		return xmm_try_next(-fd);
	}
	if (ioctl(fd, UFFDIO_REGISTER, &reg) < 0)
		return uffd_register_error(call, errno);
	ret = uffd_move(fd, call);
	/* Also wakes any thread that touched dst during the move. */
	ioctl(fd, UFFDIO_UNREGISTER, &range);
	return ret;
}

#else /* !HAVE_LINUX_USERFAULTFD_H */

static int uffd_probe(const char **detail)
{
	*detail = "built without <linux/userfaultfd.h>";
	return -ENOSYS;
}

static long uffd_run(void *arg)
{
	return xmm_try_next(ENOSYS);
}

#endif /* HAVE_LINUX_USERFAULTFD_H */

struct xmm_backend xmm_remap_uffd_backend = {
	.name = "uffd-move",
	.probe = uffd_probe,
	.run = uffd_run,
};
