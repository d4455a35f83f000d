/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_PORT_H
#define RXQ_PORT_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "rxq/netdev.h"
#include "rxq/parse.h"

/*
 * Port specs, shared by the tools:
 *
 *   packet:IF          AF_PACKET on IF
 *   xdp:IF~Q           AF_XDP on queue Q of IF
 *   xdp:IF~Q1,Q2,...   several queues (ranges too: xdp:IF~0-3,6); one socket and thread each
 *   xdp:IF             every queue of IF (resolved with rxq_port_spec__resolve())
 *   pcap:FILE          a capture file (FILE may contain anything, including ':' and '~')
 *
 * The transmit side of a port (rxq_tx, rxq-gen's engine) is in rxq/tx.h.
 */

enum rxq_port_type {
	RXQ_PORT_PACKET = 1u << 0,
	RXQ_PORT_XDP = 1u << 1,
	RXQ_PORT_PCAP = 1u << 2,
};

#define RXQ_PORT_MAX_QUEUES 256
#define RXQ_PORT_PATH_MAX   4096

struct rxq_port_spec {
	enum rxq_port_type type;
	char ifname[IF_NAMESIZE]; /* packet:, xdp: */
	bool all_queues; /* xdp:IF; nqueues is 0 until resolved */
	unsigned nqueues;
	uint16_t queues[RXQ_PORT_MAX_QUEUES]; /* in the order given, no duplicates */
	char path[RXQ_PORT_PATH_MAX]; /* pcap: */
};

/** @brief "packet", "xdp" or "pcap". */
const char *rxq_port_type__str(enum rxq_port_type type);

/**
 * @brief Parses a port spec. @p allowed is a mask of enum rxq_port_type the caller accepts; a type
 * outside it is an error that names what is accepted. On error @p err->col is the 1-based character
 * column of the problem and @p err->msg says what is wrong ("unknown port type 'xpd' (expected
 * packet:IF, xdp:IF~Q or pcap:FILE)", "queue '9x' is not a number", "queue 3 given twice", ...).
 * The interface is not looked up here.
 * @return 0 or -EINVAL.
 */
int rxq_port_spec__parse(struct rxq_port_spec *spec, const char *s, unsigned allowed,
			 struct rxq_parse_error *err);

/** @brief Writes the canonical text of @p spec (parses back to the same spec). */
int rxq_port_spec__format(const struct rxq_port_spec *spec, char *buf, size_t len);

/**
 * @brief For packet:/xdp:, checks the interface against @p dev (from rxq_netdev__get() on
 * spec->ifname): for xdp:IF fills in every queue; for xdp:IF~Q checks each queue exists.
 * On error err->msg is a complete sentence such as
 * "dut0 has 4 queues; queue 9 does not exist (use 0-3)".
 * @return 0 or -ERANGE.
 */
int rxq_port_spec__resolve(struct rxq_port_spec *spec, const struct rxq_netdev *dev,
			   struct rxq_parse_error *err);

/**
 * @brief An option's AF_XDP port, given without the "xdp:" prefix (IF, IF~Q, IF~Q1,Q2, IF~0-3):
 * parses it, reads IF into @p dev and checks that its queues exist. What is wrong is logged as
 * "@p opt=@p arg: ..." ("there is no interface nosuch0", "dut0 has 1 queue; queue 5 does not exist
 * (use 0)"). @return 0, -EINVAL for bad input, another -errno when IF cannot be read.
 */
int rxq_port_spec__from_xdp_arg(struct rxq_port_spec *spec, struct rxq_netdev *dev, const char *opt,
				const char *arg);

#endif
