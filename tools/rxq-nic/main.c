// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * rxq-nic: set up a multiqueue NIC for kernel bypass and low latency, watch it, and undo it.
 * Options, wiring and output only: the work is in librxq's rxq_nic module.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/cli.h"
#include "rxq/log.h"
#include "rxq/parse.h"

#include "nic-tool.h"

/* Options of every command: output and environment. */
static const struct rxq_cli_opt out_opts[] = {
	{ "json", 'j', NULL, "one JSON object per line instead of text",
	  RXQ_OPT_FLAG_AT(struct tool, json) },
	{ "dry-run", 'n', NULL, "print exactly what would be written where; change nothing",
	  RXQ_OPT_FLAG_AT(struct tool, dry_run) },
	{ NULL },
};

static const struct rxq_cli_opt env_opts[] = {
	{ "root", 0, "DIR", "read and write /proc and /sys under DIR (for tests)",
	  RXQ_OPT_STRING_AT(struct tool, root) },
	{ "state-dir", 0, "DIR", "where saved settings live (default /run/rxq, root only)",
	  RXQ_OPT_STRING_AT(struct tool, state_dir) },
	{ "verbose", 'v', NULL, "log every kernel request on stderr",
	  RXQ_OPT_COUNT_AT(struct tool, verbose) },
	{ NULL },
};

/* Each command's own options; one given to another command is refused. */
static const struct rxq_cli_opt irq_opts[] = {
	{ "spread", 0, NULL, "irq: one queue IRQ per CPU", RXQ_OPT_FLAG_AT(struct tool, spread) },
	/* a string: the CPUs are checked under --root, which may come later */
	{ "cpus", 'c', "LIST",
	  "irq --spread: the CPUs to use, e.g. 2-7 (default: the NIC's NUMA node, one thread per "
	  "core, not CPU 0)",
	  RXQ_OPT_STRING_AT(struct tool, cpus) },
	{ "cpu", 0, "C", "irq --spread: the application's CPU: it and its SMT siblings get no IRQ",
	  RXQ_OPT_UINT_AT(struct tool, cpu, 0, CPU_SETSIZE - 1) },
	{ NULL },
};

static const struct rxq_cli_opt rss_opts[] = {
	{ "weights", 0, NULL, "rss: the words after IF are one weight per queue (W0 W1 ...)",
	  RXQ_OPT_FLAG_AT(struct tool, weights) },
	{ "equal", 0, "N", "rss: spread over queues 0..N-1 equally",
	  RXQ_OPT_UINT_AT(struct tool, equal, 0, 4096) },
	{ "isolate", 0, "Q", "rss: weight 0 for queue Q, the other entries unchanged",
	  RXQ_OPT_UINT_AT(struct tool, isolate_q, 0, 4095) },
	{ "hash", 0, NULL,
	  "rss: the words after IF are TYPE FIELDS pairs: the header fields the RSS hash of a flow "
	  "type covers (udp4 sdfn)",
	  RXQ_OPT_FLAG_AT(struct tool, hash) },
	{ NULL },
};

static const struct rxq_cli_opt xps_opts[] = {
	{ "cpus-per-queue", 0, NULL, "xps: the words after IF are one CPU list per TX queue",
	  RXQ_OPT_FLAG_AT(struct tool, cpus_per_queue) },
	{ "local", 0, NULL, "xps: each TX queue on the CPUs of its queue pair's IRQ",
	  RXQ_OPT_FLAG_AT(struct tool, local) },
	{ NULL },
};

static const struct rxq_cli_opt rfs_opts[] = {
	{ "entries", 0, "N", "rfs: rps_sock_flow_entries (split over the RX queues; 0 = off)",
	  RXQ_OPT_UINT_AT(struct tool, entries, 0, 1u << 29) },
	{ NULL },
};

static const struct rxq_cli_opt watch_opts[] = {
	{ "interval", 'i', "S", "watch: report period (default 1s; 500ms, 2s ...)",
	  RXQ_OPT_DURATION_AT(struct tool, interval_ns, 1, 0) },
	{ "count", 0, "N", "watch: stop after N reports",
	  RXQ_OPT_UINT_AT(struct tool, count, 0, 1000000000) },
	{ NULL },
};

/* --flow, repeatable; @dst is the whole struct tool. */
static int parse_flow(const struct rxq_cli_opt *o, const char *arg, void *dst)
{
	struct tool *t = dst;

	(void)o;
	if (t->nflows == MAX_FLOWS) {
		rxq_cli__error("at most %d --flow options", MAX_FLOWS);
		return -E2BIG;
	}
	t->flows[t->nflows++] = arg;
	return 0;
}

#define CPU_OPT                                                                               \
	{                                                                                     \
		"cpu", 0, "C",                                                                \
			"isolate: the CPU for the queue's IRQ; check: the application's CPU", \
			RXQ_OPT_UINT_AT(struct tool, cpu, 0, CPU_SETSIZE - 1)                 \
	}

