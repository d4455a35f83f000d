#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The latency pair over a real NIC (igb, QEMU's 82576) in a VM-lane guest: rxq-udpserver in the
# peer namespace, rxq-udpclient on rxqigb0. The receive IRQs of rxqigb0 are pinned by rxq-nic (irq
# --spread --cpus C), and --incoming-cpu must then report C for every echo: the CPU that ran the
# queue's interrupt and NAPI (the kernel's SO_INCOMING_CPU), read against /proc/interrupts.
source "$RXQ_TREE/tests/vm/guestlib.sh"
NIC=$(tb_bin rxq-nic)
SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)
vm_link_up

ip netns exec peer "$SERVER" --listen=198.18.1.2:4321 >"$TB_TMP/server.out" 2>&1 &
TB_PIDS+=($!)
tb_wait_for 20 sh -c "ip netns exec peer ss -Hlun 'sport = :4321' | grep -q ." ||
	tb_fail "rxq-udpserver did not start: $(cat "$TB_TMP/server.out")"

# rx_irq_counts: the sum of every rxqigb0-rx-N vector's interrupts on each CPU, "C0 C1".
rx_irq_counts() {
	awk -v pre="$IF-rx-" 'index($NF, pre) == 1 { a += $2; b += $3 } END { print a + 0, b + 0 }' /proc/interrupts
}

for cpu in 1 0; do
	"$NIC" irq "$IF" --spread --cpus "$cpu" >"$TB_TMP/irq.out" 2>&1 || tb_fail "irq --spread --cpus $cpu: $(cat "$TB_TMP/irq.out")"
	# x86 moves an MSI vector lazily, at its next interrupt on the old CPU: a few probes first.
	"$CLIENT" --count 20 --rate 100 198.18.1.2:4321 >/dev/null 2>&1
	before=$(rx_irq_counts)
	# The client runs on the other CPU, so the echo's CPU is the IRQ's, not the reader's.
	"$CLIENT" --json --incoming-cpu --warmup=0 --count 200 --rate 200 --cpu $((1 - cpu)) 198.18.1.2:4321 \
		>"$TB_TMP/client.$cpu.json" 2>"$TB_TMP/client.$cpu.err" ||
		tb_fail "rxq-udpclient failed: $(cat "$TB_TMP/client.$cpu.err")"
	read -r c0 c1 <<<"$(paste -d' ' <(echo "$before") <(rx_irq_counts) | awk '{ print $3 - $1, $4 - $2 }')"
	on_cpu=$([ "$cpu" = 0 ] && echo "$c0" || echo "$c1")
	off_cpu=$([ "$cpu" = 0 ] && echo "$c1" || echo "$c0")
	# An interrupt already in flight when the vector moved can still land on the old CPU.
	[ "$on_cpu" -gt 0 ] && [ "$off_cpu" -le 2 ] ||
		tb_fail "the receive interrupts did not follow the pin to CPU $cpu: $c0 on CPU 0, $c1 on CPU 1"
	tb_pass "/proc/interrupts: rxqigb0's receive interrupts ran on CPU $cpu ($on_cpu, $off_cpu elsewhere)"
	sum=$(jq -c 'select(.type == "summary")' "$TB_TMP/client.$cpu.json" | tail -n1)
	[ -n "$sum" ] || tb_fail "rxq-udpclient printed no summary: $(cat "$TB_TMP/client.$cpu.json")"
	[ "$(jq -r .replies <<<"$sum")" -ge 190 ] ||
		tb_fail "too few echoes: $(jq -r .replies <<<"$sum") of 200"
	tb_assert_eq "$(jq -r .incoming_cpu <<<"$sum")" "$cpu" "--incoming-cpu reports the pinned IRQ's CPU"
	cpus=$(jq -r 'select(.type == "report") | .incoming_cpu // empty' "$TB_TMP/client.$cpu.json" | sort -u | tr '\n' ' ')
	tb_assert_eq "$cpus" "$cpu " "every report line says CPU $cpu"
done
