// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Prefix sets for the rules fast path: one open-addressing hash table per (family, prefix length),
 * keyed by the masked address. A flood source is usually checked against one or a few lengths
 * (a block list of /24s is a single table), so a lookup is a handful of probes into tables that
 * stay in cache, independent of the number of prefixes.
 */
#include <endian.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "prefix.h"
#include "internal.h"

struct prefix_entry {
	uint8_t family;
	uint8_t plen;
	uint64_t hi, lo; /* masked address in host order; IPv4 in the low 32 bits of lo */
	uint32_t value;
};

/* A slot is free when value == RXQ_PREFIX_NONE. */
struct slot4 {
	uint32_t key;
	uint32_t value;
};

struct slot6 {
	uint64_t hi, lo;
	uint32_t value;
};

struct table {
	uint8_t family;
	uint8_t plen;
	uint32_t mask; /* slots - 1 */
	unsigned shift; /* 64 - log2(slots) */
	uint64_t hi_mask, lo_mask;
	void *slots;
};

struct rxq_prefix_set {
	struct prefix_entry *entries;
	size_t nentries, cap;
	uint32_t zero4, zero6; /* values of 0.0.0.0/0 and ::/0 */
	struct table *tables; /* IPv4 tables first, then IPv6 */
	unsigned ntables4, ntables6;
	size_t ntables_alloc; /* entries of tables[], for freeing after a failed build */
	bool built;
};

static void addr_words(const struct rxq_addr *a, uint64_t *hi, uint64_t *lo)
{
	if (a->family == AF_INET) {
		uint32_t v;

		memcpy(&v, a->b, 4);
		*hi = 0;
		*lo = be32toh(v);
	} else {
		uint64_t h, l;

		memcpy(&h, a->b, 8);
		memcpy(&l, a->b + 8, 8);
		*hi = be64toh(h);
		*lo = be64toh(l);
	}
}

static void prefix_masks(uint8_t family, unsigned plen, uint64_t *hi_mask, uint64_t *lo_mask)
{
	if (family == AF_INET) {
		*hi_mask = 0;
		*lo_mask = plen ? (0xffffffffull << (32 - plen)) & 0xffffffffull : 0;
		return;
	}
	*hi_mask = plen == 0 ? 0 : plen >= 64 ? UINT64_MAX : UINT64_MAX << (64 - plen);
	*lo_mask = plen <= 64 ? 0 : plen == 128 ? UINT64_MAX : UINT64_MAX << (128 - plen);
}

static inline uint32_t hash4(uint32_t key, unsigned shift)
{
	return (uint32_t)(((uint64_t)key * 0x9e3779b97f4a7c15ull) >> shift);
}

static inline uint32_t hash6(uint64_t hi, uint64_t lo, unsigned shift)
{
	return (uint32_t)(rxq_mix64(hi ^ rxq_mix64(lo)) >> shift);
}

int rxq_prefix_set__new(struct rxq_prefix_set **out)
{
	struct rxq_prefix_set *set = calloc(1, sizeof(*set));

	if (!set)
		return -ENOMEM;
	set->zero4 = RXQ_PREFIX_NONE;
	set->zero6 = RXQ_PREFIX_NONE;
	*out = set;
	return 0;
}

int rxq_prefix_set__add(struct rxq_prefix_set *set, const struct rxq_addr *prefix, unsigned plen,
			uint32_t value)
{
	struct prefix_entry *e;
	uint64_t hm, lm;

	if (set->built || value == RXQ_PREFIX_NONE ||
	    (prefix->family != AF_INET && prefix->family != AF_INET6) ||
	    plen > rxq_addr_bits(prefix->family))
		return -EINVAL;
	if (plen == 0) {
		uint32_t *zero = prefix->family == AF_INET ? &set->zero4 : &set->zero6;

		if (value < *zero)
			*zero = value;
		return 0;
	}
	if (set->nentries == set->cap) {
		size_t cap = set->cap ? set->cap * 2 : 64;
		void *grown = realloc(set->entries, cap * sizeof(*set->entries));

		if (!grown)
			return -ENOMEM;
		set->entries = grown;
		set->cap = cap;
	}
	e = &set->entries[set->nentries++];
	e->family = prefix->family;
	e->plen = (uint8_t)plen;
	addr_words(prefix, &e->hi, &e->lo);
	prefix_masks(e->family, plen, &hm, &lm);
	e->hi &= hm;
	e->lo &= lm;
	e->value = value;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct prefix_entry *x = a, *y = b;

	if (x->family != y->family)
		return x->family == AF_INET ? -1 : 1;
	return (int)x->plen - (int)y->plen;
}

