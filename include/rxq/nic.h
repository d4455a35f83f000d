/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_NIC_H
#define RXQ_NIC_H

#include <sched.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/ethtool.h>

#include "rxq/opts.h"
#include "rxq/flowspec.h"
#include "rxq/sys.h"

/*
 * A multiqueue NIC seen through the kernel's own interfaces: ethtool generic netlink and the
 * SIOCETHTOOL ioctl for the device settings, /proc and /sys for IRQs, XPS/RPS/RFS and softnet_stat.
 *
 * Every change is first built as a plan (a list of steps, each knowing the value it replaces), so a
 * tool can print the plan (--dry-run), apply it as one transaction (any failure rolls back the steps
 * already done) and journal the replaced values, so that rxq_nic__plan_undo() can put them back.
 *
 * The kernel sits behind struct rxq_sys_ops (include/rxq/sys.h): small replaceable functions
 * (ethtool ioctl, generic netlink request, file write) plus a root directory for /proc and /sys,
 * so tests run against fixture trees and a scripted fake.
 */

struct rxq_nic_opts {
	size_t sz; /* sizeof(struct rxq_nic_opts) */
	const char *root; /* prefix for /proc and /sys; NULL or "" for the real ones */
	const char *state_dir; /* journal directory; NULL for /run/rxq */
	const struct rxq_sys_ops *sys; /* NULL for the real kernel */
};

struct rxq_nic;

/**
 * @brief Opens interface @p ifname: checks it exists, reads its driver, queues and IRQs.
 * @return 0, -ENODEV (no such interface; logged), -EINVAL (bad name), -ENOMEM.
 */
int rxq_nic__open(struct rxq_nic **out, const char *ifname, const struct rxq_nic_opts *opts);
void rxq_nic__close(struct rxq_nic *nic);

const char *rxq_nic__name(const struct rxq_nic *nic);
int rxq_nic__ifindex(const struct rxq_nic *nic);
/** @brief Driver name ("ixgbe", "veth", ...; "unknown" when the kernel does not say). */
const char *rxq_nic__driver(const struct rxq_nic *nic);
const char *rxq_nic__bus(const struct rxq_nic *nic);
unsigned rxq_nic__rx_queues(const struct rxq_nic *nic);
unsigned rxq_nic__tx_queues(const struct rxq_nic *nic);
/** @brief Online CPUs of the host (under the root directory). */
const cpu_set_t *rxq_nic__online_cpus(const struct rxq_nic *nic);
/** @brief The root-prefixed path of an absolute /proc or /sys path (valid until the next call). */
const char *rxq_nic__path(struct rxq_nic *nic, const char *abs);

/* ---- device settings read and written over ethtool netlink ---- */

enum rxq_nic_group {
	RXQ_NIC_CHANNELS,
	RXQ_NIC_COALESCE,
	RXQ_NIC_PAUSE,
	RXQ_NIC_RINGS,
	RXQ_NIC_FEATURES,
	RXQ_NIC_GROUP_COUNT,
};

#define RXQ_NIC_KNOB_NAME 40
#define RXQ_NIC_KNOBS_MAX 96

/*
 * One named setting: "combined", "rx-usecs", "adaptive-rx", "tx", "rx-gro" ... Features use the
 * kernel's names (rx-gro, rx-lro, rx-ntuple-filter, rx-gro-hw); value is the active state, wanted
 * what was asked for (what undo restores).
 */
struct rxq_nic_knob {
	char name[RXQ_NIC_KNOB_NAME];
	uint32_t value;
	uint32_t wanted;
	bool fixed; /* read-only: a maximum, or a feature the driver cannot change */
};

struct rxq_nic_knobs {
	unsigned n;
	struct rxq_nic_knob k[RXQ_NIC_KNOBS_MAX];
};

/** @brief "channels", "coalesce", ... */
const char *rxq_nic_group__name(enum rxq_nic_group g);

/**
 * @brief Reads one group of settings. -EOPNOTSUPP when the driver has none (logged at debug
 * level only: showing "unsupported" is normal).
 */
int rxq_nic__get(struct rxq_nic *nic, enum rxq_nic_group g, struct rxq_nic_knobs *out);

