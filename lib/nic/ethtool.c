// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Device settings over ethtool generic netlink (channels, coalesce, pause, rings, features, RSS)
 * and the SIOCETHTOOL ioctl (ntuple rules, driver statistics, and RSS where netlink lacks it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/net_tstamp.h>
#include <libmnl/libmnl.h>

#include "nic_internal.h"
#include "rxq/log.h"

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
	const struct nic_group_def *gd = &nic_groups[kp->g];
	unsigned t = mnl_attr_get_type(a), i;

	for (i = 0; i < gd->nknobs; i++) {
		const struct nic_knob_def *d = &gd->knobs[i];
		struct rxq_nic_knob *k;

		if (d->attr != t)
			continue;
		if (mnl_attr_validate(a, d->type == NIC_KNOB_U8 ? MNL_TYPE_U8 : MNL_TYPE_U32) < 0)
			return MNL_CB_OK;
		if (kp->out->n >= RXQ_NIC_KNOBS_MAX)
			return MNL_CB_OK;
		k = &kp->out->k[kp->out->n++];
		memset(k, 0, sizeof(*k));
		nic_strlcpy(k->name, d->name, sizeof(k->name));
		k->value = d->type == NIC_KNOB_U8 ? mnl_attr_get_u8(a) : mnl_attr_get_u32(a);
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
	nlh = nic_eth_req(buf, nic_groups[g].get, nic->name, 0, false);
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
		rxq_debug("%s: reading %s: %s", nic->name, nic_groups[g].name, nic_errname(err));
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

int nic_set_knobs(struct rxq_nic *nic, enum rxq_nic_group g, const struct rxq_nic_knob *k,
		  const uint32_t *values, unsigned n)
{
	char buf[4096];
	struct nlmsghdr *nlh;
	unsigned i;

	if ((unsigned)g >= RXQ_NIC_GROUP_COUNT)
		return -EINVAL;
	/* OMIT_REPLY: the features reply would only repeat what we check ourselves. */
	nlh = nic_eth_req(buf, nic_groups[g].set, nic->name,
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
			const struct nic_knob_def *d = nic_knob_def(g, k[i].name);

			if (!d || d->ro)
				return -EINVAL;
			if (d->type == NIC_KNOB_U8)
				mnl_attr_put_u8(nlh, (uint16_t)d->attr, (uint8_t)values[i]);
			else
				mnl_attr_put_u32(nlh, (uint16_t)d->attr, values[i]);
		}
	}
	return nic_genl(nic, "ethtool", nlh, NULL, NULL);
}

/* ---- RSS ---- */

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

/* ---- RSS hash fields ---- */

int rxq_nic__hash_fields(struct rxq_nic *nic, uint32_t flow_type, uint64_t *fields)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_GRXFH, .flow_type = flow_type };
	int err = nic_ioctl(nic, &nfc);

	if (!err)
		*fields = nfc.data;
	return err;
}

int nic_set_hash_fields(struct rxq_nic *nic, uint32_t flow_type, uint64_t fields)
{
	struct ethtool_rxnfc nfc = { .cmd = ETHTOOL_SRXFH, .flow_type = flow_type, .data = fields };

	return nic_ioctl(nic, &nfc);
}

/* ---- hardware timestamps ---- */

int rxq_nic__tstamp_info(struct rxq_nic *nic, struct rxq_nic_tstamp_info *out)
{
	struct ethtool_ts_info ts = { .cmd = ETHTOOL_GET_TS_INFO };
	int err = nic_ioctl(nic, &ts);

	if (err)
		return err;
	out->so_timestamping = ts.so_timestamping;
	out->phc_index = ts.phc_index;
	out->tx_types = ts.tx_types;
	out->rx_filters = ts.rx_filters;
	return 0;
}

int rxq_nic__tstamp_config(struct rxq_nic *nic, uint32_t *tx_type, uint32_t *rx_filter)
{
	struct hwtstamp_config cfg = { 0 };
	int err = nic_hwtstamp(nic, false, &cfg);

	if (err)
		return err;
	*tx_type = (uint32_t)cfg.tx_type;
	*rx_filter = (uint32_t)cfg.rx_filter;
	return 0;
}

int nic_set_tstamp(struct rxq_nic *nic, uint32_t tx_type, uint32_t *rx_filter)
{
	struct hwtstamp_config cfg = { .tx_type = (int)tx_type, .rx_filter = (int)*rx_filter };
	int err = nic_hwtstamp(nic, true, &cfg);

	if (!err)
		*rx_filter = (uint32_t)cfg.rx_filter;
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

int nic_rule_table(struct rxq_nic *nic, uint32_t *size, bool *any_loc, uint32_t **locs, unsigned *n)
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
			rxq_err("%s: cannot read ntuple rule %u (ETHTOOL_GRXCLSRULE: %s)",
				nic->name, locs[i], nic_errname(err));
			free(rules);
			free(locs);
			return err;
		}
		rules[i].has_spec = nic_rule_to_spec(&rules[i].fs, &rules[i].spec);
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

int rxq_nic__feature_names(struct rxq_nic *nic, struct rxq_nic_stat **out, unsigned *n)
{
	uint64_t sset_buf[(sizeof(struct ethtool_sset_info) + sizeof(uint32_t) + 7) / 8] = { 0 };
	struct ethtool_sset_info *sset = (struct ethtool_sset_info *)sset_buf;
	struct ethtool_gstrings *strings;
	struct rxq_nic_stat *res;
	uint32_t count, naliases = 0, i, got;
	int err;

	*out = NULL;
	*n = 0;
	while (nic_feature_alias(naliases))
		naliases++;
	sset->cmd = ETHTOOL_GSSET_INFO;
	sset->sset_mask = 1ull << ETH_SS_FEATURES;
	err = nic_ioctl(nic, sset);
	if (err)
		return err;
	count = sset->sset_mask ? sset->data[0] : 0;
	if (count > 4096)
		return -E2BIG;
	strings = calloc(1, sizeof(*strings) + (size_t)count * ETH_GSTRING_LEN);
	if (!strings)
		return -ENOMEM;
	res = calloc(count + naliases, sizeof(*res));
	if (!res) {
		err = -ENOMEM;
		goto free_strings;
	}
	if (count) {
		strings->cmd = ETHTOOL_GSTRINGS;
		strings->string_set = ETH_SS_FEATURES;
		strings->len = count;
		err = nic_ioctl(nic, strings);
		if (err) {
			free(res);
			goto free_strings;
		}
	}
	for (got = 0; got < count && got < strings->len; got++)
		memcpy(res[got].name, strings->data + got * ETH_GSTRING_LEN, ETH_GSTRING_LEN);
	for (i = 0; i < naliases; i++)
		snprintf(res[got + i].name, sizeof(res[got + i].name), "%s", nic_feature_alias(i));
	*out = res;
	*n = got + naliases;
free_strings:
	free(strings);
	return err;
}
