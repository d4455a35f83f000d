// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq steering program: frames that match one of the configured flows leave the kernel through the
 * AF_XDP socket of the RX queue they arrived on; everything else goes up the normal stack. Which
 * frames match is decided by rxq_steer_parse() and rxq_steer_flow_match() (steer_shared.h), the
 * same code user space runs on captures and reassembled fragments:
 *
 * - Untagged (and priority-tagged) frames are steered; 802.1Q-tagged ones only for the VIDs
 *   configured (cfg.vlans), 802.1ad and stacked tags never: the kernel keeps the tags' meaning.
 *   rxq_steer_dev, loaded bound to the device, also asks the driver for a tag it stripped into
 *   metadata (rx-vlan-offload) and puts a steered frame's tag back into the frame, so user space
 *   sees what arrived. rxq_steer (generic mode, tests) cannot see stripped tags.
 * - Fragments, first and later alike, match on addresses and protocol: user space reassembles.
 * - IPv6 extension chains are followed for RXQ_MAX_IP6EXT headers; a longer one matches on the
 *   addresses alone and user space (which refuses it) decides.
 * - ICMPv6 neighbour and router discovery is never steered: it is only answered on the interface it
 *   arrived on, so handing it back through another interface would break the neighbour cache.
 * - A matching frame on a queue without a socket is passed (counted as no_socket), so the queues
 *   rxq does not own are untouched.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

#include "dns_shared.h"
#include "ktier_shared.h"
#include "steer_shared.h"

#define EOPNOTSUPP 95

const volatile struct rxq_steer_config cfg = {};
const volatile struct rxq_kt_config ktc = {};
const volatile struct rxq_kdns_config kdns_cfg = {};

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(max_entries, 64); /* resized to the interface's queue count before loading */
	__type(key, __u32);
	__type(value, __u32);
} xsks SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rxq_steer_counters);
} counters SEC(".maps");

/* ---- the kernel tier's tables (bpf/ktier_shared.h; filled by lib/steer.c) ---- */

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RXQ_KT_STEPS_MAX);
	__type(key, __u32);
	__type(value, struct rxq_kt_step);
} kt_steps SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__uint(max_entries, 1); /* sized before loading */
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, struct rxq_kt_lpm_key);
	__type(value, __u32); /* rule | action << 30 */
} kt_lpm SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* sized before loading */
	__type(key, struct rxq_kt_lpm_key); /* prefixlen: the whole address */
	__type(value, __u32); /* rule | action << 30 */
} kt_hosts SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1); /* sized before loading */
	__type(key, struct rxq_kdns_key);
	__type(value, struct rxq_kdns_value);
} kt_dns SEC(".maps");

struct kt_dns_scratch {
	struct rxq_kdns_name nm;
	struct rxq_kdns_key key;
};

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct kt_dns_scratch);
} kt_dns_scratch SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, RXQ_KT_LIMITS_MAX);
	__type(key, __u32);
	__type(value, struct rxq_kt_limit);
} kt_limits SEC(".maps");

/* Shared with the programs of later rule sets (reloads): buckets, admissions, learned sources. */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct rxq_kt_bucket_key);
	__type(value, struct rxq_kt_bucket);
} kt_buckets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_PERCPU_HASH);
	__uint(max_entries, 1024);
	__type(key, __u64);
	__type(value, struct rxq_kt_bucket);
} kt_admit SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, struct rxq_kt_learn_key);
	__type(value, __u64); /* expires, ns of CLOCK_MONOTONIC */
} kt_learned SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1); /* sized before loading: one per rule */
	__type(key, __u32);
	__type(value, struct rxq_kt_hits);
} kt_hits SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct rxq_kt_counters);
} kt_counters SEC(".maps");

/* Slot 0: rxq_steer_tier; slots 1..: the pcap filters, translated (lib/cbpf.c). */
struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, RXQ_KT_PCAP_MAX + 1);
	__type(key, __u32);
	__type(value, __u32);
} kt_progs SEC(".maps");

extern int bpf_xdp_metadata_rx_vlan_tag(const struct xdp_md *ctx, __be16 *vlan_proto,
					__u16 *vlan_tci) __ksym __weak;

