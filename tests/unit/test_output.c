// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/output.h"

struct capture {
	FILE *f;
	char *buf;
	size_t len;
	struct rxq_out *o;
};

static void capture_open(struct capture *c, enum rxq_out_format fmt)
{
	memset(c, 0, sizeof(*c));
	c->f = open_memstream(&c->buf, &c->len);
	assert_non_null(c->f);
	c->o = rxq_out__new(c->f, fmt);
	assert_non_null(c->o);
	assert_int_equal(rxq_out__is_json(c->o), fmt == RXQ_OUT_JSON);
}

static void capture_close(struct capture *c)
{
	rxq_out__free(c->o);
	assert_int_equal(fclose(c->f), 0);
	free(c->buf);
}

/*
 * A strict JSON checker (RFC 8259 grammar, no extensions): enough to prove every line the printer
 * writes is one valid value.
 */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

static const char *json_string_lit(const char *p)
{
	if (*p++ != '"')
		return NULL;
	while (*p != '"') {
		unsigned char c = (unsigned char)*p;

		if (c < 0x20)
			return NULL; /* raw control characters, including the end of input */
		if (c == '\\') {
			p++;
			if (*p == 'u') {
				for (int i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF", p[i]) || !p[i])
						return NULL;
				p += 5;
				continue;
			}
			if (!*p || !strchr("\"\\/bfnrt", *p))
				return NULL;
		}
		p++;
	}
	return p + 1;
}

static const char *json_number(const char *p)
{
	if (*p == '-')
		p++;
	if (*p == '0')
		p++;
	else if (*p >= '1' && *p <= '9')
		while (*p >= '0' && *p <= '9')
			p++;
	else
		return NULL;
	if (*p == '.') {
		p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		if (!(*p >= '0' && *p <= '9'))
			return NULL;
		while (*p >= '0' && *p <= '9')
			p++;
	}
	return p;
}

static const char *json_object(const char *p, int depth)
{
	p = json_ws(p + 1);
	if (*p == '}')
		return p + 1;
	for (;;) {
		p = json_string_lit(json_ws(p));
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p++ != ':')
			return NULL;
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == '}')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_array(const char *p, int depth)
{
	p = json_ws(p + 1);
	if (*p == ']')
		return p + 1;
	for (;;) {
		p = json_value(p, depth + 1);
		if (!p)
			return NULL;
		p = json_ws(p);
		if (*p == ']')
			return p + 1;
		if (*p++ != ',')
			return NULL;
	}
}

static const char *json_value(const char *p, int depth)
{
	if (depth > 64)
		return NULL;
	p = json_ws(p);
	switch (*p) {
	case '{':
		return json_object(p, depth);
	case '[':
		return json_array(p, depth);
	case '"':
		return json_string_lit(p);
	case 't':
		return strncmp(p, "true", 4) ? NULL : p + 4;
	case 'f':
		return strncmp(p, "false", 5) ? NULL : p + 5;
	case 'n':
		return strncmp(p, "null", 4) ? NULL : p + 4;
	default:
		return json_number(p);
	}
}

/* Every line of @p text is exactly one JSON object; returns the number of lines. */
static int json_lines_valid(const char *text)
{
	int lines = 0;

	while (*text) {
		const char *nl = strchr(text, '\n');
		const char *end;
		char *line;

		assert_non_null(nl);
		line = strndup(text, (size_t)(nl - text));
		assert_non_null(line);
		assert_int_equal(line[0], '{');
		end = json_value(line, 0);
		if (!end || *json_ws(end))
			fail_msg("not one JSON value: %s", line);
		free(line);
		lines++;
		text = nl + 1;
	}
	return lines;
}

static void test_json_checker_rejects(void **state)
{
	static const char *const bad[] = {
		"{\"a\":1,}",	   "{\"a\":nan}",	"{\"a\":01}", "{\"a\":\"x\ty\"}",
		"{\"a\":\"\\x\"}", "{\"a\":1.}",	"{a:1}",      "{\"a\":1",
		"{\"a\":inf}",	   "{\"a\":\"\\u12\"}", "{\"a\" 1}",
	};

	(void)state;
	/* The checker must be able to say no, or the tests below prove nothing. */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *end = json_value(bad[i], 0);

		if (end && !*json_ws(end))
			fail_msg("checker accepted %s", bad[i]);
	}
	assert_int_equal(json_lines_valid("{\"a\":[1,-2.5e3,true,null,{}],\"b\":\"\\u0001\"}\n"),
			 1);
}

