#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#
# rxq-gen refuses bad input before sending anything: a clear message on stderr and exit status 2.

source "$(dirname "$0")/lib.sh"
tb_require setpriv jq
tb_up 2

GEN=$(tb_bin rxq-gen)
# A receiver that would count any frame the cases below let through.
tb_sink "$TB_TMP/sink.json" --class 'udp4 dst-port 9'
OK='udp4 dst 198.18.0.2 dport 9'
g() { tb_gen "$GEN" --quiet --count 10 "$@"; }

# Where things are
tb_expect_exit 2 "no interface 'nosuch0' in this network namespace" g packet:nosuch0 --flow "$OK"
tb_expect_exit 2 "no interface 'nosuch0'" g xdp:nosuch0~0 --flow "$OK"
tb_expect_exit 2 "gen0 has 2 queues; queue 5 does not exist \(use 0-1\)" g xdp:gen0~5 --flow "$OK"
tb_expect_exit 2 "queue 1 given twice" g xdp:gen0~1,1 --flow "$OK"
tb_expect_exit 2 "unknown port type 'xpd'" g xpd:gen0 --flow "$OK"
tb_expect_exit 2 "has no port type" g gen0 --flow "$OK"
tb_expect_exit 2 "no port given" g --flow "$OK"
tb_expect_exit 2 "each thread sends on its own queue" g xdp:gen0~0 --threads 2 --flow "$OK"
tb_expect_exit 2 "one file from one thread" g pcap:"$TB_TMP/x.pcap" --threads 2 \
	--flow 'udp4 src 198.18.0.1 dst 198.18.0.2'
tb_expect_exit 2 "cannot do AF_XDP zero-copy" g xdp:gen0~0 --mode zero-copy --flow "$OK"

# Privilege: the capability is named
tb_expect_exit 2 "need CAP_NET_RAW" tb_gen setpriv --bounding-set=-net_raw --inh-caps=-net_raw \
	"$GEN" --count 1 packet:gen0 --flow "$OK"
tb_expect_exit 2 "need CAP_NET_RAW" tb_gen setpriv --bounding-set=-net_raw --inh-caps=-net_raw \
	"$GEN" --count 1 xdp:gen0~0 --flow "$OK"

# The traffic description
tb_expect_exit 2 "no --flow given" g packet:gen0
tb_expect_exit 2 "'198.18.0.300' is not an address" g packet:gen0 --flow 'udp4 dst 198.18.0.300'
tb_expect_exit 2 "range '198.18.0.9-198.18.0.1' runs backwards" g packet:gen0 \
	--flow 'udp4 src 198.18.0.9-198.18.0.1 dst 198.18.0.2'
tb_expect_exit 2 "host bits set \(did you mean 198.18.0.0/24\?\)" g packet:gen0 \
	--flow 'udp4 src 198.18.0.1/24 dst 198.18.0.2'
tb_expect_exit 2 "is IPv6 but this flow needs IPv4" g packet:gen0 --flow 'udp4 dst fd00::2'
tb_expect_exit 2 "port range '9-1' runs backwards" g packet:gen0 --flow "$OK sport 9-1"
tb_expect_exit 2 "port '70000' is outside 0-65535" g packet:gen0 --flow 'udp4 dst 198.18.0.2 dport 70000'
tb_expect_exit 2 "size 59 is below the 60-byte minimum" g packet:gen0 --flow "$OK size 59"
tb_expect_exit 2 "size 'big' is not a number or range" g packet:gen0 --flow "$OK size big"
tb_expect_exit 2 "size 70 is too small for this flow" g packet:gen0 \
	--flow 'udp4 dst 198.18.0.2 payload dns:www.example.com size 70'
tb_expect_exit 2 "frames of 1600 bytes do not fit the MTU of gen0 \(1500" g packet:gen0 \
	--flow "$OK size 1600"
tb_expect_exit 2 "unknown word 'dprt'" g packet:gen0 --flow 'udp4 dst 198.18.0.2 dprt 9'
tb_expect_exit 2 "unknown protocol 'udp'" g packet:gen0 --flow 'udp dst 198.18.0.2'
tb_expect_exit 2 "unknown payload 'junk'" g packet:gen0 --flow "$OK payload junk"
tb_expect_exit 2 "unknown DNS type 'AAA'" g packet:gen0 --flow "$OK payload dns:example.com:AAA"
tb_expect_exit 2 "no neighbour entry for 198.18.0.77 on gen0" g packet:gen0 \
	--flow 'udp4 dst 198.18.0.77'
tb_expect_exit 2 "has no 'src': give 'src ADDR'" g pcap:"$TB_TMP/x.pcap" --flow "$OK"

# Numbers and limits
tb_expect_exit 2 "--rate 20000000 is above the line rate of gen0: at 10000 Mb/s .* at most 14880952" \
	g packet:gen0 --rate 20M --flow "$OK size 60"
tb_expect_exit 2 "--rate: '0' is out of range" g packet:gen0 --rate 0 --flow "$OK"
tb_expect_exit 2 "--count: 'x' is not a number" g packet:gen0 --count x --flow "$OK"
tb_expect_exit 2 "--duration: 'soon' is not a duration" g packet:gen0 --duration soon --flow "$OK"
tb_expect_exit 2 "--threads: '0' is out of range \(expected 1-256\)" g packet:gen0 --threads 0 --flow "$OK"
tb_expect_exit 2 "--cpu: CPU 4096 does not exist" g packet:gen0 --cpu 4096 --flow "$OK"
tb_expect_exit 2 "--batch: '0' is out of range \(expected 1-1024\)" g packet:gen0 --batch 0 --flow "$OK"
tb_expect_exit 2 "--mode: 'fast' is not a known value \(expected auto, copy or zero-copy\)" g xdp:gen0~0 --mode fast --flow "$OK"
tb_expect_exit 2 "--dst-mac: 'zz' is not a MAC address" g packet:gen0 --dst-mac zz --flow "$OK"
tb_expect_exit 2 "unrecognized option|unknown option" g packet:gen0 --frobnicate --flow "$OK"

# Nothing was sent by any of the above.
tb_sink_stop
tb_assert_eq "$(jq -r '.c0.packets' <<<"$TB_SINK_SUM")" 0 \
	"no frame of the bad-input cases reached dut0"
