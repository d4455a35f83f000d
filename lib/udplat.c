// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <endian.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/histogram.h"
#include "rxq/packet.h"
#include "rxq/udplat.h"

/* ---- probe header --------------------------------------------------------------------------- */

static void put32(uint8_t *p, uint32_t v)
{
	v = htobe32(v);
	memcpy(p, &v, sizeof(v));
}

static void put64(uint8_t *p, uint64_t v)
{
	v = htobe64(v);
	memcpy(p, &v, sizeof(v));
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return be32toh(v);
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return be64toh(v);
}

int rxq_probe__write(void *buf, size_t len, const struct rxq_probe *p)
{
	uint8_t *b = buf;

	if (len < RXQ_PROBE_LEN)
		return -EMSGSIZE;
	put32(b, RXQ_PROBE_MAGIC);
	put32(b + 4, p->flow);
	put64(b + 8, p->seq);
	put64(b + 16, p->tx_ns);
	return 0;
}

int rxq_probe__parse(const void *buf, size_t len, struct rxq_probe *p)
{
	const uint8_t *b = buf;

	if (len < RXQ_PROBE_LEN)
		return -EMSGSIZE;
	if (get32(b) != RXQ_PROBE_MAGIC)
		return -EBADMSG;
	p->flow = get32(b + 4);
	p->seq = get64(b + 8);
	p->tx_ns = get64(b + 16);
	return 0;
}

int rxq_probe__write_sockperf(void *buf, size_t len, const struct rxq_probe *p)
{
	uint8_t *b = buf;
	uint16_t flags = htobe16(3);

	if (len < RXQ_PROBE_SOCKPERF_LEN || len > UINT32_MAX)
		return -EMSGSIZE;
	put64(b, p->seq);
	memcpy(b + 8, &flags, sizeof(flags));
	put32(b + 10, (uint32_t)len);
	put32(b + 14, RXQ_PROBE_MAGIC);
	put32(b + 18, p->flow);
	put64(b + 22, p->tx_ns);
	return 0;
}

int rxq_probe__parse_sockperf(const void *buf, size_t len, struct rxq_probe *p)
{
	const uint8_t *b = buf;

	if (len < RXQ_PROBE_SOCKPERF_LEN || get32(b + 10) != len)
		return -EMSGSIZE;
	if (get32(b + 14) != RXQ_PROBE_MAGIC)
		return -EBADMSG;
	p->seq = get64(b);
	p->flow = get32(b + 18);
	p->tx_ns = get64(b + 22);
	return 0;
}

/* ---- echo of sockperf messages ------------------------------------------------------------- */

enum rxq_sockperf_echo rxq_sockperf__echo(uint8_t *msg, size_t len, bool force)
{
	uint16_t flags;

	if (len >= 4 && get32(msg) == RXQ_PROBE_MAGIC)
		return RXQ_ECHO_AS_IS;
	if (len < RXQ_SOCKPERF_HDR_LEN)
		return force ? RXQ_ECHO_SOCKPERF_NO_REPLY : RXQ_ECHO_AS_IS;
	flags = (uint16_t)(msg[8] << 8 | msg[9]);
	if (!force && (get32(msg + 10) != len || !(flags & RXQ_SOCKPERF_CLIENT)))
		return RXQ_ECHO_AS_IS;
	/* An answer (client flag clear) is never answered: two servers would ping-pong forever. */
	if (!(flags & RXQ_SOCKPERF_CLIENT) || !(flags & RXQ_SOCKPERF_PONG) ||
	    (flags & RXQ_SOCKPERF_WARMUP))
		return RXQ_ECHO_SOCKPERF_NO_REPLY;
	msg[9] = (uint8_t)(msg[9] & ~RXQ_SOCKPERF_CLIENT);
	return RXQ_ECHO_SOCKPERF;
}

/* ---- echo of a whole frame ------------------------------------------------------------------ */

static void swap_bytes(uint8_t *a, uint8_t *b, size_t n)
{
	uint8_t t;

	while (n--) {
		t = *a;
		*a++ = *b;
		*b++ = t;
	}
}

