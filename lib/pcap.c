// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pcap/pcap.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "rxq/log.h"
#include "rxq/pcap.h"
#include "internal.h"

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
	int err; /* first write error, -errno: every later call returns it */
	uint8_t *buf; /* whole records not yet written */
	size_t len; /* bytes in buf */
	size_t done; /* of which a short write already wrote this many */
	uint64_t frames; /* records the file holds in full, and their frame bytes */
	uint64_t bytes;
	off_t file_len; /* the file header and those records */
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

/*
 * The reader. libpcap's pcap_next_ex() costs two stdio reads per record and the caller a copy; at
 * minimum-size frames that was most of an offline run (bench/results/offload-offline.txt). So a
 * classic pcap file that is a regular file is mapped, its records parsed here and handed out in
 * place. Everything else (pcapng, a pipe, other link types, format versions before 2.4) keeps
 * libpcap's path.
 *
 * The mapping is populated one window ahead of the record being read, by the read calls
 * themselves: the cost of bringing the file in falls in the reading (not in the open, outside a
 * caller's timing, nor in page faults on whatever first touches a frame, such as a timed
 * classification), and a file cut shorter after the open is an error rather than a SIGBUS where
 * the kernel can tell. Measured as fast as leaving it to page faults.
 */
#define MAP_WINDOW     (4u << 20)
#define RECORD_MAX     (sizeof(struct pcap_record_header) + RXQ_PCAP_SNAPLEN)
#define PREFETCH_AHEAD 4096
/* libpcap's path: the copies of one batch's frames, 64-byte aligned (the parser's first line). */
#define ARENA_MIN      (2u << 20)
#define ARENA_ALIGN(x) (((x) + 63) & ~(size_t)63)

#ifndef MADV_POPULATE_READ
#define MADV_POPULATE_READ 22 /* Linux 5.14 */
#endif

struct rxq_pcap_reader {
	char *path;
	int linktype;
	bool nanosec;
	int err; /* sticky: every read after a failed one returns it */

	/* mapped */
	const uint8_t *map; /* NULL: libpcap's path */
	size_t size; /* of the file when it was opened, and of the mapping */
	size_t off; /* of the next record */
	size_t populated; /* the mapping is populated up to here */
	uint64_t records; /* handed out so far: for messages */
	uint32_t snaplen; /* the file's; RXQ_PCAP_SNAPLEN if it says 0 or more */
	uint32_t frac_limit; /* timestamp fractions are below this */
	uint32_t frac_scale; /* to nanoseconds */
	bool swapped; /* the file's byte order is not ours */
	bool populate; /* MADV_POPULATE_READ works */

	/* libpcap */
	pcap_t *pcap;
	struct pcap_pkthdr *pending_hdr; /* read, not handed out yet: did not fit the arena */
	const u_char *pending_data;
	uint8_t *arena;
	size_t arena_size;
};

/* A record the mapped reader cannot take: logged, sticky, -EIO like libpcap's read errors. */
__attribute__((format(printf, 4, 5))) static int
map_corrupt(struct rxq_pcap_reader *r, uint64_t record, size_t off, const char *fmt, ...)
{
	char why[192];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rxq_err("%s: record %" PRIu64 " at byte %zu: %s", r->path, record + 1, off, why);
	r->err = -EIO;
	return r->err;
}

/*
 * Populates the next window of the mapping. A kernel without MADV_POPULATE_READ (or short of
 * memory for it) leaves the work to page faults. EFAULT means pages past the end of the file:
 * it was cut shorter after the open, and reading on would raise SIGBUS.
 */
static int map_populate(struct rxq_pcap_reader *r)
{
	size_t len = r->size - r->populated < MAP_WINDOW ? r->size - r->populated : MAP_WINDOW;

	if (r->populate && madvise((void *)(r->map + r->populated), len, MADV_POPULATE_READ)) {
		if (errno == EFAULT) {
			rxq_err("%s: the file is shorter than its %zu bytes at the open: it was "
				"cut while being read",
				r->path, r->size);
			r->err = -EIO;
			return r->err;
		}
		r->populate = false;
	}
	r->populated += len;
	return 0;
}

