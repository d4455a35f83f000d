// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Kernel tier of dns rules (dns_shared.h, lib/kdns.c). The parser must never disagree with
 * rxq_dns__parse_question(): OK means the same name and qtype, NOT_DNS means user space refuses
 * the message too. Held to that on generated and mutated messages, first compiled for user space,
 * then on the BPF side through the kdns_test XDP program and BPF_PROG_TEST_RUN (needs root;
 * skipped otherwise), where the lookups are also held to rxq_rules_glob() and first-match order.
 * RXQ_TEST_SEED=N changes the generated messages.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include <bpf/bpf.h>
#include <bpf/libbpf.h>

#include "rxq/dns.h"
#include "rxq/kdns.h"
#include "kdns_test.skel.h"

bool rxq_rules_glob(const char *pat, const char *name);

/* ---- generated messages ---- */

static uint64_t rng_state;

static uint64_t rnd(void)
{
	/* xorshift64* */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dull;
}

static unsigned rnd_below(unsigned n)
{
	return (unsigned)(rnd() % n);
}

static void rng_seed(void)
{
	const char *s = getenv("RXQ_TEST_SEED");

	rng_state = s ? strtoull(s, NULL, 0) : 0x6b646e73u;
	if (!rng_state)
		rng_state = 1;
}

#define MSG_CAP 1024

struct msg {
	uint8_t b[MSG_CAP];
	size_t len;
	bool plain; /* generated, not mutated */
};

static const char *const vocab[] = { "www",  "attack", "example",	"a",   "b",
				     "mail", "x",      "com",		"net", "_srv",
				     "tcp",  "victim", "xn--bcher-kva", "ns1" };
#define NVOCAB (sizeof(vocab) / sizeof(vocab[0]))

/* One byte of a label: mostly what names hold, sometimes what needs a \DDD escape. */
static uint8_t label_byte(void)
{
	static const uint8_t odd[] = {
		0, '.', ' ', '\\', '*', '?', 0x7f, 0x80, 0xff, '@', '"', ';'
	};
	unsigned r = rnd_below(100);

	if (r < 60)
		return (uint8_t)('a' + rnd_below(26));
	if (r < 75)
		return (uint8_t)('A' + rnd_below(26));
	if (r < 85)
		return (uint8_t)('0' + rnd_below(10));
	if (r < 88)
		return '-';
	if (r < 90)
		return '_';
	if (r < 97)
		return odd[rnd_below(sizeof(odd))];
	return (uint8_t)rnd();
}

