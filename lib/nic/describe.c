// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * What a request asks of the kernel, in one line: for the debug log of every request (`-v` shows
 * exactly what was asked) and for the tests' scripted fake, which expects these lines.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/net_tstamp.h>
#include <libmnl/libmnl.h>

#include "nic_internal.h"

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static int append(char *buf, size_t len, size_t *used, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*used >= len)
		return -ENOSPC;
	va_start(ap, fmt);
	n = vsnprintf(buf + *used, len - *used, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -EINVAL;
	*used += (size_t)n;
	if (*used >= len) {
		*used = len - 1;
		return -ENOSPC;
	}
	return 0;
}

int nic_describe_ioctl(const void *cmdp, char *buf, size_t len)
{
	uint32_t cmd;
	size_t used = 0;

	memcpy(&cmd, cmdp, sizeof(cmd));
	append(buf, len, &used, "%s", nic_ioctl_name(cmd));
	switch (cmd) {
	case ETHTOOL_GSSET_INFO: {
		const struct ethtool_sset_info *s = cmdp;

		append(buf, len, &used, " mask=0x%llx", (unsigned long long)s->sset_mask);
		break;
	}
	case ETHTOOL_GSTRINGS: {
		const struct ethtool_gstrings *s = cmdp;

		append(buf, len, &used, " set=%u len=%u", s->string_set, s->len);
		break;
	}
	case ETHTOOL_GSTATS: {
		const struct ethtool_stats *s = cmdp;

		append(buf, len, &used, " n=%u", s->n_stats);
		break;
	}
	case ETHTOOL_GRXFHINDIR:
	case ETHTOOL_SRXFHINDIR: {
		const struct ethtool_rxfh_indir *r = cmdp;
		uint32_t i;

		append(buf, len, &used, " size=%u", r->size);
		if (cmd == ETHTOOL_SRXFHINDIR) {
			append(buf, len, &used, " indir=");
			for (i = 0; i < r->size; i++)
				append(buf, len, &used, "%s%u", i ? "," : "", r->ring_index[i]);
		}
		break;
	}
	case ETHTOOL_GRSSH: {
		const struct ethtool_rxfh *r = cmdp;

		append(buf, len, &used, " indir_size=%u key_size=%u", r->indir_size, r->key_size);
		break;
	}
	case ETHTOOL_GRXCLSRULE:
	case ETHTOOL_SRXCLSRLDEL: {
		const struct ethtool_rxnfc *r = cmdp;

		append(buf, len, &used, " loc=%u", r->fs.location);
		break;
	}
	case ETHTOOL_GRXFH:
	case ETHTOOL_SRXFH: {
		const struct ethtool_rxnfc *r = cmdp;
		const char *type = rxq_nic_flow_type__name(r->flow_type);
		char fields[48];

		if (type)
			append(buf, len, &used, " %s", type);
		else
			append(buf, len, &used, " flow_type=%u", r->flow_type);
		if (cmd == ETHTOOL_SRXFH) {
			rxq_nic_hash_fields__format(r->data, fields, sizeof(fields));
			append(buf, len, &used, " %s", fields);
		}
		break;
	}
	case ETHTOOL_GRXCLSRLALL: {
		const struct ethtool_rxnfc *r = cmdp;

		append(buf, len, &used, " count=%u", r->rule_cnt);
		break;
	}
	case ETHTOOL_SRXCLSRLINS: {
		const struct ethtool_rxnfc *r = cmdp;
		struct rxq_nic_rule rule;
		char text[256];

		memset(&rule, 0, sizeof(rule));
		rule.fs = r->fs;
		rxq_nic_rule__format(&rule, text, sizeof(text));
		append(buf, len, &used, " %s", text);
		break;
	}
	default:
		break;
	}
	return 0;
}

struct describe {
	char *buf;
	size_t len, used;
	enum rxq_nic_group group;
	bool knobs;
	const char *family;
	uint8_t cmd;
	bool first_bit;
};

