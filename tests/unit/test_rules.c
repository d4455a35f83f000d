// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <cmocka.h>

#include "rxq/packet.h"
#include "rxq/rules.h"

/* RXQ_STATIC helpers of lib/rules.c */
bool rxq_rules_glob(const char *pat, const char *name);
unsigned rxq_rules_nsteps(const struct rxq_rules *rules);
size_t rxq_rules_escape(char *dst, size_t size, const char *src);

#define MS 1000000ull
#define S  1000000000ull

/* ---- frames ---- */

struct fspec {
	int l3; /* 4 (default) or 6 */
	const char *src, *dst;
	uint8_t proto; /* default UDP */
	uint16_t sport, dport;
	const uint8_t *payload;
	uint32_t plen;
	uint16_t frag_off;
	bool more_frags;
	bool vlan;
};

struct frame {
	uint8_t buf[2048];
	uint32_t len;
	struct rxq_pkt pkt;
	enum rxq_pkt_result res;
};

static void frame_build(struct frame *f, const struct fspec *fs)
{
	struct rxq_pkt_spec s;
	int n;

	memset(&s, 0, sizeof(s));
	s.l3 = fs->l3 == 6 ? RXQ_L3_IPV6 : RXQ_L3_IPV4;
	assert_int_equal(rxq_parse_addr(fs->src ? fs->src :
						  (fs->l3 == 6 ? "fd00::1" : "198.18.0.1"),
					&s.src),
			 0);
	assert_int_equal(rxq_parse_addr(fs->dst ? fs->dst :
						  (fs->l3 == 6 ? "fd00::2" : "198.18.0.2"),
					&s.dst),
			 0);
	s.ip_proto = fs->proto ? fs->proto : IPPROTO_UDP;
	s.src_port = fs->sport;
	s.dst_port = fs->dport;
	s.icmp_type = s.ip_proto == IPPROTO_ICMPV6 ? 128 : 8;
	s.payload = fs->payload;
	s.payload_len = fs->plen;
	s.frag_off = fs->frag_off;
	s.more_frags = fs->more_frags;
	s.frag_id = 77;
	if (fs->frag_off || fs->more_frags) {
		if (s.l3 == RXQ_L3_IPV6) {
			s.nip6ext = 1;
			s.ip6ext[0].type = IPPROTO_FRAGMENT;
			s.ip6ext[0].len = 8;
		}
	}
	if (fs->vlan) {
		s.nvlan = 1;
		s.vlan[0].tpid = RXQ_ETH_P_8021Q;
		s.vlan[0].tci = 42;
	}
	s.min_len = RXQ_FRAME_MIN;
	n = rxq_pkt__build(f->buf, sizeof(f->buf), &s);
	assert_true(n > 0);
	f->len = (uint32_t)n;
	f->res = rxq_pkt__parse(&f->pkt, f->buf, f->len);
	assert_int_equal(f->res, RXQ_PKT_OK);
}

#define FRAME(f, ...) frame_build((f), &(struct fspec){ __VA_ARGS__ })

/* A DNS query as a resolver sends it, built by hand so the rules tests stand on their own. */
static uint32_t dns_query(uint8_t *b, size_t cap, const char *name, uint16_t qtype, uint16_t flags)
{
	uint32_t off = 12;
	const char *p = name;

	memset(b, 0, 12);
	b[0] = 0x12;
	b[1] = 0x34;
	b[2] = (uint8_t)(flags >> 8);
	b[3] = (uint8_t)flags;
	b[5] = 1; /* qdcount */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		assert_true(off + 1 + l + 5 <= cap);
		b[off++] = (uint8_t)l;
		memcpy(b + off, p, l);
		off += (uint32_t)l;
		p += l + (dot ? 1 : 0);
	}
	b[off++] = 0;
	b[off++] = (uint8_t)(qtype >> 8);
	b[off++] = (uint8_t)qtype;
	b[off++] = 0;
	b[off++] = 1;
	return off;
}

/* ---- rule sets ---- */

static struct rxq_rules *load_opts(const char *text, const struct rxq_rules_opts *opts)
{
	struct rxq_parse_error err = { 0 };
	struct rxq_rules *rs = NULL;
	int ret = rxq_rules__load_buf(&rs, text, strlen(text), opts, &err);

	if (ret)
		print_error("unexpected error %d at %u:%u: %s\n", ret, err.line, err.col, err.msg);
	assert_int_equal(ret, 0);
	return rs;
}

static struct rxq_rules *load(const char *text)
{
	return load_opts(text, NULL);
}

static enum rxq_verdict classify_at(struct rxq_rules *rs, const struct frame *f, uint64_t now,
				    uint32_t *rule)
{
	return rxq_rules__classify(rxq_rules__ctx(rs, 0), f->buf, f->len, &f->pkt, f->res, now,
				   rule);
}

static enum rxq_verdict classify(struct rxq_rules *rs, const struct frame *f, uint32_t *rule)
{
	return classify_at(rs, f, 0, rule);
}

/* Which rule decides @f under the single-rule set "drop EXPR / default pass": 0 or 1. */
static uint32_t match_one(const char *expr, const struct frame *f, enum rxq_rule_kind kind)
{
	char text[512];
	struct rxq_rules *rs;
	uint32_t rule = 99;

	snprintf(text, sizeof(text), "drop %s\ndefault pass\n", expr);
	rs = load(text);
	assert_int_equal(rxq_rules__kind(rs, 0), kind);
	classify(rs, f, &rule);
	rxq_rules__free(rs);
	return rule;
}

static bool native_matches(const char *expr, const struct frame *f)
{
	return match_one(expr, f, RXQ_RULE_NATIVE) == 0;
}

/* ---- parsing ---- */

static const char example[] =
	"# rxq-offload rules\n"
	"drop   src net 198.51.100.0/24                  # plain prefix rule\n"
	"drop   udp and udp[8:2] & 0x8000 != 0           # any tcpdump (pcap-filter) expression\n"
	"drop   dns qname *.attack.example               # DNS question name, with * and ? wildcards\n"
	"\n"
	"pass   dns qname example.com qtype A\n"
	"limit  100/s per src  udp dst port 53           # token bucket per source address\n"
	"default pass\n";

static void test_parse_example(void **state)
{
	struct rxq_rules *rs;
	char buf[128];

	(void)state;
	rs = load(example);
	assert_int_equal(rxq_rules__count(rs), 6);
	assert_int_equal(rxq_rules__nthreads(rs), 1);
	assert_string_equal(rxq_rules__text(rs, 0), "drop   src net 198.51.100.0/24");
	assert_string_equal(rxq_rules__text(rs, 4), "limit  100/s per src  udp dst port 53");
	assert_string_equal(rxq_rules__text(rs, 5), "default pass");
	assert_null(rxq_rules__text(rs, 6));
	assert_int_equal(rxq_rules__line(rs, 0), 2);
	assert_int_equal(rxq_rules__line(rs, 3), 6);
	assert_int_equal(rxq_rules__line(rs, 5), 8);
	assert_int_equal(rxq_rules__kind(rs, 0), RXQ_RULE_NATIVE);
	assert_int_equal(rxq_rules__kind(rs, 1), RXQ_RULE_PCAP);
	assert_int_equal(rxq_rules__kind(rs, 2), RXQ_RULE_DNS);
	assert_int_equal(rxq_rules__kind(rs, 3), RXQ_RULE_DNS);
	assert_int_equal(rxq_rules__kind(rs, 4), RXQ_RULE_NATIVE);
	assert_int_equal(rxq_rules__action(rs, 0), RXQ_RULE_DROP);
	assert_int_equal(rxq_rules__action(rs, 3), RXQ_RULE_PASS);
	assert_int_equal(rxq_rules__action(rs, 4), RXQ_RULE_LIMIT);
	assert_int_equal(rxq_rules__action(rs, 5), RXQ_RULE_PASS);
	assert_non_null(rxq_rules__ctx(rs, 0));
	assert_null(rxq_rules__ctx(rs, 1));
	rxq_rules__free(rs);

	/* CRLF, tabs, no final newline, indentation, '&&', uppercase DNS pattern. */
	rs = load("\tdrop\tsrc host 198.51.100.1 && udp\r\n  pass dns qname "
		  "WWW.Example.COM.\r\ndefault drop");
	assert_int_equal(rxq_rules__count(rs), 3);
	assert_string_equal(rxq_rules__text(rs, 0), "drop\tsrc host 198.51.100.1 && udp");
	assert_int_equal(rxq_rules__action(rs, 2), RXQ_RULE_DROP);
	rxq_rules__free(rs);

	assert_string_equal(rxq_verdict__str(RXQ_VERDICT_LIMIT), "limit");
	assert_string_equal(rxq_verdict__str(RXQ_VERDICT_ERROR), "error");
	{
		struct rxq_parse_error e = { .line = 12, .col = 7 };

		strcpy(e.msg, "unknown action 'dorp' (expected drop, pass, limit)");
		assert_string_equal(
			rxq_rules_error__format(buf, sizeof(buf), "rules.conf", &e),
			"rules.conf:12:7: unknown action 'dorp' (expected drop, pass, limit)");
		e.line = 0;
		strcpy(e.msg, "cannot open: No such file or directory");
		assert_string_equal(rxq_rules_error__format(buf, sizeof(buf), "r", &e),
				    "r: cannot open: No such file or directory");
	}
}

struct bad_case {
	const char *text;
	unsigned line, col;
	const char *msg;
};

#define NEVER                                                                               \
	"match expression can never match (it requires two different protocols or address " \
	"families)"
#define QTYPES	      "A, AAAA, ANY, TXT, MX, NS, CNAME, SOA, PTR, SRV, TYPEnn or a number"
#define RATE_HELP     "(expected N/s with N from 1 to 1G, e.g. 100/s or 10k/s)"
#define PATTERN_CHARS "(allowed: letters, digits, '-', '_', '.', '*', '?')"

