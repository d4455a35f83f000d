/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_TRAFFIC_H
#define RXQ_TRAFFIC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/opts.h"
#include "rxq/packet.h"
#include "rxq/parse.h"

/*
 * Traffic descriptions for generators (rxq-gen --flow): the keys of a flow spec (rxq/flowspec.h),
 * with ranges, an order, sizes, payloads and a weight added, one description per entry of a mix:
 *
 *   TYPE [src-ip ADDRS [random|seq]] dst-ip ADDRS [random|seq] [src-port PORTS [random|seq]]
 *        [dst-port PORTS [random|seq]] [size SIZES [random|seq]] [payload KIND] [ttl N] [tos N]
 *        [flags TCPFLAGS] [type N] [code N] [weight N]
 *
 *   TYPE    udp4 udp6 tcp4 tcp6 icmp4 icmp6, or ip4/ip6 with proto udp|tcp|icmp|icmp6|N
 *   ADDRS   ADDR, ADDR-ADDR (inclusive) or PREFIX/LEN
 *   PORTS   N or N-M;  SIZES  N or N-M, frame bytes without the 4-byte FCS (60..9216)
 *   KIND    zeros | none | random | hex:BYTES | dns:NAME[:TYPE]
 *
 * src, dst, sport and dport are accepted for src-ip, dst-ip, src-port and dst-port.
 *
 * Then the engine that turns a parsed mix into frames: prebuilt templates, per-packet field
 * writes and a checksum over just the bytes that changed, a per-thread PRNG, and a smooth weighted
 * round-robin order that gives every entry exactly its share in each cycle of the weights.
 * Nothing here prints: rxq_gen_mix__new() reports through the log callback (rxq/log.h).
 */

#define RXQ_GEN_MAX_FLOWS      64
#define RXQ_GEN_MAX_WEIGHT_SUM 1000000
#define RXQ_GEN_MAX_PAYLOAD    9000

enum rxq_gen_proto {
	RXQ_GEN_UDP4,
	RXQ_GEN_UDP6,
	RXQ_GEN_TCP4,
	RXQ_GEN_TCP6,
	RXQ_GEN_ICMP4,
	RXQ_GEN_ICMP6,
};

enum rxq_gen_order {
	RXQ_GEN_RANDOM = 0,
	RXQ_GEN_SEQ,
};

enum rxq_gen_payload {
	RXQ_GEN_PL_DEFAULT = 0, /* zeros, or none for tcp */
	RXQ_GEN_PL_ZEROS, /* zero bytes filling the frame up to its size */
	RXQ_GEN_PL_NONE, /* no L4 payload; the frame is padded to its size after the IP packet */
	RXQ_GEN_PL_RANDOM, /* fresh random bytes in every frame, filling it up to its size */
	RXQ_GEN_PL_HEX, /* the given bytes; the frame is padded to its size after the IP packet */
	RXQ_GEN_PL_DNS, /* a DNS query (random id per frame); padded like hex */
};

struct rxq_gen_addr_range {
	bool set;
	struct rxq_addr base; /* first address */
	uint64_t count; /* addresses in the range; 0 means 2^64 */
	enum rxq_gen_order order;
};

struct rxq_gen_range {
	bool set;
	uint32_t lo, hi; /* inclusive */
	enum rxq_gen_order order;
};

struct rxq_gen_flow {
	enum rxq_gen_proto proto;
	struct rxq_gen_addr_range src, dst;
	struct rxq_gen_range sport, dport, size;
	enum rxq_gen_payload payload;
	uint8_t *bytes; /* hex: the bytes; dns: the query message */
	uint32_t nbytes;
	char dns_name[256];
	uint16_t dns_type;
	uint8_t ttl, tos;
	bool ttl_set, tos_set;
	uint8_t tcp_flags;
	bool tcp_flags_set;
	uint8_t icmp_type, icmp_code;
	bool icmp_type_set, icmp_code_set;
	uint32_t weight;
	char *text; /* the description as given */
};