static int map_next_batch(struct rxq_pcap_reader *r, struct rxq_pcap_frame *frames, unsigned n)
{
	/* in locals: the compiler cannot tell the frames from the reader's fields */
	const uint8_t *map = r->map;
	const size_t size = r->size;
	const uint32_t snaplen = r->snaplen, frac_limit = r->frac_limit, frac_scale = r->frac_scale;
	struct pcap_record_header h;
	size_t off = r->off, left;
	unsigned i;
	int err = 0;

	for (i = 0; i < n; i++) {
		if (off + RECORD_MAX > r->populated && r->populated < size) {
			err = map_populate(r);
			if (err)
				break;
		}
		left = size - off;
		if (left < sizeof(h)) {
			if (left)
				err = map_corrupt(r, r->records + i, off,
						  "truncated: the file ends %zu bytes into the "
						  "16-byte record header",
						  left);
			break;
		}
		/*
		 * Each header's place depends on the one before: a chain of loads the hardware
		 * prefetcher did not follow (measured: most of the reader's time stalled on the
		 * header). Fetch a few KiB ahead, two lines per record (a minimum-size record is
		 * longer than one).
		 */
		__builtin_prefetch(map + off + PREFETCH_AHEAD);
		__builtin_prefetch(map + off + PREFETCH_AHEAD + 64);
		memcpy(&h, map + off, sizeof(h));
		if (r->swapped) {
			h.ts_sec = __builtin_bswap32(h.ts_sec);
			h.ts_frac = __builtin_bswap32(h.ts_frac);
			h.caplen = __builtin_bswap32(h.caplen);
			h.len = __builtin_bswap32(h.len);
		}
		if (h.caplen > snaplen) {
			err = map_corrupt(r, r->records + i, off,
					  "captured length %u exceeds the snapshot length %u: the "
					  "file is corrupt",
					  h.caplen, snaplen);
			break;
		}
		if (h.caplen > left - sizeof(h)) {
			err = map_corrupt(r, r->records + i, off,
					  "truncated: a %u-byte frame, but the file ends %zu bytes "
					  "after the record header",
					  h.caplen, left - sizeof(h));
			break;
		}
		if (h.ts_frac >= frac_limit) {
			err = map_corrupt(r, r->records + i, off,
					  "timestamp fraction %u is a second or more: the file is "
					  "corrupt",
					  h.ts_frac);
			break;
		}
		frames[i].data = map + off + sizeof(h);
		frames[i].len = h.caplen;
		frames[i].wire_len = h.len;
		frames[i].ts.tv_sec = h.ts_sec;
		frames[i].ts.tv_nsec = (long)h.ts_frac * frac_scale;
		off += sizeof(h) + h.caplen;
	}
	r->off = off;
	r->records += i;
	return i ? (int)i : err;
}

/*
 * Checks the file header and maps the file. 0, or -errno with the reason in @why: the file is not
 * one the mapped reader takes (AUTO then gives it to libpcap).
 */
static int map_open(struct rxq_pcap_reader *r, int fd, bool any_linktype, char *why,
		    size_t why_size)
{
	struct pcap_file_header_v24 fh;
	struct stat st;
	void *map;
	int err;

	if (fstat(fd, &st) < 0) {
		err = -errno;
		snprintf(why, why_size, "cannot stat it: %s", strerror(-err));
		return err;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, why_size, "not a regular file");
		return -EINVAL;
	}
	if (st.st_size < (off_t)sizeof(fh) || pread(fd, &fh, sizeof(fh), 0) != sizeof(fh)) {
		snprintf(why, why_size, "shorter than a pcap file header (%lld of %zu bytes)",
			 (long long)st.st_size, sizeof(fh));
		return -EINVAL;
	}
	if ((uint64_t)st.st_size > SIZE_MAX) {
		snprintf(why, why_size, "too large to map (%lld bytes)", (long long)st.st_size);
		return -EFBIG;
	}
	switch (fh.magic) {
	case PCAP_MAGIC_NSEC_SWAPPED:
		r->swapped = true;
		/* fall through */
	case PCAP_MAGIC_NSEC:
		r->nanosec = true;
		break;
	case PCAP_MAGIC_USEC_SWAPPED:
		r->swapped = true;
		/* fall through */
	case PCAP_MAGIC_USEC:
		break;
	default:
		snprintf(why, why_size, "not a classic pcap file (magic %#010x)", fh.magic);
		return -EINVAL;
	}
	if (r->swapped) {
		fh.version_major = __builtin_bswap16(fh.version_major);
		fh.version_minor = __builtin_bswap16(fh.version_minor);
		fh.snaplen = __builtin_bswap32(fh.snaplen);
		fh.linktype = __builtin_bswap32(fh.linktype);
	}
	/*
	 * Before 2.4 the record header's two lengths were in the other order, in some files only
	 * (libpcap guesses per record): those stay with libpcap. Every writer since writes 2.4,
	 * and libpcap refuses anything newer.
	 */
	if (fh.version_major != PCAP_VERSION_MAJOR || fh.version_minor != PCAP_VERSION_MINOR) {
		snprintf(why, why_size, "pcap format version %u.%u (expected %u.%u)",
			 fh.version_major, fh.version_minor, PCAP_VERSION_MAJOR,
			 PCAP_VERSION_MINOR);
		return -EINVAL;
	}
	/* Ethernet, without the FCS-length bits of the link-type field */
	if (!any_linktype && fh.linktype != DLT_EN10MB) {
		snprintf(why, why_size, "link type %#x is not Ethernet", fh.linktype);
		return -EINVAL;
	}
	map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED) {
		err = -errno;
		snprintf(why, why_size, "cannot map it: %s", strerror(-err));
		return err;
	}
	/* read ahead generously; the kernel may ignore it */
	madvise(map, (size_t)st.st_size, MADV_SEQUENTIAL);
	r->map = map;
	r->size = (size_t)st.st_size;
	r->off = sizeof(fh);
	r->populate = true;
	r->linktype = (int)(fh.linktype & 0x03ffffff);
	r->snaplen = fh.snaplen && fh.snaplen < RXQ_PCAP_SNAPLEN ? fh.snaplen : RXQ_PCAP_SNAPLEN;
	r->frac_limit = r->nanosec ? 1000000000u : 1000000u;
	r->frac_scale = r->nanosec ? 1 : 1000;
	return 0;
}

