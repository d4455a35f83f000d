// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * TAP reinjection. The pure parts and those behind the fake kernel boundaries (/proc/sys, the
 * TUNSETIFF ioctl, link dump messages) always run; the rest needs root: the test moves itself
 * into a fresh network namespace (unshare), creates a veth pair there, and checks that frames
 * written to the TAP reach local UDP sockets over IPv4 and IPv6 exactly as if they had arrived on
 * the veth, tagged frames as if they had arrived on its VLAN interfaces, that an existing
 * interface is never taken over, and that the TAP and its VLAN interfaces are gone once closed
 * or once the process is killed.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/if_tun.h>
#include <linux/rtnetlink.h>
#include <libmnl/libmnl.h>
#include <cmocka.h>

#include "rxq/log.h"
#include "rxq/tap.h"

int tap_rp_filter_for(int all, int ifv);
int tap_sysctl(const char *family, const char *dev, const char *key, const char *value, int *out);
int tap_read_sysctls(const char *ifname, int mtu, int *rp_filter, int *accept_local,
		     int *disable_ipv6);
int tap_vlan_of(const struct nlmsghdr *nlh, int lower, char name[IF_NAMESIZE]);
extern int (*tap_proc_rw)(const char *path, const char *value, char *buf, size_t size);
extern int (*tap_tun_setiff)(int fd, struct ifreq *ifr);

static char logged[4096];

static void capture_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(logged + strlen(logged), sizeof(logged) - strlen(logged), "%s\n", msg);
}

static void log_reset(void)
{
	logged[0] = '\0';
	rxq_log__set(capture_log, NULL);
}

/* The fake /proc/sys: paths with a value or an error; every path asked for is recorded. */
static struct {
	const char *path, *value;
	int err;
} proc[16];
static char proc_asked[2048];
static char proc_written[512];

static int fake_proc_rw(const char *path, const char *value, char *buf, size_t size)
{
	unsigned i;

	snprintf(proc_asked + strlen(proc_asked), sizeof(proc_asked) - strlen(proc_asked), "%s\n",
		 path);
	for (i = 0; i < sizeof(proc) / sizeof(proc[0]) && proc[i].path; i++) {
		if (strcmp(proc[i].path, path))
			continue;
		if (proc[i].err)
			return proc[i].err;
		if (value)
			snprintf(proc_written + strlen(proc_written),
				 sizeof(proc_written) - strlen(proc_written), "%s=%s\n", path,
				 value);
		else
			snprintf(buf, size, "%s\n", proc[i].value);
		return 0;
	}
	return -ENOENT;
}

static void fake_proc(void)
{
	memset(proc, 0, sizeof(proc));
	proc_asked[0] = proc_written[0] = '\0';
	tap_proc_rw = fake_proc_rw;
}

static int (*real_proc_rw)(const char *path, const char *value, char *buf, size_t size);
static int (*real_setiff)(int fd, struct ifreq *ifr);

/* After every test, also a failed one: the real kernel again, and no log capture. */
static int restore(void **state)
{
	(void)state;
	tap_proc_rw = real_proc_rw;
	tap_tun_setiff = real_setiff;
	rxq_log__set(NULL, NULL);
	return 0;
}

/* A dotted interface name is a directory of that name in /proc/sys, not a path of two. */
static void test_sysctl_dotted_name(void **state)
{
	int v = -1;

	(void)state;
	fake_proc();
	proc[0].path = "/proc/sys/net/ipv4/conf/eth3.5/rp_filter";
	proc[0].value = "1";
	assert_int_equal(tap_sysctl("ipv4", "eth3.5", "rp_filter", NULL, &v), 0);
	assert_int_equal(v, 1);
	assert_string_equal(proc_asked, "/proc/sys/net/ipv4/conf/eth3.5/rp_filter\n");
	assert_int_equal(tap_sysctl("ipv4", "eth3.5", "rp_filter", "2", NULL), 0);
	assert_string_equal(proc_written, "/proc/sys/net/ipv4/conf/eth3.5/rp_filter=2\n");
	proc[0].value = "not a number";
	assert_int_equal(tap_sysctl("ipv4", "eth3.5", "rp_filter", NULL, &v), -EINVAL);
}

