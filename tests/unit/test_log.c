// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "rxq/log.h"

struct capture {
	unsigned calls;
	enum rxq_log_level level;
	char msg[2048];
};

static void capture_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	struct capture *c = ctx;

	c->calls++;
	c->level = level;
	snprintf(c->msg, sizeof(c->msg), "%s", msg);
}

static void test_callback_gets_formatted_message(void **state)
{
	struct capture c = { 0 };

	(void)state;
	rxq_log__set(capture_log, &c);
	rxq_err("%s has %u RX queues; queue %d does not exist", "eth3", 8u, 9);
	assert_int_equal(c.calls, 1);
	assert_int_equal(c.level, RXQ_LOG_ERROR);
	assert_string_equal(c.msg, "eth3 has 8 RX queues; queue 9 does not exist");
	rxq_warn("w");
	assert_int_equal(c.level, RXQ_LOG_WARN);
	rxq_info("i");
	assert_int_equal(c.level, RXQ_LOG_INFO);
	rxq_debug("d");
	assert_int_equal(c.level, RXQ_LOG_DEBUG);
	assert_int_equal(c.calls, 4);

	/* No callback: messages are discarded, not printed. */
	rxq_log__set(NULL, NULL);
	rxq_err("nobody hears this");
	assert_int_equal(c.calls, 4);
}

static void test_long_message_is_cut_not_overflowed(void **state)
{
	struct capture c = { 0 };
	char *big = malloc(5000);

	(void)state;
	assert_non_null(big);
	memset(big, 'x', 4999);
	big[4999] = '\0';
	rxq_log__set(capture_log, &c);
	rxq_err("%s", big);
	assert_int_equal(c.calls, 1);
	assert_int_equal(strlen(c.msg), 1023);
	assert_int_equal(c.msg[1022], 'x');
	rxq_log__set(NULL, NULL);
	free(big);
}

/* Runs the stderr sink with stderr on a temporary file and returns what it wrote. */
static char *stderr_output(int verbose)
{
	static char buf[4096];
	FILE *tmp = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t n;

	assert_non_null(tmp);
	assert_true(saved >= 0);
	fflush(stderr);
	assert_true(dup2(fileno(tmp), STDERR_FILENO) >= 0);
	rxq_log__stderr("rxq-test", verbose);
	rxq_err("cannot open %s", "eth9");
	rxq_warn("ring is small");
	rxq_info("started");
	rxq_debug("detail %d", 7);
	fflush(stderr);
	assert_true(dup2(saved, STDERR_FILENO) >= 0);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	rxq_log__set(NULL, NULL);
	return buf;
}

static void test_stderr_sink(void **state)
{
	(void)state;
	assert_string_equal(stderr_output(0), "rxq-test: cannot open eth9\n"
					      "rxq-test: warning: ring is small\n"
					      "rxq-test: started\n");
	assert_string_equal(stderr_output(1), "rxq-test: cannot open eth9\n"
					      "rxq-test: warning: ring is small\n"
					      "rxq-test: started\n"
					      "rxq-test: detail 7\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_callback_gets_formatted_message),
		cmocka_unit_test(test_long_message_is_cut_not_overflowed),
		cmocka_unit_test(test_stderr_sink),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
