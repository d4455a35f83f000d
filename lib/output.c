// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/output.h"
#include "internal.h"

/*
 * Everything goes straight to the FILE*, which does the buffering: no line buffer of our own, so
 * no record is ever too long. rxq_out__end() flushes, so a record reaches a pipe whole.
 */

struct rxq_out {
	FILE *f;
	enum rxq_out_format fmt;
	bool need_sep; /* a field was printed since the last '{' / "key[" / begin */
	unsigned depth; /* open nested objects */
};

/* More digits than a double holds only prints noise. */
#define RXQ_OUT_MAX_DECIMALS 17

struct rxq_out *rxq_out__new(FILE *f, enum rxq_out_format fmt)
{
	struct rxq_out *o = calloc(1, sizeof(*o));

	if (!o)
		return NULL;
	o->f = f;
	o->fmt = fmt;
	return o;
}

void rxq_out__free(struct rxq_out *o)
{
	free(o);
}

bool rxq_out__is_json(const struct rxq_out *o)
{
	return o->fmt == RXQ_OUT_JSON;
}

/* Length of the well-formed UTF-8 sequence at @p s (1..4), or 0 if the bytes there are not one. */
RXQ_STATIC size_t rxq_out__utf8_len(const unsigned char *s)
{
	unsigned char c = s[0];

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return (s[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		/* No overlong forms (e0 a0..), no UTF-16 surrogates (ed 80..9f). */
		unsigned char lo = c == 0xe0 ? 0xa0 : 0x80, hi = c == 0xed ? 0x9f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80)
			return 0;
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		unsigned char lo = c == 0xf0 ? 0x90 : 0x80, hi = c == 0xf4 ? 0x8f : 0xbf;

		if (s[1] < lo || s[1] > hi || (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		return 4;
	}
	return 0;
}

/*
 * A JSON string literal. Names of files and interfaces can hold any byte, and a JSON reader
 * rejects a whole line for one invalid byte, so bytes that are not UTF-8 become U+FFFD.
 */
static void json_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	putc('"', f);
	while (*p) {
		size_t n;

		if (*p == '"' || *p == '\\') {
			putc('\\', f);
			putc(*p++, f);
			continue;
		}
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\u%04x", *p++);
			continue;
		}
		/* Stops at the NUL: every continuation-byte test fails there. */
		n = rxq_out__utf8_len(p);
		if (!n) {
			fputs("\\ufffd", f);
			p++;
			continue;
		}
		fwrite(p, 1, n, f);
		p += n;
	}
	putc('"', f);
}

static bool text_needs_quotes(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	if (!*p)
		return true;
	for (; *p; p++)
		if (*p <= ' ' || *p == '"' || *p == 0x7f)
			return true;
	return false;
}

/* Text values stay on one line: quoted when they hold blanks, quotes or control characters. */
static void text_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	if (!text_needs_quotes((const char *)p)) {
		fputs((const char *)p, f);
		return;
	}
	putc('"', f);
	for (; *p; p++) {
		if (*p == '"' || *p == '\\') {
			putc('\\', f);
			putc(*p, f);
		} else if (*p == '\n') {
			fputs("\\n", f);
		} else if (*p == '\t') {
			fputs("\\t", f);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(f, "\\x%02x", *p);
		} else {
			putc(*p, f);
		}
	}
	putc('"', f);
}

/* Separator and key: text "key=", JSON ,"key": */
static void field_start(struct rxq_out *o, const char *key)
{
	if (o->fmt == RXQ_OUT_JSON) {
		if (o->need_sep)
			putc(',', o->f);
		json_string(o->f, key);
		putc(':', o->f);
	} else {
		if (o->need_sep)
			putc(' ', o->f);
		fputs(key, o->f);
		putc('=', o->f);
	}
	o->need_sep = true;
}

void rxq_out__begin(struct rxq_out *o, const char *type)
{
	o->depth = 0;
	o->need_sep = false;
	if (o->fmt != RXQ_OUT_JSON)
		return;
	putc('{', o->f);
	if (type) {
		json_string(o->f, "type");
		putc(':', o->f);
		json_string(o->f, type);
		o->need_sep = true;
	}
}

void rxq_out__end(struct rxq_out *o)
{
	if (o->fmt == RXQ_OUT_JSON) {
		/* Close what the caller left open, so the line is still one valid object. */
		for (; o->depth; o->depth--)
			putc('}', o->f);
		putc('}', o->f);
	} else {
		for (; o->depth; o->depth--)
			putc(']', o->f);
	}
	putc('\n', o->f);
	fflush(o->f);
	o->need_sep = false;
}

void rxq_out__u64(struct rxq_out *o, const char *key, uint64_t v)
{
	field_start(o, key);
	fprintf(o->f, "%" PRIu64, v);
}

void rxq_out__i64(struct rxq_out *o, const char *key, int64_t v)
{
	field_start(o, key);
	fprintf(o->f, "%" PRId64, v);
}

void rxq_out__double(struct rxq_out *o, const char *key, double v, int decimals)
{
	if (decimals < 0)
		decimals = 0;
	if (decimals > RXQ_OUT_MAX_DECIMALS)
		decimals = RXQ_OUT_MAX_DECIMALS;
	field_start(o, key);
	if (o->fmt == RXQ_OUT_JSON && !isfinite(v))
		fputs("null", o->f);
	else
		fprintf(o->f, "%.*f", decimals, v);
}

void rxq_out__str(struct rxq_out *o, const char *key, const char *v)
{
	field_start(o, key);
	if (o->fmt == RXQ_OUT_JSON)
		json_string(o->f, v);
	else
		text_string(o->f, v);
}

void rxq_out__bool(struct rxq_out *o, const char *key, bool v)
{
	field_start(o, key);
	fputs(v ? "true" : "false", o->f);
}

void rxq_out__obj_begin(struct rxq_out *o, const char *key)
{
	if (o->fmt == RXQ_OUT_JSON) {
		field_start(o, key);
		putc('{', o->f);
	} else {
		if (o->need_sep)
			putc(' ', o->f);
		fputs(key, o->f);
		putc('[', o->f);
	}
	o->need_sep = false;
	o->depth++;
}

void rxq_out__obj_end(struct rxq_out *o)
{
	if (!o->depth)
		return;
	o->depth--;
	putc(o->fmt == RXQ_OUT_JSON ? '}' : ']', o->f);
	o->need_sep = true;
}

/*
 * Literal text goes out as given; the next field is separated by a space unless the text ended in
 * a blank (so "[+] " and "rx: " both read naturally).
 */
void rxq_out__text(struct rxq_out *o, const char *fmt, ...)
{
	char *text = NULL;
	va_list ap;
	size_t len;
	int n;

	if (o->fmt == RXQ_OUT_JSON)
		return;
	va_start(ap, fmt);
	n = vasprintf(&text, fmt, ap);
	va_end(ap);
	if (n < 0)
		return; /* out of memory: a decoration is lost, the fields still print */
	len = (size_t)n;
	fwrite(text, 1, len, o->f);
	if (len)
		o->need_sep = text[len - 1] != ' ' && text[len - 1] != '\t';
	free(text);
}
