// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The data path: one thread per AF_XDP socket (one RX queue), or one thread reading a capture.
 * Per batch: take frames, classify each against the current rule set, write the passed ones to
 * the TAP, give every frame back, add the batch's counts to this thread's counter row. Nothing
 * here allocates, logs or makes a system call per packet except the TAP writes (a TAP takes one
 * frame per write; only passed frames, the minority in a flood, pay it).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/uio.h>

#include "rxq/limit.h"
#include "rxq/packet.h"
#include "offload.h"

struct batch_counts {
	uint64_t v[RXQ_VERDICT__COUNT];
	uint64_t bytes;
	uint64_t csum_completed;
	uint64_t rp_refused;
	uint64_t not_steered;
	uint64_t reinjected, reinject_errors; /* reassembled datagrams' fragments */
};

static void pin(const struct offload_worker *w)
{
	cpu_set_t set;

	if (w->cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(w->cpu, &set);
	/* main() checked the CPU exists; a failure here leaves the thread unpinned */
	pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

/*
 * Would the kernel take this passed frame from IF? Its reverse-path filter is not carried over to
 * the TAP (the route back is never through the TAP), so IF's own input route lookup is asked.
 * A failed question counts as a refusal: fail closed.
 */
static bool kernel_takes(struct offload_worker *w, const struct rxq_pkt *pkt, uint64_t now)
{
	struct rxq_rpcheck *rp = w->rp;
	uint16_t vid = pkt->nvlan ? pkt->vlan[0].tci & 0xfff : 0;
	unsigned i;

	if (pkt->l3 != RXQ_L3_IPV4)
		return true;
	if (vid) { /* a --vlan VID: arriving on IF.VID, IF.VID's filter */
		for (i = 0, rp = NULL; i < w->o->nvlans; i++)
			if (w->o->vlans[i] == vid)
				rp = w->rp_vlan[i];
	}
	return !rp || rxq_rpcheck__ipv4(rp, pkt->src.b, pkt->dst.b, pkt->tos, now) == 1;
}

/* @src masked to the learned prefix of its family. */
static void learn_mask(const struct offload *o, struct rxq_addr *src)
{
	unsigned plen = src->family == AF_INET ? o->learn_plen4 : o->learn_plen6, b;

	for (b = plen; b < 128; b++)
		src->b[b / 8] &= (uint8_t) ~(0x80 >> (b % 8));
}

/*
 * --learn: a source that draws more than learn_rate drop verdicts within a second, and no pass,
 * is dropped in XDP for learn_ttl (a flood only user space could judge stops reaching it). The
 * table is direct-mapped and cleared every second: a flood of new sources costs no memory.
 */
static void learn_note(struct offload_worker *w, const struct rxq_pkt *pkt, enum rxq_verdict v,
		       uint64_t now)
{
	struct offload *o = w->o;
	struct learn_slot *s;
	struct rxq_addr src;
	unsigned i;
	uint64_t h;

	if (pkt->l3 == RXQ_L3_NONE || (v != RXQ_VERDICT_DROP && v != RXQ_VERDICT_PASS))
		return;
	if (now - w->learn_window_ns >= 1000000000ull) {
		memset(w->learn, 0, LEARN_SLOTS * sizeof(w->learn[0]));
		w->learn_window_ns = now;
	}
	src = pkt->src;
	learn_mask(o, &src);
	h = rxq_limit_hash(src.b, 16, src.family);
	/*
	 * A window of slots: two busy sources on one slot would push each other out on every
	 * frame and never be learned. The source with the fewest drops makes room.
	 */
	s = NULL;
	for (i = 0; i < LEARN_WAYS; i++) {
		struct learn_slot *c = &w->learn[(h + i) & (LEARN_SLOTS - 1)];

		if (c->src.family == src.family && !memcmp(c->src.b, src.b, 16)) {
			s = c;
			break;
		}
		if (!s || c->drops < s->drops)
			s = c;
	}
	if (s->src.family != src.family || memcmp(s->src.b, src.b, 16)) {
		memset(s, 0, sizeof(*s));
		s->src = src;
	}
	if (v == RXQ_VERDICT_PASS) {
		s->passed = true; /* a source that was let through is never learned */
		return;
	}
	if (++s->drops <= o->learn_rate || s->passed || s->learned)
		return;
	s->learned = true;
	if (!rxq_steer__learn(o->steer, &src, now + o->learn_ttl_ns))
		atomic_fetch_add(&o->learned_total, 1);
}

/* What became of a frame. */
enum fate {
	FATE_DROP, /* any verdict but pass, or not to be reinjected */
	FATE_PASS, /* to be reinjected (live) or written to --out-pass (pcap) */
	FATE_HELD, /* a fragment the reassembly table took: its datagram decides later */
};

/*
 * A passed frame (or datagram) goes back to the kernel if the kernel would have taken it from IF
 * (see kernel_takes()).
 */
static bool reinject_ok(struct offload_worker *w, const struct rxq_pkt *pkt, uint64_t now,
			struct batch_counts *bc)
{
	if (kernel_takes(w, pkt, now))
		return true;
	bc->rp_refused++;
	return false;
}

/*
 * A fragment: into the reassembly table. When it completes its datagram, the datagram is
 * classified whole (and checked against --flow, whose ports the first steering could not see),
 * and its verdict is every fragment's: all of them go back to the kernel, which reassembles them
 * itself, or none. @ts: the capture time (pcap: the fragments go to --out-pass/--out-drop).
 */
static enum fate reassemble(struct offload_worker *w, struct rxq_rules_ctx *ctx,
			    const uint8_t *data, uint32_t len, const struct rxq_pkt *pkt,
			    uint64_t now, const struct timespec *ts, struct batch_counts *bc)
{
	struct offload *o = w->o;
	struct rxq_pcap_writer *wr;
	struct rxq_frag_out out;
	enum rxq_verdict v;
	unsigned i;

	bc->bytes += len;
	if (rxq_frag__add(w->frag, data, len, pkt, now, &out) != RXQ_FRAG_COMPLETE)
		return FATE_HELD; /* held, or an error: the table's counters say which */
	if (o->sel && rxq_steer_sel__select(o->sel, out.frame, out.len) < 0)
		v = RXQ_VERDICT_PASS; /* not one of the flows: the kernel's, untouched */
	else
		v = rxq_rules__classify(ctx, out.frame, out.len, &out.pkt, RXQ_PKT_OK, now, NULL);
	bc->v[v] += out.nfrags;
	if (ts) {
		wr = v == RXQ_VERDICT_PASS ? o->out_pass : o->out_drop;
		for (i = 0; wr && i < out.nfrags; i++) {
			int err = rxq_pcap_writer__write(wr, out.frags[i].iov_base,
							 (uint32_t)out.frags[i].iov_len, ts);

			if (err && !w->err)
				w->err = err;
		}
	} else if (v == RXQ_VERDICT_PASS && o->reinject) {
		if (!reinject_ok(w, &out.pkt, now, bc)) {
			bc->rp_refused += out.nfrags - 1;
		} else {
			unsigned ok =
				rxq_tap__write_batch(o->tap, w->index, out.frags, out.nfrags, NULL);

			bc->reinjected += ok;
			bc->reinject_errors += out.nfrags - ok;
		}
	}
	return FATE_HELD;
}

/*
 * Classifies one frame; for a passed one that goes back to the kernel (@pass_iov not NULL), checks
 * that the kernel would have taken it from IF and completes a checksum a local sender left partial
 * (the skb's "checksum partial" flag, which told the receiving kernel to trust it, did not cross
 * into AF_XDP). VLAN tags stay: the TAP's VLAN interfaces receive what IF's would have.
 */
static enum fate classify(struct offload_worker *w, struct rxq_rules_ctx *ctx, uint8_t *data,
			  uint32_t len, uint64_t now, const struct timespec *ts,
			  struct iovec *pass_iov, struct batch_counts *bc)
{
	struct rxq_pkt pkt;
	enum rxq_pkt_result pr;
	enum rxq_verdict v;

	pr = rxq_pkt__parse(&pkt, data, len);
	if (pr == RXQ_PKT_OK && pkt.is_fragment && w->frag)
		return reassemble(w, ctx, data, len, &pkt, now, ts, bc);
	v = rxq_rules__classify(ctx, data, len, &pkt, pr, now, NULL);
	if (w->learn)
		learn_note(w, &pkt, v, now);
	bc->v[v]++;
	bc->bytes += len;
	if (v != RXQ_VERDICT_PASS)
		return FATE_DROP;
	if (!pass_iov)
		return FATE_PASS;
	if (!reinject_ok(w, &pkt, now, bc))
		return FATE_DROP;
	if (w->o->csum_complete && rxq_pkt__csum_complete(data, &pkt))
		bc->csum_completed++;
	pass_iov->iov_base = data;
	pass_iov->iov_len = len;
	return FATE_PASS;
}

/*
 * The reassembly table's books, as deltas into this worker's counters: its errors are errors,
 * what it let go (timeouts, evictions, shutdown) and what it holds complete
 * rx = dropped + passed + limited + errors + frag_timeouts + frag_evictions + frag_held.
 */
static void frag_counts(struct offload_worker *w)
{
	struct rxq_frag_stats st;

	rxq_frag__stats(w->frag, &st);
	rxq_counter_add(w->row, C_ERRORS, st.error_frames - w->frag_seen.error_frames);
	rxq_counter_add(w->row, C_FRAG_TIMEOUTS, st.timeout_frames - w->frag_seen.timeout_frames);
	rxq_counter_add(w->row, C_FRAG_EVICTIONS,
			st.evicted_frames + st.flushed_frames - w->frag_seen.evicted_frames -
				w->frag_seen.flushed_frames);
	/* a gauge: the difference may be negative; the row's sum stays right modulo 2^64 */
	rxq_counter_add(w->row, C_FRAG_HELD, st.held_frames - w->frag_seen.held_frames);
	rxq_counter_add(w->row, C_FRAG_DATAGRAMS,
			st.completed_datagrams - w->frag_seen.completed_datagrams);
	w->frag_seen = st;
}

static void add_counts(uint64_t *row, const struct batch_counts *bc, unsigned n)
{
	rxq_counter_add(row, C_DROPPED, bc->v[RXQ_VERDICT_DROP]);
	rxq_counter_add(row, C_PASSED, bc->v[RXQ_VERDICT_PASS]);
	rxq_counter_add(row, C_LIMITED, bc->v[RXQ_VERDICT_LIMIT]);
	rxq_counter_add(row, C_ERRORS, bc->v[RXQ_VERDICT_ERROR]);
	rxq_counter_add(row, C_RX_BYTES, bc->bytes);
	rxq_counter_add(row, C_CSUM_COMPLETED, bc->csum_completed);
	rxq_counter_add(row, C_RP_REFUSED, bc->rp_refused);
	rxq_counter_add(row, C_NOT_STEERED, bc->not_steered);
	rxq_counter_add(row, C_REINJECTED, bc->reinjected);
	rxq_counter_add(row, C_REINJECT_ERRORS, bc->reinject_errors);
	rxq_counter_add(row, C_RX, n);
}

static void worker_exit(struct offload_worker *w)
{
	struct offload *o = w->o;

	rxq_rules_ref__idle(o->rules, w->index);
	if (atomic_fetch_sub(&o->running, 1) == 1)
		rxq_ticker__done(o->ticker);
}

/*
 * A worker that stops early takes its socket out of the XSKMAP first: the program then passes its
 * queue's flows to the kernel (counted as no_socket) instead of into a socket nobody reads.
 */
static void worker_failed(struct offload_worker *w)
{
	if (w->o->steer)
		rxq_steer__clear_socket(w->o->steer, w->queue);
	atomic_store(&w->failed, true);
}

void *offload_live_worker(void *arg)
{
	struct offload_worker *w = arg;
	struct offload *o = w->o;
	struct rxq_xsk_buf bufs[OFFLOAD_BATCH_MAX];
	struct iovec pass[OFFLOAD_BATCH_MAX];
	unsigned n, i, npass, tapq = w->index, drain = 1u << 16;
	struct rxq_rules_ctx *ctx;
	struct rxq_rules *rules;
	struct batch_counts bc;
	uint64_t now;
	int err;

	pin(w);
	for (;;) {
		/*
		 * On stop, main() has detached the program already: take what is still in the RX
		 * ring (bounded, in case frames keep coming), so that every steered frame is
		 * counted either here or as a ring drop.
		 */
		if (atomic_load_explicit(&o->stop, memory_order_relaxed)) {
			if (drain < o->batch)
				break;
			drain -= o->batch;
		}
		n = rxq_xsk__recv(w->xsk, bufs, o->batch);
		if (!n) {
			if (atomic_load_explicit(&o->stop, memory_order_relaxed))
				break;
			if (w->frag && rxq_frag__expire(w->frag, rxq_now_ns()))
				frag_counts(w);
			/* about to block: the rules may be swapped meanwhile */
			rxq_rules_ref__idle(o->rules, w->index);
			if (o->busy_poll)
				continue;
			err = rxq_xsk__wait(w->xsk, 100);
			if (err < 0 && err != -EINTR) {
				w->err = err;
				break;
			}
			continue;
		}
		if (w->fault_injected) {
			/* the test seam: a worker that stops on an error while frames flow */
			rxq_xsk__release(w->xsk, bufs, n);
			w->err = -EIO;
			break;
		}
		/*
		 * The kernel wrote these frames from another core: start pulling their headers
		 * into this core's cache before parsing the first one (measured: the parser was
		 * otherwise a fifth of the worker's time, stalled on the first touch).
		 */
		for (i = 0; i < n; i++)
			__builtin_prefetch(bufs[i].data);
		rules = rxq_rules_ref__get(o->rules, w->index);
		ctx = rxq_rules__ctx(rules, w->index);
		now = rxq_now_ns();
		memset(&bc, 0, sizeof(bc));
		npass = 0;
		for (i = 0; i < n; i++)
			npass += classify(w, ctx, bufs[i].data, bufs[i].len, now, NULL,
					  o->reinject ? &pass[npass] : NULL, &bc) == FATE_PASS &&
				 o->reinject;
		if (npass) {
			unsigned ok = rxq_tap__write_batch(o->tap, tapq, pass, npass, NULL);

			rxq_counter_add(w->row, C_REINJECTED, ok);
			rxq_counter_add(w->row, C_REINJECT_ERRORS, npass - ok);
		}
		rxq_xsk__release(w->xsk, bufs, n);
		add_counts(w->row, &bc, n);
		if (w->frag) {
			rxq_frag__expire(w->frag, now);
			frag_counts(w);
		}
	}
	if (w->frag) {
		rxq_frag__flush(w->frag); /* what is still incomplete at exit counts as evicted */
		frag_counts(w);
	}
	if (w->err)
		worker_failed(w);
	worker_exit(w);
	return NULL;
}

/*
 * pcap: the reader hands out a batch of frames in place (the file's mapping) and they are
 * classified there: in pcap mode nothing writes to a frame (checksum completion is for frames
 * going back to the kernel, and reassembly copies fragments), so the classification can still be
 * timed on its own without a copy.
 */
void *offload_pcap_worker(void *arg)
{
	struct offload_worker *w = arg;
	struct offload *o = w->o;
	struct rxq_pcap_frame frames[OFFLOAD_BATCH_MAX];
	enum fate fate[OFFLOAD_BATCH_MAX];
	struct rxq_pcap_reader *rd = o->pcap_in;
	uint64_t last_ns = 0, t0, t1, now;
	struct rxq_rules_ctx *ctx;
	struct rxq_rules *rules;
	struct batch_counts bc;
	unsigned n, i;
	int r;

	pin(w);
	while (!atomic_load_explicit(&o->stop, memory_order_relaxed)) {
		r = rxq_pcap_reader__next_batch(rd, frames, o->batch);
		if (r < 0)
			w->err = r;
		if (r <= 0)
			break;
		n = (unsigned)r;
		for (i = 0; i < n; i++) {
			/* longer than any frame rxq takes: the parser sees a truncated one */
			if (frames[i].len > RXQ_FRAME_MAX)
				frames[i].len = RXQ_FRAME_MAX;
			/* the first touch of the frame, outside the classification's time */
			__builtin_prefetch(frames[i].data);
		}
		rules = rxq_rules_ref__get(o->rules, w->index);
		ctx = rxq_rules__ctx(rules, w->index);
		memset(&bc, 0, sizeof(bc));
		t0 = rxq_now_ns();
		for (i = 0; i < n; i++) {
			/* read-only: classify() writes only to frames it is given a pass_iov for */
			uint8_t *frame = (uint8_t *)(uintptr_t)frames[i].data;

			/*
			 * What the steering program leaves to the kernel never reaches the rules:
			 * it goes to --out-pass as it is, as it would reach the kernel.
			 */
			fate[i] = FATE_PASS;
			if (o->sel && rxq_steer_sel__select(o->sel, frame, frames[i].len) < 0) {
				bc.not_steered++;
				continue;
			}
			/* token buckets run on capture time, which must not go backwards */
			now = (uint64_t)frames[i].ts.tv_sec * 1000000000u +
			      (uint64_t)frames[i].ts.tv_nsec;
			if (now < last_ns)
				now = last_ns;
			last_ns = now;
			fate[i] = classify(w, ctx, frame, frames[i].len, now, &frames[i].ts, NULL,
					   &bc);
		}
		t1 = rxq_now_ns();
		rxq_counter_add(w->row, C_CLASSIFY_NS, t1 - t0);
		for (i = 0; i < n && (o->out_pass || o->out_drop); i++) {
			struct rxq_pcap_writer *wr = fate[i] == FATE_PASS ? o->out_pass :
									    o->out_drop;
			int err;

			if (!wr || fate[i] == FATE_HELD)
				continue;
			err = rxq_pcap_writer__write(wr, frames[i].data, frames[i].len,
						     &frames[i].ts);
			if (err && !w->err)
				w->err = err;
		}
		add_counts(w->row, &bc, n - (unsigned)bc.not_steered);
		if (w->frag) {
			rxq_frag__expire(w->frag, last_ns);
			frag_counts(w);
		}
		if (w->err)
			break;
	}
	if (w->frag) {
		rxq_frag__flush(w->frag);
		frag_counts(w);
	}
	worker_exit(w);
	return NULL;
}
