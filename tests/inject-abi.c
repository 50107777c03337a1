// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * src/inject_abi.c: the ABI of a target is read from its ELF header and
 * compared with the caller's, so that injection never runs this ABI's
 * syscall numbers and registers in a process of another (an i386 program
 * under an x86_64 caller).  XMM_ABI_TARGET names a static program of
 * another ABI (meson builds one with i686-linux-gnu-gcc on x86_64).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <elf.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/uio.h>
#include <xmm/vma.h>
#include <xmm/xmm.h>
#include "harness.h"
#include "abi-target.h"
#include "inject_abi.c"	/* white-box: its functions are internal */
#include "inject_private.h"	/* xmm_inject_getregs() */

/* An fd holding len bytes of header. */
static int header_fd(const void *header, size_t len)
{
	int fd = memfd_create("elf-header", MFD_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, header, len), (ssize_t)len);
	return fd;
}

static int read_header(const void *header, size_t len,
		       struct xmm_elf_abi *abi)
{
	int fd = header_fd(header, len);
	int ret = xmm_elf_abi_read(fd, abi);

	close(fd);
	return ret;
}

static void self_abi(struct xmm_elf_abi *abi)
{
	int fd = open("/proc/self/exe", O_RDONLY | O_CLOEXEC);

	assert_true(fd >= 0);
	assert_int_equal(xmm_elf_abi_read(fd, abi), 0);
	close(fd);
}

static Elf32_Ehdr header32(uint16_t machine, uint32_t flags, bool big)
{
	Elf32_Ehdr h;

	memset(&h, 0, sizeof(h));
	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS32;
	h.e_ident[EI_DATA] = big ? ELFDATA2MSB : ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	if (big != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__)) {
		machine = __builtin_bswap16(machine);
		flags = __builtin_bswap32(flags);
	}
	h.e_machine = machine;
	h.e_flags = flags;
	return h;
}

static Elf64_Ehdr header64(uint16_t machine, bool big)
{
	Elf64_Ehdr h;

	memset(&h, 0, sizeof(h));
	memcpy(h.e_ident, ELFMAG, SELFMAG);
	h.e_ident[EI_CLASS] = ELFCLASS64;
	h.e_ident[EI_DATA] = big ? ELFDATA2MSB : ELFDATA2LSB;
	h.e_ident[EI_VERSION] = EV_CURRENT;
	if (big != (__BYTE_ORDER__ == __ORDER_BIG_ENDIAN__))
		machine = __builtin_bswap16(machine);
	h.e_machine = machine;
	return h;
}

/* Headers of several ABIs read back as what they are, and differ. */
static void test_headers(void **state)
{
	Elf32_Ehdr ia32 = header32(EM_386, 0, false);
	Elf32_Ehdr x32 = header32(EM_X86_64, 0, false);
	/* 0x1000: EF_MIPS_ABI_O32 */
	Elf32_Ehdr o32 = header32(EM_MIPS, 0x1000, false);
	Elf32_Ehdr n32 = header32(EM_MIPS, EF_MIPS_ABI2, false);
	Elf64_Ehdr x86_64 = header64(EM_X86_64, false);
	Elf64_Ehdr s390x = header64(EM_S390, true);
	struct xmm_elf_abi a, b;

	(void)state;
	assert_int_equal(read_header(&ia32, sizeof(ia32), &a), 0);
	assert_int_equal(a.elf_class, ELFCLASS32);
	assert_int_equal(a.machine, EM_386);
	assert_int_equal(read_header(&x32, sizeof(x32), &b), 0);
	assert_int_equal(b.machine, EM_X86_64);
	assert_false(xmm_elf_abi_equal(&a, &b));
	assert_int_equal(read_header(&x86_64, sizeof(x86_64), &a), 0);
	assert_int_equal(a.elf_class, ELFCLASS64);
	/* x32 and x86_64: one machine, two ABIs. */
	assert_false(xmm_elf_abi_equal(&a, &b));
	assert_true(xmm_elf_abi_equal(&a, &a));
	/* A big-endian header's fields are read in its byte order. */
	assert_int_equal(read_header(&s390x, sizeof(s390x), &a), 0);
	assert_int_equal(a.machine, EM_S390);
	assert_int_equal(a.data, ELFDATA2MSB);
	/* mips o32 and n32: both ELFCLASS32 EM_MIPS, told apart by e_flags. */
	assert_int_equal(read_header(&o32, sizeof(o32), &a), 0);
	assert_int_equal(read_header(&n32, sizeof(n32), &b), 0);
	assert_false(xmm_elf_abi_equal(&a, &b));
}

