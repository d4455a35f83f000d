// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq_nic's declarative settings (lib/nic/config.c): the parser's errors with line and column,
 * and applying a file against fixture trees and the scripted kernel (test_nic_fake.h): the
 * requests it makes, a second apply that makes none, --dry-run that makes none, a failure that
 * rolls every part back, undo, and the device's settings written out and applied back without
 * a change.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "rxq/log.h"
#include "rxq/nic.h"

#include "test_nic_fake.h"

static void new_plan(struct env *e)
{
	rxq_nic_plan__free(e->plan);
	assert_int_equal(rxq_nic_plan__new(&e->plan), 0);
}

static bool journal_exists(struct env *e)
{
	struct stat st;

	return stat(rxq_nic__journal_path(e->nic), &st) == 0;
}

static char *root_file(struct env *e, const char *abs)
{
	char path[512];

	snprintf(path, sizeof(path), "%s%s", e->root, abs);
	return read_text(path);
}

static struct rxq_nic_config *parse_ok(const char *text)
{
	struct rxq_nic_config *cfg;
	struct rxq_parse_error err;
	int ret = rxq_nic_config__parse(&cfg, "test.conf", text, strlen(text), &err);

	if (ret)
		fail_msg("refused (%d) at %u:%u: %s\n%s", ret, err.line, err.col, err.msg, text);
	return cfg;
}

/* Applies @p text; returns the result, the steps in e->plan. */
static int apply_text(struct env *e, const char *text, bool dry_run)
{
	struct rxq_nic_config *cfg = parse_ok(text);
	int err;

	new_plan(e);
	err = rxq_nic__apply_config(e->nic, cfg, e->plan, RXQ_NIC_APPLY_JOURNAL, dry_run);
	rxq_nic_config__free(cfg);
	return err;
}

static char *indir_text(unsigned mod, unsigned n)
{
	static char buf[2048];
	size_t used = 0;
	unsigned i;

	buf[0] = '\0';
	for (i = 0; i < n; i++)
		used += (size_t)snprintf(buf + used, sizeof(buf) - used, "%s%u", i ? "," : "",
					 i % mod);
	return buf;
}

/* The ioctl request of a table of 128 entries i % mod (the script keeps the pointer). */
static const char *expect_indir(unsigned mod)
{
	static char bufs[8][2400];
	static unsigned next;
	char *b = bufs[next++ % 8];

	snprintf(b, 2400, "ETHTOOL_SRXFHINDIR size=128 indir=%s", indir_text(mod, 128));
	return b;
}

/* ---- the parser ---- */

static void test_parse(void **state)
{
	static const char good[] = "# /etc/rxq/nic/eth3.conf\n"
				   "\n"
				   "interface eth3   # the NIC\n"
				   "channels combined 4\n"
				   "irq spread cpus 0-1\n"
				   "rss weights 1 1 0 0\r\n"
				   "features gro off\tlro off\n"
				   "features ntuple on\n"
				   "coalesce rx-usecs 0 adaptive-rx off\n"
				   "pause off\n"
				   "xps cpus-per-queue 0 1 none 0-1\n"
				   "rfs entries 32768\n"
				   "flow udp4 dst-port 53 action 3\n"
				   "flow tcp6 src-ip fd00::/8 action drop loc 5\n";
	struct rxq_nic_config *cfg = parse_ok(good);

	(void)state;
	assert_string_equal(rxq_nic_config__interface(cfg), "eth3");
	rxq_nic_config__free(cfg);
	cfg = parse_ok("interface eth0");
	rxq_nic_config__free(cfg);
	cfg = parse_ok("interface eth0\nirq cpus-per-queue 0 - 1\nrss equal 2\nxps local\n"
		       "pause autoneg off rx on tx off\nchannels 2\n");
	rxq_nic_config__free(cfg);
}

/* The example the packages install (dist/nic/example.conf) parses. */
static void test_parse_example(void **state)
{
	struct rxq_nic_config *cfg;
	char path[4096];
	char *text;

	(void)state;
	snprintf(path, sizeof(path), "%s/../../../dist/nic/example.conf", getenv("RXQ_FIXTURES"));
	text = read_text(path);
	assert_non_null(text);
	cfg = parse_ok(text);
	assert_string_equal(rxq_nic_config__interface(cfg), "eth3");
	rxq_nic_config__free(cfg);
}

