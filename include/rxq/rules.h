/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_RULES_H
#define RXQ_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "rxq/opts.h"
#include "rxq/packet.h"
#include "rxq/parse.h"

/*
 * Packet classification rules (rxq-offload --rules FILE).
 *
 * File format: one rule per line, first match wins, '#' starts a comment, blank lines are ignored.
 *
 *   drop   MATCH
 *   pass   MATCH
 *   limit  RATE/s per src|dst|flow [new N/s] MATCH
 *   default pass|drop
 *
 * MATCH is either
 *   - a pcap-filter expression (tcpdump syntax, compiled by libpcap for Ethernet frames), or
 *   - dns qname PATTERN [qtype TYPE]
 *
 * Plain predicates -- [src|dst] host ADDR, [src|dst] net ADDR/LEN, [udp|tcp|sctp] [src|dst] port N,
 * udp, tcp, sctp, icmp, icmp6, ip, ip6, ip proto N, ip6 proto N, and conjunctions of them with
 * 'and' / '&&' -- are recognised by rxq itself and run natively, not through the BPF interpreter.
 * A run of 4 or more consecutive rules that are each a single `[src|dst] net|host` predicate with
 * action drop or pass is merged into hash sets with one probe per prefix length present; the
 * lowest-numbered matching rule still wins (not the longest prefix). Expressions that can never
 * match (udp and tcp; ip6 and an IPv4 net) are refused, as libpcap refuses them. Host names in
 * pcap expressions are resolved by libpcap at load time.
 * Native predicates look at IPv4 and IPv6 only (pcap's `net`/`host` also match ARP and RARP), look
 * through up to two VLAN tags (a pcap expression sees the frame exactly as tcpdump would: without
 * the `vlan` keyword it does not match tagged frames), and use the upper-layer protocol after IPv6
 * extension headers. Port predicates do not match non-first fragments, as in pcap.
 *
 * dns: the frame must be UDP with source or destination port 53 (not a non-first fragment) and its
 * payload must hold a DNS message whose first question parses (rxq_dns__parse_question); a message
 * that does not parse never matches. PATTERN is matched against the whole lower-cased question name
 * without the trailing dot. '*' matches any run of characters, including none and including dots;
 * '?' matches exactly one character. So `*.attack.example` matches `www.attack.example` and
 * `a.b.attack.example` but not `attack.example` (write a second rule for the apex). Characters of
 * the name outside [a-z0-9-_] appear as \DDD (see dns.h) and are not matchable by PATTERN, which
 * may only contain letters, digits, '-', '_', '.', '*' and '?'. A trailing '.' is ignored; the
 * pattern is case-insensitive. `qtype TYPE` (A, AAAA, ANY, ..., TYPE65 or a number) further
 * requires that question type.
 *
 * limit RATE/s per KEY [new N/s] MATCH: a token bucket per key (src: source address, dst:
 * destination address, flow: addresses + IP protocol + ports). RATE is a number with an optional
 * k/M/G suffix (1/s .. 1G/s). Each bucket holds at most RATE tokens (burst = one second's worth)
 * and starts full; each matching packet takes one. A matching packet that gets a token is passed
 * (verdict RXQ_VERDICT_PASS, like iptables hashlimit + ACCEPT): the rule terminates, later rules
 * are not consulted, so put drop rules that must also apply to such traffic above the limit rule.
 * A matching packet without a token gets RXQ_VERDICT_LIMIT (the caller drops it). Frames without
 * IP addresses share one bucket. Buckets live in a fixed-size table per rule and per thread
 * (rxq_rules_opts.limit_entries, default 65536, 24 bytes each): open addressing over a window of 8
 * slots; when the window is full a key is evicted -- keys seen only once before keys seen again,
 * then the one seen least recently -- and must be admitted again (below) if it comes back. Keys
 * are stored as a 64-bit seeded hash. Limits apply per classifying thread: with N threads a key
 * whose packets are spread over several queues may get up to N times RATE.
 *
 * New keys: a packet whose key is not in the table must first be admitted by the rule's new-key
 * bucket (N/s, burst N, one per rule and thread). Admitted, the key is inserted with a full bucket
 * and this packet takes one token from it; not admitted, the packet gets RXQ_VERDICT_LIMIT, counts
 * in rxq_rules_ctx__new_refused() (and in rxq_rules_ctx__limited()), and the table is left as it
 * was: nothing is inserted and nothing is evicted. So a flood with a new (e.g. spoofed) key per
 * packet passes at most N per second plus a burst of N (per thread), and cannot push keys out of
 * the table faster than N/s; keys already in the table never need admission. The keys such a
 * flood gets admitted are seen once, so they are evicted before keys seen again: sources that keep
 * coming back keep their buckets (only a window holding nothing but keys seen again gives up its
 * least recently seen one). The price: while a flood drains the new-key bucket, a genuinely new
 * source is admitted only when one of its packets finds a token. `new` must come right after the
 * key (a match expression cannot start with the word `new`); N takes the same form as RATE
 * (1/s .. 1G/s, k/M/G suffixes).
 * Without `new`, N is max(RATE, RXQ_RULES_NEW_RATE_MIN = 1000)/s. At RATE or above, a flood of new
 * keys gets through no more than a single key may send, so the rule's own rate stays the measure
 * of what passes. The floor of 1000 keeps the admission of ordinary new clients (well below a
 * thousand new addresses per second and thread for most services) unthrottled when RATE is small,
 * while staying slow against the default table (65536 entries take over a minute to fill at 1000
 * insertions per second). Services that expect more new clients per second should say so with
 * `new`.
 *
 * default pass|drop: required, exactly once, and it must be the last rule. It counts as a rule (the
 * last one) for hit statistics.
 *
 * Errors are reported as FILE:LINE:COL: message (rxq_rules_error__format()); LINE and COL count
 * from 1, COL in bytes (a tab is one column). Lines are at most RXQ_RULES_LINE_MAX bytes. The
 * message (rxq_parse_error.msg) holds only printable ASCII: words of the file quoted in it, and
 * libpcap's messages, have every other byte escaped as \xNN and the backslash as \\, so that a
 * file cannot send escape sequences to the terminal that shows its errors.
 *
 * Concurrency: a struct rxq_rules is read-only after loading except for its per-thread contexts
 * (struct rxq_rules_ctx, one per thread index given in the options at load time). Each context is
 * used by exactly one classifying thread; its counters may be read concurrently from any thread
 * (they are updated with relaxed atomic stores and read with relaxed atomic loads).
 *
 * Reload: load a new set while the old one keeps working, then publish it through a struct
 * rxq_rules_ref (below), which frees the old set once no worker can still use it. Pass the set in
 * force as rxq_rules_opts.prev so that a reload does not refill buckets: every limit rule of the
 * new set that is identical to a limit rule of prev -- same key, same RATE and new-key rate after
 * defaults and suffixes (`10k/s` = `10000/s`; an omitted `new` = its default), same match
 * expression word for word; its position in the file may change -- takes over that rule's bucket
 * tables and new-key buckets, thread by thread, instead of getting fresh ones. Of several identical
 * rules, the first in each file pair up, then the second, and so on. Rules that are new or changed
 * start with empty tables (full buckets); so do all rules when the new set has a different hash
 * seed or limit_entries than prev, and the contexts of threads that prev does not have. Hit and
 * verdict counters always start at 0 in the new set. The shared tables are reference counted:
 * prev stays fully usable until it is freed (in any order with the new set), and the tables live
 * until the last set holding them is freed. This relies on the rule of rxq_rules_ref: context t
 * of either set is used by worker t only, and by one set at a time. prev must stay valid during
 * the load (with rxq_rules_ref, rxq_rules_ref__current() on the control thread is).
 */

