// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <ifaddrs.h>
#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "tstamp.h"

uint64_t tstamp__realtime_ns(void)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	return (uint64_t)t.tv_sec * 1000000000ull + (uint64_t)t.tv_nsec;
}

static uint64_t ts_ns(const struct timespec *t)
{
	return (uint64_t)t->tv_sec * 1000000000ull + (uint64_t)t->tv_nsec;
}

static bool same_addr(const struct sockaddr *a, const struct sockaddr *b)
{
	if (a->sa_family != b->sa_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	if (a->sa_family == AF_INET6)
		return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
			       &((const struct sockaddr_in6 *)b)->sin6_addr,
			       sizeof(struct in6_addr));
	return false;
}

/* The interface holding the socket's local address: where the probes leave. */
static int local_ifname(int fd, char *name)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	struct ifaddrs *ifa, *i;
	int ret = -ENODEV;

	if (getsockname(fd, (struct sockaddr *)&local, &len))
		return -errno;
	if (getifaddrs(&ifa))
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr && same_addr(i->ifa_addr, (struct sockaddr *)&local)) {
			snprintf(name, IF_NAMESIZE, "%s", i->ifa_name);
			ret = 0;
			break;
		}
	}
	freeifaddrs(ifa);
	return ret;
}

static int ts_info(int fd, const char *ifname, struct ethtool_ts_info *info)
{
	struct ifreq ifr;

	memset(info, 0, sizeof(*info));
	memset(&ifr, 0, sizeof(ifr));
	info->cmd = ETHTOOL_GET_TS_INFO;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)info;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return -errno;
	return 0;
}

/* Hardware stamping is used only when someone already switched it on: never reconfigure a NIC. */
static bool hw_enabled(int fd, const char *ifname)
{
	struct hwtstamp_config hc;
	struct ifreq ifr;

	memset(&hc, 0, sizeof(hc));
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", ifname);
	ifr.ifr_data = (void *)&hc;
	if (ioctl(fd, SIOCGHWTSTAMP, &ifr))
		return false;
	return hc.tx_type == HWTSTAMP_TX_ON && hc.rx_filter != HWTSTAMP_FILTER_NONE;
}

static void describe_caps(unsigned caps, char *buf, size_t len)
{
	static const struct {
		unsigned flag;
		const char *name;
	} names[] = {
		{ SOF_TIMESTAMPING_TX_SOFTWARE, "software transmit" },
		{ SOF_TIMESTAMPING_RX_SOFTWARE, "software receive" },
		{ SOF_TIMESTAMPING_TX_HARDWARE, "hardware transmit" },
		{ SOF_TIMESTAMPING_RX_HARDWARE, "hardware receive" },
	};
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(caps & names[i].flag))
			continue;
		used += (size_t)snprintf(buf + used, used < len ? len - used : 0, "%s%s",
					 used ? ", " : "", names[i].name);
	}
	if (!used)
		snprintf(buf, len, "none");
}

int tstamp__setup(struct tstamp *ts, int fd, bool rx_ns, bool split, char *why, size_t len)
{
	struct ethtool_ts_info info;
	unsigned flags, caps;
	char have[128];
	int one = 1, ret;

	memset(ts, 0, sizeof(*ts));
	why[0] = '\0';
	if (rx_ns) {
		if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one))) {
			ret = -errno;
			snprintf(why, len, "SO_TIMESTAMPNS (kernel receive timestamps): %s",
				 strerror(-ret));
			return ret;
		}
		ts->rx_ns = true;
	}
	if (!split)
		return 0;

	ret = local_ifname(fd, ts->ifname);
	if (ret) {
		snprintf(why, len, "cannot tell which interface the probes leave by (%s)",
			 strerror(-ret));
		return -EOPNOTSUPP;
	}
	ret = ts_info(fd, ts->ifname, &info);
	if (ret) {
		snprintf(why, len, "%s does not report its timestamping capabilities (%s)",
			 ts->ifname, strerror(-ret));
		return -EOPNOTSUPP;
	}
	caps = info.so_timestamping;
	describe_caps(caps, have, sizeof(have));
	if ((caps & (SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE)) ==
		    (SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE) &&
	    hw_enabled(fd, ts->ifname)) {
		ts->hardware = true;
		flags = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE |
			SOF_TIMESTAMPING_RAW_HARDWARE;
	} else if ((caps & (SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE)) ==
		   (SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE)) {
		flags = SOF_TIMESTAMPING_TX_SOFTWARE | SOF_TIMESTAMPING_RX_SOFTWARE |
			SOF_TIMESTAMPING_SOFTWARE;
	} else {
		snprintf(why, len,
			 "%s cannot timestamp both directions (it has: %s; needed: software or "
			 "hardware transmit and receive); --timestamp gives the receive side alone",
			 ts->ifname, have);
		return -EOPNOTSUPP;
	}
	/* OPT_ID numbers the sends so transmit stamps can be matched to probes; TSONLY keeps the
	 * packet itself off the error queue. */
	flags |= SOF_TIMESTAMPING_OPT_ID | SOF_TIMESTAMPING_OPT_TSONLY;
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPING, &flags, sizeof(flags))) {
		ret = -errno;
		snprintf(why, len, "SO_TIMESTAMPING on %s: %s", ts->ifname, strerror(-ret));
		return ret;
	}
	ts->split = true;
	if (!ts->hardware && (caps & SOF_TIMESTAMPING_TX_HARDWARE))
		snprintf(
			why, len,
			"%s has hardware timestamps but they are not enabled (hwstamp_ctl -i %s -t 1 "
			"-r 1); using software ones",
			ts->ifname, ts->ifname);
	return 0;
}

