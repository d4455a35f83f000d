#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpserver --xdp on several queues: one AF_XDP socket and one pinned thread per queue. On veth
# the receive queue is the sending side's transmit queue, and with XPS that is chosen by the CPU
# the sender runs on: two client threads pinned to CPUs 0 and 1 fill dut0's queues 0 and 1. Every
# probe must be answered, each queue's thread must have answered its share, and the per-queue
# counts must add up to the total and to what the clients sent.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq nproc

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)
[ "$(nproc)" -ge 2 ] || tb_skip "needs 2 CPUs to send on two queues (XPS by CPU)"

tb_up 2

# ---- bad input: nothing may stay attached ------------------------------------------------------
s() { tb_dut "$SERVER" --duration=1 "$@"; }
tb_expect_exit 2 "--cpu gives 1 CPU for 2 queues of --xdp=dut0: give one per queue" \
	s --xdp=dut0 --cpu=0
tb_expect_exit 2 "dut0 has 2 .*queue 2 does not exist \(use 0-1\)" s --xdp=dut0~0-2
tb_expect_exit 2 "queue 1 given twice" s --xdp=dut0~1,1
[ -z "$(tb_xdp_attached dut "$TB_DUT_IF")" ] || tb_fail "an XDP program stayed attached after bad input"

# gen0's transmit queue i is used by CPU i only.
tb_gen sh -c "echo 1 > /sys/class/net/$TB_GEN_IF/queues/tx-0/xps_cpus &&
	echo 2 > /sys/class/net/$TB_GEN_IF/queues/tx-1/xps_cpus" ||
	tb_fail "cannot set XPS on $TB_GEN_IF"

summary() { jq -c 'select(.type == "summary")' "$1" | tail -n1; }
# last_echoed FILE QUEUE: the echoed count of QUEUE's thread in its last report.
last_echoed() { jq -s "[.[] | select(.type == \"report\" and .queue == $2)] | last | .echoed // 0" "$1"; }
last_total() { jq -s '[.[] | select(.type == "total")] | last | .echoed // 0' "$1"; }

# run SPEC ARGS...: the server on SPEC, 1000 probes from each of two client threads (IPv4 on CPU 0,
# IPv6 on CPU 1), then the server's account of them.
run() {
	local spec=$1 name=${1//[^a-z0-9]/_} pid s q0 q1 total expected=2000
	shift
	tb_spawn dut "$TB_TMP/$name.json" "$TB_TMP/$name.err" "$SERVER" --listen=:4321 \
		--xdp="$spec" --json --interval=200ms "$@"
	pid=$TB_LAST_PID
	tb_wait_for 10 grep -q "echoing UDP port 4321 on dut0 queues 0,1" "$TB_TMP/$name.err" ||
		tb_fail "--xdp=$spec did not start: $(cat "$TB_TMP/$name.err")"
	tb_gen "$CLIENT" --json --count=1000 --timeout=500ms --cpu=0,1 \
		198.18.0.2:4321 '[fd00::2]:4321' >"$TB_TMP/c.json" 2>"$TB_TMP/c.err" ||
		tb_fail "--xdp=$spec: client failed: $(cat "$TB_TMP/c.err")"
	jq -e -s '[.[] | select(.type == "summary") | select(.replies == 1000 and .lost == 0 and
		.dup == 0)] | length == 2' "$TB_TMP/c.json" >/dev/null ||
		tb_fail "--xdp=$spec: not every probe answered: $(jq -c 'select(.type == "summary")' "$TB_TMP/c.json")"
	tb_pass "--xdp=$spec: 2 x 1000 probes (IPv4 and IPv6) all answered"
	# The next report after the last echo has every count.
	tb_wait_until 5 '[ "$(last_total "$TB_TMP/$name.json")" -ge $expected ]' ||
		tb_fail "--xdp=$spec: reports never reached $expected echoes: $(tail -n3 "$TB_TMP/$name.json")"
	q0=$(last_echoed "$TB_TMP/$name.json" 0)
	q1=$(last_echoed "$TB_TMP/$name.json" 1)
	total=$(last_total "$TB_TMP/$name.json")
	[ "$q0" -gt 0 ] && [ "$q1" -gt 0 ] ||
		tb_fail "--xdp=$spec: both queues should have echoed: queue 0 $q0, queue 1 $q1"
	tb_assert_eq "$((q0 + q1))" "$total" "--xdp=$spec: queue 0 ($q0) + queue 1 ($q1) = total"
	tb_assert_eq "$total" "$expected" "--xdp=$spec: total echoed = probes sent"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || tb_fail "--xdp=$spec: server exited with an error: $(cat "$TB_TMP/$name.err")"
	s=$(summary "$TB_TMP/$name.json")
	jq -e --argjson n "$expected" '.echoed == $n and .received == $n and .threads == 2 and
		.tx_errors == 0 and .not_echo == 0 and .steered >= $n' <<<"$s" >/dev/null ||
		tb_fail "--xdp=$spec: summary $s"
	tb_pass "--xdp=$spec: summary totals the threads: $s"
	[ -z "$(tb_xdp_attached dut "$TB_DUT_IF")" ] || tb_fail "--xdp=$spec: XDP program left attached"
}

run dut0 --cpu=0,1 # every queue, pinned
run dut0~0,1 # a list, unpinned
run dut0~0-1 --cpu=1,0

# With CPUs pinned, each thread runs where it was told.
tb_spawn dut "$TB_TMP/pin.json" "$TB_TMP/pin.err" "$SERVER" --xdp=dut0 --cpu=1,0 --duration=3
pid=$TB_LAST_PID
tb_wait_for 10 grep -q "echoing UDP port" "$TB_TMP/pin.err" || tb_fail "pinned server did not start"
# tb_spawn's PID is the server's own (ip netns exec execs it): its threads are under /proc/PID/task.
affinity=$(for t in /proc/"$pid"/task/*; do
	[ "$(cat "$t/comm")" = rxq-udpserver ] || continue
	taskset -pc "${t##*/}" | sed 's/.*: //'
done | sort | uniq -c | tr -s ' ' | tr '\n' ';')
wait "$pid" 2>/dev/null || true
tb_log "thread affinities: $affinity"
grep -q "1 0;" <<<"$affinity" && grep -q "1 1;" <<<"$affinity" ||
	tb_fail "--cpu=1,0 should pin one thread to CPU 0 and one to CPU 1: $affinity"
tb_pass "--cpu=1,0 pins one echo thread per CPU"
