#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-udpserver and rxq-udpclient --cpu-dma-latency: while the tool runs, the kernel's effective PM QoS CPU latency
# (what /dev/cpu_dma_latency reads back) is the one asked for, in the socket and the --xdp echo;
# the summary says so; after the server exits, the previous value is back. The setting is global to
# the machine, not to the test's namespaces: it is held only while the server runs.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq od

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)
DEV=/dev/cpu_dma_latency
[ -e "$DEV" ] || tb_skip "$DEV does not exist (a kernel without PM QoS)"

cpu_latency() { od -An -t d4 "$DEV" | tr -d ' \n'; }
before=$(cpu_latency)
[ -n "$before" ] || tb_fail "cannot read $DEV"
# Asking for 0 must show as 0; if something else already holds 0, the test could not tell.
[ "$before" != 0 ] || tb_skip "another process already holds $DEV at 0"
tb_log "effective CPU latency before: $before us"

tb_up 1
s() { tb_dut "$SERVER" --duration=1 "$@"; }
tb_expect_exit 2 "--cpu-dma-latency: '-1' is out of range \(expected 0 to 2000000000\)" \
	s --cpu-dma-latency=-1
tb_expect_exit 2 "--cpu-dma-latency: '2000000001' is out of range" s --cpu-dma-latency=2000000001
tb_assert_eq "$(cpu_latency)" "$before" "CPU latency untouched by refused options"

summary() { jq -c 'select(.type == "summary")' "$1" | tail -n1; }
held() { grep -q "holding the CPU wake-up latency at 0 us" "$1" && grep -q "$2" "$1"; }

# run_held NAME ARGS...: the server with --cpu-dma-latency=0 ARGS; 0 while it runs, back after.
run_held() {
	local name=$1 pid s
	shift
	tb_spawn dut "$TB_TMP/$name.json" "$TB_TMP/$name.err" "$SERVER" --json --cpu-dma-latency=0 "$@"
	pid=$TB_LAST_PID
	tb_wait_for 10 held "$TB_TMP/$name.err" "echoing" ||
		tb_fail "$name: server did not start: $(cat "$TB_TMP/$name.err")"
	tb_assert_eq "$(cpu_latency)" 0 "$name: effective CPU latency while the server runs"
	tb_gen "$CLIENT" --json --count=200 --timeout=200ms 198.18.0.2:4321 >"$TB_TMP/c.json" \
		2>"$TB_TMP/c.err" || tb_fail "$name: client failed: $(cat "$TB_TMP/c.err")"
	jq -e 'select(.type == "summary") | .replies == 200' "$TB_TMP/c.json" >/dev/null ||
		tb_fail "$name: probes not answered: $(summary "$TB_TMP/c.json")"
	tb_assert_eq "$(cpu_latency)" 0 "$name: still held after traffic"
	kill -TERM "$pid"
	wait "$pid" 2>/dev/null || tb_fail "$name: server exited with an error: $(cat "$TB_TMP/$name.err")"
	s=$(summary "$TB_TMP/$name.json")
	jq -e '.cpu_dma_latency_us == 0 and .echoed >= 200' <<<"$s" >/dev/null ||
		tb_fail "$name: summary does not report the held latency: $s"
	tb_pass "$name: summary reports cpu_dma_latency_us=0"
	tb_assert_eq "$(cpu_latency)" "$before" "$name: CPU latency after the server exited"
}

run_held socket --listen=:4321
run_held xdp --listen=:4321 --xdp="$TB_DUT_IF~0"

# Without the option nothing is held and the summary has no such field.
tb_dut "$SERVER" --json --duration=1 >"$TB_TMP/plain.json" 2>"$TB_TMP/plain.err" ||
	tb_fail "plain server failed: $(cat "$TB_TMP/plain.err")"
jq -e 'select(.type == "summary") | has("cpu_dma_latency_us") | not' "$TB_TMP/plain.json" >/dev/null ||
	tb_fail "summary without --cpu-dma-latency: $(summary "$TB_TMP/plain.json")"
tb_pass "without --cpu-dma-latency the summary has no cpu_dma_latency_us"

# ---- the client holds it too ------------------------------------------------------------------------
tb_spawn dut "$TB_TMP/srv.json" "$TB_TMP/srv.err" "$SERVER" --json --listen=:4321
srv_pid=$TB_LAST_PID
tb_wait_until 10 'grep -q echoing "$TB_TMP/srv.err"' || tb_fail "server did not start: $(cat "$TB_TMP/srv.err")"
tb_spawn gen "$TB_TMP/cl.json" "$TB_TMP/cl.err" "$CLIENT" --json --duration=3 --cpu-dma-latency=0 \
	198.18.0.2:4321
cl_pid=$TB_LAST_PID
tb_wait_for 10 held "$TB_TMP/cl.err" "for the run" || tb_fail "client did not hold: $(cat "$TB_TMP/cl.err")"
tb_assert_eq "$(cpu_latency)" 0 "client: effective CPU latency while the client runs"
wait "$cl_pid" || tb_fail "client failed: $(cat "$TB_TMP/cl.err")"
jq -e 'select(.type == "summary") | .cpu_dma_latency_us == 0 and .replies > 0' "$TB_TMP/cl.json" \
	>/dev/null || tb_fail "client summary: $(summary "$TB_TMP/cl.json")"
tb_pass "client: summary reports cpu_dma_latency_us=0"
tb_assert_eq "$(cpu_latency)" "$before" "client: CPU latency after the client exited"
kill -TERM "$srv_pid"
wait "$srv_pid" 2>/dev/null || true
tb_expect_exit 2 "--cpu-dma-latency: '-5' is out of range" tb_gen "$CLIENT" --cpu-dma-latency=-5 198.18.0.2:4321
