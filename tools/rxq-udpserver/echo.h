/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_UDPSERVER_ECHO_H
#define RXQ_UDPSERVER_ECHO_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

/* Per-thread counters (rows of struct rxq_counters). */
enum echo_counter {
	EC_RX, /* datagrams received */
	EC_TX, /* datagrams echoed */
	EC_RX_BYTES,
	EC_TX_ERRORS, /* echoes the kernel refused (counted, not retried) */
	EC_RX_ERRORS, /* receive calls that failed with something other than EAGAIN/EINTR */
	EC_NO_PKTINFO, /* datagrams without a destination address: echoed from the default one */
	EC_SOCKPERF, /* sockperf requests answered (client flag cleared) */
	EC_SOCKPERF_NO_REPLY, /* sockperf messages that want no answer (under-load, warm-up) */
	EC_NFIELDS,
};

struct rxq_out;

/**
 * @brief The sockperf counters of a row (or a sum of rows): in text only when some sockperf
 * message came, in JSON always.
 */
void echo_put_sockperf(struct rxq_out *out, const uint64_t *row);

struct echo_sock_opts {
	bool reuseport;
	bool v6only; /* false: an IPv6 wildcard socket also takes IPv4 */
	int busy_poll_usec; /* 0: off */
};

/**
 * @brief A UDP socket bound to @p sa with destination-address reporting (IP_PKTINFO and
 * IPV6_RECVPKTINFO) and the options asked for. Failures are logged with what to do.
 * @return the fd, or -errno (-EPERM for a busy-poll value that needs privilege).
 */
int echo_sock__open(const struct sockaddr *sa, socklen_t salen, const struct echo_sock_opts *o);

struct echo_loop;

/**
 * @brief State for one thread echoing on @p fd: batches of @p batch datagrams of up to
 * 65535 bytes. @p sockperf: take every datagram for a sockperf message (rxq_sockperf__echo()).
 * NULL on allocation failure.
 */
struct echo_loop *echo_loop__new(int fd, unsigned batch, bool sockperf);
void echo_loop__free(struct echo_loop *l);

/**
 * @brief Echoes until *@p stop becomes true: every datagram back to its sender, from the address
 * it was sent to; sockperf messages as a sockperf server answers them. @p polling: never sleep in the kernel (MSG_DONTWAIT loop). Counts into @p row.
 * @return 0, or -errno when the socket became unusable.
 */
int echo_loop__run(struct echo_loop *l, bool polling, const volatile bool *stop, uint64_t *row);

#endif