/* IF's values are read, never assumed: a read that fails is the error of the whole open. */
static void test_read_sysctls(void **state)
{
	int rpf = -1, local = -1, v6 = -9;

	(void)state;
	fake_proc();
	log_reset();
	proc[0] = (typeof(proc[0])){ "/proc/sys/net/ipv4/conf/all/rp_filter", "0", 0 };
	proc[1] = (typeof(proc[0])){ "/proc/sys/net/ipv4/conf/eth3.5/rp_filter", "1", 0 };
	proc[2] = (typeof(proc[0])){ "/proc/sys/net/ipv4/conf/eth3.5/accept_local", "1", 0 };
	proc[3] = (typeof(proc[0])){ "/proc/sys/net/ipv6/conf/all/disable_ipv6", "0", 0 };
	proc[4] = (typeof(proc[0])){ "/proc/sys/net/ipv6/conf/eth3.5/disable_ipv6", "1", 0 };
	assert_int_equal(tap_read_sysctls("eth3.5", 1500, &rpf, &local, &v6), 0);
	assert_int_equal(rpf, 2);
	assert_int_equal(local, 1);
	assert_int_equal(v6, 1);
	assert_string_equal(logged, "");

	proc[1].err = -EACCES;
	assert_int_equal(tap_read_sysctls("eth3.5", 1500, &rpf, &local, &v6), -EACCES);
	assert_non_null(
		strstr(logged, "cannot read net.ipv4.conf.eth3.5.rp_filter: Permission denied"));
	proc[1].err = 0;
	proc[2].err = -EIO;
	assert_int_equal(tap_read_sysctls("eth3.5", 1500, &rpf, &local, &v6), -EIO);
	assert_non_null(strstr(logged, "net.ipv4.conf.eth3.5.accept_local"));
	proc[2].err = 0;
	proc[0].err = -EACCES;
	assert_int_equal(tap_read_sysctls("eth3.5", 1500, &rpf, &local, &v6), -EACCES);
	proc[0].err = 0;

	/* IPv6 present in the kernel but unreadable for IF: an error... */
	proc[4].err = -ENOENT;
	log_reset();
	assert_int_equal(tap_read_sysctls("eth3.5", 1500, &rpf, &local, &v6), -ENOENT);
	assert_non_null(strstr(logged, "cannot read net.ipv6.conf.eth3.5.disable_ipv6"));
	/* ...unless IF's MTU is too small for IPv6: then it has none, and neither has the TAP */
	assert_int_equal(tap_read_sysctls("eth3.5", 1279, &rpf, &local, &v6), 0);
	assert_int_equal(v6, -1);
	/* no IPv6 in the kernel at all */
	proc[3].err = -ENOENT;
	assert_int_equal(tap_read_sysctls("eth3.5", 1500, &rpf, &local, &v6), 0);
	assert_int_equal(v6, -1);
}

/* The fake TUNSETIFF: the flags of each call, and what each call returns. */
static short setiff_flags[4];
static int setiff_ret[4];
static unsigned setiff_calls;

static int fake_setiff(int fd, struct ifreq *ifr)
{
	(void)fd;
	assert_true(setiff_calls < 4);
	setiff_flags[setiff_calls] = ifr->ifr_flags;
	return setiff_ret[setiff_calls++];
}

/* The TAP is created, never attached to: the first queue asks IFF_TUN_EXCL; the others attach. */
static void test_tun_excl(void **state)
{
	RXQ_OPTS(rxq_tap_opts, opts, .name = "rxq-fake", .nqueues = 2);
	struct rxq_tap *tap = NULL;
	int fd;

	(void)state;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
	if (fd < 0) {
		fprintf(stderr, "no /dev/net/tun to open (%s): the TUNSETIFF fake is not tried\n",
			strerror(errno));
		skip();
	}
	close(fd);
	tap_tun_setiff = fake_setiff;
	log_reset();
	setiff_calls = 0;
	setiff_ret[0] = -EBUSY;
	assert_int_equal(rxq_tap__open(&tap, 1, &opts), -EBUSY);
	assert_null(tap);
	assert_int_equal(setiff_calls, 1);
	assert_true(setiff_flags[0] & IFF_TUN_EXCL);
	assert_true(setiff_flags[0] & IFF_TAP);
	assert_non_null(strstr(logged, "cannot create TAP rxq-fake: the name is in use by an "
				       "existing interface"));
	assert_non_null(strstr(logged, "--tap"));

	/* the second queue attaches to the TAP the first one created: no IFF_TUN_EXCL */
	setiff_calls = 0;
	setiff_ret[0] = 0;
	setiff_ret[1] = -EIO;
	assert_int_equal(rxq_tap__open(&tap, 1, &opts), -EIO);
	assert_int_equal(setiff_calls, 2);
	assert_true(setiff_flags[0] & IFF_TUN_EXCL);
	assert_false(setiff_flags[1] & IFF_TUN_EXCL);
	assert_true(setiff_flags[1] & IFF_MULTI_QUEUE);
}