static const struct bad_case bad_cases[] = {
	{ "dorp src net 198.51.100.0/24\ndefault pass\n", 1, 1,
	  "unknown action 'dorp' (expected drop, pass, limit)" },
	{ "# c\n      dorp udp\ndefault pass\n", 2, 7,
	  "unknown action 'dorp' (expected drop, pass, limit)" },
	{ "default pass\ndefault drop\n", 2, 1, "second 'default' (the first is on line 1)" },
	{ "drop udp\ndefault\n", 2, 9, "expected 'pass' or 'drop' after 'default'" },
	{ "default limit\n", 1, 9, "unknown default action 'limit' (expected pass or drop)" },
	{ "default pass now\n", 1, 14, "unexpected 'now' after 'default pass'" },
	{ "default pass\ndrop udp\n", 2, 1,
	  "rule after 'default' (line 1): the default must be the last rule" },
	{ "limit\ndefault pass\n", 1, 7,
	  "missing rate after 'limit' (limit RATE/s per src|dst|flow [new N/s] MATCH)" },
	{ "limit 100 per src udp\ndefault pass\n", 1, 7, "bad rate '100' " RATE_HELP },
	{ "limit 0/s per src udp\ndefault pass\n", 1, 7, "bad rate '0/s' " RATE_HELP },
	{ "limit 100/m per src udp\ndefault pass\n", 1, 7, "bad rate '100/m' " RATE_HELP },
	{ "limit 2G/s per src udp\ndefault pass\n", 1, 7, "bad rate '2G/s' " RATE_HELP },
	{ "limit x/s per src udp\ndefault pass\n", 1, 7, "bad rate 'x/s' " RATE_HELP },
	{ "limit /s per src udp\ndefault pass\n", 1, 7, "bad rate '/s' " RATE_HELP },
	{ "limit 100/s src udp\ndefault pass\n", 1, 13,
	  "expected 'per src', 'per dst' or 'per flow' after the rate" },
	{ "limit 100/s\ndefault pass\n", 1, 13,
	  "expected 'per src', 'per dst' or 'per flow' after the rate" },
	{ "limit 100/s per\ndefault pass\n", 1, 17,
	  "missing key after 'per' (expected src, dst, flow)" },
	{ "limit 100/s per port udp\ndefault pass\n", 1, 17,
	  "unknown limit key 'port' (expected src, dst, flow)" },
	{ "limit 100/s per src\ndefault pass\n", 1, 21,
	  "missing match expression after 'per src'" },
	{ "limit 10/s per src new\ndefault pass\n", 1, 24,
	  "missing rate after 'new' (new N/s, e.g. new 1000/s)" },
	{ "limit 10/s per src new udp\ndefault pass\n", 1, 24,
	  "bad new-key rate 'udp' " RATE_HELP },
	{ "limit 10/s per src new 0/s udp\ndefault pass\n", 1, 24,
	  "bad new-key rate '0/s' " RATE_HELP },
	{ "limit 10/s per src new 2G/s udp\ndefault pass\n", 1, 24,
	  "bad new-key rate '2G/s' " RATE_HELP },
	{ "limit 10/s per src new 1000 udp\ndefault pass\n", 1, 24,
	  "bad new-key rate '1000' " RATE_HELP },
	{ "limit 10/s per src new 1k/m udp\ndefault pass\n", 1, 24,
	  "bad new-key rate '1k/m' " RATE_HELP },
	{ "limit 10/s per src new 1k/s new 2k/s udp\ndefault pass\n", 1, 29, "'new' given twice" },
	{ "limit 10/s per src new 1k/s\ndefault pass\n", 1, 29,
	  "missing match expression after 'new 1k/s'" },
	{ "limit 10/s new 1k/s per src udp\ndefault pass\n", 1, 12,
	  "'new N/s' goes after the key (limit RATE/s per src|dst|flow new N/s MATCH)" },
	{ "drop udp\n\tlimit 10/s per flow  new  -1/s udp\ndefault pass\n", 2, 28,
	  "bad new-key rate '-1/s' " RATE_HELP },
	{ "drop\ndefault pass\n", 1, 6, "missing match expression after 'drop'" },
	{ "pass   # nothing\ndefault pass\n", 1, 6, "missing match expression after 'pass'" },
	{ "drop src net 198.51.100.0/33\ndefault pass\n", 1, 14,
	  "bad prefix length in '198.51.100.0/33' (at most 32 for IPv4)" },
	{ "drop dst net fd00::/129\ndefault pass\n", 1, 14,
	  "bad prefix length in 'fd00::/129' (at most 128 for IPv6)" },
	{ "drop src net 198.51.100.1/24\ndefault pass\n", 1, 14,
	  "prefix '198.51.100.1/24' has host bits set (did you mean 198.51.100.0/24?)" },
	{ "drop udp and net fd00::1/8\ndefault pass\n", 1, 18,
	  "prefix 'fd00::1/8' has host bits set (did you mean fd00::/8?)" },
	{ "drop udp dst port 70000\ndefault pass\n", 1, 19, "bad port '70000' (expected 0-65535)" },
	{ "drop ip proto 300\ndefault pass\n", 1, 15, "bad protocol '300' (expected 0-255)" },
	{ "drop udp and tcp\ndefault pass\n", 1, 6, NEVER },
	{ "drop ip6 and src net 198.51.100.0/24\ndefault pass\n", 1, 6, NEVER },
	{ "drop icmp and port 53\ndefault pass\n", 1, 6, NEVER },
	{ "drop udp and and\ndefault pass\n", 1, 6,
	  "bad match expression: can't parse filter expression: syntax error" },
	{ "pass   host 198.51.100.0/24\ndefault pass\n", 1, 8,
	  "bad match expression: Mask syntax for networks only" },
	{ "drop dns\ndefault pass\n", 1, 10,
	  "expected 'qname' after 'dns' (dns qname PATTERN [qtype TYPE])" },
	{ "drop dns name x.example\ndefault pass\n", 1, 10,
	  "expected 'qname' after 'dns' (dns qname PATTERN [qtype TYPE])" },
	{ "drop dns qname\ndefault pass\n", 1, 16, "missing name pattern after 'qname'" },
	{ "drop dns qname a/b.example\ndefault pass\n", 1, 17,
	  "bad character '/' in name pattern " PATTERN_CHARS },
	{ "drop dns qname a..example\ndefault pass\n", 1, 18,
	  "empty label in name pattern 'a..example'" },
	{ "drop dns qname .example\ndefault pass\n", 1, 16,
	  "empty label in name pattern '.example'" },
	{ "drop dns qname x.example foo\ndefault pass\n", 1, 26,
	  "unexpected 'foo' after the name pattern (only 'qtype TYPE' may follow)" },
	{ "drop dns qname x.example qtype A qtype AAAA\ndefault pass\n", 1, 34,
	  "'qtype' given twice" },
	{ "drop dns qname x.example qtype\ndefault pass\n", 1, 32,
	  "missing type after 'qtype' (e.g. A, AAAA, ANY, TXT)" },
	{ "drop dns qname x.example qtype AAA\ndefault pass\n", 1, 32,
	  "unknown qtype 'AAA' (expected " QTYPES ")" },
	{ "", 1, 1, "no rules (the file needs at least a final 'default pass' or 'default drop')" },
	{ "# only comments\n\n   \n", 1, 1,
	  "no rules (the file needs at least a final 'default pass' or 'default drop')" },
	{ "drop udp\n\npass tcp\n# end\n", 3, 1,
	  "missing 'default pass' or 'default drop' after the last rule" },
};

static void test_parse_errors(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		const struct bad_case *c = &bad_cases[i];
		struct rxq_parse_error err = { 0 };
		struct rxq_rules *rs = NULL;

		print_message("case %zu: %s\n", i, c->msg);
		assert_int_equal(rxq_rules__load_buf(&rs, c->text, strlen(c->text), NULL, &err),
				 -EINVAL);
		assert_null(rs);
		assert_string_equal(err.msg, c->msg);
		assert_int_equal(err.line, c->line);
		assert_int_equal(err.col, c->col);
	}
	/* As the tool shows them. */
	{
		static const char text[] = "drop udp\n\tlimit 10/s per flow  new  -1/s udp\n";
		struct rxq_parse_error err = { 0 };
		struct rxq_rules *rs = NULL;
		char buf[256];

		assert_int_equal(rxq_rules__load_buf(&rs, text, strlen(text), NULL, &err), -EINVAL);
		assert_string_equal(rxq_rules_error__format(buf, sizeof(buf), "rules.conf", &err),
				    "rules.conf:2:28: bad new-key rate '-1/s' " RATE_HELP);
	}
}

/* Every byte is printable ASCII, and every backslash starts a whole \\ or \xNN. */
static void assert_escaped(const char *s)
{
	for (; *s; s++) {
		assert_true(*s >= 0x20 && *s < 0x7f);
		if (*s != '\\')
			continue;
		if (s[1] == '\\') {
			s++;
			continue;
		}
		assert_int_equal(s[1], 'x');
		assert_non_null(strchr("0123456789abcdef", s[2]));
		assert_true(s[2] && s[3] && strchr("0123456789abcdef", s[3]));
		s += 3;
	}
}

static const struct bad_case escape_cases[] = {
	/* A word that would turn the terminal red and set its title. */
	{ "dorp\x1b[31m\x1b]0;owned\x07 udp\ndefault pass\n", 1, 1,
	  "unknown action 'dorp\\x1b[31m\\x1b]0;owned\\x07' (expected drop, pass, limit)" },
	/* A lone control byte where one character is reported. */
	{ "drop dns qname a\x01.example\ndefault pass\n", 1, 17,
	  "bad character '\\x01' in name pattern " PATTERN_CHARS },
	/* The backslash itself, so that an escape in the file is not mistaken for one of ours. */
	{ "limit 10/s per src new 1\\x1bk/s udp\ndefault pass\n", 1, 24,
	  "bad new-key rate '1\\\\x1bk/s' " RATE_HELP },
	/* Bytes above 0x7f: C1 controls (0x9b is CSI) and UTF-8 alike. */
	{ "default \x9b"
	  "2J\xc3\xa9\n",
	  1, 9, "unknown default action '\\x9b2J\\xc3\\xa9' (expected pass or drop)" },
	/* Through libpcap's message (a backslash quotes a name in pcap-filter). */
	{ "drop port \\\x1b[2J\ndefault pass\n", 1, 6,
	  "bad match expression: unknown port '\\x1b[2J'" },
};

static void test_error_escapes(void **state)
{
	struct rxq_parse_error err = { 0 };
	struct rxq_rules *rs = NULL;
	char buf[600], line[1100], small[8];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(escape_cases) / sizeof(escape_cases[0]); i++) {
		const struct bad_case *c = &escape_cases[i];

		assert_int_equal(rxq_rules__load_buf(&rs, c->text, strlen(c->text), NULL, &err),
				 -EINVAL);
		assert_null(rs);
		assert_escaped(err.msg);
		assert_string_equal(err.msg, c->msg);
		assert_int_equal(err.line, c->line);
		assert_int_equal(err.col, c->col);
		assert_escaped(rxq_rules_error__format(buf, sizeof(buf), "rules.conf", &err));
	}
	assert_string_equal(rxq_rules_error__format(buf, sizeof(buf), "r\x1b[1mules\\.conf", &err),
			    "r\\x1b[1mules\\\\.conf:1:6: bad match expression: "
			    "unknown port '\\x1b[2J'");

	/* 1000 ESC bytes: the message is cut at its end, never inside an escape. */
	memset(line, 0x1b, 1000);
	strcpy(line + 1000, " udp\ndefault pass\n");
	assert_int_equal(rxq_rules__load_buf(&rs, line, strlen(line), NULL, &err), -EINVAL);
	assert_escaped(err.msg);
	assert_true(strlen(err.msg) > 240);
	assert_true(strlen(err.msg) < sizeof(err.msg));

	/* The helper alone: whole escapes or none, always terminated. */
	assert_int_equal(rxq_rules_escape(small, sizeof(small),
					  "a\x1b"
					  "b"),
			 6);
	assert_string_equal(small, "a\\x1bb");
	assert_int_equal(rxq_rules_escape(small, sizeof(small), "ab\x7f"), 6);
	assert_string_equal(small, "ab\\x7f");
	assert_int_equal(rxq_rules_escape(small, sizeof(small), "abcd\x7f"), 4);
	assert_string_equal(small, "abcd");
	assert_int_equal(rxq_rules_escape(small, 1, "abc"), 0);
	assert_string_equal(small, "");
	assert_int_equal(rxq_rules_escape(small, sizeof(small), "\\\\\\\\"), 6);
	assert_string_equal(small, "\\\\\\\\\\\\");
	/* The format never overruns its buffer, even inside the file name. */
	assert_string_equal(rxq_rules_error__format(small, sizeof(small), "\x01\x02", &err),
			    "\\x01:1:");
	assert_string_equal(rxq_rules_error__format(small, 0, "x", &err), "\\x01:1:");
}

