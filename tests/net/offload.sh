#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-offload on the testbed, with rxq-gen as the sender and a counting server in the dut:
#  (a) a 90% flood + 10% valid DNS mix through xdp:dut0~0: the server gets every valid query and
#      no flood packet, and rxq-offload's counters reconcile with rxq-gen's totals;
#  (b) selectivity: ping (IPv4, IPv6), TCP, UDP to another port and traffic arriving on queue 1 all
#      go through the kernel untouched while the offload runs;
#  (c) kill -9: within 1 s the server gets all traffic again, no XDP program, no TAP;
#  (d) SIGHUP with a changed file changes verdicts; with a broken file the old rules stay;
#  (f) pcap: mode gives the same verdict counts as the live mode on the same packets;
#  (g) every queue of dut0, per-queue counters, a multi-queue TAP, the Prometheus textfile;
#  (h) IPv6: a udp6 flow, its valid queries delivered through the TAP.
# On a veth pair, dut0's RX queue N is gen0's TX queue N: rxq-gen sends on xdp:gen0~N.
# These are the user-space path's tests (sockets, classifier, TAP): the kernel tier is off here;
# tests/net/offload-ktier.sh runs the same traffic with it.

source "$(dirname "$0")/lib.sh"
tb_require jq python3
tb_up 2

OFF=$(tb_bin rxq-offload)
GEN=$(tb_bin rxq-gen)
HERE=$(cd "$(dirname "$0")" && pwd)
N=0

FLOW='udp4 dst-ip 198.18.0.2 dst-port 53'
FLOOD='udp4 src 198.19.0.0/16 random sport 1024-65535 random dst 198.18.0.2 dport 53 size 60'
VALID='udp4 src 198.18.0.1 sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:www.example.com:A'

cat >"$TB_TMP/dns.rules" <<'EOF'
# the reference rules of the offload tests
drop    src net 198.19.0.0/16           # the flood's sources
drop    dns qname *.attack.example
pass    dns qname *.example.com
default drop
EOF

# --- helpers ------------------------------------------------------------------------------------

# srv_start: counting server on 198.18.0.2, UDP 53 and 9000, TCP 8080.
srv_start() {
	SRV_STATE=$TB_TMP/srv.json
	rm -f "$SRV_STATE"
	tb_spawn dut "$TB_TMP/srv.log" "$TB_TMP/srv.log.err" python3 "$HERE/offload-server.py" \
		198.18.0.2 "$SRV_STATE" 53,9000 8080
	SRV_PID=$TB_LAST_PID
	tb_wait_for 10 test -s "$SRV_STATE" || tb_fail "server did not start: $(cat "$TB_TMP/srv.log"{,.err})"
}
# srv PORT dns|other: datagrams the server got on PORT.
srv() { jq -r ".udp[\"$1\"].$2" "$SRV_STATE"; }
srv_total() { jq -r ".udp[\"$1\"].dns + .udp[\"$1\"].other" "$SRV_STATE"; }
# srv_wait PORT KIND VALUE: until the count reaches VALUE (at most 5 s); the count must not pass it.
srv_wait() {
	tb_wait_until 5 "[ \"\$(srv $1 $2)\" -ge $3 ]" || true
	sleep 0.3
}

# off_start ARGS...: rxq-offload --json in the dut; waits for its start record.
off_start() {
	N=$((N + 1))
	OFF_OUT=$TB_TMP/off.$N.json
	tb_spawn dut "$OFF_OUT" "$OFF_OUT.err" "$OFF" --json --kernel-tier=off "$@"
	OFF_PID=$TB_LAST_PID
	tb_wait_json "$OFF_OUT" start 10 ||
		tb_fail "rxq-offload did not start: $(cat "$OFF_OUT.err")"
}
# off_stop: SIGINT, exit 0, summary in $OFF_SUM.
off_stop() {
	local rc=0
	kill -INT "$OFF_PID"
	wait "$OFF_PID" || rc=$?
	[ "$rc" = 0 ] || tb_fail "rxq-offload exited $rc: $(cat "$OFF_OUT.err")"
	OFF_SUM=$(grep '"type":"summary"' "$OFF_OUT") || tb_fail "rxq-offload printed no summary"
}
off() { echo "$OFF_SUM" | jq -r ".$1"; }

# reconcile WHAT: the summary's own books balance, and the program's.
reconcile() {
	tb_assert_eq "$(off reconciled)" true "$1: rx = dropped + passed + limited + errors"
	tb_assert_eq "$(off steered)" "$(($(off rx) + $(off ring_drops)))" \
		"$1: every steered frame was received or is a ring drop"
}

