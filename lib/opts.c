// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* Options structs that can grow: see rxq/opts.h. */
#include <errno.h>
#include <string.h>

#include "internal.h"
#include "rxq/log.h"

int rxq_opts__load(void *dst, size_t dst_sz, const void *opts, const char *type)
{
	const unsigned char *src = opts;
	size_t sz, i;

	memset(dst, 0, dst_sz);
	if (opts) {
		memcpy(&sz, opts, sizeof(sz));
		if (sz < sizeof(size_t)) {
			rxq_err("struct %s: sz is %zu; set it to the struct's size (declare it "
				"with RXQ_OPTS)",
				type, sz);
			return -EINVAL;
		}
		for (i = dst_sz; i < sz; i++) {
			if (src[i]) {
				rxq_err("struct %s: byte %zu is set, but this library knows only "
					"the first %zu (an option it does not have)",
					type, i, dst_sz);
				return -EINVAL;
			}
		}
		memcpy(dst, opts, sz < dst_sz ? sz : dst_sz);
	}
	memcpy(dst, &dst_sz, sizeof(dst_sz));
	return 0;
}
