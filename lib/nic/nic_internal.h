/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_NIC_INTERNAL_H
#define RXQ_NIC_INTERNAL_H

#include <limits.h>
#include <string.h>
#include <net/if.h>
#include <linux/netlink.h>

#include "internal.h"
#include "sys.h"
#include "rxq/nic.h"

/*
 * Constants of newer kernels than the uapi headers this builds against (Debian 12: 6.1). The
 * values are fixed uapi: appended to their enums upstream, never renumbered.
 */
#define RXQ_ETHTOOL_MSG_RSS_GET	  38 /* 6.3 */
#define RXQ_ETHTOOL_MSG_RSS_SET	  48 /* 6.17 */
#define RXQ_ETHTOOL_A_RSS_HEADER  1
#define RXQ_ETHTOOL_A_RSS_CONTEXT 2
#define RXQ_ETHTOOL_A_RSS_HFUNC	  3
#define RXQ_ETHTOOL_A_RSS_INDIR	  4
#define RXQ_ETHTOOL_A_RSS_HKEY	  5

/* RSS hash functions: bits in the order of the kernel's ETH_SS_RSS_HASH_FUNCS strings. */
#define RXQ_RSS_HASH_TOP   (1u << 0)
#define RXQ_RSS_HASH_XOR   (1u << 1)
#define RXQ_RSS_HASH_CRC32 (1u << 2)

#define RXQ_NETDEV_CMD_QUEUE_GET   10 /* 6.8 */
#define RXQ_NETDEV_CMD_NAPI_GET	   11 /* 6.8 */
#define RXQ_NETDEV_A_NAPI_IFINDEX  1
#define RXQ_NETDEV_A_NAPI_ID	   2
#define RXQ_NETDEV_A_NAPI_IRQ	   3
#define RXQ_NETDEV_A_QUEUE_ID	   1
#define RXQ_NETDEV_A_QUEUE_IFINDEX 2
#define RXQ_NETDEV_A_QUEUE_TYPE	   3
#define RXQ_NETDEV_A_QUEUE_NAPI_ID 4
#define RXQ_NETDEV_QUEUE_TYPE_RX   0
#define RXQ_NETDEV_QUEUE_TYPE_TX   1

struct rxq_nic {
	char name[IFNAMSIZ];
	int ifindex;
	char driver[32];
	char bus[40];
	unsigned nrx, ntx;
	cpu_set_t online;
	unsigned possible_bits; /* width of the kernel's CPU masks */
	char state_dir[PATH_MAX];
	char journal_dir[PATH_MAX + 32]; /* STATE/net-INODE: one per network namespace */
	char journal[PATH_MAX + 64];
	char journal_old[PATH_MAX + 32]; /* STATE/IF.journal, as rxq-nic wrote it before */
	char pathbuf[2 * PATH_MAX];
	struct rxq_sys sys; /* the kernel, and the root directory of /proc and /sys */
	int rss_set_netlink; /* 1 yes, 0 not yet known, -1 no (fall back to the ioctl) */
};

struct rxq_nic_plan {
	unsigned n, cap;
	struct rxq_nic_step *steps;
};

/*
 * Layers, bottom up; a file calls only into its own layer and the ones below (see meson.build).
 */

/* tables.c: knobs of each ethtool netlink group, command and errno names */
enum nic_knob_type { NIC_KNOB_U32, NIC_KNOB_U8 };

struct nic_knob_def {
	const char *name;
	unsigned attr;
	enum nic_knob_type type;
	bool ro;
};

struct nic_group_def {
	const char *name;
	uint8_t get, set;
	const struct nic_knob_def *knobs;
	unsigned nknobs;
};

extern const struct nic_group_def nic_groups[RXQ_NIC_GROUP_COUNT];
/* The definition of knob @name in group @g, NULL if unknown. */
const struct nic_knob_def *nic_knob_def(enum rxq_nic_group g, const char *name);
/* Kernel attribute of a knob, for the request describer. */
const char *nic_knob_attr_name(enum rxq_nic_group g, unsigned attr);
int nic_group_of_cmd(uint8_t cmd, bool *set);
bool nic_knob_known(enum rxq_nic_group g, const char *name, bool *ro, uint32_t *max);
void nic_knob_names(enum rxq_nic_group g, char *buf, size_t len);
const char *nic_errname(int err);
const char *nic_ioctl_name(uint32_t cmd);
const char *nic_genl_cmd_name(const char *family, uint8_t cmd);
/* Maps the user-facing feature names (gro, lro, ntuple, gro-hw, rxhash) to the kernel's. */
const char *nic_feature_kernel_name(const char *name);
/* The user-facing alias @p i (gro, lro, ...), NULL past the last one. */
const char *nic_feature_alias(unsigned i);

/* rule.c: ntuple rules to and from flow specs */
bool nic_rule_to_spec(const struct ethtool_rx_flow_spec *fs, struct rxq_flowspec *s);
/* The driver's rule for @spec steering to @queue (or dropping when @drop) at @loc (or any). */
int nic_rule_from_spec(struct rxq_nic_rule *r, const struct rxq_flowspec *spec, bool drop,
		       uint32_t queue, uint32_t loc);