/* Appends a wire-form name of random shape; returns false when it does not fit. */
static bool put_name(struct msg *m, bool odd_bytes)
{
	unsigned shape = rnd_below(100), nlabels, i, j;

	if (shape < 5)
		nlabels = 0;
	else if (shape < 70)
		nlabels = 1 + rnd_below(5);
	else if (shape < 90)
		nlabels = 1 + rnd_below(40);
	else if (shape < 95)
		nlabels = 127; /* one-byte labels: the most a name holds */
	else
		nlabels = 60 + rnd_below(80);
	for (i = 0; i < nlabels; i++) {
		const char *w = !odd_bytes && rnd_below(2) ? vocab[rnd_below(NVOCAB)] : NULL;
		unsigned len;

		if (w)
			len = (unsigned)strlen(w);
		else if (nlabels >= 100)
			len = 1;
		else if (rnd_below(4))
			len = 1 + rnd_below(12);
		else
			len = 1 + rnd_below(63);
		if (m->len + 1 + len + 5 > MSG_CAP)
			return false;
		m->b[m->len++] = (uint8_t)len;
		for (j = 0; j < len; j++) {
			if (w) /* sometimes upper case */
				m->b[m->len++] =
					(uint8_t)(w[j] >= 'a' && !rnd_below(5) ? w[j] - 32 : w[j]);
			else
				m->b[m->len++] = odd_bytes ? label_byte() :
							     (uint8_t)('a' + rnd_below(26));
		}
	}
	m->b[m->len++] = 0;
	return true;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t rnd_qtype(void)
{
	static const uint16_t common[] = { 1, 28, 255, 16, 15, 2, 5, 12, 33, 65 };

	return rnd_below(5) ? common[rnd_below(10)] : (uint16_t)rnd();
}

/* A message built from raw labels (names of any length, odd bytes). */
static void gen_raw(struct msg *m)
{
	bool odd = rnd_below(3) == 0;

	memset(m, 0, sizeof(*m));
	put16(m->b, (uint16_t)rnd());
	put16(m->b + 2, rnd_below(4) ? 0x0100 : (uint16_t)rnd()); /* QR, opcodes, ... */
	put16(m->b + 4, 1);
	m->len = 12;
	while (!put_name(m, odd)) {
		m->len = 12;
		odd = false;
	}
	put16(m->b + m->len, rnd_qtype());
	put16(m->b + m->len + 2, 1);
	m->len += 4;
	m->plain = true;
}

/* Presentation form of a random name, for rxq_dns__build_query(). */
static void gen_text_name(char *s, size_t cap)
{
	unsigned nlabels = rnd_below(6), i, j;
	size_t n = 0;

	for (i = 0; i < nlabels; i++) {
		unsigned len = 1 + rnd_below(rnd_below(4) ? 10 : 63);

		if (i && n + 1 < cap)
			s[n++] = '.';
		for (j = 0; j < len && n + 5 < cap; j++) {
			uint8_t c = rnd_below(10) ? (uint8_t)('a' + rnd_below(26)) : label_byte();

			if (c == '.' || c == '\\' || c < 0x21 || c > 0x7e)
				n += (size_t)snprintf(s + n, cap - n, "\\%03u", c);
			else
				s[n++] = (char)c;
		}
	}
	s[n] = '\0';
}

static void gen_built(struct msg *m)
{
	char name[600];
	int len;

	memset(m, 0, sizeof(*m));
	do {
		gen_text_name(name, sizeof(name));
		len = rxq_dns__build_query(m->b, MSG_CAP, (uint16_t)rnd(), name, rnd_qtype());
	} while (len < 0); /* a name over 253 characters */
	m->len = (size_t)len;
	m->plain = true;
}

/* Damage of the kinds rxq_dns__parse_question() looks for. */
static void mutate(struct msg *m)
{
	unsigned kind = rnd_below(12), at;

	m->plain = false;
	if (m->len < 13)
		return;
	at = 12 + rnd_below((unsigned)m->len - 12);
	switch (kind) {
	case 0: /* any byte */
		m->b[rnd_below((unsigned)m->len)] = (uint8_t)rnd();
		break;
	case 1: /* a compression pointer: backwards, into the header, forwards, at itself */
		if (at + 1 < m->len) {
			unsigned target = rnd_below(3) ? rnd_below(at + 1) : rnd_below(0x4000);

			m->b[at] = (uint8_t)(0xc0 | target >> 8);
			m->b[at + 1] = (uint8_t)target;
		}
		break;
	case 2: /* label types 01 and 10 */
		m->b[at] = (uint8_t)(rnd_below(2) ? 0x40 : 0x80) | (m->b[at] & 0x3f);
		break;
	case 3: /* a length octet off by a little */
		m->b[at] = (uint8_t)(m->b[at] + rnd_below(5) - 2);
		break;
	case 4: /* qdcount */
		put16(m->b + 4, (uint16_t)(rnd_below(2) ? 0 : rnd_below(3) ? 2 : rnd()));
		break;
	case 5: /* flags: QR, opcode, rcode */
		put16(m->b + 2, (uint16_t)rnd());
		break;
	case 6: /* cut short */
		m->len = rnd_below((unsigned)m->len + 1);
		break;
	case 7: /* trailing bytes (answers, EDNS, garbage) */
		while (m->len < MSG_CAP && rnd_below(20))
			m->b[m->len++] = (uint8_t)rnd();
		break;
	case 8: /* upper case */
		if (m->b[at] >= 'a' && m->b[at] <= 'z')
			m->b[at] = (uint8_t)(m->b[at] - 32);
		break;
	case 9: /* a byte that needs an escape */
		m->b[at] = rnd_below(2) ? 0 : (uint8_t)(0x80 + rnd_below(128));
		break;
	case 10: /* a pointer at the very start of the name */
		m->b[12] = 0xc0;
		m->b[13] = (uint8_t)rnd_below(16);
		break;
	default: /* a length octet of 63, or a zero in the middle */
		m->b[at] = rnd_below(2) ? 63 : 0;
		break;
	}
}

static void gen(struct msg *m)
{
	unsigned r = rnd_below(10), i, n;

	if (r < 4)
		gen_built(m);
	else
		gen_raw(m);
	n = rnd_below(3) ? 0 : 1 + rnd_below(3);
	for (i = 0; i < n; i++)
		mutate(m);
}

/* ---- the reference: what user space makes of it, and why the kernel may not judge it ---- */

enum ref {
	REF_OK,
	REF_REFUSED,
	REF_POINTER, /* the walk reaches a compression pointer */
	REF_LONG, /* the presentation form outgrows RXQ_KDNS_NAME_MAX first */
	REF_FRAME_END, /* the walk needs a byte the message has but the frame lacks */
};

/*
 * The walk of rxq_dns__parse_question() over a @len-byte message of which @have bytes are there,
 * stopping at pointers and measuring the presentation form.
 */
static enum ref ref_walk(const uint8_t *msg, size_t have, size_t len)
{
	size_t pos = 12, out = 0;
	unsigned wire = 1;

	if (len < 12)
		return REF_REFUSED;
	if (have < 12)
		return REF_FRAME_END;
	if (!msg[4] && !msg[5])
		return REF_REFUSED;
	for (;;) {
		uint8_t b;

		if (pos >= len)
			return REF_REFUSED;
		if (pos >= have)
			return REF_FRAME_END;
		b = msg[pos];
		if ((b & 0xc0) == 0xc0)
			return REF_POINTER;
		if (b & 0xc0)
			return REF_REFUSED;
		if (b == 0) {
			if (len - pos - 1 < 4)
				return REF_REFUSED;
			return have - pos - 1 < 4 ? REF_FRAME_END : REF_OK;
		}
		wire += 1u + b;
		if (wire > 255 || len - pos - 1 < b)
			return REF_REFUSED;
		if (have - pos - 1 < b)
			return REF_FRAME_END;
		if (out)
			out++;
		for (unsigned j = 0; j < b; j++) {
			uint8_t c = msg[pos + 1 + j];

			if (c >= 'A' && c <= 'Z')
				c = (uint8_t)(c + 32);
			out += ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
				c == '_') ?
				       1 :
				       4;
		}
		if (out > RXQ_KDNS_NAME_MAX)
			return REF_LONG;
		pos += 1u + b;
	}
}

struct tally {
	unsigned ok, not_dns, undecided;
};

/* The parsed name is user space's name, and its label starts are where the labels start. */
static void assert_same_name(const struct rxq_kdns_name *nm, const struct rxq_dns_question *q)
{
	unsigned dots = 0;

	assert_int_equal(nm->len, strlen(q->qname));
	assert_memory_equal(nm->name, q->qname, nm->len);
	assert_int_equal(nm->qtype, q->qtype);
	for (unsigned i = 0; i < nm->len; i++)
		dots += nm->name[i] == '.';
	assert_int_equal(nm->nlabels, nm->len ? dots + 1 : 0);
	for (unsigned i = 0; i < nm->nlabels; i++) {
		assert_true(nm->start[i] < nm->len);
		assert_true(i == 0 ? nm->start[i] == 0 : nm->name[nm->start[i] - 1] == '.');
		assert_true(nm->name[nm->start[i]] != '.');
	}
}

