// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/if_addr.h>
#include <linux/if_ether.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "rxq/log.h"
#include "rxq/tap.h"
#include "internal.h"
#include "sys.h"

#define TAP_MAX_QUEUES 256
#define TAP_VID_MAX    4094
/* Below this MTU the kernel gives an interface no IPv6 at all (no /proc/sys/net/ipv6/conf/IF). */
#define TAP_IPV6_MIN_MTU 1280

/*
 * What a created device (the TAP, or a VLAN interface on it) copies from the interface it stands
 * in for (IF, or IF's VLAN interface), all read before anything is created.
 */
struct tap_mirror {
	char ifname[IF_NAMESIZE];
	unsigned char mac[ETH_ALEN];
	int mtu;
	int rp_filter; /* for the created device: 0 or 2 (loose) */
	int accept_local;
	int disable_ipv6; /* -1: the interface has no IPv6, leave IPv6 alone */
};

struct tap_vlan {
	uint16_t vid;
	int ifindex; /* on the TAP */
	char name[IF_NAMESIZE];
	struct tap_mirror from; /* IF's VLAN interface with this VID */
};

struct rxq_tap {
	char name[IF_NAMESIZE];
	int ifindex;
	int for_ifindex; /* IF */
	struct tap_mirror from; /* IF */
	unsigned nvlans;
	struct tap_vlan *vlans;
	unsigned nqueues;
	int fds[];
};

/*
 * One /proc/sys file, through the kernel boundary (its default root). Writes @value when not
 * NULL, else reads into @buf (NUL-terminated). 0 or -errno. The unit tests replace it.
 */
static int proc_rw(const char *path, const char *value, char *buf, size_t size)
{
	struct rxq_sys sys;
	int ret;

	rxq_sys__init(&sys, NULL, NULL);
	if (value)
		ret = rxq_sys__write_str(&sys, path, value);
	else
		ret = rxq_sys__read(&sys, path, buf, size);
	rxq_sys__fini(&sys);
	return ret < 0 ? ret : 0;
}

RXQ_STATIC int (*tap_proc_rw)(const char *path, const char *value, char *buf,
			      size_t size) = proc_rw;

/* Kernel boundary: TUNSETIFF on an open /dev/net/tun. 0 or -errno. The unit tests replace it. */
static int tun_setiff(int fd, struct ifreq *ifr)
{
	return ioctl(fd, TUNSETIFF, ifr) < 0 ? -errno : 0;
}

RXQ_STATIC int (*tap_tun_setiff)(int fd, struct ifreq *ifr) = tun_setiff;

/*
 * net.FAMILY.conf.DEV.KEY: writes @value, or reads an integer into *out when @value is NULL.
 * /proc/sys names the directory after the interface as it is: eth3.5 is conf/eth3.5/ (the dot to
 * slash rule is sysctl(8)'s spelling of keys, not a /proc/sys path).
 */
RXQ_STATIC int tap_sysctl(const char *family, const char *dev, const char *key, const char *value,
			  int *out)
{
	char path[128], buf[32], *end;
	long v;
	int err;

	if ((size_t)snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/%s/%s", family, dev, key) >=
	    sizeof(path))
		return -ENAMETOOLONG;
	err = tap_proc_rw(path, value, buf, sizeof(buf));
	if (err || value)
		return err;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (errno || end == buf || (*end && *end != '\n'))
		return -EINVAL;
	*out = (int)v;
	return 0;
}

/* rp_filter is max(all, dev); the TAP gets 0 if IF has none in effect, else loose mode. */
RXQ_STATIC int tap_rp_filter_for(int all, int ifv)
{
	return (all > ifv ? all : ifv) ? 2 : 0;
}

static int read_sysctl(const char *family, const char *dev, const char *key, int *out)
{
	int err = tap_sysctl(family, dev, key, NULL, out);

	if (err)
		rxq_err("cannot read net.%s.conf.%s.%s: %s", family, dev, key, strerror(-err));
	return err;
}

/*
 * The sysctls of @ifname (whose MTU is @mtu) a device standing in for it copies. A value that
 * cannot be read is an error: a guessed default could turn rp_filter off, or IPv6 on, unseen.
 * *disable_ipv6 is -1 when @ifname has no IPv6 at all: then neither has the copy.
 */