static void emit_all_kinds(struct rxq_out *o)
{
	rxq_out__begin(o, "report");
	rxq_out__u64(o, "tx_pps", 5);
	rxq_out__u64(o, "max", UINT64_MAX);
	rxq_out__i64(o, "delta", -3);
	rxq_out__i64(o, "min", INT64_MIN);
	rxq_out__double(o, "rate", 1.23456, 2);
	rxq_out__double(o, "whole", 2.5e6, 0);
	rxq_out__str(o, "name", "eth0");
	rxq_out__str(o, "desc", "a b");
	rxq_out__bool(o, "up", true);
	rxq_out__bool(o, "down", false);
	rxq_out__obj_begin(o, "q0");
	rxq_out__u64(o, "rx", 1);
	rxq_out__u64(o, "tx", 2);
	rxq_out__obj_end(o);
	rxq_out__u64(o, "after", 7);
	rxq_out__end(o);
}

static void test_text_all_kinds(void **state)
{
	struct capture c;

	(void)state;
	capture_open(&c, RXQ_OUT_TEXT);
	emit_all_kinds(c.o);
	/* No fclose yet: rxq_out__end() itself must have flushed. */
	assert_string_equal(c.buf, "tx_pps=5 max=18446744073709551615 delta=-3 "
				   "min=-9223372036854775808 rate=1.23 whole=2500000 name=eth0 "
				   "desc=\"a b\" up=true down=false q0[rx=1 tx=2] after=7\n");
	capture_close(&c);
}

static void test_json_all_kinds(void **state)
{
	struct capture c;

	(void)state;
	capture_open(&c, RXQ_OUT_JSON);
	emit_all_kinds(c.o);
	assert_string_equal(c.buf, "{\"type\":\"report\",\"tx_pps\":5,\"max\":18446744073709551615,"
				   "\"delta\":-3,\"min\":-9223372036854775808,\"rate\":1.23,"
				   "\"whole\":2500000,\"name\":\"eth0\",\"desc\":\"a b\","
				   "\"up\":true,\"down\":false,\"q0\":{\"rx\":1,\"tx\":2},"
				   "\"after\":7}\n");
	assert_int_equal(json_lines_valid(c.buf), 1);
	capture_close(&c);
}

