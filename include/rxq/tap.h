/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_TAP_H
#define RXQ_TAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "rxq/opts.h"

/*
 * A TAP interface that hands frames taken out of the kernel by AF_XDP back to it, so that the
 * stack delivers them as if they had arrived on the original interface IF:
 *
 * - created in the caller's network namespace (the one IF lives in), not persistent: it disappears
 *   when its last fd is closed, also when the process is killed;
 * - IF's MAC address, so frames addressed to IF are PACKET_HOST on the TAP; IF's MTU;
 * - no addresses and no routes of its own (IPv6 addr_gen_mode none, accept_ra 0, IFF_NOARP): the
 *   kernel never picks it to send anything, and replies leave through IF by IF's routes;
 * - IPv4 rp_filter 0 when IF's effective rp_filter is 0, else 2 (loose: a strict check would fail
 *   because the route back is through IF, not the TAP); accept_local and disable_ipv6 as on IF.
 *   With rp_filter in effect the kernel drops IPv4 arriving on an interface that has no IPv4
 *   address at all, so then the TAP borrows IF's primary IPv4 address as a /32 without prefix
 *   route (no new local address, no new route).
 *
 * Local addresses are delivered by the weak host model: IPv4/IPv6 global addresses of IF are local
 * on the TAP too. What does not carry over: sockets bound to IF (SO_BINDTODEVICE), firewall rules
 * on the input interface name, IPv6 link-local destinations of IF.
 *
 * VLANs: for each VID of opts.vlans, IF must have an 802.1Q VLAN interface with that VID (IF.VID);
 * the TAP gets one too, "TAPNAME.VID" (the TAP's name cut short to fit IFNAMSIZ), with the MAC
 * and MTU of IF.VID and the same treatment relative to IF.VID as the TAP relative to IF
 * (rp_filter, the borrowed /32 of IF.VID's primary IPv4 address, accept_local, disable_ipv6, no
 * IPv6 address of its own, IFF_NOARP). Frames written to the TAP with an 802.1Q tag of that VID
 * are then delivered as if they had arrived on IF.VID. They vanish with the TAP. Frames tagged
 * with any other VID are dropped by the kernel, as they would be on IF.
 *
 * The name must be free: an existing interface of that name, also a persistent TAP, is -EBUSY
 * (the TAP is created with IFF_TUN_EXCL, never taken over).
 */

struct rxq_tap_opts {
	size_t sz; /* sizeof(struct rxq_tap_opts) */
	const char *name; /* NULL: "rxq<IF's ifindex>q<first_queue>" */
	unsigned first_queue;
	unsigned nqueues; /* fds (IFF_MULTI_QUEUE when > 1), one per writing thread; 0 means 1 */
	const uint16_t *vlans; /* VIDs (1-4094, each once) to deliver as on IF's VLAN interfaces */
	unsigned nvlans;
};

struct rxq_tap;

/**
 * @brief Creates, configures and brings up the TAP for interface @p ifindex, and its VLAN
 * interfaces. What the TAP copies from IF (and IF.VID) is read first: what cannot be read is an
 * error, and nothing is left behind by a failure.
 * @return 0, -ENODEV (no such interface, or no /dev/net/tun: load the tun module), -EPERM (needs
 *         CAP_NET_ADMIN), -EBUSY (the name, or a VLAN interface's name, is in use), -ENOENT (IF
 *         has no VLAN interface for one of opts.vlans), -EINVAL (bad name or VID), other -errno.
 *         Logs what failed.
 */
int rxq_tap__open(struct rxq_tap **out, int ifindex, const struct rxq_tap_opts *opts);

const char *rxq_tap__name(const struct rxq_tap *t);
int rxq_tap__ifindex(const struct rxq_tap *t);

/** @brief The ifindex of the TAP's VLAN interface for @p vid, or -ENOENT (not in opts.vlans). */
int rxq_tap__vlan_ifindex(const struct rxq_tap *t, uint16_t vid);

/** @brief The name of IF's VLAN interface for @p vid (IF.VID), or NULL (not in opts.vlans). */
const char *rxq_tap__vlan_of(const struct rxq_tap *t, uint16_t vid);

/** @brief The non-blocking fd of queue @p q (< nqueues). */
int rxq_tap__fd(const struct rxq_tap *t, unsigned q);

/**
 * @brief Injects @p n frames through queue @p q: one write per frame (a TAP takes one frame per
 * write), never blocking. Safe from several threads when each uses its own queue.
 * @return the number of frames the kernel took; the rest (EAGAIN, ENOBUFS, ...) count as failed,
 * the first error is in *first_err when not NULL.
 */
unsigned rxq_tap__write_batch(struct rxq_tap *t, unsigned q, const struct iovec *frames, unsigned n,
			      int *first_err);

/** @brief Closes the fds; the kernel removes the interface. NULL is a no-op. */
void rxq_tap__close(struct rxq_tap *t);

#endif
