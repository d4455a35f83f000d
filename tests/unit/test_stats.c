// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "rxq/stats.h"
#include "rxq/ticker.h"

#define NTHREADS 4
#define NFIELDS	 3
#define ROUNDS	 200000

struct adder {
	struct rxq_counters *counters;
	unsigned thread;
};

static void *adder_main(void *arg)
{
	struct adder *a = arg;
	uint64_t *row = rxq_counters__row(a->counters, a->thread);
	unsigned i;

	for (i = 0; i < ROUNDS; i++) {
		rxq_counter_add(row, 0, 1);
		rxq_counter_add(row, 1, a->thread + 1);
		rxq_counter_add(row, 2, 1000);
	}
	return NULL;
}

static void test_counters_concurrent(void **state)
{
	struct rxq_counters *c = NULL;
	struct adder adders[NTHREADS];
	pthread_t tids[NTHREADS];
	uint64_t sum[NFIELDS], row[NFIELDS];
	unsigned t;

	(void)state;
	assert_int_equal(rxq_counters__new(&c, NTHREADS, NFIELDS), 0);
	assert_non_null(c);
	assert_int_equal(rxq_counters__nthreads(c), NTHREADS);
	assert_int_equal(rxq_counters__nfields(c), NFIELDS);

	for (t = 0; t < NTHREADS; t++) {
		adders[t].counters = c;
		adders[t].thread = t;
		assert_int_equal(pthread_create(&tids[t], NULL, adder_main, &adders[t]), 0);
	}
	/* Read while the writers run: sums only ever grow. */
	rxq_counters__sum(c, sum);
	assert_true(sum[0] <= (uint64_t)NTHREADS * ROUNDS);
	for (t = 0; t < NTHREADS; t++)
		assert_int_equal(pthread_join(tids[t], NULL), 0);

	rxq_counters__sum(c, sum);
	assert_int_equal(sum[0], (uint64_t)NTHREADS * ROUNDS);
	assert_int_equal(sum[1], (uint64_t)ROUNDS * (1 + 2 + 3 + 4));
	assert_int_equal(sum[2], (uint64_t)NTHREADS * ROUNDS * 1000);
	for (t = 0; t < NTHREADS; t++) {
		rxq_counters__read_row(c, t, row);
		assert_int_equal(row[0], ROUNDS);
		assert_int_equal(row[1], (uint64_t)ROUNDS * (t + 1));
		assert_int_equal(row[2], (uint64_t)ROUNDS * 1000);
	}
	rxq_counters__free(c);
}

static void test_counters_layout(void **state)
{
	static const unsigned field_counts[] = { 1, 7, 8, 9, 17, 100 };
	struct rxq_counters *c = NULL;
	unsigned i, t;

	(void)state;
	for (i = 0; i < sizeof(field_counts) / sizeof(field_counts[0]); i++) {
		unsigned nfields = field_counts[i];
		uint64_t zero[100];

		assert_int_equal(rxq_counters__new(&c, 5, nfields), 0);
		for (t = 0; t < 5; t++) {
			uintptr_t row = (uintptr_t)rxq_counters__row(c, t);
			uintptr_t last_byte = row + nfields * sizeof(uint64_t) - 1;

			assert_int_equal(row % 64, 0);
			rxq_counters__read_row(c, t, zero);
			for (unsigned f = 0; f < nfields; f++)
				assert_int_equal(zero[f], 0);
			if (t + 1 < 5) {
				uintptr_t next = (uintptr_t)rxq_counters__row(c, t + 1);

				/* The next row starts on a later line than this one ends. */
				assert_true(next / 64 > last_byte / 64);
			}
		}
		assert_null(rxq_counters__row(c, 5));
		rxq_counters__free(c);
	}
	assert_int_equal(rxq_counters__new(&c, 0, 1), -EINVAL);
	assert_null(c);
	rxq_counters__free(NULL);
}

static void test_now_ns(void **state)
{
	struct timespec nap = { .tv_nsec = 2000000 };
	uint64_t a, b;

	(void)state;
	a = rxq_now_ns();
	assert_int_equal(nanosleep(&nap, NULL), 0);
	b = rxq_now_ns();
	assert_true(b - a >= 2000000);
	assert_true(b - a < 2000000000ull);
}

static bool signal_blocked(int signo)
{
	sigset_t cur;

	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &cur), 0);
	return sigismember(&cur, signo) == 1;
}

static void test_ticker_timer(void **state)
{
	struct rxq_ticker *t = NULL;
	uint64_t start, elapsed;
	int i;

	(void)state;
	assert_int_equal(rxq_ticker__open(&t, 0), -EINVAL);
	assert_int_equal(rxq_ticker__open(&t, 20000000), 0);
	start = rxq_now_ns();
	for (i = 0; i < 3; i++)
		assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_TIMER);
	elapsed = rxq_now_ns() - start;
	assert_true(elapsed >= 3 * 20000000ull - 1000000);
	assert_int_equal(rxq_ticker__signo(t), 0);

	/*
	 * Several missed periods are one event: after 110 ms asleep (5 expirations), three waits
	 * take at least one full period, since only the first returns at once.
	 */
	usleep(110000);
	start = rxq_now_ns();
	for (i = 0; i < 3; i++)
		assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_TIMER);
	assert_true(rxq_now_ns() - start >= 20000000ull);
	rxq_ticker__close(t);
}

