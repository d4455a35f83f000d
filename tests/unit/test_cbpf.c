// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * cBPF -> eBPF translation. Without root: what is refused, and the shape of the code. With root:
 * the translated programs run through BPF_PROG_TEST_RUN must decide exactly as libpcap's
 * bpf_filter() on every frame of a corpus of valid, truncated, mutated and random frames, for a
 * table of tcpdump expressions, hand-written programs and random programs; and the tail-call
 * epilogue keeps its contract.
 *
 * The random generator's seed is fixed (RXQ_CBPF_SEED overrides it) and printed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <linux/bpf.h>
#include <cmocka.h>

#include <bpf/bpf.h>

#include "rxq/cbpf.h"
#include "rxq/log.h"
#include "rxq/packet.h"
#include "rxq/parse.h"

/* libpcap's struct bpf_insn is the cBPF one; the kernel's (above) is eBPF: rename libpcap's. */
#define bpf_insn    pcap_bpf_insn
#define bpf_program pcap_bpf_program
#include <pcap/pcap.h>
#undef bpf_insn
#undef bpf_program

int cbpf_insns_check(const struct bpf_insn *insns, unsigned int cnt);

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

/* ---- helpers ---------------------------------------------------------------------------- */

static uint64_t rng_state;
static uint32_t rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 11);
}

static uint64_t seed_get(void)
{
	const char *s = getenv("RXQ_CBPF_SEED");

	return s ? strtoull(s, NULL, 0) : 0xcb9f5eedull;
}

static unsigned int bpf_filter_verdict(const struct sock_filter *f, const uint8_t *frame,
				       uint32_t len)
{
	/* struct sock_filter has the layout of libpcap's instruction */
	return bpf_filter((const struct pcap_bpf_insn *)f, frame, len, len) != 0;
}

/* The XDP return value the translation gives for rxq_cbpf__run()'s verdict. */
static uint32_t xdp_of(unsigned int verdict)
{
	return verdict == RXQ_CBPF_VERDICT_MATCH   ? RXQ_CBPF_XDP_MATCH :
	       verdict == RXQ_CBPF_VERDICT_NOMATCH ? RXQ_CBPF_XDP_NOMATCH :
						     RXQ_CBPF_XDP_UNDECIDED;
}

static int translate(const struct sock_filter *f, unsigned int len,
		     const struct rxq_cbpf_opts *opts)
{
	struct bpf_insn *insns;
	unsigned int cnt;
	int err;

	err = rxq_cbpf__translate(&insns, &cnt, f, len, opts);
	if (!err) {
		assert_int_equal(cbpf_insns_check(insns, cnt), 0);
		free(insns);
	}
	return err;
}

/* Log messages, kept for tests that look at them. */
static char log_text[1 << 16];
static size_t log_len;

static void log_capture(enum rxq_log_level level, const char *msg, void *ctx)
{
	int n;

	(void)level;
	(void)ctx;
	n = snprintf(log_text + log_len, sizeof(log_text) - log_len, "%s\n", msg);
	if (n > 0 && (size_t)n < sizeof(log_text) - log_len)
		log_len += (size_t)n;
}

static void log_reset(void)
{
	log_len = 0;
	log_text[0] = '\0';
	rxq_log__set(log_capture, NULL);
}

/* ---- the expressions -------------------------------------------------------------------- */

/*
 * Every instruction class libpcap emits for Ethernet: absolute and indexed loads of all sizes,
 * MSH, LEN, immediates, scratch memory (tcp[...] with a computed offset), ALU with constants and
 * with X (including division and modulo by a packet byte that may be 0, shifts by a packet byte
 * that may be 32 or more), NEG, every conditional jump with K and X, JA forward and backward
 * (protochain), TAX/TXA, RET K. With pcap_open_dead() (no live Linux capture) "vlan" tests the
 * packet's bytes, not the kernel's VLAN metadata, so it translates like anything else.
 * rare: the corpus may have no frame it matches.
 */
static const struct {
	const char *expr;
	bool rare;
} exprs[] = {
	{ "host 198.18.0.1", false },
	{ "src net 198.18.0.0/16", false },
	{ "dst host fd00::2", false },
	{ "ip6 net fd00::/16", false },
	{ "port 53", false },
	{ "udp dst port 53", false },
	{ "tcp src port 80", false },
	{ "portrange 1000-2000", false },
	{ "tcp portrange 50-90", false },
	{ "len >= 100", false },
	{ "greater 200", false },
	{ "less 80", false },
	{ "udp[10:2] & 0x8000 != 0", false },
	{ "ip[6:2] & 0x1fff = 0", false },
	{ "ip and not ip[6:2] & 0x1fff = 0", false },
	{ "tcp[tcpflags] & tcp-syn != 0", false },
	{ "tcp[tcpflags] & (tcp-syn|tcp-ack) = tcp-syn", false },
	{ "ip6 protochain 6", false },
	{ "ip6 protochain 17 or ip6 protochain 58", false },
	{ "ip protochain 17", false },
	{ "vlan", false },
	{ "vlan 100", false },
	{ "vlan 100 and udp", false },
	{ "vlan and vlan 5", false },
	{ "icmp[icmptype] = icmp-echo", false },
	{ "icmp6[icmp6type] = icmp6-echo", false },
	{ "icmp6 and ip6[40] = 128", false },
	{ "ether host 02:00:00:00:00:01", false },
	{ "ether src 02:00:00:00:00:02", false },
	{ "ether broadcast", false },
	{ "ether multicast", false },
	{ "ether[0] & 1 = 1", false },
	{ "ether proto 0x88cc", false },
	{ "arp", false },
	{ "ip[2:2] / 4 > 10", false },
	{ "ip[2:2] % 7 = 3", false },
	{ "ip[2:2] << 2 > 500", false },
	{ "ip[2:2] >> 3 = 10", false },
	{ "ip[2:2] / ip[8] > 3", false },
	{ "ip[2:2] % ip[8] = 1", false },
	{ "ip[2:2] - ip[8] > 3", false },
	{ "ip[2:2] * 3 > 1000", false },
	{ "ip[8] * ip[9] > 1000", false },
	{ "ip[8] + ip[9] > 100", false },
	{ "ip[8] & ip[9] != 0", false },
	{ "ip[8] | 1 = 65", false },
	{ "ip[8] ^ ip[9] = 0", true },
	{ "-ip[8] > 100", false },
	{ "ip[8] << ip[9] > 1", false },
	{ "ip[2:2] >> ip[9] = 0", false },
	{ "len - 14 > ip[2:2]", false },
	{ "ip[2:2] = len - 14", false },
	{ "ether[len - 1] = 0", false },
	{ "ether[len - 4:4] != 0", false },
	{ "udp[8:4] = 0x12345678", true },
	{ "tcp[((tcp[12:1] & 0xf0) >> 2):4] = 0x47455420", true },
	{ "ip[ip[0] & 0xf] = 1", false },
	{ "ip and ip[12:4] = ip[16:4]", true },
	{ "udp and udp[4:2] > ip[2:2]", false },
	{ "udp and udp[4:2] >= ip[2:2] - 20", false },
	{ "ip[0] & 0xf != 5", false },
	{ "ip6[6] = 17", false },
	{ "ip multicast", false },
	{ "ip6 multicast", false },
	{ "mpls 100 and ip", true },
	{ "pppoes and ip", true },
	{ "geneve", true },
	{ "decnet host 1.2", true },
	{ "atalk", true },
	{ "llc", false },
};

/* ---- the frames --------------------------------------------------------------------------- */

#define FRAME_CAP 640

struct frame {
	uint16_t len;
	uint8_t b[FRAME_CAP];
};

static struct frame *corpus;
static unsigned int ncorpus, corpus_cap;

static void corpus_add(const uint8_t *b, uint32_t len)
{
	if (len < RXQ_ETH_HLEN)
		return; /* the kernel runs no XDP program on less than an Ethernet header */
	if (ncorpus == corpus_cap) {
		corpus_cap = corpus_cap ? corpus_cap * 2 : 4096;
		corpus = realloc(corpus, corpus_cap * sizeof(*corpus));
		assert_non_null(corpus);
	}
	corpus[ncorpus].len = (uint16_t)len;
	memcpy(corpus[ncorpus].b, b, len);
	ncorpus++;
}

