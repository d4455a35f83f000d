/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_RPCHECK_H
#define RXQ_RPCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/opts.h"

/*
 * Would the kernel accept this IPv4 packet had it arrived on interface IF? Frames that rxq-offload
 * hands back through its TAP must not escape IF's reverse-path filter (rp_filter), which the TAP
 * cannot carry over: the route back to a source is through IF, never through the TAP, so the TAP
 * runs loose rp_filter at best. So before a passed frame is reinjected, the kernel's own input route
 * lookup is asked, as for a packet from SRC to DST arriving on IF (RTM_GETROUTE with RTA_IIF): it
 * applies IF's rp_filter (strict or loose), accept_local, martian checks, policy routing and
 * multipath exactly as for a real packet. (The XDP helper bpf_fib_lookup() cannot do it: it refuses
 * with "forwarding disabled" on every interface that does not forward, which is a server's.)
 *
 * Answers are cached per (source, destination, TOS) for a short time (a route change takes effect
 * within it), in a direct-mapped table of fixed size: a flood of new sources costs one lookup each,
 * no memory. One per thread: no locking. IPv6 has no rp_filter in the kernel: nothing to check.
 */

struct rxq_rpcheck;

struct rxq_rpcheck_opts {
	size_t sz; /* sizeof(struct rxq_rpcheck_opts) */
	unsigned entries; /* cached answers, rounded up to a power of two; 0: 4096 */
	uint64_t ttl_ns; /* how long an answer is reused; 0: 1 s */
};

/**
 * @brief Opens a checker for packets arriving on @p ifindex (a netlink socket of its own).
 * @return 0, -ENOMEM, -errno of the socket.
 */
int rxq_rpcheck__new(struct rxq_rpcheck **out, int ifindex, const struct rxq_rpcheck_opts *opts);
void rxq_rpcheck__free(struct rxq_rpcheck *c);

/**
 * @brief Asks (or recalls) whether a packet from @p src to @p dst (network order, 4 bytes each)
 * with TOS @p tos arriving on the interface would be accepted.
 * @return 1 accepted; 0 refused (reverse path, martian, not for this host, no route); -errno when
 * the kernel could not be asked (callers should treat that as refused: fail closed).
 */
int rxq_rpcheck__ipv4(struct rxq_rpcheck *c, const uint8_t *src, const uint8_t *dst, uint8_t tos,
		      uint64_t now_ns);

struct rxq_rpcheck_stats {
	uint64_t asked; /* lookups sent to the kernel */
	uint64_t cached; /* answers taken from the cache */
	uint64_t refused; /* answers "refused" (from either) */
	uint64_t errors; /* lookups that failed */
};

void rxq_rpcheck__stats(const struct rxq_rpcheck *c, struct rxq_rpcheck_stats *out);

/**
 * @brief The reverse-path filter in effect for IPv4 on @p ifname: the larger of
 * net.ipv4.conf.all.rp_filter and net.ipv4.conf.IF.rp_filter, as the kernel takes it (0 off,
 * 1 strict, 2 loose), read under @p sysroot (NULL: "/"). The interface's name is used as it is
 * (a VLAN interface eth0.5 is .../conf/eth0.5/...).
 * @return 0..2, or -errno when either value cannot be read.
 */
int rxq_rpcheck__rp_filter(const char *sysroot, const char *ifname);

#endif