static void test_parse_limits(void **state)
{
	struct rxq_parse_error err = { 0 };
	struct rxq_rules *rs = NULL;
	char *text;
	size_t i, off = 0, cap = (size_t)(RXQ_RULES_MAX + 2) * 10;
	static char longline[RXQ_RULES_LINE_MAX + 64];
	char pattern[300];

	(void)state;
	/* A line of exactly RXQ_RULES_LINE_MAX bytes is fine, one more is not. */
	memset(longline, ' ', RXQ_RULES_LINE_MAX);
	memcpy(longline, "drop udp", 8);
	strcpy(longline + RXQ_RULES_LINE_MAX, "\ndefault pass\n");
	rs = load(longline);
	rxq_rules__free(rs);
	memset(longline, ' ', RXQ_RULES_LINE_MAX + 1);
	memcpy(longline, "drop udp", 8);
	strcpy(longline + RXQ_RULES_LINE_MAX + 1, "\ndefault pass\n");
	assert_int_equal(rxq_rules__load_buf(&rs, longline, strlen(longline), NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "line too long (more than 1024 characters)");
	assert_int_equal(err.line, 1);
	assert_int_equal(err.col, 1025);

	/* NUL bytes: the column of the NUL. */
	assert_int_equal(rxq_rules__load_buf(&rs, "drop udp\ndefault\0pass\n", 22, NULL, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "NUL byte in the rules text (is this a binary file?)");
	assert_int_equal(err.line, 2);
	assert_int_equal(err.col, 8);
	/* A NUL past the line limit: the length is reported, at a column within the line. */
	memset(longline, ' ', RXQ_RULES_LINE_MAX + 40);
	longline[RXQ_RULES_LINE_MAX + 20] = '\0';
	assert_int_equal(rxq_rules__load_buf(&rs, longline, RXQ_RULES_LINE_MAX + 40, NULL, &err),
			 -EINVAL);
	assert_string_equal(err.msg, "line too long (more than 1024 characters)");
	assert_int_equal(err.col, 1025);

	/* Name pattern length. */
	{
		char line[400];

		memset(pattern, 'a', 256);
		pattern[256] = '\0';
		snprintf(line, sizeof(line), "drop dns qname %s\ndefault pass\n", pattern);
		assert_int_equal(rxq_rules__load_buf(&rs, line, strlen(line), NULL, &err), -EINVAL);
		assert_string_equal(err.msg, "name pattern too long (at most 255 characters)");
		assert_int_equal(err.col, 16);
		pattern[255] = '\0';
		snprintf(line, sizeof(line), "drop dns qname %s\ndefault pass\n", pattern);
		rs = load(line);
		rxq_rules__free(rs);
	}

	/* Too many rules. */
	text = malloc(cap);
	assert_non_null(text);
	for (i = 0; i <= RXQ_RULES_MAX; i++) {
		memcpy(text + off, "drop tcp\n", 9);
		off += 9;
	}
	memcpy(text + off, "default pass\n", 14);
	assert_int_equal(rxq_rules__load_buf(&rs, text, strlen(text), NULL, &err), -EINVAL);
	assert_string_equal(err.msg, "too many rules (at most 262144)");
	assert_int_equal(err.line, RXQ_RULES_MAX + 1);
	assert_int_equal(err.col, 1);
	/* One fewer is fine. */
	memcpy(text + off - 18, "default pass\n", 14);
	rs = load(text);
	assert_int_equal(rxq_rules__count(rs), RXQ_RULES_MAX);
	rxq_rules__free(rs);
	free(text);
}

static void test_load_file(void **state)
{
	static const char bad[] = "drop udp\n  dorp tcp\ndefault pass\n";
	struct rxq_parse_error err = { 0 };
	struct rxq_rules *rs = NULL;
	char path[64], msg[512];
	int fd;

	(void)state;
	fd = memfd_create("rules", MFD_CLOEXEC);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, bad, sizeof(bad) - 1), (ssize_t)sizeof(bad) - 1);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	assert_int_equal(rxq_rules__load_file(&rs, path, NULL, &err), -EINVAL);
	snprintf(msg, sizeof(msg), "%s:2:3: unknown action 'dorp' (expected drop, pass, limit)",
		 path);
	assert_string_equal(rxq_rules_error__format(msg + 256, 256, path, &err), msg);
	/* Fix it in place and load again. */
	assert_int_equal(pwrite(fd, "dr", 2, 11), 2);
	assert_int_equal(pwrite(fd, "op", 2, 13), 2);
	assert_int_equal(rxq_rules__load_file(&rs, path, NULL, &err), 0);
	assert_int_equal(rxq_rules__count(rs), 3);
	rxq_rules__free(rs);
	rs = NULL;

	/* Larger than the limit: refused before parsing. */
	assert_int_equal(ftruncate(fd, (64 << 20) + 1), 0);
	assert_int_equal(rxq_rules__load_file(&rs, path, NULL, &err), -EFBIG);
	assert_string_equal(err.msg, "file too large (more than 64 MiB)");
	assert_int_equal(err.line, 0);
	close(fd);

	assert_int_equal(rxq_rules__load_file(&rs, "/nonexistent/rules.conf", NULL, &err), -ENOENT);
	assert_string_equal(err.msg, "cannot open: No such file or directory");
	assert_int_equal(err.line, 0);
	assert_string_equal(rxq_rules_error__format(msg, sizeof(msg), "/nonexistent/rules.conf",
						    &err),
			    "/nonexistent/rules.conf: cannot open: No such file or directory");
	assert_int_equal(rxq_rules__load_file(&rs, "/", NULL, &err), -EISDIR);
	assert_string_equal(err.msg, "cannot read: Is a directory");
	assert_null(rs);
}