static struct rxq_addr addr(const char *s)
{
	struct rxq_addr a;

	memset(&a, 0, sizeof(a));
	assert_int_equal(rxq_parse_addr(s, &a), 0);
	return a;
}

static const uint8_t macs[][6] = {
	{ 0x02, 0, 0, 0, 0, 0x01 },
	{ 0x02, 0, 0, 0, 0, 0x02 },
	{ 0xff, 0xff, 0xff, 0xff, 0xff, 0xff },
	{ 0x01, 0x00, 0x5e, 0x00, 0x00, 0x05 },
	{ 0x33, 0x33, 0, 0, 0, 0x01 },
};

/* A valid frame of random kind; its length, or 0. */
static uint32_t random_valid_frame(uint8_t *b)
{
	static const char *v4[] = { "198.18.0.1", "198.18.0.2", "198.18.77.1", "10.0.0.1",
				    "224.0.0.5" };
	static const char *v6[] = { "fd00::1", "fd00::2", "fd19::1", "ff02::1", "2001:db8::9" };
	static const uint16_t ports[] = { 53, 80, 1000, 1500, 2000, 2001, 60, 90, 443 };
	static const uint8_t icmp4_types[] = { 0, 8, 3, 11 };
	static const uint8_t icmp6_types[] = { 128, 129, 135, 1 };
	static const uint8_t ext_types[] = { IPPROTO_HOPOPTS, IPPROTO_ROUTING, IPPROTO_DSTOPTS,
					     IPPROTO_FRAGMENT };
	static const uint8_t ip4_opts[8] = { 0x94, 0x04, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00 };
	static const uint8_t ext_body[22];
	static const uint8_t http_get[] = "GET / HTTP/1.1\r\n";
	struct rxq_pkt_spec s;
	unsigned int i;
	int len;

	memset(&s, 0, sizeof(s));
	memcpy(s.dst_mac, macs[rnd() % ARRAY_SIZE(macs)], 6);
	memcpy(s.src_mac, macs[rnd() % 2], 6);
	s.nvlan = rnd() % 4 ? 0 : (uint8_t)(1 + rnd() % 2);
	for (i = 0; i < s.nvlan; i++) {
		s.vlan[i].tpid = i == 0 && s.nvlan == 2 ? RXQ_ETH_P_8021AD : RXQ_ETH_P_8021Q;
		s.vlan[i].tci = (uint16_t)(rnd() % 2 ? 100 : rnd() % 3 ? 5 : rnd() & 0xffff);
	}
	s.l3 = rnd() % 2 ? RXQ_L3_IPV4 : RXQ_L3_IPV6;
	if (s.l3 == RXQ_L3_IPV4) {
		s.src = addr(v4[rnd() % ARRAY_SIZE(v4)]);
		s.dst = addr(v4[rnd() % ARRAY_SIZE(v4)]);
		s.ip_proto = (const uint8_t[]){ IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMP }[rnd() % 3];
		if (rnd() % 6 == 0) {
			s.ip4_options = ip4_opts;
			s.ip4_options_len = sizeof(ip4_opts);
		}
		s.icmp_type = icmp4_types[rnd() % ARRAY_SIZE(icmp4_types)];
	} else {
		s.src = addr(v6[rnd() % ARRAY_SIZE(v6)]);
		s.dst = addr(v6[rnd() % ARRAY_SIZE(v6)]);
		s.ip_proto =
			(const uint8_t[]){ IPPROTO_UDP, IPPROTO_TCP, IPPROTO_ICMPV6 }[rnd() % 3];
		s.nip6ext = rnd() % 3 ? 0 : (uint8_t)(rnd() % 4);
		for (i = 0; i < s.nip6ext; i++) {
			s.ip6ext[i].type = ext_types[rnd() % 3];
			s.ip6ext[i].len = (uint16_t)(8 * (1 + rnd() % 3));
			s.ip6ext[i].data = ext_body;
		}
		if (rnd() % 8 == 0 && s.nip6ext < RXQ_MAX_IP6EXT) {
			s.ip6ext[s.nip6ext].type = IPPROTO_FRAGMENT;
			s.ip6ext[s.nip6ext].len = 8;
			s.nip6ext++;
		}
		s.icmp_type = icmp6_types[rnd() % ARRAY_SIZE(icmp6_types)];
	}
	if (rnd() % 8 == 0) {
		s.more_frags = true;
		s.frag_off = rnd() % 2 ? 0 : (uint16_t)(8 * (1 + rnd() % 100));
	}
	s.dont_frag = rnd() % 2;
	s.ttl = (uint8_t)(rnd() % 4 ? 64 : rnd());
	s.tos = (uint8_t)(rnd() % 4 ? 0 : rnd());
	s.ip_id = (uint16_t)rnd();
	s.src_port = ports[rnd() % ARRAY_SIZE(ports)];
	s.dst_port = rnd() % 4 ? ports[rnd() % ARRAY_SIZE(ports)] : (uint16_t)rnd();
	s.tcp_flags = (uint8_t)(rnd() % 2 ? 0x02 : rnd() % 2 ? 0x12 : rnd());
	s.icmp_code = 0;
	s.payload_len = rnd() % 3 ? rnd() % 64 : rnd() % 300;
	if (s.ip_proto == IPPROTO_TCP && rnd() % 4 == 0) {
		s.payload = http_get;
		s.payload_len = sizeof(http_get) - 1;
	}
	s.min_len = rnd() % 2 ? RXQ_FRAME_MIN : 0;
	len = rxq_pkt__build(b, FRAME_CAP, &s);
	return len > 0 ? (uint32_t)len : 0;
}

/* IPv6 with an authentication header (the builder writes none): protochain's other path. */
static uint32_t ah_frame(uint8_t *b, uint8_t ah_len, uint8_t ah_next)
{
	struct rxq_pkt_spec s;
	int len;

	memset(&s, 0, sizeof(s));
	memcpy(s.dst_mac, macs[0], 6);
	memcpy(s.src_mac, macs[1], 6);
	s.l3 = RXQ_L3_IPV6;
	s.src = addr("fd00::1");
	s.dst = addr("fd00::2");
	s.ip_proto = IPPROTO_UDP;
	s.payload_len = 200;
	len = rxq_pkt__build(b, FRAME_CAP, &s);
	assert_true(len > 54 + 8);
	b[20] = 51; /* next header: AH */
	b[54] = ah_next; /* AH: next header */
	b[55] = ah_len; /* AH: length in 4-byte units, minus 2 */
	return (uint32_t)len;
}

