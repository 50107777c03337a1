// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The /proc layer against the real /proc files of real children: the maps
 * list and the one-address lookup both ways (PROCMAP_QUERY and the maps
 * fallback, forced), the one definition of "anonymous", smaps VmFlags
 * (userfaultfd registrations included), status fields, the stat state,
 * pagemap entries, and pinning a process by pid.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <fcntl.h>
#include <pthread.h>
#include <linux/userfaultfd.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* The layer's code itself: its functions are hidden in the library. */
#include "../src/maps_parse.c"
#include "../src/pidfd.c"
#include "../src/procfs.c"
#include "../src/procfs_cgroup.c"
#include "../src/procfs_maps.c"
#include "../src/procfs_pagemap.c"
#include "../src/procfs_smaps.c"
#include "harness.h"

#ifndef PR_SET_VMA
#define PR_SET_VMA		0x53564d41
#define PR_SET_VMA_ANON_NAME	0
#endif

/* Mappings made before the child forks, so that it has them too. */
static struct {
	char *anon;		/* 4 pages rw, pages 0 and 2 touched */
	char *none;		/* PROT_NONE */
	char *named;		/* [anon:xmm-test] where the kernel names */
	char *file;		/* private mapping of a file */
	char *memfd;		/* MAP_SHARED memfd */
	char *zero_private;	/* MAP_PRIVATE /dev/zero: anonymous */
	char *zero_shared;	/* MAP_SHARED /dev/zero: shmem */
	char *huge;		/* MADV_HUGEPAGE */
	char *nohuge;		/* MADV_NOHUGEPAGE */
	bool named_ok;
} maps;

static size_t page;

static char *map(size_t len, int prot, int flags, int fd)
{
	char *p = mmap(NULL, len, prot, flags, fd, 0);

	assert_true(p != MAP_FAILED);
	return p;
}

