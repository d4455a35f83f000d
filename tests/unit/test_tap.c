// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * TAP reinjection. The pure parts always run; the rest needs root: the test moves itself into a
 * fresh network namespace (unshare), creates a veth pair there, and checks that frames
 * written to the TAP reach local UDP sockets over IPv4 and IPv6 exactly as if they had arrived on
 * the dummy interface, and that the TAP is gone once closed.
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
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <cmocka.h>

#include "rxq/tap.h"

int tap_rp_filter_for(int all, int ifv);
int tap_sysctl(const char *family, const char *dev, const char *key, const char *value, int *out);

static void test_rp_filter_choice(void **state)
{
	(void)state;
	assert_int_equal(tap_rp_filter_for(0, 0), 0);
	assert_int_equal(tap_rp_filter_for(1, 0), 2); /* strict would fail: route back is via IF */
	assert_int_equal(tap_rp_filter_for(0, 1), 2);
	assert_int_equal(tap_rp_filter_for(2, 0), 2);
}

static int in_netns;

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
	return 0;
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
	struct sockaddr_in6 a6 = {.sin6_family = AF_INET6, .sin6_port = htons(port)};
	struct sockaddr_in a4 = {.sin_family = AF_INET, .sin_port = htons(port)};
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
	struct pollfd p = {.fd = fd, .events = POLLIN};
	char buf[64];
	int n = 0;

	while (poll(&p, 1, n ? 0 : 500) == 1 && recv(fd, buf, sizeof(buf), 0) == 8)
		n++;
	return n;
}

static void test_tap_delivers(void **state)
{
	struct rxq_tap_opts opts = {.sz = sizeof(opts), .first_queue = 3, .nqueues = 2};
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
	struct rxq_tap_opts opts = {.sz = sizeof(opts), .name = "rxq-dup"};
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rp_filter_choice),
	    cmocka_unit_test(test_tap_delivers),
	    cmocka_unit_test(test_tap_errors),
	};

	return cmocka_run_group_tests(tests, setup_netns, NULL);
}
