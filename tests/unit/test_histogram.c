// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/histogram.h"

/* Library statics exposed by RXQ_TESTING. */
unsigned rxq_hist__bin(uint64_t v);
uint64_t rxq_hist__bin_low(unsigned bin);
uint64_t rxq_hist__bin_high(unsigned bin);

#define US 1000ull
#define MS 1000000ull
#define S  1000000000ull

static struct rxq_hist *hist_new(void)
{
	struct rxq_hist *h = NULL;

	assert_int_equal(rxq_hist__new(&h), 0);
	assert_non_null(h);
	return h;
}

/* @p got is the sample @p exact or above it by less than one bin (1/128 relative). */
static void assert_within_bin(uint64_t got, uint64_t exact)
{
	if (got < exact || (long double)(got - exact) > (long double)exact / 128)
		fail_msg("got %llu for exact %llu", (unsigned long long)got,
			 (unsigned long long)exact);
}

static void assert_close(double got, double want, double rel)
{
	if (fabs(got - want) > fabs(want) * rel + 1e-9)
		fail_msg("got %.9f, want %.9f", got, want);
}

static void test_bin_layout(void **state)
{
	unsigned bin, last = rxq_hist__bin(RXQ_HIST_MAX_NS - 1);

	(void)state;
	/* Bins tile [0, RXQ_HIST_MAX_NS) without gaps or overlaps, each at most 1/128 wide. */
	assert_int_equal(rxq_hist__bin_low(0), 0);
	for (bin = 0; bin <= last; bin++) {
		uint64_t low = rxq_hist__bin_low(bin), high = rxq_hist__bin_high(bin);

		assert_true(low <= high);
		assert_int_equal(rxq_hist__bin(low), bin);
		assert_int_equal(rxq_hist__bin(high), bin);
		if (bin < last)
			assert_int_equal(rxq_hist__bin_low(bin + 1), high + 1);
		if (low >= 128)
			assert_true((high - low + 1) * 128 <= low);
		else
			assert_int_equal(high, low);
	}
	assert_int_equal(rxq_hist__bin_high(last), RXQ_HIST_MAX_NS - 1);
	assert_int_equal(rxq_hist__bin(RXQ_HIST_MAX_NS), last);
	assert_int_equal(rxq_hist__bin(UINT64_MAX), last);
}

static void test_relative_error_whole_range(void **state)
{
	struct rxq_hist *h = hist_new();
	unsigned checked = 0;

	(void)state;
	/* 1 us .. 10 s in 0.3% steps, and both sides of every power of two. */
	for (long double v = 1000; v <= 10 * S; v *= 1.003L) {
		uint64_t values[3] = { (uint64_t)v, 0, 0 };
		int n = 1;

		if ((uint64_t)v >= 1024 && ((uint64_t)v & ((uint64_t)v - 1)) == 0) {
			values[n++] = (uint64_t)v - 1;
			values[n++] = (uint64_t)v + 1;
		}
		for (int i = 0; i < n; i++) {
			uint64_t got;

			rxq_hist__reset(h);
			rxq_hist__record(h, values[i]);
			rxq_hist__record(h, 20 * S);
			/* Rank 1 of 2: the bin of values[i], not capped by the max. */
			got = rxq_hist__percentile(h, 50);
			assert_within_bin(got, values[i]);
			assert_true((double)(got - values[i]) / (double)values[i] < 0.01);
			checked++;
		}
	}
	for (uint64_t p = 1024; p <= 16 * S; p <<= 1) {
		for (uint64_t v = p - 1; v <= p + 1; v++) {
			rxq_hist__reset(h);
			rxq_hist__record(h, v);
			rxq_hist__record(h, 20 * S);
			assert_within_bin(rxq_hist__percentile(h, 50), v);
			checked++;
		}
	}
	assert_true(checked > 3000);
	rxq_hist__free(h);
}

struct pct_rank {
	double p;
	uint64_t rank; /* ceil(p/100 * N), worked out by hand */
};

