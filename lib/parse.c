// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/parse.h"

int rxq_parse_error__set(struct rxq_parse_error *err, unsigned line, unsigned col, const char *fmt,
			 ...)
{
	va_list ap;

	if (err) {
		err->line = line;
		err->col = col;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

int rxq_parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || *s == '-' || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 0);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int rxq_parse_double(const char *s, double min, double max, double *out)
{
	char *end;
	double v;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtod(s, &end);
	if (*end || !isfinite(v))
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int rxq_parse_si(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	char num[64];
	double mult = 1, v;
	size_t len;
	int ret;

	if (!s || !*s)
		return -EINVAL;
	len = strlen(s);
	if (len >= sizeof(num))
		return -EINVAL;
	memcpy(num, s, len + 1);
	switch (num[len - 1]) {
	case 'k':
	case 'K':
		mult = 1e3;
		break;
	case 'M':
		mult = 1e6;
		break;
	case 'G':
		mult = 1e9;
		break;
	}
	if (mult == 1)
		return rxq_parse_u64(s, min, max, out);
	num[len - 1] = '\0';
	ret = rxq_parse_double(num, 0, 1e12, &v);
	if (ret)
		return ret;
	v *= mult;
	if (v != floor(v))
		return -EINVAL;
	if (v < (double)min || v > (double)max)
		return -ERANGE;
	*out = (uint64_t)v;
	return 0;
}

int rxq_parse_duration_ns(const char *s, uint64_t *out_ns)
{
	static const struct {
		const char *suffix;
		double ns;
	} units[] = { { "ns", 1 },  { "us", 1e3 }, { "ms", 1e6 },
		      { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 } };
	char num[64];
	double v, mult = 1e9;
	size_t len, i;
	int ret;

	if (!s || !*s || strlen(s) >= sizeof(num))
		return -EINVAL;
	strcpy(num, s);
	len = strlen(num);
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		size_t sl = strlen(units[i].suffix);

		if (len > sl && !strcmp(num + len - sl, units[i].suffix) &&
		    !isalpha((unsigned char)num[len - sl - 1])) {
			num[len - sl] = '\0';
			mult = units[i].ns;
			break;
		}
	}
	ret = rxq_parse_double(num, 0, 1e12, &v);
	if (ret)
		return ret;
	v *= mult;
	if (v > 1e18)
		return -ERANGE;
	*out_ns = (uint64_t)v;
	return 0;
}

int rxq_parse_addr(const char *s, struct rxq_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &out->v4) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, s, &out->v6) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return -EINVAL;
}

static bool host_bits_zero(const struct rxq_addr *a, unsigned plen)
{
	unsigned bits = rxq_addr_bits(a->family), i;

	for (i = plen; i < bits; i++)
		if (a->b[i / 8] & (0x80 >> (i % 8)))
			return false;
	return true;
}

int rxq_parse_prefix(const char *s, bool allow_host_bits, struct rxq_addr *addr, unsigned *plen)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	uint64_t len;
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	int ret;

	if (alen >= INET6_ADDRSTRLEN)
		return -EINVAL;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	ret = rxq_parse_addr(buf, addr);
	if (ret)
		return ret;
	if (!slash) {
		*plen = rxq_addr_bits(addr->family);
		return 0;
	}
	ret = rxq_parse_u64(slash + 1, 0, rxq_addr_bits(addr->family), &len);
	if (ret)
		return ret;
	if (!allow_host_bits && !host_bits_zero(addr, (unsigned)len))
		return -EINVAL;
	*plen = (unsigned)len;
	return 0;
}

int rxq_parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;
	int i;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
		   &tail) != 6)
		return -EINVAL;
	if (strlen(s) != 17)
		return -EINVAL;
	for (i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

static bool cpu_online(const char *sysroot, int cpu)
{
	char path[512], c = '0';
	FILE *f;

	if (cpu >= CPU_SETSIZE)
		return false;
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu%d", sysroot ? sysroot : "",
		 cpu);
	f = fopen(path, "r");
	if (!f && errno == ENOENT)
		return false;
	if (f)
		fclose(f);
	/* cpu0 often has no "online" file: it cannot be taken offline. */
	snprintf(path, sizeof(path), "%s/sys/devices/system/cpu/cpu%d/online",
		 sysroot ? sysroot : "", cpu);
	f = fopen(path, "r");
	if (!f)
		return true;
	if (fread(&c, 1, 1, f) != 1)
		c = '0';
	fclose(f);
	return c == '1';
}

/* One CPU number at *p; a number past CPU_SETSIZE is kept (clamped) to be named in the message. */
static int take_cpu(const char **p, unsigned long *out)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	*out = strtoul(*p, &end, 10);
	if (errno == ERANGE || *out > INT_MAX)
		*out = INT_MAX;
	*p = end;
	return 0;
}

int rxq_parse_cpulist(const char *s, cpu_set_t *set, int *bad_cpu)
{
	const char *p = s;

	CPU_ZERO(set);
	if (!s || !*s)
		return -EINVAL;
	while (*p) {
		unsigned long lo, hi, c;

		if (take_cpu(&p, &lo))
			return -EINVAL;
		hi = lo;
		if (*p == '-') {
			p++;
			if (take_cpu(&p, &hi))
				return -EINVAL;
		}
		if (*p == ',' && p[1])
			p++;
		else if (*p)
			return -EINVAL;
		if (hi < lo)
			return -EINVAL;
		if (hi >= CPU_SETSIZE) {
			if (bad_cpu)
				*bad_cpu = (int)(lo >= CPU_SETSIZE ? lo : CPU_SETSIZE);
			return -ERANGE;
		}
		for (c = lo; c <= hi; c++)
			CPU_SET(c, set);
	}
	return 0;
}

int rxq_cpus_online(const cpu_set_t *set, const char *sysroot, int *bad_cpu)
{
	int cpu;

	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set) && !cpu_online(sysroot, cpu)) {
			if (bad_cpu)
				*bad_cpu = cpu;
			return -ENODEV;
		}
	return 0;
}

int rxq_cpus_nth(const cpu_set_t *set, unsigned i)
{
	int n = CPU_COUNT(set), cpu;

	if (!n)
		return -1;
	i %= (unsigned)n;
	for (cpu = 0; cpu < CPU_SETSIZE; cpu++)
		if (CPU_ISSET(cpu, set) && i-- == 0)
			return cpu;
	return -1;
}

bool rxq_addr_in_prefix(const struct rxq_addr *a, const struct rxq_addr *prefix, unsigned plen)
{
	unsigned full = plen / 8, rem = plen % 8;

	if (a->family != prefix->family)
		return false;
	if (memcmp(a->b, prefix->b, full))
		return false;
	if (rem) {
		uint8_t mask = (uint8_t)(0xff << (8 - rem));

		return (a->b[full] & mask) == (prefix->b[full] & mask);
	}
	return true;
}

void rxq_addr_add(struct rxq_addr *a, uint64_t n)
{
	int i = a->family == AF_INET6 ? 15 : 3;

	for (; i >= 0 && n; i--) {
		uint64_t v = a->b[i] + (n & 0xff);

		a->b[i] = (uint8_t)v;
		n = (n >> 8) + (v >> 8);
	}
}

const char *rxq_addr_str(const struct rxq_addr *a, char *buf, size_t len)
{
	if (!inet_ntop(a->family == AF_INET6 ? AF_INET6 : AF_INET, a->b, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}
