// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The rxq-nic journal parser (the saved state undo reads back) on arbitrary bytes. Properties:
 * an error names a line and says what is wrong; what it accepts only restores /proc or /sys
 * files, with values shorter than the step's buffer, and tables within their limits; hash records
 * name a flow type, tstamp records known modes. The same bytes as rss --hash letters format back
 * to the same letters.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/nic.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

/* The same bytes as rss --hash letters: what parses formats back to the same letters. */
static void hash_letters(const uint8_t *data, size_t size)
{
	char text[64], back[64];
	uint64_t fields, again;
	unsigned bad;

	if (size >= sizeof(text) || memchr(data, '\0', size))
		return;
	memcpy(text, data, size);
	text[size] = '\0';
	if (rxq_nic_hash_fields__parse(text, &fields, &bad)) {
		check(bad <= size);
		return;
	}
	check(fields != 0);
	check(!rxq_nic_hash_fields__format(fields, back, sizeof(back)));
	check(!rxq_nic_hash_fields__parse(back, &again, NULL) && again == fields);
	check(strlen(back) == size);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rxq_nic_plan *plan;
	struct rxq_parse_error err;
	char ifname[16];
	int ifindex = 0, ret;
	unsigned i;

	if (rxq_nic_plan__new(&plan))
		return 0;
	ret = rxq_nic_journal__parse(plan, (const char *)data, size, ifname, sizeof(ifname),
				     &ifindex, &err);
	if (ret) {
		check(ret == -EINVAL || ret == -ENOMEM);
		if (ret == -EINVAL)
			check(err.line >= 1 && err.msg[0]);
	} else {
		check(strlen(ifname) < sizeof(ifname));
		for (i = 0; i < rxq_nic_plan__len(plan); i++) {
			const struct rxq_nic_step *s = rxq_nic_plan__step(plan, i);

			if (s->kind == RXQ_NIC_STEP_FILE) {
				check(!strncmp(s->path, "/proc/", 6) ||
				      !strncmp(s->path, "/sys/", 5));
				check(!strstr(s->path, "/../"));
				check(strlen(s->value) < sizeof(s->value));
			}
			if (s->kind == RXQ_NIC_STEP_INDIR)
				check(s->indir_size > 0 && s->indir_size <= RXQ_NIC_INDIR_MAX);
			if (s->kind == RXQ_NIC_STEP_KNOBS)
				check(s->nknobs > 0 && s->nknobs <= RXQ_NIC_STEP_KNOBS_MAX);
			if (s->kind == RXQ_NIC_STEP_HASH)
				check(rxq_nic_flow_type__name(s->flow_type) != NULL);
			if (s->kind == RXQ_NIC_STEP_TSTAMP)
				check(rxq_nic_tstamp_tx__name(s->ts_tx) &&
				      rxq_nic_tstamp_rx__name(s->ts_rx));
		}
	}
	rxq_nic_plan__free(plan);
	hash_letters(data, size);
	return 0;
}