/* Puts the 802.1Q tag of @vid back between the MAC addresses and the EtherType. */
static __always_inline int push_tag(struct xdp_md *ctx, __u16 vid)
{
	__u8 *p;

	if (bpf_xdp_adjust_head(ctx, -4))
		return -1;
	p = (void *)(long)ctx->data;
	if ((void *)(p + 18) > (void *)(long)ctx->data_end)
		return -1;
#pragma unroll
	for (int j = 0; j < 12; j++)
		p[j] = p[j + 4];
	p[12] = 0x81;
	p[13] = 0x00;
	p[14] = (__u8)(vid >> 8);
	p[15] = (__u8)vid;
	return 0;
}

/* ---- the kernel tier ---- */

/* Before a tail call into a pcap filter: where to go on, and (back from it) its verdict. */
#define KT_META_MAGIC 0x7251
#define KT_NO_VERDICT 0xff /* entering the tier, not back from a filter */
struct kt_meta {
	__u16 magic;
	__u8 verdict; /* written by the filter: 0 no match, 1 match, 2 undecided; else KT_NO_VERDICT */
	__u8 pad;
	__u16 step;
	__u16 pad2;
};

enum { KT_NONE = 0, KT_MATCH, KT_DNS, KT_PCAP, KT_USER };
enum { DNS_UNKNOWN = 0, DNS_NOT, DNS_UNDECIDED, DNS_BEST };

struct kt_state {
	struct rxq_kt_facts f;
	__u32 at; /* first step of this round of the loop */
	__u32 stop; /* KT_* */
	__u32 step; /* where it stopped */
	__u32 rule; /* KT_MATCH: the rule */
	__u8 action; /* KT_MATCH: its action */
	__u8 slot; /* KT_MATCH: limit slot; KT_PCAP: prog array slot */
	__u8 dns; /* DNS_* */
	__u8 pcap_verdict; /* for pcap_step, back from the filter */
	__u32 dns_rule; /* DNS_BEST: the first dns rule that matches (RXQ_KDNS_RULE_NONE: none) */
	__u32 pcap_step; /* the pcap step whose verdict is known, ~0: none */
};

/* One address against one direction's tables: the host hash first, the trie on a miss. */
static __always_inline void kt_group_dir(const struct rxq_kt_step *s, struct rxq_kt_lpm_key *key,
					 __u8 dir, __u32 *best)
{
	__u32 *v = NULL;

	key->dir = dir;
	if (s->group_hosts & (1u << dir))
		v = bpf_map_lookup_elem(&kt_hosts, key);
	if (!v && (s->group_dirs & (1u << dir)))
		v = bpf_map_lookup_elem(&kt_lpm, key);
	if (v && (*v & 0x3fffffff) < (*best & 0x3fffffff))
		*best = *v;
}

/* The first rule of a GROUP step whose prefix holds the source or destination, as rule | action
 * << 30, or ~0. */
static __always_inline __u32 kt_group(struct rxq_kt_step *s, const struct rxq_kt_facts *f)
{
	const __u8 src = 1u << RXQ_KT_DIR_SRC, dst = 1u << RXQ_KT_DIR_DST,
		   any = 1u << (RXQ_KT_DIR_SRC | RXQ_KT_DIR_DST);
	__u8 dirs = s->group_dirs | s->group_hosts;
	struct rxq_kt_lpm_key key = {};
	__u32 best = ~0u;

	/* key.addr beyond an IPv4 address stays zero, as in the host entries */
	key.prefixlen = RXQ_KT_LPM_TAG_BITS + (f->l3 == 4 ? 32 : 128);
	key.group = s->group;
	key.family = f->l3;
	if (dirs & (src | any)) {
		__builtin_memcpy(key.addr, f->src, 16);
		if (dirs & src)
			kt_group_dir(s, &key, RXQ_KT_DIR_SRC, &best);
		if (dirs & any)
			kt_group_dir(s, &key, RXQ_KT_DIR_SRC | RXQ_KT_DIR_DST, &best);
	}
	if (dirs & (dst | any)) {
		__builtin_memcpy(key.addr, f->dst, 16);
		if (dirs & dst)
			kt_group_dir(s, &key, RXQ_KT_DIR_DST, &best);
		if (dirs & any)
			kt_group_dir(s, &key, RXQ_KT_DIR_SRC | RXQ_KT_DIR_DST, &best);
	}
	return best;
}

