// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "rxq/log.h"
#include "rxq/pcap.h"
#include "internal.h"

static char tmpdir[64];
static char last_log[1024];

static void capture_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)level;
	(void)ctx;
	snprintf(last_log, sizeof(last_log), "%s", msg);
}

static int setup(void **state)
{
	(void)state;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/rxq-test-pcap.XXXXXX");
	if (!mkdtemp(tmpdir))
		return -1;
	rxq_log__set(capture_log, NULL);
	return 0;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in_tmp(char *buf, size_t size, const char *name)
{
	snprintf(buf, size, "%s/%s", tmpdir, name);
}

static void write_file(const char *path, const void *bytes, size_t len)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	assert_int_equal(fclose(f), 0);
}

#define NFRAMES 5
static const uint32_t frame_lens[NFRAMES] = { 60, 1, 1514, 9018, 262144 };
static const struct timespec frame_ts[NFRAMES] = {
	{ 1700000000, 123456789 }, { 1700000000, 999999999 }, { 1700000001, 0 }, { 0, 1 },
	{ 4000000000, 500000500 },
};

static uint8_t frame_byte(unsigned frame, uint32_t i)
{
	return (uint8_t)(i * 31 + frame * 7 + (i >> 8));
}

static void write_frames(const char *path, bool nanosec)
{
	struct rxq_pcap_writer *w = NULL;
	uint8_t *buf = malloc(262144);

	assert_non_null(buf);
	assert_int_equal(rxq_pcap_writer__open(&w, path, nanosec), 0);
	assert_non_null(w);
	for (unsigned f = 0; f < NFRAMES; f++) {
		for (uint32_t i = 0; i < frame_lens[f]; i++)
			buf[i] = frame_byte(f, i);
		assert_int_equal(rxq_pcap_writer__write(w, buf, frame_lens[f], &frame_ts[f]), 0);
	}
	/* Longer than any reader accepts: refused, and the file stays valid. */
	assert_int_equal(rxq_pcap_writer__write(w, buf, 262145, &frame_ts[0]), -EMSGSIZE);
	/* Outside what the format holds: refused rather than wrapped. */
	assert_int_equal(rxq_pcap_writer__write(w, buf, 60, &(struct timespec){ -1, 0 }), -ERANGE);
	assert_int_equal(rxq_pcap_writer__write(w, buf, 60, &(struct timespec){ 1ll << 32, 0 }),
			 -ERANGE);
	assert_int_equal(rxq_pcap_writer__write(w, buf, 60, &(struct timespec){ 1, 1000000000 }),
			 -ERANGE);
	assert_int_equal(rxq_pcap_writer__close(w), 0);
	free(buf);
}

static const enum rxq_pcap_read_mode modes[] = { RXQ_PCAP_READ_MAP, RXQ_PCAP_READ_LIBPCAP };

static void open_mode(struct rxq_pcap_reader **r, const char *path, enum rxq_pcap_read_mode mode)
{
	RXQ_OPTS(rxq_pcap_reader_opts, opts, .mode = mode);

	assert_int_equal(rxq_pcap_reader__open_opts(r, path, &opts), 0);
	assert_non_null(*r);
	assert_int_equal(rxq_pcap_reader__mapped(*r), mode == RXQ_PCAP_READ_MAP);
}

static void check_frame(unsigned f, const uint8_t *frame, uint32_t len, const struct timespec *ts,
			bool nanosec)
{
	long want_ns = nanosec ? frame_ts[f].tv_nsec : frame_ts[f].tv_nsec / 1000 * 1000;

	assert_int_equal(len, frame_lens[f]);
	for (uint32_t i = 0; i < len; i++)
		if (frame[i] != frame_byte(f, i))
			fail_msg("frame %u byte %u: %#x != %#x", f, i, frame[i], frame_byte(f, i));
	assert_int_equal(ts->tv_sec, frame_ts[f].tv_sec);
	assert_int_equal(ts->tv_nsec, want_ns);
}