static void corpus_build(void)
{
	static const uint8_t arp[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0,    0,
				       0,    0,	   0x01, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00,
				       0x06, 0x04, 0x00, 0x01, 0x02, 0,	   0,	 0,    0,
				       0x01, 198,  18,	 0,    1,    0,	   0,	 0,    0,
				       0,    0,	   198,	 18,   0,    2 };
	static const uint8_t lldp[] = { 0x01, 0x80, 0xc2, 0,	0,    0x0e, 0x02, 0,	0,
					0,    0,    0x01, 0x88, 0xcc, 0x02, 0x07, 0x04, 0x02,
					0,    0,    0,	  0,	0x01, 0x04, 0x02, 0x07, 0x31,
					0x06, 0x02, 0x00, 0x78, 0x00, 0x00 };
	uint8_t b[FRAME_CAP];
	uint32_t len, cut, i, j, n;
	unsigned int nvalid;

	ncorpus = 0;
	/* valid frames, and each of the first ones cut at every length */
	for (i = 0; i < 400; i++) {
		len = random_valid_frame(b);
		if (!len)
			continue;
		if (i < 80)
			for (cut = RXQ_ETH_HLEN; cut < len; cut++)
				corpus_add(b, cut);
		else
			for (j = 0; j < 3; j++)
				corpus_add(b, RXQ_ETH_HLEN + rnd() % (len - RXQ_ETH_HLEN));
		corpus_add(b, len);
	}
	for (len = RXQ_ETH_HLEN; len <= sizeof(arp); len++)
		corpus_add(arp, len);
	for (len = RXQ_ETH_HLEN; len <= sizeof(lldp); len++)
		corpus_add(lldp, len);
	for (i = 0; i < 8; i++) {
		len = ah_frame(b, (uint8_t)(i % 4), i < 4 ? IPPROTO_TCP : IPPROTO_HOPOPTS);
		for (cut = 50; cut < 80; cut++)
			corpus_add(b, cut);
		corpus_add(b, len);
	}
	/* valid frames with a few bytes changed, mostly in the headers */
	nvalid = ncorpus;
	for (i = 0; i < 3000; i++) {
		const struct frame *f = &corpus[rnd() % nvalid];

		memcpy(b, f->b, f->len);
		n = 1 + rnd() % 4;
		for (j = 0; j < n; j++)
			b[rnd() % (rnd() % 2 ? (f->len < 64 ? f->len : 64) : f->len)] =
				(uint8_t)rnd();
		corpus_add(b, f->len);
	}
	/* random bytes, half of them with a common ethertype */
	for (i = 0; i < 2000; i++) {
		len = RXQ_ETH_HLEN + rnd() % 200;
		for (j = 0; j < len; j++)
			b[j] = (uint8_t)rnd();
		if (rnd() % 2) {
			static const uint16_t types[] = { 0x0800, 0x86dd, 0x8100, 0x0806, 0x88a8 };
			uint16_t t = types[rnd() % ARRAY_SIZE(types)];

			b[12] = (uint8_t)(t >> 8);
			b[13] = (uint8_t)t;
			if (t == 0x0800)
				b[14] = (uint8_t)(0x45 + rnd() % 3);
		}
		corpus_add(b, len);
	}
}

/* ---- running ---------------------------------------------------------------------------- */

static int run(int prog_fd, const uint8_t *frame, uint32_t len, uint32_t *retval)
{
	uint8_t out[FRAME_CAP + 64];
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = frame, .data_size_in = len, .data_out = out,
		    .data_size_out = sizeof(out), .repeat = 1);
	int err;

	err = bpf_prog_test_run_opts(prog_fd, &t);
	if (err)
		return -errno;
	*retval = t.retval;
	return 0;
}

static int load(const struct sock_filter *f, unsigned int len)
{
	RXQ_OPTS(rxq_cbpf_opts, opts, .epilogue = RXQ_CBPF_RETURN);

	return rxq_cbpf__load(f, len, &opts);
}

static void print_insns(const struct sock_filter *f, unsigned int len)
{
	unsigned int i;

	for (i = 0; i < len; i++)
		print_message("  %3u: {%#06x, %3u, %3u, %#010x}\n", i, f[i].code, f[i].jt, f[i].jf,
			      f[i].k);
}

/*
 * Runs @f translated over every @step-th frame of the corpus from @first and compares with
 * bpf_filter(). Returns the number of matching frames; fails the test on the first difference.
 */
static unsigned int compare_on_corpus(const char *name, const struct sock_filter *f,
				      unsigned int len, unsigned int first, unsigned int step)
{
	unsigned int i, matched = 0, want;
	uint32_t retval;
	int fd;

	fd = load(f, len);
	if (fd < 0) {
		print_message("%s: %s\n", name, log_text);
		print_insns(f, len);
		fail_msg("%s: does not load: %s", name, strerror(-fd));
	}
	for (i = first; i < ncorpus; i += step) {
		assert_int_equal(run(fd, corpus[i].b, corpus[i].len, &retval), 0);
		want = bpf_filter_verdict(f, corpus[i].b, corpus[i].len);
		if ((want && retval != RXQ_CBPF_XDP_MATCH) ||
		    (!want && retval != RXQ_CBPF_XDP_NOMATCH)) {
			print_insns(f, len);
			fail_msg(
				"%s: frame %u (%u bytes, seed %#llx): bpf_filter %u, XDP returns %u",
				name, i, corpus[i].len, (unsigned long long)seed_get(), want,
				retval);
		}
		/* and the user-space run of the same program decides as XDP does */
		if (xdp_of(rxq_cbpf__run(f, len, corpus[i].b, corpus[i].len)) != retval)
			fail_msg("%s: frame %u: rxq_cbpf__run differs from XDP (%u)", name, i,
				 retval);
		matched += want;
	}
	close(fd);
	return matched;
}

/* ---- without root: refusals and structure ---------------------------------------------- */

static void test_refuses_invalid(void **state)
{
	static const struct {
		const char *why;
		struct sock_filter f[4];
		unsigned int len;
	} bad[] = {
		{ "unknown opcode", { { 0x0e, 0, 0, 0 }, BPF_STMT(BPF_RET | BPF_K, 1) }, 2 },
		{ "LDX W ABS (libpcap 1.10 validates it, bpf_filter aborts)",
		  { BPF_STMT(BPF_LDX | BPF_W | BPF_ABS, 1), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "NEG with X",
		  { BPF_STMT(BPF_ALU | BPF_NEG | BPF_X, 0), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "RET X", { BPF_STMT(BPF_RET | BPF_X, 0) }, 1 },
		{ "scratch 16",
		  { BPF_STMT(BPF_LD | BPF_MEM, 16), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "store scratch 16", { BPF_STMT(BPF_ST, 16), BPF_STMT(BPF_RET | BPF_A, 0) }, 2 },
		{ "division by constant 0",
		  { BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "modulo by constant 0",
		  { BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "LSH by constant 40",
		  { BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 40), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "RSH by constant 32",
		  { BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 32), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "jt past the end",
		  { BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "jf past the end",
		  { BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "JA past the end",
		  { BPF_STMT(BPF_JMP | BPF_JA, 1), BPF_STMT(BPF_RET | BPF_A, 0) },
		  2 },
		{ "JA before the start",
		  { BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)-3),
		    BPF_STMT(BPF_RET | BPF_A, 0) },
		  3 },
		{ "JA to itself",
		  { BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)-1),
		    BPF_STMT(BPF_RET | BPF_A, 0) },
		  3 },
		{ "no RET at the end", { BPF_STMT(BPF_LD | BPF_IMM, 1) }, 1 },
		{ "empty", { BPF_STMT(BPF_RET | BPF_A, 0) }, 0 },
	};
	unsigned int i;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(bad); i++)
		if (translate(bad[i].f, bad[i].len, NULL) != -EINVAL)
			fail_msg("%s: not refused as invalid", bad[i].why);
	assert_int_equal(translate(NULL, 3, NULL), -EINVAL);
}

static void test_refuses_unsupported(void **state)
{
	static const uint32_t kernel_offsets[] = { (uint32_t)SKF_AD_OFF + SKF_AD_PROTOCOL,
						   (uint32_t)SKF_AD_OFF + SKF_AD_VLAN_TAG,
						   (uint32_t)SKF_AD_OFF + SKF_AD_VLAN_TAG_PRESENT,
						   (uint32_t)SKF_NET_OFF,
						   (uint32_t)SKF_LL_OFF + 12 };
	static const uint16_t loads[] = { BPF_LD | BPF_W | BPF_ABS, BPF_LD | BPF_H | BPF_ABS,
					  BPF_LD | BPF_B | BPF_ABS, BPF_LD | BPF_W | BPF_IND,
					  BPF_LD | BPF_B | BPF_IND, BPF_LDX | BPF_MSH | BPF_B };
	struct sock_filter f[2] = { BPF_STMT(0, 0), BPF_STMT(BPF_RET | BPF_A, 0) };
	struct sock_filter *longer;
	unsigned int i, j;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(loads); i++) {
		for (j = 0; j < ARRAY_SIZE(kernel_offsets); j++) {
			f[0] = (struct sock_filter)BPF_STMT(loads[i], kernel_offsets[j]);
			assert_int_equal(translate(f, 2, NULL), -EOPNOTSUPP);
		}
		/* just below the Linux offsets: an ordinary load that never succeeds */
		f[0] = (struct sock_filter)BPF_STMT(loads[i], (uint32_t)SKF_LL_OFF - 1);
		assert_int_equal(translate(f, 2, NULL), 0);
	}
	/* an invalid program is invalid before it is too long */
	longer = calloc(RXQ_CBPF_MAX_INSNS + 1, sizeof(*longer));
	assert_non_null(longer);
	longer[RXQ_CBPF_MAX_INSNS] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 1);
	assert_int_equal(translate(longer, RXQ_CBPF_MAX_INSNS + 1, NULL), -EOPNOTSUPP);
	assert_int_equal(translate(longer + 1, RXQ_CBPF_MAX_INSNS, NULL), 0);
	longer[RXQ_CBPF_MAX_INSNS].code = BPF_LD | BPF_IMM;
	assert_int_equal(translate(longer, RXQ_CBPF_MAX_INSNS + 1, NULL), -EINVAL);
	free(longer);
}

