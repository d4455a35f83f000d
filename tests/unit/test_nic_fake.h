/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
/*
 * A scripted kernel for the rxq_nic tests, behind struct rxq_sys_ops.
 *
 * Reads (ethtool GETs, netdev dumps, GDRVINFO, rule and stats queries) are answered from a small
 * model of the NIC. Every changing request (netlink *_SET, SRXCLSRLINS/DEL, SRXFHINDIR, SRXFH,
 * SIOCSHWTSTAMP) must be the next line of the script, described in one line exactly as the
 * library's request describer prints it; the scripted errno is returned, or on success the model
 * changes. Any request that is not expected fails the test, as does a script not played to its
 * end.
 * File writes go to the fixture copy, except paths matching fail_path, which fail with fail_err.
 */
#ifndef RXQ_TEST_NIC_FAKE_H
#define RXQ_TEST_NIC_FAKE_H

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <libmnl/libmnl.h>

#include "rxq/log.h"
#include "rxq/nic.h"

/* The library's request describer (lib/nic/describe.c). */
int nic_describe_genl(const char *family, const struct nlmsghdr *nlh, char *buf, size_t len);
int nic_describe_ioctl(const void *cmd, char *buf, size_t len);
int nic_describe_hwtstamp(bool set, const void *cfg, char *buf, size_t len);

#define FAKE_MSG_RSS_GET 38
#define FAKE_MSG_RSS_SET 48

struct fake_feature {
	const char *name;
	bool on, fixed;
};

struct fake {
	/* the NIC */
	const char *driver;
	int ifindex;
	unsigned nrx;
	bool has_channels;
	uint32_t ch[8]; /* rx-max tx-max other-max combined-max rx tx other combined */
	bool has_features;
	struct fake_feature feat[16];
	unsigned nfeat;
	bool has_coalesce;
	uint32_t rx_usecs, tx_usecs;
	uint8_t adaptive_rx;
	bool has_pause;
	uint8_t pause[3]; /* autoneg rx tx */
	bool has_rss, rss_get_netlink, rss_set_netlink;
	uint32_t indir[128];
	unsigned indir_size;
	bool has_rxfh; /* RSS hash fields (ETHTOOL_GRXFH/SRXFH) */
	bool rxfh_type[32]; /* the flow types it has a setting for (others: EINVAL) */
	uint64_t rxfh[32];
	bool has_hwtstamp; /* SIOCGHWTSTAMP/SIOCSHWTSTAMP (else EOPNOTSUPP) */
	struct ethtool_ts_info ts_info; /* what ETHTOOL_GET_TS_INFO reports */
	int ts_tx, ts_rx; /* in force */
	int ts_widen_from, ts_widen_to; /* the driver stamps _to when asked _from (0: never) */
	bool has_ntuple, any_loc;
	uint32_t rule_size;
	bool rule_used[64];
	struct ethtool_rx_flow_spec rules[64];
	bool has_stats;
	uint64_t stats[4];
	bool has_netdev;
	int napi_irq[16]; /* irq of queue i's NAPI (id 1000 + i), -1: none reported */
	/* the script of changing requests */
	struct {
		const char *req;
		int err;
	} script[48];
	unsigned nscript, pos;
	/* file writes that fail */
	const char *fail_path;
	int fail_err;
	unsigned writes;
};

static inline void fake_expect(struct fake *f, const char *req, int err)
{
	assert_true(f->nscript < sizeof(f->script) / sizeof(f->script[0]));
	f->script[f->nscript].req = req;
	f->script[f->nscript].err = err;
	f->nscript++;
}

static inline void fake_done(struct fake *f)
{
	if (f->pos != f->nscript)
		fail_msg("the script expected more: request %u is '%s'", f->pos + 1,
			 f->script[f->pos].req);
}

static int fake_scripted(struct fake *f, const char *desc)
{
	if (f->pos >= f->nscript)
		fail_msg("unexpected request: %s", desc);
	if (strcmp(f->script[f->pos].req, desc))
		fail_msg("request %u:\n  expected %s\n  got      %s", f->pos + 1,
			 f->script[f->pos].req, desc);
	return f->script[f->pos++].err;
}

