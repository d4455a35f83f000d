// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <time.h>
#include <linux/if_addr.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>

#include <libmnl/libmnl.h>

#include "rxq/log.h"
#include "rxq/tap.h"
#include "internal.h"

#define TAP_MAX_QUEUES 256

struct rxq_tap {
	char name[IF_NAMESIZE];
	char ifname[IF_NAMESIZE];
	int ifindex;
	unsigned nqueues;
	int fds[];
};

/*
 * Kernel boundary: /proc/sys/net/... reads and writes. A '.' in an interface name is a '/' in the
 * sysctl path (eth0.100 -> eth0/100). A NULL @value only reads.
 */
RXQ_STATIC int tap_sysctl(const char *family, const char *dev, const char *key, const char *value,
			  int *out)
{
	char path[128], buf[32];
	ssize_t n;
	size_t i;
	int fd, err = 0;

	n = snprintf(path, sizeof(path), "/proc/sys/net/%s/conf/", family);
	for (i = 0; dev[i] && (size_t)n < sizeof(path) - 1; i++)
		path[n++] = dev[i] == '.' ? '/' : dev[i];
	snprintf(path + n, sizeof(path) - (size_t)n, "/%s", key);
	fd = open(path, (value ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (value) {
		n = write(fd, value, strlen(value));
		if (n < 0)
			err = -errno;
	} else {
		n = read(fd, buf, sizeof(buf) - 1);
		if (n < 0) {
			err = -errno;
		} else {
			buf[n] = '\0';
			*out = atoi(buf);
		}
	}
	close(fd);
	return err;
}

static int sysctl_get(const char *family, const char *dev, const char *key, int dflt)
{
	int v;

	return tap_sysctl(family, dev, key, NULL, &v) ? dflt : v;
}

/* rp_filter is max(all, dev); the TAP gets 0 if IF has none in effect, else loose mode. */
RXQ_STATIC int tap_rp_filter_for(int all, int ifv)
{
	return (all > ifv ? all : ifv) ? 2 : 0;
}

/*
 * Kernel boundary: adds @addr/32 to @ifindex without a prefix route (RTM_NEWADDR). 0 or -errno.
 */
RXQ_STATIC int tap_nl_add_addr4(int ifindex, struct in_addr addr)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct mnl_socket *nl;
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;
	unsigned seq = (unsigned)time(NULL), portid;
	int err = 0;
	ssize_t n;

	nl = mnl_socket_open(NETLINK_ROUTE);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		err = -errno;
		goto out;
	}
	portid = mnl_socket_get_portid(nl);
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_INET;
	ifa->ifa_prefixlen = 32;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = (unsigned)ifindex;
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(addr), &addr);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(addr), &addr);
	mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NOPREFIXROUTE);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		err = -errno;
		goto out;
	}
	n = mnl_socket_recvfrom(nl, buf, sizeof(buf));
	if (n < 0) {
		err = -errno;
		goto out;
	}
	if (mnl_cb_run(buf, (size_t)n, seq, portid, NULL, NULL) < 0)
		err = -errno;
out:
	mnl_socket_close(nl);
	return err;
}

/*
 * With rp_filter in effect, the kernel drops every IPv4 packet that arrives on an interface
 * without an IPv4 address (fib_validate_source: no address -> "last resort" -> reverse path
 * failure), even in loose mode. So the TAP borrows IF's primary address as a /32 without a prefix
 * route: that adds no new local address and no route, and lets the loose check run.
 */
static int tap_borrow_addr4(struct rxq_tap *t)
{
	struct sockaddr_in *sin;
	struct ifreq ifr;
	int sock, err;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
	err = ioctl(sock, SIOCGIFADDR, &ifr) < 0 ? -errno : 0;
	close(sock);
	if (err == -EADDRNOTAVAIL)
		return 0; /* IF has no IPv4 address: nothing to deliver locally over IPv4 */
	if (err) {
		rxq_err("cannot read the IPv4 address of %s: %s", t->ifname, strerror(-err));
		return err;
	}
	sin = (struct sockaddr_in *)&ifr.ifr_addr;
	err = tap_nl_add_addr4(t->ifindex, sin->sin_addr);
	if (err)
		rxq_err("cannot add %s/32 to %s: %s", inet_ntoa(sin->sin_addr), t->name,
			strerror(-err));
	return err;
}

