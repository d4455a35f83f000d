/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_BPF_DNS_SHARED_H
#define RXQ_BPF_DNS_SHARED_H

/*
 * The DNS question as the kernel tier sees it: the parser, the map layout and the lookups that let
 * an XDP program decide `dns qname PATTERN [qtype TYPE]` rules whose PATTERN is an exact name or
 * `*.SUFFIX`. The same code is compiled into librxq (lib/kdns.c), where the tests hold it to
 * rxq_dns__parse_question() and rxq_rules_glob().
 *
 * rxq_kdns_parse() has three answers:
 *   RXQ_KDNS_OK        the name and qtype are exactly what rxq_dns__parse_question() gives;
 *   RXQ_KDNS_NOT_DNS   rxq_dns__parse_question() refuses the message: no dns rule matches it;
 *   RXQ_KDNS_UNDECIDED the kernel does not judge it (a compression pointer in the question, a
 *                      name whose presentation form is longer than RXQ_KDNS_NAME_MAX): user space
 *                      must look at the frame.
 * Every step is the step rxq_dns__parse_question() takes, in the same order, so a refusal here is
 * the refusal there; the parser gives up (UNDECIDED) where it would have to follow a pointer.
 *
 * Map: a hash map from struct rxq_kdns_key to struct rxq_kdns_value. An exact pattern is stored
 * under the name ("example.com"), `*.SUFFIX` under the suffix with its leading dot
 * (".example.com"): the dot a suffix key starts with can only be a label separator (a dot inside a
 * label is written \046), and the two kinds never collide. rxq_kdns_lookup() looks up the whole
 * name and each suffix that starts at a dot, but only for label counts some key has
 * (struct rxq_kdns_config), so a name costs one lookup per pattern shape, not one per label.
 *
 * Verifier: packet reads are checked as `(const void *)(p + n) > end`. The parser runs one label
 * per bpf_loop() step (a plain loop in user space) and keeps its position in struct rxq_kdns_name,
 * a map value, so the step is verified a few times whatever the number of labels; the bytes it
 * writes come from a table, not from branches, so paths do not multiply per character. The
 * lookups carry nothing the verifier tracks exactly from one round to the next and are a plain
 * bounded loop. The test program (kdns_test.bpf.c) needs about 90k verified instructions.
 */
#include <linux/types.h>

#ifdef __bpf__
#include <bpf/bpf_helpers.h>
#endif

#define RXQ_KDNS_NAME_MAX    128 /* bytes of a presentation-form name the kernel judges */
#define RXQ_KDNS_LABELS_MAX  32 /* labels of a stored key; longer patterns stay in user space */
#define RXQ_KDNS_VALUE_RULES 4 /* rules one key holds (struct rxq_kdns_value) */
#define RXQ_KDNS_RULE_NONE   0xffffffffu

/* rxq_kdns_parse() and rxq_kdns_decide() answers */
enum {
	RXQ_KDNS_OK = 0,
	RXQ_KDNS_NOT_DNS,
	RXQ_KDNS_UNDECIDED,
};

/*
 * Hash map key: a name or a suffix in presentation form (lower case, no trailing dot, bytes
 * outside [a-z0-9-_] as \DDD), zero padded. The root name is the key of length 0.
 */
struct rxq_kdns_key {
	__u8 len;
	__u8 pad[7];
	char name[RXQ_KDNS_NAME_MAX];
} __attribute__((aligned(8)));

/* rxq_kdns_rule.flags */
#define RXQ_KDNS_R_ANY	(1u << 0) /* no qtype in the rule: every question type matches */
#define RXQ_KDNS_R_PUNT (1u << 1) /* rules from .rule on with this key did not fit: user space */

struct rxq_kdns_rule {
	__u32 rule; /* rule index; RXQ_KDNS_RULE_NONE ends the list */
	__u16 qtype;
	__u16 flags; /* RXQ_KDNS_R_* */
};

/*
 * Hash map value: the rules with this key, in rule order, as far as they can matter. The list stops
 * after a rule without qtype (it shadows the later ones); when more rules with a qtype share the
 * key than fit, the last slot is a PUNT entry standing for all of them.
 */
struct rxq_kdns_value {
	struct rxq_kdns_rule r[RXQ_KDNS_VALUE_RULES];
};