/* A link dump message: name, IFLA_LINK (0: none), kind, VID, protocol, netnsid (< 0: none). */
static struct nlmsghdr *link_msg(char *buf, const char *name, unsigned link, const char *kind,
				 uint16_t vid, uint16_t proto, int netnsid)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct ifinfomsg *ifi;
	struct nlattr *info, *data;

	nlh->nlmsg_type = RTM_NEWLINK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_index = 42;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	if (link)
		mnl_attr_put_u32(nlh, IFLA_LINK, link);
	if (netnsid >= 0)
		mnl_attr_put_u32(nlh, IFLA_LINK_NETNSID, (uint32_t)netnsid);
	info = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, kind);
	if (!strcmp(kind, "vlan")) {
		data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
		mnl_attr_put_u16(nlh, IFLA_VLAN_ID, vid);
		mnl_attr_put_u16(nlh, IFLA_VLAN_PROTOCOL, htons(proto));
		mnl_attr_nest_end(nlh, data);
	}
	mnl_attr_nest_end(nlh, info);
	return nlh;
}

/* Only an 802.1Q VLAN interface whose lower device is IF, in IF's namespace, is IF's. */
static void test_vlan_of(void **state)
{
	char buf[1024], name[IF_NAMESIZE] = "";

	(void)state;
	assert_int_equal(tap_vlan_of(link_msg(buf, "eth3.5", 7, "vlan", 5, 0x8100, -1), 7, name),
			 5);
	assert_string_equal(name, "eth3.5");
	assert_int_equal(tap_vlan_of(link_msg(buf, "v", 8, "vlan", 5, 0x8100, -1), 7, name), 0);
	assert_int_equal(tap_vlan_of(link_msg(buf, "v", 7, "vlan", 5, 0x88a8, -1), 7, name), 0);
	assert_int_equal(tap_vlan_of(link_msg(buf, "v", 7, "vlan", 5, 0x8100, 3), 7, name), 0);
	assert_int_equal(tap_vlan_of(link_msg(buf, "v", 7, "macvlan", 5, 0x8100, -1), 7, name), 0);
	assert_int_equal(tap_vlan_of(link_msg(buf, "v", 0, "vlan", 5, 0x8100, -1), 7, name), 0);
	assert_string_equal(name, "eth3.5");
}

static void test_rp_filter_choice(void **state)
{
	(void)state;
	assert_int_equal(tap_rp_filter_for(0, 0), 0);
	assert_int_equal(tap_rp_filter_for(1, 0), 2); /* strict would fail: route back is via IF */
	assert_int_equal(tap_rp_filter_for(0, 1), 2);
	assert_int_equal(tap_rp_filter_for(2, 0), 2);
}

static int in_netns, has_vlan;

static int setup_netns(void **state)
{
	(void)state;
	if (geteuid() != 0)
		return 0;
	if (unshare(CLONE_NEWNET) < 0)
		return 0;
	if (system("ip link add d0 address 02:00:00:00:00:02 type veth peer name d1 && "
		   "ip link set d1 up && "
		   "ip link set d0 up && ip link set lo up && "
		   "ip addr add 198.18.0.2/24 dev d0 && ip addr add fd00::2/64 dev d0 nodad && "
		   "sysctl -qw net.ipv4.conf.all.rp_filter=1") != 0)
		return -1;
	in_netns = 1;
	/* d0.5: a VLAN interface with a MAC and MTU of its own; d0.10: 802.1ad, not 802.1Q */
	if (system("ip link add link d0 name d0.5 address 02:00:00:00:05:02 mtu 1400 type vlan "
		   "id 5 2>/dev/null") != 0)
		return 0;
	if (system("ip addr add 198.19.5.2/24 dev d0.5 && ip addr add fd01:5::2/64 dev d0.5 "
		   "nodad && ip link set d0.5 up && "
		   "ip link add link d0 name d0.10 type vlan protocol 802.1ad id 10") != 0)
		return -1;
	has_vlan = 1;
	return 0;
}

/* The VLAN tests need root and a kernel with 802.1Q VLAN interfaces. */
static void need_vlan(void)
{
	if (!in_netns)
		skip();
	if (!has_vlan) {
		fprintf(stderr, "this kernel cannot create VLAN interfaces (CONFIG_VLAN_8021Q, "
				"module 8021q): the VLAN tests are skipped\n");
		skip();
	}
}