static int setup_maps(void **state)
{
	int fd;

	page = harness_page_size();
	/* Between two guard pages: a mapping of its own, never merged. */
	maps.anon = map(6 * page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
			-1) + page;
	assert_int_equal(mprotect(maps.anon, 4 * page,
				  PROT_READ | PROT_WRITE), 0);
	maps.anon[0] = 1;
	maps.anon[2 * page] = 1;
	maps.none = map(page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	maps.named = map(page, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1);
	maps.named_ok = prctl(PR_SET_VMA, PR_SET_VMA_ANON_NAME,
			      (unsigned long)maps.named, page,
			      (unsigned long)"xmm-test") == 0;
	fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	maps.file = map(page, PROT_READ, MAP_PRIVATE, fd);
	close(fd);
	fd = memfd_create("xmm-procfs", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, (off_t)page), 0);
	maps.memfd = map(page, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	close(fd);
	fd = open("/dev/zero", O_RDWR | O_CLOEXEC);
	assert_true(fd >= 0);
	maps.zero_private = map(page, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd);
	maps.zero_shared = map(page, PROT_READ | PROT_WRITE, MAP_SHARED, fd);
	close(fd);
	/* PMD-sized, so that THP advice is kept where THP exists. */
	maps.huge = map(4 << 20, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1);
	maps.nohuge = map(4 << 20, PROT_READ | PROT_WRITE,
			  MAP_PRIVATE | MAP_ANONYMOUS, -1);
	madvise(maps.huge, 4 << 20, MADV_HUGEPAGE);
	madvise(maps.nohuge, 4 << 20, MADV_NOHUGEPAGE);
	(void)state;
	return 0;
}

struct child_dir {
	struct harness_child child;
	int dirfd;
};

static void child_dir_start(struct child_dir *cd, void (*setup)(void *),
			    void *arg)
{
	pid_t pid;

	harness_child_or_skip(&cd->child, setup, arg);
	cd->dirfd = xmm_proc_open(cd->child.pidfd, &pid);
	assert_true(cd->dirfd >= 0);
	assert_int_equal(pid, cd->child.pid);
}

static void child_dir_stop(struct child_dir *cd)
{
	close(cd->dirfd);
	harness_child_stop(&cd->child);
}

static const struct xmm_vma *find(const struct xmm_vma_list *list,
				  const void *addr)
{
	size_t i;

	for (i = 0; i < list->count; i++)
		if (list->vmas[i].start <= (uintptr_t)addr &&
		    (uintptr_t)addr < list->vmas[i].end)
			return &list->vmas[i];
	fail_msg("no mapping holds %p", addr);
	return NULL;
}

/*
 * Wait until the child has stopped or exited, leaving it waitable.  With
 * a siginfo_t: the kernel takes NULL, valgrind 3.19 reports it.
 */
static int wait_keeping(pid_t pid, int what)
{
	siginfo_t info;

	return waitid(P_PID, (id_t)pid, &info, what | WNOWAIT);
}

/* The list of a child: every kind, named and classed as the kernel says. */
static void test_maps_list(void **state)
{
	struct xmm_vma_list list;
	struct child_dir cd;
	const struct xmm_vma *v;

	child_dir_start(&cd, NULL, NULL);
	assert_int_equal(xmm_proc_maps_read(cd.dirfd, &list), 0);
	assert_true(list.count > 10);
	assert_int_equal(list.malformed, 0);

	v = find(&list, maps.anon);
	assert_int_equal(v->prot, PROT_READ | PROT_WRITE);
	assert_int_equal(v->vma_class, XMM_VMA_CLASS_ANON);
	assert_string_equal(v->name, "");
	assert_true(xmm_proc_vma_is_anon(v));

	v = find(&list, maps.none);
	assert_int_equal(v->prot, 0);
	assert_true(xmm_proc_vma_is_anon(v));

	if (maps.named_ok) {
		v = find(&list, maps.named);
		assert_string_equal(v->name, "[anon:xmm-test]");
		assert_true(xmm_proc_vma_is_anon(v));
	}

	v = find(&list, maps.file);
	assert_int_equal(v->vma_class, XMM_VMA_CLASS_FILE);
	assert_true(v->inode != 0);
	assert_int_equal(v->name[0], '/');
	assert_false(xmm_proc_vma_is_anon(v));

	v = find(&list, maps.memfd);
	assert_int_equal(v->vma_class, XMM_VMA_CLASS_SHARED);
	assert_true(v->flags & XMM_VMA_F_SHARED);
	assert_true(v->flags & XMM_VMA_F_DELETED);
	assert_string_equal(v->name, "/memfd:xmm-procfs");
	assert_false(xmm_proc_vma_is_anon(v));

	/* The kernel makes a private /dev/zero mapping anonymous. */
	v = find(&list, maps.zero_private);
	assert_string_equal(v->name, "/dev/zero");
	assert_true(xmm_proc_vma_is_anon(v));
	v = find(&list, maps.zero_shared);
	assert_false(xmm_proc_vma_is_anon(v));

	/*
	 * Our stack, as the child's.  Valgrind runs the program on a stack
	 * it maps itself, which the kernel does not name [stack].
	 */
	v = find(&list, &list);
	if (!harness_under_valgrind())
		assert_int_equal(v->vma_class, XMM_VMA_CLASS_STACK);
	assert_true(xmm_proc_vma_is_anon(v));

	xmm_vma_list_free(&list);
	/* A second read starts at the sizes of the first: same answer. */
	assert_int_equal(xmm_proc_maps_read(cd.dirfd, &list), 0);
	assert_string_equal(find(&list, maps.memfd)->name, "/memfd:xmm-procfs");
	xmm_vma_list_free(&list);
	child_dir_stop(&cd);
	(void)state;
}

static void assert_same_vma(const struct xmm_vma *a, const struct xmm_vma *b)
{
	assert_int_equal(a->start, b->start);
	assert_int_equal(a->end, b->end);
	assert_int_equal(a->offset, b->offset);
	assert_int_equal(a->inode, b->inode);
	assert_int_equal(a->dev_major, b->dev_major);
	assert_int_equal(a->dev_minor, b->dev_minor);
	assert_int_equal(a->prot, b->prot);
	assert_int_equal(a->flags, b->flags);
	assert_int_equal(a->vma_class, b->vma_class);
	assert_string_equal(a->name, b->name);
}

/*
 * PROCMAP_QUERY and the maps fallback give the record of the list for
 * every mapping of the child, and the same answer in a hole.
 */
static void test_vma_at_both_ways(void **state)
{
	struct xmm_proc_vma *query, *scan;
	struct xmm_vma_list list;
	struct child_dir cd;
	bool have_query;
	size_t i;
	int fd, ret;

	/* Allocated after the child starts: it has none of them to leak. */
	child_dir_start(&cd, NULL, NULL);
	query = malloc(sizeof(*query));
	scan = malloc(sizeof(*scan));
	assert_non_null(query);
	assert_non_null(scan);
	assert_int_equal(xmm_proc_maps_read(cd.dirfd, &list), 0);
	fd = xmm_proc_openat(cd.dirfd, "maps", false);
	assert_true(fd >= 0);
	ret = xmm_proc_vma_query(fd, list.vmas[0].start, query);
	have_query = ret != -ENOTTY;
	if (!have_query)
		printf("note: no PROCMAP_QUERY (Linux 6.11) here: the maps "
		       "fallback alone is tested\n");
	for (i = 0; i < list.count; i++) {
		const struct xmm_vma *v = &list.vmas[i];

		/* [vsyscall] lies outside the mm that the ioctl walks. */
		if (v->vma_class == XMM_VMA_CLASS_SPECIAL &&
		    !strcmp(v->name, "[vsyscall]"))
			continue;
		assert_int_equal(xmm_proc_vma_scan(cd.dirfd, v->end - 1,
						   scan), 0);
		assert_same_vma(&scan->vma, v);
		if (have_query) {
			assert_int_equal(xmm_proc_vma_query(fd, v->start,
							    query), 0);
			assert_same_vma(&query->vma, v);
		}
	}
	/* A hole: address 0, which nothing maps. */
	assert_int_equal(xmm_proc_vma_scan(cd.dirfd, 0, scan), -EFAULT);
	if (have_query)
		assert_int_equal(xmm_proc_vma_query(fd, 0, query), -EFAULT);
	assert_int_equal(xmm_proc_vma_at(cd.dirfd, 0, query), -EFAULT);

	/* The fallback forced, as on a kernel without the ioctl. */
	atomic_store(&query_works, 0);
	assert_int_equal(xmm_proc_vma_at(cd.dirfd, (uintptr_t)maps.memfd,
					 scan), 0);
	assert_same_vma(&scan->vma, find(&list, maps.memfd));
	atomic_store(&query_works, 1);
	assert_int_equal(xmm_proc_vma_at(cd.dirfd, (uintptr_t)maps.memfd,
					 query), 0);
	assert_same_vma(&query->vma, find(&list, maps.memfd));
	close(fd);
	xmm_vma_list_free(&list);

	/* Once the child has exited (a zombie still), ESRCH both ways. */
	kill(cd.child.pid, SIGKILL);
	assert_int_equal(wait_keeping(cd.child.pid, WEXITED), 0);
	assert_int_equal(xmm_proc_vma_at(cd.dirfd, (uintptr_t)maps.anon,
					 query), -ESRCH);
	atomic_store(&query_works, 0);
	assert_int_equal(xmm_proc_vma_at(cd.dirfd, (uintptr_t)maps.anon,
					 scan), -ESRCH);
	atomic_store(&query_works, 1);
	child_dir_stop(&cd);
	free(query);
	free(scan);
	(void)state;
}

/* ioctl(2) refused by a policy: the lookup reads maps instead. */
static int vma_at_without_ioctl(void *arg)
{
	struct xmm_proc_vma *vma;
	int dirfd;

	(void)arg;
	if (harness_seccomp_enosys(SYS_ioctl) < 0)
		return HARNESS_EXIT_SKIP;
	vma = malloc(sizeof(*vma));
	CHILD_CHECK(vma);
	dirfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	CHILD_CHECK(dirfd >= 0);
	CHILD_CHECK(xmm_proc_vma_at(dirfd, (uintptr_t)maps.memfd, vma) == 0);
	CHILD_CHECK(vma->vma.start == (uintptr_t)maps.memfd);
	CHILD_CHECK(!strcmp(vma->vma.name, "/memfd:xmm-procfs"));
	CHILD_CHECK(xmm_proc_vma_at(dirfd, 0, vma) == -EFAULT);
	close(dirfd);
	free(vma);
	return 0;
}

static void test_vma_at_ioctl_refused(void **state)
{
	int ret = harness_run_in_child(vma_at_without_ioctl, NULL);

	if (ret == HARNESS_EXIT_SKIP)
		harness_skip("seccomp filters cannot be installed here");
	assert_int_equal(ret, 0);
	(void)state;
}

/* A child that locks maps.anon in memory: VmFlags lo. */
static void lock_anon(void *arg)
{
	(void)arg;
	/* The system call: ASan's mlock() does nothing. */
	if (syscall(SYS_mlock, maps.anon, page) < 0)
		_exit(HARNESS_EXIT_SKIP);
}

static void test_vm_flags_locked(void **state)
{
	uintptr_t addrs[2];
	uint64_t flags[2];
	struct child_dir cd;

	if (harness_child_start(&cd.child, lock_anon, NULL) != 0)
		harness_skip("mlock() refused here (RLIMIT_MEMLOCK?)");
	cd.dirfd = xmm_proc_open(cd.child.pidfd, &(pid_t){ 0 });
	assert_true(cd.dirfd >= 0);
	addrs[0] = (uintptr_t)maps.anon;
	addrs[1] = (uintptr_t)maps.memfd;
	assert_int_equal(xmm_proc_vm_flags_n(cd.dirfd, 2, addrs, flags), 0);
	assert_true(flags[0] & XMM_VMF(LO));
	assert_false(flags[1] & XMM_VMF(LO));
	child_dir_stop(&cd);
	(void)state;
}

/* A child that registers maps.anon with a userfaultfd of its own. */
static void register_uffd(void *arg)
{
	struct uffdio_api api = { .api = UFFD_API };
	struct uffdio_register reg = {
		.range = { .start = (uintptr_t)maps.anon, .len = 4 * page },
		.mode = UFFDIO_REGISTER_MODE_MISSING,
	};
	long fd = syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK);

	if (fd < 0 && errno == EPERM)
		fd = syscall(SYS_userfaultfd,
			     O_CLOEXEC | O_NONBLOCK | 1 /* USER_MODE_ONLY */);
	if (fd < 0 || ioctl((int)fd, UFFDIO_API, &api) < 0 ||
	    ioctl((int)fd, UFFDIO_REGISTER, &reg) < 0)
		_exit(HARNESS_EXIT_SKIP);
	(void)arg;
}

