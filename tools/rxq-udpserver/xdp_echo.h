/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_UDPSERVER_XDP_ECHO_H
#define RXQ_UDPSERVER_XDP_ECHO_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>

#include "rxq/output.h"
#include "rxq/steer.h"

struct xdp_echo_config {
	const char *spec; /* "IF~Q", "IF~Q1,Q2", "IF~0-3" or "IF" (every queue) */
	enum rxq_xdp_mode mode; /* XDP attach mode */
	bool force; /* detach another XDP program attached to IF */
	const char *listen; /* ADDR:PORT: the port (and address, if given) to answer */
	int busy_poll_usec; /* 0: the default */
	uint64_t interval_ns;
	uint64_t duration_ns; /* 0: until a signal */
	const cpu_set_t *cpus; /* the i-th CPU for the i-th queue's thread; NULL or empty: unpinned */
	bool sockperf; /* every datagram is a sockperf message (rxq_sockperf__echo()) */
	int32_t cpu_dma_latency_us; /* effective PM QoS target held for the run; -1: none */
};

/**
 * @brief Runs the AF_XDP echo until SIGINT/SIGTERM or the duration: steers UDP to the listen port
 * on each queue given into that queue's AF_XDP socket and answers from it, one thread per queue.
 * @return the exit status.
 */
int xdp_echo__run(const struct xdp_echo_config *cfg, struct rxq_out *out);

#endif