/*
 * What the lookups need besides the map. Bit n of exact_labels: some exact key has n labels (the
 * root has 0); bit n of suffix_labels: some suffix key has n labels. unexpressed: the lowest dns
 * rule the map does not hold (a pattern the kernel cannot judge), RXQ_KDNS_RULE_NONE when none;
 * a DNS message that matches no stored rule below it is UNDECIDED.
 */
struct rxq_kdns_config {
	__u64 exact_labels;
	__u64 suffix_labels;
	__u32 unexpressed;
	__u32 pad;
};

/*
 * A parsed question. Label i of the name starts at name[start[i]]. On the BPF side it must be a
 * map value (a per-CPU array entry): the parser keeps its position in it between steps, where the
 * verifier sees ranges rather than constants and so verifies a step a few times, not once per
 * label; the key copy reads it with unaligned loads, which the verifier refuses on the stack.
 */
struct rxq_kdns_name {
	__u16 len; /* bytes of name[] */
	__u16 qtype;
	__u8 nlabels;
	__u8 pad;
	__u16 wire; /* parser: octets of the name so far, the root's included */
	__u32 pos; /* parser: offset of the next length octet */
	__u32 pad2;
	__u8 start[RXQ_KDNS_NAME_MAX / 2];
	char name[RXQ_KDNS_NAME_MAX + 4]; /* the parser writes up to 3 bytes past the name */
};

/* Where the program reads the configuration: .rodata needs volatile, or clang folds it. */
#ifdef __bpf__
#define RXQ_KDNS_RO const volatile
#else
#define RXQ_KDNS_RO const
#endif
#define RXQ_KDNS_CFG RXQ_KDNS_RO struct rxq_kdns_config

#ifdef __bpf__
#define RXQ_KDNS_UNROLL _Pragma("unroll")
/* Hides a value's origin from clang, which would otherwise turn arithmetic on it into branches. */
#define RXQ_KDNS_OPAQUE(v) barrier_var(v)
#else
#define RXQ_KDNS_UNROLL
#define RXQ_KDNS_OPAQUE(v) ((void)0)
#endif

#define RXQ_KDNS_HLEN	  12 /* DNS header */
#define RXQ_KDNS_WIRE_MAX 255 /* octets of a wire-form name, length octets included */
/* A label, or the root, per step: at most 127 one-octet labels fit in 255 octets. */
#define RXQ_KDNS_STEPS 128

/*
 * Per input byte: its lower-cased self when it stands for itself in presentation form, 0 when
 * it is written \DDD. Indexing by the byte keeps the copy loop free of data-dependent branches.
 */
/* clang-format off */
static const __u8 rxq_kdns_plain[256] __attribute__((unused)) = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '-', 0, 0,
	'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 0, 0, 0, 0, 0, 0,
	0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, '_',
	0, 'a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k', 'l', 'm', 'n', 'o',
	'p', 'q', 'r', 's', 't', 'u', 'v', 'w', 'x', 'y', 'z', 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};
/* clang-format on */

/* ---- parsing ---- */

/* What the steps share besides @nm: on the BPF side the stack, since it holds packet pointers. */
struct rxq_kdns_parser {
	const __u8 *msg;
	const void *end;
	struct rxq_kdns_name *nm;
	__u32 len; /* message length (see rxq_kdns_parse()) */
	int result;
};

static __attribute__((always_inline)) inline int rxq_kdns_stop(struct rxq_kdns_parser *ps,
							       int result)
{
	ps->result = result;
	return 1;
}

/*
 * One step of rxq_dns__parse_question()'s loop: the label (or root) at nm->pos. Returns 0 to go
 * on, 1 when ps->result is the answer.
 */
