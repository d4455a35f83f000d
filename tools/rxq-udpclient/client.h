/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_UDPCLIENT_H
#define RXQ_UDPCLIENT_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "rxq/histogram.h"
#include "rxq/hostport.h"
#include "rxq/stats.h"
#include "rxq/ticker.h"
#include "rxq/udplat.h"

#include "tstamp.h"
#include "xdp.h"

struct config {
	bool polling;
	int busy_poll_usec; /* 0: off */
	int src_port; /* first source port; -1: the default 65500 + i */
	bool timestamp; /* --timestamp: SO_TIMESTAMPNS */
	bool hwtstamp; /* --hwtstamp: SO_TIMESTAMPING */
	bool incoming_cpu;
	cpu_set_t cpus; /* target i's thread on the i-th of them; empty: not pinned */
	unsigned size; /* UDP payload bytes */
	uint64_t count; /* probes per target; 0: unlimited */
	uint64_t duration_ns; /* measured time after warm-up; 0: unlimited */
	uint64_t warmup_ns;
	uint64_t interval_ns; /* report period */
	uint64_t timeout_ns; /* a probe without reply for this long is lost */
	uint64_t rate; /* probes per second per target (open loop); 0: closed loop */
	bool sockperf; /* sockperf's ping-pong framing */
	uint64_t inflight; /* closed loop: probes outstanding at once (0: 1) */
	const char *xdp; /* --xdp IF~Q: probes through an AF_XDP socket */
	enum rxq_xdp_mode xdp_mode;
	bool force; /* --force: replace another XDP program on IF */
	int32_t cpu_dma_latency; /* -1: not asked for */
	int32_t cpu_dma_latency_held; /* the effective value while held; -1: not held */
	bool json;
	const char *hist_path;
	int verbose;
};

/* What happened to one target in one period (or over the whole run). */
struct period {
	struct rxq_hist *rtt; /* round-trip times, ns */
	struct rxq_hist *packet; /* --timestamp: kernel receive stamp to user space, ns */
	struct rxq_hist *tx_path; /* --hwtstamp: send() to the transmit stamp */
	struct rxq_hist *wire; /* --hwtstamp: transmit stamp to receive stamp */
	struct rxq_hist *rx_path; /* --hwtstamp: receive stamp to user space */
	uint64_t sent, lost, dup, reordered, late, stray, refused, errors;
	int last_error;
	int incoming_cpu; /* SO_INCOMING_CPU of a reply in this period, -1: none */
	int client_cpu; /* the CPU the thread ran on at that moment */
};

int period__new(struct period **out, bool timestamps, bool split);
void period__free(struct period *p);
void period__reset(struct period *p);
/** @brief True when anything was sent, received or counted in @p p. */
bool period__active(const struct period *p);
/** @brief dst += src. */
void period__merge(struct period *dst, const struct period *src);

/* One target: one thread, one connected socket. */
struct target {
	unsigned idx;
	const char *arg; /* as given on the command line */
	char name[80]; /* "198.18.0.2:4321" */
	struct rxq_hostport hp;
	int fd;
	struct xdp_path *xdp; /* --xdp: the probes' path; NULL: the socket */
	int cpu; /* pinned CPU, -1: not pinned */
	uint32_t flow; /* probe header flow id */
	uint16_t src_port;
	struct rxq_seqwin *win;
	struct tstamp ts;
	const struct config *cfg;
	uint64_t start_ns; /* when the worker started */
	uint64_t warmup_end_ns;
	uint64_t end_ns; /* stop sending (0: no end) */

	pthread_t tid;
	bool started;
	struct rxq_ticker *ticker; /* poked when the worker finishes */
	const volatile int *stop; /* 1: stop sending and drain; 2: stop now */
	int fatal; /* -errno when the worker gave up */
	volatile bool done;

	/* The worker records into cur (under lock, swapped by the reporter) and, after warm-up,
	 * into total (the worker's alone until it finishes). */
	pthread_mutex_t lock;
	struct period *cur;
	struct period *total;
	uint64_t total_start_ns; /* first moment counted in total */
	uint64_t total_end_ns;
	unsigned period_gen; /* bumped by the reporter at each swap */

	/* The reporter's own state. */
	struct period *spare;
	uint64_t period_start_ns; /* when cur began: the start, or its last swap */
	bool refusing; /* the last period saw ECONNREFUSED and no reply */
	bool warned_cpu;
};

/** @brief Creates the socket: binds the source port, connects, checks the size against the path
 * MTU, applies busy-poll and timestamp options. Logs what is wrong; -EINVAL for bad input. */
int target__open(struct target *t, const struct config *cfg);
void target__close(struct target *t);

/** @brief The worker thread: probes until count, duration or *stop, then drains. */
void *target__run(void *arg);

#endif
