// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/* The text parsers of rxq_nic: /proc/interrupts, softnet_stat, CPU lists/masks, IRQ names. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "rxq/nic.h"
#include "nic/nic_internal.h"

static char *slurp(const char *rel, size_t *len)
{
	const char *dir = getenv("RXQ_FIXTURES");
	char path[1024];
	FILE *f;
	char *buf = malloc(1 << 20);

	assert_non_null(dir);
	assert_non_null(buf);
	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open %s", path);
	*len = fread(buf, 1, (1 << 20) - 1, f);
	buf[*len] = '\0';
	fclose(f);
	return buf;
}

static void test_interrupts_ixgbe(void **state)
{
	struct rxq_interrupts in;
	const struct rxq_irq_line *l;
	size_t len;
	char *text = slurp("nic-ixgbe/proc/interrupts", &len);

	(void)state;
	assert_int_equal(rxq_interrupts__parse(&in, text, len), 0);
	/* CPU2 is offline: no column for it. */
	assert_int_equal(in.ncols, 3);
	assert_int_equal(in.cpu[0], 0);
	assert_int_equal(in.cpu[1], 1);
	assert_int_equal(in.cpu[2], 3);
	l = rxq_interrupts__find(&in, 46);
	assert_non_null(l);
	assert_string_equal(l->name, "eth3-TxRx-1");
	assert_int_equal(l->count[0], 2000);
	assert_int_equal(l->count[2], 3);
	assert_int_equal(l->total, 2013);
	l = rxq_interrupts__find(&in, 9);
	assert_non_null(l);
	assert_string_equal(l->name, "acpi");
	/* NMI, LOC, ERR are not numbered IRQs. */
	assert_null(rxq_interrupts__find(&in, 0xffffffffu));
	rxq_interrupts__free(&in);
	free(text);
}

static void test_interrupts_shapes(void **state)
{
	static const char shared[] =
		"           CPU0       CPU1\n"
		"  16:          3          4   IO-APIC  16-fasteoi   ehci, eth5\n"
		"  17:          1\n"
		" 120:          0          7   PCI-MSIX-0000:00:03.0   1-edge      "
		"virtio2-input.0\n"
		" LOC:      30611      30209   Local timer interrupts\n";
	struct rxq_interrupts in;
	const struct rxq_irq_line *l;

	(void)state;
	assert_int_equal(rxq_interrupts__parse(&in, shared, sizeof(shared) - 1), 0);
	assert_int_equal(in.nlines, 3);
	l = rxq_interrupts__find(&in, 16);
	assert_string_equal(l->name, "ehci");
	assert_int_equal(l->total, 7);
	l = rxq_interrupts__find(&in, 17);
	assert_int_equal(l->total, 1);
	assert_string_equal(l->name, "");
	l = rxq_interrupts__find(&in, 120);
	assert_string_equal(l->name, "virtio2-input.0");
	rxq_interrupts__free(&in);

	assert_int_equal(rxq_interrupts__parse(&in, "garbage\n", 8), -EINVAL);
	assert_int_equal(rxq_interrupts__parse(&in, "", 0), -EINVAL);
	assert_int_equal(rxq_interrupts__parse(&in, "   CPU0 CPUx\n", 13), -EINVAL);
}

/* Four kernel generations of softnet_stat, CPU 2 offline: the CPU is never the line number. */
static void test_softnet_columns(void **state)
{
	static const unsigned cols[] = { 10, 11, 13, 15 };
	cpu_set_t online;
	unsigned i;

	(void)state;
	CPU_ZERO(&online);
	CPU_SET(0, &online);
	CPU_SET(1, &online);
	CPU_SET(3, &online);
	for (i = 0; i < 4; i++) {
		struct rxq_softnet *sn = malloc(sizeof(*sn));
		char rel[64];
		size_t len;
		char *text;

		snprintf(rel, sizeof(rel), "softnet/softnet_stat.%u", cols[i]);
		text = slurp(rel, &len);
		assert_int_equal(rxq_softnet__parse(sn, text, len, &online), 0);
		assert_int_equal(sn->columns, cols[i]);
		assert_int_equal(sn->ncpu, 3);
		assert_int_equal(sn->cpu_column, cols[i] >= 13);
		assert_int_equal(sn->cpu[2].cpu, 3);
		assert_int_equal(sn->cpu[1].cpu, 1);
		assert_int_equal(sn->cpu[2].processed, 0x3000 + cols[i]);
		assert_int_equal(sn->cpu[2].dropped, 0x30);
		assert_int_equal(sn->cpu[2].time_squeeze, 9);
		assert_int_equal(sn->cpu[2].received_rps, 0x60);
		assert_int_equal(sn->cpu[2].flow_limit, cols[i] >= 11 ? 15 : 0);
		free(text);
		free(sn);
	}
}

