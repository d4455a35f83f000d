// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "rxq/log.h"
#include "rxq/pcap.h"
#include "internal.h"

/*
 * libpcap refuses to read records longer than this (MAXIMUM_SNAPLEN in its sources), so a writer
 * that let longer frames through would produce files nobody can read back.
 */
#define RXQ_PCAP_SNAPLEN 262144u

/* File magics as read in host order, for either byte order the file was written in. */
#define PCAP_MAGIC_USEC		0xa1b2c3d4u
#define PCAP_MAGIC_NSEC		0xa1b23c4du
#define PCAP_MAGIC_USEC_SWAPPED 0xd4c3b2a1u
#define PCAP_MAGIC_NSEC_SWAPPED 0x4d3cb2a1u

struct rxq_pcap_writer {
	pcap_t *dead;
	pcap_dumper_t *dumper;
	FILE *file; /* owned by the dumper */
	char *path;
	bool nanosec;
	int err; /* first write error, -errno */
};

struct rxq_pcap_reader {
	pcap_t *pcap;
	bool nanosec;
};

int rxq_pcap_writer__open(struct rxq_pcap_writer **out, const char *path, bool nanosec)
{
	struct rxq_pcap_writer *w;
	int err;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->path = strdup(path);
	if (!w->path) {
		err = -ENOMEM;
		goto free_writer;
	}
	w->nanosec = nanosec;
	w->dead = pcap_open_dead_with_tstamp_precision(DLT_EN10MB, RXQ_PCAP_SNAPLEN,
							nanosec ? PCAP_TSTAMP_PRECISION_NANO
								: PCAP_TSTAMP_PRECISION_MICRO);
	if (!w->dead) {
		err = -ENOMEM;
		rxq_err("%s: libpcap could not set up a pcap writer", path);
		goto free_path;
	}
	errno = 0;
	w->dumper = pcap_dump_open(w->dead, path);
	if (!w->dumper) {
		/* errno is still fopen's when the file was the problem; else libpcap refused. */
		err = errno ? -errno : -EINVAL;
		rxq_err("cannot write pcap file: %s", pcap_geterr(w->dead));
		goto close_dead;
	}
	w->file = pcap_dump_file(w->dumper);
	*out = w;
	return 0;

close_dead:
	pcap_close(w->dead);
free_path:
	free(w->path);
free_writer:
	free(w);
	return err;
}

int rxq_pcap_writer__write(struct rxq_pcap_writer *w, const uint8_t *frame, uint32_t len,
			   const struct timespec *ts)
{
	struct pcap_pkthdr hdr;
	struct timespec now;

	if (w->err)
		return w->err;
	if (len > RXQ_PCAP_SNAPLEN)
		return -EMSGSIZE;
	if (!ts) {
		if (clock_gettime(CLOCK_REALTIME, &now))
			return -errno;
		ts = &now;
	}
	/* The format holds unsigned 32-bit seconds (until 2106). */
	if (ts->tv_sec < 0 || ts->tv_sec > UINT32_MAX || ts->tv_nsec < 0 || ts->tv_nsec > 999999999)
		return -ERANGE;
	hdr.ts.tv_sec = ts->tv_sec;
	/* With a nanosecond handle libpcap writes tv_usec as nanoseconds, unchanged. */
	hdr.ts.tv_usec = w->nanosec ? ts->tv_nsec : ts->tv_nsec / 1000;
	hdr.caplen = len;
	hdr.len = len;

	errno = 0;
	pcap_dump((u_char *)w->dumper, &hdr, frame);
	if (ferror(w->file)) {
		/* pcap_dump() returns nothing: the stream's error flag is all there is. */
		w->err = errno ? -errno : -EIO;
		rxq_err("%s: writing a frame failed: %s", w->path, strerror(-w->err));
		return w->err;
	}
	return 0;
}

int rxq_pcap_writer__close(struct rxq_pcap_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = w->err;
	errno = 0;
	if (pcap_dump_flush(w->dumper) || ferror(w->file)) {
		int flush_err = errno ? -errno : -EIO;

		if (!err) {
			err = flush_err;
			rxq_err("%s: flushing the pcap file failed: %s", w->path, strerror(-err));
		}
	}
	pcap_dump_close(w->dumper);
	pcap_close(w->dead);
	free(w->path);
	free(w);
	return err;
}

int rxq_pcap_reader__open(struct rxq_pcap_reader **out, const char *path)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	struct rxq_pcap_reader *r;
	uint32_t magic = 0;
	FILE *file;
	int err;

	*out = NULL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;

	/* Opened here rather than by libpcap, so a missing file reports its own errno. */
	file = fopen(path, "rb");
	if (!file) {
		err = -errno;
		rxq_err("%s: %s", path, strerror(-err));
		goto free_reader;
	}
	/*
	 * libpcap converts every timestamp to the precision asked for and does not tell what the
	 * file holds, so read the magic ourselves (pread leaves the stream position alone).
	 */
	if (pread(fileno(file), &magic, sizeof(magic), 0) == sizeof(magic))
		r->nanosec = magic == PCAP_MAGIC_NSEC || magic == PCAP_MAGIC_NSEC_SWAPPED;

	r->pcap =
	    pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!r->pcap) {
		err = -EINVAL;
		rxq_err("%s: not a readable pcap file: %s", path, errbuf);
		goto close_file;
	}
	*out = r;
	return 0;

close_file:
	fclose(file); /* on failure libpcap leaves the stream to its caller */
free_reader:
	free(r);
	return err;
}

int rxq_pcap_reader__next(struct rxq_pcap_reader *r, const uint8_t **frame, uint32_t *len,
			  struct timespec *ts)
{
	struct pcap_pkthdr *hdr;
	const u_char *data;
	int ret;

	ret = pcap_next_ex(r->pcap, &hdr, &data);
	if (ret == PCAP_ERROR_BREAK)
		return 0;
	if (ret != 1) {
		rxq_err("reading pcap file: %s", pcap_geterr(r->pcap));
		return -EIO;
	}
	*frame = data;
	*len = hdr->caplen;
	if (ts) {
		/* libpcap sign-extends the file's unsigned 32-bit seconds (valid past 2038). */
		ts->tv_sec = (uint32_t)hdr->ts.tv_sec;
		ts->tv_nsec = hdr->ts.tv_usec; /* nanoseconds: the handle was opened that way */
	}
	return 1;
}

int rxq_pcap_reader__linktype(const struct rxq_pcap_reader *r)
{
	return pcap_datalink(r->pcap);
}

bool rxq_pcap_reader__nanosec(const struct rxq_pcap_reader *r)
{
	return r->nanosec;
}

void rxq_pcap_reader__close(struct rxq_pcap_reader *r)
{
	if (!r)
		return;
	pcap_close(r->pcap);
	free(r);
}
