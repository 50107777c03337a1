/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * Found before the checkout's own kselftest_harness.h, which it includes:
 * a harness older than Linux 6.11 lacks FIXTURE_TEARDOWN_PARENT; the
 * teardown then runs in the test's own process, where the tests that use
 * it (process_madv.c) set the fields it reads.
 */
#include_next "kselftest_harness.h"

#ifndef FIXTURE_TEARDOWN_PARENT
#define FIXTURE_TEARDOWN_PARENT(fixture_name) FIXTURE_TEARDOWN(fixture_name)
#endif