/** @brief "udp4", ... */
const char *rxq_gen_proto__str(enum rxq_gen_proto p);
uint8_t rxq_gen_proto__family(enum rxq_gen_proto p); /* AF_INET or AF_INET6 */

/**
 * @brief Parses one flow description. On error @p err->col is the 1-based character column of the
 * offending word and @p err->msg says what is wrong and what is expected.
 * @return 0 or -EINVAL (-ENOMEM). Free with rxq_gen_flow__free().
 */
int rxq_gen_flow__parse(struct rxq_gen_flow *f, const char *text, struct rxq_parse_error *err);
void rxq_gen_flow__free(struct rxq_gen_flow *f);

/** @brief Bytes of the Ethernet, IP and L4 headers of @p f. */
uint32_t rxq_gen_flow__hdr_len(const struct rxq_gen_flow *f);

/**
 * @brief Fills defaults (src/dst ports, size, payload) and checks the flow as a whole: size
 * against headers and payload. @return 0 or -EINVAL with @p err (col 0).
 */
int rxq_gen_flow__finish(struct rxq_gen_flow *f, struct rxq_parse_error *err);

/** @brief Smallest and largest frame @p f produces. */
uint32_t rxq_gen_flow__min_len(const struct rxq_gen_flow *f);
uint32_t rxq_gen_flow__max_len(const struct rxq_gen_flow *f);
double rxq_gen_flow__avg_len(const struct rxq_gen_flow *f);

/* ---- engine ---- */

struct rxq_gen_mix;

struct rxq_gen_mix_opts {
	size_t sz; /* sizeof(struct rxq_gen_mix_opts): declare it with RXQ_OPTS (rxq/opts.h) */
	uint8_t src_mac[6];
	uint8_t dst_mac[6]; /* used for every flow without its own in dst_macs */
	const uint8_t (*dst_macs)[6]; /* per flow, or NULL */
};

/** @brief Builds the templates of @p nflows finished flows. 0, -EINVAL (logged), -ENOMEM. */
int rxq_gen_mix__new(struct rxq_gen_mix **out, const struct rxq_gen_flow *flows, unsigned nflows,
		     const struct rxq_gen_mix_opts *opts);
void rxq_gen_mix__free(struct rxq_gen_mix *m);
unsigned rxq_gen_mix__nflows(const struct rxq_gen_mix *m);
uint32_t rxq_gen_mix__max_len(const struct rxq_gen_mix *m);

/** @brief Length of one cycle of the weights and the flow at position @p pos of it. */
uint32_t rxq_gen_mix__cycle(const struct rxq_gen_mix *m);
uint8_t rxq_gen_mix__at(const struct rxq_gen_mix *m, uint32_t pos);

/* Per-thread generator state. */
struct rxq_gen_thread {
	uint64_t rng;
	uint32_t pos; /* in the weight cycle */
	uint64_t *seq; /* per flow: sequence counter (for seq fields) */
	uint64_t stride; /* sequences advance by this (number of threads) */
	uint16_t ip_id;
};

/**
 * @brief Prepares the state of thread @p index of @p nthreads (sequential fields interleave across
 * threads; each thread starts its weight cycle at a different place). 0 or -ENOMEM.
 */
int rxq_gen_thread__init(struct rxq_gen_thread *t, const struct rxq_gen_mix *m, unsigned index,
			 unsigned nthreads, uint64_t seed);
void rxq_gen_thread__fini(struct rxq_gen_thread *t);

/**
 * @brief Writes the next frame of the mix into @p buf (room for rxq_gen_mix__max_len() bytes).
 * @param flow receives the index of the flow it belongs to.
 * @return the frame length.
 */
uint32_t rxq_gen_mix__next(const struct rxq_gen_mix *m, struct rxq_gen_thread *t, uint8_t *buf,
			   unsigned *flow);

/** @brief Writes a frame of flow @p flow (not advancing the weight cycle). */
uint32_t rxq_gen_mix__fill(const struct rxq_gen_mix *m, struct rxq_gen_thread *t, unsigned flow,
			   uint8_t *buf);

#endif
