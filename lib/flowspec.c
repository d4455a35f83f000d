// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Flow specifications in the ethtool ntuple style, shared by rxq-offload and rxq-nic. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include "rxq/flowspec.h"
#include "internal.h"

#define TYPE_LIST "udp4, tcp4, udp6, tcp6, ip4, ip6"
#define KEY_LIST  "src-ip, dst-ip, src-port, dst-port, proto"

/* The longest valid spec has 11 words (type + 5 key/value pairs); more are always an error. */
#define FS_WORDS_MAX 32

struct fs_type {
	const char *name;
	uint8_t family;
	uint8_t proto; /* 0: ip4/ip6 */
};

static const struct fs_type fs_types[] = {
	{ "udp4", AF_INET, IPPROTO_UDP },
	{ "tcp4", AF_INET, IPPROTO_TCP },
	{ "udp6", AF_INET6, IPPROTO_UDP },
	{ "tcp6", AF_INET6, IPPROTO_TCP },
	{ "ip4", AF_INET, 0 },
	{ "ip6", AF_INET6, 0 },
};

static const struct {
	const char *name;
	uint32_t field;
} fs_keys[] = {
	{ "src-ip", RXQ_FS_SRC_IP },	 { "dst-ip", RXQ_FS_DST_IP },
	{ "src-port", RXQ_FS_SRC_PORT }, { "dst-port", RXQ_FS_DST_PORT },
	{ "proto", RXQ_FS_PROTO },
};

