/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_PARSE_H
#define RXQ_PARSE_H

#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <netinet/in.h>

/* An IPv4 or IPv6 address in network byte order. family is AF_INET or AF_INET6 (0: unset). */
struct rxq_addr {
	uint8_t family;
	union {
		struct in_addr v4;
		struct in6_addr v6;
		uint8_t b[16];
	};
};

/*
 * Where a parse error is, for messages of the form "FILE:LINE:COL: message" (files) or
 * "option 'ARG', at 'WORD': message" (command lines). line and col count from 1; 0 means unknown.
 */
struct rxq_parse_error {
	unsigned line;
	unsigned col;
	char msg[256];
};

/**
 * @brief Fills @p err (when not NULL) with @p line, @p col and the formatted message.
 * @return -EINVAL, so that parsers can write `return rxq_parse_error__set(err, ...)`.
 */
int rxq_parse_error__set(struct rxq_parse_error *err, unsigned line, unsigned col, const char *fmt,
			 ...) __attribute__((format(printf, 4, 5)));

/**
 * @brief Parses an unsigned integer (decimal or 0x hex) within [min, max].
 * @return 0, -EINVAL when @p s is not a number, -ERANGE when it is outside the range.
 */
int rxq_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/**
 * @brief Like rxq_parse_u64() but accepts the SI suffixes k, M, G (x1000) as in "1.5M".
 */
int rxq_parse_si(const char *s, uint64_t min, uint64_t max, uint64_t *out);

/** @brief Parses a finite decimal number within [min, max]; -EINVAL or -ERANGE. */
int rxq_parse_double(const char *s, double min, double max, double *out);

/** @brief Parses a duration "10", "10s", "500ms", "2m" into nanoseconds; -EINVAL or -ERANGE. */
int rxq_parse_duration_ns(const char *s, uint64_t *out_ns);

/** @brief Parses an IPv4 or IPv6 address; -EINVAL. */
int rxq_parse_addr(const char *s, struct rxq_addr *out);

/**
 * @brief Parses "ADDR/LEN" (or a bare address, LEN = full length); host bits must be zero
 * unless @p allow_host_bits. -EINVAL (not an address/prefix), -ERANGE (length too long).
 */
int rxq_parse_prefix(const char *s, bool allow_host_bits, struct rxq_addr *addr, unsigned *plen);

/** @brief Parses "aa:bb:cc:dd:ee:ff"; -EINVAL. */
int rxq_parse_mac(const char *s, uint8_t mac[6]);

/**
 * @brief Parses a CPU list in the kernel's cpulist format, "0-3,5", into @p set: numbers and
 * ascending ranges separated by commas, nothing else (no blanks, no empty list).
 * @return 0, -EINVAL when @p s is not such a list, -ERANGE when a CPU number is CPU_SETSIZE or
 * more (the number, at most INT_MAX, in *bad_cpu when not NULL).
 */
int rxq_parse_cpulist(const char *s, cpu_set_t *set, int *bad_cpu);

/**
 * @brief Checks that every CPU of @p set exists and is online (sysfs under @p sysroot, NULL for
 * "/"). @return 0, or -ENODEV with the first CPU that is not in *bad_cpu when not NULL.
 */
int rxq_cpus_online(const cpu_set_t *set, const char *sysroot, int *bad_cpu);

/** @brief The CPU at position @p i (counting from 0, wrapping around) of @p set; -1 if empty. */
int rxq_cpus_nth(const cpu_set_t *set, unsigned i);

/** @brief Number of bits of an address of @p family (32 or 128). */
static inline unsigned rxq_addr_bits(uint8_t family)
{
	return family == AF_INET6 ? 128 : 32;
}

/** @brief True if @p a lies within @p prefix / @p plen (same family). */
bool rxq_addr_in_prefix(const struct rxq_addr *a, const struct rxq_addr *prefix, unsigned plen);

/** @brief Adds @p n to an address (wrapping), as for sequential address ranges. */
void rxq_addr_add(struct rxq_addr *a, uint64_t n);

/** @brief Formats an address into @p buf (INET6_ADDRSTRLEN bytes suffice). */
const char *rxq_addr_str(const struct rxq_addr *a, char *buf, size_t len);

#endif