static void check_frames(const char *path, bool nanosec)
{
	struct rxq_pcap_frame batch[3];
	struct rxq_pcap_reader *r = NULL;
	const uint8_t *frame;
	struct timespec ts;
	unsigned f = 0;
	uint32_t len;
	int n;

	/* the default reader maps a classic Ethernet capture */
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_true(rxq_pcap_reader__mapped(r));
	rxq_pcap_reader__close(r);

	for (unsigned m = 0; m < RXQ_ARRAY_SIZE(modes); m++) {
		open_mode(&r, path, modes[m]);
		assert_int_equal(rxq_pcap_reader__linktype(r), 1);
		assert_int_equal(rxq_pcap_reader__nanosec(r), nanosec);
		for (f = 0; f < NFRAMES; f++) {
			assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, &ts), 1);
			check_frame(f, frame, len, &ts, nanosec);
		}
		assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 0);
		assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 0);
		rxq_pcap_reader__close(r);

		/* batches of 3: 3 + 2 frames, then the end, again and again */
		open_mode(&r, path, modes[m]);
		for (f = 0; (n = rxq_pcap_reader__next_batch(r, batch, 3)) > 0;) {
			assert_true(n <= 3);
			for (int i = 0; i < n; i++, f++) {
				assert_int_equal(batch[i].wire_len, batch[i].len);
				check_frame(f, batch[i].data, batch[i].len, &batch[i].ts, nanosec);
			}
		}
		assert_int_equal(n, 0);
		assert_int_equal(f, NFRAMES);
		assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 3), 0);
		assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 0), 0);
		rxq_pcap_reader__close(r);
	}
}

static uint32_t file_magic(const char *path)
{
	uint32_t magic = 0;
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(&magic, sizeof(magic), 1, f), 1);
	fclose(f);
	return magic;
}

static void test_roundtrip_usec(void **state)
{
	char path[128];

	(void)state;
	path_in_tmp(path, sizeof(path), "usec.pcap");
	write_frames(path, false);
	assert_int_equal(file_magic(path), 0xa1b2c3d4);
	check_frames(path, false);
}

static void test_roundtrip_nsec(void **state)
{
	char path[128];

	(void)state;
	path_in_tmp(path, sizeof(path), "nsec.pcap");
	write_frames(path, true);
	assert_int_equal(file_magic(path), 0xa1b23c4d);
	check_frames(path, true);
}

static void test_timestamp_now(void **state)
{
	struct rxq_pcap_writer *w = NULL;
	struct rxq_pcap_reader *r = NULL;
	static const uint8_t frame[60] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	struct timespec before, after, ts;
	const uint8_t *got;
	uint32_t len;
	char path[128];

	(void)state;
	path_in_tmp(path, sizeof(path), "now.pcap");
	assert_int_equal(rxq_pcap_writer__open(&w, path, true), 0);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &before), 0);
	assert_int_equal(rxq_pcap_writer__write(w, frame, sizeof(frame), NULL), 0);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &after), 0);
	assert_int_equal(rxq_pcap_writer__close(w), 0);

	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_int_equal(rxq_pcap_reader__next(r, &got, &len, &ts), 1);
	assert_int_equal(len, sizeof(frame));
	assert_memory_equal(got, frame, sizeof(frame));
	assert_true(ts.tv_sec > before.tv_sec ||
		    (ts.tv_sec == before.tv_sec && ts.tv_nsec >= before.tv_nsec));
	assert_true(ts.tv_sec < after.tv_sec ||
		    (ts.tv_sec == after.tv_sec && ts.tv_nsec <= after.tv_nsec));
	rxq_pcap_reader__close(r);
}

