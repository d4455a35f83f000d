/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_PCAP_H
#define RXQ_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* pcap files through libpcap (Ethernet link type). Errors carry libpcap's text via rxq_log. */

struct rxq_pcap_writer;
struct rxq_pcap_reader;

/**
 * @brief Creates (truncates) @p path. @p nanosec selects the nanosecond-resolution pcap format.
 * @return 0 or -errno (-EINVAL when libpcap refuses; the reason is logged).
 */
int rxq_pcap_writer__open(struct rxq_pcap_writer **out, const char *path, bool nanosec);

/** @brief Appends a frame; @p ts NULL means now (CLOCK_REALTIME). 0 or -errno. */
int rxq_pcap_writer__write(struct rxq_pcap_writer *w, const uint8_t *frame, uint32_t len,
			   const struct timespec *ts);

/** @brief Flushes and closes; 0 or -errno of the first failed write or flush. NULL is a no-op. */
int rxq_pcap_writer__close(struct rxq_pcap_writer *w);

/** @brief Opens a pcap file (either resolution); timestamps are delivered in nanoseconds. */
int rxq_pcap_reader__open(struct rxq_pcap_reader **out, const char *path);

/**
 * @brief Next frame: *frame stays valid until the next call. @p ts may be NULL.
 * @return 1 for a frame, 0 at the end of the file, -errno on a read error (logged).
 */
int rxq_pcap_reader__next(struct rxq_pcap_reader *r, const uint8_t **frame, uint32_t *len,
			  struct timespec *ts);

/** @brief The file's DLT_* link type (DLT_EN10MB = 1 for Ethernet). */
int rxq_pcap_reader__linktype(const struct rxq_pcap_reader *r);

/** @brief True when the file has nanosecond timestamps. */
bool rxq_pcap_reader__nanosec(const struct rxq_pcap_reader *r);

void rxq_pcap_reader__close(struct rxq_pcap_reader *r);

#endif