/*
 * One message: @len bytes by the UDP header, @have of them in the frame. Returns the kernel
 * answer after holding it to user space.
 */
static int check_msg(const uint8_t *msg, size_t have, uint32_t len, struct tally *t)
{
	size_t eff = len < have ? len : have;
	struct rxq_dns_question q;
	struct rxq_kdns_name nm;
	enum rxq_dns_result u;
	enum ref ref;
	int k;

	memset(&nm, 0x5a, sizeof(nm));
	k = rxq_kdns_parse(msg, msg + have, len, &nm);
	u = rxq_dns__parse_question(msg, eff, &q);
	ref = ref_walk(msg, have, len);
	switch (k) {
	case RXQ_KDNS_OK:
		assert_int_equal(u, RXQ_DNS_OK);
		assert_same_name(&nm, &q);
		assert_int_equal(ref, REF_OK);
		t->ok++;
		break;
	case RXQ_KDNS_NOT_DNS:
		assert_int_not_equal(u, RXQ_DNS_OK);
		assert_int_equal(ref, REF_REFUSED);
		t->not_dns++;
		break;
	case RXQ_KDNS_UNDECIDED:
		/* only at a pointer, a name longer than the key, or bytes the frame lacks */
		assert_true(ref == REF_POINTER || ref == REF_LONG || ref == REF_FRAME_END);
		t->undecided++;
		break;
	default:
		fail_msg("rxq_kdns_parse returned %d", k);
	}
	return k;
}

static void test_parse_matches_user_space(void **state)
{
	struct tally t = { 0 };
	unsigned plain_decided = 0;
	struct msg m;

	(void)state;
	rng_seed();
	for (unsigned n = 0; n < 30000; n++) {
		int k;

		gen(&m);
		k = check_msg(m.b, m.len, (uint32_t)m.len, &t);
		plain_decided += m.plain && k == RXQ_KDNS_OK;
		/* a UDP length shorter than the frame (padding after it), and one longer */
		check_msg(m.b, m.len, (uint32_t)rnd_below((unsigned)m.len + 1), &t);
		check_msg(m.b, m.len, (uint32_t)m.len + rnd_below(100), &t);
		if (n % 8 == 0)
			for (size_t cut = 0; cut < m.len; cut++) {
				check_msg(m.b, cut, (uint32_t)m.len, &t);
				check_msg(m.b, m.len, (uint32_t)cut, &t);
			}
	}
	print_message("kdns parse: %u OK, %u NOT_DNS, %u UNDECIDED; %u plain queries decided\n",
		      t.ok, t.not_dns, t.undecided, plain_decided);
	assert_true(t.ok > 10000 && t.not_dns > 10000 && t.undecided > 1000);
	assert_true(plain_decided > 5000);
}

static void test_parse_examples(void **state)
{
	static const uint8_t upper[] = { 0x12, 0x34, 0x81, 0x80, 0,   2,   0,  0,   0,	 0,
					 0,    0,    3,	   'W',	 'w', 'W', 7,  'E', 'x', 'A',
					 'm',  'p',  'L',  'e',	 0,   0,   28, 0,   1 };
	static const uint8_t escapes[] = { 0, 0,   0,	0,    0, 1, 0, 0, 0,  0, 0, 0,
					   3, 'a', '.', 0xff, 1, 0, 0, 0, 16, 0, 1 };
	static const uint8_t pointer[] = { 0, 0, 0, 0,	 0,    1,  0, 0, 0, 0,
					   0, 0, 1, 'a', 0xc0, 12, 0, 1, 0, 1 };
	static const uint8_t root[] = { 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 1 };
	struct rxq_kdns_name nm;

	(void)state;
	/* QR set, qdcount 2, upper case: user space takes it, so does the kernel */
	assert_int_equal(rxq_kdns__parse(upper, sizeof(upper), &nm), RXQ_KDNS_OK);
	assert_int_equal(nm.len, strlen("www.example"));
	assert_memory_equal(nm.name, "www.example", nm.len);
	assert_int_equal(nm.qtype, 28);
	assert_int_equal(nm.nlabels, 2);
	assert_int_equal(nm.start[1], 4);
	/* qtype cut short, then qclass cut short */
	assert_int_equal(rxq_kdns__parse(upper, sizeof(upper) - 3, &nm), RXQ_KDNS_NOT_DNS);
	assert_int_equal(rxq_kdns__parse(upper, sizeof(upper) - 1, &nm), RXQ_KDNS_NOT_DNS);
	/* escapes are written as user space writes them */
	assert_int_equal(rxq_kdns__parse(escapes, sizeof(escapes), &nm), RXQ_KDNS_OK);
	assert_int_equal(nm.len, strlen("a\\046\\255.\\000"));
	assert_memory_equal(nm.name, "a\\046\\255.\\000", nm.len);
	/* a pointer: user space follows it (here to a loop it refuses), the kernel does not */
	assert_int_equal(rxq_kdns__parse(pointer, sizeof(pointer), &nm), RXQ_KDNS_UNDECIDED);
	/* the root */
	assert_int_equal(rxq_kdns__parse(root, sizeof(root), &nm), RXQ_KDNS_OK);
	assert_int_equal(nm.len, 0);
	assert_int_equal(nm.nlabels, 0);
	assert_int_equal(nm.qtype, 2);
	/* no question, short header */
	assert_int_equal(rxq_kdns__parse(root, 11, &nm), RXQ_KDNS_NOT_DNS);
	{
		uint8_t none[sizeof(root)];

		memcpy(none, root, sizeof(root));
		none[5] = 0;
		assert_int_equal(rxq_kdns__parse(none, sizeof(none), &nm), RXQ_KDNS_NOT_DNS);
	}
}

