/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_PCAP_H
#define RXQ_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/*
 * pcap files (Ethernet link type): read through libpcap, written by the writer itself so that it
 * can tell exactly which frames a file holds. Errors are logged through rxq_log.
 */

struct rxq_pcap_writer;
struct rxq_pcap_reader;

/**
 * @brief Creates (truncates) @p path and writes the file header. @p nanosec selects the
 * nanosecond-resolution pcap format.
 * @return 0 or -errno (the file cannot be created, or not even the header written: logged).
 */
int rxq_pcap_writer__open(struct rxq_pcap_writer **out, const char *path, bool nanosec);

/**
 * @brief Appends a frame to the writer's buffer, which goes to the file when full, on flush and
 * on close. @p ts NULL means now (CLOCK_REALTIME).
 * @return 0, -EMSGSIZE or -ERANGE (this frame refused, the file unchanged), or -errno of a failed
 * write of the buffer (logged): the file then holds the frames rxq_pcap_writer__written() counts,
 * no partial one, and every later call returns the same error.
 */
int rxq_pcap_writer__write(struct rxq_pcap_writer *w, const uint8_t *frame, uint32_t len,
			   const struct timespec *ts);

/** @brief Writes the buffered frames to the file. 0 or -errno, as rxq_pcap_writer__write(). */
int rxq_pcap_writer__flush(struct rxq_pcap_writer *w);

/** @brief The frames the file holds in full (written to it, not buffered) and their bytes. */
void rxq_pcap_writer__written(const struct rxq_pcap_writer *w, uint64_t *frames, uint64_t *bytes);

/**
 * @brief Flushes and closes; 0 or -errno of the first failed write, flush or close (logged). To
 * know what the file holds after a failure, flush and ask rxq_pcap_writer__written() first.
 * NULL is a no-op.
 */
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
