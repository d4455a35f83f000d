#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-nic's undo journal cannot lose an undo, on a copy of the ixgbe-like fixture tree (--root):
#  (a) SIGKILL in the middle of a plan: the steps done so far, and the one under way, have their
#      records; undo then restores every file byte for byte;
#  (b) SIGTERM in the middle of a plan: the plan is rolled back, no journal is left, the files are
#      as before;
#  (c) 40 runs in parallel, each changing the IRQ affinities: no record is lost, one undo restores
#      every file byte for byte;
#  (d) a journal too large to be one of rxq-nic's is refused, not read in part.
# A step is held in place by a FIFO where a /proc/irq file was: writing it blocks until the test
# reads it, so the kill lands at a known step.
source "$(dirname "$0")/lib.sh"
tb_require mkfifo cmp
NIC=$(tb_bin rxq-nic)
FIXTURE=$TB_ROOT/tests/unit/fixtures/nic-ixgbe
ROOT=$TB_TMP/root
STATE=$TB_TMP/state
nic() { "$NIC" --root "$ROOT" --state-dir "$STATE" "$@"; }
fresh() {
	rm -rf "$ROOT" "$STATE"
	cp -r "$FIXTURE" "$ROOT"
}
same_as_fixture() { diff -r --no-dereference "$FIXTURE" "$ROOT" >"$TB_TMP/diff" 2>&1; }
# hold IRQ: IRQ's affinity file becomes a FIFO. A feeder answers every read with the old value
# (rxq-nic reads it while planning); a write -- the step -- then blocks, since nothing reads.
hold() {
	local f=$ROOT/proc/irq/$1/smp_affinity_list
	cp "$f" "$TB_TMP/held.$1"
	rm "$f"
	mkfifo "$f"
	(while :; do cat "$TB_TMP/held.$1" >"$f" 2>/dev/null || exit 0; done) &
	FEEDER=$!
}
stop_feeder() {
	kill "$FEEDER" 2>/dev/null
	# The feeder may sit in open(); a reader lets it out.
	timeout 1 cat "$ROOT/proc/irq/$1/smp_affinity_list" >/dev/null 2>&1
	wait "$FEEDER" 2>/dev/null
}
unhold() {
	rm -f "$ROOT/proc/irq/$1/smp_affinity_list"
	cp "$TB_TMP/held.$1" "$ROOT/proc/irq/$1/smp_affinity_list"
}
records() { grep -c '^file ' "$STATE/eth3.journal" 2>/dev/null || echo 0; }

# --- (a) SIGKILL at the 3rd of 8 steps -------------------------------------------------------------
fresh
hold 47 # eth3-TxRx-2: the 3rd queue, the 3rd step of irq --spread
"$NIC" --root "$ROOT" --state-dir "$STATE" irq eth3 --spread >"$TB_TMP/a.out" 2>&1 &
pid=$!
# The first two steps are done and the 3rd is blocked once its record is in the journal.
tb_wait_for 10 sh -c "[ \$(grep -c '^file ' '$STATE/eth3.journal' 2>/dev/null) = 3 ]" ||
	tb_fail "(a) the journal never held 3 records: $(cat "$STATE/eth3.journal" 2>&1)"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
stop_feeder 47
tb_assert_eq "$(records)" 3 "(a) after SIGKILL at step 3: the records of steps 1-3 are in the journal"
unhold 47
nic undo eth3 >"$TB_TMP/a.undo" 2>&1 || tb_fail "(a) undo failed: $(cat "$TB_TMP/a.undo")"
same_as_fixture || tb_fail "(a) undo did not restore the tree: $(cat "$TB_TMP/diff")"
tb_pass "(a) undo restored every file byte for byte"
[ -e "$STATE/eth3.journal" ] && tb_fail "(a) undo left the journal"
tb_pass "(a) and removed the journal"

# --- (b) SIGTERM at the 3rd step: rolled back ------------------------------------------------------
fresh
hold 47
"$NIC" --root "$ROOT" --state-dir "$STATE" irq eth3 --spread >"$TB_TMP/b.out" 2>&1 &
pid=$!
tb_wait_for 10 sh -c "[ \$(grep -c '^file ' '$STATE/eth3.journal' 2>/dev/null) = 3 ]" ||
	tb_fail "(b) the journal never held 3 records"
kill -TERM "$pid"
sleep 0.2
stop_feeder 47
# Let step 3 and its rollback through the FIFO.
(while :; do cat "$ROOT/proc/irq/47/smp_affinity_list" >/dev/null 2>&1 || exit 0; done) &
reader=$!
rc=0
wait "$pid" || rc=$?
kill "$reader" 2>/dev/null
wait "$reader" 2>/dev/null
[ "$rc" != 0 ] || tb_fail "(b) rxq-nic ended with 0 after SIGTERM"
unhold 47
grep -q 'interrupted: rolling back' "$TB_TMP/b.out" || tb_fail "(b) no rollback said: $(cat "$TB_TMP/b.out")"
tb_pass "(b) SIGTERM during the plan: rolled back (exit $rc)"
# Step 3 was written into the FIFO, which is gone; every other file must be as it was.
same_as_fixture || tb_fail "(b) the rollback left changes: $(cat "$TB_TMP/diff")"
tb_pass "(b) every file as before"
[ -e "$STATE/eth3.journal" ] && tb_fail "(b) a rolled-back plan left a journal: $(cat "$STATE/eth3.journal")"
tb_pass "(b) no journal left"

# --- (c) 40 parallel runs -------------------------------------------------------------------------------
fresh
pids=()
for i in $(seq 40); do
	case $((i % 4)) in
	0) cpus=0 ;; 1) cpus=1 ;; 2) cpus=3 ;; *) cpus=0,3 ;;
	esac
	nic irq eth3 --spread --cpus "$cpus" >"$TB_TMP/c.$i" 2>&1 &
	pids+=($!)
done
for pid in "${pids[@]}"; do
	wait "$pid" || tb_fail "(c) a parallel run failed: $(cat "$TB_TMP"/c.* | grep -v '^\[done\]' | head -5)"
done
changed=$(cat "$TB_TMP"/c.* | sed -n 's/.*changed=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
tb_assert_eq "$(records)" "$changed" "(c) 40 parallel runs: a record for each of the $changed changes they made"
nic undo eth3 >"$TB_TMP/c.undo" 2>&1 || tb_fail "(c) undo failed: $(tail -3 "$TB_TMP/c.undo")"
same_as_fixture || tb_fail "(c) undo did not restore the tree: $(cat "$TB_TMP/diff")"
tb_pass "(c) one undo restored every file byte for byte"

# --- (d) a journal too large -------------------------------------------------------------------------------
fresh
nic irq eth3 --spread >/dev/null 2>&1 || tb_fail "(d) irq --spread failed"
cp "$STATE/eth3.journal" "$TB_TMP/journal"
head -c $((64 << 20)) /dev/zero | tr '\0' '#' >>"$STATE/eth3.journal"
rc=0
nic undo eth3 >"$TB_TMP/d.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || tb_fail "(d) undo read a 64 MiB journal"
grep -q 'MiB or larger' "$TB_TMP/d.out" || tb_fail "(d) no clear refusal: $(cat "$TB_TMP/d.out")"
tb_pass "(d) a 64 MiB journal is refused, not read in part (exit $rc)"
cmp -s <(head -c "$(stat -c %s "$TB_TMP/journal")" "$STATE/eth3.journal") "$TB_TMP/journal" ||
	tb_fail "(d) the refused journal was changed"
tb_pass "(d) and left as it was"
