#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-offload's kernel tier on the testbed (dnsmasq in the dut, rxq-gen and dig in gen):
#  (a) every rule kind the kernel decides -- 4096 blocked addresses in 16 /24s, a port rule, a
#      dns qname rule, a pcap expression, a limit rule, the default -- decides in XDP: verdicts,
#      per-rule hits, nothing through the TAP; valid queries answered;
#  (b) the same traffic with --kernel-tier=off gives the same verdicts and hits per rule;
#  (c) a rule the kernel cannot decide: the rules before it in XDP, it and the rest in user space;
#  (d) SIGHUP under traffic, again and again: every frame judged by exactly one rule set;
#  (e) learning: a flood only user space can judge stops reaching it within 2 s; a source that was
#      also passed is never learned; entries expire; SIGHUP forgets them;
#  (f) kill -9: the kernel path is back, no program, no tail-called filter left.

source "$(dirname "$0")/lib.sh"
tb_require jq python3 dig dnsmasq bpftool comm ethtool
tb_up 1

OFF=$(tb_bin rxq-offload)
GEN=$(tb_bin rxq-gen)
N=0

off_start() {
	N=$((N + 1))
	OFF_OUT=$TB_TMP/off.$N.json
	tb_spawn dut "$OFF_OUT" "$OFF_OUT.err" "$OFF" --json xdp:dut0~0 --flow 'udp4 dst-port 53' \
		--flow 'udp6 dst-port 53' "$@"
	OFF_PID=$TB_LAST_PID
	tb_wait_json "$OFF_OUT" start 10 ||
		tb_fail "rxq-offload $* did not start: $(cat "$OFF_OUT.err")"
	# dut0's receive work on one CPU, as a NIC queue's interrupt would have it (limits are per CPU)
	tb_napi_pin dut dut0 1
}
off_stop() {
	local rc=0
	kill -INT "$OFF_PID"
	wait "$OFF_PID" || rc=$?
	[ "$rc" = 0 ] || tb_fail "rxq-offload exited $rc: $(cat "$OFF_OUT.err")"
	OFF_SUM=$(grep '"type":"summary"' "$OFF_OUT") || tb_fail "rxq-offload printed no summary"
	tb_assert_eq "$(off reconciled)" true "rx = dropped + passed + limited + errors, over both tiers"
}
off() { jq -r ".$1" <<<"$OFF_SUM"; }
rule() { jq -r "select(.type == \"rule\" and .index == $1) | .$2" "$OFF_OUT"; }
gen() { # gen OUT ARGS...: rxq-gen on gen0's queue 0, --json summary in OUT
	local out=$1
	shift
	tb_rxq_gen -o "$out" xdp:gen0~0 "$@"
}
sent() { tb_gen_flow "$2" "$1"; }
# run_mix OUT: the mix through the running rxq-offload, then stop it. Fails (to be run again) when
# veth dropped frames at the dut's ring before any filter saw them -- the dut's CPU was taken by
# something else for longer than the ring lasts -- since then no two runs can be compared.
run_mix() {
	local before drops
	before=$(tb_stat gen gen0 tx.dropped)
	gen "$1" "${MIX[@]}"
	sleep 0.5
	off_stop
	drops=$(($(tb_stat gen gen0 tx.dropped) - before))
	[ "$drops" = 0 ] && return 0
	tb_log "veth dropped $drops frames before the filter (the dut's CPU was busy): run $try again"
	[ "$try" -lt 3 ] || tb_fail "veth dropped frames before the filter in 3 runs: the machine is too busy"
	return 1
}

tb_dnsmasq --log

# The rules: 4096 blocked addresses (16 /24s, each address its own rule, then their /24s), a port
# rule, names, a pcap expression, a limit.
RULES=$TB_TMP/k.rules
{
	for n in $(seq 0 15); do for h in $(seq 0 255); do echo "drop src host 198.19.$n.$h"; done; done
	for n in $(seq 0 15); do echo "drop src net 198.19.$n.0/24"; done
	echo "drop udp src port 7"
	echo "drop dns qname *.attack.example"
	echo "drop udp and udp[10:2] & 0x8000 != 0"
	echo "limit 1000000/s per src new 1000000/s udp dst port 53"
	echo "default drop"
} >"$RULES"
# (b) judges all of it in user space, also in the sanitizer build: a rate it keeps up with
MIX=(--count 60000 --rate 15000 --seed 41
	--flow 'udp4 src 198.19.0.0/20 random sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:www.example.com:A weight 60'
	--flow 'udp4 src 198.18.128.0/17 random sport 7 dst 198.18.0.2 dport 53 payload dns:www.example.com:A weight 5'
	--flow 'udp4 src 198.18.128.0/17 random sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:q.attack.example:A weight 10'
	--flow 'udp4 src 198.18.128.0/17 random dst 198.18.0.2 dport 53 payload hex:abcd8180000100000000000003777777076578616d706c6503636f6d0000010001 weight 5'
	--flow 'udp4 src 198.18.128.0/17 random sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:k.example.com:A weight 20')

