/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_KDNS_H
#define RXQ_KDNS_H

#include <stddef.h>
#include <stdint.h>

#include "dns_shared.h"

/*
 * The kernel tier of `dns qname PATTERN [qtype TYPE]` rules (see rules.h), user-space side. The
 * parser itself is in dns_shared.h, shared with the XDP side.
 */

/**
 * @brief rxq_kdns_parse() on a message in memory: what the XDP side makes of it.
 * @return RXQ_KDNS_OK (@p nm filled), RXQ_KDNS_NOT_DNS or RXQ_KDNS_UNDECIDED
 */
int rxq_kdns__parse(const uint8_t *msg, size_t len, struct rxq_kdns_name *nm);

#endif