static const struct rxq_cli_opt isolate_opts[] = {
	{ "queue", 'q', "Q", "isolate: the queue to isolate",
	  RXQ_OPT_UINT_AT(struct tool, queue, 0, 4095) },
	{ "flow", 'f', "SPEC",
	  "isolate: a flow for the queue, e.g. 'udp4 dst-port 53' (repeatable)",
	  .type = RXQ_OPT_CUSTOM, .parse = parse_flow },
	CPU_OPT,
	{ NULL },
};

static const char *const goal_names[] = { "latency", "bypass", NULL };
static const int goal_values[] = { RXQ_NIC_GOAL_LATENCY, RXQ_NIC_GOAL_BYPASS };

static const struct rxq_cli_opt check_opts[] = {
	{ "for", 0, "GOAL", "check: latency (default) or bypass",
	  RXQ_OPT_ENUM_AT(struct tool, goal, goal_names, goal_values) },
	CPU_OPT,
	{ "port", 0, "P", "check: the measured UDP port (is it connection-tracked?)",
	  RXQ_OPT_UINT_AT(struct tool, port, 1, 65535) },
	{ NULL },
};

static const struct rxq_cli_opt show_opts[] = {
	{ "as-config", 0, NULL, "show: the settings as a file for 'rxq-nic apply'",
	  RXQ_OPT_FLAG_AT(struct tool, as_config) },
	{ NULL },
};

static const struct rxq_cli_opt tstamp_opts[] = {
	{ "rx", 0, "FILTER",
	  "tstamp: hardware stamps on received packets: none, all, ptp (ptpv2-event), ptpv2-l4-sync "
	  "... (ethtool -T's names)",
	  RXQ_OPT_STRING_AT(struct tool, ts_rx) },
	{ "tx", 0, "MODE", "tstamp: hardware stamps on sent packets: off, on, onestep-sync ...",
	  RXQ_OPT_STRING_AT(struct tool, ts_tx) },
	{ NULL },
};

static const struct rxq_cli_opt no_opts[] = { { NULL } };

/* Every command's table, for refusing and for --help (in the order --help lists them). */
static const struct rxq_cli_opt *const command_tables[] = {
	irq_opts,     rss_opts,	  xps_opts,  rfs_opts,	  watch_opts,
	isolate_opts, check_opts, show_opts, tstamp_opts, NULL,
};

static const struct rxq_cli_opt *const all_tables[] = {
	out_opts,     irq_opts,	  rss_opts,  xps_opts,	  rfs_opts, watch_opts,
	isolate_opts, check_opts, show_opts, tstamp_opts, env_opts, NULL,
};

static const char summary[] =
	"Set up a multiqueue NIC for kernel bypass and low latency, watch it, undo it.\n"
	"\n"
	"Commands (IF is the interface):\n"
	"  show IF [--as-config]                      driver, queues, IRQs, RSS, rules, settings\n"
	"  irq IF [--spread [--cpus LIST] [--cpu C]]  queue IRQs; --spread: one per CPU\n"
	"  rss IF [--weights W0 W1 ...|--equal N|--isolate Q]   RSS indirection\n"
	"  rss IF --hash TYPE FIELDS [TYPE FIELDS ...] RSS hash fields (udp4 sdfn)\n"
	"  flow IF add SPEC action Q|drop [loc N]     ntuple rule (SPEC: udp4 dst-port 53 ...)\n"
	"  flow IF del LOC | flow IF list\n"
	"  xps IF --cpus-per-queue LIST ... | --local\n"
	"  rfs IF --entries N                         receive flow steering\n"
	"  coalesce IF [rx-usecs N adaptive-rx off ...]\n"
	"  pause IF [on|off|rx on tx off ...]         flow control\n"
	"  features IF [gro off lro off ntuple on ...]\n"
	"  channels IF [N]\n"
	"  watch IF [--interval S] [--count N]        softnet, queue IRQ and NIC counter deltas\n"
	"  isolate IF --queue Q --flow SPEC [--flow SPEC ...] [--cpu C]\n"
	"  apply FILE                                 the settings of a file (see --as-config)\n"
	"  undo IF                                    restore what changes saved, drop the save\n"
	"  check IF [--for latency|bypass] [--cpu C] [--port P]  read-only preflight with fixes\n"
	"  tstamp IF [--rx FILTER] [--tx MODE]        hardware timestamps: capabilities, set\n"
	"\n"
	"Every change saves what it replaces under the state directory; 'undo IF' puts it back.\n"
	"Exit status: 0 ok, 1 failure (rolled back) or check findings, 2 bad input or unsupported.";

static char *capture_buf;
static size_t capture_len;
static int capture_verbose;

static void capture_log(enum rxq_log_level level, const char *msg, void *ctx)
{
	(void)ctx;
	if (level <= RXQ_LOG_WARN) {
		if (capture_buf && !capture_buf[0])
			snprintf(capture_buf, capture_len, "%s", msg);
	} else if (level == RXQ_LOG_INFO || capture_verbose) {
		fprintf(stderr, "%s: %s\n", PROG, msg);
	}
}