/** @brief The knob named @p name in @p ks, NULL if absent. */
const struct rxq_nic_knob *rxq_nic_knobs__find(const struct rxq_nic_knobs *ks, const char *name);

/* ---- RSS ---- */

#define RXQ_NIC_INDIR_MAX 4096
#define RXQ_NIC_KEY_MAX	  256

struct rxq_nic_rss {
	uint32_t hfunc; /* ETH_RSS_HASH_* bit, 0 if unknown */
	unsigned key_len;
	uint8_t key[RXQ_NIC_KEY_MAX];
	unsigned indir_size;
	uint32_t indir[RXQ_NIC_INDIR_MAX];
};

/**
 * @brief Reads hash function, key and indirection table (netlink RSS_GET, else the ioctl).
 * -EOPNOTSUPP is logged naming the driver and the operation.
 */
int rxq_nic__rss(struct rxq_nic *nic, struct rxq_nic_rss *out);

/** @brief "toeplitz", "xor", "crc32" or "unknown". */
const char *rxq_nic_hfunc__name(uint32_t hfunc);

/* ---- RSS hash fields (which header fields a flow type's RSS hash covers) ---- */

/**
 * @brief The flow type named @p name: tcp4 udp4 sctp4 ah4 esp4 ip4 and their IPv6 twins
 * (TCP_V4_FLOW ...), as ethtool's rx-flow-hash names them. -EINVAL for an unknown name.
 */
int rxq_nic_flow_type__parse(const char *name, uint32_t *flow_type);
/** @brief "udp4" ..., NULL for a flow type without a name. */
const char *rxq_nic_flow_type__name(uint32_t flow_type);
/** @brief The i-th flow type with a name (tcp4 first), -1 past the last one. */
int rxq_nic_flow_type__nth(unsigned i);

/**
 * @brief Hash fields as ethtool's letters: m (L2 destination), v (VLAN), t (L3 protocol),
 * s (IP source), d (IP destination), f (L4 bytes 0-1, the source port), n (L4 bytes 2-3, the
 * destination port), r (discard). "sdfn" -> RXH_IP_SRC|RXH_IP_DST|RXH_L4_B_0_1|RXH_L4_B_2_3.
 * -EINVAL (with the bad letter's offset in *bad, if given) on any other letter, a repeated one,
 * or an empty string.
 */
int rxq_nic_hash_fields__parse(const char *s, uint64_t *fields, unsigned *bad);
/* RXH_DISCARD ('r'): <linux/ethtool.h> spells it 1 << 31, which overflows an int. */
#define RXQ_NIC_RXH_DISCARD 0x80000000u
/** @brief "sdfn" (letters in the order mvtsdfnr; bits without a letter as "+0x..."); "none". */
int rxq_nic_hash_fields__format(uint64_t fields, char *buf, size_t len);

/**
 * @brief The hash fields of @p flow_type (ETHTOOL_GRXFH). -EOPNOTSUPP when the driver has no
 * RSS hash settings, -EINVAL when it has none for this flow type (neither logged).
 */
int rxq_nic__hash_fields(struct rxq_nic *nic, uint32_t flow_type, uint64_t *fields);

/* ---- hardware timestamps ---- */

/** What the device can stamp (ETHTOOL_GET_TS_INFO, as ethtool -T shows it). */
struct rxq_nic_tstamp_info {
	uint32_t so_timestamping; /* SOF_TIMESTAMPING_* the device offers */
	int phc_index; /* its PTP hardware clock, /dev/ptpN; -1: none */
	uint32_t tx_types; /* bit 1 << HWTSTAMP_TX_* per transmit mode it offers */
	uint32_t rx_filters; /* bit 1 << HWTSTAMP_FILTER_* per receive filter it offers */
};

/** @brief Reads the timestamping capabilities. -EOPNOTSUPP (not logged) when none are reported. */
int rxq_nic__tstamp_info(struct rxq_nic *nic, struct rxq_nic_tstamp_info *out);

/**
 * @brief Reads the hardware stamping now in force (SIOCGHWTSTAMP): HWTSTAMP_TX_* and
 * HWTSTAMP_FILTER_*. -EOPNOTSUPP (not logged) when the driver has no hardware stamping.
 */