static void test_refuses_bad_opts(void **state)
{
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, 1) };
	struct rxq_cbpf_opts o;

	(void)state;
	memset(&o, 0, sizeof(o));
	o.sz = sizeof(o);
	o.epilogue = 7;
	assert_int_equal(translate(f, 1, &o), -EINVAL);
	o.epilogue = RXQ_CBPF_TAIL_CALL;
	o.prog_array_fd = -1;
	assert_int_equal(translate(f, 1, &o), -EINVAL);
	o.prog_array_fd = 100;
	o.meta_off = RXQ_CBPF_META_OFF_MAX + 1;
	assert_int_equal(translate(f, 1, &o), -EINVAL);
	o.meta_off = 4;
	o.fallback_action = XDP_REDIRECT + 1;
	assert_int_equal(translate(f, 1, &o), -EINVAL);
	o.fallback_action = XDP_PASS;
	assert_int_equal(translate(f, 1, &o), 0);
	/* an older, shorter opts struct: the fields it lacks are zero (RXQ_CBPF_RETURN) */
	o.sz = offsetof(struct rxq_cbpf_opts, epilogue);
	assert_int_equal(translate(f, 1, &o), 0);
}

static void test_compile_expr(void **state)
{
	struct sock_filter *f;
	unsigned int len;

	(void)state;
	log_reset();
	assert_int_equal(rxq_cbpf__compile_expr(&f, &len, "udp and dst port 53"), 0);
	assert_true(len > 4);
	assert_int_equal(f[len - 1].code, BPF_RET | BPF_K);
	free(f);
	assert_int_equal(rxq_cbpf__compile_expr(&f, &len, "udp and dst prot 53"), -EINVAL);
	assert_null(f);
	assert_non_null(strstr(log_text, "udp and dst prot 53"));
	rxq_log__set(NULL, NULL);
}

/* Every expression translates, with both epilogues, into structurally sound code. */
static void test_structure(void **state)
{
	RXQ_OPTS(rxq_cbpf_opts, tail, .epilogue = RXQ_CBPF_TAIL_CALL, .meta_off = 3,
		 .prog_array_fd = 100, .prog_index = 1, .fallback_action = XDP_PASS);
	struct sock_filter *f;
	unsigned int i, len;

	(void)state;
	for (i = 0; i < ARRAY_SIZE(exprs); i++) {
		assert_int_equal(rxq_cbpf__compile_expr(&f, &len, exprs[i].expr), 0);
		assert_int_equal(bpf_validate((const struct pcap_bpf_insn *)f, (int)len), 1);
		if (translate(f, len, NULL) || translate(f, len, &tail))
			fail_msg("%s: does not translate", exprs[i].expr);
		free(f);
	}
}

/* Code no path reaches is left out, else the verifier would refuse the program. */
static void test_unreachable_left_out(void **state)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12),
		BPF_STMT(BPF_JMP | BPF_JA, 3),
		BPF_STMT(BPF_LD | BPF_IMM, 1), /* dead */
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), /* dead */
		BPF_STMT(BPF_RET | BPF_A, 0), /* dead */
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0x10000), /* never succeeds */
		BPF_STMT(BPF_RET | BPF_K, 1), /* dead: after a load that always fails */
	};
	struct bpf_insn *insns;
	unsigned int cnt, i;

	(void)state;
	assert_int_equal(rxq_cbpf__translate(&insns, &cnt, f, ARRAY_SIZE(f), NULL), 0);
	assert_int_equal(cbpf_insns_check(insns, cnt), 0);
	for (i = 0; i < cnt; i++)
		assert_int_not_equal(insns[i].code, BPF_ALU | BPF_DIV | BPF_X);
	/* no match label only: nothing returns RXQ_CBPF_XDP_MATCH */
	for (i = 0; i < cnt; i++)
		if (insns[i].code == (BPF_ALU | BPF_MOV | BPF_K) && insns[i].dst_reg == BPF_REG_0)
			assert_int_equal(insns[i].imm, RXQ_CBPF_XDP_NOMATCH);
	free(insns);
}

/* ---- with root: equality with bpf_filter() --------------------------------------------- */

static bool root;

static int setup_root(void **state)
{
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, 1) };
	int fd;

	(void)state;
	root = false;
	if (geteuid() != 0) {
		fprintf(stderr, "test_cbpf: not root: loading and running translated programs "
				"(BPF_PROG_TEST_RUN) is skipped\n");
		return 0;
	}
	fd = load(f, 1);
	if (fd < 0) {
		fprintf(stderr, "test_cbpf: the kernel loads no XDP program (%s): skipped\n",
			strerror(-fd));
		return 0;
	}
	close(fd);
	root = true;
	rng_state = seed_get();
	print_message("seed %#llx\n", (unsigned long long)rng_state);
	corpus_build();
	print_message("%u frames\n", ncorpus);
	return 0;
}

static int teardown_root(void **state)
{
	(void)state;
	free(corpus);
	corpus = NULL;
	ncorpus = corpus_cap = 0;
	rxq_log__set(NULL, NULL);
	return 0;
}

#define NEED_ROOT()             \
	do {                    \
		if (!root)      \
			skip(); \
	} while (0)

static void test_expressions(void **state)
{
	struct sock_filter *f;
	unsigned int i, len, matched;

	(void)state;
	NEED_ROOT();
	log_reset();
	for (i = 0; i < ARRAY_SIZE(exprs); i++) {
		assert_int_equal(rxq_cbpf__compile_expr(&f, &len, exprs[i].expr), 0);
		matched = compare_on_corpus(exprs[i].expr, f, len, 0, 1);
		print_message("%-48s %3u cBPF insns, %5u of %u frames match\n", exprs[i].expr, len,
			      matched, ncorpus);
		if (!exprs[i].rare && (!matched || matched == ncorpus))
			fail_msg("%s: the corpus does not test both outcomes", exprs[i].expr);
		free(f);
	}
}

#define PROG_MAX 24

