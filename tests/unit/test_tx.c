// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The transmit side through its pcap: port: every submitted frame lands once, in order. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rxq/pcap.h"
#include "rxq/tx.h"

static void tmp_path(char *buf, size_t len)
{
	snprintf(buf, len, "/tmp/rxq-test-tx-%d.pcap", (int)getpid());
}

static struct rxq_tx *open_pcap(const char *path, uint32_t frame_max)
{
	struct rxq_port_spec spec;
	struct rxq_parse_error perr;
	RXQ_OPTS(rxq_tx_opts, opts, .batch = 8, .frame_max = frame_max);
	struct rxq_tx *tx = NULL;
	char text[300];

	snprintf(text, sizeof(text), "pcap:%s", path);
	assert_int_equal(rxq_port_spec__parse(&spec, text, RXQ_PORT_PCAP, &perr), 0);
	assert_int_equal(rxq_tx__open(&tx, &spec, 0, &opts), 0);
	return tx;
}

static void test_frames_in_order(void **state)
{
	struct rxq_tx_buf bufs[8];
	struct rxq_tx_stats st;
	struct rxq_pcap_reader *r;
	const uint8_t *frame;
	uint32_t len;
	char path[64];
	unsigned i, n, total = 0;

	(void)state;
	tmp_path(path, sizeof(path));
	struct rxq_tx *tx = open_pcap(path, 1500);
	assert_true(rxq_tx__frame_cap(tx) >= 1500);
	/* three batches of 5; the last reservation gives back what it does not submit */
	for (int b = 0; b < 3; b++) {
		n = rxq_tx__reserve(tx, bufs, 8);
		assert_true(n >= 5);
		for (i = 0; i < 5; i++) {
			memset(bufs[i].data, 0, 60);
			bufs[i].data[0] = (uint8_t)total;
			bufs[i].len = 60 + total;
			total++;
		}
		assert_int_equal(rxq_tx__submit(tx, bufs, 5), 0);
	}
	assert_int_equal(rxq_tx__flush(tx, 1000), 0);
	rxq_tx__stats(tx, &st);
	assert_int_equal(st.packets, 15);
	assert_int_equal(st.errors, 0);
	assert_int_equal(st.pending, 0);
	rxq_tx__close(tx);

	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	for (i = 0; i < 15; i++) {
		assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 1);
		assert_int_equal(len, 60 + i);
		assert_int_equal(frame[0], i);
	}
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 0);
	rxq_pcap_reader__close(r);
	unlink(path);
}

static void test_bad_spec(void **state)
{
	struct rxq_port_spec spec;
	struct rxq_parse_error perr;
	struct rxq_tx *tx = NULL;

	(void)state;
	/* a directory that does not exist: the open fails and leaves nothing behind */
	assert_int_equal(rxq_port_spec__parse(&spec, "pcap:/nonexistent-dir/x.pcap", RXQ_PORT_PCAP,
					      &perr),
			 0);
	assert_true(rxq_tx__open(&tx, &spec, 0, NULL) < 0);
	assert_null(tx);
	/* one writer per file */
	assert_int_equal(rxq_port_spec__parse(&spec, "pcap:/tmp/x.pcap", RXQ_PORT_PCAP, &perr), 0);
	assert_true(rxq_tx__open(&tx, &spec, 1, NULL) < 0);
	assert_null(tx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_frames_in_order),
		cmocka_unit_test(test_bad_spec),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
