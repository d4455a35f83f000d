#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-nic apply FILE on the testbed's veth (dut0, inside the test's own namespace): a file with
# channels, features, XPS and RFS really changes the kernel state, the rest planned for the
# queues the channels change leaves; --dry-run changes nothing; applying the same file again
# changes nothing and says so; show --as-config written back through apply changes nothing;
# undo restores everything. What veth lacks (coalescing, pause, RSS) fails with exit 2, the file
# and line named, and the channels change before it rolled back; so does a malformed file.

source "$(dirname "$0")/lib.sh"
tb_require jq ethtool cmp setpriv
tb_up 4

NIC=$(tb_bin rxq-nic)
STATE=$TB_TMP/state
nic() { tb_dut "$NIC" --state-dir "$STATE" "$@"; }

rx_queues() { tb_dut ls /sys/class/net/dut0/queues | grep -c '^rx-'; }
tx_queues() { tb_dut ls /sys/class/net/dut0/queues | grep -c '^tx-'; }
gro() { tb_dut ethtool -k dut0 | awk '/^generic-receive-offload:/ { print $2 }'; }
qfile() { tb_dut cat "/sys/class/net/dut0/queues/$1"; }
journal=$STATE/net-$(tb_dut stat -Lc %i /proc/self/ns/net)/dut0.journal

tb_assert_eq "$(rx_queues)" 4 "dut0 starts with 4 RX queues"
GRO0=$(gro)
[ "$GRO0" = on ] && GRO_NEW=off || GRO_NEW=on
XPS0_0=$(qfile tx-0/xps_cpus)
FLOW0=$(qfile rx-0/rps_flow_cnt)
if [ "$(nproc)" -ge 2 ]; then XPS="1 0"; XPS0_MASK=2; else XPS="0 0"; XPS0_MASK=1; fi

conf=$TB_TMP/dut0.conf
cat >"$conf" <<EOF
# dut0 for the test
interface dut0
channels 2
features gro $GRO_NEW
xps cpus-per-queue $XPS   # one CPU list per TX queue, after the channels change
rfs entries 4096
EOF

# ---- --dry-run prints the plan and changes nothing ----
out=$(nic --json --dry-run apply "$conf") || tb_fail "apply --dry-run failed"
tb_assert_eq "$(jq -r 'select(.type=="step") | .status' <<<"$out" | sort -u)" dry-run \
	"dry-run: every step is only planned"
jq -s -e 'any(.[]; .type=="step" and .op=="ETHTOOL_MSG_CHANNELS_SET")' <<<"$out" >/dev/null ||
	tb_fail "dry-run: the plan has no channels step: $out"
tb_pass "dry-run: the plan names the channels request"
tb_assert_eq "$(rx_queues)" 4 "dry-run: still 4 RX queues"
tb_assert_eq "$(gro)" "$GRO0" "dry-run: gro unchanged"
[ -e "$journal" ] && tb_fail "dry-run saved a journal"
tb_pass "dry-run: no journal"

# ---- apply: the kernel state is what the file says ----
out=$(nic --json apply "$conf" 2>"$TB_TMP/apply.err") || tb_fail "apply failed: $(cat "$TB_TMP/apply.err")"
changed=$(jq -r 'select(.type=="result") | .changed' <<<"$out")
[ "$changed" -ge 4 ] || tb_fail "apply changed $changed steps, expected at least 4: $out"
tb_pass "apply: $changed steps done"
tb_assert_eq "$(rx_queues)" 2 "apply: 2 RX queues"
tb_assert_eq "$(tx_queues)" 2 "apply: 2 TX queues"
tb_assert_eq "$(gro)" "$GRO_NEW" "apply: gro $GRO_NEW"
tb_assert_eq "$(qfile tx-0/xps_cpus | sed 's/^[0,]*//')" "$XPS0_MASK" "apply: tx-0 xps_cpus"
# 4096 entries over the 2 queues there are after the channels change, not the 4 before it.
tb_assert_eq "$(qfile rx-0/rps_flow_cnt)" 2048 "apply: rx-0 rps_flow_cnt for 2 queues"
tb_assert_eq "$(qfile rx-1/rps_flow_cnt)" 2048 "apply: rx-1 rps_flow_cnt for 2 queues"
grep -q "not visible in this network namespace" "$TB_TMP/apply.err" ||
	tb_fail "apply did not say why RFS is per queue only: $(cat "$TB_TMP/apply.err")"
tb_pass "apply: says the global RFS table is not visible here"
[ -s "$journal" ] || tb_fail "no journal after apply"
cp "$journal" "$TB_TMP/journal.1"

# ---- the same file again: nothing to change ----
out=$(nic --json apply "$conf") || tb_fail "the second apply failed"
tb_assert_eq "$(jq -r 'select(.type=="result") | .changed' <<<"$out")" 0 "second apply: changed 0"
jq -s -e 'any(.[]; .type=="step")' <<<"$out" >/dev/null && tb_fail "second apply planned steps: $out"
tb_pass "second apply: no steps"
text=$(nic apply "$conf") || tb_fail "the third apply failed"
grep -q "nothing to change" <<<"$text" || tb_fail "the third apply did not say so: $text"
tb_pass "a repeated apply says 'nothing to change'"
cmp -s "$journal" "$TB_TMP/journal.1" || tb_fail "a repeated apply changed the journal"
tb_pass "a repeated apply leaves the journal as it was"

