/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_OPTS_H
#define RXQ_OPTS_H

#include <stddef.h>
#include <string.h>

/*
 * Every options struct of the library (struct rxq_*_opts) follows libbpf's convention: its first
 * member is `size_t sz`, the size of the struct the caller was compiled with, so that the struct
 * can grow without breaking callers built against an older one. Declare one with RXQ_OPTS(),
 * which zeroes every field (zero means "the default") and sets sz:
 *
 *     RXQ_OPTS(rxq_tap_opts, topts, .name = "rxq0", .nqueues = 2);
 *     err = rxq_tap__open(&tap, &topts);
 *
 * A function that takes options accepts NULL (all defaults). It refuses with -EINVAL (and says
 * why through the log) an sz smaller than sizeof(size_t), and a struct larger than the one it
 * knows whose extra bytes are not all zero: an option it does not have was asked for.
 */
#define RXQ_OPTS(TYPE, NAME, ...)                                             \
	struct TYPE NAME = ({                                                 \
		/* the padding too: a library may read it as a newer field */ \
		memset(&NAME, 0, sizeof(struct TYPE));                        \
		(struct TYPE){ .sz = sizeof(struct TYPE), __VA_ARGS__ };      \
	})

#endif