static int describe_header_cb(const struct nlattr *a, void *data)
{
	struct describe *d = data;

	if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_DEV_NAME &&
	    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0)
		append(d->buf, d->len, &d->used, " dev=%s", mnl_attr_get_str(a));
	else if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_DEV_INDEX &&
		 mnl_attr_validate(a, MNL_TYPE_U32) >= 0)
		append(d->buf, d->len, &d->used, " ifindex=%u", mnl_attr_get_u32(a));
	else if (mnl_attr_get_type(a) == ETHTOOL_A_HEADER_FLAGS &&
		 mnl_attr_validate(a, MNL_TYPE_U32) >= 0 && mnl_attr_get_u32(a))
		append(d->buf, d->len, &d->used, " flags=%u", mnl_attr_get_u32(a));
	return MNL_CB_OK;
}

static int describe_bit_cb(const struct nlattr *a, void *data)
{
	const struct nlattr **tb = data;
	unsigned t = mnl_attr_get_type(a);

	if (t <= ETHTOOL_A_BITSET_BIT_VALUE)
		tb[t] = a;
	return MNL_CB_OK;
}

static int describe_bits_cb(const struct nlattr *a, void *data)
{
	struct describe *d = data;
	const struct nlattr *tb[ETHTOOL_A_BITSET_BIT_VALUE + 1] = { 0 };

	if (mnl_attr_get_type(a) != ETHTOOL_A_BITSET_BITS_BIT)
		return MNL_CB_OK;
	mnl_attr_parse_nested(a, describe_bit_cb, tb);
	if (tb[ETHTOOL_A_BITSET_BIT_NAME] &&
	    mnl_attr_validate(tb[ETHTOOL_A_BITSET_BIT_NAME], MNL_TYPE_NUL_STRING) >= 0)
		append(d->buf, d->len, &d->used, "%s%s:%d", d->first_bit ? "" : ",",
		       mnl_attr_get_str(tb[ETHTOOL_A_BITSET_BIT_NAME]),
		       tb[ETHTOOL_A_BITSET_BIT_VALUE] ? 1 : 0);
	else if (tb[ETHTOOL_A_BITSET_BIT_INDEX])
		append(d->buf, d->len, &d->used, "%s#%u:%d", d->first_bit ? "" : ",",
		       mnl_attr_get_u32(tb[ETHTOOL_A_BITSET_BIT_INDEX]),
		       tb[ETHTOOL_A_BITSET_BIT_VALUE] ? 1 : 0);
	d->first_bit = false;
	return MNL_CB_OK;
}

static int describe_bitset_cb(const struct nlattr *a, void *data)
{
	if (mnl_attr_get_type(a) == ETHTOOL_A_BITSET_BITS)
		mnl_attr_parse_nested(a, describe_bits_cb, data);
	return MNL_CB_OK;
}

static void describe_value(struct describe *d, const char *name, const struct nlattr *a)
{
	uint16_t plen = mnl_attr_get_payload_len(a);

	if (plen == 1)
		append(d->buf, d->len, &d->used, " %s=%u", name, mnl_attr_get_u8(a));
	else if (plen == 2)
		append(d->buf, d->len, &d->used, " %s=%u", name, mnl_attr_get_u16(a));
	else if (plen == 4)
		append(d->buf, d->len, &d->used, " %s=%u", name, mnl_attr_get_u32(a));
	else if (plen == 0)
		append(d->buf, d->len, &d->used, " %s", name);
	else
		append(d->buf, d->len, &d->used, " %s=[%u bytes]", name, plen);
}