/* One step of the rules, for bpf_loop(): 1 stops the loop (see kt_state.stop). */
static long kt_step_cb(__u64 i, void *arg)
{
	struct kt_state *st = arg;
	__u32 idx = st->at + (__u32)i, r;
	struct rxq_kt_step *s = bpf_map_lookup_elem(&kt_steps, &idx);

	if (!s) {
		st->stop = KT_USER;
		return 1;
	}
	st->step = idx;
	switch (s->kind) {
	case RXQ_KT_ALL:
		break;
	case RXQ_KT_NATIVE:
		if (!rxq_kt_native_match(s, &st->f))
			return 0;
		break;
	case RXQ_KT_GROUP:
		r = kt_group(s, &st->f);
		if (r == ~0u)
			return 0;
		st->rule = r & 0x3fffffff;
		st->action = (__u8)(r >> 30);
		st->stop = KT_MATCH;
		return 1;
	case RXQ_KT_DNS:
		if (st->dns == DNS_UNKNOWN) {
			st->stop = KT_DNS;
			return 1;
		}
		if (st->dns == DNS_UNDECIDED) {
			st->stop = KT_USER;
			return 1;
		}
		if (st->dns != DNS_BEST || st->dns_rule != s->rule)
			return 0;
		break;
	case RXQ_KT_PCAP:
		if (st->pcap_step != idx) {
			st->slot = s->pcap_slot;
			st->stop = KT_PCAP;
			return 1;
		}
		if (st->pcap_verdict == 0)
			return 0;
		if (st->pcap_verdict != 1) {
			st->stop = KT_USER;
			return 1;
		}
		break;
	default:
		st->stop = KT_USER;
		return 1;
	}
	st->rule = s->rule;
	st->action = s->action;
	st->slot = s->limit_slot;
	st->stop = KT_MATCH;
	return 1;
}

/* The DNS question, once, when the first dns step is reached. */
static __always_inline void kt_question(struct xdp_md *ctx, struct kt_state *st)
{
	const __u8 *data = (void *)(long)ctx->data;
	const void *end = (void *)(long)ctx->data_end;
	struct kt_dns_scratch *sc;
	__u32 zero = 0, rule;
	int r;

	st->dns = DNS_NOT;
	if (!st->f.udp || (st->f.sport != 53 && st->f.dport != 53))
		return;
	st->dns = DNS_UNDECIDED;
	sc = bpf_map_lookup_elem(&kt_dns_scratch, &zero);
	if (!sc || st->f.payload_off > 0x3fff)
		return;
	r = rxq_kdns_parse(data + st->f.payload_off, end, st->f.payload_len, &sc->nm);
	if (r == RXQ_KDNS_NOT_DNS)
		st->dns = DNS_NOT;
	if (r != RXQ_KDNS_OK)
		return;
	if (rxq_kdns_lookup(&kt_dns, &kdns_cfg, &sc->nm, &sc->key, &rule) != RXQ_KDNS_OK)
		return;
	st->dns = DNS_BEST;
	st->dns_rule = rule;
}

static __always_inline __u64 kt_refill(struct rxq_kt_bucket *b, __u64 rate, __u64 now)
{
	__u64 full = rate * 1000000000ull, elapsed = now - b->last_ns;

	/* the burst is one second's worth: a second or more refills it whole */
	if (now < b->last_ns)
		elapsed = 0;
	if (elapsed >= 1000000000ull)
		b->tokens_ns = full;
	else if (b->tokens_ns + elapsed * rate > full)
		b->tokens_ns = full;
	else
		b->tokens_ns += elapsed * rate;
	b->last_ns = now;
	return b->tokens_ns;
}

enum { LIM_PASS = 0, LIM_EMPTY, LIM_REFUSED };

