// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Kernel tier of dns rules, user-space side: pattern -> map key, the table of map entries, and
 * the lookups run here exactly as the XDP program runs them (dns_shared.h).
 *
 * A key's value lists its rules in rule order. A rule that cannot change the outcome is not
 * stored: one after a rule without qtype (that one matches first, whatever the type), one whose
 * qtype an earlier rule of the key already has. When more rules than RXQ_KDNS_VALUE_RULES remain,
 * the last slot turns into a PUNT entry at its own rule index: from that rule on, user space
 * decides. The table is an open-addressing index over the entry array, which is what the caller
 * copies into the BPF map.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/dns.h"
#include "rxq/kdns.h"
#include "internal.h"

struct rxq_kdns_table {
	struct rxq_kdns_entry *entries;
	size_t n, cap;
	uint32_t *slots; /* entry index + 1, 0 = free; a power of two, at most half full */
	size_t nslots;
	struct rxq_kdns_config cfg;
	uint32_t last_rule;
	bool any_rule;
};

static bool pattern_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '-' || c == '_' || c == '.' || c == '*' || c == '?';
}

int rxq_kdns__pattern(const char *pattern, struct rxq_kdns_pattern *out)
{
	size_t len = strlen(pattern), k, start = 0;
	struct rxq_kdns_key *key = &out->key;
	unsigned dots = 0;

	memset(out, 0, sizeof(*out));
	/* What rules.c accepts, and its normal form: lower case, no root dot, "." is "". */
	if (len > RXQ_DNS_NAME_MAX)
		return -EINVAL;
	for (k = 0; k < len; k++) {
		if (!pattern_char(pattern[k]))
			return -EINVAL;
		if (pattern[k] == '.' && (k == 0 ? len > 1 : pattern[k - 1] == '.'))
			return -EINVAL;
	}
	if (len && pattern[len - 1] == '.')
		len--;
	if (pattern[0] == '*') {
		/* `*.SUFFIX` (a run of stars is one star): the key is ".SUFFIX" */
		while (start < len && pattern[start] == '*')
			start++;
		if (start == len || pattern[start] != '.')
			return -EOPNOTSUPP;
		out->suffix = true;
	}
	if (len - start > RXQ_KDNS_NAME_MAX)
		return -EOPNOTSUPP;
	for (k = start; k < len; k++) {
		char c = pattern[k];

		if (c == '*' || c == '?')
			return -EOPNOTSUPP;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		dots += c == '.';
		key->name[k - start] = c;
	}
	key->len = (uint8_t)(len - start);
	/* "a.b": one dot, two labels; ".a.b": two dots, two labels; "": the root, none */
	out->labels = out->suffix ? dots : (len ? dots + 1 : 0);
	if (out->labels > RXQ_KDNS_LABELS_MAX)
		return -EOPNOTSUPP;
	return 0;
}

int rxq_kdns__parse(const uint8_t *msg, size_t len, struct rxq_kdns_name *nm)
{
	__u32 len32 = len > UINT32_MAX ? UINT32_MAX : (__u32)len;

	return rxq_kdns_parse(msg, msg + len, len32, nm);
}

int rxq_kdns_table__new(struct rxq_kdns_table **out)
{
	struct rxq_kdns_table *t = calloc(1, sizeof(*t));

	if (!t)
		return -ENOMEM;
	t->cfg.unexpressed = RXQ_KDNS_RULE_NONE;
	*out = t;
	return 0;
}

void rxq_kdns_table__free(struct rxq_kdns_table *t)
{
	if (!t)
		return;
	free(t->entries);
	free(t->slots);
	free(t);
}

static uint64_t key_hash(const struct rxq_kdns_key *key)
{
	uint64_t h = key->len;

	for (unsigned i = 0; i < key->len; i++)
		h = rxq_mix64(h ^ (uint8_t)key->name[i]);
	return rxq_mix64(h);
}

/* The slot holding @key, or the free slot where it would go. */
static size_t slot_find(const struct rxq_kdns_table *t, const struct rxq_kdns_key *key)
{
	size_t mask = t->nslots - 1, s = (size_t)key_hash(key) & mask;

	while (t->slots[s] && memcmp(&t->entries[t->slots[s] - 1].key, key, sizeof(*key)))
		s = (s + 1) & mask;
	return s;
}

static int slots_grow(struct rxq_kdns_table *t)
{
	size_t nslots = t->nslots ? t->nslots * 2 : 64;
	uint32_t *old = t->slots;
	size_t oldn = t->nslots;

	t->slots = calloc(nslots, sizeof(*t->slots));
	if (!t->slots) {
		t->slots = old;
		return -ENOMEM;
	}
	t->nslots = nslots;
	for (size_t i = 0; i < oldn; i++)
		if (old[i])
			t->slots[slot_find(t, &t->entries[old[i] - 1].key)] = old[i];
	free(old);
	return 0;
}

