/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_XSK_H
#define RXQ_XSK_H

#include <stdbool.h>
#include <stdint.h>

#include "rxq/opts.h"

/*
 * One AF_XDP socket bound to one queue of one interface, with its own UMEM (libxdp's <xdp/xsk.h>
 * underneath). The socket never loads an XDP program: the caller owns the steering program and puts
 * the socket into its XSKMAP with rxq_xsk__register(). Transmit-only sockets need no program.
 *
 * Buffer life cycle. Every UMEM frame is owned by exactly one of: the socket's free pool, the kernel
 * (fill/RX/TX/completion rings) or the caller. rxq_xsk__recv() and rxq_xsk__alloc() hand frames to
 * the caller; the caller gives each one back exactly once, either with rxq_xsk__release() (back to
 * the pool) or rxq_xsk__send() (out on the TX ring; the frame returns to the pool when the kernel
 * completes it). Forwarding a received frame with rxq_xsk__send() copies nothing, which is what an
 * echo server or a reflector wants. The fill ring is topped up from the pool inside rxq_xsk__recv().
 *
 * need_wakeup is always requested: the data-path calls make a system call only when the kernel
 * asked for one (or, with busy polling, to drive the poll), never per packet.
 *
 * A socket is single-threaded: one thread owns it (one socket and one thread per queue).
 */

enum rxq_xsk_mode {
	RXQ_XSK_MODE_AUTO = 0, /* zero-copy when the driver can, copy otherwise */
	RXQ_XSK_MODE_COPY, /* XDP_COPY */
	RXQ_XSK_MODE_ZEROCOPY, /* XDP_ZEROCOPY; fails with -EOPNOTSUPP when unsupported */
};

/** @brief "auto", "copy" or "zero-copy". */
const char *rxq_xsk_mode__str(enum rxq_xsk_mode mode);

/** @brief Parses "auto", "copy", "zero-copy" (also "zerocopy", "zc"); -EINVAL otherwise. */
int rxq_xsk_mode__parse(const char *s, enum rxq_xsk_mode *out);

/* Zero-initialise and set what matters: every zero field means its default. */
struct rxq_xsk_opts {
	size_t sz; /* sizeof(struct rxq_xsk_opts): declare it with RXQ_OPTS (rxq/opts.h) */
	enum rxq_xsk_mode mode;
	bool rx; /* create the RX ring and fill the fill ring (receive) */
	bool tx; /* create the TX ring (transmit or forward) */
	uint32_t ring_size; /* entries of each ring, a power of two (default 2048) */
	uint32_t nframes; /* UMEM frames (default: 2 * ring_size when rx and tx, else
				    * ring_size + ring_size / 2) */
	uint32_t frame_size; /* 2048 or 4096 (default 4096) */
	uint32_t busy_poll_usec; /* > 0: SO_PREFER_BUSY_POLL + SO_BUSY_POLL; recv() then drives
				    * the poll with a system call per batch */
	uint32_t busy_poll_budget; /* SO_BUSY_POLL_BUDGET (default 64) */
	uint32_t tx_reserve; /* rx and tx: frames the fill ring never takes, so that
				    * rxq_xsk__alloc() finds some (a sender that also receives);
				    * 0: the fill ring may take every free frame (a forwarder) */
	uint32_t tx_budget; /* copy mode: frames the kernel sends per wakeup
				    * (XDP_MAX_TX_SKB_BUDGET where the kernel has it; 0: kernel default) */
};

/* A frame handed to the caller. */
struct rxq_xsk_buf {
	uint64_t addr; /* UMEM address: opaque to the caller, keep it with the buffer */
	uint8_t *data; /* the frame */
	uint32_t len; /* recv: bytes received; alloc: 0, set it before send */
};

/* XDP_STATISTICS from the kernel plus what the socket counted itself. */
struct rxq_xsk_stats {
	uint64_t rx_dropped; /* kernel: dropped for other reasons (e.g. no frame) */
	uint64_t rx_invalid_descs;
	uint64_t tx_invalid_descs;
	uint64_t rx_ring_full; /* kernel: dropped because the RX ring was full */
	uint64_t rx_fill_ring_empty_descs; /* kernel: fill ring was empty when a frame came */
	uint64_t tx_ring_empty_descs;
	uint64_t rx_packets; /* handed out by rxq_xsk__recv() */
	uint64_t tx_packets; /* completed by the kernel */
	uint64_t tx_wakeups; /* sendto() kicks */
	uint64_t tx_wakeup_retries; /* kicks answered with EAGAIN/EBUSY/ENOBUFS (retried) */
	uint64_t tx_wakeup_errors; /* kicks that failed otherwise */
	uint64_t tx_dropped; /* copy mode: the driver dropped a frame (EBUSY); it was
					    * completed without being sent */
};

