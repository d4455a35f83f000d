/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_INTERNAL_H
#define RXQ_INTERNAL_H

/*
 * Private to librxq. RXQ_STATIC marks helpers that are static in the library but visible to the
 * unit tests, which link against a copy of librxq built with -DRXQ_TESTING.
 */
#ifdef RXQ_TESTING
#define RXQ_STATIC
#else
#define RXQ_STATIC static
#endif

#define RXQ_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#include <stddef.h>
#include <stdint.h>

#include "rxq/opts.h"

/**
 * @brief The library's side of RXQ_OPTS(): copies the caller's @p opts (NULL: all defaults) into
 * @p dst of @p dst_sz bytes, zero-filling what an older caller's struct lacks, and sets dst's sz.
 * @p type names the struct in the message of a refusal. @return 0, or -EINVAL (logged) for an sz
 * below sizeof(size_t) or non-zero bytes past the ones this library knows.
 */
int rxq_opts__load(void *dst, size_t dst_sz, const void *opts, const char *type);
#define RXQ_OPTS_LOAD(dst, opts, type) rxq_opts__load(&(dst), sizeof(dst), (opts), #type)

/** @brief A random seed for a keyed hash table (getrandom, or the clock early in boot). */
uint64_t rxq_seed_new(void);

/* splitmix64 finaliser: every input bit affects every output bit, so hash tables may index with
 * either the high or the low bits. */
static inline uint64_t rxq_mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ull;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x;
}

#endif
