/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_OUTPUT_H
#define RXQ_OUTPUT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/*
 * One call prints a field as text or as JSON, so the human line and the --json line of a report
 * always carry the same fields. Text: "key=value" separated by spaces ("prefix" and plain text pieces
 * may be mixed in); JSON: one object per line. Each record ends with a newline and a flush.
 *
 *   rxq_out__begin(o, "report");     text: nothing          json: {"type":"report"
 *   rxq_out__u64(o, "tx_pps", 5);    text: "tx_pps=5"       json: ,"tx_pps":5
 *   rxq_out__end(o);                 text: "\n"             json: "}\n"
 */

enum rxq_out_format {
	RXQ_OUT_TEXT,
	RXQ_OUT_JSON,
};

struct rxq_out;

/** @brief A printer on @p f (not closed by rxq_out__free). NULL on allocation failure. */
struct rxq_out *rxq_out__new(FILE *f, enum rxq_out_format fmt);
void rxq_out__free(struct rxq_out *o);
bool rxq_out__is_json(const struct rxq_out *o);

/** @brief Starts a record; @p type goes into JSON as "type" (text: ignored; may be NULL). */
void rxq_out__begin(struct rxq_out *o, const char *type);
void rxq_out__end(struct rxq_out *o);

void rxq_out__u64(struct rxq_out *o, const char *key, uint64_t v);
void rxq_out__i64(struct rxq_out *o, const char *key, int64_t v);
/** @brief @p decimals digits after the point in both forms. */
void rxq_out__double(struct rxq_out *o, const char *key, double v, int decimals);
/** @brief Text: key=value (quoted if it holds spaces); JSON: a properly escaped string. */
void rxq_out__str(struct rxq_out *o, const char *key, const char *v);
void rxq_out__bool(struct rxq_out *o, const char *key, bool v);

/** @brief Nested object: text prints "key[" ... "]"; JSON "key":{...}. */
void rxq_out__obj_begin(struct rxq_out *o, const char *key);
void rxq_out__obj_end(struct rxq_out *o);

/** @brief Text only: prints literal text (e.g. "[+] "); ignored in JSON mode. */
void rxq_out__text(struct rxq_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
