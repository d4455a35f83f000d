// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * The cBPF translator on arbitrary programs. Input: one options byte (bit 0: tail-call
 * epilogue, bits 1-7: metadata offset), then 8-byte instructions {u16 code, u8 jt, u8 jf, u32 k}
 * in host order. Properties: the result is 0, -EINVAL or -EOPNOTSUPP; a program libpcap's
 * bpf_validate() refuses is refused; a translated program is structurally sound (every jump lands
 * inside it, nothing runs off its end, no unreachable instruction, ctx and the frame pointer kept),
 * no longer than the per-instruction bound, the same on a second translation, and its tail-call
 * epilogue names the map it was given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>

#include "rxq/cbpf.h"

#define bpf_insn    pcap_bpf_insn
#define bpf_program pcap_bpf_program
#include <pcap/pcap.h>
#undef bpf_insn
#undef bpf_program

int cbpf_insns_check(const struct bpf_insn *insns, unsigned int cnt);

/*
 * Longest translation: a prologue (4 + 16 scratch words + budget), per instruction at most a
 * backward jump (3, and widening: 5 + 4 per scratch word), the tail-call epilogue (20).
 */
#define EBPF_MAX(len) (21u + (3u + 5u + 4u * 16u) * (len) + 20u)

#define PROG_ARRAY_FD 7

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	RXQ_OPTS(rxq_cbpf_opts, opts);
	struct bpf_insn *insns, *again;
	unsigned int len, cnt, cnt2, i, maps = 0, calls = 0;
	struct sock_filter *f;
	int ret, ret2;

	if (size < 1)
		return 0;
	len = (unsigned int)((size - 1) / sizeof(*f));
	if (len > RXQ_CBPF_MAX_INSNS + 4)
		return 0;
	if (data[0] & 1) {
		opts.epilogue = RXQ_CBPF_TAIL_CALL;
		opts.meta_off = data[0] >> 1;
		opts.prog_array_fd = PROG_ARRAY_FD;
		opts.prog_index = 3;
		opts.fallback_action = XDP_PASS;
	}
	f = malloc(len ? len * sizeof(*f) : 1);
	check(f != NULL);
	memcpy(f, data + 1, len * sizeof(*f));

	ret = rxq_cbpf__translate(&insns, &cnt, f, len, &opts);
	if (ret) {
		check(ret == -EINVAL || ret == -EOPNOTSUPP);
		check(insns == NULL && cnt == 0);
		free(f);
		return 0;
	}
	/* libpcap 1.10 validates more than its interpreter runs; never the other way round */
	check(bpf_validate((const struct pcap_bpf_insn *)f, (int)len) == 1);
	check(len <= RXQ_CBPF_MAX_INSNS);
	check(cbpf_insns_check(insns, cnt) == 0);
	check(cnt <= EBPF_MAX(len));

	for (i = 0; i < cnt; i++) {
		if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM)) {
			check(insns[i].src_reg == BPF_PSEUDO_MAP_FD &&
			      insns[i].imm == PROG_ARRAY_FD);
			maps++;
		}
		if (insns[i].code == (BPF_JMP | BPF_CALL)) {
			check(insns[i].imm == BPF_FUNC_tail_call);
			calls++;
		}
	}
	check(maps == (opts.epilogue == RXQ_CBPF_TAIL_CALL) && calls == maps);

	ret2 = rxq_cbpf__translate(&again, &cnt2, f, len, &opts);
	check(ret2 == 0 && cnt2 == cnt && !memcmp(insns, again, cnt * sizeof(*insns)));
	free(again);
	free(insns);
	free(f);
	return 0;
}
