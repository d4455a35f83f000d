#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-gen never hangs.
#  (a) packet: (sendmmsg) into a veth whose peer runs a native XDP program: while the peer's ring is
#      full the device refuses frames (ENOBUFS), and those must be sent again. The peer's receive
#      work is pinned to the sender's CPU, so that refusals happen in every run; each run must end
#      well within its time limit with exactly the count sent and received.
#  (b) a device that takes nothing (a token bucket of 8 bit/s, through the qdisc): the watchdog
#      gives up after --stall-timeout (2 s by default), says what is stuck, and exits 1.

source "$(dirname "$0")/lib.sh"
tb_require jq tc timeout
tb_up 1

GEN=$(tb_bin rxq-gen)
FLOOD='udp4 src 198.18.0.0/16 random sport 1024-65535 dst 198.18.0.2 dport 9 size 60'
COUNT=300000
RUNS=3

# --- (a) refusals are retried until everything is out ------------------------------------------
tb_sink "$TB_TMP/sink.json" --class 'udp4 dst-ip 198.18.0.2/32 dst-port 9'
tb_napi_pin dut dut0 0

retries=0
for run in $(seq "$RUNS"); do
	out=$TB_TMP/gen.$run.json rc=0
	# Unbounded, the old sender spun for ever after the first refusal.
	timeout 60 ip netns exec "$TB_GEN" "$GEN" --json --quiet --cpu 0 packet:gen0 \
		--count "$COUNT" --flow "$FLOOD" >"$out" 2>"$out.err" || rc=$?
	[ "$rc" = 124 ] && tb_fail "run $run: rxq-gen still sending after 60 s: $(tail -c 400 "$out")"
	[ "$rc" = 0 ] || tb_fail "run $run: rxq-gen exited $rc: $(cat "$out.err")"
	s=$(jq -c 'select(.type == "summary")' "$out")
	tb_assert_eq "$(jq .tx_packets <<<"$s")" "$COUNT" "run $run: all frames sent"
	tb_assert_eq "$(jq .errors <<<"$s")" 0 "run $run: no send errors"
	retries=$((retries + $(jq .retries <<<"$s")))
done
# Without refusals the runs above prove nothing.
[ "$retries" -gt 0 ] || tb_fail "the device refused no frame in $RUNS runs: the test did not test"
tb_pass "$retries refusals over $RUNS runs, every one retried"
tb_sink_stop
got=$(jq -r '.c0.packets' <<<"$TB_SINK_SUM")
tb_assert_eq "$got" $((COUNT * RUNS)) "the receiver counted every frame, once"

# --- (b) the watchdog --------------------------------------------------------------------------
# The first frames fill the bucket's queue; after that every frame is dropped on enqueue
# (ENOBUFS) and none leaves for a minute.
tb_gen tc qdisc add dev gen0 root tbf rate 8bit burst 1600 limit 3000 ||
	tb_fail "cannot add a tbf qdisc to gen0"

# stuck WHAT LIMIT_S PATTERN ARGS...: rxq-gen must exit 1 within LIMIT_S, say PATTERN on stderr,
# and account for fewer frames than asked.
stuck() {
	local what=$1 limit=$2 pattern=$3
	shift 3
	local out=$TB_TMP/stuck.json rc=0 t0 ms
	t0=$(date +%s%N)
	timeout 30 ip netns exec "$TB_GEN" "$GEN" --json --quiet --qdisc packet:gen0 \
		--count 100000 --flow "$FLOOD" "$@" >"$out" 2>"$out.err" || rc=$?
	ms=$((($(date +%s%N) - t0) / 1000000))
	[ "$rc" = 1 ] || tb_fail "$what: exit $rc after $ms ms, expected 1: $(cat "$out.err")"
	[ "$ms" -le $((limit * 1000)) ] || tb_fail "$what: gave up after $ms ms, expected < $limit s"
	grep -qE -- "$pattern" "$out.err" || tb_fail "$what: did not say /$pattern/: $(cat "$out.err")"
	s=$(jq -c 'select(.type == "summary")' "$out")
	[ -n "$s" ] || tb_fail "$what: no summary: $(cat "$out")"
	jq -e '.tx_packets < 100000 and .retries > 0' <<<"$s" >/dev/null ||
		tb_fail "$what: the summary does not show the stall: $s"
	tb_pass "$what: exit 1 after $ms ms: $(head -n1 "$out.err")"
}

stuck "sendmmsg, default timeout" 6 \
	'rxq-gen: packet:gen0: no frame sent for 2\.[0-9] s \([0-9]+ sent, [0-9]+ waiting, [0-9]+ retries, last refusal: No buffer space available, 0 errors\)'
stuck "sendmmsg, --stall-timeout=500ms" 3 'packet:gen0: no frame sent for 0\.[5-9] s' \
	--stall-timeout=500ms
stuck "TX ring, --stall-timeout=500ms" 3 'packet:gen0: no frame sent for 0\.[5-9] s' \
	--tx-ring --stall-timeout=500ms