/* Names right at the key's limit: RXQ_KDNS_NAME_MAX bytes are judged, one more is not. */
static void test_parse_length_limit(void **state)
{
	uint8_t buf[600];
	char name[300];
	struct rxq_kdns_name nm;
	struct rxq_dns_question q;
	int len;

	(void)state;
	/* 63 + 1 + 62 + 1 + 1 = 128 */
	memset(name, 'a', 63);
	name[63] = '.';
	memset(name + 64, 'b', 62);
	strcpy(name + 126, ".c");
	len = rxq_dns__build_query(buf, sizeof(buf), 1, name, 1);
	assert_true(len > 0);
	assert_int_equal(rxq_kdns__parse(buf, (size_t)len, &nm), RXQ_KDNS_OK);
	assert_int_equal(rxq_dns__parse_question(buf, (size_t)len, &q), RXQ_DNS_OK);
	assert_int_equal(nm.len, RXQ_KDNS_NAME_MAX);
	assert_memory_equal(nm.name, q.qname, RXQ_KDNS_NAME_MAX);
	strcat(name, "d");
	len = rxq_dns__build_query(buf, sizeof(buf), 1, name, 1);
	assert_int_equal(rxq_kdns__parse(buf, (size_t)len, &nm), RXQ_KDNS_UNDECIDED);
	/* an escape that would end past the key */
	strcpy(name + 126, ".\\255");
	len = rxq_dns__build_query(buf, sizeof(buf), 1, name, 1);
	assert_int_equal(rxq_kdns__parse(buf, (size_t)len, &nm), RXQ_KDNS_UNDECIDED);
	/* 64 one-letter labels: 127 bytes */
	for (int i = 0; i < 64; i++) {
		name[2 * i] = 'z';
		name[2 * i + 1] = '.';
	}
	name[127] = '\0';
	len = rxq_dns__build_query(buf, sizeof(buf), 1, name, 1);
	assert_int_equal(rxq_kdns__parse(buf, (size_t)len, &nm), RXQ_KDNS_OK);
	assert_int_equal(nm.nlabels, 64);
	assert_int_equal(nm.start[RXQ_KDNS_NAME_MAX / 2 - 1], 126);
}

/* ---- patterns and the table ---- */

static void test_pattern(void **state)
{
	static const struct {
		const char *pattern;
		int ret;
		const char *key;
		bool suffix;
		unsigned labels;
	} cases[] = {
		{ "example.com", 0, "example.com", false, 2 },
		{ "Example.COM.", 0, "example.com", false, 2 },
		{ "*.example.com", 0, ".example.com", true, 2 },
		{ "**.example.com", 0, ".example.com", true, 2 },
		{ "*.com", 0, ".com", true, 1 },
		{ "com", 0, "com", false, 1 },
		{ ".", 0, "", false, 0 },
		{ "_dmarc.x-y.example", 0, "_dmarc.x-y.example", false, 3 },
		{ "*", -EOPNOTSUPP, NULL, false, 0 },
		{ "*.", -EOPNOTSUPP, NULL, false, 0 },
		{ "**", -EOPNOTSUPP, NULL, false, 0 },
		{ "*example.com", -EOPNOTSUPP, NULL, false, 0 },
		{ "www.*.com", -EOPNOTSUPP, NULL, false, 0 },
		{ "*.*.com", -EOPNOTSUPP, NULL, false, 0 },
		{ "example.*", -EOPNOTSUPP, NULL, false, 0 },
		{ "ex?mple.com", -EOPNOTSUPP, NULL, false, 0 },
		{ "?.com", -EOPNOTSUPP, NULL, false, 0 },
		{ "a..b", -EINVAL, NULL, false, 0 },
		{ ".a", -EINVAL, NULL, false, 0 },
		{ "a b", -EINVAL, NULL, false, 0 },
		{ "a\\046b", -EINVAL, NULL, false, 0 },
	};
	struct rxq_kdns_pattern p;
	char buf[300];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int ret = rxq_kdns__pattern(cases[i].pattern, &p);

		if (ret != cases[i].ret)
			fail_msg("%s: %d, expected %d", cases[i].pattern, ret, cases[i].ret);
		if (ret)
			continue;
		assert_int_equal(p.key.len, strlen(cases[i].key));
		assert_memory_equal(p.key.name, cases[i].key, p.key.len);
		for (size_t j = p.key.len; j < RXQ_KDNS_NAME_MAX; j++)
			assert_int_equal(p.key.name[j], 0);
		assert_int_equal(p.suffix, cases[i].suffix);
		assert_int_equal(p.labels, cases[i].labels);
	}
	/* the key's limits: RXQ_KDNS_NAME_MAX bytes, RXQ_KDNS_LABELS_MAX labels */
	memset(buf, 'a', RXQ_KDNS_NAME_MAX);
	buf[RXQ_KDNS_NAME_MAX] = '\0';
	assert_int_equal(rxq_kdns__pattern(buf, &p), 0);
	buf[RXQ_KDNS_NAME_MAX] = 'a';
	buf[RXQ_KDNS_NAME_MAX + 1] = '\0';
	assert_int_equal(rxq_kdns__pattern(buf, &p), -EOPNOTSUPP);
	buf[0] = '*';
	buf[1] = '.';
	assert_int_equal(rxq_kdns__pattern(buf, &p), 0); /* "*." + 127: the key is 128 */
	for (int i = 0; i < RXQ_KDNS_LABELS_MAX; i++) {
		buf[2 * i] = 'l';
		buf[2 * i + 1] = '.';
	}
	buf[2 * RXQ_KDNS_LABELS_MAX - 1] = '\0';
	assert_int_equal(rxq_kdns__pattern(buf, &p), 0);
	assert_int_equal(p.labels, RXQ_KDNS_LABELS_MAX);
	strcat(buf, ".m");
	assert_int_equal(rxq_kdns__pattern(buf, &p), -EOPNOTSUPP);
}

static struct rxq_kdns_key key_of(const char *s)
{
	struct rxq_kdns_key k;

	memset(&k, 0, sizeof(k));
	k.len = (uint8_t)strlen(s);
	memcpy(k.name, s, k.len);
	return k;
}