int rxq_nic__tstamp_config(struct rxq_nic *nic, uint32_t *tx_type, uint32_t *rx_filter);

/** @brief "off", "on", "onestep-sync", "onestep-p2p"; NULL when unknown. */
const char *rxq_nic_tstamp_tx__name(uint32_t tx_type);
/** @brief HWTSTAMP_TX_* of a name above. -EINVAL. */
int rxq_nic_tstamp_tx__parse(const char *name, uint32_t *tx_type);
/** @brief "none", "all", "some", "ptpv1-l4-event" ... as ethtool -T; NULL when unknown. */
const char *rxq_nic_tstamp_rx__name(uint32_t rx_filter);
/** @brief HWTSTAMP_FILTER_* of a name above; "ptp" is ptpv2-event. -EINVAL. */
int rxq_nic_tstamp_rx__parse(const char *name, uint32_t *rx_filter);
/** @brief "hardware-transmit" ... for SOF_TIMESTAMPING_* bit number @p bit; NULL when unknown. */
const char *rxq_nic_timestamping__name(unsigned bit);

/* ---- ntuple rules ---- */

struct rxq_nic_rule {
	struct ethtool_rx_flow_spec fs; /* exactly what the driver holds */
	bool has_spec; /* fs is expressible as a flow spec (spec valid) */
	struct rxq_flowspec spec;
};

/** @brief Reads every ntuple rule into a malloc'ed array (free() it). */
int rxq_nic__rules(struct rxq_nic *nic, struct rxq_nic_rule **out, unsigned *n);

/** @brief "udp4 dst-port 53 action 4 loc 1023" (or the raw flow type when not a flow spec). */
int rxq_nic_rule__format(const struct rxq_nic_rule *r, char *buf, size_t len);

/* ---- NIC counters ---- */

struct rxq_nic_stat {
	char name[ETH_GSTRING_LEN + 1];
	uint64_t value;
};

/** @brief The driver's statistics (ETHTOOL_GSTATS) into a malloc'ed array (free() it). */
int rxq_nic__stats(struct rxq_nic *nic, struct rxq_nic_stat **out, unsigned *n);

/**
 * @brief Every feature name a features plan takes, into a malloc'ed array (free() it; the values
 * are 0): the kernel's (ETH_SS_FEATURES strings, the same for every device, whether its driver
 * has the feature or not), then the short aliases (gro, lro, ntuple ...).
 */
int rxq_nic__feature_names(struct rxq_nic *nic, struct rxq_nic_stat **out, unsigned *n);

/* ---- queues and IRQs ---- */

enum rxq_nic_irq_source {
	RXQ_NIC_IRQ_NONE, /* no IRQ found (virtual device, or no way to tell) */
	RXQ_NIC_IRQ_NETLINK, /* netdev family: queue -> NAPI -> IRQ */
	RXQ_NIC_IRQ_MSI, /* the device's msi_irqs, named in /proc/interrupts */
	RXQ_NIC_IRQ_NAMES, /* /proc/interrupts names that carry the interface name */
};

const char *rxq_nic_irq_source__name(enum rxq_nic_irq_source s);

#define RXQ_NIC_QUEUES_MAX 256
#define RXQ_NIC_IRQ_NAME   64

struct rxq_nic_queue_irq {
	int irq; /* the vector of RX queue i (or of queue pair i); -1: none */
	char name[RXQ_NIC_IRQ_NAME];
	int tx_irq; /* a vector of its own for TX queue i (igb's "eth0-tx-0"); -1: none or shared */
	char tx_name[RXQ_NIC_IRQ_NAME];
};

/**
 * @brief Finds the IRQ of each RX queue: netdev netlink, else msi_irqs (also device/../msi_irqs)
 * matched to queue numbers through /proc/interrupts names, else /proc/interrupts names that are
 * exactly the interface name or start with it followed by '-'. Drivers with separate transmit
 * vectors (igb: "eth0-rx-0" and "eth0-tx-0") also get tx_irq for queue pair i. @p irqs has
 * rxq_nic__rx_queues() entries (at most RXQ_NIC_QUEUES_MAX).
 */
