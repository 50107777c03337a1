/* SPDX-License-Identifier: LGPL-2.1-or-later */
/*
 * The benchmark's row groups, one function each; xmm-bench.c runs them by
 * name.  Each prints its rows with bench_report() and frees what it took.
 */
#ifndef XMM_BENCH_ROWS_H
#define XMM_BENCH_ROWS_H

void bench_references(void);		/* reference.c */
void bench_madvise_call(void);		/* madvise.c */
void bench_injection(void);		/* madvise.c */
void bench_injection_floor(void);	/* injection.c */
void bench_vector_advice(void);		/* advise.c */
void bench_advise_scale(void);		/* advise.c */
void bench_remap_large(void);		/* remap.c */
void bench_remap_small(void);		/* remap.c */
void bench_vm_mmap_shared(void);	/* vm_mmap.c */
void bench_vm_mmap_private(void);	/* vm_mmap.c */
void bench_vm_mmap_scale(void);		/* vm_mmap.c */

#endif /* XMM_BENCH_ROWS_H */