# --- (a) in XDP -----------------------------------------------------------------------------------
for try in 1 2 3; do
	off_start --rules "$RULES" --rule-stats -v --prom "$TB_TMP/a.prom"
	grep -q 'all 4117 rules run in XDP' "$OFF_OUT.err" || tb_fail "(a) not all rules in XDP: $(cat "$OFF_OUT.err")"
	a=$(tb_gen dig +short +tries=1 +time=2 @"$TB_DUT_IP4" www.example.com | head -n1)
	valid_before=$(tb_dnsmasq_queries 'k\.example\.com from')
	run_mix "$TB_TMP/a.json" && break
done
tb_pass "(a) --verbose: all 4117 rules run in XDP"
tb_assert_eq "$a" "$TB_DNS_V4" "(a) a kernel client's query is answered (passed in XDP, as it came)"
tb_assert_eq "$(off xdp_dropped)" $(($(sent "$TB_TMP/a.json" 0) + $(sent "$TB_TMP/a.json" 1) + $(sent "$TB_TMP/a.json" 2) + $(sent "$TB_TMP/a.json" 3))) \
	"(a) the blocked sources, the port, the names and the responses: dropped in XDP"
tb_assert_eq "$(off xdp_passed)" $(($(sent "$TB_TMP/a.json" 4) + 1)) "(a) the valid queries (and dig's): passed in XDP"
tb_assert_eq "$(off user_rx)/$(off reinjected)" 0/0 "(a) nothing through user space and the TAP"
prom_sum() { awk -v m="rxq_offload_$1" '$1 ~ "^" m "{" { s += $2 } END { print s + 0 }' "$TB_TMP/a.prom"; }
tb_assert_eq "$(prom_sum rx_packets_total)/$(prom_sum dropped_packets_total)/$(prom_sum passed_packets_total)" \
	"$(off rx)/$(off dropped)/$(off passed)" "(a) the --prom textfile counts XDP's verdicts too (queue=\"xdp\")"
tb_assert_eq "$(($(tb_dnsmasq_queries 'k\.example\.com from') - valid_before))" "$(sent "$TB_TMP/a.json" 4)" \
	"(a) dnsmasq got every valid query"
tb_assert_eq "$(tb_dnsmasq_queries 'attack\.example')" 0 "(a) and no attack name"
# rule indexes: 0-4095 the hosts, 4096-4111 their /24s, 4112 port, 4113 dns, 4114 pcap, 4115 limit
tb_assert_eq "$(jq -s '[.[] | select(.type == "rule" and .index < 4096) | .hits] | add' "$OFF_OUT")" \
	"$(sent "$TB_TMP/a.json" 0)" "(a) the host rules took the blocked flood (the /24 rules come later)"
tb_assert_eq "$(rule 4112 hits)/$(rule 4113 hits)/$(rule 4114 hits)" \
	"$(sent "$TB_TMP/a.json" 1)/$(sent "$TB_TMP/a.json" 2)/$(sent "$TB_TMP/a.json" 3)" \
	"(a) port, dns and pcap rules: their hits"