/* Not an ELF header: ENOEXEC. */
static void test_not_elf(void **state)
{
	Elf64_Ehdr h = header64(EM_X86_64, false);
	struct xmm_elf_abi abi;
	char script[] = "#!/bin/sh\nexit 0\n";

	(void)state;
	assert_int_equal(read_header(script, sizeof(script), &abi), -ENOEXEC);
	/* Cut short. */
	assert_int_equal(read_header(&h, 20, &abi), -ENOEXEC);
	h.e_ident[EI_CLASS] = 7;
	assert_int_equal(read_header(&h, sizeof(h), &abi), -ENOEXEC);
	h = header64(EM_X86_64, false);
	h.e_ident[EI_DATA] = 0;
	assert_int_equal(read_header(&h, sizeof(h), &abi), -ENOEXEC);
}

/* Ourselves and a forked child run our ABI. */
static void test_same_abi(void **state)
{
	struct harness_child child;
	struct xmm_elf_abi abi;

	(void)state;
	self_abi(&abi);
	assert_int_equal(xmm_inject_target_abi(getpid()), 0);
	harness_child_or_skip(&child, NULL, NULL);
	assert_int_equal(xmm_inject_target_abi(child.pid), 0);
	harness_child_stop(&child);
}

/* No such process: ESRCH; a zombie (no exe left) is left to the attach. */
static void test_no_process(void **state)
{
	pid_t pid = fork();
	int status;

	(void)state;
	assert_true(pid >= 0);
	if (pid == 0)
		_exit(0);
	/* A zombie: /proc/PID/exe has no target any more. */
	while (harness_proc_state(pid) != 'Z')
		usleep(1000);
	assert_int_equal(xmm_inject_target_abi(pid), 0);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_int_equal(xmm_inject_target_abi(pid), -ESRCH);
	assert_int_equal(xmm_inject_target_abi(0), -ESRCH);
	assert_int_equal(xmm_inject_target_abi(-1), -ESRCH);
}

/* A running program of another ABI (tests/abi-target.c) and its pages. */
struct other_abi {
	pid_t pid;
	int pidfd;
	void *private_page;
	void *shared_page;
};

static void *address_at(const unsigned char *bytes)
{
	uint64_t value = 0;
	int i;

	for (i = 7; i >= 0; i--)
		value = value << 8 | bytes[i];
	return (void *)(uintptr_t)value;
}

/* The target a failed assertion left running, for the teardown. */
static pid_t other_abi_running;