static void test_reader_errors(void **state)
{
	struct rxq_pcap_reader *r = NULL;
	static const char text[] = "this is not a capture file, just some words\n";
	char path[128];

	(void)state;
	path_in_tmp(path, sizeof(path), "missing.pcap");
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_reader__open(&r, path), -ENOENT);
	assert_null(r);
	assert_non_null(strstr(last_log, "missing.pcap"));

	path_in_tmp(path, sizeof(path), "words.txt");
	write_file(path, text, sizeof(text) - 1);
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_reader__open(&r, path), -EINVAL);
	assert_null(r);
	/* libpcap's own reason is passed on. */
	assert_non_null(strstr(last_log, "words.txt"));
	assert_non_null(strstr(last_log, "unknown file format"));

	path_in_tmp(path, sizeof(path), "empty.pcap");
	write_file(path, "", 0);
	assert_int_equal(rxq_pcap_reader__open(&r, path), -EINVAL);
	assert_null(r);

	rxq_pcap_reader__close(NULL);
}

static void test_truncated_record(void **state)
{
	struct rxq_pcap_reader *r = NULL;
	const uint8_t *frame;
	uint32_t len;
	char path[128];

	(void)state;
	path_in_tmp(path, sizeof(path), "cut.pcap");
	write_frames(path, false);
	/* Cut the last (262144-byte) frame in half. */
	assert_int_equal(truncate(path, 24 + 4 * 16 + 60 + 1 + 1514 + 9018 + 131072), 0);
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	for (int i = 0; i < 4; i++)
		assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 1);
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), -EIO);
	assert_non_null(strstr(last_log, "truncated"));
	rxq_pcap_reader__close(r);
}

/* Hand-made captures: the file header and records in either byte order. */
struct capture {
	uint8_t *bytes;
	size_t len, cap;
	bool swapped;
};

static void cap_put(struct capture *c, const void *p, size_t len)
{
	if (c->len + len > c->cap) {
		c->cap = (c->len + len) * 2;
		c->bytes = realloc(c->bytes, c->cap);
		assert_non_null(c->bytes);
	}
	memcpy(c->bytes + c->len, p, len);
	c->len += len;
}

static void cap_u32(struct capture *c, uint32_t v)
{
	if (c->swapped)
		v = __builtin_bswap32(v);
	cap_put(c, &v, 4);
}

static void cap_u16(struct capture *c, uint16_t v)
{
	if (c->swapped)
		v = __builtin_bswap16(v);
	cap_put(c, &v, 2);
}

static void cap_header(struct capture *c, bool swapped, bool nanosec, uint32_t snaplen,
		       uint32_t linktype)
{
	memset(c, 0, sizeof(*c));
	c->swapped = swapped;
	cap_u32(c, nanosec ? 0xa1b23c4d : 0xa1b2c3d4);
	cap_u16(c, 2);
	cap_u16(c, 4);
	cap_u32(c, 0);
	cap_u32(c, 0);
	cap_u32(c, snaplen);
	cap_u32(c, linktype);
}

/* A record of @caplen bytes, frame_byte(@f, i), that says @wire_len on the wire. */
static void cap_record(struct capture *c, uint32_t sec, uint32_t frac, uint32_t caplen,
		       uint32_t wire_len, unsigned f)
{
	cap_u32(c, sec);
	cap_u32(c, frac);
	cap_u32(c, caplen);
	cap_u32(c, wire_len);
	for (uint32_t i = 0; i < caplen; i++) {
		uint8_t b = frame_byte(f, i);

		cap_put(c, &b, 1);
	}
}

static void cap_write(struct capture *c, const char *name, char *path, size_t size)
{
	path_in_tmp(path, size, name);
	write_file(path, c->bytes, c->len);
	free(c->bytes);
	c->bytes = NULL;
}

