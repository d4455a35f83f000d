#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpserver answers the real sockperf client, as a sockperf server does: ping-pong messages are
# all answered, under-load messages only when they ask for it (--reply-every), and every answer
# goes back with sockperf's client flag cleared (a sockperf client ignores anything else). Both
# the socket echo and the --xdp echo; the server's counts must match sockperf's. rxq's own probes,
# plain and sockperf-framed (rxq-udpclient --sockperf, IPv4 and IPv6), keep being answered.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq sockperf timeout

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)

tb_up 1
# Answers of an under-load run that may still be on their way when sockperf stops listening: at
# 2000 messages/s, one in ten answered, a round trip of up to 25 ms on a busy machine.
INFLIGHT=5

# sockperf_run NAME MODE ARGS...: one sockperf client run; its counts in SP_SENT and SP_RECEIVED.
sockperf_run() {
	local name=$1 out=$TB_TMP/$1.sockperf total
	shift
	tb_gen timeout 60 sockperf "$@" -p 4321 -t 1 --mps=2000 >"$out" 2>&1 ||
		tb_fail "$name: sockperf $* failed: $(tail -n5 "$out")"
	total=$(grep -F '[Total Run]' "$out") || tb_fail "$name: no [Total Run] line: $(tail -n5 "$out")"
	SP_SENT=$(sed -n 's/.*SentMessages=\([0-9]*\).*/\1/p' <<<"$total")
	SP_RECEIVED=$(sed -n 's/.*ReceivedMessages=\([0-9]*\).*/\1/p' <<<"$total")
	[ -n "$SP_SENT" ] && [ -n "$SP_RECEIVED" ] || tb_fail "$name: cannot read sockperf's counts: $total"
	grep -q 'Summary: Latency is [0-9.]* usec' "$out" ||
		tb_fail "$name: sockperf reports no latency: $(tail -n5 "$out")"
	grep -q 'No messages were received' "$out" && tb_fail "$name: sockperf received nothing"
	tb_log "$name: sockperf $*: sent $SP_SENT, received $SP_RECEIVED"
}

# rxq_run NAME ARGS... TARGET: 200 rxq probes, all answered.
rxq_run() {
	local name=$1
	shift
	tb_gen "$CLIENT" --json --count=200 --timeout=500ms "$@" >"$TB_TMP/c.json" 2>"$TB_TMP/c.err" ||
		tb_fail "$name: rxq-udpclient $* failed: $(cat "$TB_TMP/c.err")"
	jq -e 'select(.type == "summary") | .replies == 200 and .lost == 0' "$TB_TMP/c.json" >/dev/null ||
		tb_fail "$name: rxq-udpclient $*: $(jq -c 'select(.type == "summary")' "$TB_TMP/c.json")"
	tb_pass "$name: rxq-udpclient $*: 200 of 200 answered"
}

v6=1
# (sockperf before 3.8 refuses IPv6 addresses, and exits 0 doing so)
tb_gen timeout 10 sockperf ping-pong -i fd00::2 -p 4321 -t 1 >"$TB_TMP/v6" 2>&1 || true
if grep -q "Invalid address" "$TB_TMP/v6"; then
	v6=0
	tb_log "this sockperf ($(sockperf --version 2>&1 | head -n1)) has no IPv6: IPv6 only with rxq-udpclient --sockperf"
fi

