/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef XMM_SRC_USERCOPY_H
#define XMM_SRC_USERCOPY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Copy len bytes from a caller-supplied pointer that may be bad: 0, or
 * -EFAULT where the kernel would have answered EFAULT, instead of a crash.
 */
int xmm_copy_from_caller(void *dst, const void *src, size_t len);

/*
 * The kernel's access_ok(addr, len): the range does not wrap and ends at
 * or below TASK_SIZE_MAX, the top of user space on this architecture and
 * paging mode.  False for an address in the kernel's half.  Where the
 * library knows no limit for the architecture, only a wrap is refused.
 */
bool xmm_user_range_ok(uintptr_t addr, size_t len);

#endif /* XMM_SRC_USERCOPY_H */
