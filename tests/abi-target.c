// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * A target of another ABI for tests/inject-abi.c: built static with a cross
 * compiler (i686-linux-gnu-gcc on x86_64), it writes one byte to stdout
 * once running and then waits to be killed.
 */
#include <unistd.h>

int main(void)
{
	if (write(1, "r", 1) != 1)
		return 1;
	for (;;)
		pause();
}