# ---- show --as-config, applied back, changes nothing ----
nic show dut0 --as-config >"$TB_TMP/as-config.conf" || tb_fail "show --as-config failed"
grep -qx 'interface dut0' "$TB_TMP/as-config.conf" || tb_fail "no interface line: $(cat "$TB_TMP/as-config.conf")"
grep -qx 'channels rx 2 tx 2' "$TB_TMP/as-config.conf" ||
	tb_fail "the channels are not written: $(cat "$TB_TMP/as-config.conf")"
grep -q "^features .*rx-gro $GRO_NEW" "$TB_TMP/as-config.conf" ||
	tb_fail "gro is not written: $(cat "$TB_TMP/as-config.conf")"
tb_pass "show --as-config writes interface, channels and features"
out=$(nic --json apply "$TB_TMP/as-config.conf") || tb_fail "applying show --as-config failed"
tb_assert_eq "$(jq -r 'select(.type=="result") | .changed' <<<"$out")" 0 \
	"show --as-config then apply: no change"

# ---- undo takes the apply back ----
nic undo dut0 >/dev/null || tb_fail "undo failed"
tb_assert_eq "$(rx_queues)" 4 "undo: 4 RX queues"
tb_assert_eq "$(gro)" "$GRO0" "undo: gro $GRO0"
tb_assert_eq "$(qfile tx-0/xps_cpus)" "$XPS0_0" "undo: tx-0 xps_cpus"
tb_assert_eq "$(qfile rx-0/rps_flow_cnt)" "$FLOW0" "undo: rx-0 rps_flow_cnt"
[ -e "$journal" ] && tb_fail "undo left the journal"
tb_pass "undo removed the journal"

# The untouched device round-trips too, and nothing is saved for a change that did not happen.
nic show dut0 --as-config >"$TB_TMP/pristine.conf" || tb_fail "show --as-config failed"
grep -q '^xps cpus-per-queue ' "$TB_TMP/pristine.conf" || tb_fail "no xps line: $(cat "$TB_TMP/pristine.conf")"
grep -qx 'rfs entries 0' "$TB_TMP/pristine.conf" || tb_fail "no rfs line: $(cat "$TB_TMP/pristine.conf")"
out=$(nic --json apply "$TB_TMP/pristine.conf") || tb_fail "applying the pristine settings failed"
tb_assert_eq "$(jq -r 'select(.type=="result") | .changed' <<<"$out")" 0 "pristine round trip: no change"
[ -e "$journal" ] && tb_fail "an apply that changed nothing saved a journal"
tb_pass "an apply that changes nothing saves nothing"

# ---- with only the capability rxq-nic@.service keeps (CAP_NET_ADMIN), as root ----
capsonly() { tb_dut setpriv --bounding-set=-all,+net_admin --inh-caps=-all -- "$NIC" --state-dir "$STATE" "$@"; }
capsonly apply "$conf" >/dev/null 2>"$TB_TMP/caps.err" ||
	tb_fail "apply with CAP_NET_ADMIN only failed: $(cat "$TB_TMP/caps.err")"
tb_assert_eq "$(rx_queues)/$(gro)/$(qfile rx-0/rps_flow_cnt)" "2/$GRO_NEW/2048" \
	"apply with CAP_NET_ADMIN only: channels, gro and RFS set"
capsonly undo dut0 >/dev/null 2>"$TB_TMP/caps.err" ||
	tb_fail "undo with CAP_NET_ADMIN only failed: $(cat "$TB_TMP/caps.err")"
tb_assert_eq "$(rx_queues)/$(gro)/$(qfile rx-0/rps_flow_cnt)" "4/$GRO0/$FLOW0" \
	"undo with CAP_NET_ADMIN only: all back"

# ---- what veth lacks: exit 2, file and line named, the channels change rolled back ----
unsupported() {
	local line=$1 pattern=$2 f=$TB_TMP/bad.conf
	printf 'interface dut0\nchannels 2\n%s\n' "$line" >"$f"
	tb_expect_exit 2 "$pattern" nic apply "$f"
	tb_expect_exit 2 "bad.conf:3: ${line%% *} cannot be applied to dut0 \(EOPNOTSUPP\)" nic apply "$f"
	tb_assert_eq "$(rx_queues)" 4 "after '$line': still 4 RX queues"
	[ -e "$journal" ] && tb_fail "a refused apply ('$line') left a journal"
	tb_pass "no journal after the refused '$line'"
}
unsupported "coalesce rx-usecs 0" "veth does not support interrupt coalescing"
unsupported "pause off" "veth does not support pause frame"
unsupported "rss equal 2" "veth does not support RSS indirection"
unsupported "flow udp4 dst-port 53 action 1" "veth does not support ntuple rules"

# ---- malformed files: exit 2, FILE:LINE:COL, nothing changed ----
bad=$TB_TMP/typo.conf
printf 'interface dut0\nchannels 2\nfeatures gro of\n' >"$bad"
tb_expect_exit 2 "typo.conf:3:14: 'gro of': expected on or off" nic apply "$bad"
printf 'channels 2\n' >"$bad"
tb_expect_exit 2 "typo.conf:1:1: 'channels' before the interface" nic apply "$bad"
printf 'interface dut9\n' >"$bad"
tb_expect_exit 2 "no interface 'dut9'" nic apply "$bad"
tb_expect_exit 2 "cannot read $TB_TMP/missing.conf" nic apply "$TB_TMP/missing.conf"
tb_expect_exit 2 "apply: missing the settings file" nic apply
tb_expect_exit 2 "unexpected 'dut0'" nic apply "$conf" dut0
tb_assert_eq "$(rx_queues)" 4 "after the malformed files: still 4 RX queues"