/* An ixgbe-like eth3: 8 combined channels, RSS over 128 entries, ntuple with 2048 locations. */
static inline void fake_ixgbe(struct fake *f)
{
	unsigned i;

	memset(f, 0, sizeof(*f));
	f->driver = "ixgbe";
	f->ifindex = 4;
	f->nrx = 8;
	f->has_channels = true;
	f->ch[0] = 0, f->ch[1] = 0, f->ch[2] = 1, f->ch[3] = 63;
	f->ch[6] = 1, f->ch[7] = 8;
	f->has_features = true;
	f->feat[f->nfeat++] = (struct fake_feature){ "rx-gro", true, false };
	f->feat[f->nfeat++] = (struct fake_feature){ "rx-lro", false, false };
	f->feat[f->nfeat++] = (struct fake_feature){ "rx-ntuple-filter", false, false };
	f->feat[f->nfeat++] = (struct fake_feature){ "rx-hashing", true, false };
	f->feat[f->nfeat++] = (struct fake_feature){ "rx-checksum", true, true };
	f->has_coalesce = true;
	f->rx_usecs = 1;
	f->adaptive_rx = 0;
	f->has_pause = true;
	f->pause[0] = 0, f->pause[1] = 1, f->pause[2] = 1;
	f->has_rss = true;
	f->indir_size = 128;
	for (i = 0; i < 128; i++)
		f->indir[i] = i % 8;
	f->has_rxfh = true;
	f->rxfh_type[TCP_V4_FLOW] = f->rxfh_type[TCP_V6_FLOW] = true;
	f->rxfh_type[UDP_V4_FLOW] = f->rxfh_type[UDP_V6_FLOW] = true;
	f->rxfh_type[IPV4_FLOW] = f->rxfh_type[IPV6_FLOW] = true;
	f->rxfh[TCP_V4_FLOW] = f->rxfh[TCP_V6_FLOW] = RXH_IP_SRC | RXH_IP_DST | RXH_L4_B_0_1 |
						      RXH_L4_B_2_3;
	f->rxfh[UDP_V4_FLOW] = f->rxfh[UDP_V6_FLOW] = RXH_IP_SRC | RXH_IP_DST;
	f->rxfh[IPV4_FLOW] = f->rxfh[IPV6_FLOW] = RXH_IP_SRC | RXH_IP_DST;
	f->has_hwtstamp = true;
	f->ts_info.so_timestamping = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_TX_SOFTWARE |
				     SOF_TIMESTAMPING_RX_HARDWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
				     SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_RAW_HARDWARE;
	f->ts_info.phc_index = 0;
	f->ts_info.tx_types = 1u << HWTSTAMP_TX_OFF | 1u << HWTSTAMP_TX_ON;
	f->ts_info.rx_filters = 1u << HWTSTAMP_FILTER_NONE | 1u << HWTSTAMP_FILTER_ALL |
				1u << HWTSTAMP_FILTER_PTP_V2_L4_SYNC |
				1u << HWTSTAMP_FILTER_PTP_V2_EVENT;
	f->ts_widen_from = HWTSTAMP_FILTER_PTP_V2_L4_SYNC;
	f->ts_widen_to = HWTSTAMP_FILTER_PTP_V2_EVENT;
	f->has_ntuple = true;
	f->rule_size = 64;
	f->has_stats = true;
	f->stats[0] = 100, f->stats[1] = 5, f->stats[2] = 7, f->stats[3] = 9;
	for (i = 0; i < 16; i++)
		f->napi_irq[i] = -1;
}

/* A veth-like device: rx/tx channels only, no RSS, no ntuple, no coalescing, no pause. */
static inline void fake_veth(struct fake *f)
{
	unsigned i;

	memset(f, 0, sizeof(*f));
	f->driver = "veth";
	f->ifindex = 9;
	f->nrx = 4;
	f->has_channels = true;
	f->ch[0] = 4, f->ch[1] = 4, f->ch[4] = 4, f->ch[5] = 4;
	f->has_features = true;
	f->feat[f->nfeat++] = (struct fake_feature){ "rx-gro", false, false };
	f->feat[f->nfeat++] = (struct fake_feature){ "rx-lro", false, true };
	f->feat[f->nfeat++] = (struct fake_feature){ "rx-ntuple-filter", false, true };
	f->ts_info.so_timestamping = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
				     SOF_TIMESTAMPING_SOFTWARE;
	f->ts_info.phc_index = -1;
	for (i = 0; i < 16; i++)
		f->napi_irq[i] = -1;
}

