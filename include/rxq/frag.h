/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_FRAG_H
#define RXQ_FRAG_H

#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include "rxq/opts.h"
#include "rxq/packet.h"

/*
 * IPv4 and IPv6 fragment reassembly for a user-space classifier.
 *
 * The caller hands over every fragment frame it receives (rxq_pkt__parse() said RXQ_PKT_OK and
 * pkt.is_fragment). The table keeps a copy of each, so the caller can give its own buffer back at
 * once. When the fragments of a datagram cover it completely, rxq_frag__add() returns COMPLETE
 * and two views of it (struct rxq_frag_out):
 *
 *  - the reassembled datagram as one Ethernet frame, for rxq_pkt__parse() and the rules: the
 *    Ethernet header and VLAN tags of the first fragment (offset 0), then
 *    IPv4: the first fragment's header (options included), MF and offset cleared (DF and the
 *      reserved bit kept), total length and header checksum recomputed;
 *    IPv6: the first fragment's IPv6 header and the extension headers before its fragment
 *      header, the fragment header removed, the next-header field that named it set to the
 *      fragment header's next header, payload length recomputed;
 *    then the fragment data, in datagram order. The ECN field is combined as the kernel does
 *    (RFC 3168 section 5.3: CE in any fragment makes the datagram CE).
 *  - the original fragment frames, byte for byte, in arrival order, so that the caller can
 *    reinject all of them (and let the kernel reassemble them itself) or none.
 *
 * Datagrams are keyed by family, source, destination, identification (32 bits for IPv6), the
 * protocol (IPv4 only, as the kernel keys them) and the VLAN tags of the frame (TPID and whole
 * TCI): fragments with different tags never join.
 *
 * Failing closed. Any of the following makes the datagram an ERROR: every fragment held for it
 * and the fragment being added are dropped and counted as errors, and the key is forgotten (a
 * later fragment with the same key starts a new datagram):
 *  - a fragment overlapping one already held, by one byte or entirely (exact duplicates too; the
 *    kernel drops only the duplicate, this table the datagram);
 *  - a fragment reaching past the end a last fragment (MF clear) gave, or a last fragment ending
 *    before data already held, or a second last fragment (two ends);
 *  - a fragment with MF set whose data is not a multiple of 8 bytes, or one without data;
 *  - a datagram whose reassembled frame would exceed 65535 bytes, the most rxq_pkt__parse()
 *    takes: IPv4 total length, or IPv6 40 + payload length, plus the Ethernet header and tags.
 *    This is a little stricter than the 65535-byte IP limit the kernel applies;
 *  - more than opts.max_frags fragments, or a fragment frame longer than RXQ_FRAG_FRAME_MAX;
 *  - fragments whose ECN fields cannot be combined (Not-ECT with ECT or CE);
 *  - a datagram that does not fit in the table even alone (see memory below);
 *  - a reassembled frame that rxq_pkt__parse() does not accept as RXQ_PKT_OK and unfragmented
 *    (e.g. a UDP length that contradicts the datagram's): the rules could not classify it.
 * An IPv6 "atomic fragment" (offset 0, M clear; RFC 6946) is complete by itself: it is returned
 * at once with the fragment header removed and never joins another fragment with its key.
 *
 * Memory is bounded and allocated once, in rxq_frag__new(): an arena of opts.mem_max bytes
 * (rounded down to a multiple of 16 KiB) holds, per datagram, a 128-byte descriptor and, per
 * fragment, a copy of its frame plus 16 bytes, each in a power-of-two block of 64 bytes to 16
 * KiB (a 1514-byte frame takes 2 KiB). When a new fragment does not fit, the oldest datagrams
 * (by the arrival of their first fragment) other than its own are evicted until it does; a
 * datagram that cannot fit even alone is an error, so no datagram ever takes more than the
 * arena. Beside the arena the table holds fixed costs, 3 to 5% of it plus 64 KiB (see
 * rxq_frag__memory()). Nothing is allocated per packet.
 *
 * Time is passed in (nanoseconds of a monotonic clock), so tests can drive a simulated clock. A
 * datagram whose first fragment arrived more than opts.timeout_ns ago is dropped, counted as a
 * timeout, by rxq_frag__expire() and by rxq_frag__add() before it looks at the new fragment. A
 * clock that goes backwards delays expiry; it never drops a datagram early.
 *
 * Accounting, in frames, so that the caller's books balance: every frame rxq_frag__add() takes
 * (that is, does not refuse with -EINVAL) ends up in exactly one of
 *
 *   offered = completed + errors + timeouts + evicted + flushed + held
 *
 * (struct rxq_frag_stats, *_frames fields). A frame returned in a COMPLETE datagram counts as
 * completed at that moment, even though its copy stays readable until the next call.
 *
 * One table per thread: no locking.
 */