#define RXQ_RULES_LINE_MAX 1024 /* bytes per line, without the newline */
#define RXQ_RULES_MAX	   (1u << 18) /* rules per file */
#define RXQ_RULE_NONE	   UINT32_MAX /* rule index of a frame that got RXQ_VERDICT_ERROR */

/* New-key rate of a limit rule without `new`: max(RATE, this) per second. */
#define RXQ_RULES_NEW_RATE_MIN 1000

enum rxq_verdict {
	RXQ_VERDICT_PASS = 0,
	RXQ_VERDICT_DROP,
	RXQ_VERDICT_LIMIT, /* matched a limit rule and found its bucket empty: drop it */
	RXQ_VERDICT_ERROR, /* the frame could not be parsed (truncated/malformed): not classified */
	RXQ_VERDICT__COUNT,
};

enum rxq_rule_action {
	RXQ_RULE_PASS = 0,
	RXQ_RULE_DROP,
	RXQ_RULE_LIMIT,
};

enum rxq_rule_kind {
	RXQ_RULE_NATIVE = 0, /* plain predicates, native path (also the default rule) */
	RXQ_RULE_PCAP, /* pcap-filter expression, BPF */
	RXQ_RULE_DNS, /* dns qname ... */
};

struct rxq_rules;
struct rxq_rules_ctx;

