// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * A rule set compiled into the kernel tier's tables (see include/rxq/ktier.h and
 * bpf/ktier_shared.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/filter.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "rxq/cbpf.h"
#include "rxq/kdns.h"
#include "rxq/ktier.h"
#include "rxq/limit.h"
#include "internal.h"
#include "ktier_shared.h"

/* A prefix of a GROUP step, before the LPM values are computed. */
struct group_prefix {
	uint16_t group;
	uint8_t dir, family, plen;
	uint8_t addr[16];
	uint32_t rule;
	uint8_t action;
};

struct rxq_ktier {
	unsigned nrules; /* covered: rules 0 .. nrules - 1 */
	char why[256];
	struct rxq_kt_step *steps;
	unsigned nsteps;
	struct group_prefix *prefixes;
	size_t nprefixes, cap_prefixes;
	struct rxq_kt_lpm_entry *lpm, *hosts;
	size_t nlpm, nhosts;
	struct rxq_kt_limit limits[RXQ_KT_LIMITS_MAX];
	unsigned nlimits;
	struct rxq_kdns_table *dns;
	const struct sock_filter *pcap[RXQ_KT_PCAP_MAX + 1];
	unsigned pcap_len[RXQ_KT_PCAP_MAX + 1];
	unsigned npcap;
	uint16_t ngroups;
};

/* Seed of the limit identities: fixed, so an unchanged rule keeps its buckets across reloads. */
#define KT_IDENT_SEED 0x6b74696572ull

/* ---- LPM values: the first rule among a prefix and its ancestors ---- */

/*
 * An LPM lookup finds the longest stored prefix P that holds the address; every other stored
 * prefix that holds it is an ancestor of P. So the first matching rule of a run is the smallest
 * rule index on the path from the root to P: computed here once per prefix, with a binary trie.
 */
struct trie_node {
	uint32_t child[2]; /* 0: none */
	uint32_t rule; /* smallest rule ending here, UINT32_MAX: none */
	uint8_t action;
};

struct trie {
	struct trie_node *n;
	size_t len, cap;
};

