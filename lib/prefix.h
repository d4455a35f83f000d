/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_PREFIX_H
#define RXQ_PREFIX_H

/*
 * Private to librxq: a set of IPv4/IPv6 prefixes, each carrying a value (a rule index), looked up
 * with one hash probe per distinct prefix length present. A lookup returns the smallest value among
 * all prefixes that contain the address -- not the longest match -- which is what a first-match
 * rule list needs when consecutive prefix rules are merged into one set.
 */

#include <stdint.h>

#include "rxq/parse.h"

#define RXQ_PREFIX_NONE UINT32_MAX

struct rxq_prefix_set;

/** @brief Creates an empty set. 0 or -ENOMEM. */
int rxq_prefix_set__new(struct rxq_prefix_set **out);

/**
 * @brief Adds @p prefix / @p plen (host bits are ignored) with @p value (< RXQ_PREFIX_NONE); a
 * prefix added twice keeps the smaller value. Only before rxq_prefix_set__build(). 0, -EINVAL,
 * -ENOMEM.
 */
int rxq_prefix_set__add(struct rxq_prefix_set *set, const struct rxq_addr *prefix, unsigned plen,
			uint32_t value);

/** @brief Builds the lookup tables; the set is read-only afterwards. 0 or -ENOMEM. */
int rxq_prefix_set__build(struct rxq_prefix_set *set);

/** @brief Smallest value of a prefix containing @p addr, or RXQ_PREFIX_NONE. Thread-safe. */
uint32_t rxq_prefix_set__lookup(const struct rxq_prefix_set *set, const struct rxq_addr *addr);

/** @brief Number of distinct (family, length) tables: the probes a lookup costs at most. */
unsigned rxq_prefix_set__tables(const struct rxq_prefix_set *set);

void rxq_prefix_set__free(struct rxq_prefix_set *set);

#endif
