/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_KTIER_H
#define RXQ_KTIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/opts.h"
#include "rxq/rules.h"

/*
 * The kernel tier: a rule set compiled into the tables the steering program decides with (see
 * bpf/ktier_shared.h). It covers the leading rules of the file that XDP can decide, in order:
 *
 *   native predicates (family, protocol, prefixes, ports)  a step each
 *   a run of single-prefix rules (src net, dst host, ...)  one step: a hash of the hosts, LPM
 *                                                          tries of the shorter prefixes
 *   dns qname with an exact name or *.SUFFIX pattern       the kdns lookup (bpf/dns_shared.h)
 *   pcap filters                                           translated to eBPF (lib/cbpf.c)
 *   limit rules with any of these matches                  token buckets in an LRU map
 *   the default rule
 *
 * and stops at the first rule it cannot decide (a dns pattern with '?' or an inner '*', a pcap
 * filter the translation refuses, more than RXQ_KT_PCAP_MAX filters, more than RXQ_KT_STEPS_MAX
 * steps): that rule and the ones after it are user space's, and so is every frame the covered
 * rules do not match. A rule set the kernel covers whole (default rule included) sends user space
 * only what needs it: fragments to reassemble, frames the parser would not take.
 */

struct rxq_ktier;

struct rxq_ktier_opts {
	size_t sz; /* sizeof(struct rxq_ktier_opts) */
	bool disabled; /* no kernel tier (--kernel-tier=off): every steered frame to user space */
};

/* The tables' element types, defined in bpf/ktier_shared.h. */
struct rxq_kt_step;
struct rxq_kt_lpm_entry;
struct rxq_kt_limit;
struct rxq_kdns_table;

/**
 * @brief Compiles @p rules (which must outlive the result: pcap programs and patterns are
 * borrowed).
 * @return 0, -ENOMEM.
 */
int rxq_ktier__compile(struct rxq_ktier **out, const struct rxq_rules *rules,
		       const struct rxq_ktier_opts *opts);
void rxq_ktier__free(struct rxq_ktier *kt);

/** @brief Rules the kernel decides: rules 0 .. n-1 of the file (0: none). */
unsigned rxq_ktier__nrules(const struct rxq_ktier *kt);

/**
 * @brief Why the kernel tier ends before rule rxq_ktier__nrules(): "" when it covers every rule,
 * else e.g. "its dns pattern is neither an exact name nor *.SUFFIX".
 */
const char *rxq_ktier__why(const struct rxq_ktier *kt);

/** @brief Where rule @p idx runs: "xdp" or "user space". */
const char *rxq_ktier__where(const struct rxq_ktier *kt, unsigned idx);

/* The tables, for lib/steer.c. */
const struct rxq_kt_step *rxq_ktier__steps(const struct rxq_ktier *kt, unsigned *n);
const struct rxq_kt_lpm_entry *rxq_ktier__lpm(const struct rxq_ktier *kt, size_t *n);
/** @brief The whole-address prefixes of GROUP steps, for the host hash (same entry type). */
const struct rxq_kt_lpm_entry *rxq_ktier__hosts(const struct rxq_ktier *kt, size_t *n);
const struct rxq_kt_limit *rxq_ktier__limits(const struct rxq_ktier *kt, unsigned *n);
/** @brief The dns patterns of the DNS steps; NULL when there is none. */
const struct rxq_kdns_table *rxq_ktier__dns(const struct rxq_ktier *kt);
/** @brief Pcap steps' filters: slot 1 .. rxq_ktier__npcap(), as struct sock_filter arrays. */
const void *rxq_ktier__pcap(const struct rxq_ktier *kt, unsigned slot, unsigned *ninsns);
unsigned rxq_ktier__npcap(const struct rxq_ktier *kt);

#endif
