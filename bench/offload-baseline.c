// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The kernel-socket comparator of bench/offload-live: a plain UDP socket read with recvmmsg(),
 * every datagram turned back into the frame it came in (Ethernet/IPv4/UDP, rebuilt from the
 * addresses, ports and payload) and classified with the same librxq rules as rxq-offload. Without
 * --rules it only counts, and serves as the receiving server of the other runs.
 *
 *   offload-baseline --listen ADDR:PORT [--rules FILE] [--qname NAME] [--cpu N] [--duration TIME]
 *                    [--batch N]
 *
 * Prints one JSON object at the end: received, passed, dropped, limited, errors, dns (received
 * datagrams that parse as a DNS query; with --qname, a query for NAME), passed_dns, cpu_ns (user +
 * system time of the process). --qname is for floods that are DNS queries themselves: a flood
 * query that gets through a filter must not be counted as a valid one.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "rxq/cli.h"
#include "rxq/dns.h"
#include "rxq/log.h"
#include "rxq/packet.h"
#include "rxq/parse.h"
#include "rxq/rules.h"
#include "rxq/stats.h"

#define PROG	  "offload-baseline"
#define BATCH_MAX 256
#define DGRAM_MAX 2048

enum { O_LISTEN = 1, O_RULES, O_QNAME, O_CPU, O_DURATION, O_BATCH };

