// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The tables of rxq_nic, below everything else: the knobs of each ethtool netlink group with
 * their attributes, the commands that read and set them, feature aliases, hash function and errno
 * names, and the names of ioctl and netlink commands.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/net_tstamp.h>

#include "nic_internal.h"

static const struct nic_knob_def channels_knobs[] = {
	{ "rx-max", ETHTOOL_A_CHANNELS_RX_MAX, NIC_KNOB_U32, true },
	{ "tx-max", ETHTOOL_A_CHANNELS_TX_MAX, NIC_KNOB_U32, true },
	{ "other-max", ETHTOOL_A_CHANNELS_OTHER_MAX, NIC_KNOB_U32, true },
	{ "combined-max", ETHTOOL_A_CHANNELS_COMBINED_MAX, NIC_KNOB_U32, true },
	{ "rx", ETHTOOL_A_CHANNELS_RX_COUNT, NIC_KNOB_U32, false },
	{ "tx", ETHTOOL_A_CHANNELS_TX_COUNT, NIC_KNOB_U32, false },
	{ "other", ETHTOOL_A_CHANNELS_OTHER_COUNT, NIC_KNOB_U32, false },
	{ "combined", ETHTOOL_A_CHANNELS_COMBINED_COUNT, NIC_KNOB_U32, false },
};

/* Names as ethtool -C spells them. */
static const struct nic_knob_def coalesce_knobs[] = {
	{ "rx-usecs", ETHTOOL_A_COALESCE_RX_USECS, NIC_KNOB_U32, false },
	{ "rx-frames", ETHTOOL_A_COALESCE_RX_MAX_FRAMES, NIC_KNOB_U32, false },
	{ "rx-usecs-irq", ETHTOOL_A_COALESCE_RX_USECS_IRQ, NIC_KNOB_U32, false },
	{ "rx-frames-irq", ETHTOOL_A_COALESCE_RX_MAX_FRAMES_IRQ, NIC_KNOB_U32, false },
	{ "tx-usecs", ETHTOOL_A_COALESCE_TX_USECS, NIC_KNOB_U32, false },
	{ "tx-frames", ETHTOOL_A_COALESCE_TX_MAX_FRAMES, NIC_KNOB_U32, false },
	{ "tx-usecs-irq", ETHTOOL_A_COALESCE_TX_USECS_IRQ, NIC_KNOB_U32, false },
	{ "tx-frames-irq", ETHTOOL_A_COALESCE_TX_MAX_FRAMES_IRQ, NIC_KNOB_U32, false },
	{ "stats-block-usecs", ETHTOOL_A_COALESCE_STATS_BLOCK_USECS, NIC_KNOB_U32, false },
	{ "adaptive-rx", ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, NIC_KNOB_U8, false },
	{ "adaptive-tx", ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX, NIC_KNOB_U8, false },
	{ "pkt-rate-low", ETHTOOL_A_COALESCE_PKT_RATE_LOW, NIC_KNOB_U32, false },
	{ "rx-usecs-low", ETHTOOL_A_COALESCE_RX_USECS_LOW, NIC_KNOB_U32, false },
	{ "rx-frames-low", ETHTOOL_A_COALESCE_RX_MAX_FRAMES_LOW, NIC_KNOB_U32, false },
	{ "tx-usecs-low", ETHTOOL_A_COALESCE_TX_USECS_LOW, NIC_KNOB_U32, false },
	{ "tx-frames-low", ETHTOOL_A_COALESCE_TX_MAX_FRAMES_LOW, NIC_KNOB_U32, false },
	{ "pkt-rate-high", ETHTOOL_A_COALESCE_PKT_RATE_HIGH, NIC_KNOB_U32, false },
	{ "rx-usecs-high", ETHTOOL_A_COALESCE_RX_USECS_HIGH, NIC_KNOB_U32, false },
	{ "rx-frames-high", ETHTOOL_A_COALESCE_RX_MAX_FRAMES_HIGH, NIC_KNOB_U32, false },
	{ "tx-usecs-high", ETHTOOL_A_COALESCE_TX_USECS_HIGH, NIC_KNOB_U32, false },
	{ "tx-frames-high", ETHTOOL_A_COALESCE_TX_MAX_FRAMES_HIGH, NIC_KNOB_U32, false },
	{ "sample-interval", ETHTOOL_A_COALESCE_RATE_SAMPLE_INTERVAL, NIC_KNOB_U32, false },
	{ "cqe-mode-tx", ETHTOOL_A_COALESCE_USE_CQE_MODE_TX, NIC_KNOB_U8, false },
	{ "cqe-mode-rx", ETHTOOL_A_COALESCE_USE_CQE_MODE_RX, NIC_KNOB_U8, false },
};