static void test_vm_flags(void **state)
{
	struct child_dir cd;
	uint64_t flags;

	child_dir_start(&cd, NULL, NULL);
	assert_int_equal(xmm_proc_vm_flags(cd.dirfd, (uintptr_t)maps.anon,
					   &flags), 0);
	assert_true(flags & XMM_VMF(RD));
	assert_true(flags & XMM_VMF(WR));
	assert_false(flags & XMM_VMF(SH));
	assert_false(flags & XMM_VMF_UFFD);
	assert_int_equal(xmm_proc_vm_flags(cd.dirfd, (uintptr_t)maps.memfd,
					   &flags), 0);
	assert_true(flags & XMM_VMF(SH));
	if (xmm_proc_vm_flags(cd.dirfd, (uintptr_t)maps.huge, &flags) == 0 &&
	    (flags & XMM_VMF(HG))) {
		assert_int_equal(xmm_proc_vm_flags(cd.dirfd,
			(uintptr_t)maps.nohuge, &flags), 0);
		assert_true(flags & XMM_VMF(NH));
	} else {
		printf("note: no THP here: hg/nh not checked\n");
	}
	assert_int_equal(xmm_proc_vm_flags(cd.dirfd, 0, &flags), -EFAULT);
	/* Several in one pass, in any order, one of them twice. */
	{
		uintptr_t addrs[3] = { (uintptr_t)maps.memfd,
				       (uintptr_t)maps.anon + page,
				       (uintptr_t)maps.memfd };
		uint64_t many[3];

		assert_int_equal(xmm_proc_vm_flags_n(cd.dirfd, 3, addrs,
						     many), 0);
		assert_true(many[0] & XMM_VMF(SH));
		assert_false(many[1] & XMM_VMF(SH));
		assert_true(many[1] & XMM_VMF(WR));
		assert_int_equal(many[2], many[0]);
		addrs[1] = 0;
		assert_int_equal(xmm_proc_vm_flags_n(cd.dirfd, 3, addrs,
						     many), -EFAULT);
	}
	child_dir_stop(&cd);

	/* The userfaultfd registration, as the remap backends must see. */
	if (harness_child_start(&cd.child, register_uffd, NULL) != 0)
		harness_skip("the child cannot register a userfaultfd here");
	cd.dirfd = xmm_proc_open(cd.child.pidfd, &(pid_t){ 0 });
	assert_true(cd.dirfd >= 0);
	assert_int_equal(xmm_proc_vm_flags(cd.dirfd,
		(uintptr_t)maps.anon + page, &flags), 0);
	assert_true(flags & XMM_VMF(UM));
	assert_false(flags & XMM_VMF(UW));
	child_dir_stop(&cd);
	(void)state;
}

