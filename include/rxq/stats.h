/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_STATS_H
#define RXQ_STATS_H

#include <stdint.h>

/*
 * Per-thread counters without locks on the hot path: each thread owns one row (its own cache
 * lines) and is its only writer; the reporter sums rows with relaxed loads. A row is an array of
 * uint64_t indexed by the tool's own counter enum.
 */

struct rxq_counters;

/** @brief @p nthreads rows of @p nfields zeroed counters. 0 or -ENOMEM. */
int rxq_counters__new(struct rxq_counters **out, unsigned nthreads, unsigned nfields);
void rxq_counters__free(struct rxq_counters *c);

/** @brief The row of thread @p thread; only that thread may write it (rxq_counter_add). */
uint64_t *rxq_counters__row(struct rxq_counters *c, unsigned thread);

unsigned rxq_counters__nthreads(const struct rxq_counters *c);
unsigned rxq_counters__nfields(const struct rxq_counters *c);

/** @brief Copies one thread's row into @p out (nfields values). */
void rxq_counters__read_row(const struct rxq_counters *c, unsigned thread, uint64_t *out);

/** @brief Sums every row into @p out (nfields values). */
void rxq_counters__sum(const struct rxq_counters *c, uint64_t *out);

/** @brief Single-writer add: no lock prefix, but a reader never sees a torn value. */
static inline void rxq_counter_add(uint64_t *row, unsigned field, uint64_t n)
{
	__atomic_store_n(&row[field], __atomic_load_n(&row[field], __ATOMIC_RELAXED) + n,
			 __ATOMIC_RELAXED);
}

/** @brief CLOCK_MONOTONIC in nanoseconds. */
uint64_t rxq_now_ns(void);

#endif