static void test_table_values(void **state)
{
	struct rxq_kdns_table *t;
	const struct rxq_kdns_value *v;
	const struct rxq_kdns_entry *e;
	struct rxq_kdns_key k;
	size_t n;

	(void)state;
	assert_int_equal(rxq_kdns_table__new(&t), 0);
	assert_int_equal(rxq_kdns_table__add(t, 0, "www.example.com", true, 1), 0);
	assert_int_equal(rxq_kdns_table__add(t, 1, "*.example.com", false, 0), 0);
	assert_int_equal(rxq_kdns_table__add(t, 2, "WWW.example.com.", true, 28), 0);
	assert_int_equal(rxq_kdns_table__add(t, 3, "www.example.com", true, 1), 0); /* shadowed */
	assert_int_equal(rxq_kdns_table__add(t, 4, "www.example.com", false, 0), 0);
	assert_int_equal(rxq_kdns_table__add(t, 5, "www.example.com", true, 16), 0); /* shadowed */
	assert_int_equal(rxq_kdns_table__add(t, 6, "*.example.com", true, 1), 0); /* shadowed */
	assert_int_equal(rxq_kdns_table__add(t, 6, "x.com", false, 0), -EINVAL); /* order */
	assert_int_equal(rxq_kdns_table__add(t, 7, "a b", false, 0), -EINVAL);

	e = rxq_kdns_table__entries(t, &n);
	assert_int_equal(n, 2);
	assert_non_null(e);
	k = key_of("www.example.com");
	v = rxq_kdns_table__lookup(t, &k);
	assert_non_null(v);
	assert_int_equal(v->r[0].rule, 0);
	assert_int_equal(v->r[0].qtype, 1);
	assert_int_equal(v->r[0].flags, 0);
	assert_int_equal(v->r[1].rule, 2);
	assert_int_equal(v->r[1].qtype, 28);
	assert_int_equal(v->r[2].rule, 4);
	assert_int_equal(v->r[2].flags, RXQ_KDNS_R_ANY);
	assert_int_equal(v->r[3].rule, RXQ_KDNS_RULE_NONE);
	k = key_of(".example.com");
	v = rxq_kdns_table__lookup(t, &k);
	assert_non_null(v);
	assert_int_equal(v->r[0].rule, 1);
	assert_int_equal(v->r[0].flags, RXQ_KDNS_R_ANY);
	assert_int_equal(v->r[1].rule, RXQ_KDNS_RULE_NONE);
	k = key_of("example.com");
	assert_null(rxq_kdns_table__lookup(t, &k));
	assert_int_equal(rxq_kdns_table__config(t)->exact_labels, 1u << 3);
	assert_int_equal(rxq_kdns_table__config(t)->suffix_labels, 1u << 2);
	assert_int_equal(rxq_kdns_table__config(t)->unexpressed, RXQ_KDNS_RULE_NONE);
	rxq_kdns_table__free(t);
}

static void test_table_punt_and_unexpressed(void **state)
{
	struct rxq_kdns_table *t;
	const struct rxq_kdns_value *v;
	struct rxq_kdns_key k;
	size_t n;

	(void)state;
	assert_int_equal(rxq_kdns_table__new(&t), 0);
	for (uint32_t r = 0; r < 6; r++)
		assert_int_equal(rxq_kdns_table__add(t, 10 + r, "*.x.com", true, (uint16_t)(r + 1)),
				 0);
	k = key_of(".x.com");
	v = rxq_kdns_table__lookup(t, &k);
	assert_non_null(v);
	assert_int_equal(v->r[2].rule, 12);
	assert_int_equal(v->r[2].qtype, 3);
	assert_int_equal(v->r[3].rule, 13);
	assert_int_equal(v->r[3].flags, RXQ_KDNS_R_PUNT);
	assert_int_equal(rxq_kdns_table__add(t, 20, "a.com", false, 0), 0);
	assert_int_equal(rxq_kdns_table__add(t, 21, "a?.com", false, 0), -EOPNOTSUPP);
	assert_int_equal(rxq_kdns_table__add(t, 22, "b.com", false, 0), 0);
	assert_int_equal(rxq_kdns_table__add(t, 23, "*c.com", false, 0), -EOPNOTSUPP);
	rxq_kdns_table__entries(t, &n);
	assert_int_equal(n, 2); /* b.com is not stored: it could only win after rule 21 */
	assert_int_equal(rxq_kdns_table__config(t)->unexpressed, 21);
	rxq_kdns_table__free(t);
}

/* ---- lookups against rxq_rules_glob() and first-match order ---- */

struct rule_spec {
	const char *pattern; /* normalised, as rules.c stores it */
	bool has_qtype;
	uint16_t qtype;
};

/* Every pattern the kernel judges; no key holds more rules than fit. */
static const struct rule_spec rules_a[] = {
	{ "www.attack.example", true, 1 },
	{ "*.attack.example", true, 28 },
	{ "attack.example", false, 0 },
	{ "*.example", true, 16 },
	{ "www.attack.example", false, 0 },
	{ "*.attack.example", false, 0 },
	{ "mail.x.com", true, 15 },
	{ "*.com", true, 255 },
	{ "", false, 0 },
	{ "*.x.com", false, 0 },
	{ "x.com", true, 1 },
	{ "*.tcp.victim.net", false, 0 },
	{ "_srv.tcp.victim.net", true, 33 },
	{ "*.net", true, 1 },
	{ "a.b.a.b", false, 0 },
	{ "*.a.b", true, 1 },
	{ "*.b", false, 0 },
	{ "xn--bcher-kva.example", false, 0 },
	{ "*.example", false, 0 },
	{ "example", true, 2 },
	{ "*.www.www.www", false, 0 },
	{ "ns1", false, 0 },
	{ "*.ns1", true, 65 },
	{ "com", false, 0 },
};

