/* SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause */
#ifndef RXQ_CBPF_H
#define RXQ_CBPF_H

#include <stddef.h>
#include <stdint.h>

#include <linux/filter.h> /* struct sock_filter: one classic BPF instruction */

#include "rxq/opts.h"

/*
 * pcap filters in XDP: classic BPF (cBPF, what pcap_compile() produces) translated at run time into
 * an eBPF XDP program that decides exactly as libpcap's bpf_filter() does on the same frame.
 *
 * Input. A cBPF program as an array of struct sock_filter, which has the layout of libpcap's
 * struct bpf_insn ({u16 code; u8 jt; u8 jf; u32 k}), so a pcap program's bf_insns can be passed
 * cast. The packet it sees is the XDP frame: data = ctx->data, and both pcap lengths (wirelen and
 * caplen) are data_end - data. Only the linear part of a frame is seen (programs are loaded without
 * BPF_F_XDP_HAS_FRAGS).
 *
 * Output. libpcap and the kernel both name their instruction struct bpf_insn, with different
 * layouts. The struct bpf_insn of this header is the eBPF one of <linux/bpf.h>: a file that
 * includes libpcap's headers must not call rxq_cbpf__translate() (rxq_cbpf__compile_expr() and
 * rxq_cbpf__load() are safe there: they only use struct sock_filter).
 *
 * Translation scheme. cBPF's A and X live in two eBPF registers as 32-bit values (ALU32 keeps the
 * upper halves zero); the scratch words M[0..15] are 4-byte stack slots, zeroed in the prologue
 * when the program reads them (bpf_filter() of libpcap 1.10 leaves them uninitialised; 1.11 zeroes
 * them). Each cBPF instruction becomes a short eBPF sequence:
 *   - LD/LDX W/H/B ABS/IND and LDX MSH: the address is computed in a register (for IND: X + k,
 *     first bounded to 0xffff so the verifier can track it), address + size is compared with
 *     data_end, and a load past the end jumps to "no match", as in bpf_filter(). Words and
 *     halfwords are converted from network byte order. A load whose k + size exceeds 0xffff can
 *     never succeed (XDP linear data is shorter) and becomes an unconditional "no match".
 *   - LEN: data_end - data (the verifier allows this pointer subtraction to privileged loaders).
 *   - ALU: ALU32 on A. DIV/MOD by X == 0 end the program with "no match", as bpf_filter() does;
 *     LSH/RSH by X >= 32 set A to 0, as bpf_filter() does (eBPF would mask the count).
 *   - Conditional jumps: JMP32 (unsigned 32-bit compares), with jt/jf resolved to eBPF offsets
 *     after all instructions are emitted; jumps to the next instruction become fall-through.
 *   - JA: forward as is. Backward (libpcap's "protochain" loops): at most
 *     RXQ_CBPF_MAX_BACKWARD_JUMPS per packet; the next one ends the program "undecided" (a third
 *     verdict, which only programs with backward jumps can give). libpcap >= 1.11 returns "no
 *     match" there; libpcap 1.10's bpf_filter() has no bound (and loops forever on some crafted
 *     IPv6 AH chains for "protochain"). A caller hands undecided packets to user space, so no
 *     packet is decided differently from bpf_filter(). Before each backward jump A, X and the
 *     scratch words are made opaque to the verifier (unchanged at run time), which keeps
 *     verification linear in the number of iterations.
 *   - RET K / RET A: a non-zero value is a match.
 * cBPF instructions no path reaches are not emitted (the verifier rejects unreachable code).
 *
 * Refused with -EINVAL (invalid program, as libpcap >= 1.11's and the kernel's validators decide):
 * no instructions, an unknown opcode, a scratch index >= 16, DIV/MOD by the constant 0, LSH/RSH by
 * a constant >= 32, a jump outside the program, a JA to itself, a last instruction that is not RET.
 * Refused with -EOPNOTSUPP (valid, but must stay in user space):
 *   - more than RXQ_CBPF_MAX_INSNS instructions;
 *   - loads at the Linux ancillary and negative offsets (k >= 0xffe00000: SKF_AD_OFF, SKF_NET_OFF,
 *     SKF_LL_OFF), which only mean something to a kernel socket filter. libpcap emits them for
 *     "vlan" (and a few others) when compiling for a live Linux capture; compiled with
 *     pcap_open_dead(), as rxq does, "vlan" reads the tags from the packet's bytes instead;
 *   - programs whose eBPF jumps would not fit the 16-bit offsets (never seen with libpcap output).
 * The eBPF verifier may still refuse a translated program (too complex, or misaligned packet
 * access on architectures without efficient unaligned loads): rxq_cbpf__load() then fails and the
 * rule stays in user space.
 */

