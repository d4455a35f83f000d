/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_NIC_TOOL_H
#define RXQ_NIC_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "rxq/nic.h"
#include "rxq/output.h"

#define PROG "rxq-nic"
#define EXIT_FAIL 1
#define EXIT_USAGE 2
#define MAX_FLOWS 64

struct tool {
	/* global options */
	bool json, dry_run;
	int verbose;
	const char *root, *state_dir;
	/* command options */
	bool spread, weights, cpus_per_queue, local;
	const char *cpus;
	long equal, isolate_q, entries, queue, cpu, count;
	uint64_t interval_ns;
	const char *flows[MAX_FLOWS];
	unsigned nflows;
	const char *goal;
	unsigned given; /* OPTB_* bits of the command options given */
	/* positionals after COMMAND IF */
	char **args;
	int nargs;
	const char *command;
	struct rxq_out *out;
	struct rxq_nic *nic;
};

/* Command options, as bits, so each command can refuse the ones that do not apply. */
enum {
	OPTB_SPREAD = 1u << 0,
	OPTB_CPUS = 1u << 1,
	OPTB_WEIGHTS = 1u << 2,
	OPTB_EQUAL = 1u << 3,
	OPTB_ISOLATE = 1u << 4,
	OPTB_CPUS_PER_QUEUE = 1u << 5,
	OPTB_LOCAL = 1u << 6,
	OPTB_ENTRIES = 1u << 7,
	OPTB_INTERVAL = 1u << 8,
	OPTB_COUNT = 1u << 9,
	OPTB_QUEUE = 1u << 10,
	OPTB_FLOW = 1u << 11,
	OPTB_CPU = 1u << 12,
	OPTB_FOR = 1u << 13,
};

/* main.c */
int tool_exit_code(int err);
int tool_only(struct tool *t, unsigned allowed);
/* Runs fn with library errors captured into buf instead of printed. */
void tool_capture_begin(char *buf, size_t len);
void tool_capture_end(struct tool *t);

/* show.c */
int cmd_show(struct tool *t);
int cmd_irq_show(struct tool *t);
int cmd_rss_show(struct tool *t);
int cmd_flow_list(struct tool *t);
int cmd_group_show(struct tool *t, enum rxq_nic_group g);
int cmd_check(struct tool *t);

/* change.c */
int cmd_irq(struct tool *t);
int cmd_rss(struct tool *t);
int cmd_flow(struct tool *t);
int cmd_xps(struct tool *t);
int cmd_rfs(struct tool *t);
int cmd_coalesce(struct tool *t);
int cmd_pause(struct tool *t);
int cmd_features(struct tool *t);
int cmd_channels(struct tool *t);
int cmd_isolate(struct tool *t);
int cmd_undo(struct tool *t);

/* watch.c */
int cmd_watch(struct tool *t);

#endif