int rxq_nic__queue_irqs(struct rxq_nic *nic, struct rxq_nic_queue_irq *irqs,
			enum rxq_nic_irq_source *src);

struct rxq_nic_queue_info {
	char affinity[RXQ_NIC_IRQ_NAME * 4]; /* the queue IRQ's smp_affinity_list, "" without IRQ */
	char rps_cpus[RXQ_NIC_IRQ_NAME * 4]; /* as the kernel prints them; "" when absent */
	char xps_cpus[RXQ_NIC_IRQ_NAME * 4];
	int64_t rps_flow_cnt; /* -1 when absent */
};

/** @brief RPS/XPS/RFS settings of queue @p q (TX queue @p q for xps) and IRQ @p irq's affinity. */
int rxq_nic__queue_info(struct rxq_nic *nic, unsigned q, int irq, struct rxq_nic_queue_info *out);

/** @brief net.core.rps_sock_flow_entries; -ENOENT where it is not visible (netns). */
int rxq_nic__rps_sock_flow_entries(struct rxq_nic *nic, uint32_t *out);

struct rxq_interrupts;
struct rxq_softnet;

/** @brief Reads and parses the root's /proc/interrupts. */
int rxq_nic__interrupts(struct rxq_nic *nic, struct rxq_interrupts *out);
/** @brief Reads and parses the root's /proc/net/softnet_stat. */
int rxq_nic__softnet(struct rxq_nic *nic, struct rxq_softnet *out);

/* ---- /proc/interrupts ---- */

#define RXQ_CPUS_MAX CPU_SETSIZE

struct rxq_irq_line {
	unsigned irq;
	char name[RXQ_NIC_IRQ_NAME]; /* first action name */
	uint64_t total;
	uint64_t *count; /* one per column of struct rxq_interrupts */
};

struct rxq_interrupts {
	unsigned ncols;
	int *cpu; /* CPU number of each column (offline CPUs have none) */
	unsigned nlines; /* numbered IRQs only */
	struct rxq_irq_line *lines;
};

/** @brief Parses /proc/interrupts text. -EINVAL when the header is missing; -ENOMEM. */
int rxq_interrupts__parse(struct rxq_interrupts *out, const char *text, size_t len);
void rxq_interrupts__free(struct rxq_interrupts *in);
const struct rxq_irq_line *rxq_interrupts__find(const struct rxq_interrupts *in, unsigned irq);

/* ---- /proc/net/softnet_stat ---- */

struct rxq_softnet_cpu {
	int cpu;
	uint64_t processed, dropped, time_squeeze, received_rps, flow_limit, backlog;
};

#define RXQ_SOFTNET_CPUS 1024

struct rxq_softnet {
	unsigned columns; /* 10, 11, 13 or 15 (or more on a newer kernel) */
	bool cpu_column; /* the CPU came from column 13; else from the list of online CPUs */
	unsigned ncpu;
	struct rxq_softnet_cpu cpu[RXQ_SOFTNET_CPUS];
};

/**
 * @brief Parses softnet_stat. Without the CPU column (fewer than 13 columns) line k belongs to
 * the k-th online CPU in @p online (offline CPUs have no line). -EINVAL on malformed text.
 */
int rxq_softnet__parse(struct rxq_softnet *out, const char *text, size_t len,
		       const cpu_set_t *online);

/* ---- CPU sets as the kernel prints them ---- */

/** @brief "0-3,5" */
int rxq_cpulist__format(const cpu_set_t *set, char *buf, size_t len);
/** @brief Parses a CPU list without checking CPUs exist. -EINVAL. */
int rxq_cpulist__parse(const char *s, cpu_set_t *set);
/** @brief Hex mask as in rps_cpus/xps_cpus: @p nbits wide, comma every 32 bits ("00,0000000f"). */
int rxq_cpumask__format(const cpu_set_t *set, unsigned nbits, char *buf, size_t len);
/** @brief Parses a hex mask "ff,00000001". -EINVAL. */
int rxq_cpumask__parse(const char *s, cpu_set_t *set);

/* ---- plans: what a command would change, applied as one transaction ---- */