static void *poke_done(void *arg)
{
	usleep(30000);
	rxq_ticker__done(arg);
	return NULL;
}

static void test_ticker_done(void **state)
{
	struct rxq_ticker *t = NULL;
	pthread_t tid;
	int ev;

	(void)state;
	/* A long period, so only the other thread can end the wait. */
	assert_int_equal(rxq_ticker__open(&t, 10ull * 1000000000ull), 0);
	assert_int_equal(pthread_create(&tid, NULL, poke_done, t), 0);
	ev = rxq_ticker__wait(t);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_int_equal(ev, RXQ_TICK_DONE);
	rxq_ticker__close(t);

	/* Two calls, two DONE events, then the timer. */
	assert_int_equal(rxq_ticker__open(&t, 20000000), 0);
	rxq_ticker__done(t);
	rxq_ticker__done(t);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_DONE);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_DONE);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_TIMER);
	rxq_ticker__close(t);
}

static void test_ticker_deadline(void **state)
{
	struct rxq_ticker *t = NULL;
	uint64_t start, elapsed;
	pthread_t tid;

	(void)state;
	/* A long period: only the deadline can end the wait, and it must not wait for a tick. */
	assert_int_equal(rxq_ticker__open(&t, 10ull * 1000000000ull), 0);
	start = rxq_now_ns();
	assert_int_equal(rxq_ticker__set_deadline(t, start + 30000000ull), 0);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_DEADLINE);
	elapsed = rxq_now_ns() - start;
	assert_true(elapsed >= 30000000ull - 1000000ull);
	assert_true(elapsed < 2000000000ull);

	/* Once only: the next wait lasts until another thread pokes it 30 ms later. */
	start = rxq_now_ns();
	assert_int_equal(pthread_create(&tid, NULL, poke_done, t), 0);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_DONE);
	assert_int_equal(pthread_join(tid, NULL), 0);
	assert_true(rxq_now_ns() - start >= 25000000ull);

	/* A deadline already past ends the wait at once. */
	assert_int_equal(rxq_ticker__set_deadline(t, rxq_now_ns() - 1000000ull), 0);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_DEADLINE);

	/* 0 cancels: the period's tick comes first. */
	rxq_ticker__close(t);
	assert_int_equal(rxq_ticker__open(&t, 20000000ull), 0);
	assert_int_equal(rxq_ticker__set_deadline(t, rxq_now_ns() + 5000000ull), 0);
	assert_int_equal(rxq_ticker__set_deadline(t, 0), 0);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_TIMER);
	rxq_ticker__close(t);
}

static void test_ticker_signals(void **state)
{
	struct rxq_ticker *t = NULL;

	(void)state;
	assert_false(signal_blocked(SIGHUP));
	assert_false(signal_blocked(SIGTERM));
	assert_false(signal_blocked(SIGINT));

	assert_int_equal(rxq_ticker__open(&t, 10ull * 1000000000ull), 0);
	assert_true(signal_blocked(SIGHUP));
	assert_true(signal_blocked(SIGTERM));
	assert_true(signal_blocked(SIGINT));

	assert_int_equal(raise(SIGHUP), 0);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_RELOAD);
	assert_int_equal(rxq_ticker__signo(t), SIGHUP);

	assert_int_equal(kill(getpid(), SIGTERM), 0);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_STOP);
	assert_int_equal(rxq_ticker__signo(t), SIGTERM);

	assert_int_equal(raise(SIGINT), 0);
	assert_int_equal(rxq_ticker__wait(t), RXQ_TICK_STOP);
	assert_int_equal(rxq_ticker__signo(t), SIGINT);

	rxq_ticker__close(t);
	assert_false(signal_blocked(SIGHUP));
	assert_false(signal_blocked(SIGTERM));
	assert_false(signal_blocked(SIGINT));
	rxq_ticker__close(NULL);
}

static void test_ticker_keeps_other_mask(void **state)
{
	struct rxq_ticker *t = NULL;
	sigset_t usr1, before, after;

	(void)state;
	/* A mask the caller had before (SIGUSR1 blocked) comes back exactly. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, &usr1, &before), 0);
	assert_int_equal(rxq_ticker__open(&t, 50000000), 0);
	rxq_ticker__close(t);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, NULL, &after), 0);
	assert_true(sigismember(&after, SIGUSR1) == 1);
	assert_false(sigismember(&after, SIGHUP) == 1);
	assert_int_equal(pthread_sigmask(SIG_SETMASK, &before, NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_concurrent),
		cmocka_unit_test(test_counters_layout),
		cmocka_unit_test(test_now_ns),
		cmocka_unit_test(test_ticker_timer),
		cmocka_unit_test(test_ticker_done),
		cmocka_unit_test(test_ticker_deadline),
		cmocka_unit_test(test_ticker_signals),
		cmocka_unit_test(test_ticker_keeps_other_mask),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