static int libpcap_open(struct rxq_pcap_reader *r, FILE *file)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	uint32_t magic = 0;

	/*
	 * libpcap converts every timestamp to the precision asked for and does not tell what the
	 * file holds, so read the magic ourselves (pread leaves the stream position alone).
	 */
	if (pread(fileno(file), &magic, sizeof(magic), 0) == sizeof(magic))
		r->nanosec = magic == PCAP_MAGIC_NSEC || magic == PCAP_MAGIC_NSEC_SWAPPED;
	r->pcap =
		pcap_fopen_offline_with_tstamp_precision(file, PCAP_TSTAMP_PRECISION_NANO, errbuf);
	if (!r->pcap) {
		rxq_err("%s: not a readable pcap file: %s", r->path, errbuf);
		return -EINVAL;
	}
	r->linktype = pcap_datalink(r->pcap);
	return 0;
}

static enum rxq_pcap_read_mode mode_from_env(void)
{
	const char *env = getenv("RXQ_PCAP_READER");

	if (!env || !*env)
		return RXQ_PCAP_READ_AUTO;
	if (!strcmp(env, "map"))
		return RXQ_PCAP_READ_MAP;
	if (!strcmp(env, "libpcap"))
		return RXQ_PCAP_READ_LIBPCAP;
	rxq_warn("RXQ_PCAP_READER=%s: expected map or libpcap; ignored", env);
	return RXQ_PCAP_READ_AUTO;
}

int rxq_pcap_reader__open_opts(struct rxq_pcap_reader **out, const char *path,
			       const struct rxq_pcap_reader_opts *opts)
{
	struct rxq_pcap_reader_opts o = { 0 };
	struct rxq_pcap_reader *r;
	char why[160];
	FILE *file;
	int err;

	*out = NULL;
	if (RXQ_OPTS_LOAD(o, opts, rxq_pcap_reader_opts))
		return -EINVAL;
	if (o.mode == RXQ_PCAP_READ_AUTO)
		o.mode = mode_from_env();
	if (o.mode > RXQ_PCAP_READ_LIBPCAP)
		return -EINVAL;
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->path = strdup(path);
	if (!r->path) {
		err = -ENOMEM;
		goto free_reader;
	}
	/* Opened here rather than by libpcap, so a missing file reports its own errno. */
	file = fopen(path, "rb");
	if (!file) {
		err = -errno;
		rxq_err("%s: %s", path, strerror(-err));
		goto free_reader;
	}
	if (o.mode != RXQ_PCAP_READ_LIBPCAP) {
		err = map_open(r, fileno(file), o.mode == RXQ_PCAP_READ_MAP, why, sizeof(why));
		if (!err) {
			fclose(file); /* the mapping stays */
			*out = r;
			return 0;
		}
		if (o.mode == RXQ_PCAP_READ_MAP) {
			rxq_err("%s: cannot read it mapped: %s", path, why);
			goto close_file;
		}
		r->swapped = r->nanosec = false;
	}
	err = libpcap_open(r, file);
	if (err)
		goto close_file;
	*out = r;
	return 0;

close_file:
	fclose(file); /* on failure libpcap leaves the stream to its caller */
free_reader:
	free(r->path);
	free(r);
	return err;
}