static void test_parse_errors(void **state)
{
	static const struct {
		const char *text;
		unsigned line, col;
		const char *msg;
	} bad[] = {
		{ "", 1, 1, "no 'interface NAME' line" },
		{ "# only a comment\n", 1, 1, "no 'interface NAME' line" },
		{ "channels 4\ninterface eth0\n", 1, 1, "'channels' before the interface" },
		{ "interface eth0\nchanels 4\n", 2, 1,
		  "unknown setting 'chanels' (expected interface, channels" },
		{ "interface eth0\ninterface eth1\n", 2, 1, "given twice (first on line 1)" },
		{ "interface a/b\n", 1, 11, "not an interface name" },
		{ "interface averyveryverylongname\n", 1, 11, "not an interface name" },
		{ "interface eth0 eth1\n", 1, 16, "unexpected 'eth1'" },
		{ "interface eth0\nchannels 0\n", 2, 10, "not a channel count" },
		{ "interface eth0\nchannels combined four\n", 2, 19, "expected a channel count" },
		{ "interface eth0\nchannels colour 4\n", 2, 10,
		  "unknown channels setting 'colour' (expected rx, tx, combined)" },
		{ "interface eth0\nchannels 2\nchannels 3\n", 3, 1,
		  "given twice (first on line 2)" },
		{ "interface eth0\nirq spread cpus 0-x\n", 2, 17, "'0-x' is not a CPU list" },
		{ "interface eth0\nirq spread cpus\n", 2, 16, "missing the CPU list" },
		{ "interface eth0\nirq spread 0-3\n", 2, 12, "expected cpus LIST" },
		{ "interface eth0\nirq cpus-per-queue 0 99999\n", 2, 22,
		  "CPU 99999 is out of range" },
		{ "interface eth0\nirq balance\n", 2, 5, "unknown irq setting 'balance'" },
		{ "interface eth0\nrss weights 0 0\n", 2, 13, "must not all be 0" },
		{ "interface eth0\nrss weights 1 x\n", 2, 15, "'x' is not a weight" },
		{ "interface eth0\nrss equal\n", 2, 10, "missing a queue count" },
		{ "interface eth0\nrss equal 2 3\n", 2, 13, "unexpected '3'" },
		{ "interface eth0\nrss isolate 2\n", 2, 5, "unknown rss setting 'isolate'" },
		{ "interface eth0\nfeatures gro\n", 2, 10, "'gro' has no value" },
		{ "interface eth0\nfeatures gro 0\n", 2, 14, "expected on or off" },
		{ "interface eth0\nfeatures gro off\nfeatures rx-gro on\n", 3, 10,
		  "'rx-gro' is given twice (first on line 2)" },
		{ "interface eth0\ncoalesce rx-uses 0\n", 2, 10,
		  "unknown coalesce setting 'rx-uses' (expected" },
		{ "interface eth0\ncoalesce rx-usecs -1\n", 2, 19, "expected a number" },
		{ "interface eth0\npause maybe\n", 2, 7, "expected on or off" },
		{ "interface eth0\npause rx off rx on\n", 2, 14, "given twice on this line" },
		{ "interface eth0\nxps\n", 2, 4, "missing the xps setting" },
		{ "interface eth0\nxps cpus-per-queue 0 -\n", 2, 22, "'-' is not a CPU list" },
		{ "interface eth0\nrfs 32768\n", 2, 5, "expected entries N" },
		{ "interface eth0\nrfs entries 999999999999\n", 2, 13, "not an entry count" },
		{ "interface eth0\nflow udp4 dst-port 53\n", 2, 6, "missing 'action'" },
		{ "interface eth0\nflow action 3\n", 2, 6, "missing the flow spec" },
		{ "interface eth0\nflow udp4 dst-prot 53 action 3\n", 2, 11, "dst-prot" },
		{ "interface eth0\nflow udp4 dst-port 53 action four\n", 2, 30,
		  "not a queue number or drop" },
		{ "interface eth0\nflow udp4 dst-port 53 action 3 at 5\n", 2, 32,
		  "unexpected 'at' (expected loc N)" },
		{ "interface eth0\nflow udp4 dst-port 53 action 3\nflow udp4  dst-port 53 action 3\n",
		  3, 1, "the same flow as on line 2" },
		{ "interface eth0\nfeatures gro\x01off\n", 2, 13, "control character 0x01" },
	};
	struct rxq_nic_config *cfg;
	struct rxq_parse_error err;
	unsigned i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int ret = rxq_nic_config__parse(&cfg, "t.conf", bad[i].text, strlen(bad[i].text),
						&err);

		if (ret != -EINVAL)
			fail_msg("case %u accepted (%d): %s", i, ret, bad[i].text);
		assert_null(cfg);
		if (err.line != bad[i].line || err.col != bad[i].col ||
		    !strstr(err.msg, bad[i].msg))
			fail_msg("case %u: got %u:%u: %s\nexpected %u:%u: ...%s...", i, err.line,
				 err.col, err.msg, bad[i].line, bad[i].col, bad[i].msg);
	}
	/* A NUL byte, and where it is. */
	assert_int_equal(rxq_nic_config__parse(&cfg, "t.conf", "interface eth0\nrss\0equal 2\n", 26,
					       &err),
			 -EINVAL);
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 4);
	assert_non_null(strstr(err.msg, "NUL byte"));
}

