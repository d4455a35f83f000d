#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# Bad input to rxq-udpclient and rxq-udpserver: each case must exit 2 with a message that names
# the problem and the limit or the fix. Positive controls next to the limits make sure the checks
# are not simply refusing everything.

source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
tb_require ip jq capsh

SERVER=$(tb_bin rxq-udpserver)
CLIENT=$(tb_bin rxq-udpclient)

tb_up 1
tb_bg dut "$SERVER" --listen=:4321 >/dev/null 2>&1
server_up() { tb_dut ss -Hlun "sport = :4321" | grep -q .; }
tb_wait_for 5 server_up || tb_fail "rxq-udpserver did not start"

c() { tb_gen "$CLIENT" "$@"; }
ok() { # ok WHAT CLIENT-ARGS...: must succeed (positive control)
	local what=$1
	shift
	c --count=5 --timeout=200ms --json "$@" >"$TB_TMP/ok.json" 2>"$TB_TMP/ok.err" ||
		tb_fail "$what: expected to work: $(cat "$TB_TMP/ok.err")"
	jq -e 'select(.type == "summary") | .replies == 5' "$TB_TMP/ok.json" >/dev/null ||
		tb_fail "$what: no echoes: $(cat "$TB_TMP/ok.json")"
	tb_pass "$what"
}

# ---- HOST:PORT ----------------------------------------------------------------------------------
tb_expect_exit 2 "has no port" c 198.18.0.2
tb_expect_exit 2 "missing port" c 198.18.0.2:
tb_expect_exit 2 "need brackets: write \[fd00::2\]:PORT" c fd00::2:4321
tb_expect_exit 2 "without a closing" c '[fd00::2:4321'
tb_expect_exit 2 "not a number" c 198.18.0.2:echo
# Names come from a hosts file of the gen namespace only (ip netns exec mounts /etc/netns/NAME/*
# over /etc): the test never asks a DNS server.
mkdir -p "/etc/netns/$TB_GEN"
tb_on_exit rm -rf "/etc/netns/$TB_GEN"
printf 'hosts: files\n' >"/etc/netns/$TB_GEN/nsswitch.conf"
printf '127.0.0.1 localhost\n198.18.0.2 rxq-dut.test\nfd00::2 rxq-dut6.test\n' \
	>"/etc/netns/$TB_GEN/hosts"
tb_expect_exit 2 "unknown host 'no-such-host.invalid'" c no-such-host.invalid:4321
tb_expect_exit 2 "port 70000 is out of range \(1-65535\)" c 198.18.0.2:70000
tb_expect_exit 2 "port 0 is out of range" c '[fd00::2]:0'
tb_expect_exit 2 "no target given" c --count=1
ok "198.18.0.2:4321 works" 198.18.0.2:4321
ok "[fd00::2]:4321 works" '[fd00::2]:4321'
ok "a name (IPv4) works" rxq-dut.test:4321
ok "a name (IPv6) works" rxq-dut6.test:4321

# ---- size ---------------------------------------------------------------------------------------
tb_expect_exit 2 "too small for the probe header \(at least 24 bytes" c --size=23 198.18.0.2:4321
tb_expect_exit 2 "MTU 1500: at most 1472 bytes" c --size=1473 198.18.0.2:4321
tb_expect_exit 2 "MTU 1500: at most 1452 bytes" c --size=1453 '[fd00::2]:4321'
ok "--size=24 works" --size=24 198.18.0.2:4321
ok "--size=1472 works over IPv4" --size=1472 198.18.0.2:4321
ok "--size=1452 works over IPv6" --size=1452 '[fd00::2]:4321'

# ---- CPUs ---------------------------------------------------------------------------------------
tb_expect_exit 2 "CPU 4096 does not exist" c --cpu=4096 198.18.0.2:4321
tb_expect_exit 2 "expected a CPU number or list" c --cpu=one 198.18.0.2:4321
tb_expect_exit 2 "CPU 4096 does not exist" tb_dut "$SERVER" --cpu=4096 --listen=:4999
ok "--cpu=0 works" --cpu=0 198.18.0.2:4321

