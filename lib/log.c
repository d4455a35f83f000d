// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <stdarg.h>
#include <stdio.h>

#include "rxq/log.h"

static rxq_log_fn log_fn;
static void *log_ctx;

static struct {
	const char *prog;
	int verbose;
} stderr_sink;

void rxq_log__set(rxq_log_fn fn, void *ctx)
{
	log_fn = fn;
	log_ctx = ctx;
}

static void stderr_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level == RXQ_LOG_DEBUG && !stderr_sink.verbose)
		return;
	fprintf(stderr, "%s: %s%s\n", stderr_sink.prog, level == RXQ_LOG_WARN ? "warning: " : "",
		msg);
}

void rxq_log__stderr(const char *prog, int verbose)
{
	stderr_sink.prog = prog;
	stderr_sink.verbose = verbose;
	rxq_log__set(stderr_log, NULL);
}

void rxq_log(enum rxq_log_level level, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	if (!log_fn)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_fn(level, msg, log_ctx);
}