/* Defaults, sized for floods rather than for a host's own traffic:
 *
 * RXQ_FRAG_MEM_DEFAULT: 32 MiB per table (the kernel's ipfrag_high_thresh is 4 MiB per network
 * namespace). The attack to survive is a flood of fragments that never complete, each from a new
 * datagram: each then takes 256 bytes (descriptor and a small frame), so 32 MiB hold about 130 000
 * of them, and a legitimate datagram survives until that many newer ones have arrived after its
 * first fragment: 13 ms at 10 million fragments a second, 130 ms at 1 million. A sender's
 * fragments leave back to back, microseconds apart, so they complete well within that. Full-size
 * fragments of 1514 bytes (2 KiB blocks) fill it at 16 000 frames.
 *
 * RXQ_FRAG_TIMEOUT_DEFAULT_NS: 30 s, the kernel's ipfrag_time. Under a flood eviction, not the
 * timeout, bounds how long a datagram is kept; the timeout only reclaims memory when it is quiet.
 *
 * RXQ_FRAG_MAX_FRAGS_DEFAULT: 64 fragments per datagram. A 65535-byte datagram takes 45
 * fragments of 1480 bytes (Ethernet MTU) and 54 at the IPv6 minimum MTU of 1280; DNS answers take
 * a handful. Each new fragment is checked against every one held for its datagram, so this bounds
 * that work (the kernel keeps a tree for the 8192 8-byte fragments an attacker may send).
 */
#define RXQ_FRAG_MEM_DEFAULT	    (32u << 20)
#define RXQ_FRAG_MEM_MIN	    (64u << 10)
#define RXQ_FRAG_MEM_MAX	    (1u << 30)
#define RXQ_FRAG_TIMEOUT_DEFAULT_NS (30ull * 1000000000ull)
#define RXQ_FRAG_MAX_FRAGS_DEFAULT  64
#define RXQ_FRAG_MAX_FRAGS_LIMIT    1024
/* The longest fragment frame the table copies (a 16 KiB block less its 16-byte header). */
#define RXQ_FRAG_FRAME_MAX 16368

struct rxq_frag_opts {
	size_t sz; /* sizeof(struct rxq_frag_opts) */
	size_t mem_max; /* arena bytes, RXQ_FRAG_MEM_MIN .. RXQ_FRAG_MEM_MAX;
			      * 0: RXQ_FRAG_MEM_DEFAULT */
	uint64_t timeout_ns; /* 0: RXQ_FRAG_TIMEOUT_DEFAULT_NS */
	unsigned max_frags; /* fragments per datagram, 1 .. RXQ_FRAG_MAX_FRAGS_LIMIT;
			      * 0: RXQ_FRAG_MAX_FRAGS_DEFAULT */
	uint64_t hash_seed; /* seed of the key hash; 0: random (getrandom) */
};

enum rxq_frag_result {
	RXQ_FRAG_HELD = 0, /* the fragment was copied; its datagram is not complete yet */
	RXQ_FRAG_COMPLETE, /* the fragment completed its datagram: see struct rxq_frag_out */
	RXQ_FRAG_ERROR, /* the datagram is an error (see above); nothing was kept */
};

