// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Device settings over ethtool generic netlink (channels, coalesce, pause, rings, features, RSS)
 * and the SIOCETHTOOL ioctl (ntuple rules, driver statistics, and RSS where netlink lacks it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <libmnl/libmnl.h>

#include "nic_internal.h"
#include "rxq/log.h"

enum knob_type { KNOB_U32, KNOB_U8 };

struct knob_def {
	const char *name;
	unsigned attr;
	enum knob_type type;
	bool ro;
};

struct group_def {
	const char *name;
	uint8_t get, set;
	const struct knob_def *knobs;
	unsigned nknobs;
};

static const struct knob_def channels_knobs[] = {
	{ "rx-max", ETHTOOL_A_CHANNELS_RX_MAX, KNOB_U32, true },
	{ "tx-max", ETHTOOL_A_CHANNELS_TX_MAX, KNOB_U32, true },
	{ "other-max", ETHTOOL_A_CHANNELS_OTHER_MAX, KNOB_U32, true },
	{ "combined-max", ETHTOOL_A_CHANNELS_COMBINED_MAX, KNOB_U32, true },
	{ "rx", ETHTOOL_A_CHANNELS_RX_COUNT, KNOB_U32, false },
	{ "tx", ETHTOOL_A_CHANNELS_TX_COUNT, KNOB_U32, false },
	{ "other", ETHTOOL_A_CHANNELS_OTHER_COUNT, KNOB_U32, false },
	{ "combined", ETHTOOL_A_CHANNELS_COMBINED_COUNT, KNOB_U32, false },
};

/* Names as ethtool -C spells them. */
static const struct knob_def coalesce_knobs[] = {
	{ "rx-usecs", ETHTOOL_A_COALESCE_RX_USECS, KNOB_U32, false },
	{ "rx-frames", ETHTOOL_A_COALESCE_RX_MAX_FRAMES, KNOB_U32, false },
	{ "rx-usecs-irq", ETHTOOL_A_COALESCE_RX_USECS_IRQ, KNOB_U32, false },
	{ "rx-frames-irq", ETHTOOL_A_COALESCE_RX_MAX_FRAMES_IRQ, KNOB_U32, false },
	{ "tx-usecs", ETHTOOL_A_COALESCE_TX_USECS, KNOB_U32, false },
	{ "tx-frames", ETHTOOL_A_COALESCE_TX_MAX_FRAMES, KNOB_U32, false },
	{ "tx-usecs-irq", ETHTOOL_A_COALESCE_TX_USECS_IRQ, KNOB_U32, false },
	{ "tx-frames-irq", ETHTOOL_A_COALESCE_TX_MAX_FRAMES_IRQ, KNOB_U32, false },
	{ "stats-block-usecs", ETHTOOL_A_COALESCE_STATS_BLOCK_USECS, KNOB_U32, false },
	{ "adaptive-rx", ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, KNOB_U8, false },
	{ "adaptive-tx", ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX, KNOB_U8, false },
	{ "pkt-rate-low", ETHTOOL_A_COALESCE_PKT_RATE_LOW, KNOB_U32, false },
	{ "rx-usecs-low", ETHTOOL_A_COALESCE_RX_USECS_LOW, KNOB_U32, false },
	{ "rx-frames-low", ETHTOOL_A_COALESCE_RX_MAX_FRAMES_LOW, KNOB_U32, false },
	{ "tx-usecs-low", ETHTOOL_A_COALESCE_TX_USECS_LOW, KNOB_U32, false },
	{ "tx-frames-low", ETHTOOL_A_COALESCE_TX_MAX_FRAMES_LOW, KNOB_U32, false },
	{ "pkt-rate-high", ETHTOOL_A_COALESCE_PKT_RATE_HIGH, KNOB_U32, false },
	{ "rx-usecs-high", ETHTOOL_A_COALESCE_RX_USECS_HIGH, KNOB_U32, false },
	{ "rx-frames-high", ETHTOOL_A_COALESCE_RX_MAX_FRAMES_HIGH, KNOB_U32, false },
	{ "tx-usecs-high", ETHTOOL_A_COALESCE_TX_USECS_HIGH, KNOB_U32, false },
	{ "tx-frames-high", ETHTOOL_A_COALESCE_TX_MAX_FRAMES_HIGH, KNOB_U32, false },
	{ "sample-interval", ETHTOOL_A_COALESCE_RATE_SAMPLE_INTERVAL, KNOB_U32, false },
	{ "cqe-mode-tx", ETHTOOL_A_COALESCE_USE_CQE_MODE_TX, KNOB_U8, false },
	{ "cqe-mode-rx", ETHTOOL_A_COALESCE_USE_CQE_MODE_RX, KNOB_U8, false },
};

static const struct knob_def pause_knobs[] = {
	{ "autoneg", ETHTOOL_A_PAUSE_AUTONEG, KNOB_U8, false },
	{ "rx", ETHTOOL_A_PAUSE_RX, KNOB_U8, false },
	{ "tx", ETHTOOL_A_PAUSE_TX, KNOB_U8, false },
};

static const struct knob_def rings_knobs[] = {
	{ "rx-max", ETHTOOL_A_RINGS_RX_MAX, KNOB_U32, true },
	{ "rx-mini-max", ETHTOOL_A_RINGS_RX_MINI_MAX, KNOB_U32, true },
	{ "rx-jumbo-max", ETHTOOL_A_RINGS_RX_JUMBO_MAX, KNOB_U32, true },
	{ "tx-max", ETHTOOL_A_RINGS_TX_MAX, KNOB_U32, true },
	{ "rx", ETHTOOL_A_RINGS_RX, KNOB_U32, false },
	{ "rx-mini", ETHTOOL_A_RINGS_RX_MINI, KNOB_U32, false },
	{ "rx-jumbo", ETHTOOL_A_RINGS_RX_JUMBO, KNOB_U32, false },
	{ "tx", ETHTOOL_A_RINGS_TX, KNOB_U32, false },
};

static const struct group_def groups[RXQ_NIC_GROUP_COUNT] = {
	[RXQ_NIC_CHANNELS] = { "channels", ETHTOOL_MSG_CHANNELS_GET, ETHTOOL_MSG_CHANNELS_SET,
			       channels_knobs, RXQ_ARRAY_SIZE(channels_knobs) },
	[RXQ_NIC_COALESCE] = { "coalesce", ETHTOOL_MSG_COALESCE_GET, ETHTOOL_MSG_COALESCE_SET,
			       coalesce_knobs, RXQ_ARRAY_SIZE(coalesce_knobs) },
	[RXQ_NIC_PAUSE] = { "pause", ETHTOOL_MSG_PAUSE_GET, ETHTOOL_MSG_PAUSE_SET, pause_knobs,
			    RXQ_ARRAY_SIZE(pause_knobs) },
	[RXQ_NIC_RINGS] = { "rings", ETHTOOL_MSG_RINGS_GET, ETHTOOL_MSG_RINGS_SET, rings_knobs,
			    RXQ_ARRAY_SIZE(rings_knobs) },
	[RXQ_NIC_FEATURES] = { "features", ETHTOOL_MSG_FEATURES_GET, ETHTOOL_MSG_FEATURES_SET,
			       NULL, 0 },
};

const char *rxq_nic_group__name(enum rxq_nic_group g)
{
	return (unsigned)g < RXQ_NIC_GROUP_COUNT ? groups[g].name : "?";
}

const char *nic_knob_attr_name(enum rxq_nic_group g, unsigned attr)
{
	unsigned i;

	if ((unsigned)g >= RXQ_NIC_GROUP_COUNT)
		return NULL;
	for (i = 0; i < groups[g].nknobs; i++)
		if (groups[g].knobs[i].attr == attr)
			return groups[g].knobs[i].name;
	return NULL;
}

int nic_group_of_cmd(uint8_t cmd, bool *set)
{
	unsigned g;

	for (g = 0; g < RXQ_NIC_GROUP_COUNT; g++) {
		if (groups[g].get == cmd || groups[g].set == cmd) {
			*set = groups[g].set == cmd;
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

const char *rxq_nic_feature__kernel_name(const char *name)
{
	unsigned i;

	for (i = 0; i < RXQ_ARRAY_SIZE(feature_aliases); i++)
		if (!strcmp(feature_aliases[i].user, name))
			return feature_aliases[i].kernel;
	return name;
}

struct nlmsghdr *nic_eth_req(char *buf, uint8_t cmd, const char *ifname, uint32_t flags, bool dump)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;
	struct nlattr *hdr;

	nlh->nlmsg_flags = NLM_F_REQUEST | (dump ? NLM_F_DUMP : 0);
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	hdr = mnl_attr_nest_start(nlh, 1 /* ETHTOOL_A_*_HEADER */);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, ifname);
	if (flags)
		mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_FLAGS, flags);
	mnl_attr_nest_end(nlh, hdr);
	return nlh;
}

/* ---- knob groups ---- */

struct knobs_parse {
	enum rxq_nic_group g;
	struct rxq_nic_knobs *out;
	bool got;
};

static int knob_attr_cb(const struct nlattr *a, void *data)
{
	struct knobs_parse *kp = data;
	const struct group_def *gd = &groups[kp->g];
	unsigned t = mnl_attr_get_type(a), i;

	for (i = 0; i < gd->nknobs; i++) {
		const struct knob_def *d = &gd->knobs[i];
		struct rxq_nic_knob *k;

		if (d->attr != t)
			continue;
		if (mnl_attr_validate(a, d->type == KNOB_U8 ? MNL_TYPE_U8 : MNL_TYPE_U32) < 0)
			return MNL_CB_OK;
		if (kp->out->n >= RXQ_NIC_KNOBS_MAX)
			return MNL_CB_OK;
		k = &kp->out->k[kp->out->n++];
		memset(k, 0, sizeof(*k));
		nic_strlcpy(k->name, d->name, sizeof(k->name));
		k->value = d->type == KNOB_U8 ? mnl_attr_get_u8(a) : mnl_attr_get_u32(a);
		k->wanted = k->value;
		k->fixed = d->ro;
	}
	return MNL_CB_OK;
}

static int knobs_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct knobs_parse *kp = arg;

	kp->got = true;
	kp->out->n = 0;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), knob_attr_cb, kp);
	return 0;
}