srv_start

# --- (a) mix through queue 0: exact counts ------------------------------------------------------
off_start xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/dns.rules"
mode=$(jq -r 'select(.type == "start") | .xsk_mode' "$OFF_OUT")
[ "$mode" = copy ] || [ "$mode" = zero-copy ] || tb_fail "granted AF_XDP mode not reported ('$mode')"
tb_pass "(a) granted modes reported: AF_XDP $mode, XDP $(jq -r 'select(.type == "start") | .xdp_mode' "$OFF_OUT")"
tap=$(jq -r 'select(.type == "start") | .tap' "$OFF_OUT")
tb_dut ip link show "$tap" >/dev/null 2>&1 || tb_fail "(a) TAP $tap does not exist"
tb_pass "(a) TAP $tap exists"

tb_rxq_gen xdp:gen0~0 --count 50000 --rate 20000 --seed 1 --flow "$FLOOD weight 90" --flow "$VALID weight 10"
sent=$(tb_gen_field tx_packets) flood=$(tb_gen_flow 0) valid=$(tb_gen_flow 1)
tb_assert_eq "$sent" 50000 "(a) rxq-gen sent 50000"
tb_assert_eq "$valid" 5000 "(a) of which 10% valid DNS"
srv_wait 53 dns "$valid"
tb_assert_eq "$(srv 53 dns)" "$valid" "(a) the server got every valid query"
tb_assert_eq "$(srv 53 other)" 0 "(a) the server got no flood packet"
off_stop
tb_assert_eq "$(off rx)" "$sent" "(a) rxq-offload received everything rxq-gen sent"
tb_assert_eq "$(off dropped)" "$flood" "(a) dropped = rxq-gen's flood"
tb_assert_eq "$(off passed)" "$valid" "(a) passed = rxq-gen's valid queries"
tb_assert_eq "$(off reinjected)" "$valid" "(a) every passed frame was reinjected"
tb_assert_eq "$(off reinject_errors)" 0 "(a) no reinject errors"
tb_assert_eq "$(off ring_drops)" 0 "(a) no AF_XDP ring drops below capacity"
reconcile "(a)"
reports=$(jq -s '[.[] | select(.type == "report")] | length' "$OFF_OUT")
[ "$reports" -ge 1 ] || tb_fail "(a) no per-second report"
sum=$(jq -s '[.[] | select(.type == "report") | .rx_pps * .interval] | add | round' "$OFF_OUT")
tb_assert_within "$sum" "$sent" 1 "(a) the per-second rates times their intervals add up to the total"
tb_dut ip link show "$tap" >/dev/null 2>&1 && tb_fail "(a) TAP $tap left behind"
tb_pass "(a) TAP removed on exit"
[ -z "$(tb_xdp_attached dut dut0)" ] || tb_fail "(a) XDP program left attached"
tb_pass "(a) XDP program detached on exit"

# --- (b) selectivity ----------------------------------------------------------------------------
off_start xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/dns.rules"
# a flood on queue 0 all along, from sources the checks below do not use
N=$((N + 1))
BG_OUT=$TB_TMP/gen.bg.$N.json
tb_seed
tb_spawn gen "$BG_OUT" "$BG_OUT.err" "$GEN" --json --quiet --seed "$TB_SEED" xdp:gen0~0 \
	--count 16000 --rate 4000 --flow "$FLOOD"
