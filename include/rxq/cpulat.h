/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_CPULAT_H
#define RXQ_CPULAT_H

#include <stdint.h>

/*
 * A CPU wake-up latency request through the kernel's PM QoS device: while it is held, idle CPUs
 * stay in states they can leave within the requested time (0: they poll instead of sleeping), so
 * the first packet after a pause does not pay for waking a deep-sleeping core. The request is the
 * open file itself: it ends with rxq_cpulat__release() or, at the latest, when the process exits.
 */

/** The kernel's own "no constraint" value (PM_QOS_CPU_LATENCY_DEFAULT_VALUE), in microseconds. */
#define RXQ_CPULAT_MAX_USEC 2000000000

struct rxq_cpulat;

/**
 * @brief Holds the CPU wake-up latency at most @p usec microseconds until released.
 *
 * Opens @p path, writes @p usec as a binary s32 and keeps the file open. Reads the value back
 * from the same file: the kernel reports the effective target (the lowest of every request held,
 * which may be below @p usec).
 * @param out            the held request, on success
 * @param path           the PM QoS device; NULL: /dev/cpu_dma_latency (tests give a file)
 * @param usec           0 .. RXQ_CPULAT_MAX_USEC
 * @param effective_usec NULL, or receives the effective target
 * @return 0; -EINVAL (@p usec out of range); -EACCES or -EPERM (needs root or write access to
 * the device); -ENOENT (a kernel without the PM QoS device); another -errno of open, write or
 * read. Failures are logged with what to do.
 */
int rxq_cpulat__hold(struct rxq_cpulat **out, const char *path, int32_t usec,
		     int32_t *effective_usec);

/** @brief Ends the request (closes the file). NULL is a no-op. */
void rxq_cpulat__release(struct rxq_cpulat *c);

#endif
