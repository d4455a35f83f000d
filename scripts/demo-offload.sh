#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The rxq-offload demo, in under a minute, as root: two namespaces joined by a veth pair (the
# testbed of tests/net/lib.sh), dnsmasq serving DNS in the "dut" namespace, a 90% flood + 10% valid
# DNS mix from rxq-gen on the "gen" side (bounded: 400k frames at 80 kpps, at most 15 s), dnsperf
# asking the server from a kernel socket all along, and rxq-offload on dut0's queue 0 dropping the
# flood and handing the valid queries back to the kernel. Prints rxq-offload's per-second lines,
# its summary, what the server received and how many of dnsperf's queries it answered.
# Everything (namespaces, processes, files) is removed on exit.
#
#   bash scripts/demo-offload.sh            (RXQ_BUILD=DIR to use another build directory)

set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export RXQ_BUILD=${RXQ_BUILD:-$ROOT/build}
source "$ROOT/tests/net/lib.sh"
tb_require jq dnsmasq dnsperf dig
for t in rxq-offload rxq-gen; do
	[ -x "$RXQ_BUILD/tools/$t/$t" ] ||
		{ echo "demo: $t is not built: run 'meson setup build && ninja -C build' first" >&2; exit 2; }
done
OFF=$RXQ_BUILD/tools/rxq-offload/rxq-offload
GEN=$RXQ_BUILD/tools/rxq-gen/rxq-gen

say() { printf '\n== %s\n' "$*"; }

say "testbed: namespaces $TB_GEN and $TB_DUT, veth gen0 (198.18.0.1) <-> dut0 (198.18.0.2)"
tb_up 1

cat >"$TB_TMP/dns.rules" <<'EOF'
drop    src net 198.19.0.0/16          # the flood's sources
drop    udp and udp[10:2] & 0x8000 != 0  # stray DNS responses
drop    dns qname *.attack.example
limit   1000/s per src new 100k/s  udp dst port 53
default drop
EOF
say "rules ($TB_TMP/dns.rules)"
cat "$TB_TMP/dns.rules"

say "dnsmasq on 198.18.0.2:53, answering *.example.com"
tb_dnsmasq --log
udp_in() { tb_dut nstat -az Udp{,6}InDatagrams | awk '/InDatagrams/ { s += $2 } END { print s + 0 }'; }
udp0=$(udp_in)

say "rxq-offload xdp:dut0~0 --flow 'udp4 dst-port 53' --rules dns.rules"
ip netns exec "$TB_DUT" "$OFF" xdp:dut0~0 --flow 'udp4 dst-port 53' --rules "$TB_TMP/dns.rules" \
	--rule-stats &
OFF_PID=$!
TB_PIDS+=("$OFF_PID")
sleep 1.5
kill -0 "$OFF_PID" 2>/dev/null || tb_fail "rxq-offload did not start"

say "dnsperf from 198.18.0.1 (a kernel socket): 500 queries/s for 6 s, from the start of the flood"
for i in $(seq 3000); do echo "q$i.example.com A"; done >"$TB_TMP/queries"
tb_bg gen dnsperf -v -s 198.18.0.2 -d "$TB_TMP/queries" -n 1 -Q 500 -t 2 >"$TB_TMP/dnsperf.out" 2>&1
PERF_PID=$TB_LAST_PID

say "rxq-gen: 400k frames at 80 kpps: 85% flood from 198.19.0.0/16, 5% queries for x.attack.example, 10% valid queries for www.example.com"
tb_gen "$GEN" xdp:gen0~0 --count 400k --rate 80k --duration 15s --json --quiet \
	--flow 'udp4 src 198.19.0.0/16 random sport 1024-65535 random dst 198.18.0.2 dport 53 size 60 weight 85' \
	--flow 'udp4 src 198.18.128.0/17 random sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:x.attack.example:A weight 5' \
	--flow 'udp4 src 198.18.128.0/17 random sport 1024-65535 random dst 198.18.0.2 dport 53 payload dns:www.example.com:A weight 10' \
	>"$TB_TMP/gen.json" || tb_fail "rxq-gen failed"
wait "$PERF_PID" || tb_fail "dnsperf failed: $(tail -n 5 "$TB_TMP/dnsperf.out")"
sleep 1.2
kill -INT "$OFF_PID"
wait "$OFF_PID"

sent=$(jq -r 'select(.type == "summary") | .tx_packets' "$TB_TMP/gen.json")
valid=$(jq -r 'select(.type == "flow" and .index == 2) | .packets' "$TB_TMP/gen.json")
# rxq-gen's queries for www.example.com, not the readiness check's from 198.18.0.1
got=$(($(tb_dnsmasq_queries 'www\.example\.com from') - $(tb_dnsmasq_queries 'www\.example\.com from 198\.18\.0\.1$')))
attack=$(tb_dnsmasq_queries 'attack\.example')
asked=$(tb_dnsperf_get "$TB_TMP/dnsperf.out" sent)
answered=$(tb_dnsperf_get "$TB_TMP/dnsperf.out" completed)
datagrams=$(($(udp_in) - udp0))
say "result"
echo "rxq-gen sent $sent frames, $valid of them valid DNS queries"
echo "dnsmasq in $TB_DUT received $got of rxq-gen's valid queries and $attack for attack names;"
echo "  its kernel delivered $datagrams UDP datagrams to sockets ($valid + dnsperf's $asked expected)"
awk -v a="$answered" -v s="$asked" -v p50="$(tb_dnsperf_get "$TB_TMP/dnsperf.out" p50)" \
	-v p99="$(tb_dnsperf_get "$TB_TMP/dnsperf.out" p99)" 'BEGIN {
	printf "dnsperf during the flood: %d of %d queries answered (%.2f%%), latency p50 %d us, p99 %d us\n",
		a, s, s ? a * 100 / s : 0, p50, p99 }'
if [ "$got" = "$valid" ] && [ "$attack" = 0 ] && [ "$answered" = "$asked" ] &&
	[ "$datagrams" = $((valid + asked)) ]; then
	echo "every valid query arrived and was answered, nothing else did"
else
	echo "the counts differ from what was sent: see limited, ring_drops and reinject_errors" \
		"above (a busy machine?)"
fi