/* Feature bitsets: collect per name which of hw/wanted/active/nochange it is in. */
struct feat_parse {
	struct rxq_nic_knobs *out;
	uint8_t in[RXQ_NIC_KNOBS_MAX]; /* bit 0 hw, 1 wanted, 2 active, 3 nochange */
	unsigned which;
	bool nomask;
	bool got;
};

static struct rxq_nic_knob *feat_slot(struct feat_parse *fp, const char *name, unsigned *idx)
{
	unsigned i;

	for (i = 0; i < fp->out->n; i++)
		if (!strcmp(fp->out->k[i].name, name)) {
			*idx = i;
			return &fp->out->k[i];
		}
	if (fp->out->n >= RXQ_NIC_KNOBS_MAX)
		return NULL;
	i = fp->out->n++;
	memset(&fp->out->k[i], 0, sizeof(fp->out->k[i]));
	nic_strlcpy(fp->out->k[i].name, name, sizeof(fp->out->k[i].name));
	fp->in[i] = 0;
	*idx = i;
	return &fp->out->k[i];
}

static int feat_bit_attr_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned t = mnl_attr_get_type(a);

	if (t <= ETHTOOL_A_BITSET_BIT_VALUE)
		tb[t] = a;
	return MNL_CB_OK;
}

static int feat_bits_cb(const struct nlattr *a, void *data)
{
	struct feat_parse *fp = data;
	const struct nlattr *tb[ETHTOOL_A_BITSET_BIT_VALUE + 1] = { 0 };
	unsigned idx;

	if (mnl_attr_get_type(a) != ETHTOOL_A_BITSET_BITS_BIT)
		return MNL_CB_OK;
	mnl_attr_parse_nested(a, feat_bit_attr_cb, tb);
	if (!tb[ETHTOOL_A_BITSET_BIT_NAME] ||
	    mnl_attr_validate(tb[ETHTOOL_A_BITSET_BIT_NAME], MNL_TYPE_NUL_STRING) < 0)
		return MNL_CB_OK;
	/* List form (NOMASK): the bits listed are the set ones; else VALUE says. */
	if (!fp->nomask && !tb[ETHTOOL_A_BITSET_BIT_VALUE])
		return MNL_CB_OK;
	if (!feat_slot(fp, mnl_attr_get_str(tb[ETHTOOL_A_BITSET_BIT_NAME]), &idx))
		return MNL_CB_OK;
	fp->in[idx] |= (uint8_t)(1u << fp->which);
	return MNL_CB_OK;
}

