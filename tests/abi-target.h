/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What tests/abi-target.c (a program of another ABI) and tests/inject-abi.c
 * agree on: the size of its pages and the byte at each offset. */
#ifndef XMM_TESTS_ABI_TARGET_H
#define XMM_TESTS_ABI_TARGET_H

#define ABI_TARGET_PAGE		4096
#define ABI_TARGET_BYTE(i)	((unsigned char)(0x3c ^ ((i) * 7)))

#endif /* XMM_TESTS_ABI_TARGET_H */
