/* SPDX-License-Identifier: LGPL-2.1-or-later */
/* What every source file of the library shares. */
#ifndef XMM_SRC_INTERNAL_H
#define XMM_SRC_INTERNAL_H

#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#include <xmm/xmm.h>

/* The library is built with -fvisibility=hidden; this marks the ABI. */
#define XMM_EXPORT	__attribute__((visibility("default")))

#define XMM_ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The one place where an internal answer (result or -errno) becomes a
 * glibc-style one (result, or -1 and errno).
 */
static inline long xmm_errno_result(long ret)
{
	if (ret < 0) {
		errno = (int)-ret;
		return -1;
	}
	return ret;
}

/* Kernel limits that the library reproduces when the kernel cannot. */
#define XMM_IOV_MAX		1024	/* UIO_MAXIOV */

#endif /* XMM_SRC_INTERNAL_H */
