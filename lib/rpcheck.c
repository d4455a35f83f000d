// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel's input route lookup as a reverse-path check, with a small cache (see rpcheck.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <libmnl/libmnl.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "rxq/rpcheck.h"

#define RPCHECK_DEFAULT_ENTRIES 4096
#define RPCHECK_DEFAULT_TTL_NS	1000000000ull

struct rpcheck_entry {
	uint64_t key; /* src << 32 | dst, 0: free */
	uint64_t expires_ns;
	uint8_t tos;
	int8_t answer; /* 1 accepted, 0 refused */
};

struct rxq_rpcheck {
	int ifindex;
	struct mnl_socket *nl;
	unsigned portid, seq;
	unsigned mask;
	uint64_t ttl_ns;
	struct rxq_rpcheck_stats stats;
	/* the kernel boundary: replaced by the unit tests */
	int (*ask)(struct rxq_rpcheck *c, const uint8_t *src, const uint8_t *dst, uint8_t tos);
	struct rpcheck_entry *table;
};

/* 1 accepted, 0 refused, -errno: the question could not be asked. */
RXQ_STATIC int rpcheck_ask_kernel(struct rxq_rpcheck *c, const uint8_t *src, const uint8_t *dst,
				  uint8_t tos)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned seq = ++c->seq;
	ssize_t n;
	int ret;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = AF_INET;
	rtm->rtm_dst_len = 32;
	rtm->rtm_src_len = 32;
	rtm->rtm_tos = tos;
	mnl_attr_put(nlh, RTA_DST, 4, dst);
	mnl_attr_put(nlh, RTA_SRC, 4, src);
	mnl_attr_put_u32(nlh, RTA_IIF, (uint32_t)c->ifindex);
	if (mnl_socket_sendto(c->nl, nlh, nlh->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		n = mnl_socket_recvfrom(c->nl, buf, sizeof(buf));
		if (n < 0)
			return -errno;
		ret = mnl_cb_run(buf, (size_t)n, seq, c->portid, NULL, NULL);
		if (ret == MNL_CB_ERROR) {
			/* an error reply is the kernel's answer: it would not take such a packet */
			if (errno == ENOBUFS || errno == ENOMEM || errno == EINTR)
				return -errno;
			if (errno == ESRCH || errno == EPROTO)
				continue; /* a stale reply of an earlier, failed request */
			return 0;
		}
		return 1;
	}
}

int rxq_rpcheck__new(struct rxq_rpcheck **out, int ifindex, const struct rxq_rpcheck_opts *opts)
{
	struct rxq_rpcheck_opts o = { 0 };
	struct rxq_rpcheck *c;
	unsigned entries = 8;
	int err;

	*out = NULL;
	if (RXQ_OPTS_LOAD(o, opts, rxq_rpcheck_opts))
		return -EINVAL;
	if (!o.entries)
		o.entries = RPCHECK_DEFAULT_ENTRIES;
	if (o.entries > 1u << 24)
		return -EINVAL;
	while (entries < o.entries)
		entries <<= 1;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->table = calloc(entries, sizeof(*c->table));
	if (!c->table) {
		err = -ENOMEM;
		goto err_free;
	}
	c->ifindex = ifindex;
	c->mask = entries - 1;
	c->ttl_ns = o.ttl_ns ? o.ttl_ns : RPCHECK_DEFAULT_TTL_NS;
	c->ask = rpcheck_ask_kernel;
	c->nl = mnl_socket_open2(NETLINK_ROUTE, SOCK_CLOEXEC);
	if (!c->nl) {
		err = -errno;
		goto err_table;
	}
	if (mnl_socket_bind(c->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto err_sock;
	}
	c->portid = mnl_socket_get_portid(c->nl);
	*out = c;
	return 0;

err_sock:
	mnl_socket_close(c->nl);
err_table:
	free(c->table);
err_free:
	free(c);
	return err;
}

void rxq_rpcheck__free(struct rxq_rpcheck *c)
{
	if (!c)
		return;
	mnl_socket_close(c->nl);
	free(c->table);
	free(c);
}

int rxq_rpcheck__ipv4(struct rxq_rpcheck *c, const uint8_t *src, const uint8_t *dst, uint8_t tos,
		      uint64_t now_ns)
{
	struct rpcheck_entry *e;
	uint32_t s, d;
	uint64_t key;
	int answer;

	memcpy(&s, src, 4);
	memcpy(&d, dst, 4);
	key = (uint64_t)s << 32 | d;
	key |= !key; /* 0.0.0.0 -> 0.0.0.0 is martian anyway; keep 0 for "free" */
	e = &c->table[rxq_mix64(key ^ ((uint64_t)tos << 56)) & c->mask];
	if (e->key == key && e->tos == tos && now_ns < e->expires_ns) {
		c->stats.cached++;
		c->stats.refused += !e->answer;
		return e->answer;
	}
	c->stats.asked++;
	answer = c->ask(c, src, dst, tos);
	if (answer < 0) {
		c->stats.errors++;
		return answer;
	}
	c->stats.refused += !answer;
	e->key = key;
	e->tos = tos;
	e->answer = (int8_t)answer;
	e->expires_ns = now_ns + c->ttl_ns;
	return answer;
}

void rxq_rpcheck__stats(const struct rxq_rpcheck *c, struct rxq_rpcheck_stats *out)
{
	*out = c->stats;
}

static int read_int(const char *path, int *out)
{
	char buf[32], *end;
	ssize_t n;
	long v;
	int fd, err;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	n = read(fd, buf, sizeof(buf) - 1);
	err = n < 0 ? -errno : 0;
	close(fd);
	if (err)
		return err;
	buf[n] = '\0';
	v = strtol(buf, &end, 10);
	if (end == buf || (*end && *end != '\n'))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

int rxq_rpcheck__rp_filter(const char *sysroot, const char *ifname)
{
	char path[512];
	int all, dev, err;

	if (!ifname[0] || strchr(ifname, '/') || !strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return -EINVAL;
	snprintf(path, sizeof(path), "%s/proc/sys/net/ipv4/conf/all/rp_filter",
		 sysroot ? sysroot : "");
	err = read_int(path, &all);
	if (err)
		return err;
	/* /proc/sys names the interface as it is: eth0.5 is a directory "eth0.5" */
	snprintf(path, sizeof(path), "%s/proc/sys/net/ipv4/conf/%s/rp_filter",
		 sysroot ? sysroot : "", ifname);
	err = read_int(path, &dev);
	if (err)
		return err;
	return all > dev ? all : dev;
}

#ifdef RXQ_TESTING
/* Lets the unit tests put a fake kernel behind a checker. */
void rpcheck_set_ask(struct rxq_rpcheck *c,
		     int (*ask)(struct rxq_rpcheck *, const uint8_t *, const uint8_t *, uint8_t))
{
	c->ask = ask;
}
#endif
