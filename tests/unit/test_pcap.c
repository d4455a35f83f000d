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
static const uint32_t frame_lens[NFRAMES] = {60, 1, 1514, 9018, 262144};
static const struct timespec frame_ts[NFRAMES] = {
	{1700000000, 123456789}, {1700000000, 999999999}, {1700000001, 0},
	{0, 1},			 {4000000000, 500000500},
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
	assert_int_equal(rxq_pcap_writer__write(w, buf, 60, &(struct timespec){-1, 0}), -ERANGE);
	assert_int_equal(rxq_pcap_writer__write(w, buf, 60, &(struct timespec){1ll << 32, 0}),
			 -ERANGE);
	assert_int_equal(rxq_pcap_writer__write(w, buf, 60, &(struct timespec){1, 1000000000}),
			 -ERANGE);
	assert_int_equal(rxq_pcap_writer__close(w), 0);
	free(buf);
}

static void check_frames(const char *path, bool nanosec)
{
	struct rxq_pcap_reader *r = NULL;
	const uint8_t *frame;
	struct timespec ts;
	uint32_t len;

	assert_int_equal(rxq_pcap_reader__open(&r, path), 0);
	assert_non_null(r);
	assert_int_equal(rxq_pcap_reader__linktype(r), 1);
	assert_int_equal(rxq_pcap_reader__nanosec(r), nanosec);
	for (unsigned f = 0; f < NFRAMES; f++) {
		long want_ns = nanosec ? frame_ts[f].tv_nsec : frame_ts[f].tv_nsec / 1000 * 1000;

		assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, &ts), 1);
		assert_int_equal(len, frame_lens[f]);
		for (uint32_t i = 0; i < len; i++)
			if (frame[i] != frame_byte(f, i))
				fail_msg("frame %u byte %u: %#x != %#x", f, i, frame[i],
					 frame_byte(f, i));
		assert_int_equal(ts.tv_sec, frame_ts[f].tv_sec);
		assert_int_equal(ts.tv_nsec, want_ns);
	}
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 0);
	assert_int_equal(rxq_pcap_reader__next(r, &frame, &len, NULL), 0);
	rxq_pcap_reader__close(r);
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
	static const uint8_t frame[60] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
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
	struct timespec ts = {1, 0};
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
		cmocka_unit_test(test_roundtrip_usec),	cmocka_unit_test(test_roundtrip_nsec),
		cmocka_unit_test(test_timestamp_now),	cmocka_unit_test(test_reader_errors),
		cmocka_unit_test(test_truncated_record), cmocka_unit_test(test_writer_errors),
		cmocka_unit_test(test_writer_full),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