/* Both byte orders, both resolutions: the same frames and times through either reader. */
static void test_byte_orders(void **state)
{
	struct rxq_pcap_frame batch[4];
	struct rxq_pcap_reader *r;
	struct capture c;
	char path[128];

	(void)state;
	for (int v = 0; v < 4; v++) {
		bool swapped = v & 1, nanosec = v & 2;

		cap_header(&c, swapped, nanosec, 65535, 1);
		cap_record(&c, 1700000000, nanosec ? 999999999 : 999999, 60, 60, 0);
		cap_record(&c, 4000000000u, 1, 14, 1514, 1); /* cut short by the capture */
		cap_record(&c, 0, 0, 0, 0, 2); /* empty */
		cap_write(&c, "orders.pcap", path, sizeof(path));
		for (unsigned m = 0; m < RXQ_ARRAY_SIZE(modes); m++) {
			open_mode(&r, path, modes[m]);
			assert_int_equal(rxq_pcap_reader__nanosec(r), nanosec);
			assert_int_equal(rxq_pcap_reader__linktype(r), 1);
			assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 4), 3);
			assert_int_equal(batch[0].len, 60);
			assert_int_equal(batch[0].wire_len, 60);
			assert_int_equal(batch[0].ts.tv_sec, 1700000000);
			assert_int_equal(batch[0].ts.tv_nsec, nanosec ? 999999999 : 999999000);
			for (uint32_t i = 0; i < 60; i++)
				assert_int_equal(batch[0].data[i], frame_byte(0, i));
			assert_int_equal(batch[1].len, 14);
			assert_int_equal(batch[1].wire_len, 1514);
			assert_int_equal(batch[1].ts.tv_sec, 4000000000);
			assert_int_equal(batch[1].ts.tv_nsec, nanosec ? 1 : 1000);
			for (uint32_t i = 0; i < 14; i++)
				assert_int_equal(batch[1].data[i], frame_byte(1, i));
			assert_int_equal(batch[2].len, 0);
			assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 4), 0);
			rxq_pcap_reader__close(r);
		}
	}
}

/*
 * A damaged file: the frames before the damage, then an error naming the record, every time
 * after. @what is in the message.
 */
static void check_damaged(struct capture *c, unsigned good, const char *what)
{
	struct rxq_pcap_frame batch[8];
	struct rxq_pcap_reader *r;
	const uint8_t *frame;
	uint32_t len;
	char path[128];

	cap_write(c, "damaged.pcap", path, sizeof(path));
	open_mode(&r, path, RXQ_PCAP_READ_MAP);
	last_log[0] = '\0';
	/* the good frames first (if any), then the error */
	if (good)
		assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 8), (int)good);
	assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 8), -EIO);
	if (!strstr(last_log, what) || !strstr(last_log, "damaged.pcap: record "))
		fail_msg("log '%s' does not say '%s'", last_log, what);
	assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 8), -EIO);
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), -EIO);
	rxq_pcap_reader__close(r);

	/* one by one: the same */
	open_mode(&r, path, RXQ_PCAP_READ_MAP);
	for (unsigned i = 0; i < good; i++)
		assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 1);
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), -EIO);
	rxq_pcap_reader__close(r);
}

static void test_damaged(void **state)
{
	struct capture c;

	(void)state;
	/* a record header cut short */
	cap_header(&c, false, false, 65535, 1);
	cap_record(&c, 1, 0, 60, 60, 0);
	cap_u32(&c, 1);
	cap_u32(&c, 0);
	check_damaged(&c, 1, "record 2 at byte 100: truncated: the file ends 8 bytes into");

	/* a frame cut short, in the other byte order */
	cap_header(&c, true, true, 65535, 1);
	cap_record(&c, 1, 0, 60, 60, 0);
	cap_record(&c, 1, 0, 60, 60, 1);
	c.len -= 1;
	check_damaged(&c, 1, "truncated: a 60-byte frame, but the file ends 59 bytes after");

	/* a record longer than the file's snapshot length */
	cap_header(&c, false, false, 96, 1);
	cap_record(&c, 1, 0, 96, 1514, 0);
	cap_record(&c, 1, 0, 97, 1514, 1);
	check_damaged(&c, 1, "captured length 97 exceeds the snapshot length 96");

	/* an absurd one, with no snapshot length to check it against */
	cap_header(&c, true, false, 0, 1);
	cap_record(&c, 1, 0, 60, 60, 0);
	cap_u32(&c, 1);
	cap_u32(&c, 0);
	cap_u32(&c, 0xffffffff);
	cap_u32(&c, 0xffffffff);
	check_damaged(&c, 1, "captured length 4294967295 exceeds the snapshot length 262144");

	/* a snapshot length above the limit is the limit */
	cap_header(&c, false, true, 0x7fffffff, 1);
	cap_record(&c, 1, 0, 60, 60, 0);
	cap_record(&c, 1, 0, 262145, 262145, 1);
	check_damaged(&c, 1, "captured length 262145 exceeds the snapshot length 262144");

	/* a timestamp fraction of a whole second */
	cap_header(&c, false, false, 65535, 1);
	cap_record(&c, 1, 999999, 60, 60, 0);
	cap_record(&c, 1, 1000000, 60, 60, 1);
	check_damaged(&c, 1, "timestamp fraction 1000000 is a second or more");
	cap_header(&c, true, true, 65535, 1);
	cap_record(&c, 1, 1000000000, 60, 60, 1);
	check_damaged(&c, 0, "record 1 at byte 24: timestamp fraction 1000000000");
}

