/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_PCAP_H
#define RXQ_PCAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "rxq/opts.h"

/*
 * pcap files (Ethernet link type). The reader maps a classic pcap file and hands its frames out in
 * place; other captures (pcapng, a pipe, another link type) go through libpcap. The writer is
 * rxq's own, so that it can tell exactly which frames a file holds. Errors are logged through
 * rxq_log.
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

/**
 * The largest captured length the reader accepts and the writer writes. libpcap refuses longer
 * records (MAXIMUM_SNAPLEN in its sources): a writer that let longer frames through would produce
 * files nobody can read back.
 */
#define RXQ_PCAP_SNAPLEN 262144u

/** How a reader reads the file. */
enum rxq_pcap_read_mode {
	/*
	 * Classic pcap (format 2.4) of Ethernet frames in a regular file: mapped; anything else:
	 * libpcap. The environment variable RXQ_PCAP_READER=map or =libpcap forces either (for
	 * comparisons).
	 */
	RXQ_PCAP_READ_AUTO = 0,
	RXQ_PCAP_READ_MAP, /* mapped only: a file it cannot map is refused (-EINVAL) */
	RXQ_PCAP_READ_LIBPCAP, /* libpcap's per-record reads only */
};

struct rxq_pcap_reader_opts {
	size_t sz; /* sizeof(struct rxq_pcap_reader_opts) */
	enum rxq_pcap_read_mode mode;
};

/** One frame of a capture, as rxq_pcap_reader__next_batch() hands it out. */
struct rxq_pcap_frame {
	const uint8_t *data; /* read-only: in the file's mapping, or the reader's copy */
	uint32_t len; /* captured length, at most RXQ_PCAP_SNAPLEN */
	uint32_t wire_len; /* length on the wire, as the file says (not checked against len) */
	struct timespec ts; /* capture time, in nanoseconds whatever the file's resolution */
};

/**
 * @brief Opens a pcap file (either resolution, either byte order). The mapped reader checks the
 * file header at once and every record as it reaches it: a record cut short by the end of the
 * file, a captured length above the file's snapshot length (or RXQ_PCAP_SNAPLEN), or a timestamp
 * fraction of a second or more is an error of the read that reaches it, with a message saying
 * which record, where, and what is wrong. A mapped file that someone else cuts shorter while it
 * is read is an error where the kernel can tell (MADV_POPULATE_READ, Linux 5.14) and otherwise,
 * as for any reader of a mapped file, a SIGBUS.
 * @param opts NULL for defaults (RXQ_PCAP_READ_AUTO)
 * @return 0 or -errno: the file cannot be opened, or is not a capture the chosen mode reads
 * (-EINVAL); logged.
 */
int rxq_pcap_reader__open_opts(struct rxq_pcap_reader **out, const char *path,
			       const struct rxq_pcap_reader_opts *opts);

/** @brief rxq_pcap_reader__open_opts() with the default options. */
int rxq_pcap_reader__open(struct rxq_pcap_reader **out, const char *path);

/**
 * @brief Next frame: *frame stays valid until the next call. @p ts may be NULL.
 * @return 1 for a frame, 0 at the end of the file, -errno on a read error (logged).
 */
int rxq_pcap_reader__next(struct rxq_pcap_reader *r, const uint8_t **frame, uint32_t *len,
			  struct timespec *ts);

/**
 * @brief Up to @p n next frames into @p frames. Their data stay valid until the next call of
 * rxq_pcap_reader__next_batch() or rxq_pcap_reader__next(), or the close (a mapped reader does
 * not copy them; libpcap's path copies them into a buffer of the reader). No system call per
 * frame on the mapped path.
 * @return the number of frames (1 .. @p n), 0 at the end of the file, or -errno of a read error
 * (logged when found). A read error after some frames returns those frames first and the error
 * on the next call; every call after an error returns it again.
 */
int rxq_pcap_reader__next_batch(struct rxq_pcap_reader *r, struct rxq_pcap_frame *frames,
				unsigned n);

/**
 * @brief The file's link type: DLT_* through libpcap; the header's LINKTYPE_* when mapped (the
 * same number, DLT_EN10MB = LINKTYPE_ETHERNET = 1, for Ethernet, the only one AUTO maps).
 */
int rxq_pcap_reader__linktype(const struct rxq_pcap_reader *r);

/** @brief True when the file has nanosecond timestamps. */
bool rxq_pcap_reader__nanosec(const struct rxq_pcap_reader *r);

/** @brief True when the reader maps the file, false when it reads through libpcap. */
bool rxq_pcap_reader__mapped(const struct rxq_pcap_reader *r);

/** @brief Closes the reader; the frames it handed out are gone. NULL is a no-op. */
void rxq_pcap_reader__close(struct rxq_pcap_reader *r);

#endif
