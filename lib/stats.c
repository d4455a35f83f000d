// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Per-thread counters that a reporter reads without locks, and the monotonic clock. */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "rxq/log.h"
#include "rxq/stats.h"
#include "internal.h"

/*
 * Rows start on a 128-byte boundary and are padded to a multiple of it: 64 bytes is the cache line,
 * but the adjacent-line prefetcher of Intel cores pulls lines in pairs, so two writers 64 bytes
 * apart still slow each other down.
 */
#define RXQ_ROW_ALIGN 128u

struct rxq_counters {
	uint64_t *rows;
	unsigned nthreads;
	unsigned nfields;
	size_t stride; /* uint64_t values from one row to the next */
};

int rxq_counters__new(struct rxq_counters **out, unsigned nthreads, unsigned nfields)
{
	struct rxq_counters *c;
	size_t row_bytes, total;
	void *mem;
	int err;

	*out = NULL;
	if (!nthreads || !nfields)
		return -EINVAL;
	row_bytes = (size_t)nfields * sizeof(uint64_t);
	row_bytes = (row_bytes + RXQ_ROW_ALIGN - 1) / RXQ_ROW_ALIGN * RXQ_ROW_ALIGN;
	if (row_bytes / sizeof(uint64_t) < nfields || (size_t)nthreads > SIZE_MAX / row_bytes)
		return -ENOMEM;
	total = row_bytes * nthreads;

	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	err = posix_memalign(&mem, RXQ_ROW_ALIGN, total);
	if (err) {
		free(c);
		return -err;
	}
	memset(mem, 0, total);
	c->rows = mem;
	c->nthreads = nthreads;
	c->nfields = nfields;
	c->stride = row_bytes / sizeof(uint64_t);
	*out = c;
	return 0;
}

void rxq_counters__free(struct rxq_counters *c)
{
	if (!c)
		return;
	free(c->rows);
	free(c);
}

uint64_t *rxq_counters__row(struct rxq_counters *c, unsigned thread)
{
	if (thread >= c->nthreads)
		return NULL;
	return c->rows + (size_t)thread * c->stride;
}

unsigned rxq_counters__nthreads(const struct rxq_counters *c)
{
	return c->nthreads;
}

unsigned rxq_counters__nfields(const struct rxq_counters *c)
{
	return c->nfields;
}

void rxq_counters__read_row(const struct rxq_counters *c, unsigned thread, uint64_t *out)
{
	const uint64_t *row;
	unsigned i;

	if (thread >= c->nthreads) {
		memset(out, 0, (size_t)c->nfields * sizeof(*out));
		return;
	}
	row = c->rows + (size_t)thread * c->stride;
	for (i = 0; i < c->nfields; i++)
		out[i] = __atomic_load_n(&row[i], __ATOMIC_RELAXED);
}

void rxq_counters__sum(const struct rxq_counters *c, uint64_t *out)
{
	unsigned t, i;

	memset(out, 0, (size_t)c->nfields * sizeof(*out));
	for (t = 0; t < c->nthreads; t++) {
		const uint64_t *row = c->rows + (size_t)t * c->stride;

		for (i = 0; i < c->nfields; i++)
			out[i] += __atomic_load_n(&row[i], __ATOMIC_RELAXED);
	}
}

uint64_t rxq_now_ns(void)
{
	struct timespec ts;

	/* Cannot fail with a valid pointer; the vDSO serves it without a syscall. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}