static void test_uniform(void **state)
{
	static const struct pct_rank cases[] = {
		{ 0.001, 1 },	   { 0.1, 100 },	{ 1, 1000 },	 { 10, 10000 },
		{ 25, 25000 },	   { 33.3333, 33334 },	{ 50, 50000 },	 { 75, 75000 },
		{ 90, 90000 },	   { 99, 99000 },	{ 99.9, 99900 }, { 99.99, 99990 },
		{ 99.999, 99999 }, { 99.9999, 100000 }, { 100, 100000 },
	};
	const uint64_t n = 100000;
	struct rxq_hist *h = hist_new();
	long double var;

	(void)state;
	/* 1 .. 100000 us, each once, in a scrambled order (the order must not matter). */
	for (uint64_t i = 0; i < n; i++)
		rxq_hist__record(h, ((i * 7919) % n + 1) * US);
	assert_int_equal(rxq_hist__count(h), n);
	assert_int_equal(rxq_hist__min(h), 1 * US);
	assert_int_equal(rxq_hist__max(h), n * US);
	assert_int_equal(rxq_hist__saturated(h), 0);
	assert_int_equal(rxq_hist__percentile(h, 0), 1 * US);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		assert_within_bin(rxq_hist__percentile(h, cases[i].p), cases[i].rank * US);
	assert_int_equal(rxq_hist__percentile(h, 100), n * US);

	/* Mean (N+1)/2 us; population variance (N^2-1)/12 us^2. */
	assert_close(rxq_hist__mean(h), 50000.5 * US, 1e-12);
	var = ((long double)n * n - 1) / 12 * US * US;
	assert_close(rxq_hist__stddev(h), (double)sqrtl(var), 1e-12);
	rxq_hist__free(h);
}

static void test_constant(void **state)
{
	static const double ps[] = { 0, 0.5, 50, 99, 99.999, 100 };
	struct rxq_hist *h = hist_new();

	(void)state;
	rxq_hist__record_n(h, 12345, 999999);
	rxq_hist__record(h, 12345);
	assert_int_equal(rxq_hist__count(h), 1000000);
	/* One bin holds everything and the exact max caps it: every percentile is exact. */
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		assert_int_equal(rxq_hist__percentile(h, ps[i]), 12345);
	assert_int_equal(rxq_hist__min(h), 12345);
	assert_int_equal(rxq_hist__max(h), 12345);
	assert_true(rxq_hist__mean(h) == 12345.0);
	assert_true(rxq_hist__stddev(h) == 0.0);
	rxq_hist__free(h);
}

static void test_bimodal(void **state)
{
	struct rxq_hist *h = hist_new();
	double mean, var;

	(void)state;
	/* 90% at 10 us, 10% at 1 ms, interleaved. */
	for (int i = 0; i < 10000; i++)
		rxq_hist__record(h, i % 10 == 3 ? 1 * MS : 10 * US);
	assert_within_bin(rxq_hist__percentile(h, 1), 10 * US);
	assert_within_bin(rxq_hist__percentile(h, 50), 10 * US);
	assert_within_bin(rxq_hist__percentile(h, 90), 10 * US);
	assert_int_equal(rxq_hist__percentile(h, 90.01), 1 * MS);
	assert_int_equal(rxq_hist__percentile(h, 99), 1 * MS);
	assert_int_equal(rxq_hist__percentile(h, 100), 1 * MS);

	mean = (9000.0 * 10e3 + 1000.0 * 1e6) / 10000;
	var = (9000.0 * 10e3 * 10e3 + 1000.0 * 1e6 * 1e6) / 10000 - mean * mean;
	assert_close(rxq_hist__mean(h), 109000.0, 1e-15);
	assert_close(rxq_hist__mean(h), mean, 1e-15);
	assert_close(rxq_hist__stddev(h), sqrt(var), 1e-12);
	assert_close(rxq_hist__stddev(h), 297000.0, 1e-12);
	rxq_hist__free(h);
}

static void test_classic_deviation(void **state)
{
	struct rxq_hist *h = hist_new();

	(void)state;
	rxq_hist__record(h, 40 * US);
	rxq_hist__record(h, 50 * US);
	rxq_hist__record(h, 60 * US);
	rxq_hist__record(h, 70 * US);
	assert_true(rxq_hist__mean(h) == 55000.0);
	/* Population: sqrt((15^2 + 5^2 + 5^2 + 15^2) / 4) = sqrt(125) us. */
	assert_close(rxq_hist__stddev(h), 11180.339887498948, 1e-12);
	assert_int_equal(rxq_hist__min(h), 40 * US);
	assert_int_equal(rxq_hist__max(h), 70 * US);
	rxq_hist__free(h);
}