static struct rxq_kdns_entry *entry_new(struct rxq_kdns_table *t, const struct rxq_kdns_key *key)
{
	struct rxq_kdns_entry *e;

	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;

		e = realloc(t->entries, cap * sizeof(*e));
		if (!e)
			return NULL;
		t->entries = e;
		t->cap = cap;
	}
	if ((t->n + 1) * 2 > t->nslots && slots_grow(t))
		return NULL;
	e = &t->entries[t->n];
	e->key = *key;
	for (unsigned i = 0; i < RXQ_KDNS_VALUE_RULES; i++)
		e->value.r[i] = (struct rxq_kdns_rule){ .rule = RXQ_KDNS_RULE_NONE };
	t->slots[slot_find(t, key)] = (uint32_t)++t->n;
	return e;
}

/* Appends @r to the rules of a key, as far as it can still matter (see the top of the file). */
static void value_append(struct rxq_kdns_value *v, const struct rxq_kdns_rule *r)
{
	unsigned i;

	for (i = 0; i < RXQ_KDNS_VALUE_RULES; i++) {
		struct rxq_kdns_rule *old = &v->r[i];

		if (old->rule == RXQ_KDNS_RULE_NONE)
			break;
		if (old->flags & (RXQ_KDNS_R_ANY | RXQ_KDNS_R_PUNT))
			return; /* every later rule of this key is shadowed or punted already */
		if (!(r->flags & RXQ_KDNS_R_ANY) && old->qtype == r->qtype)
			return; /* that type matches the earlier rule first */
	}
	if (i < RXQ_KDNS_VALUE_RULES) {
		v->r[i] = *r;
		return;
	}
	/* Full: the last rule and everything after it go to user space. */
	v->r[RXQ_KDNS_VALUE_RULES - 1].flags = RXQ_KDNS_R_PUNT;
	v->r[RXQ_KDNS_VALUE_RULES - 1].qtype = 0;
}

int rxq_kdns_table__add(struct rxq_kdns_table *t, uint32_t rule, const char *pattern,
			bool has_qtype, uint16_t qtype)
{
	struct rxq_kdns_rule r = { .rule = rule, .qtype = has_qtype ? qtype : 0 };
	struct rxq_kdns_pattern pat;
	struct rxq_kdns_entry *e;
	size_t s;
	int err;

	if (rule == RXQ_KDNS_RULE_NONE || (t->any_rule && rule <= t->last_rule))
		return -EINVAL;
	err = rxq_kdns__pattern(pattern, &pat);
	if (err == -EINVAL)
		return err;
	t->any_rule = true;
	t->last_rule = rule;
	if (err) {
		if (t->cfg.unexpressed == RXQ_KDNS_RULE_NONE)
			t->cfg.unexpressed = rule;
		return err;
	}
	if (t->cfg.unexpressed != RXQ_KDNS_RULE_NONE)
		return 0; /* it could only win after the unexpressed rule: user space decides */
	if (!has_qtype)
		r.flags = RXQ_KDNS_R_ANY;
	if (t->nslots) {
		s = slot_find(t, &pat.key);
		if (t->slots[s]) {
			value_append(&t->entries[t->slots[s] - 1].value, &r);
			return 0;
		}
	}
	e = entry_new(t, &pat.key);
	if (!e)
		return -ENOMEM;
	e->value.r[0] = r;
	if (pat.suffix)
		t->cfg.suffix_labels |= 1ull << pat.labels;
	else
		t->cfg.exact_labels |= 1ull << pat.labels;
	return 0;
}

const struct rxq_kdns_entry *rxq_kdns_table__entries(const struct rxq_kdns_table *t, size_t *n)
{
	*n = t->n;
	return t->entries;
}

const struct rxq_kdns_config *rxq_kdns_table__config(const struct rxq_kdns_table *t)
{
	return &t->cfg;
}

const struct rxq_kdns_value *rxq_kdns_table__lookup(const struct rxq_kdns_table *t,
						    const struct rxq_kdns_key *key)
{
	size_t s;

	if (!t->nslots)
		return NULL;
	s = slot_find(t, key);
	return t->slots[s] ? &t->entries[t->slots[s] - 1].value : NULL;
}

int rxq_kdns_table__match(const struct rxq_kdns_table *t, const struct rxq_kdns_name *nm,
			  uint32_t *rule)
{
	__u32 best = RXQ_KDNS_RULE_NONE, best_flags = 0, n = rxq_kdns_lookups(nm);
	struct rxq_kdns_key key;

	for (__u32 i = 0; i < n; i++) {
		const struct rxq_kdns_value *v;

		if (!rxq_kdns_key_build(nm, &t->cfg, i, &key))
			continue;
		v = rxq_kdns_table__lookup(t, &key);
		if (v)
			rxq_kdns_value_merge(v, nm->qtype, &best, &best_flags);
	}
	return rxq_kdns_decide(&t->cfg, best, best_flags, rule);
}