static int feat_bitset_cb(const struct nlattr *a, void *data)
{
	struct feat_parse *fp = data;

	if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_NOMASK)
		fp->nomask = true;
	return MNL_CB_OK;
}

static int feat_bitset_bits_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_BITS)
		mnl_attr_parse_nested(a, feat_bits_cb, data);
	return MNL_CB_OK;
}

static int feat_attr_cb(const struct nlattr *a, void *data)
{
	struct feat_parse *fp = data;
	unsigned t = mnl_attr_get_type(a);

	if (t < ETHTOOL_A_FEATURES_HW || t > ETHTOOL_A_FEATURES_NOCHANGE)
		return MNL_CB_OK;
	fp->which = t - ETHTOOL_A_FEATURES_HW;
	fp->nomask = false;
	mnl_attr_parse_nested(a, feat_bitset_cb, fp);
	mnl_attr_parse_nested(a, feat_bitset_bits_cb, fp);
	return MNL_CB_OK;
}

static int feat_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct feat_parse *fp = arg;

	fp->got = true;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), feat_attr_cb, fp);
	return 0;
}

int rxq_nic__get(struct rxq_nic *nic, enum rxq_nic_group g, struct rxq_nic_knobs *out)
{
	char buf[512];
	struct nlmsghdr *nlh;
	int err;

	if ((unsigned)g >= RXQ_NIC_GROUP_COUNT)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	nlh = nic_eth_req(buf, groups[g].get, nic->name, 0, false);
	if (g == RXQ_NIC_FEATURES) {
		struct feat_parse *fp = calloc(1, sizeof(*fp));
		unsigned i;

		if (!fp)
			return -ENOMEM;
		fp->out = out;
		err = nic_genl(nic, "ethtool", nlh, feat_msg_cb, fp);
		if (!err && !fp->got)
			err = -EBADMSG;
		for (i = 0; !err && i < out->n; i++) {
			out->k[i].value = (fp->in[i] >> 2) & 1;
			out->k[i].wanted = (fp->in[i] >> 1) & 1;
			out->k[i].fixed = !(fp->in[i] & 1) || (fp->in[i] & 8);
		}
		free(fp);
	} else {
		struct knobs_parse kp = { .g = g, .out = out };

		err = nic_genl(nic, "ethtool", nlh, knobs_msg_cb, &kp);
		if (!err && !kp.got)
			err = -EBADMSG;
	}
	if (err) {
		memset(out, 0, sizeof(*out));
		rxq_debug("%s: reading %s: %s", nic->name, groups[g].name, nic_errname(err));
	}
	return err;
}

const struct rxq_nic_knob *rxq_nic_knobs__find(const struct rxq_nic_knobs *ks, const char *name)
{
	unsigned i;

	for (i = 0; i < ks->n; i++)
		if (!strcmp(ks->k[i].name, name))
			return &ks->k[i];
	return NULL;
}

static const struct knob_def *knob_def(enum rxq_nic_group g, const char *name)
{
	unsigned i;

	for (i = 0; i < groups[g].nknobs; i++)
		if (!strcmp(groups[g].knobs[i].name, name))
			return &groups[g].knobs[i];
	return NULL;
}

