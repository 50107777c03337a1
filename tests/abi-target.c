// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A target of another ABI for tests/inject-abi.c: built static with a cross
 * compiler (i686-linux-gnu-gcc on x86_64).  Once running it writes to
 * stdout one byte 'r' and then, as two 64-bit little-endian words, the
 * addresses of a private and a MAP_SHARED anonymous page, each filled
 * with ABI_TARGET_BYTE(i) at offset i; then it waits to be killed.
 */
#include <stdint.h>
#include <sys/mman.h>
#include <unistd.h>

#include "abi-target.h"

static unsigned char private_page[ABI_TARGET_PAGE]
	__attribute__((aligned(ABI_TARGET_PAGE)));

static void fill(unsigned char *page)
{
	unsigned int i;

	for (i = 0; i < ABI_TARGET_PAGE; i++)
		page[i] = ABI_TARGET_BYTE(i);
}

static void put_address(unsigned char *out, const void *addr)
{
	uint64_t value = (uintptr_t)addr;
	int i;

	for (i = 0; i < 8; i++)
		out[i] = (unsigned char)(value >> (8 * i));
}

int main(void)
{
	unsigned char msg[1 + 2 * 8];
	unsigned char *shared_page = mmap(NULL, ABI_TARGET_PAGE,
					  PROT_READ | PROT_WRITE,
					  MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	if (shared_page == MAP_FAILED)
		return 1;
	fill(private_page);
	fill(shared_page);
	msg[0] = 'r';
	put_address(msg + 1, private_page);
	put_address(msg + 9, shared_page);
	if (write(1, msg, sizeof(msg)) != (ssize_t)sizeof(msg))
		return 1;
	for (;;)
		pause();
}
