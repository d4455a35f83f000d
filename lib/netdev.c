// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/capability.h>
#include <linux/ethtool.h>
#include <linux/neighbour.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"
#include "sys.h"
#include "rxq/netdev.h"
#include "rxq/packet.h"

/* Reads one sysfs attribute of @ifname into @buf (trailing newline stripped). */
static int sysfs_read(struct rxq_sys *sys, const char *ifname, const char *attr, char *buf,
		      size_t cap)
{
	char abs[128];
	int n;

	if (snprintf(abs, sizeof(abs), "/sys/class/net/%s/%s", ifname, attr) >= (int)sizeof(abs))
		return -ENAMETOOLONG;
	n = rxq_sys__read(sys, abs, buf, cap);
	if (n < 0)
		return n;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' '))
		buf[--n] = '\0';
	return 0;
}

static int sysfs_read_u64(struct rxq_sys *sys, const char *ifname, const char *attr, uint64_t *out)
{
	char buf[64], *end;
	int err;

	err = sysfs_read(sys, ifname, attr, buf, sizeof(buf));
	if (err)
		return err;
	errno = 0;
	*out = strtoull(buf, &end, 0);
	if (errno || end == buf || *end)
		return -EINVAL;
	return 0;
}

static bool ifname_ok(const char *ifname)
{
	size_t len = ifname ? strlen(ifname) : 0;

	if (len == 0 || len >= IF_NAMESIZE)
		return false;
	if (!strcmp(ifname, ".") || !strcmp(ifname, ".."))
		return false;
	return !strchr(ifname, '/') && !strpbrk(ifname, " \t\n:");
}

static int netdev_read(struct rxq_sys *sys, const char *ifname, struct rxq_netdev *dev)
{
	char buf[64], abs[64], path[2 * PATH_MAX];
	uint64_t v;
	int err;

	memset(dev, 0, sizeof(*dev));
	if (!ifname_ok(ifname))
		return -EINVAL;
	strcpy(dev->name, ifname);

	err = sysfs_read_u64(sys, ifname, "ifindex", &v);
	if (err)
		return err == -ENOENT ? -ENODEV : err;
	dev->ifindex = (int)v;

	err = sysfs_read(sys, ifname, "address", buf, sizeof(buf));
	if (!err && rxq_parse_mac(buf, dev->mac))
		err = -EINVAL;
	if (err)
		return err;

	err = sysfs_read_u64(sys, ifname, "mtu", &v);
	if (err)
		return err;
	dev->mtu = (uint32_t)v;

	/* Both fail with EINVAL while the link is down: that means "unknown", not an error. */
	if (!sysfs_read_u64(sys, ifname, "speed", &v) && (int64_t)v > 0 && v < UINT32_MAX)
		dev->speed_mbps = (uint32_t)v;
	if (!sysfs_read_u64(sys, ifname, "carrier", &v))
		dev->carrier = v == 1;
	if (!sysfs_read_u64(sys, ifname, "flags", &v))
		dev->up = v & 1; /* IFF_UP */

	/* The "device" link names the bus device of a NIC; software devices have none. */
	snprintf(abs, sizeof(abs), "/sys/class/net/%s/device", ifname);
	err = rxq_sys__path(sys, abs, path, sizeof(path));
	if (err)
		return err;
	if (access(path, F_OK) < 0) {
		if (errno != ENOENT)
			return -errno;
		dev->software = true;
	}

	err = rxq_sys__queues(sys, ifname, &dev->rx_queues, &dev->tx_queues);
	if (err == -ENOENT) {
		/* Kernels without CONFIG_SYSFS queue dirs: one queue each. */
		dev->rx_queues = dev->tx_queues = 1;
		err = 0;
	}
	return err;
}

int rxq_netdev__read_sysfs(const char *sysroot, const char *ifname, struct rxq_netdev *dev)
{
	struct rxq_sys sys;
	int err;

	rxq_sys__init(&sys, sysroot, NULL);
	err = netdev_read(&sys, ifname, dev);
	rxq_sys__fini(&sys);
	return err;
}