/* A limit rule: the key's bucket, or for a key not seen, a token of the rule's new-key bucket. */
static __always_inline int kt_limit(const struct kt_state *st)
{
	struct rxq_kt_bucket_key key = {};
	struct rxq_kt_bucket *b, fresh;
	struct rxq_kt_limit *l;
	__u32 slot = st->slot;
	__u64 now = bpf_ktime_get_ns();

	l = bpf_map_lookup_elem(&kt_limits, &slot);
	if (!l)
		return LIM_EMPTY;
	key.ident = l->ident;
	key.family = st->f.l3;
	if (l->key != 1) /* src, flow */
		__builtin_memcpy(key.a, st->f.src, 16);
	if (l->key != 0) /* dst, flow */
		__builtin_memcpy(key.b, st->f.dst, 16);
	if (l->key == 2) {
		key.proto = st->f.proto;
		if (st->f.proto == 17 || st->f.proto == 6) {
			key.sport = st->f.sport;
			key.dport = st->f.dport;
		}
	}
	b = bpf_map_lookup_elem(&kt_buckets, &key);
	if (b) {
		if (kt_refill(b, l->rate, now) < 1000000000ull)
			return LIM_EMPTY;
		b->tokens_ns -= 1000000000ull;
		return LIM_PASS;
	}
	/* a new key: admitted at the rule's new-key rate, or not inserted at all */
	b = bpf_map_lookup_elem(&kt_admit, &l->ident);
	if (!b) {
		fresh.tokens_ns = l->new_rate * 1000000000ull;
		fresh.last_ns = now;
		bpf_map_update_elem(&kt_admit, &l->ident, &fresh, BPF_ANY);
		b = bpf_map_lookup_elem(&kt_admit, &l->ident);
		if (!b)
			return LIM_REFUSED;
	}
	if (kt_refill(b, l->new_rate, now) < 1000000000ull)
		return LIM_REFUSED;
	b->tokens_ns -= 1000000000ull;
	fresh.tokens_ns = l->rate * 1000000000ull - 1000000000ull;
	fresh.last_ns = now;
	bpf_map_update_elem(&kt_buckets, &key, &fresh, BPF_ANY);
	return LIM_PASS;
}

static __always_inline int kt_verdict(const struct kt_state *st, struct rxq_kt_counters *kc)
{
	struct rxq_kt_hits *h = bpf_map_lookup_elem(&kt_hits, &st->rule);
	int lim;

	if (h)
		h->hits++;
	if (st->action == RXQ_KT_DROP) {
		kc->dropped++;
		return XDP_DROP;
	}
	if (st->action == RXQ_KT_LIMIT) {
		lim = kt_limit(st);
		if (lim != LIM_PASS) {
			kc->limited++;
			if (h) {
				h->limited++;
				h->new_refused += lim == LIM_REFUSED;
			}
			return XDP_DROP;
		}
	}
	kc->passed++;
	return XDP_PASS;
}

/* A learned source (--learn): dropped here until its entry expires. */
static __always_inline int kt_learned_src(const struct rxq_steer_keys *k)
{
	struct rxq_kt_learn_key key = {};
	__u8 plen = k->ipv6 ? ktc.learn_plen6 : ktc.learn_plen4;
	__u64 *expires;
	unsigned i;

	key.family = k->ipv6 ? 6 : 4;
	key.plen = plen;
	if (k->ipv6)
		__builtin_memcpy(key.addr, k->src, 16);
	else
		__builtin_memcpy(key.addr, k->src, 4);
#pragma unroll
	for (i = 0; i < 16; i++) {
		if (i * 8 >= plen)
			key.addr[i] = 0;
		else if (i * 8 + 8 > plen)
			key.addr[i] &= (__u8)(0xff << (i * 8 + 8 - plen));
	}
	expires = bpf_map_lookup_elem(&kt_learned, &key);
	if (!expires)
		return 0;
	if (bpf_ktime_get_ns() < *expires)
		return 1;
	bpf_map_delete_elem(&kt_learned, &key);
	return 0;
}

/* A frame for the rules in user space: into the queue's AF_XDP socket. */
static __always_inline int to_user(struct xdp_md *ctx, const struct rxq_steer_keys *k,
				   struct rxq_steer_counters *c)
{
	long ret;

