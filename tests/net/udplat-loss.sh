#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpclient's accounting when the network misbehaves: every 10th echo dropped (nftables in
# dut) must show as 10% lost; duplicated and reordered echoes (netem) must be counted as such; a
# server killed mid-run must be reported, counted as lost, and survived.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq nft python3

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)

tb_up 1

start_server() {
	local name=$1
	shift
	tb_spawn dut "$TB_TMP/$name.json" "$TB_TMP/$name.err" "$SERVER" "$@"
}
server_up() { tb_dut ss -Hlun "sport = :4321" | grep -q .; }
start_server server --listen=:4321 --json
tb_wait_for 5 server_up || tb_fail "rxq-udpserver did not start: $(cat "$TB_TMP/server.err")"

summary() { jq -c 'select(.type == "summary")' "$1" | tail -n1; }

# ---- every 10th echo dropped ----------------------------------------------------------------------
tb_dut nft -f - <<'EOF'
table inet rxqtest {
	chain out {
		type filter hook output priority 0;
		udp sport 4321 numgen inc mod 10 == 0 counter drop
	}
}
EOF
for target in 198.18.0.2:4321 '[fd00::2]:4321'; do
	for mode in closed open; do
		# every lost echo costs the closed loop a timeout: few probes, a short timeout
		args=(--count=1000 --timeout=50ms)
		[ $mode = open ] && args+=(--rate=3000)
		tb_gen "$CLIENT" --json "${args[@]}" "$target" >"$TB_TMP/c.json" 2>"$TB_TMP/c.err" ||
			tb_fail "client failed: $(cat "$TB_TMP/c.err")"
		s=$(summary "$TB_TMP/c.json")
		sent=$(jq .sent <<<"$s")
		lost=$(jq .lost <<<"$s")
		replies=$(jq .replies <<<"$s")
		tb_assert_eq "$((replies + lost))" "$sent" "$target $mode loop: replies + lost = sent"
		tb_assert_within "$lost" "$((sent / 10))" 10 "$target $mode loop: lost with every 10th echo dropped"
		# The periodic lines say it too.
		jq -e -s '[.[] | select(.type == "report") | .lost] | add > 0' "$TB_TMP/c.json" \
			>/dev/null || tb_fail "no report line shows the losses"
	done
done
dropped=$(tb_dut nft -j list table inet rxqtest | jq '[.nftables[] | .rule? // empty |
	.expr[] | .counter? // empty | .packets] | add')
[ "$dropped" -ge 400 ] || tb_fail "the nftables rule dropped only $dropped echoes (expected 4 x 100)"
tb_dut nft delete table inet rxqtest
tb_pass "nftables dropped $dropped echoes in all"

# ---- duplicated and reordered echoes (a scripted peer: this kernel may lack netem) ---------------
PEER=$(dirname "${BASH_SOURCE[0]}")/udplat-peer.py
peer_up() { tb_dut ss -Hlun "sport = :$1" | grep -q .; }
tb_bg dut python3 "$PEER" 4400 dup >/dev/null
tb_bg dut python3 "$PEER" 4401 reorder >/dev/null
tb_wait_for 5 peer_up 4400 && tb_wait_for 5 peer_up 4401 || tb_fail "the test peer did not start"

tb_gen "$CLIENT" --json --count=500 --timeout=200ms 198.18.0.2:4400 >"$TB_TMP/c.json" ||
	tb_fail "client failed against a duplicating peer"
s=$(summary "$TB_TMP/c.json")
jq -e '.replies == 500 and .lost == 0 and .reordered == 0' <<<"$s" >/dev/null ||
	tb_fail "duplication: $s"
# The duplicate of the last echo may come after the client is done; all others are counted.
tb_assert_within "$(jq .dup <<<"$s")" 500 1 "every echo twice: dup count"

# Open loop against a peer that swaps every pair: one echo in two arrives after a later one.
tb_gen "$CLIENT" --json --rate=1000 --count=2000 --timeout=500ms '[fd00::2]:4401' \
	>"$TB_TMP/c.json" || tb_fail "client failed against a reordering peer"
s=$(summary "$TB_TMP/c.json")
jq -e '.lost == 0 and .dup == 0 and .replies == 2000' <<<"$s" >/dev/null || tb_fail "reordering: $s"
tb_assert_eq "$(jq .reordered <<<"$s")" 1000 "reordered echoes counted"

# ---- the server dies mid-run and comes back -------------------------------------------------------
tb_spawn gen "$TB_TMP/c.json" "$TB_TMP/c.err" "$CLIENT" --json --duration=5 --timeout=100ms \
	198.18.0.2:4321
cpid=$TB_LAST_PID
sleep 1
server_pid=${TB_PIDS[0]}
kill -KILL "$server_pid"
wait "$server_pid" 2>/dev/null || true
# over 2 s down: at least one whole report second without replies, wherever the ticks fall
sleep 2.2
start_server server2 --listen=:4321 --json
tb_wait_for 5 server_up || tb_fail "rxq-udpserver did not restart"
rc=0
wait "$cpid" || rc=$?
tb_assert_eq "$rc" 0 "client exit status after the server died and came back"
grep -q "refuses the probes (ECONNREFUSED" "$TB_TMP/c.err" ||
	tb_fail "the client did not report the refusal: $(cat "$TB_TMP/c.err")"
grep -q "answers again" "$TB_TMP/c.err" || tb_fail "the client did not report the recovery"
tb_pass "refusal and recovery reported: $(tr '\n' ' ' <"$TB_TMP/c.err")"
jq -e -s '[.[] | select(.type == "report")] as $r |
	($r | map(.refused) | add) > 0 and
	($r | map(select(.replies == 0)) | length) >= 1 and
	($r[-2:] | map(.replies) | max) > 100' "$TB_TMP/c.json" >/dev/null ||
	tb_fail "reports do not show outage and recovery: $(cat "$TB_TMP/c.json")"
s=$(summary "$TB_TMP/c.json")
jq -e '.lost > 0 and .refused > 0 and .replies > 0 and .replies + .lost == .sent' <<<"$s" \
	>/dev/null || tb_fail "summary after the outage: $s"
tb_pass "outage survived: $(jq -r '"\(.sent) sent, \(.lost) lost, \(.refused) refused"' <<<"$s")"

# ---- no server at all: probes are refused and lost, the client still ends on time ---------------
start=$(date +%s%N)
rc=0
tb_gen "$CLIENT" --json --count=50 --timeout=50ms 198.18.0.2:4999 >"$TB_TMP/c.json" 2>"$TB_TMP/c.err" ||
	rc=$?
[ "$rc" = 1 ] || tb_fail "client without a server: exit $rc, expected 1 (all lost)"
grep -q "no reply to any of the 50 probes" "$TB_TMP/c.err" ||
	tb_fail "client without a server did not say why it failed: $(cat "$TB_TMP/c.err")"
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
s=$(summary "$TB_TMP/c.json")
jq -e '.sent == 50 and .replies == 0 and .lost == 50 and .refused > 0' <<<"$s" \
	>/dev/null || tb_fail "no server: $s"
[ "$elapsed_ms" -lt 10000 ] || tb_fail "no server: the client took $elapsed_ms ms for 50 probes"
tb_pass "no server: 50 probes lost, refusals counted, done in $elapsed_ms ms"