int rxq_netdev__get(const char *ifname, struct rxq_netdev *dev)
{
	struct ethtool_channels ch = { .cmd = ETHTOOL_GCHANNELS };
	struct rxq_sys sys;
	int err;

	rxq_sys__init(&sys, NULL, NULL);
	err = netdev_read(&sys, ifname, dev);
	if (!err && !rxq_sys__ethtool(&sys, ifname, &ch)) {
		dev->channels.valid = true;
		dev->channels.max_rx = ch.max_rx;
		dev->channels.max_tx = ch.max_tx;
		dev->channels.max_other = ch.max_other;
		dev->channels.max_combined = ch.max_combined;
		dev->channels.rx = ch.rx_count;
		dev->channels.tx = ch.tx_count;
		dev->channels.other = ch.other_count;
		dev->channels.combined = ch.combined_count;
	}
	rxq_sys__fini(&sys);
	return err;
}

uint32_t rxq_netdev__xsk_queues(const struct rxq_netdev *dev)
{
	/* xsk_bind() refuses a queue id that is not below both real queue counts. */
	return dev->rx_queues < dev->tx_queues ? dev->rx_queues : dev->tx_queues;
}

uint64_t rxq_netdev__line_rate_pps(const struct rxq_netdev *dev, uint32_t frame_len)
{
	uint64_t wire;

	if (!dev->speed_mbps)
		return 0;
	if (frame_len < 60)
		frame_len = 60;
	wire = (uint64_t)frame_len + 4 + 8 + 12;
	return (uint64_t)dev->speed_mbps * 1000000 / (wire * 8);
}

/* One rtnetlink request answered by one message (or an error), in a handle of its own. */
static int nl_request(struct nlmsghdr *req, rxq_sys_msg_fn cb, void *arg)
{
	struct rxq_sys sys;
	int err;

	rxq_sys__init(&sys, NULL, NULL);
	err = rxq_sys__rtnl(&sys, req, cb, arg);
	rxq_sys__fini(&sys);
	return err;
}

struct neigh_result {
	bool found;
	uint16_t state;
	bool has_mac;
	uint8_t mac[6];
};

static int neigh_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct neigh_result *res = arg;
	const struct ndmsg *ndm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;

	if (nlh->nlmsg_type != RTM_NEWNEIGH || res->found)
		return 0;
	res->found = true;
	res->state = ndm->ndm_state;
	mnl_attr_for_each(attr, nlh, sizeof(*ndm))
	{
		if (mnl_attr_get_type(attr) == NDA_LLADDR && mnl_attr_get_payload_len(attr) == 6) {
			memcpy(res->mac, mnl_attr_get_payload(attr), 6);
			res->has_mac = true;
		}
	}
	return 0;
}

int rxq_netdev__neigh(int ifindex, const struct rxq_addr *addr, uint8_t mac[6])
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct neigh_result res = { 0 };
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	int err;

	if (addr->family != AF_INET && addr->family != AF_INET6)
		return -EINVAL;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETNEIGH;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_family = addr->family;
	ndm->ndm_ifindex = ifindex;
	mnl_attr_put(nlh, NDA_DST, addr->family == AF_INET ? 4 : 16, addr->b);

	err = nl_request(nlh, neigh_cb, &res);
	if (err)
		return err;
	if (!res.found)
		return -ENOENT;
	if (!res.has_mac || (res.state & (NUD_INCOMPLETE | NUD_FAILED | NUD_NONE)))
		return -EHOSTUNREACH;
	memcpy(mac, res.mac, 6);
	return 0;
}

struct route_result {
	bool found;
	struct rxq_addr gw;
};

static int route_cb(const struct nlmsghdr *nlh, void *arg)
{
	struct route_result *res = arg;
	const struct rtmsg *rtm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *attr;
	unsigned alen = rtm->rtm_family == AF_INET ? 4 : 16;

	if (nlh->nlmsg_type != RTM_NEWROUTE || res->found)
		return 0;
	res->found = true;
	mnl_attr_for_each(attr, nlh, sizeof(*rtm))
	{
		if (mnl_attr_get_type(attr) == RTA_GATEWAY &&
		    mnl_attr_get_payload_len(attr) == alen) {
			res->gw.family = rtm->rtm_family;
			memcpy(res->gw.b, mnl_attr_get_payload(attr), alen);
		}
	}
	return 0;
}