static void test_softnet_bad(void **state)
{
	struct rxq_softnet *sn = malloc(sizeof(*sn));
	static const char short_line[] = "00000001 00000002 00000003\n";
	static const char mixed[] = "0 0 0 0 0 0 0 0 0 0 0\n0 0 0 0 0 0 0 0 0 0\n";
	static const char bad_hex[] = "0 0 0 0 0 0 0 0 0 zz\n";
	/* 13 columns: the CPU comes from column 13, even with no online set. */
	static const char with_cpu[] = "1 0 0 0 0 0 0 0 0 0 0 0 7\n";

	(void)state;
	assert_int_equal(rxq_softnet__parse(sn, short_line, sizeof(short_line) - 1, NULL), -EINVAL);
	assert_int_equal(rxq_softnet__parse(sn, mixed, sizeof(mixed) - 1, NULL), -EINVAL);
	assert_int_equal(rxq_softnet__parse(sn, bad_hex, sizeof(bad_hex) - 1, NULL), -EINVAL);
	assert_int_equal(rxq_softnet__parse(sn, "", 0, NULL), -EINVAL);
	assert_int_equal(rxq_softnet__parse(sn, with_cpu, sizeof(with_cpu) - 1, NULL), 0);
	assert_int_equal(sn->cpu[0].cpu, 7);
	free(sn);
}

static void test_cpumask(void **state)
{
	cpu_set_t s, t;
	char buf[512];

	(void)state;
	CPU_ZERO(&s);
	CPU_SET(0, &s);
	CPU_SET(3, &s);
	assert_int_equal(rxq_cpumask__format(&s, 4, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "9");
	assert_int_equal(rxq_cpumask__format(&s, 8, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "09");
	CPU_SET(35, &s);
	assert_int_equal(rxq_cpumask__format(&s, 40, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "08,00000009");
	assert_int_equal(rxq_cpumask__parse("08,00000009\n", &t), 0);
	assert_true(CPU_EQUAL(&s, &t));
	assert_int_equal(rxq_cpumask__parse("0", &t), 0);
	assert_int_equal(CPU_COUNT(&t), 0);
	assert_int_equal(rxq_cpumask__parse("xyz", &t), -EINVAL);
	assert_int_equal(rxq_cpumask__parse("", &t), -EINVAL);

	assert_int_equal(rxq_cpulist__parse("0-1,3\n", &t), 0);
	assert_int_equal(CPU_COUNT(&t), 3);
	assert_int_equal(rxq_cpulist__format(&t, buf, sizeof(buf)), 0);
	assert_string_equal(buf, "0-1,3");
	assert_int_equal(rxq_cpulist__parse("3-1", &t), -EINVAL);
	assert_int_equal(rxq_cpulist__parse("1,,2", &t), -EINVAL);
	assert_int_equal(rxq_cpulist__format(&s, buf, 3), -ENOSPC);
}

static void test_irq_names(void **state)
{
	(void)state;
	/* The trap: eth1 must never match eth10's vectors, nor veth1's. */
	assert_true(nic_irq_name_matches("eth1-TxRx-0", "eth1"));
	assert_true(nic_irq_name_matches("eth1", "eth1"));
	assert_true(nic_irq_name_matches("i40e-eth1-TxRx-3", "eth1"));
	assert_false(nic_irq_name_matches("eth10-TxRx-0", "eth1"));
	assert_false(nic_irq_name_matches("eth10", "eth1"));
	assert_false(nic_irq_name_matches("veth1-rx-0", "eth1"));
	assert_true(nic_irq_name_matches("eth10-TxRx-0", "eth10"));
	assert_false(nic_irq_name_matches("mlx5_comp0@pci:0000:3b:00.0", "ens1f0np0"));

	assert_int_equal(nic_irq_queue_of_name("eth3-TxRx-5"), 5);
	assert_int_equal(nic_irq_queue_of_name("eth3-rx-2"), 2);
	assert_int_equal(nic_irq_queue_of_name("eth3-tx-2"), -1);
	assert_int_equal(nic_irq_queue_of_name("eth3"), -1);
	assert_int_equal(nic_irq_queue_of_name("mlx5_comp7@pci:0000:3b:00.0"), 7);
	assert_int_equal(nic_irq_queue_of_name("mlx5_async0@pci:0000:3b:00.0"), -1);
	assert_int_equal(nic_irq_queue_of_name("virtio2-input.3"), 3);
	assert_int_equal(nic_irq_queue_of_name("virtio2-output.3"), -1);
	assert_int_equal(nic_irq_queue_of_name("virtio2-config"), -1);
	assert_int_equal(nic_irq_queue_of_name("ice-eth0-TxRx-12"), 12);
	/* Words, not substrings: an interface name with "rx" or "link" in it changes nothing. */
	assert_int_equal(nic_irq_queue_of_name("rxqigb0-tx-1"), -1);
	assert_int_equal(nic_irq_queue_of_name("rxqigb0-rx-1"), 1);
	assert_int_equal(nic_irq_queue_of_name("uplink1-rx-3"), 3);
	assert_int_equal(nic_irq_tx_queue_of_name("rxqigb0-tx-1"), 1);
	assert_int_equal(nic_irq_tx_queue_of_name("eth3-tx-2"), 2);
	assert_int_equal(nic_irq_tx_queue_of_name("virtio2-output.3"), 3);
	assert_int_equal(nic_irq_tx_queue_of_name("eth3-TxRx-5"), -1);
	assert_int_equal(nic_irq_tx_queue_of_name("eth3-rx-2"), -1);
	assert_int_equal(nic_irq_tx_queue_of_name("eth3"), -1);
	assert_int_equal(nic_irq_queue_of_name("timer"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_interrupts_ixgbe), cmocka_unit_test(test_interrupts_shapes),
		cmocka_unit_test(test_softnet_columns),	 cmocka_unit_test(test_softnet_bad),
		cmocka_unit_test(test_cpumask),		 cmocka_unit_test(test_irq_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
