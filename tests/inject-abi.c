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
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sys/uio.h>
#include <xmm/xmm.h>
#include "harness.h"
#include "inject_abi.c"	/* white-box: its functions are internal */

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
	Elf32_Ehdr o32 = header32(EM_MIPS, 0x1000, false);	/* EF_MIPS_ABI_O32 */
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

/* A running program of another ABI: EXDEV. */
/*
 * xmm_process_madvise() with the injection fallback refuses the process of
 * another ABI with EXDEV, before it attaches.
 */
static void advise_other_abi(pid_t pid)
{
	static char page[4096] __attribute__((aligned(4096)));
	struct iovec iov = { page, sizeof(page) };
	int pidfd = xmm_pidfd_open(pid, 0);

	if (pidfd < 0) {
		print_message("no pidfd_open here: the EXDEV of "
			      "xmm_process_madvise is not checked\n");
		return;
	}
	assert_int_equal(xmm_backend_force("process_madvise", "inject"), 0);
	errno = 0;
	assert_int_equal(xmm_process_madvise(pidfd, &iov, 1, MADV_COLD, 0),
			 -1);
	assert_int_equal(errno, EXDEV);
	assert_int_equal(xmm_backend_force("process_madvise", NULL), 0);
	close(pidfd);
}

static void test_other_abi(void **state)
{
	const char *path = getenv("XMM_ABI_TARGET");
	int ready[2];
	char byte;
	pid_t pid;

	(void)state;
	if (!path || !*path)
		harness_skip("no program of another ABI (XMM_ABI_TARGET unset: "
			     "meson builds one with i686-linux-gnu-gcc)");
	assert_int_equal(pipe2(ready, O_CLOEXEC), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		dup2(ready[1], 1);
		execl(path, path, (char *)NULL);
		_exit(errno == ENOEXEC ? HARNESS_EXIT_SKIP : 127);
	}
	close(ready[1]);
	if (read(ready[0], &byte, 1) != 1) {
		int status;

		close(ready[0]);
		assert_int_equal(waitpid(pid, &status, 0), pid);
		if (WIFEXITED(status) &&
		    WEXITSTATUS(status) == HARNESS_EXIT_SKIP)
			harness_skip("this kernel cannot run %s (ENOEXEC: no "
				     "IA32_EMULATION?)", path);
		fail_msg("%s did not start (status %#x)", path, status);
	}
	close(ready[0]);
	assert_int_equal(xmm_inject_target_abi(pid), -EXDEV);
	advise_other_abi(pid);
	/* Untouched: still running its own loop, not traced. */
	assert_int_equal(kill(pid, 0), 0);
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers),
		cmocka_unit_test(test_not_elf),
		cmocka_unit_test(test_same_abi),
		cmocka_unit_test(test_no_process),
		cmocka_unit_test(test_other_abi),
	};

	harness_require(HARNESS_NEEDS_PROC_EXE |
			 HARNESS_NEEDS_PIDFD_CHILD);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
