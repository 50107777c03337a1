// SPDX-License-Identifier: LGPL-2.1-or-later
/*
 * The syscall table checked at compile time against the target's
 * <asm/unistd.h>: tests/syscall-table-cross.sh compiles this file with every
 * cross compiler it finds, so other ABIs' columns are checked too.
 */
#include <asm/unistd.h>

#include "syscall.h"

#define HEADER_NR(name)							\
	_Static_assert((long)XMM_NR_##name == (long)__NR_##name,	\
		       "syscall_table.h disagrees with <asm/unistd.h> "	\
		       "on " #name);
#define HEADER_NONE(name)						\
	_Static_assert((long)XMM_NR_##name == XMM_NR_NONE,		\
		       "syscall_table.h numbers " #name ", which "	\
		       "<asm/unistd.h> does not have");
#include "syscall-header-list.h"

/* The ABI name this file was compiled for, for the script to print. */
const char xmm_checked_abi[] = XMM_ABI_NAME;
