// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The AF_XDP socket wrapper on a veth pair in a private network namespace (unshare): x0's socket
 * transmits, a five-instruction XDP program on x1 redirects everything to x1's socket, and every
 * frame must arrive once, byte for byte, with the UMEM frames all back in the pool afterwards.
 * Needs root (and its own mount namespace for /sys); skipped (with the reason) otherwise.
 */
#include <errno.h>
#include <net/if.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <cmocka.h>

#include "rxq/log.h"
#include "rxq/xsk.h"

#define NFRAMES 200

static int in_netns;
static char last_error[1024];

static void keep_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == RXQ_LOG_ERROR)
		snprintf(last_error, sizeof(last_error), "%s", msg);
}

static int setup_netns(void **state)
{
	(void)state;
	rxq_log__set(keep_log, NULL);
	if (geteuid() != 0 || unshare(CLONE_NEWNET | CLONE_NEWNS) < 0)
		return 0;
	/* As ip-netns(8) does: a /sys of this namespace, where the queues of x0 and x1 are. */
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0 ||
	    umount2("/sys", MNT_DETACH) < 0 || mount("sysfs", "/sys", "sysfs", 0, NULL) < 0)
		return 0;
	if (system("ip link add x0 address 02:00:00:00:00:01 type veth peer name x1 "
		   "address 02:00:00:00:00:02 && sysctl -qw net.ipv6.conf.x0.disable_ipv6=1 "
		   "net.ipv6.conf.x1.disable_ipv6=1 && ip link set x0 up && ip link set x1 up") !=
	    0)
		return -1;
	in_netns = 1;
	return 0;
}

static void need_netns(void)
{
	if (!in_netns) {
		print_message(
			"needs root and a network namespace (unshare) with a veth pair: skipped\n");
		skip();
	}
}

static void test_mode_names(void **state)
{
	enum rxq_xsk_mode m;

	(void)state;
	assert_int_equal(rxq_xsk_mode__parse("auto", &m), 0);
	assert_int_equal(m, RXQ_XSK_MODE_AUTO);
	assert_int_equal(rxq_xsk_mode__parse("copy", &m), 0);
	assert_int_equal(m, RXQ_XSK_MODE_COPY);
	assert_int_equal(rxq_xsk_mode__parse("zc", &m), 0);
	assert_int_equal(m, RXQ_XSK_MODE_ZEROCOPY);
	assert_int_equal(rxq_xsk_mode__parse("zerocopy", &m), 0);
	assert_int_equal(rxq_xsk_mode__parse("zero-copy", &m), 0);
	assert_string_equal(rxq_xsk_mode__str(m), "zero-copy");
	assert_string_equal(rxq_xsk_mode__str(RXQ_XSK_MODE_COPY), "copy");
	assert_int_equal(rxq_xsk_mode__parse("Copy", &m), -EINVAL);
	assert_int_equal(rxq_xsk_mode__parse("", &m), -EINVAL);
}

static void test_open_errors(void **state)
{
	RXQ_OPTS(rxq_xsk_opts, o, .mode = RXQ_XSK_MODE_COPY, .tx = true);
	struct rxq_xsk *x = NULL;

	(void)state;
	need_netns();
	last_error[0] = '\0';
	assert_int_equal(rxq_xsk__open(&x, "rxq-nosuch0", 0, &o), -ENODEV);
	assert_non_null(strstr(last_error, "rxq-nosuch0"));
	last_error[0] = '\0';
	assert_int_equal(rxq_xsk__open(&x, "x0", 3, &o), -ERANGE);
	/* The message says how many queues there are. */
	assert_non_null(strstr(last_error, "x0"));
	assert_non_null(strstr(last_error, "1"));
	/* veth has no zero-copy. */
	o.mode = RXQ_XSK_MODE_ZEROCOPY;
	assert_int_equal(rxq_xsk__open(&x, "x0", 0, &o), -EOPNOTSUPP);
	assert_null(x);
}

/* XDP program: return bpf_redirect_map(&xskmap, ctx->rx_queue_index, XDP_PASS). */
static int load_redirect(int map_fd)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_LDX | BPF_MEM | BPF_W,
		  .dst_reg = BPF_REG_2,
		  .src_reg = BPF_REG_1,
		  .off = offsetof(struct xdp_md, rx_queue_index) },
		{ .code = BPF_LD | BPF_DW | BPF_IMM,
		  .dst_reg = BPF_REG_1,
		  .src_reg = BPF_PSEUDO_MAP_FD,
		  .imm = map_fd },
		{ 0 },
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS },
		{ .code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_XDP, "rxq_test_xsk", "GPL", insns,
			     sizeof(insns) / sizeof(insns[0]), NULL);
}

static void fill_frame(uint8_t *p, unsigned i, uint32_t len)
{
	static const uint8_t hdr[14] = { 2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5 };
	uint32_t k;

	memcpy(p, hdr, sizeof(hdr));
	for (k = sizeof(hdr); k < len; k++)
		p[k] = (uint8_t)(i * 7 + k);
}

