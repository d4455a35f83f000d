// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel tier's DNS parser (dns_shared.h, compiled for user space) against
 * rxq_dns__parse_question() on arbitrary messages. Properties: RXQ_KDNS_OK gives exactly user
 * space's name and qtype; RXQ_KDNS_NOT_DNS only for messages user space refuses; and the lookups
 * in a fixed table give the rule rxq_rules_glob() and first-match order give. The message is also
 * tried with a shorter length than the bytes (padding) and with fewer bytes than the length (a
 * frame cut short), the cut taken from the message ID, which parsing ignores.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/dns.h"
#include "rxq/kdns.h"

bool rxq_rules_glob(const char *pat, const char *name);

static void check(int ok)
{
	if (!ok)
		abort();
}

static const struct {
	const char *pattern;
	bool has_qtype;
	uint16_t qtype;
} rules[] = {
	{ "www.attack.example", true, 1 },
	{ "*.attack.example", true, 28 },
	{ "attack.example", false, 0 },
	{ "*.example", true, 16 },
	{ "*.attack.example", false, 0 },
	{ "", false, 0 },
	{ "*.com", true, 255 },
	{ "x.com", false, 0 },
	{ "*.a.b", true, 1 },
	{ "*.b", false, 0 },
	{ "example", false, 0 },
	{ "*.x.com", true, 1 },
	{ "*.x.com", true, 2 },
	{ "*.x.com", true, 5 },
	{ "*.x.com", true, 6 },
	{ "*.x.com", true, 12 },
	{ "*.x.com", false, 0 },
};
#define NRULES (sizeof(rules) / sizeof(rules[0]))

static struct rxq_kdns_table *table(void)
{
	static struct rxq_kdns_table *t;

	if (!t) {
		check(rxq_kdns_table__new(&t) == 0);
		for (size_t i = 0; i < NRULES; i++)
			check(rxq_kdns_table__add(t, (uint32_t)i, rules[i].pattern,
						  rules[i].has_qtype, rules[i].qtype) == 0);
	}
	return t;
}

static void one(const uint8_t *msg, size_t have, size_t len)
{
	size_t eff = have < len ? have : len;
	struct rxq_dns_question q;
	struct rxq_kdns_name nm;
	enum rxq_dns_result u;
	uint32_t rule, want;
	int k, d;

	k = rxq_kdns_parse(msg, msg + have, (__u32)len, &nm);
	u = rxq_dns__parse_question(msg, eff, &q);
	if (k == RXQ_KDNS_NOT_DNS)
		check(u != RXQ_DNS_OK);
	if (k != RXQ_KDNS_OK)
		return;
	check(u == RXQ_DNS_OK);
	check(nm.len == strlen(q.qname) && nm.len <= RXQ_KDNS_NAME_MAX);
	check(!memcmp(nm.name, q.qname, nm.len));
	check(nm.qtype == q.qtype);
	for (unsigned i = 0; i < nm.nlabels; i++)
		check(nm.start[i] < nm.len && (i == 0 || nm.name[nm.start[i] - 1] == '.'));

	d = rxq_kdns_table__match(table(), &nm, &rule);
	for (want = 0; want < NRULES; want++)
		if ((!rules[want].has_qtype || rules[want].qtype == q.qtype) &&
		    rxq_rules_glob(rules[want].pattern, q.qname))
			break;
	if (d == RXQ_KDNS_OK) {
		check(rule == (want == NRULES ? RXQ_KDNS_RULE_NONE : want));
	} else {
		/* rules 11-15 overflow the value of ".x.com": user space decides from 14 on */
		check(d == RXQ_KDNS_UNDECIDED && want >= 14);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut = size >= 2 ? data[1] & 31 : 0;

	one(data, size, size);
	one(data, size, size > cut ? size - cut : 0);
	one(data, size > cut ? size - cut : 0, size);
	return 0;
}