enum rxq_nic_step_kind {
	RXQ_NIC_STEP_FILE, /* write a /proc or /sys file */
	RXQ_NIC_STEP_KNOBS, /* ethtool netlink <GROUP>_SET */
	RXQ_NIC_STEP_INDIR, /* RSS indirection table (netlink RSS_SET, else ETHTOOL_SRXFHINDIR) */
	RXQ_NIC_STEP_RULE_ADD, /* ETHTOOL_SRXCLSRLINS */
	RXQ_NIC_STEP_RULE_DEL, /* ETHTOOL_SRXCLSRLDEL */
	RXQ_NIC_STEP_HASH, /* RSS hash fields of a flow type: ETHTOOL_SRXFH */
	RXQ_NIC_STEP_TSTAMP, /* hardware timestamping: SIOCSHWTSTAMP */
};

#define RXQ_NIC_STEP_KNOBS_MAX 16
#define RXQ_NIC_VALUE_MAX      512

struct rxq_nic_step {
	enum rxq_nic_step_kind kind;
	bool best_effort; /* EIO/EPERM/EINVAL from the kernel is reported, not fatal (IRQs) */
	/* FILE: absolute path (without root), new and old contents */
	char path[256];
	char value[RXQ_NIC_VALUE_MAX];
	char old[RXQ_NIC_VALUE_MAX];
	/* KNOBS */
	enum rxq_nic_group group;
	unsigned nknobs;
	struct rxq_nic_knob knobs[RXQ_NIC_STEP_KNOBS_MAX]; /* new values */
	uint32_t old_knobs[RXQ_NIC_STEP_KNOBS_MAX];
	/* INDIR */
	unsigned indir_size;
	uint32_t *indir, *old_indir;
	/* RULE_ADD / RULE_DEL */
	struct rxq_nic_rule rule;
	/* HASH: flow type (TCP_V4_FLOW ...), new and old RXH_* fields */
	uint32_t flow_type;
	uint64_t hash, old_hash;
	/* TSTAMP: HWTSTAMP_TX_* and HWTSTAMP_FILTER_*, new and old */
	uint32_t ts_tx, ts_rx, old_ts_tx, old_ts_rx;
	/* after rxq_nic__apply(): 0 done, -errno failed (or refused, if best_effort),
	 * 1 not attempted, 2 done and then rolled back */
	int result;
};

struct rxq_nic_plan;

int rxq_nic_plan__new(struct rxq_nic_plan **out);
void rxq_nic_plan__free(struct rxq_nic_plan *plan);
unsigned rxq_nic_plan__len(const struct rxq_nic_plan *plan);
const struct rxq_nic_step *rxq_nic_plan__step(const struct rxq_nic_plan *plan, unsigned i);

/**
 * @brief Describes step @p s: the operation ("write", "ETHTOOL_MSG_CHANNELS_SET", ...), where it
 * goes (file path, or "dev eth3"), the new value and the value it replaces.
 */
struct rxq_nic_step_text {
	char op[48];
	char where[300];
	char value[1024];
	char old[1024];
};
void rxq_nic_step__describe(struct rxq_nic *nic, const struct rxq_nic_step *s,
			    struct rxq_nic_step_text *t);

/* Plan builders: read the current state, add the steps that change it (none if equal). */

/** @brief One queue IRQ per CPU of @p cpus (NULL: every online CPU), in queue order. */
int rxq_nic__plan_irq_spread(struct rxq_nic *nic, struct rxq_nic_plan *plan, const cpu_set_t *cpus);

/**
 * @brief Queue i's IRQ (and its transmit vector, where it has one of its own) on the CPUs of
 * @p per_queue[i], for @p n queues (n <= RX queues); an empty set leaves queue i as it is.
 * CPUs must be online. A queue without an IRQ given a set is an error (-EOPNOTSUPP, logged).
 */
int rxq_nic__plan_irq_affinity(struct rxq_nic *nic, struct rxq_nic_plan *plan,
			       const cpu_set_t *per_queue, unsigned n);

/** Why a CPU gets queue IRQs or not (rxq_nic__spread_cpus()). */
struct rxq_nic_cpu_pick {
	int cpu;
	bool used;
	char why[112];
};

