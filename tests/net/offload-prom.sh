#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-offload --prom FILE in a directory others can write to: the temporary file it renames over
# FILE is never a symlink or FIFO someone planted. The planted entries take the name the temporary
# file used to have (FILE.tmp.PID: the test execs rxq-offload from a shell whose PID it knows)
# and a set of other names beside FILE. A pcap: run is enough: it writes the file at the end.

source "$(dirname "$0")/lib.sh"
tb_require jq timeout mkfifo

OFF=$(tb_bin rxq-offload)
GEN=$(tb_bin rxq-gen)
R=$TB_TMP/pass.rules
printf 'default pass\n' >"$R"
CAP=$TB_TMP/in.pcap
tb_seed
"$GEN" --quiet --seed "$TB_SEED" pcap:"$CAP" --count 100 --flow 'udp4 src 198.18.0.1 dst 198.18.0.2 dport 53' \
	>/dev/null || tb_fail "rxq-gen could not write the capture"

DIR=$TB_TMP/collector
mkdir -m 1777 "$DIR"
PROM=$DIR/rxq.prom
VICTIM=$TB_TMP/victim
printf 'precious\n' >"$VICTIM"

# prom_run PLANT: in a shell, plant with PLANT "$PROM.tmp.$$" (and a few names around it), then
# exec rxq-offload, which keeps the shell's PID. Fails if it does not finish within 20 s.
prom_run() {
	local plant=$1 rc=0
	rm -f "$PROM" "$PROM".tmp.*
	PROM=$PROM VICTIM=$VICTIM OFF=$OFF CAP=$CAP R=$R timeout -k 5 20 bash -c '
		'"$plant"' "$PROM.tmp.$$"
		for n in 0 1 2 3; do '"$plant"' "$PROM.tmp.$(($$ + n + 1))"; done
		exec "$OFF" --json pcap:"$CAP" --rules "$R" --prom "$PROM"' \
		>"$TB_TMP/off.json" 2>"$TB_TMP/off.err" || rc=$?
	# 137: SIGTERM was not enough, as signals wait for the control thread that is blocked
	[ "$rc" = 124 ] || [ "$rc" = 137 ] &&
		tb_fail "rxq-offload --prom blocked on a planted entry (killed after 20 s)"
	[ "$rc" = 0 ] || tb_fail "rxq-offload --prom exited $rc: $(cat "$TB_TMP/off.err")"
	[ -f "$PROM" ] && [ ! -L "$PROM" ] || tb_fail "$PROM was not written as a regular file"
	tb_assert_eq "$(grep -c '^rxq_offload_rx_packets_total{port="pcap:.*",queue="0"} 100$' \
		"$PROM")" 1 "$2: $PROM holds the counters of the run"
}

prom_run 'ln -s "$VICTIM"' "symlink planted"
tb_assert_eq "$(cat "$VICTIM")" precious "symlink planted: its target is untouched"
n=$(find "$DIR" -maxdepth 1 -name 'rxq.prom.tmp.*' -type l | wc -l)
tb_assert_eq "$n" 5 "symlink planted: the planted links are left as they were"
n=$(find "$DIR" -maxdepth 1 -name 'rxq.prom.tmp.*' ! -type l | wc -l)
tb_assert_eq "$n" 0 "symlink planted: no temporary file is left behind"

prom_run 'mkfifo' "FIFO planted"
n=$(find "$DIR" -maxdepth 1 -name 'rxq.prom.tmp.*' -type p | wc -l)
tb_assert_eq "$n" 5 "FIFO planted: rxq-offload neither blocked nor removed the FIFOs"

# A FILE that is a symlink is replaced by the file, not followed.
rm -f "$DIR"/rxq.prom*
ln -s "$VICTIM" "$PROM"
"$OFF" --json pcap:"$CAP" --rules "$R" --prom "$PROM" >/dev/null 2>"$TB_TMP/off.err" ||
	tb_fail "rxq-offload --prom over a symlink failed: $(cat "$TB_TMP/off.err")"
tb_assert_eq "$(cat "$VICTIM")" precious "FILE a symlink: its target is untouched"
[ -f "$PROM" ] && [ ! -L "$PROM" ] || tb_fail "FILE a symlink: it was not replaced by the file"
tb_pass "FILE a symlink: replaced by the textfile"

perm=$(umask 022 && rm -f "$PROM" && "$OFF" pcap:"$CAP" --rules "$R" --prom "$PROM" \
	>/dev/null 2>&1 && stat -c %a "$PROM")
tb_assert_eq "$perm" 644 "the textfile is readable by a collector running as another user"
