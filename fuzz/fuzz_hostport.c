// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * HOST:PORT parsing on arbitrary text (command lines and configuration). Properties: a split that
 * succeeds gives a port in 1..65535 and a host that fits and has no brackets; the canonical form
 * ("[host]:port" for IPv6 literals, "host:port" otherwise) splits back to the same; numeric
 * resolution never touches the network and agrees with the split.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/hostport.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rxq_hostport hp, again;
	struct rxq_parse_error err;
	char text[600], canon[600];
	unsigned flags;
	int ret;

	if (size < 1 || size >= sizeof(text))
		return 0;
	flags = data[0] & (RXQ_HOSTPORT_WILDCARD | RXQ_HOSTPORT_NUMERIC);
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';

	ret = rxq_hostport__split(text, flags, &hp, &err);
	check(ret == 0 || ret == -EINVAL || ret == -ERANGE);
	if (ret) {
		check(strlen(err.msg) > 0);
		return 0;
	}
	check(hp.port >= 1);
	check(strlen(hp.host) < sizeof(hp.host));
	check(text[0] != '[' || !strchr(hp.host, ']'));
	snprintf(canon, sizeof(canon), strchr(hp.host, ':') ? "[%s]:%u" : "%s:%u", hp.host,
		 hp.port);
	if (hp.host[0]) {
		check(rxq_hostport__split(canon, flags, &again, &err) == 0);
		check(again.port == hp.port && !strcmp(again.host, hp.host));
	}
	ret = rxq_hostport__resolve(text, AF_UNSPEC, flags | RXQ_HOSTPORT_NUMERIC, &again, &err);
	if (ret == 0) {
		check(again.port == hp.port);
		check(again.sa.ss_family == AF_INET || again.sa.ss_family == AF_INET6);
	}
	return 0;
}
