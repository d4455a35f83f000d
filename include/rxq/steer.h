/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_STEER_H
#define RXQ_STEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/opts.h"
#include "rxq/flowspec.h"

/*
 * The XDP steering program (bpf/steer.bpf.c): frames that match one of up to RXQ_STEER_MAX flow
 * specs are redirected to the AF_XDP socket of the RX queue they arrived on (an XSKMAP indexed by
 * queue id); everything else, and matching frames on queues without a socket, go to the kernel
 * (XDP_PASS). Attached through a bpf_link: closing the link fd — including when the process dies,
 * even by SIGKILL — detaches the program and the interface is back to normal.
 *
 * Typical use:
 *   rxq_steer__open(&s, ifindex, flows, n, &opts);   load (needs CAP_BPF/CAP_SYS_ADMIN)
 *   rxq_steer__attach(s);                            refuses if another program is attached
 *   create AF_XDP sockets with XSK_LIBXDP_FLAGS__INHIBIT_PROG_LOAD and register each with
 *   xsk_socket__update_xskmap(xsk, rxq_steer__xskmap_fd(s)) or rxq_steer__set_socket()
 *   ... rxq_steer__counters(s, &c) ...
 *   rxq_steer__close(s);                             detaches
 */

#define RXQ_STEER_MAX 16

enum rxq_xdp_mode {
	/* let the kernel choose: native if the driver has it, else generic */
	RXQ_XDP_MODE_AUTO = 0,
	RXQ_XDP_MODE_NATIVE, /* driver mode (XDP_FLAGS_DRV_MODE) */
	RXQ_XDP_MODE_GENERIC, /* skb mode (XDP_FLAGS_SKB_MODE): works everywhere, slower */
};

/** @brief "auto", "native" or "generic". */
const char *rxq_xdp_mode__str(enum rxq_xdp_mode m);

/** @brief Parses "auto", "native" (or "drv"), "generic" (or "skb"); -EINVAL otherwise. */
int rxq_xdp_mode__parse(const char *s, enum rxq_xdp_mode *out);

struct rxq_steer_opts {
	size_t sz; /* sizeof(struct rxq_steer_opts) */
	enum rxq_xdp_mode xdp_mode;
	bool force; /* detach another XDP program attached to the interface */
	unsigned nqueues; /* XSKMAP size; 0: the interface's RX queue count */
	/*
	 * 802.1Q VIDs (1..4094) whose tagged frames are steered too. Without them only untagged
	 * (and priority-tagged, VID 0) frames are: tagged frames stay with the kernel, which drops
	 * those of VIDs the host has no interface for.
	 */
	const uint16_t *vlans;
	unsigned nvlans;
	/*
	 * The kernel tier (rxq_ktier__compile): rules decided in XDP. NULL: every selected frame
	 * goes to its queue's socket. It must stay valid until rxq_steer__attach() returns (a
	 * device without native XDP gets the tables again, in the program generic mode runs).
	 */
	const struct rxq_ktier *ktier;
	unsigned limit_entries; /* token buckets of its limit rules (LRU, per CPU); 0: 65536 */
	/* Learned sources (rxq_steer__learn): dropped in XDP, by prefix; 0: no learning. */
	uint8_t learn_plen4, learn_plen6;
	bool test_any_queue; /* tests (BPF_PROG_TEST_RUN): act as if every queue had a socket */
	bool test_run; /* tests: also load the variant BPF_PROG_TEST_RUN accepts */
};

struct rxq_ktier;

/* An XDP program found on an interface. */
struct rxq_xdp_attached {
	uint32_t prog_id; /* 0: nothing attached (in native or generic mode) */
	char name[16]; /* program name as the kernel knows it ("" if unreadable) */
	enum rxq_xdp_mode mode; /* NATIVE or GENERIC */
	uint32_t link_id; /* bpf_link holding it, 0 if attached through netlink */
	int holder_pid; /* a process holding that bpf_link open (0: unknown) */
	char holder_comm[16]; /* its command name */
};

