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

#endif