/* More rules per key than fit (punts), and patterns the kernel leaves to user space. */
static const struct rule_spec rules_b[] = {
	{ "*.x.com", true, 1 },
	{ "*.x.com", true, 28 },
	{ "*.x.com", true, 16 },
	{ "*.x.com", true, 15 },
	{ "*.x.com", true, 2 },
	{ "*.x.com", false, 0 },
	{ "www.attack.example", true, 1 },
	{ "www.attack.example", true, 1 },
	{ "www.attack.example", true, 28 },
	{ "www.attack.example", true, 255 },
	{ "www.attack.example", true, 16 },
	{ "www.attack.example", true, 15 },
	{ "a.com", false, 0 },
	{ "*.b", true, 1 },
	{ "w?w.attack.example", false, 0 },
	{ "*.attack.example", false, 0 },
	{ "*", false, 0 },
};

static int table_build(struct rxq_kdns_table **out, const struct rule_spec *rules, size_t n)
{
	struct rxq_kdns_table *t;

	assert_int_equal(rxq_kdns_table__new(&t), 0);
	for (size_t i = 0; i < n; i++) {
		int ret = rxq_kdns_table__add(t, (uint32_t)i, rules[i].pattern, rules[i].has_qtype,
					      rules[i].qtype);

		assert_true(ret == 0 || ret == -EOPNOTSUPP);
	}
	*out = t;
	return 0;
}

/* First rule matching the question the way rules.c matches it. */
static uint32_t ref_first_match(const struct rule_spec *rules, size_t n,
				const struct rxq_dns_question *q)
{
	for (size_t i = 0; i < n; i++)
		if ((!rules[i].has_qtype || rules[i].qtype == q->qtype) &&
		    rxq_rules_glob(rules[i].pattern, q->qname))
			return (uint32_t)i;
	return RXQ_KDNS_RULE_NONE;
}

/* Names over the vocabulary of the rules, so that they often match. */
static void gen_vocab(struct msg *m)
{
	static const uint16_t qtypes[] = { 1, 28, 16, 15, 2, 255, 33, 65, 5 };

	memset(m, 0, sizeof(*m));
	put16(m->b + 2, 0x0100);
	put16(m->b + 4, 1);
	static const char *const tails[] = {
		"attack.example", "x.com",	    "com",     "b",	  "a.b",
		"victim.net",	  "tcp.victim.net", "example", "www.www", "ns1"
	};
	const char *tail = rnd_below(2) ? tails[rnd_below(sizeof(tails) / sizeof(tails[0]))] : "";
	unsigned n = rnd_below(*tail ? 4 : 7);

	m->len = 12;
	for (unsigned i = 0; i <= n; i++) {
		const char *w = i < n ? vocab[rnd_below(NVOCAB)] : tail;

		while (*w) {
			size_t len = strcspn(w, ".");

			m->b[m->len++] = (uint8_t)len;
			for (size_t j = 0; j < len; j++)
				m->b[m->len++] = (uint8_t)(rnd_below(8) ? w[j] : (w[j] & ~0x20));
			if (!rnd_below(30))
				m->b[m->len - 1] = (uint8_t)rnd(); /* maybe an escape */
			w += len + (w[len] == '.');
		}
	}
	m->b[m->len++] = 0;
	put16(m->b + m->len, qtypes[rnd_below(sizeof(qtypes) / sizeof(qtypes[0]))]);
	put16(m->b + m->len + 2, 1);
	m->len += 4;
	if (!rnd_below(10))
		mutate(m);
}

static void gen_any(struct msg *m)
{
	if (rnd_below(3))
		gen_vocab(m);
	else
		gen(m);
}

/* Holds the table's answer for one message to the reference; returns the answer. */
static int check_match(const struct rxq_kdns_table *t, const struct rule_spec *rules, size_t n,
		       const uint8_t *msg, size_t len, uint32_t *rule_out)
{
	struct rxq_dns_question q;
	struct rxq_kdns_name nm;
	uint32_t rule;
	int k, d;

	k = rxq_kdns__parse(msg, len, &nm);
	if (k != RXQ_KDNS_OK)
		return -1;
	assert_int_equal(rxq_dns__parse_question(msg, len, &q), RXQ_DNS_OK);
	d = rxq_kdns_table__match(t, &nm, &rule);
	if (d == RXQ_KDNS_OK) {
		uint32_t want = ref_first_match(rules, n, &q);

		if (rule != want)
			fail_msg("%s qtype %u: rule %u, rules.c says %u", q.qname, q.qtype, rule,
				 want);
	} else {
		assert_int_equal(d, RXQ_KDNS_UNDECIDED);
		assert_int_equal(rule, RXQ_KDNS_RULE_NONE);
	}
	*rule_out = rule;
	return d;
}

static void test_match_first_rule(void **state)
{
	struct rxq_kdns_table *ta, *tb;
	unsigned hits = 0, undecided = 0, decided_b = 0;
	struct msg m;
	uint32_t rule;

	(void)state;
	rng_seed();
	table_build(&ta, rules_a, sizeof(rules_a) / sizeof(rules_a[0]));
	table_build(&tb, rules_b, sizeof(rules_b) / sizeof(rules_b[0]));
	for (unsigned i = 0; i < 30000; i++) {
		int d;

		gen_any(&m);
		d = check_match(ta, rules_a, sizeof(rules_a) / sizeof(rules_a[0]), m.b, m.len,
				&rule);
		if (d >= 0) {
			assert_int_equal(
				d, RXQ_KDNS_OK); /* nothing in rules_a is left to user space */
			hits += rule != RXQ_KDNS_RULE_NONE;
		}
		d = check_match(tb, rules_b, sizeof(rules_b) / sizeof(rules_b[0]), m.b, m.len,
				&rule);
		undecided += d == RXQ_KDNS_UNDECIDED;
		decided_b += d == RXQ_KDNS_OK;
	}
	print_message("kdns match: %u names matched a rule; second set %u decided, %u left\n", hits,
		      decided_b, undecided);
	assert_true(hits > 3000 && undecided > 1000 && decided_b > 150);
	rxq_kdns_table__free(ta);
	rxq_kdns_table__free(tb);
}