void tool_capture_begin(char *buf, size_t len)
{
	buf[0] = '\0';
	capture_buf = buf;
	capture_len = len;
	rxq_log__set(capture_log, NULL);
}

void tool_capture_end(struct tool *t)
{
	capture_buf = NULL;
	rxq_log__stderr(PROG, t->verbose);
}

struct command {
	const char *name;
	int (*fn)(struct tool *t);
	const struct rxq_cli_opt *opts;
};

static const struct command commands[] = {
	{ "show", cmd_show, show_opts },       { "irq", cmd_irq, irq_opts },
	{ "rss", cmd_rss, rss_opts },	       { "flow", cmd_flow, no_opts },
	{ "xps", cmd_xps, xps_opts },	       { "rfs", cmd_rfs, rfs_opts },
	{ "coalesce", cmd_coalesce, no_opts }, { "pause", cmd_pause, no_opts },
	{ "features", cmd_features, no_opts }, { "channels", cmd_channels, no_opts },
	{ "watch", cmd_watch, watch_opts },    { "isolate", cmd_isolate, isolate_opts },
	{ "undo", cmd_undo, no_opts },	       { "check", cmd_check, check_opts },
	{ "apply", cmd_apply, no_opts },       { "tstamp", cmd_tstamp, tstamp_opts },
};

int main(int argc, char **argv)
{
	const struct rxq_cli_opt *tables[] = { out_opts, env_opts, NULL, NULL };
	struct rxq_cli cli = { .prog = PROG,
			       .usage = "[options] COMMAND IF [ARGS...]",
			       .summary = summary,
			       .tables = all_tables,
			       .help_tables = all_tables,
			       .argc = argc,
			       .argv = argv };
	struct tool t = { .equal = -1,
			  .isolate_q = -1,
			  .entries = -1,
			  .queue = -1,
			  .cpu = -1,
			  .count = -1,
			  .interval_ns = 1000000000ull,
			  .goal = RXQ_NIC_GOAL_LATENCY };
	RXQ_OPTS(rxq_nic_opts, nopts);
	const struct command *cmd = NULL;
	const char *ifname;
	unsigned i;
	int err, rc, first;

	setvbuf(stdout, NULL, _IOLBF, 0);
	rxq_log__stderr(PROG, 0);
	/* The command decides which options apply: find it before parsing them. */
	first = rxq_cli__first_positional(argc, argv, all_tables);
	for (i = 0; first < argc && i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, argv[first]))
			cmd = &commands[i];
	if (cmd) {
		tables[2] = cmd->opts;
		cli.tables = tables;
		cli.refuse = command_tables;
		cli.command = cmd->name;
	}
	err = rxq_cli__parse(&cli, &t);
	if (err)
		return err == RXQ_CLI_EXIT ? 0 : RXQ_EXIT_USAGE;
	rxq_log__stderr(PROG, t.verbose);
	if (cli.optind >= argc)
		return rxq_cli__error("missing COMMAND (see --help)");
	t.command = argv[cli.optind];
	if (!cmd)
		return rxq_cli__error(
			"unknown command '%s' (expected show, irq, rss, flow, xps, rfs, coalesce, "
			"pause, features, channels, watch, isolate, undo, check, apply or tstamp)",
			t.command);
	if (cli.optind + 1 >= argc && cmd->fn == cmd_apply)
		return rxq_cli__error("apply: missing the settings file (rxq-nic apply FILE)");
	if (cli.optind + 1 >= argc)
		return rxq_cli__error("%s: missing the interface (rxq-nic %s IF ...)", t.command,
				      t.command);
	t.args = argv + cli.optind + 2;
	t.nargs = argc - cli.optind - 2;
	t.out = rxq_out__new(stdout, t.json ? RXQ_OUT_JSON : RXQ_OUT_TEXT);
	if (!t.out) {
		rxq_err("out of memory");
		return RXQ_EXIT_FAIL;
	}
	nopts.root = t.root;
	nopts.state_dir = t.state_dir;
	/* apply FILE: the interface is the one the file names. */
	ifname = argv[cli.optind + 1];
	if (cmd->fn == cmd_apply) {
		err = apply_load(&t, argv[cli.optind + 1]);
		if (!err)
			ifname = rxq_nic_config__interface(t.config);
	}
	if (!err)
		err = rxq_nic__open(&t.nic, ifname, &nopts);
	if (err) {
		rxq_nic_config__free(t.config);
		rxq_out__free(t.out);
		return rxq_cli__exit_status(err);
	}
	err = cmd->fn(&t);
	rc = err > 0 ? err : rxq_cli__exit_status(err);
	rxq_nic__close(t.nic);
	rxq_nic_config__free(t.config);
	rxq_out__free(t.out);
	return rc;
}
