/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_HISTOGRAM_H
#define RXQ_HISTOGRAM_H

#include <stdint.h>
#include <stdio.h>

/*
 * A log-linear latency histogram in nanoseconds, in the manner of HdrHistogram: values below 256 ns
 * have a bin each; above, every power of two [2^k, 2^(k+1)) is split into 128 equal bins. A bin is
 * therefore at most 1/128 (0.79%) of the values it holds, at any magnitude, in a fixed 30 KiB.
 *
 * Count, min, max, mean and standard deviation are exact (kept beside the bins, with 128-bit sums);
 * only percentiles are subject to the bin width. Values of RXQ_HIST_MAX_NS and above are counted in
 * the top bin (and in rxq_hist__saturated()); their exact values still enter min/max/mean/stddev.
 *
 * Not thread-safe: one writer per histogram. Give each thread its own and merge them.
 */

/** Largest value with a bin of its own width: 2^36 ns, about 68.7 s. */
#define RXQ_HIST_MAX_NS (1ull << 36)

struct rxq_hist;

/** @brief An empty histogram. 0 or -ENOMEM. */
int rxq_hist__new(struct rxq_hist **out);
void rxq_hist__free(struct rxq_hist *h);

/** @brief Adds one sample. No allocation, no syscall: fit for per-packet paths. */
void rxq_hist__record(struct rxq_hist *h, uint64_t value_ns);

/** @brief Adds @p count samples of the same value. */
void rxq_hist__record_n(struct rxq_hist *h, uint64_t value_ns, uint64_t count);

/** @brief Adds every sample of @p src to @p dst (src unchanged). */
void rxq_hist__merge(struct rxq_hist *dst, const struct rxq_hist *src);

/** @brief Forgets every sample. */
void rxq_hist__reset(struct rxq_hist *h);

uint64_t rxq_hist__count(const struct rxq_hist *h);
/** @brief Exact smallest and largest sample; 0 when empty. */
uint64_t rxq_hist__min(const struct rxq_hist *h);
uint64_t rxq_hist__max(const struct rxq_hist *h);
/** @brief Samples at or above RXQ_HIST_MAX_NS. */
uint64_t rxq_hist__saturated(const struct rxq_hist *h);

/** @brief Exact arithmetic mean in ns; 0 when empty. */
double rxq_hist__mean(const struct rxq_hist *h);

/**
 * @brief Population standard deviation in ns (divides by N, not N-1), as HdrHistogram and the
 * classic udp latency tools report it: 40, 50, 60, 70 us give 11.180 us. 0 when empty.
 */
double rxq_hist__stddev(const struct rxq_hist *h);

/**
 * @brief The value at percentile @p p (0..100) by nearest rank: the sample of rank ceil(p/100*N)
 * lies in the returned value's bin, and the result is that bin's highest value, capped at the exact
 * max (so at most 0.79% above the sample). p <= 0 gives the min. 0 when empty.
 */
uint64_t rxq_hist__percentile(const struct rxq_hist *h, double p);

/**
 * @brief Writes the distribution in HdrHistogram's percentile text format (.hgrm), values in
 * microseconds with three decimals, as HistogramLogProcessor writes it and hdr-plot reads it: the
 * "Value Percentile TotalCount 1/(1-Percentile)" table, @p ticks_per_half_distance rows per halving
 * of the distance to 100% (HdrHistogram's default is 5), then the #[Mean ...], #[Max ...] and
 * #[Buckets ...] lines. Values are bin tops capped at the exact max, like rxq_hist__percentile.
 * @return 0, or -errno if writing to @p f failed.
 */
int rxq_hist__write_percentiles(const struct rxq_hist *h, FILE *f,
				unsigned ticks_per_half_distance);

#endif