int rxq_netdev__nexthop_mac(int ifindex, const struct rxq_addr *dst, uint8_t mac[6],
			    struct rxq_addr *via)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct route_result res = { 0 };
	const struct rxq_addr *target = dst;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	unsigned alen;

	if (dst->family != AF_INET && dst->family != AF_INET6)
		return -EINVAL;
	alen = dst->family == AF_INET ? 4 : 16;
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = dst->family;
	rtm->rtm_dst_len = alen * 8;
	mnl_attr_put(nlh, RTA_DST, alen, dst->b);
	mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)ifindex);

	/* No route at all is no reason to give up: the destination may still be a neighbour. */
	if (!nl_request(nlh, route_cb, &res) && res.found && res.gw.family == dst->family)
		target = &res.gw;
	if (via)
		*via = *target;
	return rxq_netdev__neigh(ifindex, target, mac);
}

/* One ICMP echo request to @dst out of @ifindex: the kernel resolves the next hop to send it. */
static int ping_once(int ifindex, const struct rxq_addr *dst)
{
	bool v4 = dst->family == AF_INET;
	uint8_t msg[8] = { v4 ? 8 : 128, 0, 0, 0, 0x72, 0x71, 0, 1 }; /* type, code, csum, id, seq */
	struct sockaddr_storage ss = { 0 };
	char ifname[IF_NAMESIZE];
	socklen_t len;
	int fd, ret = 0;

	if (!if_indextoname((unsigned)ifindex, ifname))
		return -errno;
	fd = socket(dst->family, SOCK_RAW | SOCK_CLOEXEC, v4 ? IPPROTO_ICMP : IPPROTO_ICMPV6);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname))) {
		ret = -errno;
		goto out;
	}
	if (v4) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
		uint16_t csum = rxq_csum_fold(rxq_csum_add(0, msg, sizeof(msg)));

		memcpy(msg + 2, &csum, sizeof(csum));
		sin->sin_family = AF_INET;
		sin->sin_addr = dst->v4;
		len = sizeof(*sin);
	} else {
		/* the kernel computes the ICMPv6 checksum of raw ICMPv6 sockets */
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_addr = dst->v6;
		sin6->sin6_scope_id = (uint32_t)ifindex;
		len = sizeof(*sin6);
	}
	if (sendto(fd, msg, sizeof(msg), 0, (struct sockaddr *)&ss, len) < 0)
		ret = -errno;
out:
	close(fd);
	return ret;
}

int rxq_netdev__resolve_mac(int ifindex, const struct rxq_addr *dst, uint8_t mac[6],
			    struct rxq_addr *via, int timeout_ms)
{
	const struct timespec step = { .tv_nsec = 5000000 };
	int err, waited;

	err = rxq_netdev__nexthop_mac(ifindex, dst, mac, via);
	if (err != -ENOENT && err != -EHOSTUNREACH)
		return err;
	/* An unreachable ICMP answer or none at all is fine: the request is what resolves. */
	err = ping_once(ifindex, dst);
	if (err == -EPERM || err == -EACCES)
		return -EPERM;
	for (waited = 0; waited < timeout_ms; waited += 5) {
		nanosleep(&step, NULL);
		err = rxq_netdev__nexthop_mac(ifindex, dst, mac, via);
		if (err != -ENOENT && err != -EHOSTUNREACH)
			return err;
	}
	return err;
}

bool rxq_cap__has(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (cap < 0 || cap >= 64)
		return false;
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

int rxq_cap__first_missing(const int *caps, unsigned n)
{
	for (unsigned i = 0; i < n; i++) {
		if (rxq_cap__has(caps[i]))
			continue;
		if ((caps[i] == RXQ_CAP_BPF || caps[i] == RXQ_CAP_PERFMON) &&
		    rxq_cap__has(RXQ_CAP_SYS_ADMIN))
			continue;
		return caps[i];
	}
	return -1;
}

const char *rxq_cap__name(int cap)
{
	switch (cap) {
	case RXQ_CAP_NET_ADMIN:
		return "CAP_NET_ADMIN";
	case RXQ_CAP_NET_RAW:
		return "CAP_NET_RAW";
	case RXQ_CAP_IPC_LOCK:
		return "CAP_IPC_LOCK";
	case RXQ_CAP_SYS_ADMIN:
		return "CAP_SYS_ADMIN";
	case RXQ_CAP_PERFMON:
		return "CAP_PERFMON";
	case RXQ_CAP_BPF:
		return "CAP_BPF";
	}
	return "an unknown capability";
}