/* Instructions libpcap rarely or never emits. */
static const struct {
	const char *name;
	struct sock_filter f[PROG_MAX];
	unsigned int len;
} handwritten[] = {
	{ "div by X = packet byte (may be 0)",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 15), BPF_STMT(BPF_MISC | BPF_TAX, 0),
	    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1), BPF_STMT(BPF_RET | BPF_A, 0) },
	  6 },
	{ "mod by X = packet byte (may be 0)",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 15), BPF_STMT(BPF_MISC | BPF_TAX, 0),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 16), BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1), BPF_STMT(BPF_RET | BPF_A, 0) },
	  6 },
	{ "div by X = 0", /* fails before RET #1 */
	  { BPF_STMT(BPF_LDX | BPF_IMM, 0), BPF_STMT(BPF_LD | BPF_IMM, 7),
	    BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0), BPF_STMT(BPF_RET | BPF_K, 1) },
	  4 },
	{ "mod by X = 0",
	  { BPF_STMT(BPF_LD | BPF_IMM, 7), BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0),
	    BPF_STMT(BPF_RET | BPF_K, 1) },
	  3 },
	{ "lsh by X = 40",
	  { BPF_STMT(BPF_LDX | BPF_IMM, 40), BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
	    BPF_STMT(BPF_ALU | BPF_OR | BPF_K, 1), BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1), BPF_STMT(BPF_RET | BPF_K, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0) },
	  7 },
	{ "lsh/rsh by X = packet byte & 63",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14), BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 63),
	    BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 20),
	    BPF_STMT(BPF_ALU | BPF_LSH | BPF_X, 0), BPF_STMT(BPF_ST, 0),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 24), BPF_STMT(BPF_ALU | BPF_RSH | BPF_X, 0),
	    BPF_STMT(BPF_LDX | BPF_MEM, 0), BPF_STMT(BPF_ALU | BPF_XOR | BPF_X, 0),
	    BPF_STMT(BPF_RET | BPF_A, 0) },
	  11 },
	{ "shifts by constants 0 and 31",
	  { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 26), BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 31),
	    BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),
	    BPF_STMT(BPF_ALU | BPF_RSH | BPF_K, 31), BPF_STMT(BPF_ALU | BPF_LSH | BPF_K, 0),
	    BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0), BPF_STMT(BPF_RET | BPF_A, 0) },
	  8 },
	{ "scratch memory: words 0, 3 and 15",
	  { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 14), BPF_STMT(BPF_ST, 3),
	    BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14), BPF_STMT(BPF_STX, 15),
	    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 20), BPF_STMT(BPF_ST, 0),
	    BPF_STMT(BPF_LDX | BPF_MEM, 3), BPF_STMT(BPF_LD | BPF_MEM, 15),
	    BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0), BPF_STMT(BPF_LDX | BPF_MEM, 0),
	    BPF_STMT(BPF_ALU | BPF_MUL | BPF_X, 0), BPF_STMT(BPF_ST, 15),
	    BPF_STMT(BPF_LD | BPF_MEM, 15), BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 0x80000000u, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 1), BPF_STMT(BPF_RET | BPF_K, 0) },
	  16 },
	{ "jset/jeq/jgt/jge with X",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14), BPF_STMT(BPF_MISC | BPF_TAX, 0),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 15), BPF_JUMP(BPF_JMP | BPF_JSET | BPF_X, 0, 0, 5),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 16), BPF_JUMP(BPF_JMP | BPF_JGE | BPF_X, 0, 0, 3),
	    BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 17), BPF_JUMP(BPF_JMP | BPF_JGT | BPF_X, 0, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 1), BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 18),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_X, 0, 1, 0), BPF_STMT(BPF_RET | BPF_K, 0),
	    BPF_STMT(BPF_RET | BPF_K, 2) },
	  13 },
	{ "jumps with jt = 0 (inverted), jt = jf, JSET jt = 0",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 23), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 17, 0, 6),
	    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 3, 2, 2), BPF_STMT(BPF_RET | BPF_K, 5),
	    BPF_STMT(BPF_RET | BPF_K, 6), BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 15),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80, 0, 1), BPF_STMT(BPF_RET | BPF_K, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0x10, 0, 1), BPF_STMT(BPF_RET | BPF_K, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 0, 0), BPF_STMT(BPF_RET | BPF_K, 7) },
	  12 },
	{ "RET A of a packet byte",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14), BPF_STMT(BPF_RET | BPF_A, 0) },
	  2 },
	{ "RET A of a word, RET K 0x80000000",
	  { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 26), BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 1, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0x80000000u), BPF_STMT(BPF_RET | BPF_A, 0) },
	  4 },
	{ "NEG, XOR K, OR X, AND X",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14), BPF_STMT(BPF_MISC | BPF_TAX, 0),
	    BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 16), BPF_STMT(BPF_ALU | BPF_NEG, 0),
	    BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, 0xdeadbeefu), BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0),
	    BPF_STMT(BPF_ALU | BPF_AND | BPF_X, 0), BPF_STMT(BPF_MISC | BPF_TXA, 0),
	    BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x11, 0, 1), BPF_STMT(BPF_RET | BPF_K, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0) },
	  11 },
	{ "large constants: DIV/MOD/ADD/SUB/MUL",
	  { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 26),
	    BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 0x80000001u), BPF_STMT(BPF_ST, 1),
	    BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 30),
	    BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, 0xfffffff0u),
	    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 0xfffffffeu),
	    BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 0x90000000u),
	    BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, 0x9e3779b9u), BPF_STMT(BPF_LDX | BPF_MEM, 1),
	    BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 0xc0000000u, 0, 1), BPF_STMT(BPF_RET | BPF_K, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0) },
	  13 },
	{ "LEN into A and X",
	  { BPF_STMT(BPF_LDX | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_LD | BPF_IMM, 200),
	    BPF_STMT(BPF_ALU | BPF_SUB | BPF_X, 0), BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 100, 0, 1),
	    BPF_STMT(BPF_RET | BPF_K, 1), BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0),
	    BPF_STMT(BPF_RET | BPF_A, 0) },
	  7 },
	{ "indexed loads at large offsets",
	  { BPF_STMT(BPF_LDX | BPF_B | BPF_MSH, 14), BPF_STMT(BPF_LD | BPF_H | BPF_IND, 14),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 53, 0, 2),
	    BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0xfff0), BPF_STMT(BPF_RET | BPF_K, 1),
	    BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, 1000, 0, 1),
	    BPF_STMT(BPF_LD | BPF_W | BPF_IND, 0xfffc), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0x7fff),
	    BPF_STMT(BPF_RET | BPF_K, 2) },
	  9 },
	{ "X from a word, indexed load past any frame",
	  { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 14), BPF_STMT(BPF_MISC | BPF_TAX, 0),
	    BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0), BPF_STMT(BPF_RET | BPF_K, 1) },
	  4 },
	{ "X small, indexed loads of every size",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 14), BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0x7f),
	    BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_LD | BPF_W | BPF_IND, 10),
	    BPF_STMT(BPF_ST, 2), BPF_STMT(BPF_LD | BPF_H | BPF_IND, 40),
	    BPF_STMT(BPF_LDX | BPF_MEM, 2), BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
	    BPF_STMT(BPF_RET | BPF_A, 0) },
	  9 },
	{ "absolute loads beyond 32767 and at the 64 KiB edge",
	  { BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 40000), BPF_STMT(BPF_RET | BPF_K, 1) },
	  2 },
	{ "absolute word load at 0xfffc",
	  { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffc), BPF_STMT(BPF_RET | BPF_K, 1) },
	  2 },
	{ "absolute word load at 0xfffd (never fits)",
	  { BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0xfffd), BPF_STMT(BPF_RET | BPF_K, 1) },
	  2 },
	{ "load at the last byte, and one past it",
	  { BPF_STMT(BPF_LD | BPF_W | BPF_LEN, 0), BPF_STMT(BPF_ALU | BPF_SUB | BPF_K, 1),
	    BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 0),
	    BPF_STMT(BPF_ST, 4), BPF_STMT(BPF_LD | BPF_B | BPF_ABS, 59),
	    BPF_STMT(BPF_LD | BPF_H | BPF_IND, 0), BPF_STMT(BPF_RET | BPF_K, 1) },
	  8 },
	{ "unreachable instructions",
	  { BPF_STMT(BPF_LD | BPF_H | BPF_ABS, 12), BPF_STMT(BPF_JMP | BPF_JA, 2),
	    BPF_STMT(BPF_LD | BPF_IMM, 1), BPF_STMT(BPF_RET | BPF_A, 0),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x86dd, 0, 1), BPF_STMT(BPF_RET | BPF_K, 1),
	    BPF_STMT(BPF_RET | BPF_K, 0) },
	  7 },
	{ "a bounded loop (8 backward jumps)",
	  { BPF_STMT(BPF_LD | BPF_IMM, 0), BPF_STMT(BPF_ST, 0), BPF_STMT(BPF_LD | BPF_MEM, 0),
	    BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1), BPF_STMT(BPF_ST, 0),
	    BPF_STMT(BPF_MISC | BPF_TAX, 0), BPF_STMT(BPF_LD | BPF_B | BPF_IND, 13),
	    BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0x45, 4, 0), BPF_STMT(BPF_LD | BPF_MEM, 0),
	    BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 9, 1, 0), BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)-9),
	    BPF_STMT(BPF_RET | BPF_K, 0), BPF_STMT(BPF_RET | BPF_A, 0) },
	  13 },
};