RXQ_STATIC int tap_read_sysctls(const char *ifname, int mtu, int *rp_filter, int *accept_local,
				int *disable_ipv6)
{
	int err, all, ifv;

	err = read_sysctl("ipv4", "all", "rp_filter", &all);
	if (!err)
		err = read_sysctl("ipv4", ifname, "rp_filter", &ifv);
	if (!err)
		err = read_sysctl("ipv4", ifname, "accept_local", accept_local);
	if (err)
		return err;
	*rp_filter = tap_rp_filter_for(all, ifv);
	*accept_local = !!*accept_local;

	/* No net.ipv6 at all: IPv6 is off in this kernel (ipv6.disable=1). */
	err = tap_sysctl("ipv6", "all", "disable_ipv6", NULL, &all);
	if (err == -ENOENT) {
		*disable_ipv6 = -1;
		return 0;
	}
	if (err) {
		rxq_err("cannot read net.ipv6.conf.all.disable_ipv6: %s", strerror(-err));
		return err;
	}
	err = tap_sysctl("ipv6", ifname, "disable_ipv6", NULL, disable_ipv6);
	if (err == -ENOENT && mtu < TAP_IPV6_MIN_MTU) {
		*disable_ipv6 = -1;
		return 0;
	}
	if (err)
		rxq_err("cannot read net.ipv6.conf.%s.disable_ipv6: %s", ifname, strerror(-err));
	return err;
}

/* MAC address and MTU of @m->ifname, then its sysctls. */
static int tap_read_mirror(int sock, struct tap_mirror *m)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", m->ifname);
	if (ioctl(sock, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot read the MAC address of %s: %s", m->ifname, strerror(-err));
		return err;
	}
	memcpy(m->mac, ifr.ifr_hwaddr.sa_data, ETH_ALEN);
	if (ioctl(sock, SIOCGIFMTU, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot read the MTU of %s: %s", m->ifname, strerror(-err));
		return err;
	}
	m->mtu = ifr.ifr_mtu;
	return tap_read_sysctls(m->ifname, m->mtu, &m->rp_filter, &m->accept_local,
				&m->disable_ipv6);
}

/* Adds @addr/32 to @ifindex without a prefix route (RTM_NEWADDR). 0 or -errno. */
static int tap_nl_add_addr4(struct rxq_sys *sys, int ifindex, struct in_addr addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NOPREFIXROUTE);
	return rxq_sys__rtnl(sys, nlh, NULL, NULL);
}

/*
 * With rp_filter in effect, the kernel drops every IPv4 packet that arrives on an interface
 * without an IPv4 address (fib_validate_source: no address -> "last resort" -> reverse path
 * failure), even in loose mode. So the created device borrows the primary address of the
 * interface it stands in for as a /32 without a prefix route: that adds no new local address and
 * no route, and lets the loose check run.
 */
static int tap_borrow_addr4(struct rxq_sys *sys, int sock, const char *dev, int ifindex,
			    const char *from)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", from);
	err = ioctl(sock, SIOCGIFADDR, &ifr) < 0 ? -errno : 0;
	if (err == -EADDRNOTAVAIL)
		return 0; /* no IPv4 address: nothing to deliver locally over IPv4 */
	if (err) {
		rxq_err("cannot read the IPv4 address of %s: %s", from, strerror(-err));
		return err;
	}
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	err = tap_nl_add_addr4(sys, ifindex, sin->sin_addr);
	if (err)
		rxq_err("cannot add %s/32 to %s: %s", inet_ntoa(sin->sin_addr), dev,
			strerror(-err));
	return err;
}

static int write_sysctl(const char *family, const char *dev, const char *key, int v)
{
	char value[16];
	int err;

	snprintf(value, sizeof(value), "%d", v);
	err = tap_sysctl(family, dev, key, value, NULL);
	if (err)
		rxq_err("cannot set net.%s.conf.%s.%s: %s", family, dev, key, strerror(-err));
	return err;
}

