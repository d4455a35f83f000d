/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_NETDEV_H
#define RXQ_NETDEV_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

#include "rxq/parse.h"

/*
 * What the tools need to know about an interface, read from /sys/class/net/IF (under a sysroot, so
 * tests can point it at a fixture directory) and the ethtool channels ioctl; neighbour and route
 * lookups over rtnetlink (libmnl). Everything is read in the calling thread's network namespace.
 */

struct rxq_netdev_channels {
	bool valid; /* the driver answered ETHTOOL_GCHANNELS */
	uint32_t max_rx, max_tx, max_other, max_combined;
	uint32_t rx, tx, other, combined;
};

struct rxq_netdev {
	char name[IF_NAMESIZE];
	int ifindex;
	uint8_t mac[6];
	uint32_t mtu;
	uint32_t rx_queues; /* real RX queues (queues/rx-N in sysfs) */
	uint32_t tx_queues; /* real TX queues (queues/tx-N) */
	uint32_t speed_mbps; /* link speed; 0 when unknown or the link is down */
	bool up; /* IFF_UP set */
	bool carrier; /* carrier present */
	bool software; /* no bus device behind it (veth, TUN/TAP, bridge...): frames from local
			      * senders cross it with their checksums still partial */
	struct rxq_netdev_channels channels;
};

/**
 * @brief Reads the interface's facts from sysfs under @p sysroot only, no ioctl (NULL: the
 * default root of the kernel boundary, the real /sys unless a test changed it).
 * @return 0, -ENODEV when there is no such interface, -EINVAL for an unusable name, -errno.
 */
int rxq_netdev__read_sysfs(const char *sysroot, const char *ifname, struct rxq_netdev *dev);

/**
 * @brief rxq_netdev__read_sysfs("/") plus the ethtool channels. Logs nothing; -ENODEV means
 * "no such interface in this namespace".
 */
int rxq_netdev__get(const char *ifname, struct rxq_netdev *dev);

/**
 * @brief Number of queues an AF_XDP socket can bind to (queue ids 0 .. n-1): the kernel requires
 * the id to exist as both an RX and a TX queue.
 */
uint32_t rxq_netdev__xsk_queues(const struct rxq_netdev *dev);

/**
 * @brief Frames per second at line rate for frames of @p frame_len bytes (without FCS, as handed to
 * AF_PACKET/AF_XDP): speed / ((len + FCS 4 + preamble 8 + inter-frame gap 12) * 8 bits).
 * 0 when the speed is unknown.
 */
uint64_t rxq_netdev__line_rate_pps(const struct rxq_netdev *dev, uint32_t frame_len);

/**
 * @brief Looks up the neighbour (ARP/NDP) entry of @p addr on @p ifindex (RTM_GETNEIGH).
 * @return 0 with @p mac set for a usable entry (reachable, stale, delay, probe, permanent, noarp),
 * -ENOENT when there is none, -EHOSTUNREACH when it is incomplete or failed, -errno otherwise.
 */
int rxq_netdev__neigh(int ifindex, const struct rxq_addr *addr, uint8_t mac[6]);

/**
 * @brief The MAC to send to @p dst through @p ifindex: asks the routing table (RTM_GETROUTE) for a
 * gateway and looks up the neighbour entry of the gateway, or of @p dst when it is on-link.
 * @p via (may be NULL) receives the address whose neighbour entry was used.
 * @return as rxq_netdev__neigh().
 */
int rxq_netdev__nexthop_mac(int ifindex, const struct rxq_addr *dst, uint8_t mac[6],
			    struct rxq_addr *via);

/**
 * @brief As rxq_netdev__nexthop_mac(), but when the entry is missing or unresolved the kernel is
 * made to resolve it, as it would for its own traffic: one ICMP echo request to @p dst leaves
 * @p ifindex through a raw socket (CAP_NET_RAW), then the entry is looked up again every 5 ms for
 * up to @p timeout_ms. ARP and neighbour discovery stay the kernel's.
 * @return as rxq_netdev__nexthop_mac(); -EPERM when the raw socket is not permitted.
 */
int rxq_netdev__resolve_mac(int ifindex, const struct rxq_addr *dst, uint8_t mac[6],
			    struct rxq_addr *via, int timeout_ms);

/*
 * Privileges. Capability numbers as in <linux/capability.h>; the helpers read the calling thread's
 * effective set (capget), so they also answer correctly for root without some capabilities.
 */
#define RXQ_CAP_NET_ADMIN 12
#define RXQ_CAP_NET_RAW	  13
#define RXQ_CAP_IPC_LOCK  14
#define RXQ_CAP_SYS_ADMIN 21
#define RXQ_CAP_PERFMON	  38
#define RXQ_CAP_BPF	  39

/** @brief True when @p cap is in the effective set. */
bool rxq_cap__has(int cap);

/**
 * @brief The first of @p caps (n entries) that is not effective, or -1 when all are. For CAP_BPF
 * and CAP_PERFMON, CAP_SYS_ADMIN counts as well (kernels before 5.8 and the kernel's own fallback).
 */
int rxq_cap__first_missing(const int *caps, unsigned n);

/** @brief "CAP_NET_ADMIN", "CAP_BPF", ... for the numbers above; "an unknown capability" else. */
const char *rxq_cap__name(int cap);

#endif