static int tap_configure_sysctls(struct rxq_tap *t)
{
	char v[16];
	int err, rpf;

	rpf = tap_rp_filter_for(sysctl_get("ipv4", "all", "rp_filter", 0),
				sysctl_get("ipv4", t->ifname, "rp_filter", 0));
	if (rpf) {
		err = tap_borrow_addr4(t);
		if (err)
			return err;
	}
	snprintf(v, sizeof(v), "%d", rpf);
	err = tap_sysctl("ipv4", t->name, "rp_filter", v, NULL);
	if (err) {
		rxq_err("cannot set net.ipv4.conf.%s.rp_filter: %s", t->name, strerror(-err));
		return err;
	}
	snprintf(v, sizeof(v), "%d", sysctl_get("ipv4", t->ifname, "accept_local", 0) ? 1 : 0);
	err = tap_sysctl("ipv4", t->name, "accept_local", v, NULL);
	if (err) {
		rxq_err("cannot set net.ipv4.conf.%s.accept_local: %s", t->name, strerror(-err));
		return err;
	}
	/* IPv6 may be disabled in the kernel or the namespace: then there is nothing to set. */
	err = tap_sysctl("ipv6", t->name, "addr_gen_mode", "1", NULL);
	if (err == -ENOENT)
		return 0;
	if (err) {
		rxq_err("cannot set net.ipv6.conf.%s.addr_gen_mode: %s", t->name, strerror(-err));
		return err;
	}
	err = tap_sysctl("ipv6", t->name, "accept_ra", "0", NULL);
	if (!err) {
		snprintf(v, sizeof(v), "%d", sysctl_get("ipv6", t->ifname, "disable_ipv6", 0));
		err = tap_sysctl("ipv6", t->name, "disable_ipv6", v, NULL);
	}
	if (err)
		rxq_err("cannot configure IPv6 on %s: %s", t->name, strerror(-err));
	return err;
}

/* IF's MAC and MTU onto the TAP, then up (IFF_NOARP: it never resolves neighbours). */
static int tap_configure_link(struct rxq_tap *t)
{
	struct ifreq ifr;
	int sock, err = 0, mtu;

	sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
	if (ioctl(sock, SIOCGIFHWADDR, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot read the MAC address of %s: %s", t->ifname, strerror(-err));
		goto out;
	}
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	if (ioctl(sock, SIOCSIFHWADDR, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot set the MAC address of %s: %s", t->name, strerror(-err));
		goto out;
	}

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->ifname);
	if (ioctl(sock, SIOCGIFMTU, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot read the MTU of %s: %s", t->ifname, strerror(-err));
		goto out;
	}
	mtu = ifr.ifr_mtu;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	ifr.ifr_mtu = mtu;
	if (ioctl(sock, SIOCSIFMTU, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot set MTU %d on %s: %s", mtu, t->name, strerror(-err));
		goto out;
	}

	err = tap_configure_sysctls(t);
	if (err)
		goto out;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	if (ioctl(sock, SIOCGIFFLAGS, &ifr) < 0) {
		err = -errno;
		goto out;
	}
	ifr.ifr_flags |= IFF_UP | IFF_NOARP;
	if (ioctl(sock, SIOCSIFFLAGS, &ifr) < 0) {
		err = -errno;
		rxq_err("cannot bring %s up: %s", t->name, strerror(-err));
	}
out:
	close(sock);
	return err;
}

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
		if (err == -EACCES || err == -EPERM) {
			rxq_err("opening /dev/net/tun needs CAP_NET_ADMIN: run as root");
			return -EPERM;
		}
		rxq_err("cannot open /dev/net/tun: %s", strerror(-err));
		return err;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = flags;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", t->name);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		err = -errno;
		close(fd);
		if (err == -EPERM) {
			rxq_err("creating TAP %s needs CAP_NET_ADMIN: run as root", t->name);
		} else if (err == -EBUSY || err == -EEXIST || err == -EINVAL) {
			rxq_err("cannot create TAP %s: the name is in use (another rxq-offload on "
				"this queue? choose another name with --tap)",
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
	struct rxq_tap_opts o = {0};
	struct rxq_tap *t;
	unsigned q;
	short flags;
	int err, fd;

	*out = NULL;
	if (opts)
		memcpy(&o, opts, opts->sz && opts->sz < sizeof(o) ? opts->sz : sizeof(o));
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
	for (q = 0; q < o.nqueues; q++)
		t->fds[q] = -1;
	t->ifindex = 0;
	if (!if_indextoname((unsigned)ifindex, t->ifname)) {
		err = -ENODEV;
		rxq_err("no interface with index %d", ifindex);
		goto err_free;
	}
	if (o.name)
		snprintf(t->name, sizeof(t->name), "%s", o.name);
	else
		snprintf(t->name, sizeof(t->name), "rxq%dq%u", ifindex, o.first_queue);

	flags = IFF_TAP | IFF_NO_PI | (o.nqueues > 1 ? IFF_MULTI_QUEUE : 0);
	for (q = 0; q < o.nqueues; q++) {
		fd = tap_open_queue(t, flags);
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
	err = tap_configure_link(t);
	if (err)
		goto err_close;
	*out = t;
	return 0;

err_close:
	for (q = 0; q < t->nqueues; q++)
		close(t->fds[q]);
err_free:
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
	for (q = 0; q < t->nqueues; q++)
		close(t->fds[q]);
	free(t);
}
