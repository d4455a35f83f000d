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
#  (d) a journal too large to be one of rxq-nic's is refused, not read in part;
#  (e) two namespaces with a jv0 each keep a journal each; an old-style journal is still undone.
# A step is held in place by a FIFO where a /proc/irq file was: writing it blocks until the test
# reads it, so the kill lands at a known step.
source "$(dirname "$0")/lib.sh"
tb_require mkfifo cmp
NIC=$(tb_bin rxq-nic)
FIXTURE=$TB_ROOT/tests/unit/fixtures/nic-ixgbe
ROOT=$TB_TMP/root
STATE=$TB_TMP/state
# The journal of this network namespace (journals are kept per namespace, named by its inode).
JOURNAL=$STATE/net-$(stat -Lc %i /proc/self/ns/net)/eth3.journal
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
records() { grep -c '^file ' "$JOURNAL" 2>/dev/null || echo 0; }

# --- (a) SIGKILL at the 3rd of 8 steps -------------------------------------------------------------
fresh
hold 47 # eth3-TxRx-2: the 3rd queue, the 3rd step of irq --spread
"$NIC" --root "$ROOT" --state-dir "$STATE" irq eth3 --spread >"$TB_TMP/a.out" 2>&1 &
pid=$!
# The first two steps are done and the 3rd is blocked once its record is in the journal.
tb_wait_for 10 sh -c "[ \$(grep -c '^file ' '$JOURNAL' 2>/dev/null) = 3 ]" ||
	tb_fail "(a) the journal never held 3 records: $(cat "$JOURNAL" 2>&1)"
kill -KILL "$pid"
wait "$pid" 2>/dev/null
stop_feeder 47
tb_assert_eq "$(records)" 3 "(a) after SIGKILL at step 3: the records of steps 1-3 are in the journal"
unhold 47
nic undo eth3 >"$TB_TMP/a.undo" 2>&1 || tb_fail "(a) undo failed: $(cat "$TB_TMP/a.undo")"
same_as_fixture || tb_fail "(a) undo did not restore the tree: $(cat "$TB_TMP/diff")"
tb_pass "(a) undo restored every file byte for byte"
[ -e "$JOURNAL" ] && tb_fail "(a) undo left the journal"
tb_pass "(a) and removed the journal"

# --- (b) SIGTERM at the 3rd step: rolled back ------------------------------------------------------
fresh
hold 47
"$NIC" --root "$ROOT" --state-dir "$STATE" irq eth3 --spread >"$TB_TMP/b.out" 2>&1 &
pid=$!
tb_wait_for 10 sh -c "[ \$(grep -c '^file ' '$JOURNAL' 2>/dev/null) = 3 ]" ||
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
[ -e "$JOURNAL" ] && tb_fail "(b) a rolled-back plan left a journal: $(cat "$JOURNAL")"
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
cp "$JOURNAL" "$TB_TMP/journal"
head -c $((64 << 20)) /dev/zero | tr '\0' '#' >>"$JOURNAL"
rc=0
nic undo eth3 >"$TB_TMP/d.out" 2>&1 || rc=$?
[ "$rc" != 0 ] || tb_fail "(d) undo read a 64 MiB journal"
grep -q 'MiB or larger' "$TB_TMP/d.out" || tb_fail "(d) no clear refusal: $(cat "$TB_TMP/d.out")"
tb_pass "(d) a 64 MiB journal is refused, not read in part (exit $rc)"
cmp -s <(head -c "$(stat -c %s "$TB_TMP/journal")" "$JOURNAL") "$TB_TMP/journal" ||
	tb_fail "(d) the refused journal was changed"
tb_pass "(d) and left as it was"

# --- (e) one journal per network namespace ---------------------------------------------------------------
# Two namespaces of this test, each with a veth named jv0: a change in one and its undo leave the
# other's journal and setting alone. Then a journal where rxq-nic kept it before (STATE/IF.journal)
# is still undone.
tb_require ip ethtool
NS_A=rxqj-a-$TB_SUFFIX
NS_B=rxqj-b-$TB_SUFFIX
tb_on_exit tb_ns_del "$NS_A"
tb_on_exit tb_ns_del "$NS_B"
for ns in "$NS_A" "$NS_B"; do
	ip netns add "$ns" || tb_fail "(e) cannot create namespace $ns"
	ip -n "$ns" link add jv0 type veth peer name jv1 || tb_fail "(e) cannot create jv0 in $ns"
done
gro_in() { ip netns exec "$1" ethtool -k jv0 | awk '/^generic-receive-offload:/ { print $2 }'; }
nic_in() { ns=$1; shift; ip netns exec "$ns" "$NIC" --state-dir "$STATE" "$@"; }
rm -rf "$STATE"
GRO_A=$(gro_in "$NS_A")
GRO_B=$(gro_in "$NS_B")
[ "$GRO_A" = on ] && NEW_A=off || NEW_A=on
[ "$GRO_B" = on ] && NEW_B=off || NEW_B=on
J_A=$STATE/net-$(ip netns exec "$NS_A" stat -Lc %i /proc/self/ns/net)/jv0.journal
J_B=$STATE/net-$(ip netns exec "$NS_B" stat -Lc %i /proc/self/ns/net)/jv0.journal
[ "$J_A" != "$J_B" ] || tb_fail "(e) the two namespaces have the same inode"
nic_in "$NS_A" features jv0 gro "$NEW_A" >/dev/null 2>"$TB_TMP/e.err" || tb_fail "(e) features in A: $(cat "$TB_TMP/e.err")"
nic_in "$NS_B" features jv0 gro "$NEW_B" >/dev/null 2>"$TB_TMP/e.err" || tb_fail "(e) features in B: $(cat "$TB_TMP/e.err")"
[ -s "$J_A" ] && [ -s "$J_B" ] || tb_fail "(e) expected $J_A and $J_B: $(find "$STATE" -type f)"
tb_pass "(e) a journal for each namespace's jv0"
nic_in "$NS_A" undo jv0 >/dev/null 2>"$TB_TMP/e.err" || tb_fail "(e) undo in A: $(cat "$TB_TMP/e.err")"
tb_assert_eq "$(gro_in "$NS_A")" "$GRO_A" "(e) undo in A: A's gro back to $GRO_A"
tb_assert_eq "$(gro_in "$NS_B")" "$NEW_B" "(e) undo in A: B's gro still $NEW_B"
[ -e "$J_A" ] && tb_fail "(e) undo in A left A's journal"
[ -s "$J_B" ] || tb_fail "(e) undo in A removed B's journal"
tb_pass "(e) undo in A: A's journal gone, B's kept"
# B's journal where an older rxq-nic kept it: undo finds it there, and removes it.
mv "$J_B" "$STATE/jv0.journal"
nic_in "$NS_B" undo jv0 >"$TB_TMP/e.out" 2>&1 || tb_fail "(e) undo of an old-style journal: $(cat "$TB_TMP/e.out")"
tb_assert_eq "$(gro_in "$NS_B")" "$GRO_B" "(e) old-style journal: B's gro back to $GRO_B"
[ -e "$STATE/jv0.journal" ] && tb_fail "(e) undo left the old-style journal"
tb_pass "(e) an old-style journal is undone and removed"
