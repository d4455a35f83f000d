#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The helpers of lib.sh that the other tests rely on without checking them: tb_spawn's output
# files and PID, tb_wait_json, the seed and its override, tb_tshark with heuristic dissectors off,
# and a cleanup that kills what a daemon left running in the namespaces (checked from a second
# shell, after the inner run's EXIT trap).
source "$(dirname "$0")/lib.sh"
tb_require ip tshark

if [ "${1:-}" != inner ]; then
	# --- the seed ------------------------------------------------------------------------------
	got=$(RXQ_TEST_SEED=4242 bash -c 'source "$1"; echo "$TB_SEED"' sh "$(dirname "$0")/lib.sh")
	tb_assert_eq "$got" 4242 "RXQ_TEST_SEED replays a seed"
	rc=0
	RXQ_TEST_SEED=12x bash -c 'source "$1"' sh "$(dirname "$0")/lib.sh" 2>"$TB_TMP/seed.err" || rc=$?
	[ "$rc" != 0 ] && grep -q "RXQ_TEST_SEED=12x is not" "$TB_TMP/seed.err" ||
		tb_fail "a bad RXQ_TEST_SEED was taken (exit $rc): $(cat "$TB_TMP/seed.err")"
	tb_pass "a bad RXQ_TEST_SEED is refused: $(cat "$TB_TMP/seed.err")"

	# --- cleanup, from outside ------------------------------------------------------------------
	rc=0
	out=$(bash "$0" inner 2>"$TB_TMP/inner.err") || rc=$?
	echo "$out"
	[ "$rc" = 77 ] && tb_skip "$(sed -n 's/^SKIP: //p' "$TB_TMP/inner.err")"
	[ "$rc" = 0 ] || tb_fail "inner checks failed: $(cat "$TB_TMP/inner.err")"
	names=$(echo "$out" | sed -n 's/^namespaces: //p')
	orphans=$(echo "$out" | sed -n 's/^orphans: //p')
	[ -n "$names" ] && [ -n "$orphans" ] || tb_fail "the inner run did not report what it left"
	for ns in $names; do
		ip netns list | awk '{ print $1 }' | grep -qxF "$ns" && tb_fail "namespace $ns left behind"
	done
	tb_pass "namespaces removed on exit ($names)"
	# (killed, a process may stay a zombie until whatever adopted it reaps it: that is dead)
	for pid in $orphans; do
		state=$(ps -o stat= -p "$pid" 2>/dev/null) || continue
		case $state in Z*) ;; *) tb_fail "process $pid, forked away from the test, survived ($state)" ;; esac
	done
	tb_pass "processes forked away in the namespaces were killed ($orphans)"
	grep -q "cleanup:" "$TB_TMP/inner.err" && tb_fail "cleanup complained: $(cat "$TB_TMP/inner.err")"
	tb_pass "the cleanup had nothing to complain about"
	exit 0
fi

tb_up 1
echo "namespaces: $TB_GEN $TB_DUT"

# --- tb_spawn: named output files, CMD's own PID, in the namespace ---------------------------------
tb_spawn dut "$TB_TMP/o" "$TB_TMP/e" sh -c 'echo to-stdout; echo to-stderr >&2; exec sleep 30'
pid=$TB_LAST_PID
tb_wait_for 5 grep -q to-stderr "$TB_TMP/e" || tb_fail "tb_spawn: nothing on the ERR file"
tb_assert_eq "$(cat "$TB_TMP/o")/$(cat "$TB_TMP/e")" to-stdout/to-stderr "tb_spawn: OUT and ERR files"
tb_assert_eq "$(cat /proc/"$pid"/comm)" sleep "tb_spawn: TB_LAST_PID is the command itself"
tb_assert_eq "$(ip netns identify "$pid")" "$TB_DUT" "tb_spawn: the command runs in the dut"
tb_assert_eq "${TB_PIDS[-1]}" "$pid" "tb_spawn: the PID is registered for the cleanup"

# --- tb_wait_json ---------------------------------------------------------------------------------
tb_spawn gen "$TB_TMP/j" - sh -c 'sleep 0.3; echo "{\"type\":\"ready\",\"x\":1}"; exec sleep 30'
tb_wait_json "$TB_TMP/j" ready 5 || tb_fail "tb_wait_json: the ready record was not seen"
tb_pass "tb_wait_json: sees a record written after it started"
t0=$(date +%s%N)
tb_wait_json "$TB_TMP/j" summary 1 && tb_fail "tb_wait_json: found a record that is not there"
[ $((($(date +%s%N) - t0) / 1000000)) -ge 900 ] || tb_fail "tb_wait_json gave up before its timeout"
tb_pass "tb_wait_json: returns 1 after the timeout for a missing type"

# --- tb_tshark: a WireGuard-looking UDP payload on an arbitrary port -------------------------------
# A handshake initiation is 148 bytes starting 01 00 00 00: tshark's wg heuristic claims it.
gen=$(tb_bin rxq-gen)
hex=01000000$(printf '11%.0s' $(seq 144))
"$gen" --quiet --seed "$TB_SEED" pcap:"$TB_TMP/wg.pcap" --count 1 \
	--flow "udp4 src-ip 198.18.0.1 dst-ip 198.18.0.2 src-port 40000 dst-port 40001 payload hex:$hex" \
	>/dev/null || tb_fail "rxq-gen could not write the capture"
plain=$(tshark -n -r "$TB_TMP/wg.pcap" -T fields -e frame.protocols 2>/dev/null)
case $plain in
*:wg) ;;
*) tb_skip "this tshark does not take the payload for WireGuard ($plain): nothing to check" ;;
esac
tb_assert_eq "$(tb_tshark -r "$TB_TMP/wg.pcap" -T fields -e frame.protocols 2>/dev/null)" \
	eth:ethertype:ip:udp:data "tb_tshark: the payload stays data (plain tshark: $plain)"

# --- what the cleanup must find by itself ----------------------------------------------------------
# A daemon's child: forked, the parent gone, not in TB_PIDS.
tb_dut sh -c 'sleep 300 >/dev/null 2>&1 & echo $! >"$1"' sh "$TB_TMP/orphan1"
tb_gen sh -c 'sleep 300 >/dev/null 2>&1 & echo $! >"$1"' sh "$TB_TMP/orphan2"
echo "orphans: $(cat "$TB_TMP/orphan1") $(cat "$TB_TMP/orphan2")"
