/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_UDPLAT_H
#define RXQ_UDPLAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/output.h"

/*
 * The UDP round-trip measurement shared by rxq-udpclient and rxq-udpserver: the probe header every
 * datagram starts with, the window that matches replies to probes by sequence number (losses,
 * duplicates, reordering), and the report line in the classic format
 *
 *   pps= 16815 avg= 57.224us dev= 24.970us min=45.594us (packet=4.796us/1.622) p50=... lost=0
 */

/* ---- probe header --------------------------------------------------------------------------- */

/*
 * On the wire, network byte order, at the start of the UDP payload:
 *
 *   0  magic  "RQL1"
 *   4  flow   random per client thread: replies from another run or another thread are ignored
 *   8  seq    probe sequence number, from 0
 *  16  tx_ns  sender's CLOCK_MONOTONIC at send (informative; the sender keeps its own copy)
 *
 * The echo server sends the datagram back unchanged. The rest of the payload is zeros.
 */
#define RXQ_PROBE_MAGIC 0x52514c31u
#define RXQ_PROBE_LEN	24

struct rxq_probe {
	uint32_t flow;
	uint64_t seq;
	uint64_t tx_ns;
};

/** @brief Writes the header into @p buf (@p len >= RXQ_PROBE_LEN). 0 or -EMSGSIZE. */
int rxq_probe__write(void *buf, size_t len, const struct rxq_probe *p);

/**
 * @brief Reads the header of a received datagram.
 * @return 0; -EMSGSIZE when @p len is shorter than the header; -EBADMSG when the magic is wrong.
 */
int rxq_probe__parse(const void *buf, size_t len, struct rxq_probe *p);

/*
 * The same probe in sockperf's ping-pong framing, so that a sockperf server answers it (it echoes
 * the datagram with the "client" flag cleared):
 *
 *   0  seq    u64, sockperf's sequence number (= ours)
 *   8  flags  u16, 3 (client | pong request) on the way out
 *  10  len    u32, the datagram's length
 *  14  magic, flow, tx_ns as above
 */
#define RXQ_PROBE_SOCKPERF_LEN 30

/** @brief Writes a sockperf-framed probe of @p len bytes. 0 or -EMSGSIZE. */
int rxq_probe__write_sockperf(void *buf, size_t len, const struct rxq_probe *p);

/**
 * @brief Reads a sockperf-framed echo. @return 0; -EMSGSIZE (too short, or the length field is not
 * the datagram's); -EBADMSG (not our magic).
 */
int rxq_probe__parse_sockperf(const void *buf, size_t len, struct rxq_probe *p);

/* ---- echo of sockperf messages ------------------------------------------------------------- */

/*
 * What a sockperf client sends starts with sockperf's header, network byte order:
 *
 *   0  seq    u64
 *   8  flags  u16: client (1), pong request (2), warm-up message (4)
 *  10  len    u32, the message's length (one message per UDP datagram)
 *
 * A sockperf server answers only client messages with the pong-request flag, warm-up messages
 * not at all, and sends the answer back with the client flag cleared: a sockperf client ignores
 * anything that still carries it (ping-pong asks every message to be answered; under-load only
 * every --reply-every'th).
 */
#define RXQ_SOCKPERF_HDR_LEN 14
#define RXQ_SOCKPERF_CLIENT  0x1
#define RXQ_SOCKPERF_PONG    0x2
#define RXQ_SOCKPERF_WARMUP  0x4

enum rxq_sockperf_echo {
	RXQ_ECHO_AS_IS, /* not a sockperf message (or one of rxq's own probes): echo it unchanged */
	RXQ_ECHO_SOCKPERF, /* a request: the client flag is now cleared; echo it */
	RXQ_ECHO_SOCKPERF_NO_REPLY, /* a sockperf message that wants no answer: drop it */
};

/**
 * @brief Decides how an echo server answers the UDP payload @p msg of @p len bytes, editing it in
 * place for a sockperf request.
 *
 * A payload starting with RXQ_PROBE_MAGIC is rxq's own probe: always as is. Otherwise it is taken
 * for a sockperf message when @p force, or when it is long enough, its length field equals @p len
 * and the client flag is set (rxq-udpclient --sockperf probes are such messages).
 * @return what to do with it; only RXQ_ECHO_SOCKPERF changes @p msg (one bit of byte 9).
 */
enum rxq_sockperf_echo rxq_sockperf__echo(uint8_t *msg, size_t len, bool force);

/* ---- echo of a whole frame (AF_XDP) ------------------------------------------------------------
 */

struct rxq_addr;

/**
 * @brief Turns a received Ethernet frame into its echo, in place: swaps the MAC addresses, the IP
 * addresses and the UDP ports, sets the TTL / hop limit to 64 and recomputes the IPv4 header and
 * UDP checksums (the request's UDP checksum may be a partial one left for offload by a local
 * sender, so it is not carried over).
 * @param port the UDP destination port to answer (host order)
 * @param dst  NULL or family 0: any destination address; else only that one
 * @return true when the frame is a well-formed, unfragmented UDP datagram to that port (and
 * address) and was turned around; false (frame untouched) otherwise.
 */
bool rxq_udp__reflect(uint8_t *frame, uint32_t len, uint16_t port, const struct rxq_addr *dst);

