/* SPDX-License-Identifier: LGPL-2.1-or-later */
#ifndef XMM_SRC_USERCOPY_H
#define XMM_SRC_USERCOPY_H

#include <stddef.h>

/*
 * Copy len bytes from a caller-supplied pointer that may be bad: 0, or
 * -EFAULT where the kernel would have answered EFAULT, instead of a crash.
 */
int xmm_copy_from_caller(void *dst, const void *src, size_t len);

#endif /* XMM_SRC_USERCOPY_H */