struct bpf_insn; /* <linux/bpf.h>'s eBPF instruction */

/** Longest cBPF program translated (the kernel's BPF_MAXINSNS). */
#define RXQ_CBPF_MAX_INSNS 4096u
/** Backward jumps a program may take for one packet (libpcap >= 1.11's MAX_BACKWARD_JUMPS). */
#define RXQ_CBPF_MAX_BACKWARD_JUMPS 64u
/**
 * Largest metadata offset accepted. How much metadata a frame can carry depends on the kernel
 * (32 bytes on older kernels; on 6.18 what the headroom leaves, 216 bytes in BPF_PROG_TEST_RUN).
 */
#define RXQ_CBPF_META_OFF_MAX 255u

/** RXQ_CBPF_RETURN: what the program returns for each verdict. */
#define RXQ_CBPF_XDP_MATCH     2u /* XDP_PASS */
#define RXQ_CBPF_XDP_NOMATCH   1u /* XDP_DROP */
#define RXQ_CBPF_XDP_UNDECIDED 0u /* XDP_ABORTED: out of backward jumps */

/** RXQ_CBPF_TAIL_CALL: the verdict byte written into the XDP metadata. */
#define RXQ_CBPF_VERDICT_NOMATCH   0u
#define RXQ_CBPF_VERDICT_MATCH	   1u
#define RXQ_CBPF_VERDICT_UNDECIDED 2u /* out of backward jumps: let user space decide */

enum rxq_cbpf_epilogue {
	/*
	 * The program returns RXQ_CBPF_XDP_MATCH (XDP_PASS) when the filter matches,
	 * RXQ_CBPF_XDP_NOMATCH (XDP_DROP) when it does not, RXQ_CBPF_XDP_UNDECIDED (XDP_ABORTED)
	 * when it ran out of backward jumps. Meant for tests (BPF_PROG_TEST_RUN) and for attaching
	 * a translated filter on its own.
	 */
	RXQ_CBPF_RETURN = 0,
	/*
	 * One stage of a tail-call pipeline. The program
	 *   1. writes the verdict, RXQ_CBPF_VERDICT_MATCH (1), _NOMATCH (0) or _UNDECIDED (2), into
	 *      the byte at ctx->data_meta + meta_off, if that byte lies before ctx->data; when the
	 *      metadata area is shorter (the caller did not reserve it with bpf_xdp_adjust_meta(),
	 *      or the driver has no metadata support) nothing is written and the program carries
	 *      on (the next stage must then treat the verdict as unknown);
	 *   2. calls bpf_tail_call(ctx, prog_array_fd's map, prog_index);
	 *   3. returns fallback_action when the tail call fails (empty slot, tail call limit).
	 * It never touches the packet or the rest of the metadata. A prog array only takes programs
	 * compatible with the ones already using it: same type (XDP), same expected_attach_type
	 * (BPF_XDP, which libbpf gives SEC("xdp") programs and this loader uses), same JIT state,
	 * no BPF_F_XDP_HAS_FRAGS. The kernel refuses to put device-bound programs into a prog
	 * array, so load the stage with ifindex 0; a device-bound main program may still tail-call
	 * into it.
	 */
	RXQ_CBPF_TAIL_CALL,
};