/* describe.c: what a request asks, in one line, for debug logs and the tests' fake */
int nic_describe_genl(const char *family, const struct nlmsghdr *nlh, char *buf, size_t len);
int nic_describe_ioctl(const void *cmd, char *buf, size_t len);
/* SIOCGHWTSTAMP, or SIOCSHWTSTAMP with its struct hwtstamp_config @p cfg. */
int nic_describe_hwtstamp(bool set, const void *cfg, char *buf, size_t len);

/* sys.c: the transport, every request logged, over the kernel boundary (lib/sys.c) */
int nic_ioctl(struct rxq_nic *nic, void *cmd);
/* SIOCGHWTSTAMP or SIOCSHWTSTAMP (@p set) with struct hwtstamp_config @p cfg. */
int nic_hwtstamp(struct rxq_nic *nic, bool set, void *cfg);
int nic_genl(struct rxq_nic *nic, const char *family, struct nlmsghdr *req, rxq_sys_msg_fn cb,
	     void *arg);
int nic_write(struct rxq_nic *nic, const char *abs, const char *buf, size_t len);
/* Reads at most len-1 bytes of root+abs, NUL-terminated; returns the length or -errno. */
int nic_read(struct rxq_nic *nic, const char *abs, char *buf, size_t len);
/* Reads the whole file into a malloc'ed NUL-terminated buffer. */
int nic_read_all(struct rxq_nic *nic, const char *abs, char **out, size_t *len);
bool nic_exists(struct rxq_nic *nic, const char *abs);
/* The extended ack message of the last netlink request, "" when none. */
const char *nic_extack(const struct rxq_nic *nic);

/* nic.c: the handle (rxq_nic__open and the getters) */

/* ethtool.c: device settings, RSS, ntuple rules, statistics */
struct nlmsghdr *nic_eth_req(char *buf, uint8_t cmd, const char *ifname, uint32_t flags, bool dump);
int nic_set_knobs(struct rxq_nic *nic, enum rxq_nic_group g, const struct rxq_nic_knob *k,
		  const uint32_t *values, unsigned n);
int nic_set_indir(struct rxq_nic *nic, const uint32_t *indir, unsigned size);
int nic_rule_insert(struct rxq_nic *nic, struct ethtool_rx_flow_spec *fs);
int nic_rule_delete(struct rxq_nic *nic, uint32_t loc);
int nic_rule_get(struct rxq_nic *nic, uint32_t loc, struct ethtool_rx_flow_spec *fs);
int nic_rule_table(struct rxq_nic *nic, uint32_t *size, bool *any_loc, uint32_t **locs,
		   unsigned *n);
int nic_rx_rings(struct rxq_nic *nic, uint32_t *n);
int nic_rss_read(struct rxq_nic *nic, struct rxq_nic_rss *out, const char **op);
int nic_set_hash_fields(struct rxq_nic *nic, uint32_t flow_type, uint64_t fields);
/* Sets hardware stamping; *rx_filter becomes what the driver chose. */
int nic_set_tstamp(struct rxq_nic *nic, uint32_t tx_type, uint32_t *rx_filter);

/* irq.c: queue IRQs, affinities, queue settings, /proc/interrupts and softnet_stat */
int nic_irq_affinity(struct rxq_nic *nic, int irq, char *buf, size_t len);
/*
 * Queue number carried by an IRQ name ("eth3-TxRx-5" -> 5, "mlx5_comp3@pci:..." -> 3,
 * "virtio2-input.1" -> 1), -1 when the name is not a receive queue's (config, async, tx-only).
 */
int nic_irq_queue_of_name(const char *name);
/* Queue number of a transmit-only vector's name ("eth3-tx-2" -> 2), else -1. */
int nic_irq_tx_queue_of_name(const char *name);
/* True if IRQ name @name belongs to interface @ifname (exact; eth1 != eth10). */
bool nic_irq_name_matches(const char *name, const char *ifname);
/* The IRQ of each RX queue (rxq_nic__queue_irqs()), and how many queues have one. */
int nic_read_irqs(struct rxq_nic *nic, struct rxq_nic_queue_irq *irqs, unsigned *nfound);
/* Reads IRQ @irq's affinity into @cur (empty when unreadable); true if it equals @want. */
bool nic_affinity_is(struct rxq_nic *nic, int irq, const cpu_set_t *want, cpu_set_t *cur);

/* plan.c: plans, applying them, the journal */
struct rxq_nic_step *nic_plan_add(struct rxq_nic_plan *plan, enum rxq_nic_step_kind kind);
void nic_plan_drop_last(struct rxq_nic_plan *plan);

/* recipe.c: the plan builders */
/* The indirection table the kernel's weighting would give. */
int nic_indir_from_weights(uint32_t *indir, unsigned size, const uint32_t *weights, unsigned n);

/* check.c: the preflight checks */
#ifdef RXQ_TESTING
/* The value of the last "param=" of a kernel command line (fuzzed). */
bool nic_cmdline_param(const char *line, const char *param, char *val, size_t len);
/* Lines of /proc/net/nf_conntrack text that are UDP with @port on either side (fuzzed). */
unsigned nic_conntrack_entries(const char *text, int port);
#endif

/* config.c: the declarative settings (top layer) */

/* util */
static inline void nic_strlcpy(char *dst, const char *src, size_t len)
{
	size_t n = 0;

	while (n + 1 < len && src[n])
		n++;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* snprintf whose truncation is intended (display text). */
int nic_fmt(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