/* Starts XMM_ABI_TARGET, or skips saying why it cannot run here. */
static void other_abi_start(struct other_abi *o)
{
	const char *path = getenv("XMM_ABI_TARGET");
	unsigned char msg[1 + 2 * 8];
	size_t got = 0;
	ssize_t n;
	int ready[2];

	if (!path || !*path)
		harness_skip("no program of another ABI (XMM_ABI_TARGET unset: "
			     "meson builds one with i686-linux-gnu-gcc)");
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	o->pid = fork();
	assert_true(o->pid >= 0);
	if (o->pid == 0) {
		dup2(ready[1], 1);
		execl(path, path, (char *)NULL);
		_exit(errno == ENOEXEC ? HARNESS_EXIT_SKIP : 127);
	}
	other_abi_running = o->pid;
	close(ready[1]);
	while (got < sizeof(msg) &&
	       (n = read(ready[0], msg + got, sizeof(msg) - got)) > 0)
		got += (size_t)n;
	close(ready[0]);
	if (got != sizeof(msg) || msg[0] != 'r') {
		int status;

		kill(o->pid, SIGKILL);
		assert_int_equal(waitpid(o->pid, &status, 0), o->pid);
		other_abi_running = 0;
		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == HARNESS_EXIT_SKIP)
			harness_skip("this kernel cannot run %s (ENOEXEC: no "
				     "IA32_EMULATION?)", path);
		fail_msg("%s did not start (status %#x, %zu bytes)", path,
			 status, got);
	}
	o->private_page = address_at(msg + 1);
	o->shared_page = address_at(msg + 9);
	o->pidfd = xmm_pidfd_open(o->pid, 0);
}

/* /proc/PID/status TracerPid: 0 when nobody traces pid. */
static long tracer_of(pid_t pid)
{
	char path[64], line[256];
	long tracer = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "TracerPid: %ld", &tracer) == 1)
			break;
	fclose(f);
	return tracer;
}

static void other_abi_stop(struct other_abi *o)
{
	/* Untouched: still running its own loop, not traced. */
	assert_int_equal(kill(o->pid, 0), 0);
	assert_int_equal(tracer_of(o->pid), 0);
	if (o->pidfd >= 0)
		close(o->pidfd);
	kill(o->pid, SIGKILL);
	waitpid(o->pid, NULL, 0);
	other_abi_running = 0;
}

static int other_abi_teardown(void **state)
{
	(void)state;
	xmm_backend_force("process_madvise", NULL);
	xmm_backend_force("process_vm_mmap", NULL);
	if (other_abi_running > 0) {
		kill(other_abi_running, SIGKILL);
		waitpid(other_abi_running, NULL, 0);
		other_abi_running = 0;
	}
	return 0;
}

/* A running program of another ABI: EXDEV. */
/*
 * xmm_process_madvise() with the injection fallback refuses the process of
 * another ABI with EXDEV, before it attaches.
 */
