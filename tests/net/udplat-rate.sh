#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Open loop (--rate) keeps its schedule whatever the echoes do, and counts the wait from the
# scheduled time: against a peer that delays every echo by 20 ms, and through a server that stops
# for half a second, the send rate holds and the stall shows up in the latencies.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq python3

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)
PEER=$(dirname "${BASH_SOURCE[0]}")/udplat-peer.py

tb_up 1
port_up() { tb_dut ss -Hlun "sport = :$1" | grep -q .; }
tb_bg dut python3 "$PEER" 4402 delay 20 >/dev/null
tb_bg dut "$SERVER" --listen=:4321 >/dev/null 2>&1
server_pid=${TB_PIDS[-1]}
tb_wait_for 5 port_up 4402 && tb_wait_for 5 port_up 4321 || tb_fail "servers did not start"

summary() { jq -c 'select(.type == "summary")' "$1" | tail -n1; }

# ---- every echo 20 ms late --------------------------------------------------------------------
for target in 198.18.0.2:4402 '[fd00::2]:4402'; do
	tb_gen "$CLIENT" --json --rate=500 --duration=2 --interval=500ms "$target" \
		>"$TB_TMP/c.json" 2>"$TB_TMP/c.err" || tb_fail "client failed: $(cat "$TB_TMP/c.err")"
	s=$(summary "$TB_TMP/c.json")
	tb_assert_within "$(jq .sent <<<"$s")" 1000 3 "$target: probes sent in 2 s at 500/s with 20 ms echoes"
	jq -e '.lost == 0 and .replies == .sent and .min_us >= 20000 and .p50_us >= 20000 and
		.p50_us < 100000' <<<"$s" >/dev/null || tb_fail "$target delayed: $s"
	tb_pass "$target: every echo 20 ms late, p50 $(jq .p50_us <<<"$s") us"
	# Each full period kept the rate too (the first and last may be partial).
	jq -e -s '[.[] | select(.type == "report" and .seconds > 0.45 and .seconds < 0.55) |
		.sent] | length >= 3 and all(. >= 237 and . <= 263)' "$TB_TMP/c.json" >/dev/null ||
		tb_fail "$target: a period did not keep 250 probes per 0.5 s: $(jq -c -s '[.[] | {seconds, sent}]' "$TB_TMP/c.json")"
	tb_pass "$target: each 0.5 s period sent 250 +- 5%"
done

# The closed loop, for contrast, can only go as fast as the echoes come back.
tb_gen "$CLIENT" --json --duration=1 198.18.0.2:4402 >"$TB_TMP/c.json" || tb_fail "closed loop failed"
s=$(summary "$TB_TMP/c.json")
jq -e '.pps < 55 and .pps > 20' <<<"$s" >/dev/null || tb_fail "closed loop against 20 ms echoes: $s"
tb_pass "closed loop is held to $(jq .pps <<<"$s") round trips/s by 20 ms echoes"

# ---- the server stops for 0.3 s mid-run ---------------------------------------------------------
# (150 probes wait in its socket buffer meanwhile: the default buffer holds them.)
tb_spawn gen "$TB_TMP/c.json" "$TB_TMP/c.err" "$CLIENT" --json --rate=500 --duration=3 \
	--interval=500ms 198.18.0.2:4321
cpid=$TB_LAST_PID
sleep 1.2
kill -STOP "$server_pid"
sleep 0.3
kill -CONT "$server_pid"
wait "$cpid" || tb_fail "client failed across the stall: $(cat "$TB_TMP/c.err")"
s=$(summary "$TB_TMP/c.json")
tb_assert_within "$(jq .sent <<<"$s")" 1500 3 "probes sent in 3 s at 500/s across a 0.3 s stall"
jq -e '.lost == 0 and .max_us >= 250000 and .p99_us >= 100000' <<<"$s" >/dev/null ||
	tb_fail "the stall does not show in the latencies (coordinated omission?): $s"
tb_pass "stall measured from the schedule: max $(jq .max_us <<<"$s") us, p99 $(jq .p99_us <<<"$s") us"
