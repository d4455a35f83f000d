#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-nic on the testbed's veth (dut0, inside the test's own namespace): channels, features, xps
# and rfs really change the kernel state, --dry-run changes nothing, undo really restores it and
# drops the save; watch reports softnet, NIC counters; tstamp shows software stamps only; every
# operation veth lacks fails with a clear message and exit 2, as do bad input and a missing
# privilege, without changing anything.

source "$(dirname "$0")/lib.sh"
tb_require jq ethtool setpriv
tb_up 4

NIC=$(tb_bin rxq-nic)
STATE=$TB_TMP/state
nic() { tb_dut "$NIC" --state-dir "$STATE" "$@"; }
# Journals are kept per network namespace, named by its inode.
JOURNAL=$STATE/net-$(tb_dut stat -Lc %i /proc/self/ns/net)/dut0.journal

rx_queues() { tb_dut ls /sys/class/net/dut0/queues | grep -c '^rx-'; }
tx_queues() { tb_dut ls /sys/class/net/dut0/queues | grep -c '^tx-'; }
gro() { tb_dut ethtool -k dut0 | awk '/^generic-receive-offload:/ { print $2 }'; }
qfile() { tb_dut cat "/sys/class/net/dut0/queues/$1"; }

# ---- the state before ----
tb_assert_eq "$(rx_queues)" 4 "dut0 starts with 4 RX queues"
GRO0=$(gro)
[ "$GRO0" = on ] && GRO_NEW=off || GRO_NEW=on
XPS0_0=$(qfile tx-0/xps_cpus)
XPS0_1=$(qfile tx-1/xps_cpus)
CPUS=$(nproc)

out=$(nic --json show dut0) || tb_fail "show failed"
tb_assert_eq "$(jq -r 'select(.type=="nic") | .driver' <<<"$out")" veth "show: driver"
tb_assert_eq "$(jq -r 'select(.type=="nic") | .rx_queues' <<<"$out")" 4 "show: rx_queues"
tb_assert_eq "$(jq -r 'select(.type=="channels") | .rx' <<<"$out")" 4 "show: channels rx"
tb_assert_eq "$(jq -r 'select(.type=="rss") | .supported' <<<"$out")" false "show: no RSS on veth"
tb_assert_eq "$(jq -r 'select(.type=="rss_hash") | .why' <<<"$out")" "veth: ETHTOOL_GRXFH: EOPNOTSUPP" \
	"show: no RSS hash fields on veth, and why"
tb_assert_eq "$(jq -s '[.[] | select(.type=="queue")] | length' <<<"$out")" 4 "show: 4 queue records"

# ---- --dry-run prints the plan and changes nothing ----
out=$(nic --json --dry-run channels dut0 2) || tb_fail "dry-run channels failed"
tb_assert_eq "$(jq -r 'select(.type=="step") | .op' <<<"$out")" ETHTOOL_MSG_CHANNELS_SET \
	"dry-run: the plan names the request"
tb_assert_eq "$(jq -r 'select(.type=="step") | .status' <<<"$out")" dry-run "dry-run: status"
tb_assert_eq "$(rx_queues)" 4 "dry-run: still 4 RX queues"
[ -e "$JOURNAL" ] && tb_fail "dry-run saved a journal"
tb_pass "dry-run: no journal"

# ---- changes that really reach the kernel ----
out=$(nic --json channels dut0 2) || tb_fail "channels dut0 2 failed"
tb_assert_eq "$(jq -r 'select(.type=="result") | .changed' <<<"$out")" 1 "channels: one step done"
tb_assert_eq "$(rx_queues)" 2 "channels: 2 RX queues in sysfs"
tb_assert_eq "$(tx_queues)" 2 "channels: 2 TX queues in sysfs"

nic features dut0 gro "$GRO_NEW" >/dev/null || tb_fail "features gro $GRO_NEW failed"
tb_assert_eq "$(gro)" "$GRO_NEW" "features: gro is $GRO_NEW in ethtool -k"

if [ "$CPUS" -ge 2 ]; then
	nic xps dut0 --cpus-per-queue 1 0 >/dev/null || tb_fail "xps failed"
	tb_assert_eq "$(qfile tx-0/xps_cpus | sed 's/^0*//')" 2 "xps: tx-0 on CPU 1"
	tb_assert_eq "$(qfile tx-1/xps_cpus | sed 's/^0*//')" 1 "xps: tx-1 on CPU 0"
fi

# rps_sock_flow_entries lives in the initial namespace only: per-queue counts here.
err=$TB_TMP/rfs.err
nic rfs dut0 --entries 4096 >/dev/null 2>"$err" || tb_fail "rfs failed: $(cat "$err")"
grep -q "not visible in this network namespace" "$err" || tb_fail "rfs did not say why only per queue"
tb_assert_eq "$(qfile rx-0/rps_flow_cnt)" 2048 "rfs: rx-0 rps_flow_cnt"
tb_assert_eq "$(qfile rx-1/rps_flow_cnt)" 2048 "rfs: rx-1 rps_flow_cnt"
[ -s "$JOURNAL" ] || tb_fail "no journal after the changes"
tb_pass "journal saved in the state directory"
tb_assert_eq "$(stat -c %a "$STATE")" 700 "state directory is root only"