/* A frame the echo turns around: unfragmented UDP to @p port (and @p dst), no IP options. */
static bool echo_request(const uint8_t *frame, uint32_t len, uint16_t port,
			 const struct rxq_addr *dst, struct rxq_pkt *pkt)
{
	if (rxq_pkt__parse(pkt, frame, len) != RXQ_PKT_OK)
		return false;
	if ((pkt->l3 != RXQ_L3_IPV4 && pkt->l3 != RXQ_L3_IPV6) || pkt->ip_proto != IPPROTO_UDP ||
	    pkt->is_fragment || !pkt->l4_off || pkt->dst_port != port)
		return false;
	if (dst && dst->family &&
	    (dst->family != pkt->dst.family ||
	     memcmp(dst->b, pkt->dst.b, dst->family == AF_INET ? 4 : 16)))
		return false;
	/* Options or extension headers would need rewriting (source routes, ...): not ours. */
	if ((pkt->l3 == RXQ_L3_IPV4 && pkt->ip_hlen != 20) ||
	    (pkt->l3 == RXQ_L3_IPV6 && pkt->nip6ext))
		return false;
	return true;
}

bool rxq_udp__payload(uint8_t *frame, uint32_t len, uint16_t port, const struct rxq_addr *dst,
		      uint8_t **payload, uint32_t *payload_len)
{
	struct rxq_pkt pkt;

	if (!echo_request(frame, len, port, dst, &pkt) || pkt.payload_off > len)
		return false;
	*payload = frame + pkt.payload_off;
	*payload_len = pkt.payload_len;
	if (*payload_len > len - pkt.payload_off)
		*payload_len = len - pkt.payload_off;
	return true;
}

bool rxq_udp__reflect(uint8_t *frame, uint32_t len, uint16_t port, const struct rxq_addr *dst)
{
	struct rxq_pkt pkt;
	uint8_t *ip;

	if (!echo_request(frame, len, port, dst, &pkt))
		return false;

	swap_bytes(frame, frame + RXQ_ETH_ALEN, RXQ_ETH_ALEN);
	ip = frame + pkt.l3_off;
	if (pkt.l3 == RXQ_L3_IPV4) {
		swap_bytes(ip + 12, ip + 16, 4);
		ip[8] = 64;
	} else {
		swap_bytes(ip + 8, ip + 24, 16);
		ip[7] = 64;
	}
	swap_bytes(frame + pkt.l4_off, frame + pkt.l4_off + 2, 2);
	/*
	 * Recomputed, not patched: a sender on the same host (veth, or a NIC with checksum
	 * offload seen before the hardware fills it in) hands over a UDP checksum that holds only
	 * the pseudo-header sum, and an echo carrying it on would be dropped by the receiver.
	 */
	rxq_pkt__fix_csum(frame, &pkt);
	return true;
}

/* ---- sequence window ------------------------------------------------------------------------ */

enum slot_state {
	SLOT_OUTSTANDING,
	SLOT_REPLIED,
	SLOT_LOST,
};

struct rxq_seqwin {
	uint64_t mask; /* window - 1 */
	uint64_t next; /* sequence number of the next probe */
	uint64_t oldest; /* lowest sequence number neither replied nor lost (<= next) */
	uint64_t answered; /* highest sequence number answered + 1 (0: none yet) */
	uint64_t outstanding;
	uint64_t *sent_ns;
	uint8_t *state;
};

int rxq_seqwin__new(struct rxq_seqwin **out, uint64_t window)
{
	struct rxq_seqwin *w;
	uint64_t size = 64;

	if (window > (1ull << 26))
		return -EINVAL;
	while (size < window)
		size <<= 1;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->sent_ns = calloc(size, sizeof(*w->sent_ns));
	w->state = calloc(size, sizeof(*w->state));
	if (!w->sent_ns || !w->state) {
		rxq_seqwin__free(w);
		return -ENOMEM;
	}
	w->mask = size - 1;
	*out = w;
	return 0;
}

void rxq_seqwin__free(struct rxq_seqwin *w)
{
	if (!w)
		return;
	free(w->sent_ns);
	free(w->state);
	free(w);
}

/* Moves the oldest-unresolved cursor past answered probes. */
static void skip_resolved(struct rxq_seqwin *w)
{
	while (w->oldest < w->next && w->state[w->oldest & w->mask] != SLOT_OUTSTANDING)
		w->oldest++;
}

unsigned rxq_seqwin__send(struct rxq_seqwin *w, uint64_t t_ns, uint64_t *seq)
{
	uint64_t s = w->next, slot = s & w->mask;
	unsigned lost = 0;

	/* The slot last held probe s - window; if it is still unresolved, its time is up. */
	if (s > w->mask && w->oldest <= s - w->mask - 1) {
		while (w->oldest <= s - w->mask - 1) {
			uint8_t *st = &w->state[w->oldest & w->mask];

			if (*st == SLOT_OUTSTANDING) {
				*st = SLOT_LOST;
				w->outstanding--;
				lost++;
			}
			w->oldest++;
		}
	}
	w->sent_ns[slot] = t_ns;
	w->state[slot] = SLOT_OUTSTANDING;
	w->next = s + 1;
	w->outstanding++;
	skip_resolved(w);
	*seq = s;
	return lost;
}