static void test_handwritten(void **state)
{
	unsigned int i, matched;

	(void)state;
	NEED_ROOT();
	log_reset();
	for (i = 0; i < ARRAY_SIZE(handwritten); i++) {
		assert_int_equal(bpf_validate((const struct pcap_bpf_insn *)handwritten[i].f,
					      (int)handwritten[i].len),
				 1);
		matched = compare_on_corpus(handwritten[i].name, handwritten[i].f,
					    handwritten[i].len, 0, 1);
		print_message("%-52s %5u of %u frames match\n", handwritten[i].name, matched,
			      ncorpus);
	}
}

/*
 * A scratch word no path stored reads as 0 (libpcap 1.10 reads whatever the stack held, so
 * bpf_filter() is no reference here).
 */
static void test_scratch_starts_zero(void **state)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LDX | BPF_MEM, 9),	       BPF_STMT(BPF_LD | BPF_MEM, 7),
		BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0), BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, 1),	       BPF_STMT(BPF_RET | BPF_K, 0)
	};
	uint32_t retval;
	int fd;

	(void)state;
	NEED_ROOT();
	fd = load(f, ARRAY_SIZE(f));
	assert_true(fd >= 0);
	assert_int_equal(run(fd, corpus[0].b, corpus[0].len, &retval), 0);
	assert_int_equal(retval, RXQ_CBPF_XDP_MATCH);
	close(fd);
}

/*
 * Loops: a program counting its own backward jumps gets RXQ_CBPF_MAX_BACKWARD_JUMPS of them and
 * is undecided at the next one; an IPv6 AH header pointing at itself, on which "ip6 protochain"
 * of libpcap 1.10 loops forever in bpf_filter(), is undecided too.
 */
static void test_backward_jump_budget(void **state)
{
	struct sock_filter count[] = {
		BPF_STMT(BPF_LD | BPF_IMM, 0),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_LD | BPF_MEM, 0), /* head */
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		BPF_STMT(BPF_ST, 0),
		BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, 0 /* iterations */, 1, 0),
		BPF_STMT(BPF_JMP | BPF_JA, (uint32_t)-5),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_filter *f;
	uint8_t b[FRAME_CAP];
	unsigned int len;
	uint32_t retval, flen;
	int fd;

	(void)state;
	NEED_ROOT();
	/* n iterations take n - 1 backward jumps */
	count[5].k = RXQ_CBPF_MAX_BACKWARD_JUMPS + 1;
	fd = load(count, ARRAY_SIZE(count));
	assert_true(fd >= 0);
	assert_int_equal(run(fd, corpus[0].b, corpus[0].len, &retval), 0);
	assert_int_equal(retval, RXQ_CBPF_XDP_MATCH);
	assert_int_equal(bpf_filter_verdict(count, corpus[0].b, corpus[0].len), 1);
	close(fd);
	count[5].k = RXQ_CBPF_MAX_BACKWARD_JUMPS + 2;
	fd = load(count, ARRAY_SIZE(count));
	assert_true(fd >= 0);
	assert_int_equal(run(fd, corpus[0].b, corpus[0].len, &retval), 0);
	assert_int_equal(retval, RXQ_CBPF_XDP_UNDECIDED);
	close(fd);

	/* libpcap's AH step sets X = (length + 2) * 4, forgetting where the header was */
	assert_int_equal(rxq_cbpf__compile_expr(&f, &len, "ip6 protochain 6"), 0);
	fd = load(f, len);
	assert_true(fd >= 0);
	flen = ah_frame(b, 8 /* X = 40: the same AH again */, 51);
	assert_int_equal(run(fd, b, flen, &retval), 0);
	assert_int_equal(retval, RXQ_CBPF_XDP_UNDECIDED);
	/* user space ends the loop the same way, where bpf_filter() would never return */
	assert_int_equal(rxq_cbpf__run(f, len, b, flen), RXQ_CBPF_VERDICT_UNDECIDED);
	/* a proper AH chain to TCP: decided, and as bpf_filter() decides */
	flen = ah_frame(b, 2, IPPROTO_TCP);
	assert_int_equal(run(fd, b, flen, &retval), 0);
	assert_int_equal(retval, bpf_filter_verdict(f, b, flen) ? RXQ_CBPF_XDP_MATCH :
								  RXQ_CBPF_XDP_NOMATCH);
	close(fd);
	free(f);
}

/*
 * A random valid program, with backward jumps if @loops; its length. Scratch words are stored
 * before any read.
 */
static unsigned int random_program(struct sock_filter *f, unsigned int cap, bool loops)
{
	static const uint16_t ops[] = {
		BPF_LD | BPF_W | BPF_ABS,
		BPF_LD | BPF_H | BPF_ABS,
		BPF_LD | BPF_B | BPF_ABS,
		BPF_LD | BPF_W | BPF_IND,
		BPF_LD | BPF_H | BPF_IND,
		BPF_LD | BPF_B | BPF_IND,
		BPF_LDX | BPF_MSH | BPF_B,
		BPF_LD | BPF_W | BPF_LEN,
		BPF_LDX | BPF_W | BPF_LEN,
		BPF_LD | BPF_IMM,
		BPF_LDX | BPF_IMM,
		BPF_LD | BPF_MEM,
		BPF_LDX | BPF_MEM,
		BPF_ST,
		BPF_STX,
		BPF_ALU | BPF_ADD | BPF_K,
		BPF_ALU | BPF_SUB | BPF_K,
		BPF_ALU | BPF_MUL | BPF_K,
		BPF_ALU | BPF_DIV | BPF_K,
		BPF_ALU | BPF_MOD | BPF_K,
		BPF_ALU | BPF_AND | BPF_K,
		BPF_ALU | BPF_OR | BPF_K,
		BPF_ALU | BPF_XOR | BPF_K,
		BPF_ALU | BPF_LSH | BPF_K,
		BPF_ALU | BPF_RSH | BPF_K,
		BPF_ALU | BPF_ADD | BPF_X,
		BPF_ALU | BPF_SUB | BPF_X,
		BPF_ALU | BPF_MUL | BPF_X,
		BPF_ALU | BPF_DIV | BPF_X,
		BPF_ALU | BPF_MOD | BPF_X,
		BPF_ALU | BPF_AND | BPF_X,
		BPF_ALU | BPF_OR | BPF_X,
		BPF_ALU | BPF_XOR | BPF_X,
		BPF_ALU | BPF_LSH | BPF_X,
		BPF_ALU | BPF_RSH | BPF_X,
		BPF_ALU | BPF_NEG,
		BPF_JMP | BPF_JA,
		BPF_JMP | BPF_JEQ | BPF_K,
		BPF_JMP | BPF_JGT | BPF_K,
		BPF_JMP | BPF_JGE | BPF_K,
		BPF_JMP | BPF_JSET | BPF_K,
		BPF_JMP | BPF_JEQ | BPF_X,
		BPF_JMP | BPF_JGT | BPF_X,
		BPF_JMP | BPF_JGE | BPF_X,
		BPF_JMP | BPF_JSET | BPF_X,
		BPF_MISC | BPF_TAX,
		BPF_MISC | BPF_TXA,
		BPF_RET | BPF_K,
		BPF_RET | BPF_A,
	};
	struct sock_filter body[64];
	bool read[BPF_MEMWORDS] = { false };
	unsigned int nbody = 4 + rnd() % 40, i, n = 0, left;
	uint32_t k;

	assert_true(cap >= nbody + 2 + 2 * BPF_MEMWORDS);
	for (i = 0; i < nbody; i++) {
		uint16_t op = ops[rnd() % ARRAY_SIZE(ops)];

		left = nbody - i - 1 + 2; /* instructions after this one, the two RETs included */
		switch (rnd() % 8) {
		case 0:
			k = rnd();
			break;
		case 1:
			k = 0xffff - rnd() % 8;
			break;
		case 2:
			k = rnd() % 1600;
			break;
		default:
			k = rnd() % 64;
			break;
		}
		if (k >= (uint32_t)SKF_LL_OFF)
			k = rnd() % 64;
		body[i] = (struct sock_filter)BPF_STMT(op, k);
		switch (BPF_CLASS(op)) {
		case BPF_LD:
		case BPF_LDX:
			if (BPF_MODE(op) == BPF_MEM) {
				body[i].k %= BPF_MEMWORDS;
				read[body[i].k] = true;
			}
			break;
		case BPF_ST:
		case BPF_STX:
			body[i].k %= BPF_MEMWORDS;
			break;
		case BPF_ALU:
			if ((BPF_OP(op) == BPF_DIV || BPF_OP(op) == BPF_MOD) && !body[i].k)
				body[i].k = 1 + rnd() % 9;
			if (BPF_OP(op) == BPF_LSH || BPF_OP(op) == BPF_RSH)
				body[i].k %= 32;
			break;
		case BPF_JMP:
			if (BPF_OP(op) == BPF_JA && loops && i > 0 && rnd() % 2) {
				/* back to any earlier instruction (not to itself) */
				body[i].k = (uint32_t)((int32_t)(rnd() % i) - (int32_t)i - 1);
			} else if (BPF_OP(op) == BPF_JA) {
				body[i].k = rnd() % left;
			} else {
				body[i].jt = (uint8_t)(rnd() % (left < 256 ? left : 256));
				body[i].jf = (uint8_t)(rnd() % (left < 256 ? left : 256));
				if (rnd() % 2)
					body[i].k = rnd() % 256;
			}
			break;
		}
	}
	/* store every scratch word read before the body runs, as bpf_filter() needs */
	for (i = 0; i < BPF_MEMWORDS; i++) {
		if (!read[i])
			continue;
		f[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_IMM,
						      rnd() % 4 ? rnd() % 256 : rnd());
		f[n++] = (struct sock_filter)BPF_STMT(BPF_ST, i);
	}
	memcpy(f + n, body, nbody * sizeof(*body));
	n += nbody;
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, rnd() % 2);
	f[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_A, 0);
	return n;
}

