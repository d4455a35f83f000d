/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_NIC_TOOL_H
#define RXQ_NIC_TOOL_H

#include <stdbool.h>
#include <stdint.h>

#include "rxq/nic.h"
#include "rxq/output.h"

#define PROG	  "rxq-nic"
#define MAX_FLOWS 64

struct tool {
	/* global options */
	bool json, dry_run;
	int verbose;
	const char *root, *state_dir;
	/* command options (each command's table in main.c says which apply) */
	bool spread, weights, cpus_per_queue, local, as_config;
	bool hash; /* rss --hash: the words after IF are TYPE FIELDS pairs */
	const char *ts_rx, *ts_tx; /* tstamp --rx, --tx */
	const char *cpus;
	long equal, isolate_q, entries, queue, cpu, count;
	uint64_t interval_ns;
	const char *flows[MAX_FLOWS];
	unsigned nflows;
	int goal; /* enum rxq_nic_goal */
	long port; /* check --port: the measured UDP port; 0 none */
	/* positionals after COMMAND IF */
	char **args;
	int nargs;
	const char *command;
	struct rxq_out *out;
	struct rxq_nic *nic;
	struct rxq_nic_config *config; /* apply: the parsed file */
};

/* main.c */
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
int cmd_tstamp_show(struct tool *t);

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
/* Reads and parses apply's FILE into t->config (errors as FILE:LINE:COL). */
int apply_load(struct tool *t, const char *path);
int cmd_apply(struct tool *t);
int cmd_tstamp(struct tool *t);

/* watch.c */
int cmd_watch(struct tool *t);

#endif
