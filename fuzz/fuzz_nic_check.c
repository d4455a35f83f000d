// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The host text parsers of rxq-nic check on arbitrary bytes: a kernel command line
 * (/proc/cmdline) and the connection table (/proc/net/nf_conntrack). The first byte picks the
 * parser. Properties: a parameter's value is a NUL-terminated word (no blanks) that fits the
 * buffer and follows "param=" in the line; no more conntrack entries than lines.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

bool nic_cmdline_param(const char *line, const char *param, char *val, size_t len);
unsigned nic_conntrack_entries(const char *text, int port);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const params[] = { "isolcpus", "nohz_full", "rcu_nocbs" };
	char text[8192], val[64], key[80];
	unsigned lines = 1, n;
	size_t i;

	if (!size || size - 1 >= sizeof(text))
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	if (data[0] % 2 == 0) {
		const char *param = params[(data[0] / 2) % 3];

		memset(val, 'x', sizeof(val));
		if (!nic_cmdline_param(text, param, val, sizeof(val)))
			return 0;
		check(memchr(val, '\0', sizeof(val)) != NULL);
		check(!strpbrk(val, " \t\n"));
		if (val[0]) {
			strcpy(key, param);
			strcat(key, "=");
			strcat(key, val);
			check(strstr(text, key) != NULL);
		}
	} else {
		for (i = 0; text[i]; i++)
			lines += text[i] == '\n';
		n = nic_conntrack_entries(text, data[0] * 257 % 65536);
		check(n <= lines);
	}
	return 0;
}
