/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_LIMIT_H
#define RXQ_LIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Token buckets per key in a table of fixed size, for `limit RATE/s per KEY` rules.
 *
 * Every bucket refills at @rate tokens per second up to a burst of @burst tokens, starts full, and
 * a packet takes one token. Time is passed in (nanoseconds of a monotonic clock), so the table can
 * be driven by a simulated clock in tests; a clock that goes backwards refills nothing.
 *
 * Memory is fixed when the table is created: @entries slots of 24 bytes (a power of two, at least
 * 8). A key is stored as its 64-bit hash (rxq_limit_hash(), seeded), so two keys collide only if
 * their hashes do. A key lives in one of the 8 slots following its hash position; when all 8 hold
 * other keys, one is evicted and the new key starts with a full bucket: a key seen only once (at
 * its insertion) goes before a key seen again, and among those the one seen least recently.
 *
 * Admission of new keys: without a bound every key the table does not hold is inserted, so a flood
 * with a new (spoofed) key per packet passes whole and churns the table. rxq_limit__set_admission()
 * puts a token bucket of its own in front of insertions: a key the table does not hold is inserted
 * only with a token from it; without one the packet is refused and the table is left untouched --
 * no insertion, no eviction. Keys already in the table never need it. Eviction therefore happens
 * only for admitted keys, at most at the admission rate.
 *
 * A table is used by one thread at a time: no locking. It is reference counted (atomically) so
 * that two owners used in turn by the same thread -- the old and the new rule set of a reload --
 * can share it.
 */

struct rxq_limit_table;

/**
 * @brief Creates a table.
 * @param rate    tokens per second, 1 .. RXQ_LIMIT_RATE_MAX
 * @param burst   bucket size in tokens, 1 .. RXQ_LIMIT_RATE_MAX (rxq rules use burst = rate)
 * @param entries number of buckets, rounded up to a power of two, 8 .. 1 << 26
 * @return 0, -EINVAL, -ENOMEM
 */
int rxq_limit__new(struct rxq_limit_table **out, uint64_t rate, uint64_t burst, unsigned entries);

#define RXQ_LIMIT_RATE_MAX 1000000000ull

/**
 * @brief Adds a reference to @p t for a second owner; each reference is dropped with
 * rxq_limit__free().
 * @return @p t
 */
struct rxq_limit_table *rxq_limit__get(struct rxq_limit_table *t);

/** @brief Drops a reference (the one of rxq_limit__new() or one of rxq_limit__get()); the last one
 * frees the table. NULL is a no-op. */
void rxq_limit__free(struct rxq_limit_table *t);

/**
 * @brief Bounds the insertion of keys the table does not hold to @p rate per second with a burst of
 * @p burst (the admission bucket starts full). @p rate 0 removes the bound (the default).
 * @return 0, -EINVAL (@p rate or @p burst above RXQ_LIMIT_RATE_MAX, or @p burst 0 with a rate)
 */
int rxq_limit__set_admission(struct rxq_limit_table *t, uint64_t rate, uint64_t burst);

enum rxq_limit_result {
	RXQ_LIMIT_PASS = 0, /* the key's bucket had a token (a new key: it was admitted) */
	RXQ_LIMIT_EMPTY, /* the key is in the table and its bucket is empty */
	RXQ_LIMIT_REFUSED, /* the key is not in the table and the admission bucket is empty */
};

/**
 * @brief Takes one token from @p key's bucket at time @p now_ns; a key the table does not hold is
 * first admitted (see rxq_limit__set_admission()) and inserted with a full bucket.
 * @return RXQ_LIMIT_PASS when the packet conforms, else why not.
 */
enum rxq_limit_result rxq_limit__classify(struct rxq_limit_table *t, uint64_t key, uint64_t now_ns);

/**
 * @brief rxq_limit__classify() == RXQ_LIMIT_PASS.
 * @return true when a token was available (the packet conforms), false when not.
 */
bool rxq_limit__take(struct rxq_limit_table *t, uint64_t key, uint64_t now_ns);

/** @brief Number of buckets (after rounding). */
unsigned rxq_limit__entries(const struct rxq_limit_table *t);

/** @brief Buckets in use. */
unsigned rxq_limit__used(const struct rxq_limit_table *t);

/** @brief Keys evicted so far to make room for new ones. */
uint64_t rxq_limit__evictions(const struct rxq_limit_table *t);

/** @brief Packets of keys not in the table that found the admission bucket empty. */
uint64_t rxq_limit__refused(const struct rxq_limit_table *t);

/** @brief Bytes of memory the table holds (fixed from creation on). */
size_t rxq_limit__memory(const struct rxq_limit_table *t);

/**
 * @brief Seeded 64-bit hash of @p len bytes (fast, well mixed, not cryptographic); never returns
 * 0, which marks a free slot.
 */
uint64_t rxq_limit_hash(const void *data, size_t len, uint64_t seed);

#endif