/* ---- the BPF side ---- */

static bool need_root(void)
{
	if (geteuid() == 0)
		return true;
	fprintf(stderr, "test_kdns: the BPF side needs root for BPF_PROG_TEST_RUN; skipped\n");
	return false;
}

static struct kdns_test *prog_open(const struct rxq_kdns_table *t)
{
	const struct rxq_kdns_entry *e;
	struct kdns_test *skel;
	size_t n;

	skel = kdns_test__open_and_load();
	if (!skel)
		fail_msg("cannot load the kdns_test XDP program: %s", strerror(errno));
	e = rxq_kdns_table__entries(t, &n);
	for (size_t i = 0; i < n; i++)
		assert_int_equal(bpf_map__update_elem(skel->maps.kdns_names, &e[i].key,
						      sizeof(e[i].key), &e[i].value,
						      sizeof(e[i].value), BPF_NOEXIST),
				 0);
	skel->bss->kdns_cfg = *rxq_kdns_table__config(t);
	return skel;
}

/* Ethernet + IPv4 (with @opts words of options) + UDP (length 8 + @ulen) + @len payload bytes. */
static size_t frame_build(uint8_t *f, const uint8_t *payload, size_t len, size_t ulen,
			  unsigned opts)
{
	uint8_t *ip = f + 14, *udp;
	unsigned ihl = 5 + opts;

	memset(f, 0, 14 + ihl * 4 + 8);
	f[12] = 0x08;
	ip[0] = (uint8_t)(0x40 | ihl);
	put16(ip + 2, (uint16_t)(ihl * 4 + 8 + len));
	ip[8] = 64;
	ip[9] = 17;
	ip[12] = 198, ip[13] = 18, ip[15] = 1;
	ip[16] = 198, ip[17] = 18, ip[19] = 2;
	memset(ip + 20, 1, opts * 4); /* NOP options */
	udp = ip + ihl * 4;
	put16(udp, 5353);
	put16(udp + 2, 53);
	put16(udp + 4, (uint16_t)(8 + ulen));
	memcpy(udp + 8, payload, len);
	return 14 + ihl * 4 + 8 + len;
}

/* Runs one frame; the answers are in skel->bss. */
static void prog_run(struct kdns_test *skel, const uint8_t *frame, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts);

	opts.data_in = frame;
	opts.data_size_in = (uint32_t)len;
	opts.repeat = 1;
	assert_int_equal(bpf_prog_test_run_opts(bpf_program__fd(skel->progs.kdns_test), &opts), 0);
	assert_int_equal(opts.retval, XDP_PASS);
}

struct bpf_tally {
	unsigned runs, ok, decided, undecided;
};

/* One message through the program, held to the user-space compile and to the reference. */
static void check_bpf(struct kdns_test *skel, const struct rxq_kdns_table *t,
		      const struct rule_spec *rules, size_t nrules, const struct msg *m,
		      struct bpf_tally *bt)
{
	uint8_t frame[14 + 60 + 8 + MSG_CAP];
	/* the UDP length: the message, less (padding after it), or more (a frame cut short) */
	size_t ulen = rnd_below(4) ? m->len : rnd_below((unsigned)m->len + 20);
	struct rxq_kdns_name nm;
	uint32_t rule;
	size_t flen;
	int k, d = -1;

	flen = frame_build(frame, m->b, m->len, ulen, rnd_below(4) ? 0 : rnd_below(11));
	prog_run(skel, frame, flen);
	memset(&nm, 0, sizeof(nm));
	k = rxq_kdns_parse(m->b, m->b + m->len, (uint32_t)ulen, &nm);
	bt->runs++;
	assert_int_equal(skel->bss->parse_result, k);
	if (k != RXQ_KDNS_OK) {
		assert_int_equal(skel->bss->lookup_result, -1);
		return;
	}
	bt->ok++;
	assert_int_equal(skel->bss->name.len, nm.len);
	assert_memory_equal(skel->bss->name.name, nm.name, nm.len);
	assert_int_equal(skel->bss->name.qtype, nm.qtype);
	assert_int_equal(skel->bss->name.nlabels, nm.nlabels);
	assert_memory_equal(skel->bss->name.start, nm.start, nm.nlabels);
	/* the same lookups in user space, and the reference */
	d = check_match(t, rules, nrules, m->b, ulen < m->len ? ulen : m->len, &rule);
	assert_int_equal(skel->bss->lookup_result, d);
	assert_int_equal(skel->bss->rule, rule);
	bt->decided += d == RXQ_KDNS_OK;
	bt->undecided += d == RXQ_KDNS_UNDECIDED;
}

static void test_bpf_matches_user_space(void **state)
{
	static const struct {
		const struct rule_spec *rules;
		size_t n;
		unsigned min_decided; /* most of rules_b's matches come after its '?' rule */
	} sets[] = {
		{ rules_a, sizeof(rules_a) / sizeof(rules_a[0]), 1000 },
		{ rules_b, sizeof(rules_b) / sizeof(rules_b[0]), 30 },
	};
	struct msg m;

	(void)state;
	if (!need_root())
		skip();
	rng_seed();
	for (size_t s = 0; s < sizeof(sets) / sizeof(sets[0]); s++) {
		struct bpf_tally bt = { 0 };
		struct rxq_kdns_table *t;
		struct kdns_test *skel;

		table_build(&t, sets[s].rules, sets[s].n);
		skel = prog_open(t);
		for (unsigned i = 0; i < 6000; i++) {
			gen_any(&m);
			check_bpf(skel, t, sets[s].rules, sets[s].n, &m, &bt);
			if (i % 50 == 0) {
				struct msg cut = m;

				for (cut.len = 0; cut.len < m.len; cut.len++)
					check_bpf(skel, t, sets[s].rules, sets[s].n, &cut, &bt);
			}
		}
		print_message("kdns bpf, rule set %zu: %u runs, %u parsed, %u decided, %u left\n",
			      s, bt.runs, bt.ok, bt.decided, bt.undecided);
		assert_true(bt.ok > 2000 && bt.decided > sets[s].min_decided);
		kdns_test__destroy(skel);
		rxq_kdns_table__free(t);
	}
}