struct rxq_rules_opts {
	size_t sz; /* sizeof(struct rxq_rules_opts), for growing the struct */
	unsigned nthreads; /* number of per-thread contexts; 0 means 1 */
	unsigned limit_entries; /* buckets per limit rule and thread; rounded up to a power of two,
				 * at least 8; 0 means 65536 */
	uint64_t hash_seed; /* seed of the bucket key hash; 0: prev's seed when prev is given,
				 * else random (getrandom) */
	const struct rxq_rules *prev; /* the set this one replaces (reload): limit rules that are
				       * unchanged take over its buckets; NULL: all start fresh */
};

/**
 * @brief Loads and compiles a rules file.
 * @param out  receives the rule set
 * @param path file to read
 * @param opts NULL for defaults
 * @param err  on failure: line/col/msg of the problem (line 0 when it concerns the whole file, e.g.
 *             it cannot be read)
 * @return 0; -EINVAL for a bad file (err filled); -errno of a failed read (err filled);
 *         -ENOMEM.
 */
int rxq_rules__load_file(struct rxq_rules **out, const char *path,
			 const struct rxq_rules_opts *opts, struct rxq_parse_error *err);

/** @brief Like rxq_rules__load_file() for rules text in memory (need not be NUL-terminated). */
int rxq_rules__load_buf(struct rxq_rules **out, const char *text, size_t len,
			const struct rxq_rules_opts *opts, struct rxq_parse_error *err);

/** @brief Frees a rule set and its contexts. NULL is a no-op. */
void rxq_rules__free(struct rxq_rules *rules);

/**
 * @brief Formats "FILE:LINE:COL: message" (or "FILE: message" when err->line is 0) into @p buf,
 * with FILE escaped like the message (bytes outside printable ASCII as \xNN, '\' as \\).
 * @return @p buf
 */
const char *rxq_rules_error__format(char *buf, size_t len, const char *file,
				    const struct rxq_parse_error *err);

/** @brief Number of rules, the default rule included (it is the last one). */
unsigned rxq_rules__count(const struct rxq_rules *rules);

/** @brief Source text of rule @p idx: the line without comment and surrounding blanks. */
const char *rxq_rules__text(const struct rxq_rules *rules, unsigned idx);

/** @brief 1-based line number of rule @p idx in its file. */
unsigned rxq_rules__line(const struct rxq_rules *rules, unsigned idx);

enum rxq_rule_action rxq_rules__action(const struct rxq_rules *rules, unsigned idx);
enum rxq_rule_kind rxq_rules__kind(const struct rxq_rules *rules, unsigned idx);

/** @brief RATE of limit rule @p idx in tokens per second (0 for other rules). */
uint64_t rxq_rules__limit_rate(const struct rxq_rules *rules, unsigned idx);