/* A completed datagram. Everything it points to is owned by the table and stays valid until the
 * next call of rxq_frag__add(), rxq_frag__expire(), rxq_frag__flush() or rxq_frag__free(). */
struct rxq_frag_out {
	const uint8_t *frame; /* the reassembled frame */
	uint32_t len; /* its length */
	struct rxq_pkt pkt; /* rxq_pkt__parse() of it (RXQ_PKT_OK, not a fragment) */
	const struct iovec *frags; /* the original fragment frames, in arrival order */
	unsigned nfrags;
};

/* Counters since rxq_frag__new(). *_frames balance (see above); *_datagrams count datagrams. */
struct rxq_frag_stats {
	uint64_t offered_frames; /* taken by rxq_frag__add() (not refused with -EINVAL) */
	uint64_t completed_frames, completed_datagrams;
	uint64_t error_frames, error_datagrams;
	uint64_t timeout_frames, timeout_datagrams;
	uint64_t evicted_frames, evicted_datagrams;
	uint64_t flushed_frames, flushed_datagrams;
	uint64_t held_frames, held_datagrams; /* now */
	size_t arena_used; /* arena bytes in blocks now */
	size_t arena_size;
};

struct rxq_frag_table;

/**
 * @brief Creates a table and allocates all its memory.
 * @param opts NULL for defaults
 * @return 0, -EINVAL (an option out of range), -ENOMEM
 */
int rxq_frag__new(struct rxq_frag_table **out, const struct rxq_frag_opts *opts);

/** @brief Frees the table and every copy it holds (uncounted: call rxq_frag__flush() first to
 * account for them). NULL is a no-op. */
void rxq_frag__free(struct rxq_frag_table *t);

/**
 * @brief Takes one fragment frame. Per packet: no allocation, no system call, no logging.
 * @param frame  the frame; copied, not kept
 * @param len    its length
 * @param pkt    rxq_pkt__parse() of it, which returned RXQ_PKT_OK
 * @param now_ns monotonic time
 * @param out    on RXQ_FRAG_COMPLETE, the datagram; otherwise frame is NULL and nfrags 0
 * @return RXQ_FRAG_HELD, RXQ_FRAG_COMPLETE, RXQ_FRAG_ERROR; or -EINVAL, without counting or keeping
 *         anything, when @p pkt is not an IP fragment or does not describe @p frame
 */
int rxq_frag__add(struct rxq_frag_table *t, const uint8_t *frame, uint32_t len,
		  const struct rxq_pkt *pkt, uint64_t now_ns, struct rxq_frag_out *out);

/**
 * @brief Drops the datagrams whose first fragment arrived more than the timeout before
 * @p now_ns, counted as timeouts.
 * @return the number of frames dropped
 */
uint64_t rxq_frag__expire(struct rxq_frag_table *t, uint64_t now_ns);

/**
 * @brief Drops every datagram held, counted as flushed (at shutdown, so that the books balance).
 * @return the number of frames dropped
 */
uint64_t rxq_frag__flush(struct rxq_frag_table *t);

/** @brief Fills @p st with the counters. */
void rxq_frag__stats(const struct rxq_frag_table *t, struct rxq_frag_stats *st);

/** @brief Fragment frames held now, waiting for the rest of their datagram. */
uint64_t rxq_frag__held_frames(const struct rxq_frag_table *t);

/** @brief Datagrams held now. */
uint64_t rxq_frag__held_datagrams(const struct rxq_frag_table *t);

/** @brief Bytes the table allocated (fixed from creation on): the arena and the fixed costs. */
size_t rxq_frag__memory(const struct rxq_frag_table *t);

/** @brief Static name of a result ("held", "complete", "error"). */
const char *rxq_frag_result__str(enum rxq_frag_result r);

#endif