# ---- busy polling without the privilege to raise it -------------------------------------------
# Kernels before 6.x refuse to raise SO_BUSY_POLL above net.core.busy_read without CAP_NET_ADMIN;
# newer ones allow it. Either the run works, or it stops with exit 2 saying how to raise the limit.
limit=$(cat /proc/sys/net/core/busy_read)
want=$((limit + 50))
for tool in client server; do
	if [ $tool = client ]; then
		cmd="exec $CLIENT --count=5 --timeout=200ms --busy-poll=$want 198.18.0.2:4321"
		ns=gen
	else
		cmd="exec $SERVER --listen=:4998 --busy-poll=$want --duration=1"
		ns=dut
	fi
	rc=0
	"tb_$ns" capsh --drop=cap_net_admin -- -c "$cmd" >"$TB_TMP/bp.out" 2>"$TB_TMP/bp.err" || rc=$?
	if [ "$rc" = 2 ]; then
		grep -q "busy-poll=$want is above net.core.busy_read ($limit).*CAP_NET_ADMIN.*sysctl -w net.core.busy_read=$want" \
			"$TB_TMP/bp.err" || tb_fail "$tool --busy-poll without CAP_NET_ADMIN: $(cat "$TB_TMP/bp.err")"
		tb_pass "$tool: this kernel refuses --busy-poll=$want without CAP_NET_ADMIN and says how to raise it"
	elif [ "$rc" = 0 ]; then
		tb_pass "$tool: this kernel lets --busy-poll=$want through without CAP_NET_ADMIN"
	else
		tb_fail "$tool --busy-poll without CAP_NET_ADMIN exited $rc: $(cat "$TB_TMP/bp.err")"
	fi
done
tb_expect_exit 2 "--busy-poll: '2000000' is out of range \(expected 0-1000000\)" \
	c --busy-poll=2000000 198.18.0.2:4321
tb_expect_exit 2 "--busy-poll: '-1' is not a number" c --busy-poll=-1 198.18.0.2:4321
ok "--busy-poll=$want works with CAP_NET_ADMIN" --busy-poll=$want 198.18.0.2:4321

# ---- timestamps the interface cannot give -------------------------------------------------------
# A bridge stamps received packets in software but cannot stamp transmitted ones.
tb_gen ip link add rxqbr0 type bridge
tb_gen ip addr add 198.18.9.1/24 dev rxqbr0
tb_gen ip link set rxqbr0 up
tb_expect_exit 2 "rxqbr0 cannot timestamp both directions \(it has: software receive; needed: software or hardware transmit and receive\)" \
	c --hwtstamp --count=1 198.18.9.2:4321
ok "--hwtstamp works on veth (software)" --hwtstamp 198.18.0.2:4321

# ---- other options --------------------------------------------------------------------------------
tb_expect_exit 2 "--rate: '0' is out of range \(expected 1-100000000" c --rate=0 198.18.0.2:4321
tb_expect_exit 2 "--count: 'lots' is not a number" c --count=lots 198.18.0.2:4321
tb_expect_exit 2 "--timeout: '0' is out of range \(expected at least 1us\)" c --timeout=0 198.18.0.2:4321
tb_expect_exit 2 "--interval: 'x' is not a duration" c --interval=x 198.18.0.2:4321
tb_expect_exit 2 "--src-port: '70000' is out of range \(expected 1-65535\)" c --src-port=70000 198.18.0.2:4321
tb_expect_exit 2 "unknown option '--bogus'" c --bogus 198.18.0.2:4321
tb_expect_exit 2 "--hist=/nonexistent/dir/h.hgrm: cannot create the file" \
	c --hist=/nonexistent/dir/h.hgrm 198.18.0.2:4321

# ---- the server's input ---------------------------------------------------------------------------
s() { tb_dut "$SERVER" --duration=1 "$@"; }
tb_expect_exit 2 "--listen=198.18.0.2:99999: port 99999 is out of range" s --listen=198.18.0.2:99999
tb_expect_exit 2 "need brackets" s --listen=fd00::2:4321
tb_expect_exit 2 "no interface has that address" s --listen=198.18.7.7:4321
tb_expect_exit 2 "--threads: '0' is out of range \(expected 1-256\)" s --threads=0
tb_expect_exit 2 "unexpected argument '4321'" s 4321