int rxq_pcap_reader__open(struct rxq_pcap_reader **out, const char *path)
{
	return rxq_pcap_reader__open_opts(out, path, NULL);
}

/* libpcap's next record into r->pending_*: 1, 0 at the end, or -EIO (logged, sticky). */
static int libpcap_read(struct rxq_pcap_reader *r)
{
	int ret;

	if (r->pending_hdr)
		return 1;
	ret = pcap_next_ex(r->pcap, &r->pending_hdr, &r->pending_data);
	if (ret == 1)
		return 1;
	r->pending_hdr = NULL;
	if (ret == PCAP_ERROR_BREAK)
		return 0;
	rxq_err("%s: reading the pcap file: %s", r->path, pcap_geterr(r->pcap));
	r->err = -EIO;
	return r->err;
}

static void libpcap_frame(struct rxq_pcap_reader *r, struct rxq_pcap_frame *f, const uint8_t *data)
{
	const struct pcap_pkthdr *hdr = r->pending_hdr;

	f->data = data;
	f->len = hdr->caplen;
	f->wire_len = hdr->len;
	/* libpcap sign-extends the file's unsigned 32-bit seconds (valid past 2038). */
	f->ts.tv_sec = (uint32_t)hdr->ts.tv_sec;
	f->ts.tv_nsec = hdr->ts.tv_usec; /* nanoseconds: the handle was opened that way */
	r->pending_hdr = NULL;
}

/* libpcap reuses its buffer on every read: a batch is copied into the reader's arena. */
static int libpcap_next_batch(struct rxq_pcap_reader *r, struct rxq_pcap_frame *frames, unsigned n)
{
	size_t used = 0, need;
	unsigned i;
	int ret = 0;

	for (i = 0; i < n; i++) {
		ret = libpcap_read(r);
		if (ret <= 0)
			break;
		need = r->pending_hdr->caplen;
		if (!r->arena || used + need > r->arena_size) {
			uint8_t *arena;

			if (i)
				break; /* kept pending for the next batch */
			/* the first frame of a batch: nothing points into the arena yet */
			need = need > ARENA_MIN ? need : ARENA_MIN;
			arena = realloc(r->arena, need);
			if (!arena)
				return -ENOMEM;
			r->arena = arena;
			r->arena_size = need;
		}
		memcpy(r->arena + used, r->pending_data, r->pending_hdr->caplen);
		libpcap_frame(r, &frames[i], r->arena + used);
		used = ARENA_ALIGN(used + frames[i].len);
	}
	return i ? (int)i : ret;
}

int rxq_pcap_reader__next_batch(struct rxq_pcap_reader *r, struct rxq_pcap_frame *frames,
				unsigned n)
{
	if (r->err)
		return r->err;
	if (!n)
		return 0;
	if (n > INT_MAX)
		n = INT_MAX; /* the count is returned as an int */
	return r->map ? map_next_batch(r, frames, n) : libpcap_next_batch(r, frames, n);
}

int rxq_pcap_reader__next(struct rxq_pcap_reader *r, const uint8_t **frame, uint32_t *len,
			  struct timespec *ts)
{
	struct rxq_pcap_frame f;
	int ret;

	if (r->err)
		return r->err;
	if (r->map) {
		ret = map_next_batch(r, &f, 1);
	} else {
		ret = libpcap_read(r);
		if (ret > 0)
			libpcap_frame(r, &f, r->pending_data);
	}
	if (ret <= 0)
		return ret;
	*frame = f.data;
	*len = f.len;
	if (ts)
		*ts = f.ts;
	return 1;
}

int rxq_pcap_reader__linktype(const struct rxq_pcap_reader *r)
{
	return r->linktype;
}

bool rxq_pcap_reader__nanosec(const struct rxq_pcap_reader *r)
{
	return r->nanosec;
}

bool rxq_pcap_reader__mapped(const struct rxq_pcap_reader *r)
{
	return r->map != NULL;
}

void rxq_pcap_reader__close(struct rxq_pcap_reader *r)
{
	if (!r)
		return;
	if (r->map)
		munmap((void *)r->map, r->size);
	if (r->pcap)
		pcap_close(r->pcap);
	free(r->arena);
	free(r->path);
	free(r);
}