/* The sysctls of the created device @dev, from @m; then it goes up, with IFF_NOARP. */
static int tap_apply_mirror(struct rxq_sys *sys, int sock, const char *dev, int ifindex,
			    const struct tap_mirror *m)
{
	struct ifreq ifr;
	int err;

	if (m->rp_filter) {
		err = tap_borrow_addr4(sys, sock, dev, ifindex, m->ifname);
		if (err)
			return err;
	}
	err = write_sysctl("ipv4", dev, "rp_filter", m->rp_filter);
	if (!err)
		err = write_sysctl("ipv4", dev, "accept_local", m->accept_local);
	if (err)
		return err;
	if (m->disable_ipv6 >= 0) {
		/* No address of its own: set before the device goes up, when it would get one. */
		err = write_sysctl("ipv6", dev, "addr_gen_mode", 1);
		if (!err)
			err = write_sysctl("ipv6", dev, "accept_ra", 0);
		if (!err)
			err = write_sysctl("ipv6", dev, "disable_ipv6", m->disable_ipv6);
		if (err)
			return err;
	}

	/* IFF_NOARP: it never resolves neighbours. */
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0)
		return -errno;
	ifr.ifr_flags |= IFF_UP | IFF_NOARP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot bring %s up: %s", dev, strerror(-err));
	}
	return err;
}

/* IF's MAC and MTU onto the TAP, then the sysctls. */
static int tap_configure(struct rxq_tap *t, struct rxq_sys *sys, int sock)
{
	struct ifreq ifr;
	int err;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	ifr.ifr_hwaddr.sa_family = ARPHRD_ETHER;
	memcpy(ifr.ifr_hwaddr.sa_data, t->from.mac, ETH_ALEN);
	if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot set the MAC address of %s: %s", t->name, strerror(-err));
		return err;
	}
	ifr.ifr_mtu = t->from.mtu;
	if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot set MTU %d on %s: %s", t->from.mtu, t->name, strerror(-err));
		return err;
	}
	return tap_apply_mirror(sys, sock, t->name, t->ifindex, &t->from);
}

/* What tap_vlan_link_cb() looks for: the 802.1Q VLAN interfaces on @lower with one of the VIDs. */
struct tap_vlan_query {
	int lower;
	struct tap_vlan *vlans; /* vid set; ifname filled in when found */
	unsigned nvlans;
};

/* Attributes by type, for mnl_attr_parse(): types above max are ignored. */
struct attr_table {
	const struct nlattr **tb;
	unsigned max;
};

static int attr_table_cb(const struct nlattr *a, void *data)
{
	const struct attr_table *t = data;

	if (mnl_attr_get_type(a) <= t->max)
		t->tb[mnl_attr_get_type(a)] = a;
	return MNL_CB_OK;
}

/*
 * The VID when @nlh (RTM_NEWLINK) is an 802.1Q VLAN interface on @lower, its name then in @name;
 * else 0. The lower device is IFLA_LINK, unless IFLA_LINK_NETNSID says it is in another namespace
 * (the ifindex is one of that namespace).
 */
RXQ_STATIC int tap_vlan_of(const struct nlmsghdr *nlh, int lower, char name[IF_NAMESIZE])
{
	const struct nlattr *tb[IFLA_MAX + 1] = { 0 }, *info[IFLA_INFO_MAX + 1] = { 0 };
	const struct nlattr *vlan[IFLA_VLAN_MAX + 1] = { 0 };

	if (nlh->nlmsg_type != RTM_NEWLINK ||
	    mnl_attr_parse(nlh, sizeof(struct ifinfomsg), attr_table_cb,
			   &(struct attr_table){ tb, IFLA_MAX }) < 0)
		return 0;
	if (tb[IFLA_LINK_NETNSID] || !tb[IFLA_LINK] ||
	    mnl_attr_validate(tb[IFLA_LINK], MNL_TYPE_U32) ||
	    mnl_attr_get_u32(tb[IFLA_LINK]) != (uint32_t)lower || !tb[IFLA_IFNAME] ||
	    mnl_attr_validate(tb[IFLA_IFNAME], MNL_TYPE_NUL_STRING) || !tb[IFLA_LINKINFO] ||
	    mnl_attr_parse_nested(tb[IFLA_LINKINFO], attr_table_cb,
				  &(struct attr_table){ info, IFLA_INFO_MAX }) < 0)
		return 0;
	if (!info[IFLA_INFO_KIND] || mnl_attr_validate(info[IFLA_INFO_KIND], MNL_TYPE_NUL_STRING) ||
	    strcmp(mnl_attr_get_str(info[IFLA_INFO_KIND]), "vlan") || !info[IFLA_INFO_DATA] ||
	    mnl_attr_parse_nested(info[IFLA_INFO_DATA], attr_table_cb,
				  &(struct attr_table){ vlan, IFLA_VLAN_MAX }) < 0)
		return 0;
	if (!vlan[IFLA_VLAN_ID] || mnl_attr_validate(vlan[IFLA_VLAN_ID], MNL_TYPE_U16) ||
	    !vlan[IFLA_VLAN_PROTOCOL] ||
	    mnl_attr_validate(vlan[IFLA_VLAN_PROTOCOL], MNL_TYPE_U16) ||
	    ntohs(mnl_attr_get_u16(vlan[IFLA_VLAN_PROTOCOL])) != ETH_P_8021Q)
		return 0;
	snprintf(name, IF_NAMESIZE, "%s", mnl_attr_get_str(tb[IFLA_IFNAME]));
	return mnl_attr_get_u16(vlan[IFLA_VLAN_ID]);
}

