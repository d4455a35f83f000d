#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-nic apply FILE on a real driver (igb, QEMU's 82576), run inside a VM-lane guest
# (tests/vm/lane.sh). Every check reads what the kernel and the driver report (ethtool,
# /proc/interrupts, /proc/irq), not rxq-nic's own output:
#   apply       a file with channels, IRQ spread, RSS, coalescing, pause and features: the driver
#               runs 4 queue pairs, each pair's vectors on one CPU (both CPUs used), the RSS table
#               on queues 0-1, rx-usecs 50, pause off, gro off
#   idempotent  the same file again: nothing to change, and the NIC exactly as after the first
#   round trip  show --as-config applied back: nothing to change
#   undo        everything back as before the apply
#   rollback    a file whose last setting igb cannot take (an ntuple rule on the 82576): exit 2,
#               the file's line named, the channels change before it reverted, the NIC as before
source "$RXQ_TREE/tests/vm/guestlib.sh"
NIC=$(tb_bin rxq-nic)
vm_link_up

vectors() {
	awk -v pre="$IF-$1-" '{ n = $NF; if (index(n, pre) == 1) { q = substr(n, length(pre) + 1); sub(":", "", $1); print q, $1 } }' \
		/proc/interrupts | sort -n
}
affinity() { cat "/proc/irq/$1/smp_affinity_list"; }