/* xmm_smaps_find_vm_flags() on a copy: it writes into its text. */
static int find_flags(const char *text, uintptr_t start, uint64_t *flags)
{
	size_t len = strlen(text);
	char *copy = malloc(len + 1);
	int ret;

	assert_non_null(copy);
	memcpy(copy, text, len + 1);
	ret = xmm_smaps_find_vm_flags(copy, len, start, flags);
	free(copy);
	return ret;
}

/* The pure parsers on text the kernel writes and text it never would. */
static void test_vm_flags_parser(void **state)
{
	const char *smaps =
		"00400000-00401000 r-xp 00000000 08:01 42   /bin/x\n"
		"Size:                  4 kB\n"
		"VmFlags: rd ex mr mw me dw\n"
		"00600000-00601000 rw-p 00000000 00:00 0\n"
		"Rss:                   4 kB\n"
		"VmFlags: rd wr mr mw me ac um uw ui \n"
		"00700000-00701000 rw-p 00000000 00:00 0\n"
		"Rss:                   4 kB\n"
		"00800000-00801000 rw-p 00000000 00:00 0\n";
	uint64_t flags;

	assert_int_equal(xmm_smaps_parse_vm_flags("rd wr", 5),
			 XMM_VMF(RD) | XMM_VMF(WR));
	assert_int_equal(xmm_smaps_parse_vm_flags(" zz  rdx ", 9),
			 1ULL << XMM_VMF_OTHER);
	assert_int_equal(xmm_smaps_parse_vm_flags("", 0), 0);
	assert_int_equal(find_flags(smaps, 0x600000, &flags), 0);
	assert_int_equal(flags & XMM_VMF_UFFD, XMM_VMF_UFFD);
	assert_true(flags & XMM_VMF(AC));
	assert_int_equal(find_flags(smaps, 0x700000, &flags), -ENODATA);
	assert_int_equal(find_flags(smaps, 0x650000, &flags), -EFAULT);
	assert_int_equal(find_flags(smaps, 0x900000, &flags), -EFAULT);
	(void)state;
}