static const struct rxq_opt opts[] = {
	{ "listen", 'l', "ADDR:PORT", "IPv4 address and UDP port to read", O_LISTEN },
	{ "rules", 'r', "FILE", "classify with these rules (default: count only)", O_RULES },
	{ "qname", 'q', "NAME", "count only queries for NAME as dns (lower case, no trailing dot)",
	  O_QNAME },
	{ "cpu", 'c', "N", "pin to this CPU", O_CPU },
	{ "duration", 'd', "TIME", "stop after TIME (default: on SIGINT/SIGTERM)", O_DURATION },
	{ "batch", 'b', "N", "datagrams per recvmmsg (default 64)", O_BATCH },
	{ NULL, 0, NULL, NULL, 0 },
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int bad(const char *fmt, const char *arg)
{
	fprintf(stderr, PROG ": ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	return 2;
}

static uint64_t cpu_ns(void)
{
	struct rusage ru;

	if (getrusage(RUSAGE_SELF, &ru))
		return 0;
	return (uint64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000u +
	       (uint64_t)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000u;
}

int main(int argc, char **argv)
{
	struct rxq_cli cli = {
		.prog = PROG,
		.usage = "--listen ADDR:PORT [--rules FILE] [options]",
		.summary = "Reads UDP with recvmmsg() and classifies each datagram, rebuilt as a "
			   "frame, with librxq's rules.",
		.opts = opts,
		.argc = argc,
		.argv = argv,
	};
	static uint8_t bufs[BATCH_MAX][DGRAM_MAX];
	static uint8_t frame[DGRAM_MAX + 64];
	struct mmsghdr msgs[BATCH_MAX];
	struct iovec iov[BATCH_MAX];
	struct sockaddr_in from[BATCH_MAX];
	char ctrl[BATCH_MAX][64];
	const char *listen = NULL, *rules_path = NULL, *qname = NULL, *v;
	uint64_t duration_ns = 0, start, received = 0, dns = 0, passed_dns = 0;
	uint64_t verdicts[RXQ_VERDICT__COUNT] = { 0 };
	struct rxq_rules *rules = NULL;
	struct rxq_rules_ctx *ctx = NULL;
	struct sockaddr_in local;
	struct rxq_parse_error pe;
	unsigned batch = 64, i;
	uint64_t u;
	int id, fd, one = 1, cpu = -1, rcvbuf = 32 << 20;
	struct timeval tv = { .tv_sec = 0, .tv_usec = 100000 };
	char host[64], msg[512];
	char *colon;

	rxq_log__stderr(PROG, 0);
	while ((id = rxq_cli__next(&cli, &v)) != RXQ_CLI_END) {
		switch (id) {
		case RXQ_CLI_HELP:
			rxq_cli__help(&cli, stdout);
			return 0;
		case RXQ_CLI_VERSION:
			printf("%s %s\n", PROG, RXQ_VERSION);
			return 0;
		case O_LISTEN:
			listen = v;
			break;
		case O_RULES:
			rules_path = v;
			break;
		case O_QNAME:
			qname = v;
			break;
		case O_CPU:
			if (rxq_parse_u64(v, 0, CPU_SETSIZE - 1, &u))
				return bad("--cpu=%s: expected a CPU number", v);
			cpu = (int)u;
			break;
		case O_DURATION:
			if (rxq_parse_duration_ns(v, &duration_ns))
				return bad("--duration=%s: expected a time such as 10s", v);
			break;
		case O_BATCH:
			if (rxq_parse_u64(v, 1, BATCH_MAX, &u))
				return bad("--batch=%s: expected 1 to 256", v);
			batch = (unsigned)u;
			break;
		default:
			return 2;
		}
	}
	if (!listen)
		return bad("%s", "--listen ADDR:PORT is required");
	snprintf(host, sizeof(host), "%s", listen);
	colon = strrchr(host, ':');
	memset(&local, 0, sizeof(local));
	local.sin_family = AF_INET;
	if (!colon || rxq_parse_u64(colon + 1, 1, 65535, &u))
		return bad("--listen=%s: expected IPv4ADDR:PORT", listen);
	*colon = '\0';
	local.sin_port = htons((uint16_t)u);
	if (inet_pton(AF_INET, host, &local.sin_addr) != 1)
		return bad("--listen=%s: expected IPv4ADDR:PORT", listen);

	if (rules_path) {
		memset(&pe, 0, sizeof(pe));
		if (rxq_rules__load_file(&rules, rules_path, NULL, &pe)) {
			rxq_err("%s", rxq_rules_error__format(msg, sizeof(msg), rules_path, &pe));
			return 2;
		}
		ctx = rxq_rules__ctx(rules, 0);
	}
	if (cpu >= 0) {
		cpu_set_t set;

		CPU_ZERO(&set);
		CPU_SET(cpu, &set);
		if (sched_setaffinity(0, sizeof(set), &set))
			return bad("cannot pin to CPU %s", "(--cpu)");
	}

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		perror(PROG ": socket");
		return 1;
	}
	/* a large buffer (FORCE needs CAP_NET_ADMIN; the plain one is capped by rmem_max) */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)))
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    bind(fd, (struct sockaddr *)&local, sizeof(local))) {
		fprintf(stderr, PROG ": cannot listen on %s: %s\n", listen, strerror(errno));
		return 2;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("{\"type\":\"ready\"}\n");
	fflush(stdout);

	for (i = 0; i < batch; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = DGRAM_MAX;
	}
	start = rxq_now_ns();
	while (!stop && (!duration_ns || rxq_now_ns() - start < duration_ns)) {
		int n;

		for (i = 0; i < batch; i++) {
			memset(&msgs[i].msg_hdr, 0, sizeof(msgs[i].msg_hdr));
			msgs[i].msg_hdr.msg_iov = &iov[i];
			msgs[i].msg_hdr.msg_iovlen = 1;
			msgs[i].msg_hdr.msg_name = &from[i];
			msgs[i].msg_hdr.msg_namelen = sizeof(from[i]);
			msgs[i].msg_hdr.msg_control = ctrl[i];
			msgs[i].msg_hdr.msg_controllen = sizeof(ctrl[i]);
		}
		n = recvmmsg(fd, msgs, batch, MSG_WAITFORONE, NULL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				continue;
			perror(PROG ": recvmmsg");
			return 1;
		}
		uint64_t now = rxq_now_ns();

		for (i = 0; i < (unsigned)n; i++) {
			const uint8_t *payload = bufs[i];
			uint32_t plen = msgs[i].msg_len;
			struct rxq_dns_question q;
			bool is_dns = rxq_dns__parse_question(payload, plen, &q) == RXQ_DNS_OK &&
				      !(q.flags & 0x8000) && (!qname || !strcmp(q.qname, qname));

			received++;
			dns += is_dns;
			if (!ctx)
				continue;

			struct rxq_pkt_spec spec = { 0 };
			struct cmsghdr *cm;
			struct rxq_pkt pkt;
			enum rxq_pkt_result pr;
			enum rxq_verdict vd;
			int len;

			spec.l3 = RXQ_L3_IPV4;
			spec.ip_proto = IPPROTO_UDP;
			spec.src.family = AF_INET;
			spec.src.v4 = from[i].sin_addr;
			spec.dst.family = AF_INET;
			spec.dst.v4 = local.sin_addr;
			for (cm = CMSG_FIRSTHDR(&msgs[i].msg_hdr); cm;
			     cm = CMSG_NXTHDR(&msgs[i].msg_hdr, cm))
				if (cm->cmsg_level == IPPROTO_IP && cm->cmsg_type == IP_PKTINFO)
					spec.dst.v4 =
						((struct in_pktinfo *)CMSG_DATA(cm))->ipi_addr;
			spec.src_port = ntohs(from[i].sin_port);
			spec.dst_port = ntohs(local.sin_port);
			spec.payload = payload;
			spec.payload_len = plen;
			spec.min_len = RXQ_FRAME_MIN;
			len = rxq_pkt__build(frame, sizeof(frame), &spec);
			if (len < 0) {
				verdicts[RXQ_VERDICT_ERROR]++;
				continue;
			}
			pr = rxq_pkt__parse(&pkt, frame, (uint32_t)len);
			vd = rxq_rules__classify(ctx, frame, (uint32_t)len, &pkt, pr, now, NULL);
			verdicts[vd]++;
			if (vd == RXQ_VERDICT_PASS)
				passed_dns += is_dns;
		}
	}
	printf("{\"type\":\"summary\",\"received\":%" PRIu64 ",\"passed\":%" PRIu64
	       ",\"dropped\":%" PRIu64 ",\"limited\":%" PRIu64 ",\"errors\":%" PRIu64
	       ",\"dns\":%" PRIu64 ",\"passed_dns\":%" PRIu64 ",\"cpu_ns\":%" PRIu64 "}\n",
	       received, ctx ? verdicts[RXQ_VERDICT_PASS] : received, verdicts[RXQ_VERDICT_DROP],
	       verdicts[RXQ_VERDICT_LIMIT], verdicts[RXQ_VERDICT_ERROR], dns,
	       ctx ? passed_dns : dns, cpu_ns());
	close(fd);
	rxq_rules__free(rules);
	return 0;
}