struct rxq_xsk;

/**
 * @brief Creates the UMEM and the socket and binds it to @p queue of @p ifname with need_wakeup.
 *
 * Failures are logged with what to do (through rxq_log) and returned:
 * -ENODEV   no such interface;
 * -ERANGE   queue out of range (the message says how many queues @p ifname has);
 * -EPERM    a capability is missing (the message names it: CAP_NET_RAW for the socket,
 *           CAP_IPC_LOCK or a larger RLIMIT_MEMLOCK for the UMEM);
 * -EAFNOSUPPORT  the kernel has no AF_XDP;
 * -EOPNOTSUPP    zero-copy asked for but the driver cannot;
 * -EBUSY    another socket is bound to that queue;
 * other -errno from the kernel.
 * @param opts NULL means all defaults (TX only). @return 0 or -errno.
 */
int rxq_xsk__open(struct rxq_xsk **out, const char *ifname, uint32_t queue,
		  const struct rxq_xsk_opts *opts);

/** @brief Unbinds and frees everything (frames still held by the caller become invalid). NULL ok. */
void rxq_xsk__close(struct rxq_xsk *x);

int rxq_xsk__fd(const struct rxq_xsk *x);
uint32_t rxq_xsk__queue(const struct rxq_xsk *x);
int rxq_xsk__ifindex(const struct rxq_xsk *x);

/** @brief The mode the kernel granted (read back with XDP_OPTIONS): COPY or ZEROCOPY. */
enum rxq_xsk_mode rxq_xsk__mode(const struct rxq_xsk *x);

/** @brief Usable bytes at rxq_xsk_buf.data (the frame size). */
uint32_t rxq_xsk__frame_size(const struct rxq_xsk *x);

/**
 * @brief Puts the socket into the caller's XSKMAP (BPF_MAP_TYPE_XSKMAP) at @p key, usually the
 * queue id, so that the caller's XDP program can redirect to it. 0 or -errno.
 */
int rxq_xsk__register(struct rxq_xsk *x, int xskmap_fd, uint32_t key);

/**
 * @brief Refills the fill ring from the pool, then takes up to @p max received frames.
 * Never blocks. @return the number of frames written to @p bufs (0 when none).
 */
unsigned rxq_xsk__recv(struct rxq_xsk *x, struct rxq_xsk_buf *bufs, unsigned max);

/** @brief Gives frames back to the pool (they will be reused for RX or TX). */
void rxq_xsk__release(struct rxq_xsk *x, const struct rxq_xsk_buf *bufs, unsigned n);

/**
 * @brief Reclaims completed TX frames, then takes up to @p n free frames for the caller to fill.
 * @return the number of frames written to @p bufs (fewer when the pool runs short).
 */
unsigned rxq_xsk__alloc(struct rxq_xsk *x, struct rxq_xsk_buf *bufs, unsigned n);

/**
 * @brief Queues frames (allocated or received; len set) on the TX ring and wakes the kernel when it
 * asked for it. Transient wakeup failures (EAGAIN, EBUSY, ENOBUFS) are retried by later calls, so
 * queued frames are not lost. @return how many of the first frames were queued; the caller still
 * owns the rest (release or send them later).
 */
unsigned rxq_xsk__send(struct rxq_xsk *x, const struct rxq_xsk_buf *bufs, unsigned n);

/**
 * @brief Reclaims TX completions into the pool and kicks the kernel if frames are still queued.
 * @return frames still in flight (queued but not completed).
 */
unsigned rxq_xsk__complete(struct rxq_xsk *x);

/** @brief Waits until the socket is readable (RX) or @p timeout_ms passes: 1, 0 or -errno. */
int rxq_xsk__wait(struct rxq_xsk *x, int timeout_ms);

/** @brief Fills @p st from XDP_STATISTICS and the socket's own counters. 0 or -errno. */
int rxq_xsk__stats(const struct rxq_xsk *x, struct rxq_xsk_stats *st);

#endif