int nic_set_knobs(struct rxq_nic *nic, enum rxq_nic_group g, const struct rxq_nic_knob *k,
		  const uint32_t *values, unsigned n)
{
	char buf[4096];
	struct nlmsghdr *nlh;
	unsigned i;

	if ((unsigned)g >= RXQ_NIC_GROUP_COUNT)
		return -EINVAL;
	/* OMIT_REPLY: the features reply would only repeat what we check ourselves. */
	nlh = nic_eth_req(buf, groups[g].set, nic->name,
			  g == RXQ_NIC_FEATURES ? ETHTOOL_FLAG_OMIT_REPLY : 0, false);
	if (g == RXQ_NIC_FEATURES) {
		struct nlattr *wanted, *bits;

		wanted = mnl_attr_nest_start(nlh, ETHTOOL_A_FEATURES_WANTED);
		bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
		for (i = 0; i < n; i++) {
			struct nlattr *bit = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);

			mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME, k[i].name);
			if (values[i])
				mnl_attr_put(nlh, ETHTOOL_A_BITSET_BIT_VALUE, 0, NULL);
			mnl_attr_nest_end(nlh, bit);
		}
		mnl_attr_nest_end(nlh, bits);
		mnl_attr_nest_end(nlh, wanted);
	} else {
		for (i = 0; i < n; i++) {
			const struct knob_def *d = knob_def(g, k[i].name);

			if (!d || d->ro)
				return -EINVAL;
			if (d->type == KNOB_U8)
				mnl_attr_put_u8(nlh, (uint16_t)d->attr, (uint8_t)values[i]);
			else
				mnl_attr_put_u32(nlh, (uint16_t)d->attr, values[i]);
		}
	}
	return nic_genl(nic, "ethtool", nlh, NULL, NULL);
}

/* Exposed for the plan: the definition of a knob name in a group (NULL if unknown). */
bool nic_knob_known(enum rxq_nic_group g, const char *name, bool *ro, uint32_t *max)
{
	const struct knob_def *d;

	if (g == RXQ_NIC_FEATURES)
		return false;
	d = knob_def(g, name);
	if (!d)
		return false;
	*ro = d->ro;
	*max = d->type == KNOB_U8 ? 1 : UINT32_MAX;
	return true;
}

void nic_knob_names(enum rxq_nic_group g, char *buf, size_t len)
{
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < groups[g].nknobs; i++) {
		int w;

		if (groups[g].knobs[i].ro)
			continue;
		w = snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
			     groups[g].knobs[i].name);
		if (w < 0 || (size_t)w >= len - used)
			break;
		used += (size_t)w;
	}
}

/* ---- RSS ---- */

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

struct rss_parse {
	struct rxq_nic_rss *out;
	bool got;
};

static int rss_attr_cb(const struct nlattr *a, void *data)
{
	struct rss_parse *rp = data;
	unsigned t = mnl_attr_get_type(a);
	uint16_t plen = mnl_attr_get_payload_len(a);

	if (t == RXQ_ETHTOOL_A_RSS_HFUNC && mnl_attr_validate(a, MNL_TYPE_U32) >= 0) {
		rp->out->hfunc = mnl_attr_get_u32(a);
	} else if (t == RXQ_ETHTOOL_A_RSS_INDIR) {
		unsigned n = plen / 4;

		if (n > RXQ_NIC_INDIR_MAX)
			n = RXQ_NIC_INDIR_MAX;
		memcpy(rp->out->indir, mnl_attr_get_payload(a), n * 4);
		rp->out->indir_size = n;
	} else if (t == RXQ_ETHTOOL_A_RSS_HKEY) {
		unsigned n = plen > RXQ_NIC_KEY_MAX ? RXQ_NIC_KEY_MAX : plen;

		memcpy(rp->out->key, mnl_attr_get_payload(a), n);
		rp->out->key_len = n;
	}
	return MNL_CB_OK;
}

static int rss_msg_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct rss_parse *rp = arg;

	rp->got = true;
	mnl_attr_parse(nlh, sizeof(struct genlmsghdr), rss_attr_cb, rp);
	return 0;
}

static int rss_ioctl(struct rxq_nic *nic, struct rxq_nic_rss *out, const char **op)
{
	struct ethtool_rxfh head = { .cmd = ETHTOOL_GRSSH };
	struct ethtool_rxfh *rxfh;
	struct ethtool_rxfh_indir ihead = { .cmd = ETHTOOL_GRXFHINDIR };
	struct ethtool_rxfh_indir *ind;
	int err;

	*op = "ETHTOOL_GRSSH";
	err = nic_ioctl(nic, &head);
	if (!err) {
		if (head.indir_size > RXQ_NIC_INDIR_MAX || head.key_size > RXQ_NIC_KEY_MAX)
			return -E2BIG;
		rxfh = calloc(1, sizeof(*rxfh) + head.indir_size * 4 + head.key_size);
		if (!rxfh)
			return -ENOMEM;
		rxfh->cmd = ETHTOOL_GRSSH;
		rxfh->indir_size = head.indir_size;
		rxfh->key_size = head.key_size;
		err = nic_ioctl(nic, rxfh);
		if (!err) {
			out->hfunc = rxfh->hfunc;
			out->indir_size = rxfh->indir_size;
			memcpy(out->indir, rxfh->rss_config, rxfh->indir_size * 4);
			out->key_len = rxfh->key_size;
			memcpy(out->key, (uint8_t *)rxfh->rss_config + rxfh->indir_size * 4,
			       rxfh->key_size);
		}
		free(rxfh);
		return err;
	}
	if (err != -EOPNOTSUPP)
		return err;
	*op = "ETHTOOL_GRXFHINDIR";
	err = nic_ioctl(nic, &ihead);
	if (err)
		return err;
	if (ihead.size > RXQ_NIC_INDIR_MAX)
		return -E2BIG;
	ind = calloc(1, sizeof(*ind) + ihead.size * 4);
	if (!ind)
		return -ENOMEM;
	ind->cmd = ETHTOOL_GRXFHINDIR;
	ind->size = ihead.size;
	err = nic_ioctl(nic, ind);
	if (!err) {
		out->indir_size = ind->size;
		memcpy(out->indir, ind->ring_index, ind->size * 4);
	}
	free(ind);
	return err;
}