/**
 * @brief New-key admissions per second of limit rule @p idx: its `new N/s`, or the default
 * max(RATE, RXQ_RULES_NEW_RATE_MIN) (0 for other rules).
 */
uint64_t rxq_rules__limit_new_rate(const struct rxq_rules *rules, unsigned idx);

/** @brief True if limit rule @p idx took over the buckets of a rule of rxq_rules_opts.prev. */
bool rxq_rules__limit_kept(const struct rxq_rules *rules, unsigned idx);

/** @brief Number of limit rules that took over buckets of rxq_rules_opts.prev. */
unsigned rxq_rules__limits_kept(const struct rxq_rules *rules);

/*
 * A rule as the kernel tier compiler sees it (lib/ktier.c): everything that decides what it
 * matches, in the rules' own terms. Pointers stay valid as long as the rule set.
 */
#define RXQ_RULE_TERMS_MAX 8
#define RXQ_RULE_DIR_SRC   1
#define RXQ_RULE_DIR_DST   2
#define RXQ_RULE_DIR_ANY   3 /* src or dst */
#define RXQ_RULE_FAM4	   1
#define RXQ_RULE_FAM6	   2

enum rxq_rule_key { RXQ_RULE_KEY_SRC, RXQ_RULE_KEY_DST, RXQ_RULE_KEY_FLOW };

struct rxq_rule_view {
	enum rxq_rule_kind kind;
	enum rxq_rule_action action;
	bool match_all; /* the default rule */
	/* RXQ_RULE_NATIVE: a conjunction */
	uint8_t fam; /* RXQ_RULE_FAM4 | RXQ_RULE_FAM6: the families the packet may be */
	int proto; /* required upper-layer protocol, -1: any */
	unsigned naddr, nport;
	struct {
		uint8_t dir; /* RXQ_RULE_DIR_* */
		uint8_t plen;
		struct rxq_addr prefix; /* host bits clear */
	} addr[RXQ_RULE_TERMS_MAX];
	struct {
		uint8_t dir;
		uint16_t port;
	} port[RXQ_RULE_TERMS_MAX];
	/* RXQ_RULE_PCAP: the compiled filter (libpcap's instructions, struct sock_filter layout) */
	const void *insns;
	unsigned ninsns;
	/* RXQ_RULE_DNS */
	const char *pattern;
	bool has_qtype;
	uint16_t qtype;
	/* RXQ_RULE_LIMIT */
	enum rxq_rule_key key;
	uint64_t rate, new_rate;
	const char *limit_def; /* key, rates and match: equal across reloads when unchanged */
};

/** @brief Fills @p out for rule @p idx. @return 0, -ERANGE (no such rule). */
int rxq_rules__view(const struct rxq_rules *rules, unsigned idx, struct rxq_rule_view *out);

/** @brief Number of per-thread contexts (opts.nthreads). */
unsigned rxq_rules__nthreads(const struct rxq_rules *rules);

/** @brief The context of thread @p thread (0 .. nthreads-1), owned by the rule set. */
struct rxq_rules_ctx *rxq_rules__ctx(struct rxq_rules *rules, unsigned thread);

/**
 * @brief Classifies one frame. Per packet: no allocation, no system call, no logging.
 * @param ctx    the calling thread's context
 * @param frame  the Ethernet frame
 * @param len    its length
 * @param pkt    rxq_pkt__parse() of the frame
 * @param parsed what rxq_pkt__parse() returned; anything but RXQ_PKT_OK gives RXQ_VERDICT_ERROR
 * @param now_ns a monotonic clock in nanoseconds (token buckets refill by it; it may stand still
 *               within a batch, and must not go backwards)
 * @param rule   receives the index of the deciding rule (RXQ_RULE_NONE for RXQ_VERDICT_ERROR);
 *               may be NULL
 * @return the verdict; the context's hit and verdict counters are updated.
 */