/* ---- applying ---- */

static const char ixgbe_conf[] = "interface eth3\n"
				 "channels 4\n"
				 "irq spread cpus 0-1\n"
				 "rss equal 4\n"
				 "features gro off ntuple on\n"
				 "coalesce rx-usecs 0 adaptive-rx off\n"
				 "pause off\n"
				 "rfs entries 32768\n"
				 "flow udp4 dst-port 53 action 3\n";

static void expect_ixgbe_conf(struct env *e)
{
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=4", 0);
	fake_expect(&e->fake,
		    "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:0,rx-ntuple-filter:1",
		    0);
	fake_expect(&e->fake, expect_indir(4), 0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLINS udp4 dst-port 53 action 3 loc 63", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_COALESCE_SET dev=eth3 rx-usecs=0", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_PAUSE_SET dev=eth3 rx=0 tx=0", 0);
}

static void assert_ixgbe_pristine(struct env *e)
{
	unsigned i;

	assert_int_equal(e->fake.ch[7], 8);
	for (i = 0; i < 128; i++)
		assert_int_equal(e->fake.indir[i], i % 8);
	assert_true(fake_feat(&e->fake, "rx-gro")->on);
	assert_false(fake_feat(&e->fake, "rx-ntuple-filter")->on);
	for (i = 0; i < 64; i++)
		assert_false(e->fake.rule_used[i]);
	assert_int_equal(e->fake.rx_usecs, 1);
	assert_int_equal(e->fake.pause[1], 1);
	assert_true(fixture_same(e->fixture, e->root));
}

static void test_apply_twice_and_undo(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	unsigned i, done = 0;

	(void)state;
	expect_ixgbe_conf(e);
	assert_int_equal(apply_text(e, ixgbe_conf, false), 0);
	/* channels, features, 8 IRQs, RSS, the rule, 9 RFS files, coalesce, pause */
	assert_int_equal(rxq_nic_plan__len(e->plan), 23);
	for (i = 0; i < rxq_nic_plan__len(e->plan); i++)
		done += rxq_nic_plan__step(e->plan, i)->result == 0;
	assert_int_equal(done, 23);
	assert_int_equal(e->fake.ch[7], 4);
	assert_int_equal(e->fake.indir[5], 1);
	assert_true(e->fake.rule_used[63]);
	assert_int_equal(e->fake.rules[63].ring_cookie, 3);
	assert_int_equal(e->fake.rx_usecs, 0);
	assert_string_equal(root_file(e, "/proc/irq/45/smp_affinity_list"), "0\n");
	assert_string_equal(root_file(e, "/proc/irq/46/smp_affinity_list"), "1\n");
	assert_string_equal(root_file(e, "/proc/sys/net/core/rps_sock_flow_entries"), "32768\n");
	assert_true(journal_exists(e));

	/* Again: the device is as the file says; no request, no step, the journal as it was. */
	{
		char before[65536];
		unsigned writes = e->fake.writes;

		snprintf(before, sizeof(before), "%s", read_text(rxq_nic__journal_path(e->nic)));
		assert_int_equal(apply_text(e, ixgbe_conf, false), 0);
		assert_int_equal(rxq_nic_plan__len(e->plan), 0);
		assert_int_equal(e->fake.writes, writes);
		assert_string_equal(read_text(rxq_nic__journal_path(e->nic)), before);
	}

	/* undo takes the whole apply back. */
	new_plan(e);
	assert_int_equal(rxq_nic__plan_undo(e->nic, e->plan), 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_PAUSE_SET dev=eth3 rx=1 tx=1", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_COALESCE_SET dev=eth3 rx-usecs=1", 0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLDEL loc=63", 0);
	fake_expect(&e->fake, expect_indir(8), 0);
	fake_expect(&e->fake,
		    "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:1,rx-ntuple-filter:0",
		    0);
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=8", 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_UNDO), 0);
	assert_ixgbe_pristine(e);
	assert_false(journal_exists(e));
	env_close(e);
}

static void test_apply_dry_run(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	unsigned i;

	(void)state;
	assert_int_equal(apply_text(e, ixgbe_conf, true), 0);
	assert_int_equal(rxq_nic_plan__len(e->plan), 23);
	for (i = 0; i < rxq_nic_plan__len(e->plan); i++)
		assert_int_equal(rxq_nic_plan__step(e->plan, i)->result, 1);
	assert_logged("the channels change comes first");
	assert_int_equal(e->fake.writes, 0);
	assert_false(journal_exists(e));
	assert_ixgbe_pristine(e);
	env_close(e);
}

/* The coalescing request fails: every part before it goes back, the channels too. */
static void test_apply_rollback(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	unsigned i;

	(void)state;
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=4", 0);
	fake_expect(&e->fake,
		    "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:0,rx-ntuple-filter:1",
		    0);
	fake_expect(&e->fake, expect_indir(4), 0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLINS udp4 dst-port 53 action 3 loc 63", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_COALESCE_SET dev=eth3 rx-usecs=0", -EBUSY);
	/* the second part, newest first */
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLDEL loc=63", 0);
	fake_expect(&e->fake, expect_indir(8), 0);
	fake_expect(&e->fake,
		    "ETHTOOL_MSG_FEATURES_SET dev=eth3 flags=2 wanted=rx-gro:1,rx-ntuple-filter:0",
		    0);
	/* then the first */
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=8", 0);
	assert_int_equal(apply_text(e, ixgbe_conf, false), -EBUSY);
	assert_logged("failed");
	assert_logged("rolled back too");
	assert_int_equal(rxq_nic_plan__step(e->plan, 0)->result, 2);
	for (i = 1; i < rxq_nic_plan__len(e->plan); i++)
		assert_int_not_equal(rxq_nic_plan__step(e->plan, i)->result, 0);
	assert_ixgbe_pristine(e);
	assert_false(journal_exists(e));
	env_close(e);
}

/* A failed apply leaves the journal of earlier changes exactly as it was. */
static void test_apply_rollback_keeps_journal(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	char before[65536];

	(void)state;
	assert_int_equal(rxq_nic__plan_irq_spread(e->nic, e->plan, NULL), 0);
	assert_int_equal(rxq_nic__apply(e->nic, e->plan, RXQ_NIC_APPLY_JOURNAL), 0);
	snprintf(before, sizeof(before), "%s", read_text(rxq_nic__journal_path(e->nic)));
	assert_non_null(strstr(before, "file /proc/irq/45/smp_affinity_list "));

	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=4", 0);
	fake_expect(&e->fake, expect_indir(4), 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_COALESCE_SET dev=eth3 rx-usecs=0", -EBUSY);
	fake_expect(&e->fake, expect_indir(8), 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth3 combined=8", 0);
	assert_int_equal(apply_text(e,
				    "interface eth3\nchannels 4\nrss equal 4\n"
				    "coalesce rx-usecs 0\n",
				    false),
			 -EBUSY);
	assert_string_equal(read_text(rxq_nic__journal_path(e->nic)), before);
	assert_int_equal(e->fake.ch[7], 8);
	env_close(e);
}

/* A setting the device cannot take: nothing changes, the message names file and line. */
static void test_apply_unsupported(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);
	struct rxq_nic_config *cfg;

	(void)state;
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth0 rx=2 tx=2", 0);
	fake_expect(&e->fake, "ETHTOOL_MSG_CHANNELS_SET dev=eth0 rx=4 tx=4", 0);
	assert_int_equal(apply_text(e,
				    "interface eth0\nchannels 2\nfeatures gro on\n"
				    "coalesce rx-usecs 0\n",
				    false),
			 -EOPNOTSUPP);
	assert_logged("veth does not support interrupt coalescing settings");
	assert_logged("test.conf:4: coalesce cannot be applied to eth0 (EOPNOTSUPP)");
	assert_int_equal(e->fake.ch[4], 4);
	assert_false(fake_feat(&e->fake, "rx-gro")->on);
	assert_false(journal_exists(e));

	fake_log_reset();
	assert_int_equal(apply_text(e, "interface eth0\nrss equal 2\n", false), -EOPNOTSUPP);
	assert_logged("test.conf:2: rss cannot be applied");
	fake_log_reset();
	assert_int_equal(apply_text(e, "interface eth0\nfeatures gor off\n", false), -EINVAL);
	assert_logged("test.conf:2:10: unknown feature 'gor'");
	fake_log_reset();
	assert_int_equal(apply_text(e, "interface eth0\nirq cpus-per-queue 0 3\n", false), -ENODEV);
	assert_logged("CPU 3 (for queue 1) does not exist or is offline");
	assert_logged("test.conf:2: irq cannot be applied");
	fake_log_reset();
	cfg = parse_ok("interface eth1\n");
	assert_int_equal(rxq_nic__apply_config(e->nic, cfg, e->plan, 0, false), -EINVAL);
	assert_logged("test.conf:1: the file is for eth1, not eth0");
	rxq_nic_config__free(cfg);
	assert_int_equal(e->fake.writes, 0);
	env_close(e);
}

/* What show --as-config writes applies back without a change, before and after an apply. */
static void round_trip(struct env *e)
{
	struct rxq_nic_config *cfg;
	struct rxq_parse_error err;
	unsigned writes = e->fake.writes;
	char *text;

	assert_int_equal(rxq_nic__config_format(e->nic, &text), 0);
	if (rxq_nic_config__parse(&cfg, "as-config", text, strlen(text), &err))
		fail_msg("the written settings do not parse: %u:%u: %s\n%s", err.line, err.col,
			 err.msg, text);
	new_plan(e);
	assert_int_equal(rxq_nic__apply_config(e->nic, cfg, e->plan, RXQ_NIC_APPLY_JOURNAL, false),
			 0);
	if (rxq_nic_plan__len(e->plan))
		fail_msg("applying the written settings plans %u steps:\n%s",
			 rxq_nic_plan__len(e->plan), text);
	assert_int_equal(e->fake.writes, writes);
	rxq_nic_config__free(cfg);
	free(text);
}

static void test_round_trip(void **state)
{
	struct env *e = env_open("nic-ixgbe", "eth3", false);
	char *text;

	(void)state;
	round_trip(e);
	assert_int_equal(rxq_nic__config_format(e->nic, &text), 0);
	assert_non_null(strstr(text, "\ninterface eth3\n"));
	assert_non_null(strstr(text, "\nchannels combined 8\n"));
	assert_non_null(strstr(text, "\nrss equal 8\n"));
	assert_non_null(strstr(text, "\nirq cpus-per-queue 0-1,3 0-1,3 "));
	assert_non_null(strstr(text, "\npause autoneg off rx on tx on\n"));
	free(text);

	expect_ixgbe_conf(e);
	assert_int_equal(apply_text(e, ixgbe_conf, false), 0);
	/* weights that are not 'equal', and a rule at a location of its own */
	fake_expect(&e->fake,
		    "ETHTOOL_SRXFHINDIR size=128 indir=0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
		    "0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,"
		    "0,0,0,0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,2,2,2,"
		    "2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2,2",
		    0);
	fake_expect(&e->fake, "ETHTOOL_SRXCLSRLINS tcp4 src-ip 198.18.0.0/15 action drop loc 7", 0);
	assert_int_equal(apply_text(e,
				    "interface eth3\nrss weights 2 1 1\n"
				    "flow tcp4 src-ip 198.18.0.0/15 action drop loc 7\n",
				    false),
			 0);
	round_trip(e);
	assert_int_equal(rxq_nic__config_format(e->nic, &text), 0);
	assert_non_null(strstr(text, "\nchannels combined 4\n"));
	assert_non_null(strstr(text, "\nrss weights 2 1 1\n"));
	assert_non_null(strstr(text, "\nirq cpus-per-queue 0 1 0 1 0 1 0 1\n"));
	assert_non_null(strstr(text, "\nflow udp4 dst-port 53 action 3 loc 63\n"));
	assert_non_null(strstr(text, "\nflow tcp4 src-ip 198.18.0.0/15 action drop loc 7\n"));
	assert_non_null(strstr(text, "\nrfs entries 32768\n"));
	assert_non_null(strstr(text, "\ncoalesce rx-usecs 0 tx-usecs 0 adaptive-rx off\n"));
	free(text);
	env_close(e);
}

static void test_round_trip_veth(void **state)
{
	struct env *e = env_open("nic-virtio", "eth0", true);
	char *text;

	(void)state;
	round_trip(e);
	assert_int_equal(rxq_nic__config_format(e->nic, &text), 0);
	assert_non_null(strstr(text, "\nchannels rx 4 tx 4\n"));
	assert_non_null(strstr(text, "\nxps cpus-per-queue "));
	assert_null(strstr(text, "\nrss "));
	assert_null(strstr(text, "\ncoalesce "));
	assert_null(strstr(text, "\npause "));
	free(text);
	env_close(e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_example),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_apply_twice_and_undo),
		cmocka_unit_test(test_apply_dry_run),
		cmocka_unit_test(test_apply_rollback),
		cmocka_unit_test(test_apply_rollback_keeps_journal),
		cmocka_unit_test(test_apply_unsupported),
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_round_trip_veth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