static const struct nic_knob_def pause_knobs[] = {
	{ "autoneg", ETHTOOL_A_PAUSE_AUTONEG, NIC_KNOB_U8, false },
	{ "rx", ETHTOOL_A_PAUSE_RX, NIC_KNOB_U8, false },
	{ "tx", ETHTOOL_A_PAUSE_TX, NIC_KNOB_U8, false },
};

static const struct nic_knob_def rings_knobs[] = {
	{ "rx-max", ETHTOOL_A_RINGS_RX_MAX, NIC_KNOB_U32, true },
	{ "rx-mini-max", ETHTOOL_A_RINGS_RX_MINI_MAX, NIC_KNOB_U32, true },
	{ "rx-jumbo-max", ETHTOOL_A_RINGS_RX_JUMBO_MAX, NIC_KNOB_U32, true },
	{ "tx-max", ETHTOOL_A_RINGS_TX_MAX, NIC_KNOB_U32, true },
	{ "rx", ETHTOOL_A_RINGS_RX, NIC_KNOB_U32, false },
	{ "rx-mini", ETHTOOL_A_RINGS_RX_MINI, NIC_KNOB_U32, false },
	{ "rx-jumbo", ETHTOOL_A_RINGS_RX_JUMBO, NIC_KNOB_U32, false },
	{ "tx", ETHTOOL_A_RINGS_TX, NIC_KNOB_U32, false },
};

const struct nic_group_def nic_groups[RXQ_NIC_GROUP_COUNT] = {
	[RXQ_NIC_CHANNELS] = { "channels", ETHTOOL_MSG_CHANNELS_GET, ETHTOOL_MSG_CHANNELS_SET,
			       channels_knobs, RXQ_ARRAY_SIZE(channels_knobs) },
	[RXQ_NIC_COALESCE] = { "coalesce", ETHTOOL_MSG_COALESCE_GET, ETHTOOL_MSG_COALESCE_SET,
			       coalesce_knobs, RXQ_ARRAY_SIZE(coalesce_knobs) },
	[RXQ_NIC_PAUSE] = { "pause", ETHTOOL_MSG_PAUSE_GET, ETHTOOL_MSG_PAUSE_SET, pause_knobs,
			    RXQ_ARRAY_SIZE(pause_knobs) },
	[RXQ_NIC_RINGS] = { "rings", ETHTOOL_MSG_RINGS_GET, ETHTOOL_MSG_RINGS_SET, rings_knobs,
			    RXQ_ARRAY_SIZE(rings_knobs) },
	[RXQ_NIC_FEATURES] = { "features", ETHTOOL_MSG_FEATURES_GET, ETHTOOL_MSG_FEATURES_SET, NULL,
			       0 },
};

const char *rxq_nic_group__name(enum rxq_nic_group g)
{
	return (unsigned)g < RXQ_NIC_GROUP_COUNT ? nic_groups[g].name : "?";
}

const char *nic_knob_attr_name(enum rxq_nic_group g, unsigned attr)
{
	unsigned i;

	if ((unsigned)g >= RXQ_NIC_GROUP_COUNT)
		return NULL;
	for (i = 0; i < nic_groups[g].nknobs; i++)
		if (nic_groups[g].knobs[i].attr == attr)
			return nic_groups[g].knobs[i].name;
	return NULL;
}