static __attribute__((always_inline)) inline int rxq_kdns_parse_label(struct rxq_kdns_parser *ps)
{
	struct rxq_kdns_name *nm = ps->nm;
	const void *end = ps->end;
	/* 64-bit indices: clang's 32-bit zero extensions hide bounds checks from the verifier */
	__u64 pos = nm->pos, out = nm->len, nl = nm->nlabels, wire = nm->wire;
	__u64 odd = 0, next, plain_end, b, j;
	const __u8 *p;

	if (pos > RXQ_KDNS_HLEN + RXQ_KDNS_WIRE_MAX) /* the octet limit stops the walk before */
		return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED);
	p = ps->msg + pos;
	if (pos + 1 > ps->len)
		return rxq_kdns_stop(ps, RXQ_KDNS_NOT_DNS); /* truncated */
	if ((const void *)(p + 1) > end)
		return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED); /* the frame holds less than that */
	b = p[0];
	if ((b & 0xc0) == 0xc0)
		return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED); /* a pointer: user space follows it */
	if (b & 0xc0)
		return rxq_kdns_stop(ps, RXQ_KDNS_NOT_DNS); /* label types 01 and 10 */
	if (b == 0) {
		/* the root: qtype and qclass must follow */
		if (pos + 5 > ps->len)
			return rxq_kdns_stop(ps, RXQ_KDNS_NOT_DNS);
		if ((const void *)(p + 5) > end)
			return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED);
		nm->qtype = (__u16)(p[1] << 8 | p[2]);
		return rxq_kdns_stop(ps, RXQ_KDNS_OK);
	}
	wire += 1 + b;
	if (wire > RXQ_KDNS_WIRE_MAX)
		return rxq_kdns_stop(ps, RXQ_KDNS_NOT_DNS);
	if (pos + 1 + b > ps->len)
		return rxq_kdns_stop(ps, RXQ_KDNS_NOT_DNS);
	if ((const void *)(p + 1 + b) > end)
		return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED);
	if (nl >= RXQ_KDNS_NAME_MAX / 2)
		return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED); /* cannot fit in the name anyway */
	if (out) {
		if (out >= RXQ_KDNS_NAME_MAX)
			return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED);
		nm->name[out] = '.';
		out++;
	}
	nm->start[nl] = (__u8)out;
	/* Each byte takes at least one: a label that cannot fit even so is not ours. */
	if (out + b > RXQ_KDNS_NAME_MAX)
		return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED);
	/*
	 * Computed before the loops: each exit of a loop tells the verifier b's exact value, and
	 * what depends on b afterwards would then be verified once per label length.
	 */
	next = pos + 1 + b;
	plain_end = out + b;
	/* Names are nearly always plain: one byte each, and one branch per label, not per byte. */
	for (j = 0; j < 63; j++) {
		__u64 plain;

		if (j >= b)
			break;
		if ((const void *)(p + 2 + j) > end || out + j >= RXQ_KDNS_NAME_MAX)
			return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED); /* checked above */
		plain = rxq_kdns_plain[p[1 + j]];
		nm->name[out + j] = (char)plain;
		odd |= plain - 1; /* the top bit is set when plain is 0 */
	}
	if (!(odd >> 63)) {
		out = plain_end;
	} else {
		b = *(const volatile __u8 *)p; /* read again, for the same reason */
		for (j = 0; j < 63; j++) {
			__u64 c, plain, esc, width, tens, hundreds;

			if (j >= b)
				break;
			if ((const void *)(p + 2 + j) > end)
				return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED); /* checked above */
			c = p[1 + j];
			plain = rxq_kdns_plain[c];
			esc = (plain - 1) >> 63; /* 1 when plain is 0 */
			RXQ_KDNS_OPAQUE(esc);
			width = 1 + 3 * esc;
			if (out + width > RXQ_KDNS_NAME_MAX || out >= RXQ_KDNS_NAME_MAX)
				return rxq_kdns_stop(ps, RXQ_KDNS_UNDECIDED);
			/*
			 * Always four bytes: the next character overwrites what a plain one does
			 * not use. The digits by multiplication (exact for 0..255): the JIT would
			 * emit divisions.
			 */
			tens = (c * 205) >> 11;
			hundreds = (c * 41) >> 12;
			nm->name[out] = (char)(plain + esc * '\\');
			nm->name[out + 1] = (char)('0' + hundreds);
			nm->name[out + 2] = (char)('0' + tens - 10 * hundreds);
			nm->name[out + 3] = (char)('0' + c - 10 * tens);
			out += width;
		}
	}
	nm->pos = (__u32)next;
	nm->wire = (__u16)wire;
	nm->len = (__u16)out;
	nm->nlabels = (__u8)(nl + 1);
	return 0;
}

