// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The flow-spec parser on arbitrary strings. Properties: an error points at a column within the
 * string and has a message; a parsed spec formats to a canonical string that parses back to the
 * same spec and formats to the same string; the argv-style parser agrees with the string parser.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "rxq/flowspec.h"

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rxq_flowspec fs, back, fw;
	struct rxq_parse_error err;
	char text[600], out[600], again[600], copy[600];
	char *words[64], *save = NULL, *w;
	int nwords = 0, ret;

	if (size >= sizeof(text) || memchr(data, '\0', size))
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	ret = rxq_flowspec__parse(&fs, text, &err);
	if (ret) {
		check(ret == -EINVAL);
		check(err.col >= 1 && err.col <= size + 1);
		check(memchr(err.msg, '\0', sizeof(err.msg)) && err.msg[0]);
	} else {
		check(rxq_flowspec__format(&fs, out, sizeof(out)) == 0);
		check(rxq_flowspec__parse(&back, out, &err) == 0);
		check(!memcmp(&fs, &back, sizeof(fs)));
		check(rxq_flowspec__format(&back, again, sizeof(again)) == 0);
		check(!strcmp(out, again));
	}

	/* The same words through the argv-style parser (only blanks separate words in both). */
	memcpy(copy, text, size + 1);
	for (w = strtok_r(copy, " \t", &save); w && nwords < 64; w = strtok_r(NULL, " \t", &save))
		words[nwords++] = w;
	if (nwords < 64 && size < 512) {
		int wret = rxq_flowspec__parse_words(&fw, nwords, words, &err);

		check((wret == 0) == (ret == 0));
		if (!wret)
			check(!memcmp(&fs, &fw, sizeof(fs)));
		else
			check(err.col >= 1 && (int)err.col <= (nwords ? nwords : 1));
	}
	return 0;
}