int nic_group_of_cmd(uint8_t cmd, bool *set)
{
	unsigned g;

	for (g = 0; g < RXQ_NIC_GROUP_COUNT; g++) {
		if (nic_groups[g].get == cmd || nic_groups[g].set == cmd) {
			*set = nic_groups[g].set == cmd;
			return (int)g;
		}
	}
	return -1;
}

const char *nic_errname(int err)
{
	switch (-err) {
	case EOPNOTSUPP:
		return "EOPNOTSUPP";
	case EPERM:
		return "EPERM";
	case EACCES:
		return "EACCES";
	case EINVAL:
		return "EINVAL";
	case EIO:
		return "EIO";
	case EBUSY:
		return "EBUSY";
	case ENODEV:
		return "ENODEV";
	case ENOENT:
		return "ENOENT";
	case ENOSPC:
		return "ENOSPC";
	case ERANGE:
		return "ERANGE";
	case EEXIST:
		return "EEXIST";
	default:
		return strerror(-err);
	}
}

static const struct {
	const char *user, *kernel;
} feature_aliases[] = {
	{ "gro", "rx-gro" },
	{ "lro", "rx-lro" },
	{ "ntuple", "rx-ntuple-filter" },
	{ "gro-hw", "rx-gro-hw" },
	{ "rxhash", "rx-hashing" },
	{ "rxvlan", "rx-vlan-hw-parse" },
	{ "txvlan", "tx-vlan-hw-insert" },
	{ "tso", "tx-tcp-segmentation" },
	{ "gso", "tx-generic-segmentation" },
	{ "sg", "tx-scatter-gather" },
	{ "rx", "rx-checksum" },
	{ "rx-gro-list", "rx-gro-list" },
};

const char *nic_feature_alias(unsigned i)
{
	return i < RXQ_ARRAY_SIZE(feature_aliases) ? feature_aliases[i].user : NULL;
}

const char *nic_feature_kernel_name(const char *name)
{
	unsigned i;

	for (i = 0; i < RXQ_ARRAY_SIZE(feature_aliases); i++)
		if (!strcmp(feature_aliases[i].user, name))
			return feature_aliases[i].kernel;
	return name;
}

const struct nic_knob_def *nic_knob_def(enum rxq_nic_group g, const char *name)
{
	unsigned i;

	for (i = 0; i < nic_groups[g].nknobs; i++)
		if (!strcmp(nic_groups[g].knobs[i].name, name))
			return &nic_groups[g].knobs[i];
	return NULL;
}

/* Exposed for the plan: the definition of a knob name in a group (NULL if unknown). */
bool nic_knob_known(enum rxq_nic_group g, const char *name, bool *ro, uint32_t *max)
{
	const struct nic_knob_def *d;

	if (g == RXQ_NIC_FEATURES)
		return false;
	d = nic_knob_def(g, name);
	if (!d)
		return false;
	*ro = d->ro;
	*max = d->type == NIC_KNOB_U8 ? 1 : UINT32_MAX;
	return true;
}