static struct fake_feature *fake_feat(struct fake *f, const char *name)
{
	unsigned i;

	for (i = 0; i < f->nfeat; i++)
		if (!strcmp(f->feat[i].name, name))
			return &f->feat[i];
	return NULL;
}

/* ---- ioctl ---- */

static int fake_ioctl(void *ctx, const char *ifname, void *cmdp)
{
	struct fake *f = ctx;
	char desc[2048];
	uint32_t cmd;
	unsigned i, n;
	int err;

	(void)ifname;
	memcpy(&cmd, cmdp, sizeof(cmd));
	nic_describe_ioctl(cmdp, desc, sizeof(desc));
	switch (cmd) {
	case ETHTOOL_GDRVINFO: {
		struct ethtool_drvinfo *d = cmdp;

		snprintf(d->driver, sizeof(d->driver), "%s", f->driver);
		snprintf(d->bus_info, sizeof(d->bus_info), "0000:03:00.0");
		return 0;
	}
	case ETHTOOL_GSSET_INFO: {
		struct ethtool_sset_info *s = cmdp;

		if (!f->has_stats)
			return -EOPNOTSUPP;
		s->data[0] = 4;
		return 0;
	}
	case ETHTOOL_GSTRINGS: {
		static const char names[4][ETH_GSTRING_LEN] = { "rx_packets", "fdir_match",
								"fdir_miss", "rx_queue_4_packets" };
		struct ethtool_gstrings *s = cmdp;

		memcpy(s->data, names, sizeof(names));
		s->len = 4;
		return 0;
	}
	case ETHTOOL_GSTATS: {
		struct ethtool_stats *s = cmdp;

		memcpy(s->data, f->stats, sizeof(f->stats));
		s->n_stats = 4;
		return 0;
	}
	case ETHTOOL_GRXRINGS: {
		struct ethtool_rxnfc *r = cmdp;

		if (!f->has_rss)
			return -EOPNOTSUPP;
		r->data = f->nrx;
		return 0;
	}
	case ETHTOOL_GRSSH: {
		struct ethtool_rxfh *r = cmdp;

		if (!f->has_rss)
			return -EOPNOTSUPP;
		if (r->indir_size) {
			memcpy(r->rss_config, f->indir, f->indir_size * 4);
			memset((uint8_t *)r->rss_config + f->indir_size * 4, 0x6d, 40);
		}
		r->indir_size = f->indir_size;
		r->key_size = 40;
		r->hfunc = 1;
		return 0;
	}
	case ETHTOOL_GRXFHINDIR: {
		struct ethtool_rxfh_indir *r = cmdp;

		if (!f->has_rss)
			return -EOPNOTSUPP;
		if (r->size)
			memcpy(r->ring_index, f->indir, f->indir_size * 4);
		r->size = f->indir_size;
		return 0;
	}
	case ETHTOOL_SRXFHINDIR: {
		struct ethtool_rxfh_indir *r = cmdp;

		if (!f->has_rss)
			return -EOPNOTSUPP;
		err = fake_scripted(f, desc);
		if (err)
			return err;
		assert_int_equal(r->size, f->indir_size);
		memcpy(f->indir, r->ring_index, f->indir_size * 4);
		return 0;
	}
	case ETHTOOL_GET_TS_INFO: {
		struct ethtool_ts_info *ts = cmdp;

		*ts = f->ts_info;
		ts->cmd = ETHTOOL_GET_TS_INFO;
		return 0;
	}
	case ETHTOOL_GRXFH:
	case ETHTOOL_SRXFH: {
		struct ethtool_rxnfc *r = cmdp;

		if (!f->has_rxfh)
			return -EOPNOTSUPP;
		if (r->flow_type >= 32 || !f->rxfh_type[r->flow_type])
			return -EINVAL;
		if (cmd == ETHTOOL_GRXFH) {
			r->data = f->rxfh[r->flow_type];
			return 0;
		}
		err = fake_scripted(f, desc);
		if (err)
			return err;
		f->rxfh[r->flow_type] = r->data;
		return 0;
	}
	case ETHTOOL_GRXCLSRLCNT: {
		struct ethtool_rxnfc *r = cmdp;

		if (!f->has_ntuple)
			return -EOPNOTSUPP;
		for (i = 0, n = 0; i < 64; i++)
			n += f->rule_used[i];
		r->rule_cnt = n;
		r->data = f->rule_size | (f->any_loc ? RX_CLS_LOC_SPECIAL : 0);
		return 0;
	}
	case ETHTOOL_GRXCLSRLALL: {
		struct ethtool_rxnfc *r = cmdp;

		if (!f->has_ntuple)
			return -EOPNOTSUPP;
		for (i = 0, n = 0; i < 64; i++)
			if (f->rule_used[i]) {
				assert_true(n < r->rule_cnt);
				r->rule_locs[n++] = i;
			}
		r->rule_cnt = n;
		r->data = f->rule_size;
		return 0;
	}
	case ETHTOOL_GRXCLSRULE: {
		struct ethtool_rxnfc *r = cmdp;

		if (!f->has_ntuple)
			return -EOPNOTSUPP;
		if (r->fs.location >= 64 || !f->rule_used[r->fs.location])
			return -ENOENT;
		r->fs = f->rules[r->fs.location];
		return 0;
	}
	case ETHTOOL_SRXCLSRLINS: {
		struct ethtool_rxnfc *r = cmdp;

		if (!f->has_ntuple)
			return -EOPNOTSUPP;
		err = fake_scripted(f, desc);
		if (err)
			return err;
		if (r->fs.location == RX_CLS_LOC_ANY) {
			for (i = 0; i < 64 && f->rule_used[i]; i++)
				;
			r->fs.location = i;
		}
		assert_true(r->fs.location < 64);
		assert_false(f->rule_used[r->fs.location]);
		f->rule_used[r->fs.location] = true;
		f->rules[r->fs.location] = r->fs;
		return 0;
	}
	case ETHTOOL_SRXCLSRLDEL: {
		struct ethtool_rxnfc *r = cmdp;

		if (!f->has_ntuple)
			return -EOPNOTSUPP;
		err = fake_scripted(f, desc);
		if (err)
			return err;
		assert_true(r->fs.location < 64 && f->rule_used[r->fs.location]);
		f->rule_used[r->fs.location] = false;
		return 0;
	}
	default:
		fail_msg("unexpected ioctl: %s", desc);
	}
	return -EOPNOTSUPP;
}