static void test_sums_do_not_overflow(void **state)
{
	struct rxq_hist *h = hist_new();

	(void)state;
	/*
	 * A million samples of 10 s and of 30 s: the sum of squares is 5e26 ns^2, far past 2^64
	 * (and the sum past 2^32). Mean 20 s, population deviation exactly 10 s.
	 */
	rxq_hist__record_n(h, 10 * S, 1000000);
	rxq_hist__record_n(h, 30 * S, 1000000);
	assert_close(rxq_hist__mean(h), 20e9, 1e-15);
	assert_close(rxq_hist__stddev(h), 10e9, 1e-12);

	/* Past the long-double fallback threshold too: N * sum(v^2) > 2^128. */
	rxq_hist__reset(h);
	rxq_hist__record_n(h, 1 * S, 1ull << 40);
	rxq_hist__record_n(h, 3 * S, 1ull << 40);
	assert_close(rxq_hist__mean(h), 2e9, 1e-15);
	assert_close(rxq_hist__stddev(h), 1e9, 1e-9);

	/* Beyond the bins: counted as saturated, exact in min/max/mean. */
	rxq_hist__reset(h);
	rxq_hist__record(h, RXQ_HIST_MAX_NS + 5);
	rxq_hist__record(h, 100 * S);
	rxq_hist__record(h, 1 * US);
	assert_int_equal(rxq_hist__saturated(h), 2);
	assert_int_equal(rxq_hist__max(h), 100 * S);
	assert_int_equal(rxq_hist__percentile(h, 50), 100 * S);
	assert_within_bin(rxq_hist__percentile(h, 10), 1 * US);
	assert_close(rxq_hist__mean(h), ((double)RXQ_HIST_MAX_NS + 5 + 100e9 + 1e3) / 3, 1e-15);
	rxq_hist__free(h);
}

static void test_merge(void **state)
{
	static const double ps[] = { 0, 1, 10, 50, 90, 99, 99.9, 99.99, 100 };
	struct rxq_hist *a = hist_new(), *b = hist_new(), *all = hist_new(), *empty = hist_new();
	uint64_t seed = 42;

	(void)state;
	for (int i = 0; i < 50000; i++) {
		uint64_t v;

		seed = seed * 6364136223846793005ull + 1442695040888963407ull;
		v = 1 * US + (seed >> 20) % (50 * MS);
		rxq_hist__record(i % 3 ? a : b, v);
		rxq_hist__record(all, v);
	}
	rxq_hist__record(b, 9 * S);
	rxq_hist__record(all, 9 * S);

	rxq_hist__merge(a, empty);
	rxq_hist__merge(empty, empty);
	assert_int_equal(rxq_hist__count(empty), 0);
	rxq_hist__merge(a, b);
	assert_int_equal(rxq_hist__count(b), 50000 / 3 + 1 + 1); /* b is unchanged */
	assert_int_equal(rxq_hist__count(a), rxq_hist__count(all));
	assert_int_equal(rxq_hist__min(a), rxq_hist__min(all));
	assert_int_equal(rxq_hist__max(a), 9 * S);
	assert_true(rxq_hist__mean(a) == rxq_hist__mean(all));
	assert_true(rxq_hist__stddev(a) == rxq_hist__stddev(all));
	for (size_t i = 0; i < sizeof(ps) / sizeof(ps[0]); i++)
		assert_int_equal(rxq_hist__percentile(a, ps[i]), rxq_hist__percentile(all, ps[i]));

	/* Merging into an empty histogram copies. */
	rxq_hist__merge(empty, all);
	assert_int_equal(rxq_hist__min(empty), rxq_hist__min(all));
	assert_int_equal(rxq_hist__percentile(empty, 99), rxq_hist__percentile(all, 99));

	/* Reset forgets everything. */
	rxq_hist__reset(a);
	assert_int_equal(rxq_hist__count(a), 0);
	assert_int_equal(rxq_hist__min(a), 0);
	assert_int_equal(rxq_hist__max(a), 0);
	assert_int_equal(rxq_hist__percentile(a, 50), 0);
	assert_true(rxq_hist__mean(a) == 0.0);
	assert_true(rxq_hist__stddev(a) == 0.0);
	rxq_hist__record(a, 5);
	assert_int_equal(rxq_hist__min(a), 5);

	rxq_hist__free(a);
	rxq_hist__free(b);
	rxq_hist__free(all);
	rxq_hist__free(empty);
}

static char *percentiles_text(const struct rxq_hist *h, unsigned ticks)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	assert_non_null(f);
	assert_int_equal(rxq_hist__write_percentiles(h, f, ticks), 0);
	assert_int_equal(fclose(f), 0);
	return buf;
}