static int describe_attr_cb(const struct nlattr *a, void *data)
{
	struct describe *d = data;
	unsigned t = mnl_attr_get_type(a);
	char name[32];

	if (!strcmp(d->family, "netdev")) {
		static const char *const queue[] = { NULL, "id", "ifindex", "type", "napi-id" };
		static const char *const napi[] = { NULL, "ifindex", "id", "irq" };
		const char *n = NULL;

		if (d->cmd == RXQ_NETDEV_CMD_QUEUE_GET && t < RXQ_ARRAY_SIZE(queue))
			n = queue[t];
		if (d->cmd == RXQ_NETDEV_CMD_NAPI_GET && t < RXQ_ARRAY_SIZE(napi))
			n = napi[t];
		snprintf(name, sizeof(name), "%s", n ? n : "attr");
		if (!n)
			snprintf(name, sizeof(name), "a%u", t);
		describe_value(d, name, a);
		return MNL_CB_OK;
	}
	if (t == 1 && (mnl_attr_get_type(a) & NLA_F_NESTED || mnl_attr_get_payload_len(a) >= 4)) {
		/* Every ethtool request has its header as attribute 1. */
		mnl_attr_parse_nested(a, describe_header_cb, d);
		return MNL_CB_OK;
	}
	if (d->cmd == RXQ_ETHTOOL_MSG_RSS_GET || d->cmd == RXQ_ETHTOOL_MSG_RSS_SET) {
		if (t == RXQ_ETHTOOL_A_RSS_INDIR) {
			const uint32_t *v = mnl_attr_get_payload(a);
			unsigned i, n = mnl_attr_get_payload_len(a) / 4;

			append(d->buf, d->len, &d->used, " indir=");
			for (i = 0; i < n; i++) {
				uint32_t x;

				memcpy(&x, &v[i], sizeof(x));
				append(d->buf, d->len, &d->used, "%s%u", i ? "," : "", x);
			}
		} else if (t == RXQ_ETHTOOL_A_RSS_HFUNC) {
			describe_value(d, "hfunc", a);
		} else if (t == RXQ_ETHTOOL_A_RSS_CONTEXT) {
			describe_value(d, "context", a);
		} else {
			snprintf(name, sizeof(name), "a%u", t);
			describe_value(d, name, a);
		}
		return MNL_CB_OK;
	}
	if (d->knobs && d->group == RXQ_NIC_FEATURES) {
		if (t == ETHTOOL_A_FEATURES_WANTED) {
			append(d->buf, d->len, &d->used, " wanted=");
			d->first_bit = true;
			mnl_attr_parse_nested(a, describe_bitset_cb, d);
		}
		return MNL_CB_OK;
	}
	if (d->knobs) {
		const char *n = nic_knob_attr_name(d->group, t);

		if (n) {
			describe_value(d, n, a);
			return MNL_CB_OK;
		}
	}
	snprintf(name, sizeof(name), "a%u", t);
	describe_value(d, name, a);
	return MNL_CB_OK;
}

int nic_describe_genl(const char *family, const struct nlmsghdr *nlh, char *buf, size_t len)
{
	const struct genlmsghdr *g = mnl_nlmsg_get_payload(nlh);
	struct describe d = { .buf = buf, .len = len, .family = family };
	bool set = false;
	int grp;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	if (nlh->nlmsg_len < mnl_nlmsg_size(sizeof(*g)))
		return append(buf, len, &d.used, "(short message)");
	d.cmd = g->cmd;
	append(buf, len, &d.used, "%s%s", nic_genl_cmd_name(family, g->cmd),
	       nlh->nlmsg_flags & NLM_F_DUMP ? " dump" : "");
	if (!strcmp(family, "ethtool")) {
		grp = nic_group_of_cmd(g->cmd, &set);
		if (grp >= 0) {
			d.group = (enum rxq_nic_group)grp;
			d.knobs = true;
		}
	}
	mnl_attr_parse(nlh, sizeof(*g), describe_attr_cb, &d);
	return 0;
}

int nic_describe_hwtstamp(bool set, const void *cfgp, char *buf, size_t len)
{
	const struct hwtstamp_config *cfg = cfgp;
	const char *tx = rxq_nic_tstamp_tx__name((uint32_t)cfg->tx_type);
	const char *rx = rxq_nic_tstamp_rx__name((uint32_t)cfg->rx_filter);
	size_t used = 0;

	append(buf, len, &used, "%s", set ? "SIOCSHWTSTAMP" : "SIOCGHWTSTAMP");
	if (!set)
		return 0;
	if (tx)
		append(buf, len, &used, " tx=%s", tx);
	else
		append(buf, len, &used, " tx=%d", cfg->tx_type);
	if (rx)
		append(buf, len, &used, " rx=%s", rx);
	else
		append(buf, len, &used, " rx=%d", cfg->rx_filter);
	return 0;
}