/* Headers the mapped reader does not take: refused when it must map, libpcap's otherwise. */
static void test_headers(void **state)
{
	RXQ_OPTS(rxq_pcap_reader_opts, map, .mode = RXQ_PCAP_READ_MAP);
	struct rxq_pcap_reader *r = NULL;
	struct capture c;
	const uint8_t *frame;
	uint32_t len;
	char path[128];

	(void)state;
	path_in_tmp(path, sizeof(path), "empty.pcap");
	write_file(path, "", 0);
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), -EINVAL);
	assert_null(r);
	assert_non_null(strstr(last_log, "shorter than a pcap file header (0 of 24 bytes)"));

	/* a header and nothing else: a capture of no frames */
	cap_header(&c, false, false, 65535, 1);
	cap_write(&c, "header.pcap", path, sizeof(path));
	for (unsigned m = 0; m < RXQ_ARRAY_SIZE(modes); m++) {
		open_mode(&r, path, modes[m]);
		assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 0);
		rxq_pcap_reader__close(r);
	}
	/* half a header */
	cap_header(&c, false, false, 65535, 1);
	c.len = 20;
	cap_write(&c, "half.pcap", path, sizeof(path));
	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), -EINVAL);
	assert_int_equal(rxq_pcap_reader__open(&r, path), -EINVAL);

	cap_header(&c, false, false, 65535, 1);
	c.bytes[4] = 1; /* version 1.4 */
	cap_write(&c, "v1.pcap", path, sizeof(path));
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), -EINVAL);
	assert_non_null(strstr(last_log, "pcap format version 1.4 (expected 2.4)"));

	/* 2.3: its lengths may be the other way round; libpcap's guess is libpcap's */
	cap_header(&c, false, false, 65535, 1);
	c.bytes[6] = 3;
	cap_record(&c, 1, 0, 60, 60, 0);
	cap_write(&c, "v23.pcap", path, sizeof(path));
	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), -EINVAL);
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_false(rxq_pcap_reader__mapped(r));
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 1);
	assert_int_equal(len, 60);
	rxq_pcap_reader__close(r);

	path_in_tmp(path, sizeof(path), "words.txt");
	write_file(path, "not a capture file at all, no\n", 30);
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), -EINVAL);
	assert_non_null(strstr(last_log, "words.txt: cannot read it mapped: not a classic pcap"));

	/* another link type: mapped on demand (LINKTYPE_RAW = 101), libpcap's DLT_RAW otherwise */
	cap_header(&c, false, false, 65535, 101);
	cap_record(&c, 1, 0, 20, 20, 0);
	cap_write(&c, "raw.pcap", path, sizeof(path));
	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), 0);
	assert_int_equal(rxq_pcap_reader__linktype(r), 101);
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 1);
	assert_int_equal(len, 20);
	rxq_pcap_reader__close(r);
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_false(rxq_pcap_reader__mapped(r));
	assert_int_equal(rxq_pcap_reader__linktype(r), 12);
	rxq_pcap_reader__close(r);

	/* no such mode */
	map.mode = 99;
	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), -EINVAL);
}