void nic_knob_names(enum rxq_nic_group g, char *buf, size_t len)
{
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < nic_groups[g].nknobs; i++) {
		int w;

		if (nic_groups[g].knobs[i].ro)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			     nic_groups[g].knobs[i].name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

const char *rxq_nic_hfunc__name(uint32_t hfunc)
{
	if (hfunc & RXQ_RSS_HASH_TOP)
		return "toeplitz";
	if (hfunc & RXQ_RSS_HASH_XOR)
		return "xor";
	if (hfunc & RXQ_RSS_HASH_CRC32)
		return "crc32";
	return "unknown";
}

/* ---- commands ---- */

static const struct {
	uint32_t cmd;
	const char *name;
} ioctl_names[] = {
	{ ETHTOOL_GDRVINFO, "ETHTOOL_GDRVINFO" },
	{ ETHTOOL_GSSET_INFO, "ETHTOOL_GSSET_INFO" },
	{ ETHTOOL_GSTRINGS, "ETHTOOL_GSTRINGS" },
	{ ETHTOOL_GSTATS, "ETHTOOL_GSTATS" },
	{ ETHTOOL_GRXRINGS, "ETHTOOL_GRXRINGS" },
	{ ETHTOOL_GRXFH, "ETHTOOL_GRXFH" },
	{ ETHTOOL_SRXFH, "ETHTOOL_SRXFH" },
	{ ETHTOOL_GRXFHINDIR, "ETHTOOL_GRXFHINDIR" },
	{ ETHTOOL_SRXFHINDIR, "ETHTOOL_SRXFHINDIR" },
	{ ETHTOOL_GRSSH, "ETHTOOL_GRSSH" },
	{ ETHTOOL_SRSSH, "ETHTOOL_SRSSH" },
	{ ETHTOOL_GRXCLSRLCNT, "ETHTOOL_GRXCLSRLCNT" },
	{ ETHTOOL_GRXCLSRULE, "ETHTOOL_GRXCLSRULE" },
	{ ETHTOOL_GRXCLSRLALL, "ETHTOOL_GRXCLSRLALL" },
	{ ETHTOOL_SRXCLSRLINS, "ETHTOOL_SRXCLSRLINS" },
	{ ETHTOOL_SRXCLSRLDEL, "ETHTOOL_SRXCLSRLDEL" },
	{ ETHTOOL_GCHANNELS, "ETHTOOL_GCHANNELS" },
	{ ETHTOOL_GFEATURES, "ETHTOOL_GFEATURES" },
	{ ETHTOOL_GCOALESCE, "ETHTOOL_GCOALESCE" },
	{ ETHTOOL_GPAUSEPARAM, "ETHTOOL_GPAUSEPARAM" },
	{ ETHTOOL_GRINGPARAM, "ETHTOOL_GRINGPARAM" },
};

const char *nic_ioctl_name(uint32_t cmd)
{
	unsigned i;

	for (i = 0; i < RXQ_ARRAY_SIZE(ioctl_names); i++)
		if (ioctl_names[i].cmd == cmd)
			return ioctl_names[i].name;
	return "ETHTOOL_?";
}

static const char *const ethtool_cmd_names[] = {
	[ETHTOOL_MSG_STRSET_GET] = "STRSET_GET",     [ETHTOOL_MSG_FEATURES_GET] = "FEATURES_GET",
	[ETHTOOL_MSG_FEATURES_SET] = "FEATURES_SET", [ETHTOOL_MSG_RINGS_GET] = "RINGS_GET",
	[ETHTOOL_MSG_RINGS_SET] = "RINGS_SET",	     [ETHTOOL_MSG_CHANNELS_GET] = "CHANNELS_GET",
	[ETHTOOL_MSG_CHANNELS_SET] = "CHANNELS_SET", [ETHTOOL_MSG_COALESCE_GET] = "COALESCE_GET",
	[ETHTOOL_MSG_COALESCE_SET] = "COALESCE_SET", [ETHTOOL_MSG_PAUSE_GET] = "PAUSE_GET",
	[ETHTOOL_MSG_PAUSE_SET] = "PAUSE_SET",	     [RXQ_ETHTOOL_MSG_RSS_GET] = "RSS_GET",
	[RXQ_ETHTOOL_MSG_RSS_SET] = "RSS_SET",
};

const char *nic_genl_cmd_name(const char *family, uint8_t cmd)
{
	static __thread char buf[48];

	if (!strcmp(family, "ethtool")) {
		if (cmd < RXQ_ARRAY_SIZE(ethtool_cmd_names) && ethtool_cmd_names[cmd])
			snprintf(buf, sizeof(buf), "ETHTOOL_MSG_%s", ethtool_cmd_names[cmd]);
		else
			snprintf(buf, sizeof(buf), "ETHTOOL_MSG_%u", cmd);
	} else if (!strcmp(family, "netdev")) {
		if (cmd == RXQ_NETDEV_CMD_QUEUE_GET)
			snprintf(buf, sizeof(buf), "NETDEV_CMD_QUEUE_GET");
		else if (cmd == RXQ_NETDEV_CMD_NAPI_GET)
			snprintf(buf, sizeof(buf), "NETDEV_CMD_NAPI_GET");
		else
			snprintf(buf, sizeof(buf), "NETDEV_CMD_%u", cmd);
	} else {
		snprintf(buf, sizeof(buf), "%s/%u", family, cmd);
	}
	return buf;
}

/* ---- RSS hash fields ---- */

/* ethtool's rx-flow-hash names, in the order show lists them. */
static const struct {
	uint32_t type;
	const char *name;
} flow_types[] = {
	{ TCP_V4_FLOW, "tcp4" }, { UDP_V4_FLOW, "udp4" }, { SCTP_V4_FLOW, "sctp4" },
	{ AH_V4_FLOW, "ah4" },	 { ESP_V4_FLOW, "esp4" }, { IPV4_FLOW, "ip4" },
	{ TCP_V6_FLOW, "tcp6" }, { UDP_V6_FLOW, "udp6" }, { SCTP_V6_FLOW, "sctp6" },
	{ AH_V6_FLOW, "ah6" },	 { ESP_V6_FLOW, "esp6" }, { IPV6_FLOW, "ip6" },
};

int rxq_nic_flow_type__parse(const char *name, uint32_t *flow_type)
{
	unsigned i;

	for (i = 0; i < RXQ_ARRAY_SIZE(flow_types); i++)
		if (!strcmp(flow_types[i].name, name)) {
			*flow_type = flow_types[i].type;
			return 0;
		}
	return -EINVAL;
}

const char *rxq_nic_flow_type__name(uint32_t flow_type)
{
	unsigned i;

	for (i = 0; i < RXQ_ARRAY_SIZE(flow_types); i++)
		if (flow_types[i].type == flow_type)
			return flow_types[i].name;
	return NULL;
}

int rxq_nic_flow_type__nth(unsigned i)
{
	return i < RXQ_ARRAY_SIZE(flow_types) ? (int)flow_types[i].type : -1;
}

/* ethtool's letters, in the order it prints the fields. */
static const struct {
	char letter;
	uint64_t bit;
} hash_letters[] = {
	{ 'm', RXH_L2DA },     { 'v', RXH_VLAN },
	{ 't', RXH_L3_PROTO }, { 's', RXH_IP_SRC },
	{ 'd', RXH_IP_DST },   { 'f', RXH_L4_B_0_1 },
	{ 'n', RXH_L4_B_2_3 }, { 'r', RXQ_NIC_RXH_DISCARD },
};

int rxq_nic_hash_fields__parse(const char *s, uint64_t *fields, unsigned *bad)
{
	uint64_t v = 0;
	unsigned i, k;

	if (bad)
		*bad = 0;
	if (!s || !*s)
		return -EINVAL;
	for (i = 0; s[i]; i++) {
		for (k = 0; k < RXQ_ARRAY_SIZE(hash_letters); k++)
			if (hash_letters[k].letter == s[i])
				break;
		if (k == RXQ_ARRAY_SIZE(hash_letters) || (v & hash_letters[k].bit)) {
			if (bad)
				*bad = i;
			return -EINVAL;
		}
		v |= hash_letters[k].bit;
	}
	*fields = v;
	return 0;
}

int rxq_nic_hash_fields__format(uint64_t fields, char *buf, size_t len)
{
	uint64_t rest = fields;
	size_t used = 0;
	unsigned k;
	int n;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (!fields)
		return snprintf(buf, len, "none") < (int)len ? 0 : -ENOSPC;
	for (k = 0; k < RXQ_ARRAY_SIZE(hash_letters); k++)
		if (fields & hash_letters[k].bit) {
			if (used + 1 >= len)
				return -ENOSPC;
			buf[used++] = hash_letters[k].letter;
			buf[used] = '\0';
			rest &= ~hash_letters[k].bit;
		}
	if (rest) {
		n = snprintf(buf + used, len - used, "+0x%llx", (unsigned long long)rest);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
	}
	return 0;
}

/* ---- hardware timestamps: ethtool -T's names ---- */

static const char *const tstamp_tx_names[] = {
	[HWTSTAMP_TX_OFF] = "off",
	[HWTSTAMP_TX_ON] = "on",
	[HWTSTAMP_TX_ONESTEP_SYNC] = "onestep-sync",
	[HWTSTAMP_TX_ONESTEP_P2P] = "onestep-p2p",
};

static const char *const tstamp_rx_names[] = {
	[HWTSTAMP_FILTER_NONE] = "none",
	[HWTSTAMP_FILTER_ALL] = "all",
	[HWTSTAMP_FILTER_SOME] = "some",
	[HWTSTAMP_FILTER_PTP_V1_L4_EVENT] = "ptpv1-l4-event",
	[HWTSTAMP_FILTER_PTP_V1_L4_SYNC] = "ptpv1-l4-sync",
	[HWTSTAMP_FILTER_PTP_V1_L4_DELAY_REQ] = "ptpv1-l4-delay-req",
	[HWTSTAMP_FILTER_PTP_V2_L4_EVENT] = "ptpv2-l4-event",
	[HWTSTAMP_FILTER_PTP_V2_L4_SYNC] = "ptpv2-l4-sync",
	[HWTSTAMP_FILTER_PTP_V2_L4_DELAY_REQ] = "ptpv2-l4-delay-req",
	[HWTSTAMP_FILTER_PTP_V2_L2_EVENT] = "ptpv2-l2-event",
	[HWTSTAMP_FILTER_PTP_V2_L2_SYNC] = "ptpv2-l2-sync",
	[HWTSTAMP_FILTER_PTP_V2_L2_DELAY_REQ] = "ptpv2-l2-delay-req",
	[HWTSTAMP_FILTER_PTP_V2_EVENT] = "ptpv2-event",
	[HWTSTAMP_FILTER_PTP_V2_SYNC] = "ptpv2-sync",
	[HWTSTAMP_FILTER_PTP_V2_DELAY_REQ] = "ptpv2-delay-req",
	[HWTSTAMP_FILTER_NTP_ALL] = "ntp-all",
};

static const char *const timestamping_names[] = {
	"hardware-transmit",	 "software-transmit",	  "hardware-receive",	"software-receive",
	"software-system-clock", "hardware-legacy-clock", "hardware-raw-clock",
};

static int name_index(const char *const *names, unsigned n, const char *name)
{
	unsigned i;

	for (i = 0; i < n; i++)
		if (names[i] && !strcmp(names[i], name))
			return (int)i;
	return -1;
}

const char *rxq_nic_tstamp_tx__name(uint32_t tx_type)
{
	return tx_type < RXQ_ARRAY_SIZE(tstamp_tx_names) ? tstamp_tx_names[tx_type] : NULL;
}

int rxq_nic_tstamp_tx__parse(const char *name, uint32_t *tx_type)
{
	int i = name_index(tstamp_tx_names, RXQ_ARRAY_SIZE(tstamp_tx_names), name);

	if (i < 0)
		return -EINVAL;
	*tx_type = (uint32_t)i;
	return 0;
}

const char *rxq_nic_tstamp_rx__name(uint32_t rx_filter)
{
	return rx_filter < RXQ_ARRAY_SIZE(tstamp_rx_names) ? tstamp_rx_names[rx_filter] : NULL;
}

int rxq_nic_tstamp_rx__parse(const char *name, uint32_t *rx_filter)
{
	int i = name_index(tstamp_rx_names, RXQ_ARRAY_SIZE(tstamp_rx_names), name);

	if (!strcmp(name, "ptp"))
		i = HWTSTAMP_FILTER_PTP_V2_EVENT;
	if (i < 0)
		return -EINVAL;
	*rx_filter = (uint32_t)i;
	return 0;
}

const char *rxq_nic_timestamping__name(unsigned bit)
{
	return bit < RXQ_ARRAY_SIZE(timestamping_names) ? timestamping_names[bit] : NULL;
}