static void test_status_and_stat(void **state)
{
	unsigned long long rss = 0, threads = 0;
	struct child_dir cd;
	char *text, st;
	size_t len;

	assert_int_equal(xmm_proc_parse_stat_state("1 (a) b) T 1", 12), 'T');
	assert_int_equal(xmm_proc_parse_stat_state("1 (a)", 5), '?');
	assert_int_equal(xmm_proc_parse_stat_state("1 (a)x", 6), '?');
	assert_int_equal(xmm_proc_parse_stat_state("", 0), '?');
	assert_int_equal(xmm_proc_field_kib("A: 1\nVmRSS:\t  12 kB\n",
					    "VmRSS", &rss), 1);
	assert_int_equal(rss, 12 * 1024);
	assert_int_equal(xmm_proc_field_kib("VmRSS: 99999999999999999999 kB",
					    "VmRSS", &rss), 0);
	assert_int_equal(xmm_proc_field_kib("VmRS: 1 kB", "VmRSS", &rss), 0);

	child_dir_start(&cd, NULL, NULL);
	assert_int_equal(xmm_proc_read_all(cd.dirfd, "status", &text, &len),
			 0);
	assert_int_equal(strlen(text), len);
	assert_int_equal(xmm_proc_field_kib(text, "VmRSS", &rss), 1);
	assert_true(rss > 0 && rss % 1024 == 0);
	/* A count, not kB: taken as it stands. */
	assert_int_equal(xmm_proc_field_kib(text, "Threads", &threads), 1);
	assert_int_equal(threads, 1);
	free(text);
	assert_int_equal(xmm_proc_stat_state(cd.dirfd, "stat", &st), 0);
	assert_true(st == 'S' || st == 'R');
	kill(cd.child.pid, SIGSTOP);
	assert_int_equal(wait_keeping(cd.child.pid, WSTOPPED), 0);
	assert_int_equal(xmm_proc_stat_state(cd.dirfd, "stat", &st), 0);
	assert_int_equal(st, 'T');
	kill(cd.child.pid, SIGKILL);
	assert_int_equal(wait_keeping(cd.child.pid, WEXITED), 0);
	assert_int_equal(xmm_proc_stat_state(cd.dirfd, "stat", &st), 0);
	assert_int_equal(st, 'Z');
	/* A failed read leaves no stale pointer and no stale letter. */
	text = (char *)&st;
	len = 1;
	assert_int_equal(xmm_proc_read_all(cd.dirfd, "no-such-file", &text,
					   &len), -ESRCH);
	assert_null(text);
	assert_int_equal(len, 0);
	text = (char *)&st;
	len = 1;
	assert_int_equal(xmm_proc_read_fd(cd.dirfd, 0, &text, &len), -EISDIR);
	assert_null(text);
	assert_int_equal(len, 0);
	assert_int_equal(xmm_proc_stat_state(cd.dirfd, "no-such-file", &st),
			 -ESRCH);
	assert_int_equal(st, '?');
	child_dir_stop(&cd);
	(void)state;
}