static void advise_other_abi(const struct other_abi *o)
{
	struct iovec iov = { o->private_page, ABI_TARGET_PAGE };

	if (o->pidfd < 0) {
		print_message("no pidfd_open here: the EXDEV of "
			      "xmm_process_madvise is not checked\n");
		return;
	}
	assert_int_equal(xmm_backend_force("process_madvise", "inject"), 0);
	errno = 0;
	assert_int_equal(xmm_process_madvise(o->pidfd, &iov, 1, MADV_COLD, 0),
			 -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
}

/*
 * Where the kernel has no process_madvise(2) (here: a seccomp filter
 * answering ENOSYS, as on Linux < 5.10), whole-process advice falls back
 * to injection, which refuses the target: what does the caller see?
 */
static int advise_process_without_native(void *arg)
{
	const struct other_abi *o = arg;
	struct xmm_advise_report report;
	int ret;

	CHILD_CHECK(harness_seccomp_enosys(SYS_process_madvise) == 0);
	memset(&report, 0, sizeof(report));
	errno = 0;
	ret = xmm_advise_process(o->pidfd, NULL, MADV_COLD, NULL, &report);
	/* The target's ABI is no range's fault: stop at once with EXDEV
	 * (not one error per mapping and success). */
	CHILD_CHECK(ret == -1 && errno == EXDEV);
	CHILD_CHECK(report.stop_errno == EXDEV);
	CHILD_CHECK(report.bytes_advised == 0);
	CHILD_CHECK(report.errors <= 1);
	return 0;
}

#ifdef XMM_HAVE_INJECT
/*
 * The tracer's own ABI check: the register set the kernel gives for the
 * target's first stop is its compat one (68 bytes for i386, not
 * struct user_regs_struct), which the engine's xmm_inject_getregs()
 * refuses with EXDEV before it changes anything; our own child's is
 * ours.
 */
static void test_regset_tells_other_abi(void **state)
{
	struct xmm_inject_regs regs;
	struct other_abi o;
	pid_t same = fork();
	int status;

	(void)state;
	assert_true(same >= 0);
	if (same == 0) {
		pause();
		_exit(0);
	}
	other_abi_start(&o);
	assert_int_equal(ptrace(PTRACE_SEIZE, o.pid, 0, 0), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, o.pid, 0, 0), 0);
	assert_int_equal(waitpid(o.pid, &status, __WALL), o.pid);
	errno = 0;
	assert_int_equal(xmm_inject_getregs(o.pid, &regs), -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(ptrace(PTRACE_DETACH, o.pid, 0, 0), 0);

	assert_int_equal(ptrace(PTRACE_SEIZE, same, 0, 0), 0);
	assert_int_equal(ptrace(PTRACE_INTERRUPT, same, 0, 0), 0);
	assert_int_equal(waitpid(same, &status, __WALL), same);
	assert_int_equal(xmm_inject_getregs(same, &regs), 0);
	assert_int_equal(ptrace(PTRACE_DETACH, same, 0, 0), 0);
	kill(same, SIGKILL);
	waitpid(same, NULL, 0);
	/* The target runs on, untraced (checked by other_abi_stop). */
	other_abi_stop(&o);
}
#endif

static void test_other_abi(void **state)
{
	struct other_abi o;

	(void)state;
	other_abi_start(&o);
	assert_int_equal(xmm_inject_target_abi(o.pid), -EXDEV);
	advise_other_abi(&o);
	if (o.pidfd >= 0)
		assert_int_equal(harness_run_in_child(
			advise_process_without_native, &o), 0);
	other_abi_stop(&o);
}

/*
 * What needs no injection works on a process of another ABI: the kernel's
 * process_madvise(2) (its ranges are the target's addresses, whatever its
 * ABI) and every backend of xmm_process_vm_mmap() (the kernel's call, the
 * shared object, the copies), each giving the target's bytes.
 */
static void test_other_abi_native_madvise(void **state)
{
	struct xmm_advise_report report;
	struct xmm_vma_list list;
	struct other_abi o;
	struct iovec iov;
	bool found = false;
	size_t i;

	(void)state;
	other_abi_start(&o);
	iov.iov_base = o.private_page;
	iov.iov_len = ABI_TARGET_PAGE;
	if (o.pidfd < 0) {
		other_abi_stop(&o);
		harness_skip("no pidfd_open(2) here");
	}
	assert_int_equal(xmm_backend_force("process_madvise", "native"), 0);
	errno = 0;
	if (xmm_process_madvise(o.pidfd, &iov, 1, MADV_COLD, 0) < 0 &&
	    errno == ENOSYS) {
		assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
		other_abi_stop(&o);
		harness_skip("no process_madvise(2) in this kernel");
	}
	assert_int_equal(xmm_process_madvise(o.pidfd, &iov, 1, MADV_COLD, 0),
			 ABI_TARGET_PAGE);
	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
	/* Its mappings read as any other's; whole-process advice (by the
	 * kernel's call here) covers them without an error. */
	assert_int_equal(xmm_vma_read(o.pidfd, 0, &list), 0);
	for (i = 0; i < list.count; i++) {
		const struct xmm_vma *v = &list.vmas[i];

		if (v->start <= (uintptr_t)o.private_page &&
		    (uintptr_t)o.private_page < v->end) {
			assert_int_equal(v->prot, PROT_READ | PROT_WRITE);
			found = true;
		}
	}
	xmm_vma_list_free(&list);
	assert_true(found);
	memset(&report, 0, sizeof(report));
	assert_int_equal(xmm_advise_process(o.pidfd, NULL, MADV_COLD, NULL,
					    &report), 0);
	assert_int_equal(report.errors, 0);
	assert_true(report.bytes_advised >= ABI_TARGET_PAGE);
	other_abi_stop(&o);
}

/* The clone of one page of the target holds its bytes; 0, or ENOSYS when
 * the backend cannot serve here (the kernel's call on a stock kernel). */
static int clone_checked(const struct other_abi *o, const char *backend,
			 void *src)
{
	unsigned char *copy;
	unsigned int i;

	assert_int_equal(xmm_backend_force("process_vm_mmap", backend), 0);
	errno = 0;
	copy = xmm_process_vm_mmap(o->pid, src, ABI_TARGET_PAGE, NULL, 0);
	assert_int_equal(xmm_backend_force("process_vm_mmap", NULL), 0);
	if (copy == MAP_FAILED && errno == ENOSYS &&
	    !strcmp(backend, "native")) {
		print_message("backend native: ENOSYS (kernel not patched)\n");
		return ENOSYS;
	}
	if (copy == MAP_FAILED)
		fail_msg("backend %s: %s", backend, strerror(errno));
	for (i = 0; i < ABI_TARGET_PAGE; i++)
		if (copy[i] != ABI_TARGET_BYTE(i))
			fail_msg("backend %s: byte %u is %#x, not %#x", backend,
				 i, copy[i], ABI_TARGET_BYTE(i));
	assert_int_equal(munmap(copy, ABI_TARGET_PAGE), 0);
	return 0;
}

static void test_other_abi_vm_mmap(void **state)
{
	static const char *const private_backends[] = {
		"native", "readv", "proc-mem",
	};
	/* (The copies refuse a shared source: a copy would not share.) */
	static const char *const shared_backends[] = { "native", "shared" };
	struct other_abi o;
	unsigned char *shared, byte;
	struct iovec local = { &byte, 1 };
	struct iovec remote;
	size_t i;

	(void)state;
	other_abi_start(&o);
	for (i = 0; i < sizeof(private_backends) / sizeof(*private_backends);
	     i++)
		clone_checked(&o, private_backends[i], o.private_page);
	for (i = 0; i < sizeof(shared_backends) / sizeof(*shared_backends);
	     i++)
		clone_checked(&o, shared_backends[i], o.shared_page);
	/* The shared clone is the target's page: a write shows there. */
	assert_int_equal(xmm_backend_force("process_vm_mmap", "shared"), 0);
	shared = xmm_process_vm_mmap(o.pid, o.shared_page, ABI_TARGET_PAGE,
				     NULL, 0);
	assert_int_equal(xmm_backend_force("process_vm_mmap", NULL), 0);
	assert_true(shared != MAP_FAILED);
	shared[100] = (unsigned char)~ABI_TARGET_BYTE(100);
	remote.iov_base = (char *)o.shared_page + 100;
	remote.iov_len = 1;
	assert_int_equal(process_vm_readv(o.pid, &local, 1, &remote, 1, 0), 1);
	assert_int_equal(byte, (unsigned char)~ABI_TARGET_BYTE(100));
	munmap(shared, ABI_TARGET_PAGE);
	other_abi_stop(&o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_same_abi),
		cmocka_unit_test(test_no_process),
		cmocka_unit_test_teardown(test_other_abi, other_abi_teardown),
#ifdef XMM_HAVE_INJECT
		cmocka_unit_test_teardown(test_regset_tells_other_abi,
					  other_abi_teardown),
#endif
		cmocka_unit_test_teardown(test_other_abi_native_madvise,
					  other_abi_teardown),
		cmocka_unit_test_teardown(test_other_abi_vm_mmap,
					  other_abi_teardown),
	};

	harness_require(HARNESS_NEEDS_PROC_EXE |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
