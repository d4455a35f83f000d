// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel boundary (lib/sys.c): files under a root directory, the queue counter on fixture
 * trees, netlink transactions against a fake and the reply walker on made-up replies, and the
 * process default that rxq_netdev, rxq_steer and rxq_tap take.
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <net/if.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/neighbour.h>
#include <libmnl/libmnl.h>
#include <cmocka.h>

#include "rxq/netdev.h"
#include "sys.h"

/* Static in the library, visible in the RXQ_TESTING build. */
int steer_sysfs_rx_queues(const char *sysroot, const char *ifname);
int tap_sysctl(const char *family, const char *dev, const char *key, const char *value, int *out);

static char fixtures[512];
static char tmproot[64];

static void put_file(const char *rel, const char *text)
{
	char path[256], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s%s", tmproot, rel);
	/* mkdir -p of the directories on the way */
	for (slash = strchr(path + strlen(tmproot) + 1, '/'); slash;
	     slash = strchr(slash + 1, '/')) {
		*slash = '\0';
		if (mkdir(path, 0755) < 0)
			assert_int_equal(errno, EEXIST);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static int setup(void **state)
{
	const char *fx = getenv("RXQ_FIXTURES");

	(void)state;
	snprintf(fixtures, sizeof(fixtures), "%s", fx ? fx : "tests/unit/fixtures");
	snprintf(tmproot, sizeof(tmproot), "/tmp/rxq-test-sys.XXXXXX");
	if (!mkdtemp(tmproot))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmproot);
	return system(cmd) == 0 ? 0 : -1;
}

/* After every test: the real kernel as the default again. */
static int restore(void **state)
{
	(void)state;
	rxq_sys__set_default(NULL, NULL);
	return 0;
}

/* ---- files under the root ---- */

static void test_read_write_under_root(void **state)
{
	struct rxq_sys sys;
	char buf[8], path[128], longroot[PATH_MAX + 8];

	(void)state;
	put_file("/proc/sys/net/core/rps_sock_flow_entries", "0\n");
	rxq_sys__init(&sys, tmproot, NULL);

	assert_int_equal(
		rxq_sys__write_str(&sys, "/proc/sys/net/core/rps_sock_flow_entries", "32768\n"), 0);
	assert_int_equal(rxq_sys__read(&sys, "/proc/sys/net/core/rps_sock_flow_entries", buf,
				       sizeof(buf)),
			 6);
	assert_string_equal(buf, "32768\n");
	/* at most len - 1 bytes, always terminated */
	assert_int_equal(rxq_sys__read(&sys, "/proc/sys/net/core/rps_sock_flow_entries", buf, 4),
			 3);
	assert_string_equal(buf, "327");

	assert_true(rxq_sys__exists(&sys, "/proc/sys/net/core"));
	assert_false(rxq_sys__exists(&sys, "/proc/sys/net/nothing"));
	assert_int_equal(rxq_sys__read(&sys, "/proc/sys/net/nothing", buf, sizeof(buf)), -ENOENT);
	/* the root is where the write goes: nothing outside it is touched */
	assert_int_equal(rxq_sys__write_str(&sys, "/no/such/dir/file", "1"), -ENOENT);

	assert_int_equal(rxq_sys__path(&sys, "/proc/x", path, sizeof(path)), 0);
	assert_true(!strncmp(path, tmproot, strlen(tmproot)));
	assert_string_equal(path + strlen(tmproot), "/proc/x");
	assert_int_equal(rxq_sys__path(&sys, "/proc/x", path, strlen(tmproot) + 3), -ENAMETOOLONG);
	rxq_sys__fini(&sys);

	/* a root too long to hold is not cut short into another directory */
	memset(longroot, '/', sizeof(longroot) - 1);
	longroot[sizeof(longroot) - 1] = '\0';
	rxq_sys__init(&sys, longroot, NULL);
	assert_int_equal(rxq_sys__read(&sys, "/proc/sys/net/core/rps_sock_flow_entries", buf,
				       sizeof(buf)),
			 -ENAMETOOLONG);
	assert_int_equal(rxq_sys__queues(&sys, "eth3", NULL, NULL), -ENAMETOOLONG);
	assert_false(rxq_sys__exists(&sys, "/proc"));
	rxq_sys__fini(&sys);
}

static void test_read_all_limit(void **state)
{
	struct rxq_sys sys;
	char text[40000];
	char *out = NULL;
	size_t len = 0;

	(void)state;
	/* longer than the first buffer, so it has to grow */
	memset(text, 'a', sizeof(text) - 1);
	text[sizeof(text) - 1] = '\0';
	text[20000] = 'b';
	put_file("/proc/interrupts", text);
	rxq_sys__init(&sys, tmproot, NULL);

	assert_int_equal(rxq_sys__read_all(&sys, "/proc/interrupts", SIZE_MAX, &out, &len), 0);
	assert_int_equal(len, sizeof(text) - 1);
	assert_string_equal(out, text);
	free(out);
	out = NULL;

	/* a file of max bytes or more is refused, one byte less is not */
	assert_int_equal(rxq_sys__read_all(&sys, "/proc/interrupts", sizeof(text) - 1, &out, &len),
			 -EFBIG);
	assert_null(out);
	assert_int_equal(rxq_sys__read_all(&sys, "/proc/interrupts", sizeof(text), &out, &len), 0);
	assert_int_equal(len, sizeof(text) - 1);
	free(out);
	out = NULL;

	put_file("/proc/empty", "");
	assert_int_equal(rxq_sys__read_all(&sys, "/proc/empty", 16, &out, &len), 0);
	assert_int_equal(len, 0);
	assert_string_equal(out, "");
	free(out);

	assert_int_equal(rxq_sys__read_all(&sys, "/proc/none", 16, &out, &len), -ENOENT);
	rxq_sys__fini(&sys);
}

static char written[256];

static int fake_write(void *ctx, const char *path, const char *buf, size_t len)
{
	int *calls = ctx;

	(*calls)++;
	snprintf(written, sizeof(written), "%s=%.*s", path, (int)len, buf);
	return -EPERM;
}

static void test_write_goes_to_the_fake(void **state)
{
	struct rxq_sys_ops ops = { .write_file = fake_write };
	struct rxq_sys sys;
	char want[256];
	int calls = 0;

	(void)state;
	ops.ctx = &calls;
	rxq_sys__init(&sys, tmproot, &ops);
	assert_int_equal(rxq_sys__write_str(&sys, "/sys/class/net/eth3/queues/tx-0/xps_cpus", "f"),
			 -EPERM);
	assert_int_equal(calls, 1);
	/* the fake sees the root-prefixed path */
	snprintf(want, sizeof(want), "%s/sys/class/net/eth3/queues/tx-0/xps_cpus=f", tmproot);
	assert_string_equal(written, want);
	rxq_sys__fini(&sys);
}

/* ---- queues ---- */

static void test_queues(void **state)
{
	struct rxq_sys sys;
	char root[600];
	unsigned rx = 99, tx = 99;

	(void)state;
	snprintf(root, sizeof(root), "%s/nic-ixgbe", fixtures);
	rxq_sys__init(&sys, root, NULL);
	assert_int_equal(rxq_sys__queues(&sys, "eth3", &rx, &tx), 0);
	assert_int_equal(rx, 8);
	assert_int_equal(tx, 8);
	assert_int_equal(rxq_sys__queues(&sys, "eth9", &rx, &tx), -ENOENT);
	rxq_sys__fini(&sys);

	snprintf(root, sizeof(root), "%s/netdev", fixtures);
	rxq_sys__init(&sys, root, NULL);
	assert_int_equal(rxq_sys__queues(&sys, "eth9", &rx, NULL), 0);
	assert_int_equal(rx, 4);
	assert_int_equal(rxq_sys__queues(&sys, "eth9", NULL, &tx), 0);
	assert_int_equal(tx, 3);
	rxq_sys__fini(&sys);

	/* only rx-N and tx-N count */
	put_file("/sys/class/net/q0/queues/rx-0/rps_cpus", "0\n");
	put_file("/sys/class/net/q0/queues/rx-1/rps_cpus", "0\n");
	put_file("/sys/class/net/q0/queues/tx-0/xps_cpus", "0\n");
	put_file("/sys/class/net/q0/queues/other", "");
	rxq_sys__init(&sys, tmproot, NULL);
	assert_int_equal(rxq_sys__queues(&sys, "q0", &rx, &tx), 0);
	assert_int_equal(rx, 2);
	assert_int_equal(tx, 1);
	rxq_sys__fini(&sys);
}

/* ---- netlink against a fake ---- */

struct fake_nl {
	unsigned calls;
	char family[16];
	uint16_t type;
	int err;
	const char *extack;
};

static int fake_genl(void *ctx, const char *family, struct nlmsghdr *req, rxq_sys_msg_fn cb,
		     void *arg, char *extack, size_t extack_len)
{
	struct fake_nl *f = ctx;
	char reply[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	int err;

	f->calls++;
	snprintf(f->family, sizeof(f->family), "%s", family);
	f->type = req->nlmsg_type;
	if (f->extack)
		snprintf(extack, extack_len, "%s", f->extack);
	if (f->err)
		return f->err;
	nlh = mnl_nlmsg_put_header(reply);
	nlh->nlmsg_type = 42;
	mnl_attr_put_u32(nlh, 1, 7);
	err = cb ? cb(nlh, arg) : 0;
	return err;
}

static int count_cb(const struct nlmsghdr *nlh, void *arg)
{
	unsigned *n = arg;

	assert_int_equal(nlh->nlmsg_type, 42);
	(*n)++;
	return *n > 1 ? -EBADMSG : 0;
}

static void test_genl_fake(void **state)
{
	struct fake_nl f = { 0 };
	struct rxq_sys_ops ops = { .genl = fake_genl, .ctx = &f };
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *req;
	struct rxq_sys sys;
	unsigned n = 0;

	(void)state;
	rxq_sys__init(&sys, "", &ops);
	req = mnl_nlmsg_put_header(buf);
	assert_int_equal(rxq_sys__genl(&sys, "ethtool", req, count_cb, &n), 0);
	assert_int_equal(f.calls, 1);
	assert_string_equal(f.family, "ethtool");
	assert_int_equal(n, 1);
	assert_string_equal(rxq_sys__extack(&sys), "");

	/* the callback's error ends the transaction with it */
	assert_int_equal(rxq_sys__genl(&sys, "ethtool", req, count_cb, &n), -EBADMSG);

	/* the kernel's error and its extended ack message */
	f.err = -EINVAL;
	f.extack = "combined channels must not exceed 8";
	assert_int_equal(rxq_sys__genl(&sys, "ethtool", req, NULL, NULL), -EINVAL);
	assert_string_equal(rxq_sys__extack(&sys), "combined channels must not exceed 8");
	/* cleared by the next request */
	f.err = 0;
	f.extack = NULL;
	assert_int_equal(rxq_sys__genl(&sys, "netdev", req, NULL, NULL), 0);
	assert_string_equal(rxq_sys__extack(&sys), "");
	assert_int_equal(f.calls, 4);
	rxq_sys__fini(&sys);
}

/* A fixture tree has no kernel behind it: requests not given a fake fail, none reach the host. */
static void test_no_kernel_under_root(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *req;
	struct rxq_sys sys;
	uint32_t cmd = 0x3c; /* ETHTOOL_GCHANNELS */

	(void)state;
	rxq_sys__init(&sys, tmproot, NULL);
	req = mnl_nlmsg_put_header(buf);
	assert_int_equal(rxq_sys__ethtool(&sys, "lo", &cmd), -ENODEV);
	assert_int_equal(rxq_sys__genl(&sys, "ethtool", req, NULL, NULL), -ENODEV);
	assert_string_equal(rxq_sys__extack(&sys), "no kernel behind the root directory");
	assert_int_equal(rxq_sys__rtnl(&sys, req, NULL, NULL), -ENODEV);
	assert_int_equal(rxq_sys__rtnl_open(&sys), 0);
	rxq_sys__fini(&sys);
}

/* ---- the reply walker on made-up replies ---- */

#define SEQ    5
#define PORTID 77

static struct nlmsghdr *reply_header(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = SEQ;
	nlh->nlmsg_pid = PORTID;
	return nlh;
}

/* An ack (error 0) or error of the capped kind: no echoed request, extack TLVs after it. */
static size_t put_ack(char *buf, int error, const char *msg)
{
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;

	nlh = reply_header(buf, NLMSG_ERROR, NLM_F_CAPPED | (msg ? NLM_F_ACK_TLVS : 0));
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = error;
	e->msg.nlmsg_len = sizeof(e->msg);
	e->msg.nlmsg_seq = SEQ;
	if (msg)
		mnl_attr_put_strz(nlh, NLMSGERR_ATTR_MSG, msg);
	return nlh->nlmsg_len;
}

static void test_replies(void **state)
{
	char buf[4096], extack[64] = "";
	struct rxq_sys_run run = { .cb = count_cb, .extack = extack, .extack_len = sizeof(extack) };
	struct nlmsghdr *nlh;
	unsigned n = 0;
	size_t len;
	int done;

	(void)state;
	run.arg = &n;
	/* a data message: read on */
	nlh = reply_header(buf, 42, NLM_F_MULTI);
	assert_int_equal(rxq_sys_nl_replies(buf, nlh->nlmsg_len, SEQ, PORTID, &run), 0);
	assert_int_equal(n, 1);
	/* the ack ends it */
	len = put_ack(buf, 0, NULL);
	assert_int_equal(rxq_sys_nl_replies(buf, len, SEQ, PORTID, &run), 1);
	/* an error carries the extended ack message */
	len = put_ack(buf, -EOPNOTSUPP, "hash function not supported");
	assert_int_equal(rxq_sys_nl_replies(buf, len, SEQ, PORTID, &run), -EOPNOTSUPP);
	assert_string_equal(extack, "hash function not supported");
	/* a dump that failed part-way says so in NLMSG_DONE */
	nlh = reply_header(buf, NLMSG_DONE, NLM_F_MULTI);
	done = -EMSGSIZE;
	mnl_nlmsg_put_extra_header(nlh, sizeof(done));
	memcpy(mnl_nlmsg_get_payload(nlh), &done, sizeof(done));
	assert_int_equal(rxq_sys_nl_replies(buf, nlh->nlmsg_len, SEQ, PORTID, &run), -EMSGSIZE);
	done = 0;
	memcpy(mnl_nlmsg_get_payload(nlh), &done, sizeof(done));
	assert_int_equal(rxq_sys_nl_replies(buf, nlh->nlmsg_len, SEQ, PORTID, &run), 1);
	/* the callback's error wins (count_cb fails from its second message on) */
	nlh = reply_header(buf, 42, 0);
	assert_int_equal(rxq_sys_nl_replies(buf, nlh->nlmsg_len, SEQ, PORTID, &run), -EBADMSG);
	/* a reply to another request is not taken for ours */
	n = 0;
	nlh = reply_header(buf, 42, 0);
	assert_true(rxq_sys_nl_replies(buf, nlh->nlmsg_len, SEQ + 1, PORTID, &run) < 0);
	assert_int_equal(n, 0);
}

/* ---- the process default: rxq_netdev, rxq_steer and rxq_tap take it ---- */

static int fake_rtnl_neigh(void *ctx, struct nlmsghdr *req, rxq_sys_msg_fn cb, void *arg,
			   char *extack, size_t extack_len)
{
	static const uint8_t mac[6] = { 2, 0, 0, 0, 0, 9 };
	char reply[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct ndmsg *ndm;
	unsigned *calls = ctx;

	(void)extack;
	(void)extack_len;
	(*calls)++;
	assert_int_equal(req->nlmsg_type, RTM_GETNEIGH);
	nlh = mnl_nlmsg_put_header(reply);
	nlh->nlmsg_type = RTM_NEWNEIGH;
	ndm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ndm));
	ndm->ndm_state = NUD_PERMANENT;
	mnl_attr_put(nlh, NDA_LLADDR, sizeof(mac), mac);
	return cb(nlh, arg);
}

static void test_default_seam(void **state)
{
	unsigned calls = 0;
	struct rxq_sys_ops ops = { .rtnl = fake_rtnl_neigh, .ctx = &calls };
	struct rxq_addr a = { .family = AF_INET, .b = { 198, 18, 0, 9 } };
	struct rxq_netdev dev;
	uint8_t mac[6];
	char root[600];
	int v = -1;

	(void)state;
	snprintf(root, sizeof(root), "%s/netdev", fixtures);
	rxq_sys__set_default(&ops, root);
	assert_int_equal(steer_sysfs_rx_queues(NULL, "eth9"), 4);
	assert_int_equal(rxq_netdev__read_sysfs(NULL, "eth9", &dev), 0);
	assert_int_equal(dev.rx_queues, 4);
	assert_int_equal(dev.tx_queues, 3);
	assert_int_equal(rxq_netdev__neigh(1, &a, mac), 0);
	assert_int_equal(calls, 1);
	assert_memory_equal(mac, "\x02\x00\x00\x00\x00\x09", 6);

	put_file("/proc/sys/net/ipv4/conf/eth9/rp_filter", "2\n");
	rxq_sys__set_default(&ops, tmproot);
	assert_int_equal(tap_sysctl("ipv4", "eth9", "rp_filter", NULL, &v), 0);
	assert_int_equal(v, 2);
	assert_int_equal(tap_sysctl("ipv4", "eth9", "rp_filter", "0", NULL), 0);
	assert_int_equal(tap_sysctl("ipv4", "eth9", "rp_filter", NULL, &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(steer_sysfs_rx_queues(NULL, "eth9"), -ENOENT);

	/* and back to the real one */
	rxq_sys__set_default(NULL, NULL);
	assert_int_equal(rxq_netdev__read_sysfs(NULL, "badmac", &dev), -ENODEV);
}

/* ---- the real kernel: a dump of this namespace's links ---- */

struct links {
	unsigned n;
	int lo_index;
};

static int link_cb(const struct nlmsghdr *nlh, void *arg)
{
	const struct ifinfomsg *ifi = mnl_nlmsg_get_payload(nlh);
	struct links *l = arg;
	const struct nlattr *a;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return 0;
	l->n++;
	mnl_attr_for_each(a, nlh, sizeof(*ifi))
	{
		if (mnl_attr_get_type(a) == IFLA_IFNAME &&
		    mnl_attr_validate(a, MNL_TYPE_NUL_STRING) >= 0 &&
		    !strcmp(mnl_attr_get_str(a), "lo"))
			l->lo_index = ifi->ifi_index;
	}
	return 0;
}

static void test_rtnl_dump_real(void **state)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct links l = { 0 };
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct rxq_sys sys;
	int err;

	(void)state;
	rxq_sys__init(&sys, "", NULL);
	err = rxq_sys__rtnl_open(&sys);
	if (err == -EPERM || err == -EACCES || err == -EAFNOSUPPORT || err == -EPROTONOSUPPORT) {
		rxq_sys__fini(&sys);
		print_message("no rtnetlink here (%s)\n", strerror(-err));
		skip();
	}
	assert_int_equal(err, 0);
	/* twice on one handle: the second request must not see the first one's replies */
	for (int round = 0; round < 2; round++) {
		memset(&l, 0, sizeof(l));
		nlh = mnl_nlmsg_put_header(buf);
		nlh->nlmsg_type = RTM_GETLINK;
		nlh->nlmsg_flags = NLM_F_DUMP;
		ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
		ifi->ifi_family = AF_UNSPEC;
		assert_int_equal(rxq_sys__rtnl(&sys, nlh, link_cb, &l), 0);
		assert_true(l.n >= 1);
		assert_int_equal(l.lo_index, (int)if_nametoindex("lo"));
	}
	rxq_sys__fini(&sys);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_read_write_under_root, restore),
		cmocka_unit_test_teardown(test_read_all_limit, restore),
		cmocka_unit_test_teardown(test_write_goes_to_the_fake, restore),
		cmocka_unit_test_teardown(test_queues, restore),
		cmocka_unit_test_teardown(test_genl_fake, restore),
		cmocka_unit_test_teardown(test_no_kernel_under_root, restore),
		cmocka_unit_test_teardown(test_replies, restore),
		cmocka_unit_test_teardown(test_default_seam, restore),
		cmocka_unit_test_teardown(test_rtnl_dump_real, restore),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