static uint16_t csum_fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static uint32_t csum_add(uint32_t s, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

/* An Ethernet/IP/UDP frame to @dst:@dport from @src:1234 with an 8-byte payload. */
static size_t udp_frame(uint8_t *b, int ipv6, const char *src, const char *dst, uint16_t dport)
{
	uint8_t *ip = b + 14, *udp;
	uint32_t s = 0;
	size_t o;
	uint16_t c;

	memset(b, 0, 128);
	memcpy(b, "\x02\x00\x00\x00\x00\x02\x02\x00\x00\x00\x00\x01", 12);
	if (!ipv6) {
		b[12] = 0x08;
		ip[0] = 0x45;
		ip[3] = 20 + 8 + 8;
		ip[8] = 64;
		ip[9] = IPPROTO_UDP;
		inet_pton(AF_INET, src, ip + 12);
		inet_pton(AF_INET, dst, ip + 16);
		c = csum_fold(csum_add(0, ip, 20));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		udp = ip + 20;
	} else {
		b[12] = 0x86;
		b[13] = 0xdd;
		ip[0] = 0x60;
		ip[5] = 16;
		ip[6] = IPPROTO_UDP;
		ip[7] = 64;
		inet_pton(AF_INET6, src, ip + 8);
		inet_pton(AF_INET6, dst, ip + 24);
		udp = ip + 40;
	}
	udp[0] = 1234 >> 8;
	udp[1] = 1234 & 0xff;
	udp[2] = (uint8_t)(dport >> 8);
	udp[3] = (uint8_t)dport;
	udp[5] = 16;
	memcpy(udp + 8, "rxq-tap!", 8);
	o = (size_t)(udp + 16 - b);
	if (ipv6) {
		s = csum_add(s, ip + 8, 32);
		s += IPPROTO_UDP + 16;
		s = csum_add(s, udp, 16);
		c = csum_fold(s);
		udp[6] = (uint8_t)(c >> 8);
		udp[7] = (uint8_t)c;
	}
	return o < 60 ? 60 : o;
}

static int udp_listener(int family, uint16_t port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0);

	assert_true(fd >= 0);
	if (family == AF_INET)
		assert_int_equal(bind(fd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	else
		assert_int_equal(bind(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	return fd;
}

static int received(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64];
	int n = 0;

	while (poll(&p, 1, n ? 0 : 500) == 1 && recv(fd, buf, sizeof(buf), 0) == 8)
		n++;
	return n;
}

static void test_tap_delivers(void **state)
{
	RXQ_OPTS(rxq_tap_opts, opts, .first_queue = 3, .nqueues = 2);
	struct rxq_tap *tap = NULL;
	struct iovec iov[3];
	uint8_t f4[128], f6[128], other[128];
	int fd4, fd6, ifindex, err, v = -1;
	char name[IF_NAMESIZE];
	struct ifreq ifr;
	int sock;

	(void)state;
	if (!in_netns)
		skip();
	ifindex = (int)if_nametoindex("d0");
	assert_true(ifindex > 0);
	assert_int_equal(rxq_tap__open(&tap, ifindex, &opts), 0);
	snprintf(name, sizeof(name), "rxq%dq3", ifindex);
	assert_string_equal(rxq_tap__name(tap), name);
	assert_int_equal((int)if_nametoindex(name), rxq_tap__ifindex(tap));

	/* IF's MAC, up, loose rp_filter (all=1), no IPv6 address generation */
	sock = socket(AF_INET, SOCK_DGRAM, 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(sock, SIOCGIFHWADDR, &ifr), 0);
	assert_memory_equal(ifr.ifr_hwaddr.sa_data, "\x02\x00\x00\x00\x00\x02", 6);
	assert_int_equal(ioctl(sock, SIOCGIFFLAGS, &ifr), 0);
	assert_true(ifr.ifr_flags & IFF_UP);
	close(sock);
	assert_int_equal(tap_sysctl("ipv4", name, "rp_filter", NULL, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(tap_sysctl("ipv6", name, "addr_gen_mode", NULL, &v), 0);
	assert_int_equal(v, 1);
	/* the borrowed /32 adds no route: the way back to the sender is still through d0 */
	assert_int_equal(system("ip -4 route get 198.18.0.1 | grep -q 'dev d0'"), 0);
	assert_int_equal(system("ip -6 route get fd00::1 | grep -q 'dev d0'"), 0);

	fd4 = udp_listener(AF_INET, 5300);
	fd6 = udp_listener(AF_INET6, 5306);
	iov[0].iov_base = f4;
	iov[0].iov_len = udp_frame(f4, 0, "198.18.0.1", "198.18.0.2", 5300);
	iov[1].iov_base = f6;
	iov[1].iov_len = udp_frame(f6, 1, "fd00::1", "fd00::2", 5306);
	/* a destination that is not local: the kernel does not deliver it */
	iov[2].iov_base = other;
	iov[2].iov_len = udp_frame(other, 0, "198.18.0.1", "198.18.0.9", 5300);
	assert_int_equal(rxq_tap__write_batch(tap, 1, iov, 3, &err), 3);
	assert_int_equal(err, 0);
	assert_int_equal(received(fd4), 1);
	assert_int_equal(received(fd6), 1);
	assert_int_equal(rxq_tap__write_batch(tap, 0, iov, 2, NULL), 2);
	assert_int_equal(received(fd4), 1);
	assert_int_equal(received(fd6), 1);
	close(fd4);
	close(fd6);

	rxq_tap__close(tap);
	assert_int_equal(if_nametoindex(name), 0);
	/* removing the TAP's borrowed address left d0's local route in place */
	assert_int_equal(system("ip route show table local | grep -q 'local 198.18.0.2 dev d0'"),
			 0);
}

static void test_tap_errors(void **state)
{
	RXQ_OPTS(rxq_tap_opts, opts, .name = "rxq-dup");
	struct rxq_tap *a = NULL, *b = NULL;

	(void)state;
	if (!in_netns)
		skip();
	assert_int_equal(rxq_tap__open(&a, 999999, &opts), -ENODEV);
	assert_int_equal(rxq_tap__open(&a, (int)if_nametoindex("d0"), &opts), 0);
	assert_int_equal(rxq_tap__open(&b, (int)if_nametoindex("d0"), &opts), -EBUSY);
	assert_null(b);
	rxq_tap__close(a);
	opts.name = "a-name-that-is-too-long";
	assert_int_equal(rxq_tap__open(&a, (int)if_nametoindex("d0"), &opts), -EINVAL);
}

static int sh(const char *cmd)
{
	return system(cmd);
}

static void link_facts(const char *name, uint8_t mac[6], int *mtu, short *flags)
{
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	struct ifreq ifr;

	assert_true(sock >= 0);
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", name);
	assert_int_equal(ioctl(sock, SIOCGIFHWADDR, &ifr), 0);
	memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
	assert_int_equal(ioctl(sock, SIOCGIFMTU, &ifr), 0);
	*mtu = ifr.ifr_mtu;
	assert_int_equal(ioctl(sock, SIOCGIFFLAGS, &ifr), 0);
	*flags = ifr.ifr_flags;
	close(sock);
}

static int sysctl_of(const char *family, const char *dev, const char *key)
{
	int v = -1;

	assert_int_equal(tap_sysctl(family, dev, key, NULL, &v), 0);
	return v;
}

/* An existing interface of the name, a persistent TAP in particular, is never taken over. */
static void test_tap_excl_real(void **state)
{
	RXQ_OPTS(rxq_tap_opts, opts, .name = "rxq-pers");
	struct rxq_tap *tap = NULL;
	uint8_t mac[6], mac_after[6];
	short flags, flags_after;
	int mtu, mtu_after;

	(void)state;
	if (!in_netns)
		skip();
	assert_int_equal(sh("ip tuntap add mode tap name rxq-pers && "
			    "ip link set rxq-pers address 02:00:00:00:99:99 mtu 1300"),
			 0);
	link_facts("rxq-pers", mac, &mtu, &flags);
	log_reset();
	assert_int_equal(rxq_tap__open(&tap, (int)if_nametoindex("d0"), &opts), -EBUSY);
	assert_null(tap);
	assert_non_null(strstr(logged, "cannot create TAP rxq-pers: the name is in use by an "
				       "existing interface"));
	assert_non_null(strstr(logged, "choose another name with --tap"));
	link_facts("rxq-pers", mac_after, &mtu_after, &flags_after);
	assert_memory_equal(mac, mac_after, 6);
	assert_int_equal(mtu_after, 1300);
	assert_int_equal(flags_after, flags);
	assert_false(flags_after & (IFF_NOARP | IFF_UP));
	assert_int_not_equal(sh("ip -o addr show dev rxq-pers | grep -q inet"), 0);
	assert_int_equal(sh("ip link del rxq-pers"), 0);

	/* not a TAP at all */
	opts.name = "d1";
	assert_int_equal(rxq_tap__open(&tap, (int)if_nametoindex("d0"), &opts), -EBUSY);
}

/* IF with a dot in its name: the TAP copies IF's own values, read from conf/d0.7/. */
static void test_tap_on_dotted_if(void **state)
{
	RXQ_OPTS(rxq_tap_opts, opts, .name = "rxq-d");
	struct rxq_tap *tap = NULL;
	uint8_t mac[6], vmac[6];
	short flags;
	int mtu, vmtu;

	(void)state;
	need_vlan();
	/* where the old path (conf/d0/7/) was a missing file, read as 0 for everything */
	assert_int_equal(
		sh("ip link add link d0 name d0.7 address 02:00:00:00:07:02 type vlan id 7 && "
		   "ip addr add 198.19.7.2/24 dev d0.7 && ip link set d0.7 up && "
		   "echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter && "
		   "echo 1 > /proc/sys/net/ipv4/conf/d0.7/rp_filter && "
		   "echo 1 > /proc/sys/net/ipv4/conf/d0.7/accept_local && "
		   "echo 1 > /proc/sys/net/ipv6/conf/d0.7/disable_ipv6"),
		0);
	assert_int_equal(rxq_tap__open(&tap, (int)if_nametoindex("d0.7"), &opts), 0);
	assert_int_equal(sysctl_of("ipv4", "rxq-d", "rp_filter"), 2);
	assert_int_equal(sysctl_of("ipv4", "rxq-d", "accept_local"), 1);
	assert_int_equal(sysctl_of("ipv6", "rxq-d", "disable_ipv6"), 1);
	assert_int_equal(sh("ip -4 -o addr show dev rxq-d | grep -q 'inet 198.19.7.2/32'"), 0);
	link_facts("rxq-d", mac, &mtu, &flags);
	link_facts("d0.7", vmac, &vmtu, &flags);
	assert_memory_equal(mac, vmac, 6);
	assert_int_equal(mtu, vmtu);
	rxq_tap__close(tap);
	assert_int_equal(sh("ip link del d0.7 && echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter"),
			 0);
}

/* 802.1Q tag VID after the MAC addresses of @b, and @dst as destination. */
static size_t tag_frame(uint8_t *b, size_t len, uint16_t vid, const char *dst)
{
	memmove(b + 16, b + 12, len - 12);
	b[12] = 0x81;
	b[13] = 0x00;
	b[14] = (uint8_t)(vid >> 8);
	b[15] = (uint8_t)vid;
	memcpy(b, dst, 6);
	return len + 4;
}

static int udp_listener_on(int family, const char *addr, uint16_t port)
{
	struct sockaddr_in6 a6 = { .sin6_family = AF_INET6, .sin6_port = htons(port) };
	struct sockaddr_in a4 = { .sin_family = AF_INET, .sin_port = htons(port) };
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK, 0), one = 1;

	assert_true(fd >= 0);
	if (family == AF_INET) {
		inet_pton(AF_INET, addr, &a4.sin_addr);
		assert_int_equal(setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)), 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&a4, sizeof(a4)), 0);
	} else {
		inet_pton(AF_INET6, addr, &a6.sin6_addr);
		assert_int_equal(setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one)),
				 0);
		assert_int_equal(bind(fd, (struct sockaddr *)&a6, sizeof(a6)), 0);
	}
	return fd;
}

