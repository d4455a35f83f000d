// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/histogram.h"
#include "internal.h"

/*
 * Bin layout. Values below 2^SUB_BITS get one bin each. A value v >= 2^SUB_BITS with
 * floor(log2 v) = SUB_BITS - 1 + k (k >= 1) goes to bin k * HALF + (v >> k): the shift keeps its
 * top SUB_BITS bits, of which the first is always 1, so v >> k lies in [HALF, 2 * HALF) and bins of
 * consecutive powers of two follow each other without gaps. Bin width is 2^k against values of at
 * least HALF * 2^k: relative width <= 1 / HALF.
 */
#define SUB_BITS  8
#define SUB_COUNT (1u << SUB_BITS) /* 256 */
#define HALF	  (SUB_COUNT / 2) /* 128 */
#define MAX_SHIFT (36 - SUB_BITS) /* values below 2^36 = RXQ_HIST_MAX_NS */
#define NBINS	  (MAX_SHIFT * HALF + SUB_COUNT)
/* The bucket count as HdrHistogram would state it: bucket 0 plus one per shift. */
#define NBUCKETS (MAX_SHIFT + 1)

typedef unsigned __int128 u128;

struct rxq_hist {
	uint64_t total;
	uint64_t min;
	uint64_t max;
	uint64_t saturated;
	u128 sum; /* exact: 2^64 samples of 2^64 ns still fit */
	u128 sum_sq; /* exact while it fits 128 bits, e.g. 2^56 samples of 68 s */
	uint64_t counts[NBINS];
};

RXQ_STATIC unsigned rxq_hist__bin(uint64_t v)
{
	unsigned k;

	if (v < SUB_COUNT)
		return (unsigned)v;
	if (v >= RXQ_HIST_MAX_NS)
		return NBINS - 1;
	k = (unsigned)(63 - __builtin_clzll(v)) - (SUB_BITS - 1);
	return k * HALF + (unsigned)(v >> k);
}

RXQ_STATIC uint64_t rxq_hist__bin_low(unsigned bin)
{
	unsigned k;

	if (bin < SUB_COUNT)
		return bin;
	k = bin / HALF - 1;
	return (uint64_t)(bin - k * HALF) << k;
}

RXQ_STATIC uint64_t rxq_hist__bin_high(unsigned bin)
{
	unsigned k = bin < SUB_COUNT ? 0 : bin / HALF - 1;

	return rxq_hist__bin_low(bin) + (1ull << k) - 1;
}

int rxq_hist__new(struct rxq_hist **out)
{
	struct rxq_hist *h = calloc(1, sizeof(*h));

	*out = NULL;
	if (!h)
		return -ENOMEM;
	rxq_hist__reset(h);
	*out = h;
	return 0;
}

void rxq_hist__free(struct rxq_hist *h)
{
	free(h);
}