static int tap_vlan_link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tap_vlan_query *q = data;
	char name[IF_NAMESIZE];
	int vid = tap_vlan_of(nlh, q->lower, name);
	unsigned i;

	for (i = 0; vid && i < q->nvlans; i++)
		if (q->vlans[i].vid == vid)
			memcpy(q->vlans[i].from.ifname, name, IF_NAMESIZE);
	return 0;
}

/* Dumps every link of the namespace through tap_vlan_link_cb(). 0 or -errno. */
static int tap_find_vlans(struct rxq_sys *sys, struct tap_vlan_query *q)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	return rxq_sys__rtnl(sys, nlh, tap_vlan_link_cb, q);
}

/* Creates VLAN interface @v->name with @v->vid on @lower (RTM_NEWLINK). 0 or -errno. */
static int tap_nl_add_vlan(struct rxq_sys *sys, int lower, const struct tap_vlan *v)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlattr *linkinfo, *data;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, v->name);
	mnl_attr_put_u32(nlh, IFLA_LINK, (uint32_t)lower);
	mnl_attr_put(nlh, IFLA_ADDRESS, ETH_ALEN, v->from.mac);
	mnl_attr_put_u32(nlh, IFLA_MTU, (uint32_t)v->from.mtu);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "vlan");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	mnl_attr_put_u16(nlh, IFLA_VLAN_ID, v->vid);
	mnl_attr_put_u16(nlh, IFLA_VLAN_PROTOCOL, htons(ETH_P_8021Q));
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return rxq_sys__rtnl(sys, nlh, NULL, NULL);
}

/* "TAP.VID", cutting the TAP's name short when both do not fit in an interface name. */
static void vlan_name(char *out, const char *tap, uint16_t vid)
{
	char suffix[8];
	int keep;

	snprintf(suffix, sizeof(suffix), ".%u", vid);
	keep = IF_NAMESIZE - 1 - (int)strlen(suffix);
	snprintf(out, IF_NAMESIZE, "%.*s%s", keep, tap, suffix);
}

/* Checks the VIDs, finds IF's VLAN interface for each and reads what the new one copies. */
static int tap_vlans_prepare(struct rxq_tap *t, struct rxq_sys *sys, int sock, const uint16_t *vids,
			     unsigned n)
{
	struct tap_vlan_query q;
	unsigned i, j;
	int err;

	if (!n)
		return 0;
	if (!vids) {
		rxq_err("%u VLAN IDs announced but none given", n);
		return -EINVAL;
	}
	for (i = 0; i < n; i++) {
		if (vids[i] < 1 || vids[i] > TAP_VID_MAX) {
			rxq_err("VLAN ID %u is out of range (1-%d)", vids[i], TAP_VID_MAX);
			return -EINVAL;
		}
		for (j = 0; j < i; j++)
			if (vids[j] == vids[i]) {
				rxq_err("VLAN ID %u is given twice", vids[i]);
				return -EINVAL;
			}
	}
	t->vlans = calloc(n, sizeof(*t->vlans));
	if (!t->vlans)
		return -ENOMEM;
	t->nvlans = n;
	for (i = 0; i < n; i++)
		t->vlans[i].vid = vids[i];

	q = (struct tap_vlan_query){ .lower = t->for_ifindex, .vlans = t->vlans, .nvlans = n };
	err = tap_find_vlans(sys, &q);
	if (err) {
		rxq_err("cannot list the interfaces to find the VLAN interfaces of %s: %s",
			t->from.ifname, strerror(-err));
		return err;
	}
	for (i = 0; i < n; i++) {
		struct tap_vlan *v = &t->vlans[i];

		if (!v->from.ifname[0]) {
			rxq_err("%s has no VLAN interface for VID %u: the kernel drops such frames; "
				"create one or leave VID %u out",
				t->from.ifname, v->vid, v->vid);
			return -ENOENT;
		}
		err = tap_read_mirror(sock, &v->from);
		if (err)
			return err;
	}
	return 0;
}