/* The example files shipped with rxq-offload load, and their rules behave as their comments say. */
static void test_examples(void **state)
{
	const char *fixtures = getenv("RXQ_FIXTURES");
	char dir[4096], path[4400], msg[600];
	struct rxq_parse_error err;
	struct rxq_rules *rs;
	struct dirent *de;
	unsigned loaded = 0;
	uint32_t rule;
	int ret;
	struct frame f;
	DIR *d;

	(void)state;
	if (!fixtures) {
		print_message("RXQ_FIXTURES not set: cannot find the examples\n");
		skip();
	}
	snprintf(dir, sizeof(dir), "%s/../../../tools/rxq-offload/examples", fixtures);
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d))) {
		size_t n = strlen(de->d_name);

		if (n < 7 || strcmp(de->d_name + n - 6, ".rules"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		ret = rxq_rules__load_file(&rs, path, NULL, &err);
		if (ret)
			print_error("%s\n", rxq_rules_error__format(msg, sizeof(msg), path, &err));
		assert_int_equal(ret, 0);
		rxq_rules__free(rs);
		loaded++;
	}
	closedir(d);
	assert_true(loaded >= 4);

	/* blocklist.rules: the exception on line 5 wins over the /16 on line 6. */
	snprintf(path, sizeof(path), "%s/blocklist.rules", dir);
	assert_int_equal(rxq_rules__load_file(&rs, path, NULL, &err), 0);
	FRAME(&f, .src = "198.19.7.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rxq_rules__line(rs, rule), 5);
	FRAME(&f, .src = "198.19.7.2");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rxq_rules__line(rs, rule), 6);
	rxq_rules__free(rs);
}

/* ---- matchers ---- */

static void test_prefix_match(void **state)
{
	struct frame f4, f6, fo;

	(void)state;
	FRAME(&f4, .src = "198.51.100.7", .dst = "198.18.0.2", .sport = 1000, .dport = 53);
	FRAME(&f6, .l3 = 6, .src = "fd00:1::7", .dst = "fd00::2", .sport = 1000, .dport = 53);
	FRAME(&fo, .src = "203.0.113.9", .dst = "198.51.100.255", .proto = IPPROTO_TCP, .sport = 1,
	      .dport = 2);

	assert_true(native_matches("src net 198.51.100.0/24", &f4));
	assert_false(native_matches("src net 198.51.101.0/24", &f4));
	assert_false(native_matches("dst net 198.51.100.0/24", &f4));
	assert_true(native_matches("dst net 198.51.100.0/24", &fo));
	assert_true(native_matches("net 198.51.100.0/24", &f4));
	assert_true(native_matches("net 198.51.100.0/24", &fo));
	assert_true(native_matches("src net 198.51.100.7/32", &f4));
	assert_false(native_matches("src net 198.51.100.6/32", &f4));
	assert_true(native_matches("src host 198.51.100.7", &f4));
	assert_true(native_matches("host 198.18.0.2", &f4));
	assert_false(native_matches("src host 198.18.0.2", &f4));
	assert_true(native_matches("src net 0.0.0.0/0", &f4));
	assert_false(native_matches("src net 0.0.0.0/0", &f6)); /* IPv4 prefix, IPv6 packet */
	assert_true(native_matches("src net 128.0.0.0/1", &f4));
	assert_false(native_matches("src net 0.0.0.0/1", &f4));
	assert_true(native_matches("src net 198.48.0.0/12", &f4));

	assert_true(native_matches("src net fd00::/8", &f6));
	assert_true(native_matches("src net fd00:1::/32", &f6));
	assert_false(native_matches("src net fd00:2::/32", &f6));
	assert_true(native_matches("src net fd00:1::7/128", &f6));
	assert_false(native_matches("src net fd00:1::8/128", &f6));
	assert_true(native_matches("src host fd00:1::7", &f6));
	assert_true(native_matches("dst host fd00::2", &f6));
	assert_true(native_matches("src net ::/0", &f6));
	assert_false(native_matches("src net ::/0", &f4));
	assert_true(native_matches("src net fd00:1::/71", &f6));
	assert_false(native_matches("src net fd00:1:0:0:200::/71", &f6));
	assert_false(native_matches("src net fd00::/8", &f4));
}

static void test_port_proto_match(void **state)
{
	struct frame u4, t4, i4, u6, t6, i6, frag, first;

	(void)state;
	FRAME(&u4, .sport = 4000, .dport = 53);
	FRAME(&t4, .proto = IPPROTO_TCP, .sport = 1024, .dport = 80);
	FRAME(&i4, .proto = IPPROTO_ICMP);
	FRAME(&u6, .l3 = 6, .sport = 53, .dport = 4000);
	FRAME(&t6, .l3 = 6, .proto = IPPROTO_TCP, .sport = 5000, .dport = 443);
	FRAME(&i6, .l3 = 6, .proto = IPPROTO_ICMPV6);
	FRAME(&frag, .frag_off = 64, .plen = 16);
	FRAME(&first, .sport = 4000, .dport = 53, .more_frags = true, .plen = 16);

	assert_true(native_matches("udp", &u4));
	assert_true(native_matches("udp", &u6));
	assert_false(native_matches("udp", &t4));
	assert_true(native_matches("tcp", &t6));
	assert_true(native_matches("icmp", &i4));
	assert_false(native_matches("icmp", &i6));
	assert_true(native_matches("icmp6", &i6));
	assert_true(native_matches("ip", &t4));
	assert_false(native_matches("ip", &t6));
	assert_true(native_matches("ip6", &t6));
	assert_true(native_matches("ip proto 17", &u4));
	assert_false(native_matches("ip proto 17", &u6));
	assert_true(native_matches("ip6 proto 17", &u6));
	assert_true(native_matches("ip proto 1", &i4));

	assert_true(native_matches("port 53", &u4));
	assert_true(native_matches("port 53", &u6));
	assert_true(native_matches("dst port 53", &u4));
	assert_false(native_matches("src port 53", &u4));
	assert_true(native_matches("src port 53", &u6));
	assert_true(native_matches("udp dst port 53", &u4));
	assert_false(native_matches("tcp dst port 53", &u4));
	assert_true(native_matches("tcp dst port 80", &t4));
	assert_true(native_matches("tcp port 443", &t6));
	assert_true(native_matches("tcp src port 1024 and dst port 80", &t4));
	assert_false(native_matches("tcp src port 1025 and dst port 80", &t4));
	assert_false(native_matches("port 53", &i4));
	assert_true(native_matches("udp and src net 198.18.0.0/15 and dst port 53", &u4));
	assert_true(native_matches("ip && udp && dst host 198.18.0.2 && src port 4000", &u4));

	/* Fragments: the first has ports, the others do not (as in pcap). */
	assert_true(native_matches("udp dst port 53", &first));
	assert_true(native_matches("udp", &frag));
	assert_false(native_matches("port 0", &frag));
}

/* The native path and libpcap agree on every plain predicate over a set of frames. */
static void test_native_equals_pcap(void **state)
{
	static const char *const exprs[] = {
		"src net 198.51.100.0/24",
		"dst net 198.18.0.0/15",
		"net 198.51.100.0/24",
		"src host 198.51.100.7",
		"host 198.18.0.2",
		"src net fd00::/8",
		"dst host fd00::2",
		"net fd00:1::/32",
		"src net 0.0.0.0/0",
		"udp",
		"tcp",
		"icmp",
		"icmp6",
		"ip",
		"ip6",
		"sctp",
		"ip proto 17",
		"ip6 proto 17",
		"ip proto 6",
		"ip proto 132",
		"port 53",
		"src port 53",
		"dst port 53",
		"udp dst port 53",
		"tcp dst port 80",
		"udp port 53",
		"tcp src port 1024",
		"sctp dst port 9",
		"port 9",
		"udp and dst port 53",
		"src net 198.51.100.0/24 and udp dst port 53",
		"src net 198.51.100.0/24 && dst port 53",
		"ip and udp",
		"ip6 and tcp and port 443",
		"dst port 53 and src port 4000",
	};
	struct frame frames[12];
	size_t i, j, nframes = 0;
	char paren[256];

	(void)state;
	FRAME(&frames[nframes++], .src = "198.51.100.7", .sport = 4000, .dport = 53);
	FRAME(&frames[nframes++], .src = "198.51.100.7", .proto = IPPROTO_TCP, .sport = 1024,
	      .dport = 80);
	FRAME(&frames[nframes++], .src = "198.51.100.7", .proto = IPPROTO_ICMP);
	FRAME(&frames[nframes++], .l3 = 6, .src = "fd00::1", .sport = 4000, .dport = 53);
	FRAME(&frames[nframes++], .l3 = 6, .src = "fd00:1::5", .proto = IPPROTO_TCP, .sport = 5000,
	      .dport = 443);
	FRAME(&frames[nframes++], .l3 = 6, .proto = IPPROTO_ICMPV6);
	FRAME(&frames[nframes++], .src = "203.0.113.5", .sport = 53, .dport = 4000);
	FRAME(&frames[nframes++], .src = "198.51.100.9", .frag_off = 8, .plen = 16);
	FRAME(&frames[nframes++], .src = "198.51.100.9", .sport = 4000, .dport = 53,
	      .more_frags = true, .plen = 16);
	FRAME(&frames[nframes++], .src = "198.18.0.1", .dst = "198.51.100.200", .sport = 7,
	      .dport = 53);
	/* SCTP: the packet parser does not know it; the native path reads its ports itself. */
	{
		struct frame *f = &frames[nframes++];

		FRAME(f, .src = "198.51.100.7", .sport = 5, .dport = 9, .plen = 12);
		f->buf[f->pkt.l3_off + 9] = IPPROTO_SCTP;
		f->res = rxq_pkt__parse(&f->pkt, f->buf, f->len);
		assert_int_equal(f->res, RXQ_PKT_OK);
		assert_int_equal(f->pkt.ip_proto, IPPROTO_SCTP);
	}

	for (i = 0; i < sizeof(exprs) / sizeof(exprs[0]); i++) {
		snprintf(paren, sizeof(paren), "(%s)", exprs[i]);
		for (j = 0; j < nframes; j++) {
			uint32_t native = match_one(exprs[i], &frames[j], RXQ_RULE_NATIVE);
			uint32_t pcap = match_one(paren, &frames[j], RXQ_RULE_PCAP);

			if (native != pcap)
				print_error("'%s' on frame %zu: native %u, pcap %u\n", exprs[i], j,
					    native, pcap);
			assert_int_equal(native, pcap);
		}
	}
}

static void test_vlan(void **state)
{
	struct frame tagged;

	(void)state;
	FRAME(&tagged, .src = "198.51.100.7", .sport = 4000, .dport = 53, .vlan = true);
	assert_int_equal(tagged.pkt.nvlan, 1);
	/* Native predicates look through the tag ... */
	assert_int_equal(match_one("udp dst port 53", &tagged, RXQ_RULE_NATIVE), 0);
	assert_int_equal(match_one("src net 198.51.100.0/24", &tagged, RXQ_RULE_NATIVE), 0);
	/* ... a pcap expression sees the frame as tcpdump does. */
	assert_int_equal(match_one("(udp)", &tagged, RXQ_RULE_PCAP), 1);
	assert_int_equal(match_one("vlan and udp", &tagged, RXQ_RULE_PCAP), 0);
}

static void test_pcap_expression(void **state)
{
	uint8_t query[64], response[64];
	uint32_t qlen = dns_query(query, sizeof(query), "x.example", 1, 0x0100);
	uint32_t rlen = dns_query(response, sizeof(response), "x.example", 1, 0x8180);
	/* The QR bit of the DNS flags: bytes 10-11 of the UDP datagram. */
	struct rxq_rules *rs = load("drop udp and udp[10:2] & 0x8000 != 0\ndefault pass\n");
	struct frame q, r, t;
	uint32_t rule;

	(void)state;
	FRAME(&q, .sport = 4000, .dport = 53, .payload = query, .plen = qlen);
	FRAME(&r, .sport = 53, .dport = 4000, .payload = response, .plen = rlen);
	FRAME(&t, .proto = IPPROTO_TCP, .sport = 53, .dport = 4000, .payload = response,
	      .plen = rlen);
	assert_int_equal(rxq_rules__kind(rs, 0), RXQ_RULE_PCAP);
	assert_int_equal(classify(rs, &q, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 1);
	assert_int_equal(classify(rs, &r, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 0);
	assert_int_equal(classify(rs, &t, &rule), RXQ_VERDICT_PASS);
	rxq_rules__free(rs);

	/* Expressions the native parser does not take go to libpcap: or, not, names, shorthands. */
	assert_int_equal(match_one("udp or tcp", &q, RXQ_RULE_PCAP), 0);
	assert_int_equal(match_one("not tcp", &q, RXQ_RULE_PCAP), 0);
	assert_int_equal(match_one("udp port domain", &q, RXQ_RULE_PCAP), 0);
	assert_int_equal(match_one("net 198.18", &q, RXQ_RULE_PCAP), 0);
	assert_int_equal(match_one("greater 1000", &q, RXQ_RULE_PCAP), 1);
}

/* ---- first match across merged prefix rules ---- */

static void test_first_match_merged(void **state)
{
	struct rxq_rules *rs;
	struct frame f;
	uint32_t rule;

	(void)state;
	/* A /16 drop above a /24 pass inside it: the /16 wins although the /24 is longer. */
	rs = load("drop src net 10.1.0.0/16\n"
		  "pass src net 10.1.2.0/24\n"
		  "pass src net 10.2.0.0/16\n"
		  "drop src net 10.2.3.0/24\n"
		  "drop dst net 198.18.0.2/32\n"
		  "pass net 192.0.2.0/24\n"
		  "default drop\n");
	assert_int_equal(rxq_rules_nsteps(rs), 2); /* one group + the default */
	FRAME(&f, .src = "10.1.2.3", .dst = "198.18.0.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 0);
	FRAME(&f, .src = "10.2.3.4", .dst = "198.18.0.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 2);
	FRAME(&f, .src = "10.3.0.1", .dst = "198.18.0.2");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 4);
	/* src matches rule 5 (either direction), dst matches rule 4: rule 4 is first. */
	FRAME(&f, .src = "192.0.2.1", .dst = "198.18.0.2");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 4);
	FRAME(&f, .src = "198.18.0.9", .dst = "192.0.2.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 5);
	FRAME(&f, .src = "10.9.9.9", .dst = "198.18.0.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 6);
	rxq_rules__free(rs);
}

/* /0 and /128 inside a merged group, IPv4 and IPv6 side by side. */
static void test_merged_extremes(void **state)
{
	struct rxq_rules *rs;
	struct frame f;
	uint32_t rule;

	(void)state;
	rs = load("pass src host fd00::1\n"
		  "drop src net fd00::/128\n"
		  "pass dst net 198.18.0.0/15\n"
		  "drop src net 0.0.0.0/0\n"
		  "pass src net ::/0\n"
		  "drop src net 10.0.0.0/8\n"
		  "default drop\n");
	assert_int_equal(rxq_rules_nsteps(rs), 2);
	FRAME(&f, .l3 = 6, .src = "fd00::1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 0);
	FRAME(&f, .l3 = 6, .src = "fd00::");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 1);
	FRAME(&f, .l3 = 6, .src = "fd00::2");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 4);
	FRAME(&f, .src = "10.1.1.1", .dst = "198.19.0.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 2);
	FRAME(&f, .src = "10.1.1.1", .dst = "203.0.113.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 3);
	rxq_rules__free(rs);
}

struct ref_rule {
	int dir; /* 1 src, 2 dst, 3 either, 0 not a prefix rule ("pass udp dst port 7") */
	bool drop;
	struct rxq_addr prefix;
	unsigned plen;
};

static void random_addr(struct rxq_addr *a, bool v6)
{
	unsigned k;

	memset(a, 0, sizeof(*a));
	a->family = v6 ? AF_INET6 : AF_INET;
	for (k = 0; k < (v6 ? 16u : 4u); k++)
		a->b[k] = (uint8_t)(rand() & (k < 2 ? 0x3 : 0xff));
	if (v6)
		a->b[0] = 0xfd;
	else
		a->b[0] = 10;
}

/* Random overlapping prefix rules, mixed actions and directions, groups split by other rules:
 * the classifier must agree with a plain linear scan. */
static void test_first_match_random(void **state)
{
	enum { NRULES = 400, NPKTS = 4000 };
	struct ref_rule *rr = calloc(NRULES, sizeof(*rr));
	char *text = malloc(NRULES * 80 + 32), abuf[INET6_ADDRSTRLEN];
	struct rxq_rules *rs;
	size_t off = 0;
	unsigned i, p, k;

	(void)state;
	assert_non_null(rr);
	assert_non_null(text);
	srand(12345);
	for (i = 0; i < NRULES; i++) {
		struct ref_rule *r = &rr[i];
		bool v6 = rand() % 4 == 0;
		unsigned bits = v6 ? 128 : 32;

		r->drop = rand() & 1;
		if (rand() % 40 == 0) {
			off += (size_t)sprintf(text + off, "pass udp dst port 7\n");
			continue;
		}
		r->dir = 1 + rand() % 3;
		random_addr(&r->prefix, v6);
		r->plen = v6 ? 8 + (unsigned)rand() % 121 : 8 + (unsigned)rand() % 25;
		for (k = r->plen; k < bits; k++)
			r->prefix.b[k / 8] &= (uint8_t) ~(0x80 >> (k % 8));
		off += (size_t)sprintf(text + off, "%s %snet %s/%u\n", r->drop ? "drop" : "pass",
				       r->dir == 1 ? "src " :
				       r->dir == 2 ? "dst " :
						     "",
				       rxq_addr_str(&r->prefix, abuf, sizeof(abuf)), r->plen);
	}
	sprintf(text + off, "default pass\n");
	rs = load(text);
	assert_true(rxq_rules_nsteps(rs) < NRULES / 4);

	for (p = 0; p < NPKTS; p++) {
		bool v6 = rand() % 4 == 0;
		struct fspec fs = { .l3 = v6 ? 6 : 4, .sport = 1, .dport = (uint16_t)(rand() % 8) };
		struct rxq_addr src, dst;
		char sbuf[INET6_ADDRSTRLEN], dbuf[INET6_ADDRSTRLEN];
		uint32_t expect = NRULES, rule;
		enum rxq_verdict v;
		struct frame f;

		random_addr(&src, v6);
		random_addr(&dst, v6);
		/* Bias towards hits: take a rule's prefix and keep random host bits. */
		if (rand() % 2) {
			const struct ref_rule *r = &rr[rand() % NRULES];

			if (r->dir && r->prefix.family == src.family) {
				struct rxq_addr *a = rand() % 2 ? &src : &dst;

				for (k = 0; k < r->plen; k++) {
					uint8_t bit = (uint8_t)(0x80 >> (k % 8));

					a->b[k / 8] = (uint8_t)((a->b[k / 8] & ~bit) |
								(r->prefix.b[k / 8] & bit));
				}
			}
		}
		fs.src = rxq_addr_str(&src, sbuf, sizeof(sbuf));
		fs.dst = rxq_addr_str(&dst, dbuf, sizeof(dbuf));
		frame_build(&f, &fs);
		for (i = 0; i < NRULES && expect == NRULES; i++) {
			const struct ref_rule *r = &rr[i];

			if (!r->dir) {
				if (fs.dport == 7)
					expect = i;
				continue;
			}
			if ((r->dir & 1 && rxq_addr_in_prefix(&src, &r->prefix, r->plen)) ||
			    (r->dir & 2 && rxq_addr_in_prefix(&dst, &r->prefix, r->plen)))
				expect = i;
		}
		v = classify(rs, &f, &rule);
		if (rule != expect)
			print_error("packet %s -> %s dport %u: rule %u, expected %u\n", fs.src,
				    fs.dst, fs.dport, rule, expect);
		assert_int_equal(rule, expect);
		assert_int_equal(v, expect < NRULES && rr[expect].dir && rr[expect].drop ?
					    RXQ_VERDICT_DROP :
					    RXQ_VERDICT_PASS);
	}
	rxq_rules__free(rs);
	free(text);
	free(rr);
}

static char *prefix_list(unsigned n, const char *action)
{
	char *text = malloc((size_t)n * 48 + 32);
	size_t off = 0;
	unsigned i;

	assert_non_null(text);
	for (i = 0; i < n; i++)
		off += (size_t)sprintf(text + off, "%s src net 100.%u.%u.0/24\n", action,
				       64 + i / 256, i % 256);
	sprintf(text + off, "default pass\n");
	return text;
}

static void test_thousand_prefixes(void **state)
{
	char *text = prefix_list(1000, "drop");
	struct rxq_rules *rs = load(text);
	struct frame f;
	uint32_t rule;

	(void)state;
	assert_int_equal(rxq_rules__count(rs), 1001);
	assert_int_equal(rxq_rules_nsteps(rs), 2);
	FRAME(&f, .src = "100.64.0.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 0);
	FRAME(&f, .src = "100.67.231.200"); /* rule 999 = 100.67.231.0/24 */
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 999);
	FRAME(&f, .src = "100.67.232.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 1000);
	FRAME(&f, .src = "198.18.0.1", .dst = "100.64.0.1");
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rxq_rules_ctx__hits(rxq_rules__ctx(rs, 0), 1000), 2);
	assert_int_equal(rxq_rules_ctx__hits(rxq_rules__ctx(rs, 0), 999), 1);
	rxq_rules__free(rs);
	free(text);
}

/* ---- DNS ---- */

static uint32_t dns_rule(struct rxq_rules *rs, const char *name, uint16_t qtype, uint16_t dport)
{
	uint8_t msg[300];
	uint32_t len = dns_query(msg, sizeof(msg), name, qtype, 0x0100), rule = 99;
	struct frame f;

	FRAME(&f, .sport = 4000, .dport = dport, .payload = msg, .plen = len);
	classify(rs, &f, &rule);
	return rule;
}

static void test_glob(void **state)
{
	char name[256];

	(void)state;
	assert_true(rxq_rules_glob("*.attack.example", "www.attack.example"));
	assert_true(rxq_rules_glob("*.attack.example", "a.b.attack.example"));
	assert_false(rxq_rules_glob("*.attack.example", "attack.example"));
	assert_false(rxq_rules_glob("*.attack.example", "xattack.example"));
	assert_true(rxq_rules_glob("*attack.example", "xattack.example"));
	assert_true(rxq_rules_glob("*", ""));
	assert_true(rxq_rules_glob("*", "a.b"));
	assert_true(rxq_rules_glob("", ""));
	assert_false(rxq_rules_glob("", "a"));
	assert_true(rxq_rules_glob("?.example", "a.example"));
	assert_false(rxq_rules_glob("?.example", "ab.example"));
	assert_false(rxq_rules_glob("?.example", ".example"));
	assert_true(rxq_rules_glob("a*b*c", "aXbYc"));
	assert_true(rxq_rules_glob("a*b*c", "abc"));
	assert_false(rxq_rules_glob("a*b*c", "acb"));
	assert_true(rxq_rules_glob("**a", "a"));
	assert_true(rxq_rules_glob("*?", "a"));
	assert_false(rxq_rules_glob("*?", ""));
	assert_true(rxq_rules_glob("www.*.*", "www.a.b"));
	assert_false(rxq_rules_glob("www.*.*", "www.a"));
	assert_true(rxq_rules_glob("example.com", "example.com"));
	assert_false(rxq_rules_glob("example.com", "example.co"));
	assert_false(rxq_rules_glob("example.co", "example.com"));
	/* Hostile: many stars against a long name that almost matches stays fast. */
	memset(name, 'a', 255);
	name[255] = '\0';
	assert_false(rxq_rules_glob("*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b", name));
}

static void test_dns_rules(void **state)
{
	struct rxq_rules *rs;

	(void)state;
	rs = load("drop dns qname *.attack.example\n"
		  "pass dns qname example.com qtype A\n"
		  "drop dns qname ?.Example.COM.\n"
		  "drop dns qname example.com qtype TYPE28\n"
		  "default pass\n");
	assert_int_equal(dns_rule(rs, "www.attack.example", 1, 53), 0);
	assert_int_equal(dns_rule(rs, "WWW.Attack.Example", 1, 53), 0);
	assert_int_equal(dns_rule(rs, "a.b.c.attack.example", 16, 53), 0);
	assert_int_equal(dns_rule(rs, "attack.example", 1, 53), 4);
	assert_int_equal(dns_rule(rs, "www.attack.example.org", 1, 53), 4);
	assert_int_equal(dns_rule(rs, "example.com", 1, 53), 1);
	assert_int_equal(dns_rule(rs, "example.com", 28, 53), 3);
	assert_int_equal(dns_rule(rs, "example.com", 16, 53), 4);
	assert_int_equal(dns_rule(rs, "x.example.com", 1, 53), 2);
	assert_int_equal(dns_rule(rs, "xy.example.com", 1, 53), 4);
	/* Only UDP port 53 (either direction) carries DNS. */
	assert_int_equal(dns_rule(rs, "www.attack.example", 1, 5353), 4);
	{
		uint8_t msg[64];
		uint32_t len = dns_query(msg, sizeof(msg), "www.attack.example", 1, 0x8180);
		uint32_t rule;
		struct frame f;

		FRAME(&f, .sport = 53, .dport = 4000, .payload = msg, .plen = len);
		classify(rs, &f, &rule);
		assert_int_equal(rule, 0);
		FRAME(&f, .proto = IPPROTO_TCP, .sport = 4000, .dport = 53, .payload = msg,
		      .plen = len);
		classify(rs, &f, &rule);
		assert_int_equal(rule, 4);
		FRAME(&f, .l3 = 6, .sport = 4000, .dport = 53, .payload = msg, .plen = len);
		classify(rs, &f, &rule);
		assert_int_equal(rule, 0);
	}
	rxq_rules__free(rs);

	/* dns under limit: the DNS match is the limit's match. */
	rs = load("limit 2/s per src dns qname *.example\ndefault drop\n");
	assert_int_equal(rxq_rules__kind(rs, 0), RXQ_RULE_DNS);
	assert_int_equal(dns_rule(rs, "a.example", 1, 53), 0);
	rxq_rules__free(rs);
}

/* DNS payloads built to hurt a parser: they must simply not match, and not crash. */
static void test_dns_malicious(void **state)
{
	static const uint8_t hdr[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0 };
	struct rxq_rules *rs = load("drop dns qname *\ndefault pass\n");
	uint8_t msg[600];
	uint32_t rule, len, i;
	struct frame f;

	(void)state;
	/* Sanity: a good query matches '*'. */
	assert_int_equal(dns_rule(rs, "a.b", 1, 53), 0);

#define MALICIOUS(...)                                                       \
	do {                                                                 \
		static const uint8_t body[] = { __VA_ARGS__ };               \
		memcpy(msg, hdr, 12);                                        \
		memcpy(msg + 12, body, sizeof(body));                        \
		FRAME(&f, .sport = 4000, .dport = 53, .payload = msg,        \
		      .plen = 12 + (uint32_t)sizeof(body));                  \
		assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS); \
		assert_int_equal(rule, 1);                                   \
	} while (0)

	MALICIOUS(0xc0, 0x0c, 0, 1, 0, 1); /* pointer to itself */
	MALICIOUS(1, 'a', 0xc0, 0x0c, 0, 1, 0, 1); /* pointer back to the start: a loop */
	MALICIOUS(0xc0, 0x20, 0, 1, 0, 1); /* forward pointer past the end */
	MALICIOUS(0xc0); /* half a pointer */
	MALICIOUS(64, 'a', 'a', 'a'); /* label of 64 bytes (and truncated) */
	MALICIOUS(0x40, 0, 0, 1, 0, 1); /* reserved label type 01 */
	MALICIOUS(0x80, 0, 0, 1, 0, 1); /* reserved label type 10 */
	MALICIOUS(3, 'a', 'b'); /* truncated label */
	MALICIOUS(1, 'a', 0, 0); /* truncated type/class */
	MALICIOUS(5, 'a', 'b', 'c', 'd', 'e'); /* no terminating zero */

	/* qdcount 0. */
	len = dns_query(msg, sizeof(msg), "a.b", 1, 0x0100);
	msg[5] = 0;
	FRAME(&f, .sport = 4000, .dport = 53, .payload = msg, .plen = len);
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 1);

	/* A name longer than 255 bytes: 5 labels of 63. */
	memcpy(msg, hdr, 12);
	len = 12;
	for (i = 0; i < 5; i++) {
		msg[len++] = 63;
		memset(msg + len, 'x', 63);
		len += 63;
	}
	msg[len++] = 0;
	memcpy(msg + len, "\0\1\0\1", 4);
	len += 4;
	FRAME(&f, .sport = 4000, .dport = 53, .payload = msg, .plen = len);
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 1);

	/* Shorter than a header, and empty. */
	FRAME(&f, .sport = 4000, .dport = 53, .payload = hdr, .plen = 11);
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	FRAME(&f, .sport = 4000, .dport = 53, .plen = 0);
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(rule, 1);

	/* A UDP length that claims more than the frame holds: parse stops at the frame. */
	len = dns_query(msg, sizeof(msg), "a.b", 1, 0x0100);
	FRAME(&f, .sport = 4000, .dport = 53, .payload = msg, .plen = len);
	f.pkt.payload_len = 1400;
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);

	/* Random garbage after a valid header. */
	srand(7);
	for (i = 0; i < 2000; i++) {
		uint32_t k, n = 12 + (uint32_t)rand() % 80;

		memcpy(msg, hdr, 12);
		for (k = 12; k < n; k++)
			msg[k] = (uint8_t)(rand() % 4 == 0 ? 0xc0 | (rand() & 1) : rand());
		FRAME(&f, .sport = 4000, .dport = 53, .payload = msg, .plen = n);
		classify(rs, &f, &rule);
		assert_true(rule <= 1);
	}
#undef MALICIOUS
	rxq_rules__free(rs);
}

/* ---- limit ---- */

static void test_limit_rule(void **state)
{
	struct rxq_rules *rs;
	struct rxq_rules_ctx *ctx;
	struct frame a, b, tcp;
	uint32_t rule;
	unsigned i, passed = 0;

	(void)state;
	rs = load("limit 10/s per src udp dst port 53\ndefault drop\n");
	ctx = rxq_rules__ctx(rs, 0);
	FRAME(&a, .src = "198.18.0.10", .sport = 1, .dport = 53);
	FRAME(&b, .src = "198.18.0.11", .sport = 1, .dport = 53);
	FRAME(&tcp, .src = "198.18.0.10", .proto = IPPROTO_TCP, .sport = 1, .dport = 53);
	/* Burst of 10, then limited: the rule decides both (hits), the default never. */
	for (i = 0; i < 15; i++)
		passed += classify_at(rs, &a, 1 * S, &rule) == RXQ_VERDICT_PASS;
	assert_int_equal(passed, 10);
	assert_int_equal(rule, 0);
	assert_int_equal(classify_at(rs, &a, 1 * S, &rule), RXQ_VERDICT_LIMIT);
	/* Another source has its own bucket. */
	assert_int_equal(classify_at(rs, &b, 1 * S, &rule), RXQ_VERDICT_PASS);
	/* Not matching the rule's expression: the default decides. */
	assert_int_equal(classify_at(rs, &tcp, 1 * S, &rule), RXQ_VERDICT_DROP);
	assert_int_equal(rule, 1);
	/* 100 ms later, one more token. */
	assert_int_equal(classify_at(rs, &a, 1 * S + 100 * MS, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(classify_at(rs, &a, 1 * S + 100 * MS, &rule), RXQ_VERDICT_LIMIT);
	assert_int_equal(rxq_rules_ctx__hits(ctx, 0), 19);
	assert_int_equal(rxq_rules_ctx__limited(ctx, 0), 7);
	assert_int_equal(rxq_rules_ctx__limited(ctx, 1), 0);
	assert_int_equal(rxq_rules_ctx__verdicts(ctx, RXQ_VERDICT_PASS), 12);
	assert_int_equal(rxq_rules_ctx__verdicts(ctx, RXQ_VERDICT_LIMIT), 7);
	rxq_rules__free(rs);

	/* per dst: sources share the destination's bucket; per flow: ports separate flows. */
	rs = load("limit 2/s per dst udp\ndefault drop\n");
	assert_int_equal(classify_at(rs, &a, S, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(classify_at(rs, &b, S, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(classify_at(rs, &a, S, &rule), RXQ_VERDICT_LIMIT);
	rxq_rules__free(rs);
	rs = load("limit 1/s per flow udp\ndefault drop\n");
	assert_int_equal(classify_at(rs, &a, S, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(classify_at(rs, &a, S, &rule), RXQ_VERDICT_LIMIT);
	FRAME(&b, .src = "198.18.0.10", .sport = 2, .dport = 53);
	assert_int_equal(classify_at(rs, &b, S, &rule), RXQ_VERDICT_PASS);
	rxq_rules__free(rs);

	/* k/M suffixes. */
	rs = load("limit 1.5k/s per src udp\ndefault drop\n");
	passed = 0;
	for (i = 0; i < 2000; i++)
		passed += classify_at(rs, &a, S, &rule) == RXQ_VERDICT_PASS;
	assert_int_equal(passed, 1500);
	rxq_rules__free(rs);
}

static void test_limit_table_bounded(void **state)
{
	RXQ_OPTS(rxq_rules_opts, opts, .limit_entries = 64, .hash_seed = 99);
	struct rxq_rules *rs = load_opts("limit 1/s per src new 1G/s udp\ndefault drop\n", &opts);
	struct rxq_rules_ctx *ctx = rxq_rules__ctx(rs, 0);
	struct frame f, f2, g;
	char src[32];
	uint32_t rule;
	unsigned i;

	(void)state;
	/* Every source is admitted. 198.18.0.1 comes back (and is drained), 198.18.0.2 does not. */
	FRAME(&f2, .src = "198.18.0.2", .sport = 1, .dport = 2);
	FRAME(&f, .src = "198.18.0.1", .sport = 1, .dport = 2);
	assert_int_equal(classify_at(rs, &f, S, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(classify_at(rs, &f, S, &rule), RXQ_VERDICT_LIMIT);
	assert_int_equal(classify_at(rs, &f2, S, &rule), RXQ_VERDICT_PASS);
	/* 5000 one-off sources through the 64-entry table push out each other and 198.18.0.2 ... */
	for (i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "198.19.%u.%u", i / 250, i % 250 + 1);
		FRAME(&g, .src = src, .sport = 1, .dport = 2);
		assert_int_equal(classify_at(rs, &g, S + i, &rule), RXQ_VERDICT_PASS);
	}
	/* ... which starts over with a full bucket, while 198.18.0.1 kept its empty one. */
	assert_int_equal(classify_at(rs, &f2, S + 5000, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(classify_at(rs, &f, S + 5000, &rule), RXQ_VERDICT_LIMIT);
	assert_int_equal(rxq_rules_ctx__new_refused(ctx, 0), 0);
	rxq_rules__free(rs);

	/* The same flood without admission tokens to spare: it neither passes nor evicts. */
	rs = load_opts("limit 1/s per src new 10/s udp\ndefault drop\n", &opts);
	ctx = rxq_rules__ctx(rs, 0);
	assert_int_equal(classify_at(rs, &f, S, &rule), RXQ_VERDICT_PASS);
	assert_int_equal(classify_at(rs, &f, S, &rule), RXQ_VERDICT_LIMIT);
	for (i = 0; i < 5000; i++) {
		snprintf(src, sizeof(src), "198.19.%u.%u", i / 250, i % 250 + 1);
		FRAME(&g, .src = src, .sport = 1, .dport = 2);
		assert_int_equal(classify_at(rs, &g, S + i, &rule),
				 i < 9 ? RXQ_VERDICT_PASS : RXQ_VERDICT_LIMIT);
		assert_int_equal(rule, 0);
	}
	assert_int_equal(rxq_rules_ctx__new_refused(ctx, 0), 4991);
	/* 198.18.0.1 is still in the table with its empty bucket: limited, not refused. */
	assert_int_equal(classify_at(rs, &f, S + 5000, &rule), RXQ_VERDICT_LIMIT);
	assert_int_equal(rxq_rules_ctx__new_refused(ctx, 0), 4991);
	assert_int_equal(rxq_rules_ctx__limited(ctx, 0), 1 + 4991 + 1);
	assert_int_equal(rxq_rules__new_refused_total(rs, 0), 4991);
	assert_int_equal(rxq_rules_ctx__new_refused(ctx, 1), 0);
	assert_int_equal(rxq_rules_ctx__new_refused(ctx, 9), 0);
	/* A second later its own bucket has a token again. */
	assert_int_equal(classify_at(rs, &f, 2 * S, &rule), RXQ_VERDICT_PASS);
	rxq_rules__free(rs);
}

/* Rewrites the IPv4 source of @f in place, frame and parsed copy: one frame serves a flood. */
static void set_src4(struct frame *f, uint32_t addr)
{
	uint32_t be = htonl(addr);

	memcpy(f->buf + f->pkt.l3_off + 12, &be, 4);
	memcpy(f->pkt.src.b, &be, 4);
}

struct flood_result {
	uint64_t flood_passed, heavy_sent, heavy_passed, light_sent, light_passed;
};

/*
 * @pps packets per second from a new source each for @secs seconds from t=0, with two established
 * sources mixed in: heavy (198.18.0.10, 1000/s, drained before the flood) and light (198.18.0.11,
 * 5/s). The verdict counters must add up to the packets classified.
 */
static void flood(struct rxq_rules *rs, uint64_t pps, uint64_t secs, struct flood_result *res)
{
	struct rxq_rules_ctx *ctx = rxq_rules__ctx(rs, 0);
	uint64_t i, now, total = 0, sum = 0;
	struct frame f, heavy, light;
	unsigned v;

	memset(res, 0, sizeof(*res));
	FRAME(&f, .src = "10.0.0.0", .sport = 1, .dport = 53);
	FRAME(&heavy, .src = "198.18.0.10", .sport = 1, .dport = 53);
	FRAME(&light, .src = "198.18.0.11", .sport = 1, .dport = 53);
	while (classify_at(rs, &heavy, 0, NULL) == RXQ_VERDICT_PASS)
		total++;
	total++;
	assert_int_equal(classify_at(rs, &light, 0, NULL), RXQ_VERDICT_PASS);
	total++;
	for (i = 0; i < pps * secs; i++) {
		now = i * (S / pps);
		set_src4(&f, 0x0a000000u + (uint32_t)i);
		res->flood_passed += classify_at(rs, &f, now, NULL) == RXQ_VERDICT_PASS;
		total++;
		if (i % (pps / 1000) == 0) {
			res->heavy_sent++;
			res->heavy_passed += classify_at(rs, &heavy, now, NULL) == RXQ_VERDICT_PASS;
			total++;
		}
		if (i % (pps / 5) == 0) {
			res->light_sent++;
			res->light_passed += classify_at(rs, &light, now, NULL) == RXQ_VERDICT_PASS;
			total++;
		}
	}
	for (v = 0; v < RXQ_VERDICT__COUNT; v++)
		sum += rxq_rules_ctx__verdicts(ctx, v);
	assert_int_equal(sum, total);
	assert_int_equal(rxq_rules_ctx__hits(ctx, 0), total);
	assert_int_equal(rxq_rules_ctx__verdicts(ctx, RXQ_VERDICT_LIMIT),
			 rxq_rules_ctx__limited(ctx, 0));
	/* Every flood packet that did not pass was refused admission (each source is new). */
	assert_int_equal(rxq_rules_ctx__new_refused(ctx, 0), pps * secs - res->flood_passed);
	assert_true(rxq_rules_ctx__limited(ctx, 0) > rxq_rules_ctx__new_refused(ctx, 0));
}

static void test_limit_new_flood(void **state)
{
	struct flood_result r;
	struct rxq_rules *rs;

	(void)state;
	/* 100000 new sources per second for 5 s against new 1000/s. */
	rs = load("limit 10/s per src new 1000/s udp\ndefault drop\n");
	assert_int_equal(rxq_rules__limit_rate(rs, 0), 10);
	assert_int_equal(rxq_rules__limit_new_rate(rs, 0), 1000);
	flood(rs, 100000, 5, &r);
	/* The burst of 1000, then 1000/s. */
	assert_in_range(r.flood_passed, 5000, 6000);
	/* The drained source never got a fresh bucket: 10/s, nothing more. */
	assert_in_range(r.heavy_passed, 49, 51);
	/* The source within its rate lost nothing to the flood. */
	assert_int_equal(r.light_passed, r.light_sent);
	rxq_rules__free(rs);

	/* A small new rate: 50 + 50/s over 5 s. */
	rs = load("limit 10/s per src new 50/s udp\ndefault drop\n");
	flood(rs, 20000, 5, &r);
	assert_in_range(r.flood_passed, 250, 300);
	assert_in_range(r.heavy_passed, 49, 51);
	assert_int_equal(r.light_passed, r.light_sent);
	rxq_rules__free(rs);
}

static void test_limit_new_default(void **state)
{
	struct flood_result r;
	struct rxq_rules *rs;

	(void)state;
	rs = load("limit 10/s per src udp\n"
		  "limit 5k/s per dst tcp\n"
		  "limit 10/s per flow new 20/s icmp\n"
		  "limit 1/s per src new 2.5k/s ip6\n"
		  "drop ip\n"
		  "default drop\n");
	assert_int_equal(rxq_rules__limit_new_rate(rs, 0), RXQ_RULES_NEW_RATE_MIN);
	assert_int_equal(rxq_rules__limit_new_rate(rs, 1), 5000);
	assert_int_equal(rxq_rules__limit_new_rate(rs, 2), 20);
	assert_int_equal(rxq_rules__limit_new_rate(rs, 3), 2500);
	assert_int_equal(rxq_rules__limit_new_rate(rs, 4), 0);
	assert_int_equal(rxq_rules__limit_rate(rs, 4), 0);
	assert_int_equal(rxq_rules__limit_rate(rs, 99), 0);
	assert_int_equal(rxq_rules__limit_new_rate(rs, 99), 0);
	flood(rs, 50000, 3, &r);
	/* Without `new`: 1000 burst + 1000/s. */
	assert_in_range(r.flood_passed, 3000, 4000);
	assert_in_range(r.heavy_passed, 29, 31);
	assert_int_equal(r.light_passed, r.light_sent);
	rxq_rules__free(rs);
}

/* ---- counters ---- */

static void test_counter_reconciliation(void **state)
{
	static const char text[] = "drop src net 198.51.100.0/24\n"
				   "drop dns qname *.attack.example\n"
				   "limit 5/s per src udp dst port 53\n"
				   "pass tcp dst port 80\n"
				   "default drop\n";
	enum { N = 3000 };
	uint64_t verdicts[RXQ_VERDICT__COUNT] = { 0 }, hits[5] = { 0 }, limited = 0, sum = 0;
	struct rxq_rules *rs = load(text);
	struct rxq_rules_ctx *ctx = rxq_rules__ctx(rs, 0);
	uint8_t msg[128];
	unsigned i, k;

	(void)state;
	srand(3);
	for (i = 0; i < N; i++) {
		char src[32];
		struct frame f;
		uint32_t rule, mlen;
		enum rxq_verdict v;
		int kind = rand() % 6;

		snprintf(src, sizeof(src), "%s.%u", kind == 0 ? "198.51.100" : "198.18.0",
			 1 + (unsigned)rand() % 20);
		mlen = dns_query(msg, sizeof(msg), kind == 1 ? "x.attack.example" : "ok.example", 1,
				 0x0100);
		if (kind == 3)
			FRAME(&f, .src = src, .proto = IPPROTO_TCP, .sport = 9, .dport = 80);
		else if (kind == 4)
			FRAME(&f, .src = src, .proto = IPPROTO_ICMP);
		else
			FRAME(&f, .src = src, .sport = 9, .dport = 53, .payload = msg,
			      .plen = mlen);
		if (kind == 5) {
			/* a frame that does not parse */
			f.len = 20;
			f.res = rxq_pkt__parse(&f.pkt, f.buf, f.len);
			assert_int_not_equal(f.res, RXQ_PKT_OK);
		}
		v = classify_at(rs, &f, (uint64_t)i * MS, &rule);
		verdicts[v]++;
		if (v == RXQ_VERDICT_ERROR) {
			assert_int_equal(rule, RXQ_RULE_NONE);
			continue;
		}
		assert_true(rule < 5);
		hits[rule]++;
		limited += v == RXQ_VERDICT_LIMIT;
		switch (kind) {
		case 0:
			assert_int_equal(rule, 0);
			break;
		case 1:
			assert_int_equal(rule, 1);
			break;
		case 2:
			assert_int_equal(rule, 2);
			break;
		case 3:
			assert_int_equal(rule, 3);
			break;
		case 4:
			assert_int_equal(rule, 4);
			break;
		}
	}
	for (k = 0; k < RXQ_VERDICT__COUNT; k++) {
		assert_int_equal(rxq_rules_ctx__verdicts(ctx, k), verdicts[k]);
		sum += verdicts[k];
	}
	assert_int_equal(sum, N);
	assert_true(verdicts[RXQ_VERDICT_LIMIT] > 0);
	assert_true(verdicts[RXQ_VERDICT_ERROR] > 0);
	sum = 0;
	for (k = 0; k < 5; k++) {
		assert_int_equal(rxq_rules_ctx__hits(ctx, k), hits[k]);
		assert_int_equal(rxq_rules__hits_total(rs, k), hits[k]);
		sum += hits[k];
	}
	assert_int_equal(sum, N - verdicts[RXQ_VERDICT_ERROR]);
	assert_int_equal(rxq_rules_ctx__limited(ctx, 2), limited);
	assert_int_equal(limited, verdicts[RXQ_VERDICT_LIMIT]);
	rxq_rules__free(rs);
}

static void test_bad_options(void **state)
{
	RXQ_OPTS(rxq_rules_opts, opts, .nthreads = 5000);
	struct rxq_parse_error err = { 0 };
	struct rxq_rules *rs = NULL;

	(void)state;
	assert_int_equal(rxq_rules__load_buf(&rs, "default pass", 12, &opts, &err), -EINVAL);
	assert_string_equal(
		err.msg,
		"bad options: 5000 threads (at most 4096), 65536 limit entries (at most 67108864)");
	assert_int_equal(err.line, 0);
	assert_null(rs);
	/* An old, smaller options struct: only the fields it has are read. */
	opts.sz = offsetof(struct rxq_rules_opts, limit_entries);
	opts.nthreads = 2;
	opts.limit_entries = 1u << 30;
	rs = load_opts("default pass", &opts);
	assert_int_equal(rxq_rules__nthreads(rs), 2);
	rxq_rules__free(rs);
}

static void test_threads_contexts(void **state)
{
	RXQ_OPTS(rxq_rules_opts, opts, .nthreads = 3);
	struct rxq_rules *rs = load_opts("limit 1/s per src udp\ndefault drop\n", &opts);
	struct rxq_rules_ctx *c0 = rxq_rules__ctx(rs, 0), *c2 = rxq_rules__ctx(rs, 2);
	struct frame f;
	uint32_t rule;

	(void)state;
	assert_int_equal(rxq_rules__nthreads(rs), 3);
	assert_null(rxq_rules__ctx(rs, 3));
	FRAME(&f, .sport = 1, .dport = 2);
	/* Each thread's context has its own buckets: the limit applies per thread. */
	assert_int_equal(rxq_rules__classify(c0, f.buf, f.len, &f.pkt, f.res, S, &rule),
			 RXQ_VERDICT_PASS);
	assert_int_equal(rxq_rules__classify(c0, f.buf, f.len, &f.pkt, f.res, S, &rule),
			 RXQ_VERDICT_LIMIT);
	assert_int_equal(rxq_rules__classify(c2, f.buf, f.len, &f.pkt, f.res, S, &rule),
			 RXQ_VERDICT_PASS);
	assert_int_equal(rxq_rules_ctx__hits(c0, 0), 2);
	assert_int_equal(rxq_rules_ctx__hits(c2, 0), 1);
	assert_int_equal(rxq_rules__hits_total(rs, 0), 3);
	/* Unparsable frames. */
	assert_int_equal(rxq_rules__classify(c2, f.buf, 10, &f.pkt, RXQ_PKT_TRUNCATED, S, &rule),
			 RXQ_VERDICT_ERROR);
	assert_int_equal(rule, RXQ_RULE_NONE);
	assert_int_equal(rxq_rules_ctx__verdicts(c2, RXQ_VERDICT_ERROR), 1);
	assert_int_equal(rxq_rules__hits_total(rs, 0), 3);
	rxq_rules__free(rs);
}

/* ---- reload ---- */

static struct rxq_rules *load_prev(const char *text, unsigned nthreads,
				   const struct rxq_rules *prev)
{
	RXQ_OPTS(rxq_rules_opts, opts, .nthreads = nthreads, .prev = prev);

	return load_opts(text, &opts);
}

static enum rxq_verdict classify_ctx(struct rxq_rules *rs, unsigned thread, const struct frame *f,
				     uint64_t now)
{
	return rxq_rules__classify(rxq_rules__ctx(rs, thread), f->buf, f->len, &f->pkt, f->res, now,
				   NULL);
}

static unsigned pass_count(struct rxq_rules *rs, unsigned thread, const struct frame *f,
			   uint64_t now, unsigned max)
{
	unsigned n = 0;

	while (n < max && classify_ctx(rs, thread, f, now) == RXQ_VERDICT_PASS)
		n++;
	return n;
}

/* A reload keeps the buckets of unchanged limit rules; the old set keeps working beside it. */
static void test_reload_keeps_buckets(void **state)
{
	struct rxq_rules *old, *cur;
	struct frame a, b;
	int order;

	(void)state;
	FRAME(&a, .src = "198.18.0.10", .sport = 1, .dport = 53);
	FRAME(&b, .src = "198.18.0.11", .dst = "198.18.1.1", .proto = IPPROTO_TCP, .sport = 1,
	      .dport = 80);
	for (order = 0; order < 2; order++) {
		/* Random hash seed: the new set must take the old one's over. */
		old = load_prev("limit 10/s per src new 1000/s udp\n"
				"limit 5/s per dst tcp\n"
				"default pass\n",
				2, NULL);
		assert_int_equal(rxq_rules__limits_kept(old), 0);
		assert_int_equal(pass_count(old, 0, &a, S, 100), 10);
		assert_int_equal(pass_count(old, 1, &a, S, 3), 3);
		assert_int_equal(pass_count(old, 0, &b, S, 100), 5);

		/* Same limit on a new line, written differently; the per-dst rule changed. */
		cur = load_prev("drop icmp\n"
				"limit 10/s  per src  udp   # new defaults to 1000/s\n"
				"limit 6/s per dst tcp\n"
				"default pass\n",
				2, old);
		assert_true(rxq_rules__limit_kept(cur, 1));
		assert_false(rxq_rules__limit_kept(cur, 2));
		assert_false(rxq_rules__limit_kept(cur, 0));
		assert_false(rxq_rules__limit_kept(cur, 99));
		assert_int_equal(rxq_rules__limits_kept(cur), 1);
		/* The empty bucket stays empty; thread 1's half-full one has its 7 tokens. */
		assert_int_equal(classify_ctx(cur, 0, &a, S), RXQ_VERDICT_LIMIT);
		assert_int_equal(rxq_rules_ctx__new_refused(rxq_rules__ctx(cur, 0), 1), 0);
		assert_int_equal(pass_count(cur, 1, &a, S, 100), 7);
		/* The changed rule starts fresh. */
		assert_int_equal(pass_count(cur, 0, &b, S, 100), 6);
		/* Both sets share one bucket per thread: a token taken in one is gone in the other.
		 */
		assert_int_equal(classify_ctx(cur, 0, &a, S + 100 * MS), RXQ_VERDICT_PASS);
		assert_int_equal(classify_ctx(old, 0, &a, S + 100 * MS), RXQ_VERDICT_LIMIT);
		assert_int_equal(classify_ctx(old, 0, &a, S + 200 * MS), RXQ_VERDICT_PASS);
		/* The old set's own rule kept its own (drained) table. */
		assert_int_equal(classify_ctx(old, 0, &b, S), RXQ_VERDICT_LIMIT);
		/* Counters belong to each set. */
		assert_int_equal(rxq_rules_ctx__hits(rxq_rules__ctx(old, 0), 0), 13);
		assert_int_equal(rxq_rules_ctx__hits(rxq_rules__ctx(cur, 0), 1), 2);
		/* Either may go first; the other keeps the shared tables (ASan checks). */
		if (order == 0) {
			rxq_rules__free(old);
			assert_int_equal(classify_ctx(cur, 0, &a, S + 300 * MS), RXQ_VERDICT_PASS);
			assert_int_equal(classify_ctx(cur, 0, &a, S + 300 * MS), RXQ_VERDICT_LIMIT);
			rxq_rules__free(cur);
		} else {
			rxq_rules__free(cur);
			assert_int_equal(classify_ctx(old, 0, &a, S + 300 * MS), RXQ_VERDICT_PASS);
			assert_int_equal(classify_ctx(old, 0, &a, S + 300 * MS), RXQ_VERDICT_LIMIT);
			rxq_rules__free(old);
		}
	}
}

/* When the buckets cannot be taken over, and how identical rules pair up. */
static void test_reload_fresh(void **state)
{
	static const char text[] = "limit 10/s per src udp\ndefault pass\n";
	RXQ_OPTS(rxq_rules_opts, opts, .hash_seed = 5);
	struct rxq_rules *old, *cur, *next;
	struct frame a;

	(void)state;
	FRAME(&a, .src = "198.18.0.10", .sport = 1, .dport = 53);
	old = load_opts(text, &opts);
	assert_int_equal(pass_count(old, 0, &a, S, 100), 10);
	/* Another hash seed: keys would not be found, so nothing is kept. */
	opts.prev = old;
	opts.hash_seed = 6;
	cur = load_opts(text, &opts);
	assert_int_equal(rxq_rules__limits_kept(cur), 0);
	assert_int_equal(pass_count(cur, 0, &a, S, 100), 10);
	rxq_rules__free(cur);
	/* Another table size. */
	opts.hash_seed = 0;
	opts.limit_entries = 1024;
	cur = load_opts(text, &opts);
	assert_int_equal(rxq_rules__limits_kept(cur), 0);
	rxq_rules__free(cur);
	/* An older options struct without prev: fresh buckets. */
	opts.limit_entries = 0;
	opts.sz = offsetof(struct rxq_rules_opts, prev);
	cur = load_opts(text, &opts);
	assert_int_equal(rxq_rules__limits_kept(cur), 0);
	rxq_rules__free(cur);
	/* More threads than prev: the extra ones start fresh, the others keep theirs. */
	cur = load_prev(text, 3, old);
	assert_int_equal(rxq_rules__limits_kept(cur), 1);
	assert_int_equal(classify_ctx(cur, 0, &a, S), RXQ_VERDICT_LIMIT);
	assert_int_equal(pass_count(cur, 2, &a, S, 100), 10);
	/* A chain of reloads: the buckets pass on after their first owner is gone. */
	rxq_rules__free(old);
	next = load_prev(text, 1, cur);
	assert_int_equal(rxq_rules__limits_kept(next), 1);
	rxq_rules__free(cur);
	assert_int_equal(classify_ctx(next, 0, &a, S), RXQ_VERDICT_LIMIT);
	rxq_rules__free(next);

	/* Duplicates pair up in file order, each old rule at most once. */
	old = load_prev("limit 1/s per src udp\nlimit 1/s per src udp\npass tcp\n"
			"limit 2/s per src udp\ndefault pass\n",
			1, NULL);
	cur = load_prev("limit 1/s per src udp\nlimit 3/s per src udp\nlimit 1/s per src udp\n"
			"limit 1/s per src udp\ndefault pass\n",
			1, old);
	assert_true(rxq_rules__limit_kept(cur, 0));
	assert_false(rxq_rules__limit_kept(cur, 1));
	assert_true(rxq_rules__limit_kept(cur, 2));
	assert_false(rxq_rules__limit_kept(cur, 3));
	assert_int_equal(rxq_rules__limits_kept(cur), 2);
	rxq_rules__free(cur);
	rxq_rules__free(old);
}

static void test_ref_sequence(void **state)
{
	RXQ_OPTS(rxq_rules_opts, opts, .nthreads = 2);
	struct rxq_rules *a = load_opts("default pass\n", &opts);
	struct rxq_rules *b = load_opts("default drop\n", &opts);
	struct rxq_rules *c = load_opts("drop udp\ndefault drop\n", &opts);
	struct rxq_rules *one = load("default pass\n");
	struct rxq_rules_ref *ref;

	(void)state;
	assert_int_equal(rxq_rules_ref__new(&ref, one, 2), -EINVAL); /* 1 context, 2 workers */
	rxq_rules__free(one);
	assert_int_equal(rxq_rules_ref__new(&ref, a, 2), 0);
	assert_ptr_equal(rxq_rules_ref__get(ref, 0), a);
	assert_ptr_equal(rxq_rules_ref__current(ref), a);
	/* Worker 0 holds a; worker 1 is idle. */
	assert_int_equal(rxq_rules_ref__set(ref, b), 0);
	assert_ptr_equal(rxq_rules_ref__current(ref), b);
	assert_int_equal(rxq_rules_ref__reclaim(ref), 1);
	/* Worker 1 comes and goes: does not release a, worker 0 still may use it. */
	assert_ptr_equal(rxq_rules_ref__get(ref, 1), b);
	assert_int_equal(rxq_rules_ref__reclaim(ref), 1);
	/* Worker 0's next batch: a can go. */
	assert_ptr_equal(rxq_rules_ref__get(ref, 0), b);
	assert_int_equal(rxq_rules_ref__reclaim(ref), 0);
	/* Two replacements while worker 1 sits on b; worker 0 goes idle. */
	rxq_rules_ref__idle(ref, 0);
	assert_int_equal(rxq_rules_ref__set(ref, c), 0);
	assert_int_equal(rxq_rules_ref__reclaim(ref), 1);
	rxq_rules_ref__idle(ref, 1);
	assert_int_equal(rxq_rules_ref__reclaim(ref), 0);
	assert_int_equal(rxq_rules_ref__set(ref, NULL), -EINVAL);
	rxq_rules_ref__free(ref); /* frees c */
}

struct worker_arg {
	struct rxq_rules_ref *ref;
	unsigned thread;
	const struct frame *f;
	uint64_t packets, drops, passes;
	volatile bool *stop;
};

static void *worker(void *p)
{
	struct worker_arg *w = p;
	unsigned batch = 0;

	while (!*w->stop || batch < 100) {
		struct rxq_rules *rs = rxq_rules_ref__get(w->ref, w->thread);
		struct rxq_rules_ctx *ctx = rxq_rules__ctx(rs, w->thread);
		unsigned i;

		for (i = 0; i < 16; i++) {
			enum rxq_verdict v = rxq_rules__classify(ctx, w->f->buf, w->f->len,
								 &w->f->pkt, w->f->res, 0, NULL);

			w->packets++;
			w->drops += v == RXQ_VERDICT_DROP;
			w->passes += v == RXQ_VERDICT_PASS;
		}
		if (++batch % 8 == 0) {
			rxq_rules_ref__idle(w->ref, w->thread);
			sched_yield();
		}
	}
	rxq_rules_ref__idle(w->ref, w->thread);
	return NULL;
}

/* Workers classify while the control thread swaps sets: under ASan a set freed too early shows. */
static void test_ref_threads(void **state)
{
	RXQ_OPTS(rxq_rules_opts, opts, .nthreads = 2);
	struct worker_arg args[2];
	pthread_t tids[2];
	volatile bool stop = false;
	struct rxq_rules_ref *ref;
	struct frame f;
	unsigned i;

	(void)state;
	FRAME(&f, .src = "198.51.100.1", .sport = 1, .dport = 53);
	assert_int_equal(rxq_rules_ref__new(&ref, load_opts("default pass\n", &opts), 2), 0);
	for (i = 0; i < 2; i++) {
		args[i] = (struct worker_arg){ .ref = ref, .thread = i, .f = &f, .stop = &stop };
		assert_int_equal(pthread_create(&tids[i], NULL, worker, &args[i]), 0);
	}
	for (i = 0; i < 200; i++) {
		const char *text = i % 2 ? "drop src net 198.51.100.0/24\ndefault pass\n" :
					   "pass udp\ndefault drop\n";

		assert_int_equal(rxq_rules_ref__set(ref, load_opts(text, &opts)), 0);
		rxq_rules_ref__reclaim(ref);
		sched_yield();
	}
	stop = true;
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(tids[i], NULL), 0);
	assert_int_equal(rxq_rules_ref__reclaim(ref), 0);
	assert_true(args[0].packets > 0 && args[1].packets > 0);
	/* The last set drops this frame; every batch before the end saw some set. */
	{
		struct rxq_rules *cur = rxq_rules_ref__current(ref);
		uint32_t rule;

		assert_int_equal(rxq_rules__classify(rxq_rules__ctx(cur, 0), f.buf, f.len, &f.pkt,
						     f.res, 0, &rule),
				 RXQ_VERDICT_DROP);
	}
	rxq_rules_ref__free(ref);
}

/* The same with limit rules whose tables pass from set to set while workers use them. */
static void test_ref_threads_limits(void **state)
{
	RXQ_OPTS(rxq_rules_opts, opts, .nthreads = 2);
	struct worker_arg args[2];
	pthread_t tids[2];
	volatile bool stop = false;
	struct rxq_rules_ref *ref;
	struct frame f;
	unsigned i;

	(void)state;
	FRAME(&f, .src = "198.51.100.1", .sport = 1, .dport = 53);
	assert_int_equal(
		rxq_rules_ref__new(&ref,
				   load_opts("limit 100/s per src udp\ndefault drop\n", &opts), 2),
		0);
	for (i = 0; i < 2; i++) {
		args[i] = (struct worker_arg){ .ref = ref, .thread = i, .f = &f, .stop = &stop };
		assert_int_equal(pthread_create(&tids[i], NULL, worker, &args[i]), 0);
	}
	for (i = 0; i < 200; i++) {
		const char *text = i % 2 ? "limit 7/s per dst tcp\nlimit 100/s per src udp\n"
					   "default drop\n" :
					   "limit 100/s per src udp\nlimit 8/s per dst tcp\n"
					   "default drop\n";
		struct rxq_rules *rs;

		opts.prev = rxq_rules_ref__current(ref);
		rs = load_opts(text, &opts);
		assert_int_equal(rxq_rules__limits_kept(rs), 1);
		assert_int_equal(rxq_rules_ref__set(ref, rs), 0);
		rxq_rules_ref__reclaim(ref);
		sched_yield();
	}
	stop = true;
	for (i = 0; i < 2; i++)
		assert_int_equal(pthread_join(tids[i], NULL), 0);
	assert_int_equal(rxq_rules_ref__reclaim(ref), 0);
	/* The clock stood still at 0: over all the sets, each worker got its 100 tokens once. */
	for (i = 0; i < 2; i++)
		assert_int_equal(args[i].passes, 100);
	rxq_rules_ref__free(ref);
}

/*
 * A pcap filter that loops: libpcap 1.10's "ip6 protochain" follows an AH header whose length
 * points back at itself forever in bpf_filter(). Here the loop runs out of its budget and the
 * frame is an error (dropped, counted): the worker goes on, and no verdict is guessed.
 */
static void test_pcap_loop_bounded(void **state)
{
	struct rxq_rules *rs;
	struct frame f;
	uint32_t rule = 0;

	(void)state;
	FRAME(&f, .l3 = 6, .plen = 200);
	f.buf[20] = 51; /* next header: AH */
	f.buf[54] = 51; /* AH after AH */
	f.buf[55] = 8; /* length: back at itself */
	rs = load("drop ip6 protochain 6\ndefault pass\n");
	assert_int_equal(rxq_rules__kind(rs, 0), RXQ_RULE_PCAP);
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_ERROR);
	assert_int_equal(rule, RXQ_RULE_NONE);
	/* a proper chain to TCP is decided as before */
	FRAME(&f, .l3 = 6, .proto = IPPROTO_TCP, .dport = 80);
	assert_int_equal(classify(rs, &f, &rule), RXQ_VERDICT_DROP);
	rxq_rules__free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_example),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_error_escapes),
		cmocka_unit_test(test_parse_limits),
		cmocka_unit_test(test_load_file),
		cmocka_unit_test(test_examples),
		cmocka_unit_test(test_prefix_match),
		cmocka_unit_test(test_port_proto_match),
		cmocka_unit_test(test_native_equals_pcap),
		cmocka_unit_test(test_vlan),
		cmocka_unit_test(test_pcap_expression),
		cmocka_unit_test(test_first_match_merged),
		cmocka_unit_test(test_merged_extremes),
		cmocka_unit_test(test_first_match_random),
		cmocka_unit_test(test_thousand_prefixes),
		cmocka_unit_test(test_glob),
		cmocka_unit_test(test_dns_rules),
		cmocka_unit_test(test_dns_malicious),
		cmocka_unit_test(test_limit_rule),
		cmocka_unit_test(test_limit_table_bounded),
		cmocka_unit_test(test_limit_new_flood),
		cmocka_unit_test(test_limit_new_default),
		cmocka_unit_test(test_counter_reconciliation),
		cmocka_unit_test(test_bad_options),
		cmocka_unit_test(test_threads_contexts),
		cmocka_unit_test(test_reload_keeps_buckets),
		cmocka_unit_test(test_reload_fresh),
		cmocka_unit_test(test_ref_sequence),
		cmocka_unit_test(test_ref_threads),
		cmocka_unit_test(test_ref_threads_limits),
		cmocka_unit_test(test_pcap_loop_bounded),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