static void put_le32(struct capture *c, uint32_t v)
{
	c->swapped = false;
	cap_u32(c, v);
}

/* pcapng stays on libpcap's path, as before the mapped reader. */
static void test_pcapng(void **state)
{
	RXQ_OPTS(rxq_pcap_reader_opts, map, .mode = RXQ_PCAP_READ_MAP);
	struct rxq_pcap_frame batch[2];
	struct rxq_pcap_reader *r = NULL;
	struct capture c = { 0 };
	uint8_t frame[60];
	char path[128];

	(void)state;
	for (unsigned i = 0; i < sizeof(frame); i++)
		frame[i] = frame_byte(0, i);
	/* section header block */
	put_le32(&c, 0x0a0d0d0a);
	put_le32(&c, 28);
	put_le32(&c, 0x1a2b3c4d);
	put_le32(&c, 1); /* version 1.0 */
	put_le32(&c, 0xffffffff); /* section length: unknown */
	put_le32(&c, 0xffffffff);
	put_le32(&c, 28);
	/* interface description block: Ethernet, snaplen 0, default microseconds */
	put_le32(&c, 1);
	put_le32(&c, 20);
	put_le32(&c, 1);
	put_le32(&c, 0);
	put_le32(&c, 20);
	/* enhanced packet block: 60 bytes at 1.5 s */
	put_le32(&c, 6);
	put_le32(&c, 32 + sizeof(frame));
	put_le32(&c, 0);
	put_le32(&c, 0);
	put_le32(&c, 1500000);
	put_le32(&c, sizeof(frame));
	put_le32(&c, sizeof(frame));
	cap_put(&c, frame, sizeof(frame));
	put_le32(&c, 32 + sizeof(frame));
	cap_write(&c, "ng.pcapng", path, sizeof(path));

	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), -EINVAL);
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_false(rxq_pcap_reader__mapped(r));
	assert_int_equal(rxq_pcap_reader__linktype(r), 1);
	assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 2), 1);
	assert_int_equal(batch[0].len, sizeof(frame));
	assert_memory_equal(batch[0].data, frame, sizeof(frame));
	assert_int_equal(batch[0].ts.tv_sec, 1);
	assert_int_equal(batch[0].ts.tv_nsec, 500000000);
	assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 2), 0);
	rxq_pcap_reader__close(r);
}

/* A pipe is no file to map: libpcap reads it. */
static void test_pipe(void **state)
{
	struct rxq_pcap_reader *r = NULL;
	struct capture c;
	const uint8_t *frame;
	struct timespec ts;
	char path[64];
	uint32_t len;
	int fds[2];

	(void)state;
	cap_header(&c, false, true, 65535, 1);
	cap_record(&c, 7, 8, 60, 60, 0);
	assert_int_equal(pipe(fds), 0);
	assert_int_equal(write(fds[1], c.bytes, c.len), (ssize_t)c.len);
	close(fds[1]);
	free(c.bytes);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fds[0]);
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_false(rxq_pcap_reader__mapped(r));
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, &ts), 1);
	assert_int_equal(len, 60);
	assert_int_equal(ts.tv_sec, 7);
	assert_int_equal(ts.tv_nsec, 8);
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, &ts), 0);
	rxq_pcap_reader__close(r);
	close(fds[0]);
}

/*
 * libpcap's path copies a batch into the reader: a batch larger than its buffer ends early and the
 * next one starts with the frame that did not fit; every frame of a batch stays intact until the
 * next call.
 */