static void test_send_and_receive(void **state)
{
	RXQ_OPTS(rxq_xsk_opts, tx_opts, .mode = RXQ_XSK_MODE_COPY, .tx = true, .ring_size = 256);
	RXQ_OPTS(rxq_xsk_opts, rx_opts, .mode = RXQ_XSK_MODE_COPY, .rx = true, .ring_size = 256);
	static struct rxq_xsk_buf bufs[NFRAMES], got[64];
	struct rxq_xsk *tx = NULL, *rx = NULL;
	struct rxq_xsk_stats st;
	unsigned i, n, sent = 0, received = 0, others = 0, rounds;
	int map_fd, prog_fd, ifindex = (int)if_nametoindex("x1");
	uint32_t key = 0;
	uint8_t seen[NFRAMES] = { 0 };

	(void)state;
	need_netns();
	map_fd = bpf_map_create(BPF_MAP_TYPE_XSKMAP, "rxq_test_xskmap", 4, 4, 1, NULL);
	assert_true(map_fd >= 0);
	prog_fd = load_redirect(map_fd);
	assert_true(prog_fd >= 0);
	assert_int_equal(bpf_xdp_attach(ifindex, prog_fd, XDP_FLAGS_DRV_MODE, NULL), 0);

	assert_int_equal(rxq_xsk__open(&rx, "x1", 0, &rx_opts), 0);
	assert_int_equal(rxq_xsk__mode(rx), RXQ_XSK_MODE_COPY);
	assert_int_equal(rxq_xsk__queue(rx), 0);
	assert_int_equal(rxq_xsk__ifindex(rx), ifindex);
	assert_int_equal(rxq_xsk__frame_size(rx), 4096);
	assert_true(rxq_xsk__fd(rx) >= 0);
	assert_int_equal(rxq_xsk__register(rx, map_fd, key), 0);
	/* One socket per queue: a second one on x1~0 is refused. */
	{
		struct rxq_xsk *again = NULL;

		assert_int_equal(rxq_xsk__open(&again, "x1", 0, &rx_opts), -EBUSY);
	}
	assert_int_equal(rxq_xsk__open(&tx, "x0", 0, &tx_opts), 0);

	/* Frames of every length from 60 to 259 bytes, each with its index in its payload. */
	for (rounds = 0; (sent < NFRAMES || received < NFRAMES) && rounds < 2000; rounds++) {
		if (sent < NFRAMES) {
			n = rxq_xsk__alloc(tx, bufs, NFRAMES - sent < 32 ? NFRAMES - sent : 32);
			for (i = 0; i < n; i++) {
				bufs[i].len = 60 + sent + i;
				fill_frame(bufs[i].data, sent + i, bufs[i].len);
			}
			sent += rxq_xsk__send(tx, bufs, n);
			/* In copy mode, alloc never hands out more than send takes here. */
			assert_true(sent <= NFRAMES);
		}
		rxq_xsk__complete(tx);
		rxq_xsk__wait(rx, 10);
		n = rxq_xsk__recv(rx, got, 64);
		for (i = 0; i < n; i++) {
			unsigned idx = got[i].len - 60;
			uint8_t want[NFRAMES + 60];

			/* Anything the kernel itself sends on x0 (MLD, router solicitations) is not ours. */
			if (got[i].len < 14 || got[i].data[12] != 0x88 || got[i].data[13] != 0xb5) {
				others++;
				continue;
			}
			assert_true(got[i].len >= 60 && idx < NFRAMES);
			fill_frame(want, idx, got[i].len);
			assert_memory_equal(got[i].data, want, got[i].len);
			assert_int_equal(seen[idx], 0);
			seen[idx] = 1;
		}
		received += n - others;
		others = 0;
		rxq_xsk__release(rx, got, n);
	}
	if (received != NFRAMES) {
		struct rxq_xsk_stats ts, rs;

		rxq_xsk__stats(tx, &ts);
		rxq_xsk__stats(rx, &rs);
		print_message("sent %u received %u in %u rounds; tx: completed %llu dropped %llu "
			      "wakeup retries %llu; rx: %llu, dropped %llu, ring full %llu, "
			      "fill empty %llu\n",
			      sent, received, rounds, (unsigned long long)ts.tx_packets,
			      (unsigned long long)ts.tx_dropped,
			      (unsigned long long)ts.tx_wakeup_retries,
			      (unsigned long long)rs.rx_packets, (unsigned long long)rs.rx_dropped,
			      (unsigned long long)rs.rx_ring_full,
			      (unsigned long long)rs.rx_fill_ring_empty_descs);
	}
	assert_int_equal(sent, NFRAMES);
	assert_int_equal(received, NFRAMES);
	for (i = 0; i < 100 && rxq_xsk__complete(tx); i++)
		usleep(1000);
	assert_int_equal(rxq_xsk__complete(tx), 0);

	assert_int_equal(rxq_xsk__stats(tx, &st), 0);
	assert_int_equal(st.tx_packets, NFRAMES);
	assert_int_equal(st.tx_dropped, 0);
	assert_int_equal(rxq_xsk__stats(rx, &st), 0);
	assert_int_equal(st.rx_packets, NFRAMES);
	assert_int_equal(st.rx_dropped + st.rx_ring_full + st.rx_invalid_descs, 0);

	rxq_xsk__close(tx);
	rxq_xsk__close(rx);
	rxq_xsk__close(NULL);
	assert_int_equal(bpf_xdp_detach(ifindex, XDP_FLAGS_DRV_MODE, NULL), 0);
	close(prog_fd);
	close(map_fd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode_names),
		cmocka_unit_test(test_open_errors),
		cmocka_unit_test(test_send_and_receive),
	};

	return cmocka_run_group_tests(tests, setup_netns, NULL);
}