/**
 * @brief What XDP program is attached to @p ifindex in native or generic mode (offloaded programs
 * are ignored: they coexist with ours).
 * @return 0 (out->prog_id 0 when none), or -errno (-ENODEV: no such interface).
 */
int rxq_xdp__query(int ifindex, struct rxq_xdp_attached *out);

/* Counters of the steering program, summed over all CPUs. */
struct rxq_steer_stats {
	uint64_t steered; /* redirected to an AF_XDP socket */
	uint64_t passed; /* matched no flow (includes not_ip, neigh, vlan and short_frame) */
	uint64_t no_socket; /* matched, but on a queue without a socket: passed to the kernel */
	uint64_t not_ip; /* neither IPv4 nor IPv6 */
	uint64_t neigh; /* ICMPv6 neighbour/router discovery, never steered */
	uint64_t vlan; /* tagged with a VID not steered, 802.1ad or stacked tags */
	uint64_t short_frame; /* a header cut short or impossible */
	uint64_t vlan_unseen; /* the driver could not say whether it stripped a VLAN tag */
	uint64_t frags; /* fragments steered */
	uint64_t open_chain; /* IPv6 frames with a longer extension chain than followed, steered */
	uint64_t flow_hits[RXQ_STEER_MAX]; /* per flow spec, in the order given */
};

/*
 * The steering program's selection, computed in user space by the program's own code (the parser
 * and matcher of bpf/steer_shared.h): for captures (pcap:) and reassembled fragments, which never
 * pass through the program. Frames the program got from a device that strips VLAN tags carry the
 * tag again when they reach user space, so the same selection applies.
 */
struct rxq_steer_sel;

/**
 * @brief Compiles @p flows and the VIDs of @p opts (other fields ignored; may be NULL).
 * @return 0, -E2BIG (too many flows), -EINVAL (empty or invalid flow, or a VID outside
 *         1..4094), -ENOMEM.
 */
int rxq_steer_sel__new(struct rxq_steer_sel **out, const struct rxq_flowspec *flows,
		       unsigned nflows, const struct rxq_steer_opts *opts);
void rxq_steer_sel__free(struct rxq_steer_sel *sel);

/**
 * @brief Index of the first flow that selects the frame (the program would redirect it), or -1
 * (the program would pass it to the kernel).
 */
int rxq_steer_sel__select(const struct rxq_steer_sel *sel, const uint8_t *frame, uint32_t len);

struct rxq_steer;

/**
 * @brief Compiles @p flows into the program's configuration and loads it (not attached yet).
 * @param ifindex interface the program will be attached to
 * @param flows   1..RXQ_STEER_MAX flow specs (rxq_flowspec__parse)
 * @return 0, -E2BIG (too many flows), -EINVAL (empty or invalid flow), -EPERM (missing
 *         CAP_BPF/CAP_SYS_ADMIN or CAP_NET_ADMIN), -ENODEV (no such interface), other -errno.
 */
int rxq_steer__open(struct rxq_steer **out, int ifindex, const struct rxq_flowspec *flows,
		    unsigned nflows, const struct rxq_steer_opts *opts);

/**
 * @brief Attaches the program to the interface through a bpf_link.
 * If another XDP program is attached: without opts.force, logs which one and returns -EEXIST; with
 * force, logs a warning naming it, detaches it (its bpf_link, or the netlink attachment) and then
 * attaches. Logs why on every failure.
 * @return 0, -EEXIST (another program; see rxq_steer__other()), -EOPNOTSUPP (the driver has no
 *         native XDP, or XDP is not supported at all), -EPERM, -EBUSY (lost a race), other -errno.
 */
int rxq_steer__attach(struct rxq_steer *s);

/**
 * @brief Detaches the program (closes the bpf_link) but keeps it loaded, so its counters can still
 * be read. Idempotent. 0 or -errno.
 */
int rxq_steer__detach(struct rxq_steer *s);

/** @brief After rxq_steer__attach() returned -EEXIST: the program in the way. */
const struct rxq_xdp_attached *rxq_steer__other(const struct rxq_steer *s);