static void test_libpcap_batches(void **state)
{
	struct rxq_pcap_frame batch[16];
	struct rxq_pcap_reader *r;
	struct capture c;
	char path[128];
	unsigned f = 0, calls = 0;
	int n;

	(void)state;
	cap_header(&c, false, false, 0, 1);
	for (unsigned i = 0; i < 12; i++)
		cap_record(&c, i, 0, i % 3 ? 262144 : 60, 262144, i);
	cap_write(&c, "big.pcap", path, sizeof(path));
	for (unsigned m = 0; m < RXQ_ARRAY_SIZE(modes); m++) {
		open_mode(&r, path, modes[m]);
		f = calls = 0;
		while ((n = rxq_pcap_reader__next_batch(r, batch, 16)) > 0) {
			calls++;
			for (int i = 0; i < n; i++, f++) {
				assert_int_equal(batch[i].len, f % 3 ? 262144 : 60);
				assert_int_equal(batch[i].ts.tv_sec, f);
				for (uint32_t b = 0; b < batch[i].len; b += 997)
					assert_int_equal(batch[i].data[b], frame_byte(f, b));
			}
		}
		assert_int_equal(n, 0);
		assert_int_equal(f, 12);
		/* mapped: one batch; copied: more than one */
		assert_true(modes[m] == RXQ_PCAP_READ_MAP ? calls == 1 : calls > 1);
		rxq_pcap_reader__close(r);
	}
}

/* RXQ_PCAP_READER chooses the reader for the default mode only. */
static void test_reader_env(void **state)
{
	RXQ_OPTS(rxq_pcap_reader_opts, map, .mode = RXQ_PCAP_READ_MAP);
	struct rxq_pcap_reader *r;
	struct capture c;
	char path[128];

	(void)state;
	cap_header(&c, false, false, 65535, 1);
	cap_record(&c, 1, 0, 60, 60, 0);
	cap_write(&c, "env.pcap", path, sizeof(path));

	setenv("RXQ_PCAP_READER", "libpcap", 1);
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_false(rxq_pcap_reader__mapped(r));
	rxq_pcap_reader__close(r);
	assert_int_equal(rxq_pcap_reader__open_opts(&r, path, &map), 0);
	assert_true(rxq_pcap_reader__mapped(r));
	rxq_pcap_reader__close(r);

	setenv("RXQ_PCAP_READER", "map", 1);
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_true(rxq_pcap_reader__mapped(r));
	rxq_pcap_reader__close(r);

	setenv("RXQ_PCAP_READER", "mmap", 1);
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_true(rxq_pcap_reader__mapped(r));
	assert_non_null(strstr(last_log, "RXQ_PCAP_READER=mmap: expected map or libpcap"));
	rxq_pcap_reader__close(r);
	unsetenv("RXQ_PCAP_READER");
}

/*
 * A capture of several GiB (sparse here: its holes read as empty records) opens at once and reads
 * from the start: the reader maps it, it does not read it all.
 */
static void test_huge_file(void **state)
{
	const off_t huge = 6ll << 30;
	struct rxq_pcap_frame batch[4];
	struct rxq_pcap_reader *r;
	struct capture c;
	char path[128];

	(void)state;
	if (sizeof(size_t) < 8)
		skip();
	cap_header(&c, false, false, 65535, 1);
	cap_record(&c, 1, 0, 60, 60, 0);
	cap_write(&c, "huge.pcap", path, sizeof(path));
	if (truncate(path, huge) < 0)
		skip(); /* a file system without sparse files this large */
	open_mode(&r, path, RXQ_PCAP_READ_MAP);
	assert_int_equal(rxq_pcap_reader__next_batch(r, batch, 4), 4);
	assert_int_equal(batch[0].len, 60);
	assert_int_equal(batch[1].len, 0);
	assert_int_equal(batch[1].ts.tv_sec, 0);
	rxq_pcap_reader__close(r);
	assert_int_equal(unlink(path), 0);
}

static void test_writer_errors(void **state)
{
	struct rxq_pcap_writer *w = NULL;
	char path[128];

	(void)state;
	path_in_tmp(path, sizeof(path), "no/such/dir.pcap");
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_writer__open(&w, path, false), -ENOENT);
	assert_null(w);
	assert_non_null(strstr(last_log, "no/such/dir.pcap"));

	/* A full device: not even the header goes out, so there is no writer. */
	if (!access("/dev/full", W_OK)) {
		assert_int_equal(rxq_pcap_writer__open(&w, "/dev/full", false), -ENOSPC);
		assert_null(w);
	}
	assert_int_equal(rxq_pcap_writer__close(NULL), 0);
}