static void test_random_programs(void **state)
{
	struct sock_filter f[128];
	unsigned int i, len, matched, some = 0, none = 0;

	(void)state;
	NEED_ROOT();
	log_reset();
	/* a fresh sequence, so the programs do not depend on the corpus size */
	rng_state = seed_get() ^ 0x9e3779b97f4a7c15ull;
	for (i = 0; i < 400; i++) {
		char name[32];

		len = random_program(f, ARRAY_SIZE(f), false);
		assert_int_equal(bpf_validate((const struct pcap_bpf_insn *)f, (int)len), 1);
		snprintf(name, sizeof(name), "random program %u", i);
		/* a sample of the corpus: each program sees other frames */
		matched = compare_on_corpus(name, f, len, i % 16, 16);
		some += matched > 0;
		none += matched == 0;
	}
	print_message("random programs: %u match some frames, %u none\n", some, none);
	assert_true(some > 40 && none > 40);
}

/*
 * Random programs with loops. bpf_filter() of libpcap 1.10 has no bound on backward jumps and may
 * never return, so it is asked only where the translated program decided: it then takes the same
 * path, at most RXQ_CBPF_MAX_BACKWARD_JUMPS jumps long.
 */
static void test_random_loops(void **state)
{
	struct sock_filter f[128];
	unsigned int i, j, len, decided = 0, undecided = 0, want;
	uint32_t retval;
	int fd;

	(void)state;
	NEED_ROOT();
	log_reset();
	rng_state = seed_get() ^ 0x6a09e667f3bcc909ull;
	for (i = 0; i < 300; i++) {
		len = random_program(f, ARRAY_SIZE(f), true);
		assert_int_equal(bpf_validate((const struct pcap_bpf_insn *)f, (int)len), 1);
		fd = load(f, len);
		if (fd < 0) {
			print_insns(f, len);
			fail_msg("random loop program %u does not load: %s\n%s", i, strerror(-fd),
				 log_text);
		}
		for (j = i % 32; j < ncorpus; j += 32) {
			assert_int_equal(run(fd, corpus[j].b, corpus[j].len, &retval), 0);
			if (xdp_of(rxq_cbpf__run(f, len, corpus[j].b, corpus[j].len)) != retval) {
				print_insns(f, len);
				fail_msg("random loop program %u: frame %u: rxq_cbpf__run differs "
					 "from XDP (%u)",
					 i, j, retval);
			}
			if (retval == RXQ_CBPF_XDP_UNDECIDED) {
				undecided++;
				continue;
			}
			decided++;
			want = bpf_filter_verdict(f, corpus[j].b, corpus[j].len);
			if ((want && retval != RXQ_CBPF_XDP_MATCH) ||
			    (!want && retval != RXQ_CBPF_XDP_NOMATCH)) {
				print_insns(f, len);
				fail_msg("random loop program %u: frame %u: bpf_filter %u, XDP %u",
					 i, j, want, retval);
			}
		}
		close(fd);
	}
	print_message("random loop programs: %u runs decided, %u undecided\n", decided, undecided);
	assert_true(decided > 1000 && undecided > 1000);
}

/* ---- with root: the tail-call epilogue -------------------------------------------------- */

#define E(c, d, s, o, i) \
	((struct bpf_insn){ .code = (c), .dst_reg = (d), .src_reg = (s), .off = (o), .imm = (i) })

#define META_LEN 8
#define META_OFF 5

/* The next stage: returns XDP_TX, proof that the tail call happened. */
static int load_next_stage(void)
{
	const struct bpf_insn insns[] = {
		E(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_TX),
		E(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_XDP);

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "rxq_test_next", "GPL", insns, ARRAY_SIZE(insns),
			     &lo);
}

/*
 * A main program as the caller would write it: reserves META_LEN bytes of metadata, marks the
 * verdict byte 0xaa, tail-calls slot 0 (the filter); XDP_DROP if anything fails.
 */
static int load_main(int map_fd, uint32_t ifindex)
{
	const struct bpf_insn insns[] = {
		E(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0),
		E(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_2, 0, 0, -META_LEN),
		E(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_xdp_adjust_meta),
		E(BPF_JMP | BPF_JNE | BPF_K, BPF_REG_0, 0, 11, 0),
		E(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_2, BPF_REG_6,
		  offsetof(struct xdp_md, data_meta), 0),
		E(BPF_LDX | BPF_MEM | BPF_W, BPF_REG_3, BPF_REG_6, offsetof(struct xdp_md, data),
		  0),
		E(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_4, BPF_REG_2, 0, 0),
		E(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_4, 0, 0, META_LEN),
		E(BPF_JMP | BPF_JGT | BPF_X, BPF_REG_4, BPF_REG_3, 6, 0),
		E(BPF_ST | BPF_MEM | BPF_B, BPF_REG_2, 0, META_OFF, 0xaa),
		E(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0),
		E(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0, map_fd),
		E(0, 0, 0, 0, 0),
		E(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_3, 0, 0, 0),
		E(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_tail_call),
		E(BPF_ALU | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, XDP_DROP),
		E(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_XDP,
		    .prog_ifindex = ifindex, .prog_flags = ifindex ? BPF_F_XDP_DEV_BOUND_ONLY : 0);

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "rxq_test_main", "GPL", insns, ARRAY_SIZE(insns),
			     &lo);
}

/* Runs @prog_fd on META_LEN bytes of metadata (0xaa) and @frame; returns the verdict byte. */
static int run_with_meta(int prog_fd, const uint8_t *frame, uint32_t len, uint32_t metalen,
			 uint32_t *retval)
{
	uint8_t in[META_LEN + FRAME_CAP], out[META_LEN + FRAME_CAP + 64];
	struct xdp_md ctx_in, ctx_out;
	LIBBPF_OPTS(bpf_test_run_opts, t, .data_in = in, .data_size_in = metalen + len,
		    .data_out = out, .data_size_out = sizeof(out), .ctx_in = &ctx_in,
		    .ctx_size_in = sizeof(ctx_in), .ctx_out = &ctx_out,
		    .ctx_size_out = sizeof(ctx_out), .repeat = 1);

	memset(in, 0xaa, metalen);
	memcpy(in + metalen, frame, len);
	memset(&ctx_in, 0, sizeof(ctx_in));
	ctx_in.data = metalen;
	ctx_in.data_end = metalen + len;
	assert_int_equal(bpf_prog_test_run_opts(prog_fd, &t), 0);
	*retval = t.retval;
	if (ctx_out.data <= META_OFF)
		return -1;
	return out[META_OFF];
}