/* ---- netlink ---- */

static struct nlmsghdr *fake_reply(char *buf, uint8_t cmd)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct genlmsghdr *g;

	nlh->nlmsg_type = 0x20;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void fake_bitset(struct nlmsghdr *nlh, uint16_t type, const struct fake *f, int which)
{
	struct nlattr *set = mnl_attr_nest_start(nlh, type), *bits;
	unsigned i;

	mnl_attr_put(nlh, ETHTOOL_A_BITSET_NOMASK, 0, NULL);
	mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_SIZE, 64);
	bits = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS);
	for (i = 0; i < f->nfeat; i++) {
		bool in = which == 0 ? !f->feat[i].fixed : f->feat[i].on;
		struct nlattr *bit;

		if (!in)
			continue;
		bit = mnl_attr_nest_start(nlh, ETHTOOL_A_BITSET_BITS_BIT);
		mnl_attr_put_u32(nlh, ETHTOOL_A_BITSET_BIT_INDEX, i);
		mnl_attr_put_strz(nlh, ETHTOOL_A_BITSET_BIT_NAME, f->feat[i].name);
		mnl_attr_nest_end(nlh, bit);
	}
	mnl_attr_nest_end(nlh, bits);
	mnl_attr_nest_end(nlh, set);
}

struct fake_set {
	struct fake *f;
	uint8_t cmd;
};

static int fake_bit_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;

	if (mnl_attr_get_type(a) <= ETHTOOL_A_BITSET_BIT_VALUE)
		tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

static int fake_bits_cb(const struct nlattr *a, void *data)
{
	struct fake *f = data;
	const struct nlattr *tb[ETHTOOL_A_BITSET_BIT_VALUE + 1] = { 0 };
	struct fake_feature *ft;

	mnl_attr_parse_nested(a, fake_bit_cb, tb);
	assert_non_null(tb[ETHTOOL_A_BITSET_BIT_NAME]);
	ft = fake_feat(f, mnl_attr_get_str(tb[ETHTOOL_A_BITSET_BIT_NAME]));
	assert_non_null(ft);
	ft->on = tb[ETHTOOL_A_BITSET_BIT_VALUE] != NULL;
	return MNL_CB_OK;
}

