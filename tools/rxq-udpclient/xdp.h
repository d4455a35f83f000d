/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_UDPCLIENT_XDP_H
#define RXQ_UDPCLIENT_XDP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/steer.h"

/*
 * --xdp IF~Q: a target's probes leave and its echoes arrive through an AF_XDP socket on queue Q of
 * IF, past the kernel's UDP and IP layers on both ways. The steering program shared with the
 * server and rxq-offload sends the echoes (UDP from the target's address and port to our source
 * port) into the socket; everything else, ARP and neighbour discovery included, stays with the
 * kernel. Addresses come from the kernel: the source from the connected UDP socket that also
 * keeps the source port reserved, the next hop's MAC from the neighbour table.
 */
struct xdp_path;

struct xdp_path_opts {
	const char *spec; /* "IF~Q" */
	enum rxq_xdp_mode mode;
	bool force; /* replace another XDP program on IF */
	int busy_poll_usec; /* 0: the default */
};

/**
 * @brief Sets up the path for the UDP socket @p fd (bound and connected to the target): checks
 * that the route to the target leaves through IF, resolves the MACs, loads and attaches the
 * steering program and binds the socket. Logs what is wrong. @return 0, -EINVAL for bad input
 * (no such interface or queue, a route through another interface, @p payload too large for the
 * frame), -errno otherwise.
 */
int xdp_path__open(struct xdp_path **out, const struct xdp_path_opts *opts, int fd,
		   unsigned payload);

/** @brief Detaches the program and frees everything. NULL ok. */
void xdp_path__close(struct xdp_path *x);

/** @brief "dut0 queue 0 (copy mode, native XDP, busy-polling)" for the start-up line. */
void xdp_path__describe(const struct xdp_path *x, char *buf, size_t len);

/**
 * @brief Sends @p n payloads of @p size bytes each, at @p payloads (consecutive). @return how many
 * left (fewer when the socket's frames or TX ring ran out).
 */
unsigned xdp_path__send(struct xdp_path *x, const uint8_t *payloads, unsigned size, unsigned n);

/* A received echo's UDP payload, valid until the next xdp_path__recv(). */
struct xdp_datagram {
	const uint8_t *data;
	size_t len;
};

/**
 * @brief Takes up to @p max received frames (never blocks; with busy polling each call drives the
 * device's poll). Frames that are not UDP from the target to our port are counted as strays and
 * not returned. @return the number of datagrams written to @p out.
 */
unsigned xdp_path__recv(struct xdp_path *x, struct xdp_datagram *out, unsigned max,
			uint64_t *strays);

struct xdp_path_stats {
	uint64_t ring_drops; /* the kernel dropped echoes at the socket's rings */
	uint64_t tx_errors; /* frames the driver refused to send */
	uint64_t kernel_echoes; /* echoes that reached the kernel's socket instead (another RX
				 * queue): read at the end */
	uint64_t steered, passed; /* the steering program's counters */
};

/** @brief Reads the counters; drains the kernel socket to count the echoes that went there. */
void xdp_path__stats(struct xdp_path *x, struct xdp_path_stats *st);

#endif