	if ((k->flags & RXQ_STEER_F_VLAN_META) && k->vid && push_tag(ctx, k->vid)) {
		c->short_frame++; /* no headroom: the kernel keeps the frame and its tag */
		c->passed++;
		return XDP_PASS;
	}
	ret = bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS);
	if (ret != XDP_REDIRECT) {
		c->no_socket++;
		return (int)ret;
	}
	c->steered++;
	if (k->flags & RXQ_STEER_F_FRAG)
		c->frags++;
	if (k->flags & RXQ_STEER_F_OPEN)
		c->open_chain++;
	return XDP_REDIRECT;
}

/* Puts the state a kernel-tier program reads into the frame's metadata; -1 when it cannot. */
static __always_inline int kt_meta_put(struct xdp_md *ctx, __u32 step)
{
	struct kt_meta *m;

	if (bpf_xdp_adjust_meta(ctx, -(int)sizeof(struct kt_meta)))
		return -1;
	m = (void *)(long)ctx->data_meta;
	if ((void *)(m + 1) > (void *)(long)ctx->data) {
		bpf_xdp_adjust_meta(ctx, (int)sizeof(struct kt_meta));
		return -1;
	}
	m->magic = KT_META_MAGIC;
	m->verdict = KT_NO_VERDICT;
	m->step = (__u16)step;
	return 0;
}

/*
 * The rules the kernel decides (steps @start on; @pcap_verdict: what the filter of step @start
 * said, back from its tail call, or KT_NO_VERDICT): XDP_DROP, XDP_PASS (up the stack, as it
 * came), or the socket when no step decides.
 */
static __always_inline int kt_run(struct xdp_md *ctx, struct rxq_steer_counters *c, __u32 start,
				  __u8 pcap_verdict)
{
	const struct rxq_steer_keys none = {};
	struct rxq_kt_counters *kc;
	struct kt_state st = {};
	__u32 zero = 0, round;

	kc = bpf_map_lookup_elem(&kt_counters, &zero);
	if (!kc)
		return to_user(ctx, &none, c);
	if (rxq_kt_facts((void *)(long)ctx->data, (void *)(long)ctx->data_end, &st.f) !=
	    RXQ_KT_FACTS_OK) {
		kc->user_parse++;
		goto user;
	}
	st.at = start;
	st.pcap_step = pcap_verdict != KT_NO_VERDICT ? start : ~0u;
	st.pcap_verdict = pcap_verdict;
	for (round = 0; round < 2; round++) {
		if (st.at >= ktc.nsteps || st.at >= RXQ_KT_STEPS_MAX)
			break;
		st.stop = KT_NONE;
		bpf_loop(ktc.nsteps - st.at, kt_step_cb, &st, 0);
		if (st.stop != KT_DNS)
			break;
		kt_question(ctx, &st); /* once; then the loop goes on from that step */
		st.at = st.step;
		st.stop = KT_NONE;
	}
	if (st.stop == KT_MATCH)
		return kt_verdict(&st, kc);
	if (st.stop == KT_PCAP) {
		/* where to go on travels with the frame, in its metadata */
		if (kt_meta_put(ctx, st.step))
			goto undecided;
		bpf_tail_call(ctx, &kt_progs, st.slot);
		bpf_xdp_adjust_meta(ctx, (int)sizeof(struct kt_meta));
		goto undecided;
	}
	if (st.stop == KT_USER) {
undecided:
		kc->user_undecided++;
		goto user;
	}
	kc->user_rules++; /* no step matched: the rules after them, in user space */
user:
	kc->to_user++;
	return to_user(ctx, &none, c);
}

/*
 * A selected frame on a queue of rxq's: learned sources dropped; then the kernel tier, a program
 * of its own (tail-called: the verifier goes through its code once, not once per entry), or the
 * socket for what needs user space: fragments, long chains, tags the device stripped.
 */
static __always_inline int selected(struct xdp_md *ctx, const struct rxq_steer_keys *k,
				    struct rxq_steer_counters *c)
{
	struct rxq_kt_counters *kc;
	__u32 zero = 0;

