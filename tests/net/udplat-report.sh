#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpclient's reports and exit status: every --json line names its target, even with one
# target; a target that finished before the others gets its last, partial period's rate over the
# time it really ran (not over the time since the last tick); a target that answered none of its
# probes makes the run fail (exit 1), saying which.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)

tb_up 1
# A black hole: frames for 198.18.0.9 reach dut, which does not have the address and does not
# forward, so they vanish without an ICMP error.
HOLE=198.18.0.9
tb_gen ip neigh replace "$HOLE" lladdr "$TB_DUT_MAC" dev "$TB_GEN_IF" nud permanent
tb_dut sysctl -qw net.ipv4.ip_forward=0

tb_bg dut sh -c 'exec "$@" >/dev/null 2>"$0"' "$TB_TMP/server.err" "$SERVER" --listen=:4321
server_up() { tb_dut ss -Hlun "sport = :4321" | grep -q .; }
tb_wait_for 5 server_up || tb_fail "rxq-udpserver did not start: $(cat "$TB_TMP/server.err")"

# ---- one target: every JSON line says whose it is ----------------------------------------------
tb_gen "$CLIENT" --json --count=300 --interval=100ms 198.18.0.2:4321 >"$TB_TMP/c.json" \
	2>"$TB_TMP/c.err" || tb_fail "client failed: $(cat "$TB_TMP/c.err")"
lines=$(jq -s 'length' "$TB_TMP/c.json")
[ "$lines" -ge 1 ] || tb_fail "no output"
tb_assert_eq "$(jq -s 'map(select(.target == "198.18.0.2:4321")) | length' "$TB_TMP/c.json")" \
	"$lines" "one target: every JSON line has target"
tb_assert_eq "$(jq -s 'map(select(.type == "summary")) | .[0].replies' "$TB_TMP/c.json")" 300 \
	"one target: all 300 probes answered"

# ---- one target, every probe lost: exit 1 and why ----------------------------------------------
tb_expect_exit 1 "$HOLE:4321: no reply to any of the 3 probes" \
	tb_gen "$CLIENT" --json --count=3 --timeout=100ms "$HOLE:4321"

# ---- a target done early, another still running across ticks -----------------------------------
# The answering target is done within milliseconds; the black hole needs 4 x 400 ms, so ticks
# pass while the first one is done and its counts wait for the last, partial report.
rc=0
tb_gen "$CLIENT" --json --count=4 --timeout=400ms --interval=1 198.18.0.2:4321 "$HOLE:4321" \
	>"$TB_TMP/c.json" 2>"$TB_TMP/c.err" || rc=$?
tb_assert_eq "$rc" 1 "two targets, one silent: exit status"
grep -q "$HOLE:4321: no reply to any of the 4 probes" "$TB_TMP/c.err" ||
	tb_fail "the client did not name the silent target: $(cat "$TB_TMP/c.err")"
tb_pass "the silent target is named: $(head -n1 "$TB_TMP/c.err")"
grep -q "198.18.0.2:4321: no reply" "$TB_TMP/c.err" &&
	tb_fail "the answering target was reported as silent: $(cat "$TB_TMP/c.err")"
sel='select(.target == "198.18.0.2:4321")'
last=$(jq -c "$sel | select(.type == \"report\")" "$TB_TMP/c.json" | tail -n1)
sum=$(jq -c "$sel | select(.type == \"summary\")" "$TB_TMP/c.json")
[ -n "$last" ] && [ -n "$sum" ] || tb_fail "missing report or summary: $(cat "$TB_TMP/c.json")"
tb_assert_eq "$(jq .replies <<<"$last")" 4 "the early target's one report holds its 4 replies"
# Its only period is its whole run: the same time, hence the same rate, as its summary.
jq -e --argjson s "$sum" '(.seconds - $s.seconds) | fabs <= 0.001' <<<"$last" >/dev/null ||
	tb_fail "the early target's last report covers $(jq .seconds <<<"$last") s, it ran $(jq .seconds <<<"$sum") s: $last"
tb_pass "last partial period over the real time: $(jq .seconds <<<"$last") s, pps $(jq .pps <<<"$last") (summary pps $(jq .pps <<<"$sum"))"