int nic_rss_read(struct rxq_nic *nic, struct rxq_nic_rss *out, const char **op)
{
	struct rss_parse rp = { .out = out };
	char buf[512];
	struct nlmsghdr *nlh;
	int err;

	*op = "ETHTOOL_MSG_RSS_GET";
	memset(out, 0, sizeof(*out));
	nlh = nic_eth_req(buf, RXQ_ETHTOOL_MSG_RSS_GET, nic->name, 0, false);
	err = nic_genl(nic, "ethtool", nlh, rss_msg_cb, &rp);
	if (!err && !rp.got)
		err = -EBADMSG;
	/* Netlink RSS_GET is 6.3+; older kernels and some drivers answer EOPNOTSUPP. */
	if (err == -EOPNOTSUPP) {
		memset(out, 0, sizeof(*out));
		err = rss_ioctl(nic, out, op);
	}
	if (!err && !out->indir_size)
		err = -EOPNOTSUPP;
	return err;
}

int rxq_nic__rss(struct rxq_nic *nic, struct rxq_nic_rss *out)
{
	const char *op;
	int err = nic_rss_read(nic, out, &op);

	if (err == -EOPNOTSUPP)
		rxq_err("%s does not support RSS indirection (%s: EOPNOTSUPP)", nic->driver, op);
	else if (err)
		rxq_err("%s: cannot read the RSS indirection table (%s: %s)", nic->name, op,
			nic_errname(err));
	return err;
}

int nic_set_indir(struct rxq_nic *nic, const uint32_t *indir, unsigned size)
{
	struct ethtool_rxfh_indir *ind;
	int err = -EOPNOTSUPP;

	if (nic->rss_set_netlink >= 0) {
		char *buf = malloc(MNL_SOCKET_BUFFER_SIZE + size * 4);
		struct nlmsghdr *nlh;

		if (!buf)
			return -ENOMEM;
		nlh = nic_eth_req(buf, RXQ_ETHTOOL_MSG_RSS_SET, nic->name, 0, false);
		mnl_attr_put(nlh, RXQ_ETHTOOL_A_RSS_INDIR, size * 4, indir);
		err = nic_genl(nic, "ethtool", nlh, NULL, NULL);
		free(buf);
		if (!err) {
			nic->rss_set_netlink = 1;
			return 0;
		}
		if (err != -EOPNOTSUPP)
			return err;
		/* RSS_SET is 6.17+: the ioctl does the same on older kernels. */
		nic->rss_set_netlink = -1;
	}
	ind = calloc(1, sizeof(*ind) + size * 4);
	if (!ind)
		return -ENOMEM;
	ind->cmd = ETHTOOL_SRXFHINDIR;
	ind->size = size;
	memcpy(ind->ring_index, indir, size * 4);
	err = nic_ioctl(nic, ind);
	free(ind);
	return err;
}

int nic_rx_rings(struct rxq_nic *nic, uint32_t *n)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXRINGS };
	int err = nic_ioctl(nic, &nfc);

	if (!err)
		*n = (uint32_t)nfc.data;
	return err;
}

/* ---- ntuple rules ---- */

static uint32_t prefix_mask4(unsigned plen)
{
	return plen ? htonl(~0u << (32 - plen)) : 0;
}

static void prefix_mask6(unsigned plen, uint32_t m[4])
{
	unsigned i;

	for (i = 0; i < 4; i++) {
		unsigned bits = plen > 32 * i ? plen - 32 * i : 0;

		m[i] = bits >= 32 ? 0xffffffffu : prefix_mask4(bits);
	}
}

/* An IPv6 address and its prefix mask as ntuple value/mask words (network order). */
static void prefix_set6(uint32_t value[4], uint32_t mask[4], const struct rxq_addr *a,
			unsigned plen)
{
	unsigned i;

	prefix_mask6(plen, mask);
	for (i = 0; i < 4; i++) {
		uint32_t w;

		memcpy(&w, &a->b[4 * i], 4);
		value[i] = w & mask[i];
	}
}

/* Prefix length of a mask in network order, -1 if not a prefix. */
static int mask_plen(const uint8_t *m, unsigned bytes)
{
	unsigned i, plen = 0;
	bool ended = false;

	for (i = 0; i < bytes * 8; i++) {
		bool bit = m[i / 8] & (0x80 >> (i % 8));

		if (bit && ended)
			return -1;
		if (bit)
			plen++;
		else
			ended = true;
	}
	return (int)plen;
}

