// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The pcap reader on arbitrary file bytes (written to a memfd, opened by its /proc path).
 * Properties of the mapped reader: it never reads outside the file; every frame it hands out is
 * the file's bytes right after the record header that says so, records back to back from byte
 * 24; lengths within RXQ_PCAP_SNAPLEN, nanoseconds below a second; it ends exactly at the end of
 * the file or with an error it logged, and repeats that error. A refused file header is logged
 * too. And differential: where it took an Ethernet capture, libpcap's path (the reader's copying
 * batches) gives the same frames, the same times, up to where the mapped reader stopped.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>

#include "rxq/log.h"
#include "rxq/pcap.h"

struct seen {
	size_t off; /* of the frame's bytes in the input */
	uint32_t len, wire_len;
	struct timespec ts;
};

static unsigned logged;

static void count_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == RXQ_LOG_ERROR && msg[0])
		logged++;
}

static void check(int ok)
{
	if (!ok)
		abort();
}

static int open_reader(struct rxq_pcap_reader **r, const char *path, enum rxq_pcap_read_mode mode)
{
	RXQ_OPTS(rxq_pcap_reader_opts, opts, .mode = mode);

	return rxq_pcap_reader__open_opts(r, path, &opts);
}

/* The mapped reader, in batches of a size taken from the input. Fills @seen; returns the end. */
static int read_mapped(const char *path, const uint8_t *data, size_t size, struct seen *seen,
		       size_t *nseen)
{
	struct rxq_pcap_frame frames[8];
	struct rxq_pcap_reader *r;
	unsigned batch = 1 + (size > 24 ? data[24] % 8 : 0);
	size_t off = 24;
	int n, i;

	logged = 0;
	n = open_reader(&r, path, RXQ_PCAP_READ_MAP);
	if (n) {
		check(n == -EINVAL && logged);
		return n;
	}
	check(r && rxq_pcap_reader__mapped(r));
	*nseen = 0;
	while ((n = rxq_pcap_reader__next_batch(r, frames, batch)) > 0) {
		check(n <= (int)batch);
		for (i = 0; i < n; i++) {
			const struct rxq_pcap_frame *f = &frames[i];

			check(f->len <= RXQ_PCAP_SNAPLEN);
			check(f->ts.tv_nsec >= 0 && f->ts.tv_nsec < 1000000000);
			check(off + 16 + f->len <= size);
			check(!memcmp(f->data, data + off + 16, f->len));
			seen[*nseen] = (struct seen){ off + 16, f->len, f->wire_len, f->ts };
			(*nseen)++;
			off += 16 + f->len;
		}
	}
	if (n == 0) {
		check(off == size);
		check(rxq_pcap_reader__next_batch(r, frames, batch) == 0);
	} else {
		check(n == -EIO && logged);
		check(rxq_pcap_reader__next_batch(r, frames, batch) == -EIO);
	}
	rxq_pcap_reader__close(r);
	return n;
}

/* libpcap's path must agree on the first @nseen frames (all of them if the mapped one ended). */
static void compare_libpcap(const char *path, const uint8_t *data, const struct seen *seen,
			    size_t nseen, int mapped_end)
{
	struct rxq_pcap_frame frames[5];
	struct rxq_pcap_reader *r;
	size_t k = 0;
	int n = 0, i = 0;

	check(open_reader(&r, path, RXQ_PCAP_READ_LIBPCAP) == 0);
	check(!rxq_pcap_reader__mapped(r));
	while (k < nseen && (n = rxq_pcap_reader__next_batch(r, frames, 5)) > 0) {
		for (i = 0; i < n && k < nseen; i++, k++) {
			check(frames[i].len == seen[k].len);
			check(frames[i].wire_len == seen[k].wire_len);
			check(frames[i].ts.tv_sec == seen[k].ts.tv_sec);
			check(frames[i].ts.tv_nsec == seen[k].ts.tv_nsec);
			check(!memcmp(frames[i].data, data + seen[k].off, seen[k].len));
		}
	}
	check(k == nseen);
	/* the mapped reader found the end: no frame more */
	if (mapped_end == 0)
		check(i == n && rxq_pcap_reader__next_batch(r, frames, 5) == 0);
	rxq_pcap_reader__close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen *seen;
	size_t nseen = 0;
	char path[64];
	uint32_t linktype;
	int fd, end;

	rxq_log__set(count_log, NULL);
	fd = memfd_create("fuzz.pcap", MFD_CLOEXEC);
	check(fd >= 0);
	check(write(fd, data, size) == (ssize_t)size);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	seen = calloc(size / 16 + 1, sizeof(*seen));
	check(seen != NULL);

	end = read_mapped(path, data, size, seen, &nseen);
	if (end != -EINVAL && size >= 24) {
		memcpy(&linktype, data + 20, 4);
		if (linktype == 1 || linktype == 0x01000000) /* Ethernet, either byte order */
			compare_libpcap(path, data, seen, nseen, end);
	}
	free(seen);
	close(fd);
	return 0;
}