/* Datagrams waiting on @fd; *ifindex is the interface the last one arrived on. */
static int received_on(int fd, int *ifindex)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char buf[64], cbuf[256];
	struct iovec iov = { buf, sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *c;
	int n = 0;

	*ifindex = 0;
	while (poll(&p, 1, n ? 0 : 500) == 1) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf;
		mh.msg_controllen = sizeof(cbuf);
		if (recvmsg(fd, &mh, 0) != 8)
			break;
		n++;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
				*ifindex = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_ifindex;
			if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO)
				*ifindex = (int)((struct in6_pktinfo *)CMSG_DATA(c))->ipi6_ifindex;
		}
	}
	return n;
}

/*
 * TAP with vlans={5}: rxq-v.5 stands in for d0.5 (its MAC, MTU and sysctls, not d0's); frames
 * tagged 5 reach sockets on d0.5's addresses through it, untagged ones still arrive on the TAP,
 * other VIDs nowhere. It goes with the TAP.
 */
static void test_tap_vlans(void **state)
{
	static const uint16_t vids[] = { 5 };
	RXQ_OPTS(rxq_tap_opts, opts, .name = "rxq-v", .vlans = vids, .nvlans = 1);
	const char *vmac = "\x02\x00\x00\x00\x05\x02";
	uint8_t f4[160], f6[160], fu[160], f9[160], mac[6], lmac[6];
	struct rxq_tap *tap = NULL;
	int vif, fd4, fd6, fdu, fd9, ifx, mtu, lmtu, err;
	struct iovec iov[4];
	char name[IF_NAMESIZE];
	short flags;

	(void)state;
	need_vlan();
	/* rp_filter: none on d0, strict on d0.5 */
	assert_int_equal(sh("echo 0 > /proc/sys/net/ipv4/conf/all/rp_filter && "
			    "echo 0 > /proc/sys/net/ipv4/conf/d0/rp_filter && "
			    "echo 1 > /proc/sys/net/ipv4/conf/d0.5/rp_filter"),
			 0);
	assert_int_equal(rxq_tap__open(&tap, (int)if_nametoindex("d0"), &opts), 0);
	vif = rxq_tap__vlan_ifindex(tap, 5);
	assert_true(vif > 0);
	assert_non_null(if_indextoname((unsigned)vif, name));
	assert_string_equal(name, "rxq-v.5");
	assert_int_equal(rxq_tap__vlan_ifindex(tap, 6), -ENOENT);
	assert_int_equal(sh("ip -d -o link show rxq-v.5 | grep -q 'rxq-v.5@rxq-v: .*vlan "
			    "protocol 802.1Q id 5'"),
			 0);

	link_facts("rxq-v.5", mac, &mtu, &flags);
	link_facts("d0.5", lmac, &lmtu, &flags);
	assert_memory_equal(mac, vmac, 6);
	assert_int_equal(mtu, lmtu);
	assert_int_equal(mtu, 1400);
	link_facts("rxq-v.5", mac, &mtu, &flags);
	assert_true(flags & IFF_UP);
	assert_true(flags & IFF_NOARP);
	assert_int_equal(sysctl_of("ipv4", "rxq-v.5", "rp_filter"), 2);
	assert_int_equal(sysctl_of("ipv4", "rxq-v", "rp_filter"), 0);
	assert_int_equal(sysctl_of("ipv6", "rxq-v.5", "addr_gen_mode"), 1);
	assert_int_equal(sysctl_of("ipv6", "rxq-v.5", "accept_ra"), 0);
	assert_int_equal(sh("ip -4 -o addr show dev rxq-v.5 | grep -q 'inet 198.19.5.2/32'"), 0);
	assert_int_not_equal(sh("ip -4 -o addr show dev rxq-v | grep -q inet"), 0);
	assert_int_not_equal(sh("ip -6 -o addr show dev rxq-v.5 | grep -q inet6"), 0);
	assert_int_equal(sh("ip -4 route get 198.19.5.1 | grep -q 'dev d0.5'"), 0);

	fd4 = udp_listener_on(AF_INET, "198.19.5.2", 5305);
	fd6 = udp_listener_on(AF_INET6, "fd01:5::2", 5306);
	fdu = udp_listener_on(AF_INET, "198.18.0.2", 5300);
	fd9 = udp_listener_on(AF_INET, "198.19.5.2", 5309);
	iov[0].iov_base = f4;
	iov[0].iov_len = tag_frame(f4, udp_frame(f4, 0, "198.19.5.1", "198.19.5.2", 5305), 5, vmac);
	iov[1].iov_base = f6;
	iov[1].iov_len = tag_frame(f6, udp_frame(f6, 1, "fd01:5::1", "fd01:5::2", 5306), 5, vmac);
	iov[2].iov_base = fu;
	iov[2].iov_len = udp_frame(fu, 0, "198.18.0.1", "198.18.0.2", 5300);
	/* a VID the TAP has no VLAN interface for: dropped, as on d0 */
	iov[3].iov_base = f9;
	iov[3].iov_len = tag_frame(f9, udp_frame(f9, 0, "198.19.5.1", "198.19.5.2", 5309), 9, vmac);
	assert_int_equal(rxq_tap__write_batch(tap, 0, iov, 4, &err), 4);
	assert_int_equal(err, 0);
	assert_int_equal(received_on(fd4, &ifx), 1);
	assert_int_equal(ifx, vif);
	assert_int_equal(received_on(fd6, &ifx), 1);
	assert_int_equal(ifx, vif);
	assert_int_equal(received_on(fdu, &ifx), 1);
	assert_int_equal(ifx, rxq_tap__ifindex(tap));
	assert_int_equal(received_on(fd9, &ifx), 0);
	close(fd4);
	close(fd6);
	close(fdu);
	close(fd9);

	rxq_tap__close(tap);
	assert_int_equal(if_nametoindex("rxq-v.5"), 0);
	assert_int_equal(if_nametoindex("rxq-v"), 0);
	assert_int_equal(sh("ip route show table local | grep -q 'local 198.19.5.2 dev d0.5'"), 0);
	assert_int_equal(sh("echo 1 > /proc/sys/net/ipv4/conf/all/rp_filter"), 0);
}