static int fake_wanted_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_BITS)
		mnl_attr_parse_nested(a, fake_bits_cb, data);
	return MNL_CB_OK;
}

static int fake_set_cb(const struct nlattr *a, void *data)
{
	struct fake_set *s = data;
	struct fake *f = s->f;
	unsigned t = mnl_attr_get_type(a);

	if (t == 1)
		return MNL_CB_OK;
	switch (s->cmd) {
	case ETHTOOL_MSG_CHANNELS_SET:
		assert_true(t >= ETHTOOL_A_CHANNELS_RX_COUNT &&
			    t <= ETHTOOL_A_CHANNELS_COMBINED_COUNT);
		f->ch[t - ETHTOOL_A_CHANNELS_RX_MAX] = mnl_attr_get_u32(a);
		break;
	case ETHTOOL_MSG_COALESCE_SET:
		if (t == ETHTOOL_A_COALESCE_RX_USECS)
			f->rx_usecs = mnl_attr_get_u32(a);
		else if (t == ETHTOOL_A_COALESCE_TX_USECS)
			f->tx_usecs = mnl_attr_get_u32(a);
		else if (t == ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX)
			f->adaptive_rx = mnl_attr_get_u8(a);
		else
			fail_msg("coalesce attribute %u not modelled", t);
		break;
	case ETHTOOL_MSG_PAUSE_SET:
		assert_true(t >= ETHTOOL_A_PAUSE_AUTONEG && t <= ETHTOOL_A_PAUSE_TX);
		f->pause[t - ETHTOOL_A_PAUSE_AUTONEG] = mnl_attr_get_u8(a);
		break;
	case ETHTOOL_MSG_FEATURES_SET:
		assert_int_equal(t, ETHTOOL_A_FEATURES_WANTED);
		mnl_attr_parse_nested(a, fake_wanted_cb, f);
		break;
	case FAKE_MSG_RSS_SET:
		assert_int_equal(t, 4);
		assert_int_equal(mnl_attr_get_payload_len(a), f->indir_size * 4);
		memcpy(f->indir, mnl_attr_get_payload(a), f->indir_size * 4);
		break;
	}
	return MNL_CB_OK;
}

static int fake_netdev(struct fake *f, uint8_t cmd, rxq_sys_msg_fn cb, void *arg)
{
	char buf[512];
	unsigned i;

	if (!f->has_netdev)
		return -EOPNOTSUPP;
	for (i = 0; i < f->nrx; i++) {
		struct nlmsghdr *nlh = fake_reply(buf, cmd);

		if (cmd == 11) { /* NAPI_GET */
			mnl_attr_put_u32(nlh, 1, (uint32_t)f->ifindex);
			mnl_attr_put_u32(nlh, 2, 1000 + i);
			if (f->napi_irq[i] >= 0)
				mnl_attr_put_u32(nlh, 3, (uint32_t)f->napi_irq[i]);
		} else {
			mnl_attr_put_u32(nlh, 1, i);
			mnl_attr_put_u32(nlh, 2, (uint32_t)f->ifindex);
			mnl_attr_put_u32(nlh, 3, 0);
			mnl_attr_put_u32(nlh, 4, 1000 + i);
		}
		cb(nlh, arg);
	}
	return 0;
}

