// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Token-bucket tables of fixed size for rate-limit rules. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/limit.h"
#include "internal.h"

#define NS_PER_S     1000000000ull
#define PROBE_WINDOW 8
#define ENTRIES_MAX  (1u << 26)

/*
 * Credit is kept in token-nanoseconds (one token = NS_PER_S units) so that refilling at any rate
 * up to 1e9/s is exact integer arithmetic: rate * elapsed_ns units per refill. The largest value,
 * burst * NS_PER_S <= 1e18, fits in 64 bits, and so does rate * elapsed once elapsed is capped at
 * the time a bucket needs to fill from empty. Intermediate sums stay below 2^61, so two bits of
 * the word are free for a flag.
 */
struct bucket {
	uint64_t key; /* 0: free */
	uint64_t credit : 62;
	uint64_t seen_again : 1; /* a packet of the key came after the one that inserted it */
	uint64_t last_ns; /* last refill: when the key was last seen */
};

struct rxq_limit_table {
	unsigned refs;
	struct bucket *buckets;
	uint32_t mask;
	unsigned used;
	uint64_t rate, burst_credit, fill_ns;
	uint64_t evictions, refused;
	/* The admission bucket for keys not in the table; admit_rate 0: no bound. */
	struct bucket admit;
	uint64_t admit_rate, admit_burst_credit, admit_fill_ns;
};

/* Time to refill a whole burst, rounded up: longer gaps add nothing more. */
static uint64_t fill_time(uint64_t burst_credit, uint64_t rate)
{
	return (burst_credit + rate - 1) / rate;
}

int rxq_limit__new(struct rxq_limit_table **out, uint64_t rate, uint64_t burst, unsigned entries)
{
	struct rxq_limit_table *t;
	unsigned n = 8;

	if (!rate || rate > RXQ_LIMIT_RATE_MAX || !burst || burst > RXQ_LIMIT_RATE_MAX ||
	    entries > ENTRIES_MAX)
		return -EINVAL;
	while (n < entries)
		n *= 2;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->buckets = calloc(n, sizeof(*t->buckets));
	if (!t->buckets) {
		free(t);
		return -ENOMEM;
	}
	t->refs = 1;
	t->mask = n - 1;
	t->rate = rate;
	t->burst_credit = burst * NS_PER_S;
	t->fill_ns = fill_time(t->burst_credit, rate);
	*out = t;
	return 0;
}

struct rxq_limit_table *rxq_limit__get(struct rxq_limit_table *t)
{
	__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void rxq_limit__free(struct rxq_limit_table *t)
{
	/* Release/acquire: the last owner sees every write of the others before it frees. */
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	free(t->buckets);
	free(t);
}

int rxq_limit__set_admission(struct rxq_limit_table *t, uint64_t rate, uint64_t burst)
{
	if (rate > RXQ_LIMIT_RATE_MAX || burst > RXQ_LIMIT_RATE_MAX || (rate && !burst))
		return -EINVAL;
	t->admit_rate = rate;
	if (!rate)
		return 0;
	t->admit_burst_credit = burst * NS_PER_S;
	t->admit_fill_ns = fill_time(t->admit_burst_credit, rate);
	t->admit.credit = t->admit_burst_credit;
	t->admit.last_ns = 0;
	return 0;
}

static inline void bucket_refill(struct bucket *b, uint64_t rate, uint64_t burst_credit,
				 uint64_t fill_ns, uint64_t now_ns)
{
	uint64_t elapsed, credit;

	if (now_ns <= b->last_ns)
		return;
	elapsed = now_ns - b->last_ns;
	if (elapsed > fill_ns)
		elapsed = fill_ns;
	credit = b->credit + elapsed * rate;
	b->credit = credit < burst_credit ? credit : burst_credit;
	b->last_ns = now_ns;
}

/*
 * Which of two occupied slots to evict first: a key seen only once before a key seen again, then
 * the one seen least recently. A spoofed-source flood consists of keys seen once; even the ones it
 * gets admitted then push out each other before they push out a key that keeps coming back.
 */
static inline bool evict_before(const struct bucket *a, const struct bucket *b)
{
	if (a->seen_again != b->seen_again)
		return !a->seen_again;
	return a->last_ns < b->last_ns;
}

enum rxq_limit_result rxq_limit__classify(struct rxq_limit_table *t, uint64_t key, uint64_t now_ns)
{
	struct bucket *b = NULL, *victim = NULL;
	uint32_t i, h = (uint32_t)(key >> 32) & t->mask;

	if (!key)
		key = 1;
	for (i = 0; i < PROBE_WINDOW; i++) {
		struct bucket *s = &t->buckets[(h + i) & t->mask];

		if (s->key == key) {
			b = s;
			break;
		}
		if (!s->key) {
			if (!victim || victim->key)
				victim = s;
			continue;
		}
		if (!victim || (victim->key && evict_before(s, victim)))
			victim = s;
	}
	if (!b) {
		/*
		 * Admission before anything else: a refused key must neither take a free slot
		 * nor push out a key that is in use, or a flood of new keys would wipe the state
		 * of the keys it is meant to be limited against.
		 */
		if (t->admit_rate) {
			bucket_refill(&t->admit, t->admit_rate, t->admit_burst_credit,
				      t->admit_fill_ns, now_ns);
			if (t->admit.credit < NS_PER_S) {
				t->refused++;
				return RXQ_LIMIT_REFUSED;
			}
			t->admit.credit -= NS_PER_S;
		}
		/* A free slot if the window had one, else the first by evict_before(). */
		b = victim;
		if (b->key)
			t->evictions++;
		else
			t->used++;
		b->key = key;
		b->credit = t->burst_credit;
		b->seen_again = 0;
		b->last_ns = now_ns;
	} else {
		bucket_refill(b, t->rate, t->burst_credit, t->fill_ns, now_ns);
		b->seen_again = 1;
	}
	if (b->credit < NS_PER_S)
		return RXQ_LIMIT_EMPTY;
	b->credit -= NS_PER_S;
	return RXQ_LIMIT_PASS;
}

bool rxq_limit__take(struct rxq_limit_table *t, uint64_t key, uint64_t now_ns)
{
	return rxq_limit__classify(t, key, now_ns) == RXQ_LIMIT_PASS;
}

unsigned rxq_limit__entries(const struct rxq_limit_table *t)
{
	return t->mask + 1;
}

unsigned rxq_limit__used(const struct rxq_limit_table *t)
{
	return t->used;
}

uint64_t rxq_limit__evictions(const struct rxq_limit_table *t)
{
	return t->evictions;
}

uint64_t rxq_limit__refused(const struct rxq_limit_table *t)
{
	return t->refused;
}

size_t rxq_limit__memory(const struct rxq_limit_table *t)
{
	return sizeof(*t) + ((size_t)t->mask + 1) * sizeof(struct bucket);
}

uint64_t rxq_limit_hash(const void *data, size_t len, uint64_t seed)
{
	const uint8_t *p = data;
	uint64_t h = seed ^ (len * 0x9e3779b97f4a7c15ull), w;

	/*
	 * Per word a multiply and a shift (each a bijection of the state for a fixed word), then
	 * one full finaliser: cheap enough to key every packet of a flood.
	 */
	while (len >= 8) {
		memcpy(&w, p, 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
		p += 8;
		len -= 8;
	}
	if (len) {
		w = 0;
		memcpy(&w, p, len);
		h = (h ^ w ^ ((uint64_t)len << 56)) * 0xc4ceb9fe1a85ec53ull;
		h ^= h >> 32;
	}
	h = rxq_mix64(h);
	return h ? h : 1;
}