enum rxq_reply rxq_seqwin__reply(struct rxq_seqwin *w, uint64_t seq, uint64_t *sent_ns)
{
	uint64_t slot = seq & w->mask;
	enum rxq_reply verdict;

	if (seq >= w->next || w->next - seq > w->mask + 1)
		return RXQ_REPLY_UNKNOWN;
	switch (w->state[slot]) {
	case SLOT_REPLIED:
		return RXQ_REPLY_DUPLICATE;
	case SLOT_LOST:
		return RXQ_REPLY_LATE;
	default:
		break;
	}
	verdict = seq + 1 < w->answered ? RXQ_REPLY_REORDERED : RXQ_REPLY_OK;
	if (seq + 1 > w->answered)
		w->answered = seq + 1;
	w->state[slot] = SLOT_REPLIED;
	w->outstanding--;
	*sent_ns = w->sent_ns[slot];
	skip_resolved(w);
	return verdict;
}

unsigned rxq_seqwin__expire(struct rxq_seqwin *w, uint64_t now_ns, uint64_t timeout_ns)
{
	unsigned lost = 0;

	while (w->oldest < w->next) {
		uint64_t slot = w->oldest & w->mask;

		if (w->state[slot] == SLOT_OUTSTANDING) {
			if (w->sent_ns[slot] + timeout_ns > now_ns)
				break;
			w->state[slot] = SLOT_LOST;
			w->outstanding--;
			lost++;
		}
		w->oldest++;
	}
	return lost;
}

uint64_t rxq_seqwin__deadline(const struct rxq_seqwin *w, uint64_t timeout_ns)
{
	if (!w->outstanding || w->oldest >= w->next)
		return UINT64_MAX;
	return w->sent_ns[w->oldest & w->mask] + timeout_ns;
}

uint64_t rxq_seqwin__outstanding(const struct rxq_seqwin *w)
{
	return w->outstanding;
}

uint64_t rxq_seqwin__next(const struct rxq_seqwin *w)
{
	return w->next;
}

/* ---- report --------------------------------------------------------------------------------- */

struct strbuf {
	char *buf;
	size_t len, used; /* used: what snprintf would have written so far */
};

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void sb_printf(struct strbuf *sb, const char *fmt, ...)
{
	size_t room = sb->used < sb->len ? sb->len - sb->used : 0;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? sb->buf + sb->used : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb->used += (size_t)n;
}

void rxq_latrep__set_rtt(struct rxq_latrep *r, const struct rxq_hist *rtt)
{
	r->replies = rxq_hist__count(rtt);
	if (!r->replies)
		return;
	r->avg_us = rxq_hist__mean(rtt) / 1e3;
	r->dev_us = rxq_hist__stddev(rtt) / 1e3;
	r->min_us = (double)rxq_hist__min(rtt) / 1e3;
	r->max_us = (double)rxq_hist__max(rtt) / 1e3;
	r->p50_us = (double)rxq_hist__percentile(rtt, 50) / 1e3;
	r->p99_us = (double)rxq_hist__percentile(rtt, 99) / 1e3;
	r->p999_us = (double)rxq_hist__percentile(rtt, 99.9) / 1e3;
}