static int fake_genl(void *ctx, const char *family, struct nlmsghdr *req, rxq_sys_msg_fn cb,
		     void *arg, char *extack, size_t extack_len)
{
	struct fake *f = ctx;
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(req);
	char desc[2048], buf[8192];
	struct nlmsghdr *nlh;
	int err;

	(void)extack;
	(void)extack_len;
	nic_describe_genl(family, req, desc, sizeof(desc));
	if (!strcmp(family, "netdev"))
		return fake_netdev(f, g->cmd, cb, arg);
	assert_string_equal(family, "ethtool");
	switch (g->cmd) {
	case ETHTOOL_MSG_CHANNELS_GET: {
		unsigned i;

		if (!f->has_channels)
			return -EOPNOTSUPP;
		nlh = fake_reply(buf, ETHTOOL_MSG_CHANNELS_GET_REPLY);
		for (i = 0; i < 8; i++)
			mnl_attr_put_u32(nlh, (uint16_t)(ETHTOOL_A_CHANNELS_RX_MAX + i), f->ch[i]);
		return cb(nlh, arg);
	}
	case ETHTOOL_MSG_FEATURES_GET:
		if (!f->has_features)
			return -EOPNOTSUPP;
		nlh = fake_reply(buf, ETHTOOL_MSG_FEATURES_GET_REPLY);
		fake_bitset(nlh, ETHTOOL_A_FEATURES_HW, f, 0);
		fake_bitset(nlh, ETHTOOL_A_FEATURES_WANTED, f, 1);
		fake_bitset(nlh, ETHTOOL_A_FEATURES_ACTIVE, f, 1);
		return cb(nlh, arg);
	case ETHTOOL_MSG_COALESCE_GET:
		if (!f->has_coalesce)
			return -EOPNOTSUPP;
		nlh = fake_reply(buf, ETHTOOL_MSG_COALESCE_GET_REPLY);
		mnl_attr_put_u32(nlh, ETHTOOL_A_COALESCE_RX_USECS, f->rx_usecs);
		mnl_attr_put_u32(nlh, ETHTOOL_A_COALESCE_TX_USECS, f->tx_usecs);
		mnl_attr_put_u8(nlh, ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, f->adaptive_rx);
		return cb(nlh, arg);
	case ETHTOOL_MSG_PAUSE_GET:
		if (!f->has_pause)
			return -EOPNOTSUPP;
		nlh = fake_reply(buf, ETHTOOL_MSG_PAUSE_GET_REPLY);
		mnl_attr_put_u8(nlh, ETHTOOL_A_PAUSE_AUTONEG, f->pause[0]);
		mnl_attr_put_u8(nlh, ETHTOOL_A_PAUSE_RX, f->pause[1]);
		mnl_attr_put_u8(nlh, ETHTOOL_A_PAUSE_TX, f->pause[2]);
		return cb(nlh, arg);
	case ETHTOOL_MSG_RINGS_GET:
		return -EOPNOTSUPP;
	case FAKE_MSG_RSS_GET:
		if (!f->has_rss || !f->rss_get_netlink)
			return -EOPNOTSUPP;
		nlh = fake_reply(buf, 38);
		mnl_attr_put_u32(nlh, 3, 1);
		mnl_attr_put(nlh, 4, f->indir_size * 4, f->indir);
		return cb(nlh, arg);
	case FAKE_MSG_RSS_SET:
		/* A kernel before 6.17 does not know the command: no script line for it. */
		if (!f->has_rss || !f->rss_set_netlink)
			return -EOPNOTSUPP;
		/* fall through */
	case ETHTOOL_MSG_CHANNELS_SET:
	case ETHTOOL_MSG_COALESCE_SET:
	case ETHTOOL_MSG_PAUSE_SET:
	case ETHTOOL_MSG_FEATURES_SET: {
		struct fake_set s = { .f = f, .cmd = g->cmd };

		err = fake_scripted(f, desc);
		if (err)
			return err;
		mnl_attr_parse(req, sizeof(*g), fake_set_cb, &s);
		return 0;
	}
	default:
		fail_msg("unexpected netlink request: %s", desc);
	}
	return -EOPNOTSUPP;
}

/* SIOCGHWTSTAMP answered from the model; SIOCSHWTSTAMP scripted. */
static int fake_dev_ioctl(void *ctx, const char *ifname, unsigned long req, void *data)
{
	struct fake *f = ctx;
	struct hwtstamp_config *cfg = data;
	char desc[128];
	int err;

	(void)ifname;
	if (req != SIOCGHWTSTAMP && req != SIOCSHWTSTAMP)
		fail_msg("unexpected device ioctl 0x%lx", req);
	if (!f->has_hwtstamp)
		return -EOPNOTSUPP;
	if (req == SIOCGHWTSTAMP) {
		cfg->flags = 0;
		cfg->tx_type = f->ts_tx;
		cfg->rx_filter = f->ts_rx;
		return 0;
	}
	nic_describe_hwtstamp(true, cfg, desc, sizeof(desc));
	err = fake_scripted(f, desc);
	if (err)
		return err;
	if (f->ts_widen_from && cfg->rx_filter == f->ts_widen_from)
		cfg->rx_filter = f->ts_widen_to;
	f->ts_tx = cfg->tx_type;
	f->ts_rx = cfg->rx_filter;
	return 0;
}

