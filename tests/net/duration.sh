#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# --duration is kept: rxq-offload and rxq-udpserver (kernel sockets and --xdp) stop when their
# time is up, not at the next report tick after it. Measured from the moment a tool says it runs
# (its start record or its "echoing" line) to its exit, so that setup time -- loading and
# verifying BPF programs on a busy machine -- does not count; teardown does, within a tolerance.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq awk

OFF=$(tb_bin rxq-offload)
SERVER=$(tb_bin rxq-udpserver)
tb_up 2

cat >"$TB_TMP/rules" <<'RULES'
drop    src net 198.19.0.0/16
default pass
RULES

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# timed WHAT DURATION_S SUMMARY_TOL EXIT_TOL READY_PATTERN CMD...: runs CMD (--json) in dut with
# stdout and stderr in one file. The run its summary accounts for must be DURATION_S, up to
# SUMMARY_TOL more; from the first line matching READY_PATTERN to the exit may take at most
# DURATION_S + EXIT_TOL (seen late, the line only makes this shorter); the exit status must be 0.
timed() {
	local what=$1 dur=$2 tol=$3 exit_tol=$4 ready=$5
	shift 5
	local log=$TB_TMP/timed.log pid rc=0 t0 t1 ms secs
	: >"$log"
	tb_dut "$@" >"$log" 2>&1 &
	pid=$!
	TB_PIDS+=("$pid")
	for _ in $(seq 2000); do
		grep -q -- "$ready" "$log" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.01
	done
	t0=$(now_ms)
	grep -q -- "$ready" "$log" || tb_fail "$what did not start: $(head -c 600 "$log")"
	wait "$pid" || rc=$?
	t1=$(now_ms)
	[ "$rc" = 0 ] || tb_fail "$what exited $rc: $(head -c 600 "$log")"
	ms=$((t1 - t0))
	secs=$(grep '^{' "$log" | jq -r 'select(.type == "summary") | .seconds')
	[ -n "$secs" ] || tb_fail "$what printed no summary: $(head -c 600 "$log")"
	awk -v s="$secs" -v d="$dur" -v tol="$tol" 'BEGIN { exit !(s >= d - 0.005 && s <= d + tol) }' ||
		tb_fail "$what: its summary covers $secs s, expected $dur s (+$tol s at most): $(cat "$log")"
	awk -v ms="$ms" -v d="$dur" -v tol="$exit_tol" 'BEGIN { exit !(ms <= (d + tol) * 1000) }' ||
		tb_fail "$what: exited $ms ms after starting, expected $dur s (+$exit_tol s at most)"
	tb_pass "$what: summary over $secs s, exit $ms ms after starting"
}

# rxq-offload: the XDP program detached and the AF_XDP rings drained within the tolerance.
for d in 1 1.5 2; do
	timed "rxq-offload --duration ${d}s" "$d" 0.4 0.6 '"type":"start"' \
		"$OFF" --json --kernel-tier=off --rules "$TB_TMP/rules" --flow 'udp4 dst-port 53' \
		--duration "${d}s" xdp:dut0
done

# rxq-udpserver: nothing to tear down but the threads.
for d in 1 1.5; do
	timed "rxq-udpserver --duration=$d" "$d" 0.3 0.4 'echoing on' \
		"$SERVER" --json --listen=:4321 --duration="$d"
done
timed "rxq-udpserver --xdp --duration=1.5" 1.5 0.3 0.6 'echoing UDP port' \
	"$SERVER" --json --listen=198.18.0.2:4321 --xdp=dut0~0 --duration=1.5
