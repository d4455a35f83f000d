#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpserver and rxq-udpclient, every mode, over the testbed (server in dut, client in gen) and
# over loopback, IPv4 and IPv6. Each run's --json summary must hold sane, consistent values.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)
NCPU=$(nproc)

tb_up 2
# A second address on dut0: the wildcard server must answer from the address it was asked on.
tb_dut ip addr add 198.18.0.3/24 dev "$TB_DUT_IF"
tb_dut ip addr add fd00::3/64 dev "$TB_DUT_IF" nodad
tb_gen ip neigh replace 198.18.0.3 lladdr "$TB_DUT_MAC" dev "$TB_GEN_IF" nud permanent
tb_gen ip neigh replace fd00::3 lladdr "$TB_DUT_MAC" dev "$TB_GEN_IF" nud permanent

# start_server NAME ARGS...: rxq-udpserver in dut, output in $TB_TMP/NAME.json and NAME.err.
start_server() {
	local name=$1
	shift
	tb_spawn dut "$TB_TMP/$name.json" "$TB_TMP/$name.err" "$SERVER" "$@"
}
start_server server --listen=:4321 --json
# A pinned, multi-threaded server with one SO_REUSEPORT socket per thread.
start_server server2 --listen=:4322 --threads=2 --reuseport --cpu=0-$((NCPU - 1)) --json
server_up() { tb_dut ss -Hlun "sport = :$1" | grep -q .; }
tb_wait_for 5 server_up 4321 || tb_fail "rxq-udpserver did not start: $(cat "$TB_TMP/server.err")"
tb_wait_for 5 server_up 4322 || tb_fail "rxq-udpserver --reuseport did not start: $(cat "$TB_TMP/server2.err")"

# check_summary FILE WHAT [JQ_EXTRA]: the summary of the (only) target must be sane; JQ_EXTRA is a
# further condition on it.
check_summary() {
	local file=$1 what=$2 extra=${3:-true} line
	line=$(jq -c 'select(.type == "summary")' "$file" | tail -n1)
	[ -n "$line" ] || tb_fail "$what: no summary in the output: $(head -c 600 "$file")"
	jq -e "
		.replies > 0 and .sent > 0 and .replies + .lost == .sent and .lost == 0 and
		.dup == 0 and .refused == 0 and .errors == 0 and .pps > 0 and
		.min_us > 0 and .min_us <= .p50_us and .p50_us <= .p99_us and .p99_us <= .p999_us and
		.p999_us <= .max_us and .avg_us >= .min_us and .avg_us <= .max_us and .dev_us >= 0 and
		.max_us < 1000000 and ($extra)" <<<"$line" >/dev/null ||
		tb_fail "$what: summary fails the checks ($extra): $line"
	tb_pass "$what: $(jq -r '"\(.replies) replies, min \(.min_us) us, p50 \(.p50_us) us, p99 \(.p99_us) us"' <<<"$line")"
}

# run NS WHAT CLIENT-ARGS...: runs the client in NS with --json, checks its exit status.
run() {
	local ns=$1 what=$2
	shift 2
	local out=$TB_TMP/client.json rc=0
	"tb_$ns" "$CLIENT" --json "$@" >"$out" 2>"$TB_TMP/client.err" || rc=$?
	[ "$rc" = 0 ] || tb_fail "$what: rxq-udpclient $* exited $rc: $(cat "$TB_TMP/client.err")"
}