static void test_tail_call(void **state)
{
	RXQ_OPTS(rxq_cbpf_opts, o, .epilogue = RXQ_CBPF_TAIL_CALL, .meta_off = META_OFF,
		 .prog_index = 1, .fallback_action = XDP_PASS);
	struct sock_filter *f;
	int map_fd, next_fd, filter_fd, main_fd, verdict;
	unsigned int i, len, slot;
	uint32_t retval;

	(void)state;
	NEED_ROOT();
	map_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "rxq_test_pa", 4, 4, 4, NULL);
	assert_true(map_fd >= 0);
	o.prog_array_fd = map_fd;
	assert_int_equal(rxq_cbpf__compile_expr(&f, &len, "udp and dst port 53"), 0);
	filter_fd = rxq_cbpf__load(f, len, &o);
	assert_true(filter_fd >= 0);
	next_fd = load_next_stage();
	assert_true(next_fd >= 0);
	main_fd = load_main(map_fd, 0);
	assert_true(main_fd >= 0);

	/* slot 1 empty: the verdict is written, then the fallback action */
	for (i = 0; i < 200; i++) {
		verdict = run_with_meta(filter_fd, corpus[i].b, corpus[i].len, META_LEN, &retval);
		assert_int_equal(retval, XDP_PASS);
		assert_int_equal(verdict, bpf_filter_verdict(f, corpus[i].b, corpus[i].len));
	}
	slot = 1;
	assert_int_equal(bpf_map_update_elem(map_fd, &slot, &next_fd, BPF_ANY), 0);
	for (i = 0; i < ncorpus; i += 7) {
		verdict = run_with_meta(filter_fd, corpus[i].b, corpus[i].len, META_LEN, &retval);
		assert_int_equal(retval, XDP_TX);
		assert_int_equal(verdict, bpf_filter_verdict(f, corpus[i].b, corpus[i].len));
		/* metadata too short (none, or ending just before the byte): continues anyway */
		verdict = run_with_meta(filter_fd, corpus[i].b, corpus[i].len, 0, &retval);
		assert_int_equal(retval, XDP_TX);
		assert_int_equal(verdict, -1);
		verdict = run_with_meta(filter_fd, corpus[i].b, corpus[i].len, 4, &retval);
		assert_int_equal(retval, XDP_TX);
		assert_int_equal(verdict, -1);
	}
	/* the whole pipeline: main reserves the metadata and tail-calls the filter */
	slot = 0;
	assert_int_equal(bpf_map_update_elem(map_fd, &slot, &filter_fd, BPF_ANY), 0);
	for (i = 0; i < ncorpus; i += 5) {
		verdict = run_with_meta(main_fd, corpus[i].b, corpus[i].len, 0, &retval);
		assert_int_equal(retval, XDP_TX);
		assert_int_equal(verdict, bpf_filter_verdict(f, corpus[i].b, corpus[i].len));
	}
	close(main_fd);
	close(next_fd);
	close(filter_fd);
	close(map_fd);
	free(f);
}

/*
 * Device-bound loading: allowed for the filter on its own; the kernel keeps device-bound
 * programs out of prog arrays, while a device-bound main program may tail-call a plain filter.
 * lo refuses device-bound programs (it has no XDP metadata support), so a child process makes a
 * veth pair in a network namespace of its own, which disappears with it.
 */
#define CHILD_CHECK(cond)                                                                  \
	do {                                                                               \
		if (!(cond)) {                                                             \
			fprintf(stderr, "test_dev_bound: line %d: %s\n", __LINE__, #cond); \
			_exit(1);                                                          \
		}                                                                          \
	} while (0)

static void dev_bound_child(void)
{
	RXQ_OPTS(rxq_cbpf_opts, o, .epilogue = RXQ_CBPF_RETURN);
	struct sock_filter *f;
	int map_fd, bound_fd, plain_fd, main_fd;
	unsigned int len, slot = 0, ifindex;

	if (unshare(CLONE_NEWNET))
		_exit(77);
	if (system("ip link add rxq-cbpf0 type veth peer name rxq-cbpf1 2>/dev/null"))
		_exit(77);
	ifindex = if_nametoindex("rxq-cbpf0");
	CHILD_CHECK(ifindex > 0);
	CHILD_CHECK(rxq_cbpf__compile_expr(&f, &len, "udp and dst port 53") == 0);
	o.ifindex = ifindex;
	bound_fd = rxq_cbpf__load(f, len, &o);
	if (bound_fd < 0)
		_exit(78); /* this kernel binds no XDP program to veth */
	map_fd = bpf_map_create(BPF_MAP_TYPE_PROG_ARRAY, "rxq_test_pa", 4, 4, 4, NULL);
	CHILD_CHECK(map_fd >= 0);
	CHILD_CHECK(bpf_map_update_elem(map_fd, &slot, &bound_fd, BPF_ANY) == -EINVAL);

	o.ifindex = 0;
	o.epilogue = RXQ_CBPF_TAIL_CALL;
	o.prog_array_fd = map_fd;
	o.prog_index = 1;
	main_fd = load_main(map_fd, ifindex);
	CHILD_CHECK(main_fd >= 0);
	plain_fd = rxq_cbpf__load(f, len, &o);
	CHILD_CHECK(plain_fd >= 0);
	CHILD_CHECK(bpf_map_update_elem(map_fd, &slot, &plain_fd, BPF_ANY) == 0);
	_exit(0);
}

static void test_dev_bound(void **state)
{
	int status;
	pid_t pid;

	(void)state;
	NEED_ROOT();
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0)
		dev_bound_child();
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 77) {
		print_message("no network namespace with a veth pair (unshare, ip): skipped\n");
		skip();
	}
	if (WEXITSTATUS(status) == 78) {
		print_message("the kernel binds no XDP program to veth: skipped\n");
		skip();
	}
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A refused program comes back as a clean -errno, with the verifier's reason in the debug log. */
static void test_verifier_log(void **state)
{
	RXQ_OPTS(rxq_cbpf_opts, o, .epilogue = RXQ_CBPF_TAIL_CALL, .prog_index = 0);
	struct sock_filter f[] = { BPF_STMT(BPF_RET | BPF_K, 1) };
	int map_fd, fd;

	(void)state;
	NEED_ROOT();
	/* an array map where a prog array belongs */
	map_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "rxq_test_arr", 4, 4, 4, NULL);
	assert_true(map_fd >= 0);
	o.prog_array_fd = map_fd;
	log_reset();
	fd = rxq_cbpf__load(f, 1, &o);
	assert_true(fd < 0);
	assert_int_equal(fd, -EINVAL);
	assert_non_null(strstr(log_text, "cbpf: the kernel refused"));
	assert_non_null(strstr(log_text, "cbpf: verifier: "));
	rxq_log__set(NULL, NULL);
	close(map_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refuses_invalid),
		cmocka_unit_test(test_refuses_unsupported),
		cmocka_unit_test(test_refuses_bad_opts),
		cmocka_unit_test(test_compile_expr),
		cmocka_unit_test(test_structure),
		cmocka_unit_test(test_unreachable_left_out),
	};
	const struct CMUnitTest root_tests[] = {
		cmocka_unit_test(test_expressions),
		cmocka_unit_test(test_handwritten),
		cmocka_unit_test(test_scratch_starts_zero),
		cmocka_unit_test(test_backward_jump_budget),
		cmocka_unit_test(test_random_programs),
		cmocka_unit_test(test_random_loops),
		cmocka_unit_test(test_tail_call),
		cmocka_unit_test(test_dev_bound),
		cmocka_unit_test(test_verifier_log),
	};
	int failed = cmocka_run_group_tests(tests, NULL, NULL);

	failed += cmocka_run_group_tests_name("translated programs (root)", root_tests, setup_root,
					      teardown_root);
	return failed;
}