int rxq_nic_rule__from_spec(struct rxq_nic_rule *r, const struct rxq_flowspec *spec, bool drop,
			    uint32_t queue, uint32_t loc)
{
	struct ethtool_rx_flow_spec *fs = &r->fs;
	bool v6 = spec->family == AF_INET6;
	bool ip_only = spec->any_proto || (spec->fields & RXQ_FS_PROTO);

	memset(r, 0, sizeof(*r));
	r->has_spec = true;
	r->spec = *spec;
	fs->location = loc;
	fs->ring_cookie = drop ? RX_CLS_FLOW_DISC : queue;
	if (!v6 && !ip_only) {
		struct ethtool_tcpip4_spec *h = &fs->h_u.tcp_ip4_spec, *m = &fs->m_u.tcp_ip4_spec;

		fs->flow_type = spec->proto == IPPROTO_TCP ? TCP_V4_FLOW : UDP_V4_FLOW;
		if (spec->fields & RXQ_FS_SRC_IP) {
			m->ip4src = prefix_mask4(spec->src_plen);
			h->ip4src = spec->src_ip.v4.s_addr & m->ip4src;
		}
		if (spec->fields & RXQ_FS_DST_IP) {
			m->ip4dst = prefix_mask4(spec->dst_plen);
			h->ip4dst = spec->dst_ip.v4.s_addr & m->ip4dst;
		}
		if (spec->fields & RXQ_FS_SRC_PORT) {
			h->psrc = htons(spec->src_port);
			m->psrc = 0xffff;
		}
		if (spec->fields & RXQ_FS_DST_PORT) {
			h->pdst = htons(spec->dst_port);
			m->pdst = 0xffff;
		}
	} else if (!v6) {
		struct ethtool_usrip4_spec *h = &fs->h_u.usr_ip4_spec, *m = &fs->m_u.usr_ip4_spec;

		fs->flow_type = IPV4_USER_FLOW;
		h->ip_ver = ETH_RX_NFC_IP4;
		if (spec->fields & RXQ_FS_SRC_IP) {
			m->ip4src = prefix_mask4(spec->src_plen);
			h->ip4src = spec->src_ip.v4.s_addr & m->ip4src;
		}
		if (spec->fields & RXQ_FS_DST_IP) {
			m->ip4dst = prefix_mask4(spec->dst_plen);
			h->ip4dst = spec->dst_ip.v4.s_addr & m->ip4dst;
		}
		if (spec->fields & RXQ_FS_PROTO) {
			h->proto = spec->proto;
			m->proto = 0xff;
		}
	} else if (!ip_only) {
		struct ethtool_tcpip6_spec *h = &fs->h_u.tcp_ip6_spec, *m = &fs->m_u.tcp_ip6_spec;

		fs->flow_type = spec->proto == IPPROTO_TCP ? TCP_V6_FLOW : UDP_V6_FLOW;
		if (spec->fields & RXQ_FS_SRC_IP)
			prefix_set6(h->ip6src, m->ip6src, &spec->src_ip, spec->src_plen);
		if (spec->fields & RXQ_FS_DST_IP)
			prefix_set6(h->ip6dst, m->ip6dst, &spec->dst_ip, spec->dst_plen);
		if (spec->fields & RXQ_FS_SRC_PORT) {
			h->psrc = htons(spec->src_port);
			m->psrc = 0xffff;
		}
		if (spec->fields & RXQ_FS_DST_PORT) {
			h->pdst = htons(spec->dst_port);
			m->pdst = 0xffff;
		}
	} else {
		struct ethtool_usrip6_spec *h = &fs->h_u.usr_ip6_spec, *m = &fs->m_u.usr_ip6_spec;

		fs->flow_type = IPV6_USER_FLOW;
		if (spec->fields & RXQ_FS_SRC_IP)
			prefix_set6(h->ip6src, m->ip6src, &spec->src_ip, spec->src_plen);
		if (spec->fields & RXQ_FS_DST_IP)
			prefix_set6(h->ip6dst, m->ip6dst, &spec->dst_ip, spec->dst_plen);
		if (spec->fields & RXQ_FS_PROTO) {
			h->l4_proto = spec->proto;
			m->l4_proto = 0xff;
		}
	}
	return 0;
}

static bool take_addr(struct rxq_flowspec *s, uint32_t field, const void *val, const void *mask,
		      unsigned bytes, uint8_t family)
{
	struct rxq_addr *a = field == RXQ_FS_SRC_IP ? &s->src_ip : &s->dst_ip;
	uint8_t *plen = field == RXQ_FS_SRC_IP ? &s->src_plen : &s->dst_plen;
	static const uint8_t zero[16];
	int p;

	if (!memcmp(mask, zero, bytes))
		return true;
	p = mask_plen(mask, bytes);
	if (p < 0)
		return false;
	a->family = family;
	memcpy(a->b, val, bytes);
	*plen = (uint8_t)p;
	s->fields |= field;
	return true;
}

static bool take_port(struct rxq_flowspec *s, uint32_t field, uint16_t val, uint16_t mask)
{
	if (!mask)
		return true;
	if (mask != 0xffff)
		return false;
	if (field == RXQ_FS_SRC_PORT)
		s->src_port = ntohs(val);
	else
		s->dst_port = ntohs(val);
	s->fields |= field;
	return true;
}