/* The longest walks: 127 one-byte labels (the most 255 octets hold), and 64 that fit the key. */
static void test_bpf_many_labels(void **state)
{
	uint8_t frame[14 + 20 + 8 + MSG_CAP];
	struct rxq_kdns_table *t;
	struct kdns_test *skel;
	struct bpf_prog_info info;
	uint32_t info_len = sizeof(info);
	struct msg m;
	size_t flen;

	(void)state;
	if (!need_root())
		skip();
	table_build(&t, rules_a, sizeof(rules_a) / sizeof(rules_a[0]));
	skel = prog_open(t);
	memset(&info, 0, sizeof(info));
	assert_int_equal(bpf_obj_get_info_by_fd(bpf_program__fd(skel->progs.kdns_test), &info,
						&info_len),
			 0);
	print_message("kdns bpf: %u instructions verified\n", info.verified_insns);
	for (unsigned nl = 64; nl <= 127; nl += 63) {
		memset(&m, 0, sizeof(m));
		put16(m.b + 4, 1);
		m.len = 12;
		for (unsigned i = 0; i < nl; i++) {
			m.b[m.len++] = 1;
			m.b[m.len++] = i == nl - 1 ? 'b' : 'a';
		}
		m.b[m.len++] = 0;
		put16(m.b + m.len, 1);
		m.len += 4;
		flen = frame_build(frame, m.b, m.len, m.len, 0);
		prog_run(skel, frame, flen);
		if (nl == 64) {
			assert_int_equal(skel->bss->parse_result, RXQ_KDNS_OK);
			assert_int_equal(skel->bss->name.nlabels, 64);
			assert_int_equal(skel->bss->lookup_result, RXQ_KDNS_OK);
			assert_int_equal(skel->bss->rule, 15); /* *.a.b qtype A */
		} else {
			assert_int_equal(skel->bss->parse_result, RXQ_KDNS_UNDECIDED);
		}
	}
	kdns_test__destroy(skel);
	rxq_kdns_table__free(t);
}

/*
 * ns per run of the harness alone, and what the parser and the lookups add: the best of a few
 * rounds, since other work on the machine only ever adds.
 */
static void bench_one(struct kdns_test *skel, const char *name, uint16_t qtype, unsigned repeat)
{
	static const uint32_t modes[3] = { 1, 2, 0 }; /* harness, + parse, + lookups */
	uint8_t frame[600], msg[300];
	double best[3] = { 1e18, 1e18, 1e18 };
	size_t flen;
	int len;

	len = rxq_dns__build_query(msg, sizeof(msg), 1, name, qtype);
	assert_true(len > 0);
	flen = frame_build(frame, msg, (size_t)len, (size_t)len, 0);
	for (unsigned round = 0; round < 5; round++) {
		for (unsigned m = 0; m < 3; m++) {
			LIBBPF_OPTS(bpf_test_run_opts, opts);

			skel->bss->kdns_skip = modes[m];
			opts.data_in = frame;
			opts.data_size_in = (uint32_t)flen;
			opts.repeat = repeat;
			assert_int_equal(bpf_prog_test_run_opts(
						 bpf_program__fd(skel->progs.kdns_test), &opts),
					 0);
			if (opts.duration < best[m])
				best[m] = opts.duration;
		}
	}
	skel->bss->kdns_skip = 0;
	print_message("kdns cost %s: harness %.0f ns, parse +%.0f ns, lookups +%.0f ns "
		      "(rule %d)\n",
		      name, best[0], best[1] - best[0], best[2] - best[1], (int)skel->bss->rule);
}

/*
 * BPF_PROG_TEST_RUN's per-run average for a typical flood query against 100 patterns. Prints only:
 * the numbers depend on the machine.
 */
static void test_bpf_cost(void **state)
{
	struct rxq_kdns_table *t;
	struct kdns_test *skel;
	const char *env = getenv("RXQ_KDNS_BENCH_REPEAT");
	unsigned repeat = env ? (unsigned)strtoul(env, NULL, 0) : 100000;
	char pat[64];

	(void)state;
	if (!need_root())
		skip();
	assert_int_equal(rxq_kdns_table__new(&t), 0);
	for (uint32_t i = 0; i < 99; i++) {
		if (i % 2)
			snprintf(pat, sizeof(pat), "*.zone%u.example", i);
		else
			snprintf(pat, sizeof(pat), "host%u.attack.example", i);
		assert_int_equal(rxq_kdns_table__add(t, i, pat, i % 3 == 0, 1), 0);
	}
	assert_int_equal(rxq_kdns_table__add(t, 99, "*.attack.example", true, 1), 0);
	skel = prog_open(t);
	bench_one(skel, "www.attack.example", 1, repeat);
	bench_one(skel, "a1b2c3d4e5f6.www.attack.example", 1, repeat);
	bench_one(skel, "www.unrelated.org", 1, repeat);
	bench_one(skel, "a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.attack.example", 1, repeat);
	kdns_test__destroy(skel);
	rxq_kdns_table__free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_examples),
		cmocka_unit_test(test_parse_length_limit),
		cmocka_unit_test(test_parse_matches_user_space),
		cmocka_unit_test(test_pattern),
		cmocka_unit_test(test_table_values),
		cmocka_unit_test(test_table_punt_and_unexpressed),
		cmocka_unit_test(test_match_first_rule),
		cmocka_unit_test(test_bpf_matches_user_space),
		cmocka_unit_test(test_bpf_many_labels),
		cmocka_unit_test(test_bpf_cost),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