BG_PID=$TB_LAST_PID
sleep 0.3
tb_gen ping -c 3 -i 0.2 -W 1 -q 198.18.0.2 >/dev/null || tb_fail "(b) IPv4 ping during the offload"
tb_pass "(b) IPv4 ping works during the offload"
tb_gen ping -6 -c 3 -i 0.2 -W 1 -q fd00::2 >/dev/null || tb_fail "(b) IPv6 ping during the offload"
tb_pass "(b) IPv6 ping works during the offload"
reply=$(tb_gen python3 -c '
import socket
c = socket.create_connection(("198.18.0.2", 8080), timeout=3)
c.sendall(b"hello\n")
print(c.recv(64).decode().strip())') || tb_fail "(b) TCP connection to the dut failed"
tb_assert_eq "$reply" "echo hello" "(b) TCP connection to the dut works"
before=$(srv_total 9000)
tb_rxq_gen packet:gen0 --count 2000 --rate 10000 --flow 'udp4 src 198.18.0.1 dst 198.18.0.2 dport 9000 size 100'
srv_wait 9000 other $((before + 2000))
tb_assert_eq "$(($(srv_total 9000) - before))" 2000 "(b) UDP to another port reaches its server"
d0=$(srv 53 dns) o0=$(srv 53 other)
tb_rxq_gen xdp:gen0~1 --count 3000 --rate 10000 --seed 2 --flow "$FLOOD weight 9" --flow "$VALID weight 1"
srv_wait 53 other $((o0 + $(tb_gen_flow 0)))
tb_assert_eq "$(($(srv 53 dns) - d0))" "$(tb_gen_flow 1)" "(b) queue 1: valid queries reach the server"
tb_assert_eq "$(($(srv 53 other) - o0))" "$(tb_gen_flow 0)" \
	"(b) queue 1: its 'flood' is untouched too (kernel path)"
wait "$BG_PID" || tb_fail "(b) background flood failed: $(cat "$BG_OUT.err")"
sleep 0.3
off_stop
tb_assert_eq "$(off rx)" "$(tb_gen_field tx_packets "$BG_OUT")" \
	"(b) rxq-offload saw only the queue-0 flood, nothing of the other traffic"
reconcile "(b)"

# --- (c) kill -9 --------------------------------------------------------------------------------
off_start xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/dns.rules"
tap=$(jq -r 'select(.type == "start") | .tap' "$OFF_OUT")
N=$((N + 1))
BG_OUT=$TB_TMP/gen.bg.$N.json
tb_seed
tb_spawn gen "$BG_OUT" "$BG_OUT.err" "$GEN" --json --quiet --seed "$TB_SEED" xdp:gen0~0 \
	--duration 4s --rate 5000 --flow "$FLOOD weight 9" --flow "$VALID weight 1"
BG_PID=$TB_LAST_PID
d0=$(srv 53 dns)
tb_wait_until 3 '[ "$(srv 53 dns)" -gt "$d0" ]' || tb_fail "(c) no valid query reached the server"
o0=$(srv 53 other)
sleep 0.5
tb_assert_eq "$(srv 53 other)" "$o0" "(c) the flood is dropped while rxq-offload runs"
kill -KILL "$OFF_PID"
t0=$(date +%s%N)
tb_wait_until 1 '[ "$(srv 53 other)" -gt "$o0" ]' ||
	tb_fail "(c) no flood packet reached the server within 1 s of kill -9"
ms=$((($(date +%s%N) - t0) / 1000000))
tb_pass "(c) the server gets the flood again ${ms} ms after kill -9"
# The kernel releases a dead process's files last-opened first: the sockets (traffic back to the
# kernel at once) before the bpf_link, whose detach waits for the RTNL lock.
no_xdp() { [ -z "$(tb_xdp_attached dut dut0)" ]; }
tb_wait_for 1 no_xdp || tb_fail "(c) XDP program still attached 1 s after kill -9"
tb_pass "(c) no XDP program attached after kill -9"
tb_dut ip link show "$tap" >/dev/null 2>&1 && tb_fail "(c) TAP $tap survived kill -9"
tb_pass "(c) TAP gone after kill -9"
wait "$OFF_PID" 2>/dev/null || true
wait "$BG_PID" || tb_fail "(c) background traffic failed: $(cat "$BG_OUT.err")"
sleep 0.3
t0=$(srv_total 53)
tb_rxq_gen xdp:gen0~0 --count 5000 --rate 20000 --flow "$FLOOD weight 9" --flow "$VALID weight 1"
srv_wait 53 other $((o0 + 1))
tb_wait_until 3 '[ "$(srv_total 53)" -ge $((t0 + 5000)) ]' || true
tb_assert_eq "$(($(srv_total 53) - t0))" 5000 "(c) afterwards the server gets all traffic"

# --- (d) SIGHUP ---------------------------------------------------------------------------------
printf 'pass dns qname www.example.com\ndefault drop\n' >"$TB_TMP/hup.rules"
off_start xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/hup.rules"
d0=$(srv 53 dns)
tb_rxq_gen xdp:gen0~0 --count 1000 --rate 20000 --flow "$VALID"
srv_wait 53 dns $((d0 + 1000))
tb_assert_eq "$(($(srv 53 dns) - d0))" 1000 "(d) rules v1 pass the queries"
printf 'drop dns qname www.example.com\ndefault pass\n' >"$TB_TMP/hup.rules"
kill -HUP "$OFF_PID"
tb_wait_for 5 grep -q '"type":"reload","rules":.*"ok":true' "$OFF_OUT" ||
	tb_fail "(d) no successful reload reported: $(cat "$OFF_OUT.err")"
d0=$(srv 53 dns)
tb_rxq_gen xdp:gen0~0 --count 1000 --rate 20000 --flow "$VALID"
sleep 1
tb_assert_eq "$(($(srv 53 dns) - d0))" 0 "(d) after SIGHUP with v2 the same queries are dropped"
printf 'drop dns qname www.example.com\ndorp src net 198.19.0.0/16\ndefault pass\n' \
	>"$TB_TMP/hup.rules"
kill -HUP "$OFF_PID"
tb_wait_for 5 grep -q '"ok":false' "$OFF_OUT" || tb_fail "(d) the broken file was not reported"
grep -qE 'hup.rules:2:1: .*dorp' "$OFF_OUT.err" ||
	tb_fail "(d) the error does not say FILE:LINE:COL: $(cat "$OFF_OUT.err")"
tb_pass "(d) broken file reported: $(grep -m1 'hup.rules:2' "$OFF_OUT.err")"
tb_rxq_gen xdp:gen0~0 --count 1000 --rate 20000 --flow "$VALID"
sleep 1
tb_assert_eq "$(($(srv 53 dns) - d0))" 0 "(d) with the broken file the v2 verdicts stay"
off_stop
tb_assert_eq "$(off passed)" 1000 "(d) passed: v1's 1000"
tb_assert_eq "$(off dropped)" 2000 "(d) dropped: v2's 2000, before and after the broken file"
tb_assert_eq "$(off reloads)/$(off reload_failures)" 1/1 "(d) one reload, one rejected file"
reconcile "(d)"

# --- (f) pcap: mode = live mode on the same packets ---------------------------------------------
cat >"$TB_TMP/f.rules" <<'EOF'
drop    src net 198.19.0.0/16
drop    udp and udp[10:2] & 0x8000 != 0        # DNS responses (QR set)
drop    dns qname *.attack.example
pass    dns qname *.example.com
default drop
EOF
MIX=(--flow "$FLOOD weight 60"
	--flow 'udp4 src 198.18.0.1 dst 198.18.0.2 dport 53 payload hex:12348180000100000000000003777777076578616d706c6503636f6d0000010001 weight 10'
	--flow 'udp4 src 198.18.0.1 sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:x.attack.example:A weight 10'
	--flow "$VALID weight 15"
	--flow 'udp4 src 198.18.0.1 dst 198.18.0.2 dport 53 size 80 weight 5')
tb_rxq_gen pcap:"$TB_TMP/mix.pcap" --count 20000 --seed 7 "${MIX[@]}"
PCAP_OUT=$TB_TMP/off.pcap.json
ip netns exec "$TB_DUT" "$OFF" --json pcap:"$TB_TMP/mix.pcap" --rules "$TB_TMP/f.rules" \
	--rule-stats --out-pass pcap:"$TB_TMP/pass.pcap" >"$PCAP_OUT" 2>&1 ||
	tb_fail "(f) pcap: run failed: $(cat "$PCAP_OUT")"
PCAP_SUM=$(grep '"type":"summary"' "$PCAP_OUT")
off_start xdp:dut0~0 --flow "$FLOW" --rules "$TB_TMP/f.rules"
tb_rxq_gen xdp:gen0~0 --count 20000 --rate 20000 --seed 7 "${MIX[@]}"
sleep 0.5
off_stop
for f in rx dropped passed limited errors; do
	tb_assert_eq "$(off $f)" "$(echo "$PCAP_SUM" | jq -r ".$f")" "(f) live and pcap: agree on $f"
done
tb_assert_eq "$(off passed)" 3000 "(f) passed = the 15% valid share"
tb_assert_eq "$(jq -r 'select(.type == "rule" and .index == 1) | .hits' "$PCAP_OUT")" 2000 \
	"(f) the pcap-filter rule caught the 10% responses"
tb_assert_eq "$(jq -r 'select(.type == "rule" and .index == 2) | .hits' "$PCAP_OUT")" 2000 \
	"(f) the dns rule caught the 10% attack names"
ip netns exec "$TB_DUT" "$OFF" --json pcap:"$TB_TMP/pass.pcap" --rules "$TB_TMP/f.rules" \
	>"$TB_TMP/off.pass.json" 2>&1 || tb_fail "(f) re-reading --out-pass failed"
tb_assert_eq "$(jq -r 'select(.type == "summary") | "\(.rx) \(.passed)"' "$TB_TMP/off.pass.json")" \
	"3000 3000" "(f) --out-pass holds exactly the passed frames"

# --- (g) every queue: one socket and thread each, per-queue counters, Prometheus textfile -------
PROM=$TB_TMP/rxq.prom
off_start xdp:dut0 --flow "$FLOW" --rules "$TB_TMP/dns.rules" --cpu 0,1 --prom "$PROM" --rule-stats
tb_assert_eq "$(jq -r 'select(.type == "start") | .queues' "$OFF_OUT")" 2 "(g) xdp:dut0 opens both queues"
d0=$(srv 53 dns)
tb_rxq_gen xdp:gen0~0 --count 10000 --rate 20000 --flow "$FLOOD weight 9" --flow "$VALID weight 1"
tb_rxq_gen xdp:gen0~1 --count 6000 --rate 20000 --flow "$FLOOD weight 9" --flow "$VALID weight 1"
srv_wait 53 dns $((d0 + 1600))
tb_assert_eq "$(($(srv 53 dns) - d0))" 1600 "(g) valid queries of both queues reach the server"
tb_wait_for 3 grep -q 'rxq_offload_rx_packets_total{port="xdp:dut0",queue="1"} 6000' "$PROM" ||
	tb_fail "(g) the Prometheus file does not show queue 1's 6000 frames: $(grep rx_packets "$PROM")"
tb_pass "(g) the Prometheus file is rewritten every second"
jq -e 'select(.type == "report") | .q1.rx_pps' "$OFF_OUT" >/dev/null ||
	tb_fail "(g) per-queue fields missing from the reports"
tb_pass "(g) reports carry per-queue fields"
off_stop
tb_assert_eq "$(off q0.rx)/$(off q1.rx)" 10000/6000 "(g) per-queue rx"
tb_assert_eq "$(off q0.passed)/$(off q1.passed)" 1000/600 "(g) per-queue passed"
tb_assert_eq "$(off reinjected)" 1600 "(g) both threads reinject through the multi-queue TAP"
reconcile "(g)"
grep -q '^# TYPE rxq_offload_rx_packets_total counter$' "$PROM" || tb_fail "(g) no TYPE line"
tb_assert_eq "$(grep -c '^rxq_offload_rule_hits_total{' "$PROM")" 4 "(g) one hits series per rule"
tb_assert_eq "$(awk '/^rxq_offload_dropped_packets_total/ { s += $2 } END { print s }' "$PROM")" \
	"$(off dropped)" "(g) the final Prometheus file matches the summary"
ls "$PROM".tmp.* >/dev/null 2>&1 && tb_fail "(g) a temporary Prometheus file was left behind"
tb_pass "(g) no temporary Prometheus file left"

# --- (h) IPv6: a udp6 flow steered next to the udp4 one, valid queries back through the TAP ----
STATE6=$TB_TMP/srv6.json
tb_spawn dut "$TB_TMP/srv6.log" "$TB_TMP/srv6.log.err" python3 "$HERE/offload-server.py" \
	fd00::2 "$STATE6" 53
tb_wait_for 10 test -s "$STATE6" ||
	tb_fail "(h) IPv6 server did not start: $(cat "$TB_TMP/srv6.log"{,.err})"
printf 'drop src net fd19::/16\npass dns qname *.example.com\ndefault drop\n' >"$TB_TMP/v6.rules"
off_start xdp:dut0~0 --flow 'udp6 dst-port 53' --flow "$FLOW" --rules "$TB_TMP/v6.rules"
tb_rxq_gen xdp:gen0~0 --count 10000 --rate 20000 \
	--flow 'udp6 src fd19::/64 random sport 1024-65535 random dst fd00::2 dport 53 size 80 weight 9' \
	--flow 'udp6 src fd00::1 sport 1024-65535 random dst fd00::2 dport 53 payload dns:www.example.com:AAAA weight 1'
tb_wait_until 5 '[ "$(jq -r ".udp[\"53\"].dns" "$STATE6")" -ge 1000 ]' || true
sleep 0.3
tb_assert_eq "$(jq -r '.udp["53"].dns' "$STATE6")" 1000 "(h) IPv6: the server got every valid query"
tb_assert_eq "$(jq -r '.udp["53"].other' "$STATE6")" 0 "(h) IPv6: and no flood packet"
off_stop
tb_assert_eq "$(off rx)/$(off dropped)/$(off passed)" 10000/9000/1000 "(h) IPv6: rx/dropped/passed"
reconcile "(h)"
