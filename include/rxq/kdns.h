/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_KDNS_H
#define RXQ_KDNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns_shared.h"

/*
 * The kernel tier of `dns qname PATTERN [qtype TYPE]` rules (see rules.h): which patterns an XDP
 * program can judge, and the hash map it judges them with. The parser, the map layout and the
 * lookups are in dns_shared.h, shared with the XDP side.
 *
 * The kernel judges PATTERN when it is an exact name or `*.SUFFIX` with no wildcard in SUFFIX
 * (also `**.SUFFIX`, the same glob), the key is at most RXQ_KDNS_NAME_MAX bytes and has at most
 * RXQ_KDNS_LABELS_MAX labels. `*.SUFFIX` matches every name ending in ".SUFFIX" (rxq_rules_glob()
 * lets '*' cover dots), so it is stored as the key ".SUFFIX" and found by the suffix lookups.
 *
 * Use: add the dns rules in rule order to a table, copy its entries into a BPF hash map
 * (key struct rxq_kdns_key, value struct rxq_kdns_value, max_entries >= the entry count) and its
 * configuration where the program reads it, then per frame rxq_kdns_parse() and rxq_kdns_lookup()
 * on the BPF side. rxq_kdns_table__match() gives the same answer in user space.
 */

/* A pattern as the kernel stores it. */
struct rxq_kdns_pattern {
	struct rxq_kdns_key key; /* "example.com" (exact) or ".example.com" (`*.example.com`) */
	bool suffix; /* `*.SUFFIX` */
	unsigned labels; /* labels of the key (of SUFFIX for a suffix; 0 for the root) */
};

/**
 * @brief The map key of a dns rule's PATTERN.
 * @param pattern as written in the rules file (case and one trailing dot do not matter)
 * @param out     receives the key
 * @return 0; -EOPNOTSUPP when the kernel cannot judge the pattern ('?', a '*' anywhere but a
 *         leading `*.`, `*` alone, a key longer than RXQ_KDNS_NAME_MAX bytes or of more than
 *         RXQ_KDNS_LABELS_MAX labels); -EINVAL when it is not a pattern rules.c accepts.
 */
int rxq_kdns__pattern(const char *pattern, struct rxq_kdns_pattern *out);

/**
 * @brief rxq_kdns_parse() on a message in memory: what the XDP side makes of it.
 * @return RXQ_KDNS_OK (@p nm filled), RXQ_KDNS_NOT_DNS or RXQ_KDNS_UNDECIDED
 */
int rxq_kdns__parse(const uint8_t *msg, size_t len, struct rxq_kdns_name *nm);

/* One map entry. */
struct rxq_kdns_entry {
	struct rxq_kdns_key key;
	struct rxq_kdns_value value;
};

struct rxq_kdns_table;

/** @brief An empty table. @return 0 or -ENOMEM */
int rxq_kdns_table__new(struct rxq_kdns_table **out);

/** @brief NULL is a no-op. */
void rxq_kdns_table__free(struct rxq_kdns_table *t);

/**
 * @brief Adds dns rule @p rule. Rules must come in increasing index order (first match wins).
 * A rule after the first one the kernel cannot judge is accepted but not stored: it could only be
 * decided after that one, which the kernel leaves to user space (config.unexpressed).
 * @param qtype the rule's qtype when @p has_qtype
 * @return 0; -EOPNOTSUPP when the kernel cannot judge the pattern (the rule becomes
 *         config.unexpressed if it is the first); -EINVAL for a bad pattern, a rule index not
 *         above the previous one or RXQ_KDNS_RULE_NONE; -ENOMEM.
 */
int rxq_kdns_table__add(struct rxq_kdns_table *t, uint32_t rule, const char *pattern,
			bool has_qtype, uint16_t qtype);

/** @brief The map entries; @p n receives their number. Valid until the next __add(). */
const struct rxq_kdns_entry *rxq_kdns_table__entries(const struct rxq_kdns_table *t, size_t *n);

/** @brief What the program needs besides the map (label masks, config.unexpressed). */
const struct rxq_kdns_config *rxq_kdns_table__config(const struct rxq_kdns_table *t);

/** @brief The value stored under @p key, NULL when none (what the map lookup finds). */
const struct rxq_kdns_value *rxq_kdns_table__lookup(const struct rxq_kdns_table *t,
						    const struct rxq_kdns_key *key);

/**
 * @brief rxq_kdns_lookup() in user space: the first dns rule of the table that matches the parsed
 * question @p nm.
 * @param rule receives the rule index, RXQ_KDNS_RULE_NONE when no dns rule matches
 * @return RXQ_KDNS_OK, or RXQ_KDNS_UNDECIDED when a rule the kernel does not judge might come
 *         first (@p rule is RXQ_KDNS_RULE_NONE then)
 */
int rxq_kdns_table__match(const struct rxq_kdns_table *t, const struct rxq_kdns_name *nm,
			  uint32_t *rule);

#endif
