#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# The service wrapper turns the settings of /etc/rxq/offload/NAME.conf (environment variables set
# by systemd's EnvironmentFile=) into rxq-offload's command line: one argument per flow spec and
# per option word, defaults for the rules and the textfile, and nothing in a value is ever run
# or globbed. Bad settings stop it with exit status 2 and a message naming the variable.

source "$(dirname "$0")/../net/lib.sh"
top=$(cd "$(dirname "$0")/../.." && pwd)
RXQ_BUILD=${RXQ_BUILD:-$top/build}

wrapper=$RXQ_BUILD/dist/rxq-offload-service
[ -f "$wrapper" ] || tb_fail "$wrapper is not built (run ninja -C $RXQ_BUILD)"
sbin=$(sed -n 's/^exec "\(.*\)\/rxq-offload" "\$@"$/\1/p' "$wrapper")
[ -n "$sbin" ] || tb_fail "cannot find the exec line in $wrapper"
tmp=$(mktemp -d /tmp/rxq-pkg-service.XXXXXX)
tb_on_exit 'rm -rf "$tmp"'

# run VAR=VALUE... -- NAME: the wrapper's command line (RXQ_SERVICE_PRINT=1) in $out, its
# messages in $err, its exit status in $rc, in a clean environment run from $tmp.
run() {
	local vars=()
	while [ "$1" != -- ]; do vars+=("$1"); shift; done
	shift
	rc=0
	out=$(cd "$tmp" && env -i PATH=/usr/bin:/bin RXQ_SERVICE_PRINT=1 RXQ_CONFDIR=/etc/rxq/offload \
		"${vars[@]}" sh "$wrapper" "$@" 2>"$tmp/err") || rc=$?
	err=$(cat "$tmp/err")
}

run RXQ_PORT=xdp:eth1~4 'RXQ_FLOWS= udp4 dst-port 53 ;udp6 dst-port 53;; ' RXQ_CPU=2-3 \
	'RXQ_OPTIONS=--rule-stats   --busy-poll=50' -- dns
[ "$rc" = 0 ] || tb_fail "a full configuration was refused: $err"
expected="$sbin/rxq-offload
xdp:eth1~4
--flow=udp4 dst-port 53
--flow=udp6 dst-port 53
--rules=/etc/rxq/offload/dns.rules
--cpu=2-3
--prom=/var/lib/prometheus/node-exporter/rxq-offload-dns.prom
--rule-stats
--busy-poll=50"
[ "$out" = "$expected" ] || tb_fail "command line differs: got
$out
expected
$expected"
tb_pass "settings become one argument each; default rules file and textfile are per instance"

run RXQ_PORT=xdp:eth1 'RXQ_FLOWS=ip4' RXQ_RULES=/srv/r.rules RXQ_PROM=none -- a
[ "$rc" = 0 ] && [ "$out" = "$sbin/rxq-offload
xdp:eth1
--flow=ip4
--rules=/srv/r.rules" ] || tb_fail "RXQ_RULES and RXQ_PROM=none not honoured: $out $err"
tb_pass "RXQ_RULES replaces the default, RXQ_PROM=none drops --prom"

# A file the glob would match if it were expanded (the wrapper runs in $tmp).
touch -- "$tmp/--x=globbed"
run RXQ_PORT=xdp:eth1~0 'RXQ_FLOWS=udp4 dst-port 53;$(touch ran)' \
	'RXQ_OPTIONS=--tap=$(:>ran) --vlan=`:>ran` --x=* --y=${HOME}' -- a
[ "$rc" = 0 ] || tb_fail "hostile but well-formed settings were refused: $err"
[ ! -e "$tmp/ran" ] || tb_fail "text from the settings was run by a shell"
echo "$out" | grep -qxF -- '--flow=$(touch ran)' || tb_fail "flow text was changed: $out"
echo "$out" | grep -qxF -- '--x=*' || tb_fail "a glob in RXQ_OPTIONS was expanded: $out"
echo "$out" | grep -qxF -- '--y=${HOME}' || tb_fail "a variable in RXQ_OPTIONS was expanded: $out"
echo "$out" | grep -qxF -- '--vlan=`:>ran`' || tb_fail "backquotes were changed: $out"
tb_pass "\$(...), backquotes, globs and variables in the settings stay plain text"

# bad SETTINGS... -- NAME -- PATTERN: exit status 2, message matching PATTERN.
bad() {
	local args=()
	while [ "$1" != -- ]; do args+=("$1"); shift; done
	shift
	local name=$1 pattern=$3
	run "${args[@]}" -- "$name"
	[ "$rc" = 2 ] || tb_fail "expected exit 2 for ${args[*]} ($name), got $rc: $out"
	echo "$err" | grep -q -- "$pattern" || tb_fail "message '$err' does not match '$pattern'"
	[ -z "$out" ] || tb_fail "printed a command line although it refused: $out"
}
bad RXQ_FLOWS=ip4 -- a -- 'a.conf: RXQ_PORT is not set'
bad RXQ_PORT=xdp:eth1 -- a -- 'RXQ_FLOWS is not set'
bad RXQ_PORT=xdp:eth1 'RXQ_FLOWS= ; ;' -- a -- 'holds no flow spec'
bad 'RXQ_PORT=--force' RXQ_FLOWS=ip4 -- a -- 'is not a port'
bad 'RXQ_PORT=xdp:eth1 xdp:eth2' RXQ_FLOWS=ip4 -- a -- 'is not a port'
bad RXQ_PORT=xdp:eth1 RXQ_FLOWS=ip4 'RXQ_OPTIONS=--force eth2' -- a -- "'eth2' is not a long option"
bad RXQ_PORT=xdp:eth1 RXQ_FLOWS=ip4 -- ../../tmp/x -- 'instance name'
bad RXQ_PORT=xdp:eth1 RXQ_FLOWS=ip4 -- .hidden -- 'instance name'
tb_pass "missing or malformed settings and bad instance names: exit 2, the variable named"