tb_assert_eq "$(rule 4112 runs_in)/$(rule 4116 runs_in)" xdp/xdp "(a) --rule-stats says where rules run"
for f in 0 1 2 3 4; do HITS_ON[$f]=$(jq -r '.hits' <<<"$(jq -c "select(.type == \"rule\" and .index == $((4112 + f)))" "$OFF_OUT")"); done
TOTALS_ON="$(off rx)/$(off dropped)/$(off passed)/$(off limited)/$(off errors)"

# --- (b) the same with --kernel-tier=off -----------------------------------------------------------
for try in 1 2 3; do
	off_start --rules "$RULES" --rule-stats --kernel-tier=off
	tb_gen dig +short +tries=1 +time=2 @"$TB_DUT_IP4" www.example.com >/dev/null
	run_mix "$TB_TMP/b.json" && break
done
tb_assert_eq "$(off ring_drops)" 0 "(b) user space kept up (no ring drops)"
tb_assert_eq "$(off rx)/$(off dropped)/$(off passed)/$(off limited)/$(off errors)" "$TOTALS_ON" \
	"(b) --kernel-tier=off: the same totals (rx/dropped/passed/limited/errors)"
for f in 0 1 2 3 4; do
	tb_assert_eq "$(rule $((4112 + f)) hits)" "${HITS_ON[$f]}" "(b) rule $((4112 + f)): the same hits in user space"
done
tb_assert_eq "$(off xdp_dropped)/$(off xdp_passed)" 0/0 "(b) nothing decided in XDP"

# --- (c) a rule the kernel cannot decide ------------------------------------------------------------
printf 'drop src net 198.19.0.0/16\ndrop dns qname ?.attack.example\ndrop dns qname *.attack.example\ndefault pass\n' \
	>"$TB_TMP/c.rules"
off_start --rules "$TB_TMP/c.rules" --rule-stats -v
grep -q 'rules 1-1 (lines 1-1) run in XDP; from rule 2 (line 2) on in user space' "$OFF_OUT.err" ||
	tb_fail "(c) --verbose does not say where the tier ends: $(cat "$OFF_OUT.err")"
tb_pass "(c) --verbose: rule 1 in XDP, from rule 2 on in user space"
gen "$TB_TMP/c.json" --count 3000 --rate 20000 --seed 5 \
	--flow 'udp4 src 198.19.0.0/16 random dst 198.18.0.2 dport 53 payload dns:www.example.com:A weight 1' \
	--flow 'udp4 src 198.18.128.0/17 random dst 198.18.0.2 dport 53 payload dns:x.attack.example:A weight 1' \
	--flow 'udp4 src 198.18.128.0/17 random dst 198.18.0.2 dport 53 payload dns:xx.attack.example:A weight 1'
sleep 0.5
off_stop
tb_assert_eq "$(off xdp_dropped)/$(off user_rx)" 1000/2000 "(c) the prefix rule in XDP; the rest to user space"
tb_assert_eq "$(rule 1 hits)/$(rule 2 hits)/$(rule 3 hits)" 1000/1000/0 "(c) ?. caught x., *. caught xx., in order"
tb_assert_eq "$(rule 0 runs_in)/$(rule 1 runs_in)" xdp/user "(c) --rule-stats: where"

# --- (d) SIGHUP under traffic --------------------------------------------------------------------------
printf 'drop dns qname *.attack.example\ndefault pass\n' >"$TB_TMP/d.rules"
# frames dut0's XDP saw (veth counts them while a program is attached)
xdp_seen() { tb_dut ethtool -S dut0 | awk '/rx_queue_0_xdp_packets/ { print $2 }'; }
x0=$(xdp_seen)
off_start --rules "$TB_TMP/d.rules"
tb_spawn gen "$TB_TMP/d.json" "$TB_TMP/d.err" "$GEN" --json --quiet xdp:gen0~0 --count 100000 \
	--rate 25000 --seed 9 \
	--flow 'udp4 src 198.18.128.0/17 random dst 198.18.0.2 dport 53 payload dns:r.attack.example:A weight 1' \
	--flow 'udp4 src 198.18.128.0/17 random dst 198.18.0.2 dport 53 payload dns:r.example.com:A weight 1'
DPID=$TB_LAST_PID
for i in 1 2 3 4 5 6; do
	sleep 0.5
	if [ $((i % 2)) = 1 ]; then
		printf 'drop dns qname *.example.com\ndefault pass\n' >"$TB_TMP/d.rules"
	else
		printf 'drop dns qname *.attack.example\ndefault pass\n' >"$TB_TMP/d.rules"
	fi
	kill -HUP "$OFF_PID"
done
wait "$DPID" || tb_fail "(d) rxq-gen failed: $(cat "$TB_TMP/d.err")"
# (signals that arrive while a reload runs merge into one)
tb_wait_until 5 '[ "$(grep -c "\"type\":\"reload\".*\"ok\":true" "$OFF_OUT")" -ge 3 ]' ||
	tb_fail "(d) the reloads did not happen: $(grep reload "$OFF_OUT")"
sleep 0.5
off_stop
tb_assert_eq "$(off reload_failures)" 0 "(d) no reload failed"
# Every frame the program saw was judged once (or left to the kernel: not selected). A busy CPU
# (the verifier of each reload) makes the veth drop some before XDP: they are not counted anywhere.
seen=$(($(xdp_seen) - x0))
tb_assert_eq "$(($(off rx) + $(off ring_drops) + $(off kernel_passed)))" "$seen" \
	"(d) $(off reloads) reloads under 25 kpps: every frame XDP saw judged once ($((100000 - seen)) lost before XDP)"
# each frame is dropped by the set it met, whichever: one of the two names always passes
tb_assert_eq "$(($(off dropped) + $(off passed)))" "$(off rx)" "(d) dropped + passed = judged"
[ "$(off dropped)" -gt 20000 ] && [ "$(off dropped)" -lt 80000 ] ||
	tb_fail "(d) the drops ($(off dropped)) do not show both rule sets at work"
tb_pass "(d) both rule sets judged: $(off dropped) dropped, $(off passed) passed"

# --- (e) learning ---------------------------------------------------------------------------------------
# A name only user space judges ('?'), sent by 32 sources; one of them (198.18.200.1) also sends a
# valid query now and then: it must never be learned.
printf 'drop dns qname ?.attack.example\ndefault pass\n' >"$TB_TMP/e.rules"
off_start --rules "$TB_TMP/e.rules" --learn 50 --learn-ttl 3s
tb_spawn gen "$TB_TMP/e.json" "$TB_TMP/e.err" "$GEN" --json --quiet xdp:gen0~0 --duration 4s \
	--rate 20000 --seed 3 \
	--flow 'udp4 src 198.18.201.0/27 random sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:z.attack.example:A weight 98' \
	--flow 'udp4 src 198.18.200.1 sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:z.attack.example:A weight 1' \
	--flow 'udp4 src 198.18.200.1 sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:ok.example.com:A weight 1'
EPID=$TB_LAST_PID
wait "$EPID" || tb_fail "(e) rxq-gen failed: $(cat "$TB_TMP/e.err")"
# the per-second reports: what reached user space, against what was decided in XDP
jq -s '[.[] | select(.type == "report")]' "$OFF_OUT" >"$TB_TMP/e.reports"
share=$(jq -r '[.[] | select(.t >= 2.5 and .t < 4.5)] | (map(.steered) | add) / ((map(.steered) | add) + (map(.xdp_decided) | add))' "$TB_TMP/e.reports")
awk -v s="$share" 'BEGIN { exit !(s < 0.10) }' ||
	tb_fail "(e) after 2 s, $share of the flood still reaches user space: $(cat "$TB_TMP/e.reports")"
tb_pass "(e) from the 3rd second on, $(awk -v s="$share" 'BEGIN { printf "%.1f%%", s * 100 }') of the flood reaches user space"
tb_assert_eq "$(tb_dnsmasq_queries 'ok\.example\.com from 198\.18\.200\.1')" "$(sent "$TB_TMP/e.json" 2)" \
	"(e) the source that was also passed was never learned: all its valid queries arrived"
active=$(jq -r 'select(.type == "report") | .learned' "$OFF_OUT" | sort -n | tail -n1)
[ "$active" -ge 28 ] && [ "$active" -le 32 ] || tb_fail "(e) learned $active sources, expected the 32 of the /27"
tb_pass "(e) $active sources learned"
sleep 3.5
kill -HUP "$OFF_PID"
tb_wait_for 5 grep -q '"type":"reload".*"learned_cleared"' "$OFF_OUT" || tb_fail "(e) no reload"
off_stop
tb_assert_eq "$(off learned_active)" 0 "(e) after --learn-ttl the entries expired"
[ "$(off learned_dropped)" -gt 40000 ] || tb_fail "(e) learned_dropped: $(off learned_dropped)"
tb_pass "(e) learned_dropped=$(off learned_dropped), learned_total=$(off learned_total), learned_expired=$(off learned_expired)"

# --- (f) kill -9 ----------------------------------------------------------------------------------------
progs() { bpftool -j prog show | jq -r '.[].id' | sort; }
before=$(progs)
off_start --rules "$RULES"
ids=$(comm -13 <(echo "$before") <(progs)) # the run's: entry, tier, translated filter
[ "$(echo "$ids" | wc -w)" -ge 3 ] || tb_fail "(f) the run loaded $(echo "$ids" | wc -w) programs, expected 3"
kill -KILL "$OFF_PID"
wait "$OFF_PID" 2>/dev/null || true
no_xdp() { [ -z "$(tb_xdp_attached dut dut0)" ]; }
tb_wait_for 2 no_xdp || tb_fail "(f) XDP program still attached after kill -9"
tb_pass "(f) no XDP program on dut0 after kill -9"
a=$(tb_gen dig +short +tries=1 +time=2 @"$TB_DUT_IP4" www.example.com | head -n1)
tb_assert_eq "$a" "$TB_DNS_V4" "(f) the kernel path answers again"
gone() { ! bpftool -j prog show | jq -r '.[].id' | grep -qxF -f <(echo "$ids"); }
tb_wait_for 3 gone || tb_fail "(f) programs of the killed run are still loaded"
tb_pass "(f) its programs (entry, tier, translated filters) are gone"
