// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * Port specs (packet:IF, xdp:IF~Q,..., pcap:FILE) from arbitrary text. Properties: an accepted spec
 * formats to text that parses back to the same spec; a rejected one names a column inside the
 * text (or just past it) and says why.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/port.h"

#define ALL (RXQ_PORT_PACKET | RXQ_PORT_XDP | RXQ_PORT_PCAP)

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rxq_port_spec a, b;
	struct rxq_parse_error err = { 0 };
	char text[RXQ_PORT_PATH_MAX + 64], out[RXQ_PORT_PATH_MAX + 2048];
	unsigned allowed = size ? (data[0] & ALL) : ALL;

	if (size)
		data++, size--;
	if (size >= sizeof(text))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (rxq_port_spec__parse(&a, text, allowed ? allowed : ALL, &err)) {
		check(err.msg[0] != '\0');
		check(err.col >= 1 && err.col <= strlen(text) + 1);
		return 0;
	}
	check(a.type & (allowed ? allowed : ALL));
	check(rxq_port_spec__format(&a, out, sizeof(out)) > 0);
	check(rxq_port_spec__parse(&b, out, ALL, NULL) == 0);
	check(memcmp(&a, &b, sizeof(a)) == 0);
	return 0;
}