/* The flow spec a driver rule is, if the grammar can say it. */
static bool rule_to_spec(const struct ethtool_rx_flow_spec *fs, struct rxq_flowspec *s)
{
	uint32_t type = fs->flow_type & ~(FLOW_EXT | FLOW_MAC_EXT | FLOW_RSS);
	static const uint8_t zero[sizeof(fs->m_ext)];

	memset(s, 0, sizeof(*s));
	if ((fs->flow_type & (FLOW_EXT | FLOW_MAC_EXT)) && memcmp(&fs->m_ext, zero, sizeof(zero)))
		return false;
	switch (type) {
	case TCP_V4_FLOW:
	case UDP_V4_FLOW: {
		const struct ethtool_tcpip4_spec *h = &fs->h_u.tcp_ip4_spec, *m = &fs->m_u.tcp_ip4_spec;

		s->family = AF_INET;
		s->proto = type == TCP_V4_FLOW ? IPPROTO_TCP : IPPROTO_UDP;
		return !m->tos && take_addr(s, RXQ_FS_SRC_IP, &h->ip4src, &m->ip4src, 4, AF_INET) &&
		       take_addr(s, RXQ_FS_DST_IP, &h->ip4dst, &m->ip4dst, 4, AF_INET) &&
		       take_port(s, RXQ_FS_SRC_PORT, h->psrc, m->psrc) &&
		       take_port(s, RXQ_FS_DST_PORT, h->pdst, m->pdst);
	}
	case IPV4_USER_FLOW: {
		const struct ethtool_usrip4_spec *h = &fs->h_u.usr_ip4_spec, *m = &fs->m_u.usr_ip4_spec;

		s->family = AF_INET;
		if (m->tos || m->l4_4_bytes || (m->proto && m->proto != 0xff))
			return false;
		if (m->proto) {
			s->proto = h->proto;
			s->fields |= RXQ_FS_PROTO;
		} else {
			s->any_proto = true;
		}
		return take_addr(s, RXQ_FS_SRC_IP, &h->ip4src, &m->ip4src, 4, AF_INET) &&
		       take_addr(s, RXQ_FS_DST_IP, &h->ip4dst, &m->ip4dst, 4, AF_INET);
	}
	case TCP_V6_FLOW:
	case UDP_V6_FLOW: {
		const struct ethtool_tcpip6_spec *h = &fs->h_u.tcp_ip6_spec, *m = &fs->m_u.tcp_ip6_spec;

		s->family = AF_INET6;
		s->proto = type == TCP_V6_FLOW ? IPPROTO_TCP : IPPROTO_UDP;
		return !m->tclass &&
		       take_addr(s, RXQ_FS_SRC_IP, h->ip6src, m->ip6src, 16, AF_INET6) &&
		       take_addr(s, RXQ_FS_DST_IP, h->ip6dst, m->ip6dst, 16, AF_INET6) &&
		       take_port(s, RXQ_FS_SRC_PORT, h->psrc, m->psrc) &&
		       take_port(s, RXQ_FS_DST_PORT, h->pdst, m->pdst);
	}
	case IPV6_USER_FLOW: {
		const struct ethtool_usrip6_spec *h = &fs->h_u.usr_ip6_spec, *m = &fs->m_u.usr_ip6_spec;

		s->family = AF_INET6;
		if (m->tclass || m->l4_4_bytes || (m->l4_proto && m->l4_proto != 0xff))
			return false;
		if (m->l4_proto) {
			s->proto = h->l4_proto;
			s->fields |= RXQ_FS_PROTO;
		} else {
			s->any_proto = true;
		}
		return take_addr(s, RXQ_FS_SRC_IP, h->ip6src, m->ip6src, 16, AF_INET6) &&
		       take_addr(s, RXQ_FS_DST_IP, h->ip6dst, m->ip6dst, 16, AF_INET6);
	}
	default:
		return false;
	}
}

int rxq_nic_rule__format(const struct rxq_nic_rule *r, char *buf, size_t len)
{
	char spec[200], action[32];
	struct rxq_flowspec s;
	int n;

	if (r->has_spec)
		s = r->spec;
	if (r->has_spec || rule_to_spec(&r->fs, &s)) {
		if (rxq_flowspec__format(&s, spec, sizeof(spec)))
			snprintf(spec, sizeof(spec), "?");
	} else {
		snprintf(spec, sizeof(spec), "flow-type 0x%x", r->fs.flow_type);
	}
	if (r->fs.ring_cookie == RX_CLS_FLOW_DISC)
		snprintf(action, sizeof(action), "drop");
	else
		snprintf(action, sizeof(action), "%llu",
			 (unsigned long long)ethtool_get_flow_spec_ring(r->fs.ring_cookie));
	if (r->fs.location == RX_CLS_LOC_ANY)
		n = snprintf(buf, len, "%s action %s", spec, action);
	else
		n = snprintf(buf, len, "%s action %s loc %u", spec, action, r->fs.location);
	return n < 0 || (size_t)n >= len ? -ENOSPC : 0;
}

