// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Kernel tier of dns rules, user-space side: the parser of dns_shared.h compiled here, as the XDP
 * program runs it.
 */
#include <stdint.h>

#include "rxq/kdns.h"

int rxq_kdns__parse(const uint8_t *msg, size_t len, struct rxq_kdns_name *nm)
{
	__u32 len32 = len > UINT32_MAX ? UINT32_MAX : (__u32)len;

	return rxq_kdns_parse(msg, msg + len, len32, nm);
}