/** @brief The XDP mode the kernel actually attached in (after a successful attach). */
enum rxq_xdp_mode rxq_steer__mode(const struct rxq_steer *s);

/**
 * @brief True when the attached program reads the VLAN tags the driver strips into metadata
 * (native mode, bound to the device). Otherwise a device with rx-vlan-offload on hands XDP tagged
 * frames that look untagged: rxq-offload then warns.
 */
bool rxq_steer__sees_stripped_vlan(const struct rxq_steer *s);

/** @brief The kernel id of the loaded steering program. */
uint32_t rxq_steer__prog_id(const struct rxq_steer *s);

/**
 * @brief The fd of the loaded program variant that BPF_PROG_TEST_RUN accepts (the one not bound
 * to the device; the same selection code).
 */
int rxq_steer__prog_fd(const struct rxq_steer *s);

/** @brief The XSKMAP fd (key: RX queue id, value: AF_XDP socket fd). */
int rxq_steer__xskmap_fd(const struct rxq_steer *s);

/** @brief Number of XSKMAP slots (valid queue ids are below it). */
unsigned rxq_steer__nqueues(const struct rxq_steer *s);

/** @brief Puts AF_XDP socket @p xsk_fd into the XSKMAP slot of @p queue. 0 or -errno. */
int rxq_steer__set_socket(struct rxq_steer *s, unsigned queue, int xsk_fd);

/** @brief Removes the socket of @p queue from the XSKMAP (its traffic goes back to the kernel). */
int rxq_steer__clear_socket(struct rxq_steer *s, unsigned queue);

/** @brief Reads the program's per-CPU counters, summed. 0 or -errno. */
int rxq_steer__counters(struct rxq_steer *s, struct rxq_steer_stats *out);

/* What the kernel tier decided, summed over all CPUs (across reloads). */
struct rxq_steer_kt_stats {
	uint64_t dropped; /* drop verdicts in XDP */
	uint64_t passed; /* pass verdicts (limit rules with a token too): up the stack as they came */
	uint64_t limited; /* limit rules without a token */
	uint64_t learned; /* dropped as learned sources */
	uint64_t to_user; /* sent to user space, because: */
	uint64_t user_parse; /* the kernel does not parse them as user space would */
	uint64_t user_rules; /* no rule the kernel decides matched */
	uint64_t user_undecided; /* a filter or a dns name the kernel would not judge */
};

/**
 * @brief Replaces the program by one with the tables of @p kt (a new rule set), in one atomic
 * swap of the bpf_link: every frame meets one program whole. Sockets, counters, limit buckets and
 * learned sources carry over. On failure the old program stays.
 */
int rxq_steer__retier(struct rxq_steer *s, const struct rxq_ktier *kt);

int rxq_steer__kt_counters(struct rxq_steer *s, struct rxq_steer_kt_stats *out);

/** @brief Rules the current program decides (0 .. n-1). */
unsigned rxq_steer__kt_nrules(const struct rxq_steer *s);

/** @brief Hits of rule @p rule in XDP (0 for rules XDP does not decide). 0 or -errno. */
int rxq_steer__kt_rule(struct rxq_steer *s, unsigned rule, uint64_t *hits, uint64_t *limited,
		       uint64_t *new_refused);

/**
 * @brief Drops @p src's prefix (opts.learn_plen4/6) in XDP until @p expires_ns (CLOCK_MONOTONIC).
 * 0, -EINVAL (no learning for that family), -errno.
 */
int rxq_steer__learn(struct rxq_steer *s, const struct rxq_addr *src, uint64_t expires_ns);

/** @brief Forgets every learned source; @p n receives how many there were. */
int rxq_steer__learn_clear(struct rxq_steer *s, unsigned *n);

/** @brief Learned sources not expired at @p now_ns. */
unsigned rxq_steer__learned(struct rxq_steer *s, uint64_t now_ns);

/** @brief Detaches (closes the bpf_link) and unloads. NULL is a no-op. */
void rxq_steer__close(struct rxq_steer *s);

#endif