for target in 198.18.0.2:4321 '[fd00::2]:4321' ; do
	run gen "testbed $target blocking" --count=1000 "$target"
	check_summary "$TB_TMP/client.json" "testbed $target blocking" '.sent == 1000'
	# Every periodic report line carries the same fields.
	jq -e -s '[.[] | select(.type == "report")] | length > 0 and
		all(has("pps") and has("lost") and has("sent") and has("min_us"))' \
		"$TB_TMP/client.json" >/dev/null || tb_fail "report lines lack fields"

	run gen "testbed $target --busy-poll=50" --count=1000 --busy-poll=50 "$target"
	check_summary "$TB_TMP/client.json" "testbed $target --busy-poll=50"

	run gen "testbed $target --polling" --count=1000 --polling "$target"
	check_summary "$TB_TMP/client.json" "testbed $target --polling"

	run gen "testbed $target pinned" --count=1000 --cpu=$((NCPU - 1)) "$target"
	check_summary "$TB_TMP/client.json" "testbed $target --cpu=$((NCPU - 1))"

	run gen "testbed $target --timestamp" --count=1000 --timestamp "$target"
	check_summary "$TB_TMP/client.json" "testbed $target --timestamp" \
		'.packet_avg_us > 0 and .packet_avg_us < .avg_us and .packet_dev_us >= 0'

	run gen "testbed $target --hwtstamp" --count=1000 --hwtstamp "$target"
	check_summary "$TB_TMP/client.json" "testbed $target --hwtstamp (veth: software)" \
		'.tstamp_source == "software" and .tx_path_us > 0 and .wire_us > 0 and
		 .rx_path_us > 0 and .tx_path_us + .wire_us + .rx_path_us <= .avg_us * 1.05'
	grep -q "software timestamps from $TB_GEN_IF" "$TB_TMP/client.err" ||
		tb_fail "--hwtstamp did not say which timestamps it used: $(cat "$TB_TMP/client.err")"

	run gen "testbed $target --incoming-cpu" --count=1000 --incoming-cpu "$target"
	check_summary "$TB_TMP/client.json" "testbed $target --incoming-cpu" \
		".incoming_cpu >= 0 and .incoming_cpu < $NCPU"

	run gen "testbed $target --rate" --rate=2000 --duration=1 "$target"
	check_summary "$TB_TMP/client.json" "testbed $target --rate=2000" \
		'.sent >= 1900 and .sent <= 2100'

	run gen "testbed $target, size 1472" --count=200 --size=1400 "$target"
	check_summary "$TB_TMP/client.json" "testbed $target --size=1400"
done

# The second address: the echo must come from it (a connected socket drops anything else).
run gen "reply source" --count=300 --timeout=200ms 198.18.0.3:4321 '[fd00::3]:4321'
for t in 198.18.0.3:4321 '[fd00::3]:4321'; do
	jq -c "select(.type == \"summary\" and .target == \"$t\")" "$TB_TMP/client.json" \
		>"$TB_TMP/one.json"
	check_summary "$TB_TMP/one.json" "echo from the address asked ($t)" '.sent == 300'
done

# Two targets on the SO_REUSEPORT server, one thread each.
run gen "two targets" --count=500 198.18.0.2:4322 '[fd00::2]:4322'
[ "$(jq -c 'select(.type == "summary")' "$TB_TMP/client.json" | wc -l)" = 2 ] ||
	tb_fail "two targets: expected two summaries: $(cat "$TB_TMP/client.json")"
for t in 198.18.0.2:4322 '[fd00::2]:4322'; do
	jq -c "select(.type == \"summary\" and .target == \"$t\")" "$TB_TMP/client.json" \
		>"$TB_TMP/one.json"
	check_summary "$TB_TMP/one.json" "reuseport server, target $t" '.sent == 500'
done

# sockperf's server (IPv4 only in the packaged 3.7) answers probes in its framing (--sockperf).
if command -v sockperf >/dev/null; then
	tb_bg dut sockperf server -i 198.18.0.2 -p 11111 >/dev/null 2>&1
	tb_wait_for 5 server_up 11111 || tb_fail "sockperf server did not start"
	run gen "--sockperf" --count=1000 --sockperf 198.18.0.2:11111
	check_summary "$TB_TMP/client.json" "--sockperf against sockperf's server" '.sent == 1000'
	run gen "--sockperf" --count=1000 --sockperf --size=64 198.18.0.2:11111
	check_summary "$TB_TMP/client.json" "--sockperf --size=64 against sockperf's server"
else
	tb_log "sockperf is not installed: --sockperf not tested"
fi

# Loopback, IPv4 and IPv6 (client and server both in dut).
for target in 127.0.0.1:4321 '[::1]:4321'; do
	run dut "loopback $target" --count=1000 "$target"
	check_summary "$TB_TMP/client.json" "loopback $target blocking"
	run dut "loopback $target --polling --timestamp" --count=1000 --polling --timestamp "$target"
	check_summary "$TB_TMP/client.json" "loopback $target --polling --timestamp" '.packet_avg_us > 0'
	run dut "loopback $target --hwtstamp" --count=1000 --hwtstamp "$target"
	check_summary "$TB_TMP/client.json" "loopback $target --hwtstamp" \
		'.tstamp_source == "software" and .wire_us > 0'
	run dut "loopback $target --rate" --rate=3000 --duration=1 "$target"
	check_summary "$TB_TMP/client.json" "loopback $target --rate=3000" \
		'.sent >= 2850 and .sent <= 3150'