static int fake_write(void *ctx, const char *path, const char *buf, size_t len)
{
	struct fake *f = ctx;
	int fd;
	ssize_t n;

	f->writes++;
	if (f->fail_path && strstr(path, f->fail_path))
		return f->fail_err;
	fd = open(path, O_WRONLY | O_TRUNC);
	if (fd < 0)
		return -errno;
	n = write(fd, buf, len);
	close(fd);
	return n == (ssize_t)len ? 0 : -EIO;
}

static inline struct rxq_sys_ops fake_sys(struct fake *f)
{
	struct rxq_sys_ops sys = {
		.ethtool_ioctl = fake_ioctl,
		.genl = fake_genl,
		.write_file = fake_write,
		.dev_ioctl = fake_dev_ioctl,
		.ctx = f,
	};
	return sys;
}

/* ---- the library's log, captured for assertions on messages ---- */

static char fake_log[8][512];
static unsigned fake_nlog;

static void fake_log_fn(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level > RXQ_LOG_WARN)
		return;
	if (fake_nlog < 8)
		snprintf(fake_log[fake_nlog++], sizeof(fake_log[0]), "%s", msg);
}

static inline void fake_log_reset(void)
{
	fake_nlog = 0;
	memset(fake_log, 0, sizeof(fake_log));
	rxq_log__set(fake_log_fn, NULL);
}

static inline bool fake_logged(const char *needle)
{
	unsigned i;

	for (i = 0; i < fake_nlog; i++)
		if (strstr(fake_log[i], needle))
			return true;
	return false;
}

#define assert_logged(s)                                                            \
	do {                                                                        \
		if (!fake_logged(s))                                                \
			fail_msg("expected a message containing '%s'; got '%s'", s, \
				 fake_nlog ? fake_log[0] : "(nothing)");            \
	} while (0)

/* ---- fixture copies ---- */

static inline void fixture_copy(const char *name, char *dir, size_t len)
{
	const char *src = getenv("RXQ_FIXTURES");
	char cmd[4096];

	assert_non_null(src);
	snprintf(dir, len, "/tmp/rxq-nic-test.XXXXXX");
	assert_non_null(mkdtemp(dir));
	snprintf(cmd, sizeof(cmd), "cp -a '%s/%s/.' '%s/'", src, name, dir);
	assert_int_equal(system(cmd), 0);
}

/* True if the copy is byte for byte the fixture again. */
static inline bool fixture_same(const char *name, const char *dir)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "diff -rq --no-dereference '%s/%s' '%s' >&2",
		 getenv("RXQ_FIXTURES"), name, dir);
	return system(cmd) == 0;
}

static inline void fixture_remove(const char *dir)
{
	char cmd[4096];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

static inline char *read_text(const char *path)
{
	static char buf[65536];
	FILE *f = fopen(path, "r");
	size_t n;

	if (!f)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* A NIC under test: a copy of a fixture tree, a state directory, the scripted fake behind it. */
struct env {
	char root[256];
	char state[256];
	const char *fixture;
	struct fake fake;
	struct rxq_sys_ops sys;
	struct rxq_nic *nic;
	struct rxq_nic_plan *plan;
};

static inline struct env *env_open(const char *fixture, const char *ifname, bool veth)
{
	struct env *e = calloc(1, sizeof(*e));
	RXQ_OPTS(rxq_nic_opts, opts);

	assert_non_null(e);
	e->fixture = fixture;
	fixture_copy(fixture, e->root, sizeof(e->root));
	snprintf(e->state, sizeof(e->state), "/tmp/rxq-nic-state.XXXXXX");
	assert_non_null(mkdtemp(e->state));
	if (veth)
		fake_veth(&e->fake);
	else
		fake_ixgbe(&e->fake);
	e->sys = fake_sys(&e->fake);
	opts.root = e->root;
	opts.state_dir = e->state;
	opts.sys = &e->sys;
	fake_log_reset();
	assert_int_equal(rxq_nic__open(&e->nic, ifname, &opts), 0);
	assert_int_equal(rxq_nic_plan__new(&e->plan), 0);
	return e;
}

static inline void env_close(struct env *e)
{
	fake_done(&e->fake);
	rxq_nic_plan__free(e->plan);
	rxq_nic__close(e->nic);
	fixture_remove(e->root);
	fixture_remove(e->state);
	free(e);
}

#endif