static void test_pagemap(void **state)
{
	struct xmm_vma_list list;
	struct child_dir cd;
	uint64_t entries[4];
	struct xmm_vma *v;
	size_t i;
	int fd;

	child_dir_start(&cd, NULL, NULL);
	fd = xmm_proc_openat(cd.dirfd, "pagemap", false);
	assert_true(fd >= 0);
	assert_int_equal(xmm_pagemap_read(fd, (uintptr_t)maps.anon, page,
					  entries, 4), 4);
	assert_true(xmm_pm_populated(entries[0]));
	assert_false(xmm_pm_populated(entries[1]));
	assert_true(xmm_pm_populated(entries[2]));
	assert_false(xmm_pm_populated(entries[3]));
	assert_true(xmm_pm_anon_copy(entries[0]));
	assert_int_equal(xmm_pagemap_read(fd, (uintptr_t)maps.file, page,
					  entries, 1), 1);
	assert_false(xmm_pm_anon_copy(entries[0]));
	close(fd);

	assert_int_equal(xmm_proc_maps_read(cd.dirfd, &list), 0);
	assert_int_equal(xmm_proc_pagemap_count(cd.dirfd, &list), 0);
	for (i = 0, v = NULL; i < list.count; i++)
		if (list.vmas[i].start == (uintptr_t)maps.anon)
			v = &list.vmas[i];
	assert_non_null(v);
	assert_true(v->flags & XMM_VMA_F_PAGEMAP);
	assert_int_equal(v->resident_pages, 2);
	assert_int_equal(v->swapped_pages, 0);
	xmm_vma_list_free(&list);
	child_dir_stop(&cd);
	(void)state;
}

