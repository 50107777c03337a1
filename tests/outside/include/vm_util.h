/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Found before the selftests' own mm/vm_util.h, whose helpers need
 * vm_util.c and 6.11 uapi headers: only what process_madv.c uses.
 */
#include <stdint.h>
#include "../kselftest.h"

uint64_t read_pmd_pagesize(void);