/**
 * @brief The UDP payload of a frame rxq_udp__reflect() would turn around (same @p port and
 * @p dst), so that it can be looked at or edited first: reflect computes the UDP checksum anew.
 * @return true with *@p payload and *@p payload_len (per the UDP length, not any Ethernet
 * padding) set; false when reflect would refuse the frame.
 */
bool rxq_udp__payload(uint8_t *frame, uint32_t len, uint16_t port, const struct rxq_addr *dst,
		      uint8_t **payload, uint32_t *payload_len);

/* ---- sequence window ------------------------------------------------------------------------ */

enum rxq_reply {
	RXQ_REPLY_OK, /* first reply to an outstanding probe, in order */
	RXQ_REPLY_REORDERED, /* first reply, but a later probe was answered before it */
	RXQ_REPLY_DUPLICATE, /* the probe was already answered */
	RXQ_REPLY_LATE, /* the probe had already been counted lost (timeout) */
	RXQ_REPLY_UNKNOWN, /* never sent, or too old to remember */
};

/*
 * Remembers the send time and fate of the last `window` probes. Send times must not decrease with
 * the sequence number (closed loop: actual send times; open loop: scheduled times), so probes time
 * out in sequence order and expiry is amortised O(1).
 */
struct rxq_seqwin;

/** @brief @p window is rounded up to a power of two (at least 64). 0, -EINVAL or -ENOMEM. */
int rxq_seqwin__new(struct rxq_seqwin **out, uint64_t window);
void rxq_seqwin__free(struct rxq_seqwin *w);

/**
 * @brief Registers the next probe, sent (or scheduled) at @p t_ns; its number is returned in
 * @p seq. A probe still outstanding in the slot being reused is counted lost: the number of such
 * probes is returned (0 unless the window is too small for the timeout).
 */
unsigned rxq_seqwin__send(struct rxq_seqwin *w, uint64_t t_ns, uint64_t *seq);

/** @brief Classifies a reply to @p seq; for OK and REORDERED, @p sent_ns gets the send time. */
enum rxq_reply rxq_seqwin__reply(struct rxq_seqwin *w, uint64_t seq, uint64_t *sent_ns);

/** @brief Counts probes sent at or before @p now_ns - @p timeout_ns without a reply as lost. */
unsigned rxq_seqwin__expire(struct rxq_seqwin *w, uint64_t now_ns, uint64_t timeout_ns);

/** @brief When the oldest outstanding probe times out (UINT64_MAX when none is outstanding). */
uint64_t rxq_seqwin__deadline(const struct rxq_seqwin *w, uint64_t timeout_ns);

/** @brief Probes sent and neither answered nor lost yet. */
uint64_t rxq_seqwin__outstanding(const struct rxq_seqwin *w);

/** @brief Number the next probe will get (= probes sent so far). */
uint64_t rxq_seqwin__next(const struct rxq_seqwin *w);

/* ---- report --------------------------------------------------------------------------------- */

/*
 * One report: a period of one target, or the final summary. Latencies in microseconds; a latency
 * field is only meaningful when replies > 0.
 */
struct rxq_latrep {
	const char *label; /* text only: printed first ("summary", "warm-up"); may be NULL */
	const char *target; /* "198.18.0.2:4321"; text starts with "target: " when not NULL */
	const char *type; /* JSON "type": "report" or "summary" */
	double seconds; /* length of the period */
	uint64_t replies; /* RTT samples (first replies) */
	double avg_us, dev_us, min_us, max_us;
	double p50_us, p99_us, p999_us;
	bool has_packet; /* --timestamp: kernel RX timestamp to user space */
	double packet_avg_us, packet_dev_us;
	bool has_split; /* --hwtstamp: send path, wire+peer, receive path averages */
	const char *split_source; /* "hardware" or "software" */
	double tx_path_us, wire_us, rx_path_us;
	uint64_t sent, lost, dup, reordered, late;
	uint64_t refused; /* sends or receives that failed with ECONNREFUSED */
	uint64_t errors; /* sends or receives that failed otherwise */
	int last_error; /* errno of the last of those (0: none) */
	int incoming_cpu; /* SO_INCOMING_CPU of the last reply; -1: not asked */
	bool has_cpu_dma_latency; /* a CPU wake-up latency was held for the run: */
	int32_t cpu_dma_latency_us; /* its effective value */
};

struct rxq_hist;

/**
 * @brief Fills replies, avg, dev, min, max and the percentiles from a histogram of round-trip
 * times in nanoseconds (count, mean, deviation, min and max are the histogram's exact ones).
 */
void rxq_latrep__set_rtt(struct rxq_latrep *r, const struct rxq_hist *rtt);

/**
 * @brief The text line, without newline: the classic fields with their widths first
 * ("pps=%6.0f avg=%7.3fus dev=%7.3fus min=%6.3fus", then " (packet=%5.3fus/%5.3f)"), then
 * " p50= p99= p99.9= max= lost=" and the extras that apply.
 * @return the length snprintf() would produce.
 */
int rxq_latrep__format(const struct rxq_latrep *r, char *buf, size_t len);

/** @brief Prints one record: the text line, or one JSON object with the same fields. */
void rxq_latrep__print(struct rxq_out *o, const struct rxq_latrep *r);

#endif
