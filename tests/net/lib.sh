# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
# shellcheck shell=bash
#
# The rxq testbed, sourced by network tests, benchmarks and the demo.
#
#   +---------------- netns $TB_GEN ---------------+    +---------------- netns $TB_DUT ---------------+
#   | gen0  198.18.0.1/24  fd00::1/64  $TB_GEN_MAC |<-->| dut0  198.18.0.2/24  fd00::2/64  $TB_DUT_MAC |
#   +----------------------------------------------+    +----------------------------------------------+
#
# Both namespaces get a random suffix so parallel runs never collide, and are deleted by an EXIT trap
# together with every process started through tb_bg. The veth pair is created inside the namespaces:
# the root namespace's interfaces are never touched. Neighbour entries are permanent, so no ARP/ND
# traffic disturbs packet counts. The dut routes everything back via gen (default route), so replies
# to spoofed sources from 198.18.0.0/15 leave through dut0 and rp_filter never drops a flood packet.
#
# Usage:
#   source tests/net/lib.sh
#   tb_require ip jq           # skip (exit 77) unless root and the commands exist
#   tb_up 4                    # testbed with 4 queues per side
#   tb_gen CMD...              # run in the gen namespace (tb_dut likewise)
#   tb_bg dut CMD... >LOG      # background process in a namespace, killed at exit; its PID is
#                              # in $TB_LAST_PID (call it directly, not inside $(...))
#   tb_rx_packets dut dut0     # kernel RX packet counter of an interface
#   tb_fail "message"          # fail the test (exit 1)
#   tb_pass "message"          # one passed check, printed

set -u
set -o pipefail

