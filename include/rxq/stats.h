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

/*
 * The main thread's loop: a timerfd for the period, a signalfd for SIGINT/SIGTERM/SIGHUP and an
 * eventfd that workers poke when they are done. rxq_ticker__open() resets their action to the
 * default (a shell starts background jobs with SIGINT ignored) and blocks them in the
 * calling thread, so call it before creating threads (they inherit the mask) and nothing is ever
 * printed from a signal handler.
 */

enum rxq_tick {
	RXQ_TICK_TIMER = 1, /* a period elapsed (several missed periods count once) */
	RXQ_TICK_STOP, /* SIGINT or SIGTERM */
	RXQ_TICK_RELOAD, /* SIGHUP */
	RXQ_TICK_DONE, /* rxq_ticker__done() was called */
	RXQ_TICK_DEADLINE, /* the time set with rxq_ticker__set_deadline() came */
};

struct rxq_ticker;

/** @brief @p interval_ns > 0. 0 or -errno. */
int rxq_ticker__open(struct rxq_ticker **out, uint64_t interval_ns);

/** @brief Blocks until the next event; returns enum rxq_tick or -errno. */
int rxq_ticker__wait(struct rxq_ticker *t);

/**
 * @brief Makes a wait return RXQ_TICK_DEADLINE once, at @p at_ns on the rxq_now_ns() clock (at
 * once if that is past), whatever the period: a run of a given length ends on time, not at the
 * next tick. 0 cancels it. 0 or -errno.
 */
int rxq_ticker__set_deadline(struct rxq_ticker *t, uint64_t at_ns);

/** @brief Thread-safe: makes a wait return RXQ_TICK_DONE (once per call). */
void rxq_ticker__done(struct rxq_ticker *t);

/** @brief The last signal received (0 if none). */
int rxq_ticker__signo(const struct rxq_ticker *t);

/** @brief Closes the fds and restores the signal mask of the calling thread. NULL is a no-op. */
void rxq_ticker__close(struct rxq_ticker *t);

#endif
