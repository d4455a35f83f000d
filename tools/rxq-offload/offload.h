/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_OFFLOAD_H
#define RXQ_OFFLOAD_H

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "rxq/frag.h"
#include "rxq/output.h"
#include "rxq/pcap.h"
#include "rxq/port.h"
#include "rxq/rpcheck.h"
#include "rxq/rules.h"
#include "rxq/stats.h"
#include "rxq/ticker.h"
#include "rxq/steer.h"
#include "rxq/tap.h"
#include "rxq/xsk.h"

#define OFFLOAD_BATCH_MAX 1024
#define RXQ_VLAN_MAX	  64 /* --vlan VIDs */
#define RXQ_VLAN_TEXT	  512 /* their list as text */

/* Per-worker counters (one rxq_counters row each). rx = dropped + passed + limited + errors. */
enum offload_counter {
	C_RX,
	C_DROPPED,
	C_PASSED,
	C_LIMITED,
	C_ERRORS, /* frames rxq_pkt__parse() could not parse: dropped, not classified */
	C_REINJECTED, /* passed frames the TAP took */
	C_REINJECT_ERRORS,
	C_RX_BYTES,
	C_CLASSIFY_NS, /* pcap: time spent classifying (parse + rules), for the benchmark */
	C_CSUM_COMPLETED, /* passed frames whose partial UDP/TCP checksum was completed */
	C_RP_REFUSED, /* passed frames IF's reverse-path filter refuses: not reinjected */
	C_NOT_STEERED, /* pcap: frames the steering program would leave to the kernel */
	C_FRAG_HELD, /* fragments in the reassembly table now (a gauge) */
	C_FRAG_TIMEOUTS, /* fragments of datagrams that did not complete in time */
	C_FRAG_EVICTIONS, /* fragments let go to make room (or still incomplete at exit) */
	C_FRAG_DATAGRAMS, /* datagrams reassembled and classified */
	C__COUNT,
};

struct offload;

/* --learn: a source (masked to the learned prefix) and its verdicts in the current second. */
#define LEARN_SLOTS 4096
#define LEARN_WAYS  8
struct learn_slot {
	struct rxq_addr src;
	uint32_t drops;
	bool passed, learned;
};

struct offload_worker {
	struct offload *o;
	unsigned index; /* thread index: row of the counters, context of the rules */
	uint32_t queue; /* xdp: RX queue */
	int cpu; /* -1: not pinned */
	struct rxq_xsk *xsk;
	struct rxq_rpcheck *rp; /* NULL: IF has no IPv4 reverse-path filter */
	struct rxq_rpcheck *rp_vlan[RXQ_VLAN_MAX]; /* the same for IF.VID of vlans[i] */
	struct rxq_frag_table *frag;
	struct learn_slot *learn; /* --learn: this second's drop verdicts per source */
	uint64_t learn_window_ns;
	struct rxq_frag_stats frag_seen; /* what frag_counts() last added to the row */
	uint64_t *row;
	pthread_t thread;
	bool started;
	bool fault_injected; /* tests: stop with an error at the first batch */
	int err; /* why the worker stopped early (0: it did not) */
	atomic_bool failed; /* set after err, once its socket is out of the XSKMAP */
	bool reported; /* control thread: the failure was reported */
};

struct offload {
	/* configuration */
	struct rxq_port_spec port;
	const char *rules_path;
	unsigned batch;
	bool busy_poll; /* never sleep: every empty receive drives the busy poll again */
	bool reinject;
	bool csum_complete; /* complete partial checksums of passed frames (--csum-complete) */
	bool kernel_tier; /* decide what XDP can in XDP (--kernel-tier) */
	/* --learn: sources with more drop verdicts a second than this (and no pass) are dropped in
	 * XDP for learn_ttl_ns; 0: no learning */
	uint64_t learn_rate, learn_ttl_ns;
	uint8_t learn_plen4, learn_plen6;
	atomic_uint_fast64_t learned_total; /* sources learned (workers add) */
	uint64_t learn_cleared; /* forgotten by SIGHUP */
	int rp_filter; /* IF's IPv4 rp_filter in effect: 0 off, 1 strict, 2 loose */
	uint32_t frame_size; /* of the UMEM frames, for IF's MTU */
	const uint16_t *vlans; /* --vlan */
	unsigned nvlans;
	struct rxq_steer_sel *sel; /* pcap: the steering program's selection */
	bool json;
	bool rule_stats;
	const char *prom_path;
	struct rxq_pcap_reader *pcap_in;
	struct rxq_pcap_writer *out_pass, *out_drop;
	uint64_t duration_ns; /* 0: until stopped */

	/* run state */
	struct rxq_rules_ref *rules;
	struct rxq_steer *steer;
	struct rxq_tap *tap;
	struct rxq_counters *counters;
	struct rxq_ticker *ticker;
	struct rxq_out *out;
	unsigned nworkers;
	struct offload_worker *workers;
	atomic_bool stop;
	atomic_uint running; /* workers still in their loop */
	uint64_t start_ns;
	uint64_t reloads, reload_failures;
	enum rxq_xdp_mode xdp_mode;
	enum rxq_xsk_mode xsk_mode;
};

/* worker.c */
void *offload_live_worker(void *arg);
void *offload_pcap_worker(void *arg);

/* report.c */

/* A snapshot of everything the reports show, per worker and summed. */
struct offload_snapshot {
	uint64_t t_ns;
	uint64_t total[C__COUNT];
	uint64_t ring_drops; /* AF_XDP rx_dropped + rx_ring_full, all sockets */
	uint64_t fill_empty; /* AF_XDP rx_fill_ring_empty_descs */
	uint64_t steered; /* XDP program: redirected to a socket */
	uint64_t kernel_passed; /* XDP program: left to the kernel */
	uint64_t steered_frags; /* XDP program: fragments steered */
	uint64_t vlan_kernel; /* XDP program: tagged frames left to the kernel */
	uint64_t vlan_unseen; /* XDP program: the driver could not say whether it stripped a tag */
	uint64_t user_rx; /* frames the sockets delivered (total[C_RX] adds the kernel tier's) */
	struct rxq_steer_kt_stats xdp; /* the kernel tier's verdicts */
	unsigned learned_active; /* learned sources not expired */
	unsigned nq;
	struct {
		uint64_t c[C__COUNT];
		uint64_t ring_drops;
	} q[RXQ_PORT_MAX_QUEUES];
};

void offload_snapshot(struct offload *o, struct offload_snapshot *s);
void offload_report_start(struct offload *o);
void offload_report_tick(struct offload *o, const struct offload_snapshot *prev,
			 const struct offload_snapshot *now);
void offload_report_summary(struct offload *o, const struct offload_snapshot *end);
/** @return 0 or -errno (logged). */
int offload_prom_write(struct offload *o, const struct offload_snapshot *now);

#endif
