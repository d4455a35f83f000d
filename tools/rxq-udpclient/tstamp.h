/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_UDPCLIENT_TSTAMP_H
#define RXQ_UDPCLIENT_TSTAMP_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/*
 * Kernel timestamps of the probes. --timestamp asks for SO_TIMESTAMPNS: the software receive stamp
 * of each reply. --hwtstamp asks for SO_TIMESTAMPING: transmit and receive stamps, from the NIC
 * when it has them and they are enabled, else from the kernel, so that a round trip splits into
 * send path (send() to transmit stamp), wire + peer (transmit to receive stamp) and receive path
 * (receive stamp to user space). All stamps are CLOCK_REALTIME (hardware: the NIC's clock, which
 * must be synchronised to it, e.g. by phc2sys, for the two path figures to mean anything).
 */

#define TSTAMP_RING 256

struct tstamp_slot {
	uint64_t seq;
	uint64_t user_ns; /* CLOCK_REALTIME just before send() */
	uint64_t tx_ns; /* transmit stamp, 0 until it arrives */
	uint32_t key; /* the kernel's OPT_ID for this send */
	bool used;
};

struct tstamp {
	bool rx_ns; /* SO_TIMESTAMPNS on */
	bool split; /* SO_TIMESTAMPING on */
	bool hardware; /* ... with the NIC's stamps */
	char ifname[IF_NAMESIZE]; /* the interface the probes leave by */
	uint32_t next_key; /* successful sends so far: the next OPT_ID */
	struct tstamp_slot by_seq[TSTAMP_RING];
	uint64_t seq_of_key[TSTAMP_RING];
	uint64_t tx_missing; /* replies whose transmit stamp never came */
};

/**
 * @brief Enables what was asked on the connected socket @p fd. For the split, finds the outgoing
 * interface and its timestamping capabilities (ETHTOOL_GET_TS_INFO) and picks hardware or software.
 * On failure @p why says what is and is not available.
 * @return 0, -EOPNOTSUPP (the interface cannot stamp what is needed), other -errno.
 */
int tstamp__setup(struct tstamp *ts, int fd, bool rx_ns, bool split, char *why, size_t len);

/** @brief "hardware" or "software". */
const char *tstamp__source(const struct tstamp *ts);

/** @brief Control buffer size a receive needs for the stamps. */
#define TSTAMP_CMSG_SPACE 256

/** @brief Remembers a successful send of probe @p seq at @p user_ns (split mode). */
void tstamp__sent(struct tstamp *ts, uint64_t seq, uint64_t user_ns);

/**
 * @brief Receive stamps of a reply: software (SO_TIMESTAMPNS or SO_TIMESTAMPING) in @p sw_ns and,
 * in hardware mode, the NIC's in @p hw_ns (0 when absent).
 */
void tstamp__rx(const struct tstamp *ts, const struct msghdr *m, uint64_t *sw_ns, uint64_t *hw_ns);

/** @brief Reads the transmit stamps waiting on the socket's error queue (never blocks). */
void tstamp__collect_tx(struct tstamp *ts, int fd);

/**
 * @brief For probe @p seq: the send-path and transmit times, if its transmit stamp arrived.
 * @return true with @p user_ns (before send) and @p tx_ns filled.
 */
bool tstamp__lookup(struct tstamp *ts, uint64_t seq, uint64_t *user_ns, uint64_t *tx_ns);

/** @brief CLOCK_REALTIME in ns: the kernel's stamps are on this clock. */
uint64_t tstamp__realtime_ns(void);

#endif