const char *tstamp__source(const struct tstamp *ts)
{
	return ts->hardware ? "hardware" : "software";
}

void tstamp__sent(struct tstamp *ts, uint64_t seq, uint64_t user_ns)
{
	struct tstamp_slot *s = &ts->by_seq[seq % TSTAMP_RING];
	uint32_t key = ts->next_key++;

	s->seq = seq;
	s->user_ns = user_ns;
	s->tx_ns = 0;
	s->key = key;
	s->used = true;
	ts->seq_of_key[key % TSTAMP_RING] = seq;
}

void tstamp__rx(const struct tstamp *ts, const struct msghdr *m, uint64_t *sw_ns, uint64_t *hw_ns)
{
	struct cmsghdr *c;

	*sw_ns = 0;
	*hw_ns = 0;
	for (c = CMSG_FIRSTHDR((struct msghdr *)m); c; c = CMSG_NXTHDR((struct msghdr *)m, c)) {
		if (c->cmsg_level != SOL_SOCKET)
			continue;
		if (c->cmsg_type == SCM_TIMESTAMPNS) {
			struct timespec t;

			memcpy(&t, CMSG_DATA(c), sizeof(t));
			*sw_ns = ts_ns(&t);
		} else if (c->cmsg_type == SCM_TIMESTAMPING) {
			struct scm_timestamping st;

			memcpy(&st, CMSG_DATA(c), sizeof(st));
			if (ts_ns(&st.ts[0]))
				*sw_ns = ts_ns(&st.ts[0]);
			if (ts->hardware)
				*hw_ns = ts_ns(&st.ts[2]);
		}
	}
}

void tstamp__collect_tx(struct tstamp *ts, int fd)
{
	uint8_t control[TSTAMP_CMSG_SPACE];
	struct msghdr m;
	struct cmsghdr *c;

	for (;;) {
		uint64_t stamp = 0;
		uint32_t key = 0;
		bool have_key = false;

		memset(&m, 0, sizeof(m));
		m.msg_control = control;
		m.msg_controllen = sizeof(control);
		if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPING) {
				struct scm_timestamping st;

				memcpy(&st, CMSG_DATA(c), sizeof(st));
				stamp = ts_ns(ts->hardware ? &st.ts[2] : &st.ts[0]);
			} else if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
				   (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
				struct sock_extended_err ee;

				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
				if (ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
				    ee.ee_info == SCM_TSTAMP_SND) {
					key = ee.ee_data;
					have_key = true;
				}
			}
		}
		if (have_key && stamp) {
			uint64_t seq = ts->seq_of_key[key % TSTAMP_RING];
			struct tstamp_slot *s = &ts->by_seq[seq % TSTAMP_RING];

			if (s->used && s->key == key && s->seq == seq)
				s->tx_ns = stamp;
		}
	}
}

bool tstamp__lookup(struct tstamp *ts, uint64_t seq, uint64_t *user_ns, uint64_t *tx_ns)
{
	struct tstamp_slot *s = &ts->by_seq[seq % TSTAMP_RING];

	if (!s->used || s->seq != seq || !s->tx_ns) {
		ts->tx_missing++;
		return false;
	}
	*user_ns = s->user_ns;
	*tx_ns = s->tx_ns;
	return true;
}
