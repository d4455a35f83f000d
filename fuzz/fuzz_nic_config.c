// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The rxq-nic settings file parser (rxq-nic apply FILE) on arbitrary bytes. Properties: it
 * accepts or refuses without a crash or a leak; a refusal names a line and a column within the
 * input and says what is wrong; what it accepts names a valid interface.
 */
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/nic.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rxq_nic_config *cfg;
	struct rxq_parse_error err;
	unsigned lines = 1;
	size_t i;
	int ret;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	ret = rxq_nic_config__parse(&cfg, "fuzz.conf", (const char *)data, size, &err);
	if (ret) {
		check(ret == -EINVAL || ret == -ENOMEM);
		check(!cfg);
		if (ret == -EINVAL) {
			check(err.line >= 1 && err.line <= lines);
			check(err.col >= 1);
			check(err.msg[0] != '\0');
		}
		return 0;
	}
	{
		const char *name = rxq_nic_config__interface(cfg);

		check(name[0] && strlen(name) < IFNAMSIZ && !strchr(name, '/'));
	}
	rxq_nic_config__free(cfg);
	return 0;
}
