// SPDX-License-Identifier: GPL-2.0
/*
 * Raw-syscall test of process_vm_mmap (990) on xmm's patched kernel.
 *   pvmm_test [-b MIB]  functional tests, then the benchmark on MIB MiB
 *                       (default 256; 0 skips it)
 * On a kernel without the syscall it prints why and exits 77.
 */
#include "common.h"
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/uio.h>

enum op { OP_MAP_PRIV, OP_MAP_MEMFD, OP_MAP_FILE_PRIV, OP_SUM, OP_FILL,
	  OP_READ64, OP_WRITE64, OP_MPROTECT, OP_PAGEOUT, OP_MAP_THP,
	  OP_UNMAP, OP_QUIT };

struct request { int op; uint64_t a, b, c; };
struct reply { uint64_t val; int err; };

struct child { pid_t pid; int cmd, resp; };

static void child_loop(int cmd, int resp)
{
	struct request rq;
	struct reply rp;
	char *p;
	int fd;

	while (read(cmd, &rq, sizeof(rq)) == sizeof(rq)) {
		memset(&rp, 0, sizeof(rp));
		p = (char *)(uintptr_t)rq.a;
		switch (rq.op) {
		case OP_MAP_PRIV:	/* a=len b=seed */
			p = map_anon(rq.a);
			madvise(p, rq.a, MADV_NOHUGEPAGE);
			fill(p, rq.a, rq.b);
			rp.val = (uintptr_t)p;
			break;
		case OP_MAP_THP: {	/* a=len b=seed, 2 MiB aligned */
			size_t huge = 2UL << 20;
			char *raw = map_anon(rq.a + huge);

			p = (char *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
			madvise(p, rq.a, MADV_HUGEPAGE);
			fill(p, rq.a, rq.b);
			rp.val = (uintptr_t)p;
			break;
		}
		case OP_MAP_MEMFD:	/* a=len b=seed */
			fd = memfd_create("pvmm", 0);
			if (fd < 0 || ftruncate(fd, rq.a)) {
				rp.err = errno;
				break;
			}
			p = mmap(NULL, rq.a, PROT_READ | PROT_WRITE,
				 MAP_SHARED, fd, 0);
			close(fd);
			fill(p, rq.a, rq.b);
			rp.val = (uintptr_t)p;
			break;
		case OP_MAP_FILE_PRIV: {	/* a=len b=seed: file, page 0 COWed */
			char path[64];

			snprintf(path, sizeof(path), "/tmp/pvmm-%d", getpid());
			fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
			p = malloc(rq.a);
			fill(p, rq.a, rq.b);
			if (fd < 0 || write(fd, p, rq.a) != (ssize_t)rq.a) {
				rp.err = errno;
				break;
			}
			free(p);
			p = mmap(NULL, rq.a, PROT_READ | PROT_WRITE,
				 MAP_PRIVATE, fd, 0);
			close(fd);
			unlink(path);
			fill(p, page_size, rq.b + 1);	/* anonymous COW copy */
			rp.val = (uintptr_t)p;
			break;
		}
		case OP_SUM:		/* a=addr b=len */
			rp.val = checksum(p, rq.b);
			break;
		case OP_FILL:		/* a=addr b=len c=seed */
			fill(p, rq.b, rq.c);
			break;
		case OP_READ64:
			rp.val = *(uint64_t *)p;
			break;
		case OP_WRITE64:	/* a=addr b=value */
			*(uint64_t *)p = rq.b;
			break;
		case OP_MPROTECT:	/* a=addr b=len c=prot */
			rp.err = mprotect(p, rq.b, rq.c) ? errno : 0;
			break;
		case OP_PAGEOUT:	/* a=addr b=len */
			rp.val = page_out(p, rq.b);
			break;
		case OP_UNMAP:		/* a=addr b=len */
			munmap(p, rq.b);
			break;
		case OP_QUIT:
			_exit(0);
		}
		if (write(resp, &rp, sizeof(rp)) != sizeof(rp))
			_exit(1);
	}
	_exit(0);
}

static struct child spawn(void)
{
	int cmd[2], resp[2];
	struct child c;

	if (pipe(cmd) || pipe(resp))
		exit(1);
	c.pid = fork();
	if (c.pid == 0) {
		close(cmd[1]);
		close(resp[0]);
		child_loop(cmd[0], resp[1]);
	}
	close(cmd[0]);
	close(resp[1]);
	c.cmd = cmd[1];
	c.resp = resp[0];
	return c;
}

static uint64_t ask(struct child *c, int op, uint64_t a, uint64_t b,
		    uint64_t cc)
{
	struct request rq = { op, a, b, cc };
	struct reply rp = { 0, 0 };

	if (write(c->cmd, &rq, sizeof(rq)) != sizeof(rq) ||
	    read(c->resp, &rp, sizeof(rp)) != sizeof(rp)) {
		printf("# child died\n");
		exit(1);
	}
	errno = rp.err;
	return rp.val;
}

static void reap(struct child *c)
{
	struct request rq = { OP_QUIT, 0, 0, 0 };

	write(c->cmd, &rq, sizeof(rq));
	close(c->cmd);
	close(c->resp);
	waitpid(c->pid, NULL, 0);
}

static void test_private(struct child *c)
{
	size_t len = 16 * page_size;
	char *remote = (char *)(uintptr_t)ask(c, OP_MAP_PRIV, len, 21, 0);
	uint64_t sum = ask(c, OP_SUM, (uintptr_t)remote, len, 0);
	char *ref = malloc(len);
	char *p;
	long ret;

	ret = sys_process_vm_mmap(c->pid, remote, len, NULL, 0);
	p = (char *)ret;
	check(ret != -1, "private anon: clone succeeds", "errno %s",
	      strerror(errno));
	if (ret == -1)
		return;
	check(page_present(p) && page_present(p + len - page_size),
	      "private anon: ptes copied (present without a fault)",
	      "pagemap %llx", (unsigned long long)pagemap_entry(p));
	check(checksum(p, len) == sum && check_fill(p, len, 21),
	      "private anon: same contents", "checksum differs");
	memcpy(ref, p, len);
	fill(p, page_size, 99);			/* our write: COW */
	ask(c, OP_FILL, (uintptr_t)remote + 2 * page_size, page_size, 77);
	check(ask(c, OP_SUM, (uintptr_t)remote, page_size, 0) ==
	      checksum(ref, page_size),
	      "private anon: our write stays private", "child saw it");
	check(memcmp(p + 2 * page_size, ref + 2 * page_size, page_size) == 0,
	      "private anon: child's write stays private", "we saw it");
	check(memcmp(p + page_size, ref + page_size, page_size) == 0 &&
	      memcmp(p + 3 * page_size, ref + 3 * page_size,
		     len - 3 * page_size) == 0,
	      "private anon: untouched pages still equal", "mismatch");
	munmap(p, len);
	check(ask(c, OP_SUM, (uintptr_t)remote + page_size, page_size, 0) ==
	      checksum(ref + page_size, page_size),
	      "private anon: unmapping the clone leaves the child intact",
	      "mismatch");

	/* unaligned source: the pages holding the range */
	ret = sys_process_vm_mmap(c->pid, remote + page_size + 100, 10, NULL, 0);
	check(ret != -1 && (ret & (page_size - 1)) == 0 &&
	      memcmp((char *)ret, ref + page_size, page_size) == 0,
	      "unaligned src: page rounded", "ret %lx errno %s", ret,
	      strerror(errno));
	if (ret != -1)
		munmap((void *)ret, page_size);
	free(ref);
}

static void test_memfd(struct child *c)
{
	size_t len = 4 * page_size;
	char *remote = (char *)(uintptr_t)ask(c, OP_MAP_MEMFD, len, 31, 0);
	uint64_t *p;
	long ret;

	ret = sys_process_vm_mmap(c->pid, remote, len, NULL, 0);
	p = (uint64_t *)ret;
	check(ret != -1 && check_fill(p, len, 31),
	      "memfd shared: clone has the contents", "errno %s",
	      strerror(errno));
	if (ret == -1)
		return;
	p[0] = 0x1234567890abcdefULL;
	check(ask(c, OP_READ64, (uintptr_t)remote, 0, 0) == p[0],
	      "memfd shared: our write is visible to the child", "not seen");
	ask(c, OP_WRITE64, (uintptr_t)remote + page_size, 0xfeedULL, 0);
	check(p[page_size / 8] == 0xfeedULL,
	      "memfd shared: child's write is visible to us", "not seen");
	munmap(p, len);
}

static void test_file_private(struct child *c)
{
	size_t len = 4 * page_size;
	char *remote = (char *)(uintptr_t)ask(c, OP_MAP_FILE_PRIV, len, 41, 0);
	char *p;
	long ret;

	if (!remote) {
		printf("ok %d - private file # SKIP cannot create file\n",
		       ++test_count);
		return;
	}
	ret = sys_process_vm_mmap(c->pid, remote, len, NULL, 0);
	p = (char *)ret;
	check(ret != -1 && check_fill(p, page_size, 42) &&
	      check_fill(p + page_size, page_size, 41) == 0 &&
	      checksum(p, len) == ask(c, OP_SUM, (uintptr_t)remote, len, 0),
	      "private file: COWed page and file pages as the child sees them",
	      "ret %ld errno %s", ret, strerror(errno));
	if (ret != -1)
		munmap(p, len);
}

static void test_fixed(struct child *c)
{
	size_t len = 4 * page_size;
	char *remote = (char *)(uintptr_t)ask(c, OP_MAP_PRIV, len, 51, 0);
	char *place = map_anon(len);
	long ret;

	memset(place, 0xff, len);
	ret = sys_process_vm_mmap(c->pid, remote, len, place, PVMMAP_FIXED);
	check(ret == (long)place && check_fill(place, len, 51),
	      "PVMMAP_FIXED replaces the mapping at dst", "ret %lx errno %s",
	      ret, strerror(errno));
	ret = sys_process_vm_mmap(c->pid, remote, len, place,
				  PVMMAP_FIXED_NOREPLACE);
	CHECK_ERR(ret, EEXIST, "PVMMAP_FIXED_NOREPLACE on a mapping: EEXIST");
	munmap(place, len);
	ret = sys_process_vm_mmap(c->pid, remote, len, place,
				  PVMMAP_FIXED_NOREPLACE);
	check(ret == (long)place && check_fill(place, len, 51),
	      "PVMMAP_FIXED_NOREPLACE on a hole maps there", "ret %lx errno %s",
	      ret, strerror(errno));
	ret = sys_process_vm_mmap(c->pid, remote, len, place + 1,
				  PVMMAP_FIXED);
	CHECK_ERR(ret, EINVAL, "EINVAL: fixed dst not aligned");
	munmap(place, len);
	ret = sys_process_vm_mmap(c->pid, remote, len, place, 0);
	check(ret != -1 && check_fill((void *)ret, len, 51),
	      "a dst hint is accepted", "errno %s", strerror(errno));
	if (ret != -1)
		munmap((void *)ret, len);
}

static void test_self(void)
{
	size_t len = 8 * page_size;
	char *buf = map_anon(len), *p;
	long ret;

	fill(buf, len, 61);
	ret = sys_process_vm_mmap(getpid(), buf, len, NULL, 0);
	p = (char *)ret;
	check(ret != -1 && check_fill(p, len, 61), "clone from ourselves",
	      "errno %s", strerror(errno));
	if (ret == -1)
		return;
	p[0] = (char)0xa5;
	buf[page_size] = (char)0x5a;
	check(buf[0] != (char)0xa5 && p[page_size] != (char)0x5a,
	      "clone from ourselves: copy-on-write both ways", "shared");
	ret = sys_process_vm_mmap(getpid(), buf, len, buf + page_size,
				  PVMMAP_FIXED);
	CHECK_ERR(ret, EINVAL, "EINVAL: fixed dst overlapping our own src");
	munmap(p, len);
	munmap(buf, len);
}

static void test_swapped(struct child *c)
{
	size_t len = 8 * page_size;
	char *remote = (char *)(uintptr_t)ask(c, OP_MAP_PRIV, len, 71, 0);
	char *p;
	long ret;

	if (!have_swap() || !ask(c, OP_PAGEOUT, (uintptr_t)remote, len, 0)) {
		printf("ok %d - swapped-out source # SKIP no swap\n",
		       ++test_count);
		return;
	}
	ret = sys_process_vm_mmap(c->pid, remote, len, NULL, 0);
	p = (char *)ret;
	check(ret != -1 && (pagemap_entry(p) & (1ULL << 62)),
	      "swapped-out source: swap entries copied, nothing swapped in",
	      "ret %ld errno %s pagemap %llx", ret, strerror(errno),
	      ret == -1 ? 0ULL : (unsigned long long)pagemap_entry(p));
	if (ret == -1)
		return;
	check(check_fill(p, len, 71), "swapped-out source: contents swap in",
	      "mismatch");
	p[0] = 0;
	check(ask(c, OP_SUM, (uintptr_t)remote, len, 0) ==
	      (fill(p, page_size, 71), checksum(p, len)),
	      "swapped-out source: child's copy intact", "mismatch");
	munmap(p, len);
}

static void test_thp(struct child *c)
{
	size_t len = 2UL << 20;
	char *remote = (char *)(uintptr_t)ask(c, OP_MAP_THP, len, 81, 0);
	long ret;

	ret = sys_process_vm_mmap(c->pid, remote, len, NULL, 0);
	check(ret != -1 && check_fill((void *)ret, len, 81) &&
	      ask(c, OP_SUM, (uintptr_t)remote, len, 0) ==
	      checksum((void *)ret, len),
	      "huge page source: cloned", "ret %ld errno %s", ret,
	      strerror(errno));
	if (ret != -1)
		munmap((void *)ret, len);
}

static void test_errors(struct child *c)
{
	char *remote = (char *)(uintptr_t)ask(c, OP_MAP_PRIV, 2 * page_size,
					      91, 0);
	char *mine = map_anon(page_size);
	unsigned long vdso = getauxval(AT_SYSINFO_EHDR);
	int status;
	long ret;
	pid_t pid;

	ret = sys_process_vm_mmap(c->pid, remote, page_size, NULL, 0x4);
	CHECK_ERR(ret, EINVAL, "EINVAL: unknown flag");
	ret = sys_process_vm_mmap(c->pid, remote, 0, NULL, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: len 0");
	ret = sys_process_vm_mmap(0, remote, page_size, NULL, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: pid 0");
	ret = sys_process_vm_mmap(-5, remote, page_size, NULL, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: pid < 0");
	ret = sys_process_vm_mmap(c->pid, (void *)-page_size, 2 * page_size,
				  NULL, 0);
	CHECK_ERR(ret, EINVAL, "EINVAL: range overflows");
	/* below a static binary's text at 0x400000: nothing there */
	ret = sys_process_vm_mmap(c->pid, (void *)0x200000, page_size,
				  NULL, 0);
	CHECK_ERR(ret, EFAULT, "EFAULT: nothing mapped at src");
	ask(c, OP_MPROTECT, (uintptr_t)remote + page_size, page_size,
	    PROT_READ);
	ret = sys_process_vm_mmap(c->pid, remote, 2 * page_size, NULL, 0);
	CHECK_ERR(ret, EFAULT, "EFAULT: src range spans two VMAs");
	if (vdso) {
		ret = sys_process_vm_mmap(getpid(), (void *)vdso, page_size,
					  NULL, 0);
		CHECK_ERR(ret, EFAULT, "EFAULT: the vdso (VM_DONTEXPAND)");
	}

	pid = fork();
	if (pid == 0)
		_exit(0);
	waitpid(pid, NULL, 0);
	ret = sys_process_vm_mmap(pid, remote, page_size, NULL, 0);
	CHECK_ERR(ret, ESRCH, "ESRCH: reaped process");

	/* EPERM: an unprivileged caller against us (root) */
	if (geteuid() != 0) {
		printf("ok %d - EPERM # SKIP not root\n", ++test_count);
	} else {
		pid_t parent = getpid();

		pid = fork();
		if (pid == 0) {
			if (setgid(65534) || setuid(65534))
				_exit(2);
			ret = sys_process_vm_mmap(parent, mine, page_size,
						  NULL, 0);
			_exit(ret == -1 && errno == EPERM ? 0 :
			      ret == -1 ? 10 + (errno & 0x7f) : 1);
		}
		waitpid(pid, &status, 0);
		check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "EPERM: a child that dropped its uid", "exit status %d",
		      WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	}
	munmap(mine, page_size);
}

/*
 * A field of /proc/self/status ("VmSize", "VmData") in bytes. Read with
 * read(2) into the stack: stdio's buffer could grow the heap and change
 * the very numbers measured.
 */
static unsigned long status_bytes(const char *field)
{
	char buf[4096], *line;
	size_t n = strlen(field);
	ssize_t got;
	int fd = open("/proc/self/status", O_RDONLY);

	if (fd < 0)
		return 0;
	got = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (got <= 0)
		return 0;
	buf[got] = '\0';
	for (line = buf; line; line = strchr(line, '\n')) {
		line += *line == '\n';
		if (strncmp(line, field, n) == 0 && line[n] == ':')
			return strtoul(line + n + 1, NULL, 10) << 10;
	}
	return 0;
}

enum { RL_AS_MMAP, RL_AS_CLONE, RL_AS_UNCHANGED, RL_AS_SMALL,
       RL_AS_FIXED_REPLACE, RL_AS_FIXED_REFUSED, RL_DATA_MMAP,
       RL_DATA_CLONE, RL_CASES };

static const char *const rlimit_case_names[RL_CASES] = {
	"RLIMIT_AS: mmap beyond the limit is ENOMEM (the limit holds)",
	"RLIMIT_AS: a clone beyond the limit is ENOMEM",
	"RLIMIT_AS: a refused clone leaves VmSize unchanged",
	"RLIMIT_AS: a one-page clone within the limit succeeds",
	"RLIMIT_AS: PVMMAP_FIXED over as many mapped pages succeeds",
	"RLIMIT_AS: PVMMAP_FIXED beyond the limit is ENOMEM, dst intact",
	"RLIMIT_DATA: mmap beyond the limit is ENOMEM (the limit holds)",
	"RLIMIT_DATA: a clone beyond the limit is ENOMEM",
};

struct rlimit_result { int done, ok; long ret; int err; };

static void rlimit_record(struct rlimit_result *r, int ok, long ret)
{
	r->err = errno;
	r->ret = ret;
	r->ok = ok;
	r->done = 1;
}

/* Run in a child of the test so that the lowered limits end with it. */
static void rlimit_child(pid_t pid, char *remote, size_t len, char *place,
			 struct rlimit_result *res)
{
	size_t room = 4UL << 20, kept = 2UL << 20;
	unsigned long before;
	struct rlimit lim;
	void *p;
	long ret;

	/* RLIMIT_AS: room for 4 MiB more, clones of len = 16 MiB. */
	getrlimit(RLIMIT_AS, &lim);
	before = status_bytes("VmSize");
	lim.rlim_cur = before + room;
	if (!before || setrlimit(RLIMIT_AS, &lim))
		_exit(2);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rlimit_record(&res[RL_AS_MMAP], p == MAP_FAILED && errno == ENOMEM,
		      (long)p);
	ret = sys_process_vm_mmap(pid, remote, len, NULL, 0);
	rlimit_record(&res[RL_AS_CLONE], ret == -1 && errno == ENOMEM, ret);
	rlimit_record(&res[RL_AS_UNCHANGED], status_bytes("VmSize") == before,
		      (long)status_bytes("VmSize"));
	ret = sys_process_vm_mmap(pid, remote, page_size, NULL, 0);
	rlimit_record(&res[RL_AS_SMALL], ret != -1 &&
		      check_fill((void *)ret, page_size, 81), ret);
	if (ret != -1)
		munmap((void *)ret, page_size);

	/* Replacing len mapped bytes adds nothing: allowed, as by mmap(). */
	ret = sys_process_vm_mmap(pid, remote, len, place, PVMMAP_FIXED);
	rlimit_record(&res[RL_AS_FIXED_REPLACE], ret == (long)place &&
		      check_fill(place, len, 81), ret);
	/* Only kept bytes mapped at dst now: 14 MiB more than the room. */
	munmap(place + kept, len - kept);
	before = status_bytes("VmSize");
	lim.rlim_cur = before + room;
	if (setrlimit(RLIMIT_AS, &lim))
		_exit(2);
	ret = sys_process_vm_mmap(pid, remote, len, place, PVMMAP_FIXED);
	rlimit_record(&res[RL_AS_FIXED_REFUSED], ret == -1 && errno == ENOMEM &&
		      status_bytes("VmSize") == before &&
		      check_fill(place, kept, 81), ret);
	lim.rlim_cur = lim.rlim_max;
	if (setrlimit(RLIMIT_AS, &lim))
		_exit(2);

	/* RLIMIT_DATA: the clone is private and writable, so data. */
	getrlimit(RLIMIT_DATA, &lim);
	lim.rlim_cur = status_bytes("VmData") + room;
	if (lim.rlim_cur == room || setrlimit(RLIMIT_DATA, &lim))
		_exit(2);
	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	rlimit_record(&res[RL_DATA_MMAP], p == MAP_FAILED && errno == ENOMEM,
		      (long)p);
	ret = sys_process_vm_mmap(pid, remote, len, NULL, 0);
	rlimit_record(&res[RL_DATA_CLONE], ret == -1 && errno == ENOMEM, ret);
	_exit(0);
}

static void test_rlimit(struct child *c)
{
	size_t len = 16UL << 20;
	char *remote = (char *)(uintptr_t)ask(c, OP_MAP_PRIV, len, 81, 0);
	char *place = map_anon(len);
	struct rlimit_result *res;
	int status, i;
	pid_t pid;

	res = mmap(NULL, page_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (res == MAP_FAILED) {
		perror("mmap");
		exit(1);
	}
	memset(place, 0xff, len);
	pid = fork();
	if (pid == 0)
		rlimit_child(c->pid, remote, len, place, res);
	waitpid(pid, &status, 0);
	for (i = 0; i < RL_CASES; i++) {
		if (!res[i].done)
			check(0, rlimit_case_names[i],
			      "not run: child wait status %#x", status);
		else
			check(res[i].ok, rlimit_case_names[i],
			      "ret %lx errno %s", res[i].ret,
			      strerror(res[i].err));
	}
	munmap(res, page_size);
	munmap(place, len);
	ask(c, OP_UNMAP, (uintptr_t)remote, len, 0);
}

/* Seconds for one clone (and a read of every page) or one readv copy. */
static double bench_once(struct child *c, char *remote, size_t len, int huge,
			 int copy, double *with_read)
{
	size_t off, align = 2UL << 20;
	volatile uint64_t sink = 0;
	struct iovec local, rem;
	double t0, t;
	char *p;
	long ret;

	t0 = now();
	if (!copy) {
		ret = sys_process_vm_mmap(c->pid, remote, len, NULL, 0);
		t = now() - t0;
		p = (char *)ret;
		check(ret != -1, "bench: process_vm_mmap", "errno %s",
		      strerror(errno));
		if (ret == -1)
			return t;
		for (off = 0; off < len; off += page_size)
			sink += *(uint64_t *)(p + off);
		*with_read = now() - t0;
		check(check_fill(p, len, 5), "bench: clone has the data",
		      "mismatch");
		munmap(p, len);
		(void)sink;
		return t;
	}
	/* the copy backend: a fresh buffer (same page size), one readv */
	p = map_aligned(len, align);
	madvise(p, len, huge ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	local.iov_base = p;
	local.iov_len = len;
	rem.iov_base = remote;
	rem.iov_len = len;
	ret = process_vm_readv(c->pid, &local, 1, &rem, 1, 0);
	t = now() - t0;
	check(ret == (long)len && check_fill(p, len, 5),
	      "bench: process_vm_readv", "ret %ld", ret);
	munmap(p, len);
	return t;
}

/* @huge: the child's region uses THP (the clone splits them) or not */
static void bench_one(struct child *c, size_t mib, int huge)
{
	size_t len = mib << 20;
	double raw = 1e9, with_read = 1e9, copy = 1e9, t, tr = 0;
	int rep;

	/* the best of three: TCG timings are noisy */
	for (rep = 0; rep < 3; rep++) {
		char *remote = (char *)(uintptr_t)ask(c, huge ? OP_MAP_THP :
						      OP_MAP_PRIV, len, 5, 0);

		t = bench_once(c, remote, len, huge, 0, &tr);
		raw = t < raw ? t : raw;
		with_read = tr < with_read ? tr : with_read;
		t = bench_once(c, remote, len, huge, 1, NULL);
		copy = t < copy ? t : copy;
		ask(c, OP_UNMAP, (uintptr_t)remote, len, 0);
	}
	printf("# bench process_vm_mmap %zu MiB, %s: raw %.4f s (%.4f s with a read of every page), process_vm_readv %.4f s, copy/raw %.1f (%.1f with reads)\n",
	       mib, huge ? "thp" : "4k", raw, with_read, copy, copy / raw,
	       copy / with_read);
	printf("XMM-RATIO process_vm_mmap %zuMiB mode=%s raw=%.4f raw+read=%.4f copy=%.4f ratio=%.2f ratio_with_read=%.2f\n",
	       mib, huge ? "thp" : "4k", raw, with_read, copy, copy / raw,
	       copy / with_read);
}

static void bench(struct child *c, size_t mib)
{
	bench_one(c, mib, 0);
	bench_one(c, mib, 1);
}

int main(int argc, char **argv)
{
	struct child c;
	size_t mib = 256;
	long ret;

	if (argc == 3 && strcmp(argv[1], "-b") == 0)
		mib = strtoul(argv[2], NULL, 0);
	page_size = sysconf(_SC_PAGESIZE);
	setvbuf(stdout, NULL, _IOLBF, 0);
	ret = sys_process_vm_mmap(-1, NULL, 0, NULL, 0);
	if (ret == -1 && errno == ENOSYS) {
		printf("# SKIP process_vm_mmap (%d): ENOSYS, kernel not patched\n",
		       NR_process_vm_mmap);
		return 77;
	}
	CHECK_ERR(ret, EINVAL, "probe: pid -1 is EINVAL (syscall present)");
	c = spawn();
	test_private(&c);
	test_memfd(&c);
	test_file_private(&c);
	test_fixed(&c);
	test_self();
	test_swapped(&c);
	test_thp(&c);
	test_errors(&c);
	test_rlimit(&c);
	if (mib)
		bench(&c, mib);
	reap(&c);
	return finish();
}