TB_ROOT=${TB_ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
RXQ_BUILD=${RXQ_BUILD:-$TB_ROOT/build}
TB_SUFFIX=$(od -An -N4 -tx4 /dev/urandom | tr -d ' \n')
TB_GEN=rxq-gen-$TB_SUFFIX
TB_DUT=rxq-dut-$TB_SUFFIX
TB_GEN_IF=gen0
TB_DUT_IF=dut0
TB_GEN_IP4=198.18.0.1
TB_DUT_IP4=198.18.0.2
TB_GEN_IP6=fd00::1
TB_DUT_IP6=fd00::2
TB_GEN_MAC=02:52:51:00:00:01
TB_DUT_MAC=02:52:51:00:00:02
TB_QUEUES=1
TB_TMP=$(mktemp -d /tmp/rxq-test.XXXXXX)
TB_PIDS=()
TB_CLEANUP_HOOKS=()
TB_UP=0
TB_CHECKS=0

tb_log() { printf '# %s\n' "$*" >&2; }

tb_fail() {
	printf 'FAIL: %s\n' "$*" >&2
	exit 1
}

tb_pass() {
	TB_CHECKS=$((TB_CHECKS + 1))
	printf 'ok %d - %s\n' "$TB_CHECKS" "$*"
}

# A test that cannot run says why and exits 77 (meson counts it as skipped).
tb_skip() {
	printf 'SKIP: %s\n' "$*" >&2
	exit 77
}

tb_require() {
	local c
	[ "$(id -u)" = 0 ] || tb_skip "network tests need root (network namespaces, XDP)"
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || tb_skip "'$c' is not installed"
	done
}

# Path of a built tool or test helper, failing clearly when the build lacks it.
tb_bin() {
	local f
	for f in "$RXQ_BUILD/tools/$1/$1" "$RXQ_BUILD/tests/net/$1" "$RXQ_BUILD/bench/$1"; do
		[ -x "$f" ] && { echo "$f"; return 0; }
	done
	tb_fail "$1 is not built under $RXQ_BUILD (run ninja -C $RXQ_BUILD)"
}

tb_on_exit() { TB_CLEANUP_HOOKS+=("$*"); }

tb_cleanup() {
	local pid hook
	for hook in "${TB_CLEANUP_HOOKS[@]}"; do
		eval "$hook" >/dev/null 2>&1 || true
	done
	for pid in "${TB_PIDS[@]}"; do
		kill -TERM "$pid" 2>/dev/null || true
	done
	for pid in "${TB_PIDS[@]}"; do
		# Give tools a moment to print their summary and detach, then insist.
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	done
	if [ "$TB_UP" = 1 ]; then
		ip netns del "$TB_GEN" 2>/dev/null || true
		ip netns del "$TB_DUT" 2>/dev/null || true
	fi
	rm -rf "$TB_TMP"
}
trap tb_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

tb_gen() { ip netns exec "$TB_GEN" "$@"; }
tb_dut() { ip netns exec "$TB_DUT" "$@"; }

# tb_up [QUEUES]: create the two namespaces and the veth pair with QUEUES RX and TX queues each.
tb_up() {
	local q=${1:-1}
	TB_QUEUES=$q
	ip netns add "$TB_GEN" || tb_fail "cannot create network namespace $TB_GEN"
	TB_UP=1
	ip netns add "$TB_DUT" || tb_fail "cannot create network namespace $TB_DUT"
	ip -n "$TB_GEN" link add "$TB_GEN_IF" numtxqueues "$q" numrxqueues "$q" \
		address "$TB_GEN_MAC" type veth peer name "$TB_DUT_IF" netns "$TB_DUT" \
		numtxqueues "$q" numrxqueues "$q" address "$TB_DUT_MAC" ||
		tb_fail "cannot create the veth pair (is the veth module available?)"
	local ns ifc ip4 ip6 peer4 peer6 peermac
	for ns in gen dut; do
		if [ $ns = gen ]; then
			ifc=$TB_GEN_IF ip4=$TB_GEN_IP4 ip6=$TB_GEN_IP6
			peer4=$TB_DUT_IP4 peer6=$TB_DUT_IP6 peermac=$TB_DUT_MAC
		else
			ifc=$TB_DUT_IF ip4=$TB_DUT_IP4 ip6=$TB_DUT_IP6
			peer4=$TB_GEN_IP4 peer6=$TB_GEN_IP6 peermac=$TB_GEN_MAC
		fi
		"tb_$ns" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 >/dev/null
		"tb_$ns" ip link set lo up
		"tb_$ns" ip addr add "$ip4/24" dev "$ifc"
		"tb_$ns" ip addr add "$ip6/64" dev "$ifc" nodad
		"tb_$ns" ip link set "$ifc" up
		"tb_$ns" ip neigh replace "$peer4" lladdr "$peermac" dev "$ifc" nud permanent
		"tb_$ns" ip neigh replace "$peer6" lladdr "$peermac" dev "$ifc" nud permanent
		"tb_$ns" ip route add default via "$peer4" dev "$ifc"
		"tb_$ns" ip -6 route add default via "$peer6" dev "$ifc"
	done
	# Wait for both ends to report carrier (veth brings it up asynchronously).
	local i
	for i in $(seq 50); do
		if tb_gen ip -j link show "$TB_GEN_IF" | grep -q '"operstate":"UP"' &&
			tb_dut ip -j link show "$TB_DUT_IF" | grep -q '"operstate":"UP"'; then
			return 0
		fi
		sleep 0.1
	done
	tb_fail "veth pair did not come up"
}

# tb_bg NS CMD...: start CMD in namespace NS (gen|dut) in the background and register it for the
# cleanup. Its PID is left in TB_LAST_PID: a $(tb_bg ...) would run in a subshell, lose the
# registration and wait for CMD to close its stdout.
TB_LAST_PID=
tb_bg() {
	local ns=$1
	shift
	local nsname
	[ "$ns" = gen ] && nsname=$TB_GEN || nsname=$TB_DUT
	ip netns exec "$nsname" "$@" &
	TB_LAST_PID=$!
	TB_PIDS+=("$TB_LAST_PID")
}

# tb_stat NS IF FIELD: a kernel interface counter (rx.packets, rx.dropped, tx.packets, ...).
tb_stat() {
	local ns=$1 ifc=$2 field=$3
	"tb_$ns" ip -s -j link show "$ifc" | jq -r ".[0].stats64.$field"
}
tb_rx_packets() { tb_stat "$1" "$2" rx.packets; }
tb_tx_packets() { tb_stat "$1" "$2" tx.packets; }

# tb_xdp_attached NS IF: prints the attached XDP program id(s), nothing if none.
tb_xdp_attached() {
	"tb_$1" ip -j link show "$2" | jq -r '.[0].xdp.prog.id // (.[0].xdp.attached // [] | map(.prog.id) | join(" ")) // empty'
}

# tb_wait_for TIMEOUT_S CMD...: retry CMD every 50 ms until it succeeds or the time runs out.
tb_wait_for() {
	local timeout=$1
	shift
	local deadline=$(($(date +%s%N) + timeout * 1000000000))
	while ! "$@" >/dev/null 2>&1; do
		[ "$(date +%s%N)" -ge "$deadline" ] && return 1
		sleep 0.05
	done
}

# Assertions. All compare integers (or decimals via awk) and fail the test with a message.
tb_assert_eq() {
	[ "$1" = "$2" ] || tb_fail "$3: expected $2, got $1"
	tb_pass "$3 ($1)"
}

# tb_assert_within ACTUAL EXPECTED PERCENT WHAT
tb_assert_within() {
	local actual=$1 expected=$2 pct=$3 what=$4
	awk -v a="$actual" -v e="$expected" -v p="$pct" \
		'BEGIN { d = a - e; if (d < 0) d = -d; exit !(e != 0 && d * 100 <= p * e) }' ||
		tb_fail "$what: $actual is not within $pct% of $expected"
	tb_pass "$what ($actual within $pct% of $expected)"
}

# tb_expect_exit STATUS PATTERN CMD...: CMD must exit with STATUS and print PATTERN on stderr.
tb_expect_exit() {
	local want=$1 pattern=$2
	shift 2
	local err=$TB_TMP/expect.err rc=0
	"$@" >/dev/null 2>"$err" || rc=$?
	[ "$rc" = "$want" ] || tb_fail "'$*' exited $rc, expected $want; stderr: $(head -c 400 "$err")"
	grep -qE -- "$pattern" "$err" ||
		tb_fail "'$*' did not say /$pattern/; stderr: $(head -c 400 "$err")"
	tb_pass "'$*' -> exit $want: $(head -n1 "$err")"
}
