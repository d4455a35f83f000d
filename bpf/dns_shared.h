/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_BPF_DNS_SHARED_H
#define RXQ_BPF_DNS_SHARED_H

/*
 * The DNS question as the kernel tier sees it: a parser that an XDP program runs on the UDP
 * payload to decide `dns qname PATTERN [qtype TYPE]` rules itself. The same code is compiled into
 * librxq (lib/kdns.c), where the tests hold it to rxq_dns__parse_question().
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
 * Verifier: packet reads are checked as `(const void *)(p + n) > end`. The parser runs one label
 * per bpf_loop() step (a plain loop in user space) and keeps its position in struct rxq_kdns_name,
 * a map value, so the step is verified a few times whatever the number of labels; the bytes it
 * writes come from a table, not from branches, so paths do not multiply per character.
 */
#include <linux/types.h>

#ifdef __bpf__
#include <bpf/bpf_helpers.h>
#endif

#define RXQ_KDNS_NAME_MAX 128 /* bytes of a presentation-form name the kernel judges */

/* rxq_kdns_parse() answers */
enum {
	RXQ_KDNS_OK = 0,
	RXQ_KDNS_NOT_DNS,
	RXQ_KDNS_UNDECIDED,
};

/*
 * A parsed question. Label i of the name starts at name[start[i]]. On the BPF side it must be a
 * map value (a per-CPU array entry): the parser keeps its position in it between steps, where the
 * verifier sees ranges rather than constants and so verifies a step a few times, not once per
 * label.
 */
struct rxq_kdns_name {
	__u16 len; /* bytes of name[] */
	__u16 qtype;
	__u8 nlabels;
	__u8 pad;
	__u16 wire; /* parser: octets of the name so far, the root's included */
	__u32 pos;  /* parser: offset of the next length octet */
	__u32 pad2;
	__u8 start[RXQ_KDNS_NAME_MAX / 2];
	char name[RXQ_KDNS_NAME_MAX + 4]; /* the parser writes up to 3 bytes past the name */
};

#ifdef __bpf__
/* Hides a value's origin from clang, which would otherwise turn arithmetic on it into branches. */
#define RXQ_KDNS_OPAQUE(v) barrier_var(v)
#else
#define RXQ_KDNS_OPAQUE(v) ((void)0)
#endif

#define RXQ_KDNS_HLEN	  12  /* DNS header */
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

#endif