enum rxq_verdict rxq_rules__classify(struct rxq_rules_ctx *ctx, const uint8_t *frame, uint32_t len,
				     const struct rxq_pkt *pkt, enum rxq_pkt_result parsed,
				     uint64_t now_ns, uint32_t *rule);

/** @brief Frames that rule @p idx decided in this context (passed and limited ones for limit). */
uint64_t rxq_rules_ctx__hits(const struct rxq_rules_ctx *ctx, unsigned idx);

/** @brief Frames that limit rule @p idx limited in this context (0 for other rules). */
uint64_t rxq_rules_ctx__limited(const struct rxq_rules_ctx *ctx, unsigned idx);

/**
 * @brief Frames of limit rule @p idx whose key was not in the table and found the new-key bucket
 * empty, in this context (0 for other rules). They are part of rxq_rules_ctx__limited().
 */
uint64_t rxq_rules_ctx__new_refused(const struct rxq_rules_ctx *ctx, unsigned idx);

/** @brief rxq_rules_ctx__new_refused() summed over all contexts of @p rules. */
uint64_t rxq_rules__new_refused_total(const struct rxq_rules *rules, unsigned idx);

/** @brief rxq_rules_ctx__hits() summed over all contexts of @p rules. */
uint64_t rxq_rules__hits_total(const struct rxq_rules *rules, unsigned idx);

/** @brief Frames that got verdict @p v in this context. */
uint64_t rxq_rules_ctx__verdicts(const struct rxq_rules_ctx *ctx, enum rxq_verdict v);

/** @brief Static name of a verdict ("pass", "drop", "limit", "error"). */
const char *rxq_verdict__str(enum rxq_verdict v);

/*
 * Safe replacement of the rule set while workers classify (quiescent-state reclamation):
 *
 *   worker t, per batch:   rules = rxq_rules_ref__get(ref, t);  classify the batch with
 *                          rxq_rules__ctx(rules, t);  (do not keep `rules` across batches)
 *   worker t, before it blocks (poll) or exits:  rxq_rules_ref__idle(ref, t);
 *   control thread:        rxq_rules_ref__set(ref, new_rules);  and periodically (e.g. once a
 *                          second, and before reading the old set's counters no more)
 *                          rxq_rules_ref__reclaim(ref);
 *
 * A set replaced by __set() is freed by __reclaim() once every worker has called __get() or
 * __idle() after the replacement: every packet is classified by exactly one set, the one the worker
 * got for its batch. Sets must be loaded with opts.nthreads >= the ref's nthreads.
 */
struct rxq_rules_ref;

/** @brief Creates the reference holding @p rules (ownership passes to it) for @p nthreads workers.
 */
int rxq_rules_ref__new(struct rxq_rules_ref **out, struct rxq_rules *rules, unsigned nthreads);

/** @brief Worker @p thread: the current set, valid until this thread's next __get() or __idle(). */
struct rxq_rules *rxq_rules_ref__get(struct rxq_rules_ref *ref, unsigned thread);

/** @brief Worker @p thread holds no set (call before blocking and before exiting). */
void rxq_rules_ref__idle(struct rxq_rules_ref *ref, unsigned thread);

/**
 * @brief Control thread: publishes @p rules (ownership passes to the ref) and retires the previous
 * set. The control thread may keep reading the current set's counters (rxq_rules_ref__current()).
 * @return 0, or -EINVAL when @p rules has fewer contexts than the ref has workers.
 */
int rxq_rules_ref__set(struct rxq_rules_ref *ref, struct rxq_rules *rules);

/** @brief Control thread: the current set (stable until the control thread's next __set()). */
struct rxq_rules *rxq_rules_ref__current(struct rxq_rules_ref *ref);

/** @brief Control thread: frees retired sets no worker can still use. @return sets still pending.
 */
unsigned rxq_rules_ref__reclaim(struct rxq_rules_ref *ref);

/** @brief Frees the ref, the current set and all retired ones; workers must have stopped. */
void rxq_rules_ref__free(struct rxq_rules_ref *ref);

#endif