#ifdef __bpf__
static long rxq_kdns_parse_cb(__u32 index, void *ctx)
{
	(void)index;
	return rxq_kdns_parse_label(ctx);
}
#endif

/**
 * Parses the header and first question of the DNS message at @msg into @nm (filled on
 * RXQ_KDNS_OK). @len: the message length user space would hand rxq_dns__parse_question() (struct
 * rxq_pkt.payload_len: the UDP length less 8, for a first fragment the rest of the IP packet).
 * @end: where the bytes end (data_end on the BPF side). A refusal within @len is NOT_DNS; running
 * into @end before @len is UNDECIDED, since user space may see more of the frame (XDP frags).
 */
static __attribute__((always_inline)) inline int rxq_kdns_parse(const void *msg, const void *end,
								__u32 len, struct rxq_kdns_name *nm)
{
	struct rxq_kdns_parser ps = {
		.msg = msg,
		.end = end,
		.nm = nm,
		.len = len,
		.result = RXQ_KDNS_UNDECIDED,
	};
	const __u8 *h = msg;

	if (len < RXQ_KDNS_HLEN)
		return RXQ_KDNS_NOT_DNS;
	if ((const void *)(h + RXQ_KDNS_HLEN) > end)
		return RXQ_KDNS_UNDECIDED;
	if (!h[4] && !h[5])
		return RXQ_KDNS_NOT_DNS; /* no question */
	nm->len = 0;
	nm->nlabels = 0;
	nm->wire = 1; /* the root's length octet */
	nm->pos = RXQ_KDNS_HLEN;
#ifdef __bpf__
	bpf_loop(RXQ_KDNS_STEPS, rxq_kdns_parse_cb, &ps, 0);
#else
	for (unsigned i = 0; i < RXQ_KDNS_STEPS; i++)
		if (rxq_kdns_parse_label(&ps))
			break;
#endif
	return ps.result;
}

/* ---- lookups ---- */

/*
 * Eight bytes from anywhere in a name to an aligned place in a key. The BPF side loads them
 * unaligned, which the verifier allows for map values where the CPU handles it (x86, arm64).
 */
static __attribute__((always_inline)) inline void rxq_kdns_copy8(char *dst, const char *src)
{
#ifdef __bpf__
	*(__u64 *)dst = *(const __u64 *)src;
#else
	__builtin_memcpy(dst, src, 8);
#endif
}

/* Lookups of a name: the whole name, then the suffixes of 1, 2, ... labels. */
static __attribute__((always_inline)) inline __u32 rxq_kdns_lookups(const struct rxq_kdns_name *nm)
{
	__u32 nl = nm->nlabels;

	if (!nl)
		return 1; /* the root: only the exact key */
	return nl < RXQ_KDNS_LABELS_MAX + 1 ? nl : RXQ_KDNS_LABELS_MAX + 1;
}

/*
 * Builds the key of lookup @i of @nm: the whole name for 0, the suffix of the last @i labels with
 * its leading dot otherwise. Returns 0 when no key of that shape is stored (nothing to look up).
 */
static __attribute__((always_inline)) inline int rxq_kdns_key_build(const struct rxq_kdns_name *nm,
								    RXQ_KDNS_CFG *cfg, __u64 i,
								    struct rxq_kdns_key *key)
{
	__u64 nl = nm->nlabels, len = nm->len, from = 0, n, tail, tail_from, tail_len, j;