static const struct {
	const char *name;
	uint8_t proto;
} fs_proto_names[] = {
	{ "icmp", IPPROTO_ICMP },    { "tcp", IPPROTO_TCP },	   { "udp", IPPROTO_UDP },
	{ "icmp6", IPPROTO_ICMPV6 }, { "icmpv6", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
};

#define fs_error(err, col, ...) rxq_parse_error__set(err, 0, col, __VA_ARGS__)

static const char *fs_type_name(const struct rxq_flowspec *fs)
{
	size_t i;

	for (i = 0; i < RXQ_ARRAY_SIZE(fs_types); i++) {
		bool ip_only = fs_types[i].proto == 0;

		if (fs_types[i].family != fs->family)
			continue;
		if (ip_only ? (fs->any_proto || (fs->fields & RXQ_FS_PROTO)) :
			      (!fs->any_proto && !(fs->fields & RXQ_FS_PROTO) &&
			       fs_types[i].proto == fs->proto))
			return fs_types[i].name;
	}
	return NULL;
}

static int fs_parse_addr(const struct rxq_flowspec *fs, const char *type, const char *key,
			 const char *word, unsigned col, struct rxq_addr *addr, uint8_t *plen,
			 struct rxq_parse_error *err)
{
	struct rxq_addr net;
	char buf[INET6_ADDRSTRLEN];
	unsigned i, bits;
	const char *fam = fs->family == AF_INET ? "IPv4" : "IPv6";
	const char *example = fs->family == AF_INET ? "198.18.0.0/16" : "fd00::/64";
	unsigned len = 0;
	int ret;

	ret = rxq_parse_prefix(word, true, addr, &len);
	if (ret == -ERANGE)
		return fs_error(err, col, "bad prefix length in '%s' (at most %u for %s)", word,
				fs->family == AF_INET ? 32 : 128, fam);
	if (ret)
		return fs_error(
			err, col,
			"bad address '%s' for %s (expected an %s address or prefix, e.g. %s)", word,
			key, fam, example);
	if (addr->family != fs->family)
		return fs_error(err, col, "'%s' is not an %s address (the type is %s)", word, fam,
				type);
	net = *addr;
	bits = rxq_addr_bits(net.family);
	for (i = len; i < bits; i++)
		net.b[i / 8] &= (uint8_t) ~(0x80 >> (i % 8));
	if (memcmp(net.b, addr->b, 16))
		return fs_error(err, col, "prefix '%s' has host bits set (did you mean %s/%u?)",
				word, rxq_addr_str(&net, buf, sizeof(buf)), len);
	*plen = (uint8_t)len;
	return 0;
}

/*
 * cols[i] is what an error at word i reports: the word's index (argv style) or its character
 * column (string form).
 */
static int fs_parse(struct rxq_flowspec *fs, int nwords, char *const *words, const unsigned *cols,
		    struct rxq_parse_error *err)
{
	const struct fs_type *type = NULL;
	uint64_t v;
	size_t i;
	int w;

	memset(fs, 0, sizeof(*fs));
	if (nwords <= 0)
		return fs_error(err, 1, "empty flow spec (expected a type: " TYPE_LIST ")");
	for (i = 0; i < RXQ_ARRAY_SIZE(fs_types); i++)
		if (!strcmp(words[0], fs_types[i].name))
			type = &fs_types[i];
	if (!type)
		return fs_error(err, cols[0], "unknown flow type '%s' (expected " TYPE_LIST ")",
				words[0]);
	fs->family = type->family;
	fs->proto = type->proto;
	fs->any_proto = type->proto == 0;

	for (w = 1; w < nwords; w += 2) {
		const char *key = words[w], *val;
		uint32_t field = 0;
		int ret;

		for (i = 0; i < RXQ_ARRAY_SIZE(fs_keys); i++)
			if (!strcmp(key, fs_keys[i].name))
				field = fs_keys[i].field;
		if (!field)
			return fs_error(err, cols[w], "unknown key '%s' (expected " KEY_LIST ")",
					key);
		if (fs->fields & field)
			return fs_error(err, cols[w], "'%s' given twice", key);
		if ((field & (RXQ_FS_SRC_PORT | RXQ_FS_DST_PORT)) && !type->proto)
			return fs_error(
				err, cols[w],
				"'%s' needs a udp or tcp type (%s matches any protocol; use %s)",
				key, type->name,
				type->family == AF_INET ? "udp4 or tcp4" : "udp6 or tcp6");
		if (field == RXQ_FS_PROTO && type->proto)
			return fs_error(
				err, cols[w],
				"'proto' is only allowed with ip4 or ip6 (%s implies the protocol)",
				type->name);
		if (w + 1 >= nwords)
			return fs_error(err, cols[w], "missing value after '%s'", key);
		val = words[w + 1];

		switch (field) {
		case RXQ_FS_SRC_IP:
			ret = fs_parse_addr(fs, type->name, key, val, cols[w + 1], &fs->src_ip,
					    &fs->src_plen, err);
			if (ret)
				return ret;
			break;
		case RXQ_FS_DST_IP:
			ret = fs_parse_addr(fs, type->name, key, val, cols[w + 1], &fs->dst_ip,
					    &fs->dst_plen, err);
			if (ret)
				return ret;
			break;
		case RXQ_FS_SRC_PORT:
		case RXQ_FS_DST_PORT:
			if (rxq_parse_u64(val, 0, 65535, &v))
				return fs_error(err, cols[w + 1],
						"bad port '%s' for %s (expected a number 0-65535)",
						val, key);
			if (field == RXQ_FS_SRC_PORT)
				fs->src_port = (uint16_t)v;
			else
				fs->dst_port = (uint16_t)v;
			break;
		case RXQ_FS_PROTO:
			ret = -EINVAL;
			for (i = 0; i < RXQ_ARRAY_SIZE(fs_proto_names); i++) {
				if (!strcmp(val, fs_proto_names[i].name)) {
					v = fs_proto_names[i].proto;
					ret = 0;
				}
			}
			if (ret)
				ret = rxq_parse_u64(val, 0, 255, &v);
			if (ret)
				return fs_error(err, cols[w + 1],
						"bad protocol '%s' (expected a number 0-255, or "
						"udp, tcp, icmp, icmp6, sctp)",
						val);
			fs->proto = (uint8_t)v;
			fs->any_proto = false;
			break;
		}
		fs->fields |= field;
	}
	return 0;
}

int rxq_flowspec__parse_words(struct rxq_flowspec *fs, int nwords, char *const *words,
			      struct rxq_parse_error *err)
{
	unsigned cols[FS_WORDS_MAX];
	int i, n = nwords < FS_WORDS_MAX ? nwords : FS_WORDS_MAX;

	for (i = 0; i < n; i++)
		cols[i] = (unsigned)i + 1;
	/* Beyond FS_WORDS_MAX a duplicate key has necessarily been reported already. */
	return fs_parse(fs, n, words, cols, err);
}

int rxq_flowspec__parse(struct rxq_flowspec *fs, const char *s, struct rxq_parse_error *err)
{
	char buf[512];
	char *words[FS_WORDS_MAX] = { 0 };
	unsigned cols[FS_WORDS_MAX] = { 0 };
	size_t len = strlen(s), i = 0;
	int n = 0;

	if (len >= sizeof(buf)) {
		memset(fs, 0, sizeof(*fs));
		return fs_error(err, sizeof(buf), "flow spec too long (at most %zu characters)",
				sizeof(buf) - 1);
	}
	memcpy(buf, s, len + 1);
	while (i < len) {
		while (i < len && (buf[i] == ' ' || buf[i] == '\t'))
			i++;
		if (i >= len)
			break;
		/* A spec has at most 11 words: fs_parse() fails on the first FS_WORDS_MAX. */
		if (n == FS_WORDS_MAX)
			break;
		words[n] = buf + i;
		cols[n] = (unsigned)i + 1;
		n++;
		while (i < len && buf[i] != ' ' && buf[i] != '\t')
			i++;
		buf[i++] = '\0';
	}
	return fs_parse(fs, n, words, cols, err);
}

int rxq_flowspec__format(const struct rxq_flowspec *fs, char *buf, size_t len)
{
	const char *type = fs_type_name(fs);
	char a[INET6_ADDRSTRLEN];
	size_t off = 0;
	int n;

#define FS_APPEND(...)                                                           \
	do {                                                                     \
		n = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
		if (n < 0)                                                       \
			return -EINVAL;                                          \
		off += (size_t)n;                                                \
	} while (0)

	if (!type)
		return -EINVAL;
	if (len)
		buf[0] = '\0';
	FS_APPEND("%s", type);
	if (fs->fields & RXQ_FS_SRC_IP) {
		FS_APPEND(" src-ip %s", rxq_addr_str(&fs->src_ip, a, sizeof(a)));
		if (fs->src_plen != rxq_addr_bits(fs->family))
			FS_APPEND("/%u", fs->src_plen);
	}
	if (fs->fields & RXQ_FS_DST_IP) {
		FS_APPEND(" dst-ip %s", rxq_addr_str(&fs->dst_ip, a, sizeof(a)));
		if (fs->dst_plen != rxq_addr_bits(fs->family))
			FS_APPEND("/%u", fs->dst_plen);
	}
	if (fs->fields & RXQ_FS_SRC_PORT)
		FS_APPEND(" src-port %u", fs->src_port);
	if (fs->fields & RXQ_FS_DST_PORT)
		FS_APPEND(" dst-port %u", fs->dst_port);
	if (fs->fields & RXQ_FS_PROTO)
		FS_APPEND(" proto %u", fs->proto);
#undef FS_APPEND
	return off < len ? 0 : -ENOSPC;
}
