// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel text parsers of rxq_nic on arbitrary bytes: /proc/interrupts, softnet_stat, CPU
 * lists and masks. The first byte picks the parser. Properties: totals are the sums of the
 * per-CPU counts; softnet has 10+ columns and CPUs in range; a parsed CPU list or mask formats
 * to a string that parses back to the same set.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/nic.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rxq_softnet sn;
	struct rxq_interrupts in;
	cpu_set_t set, back, online;
	char text[4096], out[8192];
	unsigned i, c;

	if (!size)
		return 0;
	switch (data[0] % 4) {
	case 0:
		if (!rxq_interrupts__parse(&in, (const char *)data + 1, size - 1)) {
			check(in.ncols > 0);
			for (i = 0; i < in.nlines; i++) {
				uint64_t sum = 0;

				for (c = 0; c < in.ncols; c++)
					sum += in.lines[i].count[c];
				check(sum == in.lines[i].total);
				check(strlen(in.lines[i].name) < RXQ_NIC_IRQ_NAME);
				check(rxq_interrupts__find(&in, in.lines[i].irq) != NULL);
			}
			rxq_interrupts__free(&in);
		}
		break;
	case 1:
		CPU_ZERO(&online);
		for (i = 0; i < 64; i++)
			if (size > 1 && (data[1] >> (i % 8)) & 1)
				CPU_SET(i, &online);
		if (!rxq_softnet__parse(&sn, (const char *)data + 1, size - 1, &online)) {
			check(sn.columns >= 10 && sn.ncpu > 0 && sn.ncpu <= RXQ_SOFTNET_CPUS);
			for (i = 0; i < sn.ncpu; i++)
				check(sn.cpu[i].cpu >= 0 && sn.cpu[i].cpu < RXQ_CPUS_MAX);
		}
		break;
	case 2:
	case 3:
		if (size - 1 >= sizeof(text))
			return 0;
		memcpy(text, data + 1, size - 1);
		text[size - 1] = '\0';
		if (data[0] % 4 == 2) {
			if (rxq_cpulist__parse(text, &set))
				return 0;
			if (rxq_cpulist__format(&set, out, sizeof(out)))
				return 0;
			check(!rxq_cpulist__parse(out, &back));
		} else {
			if (rxq_cpumask__parse(text, &set))
				return 0;
			check(!rxq_cpumask__format(&set, RXQ_CPUS_MAX, out, sizeof(out)));
			check(!rxq_cpumask__parse(out, &back));
		}
		check(CPU_EQUAL(&set, &back));
		break;
	}
	return 0;
}