struct rxq_nic_spread_opts {
	size_t sz; /* sizeof(struct rxq_nic_spread_opts) */
	const cpu_set_t *cpus; /* named by the user: used as given; NULL: chosen from the topology */
	int app_cpu; /* the application's CPU; -1: none. It and its SMT siblings get no queue IRQ */
	struct rxq_nic_cpu_pick *picks; /* out: one per online CPU, up to max_picks; may be NULL */
	unsigned max_picks;
	unsigned npicks; /* out */
};

/**
 * @brief The CPUs for queue IRQs. Without a list named by the user: the online CPUs of the NIC's
 * NUMA node (/sys/class/net/IF/device/numa_node, /sys/devices/system/node/nodeN/cpulist), one
 * hardware thread per core (topology/thread_siblings_list), none of them the application's CPU
 * or its SMT siblings, and not CPU 0 or its siblings (CPU 0 takes the host's housekeeping). Where
 * that leaves no CPU, the other nodes are allowed, then CPU 0's core. All of it under the root directory; what cannot
 * be read (no NUMA, no topology) constrains nothing. -ENOENT (logged) when no CPU is left.
 */
int rxq_nic__spread_cpus(struct rxq_nic *nic, struct rxq_nic_spread_opts *opts, cpu_set_t *out);

/** @brief rxq_nic__plan_irq_spread() over the CPUs rxq_nic__spread_cpus() picks. */
int rxq_nic__plan_irq_spread_opts(struct rxq_nic *nic, struct rxq_nic_plan *plan,
				  struct rxq_nic_spread_opts *opts);

enum rxq_nic_rss_mode {
	RXQ_NIC_RSS_WEIGHTS, /* arg: weights[n] per queue */
	RXQ_NIC_RSS_EQUAL, /* arg: n, spread over queues 0..n-1 */
	RXQ_NIC_RSS_ISOLATE, /* arg: queue q gets weight 0, the other entries stay as they are */
};
int rxq_nic__plan_rss(struct rxq_nic *nic, struct rxq_nic_plan *plan, enum rxq_nic_rss_mode mode,
		      const uint32_t *weights, unsigned n);

/** @brief Adds a rule; @p loc RX_CLS_LOC_ANY picks a free location. */
int rxq_nic__plan_rule_add(struct rxq_nic *nic, struct rxq_nic_plan *plan,
			   const struct rxq_flowspec *spec, bool drop, uint32_t queue,
			   uint32_t loc);
int rxq_nic__plan_rule_del(struct rxq_nic *nic, struct rxq_nic_plan *plan, uint32_t loc);

/**
 * @brief RSS hash fields @p fields (RXH_*) for @p flow_type. -EOPNOTSUPP (logged, naming the
 * driver) when the driver has no RSS hash settings, -EINVAL (logged) when it has none for this
 * flow type.
 */
int rxq_nic__plan_hash_fields(struct rxq_nic *nic, struct rxq_nic_plan *plan, uint32_t flow_type,
			      uint64_t fields);

/**
 * @brief Hardware timestamping: transmit mode @p tx_type and receive filter @p rx_filter (-1:
 * keep the one in force). -EOPNOTSUPP (logged, naming the driver) when the device does not offer
 * the mode or the filter (ETHTOOL_GET_TS_INFO) or has no hardware stamping at all. Applied, a
 * driver may stamp more than asked (ptpv2-l4-sync as ptpv2-event): the step then holds what it
 * chose.
 */
int rxq_nic__plan_tstamp(struct rxq_nic *nic, struct rxq_nic_plan *plan, int64_t tx_type,
			 int64_t rx_filter);

/**
 * @brief Sets named knobs of one group ("rx-usecs" 0 ...). Feature names may be the user-facing
 * ones. -EINVAL (logged) for an unknown or read-only name or a value out of range.
 */
int rxq_nic__plan_knobs(struct rxq_nic *nic, struct rxq_nic_plan *plan, enum rxq_nic_group g,
			const char *const *names, const uint32_t *values, unsigned n);

/** @brief N channels: combined when the device has combined channels, else rx and tx. */
int rxq_nic__plan_channels(struct rxq_nic *nic, struct rxq_nic_plan *plan, uint32_t n);