static void test_pin(void **state)
{
	struct xmm_proc_pin pin;
	struct child_dir cd;

	assert_int_equal(xmm_proc_pin(0, &pin), -EINVAL);
	assert_int_equal(pin.dirfd, -1);
	child_dir_start(&cd, NULL, NULL);
	assert_int_equal(xmm_proc_pin(cd.child.pid, &pin), 0);
	assert_true(pin.dirfd >= 0);
	assert_int_equal(xmm_proc_pin_check(&pin), 0);
	/* Exited but not reaped: its memory is gone all the same. */
	kill(cd.child.pid, SIGKILL);
	assert_int_equal(wait_keeping(cd.child.pid, WEXITED), 0);
	assert_int_equal(xmm_proc_pin_check(&pin), -ESRCH);
	child_dir_stop(&cd);
	assert_int_equal(xmm_proc_pin_check(&pin), -ESRCH);
	/* Reaped: the directory fd now leads nowhere. */
	assert_int_equal(xmm_proc_openat(pin.dirfd, "maps", false), -ESRCH);
	xmm_proc_unpin(&pin);
	/* Above any pid_max: no such process. */
	assert_int_equal(xmm_proc_pin(1 << 22, &pin), -ESRCH);
	(void)state;
}

static void *sleep_forever(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

/* A target whose leader exits while one thread of it still runs. */
static pid_t fork_leader_exits(void)
{
	pthread_t thread;
	pid_t pid = fork();

	if (pid != 0)
		return pid;
	if (pthread_create(&thread, NULL, sleep_forever, NULL) != 0)
		_exit(1);
	syscall(SYS_exit, 0);	/* the leader alone */
	_exit(1);
}

/*
 * Without pidfd_open(2) (before Linux 5.3, or refused): the directory
 * alone tells, with the pidfd's answers.  A zombie leader whose thread
 * runs is alive; once every thread has exited, ESRCH before the reap.
 */
static int pin_without_pidfd(void *arg)
{
	struct xmm_proc_pin pin;
	siginfo_t info;
	pid_t target;
	char state = 0;

	(void)arg;
	if (harness_seccomp_enosys(SYS_pidfd_open) < 0)
		return HARNESS_EXIT_SKIP;
	target = fork_leader_exits();
	CHILD_CHECK(target > 0);
	CHILD_CHECK(xmm_proc_pin(target, &pin) == 0);
	CHILD_CHECK(pin.pidfd == -1 && pin.dirfd >= 0);
	/* Waits for the leader's own exit, which nothing signals. */
	while (state != 'Z')
		CHILD_CHECK(xmm_proc_stat_state(pin.dirfd, "stat",
						&state) == 0);
	CHILD_CHECK(xmm_proc_pin_check(&pin) == 0);
	kill(target, SIGKILL);
	CHILD_CHECK(waitid(P_PID, (id_t)target, &info,
			   WEXITED | WNOWAIT) == 0);
	CHILD_CHECK(xmm_proc_pin_check(&pin) == -ESRCH);
	CHILD_CHECK(waitpid(target, NULL, 0) == target);
	CHILD_CHECK(xmm_proc_pin_check(&pin) == -ESRCH);
	xmm_proc_unpin(&pin);
	return 0;
}

static void test_pin_without_pidfd(void **state)
{
	int ret = harness_run_in_child(pin_without_pidfd, NULL);

	if (ret == HARNESS_EXIT_SKIP)
		harness_skip("seccomp filters cannot be installed here");
	assert_int_equal(ret, 0);
	(void)state;
}

/* The freezer's two parsers, on this machine's files and on made-up ones. */
static void test_cgroup(void **state)
{
	const char *info =
		"22 1 0:21 / /sys rw - sysfs sysfs rw\n"
		"30 22 0:26 /sub /x rw shared:4 - cgroup2 cgroup2 rw\n"
		"31 22 0:26 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 "
		"cgroup2 rw\n";
	char path[256], *text;
	struct statfs fs;
	const char *cg;
	size_t len, cg_len;
	int self;

	assert_int_equal(xmm_proc_parse_cgroup2_mount(info, strlen(info),
						      path, sizeof(path)), 0);
	assert_string_equal(path, "/sys/fs/cgroup");
	assert_int_equal(xmm_proc_parse_cgroup2_mount(info, strlen(info),
						      path, 5), -ENOENT);
	assert_int_equal(xmm_proc_parse_cgroup2_mount(info, 40, path,
						      sizeof(path)), -ENOENT);
	assert_int_equal(xmm_proc_parse_cgroup_v2("1:cpu:/a\n0::/b/c\n", 17,
						  &cg, &cg_len), 0);
	assert_int_equal(cg_len, 4);
	assert_memory_equal(cg, "/b/c", 4);
	assert_int_equal(xmm_proc_parse_cgroup_v2("10::/b\n", 7, &cg,
						  &cg_len), -ENOENT);

	/* This machine: the mount found is a cgroup2 filesystem. */
	self = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	assert_true(self >= 0);
	assert_int_equal(xmm_proc_read_all(self, "mountinfo", &text, &len), 0);
	if (xmm_proc_parse_cgroup2_mount(text, len, path, sizeof(path)) == 0) {
		assert_int_equal(statfs(path, &fs), 0);
		assert_int_equal((unsigned long)fs.f_type, 0x63677270UL);
	} else {
		printf("note: no cgroup2 hierarchy mounted here\n");
	}
	free(text);
	/* No /proc/PID/cgroup in a kernel without CONFIG_CGROUPS (guests). */
	if (faccessat(self, "cgroup", F_OK, 0) < 0) {
		assert_int_equal(errno, ENOENT);
		printf("note: no /proc/self/cgroup (no CONFIG_CGROUPS)\n");
	} else {
		assert_int_equal(xmm_proc_read_all(self, "cgroup", &text,
						   &len), 0);
		if (xmm_proc_parse_cgroup_v2(text, len, &cg, &cg_len) == 0)
			assert_int_equal(cg[0], '/');
		free(text);
	}
	close(self);
	(void)state;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_maps_list),
		cmocka_unit_test(test_vma_at_both_ways),
		cmocka_unit_test(test_vma_at_ioctl_refused),
		cmocka_unit_test(test_vm_flags),
		cmocka_unit_test(test_vm_flags_locked),
		cmocka_unit_test(test_vm_flags_parser),
		cmocka_unit_test(test_status_and_stat),
		cmocka_unit_test(test_pagemap),
		cmocka_unit_test(test_pin),
		cmocka_unit_test(test_pin_without_pidfd),
		cmocka_unit_test(test_cgroup),
	};

	harness_require(HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, setup_maps, NULL);
}