static void test_hgrm_exact(void **state)
{
	struct rxq_hist *h = hist_new();
	char *text;

	(void)state;
	rxq_hist__record(h, 40 * US);
	rxq_hist__record(h, 50 * US);
	rxq_hist__record(h, 60 * US);
	rxq_hist__record(h, 70 * US);
	text = percentiles_text(h, 5);
	/*
	 * Bin tops: 40000 ns -> [39936, 40191], 50000 -> [49920, 50175], 60000 -> [59904, 60159],
	 * 70000 -> [69632, 70143] capped at the max. Levels step by 10% up to 50%, by 5% up to 75%,
	 * then 2.5%; the bin holding the last sample prints one row, then the 100% row.
	 */
	assert_string_equal(text, "       Value     Percentile TotalCount 1/(1-Percentile)\n"
				  "\n"
				  "      40.191 0.000000000000          1           1.00\n"
				  "      40.191 0.100000000000          1           1.11\n"
				  "      40.191 0.200000000000          1           1.25\n"
				  "      50.175 0.300000000000          2           1.43\n"
				  "      50.175 0.400000000000          2           1.67\n"
				  "      50.175 0.500000000000          2           2.00\n"
				  "      60.159 0.550000000000          3           2.22\n"
				  "      60.159 0.600000000000          3           2.50\n"
				  "      60.159 0.650000000000          3           2.86\n"
				  "      60.159 0.700000000000          3           3.33\n"
				  "      60.159 0.750000000000          3           4.00\n"
				  "      70.000 0.775000000000          4           4.44\n"
				  "      70.000 1.000000000000          4\n"
				  "#[Mean    =       55.000, StdDeviation   =       11.180]\n"
				  "#[Max     =       70.000, Total count    =            4]\n"
				  "#[Buckets =           29, SubBuckets     =          256]\n");
	free(text);

	/* Empty: the header and a zero footer. */
	rxq_hist__reset(h);
	text = percentiles_text(h, 5);
	assert_string_equal(text, "       Value     Percentile TotalCount 1/(1-Percentile)\n"
				  "\n"
				  "#[Mean    =        0.000, StdDeviation   =        0.000]\n"
				  "#[Max     =        0.000, Total count    =            0]\n"
				  "#[Buckets =           29, SubBuckets     =          256]\n");
	free(text);
	rxq_hist__free(h);
}

static void test_hgrm_table_reads_back(void **state)
{
	struct rxq_hist *h = hist_new();
	double last_value = 0, last_pct = -1, value, pct, inv;
	unsigned long long count, last_count = 0;
	int rows = 0, finals = 0;
	char *text, *line, *save = NULL;

	(void)state;
	for (uint64_t v = 1; v <= 100000; v++)
		rxq_hist__record(h, v * US);
	text = percentiles_text(h, 5);
	/* Every row parses as hdr-plot reads it; values, levels and counts only grow. */
	for (line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		int fields;
		char tail;

		if (line[0] == '#' || strstr(line, "Percentile"))
			continue;
		fields = sscanf(line, " %lf %lf %llu %lf %c", &value, &pct, &count, &inv, &tail);
		assert_true(line[0] == ' ');
		assert_true(value >= last_value && pct > last_pct && count >= last_count);
		if (fields == 4) {
			assert_close(inv, 1.0 / (1.0 - pct), 0.01);
			/* Each row's value is its level's percentile, in microseconds. */
			uint64_t rank = (uint64_t)ceil(pct * 100000 - 1e-6);

			assert_within_bin((uint64_t)llround(value * 1000), (rank ? rank : 1) * US);
			rows++;
		} else {
			assert_int_equal(fields, 3);
			assert_true(pct == 1.0);
			assert_int_equal(count, 100000);
			assert_true(value == 100000.0);
			finals++;
		}
		last_value = value;
		last_pct = pct;
		last_count = count;
	}
	assert_int_equal(finals, 1);
	/*
	 * 5 rows per halving of the distance to 100%, until the top bin (values above 99614.719 us,
	 * the last 0.386%) is reached: log2(1/0.00386) = 8 halvings, 5 * 8 rows and about 2 more.
	 */
	assert_in_range(rows, 40, 44);
	free(text);

	/* A failed write is reported. */
	FILE *full = fopen("/dev/full", "w");

	if (full) {
		assert_true(rxq_hist__write_percentiles(h, full, 5) < 0);
		fclose(full);
	}
	rxq_hist__free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bin_layout),
		cmocka_unit_test(test_relative_error_whole_range),
		cmocka_unit_test(test_uniform),
		cmocka_unit_test(test_constant),
		cmocka_unit_test(test_bimodal),
		cmocka_unit_test(test_classic_deviation),
		cmocka_unit_test(test_sums_do_not_overflow),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_hgrm_exact),
		cmocka_unit_test(test_hgrm_table_reads_back),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
