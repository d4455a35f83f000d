/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_TX_H
#define RXQ_TX_H

#include <stdbool.h>
#include <stdint.h>

#include "rxq/opts.h"
#include "rxq/port.h"
#include "rxq/xsk.h"

/*
 * Transmit side. One rxq_tx per sending thread:
 *   packet:  an AF_PACKET socket with PACKET_QDISC_BYPASS (unless opts.qdisc) and a TPACKET_V2 TX
 *            ring, flushed with one sendto() per batch (or sendmmsg() with opts.sendmmsg);
 *   xdp:     an AF_XDP socket (TX only) on queue spec->queues[index % nqueues];
 *   pcap:    frames appended to the file (one rxq_tx per file: index must be 0).
 *
 * Data path: rxq_tx__reserve() hands out frame buffers to write in place, rxq_tx__submit() hands
 * them to the kernel. Transient refusals (ENOBUFS, EAGAIN, EBUSY, a full ring) never lose a frame:
 * it stays queued and goes with a later submit or flush (counted in retries). Frames the kernel
 * rejects for good are counted in errors.
 */

struct rxq_tx_opts {
	size_t sz; /* sizeof(struct rxq_tx_opts): declare it with RXQ_OPTS (rxq/opts.h) */
	uint32_t batch; /* frames per submit the caller intends (default 64); sizes rings */
	uint32_t frame_max; /* largest frame the caller will write (default 2048 - headers) */
	bool qdisc; /* packet: go through the qdisc instead of bypassing it */
	bool sendmmsg; /* packet: sendmmsg() instead of the TX ring */
	uint32_t ring_frames; /* packet: TX ring frames (default 4096) */
	struct rxq_xsk_opts xsk; /* xdp: socket options (rx/tx are forced to TX only) */
	bool pcap_nanosec; /* pcap: nanosecond timestamps */
};

struct rxq_tx_buf {
	uint8_t *data; /* where to write the frame */
	uint32_t len; /* set by the caller before submit */
	uint64_t priv; /* owned by the port */
};

struct rxq_tx_stats {
	uint64_t packets; /* taken by the kernel (or written to the file) for good */
	uint64_t bytes;
	uint64_t retries; /* transient refusals that were retried */
	uint64_t errors; /* frames rejected and dropped */
	uint64_t syscalls;
	uint64_t pending; /* frames handed over but not yet taken by the kernel */
	int last_refusal; /* errno of the last transient refusal (ENOBUFS, EAGAIN ...), 0: none */
};

struct rxq_tx;

/**
 * @brief Opens the transmit side of @p spec for sending thread @p index. Logs the reason on failure
 * (what, which interface or file, which capability is missing, what to do) and returns -errno:
 * -ENODEV, -ERANGE (queue), -EPERM (privilege), -EAFNOSUPPORT, -EOPNOTSUPP, -EMSGSIZE
 * (frame_max above the MTU), -EINVAL.
 */
int rxq_tx__open(struct rxq_tx **out, const struct rxq_port_spec *spec, unsigned index,
		 const struct rxq_tx_opts *opts);

/** @brief Flushes nothing; frees everything. NULL is a no-op. */
void rxq_tx__close(struct rxq_tx *t);

/** @brief Bytes a frame buffer holds (>= opts.frame_max). */
uint32_t rxq_tx__frame_cap(const struct rxq_tx *t);

/** @brief xdp: the AF_XDP mode the kernel granted; other ports RXQ_XSK_MODE_AUTO. */
enum rxq_xsk_mode rxq_tx__xsk_mode(const struct rxq_tx *t);

/**
 * @brief Takes up to @p n free buffers (reclaiming finished ones first). Never blocks.
 * @return how many were written to @p bufs.
 */
unsigned rxq_tx__reserve(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n);

/**
 * @brief Hands the first @p n buffers of the last reservation (lens set, in order) to the kernel;
 * reserved buffers beyond @p n are given back. @return 0, or -errno for a fatal error (the device
 * went away, the file system is full): stop sending.
 */
int rxq_tx__submit(struct rxq_tx *t, struct rxq_tx_buf *bufs, unsigned n);

/**
 * @brief Waits until rxq_tx__reserve() can return a buffer, at most @p timeout_ms: 1, 0, -errno.
 * packet: with sendmmsg(), frames the device refused (ENOBUFS from a full queue) are retried by
 * the next rxq_tx__reserve(); POLLOUT on the socket says nothing about the device, so this
 * waits a short, growing time (at most @p timeout_ms) instead. A fatal error of that retry is
 * returned here.
 */
int rxq_tx__wait(struct rxq_tx *t, int timeout_ms);

/**
 * @brief Pushes out everything queued and waits until the kernel has taken it, at most @p timeout_ms.
 * @return 0, -ETIMEDOUT (stats say how much went), or a fatal -errno.
 */
int rxq_tx__flush(struct rxq_tx *t, int timeout_ms);

/** @brief Counters of this port; safe to call from the owning thread only. */
void rxq_tx__stats(const struct rxq_tx *t, struct rxq_tx_stats *st);

#endif
