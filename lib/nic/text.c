// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Parsers of the kernel's text files: /proc/interrupts, /proc/net/softnet_stat and CPU lists and
 * masks. They take a buffer, not a path, so the fuzzers and the tests feed them directly.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/nic.h"

/* The next line of [*p, end) without its newline; false at the end. */
static bool next_line(const char **p, const char *end, const char **line, size_t *len)
{
	const char *nl;

	if (*p >= end)
		return false;
	*line = *p;
	nl = memchr(*p, '\n', (size_t)(end - *p));
	*len = (size_t)((nl ? nl : end) - *p);
	*p = nl ? nl + 1 : end;
	return true;
}

static const char *skip_space(const char *s, const char *end)
{
	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

/* A decimal number at s (no sign); false if none or it overflows. */
static bool take_u64(const char **s, const char *end, int base, uint64_t *out)
{
	const char *p = *s;
	uint64_t v = 0;
	int d;

	if (p >= end)
		return false;
	for (; p < end; p++) {
		if (*p >= '0' && *p <= '9')
			d = *p - '0';
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			d = *p - 'a' + 10;
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			d = *p - 'A' + 10;
		else
			break;
		if (v > (UINT64_MAX - (uint64_t)d) / (uint64_t)base)
			return false;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	if (p == *s)
		return false;
	*s = p;
	*out = v;
	return true;
}

void rxq_interrupts__free(struct rxq_interrupts *in)
{
	unsigned i;

	if (!in)
		return;
	for (i = 0; i < in->nlines; i++)
		free(in->lines[i].count);
	free(in->lines);
	free(in->cpu);
	memset(in, 0, sizeof(*in));
}

/*
 * The action names are the last words of the line: "IR-PCI-MSI 524288-edge eth3-TxRx-0", or
 * with shared IRQs "... acpi, foo". The first action's name is the word after which every
 * further word ends the previous one with a comma.
 */
static void irq_name(const char *s, const char *end, char *name, size_t len)
{
	const char *w[64];
	size_t wl[64];
	unsigned n = 0, first;

	while (s < end && n < 64) {
		s = skip_space(s, end);
		if (s >= end)
			break;
		w[n] = s;
		while (s < end && *s != ' ' && *s != '\t')
			s++;
		wl[n] = (size_t)(s - w[n]);
		n++;
	}
	name[0] = '\0';
	if (!n)
		return;
	first = n - 1;
	while (first > 0 && w[first - 1][wl[first - 1] - 1] == ',')
		first--;
	{
		size_t l = wl[first];

		if (l && w[first][l - 1] == ',')
			l--;
		if (l >= len)
			l = len - 1;
		memcpy(name, w[first], l);
		name[l] = '\0';
	}
}

int rxq_interrupts__parse(struct rxq_interrupts *out, const char *text, size_t len)
{
	const char *p = text, *end = text + len, *line, *s, *le;
	unsigned cap = 0;
	size_t ll;
	int err = -EINVAL;

	memset(out, 0, sizeof(*out));
	/* Header: one "CPUn" per online CPU, in order. */
	if (!next_line(&p, end, &line, &ll))
		return -EINVAL;
	s = line;
	le = line + ll;
	for (;;) {
		uint64_t cpu;
		int *grown;

		s = skip_space(s, le);
		if (s >= le)
			break;
		if (le - s < 4 || memcmp(s, "CPU", 3))
			goto fail;
		s += 3;
		if (!take_u64(&s, le, 10, &cpu) || cpu >= RXQ_CPUS_MAX)
			goto fail;
		grown = realloc(out->cpu, (out->ncols + 1) * sizeof(*out->cpu));
		if (!grown) {
			err = -ENOMEM;
			goto fail;
		}
		out->cpu = grown;
		out->cpu[out->ncols++] = (int)cpu;
	}
	if (!out->ncols)
		goto fail;

	while (next_line(&p, end, &line, &ll)) {
		struct rxq_irq_line *l;
		uint64_t irq;
		unsigned c;

		s = skip_space(line, line + ll);
		le = line + ll;
		/* Only numbered IRQs: NMI, LOC, ERR ... are not a device's. */
		if (!take_u64(&s, le, 10, &irq) || s >= le || *s != ':' || irq > UINT32_MAX)
			continue;
		s++;
		if (out->nlines == cap) {
			struct rxq_irq_line *grown;

			cap = cap ? cap * 2 : 64;
			grown = realloc(out->lines, cap * sizeof(*grown));
			if (!grown) {
				err = -ENOMEM;
				goto fail;
			}
			out->lines = grown;
		}
		l = &out->lines[out->nlines];
		memset(l, 0, sizeof(*l));
		l->irq = (unsigned)irq;
		l->count = calloc(out->ncols, sizeof(*l->count));
		if (!l->count) {
			err = -ENOMEM;
			goto fail;
		}
		out->nlines++;
		/* Counts; a line may have fewer (e.g. an IRQ that never fired on a hotplugged CPU). */
		for (c = 0; c < out->ncols; c++) {
			const char *q = skip_space(s, le);
			uint64_t v;

			if (!take_u64(&q, le, 10, &v) || (q < le && *q != ' ' && *q != '\t'))
				break;
			l->count[c] = v;
			l->total += v;
			s = q;
		}
		irq_name(s, le, l->name, sizeof(l->name));
	}
	return 0;
fail:
	rxq_interrupts__free(out);
	return err;
}

const struct rxq_irq_line *rxq_interrupts__find(const struct rxq_interrupts *in, unsigned irq)
{
	unsigned i;

	for (i = 0; i < in->nlines; i++)
		if (in->lines[i].irq == irq)
			return &in->lines[i];
	return NULL;
}

/*
 * softnet_stat columns (all hex), by kernel version:
 *   10: processed dropped time_squeeze 0 0 0 0 0 cpu_collision received_rps
 *   11: ... + flow_limit_count                                  (3.11)
 *   13: ... + backlog length, CPU number                        (5.10)
 *   15: ... + input_qlen, process_qlen                          (6.x)
 * Offline CPUs have no line, so without the CPU column the line number is not the CPU.
 */
int rxq_softnet__parse(struct rxq_softnet *out, const char *text, size_t len,
		       const cpu_set_t *online)
{
	const char *p = text, *end = text + len, *line;
	int next_online = -1;
	size_t ll;

	memset(out, 0, sizeof(*out));
	while (next_line(&p, end, &line, &ll)) {
		const char *s = line, *le = line + ll;
		uint64_t col[32];
		unsigned n = 0;
		struct rxq_softnet_cpu *c;

		for (;;) {
			s = skip_space(s, le);
			if (s >= le)
				break;
			if (n == 32 || !take_u64(&s, le, 16, &col[n]))
				return -EINVAL;
			if (s < le && *s != ' ' && *s != '\t')
				return -EINVAL;
			n++;
		}
		if (!n)
			continue;
		if (n < 10)
			return -EINVAL;
		if (out->columns && n != out->columns)
			return -EINVAL;
		out->columns = n;
		if (out->ncpu == RXQ_SOFTNET_CPUS)
			return -EINVAL;
		c = &out->cpu[out->ncpu];
		c->processed = col[0];
		c->dropped = col[1];
		c->time_squeeze = col[2];
		c->received_rps = col[9];
		c->flow_limit = n >= 11 ? col[10] : 0;
		c->backlog = n >= 12 ? col[11] : 0;
		if (n >= 13) {
			if (col[12] >= RXQ_CPUS_MAX)
				return -EINVAL;
			c->cpu = (int)col[12];
			out->cpu_column = true;
		} else {
			do
				next_online++;
			while (online && next_online < RXQ_CPUS_MAX &&
			       !CPU_ISSET(next_online, online));
			if (next_online >= RXQ_CPUS_MAX)
				return -EINVAL;
			c->cpu = next_online;
		}
		out->ncpu++;
	}
	if (!out->ncpu)
		return -EINVAL;
	return 0;
}

int rxq_cpulist__format(const cpu_set_t *set, char *buf, size_t len)
{
	size_t used = 0;
	int c = 0, n;

	if (!len)
		return -ENOSPC;
	buf[0] = '\0';
	while (c < RXQ_CPUS_MAX) {
		int lo;

		if (!CPU_ISSET(c, set)) {
			c++;
			continue;
		}
		lo = c;
		while (c + 1 < RXQ_CPUS_MAX && CPU_ISSET(c + 1, set))
			c++;
		if (lo == c)
			n = snprintf(buf + used, len - used, "%s%d", used ? "," : "", lo);
		else
			n = snprintf(buf + used, len - used, "%s%d-%d", used ? "," : "", lo, c);
		if (n < 0 || (size_t)n >= len - used)
			return -ENOSPC;
		used += (size_t)n;
		c++;
	}
	return 0;
}

int rxq_cpulist__parse(const char *s, cpu_set_t *set)
{
	char buf[4096];
	size_t len;

	CPU_ZERO(set);
	if (!s)
		return -EINVAL;
	len = strlen(s);
	while (len && (s[len - 1] == '\n' || s[len - 1] == ' '))
		len--;
	if (!len)
		return 0; /* an empty list is an empty set ("" in effective_affinity_list) */
	if (len >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, len);
	buf[len] = '\0';
	/* the one cpulist parser; a CPU past the set is a malformed file here */
	return rxq_parse_cpulist(buf, set, NULL) ? -EINVAL : 0;
}

int rxq_cpumask__format(const cpu_set_t *set, unsigned nbits, char *buf, size_t len)
{
	unsigned digits, i;
	size_t used = 0;

	if (!nbits || nbits > RXQ_CPUS_MAX)
		return -EINVAL;
	digits = (nbits + 3) / 4;
	for (i = digits; i-- > 0;) {
		unsigned nib = 0, b;

		for (b = 0; b < 4; b++)
			if (i * 4 + b < RXQ_CPUS_MAX && CPU_ISSET(i * 4 + b, set))
				nib |= 1u << b;
		if (used + 3 > len)
			return -ENOSPC;
		buf[used++] = "0123456789abcdef"[nib];
		if (i && i % 8 == 0)
			buf[used++] = ',';
	}
	buf[used] = '\0';
	return 0;
}

int rxq_cpumask__parse(const char *s, cpu_set_t *set)
{
	size_t n;
	unsigned bit = 0;

	CPU_ZERO(set);
	if (!s)
		return -EINVAL;
	n = strlen(s);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' '))
		n--;
	if (!n)
		return -EINVAL;
	while (n--) {
		char ch = s[n];
		unsigned v, b;

		if (ch == ',')
			continue;
		if (ch >= '0' && ch <= '9')
			v = (unsigned)(ch - '0');
		else if (ch >= 'a' && ch <= 'f')
			v = (unsigned)(ch - 'a' + 10);
		else if (ch >= 'A' && ch <= 'F')
			v = (unsigned)(ch - 'A' + 10);
		else
			return -EINVAL;
		for (b = 0; b < 4; b++, bit++)
			if (v & (1u << b)) {
				if (bit >= RXQ_CPUS_MAX)
					return -EINVAL;
				CPU_SET(bit, set);
			}
	}
	return 0;
}