/* On the TAP, one VLAN interface per VID standing in for IF's. */
static int tap_vlans_create(struct rxq_tap *t, struct rxq_sys *sys, int sock)
{
	unsigned i;
	int err;

	for (i = 0; i < t->nvlans; i++) {
		struct tap_vlan *v = &t->vlans[i];

		vlan_name(v->name, t->name, v->vid);
		err = tap_nl_add_vlan(sys, t->ifindex, v);
		if (err == -EEXIST) {
			rxq_err("cannot create VLAN interface %s on %s: an interface of that name "
				"exists; remove it or choose another TAP name",
				v->name, t->name);
			return -EBUSY;
		}
		if (err) {
			rxq_err("cannot create VLAN interface %s (VID %u) on %s: %s", v->name,
				v->vid, t->name, strerror(-err));
			return err;
		}
		v->ifindex = (int)if_nametoindex(v->name);
		if (!v->ifindex)
			return -errno;
		err = tap_apply_mirror(sys, sock, v->name, v->ifindex, &v->from);
		if (err)
			return err;
	}
	return 0;
}

/*
 * One queue of the TAP. The first one creates it with IFF_TUN_EXCL: without, TUNSETIFF attaches
 * to an existing persistent TAP of that name, which would then keep the MAC, IFF_NOARP and the
 * borrowed address after we are gone. The others attach to the TAP the first one created.
 */
static int tap_open_queue(struct rxq_tap *t, short flags)
{
	struct ifreq ifr;
	int fd, err;

	fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0) {
		err = -errno;
		if (err == -ENOENT || err == -ENXIO || err == -ENODEV) {
			rxq_err("/dev/net/tun is missing: load the tun module (modprobe tun)");
			return -ENODEV;
		}
		/* A file permission, not a capability: Debian's udev makes the node 0666. */
		if (err == -EACCES || err == -EPERM) {
			rxq_err("cannot open /dev/net/tun: %s (its file mode does not let this user "
				"open it: run as root, or make it 0666 as udev does)",
				strerror(-err));
			return -EPERM;
		}
		rxq_err("cannot open /dev/net/tun: %s", strerror(-err));
		return err;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	err = tap_tun_setiff(fd, &ifr);
	if (err) {
		close(fd);
		if (err == -EPERM) {
			rxq_err("creating TAP %s needs CAP_NET_ADMIN: run as root or grant it",
				t->name);
		} else if (err == -EBUSY || err == -EEXIST) {
			rxq_err("cannot create TAP %s: the name is in use by an existing interface (a "
				"persistent TAP, or the TAP of another rxq-offload); choose another "
				"name with --tap, or remove the interface if it is stale",
				t->name);
			err = -EBUSY;
		} else {
			rxq_err("cannot create TAP %s: %s", t->name, strerror(-err));
		}
		return err;
	}
	/* The kernel may have completed a name template ("rxq%d"). */
	snprintf(t->name, sizeof(t->name), "%s", ifr.ifr_name);
	return fd;
}