void rxq_hist__reset(struct rxq_hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

void rxq_hist__record_n(struct rxq_hist *h, uint64_t value_ns, uint64_t count)
{
	if (!count)
		return;
	h->counts[rxq_hist__bin(value_ns)] += count;
	if (value_ns >= RXQ_HIST_MAX_NS)
		h->saturated += count;
	h->total += count;
	if (value_ns < h->min)
		h->min = value_ns;
	if (value_ns > h->max)
		h->max = value_ns;
	h->sum += (u128)value_ns * count;
	h->sum_sq += (u128)value_ns * value_ns * count;
}

void rxq_hist__record(struct rxq_hist *h, uint64_t value_ns)
{
	rxq_hist__record_n(h, value_ns, 1);
}

void rxq_hist__merge(struct rxq_hist *dst, const struct rxq_hist *src)
{
	unsigned i;

	if (!src->total)
		return;
	for (i = 0; i < NBINS; i++)
		dst->counts[i] += src->counts[i];
	dst->total += src->total;
	dst->saturated += src->saturated;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
	dst->sum += src->sum;
	dst->sum_sq += src->sum_sq;
}

uint64_t rxq_hist__count(const struct rxq_hist *h)
{
	return h->total;
}

uint64_t rxq_hist__min(const struct rxq_hist *h)
{
	return h->total ? h->min : 0;
}

uint64_t rxq_hist__max(const struct rxq_hist *h)
{
	return h->max;
}

uint64_t rxq_hist__saturated(const struct rxq_hist *h)
{
	return h->saturated;
}

double rxq_hist__mean(const struct rxq_hist *h)
{
	if (!h->total)
		return 0;
	return (double)((long double)h->sum / h->total);
}

double rxq_hist__stddev(const struct rxq_hist *h)
{
	u128 n_sum_sq, sum_2;
	long double var;

	if (!h->total)
		return 0;
	/*
	 * N * sum(v^2) - (sum v)^2 is exact in 128 bits for any realistic run (a million samples of
	 * a second each); only beyond that fall back to long double, where sum(v^2)/N - mean^2
	 * loses at most ~1e-19 of sum(v^2)/N to cancellation.
	 */
	if (!__builtin_mul_overflow((u128)h->total, h->sum_sq, &n_sum_sq) &&
	    !__builtin_mul_overflow(h->sum, h->sum, &sum_2)) {
		var = (long double)(n_sum_sq - sum_2) / h->total / h->total;
	} else {
		long double mean = (long double)h->sum / h->total;

		var = (long double)h->sum_sq / h->total - mean * mean;
		if (var < 0)
			var = 0;
	}
	return (double)sqrtl(var);
}

/*
 * The value reported for @p bin: its top, capped at the exact max (the top bin also holds every
 * saturated sample, so it reports the max outright).
 */
static uint64_t bin_value(const struct rxq_hist *h, unsigned bin)
{
	uint64_t high = rxq_hist__bin_high(bin);

	if (bin == NBINS - 1 || high > h->max)
		return h->max;
	return high;
}

uint64_t rxq_hist__percentile(const struct rxq_hist *h, double p)
{
	uint64_t rank, cum = 0;
	long double exact;
	unsigned i;

	if (!h->total)
		return 0;
	if (!(p > 0))
		return h->min;
	if (p >= 100)
		return h->max;
	/*
	 * Nearest rank, ceil(p/100 * N). The slack absorbs decimal percentiles that are not exact
	 * in binary: 99.9 is 99.9000000000000057, which must not turn rank 99900 of 100000 into
	 * 99901.
	 */
	exact = (long double)p * h->total / 100;
	rank = (uint64_t)ceill(exact - 1e-9L);
	if (rank < 1)
		rank = 1;
	if (rank > h->total)
		rank = h->total;
	for (i = 0; i < NBINS; i++) {
		cum += h->counts[i];
		if (cum >= rank)
			return bin_value(h, i);
	}
	return h->max; /* not reached: the counts add up to total */
}

/*
 * The next percentile level after @p level, as HdrHistogram steps: @p ticks rows per halving of
 * the distance to 100%. Returns a value <= @p level once the steps stop making progress.
 */
static double next_level(double level, unsigned ticks)
{
	double remaining = 100.0 - level;
	double halvings;

	if (remaining <= 0)
		return level;
	halvings = floor(log(100.0 / remaining) / log(2.0));
	if (halvings > 62)
		return level;
	return level + 100.0 / (ticks * ldexp(1.0, (int)halvings + 1));
}

int rxq_hist__write_percentiles(const struct rxq_hist *h, FILE *f, unsigned ticks_per_half_distance)
{
	const double us = 1000.0;
	unsigned ticks = ticks_per_half_distance ? ticks_per_half_distance : 5;
	double level = 0.0;
	uint64_t cum = 0;
	unsigned i;

	errno = 0;
	fprintf(f, "%12s %14s %10s %14s\n\n", "Value", "Percentile", "TotalCount",
		"1/(1-Percentile)");
	/*
	 * Walk the bins upwards; a bin that carries the cumulative share past the current level
	 * prints one row per level it passes. Once the last sample is counted, one final row at
	 * 100% (without the infinite 1/(1-p) column) ends the table, as in HdrHistogram.
	 */
	for (i = 0; i < NBINS && cum < h->total; i++) {
		double pct;

		if (!h->counts[i])
			continue;
		cum += h->counts[i];
		pct = cum == h->total ? 100.0 : 100.0 * (double)cum / (double)h->total;
		while (pct >= level) {
			double next;

			fprintf(f, "%12.3f %2.12f %10" PRIu64 " %14.2f\n", bin_value(h, i) / us,
				level / 100.0, cum, 1.0 / (1.0 - level / 100.0));
			if (cum == h->total)
				break;
			next = next_level(level, ticks);
			/* Levels no longer move (astronomic counts): only the 100% row is left. */
			level = next > level ? next : INFINITY;
		}
	}
	if (h->total)
		fprintf(f, "%12.3f %2.12f %10" PRIu64 "\n", h->max / us, 1.0, h->total);

	fprintf(f, "#[Mean    = %12.3f, StdDeviation   = %12.3f]\n", rxq_hist__mean(h) / us,
		rxq_hist__stddev(h) / us);
	fprintf(f, "#[Max     = %12.3f, Total count    = %12" PRIu64 "]\n", h->max / us, h->total);
	fprintf(f, "#[Buckets = %12d, SubBuckets     = %12d]\n", NBUCKETS, SUB_COUNT);
	if (fflush(f) || ferror(f))
		return errno ? -errno : -EIO;
	return 0;
}