static int trie_node_new(struct trie *t, uint32_t *idx)
{
	if (t->len == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 1024;
		struct trie_node *n = realloc(t->n, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		t->n = n;
		t->cap = cap;
	}
	memset(&t->n[t->len], 0, sizeof(t->n[0]));
	t->n[t->len].rule = UINT32_MAX;
	*idx = (uint32_t)t->len++;
	return 0;
}

static int bit_of(const uint8_t *addr, unsigned b)
{
	return (addr[b / 8] >> (7 - b % 8)) & 1;
}

static int trie_insert(struct trie *t, const struct group_prefix *p)
{
	uint32_t at = 0, next;
	unsigned b;
	int err;

	for (b = 0; b < p->plen; b++) {
		int bit = bit_of(p->addr, b);

		if (!t->n[at].child[bit]) {
			err = trie_node_new(t, &next);
			if (err)
				return err;
			t->n[at].child[bit] = next;
		}
		at = t->n[at].child[bit];
	}
	if (p->rule < t->n[at].rule) {
		t->n[at].rule = p->rule;
		t->n[at].action = p->action;
	}
	return 0;
}

/* The smallest rule on the way to @p's node, with its action. */
static void trie_first(const struct trie *t, const struct group_prefix *p, uint32_t *rule,
		       uint8_t *action)
{
	uint32_t at = 0;
	unsigned b = 0;

	*rule = UINT32_MAX;
	for (;;) {
		if (t->n[at].rule < *rule) {
			*rule = t->n[at].rule;
			*action = t->n[at].action;
		}
		if (b == p->plen)
			break;
		at = t->n[at].child[bit_of(p->addr, b++)];
	}
}

static int prefix_order(const void *a, const void *b)
{
	const struct group_prefix *x = a, *y = b;

	if (x->group != y->group)
		return x->group < y->group ? -1 : 1;
	if (x->dir != y->dir)
		return x->dir < y->dir ? -1 : 1;
	return x->family < y->family ? -1 : x->family > y->family;
}

/* One trie per (group, direction, family); one LPM entry per distinct prefix. */
static int lpm_build(struct rxq_ktier *kt)
{
	size_t i, j, k;
	int err = 0;

	if (!kt->nprefixes)
		return 0;
	qsort(kt->prefixes, kt->nprefixes, sizeof(kt->prefixes[0]), prefix_order);
	kt->lpm = calloc(kt->nprefixes, sizeof(kt->lpm[0]));
	kt->hosts = calloc(kt->nprefixes, sizeof(kt->hosts[0]));
	if (!kt->lpm || !kt->hosts)
		return -ENOMEM;
	for (i = 0; i < kt->nprefixes && !err; i = j) {
		struct trie t = { 0 };
		uint32_t root;

		for (j = i; j < kt->nprefixes && !prefix_order(&kt->prefixes[i], &kt->prefixes[j]);
		     j++)
			;
		err = trie_node_new(&t, &root);
		for (k = i; k < j && !err; k++)
			err = trie_insert(&t, &kt->prefixes[k]);
		for (k = i; k < j && !err; k++) {
			const struct group_prefix *p = &kt->prefixes[k];
			bool host = p->plen == (p->family == 4 ? 32 : 128);
			struct rxq_kt_lpm_entry *e = host ? &kt->hosts[kt->nhosts++] :
							    &kt->lpm[kt->nlpm++];
			uint32_t rule;
			uint8_t action = 0;

			/* (a prefix given twice gives the same entry twice: harmless) */
			trie_first(&t, p, &rule, &action);
			e->key.prefixlen = RXQ_KT_LPM_TAG_BITS + p->plen;
			e->key.group = p->group;
			e->key.dir = p->dir;
			e->key.family = p->family;
			memcpy(e->key.addr, p->addr, 16);
			e->rule = rule | (uint32_t)action << 30;
		}
		free(t.n);
	}
	return err;
}

/* ---- steps ---- */

/* The kernel tier ends before rule @idx, for the reason given. */
static void stop(struct rxq_ktier *kt, unsigned idx, const char *why)
{
	kt->nrules = idx;
	snprintf(kt->why, sizeof(kt->why), "%s", why);
}

static bool groupable(const struct rxq_rule_view *v)
{
	return v->kind == RXQ_RULE_NATIVE && !v->match_all && v->action != RXQ_RULE_LIMIT &&
	       v->naddr == 1 && v->nport == 0 && v->proto < 0;
}

static int prefix_add(struct rxq_ktier *kt, const struct rxq_rule_view *v, unsigned idx)
{
	struct group_prefix *p;

	if (kt->nprefixes == kt->cap_prefixes) {
		size_t cap = kt->cap_prefixes ? kt->cap_prefixes * 2 : 256;
		struct group_prefix *n = realloc(kt->prefixes, cap * sizeof(*n));

		if (!n)
			return -ENOMEM;
		kt->prefixes = n;
		kt->cap_prefixes = cap;
	}
	p = &kt->prefixes[kt->nprefixes++];
	memset(p, 0, sizeof(*p));
	p->group = kt->ngroups - 1;
	p->dir = v->addr[0].dir;
	p->family = v->addr[0].prefix.family == AF_INET ? 4 : 6;
	p->plen = v->addr[0].plen;
	memcpy(p->addr, v->addr[0].prefix.b, p->family == 4 ? 4 : 16);
	p->rule = idx;
	p->action = (uint8_t)v->action;
	return 0;
}

static void native_step(struct rxq_kt_step *s, const struct rxq_rule_view *v)
{
	unsigned i, w;

	s->kind = v->match_all ? RXQ_KT_ALL : RXQ_KT_NATIVE;
	s->fam = v->fam;
	s->has_proto = v->proto >= 0;
	s->proto = v->proto >= 0 ? (uint8_t)v->proto : 0;
	s->naddr = (uint8_t)v->naddr;
	s->nport = (uint8_t)v->nport;
	for (i = 0; i < v->naddr; i++) {
		struct rxq_kt_addr_term *t = &s->addr[i];
		unsigned bits = v->addr[i].prefix.family == AF_INET ? 32 : 128;

		t->dir = v->addr[i].dir;
		t->family = bits == 32 ? 4 : 6;
		memcpy(t->net, v->addr[i].prefix.b, bits / 8);
		for (w = 0; w < bits / 32; w++) {
			unsigned lo = w * 32, plen = v->addr[i].plen;
			uint32_t m = plen >= lo + 32 ? 0xffffffffu :
				     plen <= lo	     ? 0 :
						       ~0u << (32 - (plen - lo));

			t->mask[w] = htonl(m);
			t->net[w] &= t->mask[w];
		}
	}
	for (i = 0; i < v->nport; i++) {
		s->port[i].dir = v->port[i].dir;
		s->port[i].port = v->port[i].port;
	}
}

/* Can the translation run this filter? (Its program is built again by lib/steer.c.) */
static bool pcap_translates(const struct rxq_rule_view *v)
{
	RXQ_OPTS(rxq_cbpf_opts, o, .epilogue = RXQ_CBPF_RETURN);
	struct bpf_insn *insns = NULL;
	unsigned cnt = 0;
	int err;

	err = rxq_cbpf__translate(&insns, &cnt, v->insns, v->ninsns, &o);
	free(insns);
	return !err;
}

int rxq_ktier__compile(struct rxq_ktier **out, const struct rxq_rules *rules,
		       const struct rxq_ktier_opts *opts)
{
	unsigned i, n = rxq_rules__count(rules);
	struct rxq_ktier_opts o;
	bool in_group = false;
	struct rxq_ktier *kt;
	int err = 0;

	*out = NULL;
	if (RXQ_OPTS_LOAD(o, opts, rxq_ktier_opts))
		return -EINVAL;
	kt = calloc(1, sizeof(*kt));
	if (!kt)
		return -ENOMEM;
	kt->steps = calloc(RXQ_KT_STEPS_MAX, sizeof(kt->steps[0]));
	if (!kt->steps) {
		free(kt);
		return -ENOMEM;
	}
	kt->nrules = n;
	if (o.disabled) {
		kt->nrules = 0;
		snprintf(kt->why, sizeof(kt->why), "the kernel tier is off");
		*out = kt;
		return 0;
	}
	for (i = 0; i < n && !err; i++) {
		struct rxq_kt_step *s;
		struct rxq_rule_view v;

		rxq_rules__view(rules, i, &v);
		if (groupable(&v)) {
			if (!in_group) {
				if (kt->nsteps == RXQ_KT_STEPS_MAX) {
					stop(kt, i, "more steps than the kernel tier holds");
					break;
				}
				s = &kt->steps[kt->nsteps++];
				s->kind = RXQ_KT_GROUP;
				s->rule = i;
				s->group = kt->ngroups++;
				in_group = true;
			}
			s = &kt->steps[kt->nsteps - 1];
			s->last = i;
			if (v.addr[0].plen == (v.addr[0].prefix.family == AF_INET ? 32 : 128))
				s->group_hosts |= (uint8_t)(1u << v.addr[0].dir);
			else
				s->group_dirs |= (uint8_t)(1u << v.addr[0].dir);
			err = prefix_add(kt, &v, i);
			continue;
		}
		in_group = false;
		if (kt->nsteps == RXQ_KT_STEPS_MAX) {
			stop(kt, i, "more steps than the kernel tier holds");
			break;
		}
		if (v.action == RXQ_RULE_LIMIT && kt->nlimits == RXQ_KT_LIMITS_MAX) {
			stop(kt, i, "more limit rules than the kernel tier holds");
			break;
		}
		s = &kt->steps[kt->nsteps];
		memset(s, 0, sizeof(*s));
		s->rule = i;
		s->action = (uint8_t)v.action;
		switch (v.kind) {
		case RXQ_RULE_NATIVE:
			native_step(s, &v);
			break;
		case RXQ_RULE_DNS:
			if (!kt->dns) {
				err = rxq_kdns_table__new(&kt->dns);
				if (err)
					continue;
			}
			err = rxq_kdns_table__add(kt->dns, i, v.pattern, v.has_qtype, v.qtype);
			if (err == -EOPNOTSUPP || err == -EINVAL) {
				err = 0;
				stop(kt, i,
				     "its dns pattern is neither an exact name nor *.SUFFIX");
				goto done;
			}
			s->kind = RXQ_KT_DNS;
			break;
		case RXQ_RULE_PCAP:
			if (kt->npcap == RXQ_KT_PCAP_MAX) {
				stop(kt, i, "more pcap filters than the kernel tier runs");
				goto done;
			}
			if (!pcap_translates(&v)) {
				stop(kt, i, "its pcap filter cannot be translated to eBPF");
				goto done;
			}
			s->kind = RXQ_KT_PCAP;
			s->pcap_slot = (uint8_t)++kt->npcap;
			kt->pcap[kt->npcap] = v.insns;
			kt->pcap_len[kt->npcap] = v.ninsns;
			break;
		}
		if (v.action == RXQ_RULE_LIMIT) {
			struct rxq_kt_limit *l = &kt->limits[kt->nlimits];

			l->ident = rxq_limit_hash(v.limit_def, strlen(v.limit_def), KT_IDENT_SEED);
			l->rate = v.rate;
			l->new_rate = v.new_rate;
			l->key = (uint8_t)v.key;
			s->limit_slot = (uint8_t)kt->nlimits++;
		}
		kt->nsteps++;
	}
done:
	if (!err)
		err = lpm_build(kt);
	if (err) {
		rxq_ktier__free(kt);
		return err;
	}
	*out = kt;
	return 0;
}

void rxq_ktier__free(struct rxq_ktier *kt)
{
	if (!kt)
		return;
	free(kt->steps);
	free(kt->prefixes);
	free(kt->lpm);
	free(kt->hosts);
	rxq_kdns_table__free(kt->dns);
	free(kt);
}

unsigned rxq_ktier__nrules(const struct rxq_ktier *kt)
{
	return kt->nrules;
}

const char *rxq_ktier__why(const struct rxq_ktier *kt)
{
	return kt->why;
}

const char *rxq_ktier__where(const struct rxq_ktier *kt, unsigned idx)
{
	return idx < kt->nrules ? "xdp" : "user space";
}

const struct rxq_kt_step *rxq_ktier__steps(const struct rxq_ktier *kt, unsigned *n)
{
	*n = kt->nrules ? kt->nsteps : 0;
	return kt->steps;
}

const struct rxq_kt_lpm_entry *rxq_ktier__lpm(const struct rxq_ktier *kt, size_t *n)
{
	*n = kt->nlpm;
	return kt->lpm;
}

const struct rxq_kt_lpm_entry *rxq_ktier__hosts(const struct rxq_ktier *kt, size_t *n)
{
	*n = kt->nhosts;
	return kt->hosts;
}

const struct rxq_kt_limit *rxq_ktier__limits(const struct rxq_ktier *kt, unsigned *n)
{
	*n = kt->nlimits;
	return kt->limits;
}

const struct rxq_kdns_table *rxq_ktier__dns(const struct rxq_ktier *kt)
{
	return kt->dns;
}

const void *rxq_ktier__pcap(const struct rxq_ktier *kt, unsigned slot, unsigned *ninsns)
{
	if (slot < 1 || slot > kt->npcap) {
		*ninsns = 0;
		return NULL;
	}
	*ninsns = kt->pcap_len[slot];
	return kt->pcap[slot];
}

unsigned rxq_ktier__npcap(const struct rxq_ktier *kt)
{
	return kt->npcap;
}