/* Killed, the process leaves neither the TAP nor its VLAN interfaces behind. */
static void test_tap_vlans_gone_on_kill(void **state)
{
	static const uint16_t vids[] = { 5 };
	RXQ_OPTS(rxq_tap_opts, opts, .name = "rxq-k", .nqueues = 2, .vlans = vids, .nvlans = 1);
	int ready[2], status, i;
	pid_t pid;
	char c;

	(void)state;
	need_vlan();
	assert_int_equal(pipe(ready), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct rxq_tap *tap;

		close(ready[0]);
		if (rxq_tap__open(&tap, (int)if_nametoindex("d0"), &opts) == 0 &&
		    write(ready[1], "r", 1) == 1)
			pause();
		_exit(1);
	}
	close(ready[1]);
	assert_int_equal(read(ready[0], &c, 1), 1);
	close(ready[0]);
	assert_true(if_nametoindex("rxq-k.5") > 0);
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	for (i = 0; i < 100 && (if_nametoindex("rxq-k") || if_nametoindex("rxq-k.5")); i++)
		usleep(10000);
	assert_int_equal(if_nametoindex("rxq-k.5"), 0);
	assert_int_equal(if_nametoindex("rxq-k"), 0);
}

static void test_tap_vlan_errors(void **state)
{
	static const uint16_t missing[] = { 5, 9 }, qinq[] = { 10 }, zero[] = { 0 },
			      twice[] = { 5, 5 }, five[] = { 5 };
	RXQ_OPTS(rxq_tap_opts, opts, .name = "rxq-e");
	int d0 = (int)if_nametoindex("d0");
	struct rxq_tap *tap = NULL;
	char name[IF_NAMESIZE];

	(void)state;
	need_vlan();
	log_reset();
	opts.vlans = missing;
	opts.nvlans = 2;
	assert_int_equal(rxq_tap__open(&tap, d0, &opts), -ENOENT);
	assert_null(tap);
	assert_non_null(strstr(logged, "d0 has no VLAN interface for VID 9: the kernel drops such "
				       "frames; create one or leave VID 9 out"));
	assert_int_equal(if_nametoindex("rxq-e"), 0);
	/* d0.10 is 802.1ad */
	opts.vlans = qinq;
	opts.nvlans = 1;
	assert_int_equal(rxq_tap__open(&tap, d0, &opts), -ENOENT);
	opts.vlans = zero;
	assert_int_equal(rxq_tap__open(&tap, d0, &opts), -EINVAL);
	opts.vlans = twice;
	opts.nvlans = 2;
	assert_int_equal(rxq_tap__open(&tap, d0, &opts), -EINVAL);
	opts.vlans = NULL;
	assert_int_equal(rxq_tap__open(&tap, d0, &opts), -EINVAL);

	/* the VLAN interface's name is taken: nothing is left behind */
	assert_int_equal(sh("ip tuntap add mode tap name rxq-e.5"), 0);
	log_reset();
	opts.vlans = five;
	opts.nvlans = 1;
	assert_int_equal(rxq_tap__open(&tap, d0, &opts), -EBUSY);
	assert_non_null(strstr(logged, "rxq-e.5"));
	assert_int_equal(if_nametoindex("rxq-e"), 0);
	assert_int_equal(sh("ip link del rxq-e.5"), 0);

	/* a long TAP name is cut short so that the VID still fits */
	opts.name = "rxq-fifteen-chr";
	assert_int_equal(rxq_tap__open(&tap, d0, &opts), 0);
	assert_non_null(if_indextoname((unsigned)rxq_tap__vlan_ifindex(tap, 5), name));
	assert_string_equal(name, "rxq-fifteen-c.5");
	rxq_tap__close(tap);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_rp_filter_choice, restore),
		cmocka_unit_test_teardown(test_sysctl_dotted_name, restore),
		cmocka_unit_test_teardown(test_read_sysctls, restore),
		cmocka_unit_test_teardown(test_tun_excl, restore),
		cmocka_unit_test_teardown(test_vlan_of, restore),
		cmocka_unit_test_teardown(test_tap_delivers, restore),
		cmocka_unit_test_teardown(test_tap_errors, restore),
		cmocka_unit_test_teardown(test_tap_excl_real, restore),
		cmocka_unit_test_teardown(test_tap_on_dotted_if, restore),
		cmocka_unit_test_teardown(test_tap_vlans, restore),
		cmocka_unit_test_teardown(test_tap_vlans_gone_on_kill, restore),
		cmocka_unit_test_teardown(test_tap_vlan_errors, restore),
	};

	real_proc_rw = tap_proc_rw;
	real_setiff = tap_tun_setiff;
	return cmocka_run_group_tests(tests, setup_netns, NULL);
}