int rxq_tap__open(struct rxq_tap **out, int ifindex, const struct rxq_tap_opts *opts)
{
	struct rxq_tap_opts o = { 0 };
	struct rxq_sys sys;
	struct rxq_tap *t;
	int err, fd, sock = -1;
	unsigned q;
	short flags;

	*out = NULL;
	if (RXQ_OPTS_LOAD(o, opts, rxq_tap_opts))
		return -EINVAL;
	if (!o.nqueues)
		o.nqueues = 1;
	if (o.nqueues > TAP_MAX_QUEUES)
		return -E2BIG;
	if (o.name && (!o.name[0] || strlen(o.name) >= IF_NAMESIZE)) {
		rxq_err("TAP name '%s' must have 1 to %d characters", o.name, IF_NAMESIZE - 1);
		return -EINVAL;
	}

	t = calloc(1, sizeof(*t) + o.nqueues * sizeof(int));
	if (!t)
		return -ENOMEM;
	rxq_sys__init(&sys, NULL, NULL);
	for (q = 0; q < o.nqueues; q++)
		t->fds[q] = -1;
	t->for_ifindex = ifindex;
	if (!if_indextoname((unsigned)ifindex, t->from.ifname)) {
		err = -ENODEV;
		rxq_err("no interface with index %d", ifindex);
		goto err_free;
	}
	if (o.name)
		snprintf(t->name, sizeof(t->name), "%s", o.name);
	else
		snprintf(t->name, sizeof(t->name), "rxq%dq%u", ifindex, o.first_queue);

	/* Everything to copy is read first: what cannot be read creates nothing. */
	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0) {
		err = -errno;
		goto err_free;
	}
	err = rxq_sys__rtnl_open(&sys);
	if (err) {
		rxq_err("cannot open a netlink socket: %s", strerror(-err));
		goto err_free;
	}
	err = tap_read_mirror(sock, &t->from);
	if (err)
		goto err_free;
	err = tap_vlans_prepare(t, &sys, sock, o.vlans, o.nvlans);
	if (err)
		goto err_free;

	flags = IFF_TAP | IFF_NO_PI | (o.nqueues > 1 ? IFF_MULTI_QUEUE : 0);
	for (q = 0; q < o.nqueues; q++) {
		fd = tap_open_queue(t, (short)(flags | (q ? 0 : IFF_TUN_EXCL)));
		if (fd < 0) {
			err = fd;
			goto err_close;
		}
		t->fds[t->nqueues++] = fd;
	}
	t->ifindex = (int)if_nametoindex(t->name);
	if (!t->ifindex) {
		err = -errno;
		goto err_close;
	}
	err = tap_configure(t, &sys, sock);
	if (!err)
		err = tap_vlans_create(t, &sys, sock);
	if (err)
		goto err_close;
	rxq_sys__fini(&sys);
	close(sock);
	*out = t;
	return 0;

err_close:
	/* The TAP is not persistent: it goes with its last fd, and its VLAN interfaces with it. */
	for (q = 0; q < t->nqueues; q++)
		close(t->fds[q]);
err_free:
	rxq_sys__fini(&sys);
	if (sock >= 0)
		close(sock);
	free(t->vlans);
	free(t);
	return err;
}

const char *rxq_tap__name(const struct rxq_tap *t)
{
	return t->name;
}

int rxq_tap__ifindex(const struct rxq_tap *t)
{
	return t->ifindex;
}

int rxq_tap__vlan_ifindex(const struct rxq_tap *t, uint16_t vid)
{
	unsigned i;

	for (i = 0; i < t->nvlans; i++)
		if (t->vlans[i].vid == vid)
			return t->vlans[i].ifindex;
	return -ENOENT;
}

const char *rxq_tap__vlan_of(const struct rxq_tap *t, uint16_t vid)
{
	unsigned i;

	for (i = 0; i < t->nvlans; i++)
		if (t->vlans[i].vid == vid)
			return t->vlans[i].from.ifname;
	return NULL;
}

int rxq_tap__fd(const struct rxq_tap *t, unsigned q)
{
	return q < t->nqueues ? t->fds[q] : -1;
}

unsigned rxq_tap__write_batch(struct rxq_tap *t, unsigned q, const struct iovec *frames, unsigned n,
			      int *first_err)
{
	unsigned i, ok = 0;
	int fd = t->fds[q < t->nqueues ? q : 0];
	ssize_t w;

	if (first_err)
		*first_err = 0;
	for (i = 0; i < n; i++) {
		w = write(fd, frames[i].iov_base, frames[i].iov_len);
		if (w == (ssize_t)frames[i].iov_len) {
			ok++;
			continue;
		}
		if (first_err && !*first_err)
			*first_err = w < 0 ? -errno : -EIO;
	}
	return ok;
}

void rxq_tap__close(struct rxq_tap *t)
{
	unsigned q;

	if (!t)
		return;
	/* Its VLAN interfaces go with the TAP when the kernel removes it. */
	for (q = 0; q < t->nqueues; q++)
		close(t->fds[q]);
	free(t->vlans);
	free(t);
}