# state: everything apply may change, as the kernel and the driver report it.
state() {
	local q irq
	ethtool -l "$IF" | sed -n '/Current/,$p'
	ethtool -x "$IF"
	ethtool -c "$IF"
	ethtool -a "$IF"
	ethtool -k "$IF"
	awk -v n="$IF" '$NF ~ "^" n { sub(":", "", $1); print $1, $NF }' /proc/interrupts |
		while read -r irq name; do echo "$name $(affinity "$irq")"; done
	for q in /sys/class/net/$IF/queues/*; do
		echo "$(basename "$q") $(cat "$q"/rps_cpus "$q"/xps_cpus "$q"/rps_flow_cnt 2>/dev/null | tr '\n' ' ')"
	done
}

state >"$TB_TMP/state.0"
conf=$TB_TMP/$IF.conf
cat >"$conf" <<EOF
interface $IF
channels 4
irq spread
rss equal 2
coalesce rx-usecs 50
pause off
features gro off
EOF

# --- apply ------------------------------------------------------------------------------------------
"$NIC" apply "$conf" >"$TB_TMP/apply.out" 2>&1 || tb_fail "apply failed: $(cat "$TB_TMP/apply.out")"
tb_assert_eq "$(ethtool -l "$IF" | sed -n '/Current/,$p' | awk '/Combined/ { print $2 }')" 4 \
	"apply: the driver runs 4 queue pairs"
tb_assert_eq "$(vectors rx | wc -l)/$(vectors tx | wc -l)" 4/4 "apply: 4 RX and 4 TX vectors"
declare -A CPU_OF
while read -r q irq; do
	a=$(affinity "$irq")
	[[ $a =~ ^[0-9]+$ ]] || tb_fail "apply: $IF-rx-$q (IRQ $irq) is on CPUs $a, not one CPU (the spread was planned for other vectors?)"
	CPU_OF[$q]=$a
done < <(vectors rx)
while read -r q irq; do
	tb_assert_eq "$(affinity "$irq")" "${CPU_OF[$q]}" "apply: $IF-tx-$q is on the CPU of $IF-rx-$q"
done < <(vectors tx)
tb_assert_eq "$(printf '%s\n' "${CPU_OF[@]}" | sort -u | tr '\n' ' ')" "0 1 " "apply: both CPUs serve queues"
tb_assert_eq "$(ethtool -x "$IF" | awk '/^ *[0-9]+:/ { for (i = 2; i <= NF; i++) print $i }' | sort -u | tr '\n' ' ')" "0 1 " \
	"apply: the RSS table holds queues 0 and 1 only"
tb_assert_eq "$(ethtool -c "$IF" | awk '$1 == "rx-usecs:" { print $2 }')" 50 "apply: rx-usecs 50"
tb_assert_eq "$(ethtool -a "$IF" | awk '$1 == "Autonegotiate:" || $1 == "RX:" || $1 == "TX:" { printf "%s ", $2 }')" \
	"off off off " "apply: pause autonegotiation, RX and TX off"
tb_assert_eq "$(ethtool -k "$IF" | awk '$1 == "generic-receive-offload:" { print $2 }')" off "apply: gro off"
state >"$TB_TMP/state.1"

# --- the same file again: nothing -----------------------------------------------------------------
"$NIC" --json apply "$conf" >"$TB_TMP/again.json" 2>"$TB_TMP/again.err" ||
	tb_fail "the second apply failed: $(cat "$TB_TMP/again.err")"
tb_assert_eq "$(jq -r 'select(.type == "result") | .changed' "$TB_TMP/again.json")" 0 "second apply: changed 0"
tb_assert_eq "$(jq -s '[.[] | select(.type == "step")] | length' "$TB_TMP/again.json")" 0 "second apply: no steps"
state >"$TB_TMP/state.2"
diff -u "$TB_TMP/state.1" "$TB_TMP/state.2" >"$TB_TMP/diff" || tb_fail "the second apply changed the NIC: $(cat "$TB_TMP/diff")"
tb_pass "second apply: the NIC exactly as after the first"

# --- show --as-config, applied back -----------------------------------------------------------------
"$NIC" show "$IF" --as-config >"$TB_TMP/as-config.conf" || tb_fail "show --as-config failed"
tb_log "show --as-config: $(tr '\n' '|' <"$TB_TMP/as-config.conf")"
grep -qx 'rss equal 2' "$TB_TMP/as-config.conf" || tb_fail "show --as-config: no 'rss equal 2'"
grep -q '^irq cpus-per-queue [01] [01] [01] [01]$' "$TB_TMP/as-config.conf" ||
	tb_fail "show --as-config: the IRQs are not one CPU each"
"$NIC" --json apply "$TB_TMP/as-config.conf" >"$TB_TMP/rt.json" 2>"$TB_TMP/rt.err" ||
	tb_fail "applying show --as-config failed: $(cat "$TB_TMP/rt.err")"
tb_assert_eq "$(jq -r 'select(.type == "result") | .changed' "$TB_TMP/rt.json")" 0 "show --as-config applied back: changed 0"

# --- undo -------------------------------------------------------------------------------------------
"$NIC" undo "$IF" >"$TB_TMP/undo.out" 2>&1 || tb_fail "undo: $(cat "$TB_TMP/undo.out")"
state >"$TB_TMP/state.3"
diff -u "$TB_TMP/state.0" "$TB_TMP/state.3" >"$TB_TMP/diff" ||
	tb_fail "undo left the NIC different: $(cat "$TB_TMP/diff") -- undo said: $(cat "$TB_TMP/undo.out")"
tb_pass "undo: channels, RSS, IRQ affinities, coalescing, pause, features: all as before"

# --- a setting igb cannot take: all of it rolled back ------------------------------------------------
bad=$TB_TMP/bad.conf
printf 'interface %s\nchannels 4\ncoalesce rx-usecs 50\nflow udp4 dst-port 53 action 1\n' "$IF" >"$bad"
rc=0
"$NIC" apply "$bad" >"$TB_TMP/bad.out" 2>&1 || rc=$?
tb_assert_eq "$rc" 2 "apply with an ntuple rule on the 82576: exit 2"
grep -q "bad.conf:4: flow cannot be applied to $IF" "$TB_TMP/bad.out" ||
	tb_fail "the message does not name the file's line: $(cat "$TB_TMP/bad.out")"
tb_pass "the message names bad.conf:4"
state >"$TB_TMP/state.4"
diff -u "$TB_TMP/state.0" "$TB_TMP/state.4" >"$TB_TMP/diff" ||
	tb_fail "the failed apply left changes: $(cat "$TB_TMP/diff") -- it said: $(cat "$TB_TMP/bad.out")"
tb_pass "the failed apply: the channels change reverted, the NIC exactly as before"
[ -e "/run/rxq/net-$(stat -Lc %i /proc/self/ns/net)/$IF.journal" ] && tb_fail "the failed apply left a journal"
tb_pass "the failed apply left no journal"