static void test_json_escaping(void **state)
{
	struct capture c;

	(void)state;
	capture_open(&c, RXQ_OUT_JSON);
	rxq_out__begin(c.o, "we\"ird");
	rxq_out__str(c.o, "s", "q\"b\\s\n\t\x01\x1f\x7f/\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
	rxq_out__str(c.o, "k\\ey", "");
	rxq_out__str(c.o, "bad",
		     "a\xff"
		     "b\xc3"); /* stray byte, truncated sequence */
	rxq_out__str(c.o, "overlong", "\xc0\xaf\xed\xa0\x80"); /* overlong '/', a surrogate */
	rxq_out__str(c.o, "null", NULL);
	rxq_out__end(c.o);
	assert_string_equal(c.buf, "{\"type\":\"we\\\"ird\","
				   "\"s\":\"q\\\"b\\\\s\\u000a\\u0009\\u0001\\u001f\\u007f/"
				   "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\","
				   "\"k\\\\ey\":\"\","
				   "\"bad\":\"a\\ufffdb\\ufffd\","
				   "\"overlong\":\"\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\","
				   "\"null\":\"\"}\n");
	assert_int_equal(json_lines_valid(c.buf), 1);
	capture_close(&c);
}

static void test_text_strings(void **state)
{
	struct capture c;

	(void)state;
	capture_open(&c, RXQ_OUT_TEXT);
	rxq_out__begin(c.o, NULL);
	rxq_out__str(c.o, "plain", "a-b/c:d");
	rxq_out__str(c.o, "empty", "");
	rxq_out__str(c.o, "quote", "say \"hi\"");
	rxq_out__str(c.o, "ctl", "a\nb\tc\x01");
	rxq_out__str(c.o, "slash", "C:\\x");
	rxq_out__str(c.o, "both", "a \\b");
	rxq_out__str(c.o, "null", NULL);
	rxq_out__end(c.o);
	assert_string_equal(c.buf,
			    "plain=a-b/c:d empty=\"\" quote=\"say \\\"hi\\\"\" "
			    "ctl=\"a\\nb\\tc\\x01\" slash=C:\\x both=\"a \\\\b\" null=\"\"\n");
	capture_close(&c);
}

static void test_doubles(void **state)
{
	struct capture t, j;

	(void)state;
	capture_open(&t, RXQ_OUT_TEXT);
	capture_open(&j, RXQ_OUT_JSON);
	for (int k = 0; k < 2; k++) {
		struct rxq_out *o = k ? j.o : t.o;

		rxq_out__begin(o, NULL);
		rxq_out__double(o, "pi", 3.14159265, 3);
		rxq_out__double(o, "neg", -0.5, 1);
		rxq_out__double(o, "zero", 0.0, 0);
		rxq_out__double(o, "clamp", 2.25, -4);
		rxq_out__double(o, "nan", NAN, 2);
		rxq_out__double(o, "inf", INFINITY, 2);
		rxq_out__double(o, "ninf", -INFINITY, 2);
		rxq_out__double(o, "big", 1e20, 1);
		rxq_out__end(o);
	}
	assert_string_equal(t.buf, "pi=3.142 neg=-0.5 zero=0 clamp=2 nan=nan inf=inf ninf=-inf "
				   "big=100000000000000000000.0\n");
	assert_string_equal(j.buf, "{\"pi\":3.142,\"neg\":-0.5,\"zero\":0,\"clamp\":2,\"nan\":null,"
				   "\"inf\":null,\"ninf\":null,\"big\":100000000000000000000.0}\n");
	assert_int_equal(json_lines_valid(j.buf), 1);
	capture_close(&t);
	capture_close(&j);
}

static void emit_mixed(struct rxq_out *o)
{
	rxq_out__begin(o, "tick");
	rxq_out__text(o, "[+] ");
	rxq_out__u64(o, "a", 1);
	rxq_out__text(o, " |");
	rxq_out__u64(o, "b", 2);
	rxq_out__text(o, " %s:", "eth0");
	rxq_out__obj_begin(o, "q");
	rxq_out__obj_end(o);
	rxq_out__obj_begin(o, "outer");
	rxq_out__u64(o, "x", 3);
	rxq_out__obj_begin(o, "inner");
	rxq_out__str(o, "y", "z");
	rxq_out__obj_end(o);
	rxq_out__u64(o, "w", 4);
	rxq_out__obj_end(o);
	rxq_out__obj_begin(o, "open"); /* left open: end closes it */
	rxq_out__bool(o, "v", true);
	rxq_out__end(o);
}

static void test_text_mixed_nested(void **state)
{
	struct capture c;

	(void)state;
	capture_open(&c, RXQ_OUT_TEXT);
	emit_mixed(c.o);
	assert_string_equal(c.buf,
			    "[+] a=1 | b=2 eth0: q[] outer[x=3 inner[y=z] w=4] open[v=true]\n");
	capture_close(&c);
}

static void test_json_mixed_nested(void **state)
{
	struct capture c;

	(void)state;
	capture_open(&c, RXQ_OUT_JSON);
	emit_mixed(c.o);
	assert_string_equal(c.buf, "{\"type\":\"tick\",\"a\":1,\"b\":2,\"q\":{},"
				   "\"outer\":{\"x\":3,\"inner\":{\"y\":\"z\"},\"w\":4},"
				   "\"open\":{\"v\":true}}\n");
	assert_int_equal(json_lines_valid(c.buf), 1);
	capture_close(&c);
}

static void test_json_several_records(void **state)
{
	struct capture c;
	size_t first_len;

	(void)state;
	capture_open(&c, RXQ_OUT_JSON);
	rxq_out__begin(c.o, NULL);
	rxq_out__end(c.o);
	rxq_out__begin(c.o, NULL);
	rxq_out__obj_begin(c.o, "o");
	rxq_out__end(c.o);
	rxq_out__begin(c.o, "s");
	rxq_out__u64(c.o, "n", 1);
	rxq_out__end(c.o);
	first_len = c.len;
	assert_string_equal(c.buf, "{}\n{\"o\":{}}\n{\"type\":\"s\",\"n\":1}\n");
	assert_int_equal(json_lines_valid(c.buf), 3);
	assert_int_equal(first_len, strlen(c.buf));
	capture_close(&c);
}

static void test_long_values(void **state)
{
	const size_t n = 200000;
	struct capture t, j;
	char *big = malloc(n + 1);

	(void)state;
	assert_non_null(big);
	for (size_t i = 0; i < n; i++)
		big[i] = i % 1000 == 999 ? '"' : (char)('a' + i % 26);
	big[n] = '\0';

	capture_open(&j, RXQ_OUT_JSON);
	rxq_out__begin(j.o, NULL);
	rxq_out__str(j.o, "big", big);
	rxq_out__end(j.o);
	/* {"big":"..."}\n with every quote escaped: nothing cut off. */
	assert_int_equal(j.len, strlen("{\"big\":\"\"}\n") + n + n / 1000);
	assert_int_equal(json_lines_valid(j.buf), 1);
	capture_close(&j);

	capture_open(&t, RXQ_OUT_TEXT);
	rxq_out__begin(t.o, NULL);
	rxq_out__text(t.o, "%s ", big);
	rxq_out__u64(t.o, "n", 1);
	rxq_out__end(t.o);
	assert_int_equal(t.len, n + strlen(" n=1\n"));
	assert_string_equal(t.buf + n, " n=1\n");
	capture_close(&t);
	free(big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_checker_rejects),
		cmocka_unit_test(test_text_all_kinds),
		cmocka_unit_test(test_json_all_kinds),
		cmocka_unit_test(test_json_escaping),
		cmocka_unit_test(test_text_strings),
		cmocka_unit_test(test_doubles),
		cmocka_unit_test(test_text_mixed_nested),
		cmocka_unit_test(test_json_mixed_nested),
		cmocka_unit_test(test_json_several_records),
		cmocka_unit_test(test_long_values),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