# check MODE ARGS...: a server with ARGS, then rxq probes, sockperf ping-pong and under-load.
check() {
	local name=$1 pid s sent=0 received=0 pp_runs=0 ul_runs=0 ul_sent=0 ul_received=0 rxq_plain=200
	local rxq_sockperf=400 target
	shift
	tb_spawn dut "$TB_TMP/$name.json" "$TB_TMP/$name.err" "$SERVER" --listen=:4321 --json "$@"
	pid=$TB_LAST_PID
	tb_wait_for 10 grep -q "echoing" "$TB_TMP/$name.err" ||
		tb_fail "$name: server did not start: $(cat "$TB_TMP/$name.err")"
	# Wait for the XDP program to be in place before anything is sent: else the kernel answers.
	if [ "$name" = xdp ]; then
		tb_wait_for 5 test -n "$(tb_xdp_attached dut "$TB_DUT_IF")" || tb_fail "xdp: not attached"
	fi

	rxq_run "$name" 198.18.0.2:4321
	rxq_run "$name" --sockperf --size=64 198.18.0.2:4321
	rxq_run "$name" --sockperf --size=64 '[fd00::2]:4321'

	for target in 198.18.0.2 fd00::2; do
		[ "$target" = fd00::2 ] && [ "$v6" = 0 ] && continue
		sockperf_run "$name-pp-$target" ping-pong -i "$target"
		# Ping-pong waits for each answer: all but the one in flight when time ran out.
		[ "$SP_RECEIVED" -ge 1 ] && [ "$SP_RECEIVED" -ge $((SP_SENT - 1)) ] ||
			tb_fail "$name: ping-pong to $target: $SP_RECEIVED of $SP_SENT answered"
		tb_pass "$name: sockperf ping-pong to $target: $SP_RECEIVED of $SP_SENT answered"
		sent=$((sent + SP_SENT)) received=$((received + SP_RECEIVED)) pp_runs=$((pp_runs + 1))

		sockperf_run "$name-ul-$target" under-load -i "$target" --reply-every=10
		# One message in ten asks for an answer; only those are answered (the last few may
		# still be on their way back when sockperf stops listening).
		[ "$SP_RECEIVED" -ge 1 ] && [ $((SP_RECEIVED * 10)) -ge $((SP_SENT - 10 * (1 + INFLIGHT))) ] &&
			[ $((SP_RECEIVED * 10)) -le $((SP_SENT + 10)) ] ||
			tb_fail "$name: under-load to $target: $SP_RECEIVED answers for $SP_SENT messages (expected one in 10)"
		tb_pass "$name: sockperf under-load --reply-every=10 to $target: $SP_RECEIVED answers for $SP_SENT"
		sent=$((sent + SP_SENT)) received=$((received + SP_RECEIVED))
		ul_sent=$((ul_sent + SP_SENT)) ul_received=$((ul_received + SP_RECEIVED))
		ul_runs=$((ul_runs + 1))
	done

	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || tb_fail "$name: server exited with an error: $(cat "$TB_TMP/$name.err")"
	s=$(jq -c 'select(.type == "summary")' "$TB_TMP/$name.json" | tail -n1)
	tb_log "$name: server summary $s"
	# Every sockperf message reached the server; the ones it answered are the ones sockperf
	# received (plus the answers in flight when a run ended: at most one in ping-pong, a few in
	# under-load), the rest were under-load messages that did not ask. rxq's sockperf-framed
	# probes count as sockperf requests, its plain ones do not.
	jq -e --argjson sent "$sent" --argjson plain "$rxq_plain" --argjson rsp "$rxq_sockperf" \
		'.received == $sent + $plain + $rsp' <<<"$s" >/dev/null ||
		tb_fail "$name: server received $(jq .received <<<"$s"), sockperf and rxq sent $((sent + rxq_plain + rxq_sockperf))"
	jq -e --argjson lo "$((received + rxq_sockperf))" \
		--argjson hi "$((received + rxq_sockperf + pp_runs + ul_runs * INFLIGHT))" \
		'.sockperf >= $lo and .sockperf <= $hi' <<<"$s" >/dev/null ||
		tb_fail "$name: server answered $(jq .sockperf <<<"$s") sockperf requests, sockperf received $received (+ $rxq_sockperf rxq)"
	tb_pass "$name: sockperf requests answered $(jq .sockperf <<<"$s") = received by sockperf $received (+ $rxq_sockperf rxq --sockperf probes, + at most $((pp_runs + ul_runs * INFLIGHT)) in flight)"
	jq -e --argjson plain "$rxq_plain" '.echoed == .sockperf + $plain and
		.sockperf + .sockperf_no_reply + $plain == .received and .tx_errors == 0' \
		<<<"$s" >/dev/null || tb_fail "$name: server counts do not add up: $s"
	# Under-load: the messages not answered are the ones that did not ask (nine in ten).
	jq -e --argjson hi "$((ul_sent - ul_received))" --argjson lo "$((ul_sent - ul_received - ul_runs * INFLIGHT))" \
		'.sockperf_no_reply >= $lo and .sockperf_no_reply <= $hi' <<<"$s" >/dev/null ||
		tb_fail "$name: $(jq .sockperf_no_reply <<<"$s") under-load messages left unanswered, expected $((ul_sent - ul_received)) (- in flight)"
	tb_pass "$name: under-load messages left unanswered: $(jq .sockperf_no_reply <<<"$s") of $ul_sent"
}

check socket
check xdp --xdp="$TB_DUT_IF~0"
[ -z "$(tb_xdp_attached dut "$TB_DUT_IF")" ] || tb_fail "the XDP program stayed attached"

# --sockperf: every datagram is taken for a sockperf message, rxq's own probes still echoed.
tb_spawn dut "$TB_TMP/force.json" "$TB_TMP/force.err" "$SERVER" --listen=:4321 --json --sockperf
pid=$TB_LAST_PID
tb_wait_for 10 grep -q "echoing" "$TB_TMP/force.err" || tb_fail "--sockperf server did not start"
rxq_run forced 198.18.0.2:4321
sockperf_run forced-pp ping-pong -i 198.18.0.2
[ "$SP_RECEIVED" -ge 1 ] && [ "$SP_RECEIVED" -ge $((SP_SENT - 1)) ] ||
	tb_fail "--sockperf: ping-pong $SP_RECEIVED of $SP_SENT answered"
tb_pass "--sockperf: ping-pong $SP_RECEIVED of $SP_SENT answered"
# A datagram that is no sockperf request (a sockperf answer: client flag clear) is not answered.
tb_gen python3 -c '
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.connect(("198.18.0.2", 4321))
s.settimeout(0.5)
msg = struct.pack("!QHI", 1, 2, 14)
for _ in range(5):
    s.send(msg)
try:
    s.recv(100)
    sys.exit("an answer was answered")
except socket.timeout:
    pass
' || tb_fail "--sockperf: a sockperf answer must not be answered"
kill -TERM "$pid"
wait "$pid" 2>/dev/null || tb_fail "--sockperf server exited with an error"
s=$(jq -c 'select(.type == "summary")' "$TB_TMP/force.json" | tail -n1)
jq -e '.sockperf_no_reply == 5 and .echoed == .sockperf + 200' <<<"$s" >/dev/null ||
	tb_fail "--sockperf: server summary $s"
tb_pass "--sockperf: 5 answers not answered, rxq probes echoed: $s"