#define REC (16 + 100) /* a record of a 100-byte frame */

/* The file may grow to @bytes only, like a file system that fills up (writes fail with EFBIG). */
static void file_size_limit(rlim_t bytes)
{
	struct rlimit lim;

	assert_int_equal(getrlimit(RLIMIT_FSIZE, &lim), 0);
	lim.rlim_cur = bytes;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
}

static int frames_in(const char *path)
{
	struct rxq_pcap_reader *r = NULL;
	const uint8_t *frame;
	uint32_t len;
	int n = 0, ret;

	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	while ((ret = rxq_pcap_reader__next(r, &frame, &len, NULL)) == 1)
		n++;
	assert_int_equal(ret, 0); /* the end of the file, not an error */
	rxq_pcap_reader__close(r);
	return n;
}

/*
 * A write that fails is an error of the flush, the later writes and the close; the file holds
 * whole frames only, exactly as many as the writer counts.
 */
static void test_writer_full(void **state)
{
	static const uint8_t frame[100];
	struct rxq_pcap_writer *w = NULL;
	struct timespec ts = { 1, 0 };
	uint64_t frames, bytes;
	struct stat st;
	char path[128];
	int i;

	(void)state;
	signal(SIGXFSZ, SIG_IGN);
	path_in_tmp(path, sizeof(path), "full.pcap");

	/* room for the header and three and a half records */
	assert_int_equal(rxq_pcap_writer__open(&w, path, false), 0);
	for (i = 0; i < 10; i++)
		assert_int_equal(rxq_pcap_writer__write(w, frame, sizeof(frame), &ts), 0);
	rxq_pcap_writer__written(w, &frames, &bytes);
	assert_int_equal(frames, 0); /* buffered, not in the file yet */
	file_size_limit(24 + 3 * REC + REC / 2);
	last_log[0] = '\0';
	assert_int_equal(rxq_pcap_writer__flush(w), -EFBIG);
	assert_non_null(strstr(last_log, "full.pcap: writing the pcap file failed after 3 frames"));
	rxq_pcap_writer__written(w, &frames, &bytes);
	assert_int_equal(frames, 3);
	assert_int_equal(bytes, 300);
	assert_int_equal(rxq_pcap_writer__write(w, frame, sizeof(frame), &ts), -EFBIG);
	assert_int_equal(rxq_pcap_writer__flush(w), -EFBIG);
	assert_int_equal(rxq_pcap_writer__close(w), -EFBIG);
	file_size_limit(RLIM_INFINITY);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 24 + 3 * REC);
	assert_int_equal(frames_in(path), 3);

	/* the buffer fails only when close writes it */
	assert_int_equal(rxq_pcap_writer__open(&w, path, true), 0);
	for (i = 0; i < 4; i++)
		assert_int_equal(rxq_pcap_writer__write(w, frame, sizeof(frame), &ts), 0);
	file_size_limit(24 + REC + 10);
	assert_int_equal(rxq_pcap_writer__close(w), -EFBIG);
	file_size_limit(RLIM_INFINITY);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 24 + REC);
	assert_int_equal(frames_in(path), 1);
	signal(SIGXFSZ, SIG_DFL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_usec),	 cmocka_unit_test(test_roundtrip_nsec),
		cmocka_unit_test(test_timestamp_now),	 cmocka_unit_test(test_reader_errors),
		cmocka_unit_test(test_truncated_record), cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_writer_full),	 cmocka_unit_test(test_byte_orders),
		cmocka_unit_test(test_damaged),		 cmocka_unit_test(test_headers),
		cmocka_unit_test(test_pcapng),		 cmocka_unit_test(test_pipe),
		cmocka_unit_test(test_libpcap_batches),	 cmocka_unit_test(test_reader_env),
		cmocka_unit_test(test_huge_file),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