int rxq_latrep__format(const struct rxq_latrep *r, char *buf, size_t len)
{
	struct strbuf sb = { buf, len, 0 };
	double pps = r->seconds > 0 ? (double)r->replies / r->seconds : 0;

	if (len)
		buf[0] = '\0';
	if (r->label)
		sb_printf(&sb, "%s ", r->label);
	if (r->target)
		sb_printf(&sb, "%s: ", r->target);
	/* The classic part, with the classic widths. */
	sb_printf(&sb, "pps=%6.0f ", pps);
	if (r->replies)
		sb_printf(&sb, "avg=%7.3fus dev=%7.3fus min=%6.3fus", r->avg_us, r->dev_us,
			  r->min_us);
	else
		sb_printf(&sb, "avg=%7s   dev=%7s   min=%6s  ", "-", "-", "-");
	if (r->has_packet) {
		if (r->replies)
			sb_printf(&sb, " (packet=%5.3fus/%5.3f)", r->packet_avg_us,
				  r->packet_dev_us);
		else
			sb_printf(&sb, " (packet=%5s  /%5s)", "-", "-");
	}
	if (r->replies)
		sb_printf(&sb, " p50=%7.3fus p99=%7.3fus p99.9=%7.3fus max=%7.3fus", r->p50_us,
			  r->p99_us, r->p999_us, r->max_us);
	else
		sb_printf(&sb, " p50=%7s   p99=%7s   p99.9=%7s   max=%7s  ", "-", "-", "-", "-");
	sb_printf(&sb, " lost=%llu", (unsigned long long)r->lost);
	if (r->lost && r->sent)
		sb_printf(&sb, " (%.2f%%)", 100.0 * (double)r->lost / (double)r->sent);
	if (r->dup)
		sb_printf(&sb, " dup=%llu", (unsigned long long)r->dup);
	if (r->reordered)
		sb_printf(&sb, " reordered=%llu", (unsigned long long)r->reordered);
	if (r->late)
		sb_printf(&sb, " late=%llu", (unsigned long long)r->late);
	if (r->refused)
		sb_printf(&sb, " refused=%llu", (unsigned long long)r->refused);
	if (r->errors)
		sb_printf(&sb, " errors=%llu (%s)", (unsigned long long)r->errors,
			  r->last_error ? strerror(r->last_error) : "reason unknown");
	if (r->has_split && r->replies)
		sb_printf(&sb, " tx_path=%.3fus wire=%.3fus rx_path=%.3fus (%s)", r->tx_path_us,
			  r->wire_us, r->rx_path_us,
			  r->split_source ? r->split_source : "software");
	if (r->incoming_cpu >= 0)
		sb_printf(&sb, " cpu=%d", r->incoming_cpu);
	if (r->has_cpu_dma_latency)
		sb_printf(&sb, " cpu_dma_latency=%dus", (int)r->cpu_dma_latency_us);
	return (int)sb.used;
}

void rxq_latrep__print(struct rxq_out *o, const struct rxq_latrep *r)
{
	double pps = r->seconds > 0 ? (double)r->replies / r->seconds : 0;

	if (!rxq_out__is_json(o)) {
		char line[512];

		rxq_latrep__format(r, line, sizeof(line));
		rxq_out__begin(o, r->type);
		rxq_out__text(o, "%s", line);
		rxq_out__end(o);
		return;
	}
	rxq_out__begin(o, r->type ? r->type : "report");
	if (r->target)
		rxq_out__str(o, "target", r->target);
	rxq_out__double(o, "seconds", r->seconds, 3);
	rxq_out__double(o, "pps", pps, 1);
	rxq_out__u64(o, "replies", r->replies);
	if (r->replies) {
		rxq_out__double(o, "avg_us", r->avg_us, 3);
		rxq_out__double(o, "dev_us", r->dev_us, 3);
		rxq_out__double(o, "min_us", r->min_us, 3);
		if (r->has_packet) {
			rxq_out__double(o, "packet_avg_us", r->packet_avg_us, 3);
			rxq_out__double(o, "packet_dev_us", r->packet_dev_us, 3);
		}
		rxq_out__double(o, "p50_us", r->p50_us, 3);
		rxq_out__double(o, "p99_us", r->p99_us, 3);
		rxq_out__double(o, "p999_us", r->p999_us, 3);
		rxq_out__double(o, "max_us", r->max_us, 3);
	}
	rxq_out__u64(o, "sent", r->sent);
	rxq_out__u64(o, "lost", r->lost);
	rxq_out__u64(o, "dup", r->dup);
	rxq_out__u64(o, "reordered", r->reordered);
	rxq_out__u64(o, "late", r->late);
	rxq_out__u64(o, "refused", r->refused);
	rxq_out__u64(o, "errors", r->errors);
	if (r->errors && r->last_error)
		rxq_out__str(o, "last_error", strerror(r->last_error));
	if (r->has_split) {
		rxq_out__str(o, "tstamp_source", r->split_source ? r->split_source : "software");
		if (r->replies) {
			rxq_out__double(o, "tx_path_us", r->tx_path_us, 3);
			rxq_out__double(o, "wire_us", r->wire_us, 3);
			rxq_out__double(o, "rx_path_us", r->rx_path_us, 3);
		}
	}
	if (r->incoming_cpu >= 0)
		rxq_out__i64(o, "incoming_cpu", r->incoming_cpu);
	if (r->has_cpu_dma_latency)
		rxq_out__i64(o, "cpu_dma_latency_us", r->cpu_dma_latency_us);
	rxq_out__end(o);
}
