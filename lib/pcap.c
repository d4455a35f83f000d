// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
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

/*
 * The writer does its own buffering rather than libpcap's stdio stream: a stream that fails to
 * flush does not say how much of its buffer reached the file, and a caller must be able to tell
 * exactly which frames the file holds. Records are appended whole to the buffer and the buffer is
 * written with write(2), so after a short or failed write the complete records are counted, and
 * a record cut in half is cut off the file again: it stays a valid capture of what it counts.
 */
#define WRITER_BUF_SIZE (1u << 20) /* holds the largest record: 16 + RXQ_PCAP_SNAPLEN */

struct pcap_file_header_v24 {
	uint32_t magic;
	uint16_t version_major, version_minor;
	int32_t thiszone;
	uint32_t sigfigs, snaplen, linktype;
};

struct pcap_record_header {
	uint32_t ts_sec, ts_frac, caplen, len;
};

struct rxq_pcap_writer {
	int fd;
	char *path;
	bool nanosec;
	int err;	 /* first write error, -errno: every later call returns it */
	uint8_t *buf;	 /* whole records not yet written */
	size_t len;	 /* bytes in buf */
	size_t done;	 /* of which a short write already wrote this many */
	uint64_t frames; /* records the file holds in full, and their frame bytes */
	uint64_t bytes;
	off_t file_len; /* the file header and those records */
};

struct rxq_pcap_reader {
	pcap_t *pcap;
	bool nanosec;
};

/* Counts the whole records among the first @upto bytes of the buffer as written to the file. */
static void writer_account(struct rxq_pcap_writer *w, size_t upto)
{
	struct pcap_record_header h;
	size_t off = 0;

	while (off + sizeof(h) <= upto) {
		memcpy(&h, w->buf + off, sizeof(h));
		if (off + sizeof(h) + h.caplen > upto)
			break;
		off += sizeof(h) + h.caplen;
		w->frames++;
		w->bytes += h.caplen;
	}
	w->file_len += (off_t)off;
	memmove(w->buf, w->buf + off, w->len - off);
	w->len -= off;
	w->done = upto - off;
}

/* Kernel boundary: writes buf[*done..len) to @fd, advancing *done. 0 or -errno. */
static int write_all(int fd, const uint8_t *buf, size_t len, size_t *done)
{
	ssize_t n;

	while (*done < len) {
		n = write(fd, buf + *done, len - *done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		*done += (size_t)n;
	}
	return 0;
}

/* Writes out the buffer. 0 or -errno, sticky. */
static int writer_drain(struct rxq_pcap_writer *w)
{
	if (w->err)
		return w->err;
	w->err = write_all(w->fd, w->buf, w->len, &w->done);
	writer_account(w, w->done);
	if (w->err) {
		/*
		 * Half a record at the end makes readers stop with an error: cut it off. Not a
		 * regular file (a pipe, /dev/full): nothing to cut, and nothing more to do.
		 */
		if (w->done && ftruncate(w->fd, w->file_len) < 0 && errno != EINVAL)
			rxq_warn("%s: cannot cut off the partly written frame: %s", w->path,
				 strerror(errno));
		rxq_err("%s: writing the pcap file failed after %" PRIu64 " frames: %s", w->path,
			w->frames, strerror(-w->err));
	}
	return w->err;
}

int rxq_pcap_writer__open(struct rxq_pcap_writer **out, const char *path, bool nanosec)
{
	struct pcap_file_header_v24 fh = {
	    .magic = nanosec ? PCAP_MAGIC_NSEC : PCAP_MAGIC_USEC,
	    .version_major = PCAP_VERSION_MAJOR,
	    .version_minor = PCAP_VERSION_MINOR,
	    .snaplen = RXQ_PCAP_SNAPLEN,
	    .linktype = DLT_EN10MB,
	};
	struct rxq_pcap_writer *w;
	int err;

	*out = NULL;
	w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->fd = -1;
	w->nanosec = nanosec;
	w->path = strdup(path);
	w->buf = malloc(WRITER_BUF_SIZE);
	if (!w->path || !w->buf) {
		err = -ENOMEM;
		goto free_writer;
	}
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (w->fd < 0) {
		err = -errno;
		rxq_err("cannot write pcap file %s: %s", path, strerror(-err));
		goto free_writer;
	}
	/* The header goes out now: a file that cannot be written fails here, before any frame. */
	err = write_all(w->fd, (const uint8_t *)&fh, sizeof(fh), &w->done);
	if (err) {
		rxq_err("cannot write pcap file %s: %s", path, strerror(-err));
		goto free_writer;
	}
	w->file_len = (off_t)sizeof(fh);
	w->done = 0;
	*out = w;
	return 0;

free_writer:
	if (w->fd >= 0)
		close(w->fd);
	free(w->buf);
	free(w->path);
	free(w);
	return err;
}

int rxq_pcap_writer__write(struct rxq_pcap_writer *w, const uint8_t *frame, uint32_t len,
			   const struct timespec *ts)
{
	struct pcap_record_header h;
	struct timespec now;
	int err;

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
	h.ts_sec = (uint32_t)ts->tv_sec;
	h.ts_frac = (uint32_t)(w->nanosec ? ts->tv_nsec : ts->tv_nsec / 1000);
	h.caplen = len;
	h.len = len;
	if (w->len + sizeof(h) + len > WRITER_BUF_SIZE) {
		err = writer_drain(w);
		if (err)
			return err;
	}
	memcpy(w->buf + w->len, &h, sizeof(h));
	memcpy(w->buf + w->len + sizeof(h), frame, len);
	w->len += sizeof(h) + len;
	return 0;
}

int rxq_pcap_writer__flush(struct rxq_pcap_writer *w)
{
	return writer_drain(w);
}

void rxq_pcap_writer__written(const struct rxq_pcap_writer *w, uint64_t *frames, uint64_t *bytes)
{
	*frames = w->frames;
	*bytes = w->bytes;
}

int rxq_pcap_writer__close(struct rxq_pcap_writer *w)
{
	int err;

	if (!w)
		return 0;
	err = writer_drain(w);
	/* Some file systems (NFS) report a failed write only now. */
	if (close(w->fd) < 0 && !err) {
		err = -errno;
		rxq_err("%s: closing the pcap file failed: %s", w->path, strerror(-err));
	}
	free(w->buf);
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