	if (len > RXQ_KDNS_NAME_MAX || i > RXQ_KDNS_LABELS_MAX)
		return 0;
	if (i == 0) {
		if (nl > RXQ_KDNS_LABELS_MAX || !((cfg->exact_labels >> nl) & 1))
			return 0;
	} else {
		__u64 first = nl - i; /* the suffix's first label */

		if (i >= nl || first >= RXQ_KDNS_NAME_MAX / 2 || !((cfg->suffix_labels >> i) & 1))
			return 0;
		from = nm->start[first];
		if (from < 1 || from > len)
			return 0;
		from--; /* the dot before it */
	}
	n = len - from;
	/* Taken apart before the loops, whose exits would pin n (see rxq_kdns_parse_label()). */
	tail = n & ~7ull;
	tail_from = from + tail;
	tail_len = n & 7;
	__builtin_memset(key, 0, sizeof(*key));
	key->len = (__u8)n;
	for (j = 0; j < RXQ_KDNS_NAME_MAX; j += 8) {
		if (j + 8 > n || from + j + 8 > RXQ_KDNS_NAME_MAX)
			break;
		rxq_kdns_copy8(&key->name[j], &nm->name[from + j]);
	}
	for (j = 0; j < 7; j++) {
		__u64 to = tail + j, at = tail_from + j;

		/* opaque: clang would check copies of the indices and index with the originals */
		RXQ_KDNS_OPAQUE(to);
		RXQ_KDNS_OPAQUE(at);
		if (j >= tail_len || to >= RXQ_KDNS_NAME_MAX || at >= RXQ_KDNS_NAME_MAX)
			break;
		key->name[to] = nm->name[at];
	}
	return 1;
}

/*
 * Folds the value found under one key into the best rule so far (@best, @best_flags): the first
 * rule of the list that takes @qtype, if it comes before @best. Keys hold disjoint rules, so the
 * minimum over all lookups is the first matching rule.
 */
static __attribute__((always_inline)) inline void
rxq_kdns_value_merge(const struct rxq_kdns_value *v, __u16 qtype, __u32 *best, __u32 *best_flags)
{
	unsigned i;

	RXQ_KDNS_UNROLL
	for (i = 0; i < RXQ_KDNS_VALUE_RULES; i++) {
		const struct rxq_kdns_rule *r = &v->r[i];

		if (r->rule == RXQ_KDNS_RULE_NONE)
			return;
		if ((r->flags & (RXQ_KDNS_R_ANY | RXQ_KDNS_R_PUNT)) || r->qtype == qtype) {
			if (r->rule < *best) {
				*best = r->rule;
				*best_flags = r->flags;
			}
			return;
		}
	}
}

/*
 * The answer after all lookups: RXQ_KDNS_OK with *rule the first matching dns rule
 * (RXQ_KDNS_RULE_NONE: none matches), or RXQ_KDNS_UNDECIDED when a rule the map does not hold
 * comes first.
 */
static __attribute__((always_inline)) inline int rxq_kdns_decide(RXQ_KDNS_CFG *cfg, __u32 best,
								 __u32 best_flags, __u32 *rule)
{
	if (cfg->unexpressed < best || (best_flags & RXQ_KDNS_R_PUNT)) {
		*rule = RXQ_KDNS_RULE_NONE;
		return RXQ_KDNS_UNDECIDED;
	}
	*rule = best;
	return RXQ_KDNS_OK;
}

#ifdef __bpf__
/**
 * The first dns rule that matches the question @nm (from rxq_kdns_parse() == RXQ_KDNS_OK), by
 * looking up its keys in @map (a hash map struct rxq_kdns_key -> struct rxq_kdns_value) with
 * @key as scratch (a map value: it is too big for the stack of most callers). Returns what
 * rxq_kdns_decide() does.
 *
 * A plain loop, not bpf_loop(): nothing the verifier tracks exactly is carried from one lookup
 * to the next, so it verifies each of the RXQ_KDNS_LABELS_MAX + 1 rounds once, and the rounds
 * run without bpf_loop()'s call per round.
 */
static __attribute__((always_inline)) inline int rxq_kdns_lookup(void *map, RXQ_KDNS_CFG *cfg,
								 const struct rxq_kdns_name *nm,
								 struct rxq_kdns_key *key,
								 __u32 *rule)
{
	__u32 best = RXQ_KDNS_RULE_NONE, best_flags = 0, n = rxq_kdns_lookups(nm), i;

#pragma nounroll
	for (i = 0; i < RXQ_KDNS_LABELS_MAX + 1; i++) {
		const struct rxq_kdns_value *v;

		if (i >= n)
			break;
		if (!rxq_kdns_key_build(nm, cfg, i, key))
			continue;
		v = bpf_map_lookup_elem(map, key);
		if (v)
			rxq_kdns_value_merge(v, nm->qtype, &best, &best_flags);
	}
	return rxq_kdns_decide(cfg, best, best_flags, rule);
}
#endif

#endif