# ---- watch: one report per interval, with the NIC's own counters ----
tb_spawn gen /dev/null /dev/null ping -q -c 20 -i 0.01 "$TB_DUT_IP4"
PING=$TB_LAST_PID
out=$(nic --json watch dut0 --interval 300ms --count 2) || tb_fail "watch failed"
wait "$PING" || true
cols=$(jq -r 'select(.type=="watch") | .softnet_columns' <<<"$out")
[ "$cols" -ge 10 ] || tb_fail "watch: softnet_stat columns $cols"
tb_pass "watch: softnet_stat has $cols columns"
tb_assert_eq "$(jq -s '[.[] | select(.type=="softnet" and .tick==2)] | length' <<<"$out")" \
	"$(grep -c . /proc/net/softnet_stat)" "watch: one softnet record per CPU line"
tb_assert_eq "$(jq -s '[.[] | select(.type=="nic_stats")] | length' <<<"$out")" 2 \
	"watch: NIC counter records"

# ---- undo restores exactly and drops the save ----
out=$(nic --json undo dut0) || tb_fail "undo failed"
tb_assert_eq "$(jq -r 'select(.type=="result") | .restored' <<<"$out")" yes "undo: restored"
tb_assert_eq "$(rx_queues)" 4 "undo: 4 RX queues again"
tb_assert_eq "$(tx_queues)" 4 "undo: 4 TX queues again"
tb_assert_eq "$(gro)" "$GRO0" "undo: gro back to $GRO0"
tb_assert_eq "$(qfile tx-0/xps_cpus)" "$XPS0_0" "undo: tx-0 xps_cpus back"
tb_assert_eq "$(qfile tx-1/xps_cpus)" "$XPS0_1" "undo: tx-1 xps_cpus back"
tb_assert_eq "$(qfile rx-0/rps_flow_cnt)" 0 "undo: rx-0 rps_flow_cnt back"
[ -e "$JOURNAL" ] && tb_fail "undo left the journal"
tb_pass "undo removed the journal"

# ---- clear errors, exit 2, nothing changed ----
tb_expect_exit 2 "nothing saved for dut0" nic undo dut0
tb_expect_exit 2 "veth does not support RSS indirection \(ETHTOOL_GRXFHINDIR: EOPNOTSUPP\)" \
	nic rss dut0 --equal 2
tb_expect_exit 2 "veth does not support ntuple rules \(ETHTOOL_GRXCLSRLCNT: EOPNOTSUPP\)" \
	nic flow dut0 add udp4 dst-port 53 action 1
tb_expect_exit 2 "veth does not support interrupt coalescing" nic coalesce dut0 rx-usecs 0
tb_expect_exit 2 "veth does not support pause frame" nic pause dut0 off
tb_expect_exit 2 "found no queue IRQs of dut0 \(driver veth\)" nic irq dut0 --spread
tb_expect_exit 2 "veth cannot turn rx-lro on" nic features dut0 lro on
tb_expect_exit 2 "veth does not support RSS indirection" \
	nic isolate dut0 --queue 1 --flow 'udp4 dst-port 53'
tb_expect_exit 2 "dut0 has 4 RX queues; queue 9 does not exist \(use 0-3\)" \
	nic isolate dut0 --queue 9 --flow 'udp4 dst-port 53'
tb_expect_exit 2 "CPU 999 does not exist or is offline" nic irq dut0 --spread --cpus 999
tb_expect_exit 2 "flow add, at 'dst-prot'" nic flow dut0 add udp4 dst-prot 53 action 1
tb_expect_exit 2 "no interface 'dut9'" nic show dut9
tb_expect_exit 2 "supports at most 4 rx channels" nic channels dut0 5
# Hardware timestamps: veth stamps in software only, and says so.
out=$(nic --json tstamp dut0) || tb_fail "tstamp dut0 (show) failed"
tb_assert_eq "$(jq -r '.phc_index' <<<"$out")" -1 "tstamp: veth has no PTP hardware clock"
tb_assert_eq "$(jq -r '.tx_types + "/" + .rx_filters' <<<"$out")" none/none "tstamp: no hardware modes"
tb_assert_eq "$(jq -r '.config' <<<"$out")" "SIOCGHWTSTAMP: EOPNOTSUPP" "tstamp: no hardware config to read"
jq -e '.capabilities | test("software-receive")' <<<"$out" >/dev/null ||
	tb_fail "tstamp: capabilities lack software-receive: $out"
tb_pass "tstamp: software stamps listed ($(jq -r .capabilities <<<"$out"))"
tb_expect_exit 2 "veth does not offer hardware transmit timestamps tx on \(ETHTOOL_GET_TS_INFO tx types: none\)" \
	nic tstamp dut0 --rx all --tx on
tb_expect_exit 2 "veth does not offer hardware receive timestamps rx all" nic --dry-run tstamp dut0 --rx all
tb_expect_exit 2 "veth does not support hardware timestamps \(SIOCGHWTSTAMP: EOPNOTSUPP\)" \
	nic tstamp dut0 --rx none --tx off
tb_expect_exit 2 "tstamp --rx: unknown filter 'everything'" nic tstamp dut0 --rx everything
tb_expect_exit 2 "tstamp --tx: unknown mode 'yes'" nic tstamp dut0 --tx yes
# Without privilege: refused before anything changes.
tb_expect_exit 2 "needs root" tb_dut setpriv --reuid=65534 --regid=65534 --clear-groups \
	"$NIC" --state-dir "$STATE/nobody" channels dut0 1
tb_assert_eq "$(rx_queues)" 4 "after the refusals: still 4 RX queues"
[ -e "$JOURNAL" ] && tb_fail "a refused command saved a journal"
tb_pass "no journal after refused commands"