struct rxq_cbpf_opts {
	size_t sz; /* sizeof(struct rxq_cbpf_opts) */
	enum rxq_cbpf_epilogue epilogue;
	/* RXQ_CBPF_TAIL_CALL only: */
	uint32_t meta_off; /* offset of the verdict byte from ctx->data_meta */
	int prog_array_fd; /* BPF_MAP_TYPE_PROG_ARRAY to continue in */
	uint32_t prog_index; /* its slot to tail-call */
	uint32_t fallback_action; /* XDP action (0..4) when the tail call fails, e.g. XDP_PASS */
	/*
	 * rxq_cbpf__load() only: non-zero loads the program bound to this device
	 * (BPF_F_XDP_DEV_BOUND_ONLY), for attaching it to that device itself. Not for a prog array
	 * (see RXQ_CBPF_TAIL_CALL).
	 */
	uint32_t ifindex;
};

/**
 * @brief Translates a cBPF program into an eBPF XDP program (see the scheme above).
 * @param out     receives a malloc()ed array of eBPF instructions; free() it
 * @param out_cnt receives its length
 * @param filter  the cBPF program
 * @param len     its number of instructions
 * @param opts    epilogue choice; NULL means RXQ_CBPF_RETURN
 * @return 0; -EINVAL for an invalid program or options; -EOPNOTSUPP for a valid program that
 * cannot be translated (it must stay in user space); -ENOMEM.
 */
int rxq_cbpf__translate(struct bpf_insn **out, unsigned int *out_cnt,
			const struct sock_filter *filter, unsigned int len,
			const struct rxq_cbpf_opts *opts);

/**
 * @brief Translates @p filter and loads it as a BPF_PROG_TYPE_XDP program ("rxq_cbpf", license
 * "Dual BSD/GPL", expected_attach_type BPF_XDP), device-bound when opts->ifindex is set.
 * When the kernel refuses the program, the reason and the end of the verifier log are passed to
 * rxq_debug() (a refused filter is expected: the caller keeps the rule in user space).
 * @return the program fd (close() it), or -errno: those of rxq_cbpf__translate(), or the kernel's
 * (-EPERM without CAP_BPF/CAP_PERFMON or CAP_SYS_ADMIN, -EACCES/-EINVAL when the verifier refuses,
 * -E2BIG when it gives up, -EBADF for a bad prog_array_fd).
 */
int rxq_cbpf__load(const struct sock_filter *filter, unsigned int len,
		   const struct rxq_cbpf_opts *opts);

/**
 * @brief Checks a cBPF program for rxq_cbpf__run(): what rxq_cbpf__translate() refuses as
 * invalid (-EINVAL) or cannot do (-EOPNOTSUPP: kernel ancillary loads), whatever its length.
 */
int rxq_cbpf__validate(const struct sock_filter *filter, unsigned int len);

/**
 * @brief Runs a validated cBPF program on a frame in user space, deciding exactly as its
 * translation does in XDP (and as bpf_filter() does where that ends): the same bounded loops
 * (RXQ_CBPF_MAX_BACKWARD_JUMPS), zeroed scratch words, no match on a load past the frame's end
 * or a division by X = 0. libpcap's own bpf_filter() cannot stand in for it: libpcap 1.10 loops
 * forever on "ip6 protochain" over an extension header whose length points back at itself.
 * @return RXQ_CBPF_VERDICT_MATCH, _NOMATCH or _UNDECIDED (out of backward jumps).
 */
unsigned int rxq_cbpf__run(const struct sock_filter *filter, unsigned int len, const uint8_t *pkt,
			   uint32_t pkt_len);

/**
 * @brief Compiles a pcap-filter expression as tcpdump would for Ethernet frames
 * (pcap_open_dead(DLT_EN10MB, 65535), optimised, netmask unknown). For tests and tools; the
 * libpcap message of a bad expression is passed to rxq_err().
 * @param out     receives a malloc()ed copy of the cBPF program; free() it
 * @param out_len receives its number of instructions
 * @return 0; -EINVAL for an expression libpcap refuses; -ENOMEM.
 */
int rxq_cbpf__compile_expr(struct sock_filter **out, unsigned int *out_len, const char *expr);

#endif