static int table_fill(struct table *t, const struct prefix_entry *e, size_t n)
{
	size_t slots = 8, i;
	unsigned bits = 3;

	/* Load factor at most 1/2 keeps misses (the common case under a flood) short. */
	while (slots < 2 * n) {
		slots *= 2;
		bits++;
	}
	t->family = e->family;
	t->plen = e->plen;
	t->mask = (uint32_t)(slots - 1);
	t->shift = 64 - bits;
	prefix_masks(t->family, t->plen, &t->hi_mask, &t->lo_mask);
	if (t->family == AF_INET) {
		struct slot4 *s = malloc(slots * sizeof(*s));

		if (!s)
			return -ENOMEM;
		for (i = 0; i < slots; i++)
			s[i].value = RXQ_PREFIX_NONE;
		for (i = 0; i < n; i++) {
			uint32_t key = (uint32_t)e[i].lo, h = hash4(key, t->shift);

			while (s[h].value != RXQ_PREFIX_NONE && s[h].key != key)
				h = (h + 1) & t->mask;
			if (s[h].value == RXQ_PREFIX_NONE || e[i].value < s[h].value) {
				s[h].key = key;
				s[h].value = e[i].value;
			}
		}
		t->slots = s;
	} else {
		struct slot6 *s = malloc(slots * sizeof(*s));

		if (!s)
			return -ENOMEM;
		for (i = 0; i < slots; i++)
			s[i].value = RXQ_PREFIX_NONE;
		for (i = 0; i < n; i++) {
			uint32_t h = hash6(e[i].hi, e[i].lo, t->shift);

			while (s[h].value != RXQ_PREFIX_NONE &&
			       (s[h].hi != e[i].hi || s[h].lo != e[i].lo))
				h = (h + 1) & t->mask;
			if (s[h].value == RXQ_PREFIX_NONE || e[i].value < s[h].value) {
				s[h].hi = e[i].hi;
				s[h].lo = e[i].lo;
				s[h].value = e[i].value;
			}
		}
		t->slots = s;
	}
	return 0;
}

int rxq_prefix_set__build(struct rxq_prefix_set *set)
{
	size_t i, start, ntables = 0;
	int ret;

	if (set->built)
		return 0;
	if (set->nentries)
		qsort(set->entries, set->nentries, sizeof(*set->entries), entry_cmp);
	for (i = 0; i < set->nentries; i++)
		if (i == 0 || entry_cmp(&set->entries[i - 1], &set->entries[i]))
			ntables++;
	if (ntables) {
		set->tables = calloc(ntables, sizeof(*set->tables));
		if (!set->tables)
			return -ENOMEM;
		set->ntables_alloc = ntables;
	}
	ntables = 0;
	for (start = 0; start < set->nentries; start = i) {
		for (i = start;
		     i < set->nentries && !entry_cmp(&set->entries[start], &set->entries[i]); i++)
			;
		ret = table_fill(&set->tables[ntables], &set->entries[start], i - start);
		if (ret)
			return ret; /* the tables filled so far are freed by __free() */
		if (set->entries[start].family == AF_INET)
			set->ntables4++;
		else
			set->ntables6++;
		ntables++;
	}
	free(set->entries);
	set->entries = NULL;
	set->nentries = set->cap = 0;
	set->built = true;
	return 0;
}

uint32_t rxq_prefix_set__lookup(const struct rxq_prefix_set *set, const struct rxq_addr *addr)
{
	uint32_t best;
	unsigned i;

	if (addr->family == AF_INET) {
		uint32_t a, v;

		memcpy(&a, addr->b, 4);
		a = be32toh(a);
		best = set->zero4;
		for (i = 0; i < set->ntables4; i++) {
			const struct table *t = &set->tables[i];
			const struct slot4 *s = t->slots;
			uint32_t key = a & (uint32_t)t->lo_mask, h = hash4(key, t->shift);

			while ((v = s[h].value) != RXQ_PREFIX_NONE) {
				if (s[h].key == key) {
					if (v < best)
						best = v;
					break;
				}
				h = (h + 1) & t->mask;
			}
		}
		return best;
	}
	if (addr->family == AF_INET6) {
		uint64_t hi, lo;
		uint32_t v;

		addr_words(addr, &hi, &lo);
		best = set->zero6;
		for (i = set->ntables4; i < set->ntables4 + set->ntables6; i++) {
			const struct table *t = &set->tables[i];
			const struct slot6 *s = t->slots;
			uint64_t khi = hi & t->hi_mask, klo = lo & t->lo_mask;
			uint32_t h = hash6(khi, klo, t->shift);

			while ((v = s[h].value) != RXQ_PREFIX_NONE) {
				if (s[h].hi == khi && s[h].lo == klo) {
					if (v < best)
						best = v;
					break;
				}
				h = (h + 1) & t->mask;
			}
		}
		return best;
	}
	return RXQ_PREFIX_NONE;
}

unsigned rxq_prefix_set__tables(const struct rxq_prefix_set *set)
{
	return set->ntables4 + set->ntables6 + (set->zero4 != RXQ_PREFIX_NONE) +
	       (set->zero6 != RXQ_PREFIX_NONE);
}

void rxq_prefix_set__free(struct rxq_prefix_set *set)
{
	size_t i;

	if (!set)
		return;
	for (i = 0; i < set->ntables_alloc; i++)
		free(set->tables[i].slots);
	free(set->tables);
	free(set->entries);
	free(set);
}
