/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_TICKER_H
#define RXQ_TICKER_H

#include <stdint.h>

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