/**
 * @brief XPS: @p per_queue[i] is TX queue i's CPU set (@p n sets, n <= TX queues); with
 * @p per_queue NULL ("local"), each TX queue follows the affinity of the same-numbered queue IRQ,
 * or CPU i modulo the online CPUs when there is none.
 */
int rxq_nic__plan_xps(struct rxq_nic *nic, struct rxq_nic_plan *plan, const cpu_set_t *per_queue,
		      unsigned n);

/**
 * @brief RFS: net.core.rps_sock_flow_entries = @p entries and rps_flow_cnt = entries / RX
 * queues. Where the global table is not visible (a network namespace other than the initial
 * one) only the per-queue counts are planned; *global_missing tells.
 */
int rxq_nic__plan_rfs(struct rxq_nic *nic, struct rxq_nic_plan *plan, uint32_t entries,
		      bool *global_missing);

/**
 * @brief The isolate recipe: RSS weight 0 on @p queue, ntuple on, each flow to @p queue,
 * gro/lro off, the queue's IRQ on @p cpu (-1: the first CPU it is on now) and every other queue IRQ
 * off that CPU and its SMT siblings; one left with no CPU goes to the CPUs
 * rxq_nic__spread_cpus() picks with @p cpu as the application's.
 */
int rxq_nic__plan_isolate(struct rxq_nic *nic, struct rxq_nic_plan *plan, unsigned queue,
			  const struct rxq_flowspec *flows, unsigned nflows, int cpu);

/**
 * @brief Undo: the steps that put back what the journal of this interface saved.
 * -ENOENT (logged) when nothing is saved.
 */
int rxq_nic__plan_undo(struct rxq_nic *nic, struct rxq_nic_plan *plan);

enum rxq_nic_apply_flags {
	RXQ_NIC_APPLY_JOURNAL = 1u << 0, /* append what the plan replaces to the journal */
	RXQ_NIC_APPLY_UNDO = 1u << 1, /* the plan came from rxq_nic__plan_undo(): drop the
					  * journal when it succeeds */
};

/**
 * @brief Applies every step in order. On a failure (other than a best-effort step's) the steps
 * already done are reverted in reverse order and the journal is left as it was.
 * @return 0, or the first failure's -errno (logged with the step).
 */
int rxq_nic__apply(struct rxq_nic *nic, struct rxq_nic_plan *plan, unsigned flags);

/**
 * @brief Reverts a plan that rxq_nic__apply() carried out: its done steps, newest first. With
 * RXQ_NIC_APPLY_JOURNAL their records, the last ones of the journal, are dropped again (and the
 * journal removed when nothing else is left in it). For changes applied in several plans.
 * @return 0, or the first failure's -errno (logged).
 */
int rxq_nic__revert(struct rxq_nic *nic, struct rxq_nic_plan *plan, unsigned flags);

/**
 * @brief Reads the queue counts and CPUs again (after a channels change: later plans see the
 * queues as they are now).
 */
void rxq_nic__refresh(struct rxq_nic *nic);

/** @brief Path of the journal of this interface (under the state directory). */
const char *rxq_nic__journal_path(struct rxq_nic *nic);

/* ---- the journal file (parsed from outside input, so fuzzed) ---- */

/**
 * @brief Parses a journal; each record becomes a step whose new value is the saved one (old
 * values are left empty). -EINVAL with @p err->line set on malformed text.
 */
int rxq_nic_journal__parse(struct rxq_nic_plan *plan, const char *text, size_t len, char *ifname,
			   size_t ifname_len, int *ifindex, struct rxq_parse_error *err);

/* ---- declarative configuration (rxq-nic apply, show --as-config) ---- */