	kc = bpf_map_lookup_elem(&kt_counters, &zero);
	if (!kc)
		return to_user(ctx, k, c);
	if (ktc.learn && kt_learned_src(k)) {
		kc->learned++;
		return XDP_DROP;
	}
	if (!ktc.nsteps ||
	    (k->flags & (RXQ_STEER_F_FRAG | RXQ_STEER_F_OPEN | RXQ_STEER_F_VLAN_META))) {
		kc->to_user++;
		return to_user(ctx, k, c);
	}
	if (!kt_meta_put(ctx, 0)) {
		bpf_tail_call(ctx, &kt_progs, 0);
		bpf_xdp_adjust_meta(ctx, (int)sizeof(struct kt_meta));
	}
	kc->user_undecided++;
	kc->to_user++;
	return to_user(ctx, k, c);
}

static __always_inline int steer(struct xdp_md *ctx, const int dev_bound)
{
	void *data = (void *)(long)ctx->data;
	void *end = (void *)(long)ctx->data_end;
	struct rxq_steer_keys k = {};
	struct rxq_steer_counters *c;
	int meta_vid = RXQ_STEER_META_NONE, r;
	__u32 zero = 0, i, q = ctx->rx_queue_index;

	c = bpf_map_lookup_elem(&counters, &zero);
	if (!c)
		return XDP_PASS;
	if (dev_bound) {
		__be16 vproto;
		__u16 tci;

		r = bpf_xdp_metadata_rx_vlan_tag(ctx, &vproto, &tci);
		if (!r)
			meta_vid = vproto == bpf_htons(0x8100) ? (int)(tci & 0xfff) :
								 RXQ_STEER_META_QINQ;
		else if (r == -EOPNOTSUPP)
			c->vlan_unseen++;
	}

	r = rxq_steer_parse(data, end, &cfg, meta_vid, &k);
	if (r != RXQ_STEER_P_IP) {
		if (r == RXQ_STEER_P_NOT_IP)
			c->not_ip++;
		else if (r == RXQ_STEER_P_NEIGH)
			c->neigh++;
		else if (r == RXQ_STEER_P_VLAN)
			c->vlan++;
		else
			c->short_frame++;
		c->passed++;
		return XDP_PASS;
	}

	for (i = 0; i < RXQ_STEER_MAX_FLOWS; i++) {
		if (i >= cfg.nflows)
			break;
		if (!rxq_steer_flow_match(&cfg, i, &k))
			continue;
		c->flow_hits[i]++;
		/* queues without a socket are not rxq's: untouched */
		if (!(cfg.flags & RXQ_STEER_CFG_ANY_QUEUE) && !bpf_map_lookup_elem(&xsks, &q)) {
			c->no_socket++;
			return XDP_PASS;
		}
		return selected(ctx, &k, c);
	}
	c->passed++;
	return XDP_PASS;
}

SEC("xdp")
int rxq_steer(struct xdp_md *ctx)
{
	return steer(ctx, 0);
}

SEC("xdp")
int rxq_steer_dev(struct xdp_md *ctx)
{
	return steer(ctx, 1);
}

/*
 * The kernel tier (prog array slot 0): tail-called by the entry programs with step 0, and by the
 * pcap filters with their step and verdict; both in the frame's metadata.
 */
SEC("xdp")
int rxq_steer_tier(struct xdp_md *ctx)
{
	struct kt_meta *m = (void *)(long)ctx->data_meta;
	struct rxq_steer_counters *c;
	__u32 zero = 0, step;
	__u8 verdict;

	c = bpf_map_lookup_elem(&counters, &zero);
	if (!c || (void *)(m + 1) > (void *)(long)ctx->data || m->magic != KT_META_MAGIC)
		return XDP_DROP; /* never: only rxq's programs get here */
	step = m->step;
	verdict = m->verdict;
	if (verdict != KT_NO_VERDICT && verdict > 2)
		verdict = 2;
	if (bpf_xdp_adjust_meta(ctx, (int)sizeof(struct kt_meta)))
		return XDP_DROP;
	return kt_run(ctx, c, step, verdict);
}

char LICENSE[] SEC("license") = "Dual BSD/GPL";