done

# Warm-up: reports during it are marked, and the summary leaves them out.
run gen "warm-up" --warmup=1 --duration=1 --interval=250ms --rate=1000 198.18.0.2:4321
nwarm=$(jq -c 'select(.type == "warmup")' "$TB_TMP/client.json" | wc -l)
[ "$nwarm" -ge 3 ] || tb_fail "warm-up: expected about 4 warm-up reports, got $nwarm"
check_summary "$TB_TMP/client.json" "--warmup=1 --duration=1: summary covers the second only" \
	'.sent >= 950 and .sent <= 1050 and .seconds >= 0.95 and .seconds < 1.3'

# SIGINT: the client stops sending, collects the echoes in flight, prints the summary, exits 0.
# (A script's background jobs start with SIGINT ignored; env puts the default action back.)
tb_spawn gen "$TB_TMP/client.json" "$TB_TMP/client.err" env --default-signal=INT "$CLIENT" --json \
	198.18.0.2:4321
cpid=$TB_LAST_PID
sleep 1.5
kill -INT "$cpid"
rc=0
wait "$cpid" || rc=$?
tb_assert_eq "$rc" 0 "client exit status after SIGINT"
check_summary "$TB_TMP/client.json" "summary after SIGINT" '.seconds > 1 and .seconds < 3'

# The histogram file, in HdrHistogram's text format.
run gen "--hist" --count=500 --hist="$TB_TMP/rtt.hgrm" 198.18.0.2:4321
grep -q 'Value *Percentile *TotalCount' "$TB_TMP/rtt.hgrm" &&
	grep -q '^#\[Mean' "$TB_TMP/rtt.hgrm" &&
	grep -q 'Total count *= *500' "$TB_TMP/rtt.hgrm" ||
	tb_fail "--hist: not an HdrHistogram percentile file: $(head -c 400 "$TB_TMP/rtt.hgrm")"
tb_pass "--hist writes HdrHistogram's percentile format"

# Text output: the classic fields, in the classic format, on a pipe, line by line.
tb_gen "$CLIENT" --count=300 --timestamp 198.18.0.2:4321 >"$TB_TMP/client.txt" 2>/dev/null ||
	tb_fail "text run failed"
grep -qE '^pps= *[0-9]+ avg= *[0-9]+\.[0-9]{3}us dev= *[0-9]+\.[0-9]{3}us min= *[0-9]+\.[0-9]{3}us \(packet=[0-9.]+us/[0-9.]+\) p50=' \
	"$TB_TMP/client.txt" || tb_fail "text report not in the classic format: $(cat "$TB_TMP/client.txt")"
grep -q '^summary: 198.18.0.2:4321: pps=' "$TB_TMP/client.txt" || tb_fail "no text summary"
grep -q 'min= *0\.000us' "$TB_TMP/client.txt" && tb_fail "a report shows min=0.000us"
tb_pass "text report keeps the classic format"

# The servers counted what they echoed, per thread.
kill -TERM "${TB_PIDS[0]}" "${TB_PIDS[1]}"
wait "${TB_PIDS[0]}" "${TB_PIDS[1]}" 2>/dev/null || true
jq -e -s '[.[] | select(.type == "summary")] | length == 1 and .[0].echoed > 10000 and
	.[0].echoed == .[0].received and .[0].tx_errors == 0' "$TB_TMP/server.json" >/dev/null ||
	tb_fail "server summary: $(tail -n2 "$TB_TMP/server.json")"
tb_pass "server: $(jq -r 'select(.type == "summary") | "\(.echoed) echoed"' "$TB_TMP/server.json")"
jq -e -s '[.[] | select(.type == "report" and .thread == 1)] | length >= 1' "$TB_TMP/server2.json" \
	>/dev/null || tb_fail "--threads=2: no per-thread report for thread 1"
tb_pass "server --threads=2 reports per thread"