int nic_rule_table(struct rxq_nic *nic, uint32_t *size, bool *any_loc, uint32_t **locs,
		   unsigned *n)
{
	struct ethtool_rxnfc cnt = { .cmd = ETHTOOL_GRXCLSRLCNT };
	struct ethtool_rxnfc *all;
	int err;

	*locs = NULL;
	*n = 0;
	err = nic_ioctl(nic, &cnt);
	if (err)
		return err;
	*size = (uint32_t)(cnt.data & ~(uint64_t)RX_CLS_LOC_SPECIAL);
	*any_loc = cnt.data & RX_CLS_LOC_SPECIAL;
	if (cnt.rule_cnt > 65536)
		return -E2BIG;
	all = calloc(1, sizeof(*all) + (cnt.rule_cnt + 1) * sizeof(uint32_t));
	if (!all)
		return -ENOMEM;
	all->cmd = ETHTOOL_GRXCLSRLALL;
	all->rule_cnt = cnt.rule_cnt;
	if (cnt.rule_cnt) {
		err = nic_ioctl(nic, all);
		if (err) {
			free(all);
			return err;
		}
	}
	*locs = malloc((all->rule_cnt + 1) * sizeof(uint32_t));
	if (!*locs) {
		free(all);
		return -ENOMEM;
	}
	memcpy(*locs, all->rule_locs, all->rule_cnt * sizeof(uint32_t));
	*n = all->rule_cnt;
	if (!*size)
		*size = (uint32_t)(all->data & ~(uint64_t)RX_CLS_LOC_SPECIAL);
	free(all);
	return 0;
}

int nic_rule_get(struct rxq_nic *nic, uint32_t loc, struct ethtool_rx_flow_spec *fs)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXCLSRULE };
	int err;

	nfc.fs.location = loc;
	err = nic_ioctl(nic, &nfc);
	if (!err)
		*fs = nfc.fs;
	return err;
}

int nic_rule_insert(struct rxq_nic *nic, struct ethtool_rx_flow_spec *fs)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_SRXCLSRLINS };
	int err;

	nfc.fs = *fs;
	err = nic_ioctl(nic, &nfc);
	/* The kernel writes back the location it chose for RX_CLS_LOC_ANY. */
	if (!err)
		fs->location = nfc.fs.location;
	return err;
}

int nic_rule_delete(struct rxq_nic *nic, uint32_t loc)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_SRXCLSRLDEL };

	nfc.fs.location = loc;
	return nic_ioctl(nic, &nfc);
}

int rxq_nic__rules(struct rxq_nic *nic, struct rxq_nic_rule **out, unsigned *n)
{
	uint32_t size = 0, *locs;
	bool any;
	unsigned i, cnt;
	struct rxq_nic_rule *rules;
	int err;

	*out = NULL;
	*n = 0;
	err = nic_rule_table(nic, &size, &any, &locs, &cnt);
	if (err) {
		if (err == -EOPNOTSUPP)
			rxq_err("%s does not support ntuple rules (ETHTOOL_GRXCLSRLCNT: EOPNOTSUPP)",
				nic->driver);
		else
			rxq_err("%s: cannot list ntuple rules (ETHTOOL_GRXCLSRLCNT: %s)", nic->name,
				nic_errname(err));
		return err;
	}
	rules = calloc(cnt + 1, sizeof(*rules));
	if (!rules) {
		free(locs);
		return -ENOMEM;
	}
	for (i = 0; i < cnt; i++) {
		err = nic_rule_get(nic, locs[i], &rules[i].fs);
		if (err) {
			rxq_err("%s: cannot read ntuple rule %u (ETHTOOL_GRXCLSRULE: %s)", nic->name,
				locs[i], nic_errname(err));
			free(rules);
			free(locs);
			return err;
		}
		rules[i].has_spec = rule_to_spec(&rules[i].fs, &rules[i].spec);
	}
	free(locs);
	*out = rules;
	*n = cnt;
	return 0;
}

/* ---- driver statistics ---- */

int rxq_nic__stats(struct rxq_nic *nic, struct rxq_nic_stat **out, unsigned *n)
{
	/* The header and the one count it returns for the one set asked for. */
	uint64_t sset_buf[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8] = { 0 };
	struct ethtool_sset_info *sset = (struct ethtool_sset_info *)sset_buf;
	struct ethtool_gstrings *strings = NULL;
	struct ethtool_stats *stats = NULL;
	struct rxq_nic_stat *res = NULL;
	uint32_t count, i;
	int err;

	*out = NULL;
	*n = 0;
	sset->cmd = ETHTOOL_GSSET_INFO;
	sset->sset_mask = 1ull << ETH_SS_STATS;
	err = nic_ioctl(nic, sset);
	if (err)
		return err;
	count = sset->sset_mask ? sset->data[0] : 0;
	if (count > 65536)
		return -E2BIG;
	if (!count)
		return 0;
	strings = calloc(1, sizeof(*strings) + count * ETH_GSTRING_LEN);
	stats = calloc(1, sizeof(*stats) + count * sizeof(uint64_t));
	res = calloc(count, sizeof(*res));
	if (!strings || !stats || !res) {
		err = -ENOMEM;
		goto out;
	}
	strings->cmd = ETHTOOL_GSTRINGS;
	strings->string_set = ETH_SS_STATS;
	strings->len = count;
	err = nic_ioctl(nic, strings);
	if (err)
		goto out;
	stats->cmd = ETHTOOL_GSTATS;
	stats->n_stats = count;
	err = nic_ioctl(nic, stats);
	if (err)
		goto out;
	for (i = 0; i < count && i < strings->len && i < stats->n_stats; i++) {
		memcpy(res[i].name, strings->data + i * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
		res[i].name[ETH_GSTRING_LEN] = '\0';
		res[i].value = stats->data[i];
	}
	*out = res;
	*n = i;
	res = NULL;
out:
	free(res);
	free(strings);
	free(stats);
	return err;
}
