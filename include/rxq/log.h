/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_LOG_H
#define RXQ_LOG_H

/*
 * librxq never prints. Anything a person should read (why a call failed, what to do about it) is
 * handed to the log callback; tools install one that writes "TOOL: message" to stderr.
 */

enum rxq_log_level {
	RXQ_LOG_ERROR,
	RXQ_LOG_WARN,
	RXQ_LOG_INFO,
	RXQ_LOG_DEBUG,
};

/**
 * @brief Receives one complete message, without trailing newline.
 * @param level severity
 * @param msg   the message text
 * @param ctx   the pointer given to rxq_log__set()
 */
typedef void (*rxq_log_fn)(enum rxq_log_level level, const char *msg, void *ctx);

/**
 * @brief Installs the log callback for the whole process (NULL: discard everything).
 */
void rxq_log__set(rxq_log_fn fn, void *ctx);

/**
 * @brief Installs the standard tool callback: "PROG: message" on stderr, debug only if @p verbose.
 */
void rxq_log__stderr(const char *prog, int verbose);

/** @brief Formats and delivers a message (used by librxq and tools alike). */
void rxq_log(enum rxq_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define rxq_err(...)   rxq_log(RXQ_LOG_ERROR, __VA_ARGS__)
#define rxq_warn(...)  rxq_log(RXQ_LOG_WARN, __VA_ARGS__)
#define rxq_info(...)  rxq_log(RXQ_LOG_INFO, __VA_ARGS__)
#define rxq_debug(...) rxq_log(RXQ_LOG_DEBUG, __VA_ARGS__)

#endif