/*
 * A file of the settings an interface should have, one per line, each line an rxq-nic command
 * without the interface and with its options' dashes dropped:
 *
 *   interface eth3                    (first; the interface the file is for)
 *   channels N | channels combined N | channels rx N tx N
 *   irq spread [cpus LIST] | irq cpus-per-queue LIST|- ...
 *   rss equal N | rss weights W0 W1 ...
 *   features NAME on|off ...          coalesce NAME VALUE ...
 *   pause on|off | pause [autoneg on|off] [rx on|off] [tx on|off]
 *   xps local | xps cpus-per-queue LIST|none ...
 *   rfs entries N
 *   flow SPEC action Q|drop [loc N]   (repeatable; the rule must exist, others stay)
 *
 * '#' starts a comment; blank lines are ignored. features and coalesce may take several lines.
 */
struct rxq_nic_config;

/**
 * @brief Parses a configuration. @p name (the file's name) goes into later messages.
 * @return 0, -EINVAL with @p err (line, col, msg) filled, -ENOMEM.
 */
int rxq_nic_config__parse(struct rxq_nic_config **out, const char *name, const char *text,
			  size_t len, struct rxq_parse_error *err);
void rxq_nic_config__free(struct rxq_nic_config *cfg);
/** @brief The interface the configuration is for. */
const char *rxq_nic_config__interface(const struct rxq_nic_config *cfg);

/**
 * @brief Applies @p cfg as one transaction: the channels first, then (planned against the
 * queues as they are after it) everything else; a failure anywhere reverts everything done.
 * The steps of both parts end up in @p plan, with their results, for the report. With
 * @p dry_run nothing is changed (the second part is planned against the queues of now).
 * @return 0, or -errno (logged, with the file and line of the setting that failed to plan).
 */
int rxq_nic__apply_config(struct rxq_nic *nic, const struct rxq_nic_config *cfg,
			  struct rxq_nic_plan *plan, unsigned flags, bool dry_run);

/**
 * @brief The current settings of @p nic as a configuration (malloc'ed text, free() it) that
 * rxq_nic__apply_config() takes back without a change. What cannot be said in the format
 * (an RSS table that is neither equal nor weights, rules without a flow spec) is a comment.
 */
int rxq_nic__config_format(struct rxq_nic *nic, char **out);

/* ---- preflight ---- */

enum rxq_nic_goal {
	RXQ_NIC_GOAL_LATENCY,
	RXQ_NIC_GOAL_BYPASS,
};

enum rxq_nic_verdict {
	RXQ_NIC_OK,
	RXQ_NIC_WARN, /* works against the goal */
	RXQ_NIC_UNKNOWN,
};

struct rxq_nic_finding {
	const char *check; /* short id: "irqbalance", "coalesce", ... */
	enum rxq_nic_verdict verdict;
	char detail[320];
	char fix[512]; /* a command that fixes it, empty when none is needed */
};

/** @brief Whether a process named irqbalance runs (under the root's /proc). */
bool rxq_nic__irqbalance_running(struct rxq_nic *nic);

/**
 * @brief Read-only checks of the setup against @p goal; @p app_cpu (-1: none) is the CPU the
 * application runs on. Fills up to @p max findings, sets *n.
 */
int rxq_nic__check(struct rxq_nic *nic, enum rxq_nic_goal goal, int app_cpu,
		   struct rxq_nic_finding *out, unsigned max, unsigned *n);

struct rxq_nic_check_opts {
	size_t sz; /* sizeof(struct rxq_nic_check_opts) */
	int app_cpu; /* the CPU the application runs on; -1: none given */
	int port; /* the measured UDP port (conntrack check); 0: none given */
};

/**
 * @brief rxq_nic__check() with options (NULL: no CPU, no port). For the latency goal it also
 * checks the host: net.core.busy_read/busy_poll ("busy-poll"), idle states deeper than C1 on
 * the application's CPU ("cpuidle"; every online CPU without one), isolcpus, nohz_full and
 * rcu_nocbs on the kernel command line ("isolation"), queue IRQs on an SMT sibling of the
 * application's CPU ("smt"), and connection tracking of the port ("conntrack": whether
 * nf_conntrack is loaded; with a port, whether /proc/net/nf_conntrack holds entries for it — the
 * ruleset itself is not read). All of it under the root directory.
 */
int rxq_nic__check_opts(struct rxq_nic *nic, enum rxq_nic_goal goal,
			const struct rxq_nic_check_opts *opts, struct rxq_nic_finding *out,
			unsigned max, unsigned *n);

#endif
