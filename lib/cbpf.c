// SPDX-License-Identifier: GPL-2.0-only OR BSD-2-Clause
/*
 * cBPF -> eBPF for XDP. The contract and the translation scheme are in include/rxq/cbpf.h; the
 * comments here say why the emitted code looks the way it does.
 */
#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <linux/bpf.h>
#include <linux/filter.h>

#include <bpf/bpf.h>

/*
 * libpcap's cBPF instruction and the kernel's eBPF instruction are both "struct bpf_insn" (and
 * libbpf has its own struct bpf_program). libpcap's are renamed while its header is read: this
 * file hands them to libpcap only through pointers.
 */
#define bpf_insn    pcap_bpf_insn
#define bpf_program pcap_bpf_program
#include <pcap/pcap.h>
#undef bpf_insn
#undef bpf_program

#include "rxq/cbpf.h"
#include "rxq/log.h"
#include "internal.h"

#ifndef BPF_F_XDP_DEV_BOUND_ONLY
#define BPF_F_XDP_DEV_BOUND_ONLY (1U << 6)
#endif

/*
 * The verifier only tracks packet offsets up to MAX_PACKET_OFF (0xffff): a load reaching past it
 * cannot be proven safe, and XDP linear data is shorter anyway, so such loads always fail.
 */
#define PKT_OFF_MAX 0xffffu

/* Linux ancillary and negative load offsets start at SKF_LL_OFF (-0x200000). */
#define SKF_OFFSETS_START ((uint32_t)SKF_LL_OFF)

/* The scratch words M[0..15], 4 bytes each, at the top of the stack frame. */
#define SCRATCH_OFF(k) ((int16_t)(-4 * BPF_MEMWORDS + 4 * (int)(k)))

/*
 * Register use. R1 keeps ctx for the whole program (the tail call needs it); nothing in the body
 * calls a helper, so caller-saved registers serve as temporaries.
 */
enum {
	R_CTX = BPF_REG_1,
	R_PTR = BPF_REG_2, /* address of the packet bytes being loaded */
	R_CHK = BPF_REG_3, /* that address + size, compared with data_end */
	R_BUDGET = BPF_REG_4, /* backward jumps left */
	R_A = BPF_REG_6,
	R_X = BPF_REG_7,
	R_DATA = BPF_REG_8,
	R_DATA_END = BPF_REG_9,
};

/* eBPF instruction builders (the kernel's are not UAPI). Jump offsets are patched later. */
#define INSN(c, d, s, o, i)                       \
	((struct bpf_insn){ .code = (uint8_t)(c), \
			    .dst_reg = (d),       \
			    .src_reg = (s),       \
			    .off = (int16_t)(o),  \
			    .imm = (int32_t)(i) })
#define ALU32_IMM(op, d, i)  INSN(BPF_ALU | (op) | BPF_K, d, 0, 0, i)
#define ALU32_REG(op, d, s)  INSN(BPF_ALU | (op) | BPF_X, d, s, 0, 0)
#define ALU64_IMM(op, d, i)  INSN(BPF_ALU64 | (op) | BPF_K, d, 0, 0, i)
#define ALU64_REG(op, d, s)  INSN(BPF_ALU64 | (op) | BPF_X, d, s, 0, 0)
#define MOV32_IMM(d, i)	     ALU32_IMM(BPF_MOV, d, i)
#define MOV32_REG(d, s)	     ALU32_REG(BPF_MOV, d, s)
#define MOV64_REG(d, s)	     ALU64_REG(BPF_MOV, d, s)
#define TO_BE(d, bits)	     INSN(BPF_ALU | BPF_END | BPF_TO_BE, d, 0, 0, bits)
#define LDX_MEM(sz, d, s, o) INSN(BPF_LDX | BPF_MEM | (sz), d, s, o, 0)
#define STX_MEM(sz, d, s, o) INSN(BPF_STX | BPF_MEM | (sz), d, s, o, 0)
#define ST_MEM(sz, d, o, i)  INSN(BPF_ST | BPF_MEM | (sz), d, 0, o, i)
#define JMP_IMM(op, d, i, o) INSN(BPF_JMP | (op) | BPF_K, d, 0, o, i)
#define JMP_REG(op, d, s, o) INSN(BPF_JMP | (op) | BPF_X, d, s, o, 0)
#define JMP32_IMM(op, d, i)  INSN(BPF_JMP32 | (op) | BPF_K, d, 0, 0, i)
#define JMP32_REG(op, d, s)  INSN(BPF_JMP32 | (op) | BPF_X, d, s, 0, 0)
#define JA(o)		     INSN(BPF_JMP | BPF_JA, 0, 0, o, 0)
#define CALL(fn)	     INSN(BPF_JMP | BPF_CALL, 0, 0, 0, fn)
#define EXIT()		     INSN(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)
/* Two instructions: the map fd goes in the first one's imm, the verifier swaps in the map. */
#define LD_MAP_FD(d, fd) INSN(BPF_LD | BPF_DW | BPF_IMM, d, BPF_PSEUDO_MAP_FD, 0, fd)
#define LD_IMM64_HI(i)	 INSN(0, 0, 0, 0, i)

/* Jump targets other than cBPF instructions (which are >= 0). */
enum {
	LBL_MATCH = -1,
	LBL_NOMATCH = -2,
	LBL_UNDECIDED = -3, /* out of backward jumps */
	LBL_VERDICT = -4, /* TAIL_CALL: where the verdicts join to write the metadata byte */
	LBL_COUNT = 4,
};

struct fixup {
	uint32_t at; /* jump instruction */
	int32_t target; /* cBPF instruction index, or LBL_* */
};

struct xlat {
	const struct sock_filter *f;
	unsigned int len;
	struct rxq_cbpf_opts opts;

	struct bpf_insn *insns;
	uint32_t cnt, cap;
	struct fixup *fix;
	uint32_t nfix, fixcap;
	uint32_t *start; /* eBPF index of each cBPF instruction */
	uint8_t *reach; /* cBPF instruction reachable from the first one */
	uint32_t label[LBL_COUNT];
	uint32_t label_uses[LBL_COUNT];
	int err;
};

static unsigned int label_idx(int32_t label)
{
	return (unsigned int)(-label - 1);
}

static void emit(struct xlat *x, struct bpf_insn insn)
{
	struct bpf_insn *grown;
	uint32_t cap;

	if (x->err)
		return;
	if (x->cnt == x->cap) {
		cap = x->cap ? x->cap * 2 : 256;
		grown = realloc(x->insns, cap * sizeof(*grown));
		if (!grown) {
			x->err = -ENOMEM;
			return;
		}
		x->insns = grown;
		x->cap = cap;
	}
	x->insns[x->cnt++] = insn;
}

/* Emits a jump whose offset is resolved once every target has its place. */
static void emit_jump(struct xlat *x, struct bpf_insn insn, int32_t target)
{
	struct fixup *grown;
	uint32_t cap;

	if (x->err)
		return;
	if (x->nfix == x->fixcap) {
		cap = x->fixcap ? x->fixcap * 2 : 256;
		grown = realloc(x->fix, cap * sizeof(*grown));
		if (!grown) {
			x->err = -ENOMEM;
			return;
		}
		x->fix = grown;
		x->fixcap = cap;
	}
	x->fix[x->nfix].at = x->cnt;
	x->fix[x->nfix].target = target;
	x->nfix++;
	if (target < 0)
		x->label_uses[label_idx(target)]++;
	emit(x, insn);
}

static unsigned int load_size(uint16_t code)
{
	switch (BPF_SIZE(code)) {
	case BPF_W:
		return 4;
	case BPF_H:
		return 2;
	default:
		return 1;
	}
}

static bool is_packet_load(uint16_t code)
{
	return (BPF_CLASS(code) == BPF_LD &&
		(BPF_MODE(code) == BPF_ABS || BPF_MODE(code) == BPF_IND)) ||
	       code == (BPF_LDX | BPF_MSH | BPF_B);
}

/* A load that cannot succeed on any XDP frame: control never goes past it. */
static bool load_always_fails(const struct sock_filter *ins)
{
	return is_packet_load(ins->code) && (uint64_t)ins->k + load_size(ins->code) > PKT_OFF_MAX;
}

/* The exact opcodes bpf_filter() executes; libpcap 1.10's validator lets some others through. */
static int insn_validate(const struct sock_filter *ins)
{
	switch (ins->code) {
	case BPF_RET | BPF_K:
	case BPF_RET | BPF_A:
	case BPF_LD | BPF_W | BPF_LEN:
	case BPF_LDX | BPF_W | BPF_LEN:
	case BPF_LD | BPF_IMM:
	case BPF_LDX | BPF_IMM:
	case BPF_ALU | BPF_NEG:
	case BPF_MISC | BPF_TAX:
	case BPF_MISC | BPF_TXA:
	case BPF_JMP | BPF_JA:
	case BPF_JMP | BPF_JGT | BPF_K:
	case BPF_JMP | BPF_JGE | BPF_K:
	case BPF_JMP | BPF_JEQ | BPF_K:
	case BPF_JMP | BPF_JSET | BPF_K:
	case BPF_JMP | BPF_JGT | BPF_X:
	case BPF_JMP | BPF_JGE | BPF_X:
	case BPF_JMP | BPF_JEQ | BPF_X:
	case BPF_JMP | BPF_JSET | BPF_X:
	case BPF_ALU | BPF_ADD | BPF_X:
	case BPF_ALU | BPF_SUB | BPF_X:
	case BPF_ALU | BPF_MUL | BPF_X:
	case BPF_ALU | BPF_DIV | BPF_X:
	case BPF_ALU | BPF_MOD | BPF_X:
	case BPF_ALU | BPF_AND | BPF_X:
	case BPF_ALU | BPF_OR | BPF_X:
	case BPF_ALU | BPF_XOR | BPF_X:
	case BPF_ALU | BPF_LSH | BPF_X:
	case BPF_ALU | BPF_RSH | BPF_X:
	case BPF_ALU | BPF_ADD | BPF_K:
	case BPF_ALU | BPF_SUB | BPF_K:
	case BPF_ALU | BPF_MUL | BPF_K:
	case BPF_ALU | BPF_AND | BPF_K:
	case BPF_ALU | BPF_OR | BPF_K:
	case BPF_ALU | BPF_XOR | BPF_K:
		return 0;
	case BPF_LD | BPF_W | BPF_ABS:
	case BPF_LD | BPF_H | BPF_ABS:
	case BPF_LD | BPF_B | BPF_ABS:
	case BPF_LD | BPF_W | BPF_IND:
	case BPF_LD | BPF_H | BPF_IND:
	case BPF_LD | BPF_B | BPF_IND:
	case BPF_LDX | BPF_MSH | BPF_B:
		return ins->k >= SKF_OFFSETS_START ? -EOPNOTSUPP : 0;
	case BPF_LD | BPF_MEM:
	case BPF_LDX | BPF_MEM:
	case BPF_ST:
	case BPF_STX:
		return ins->k < BPF_MEMWORDS ? 0 : -EINVAL;
	case BPF_ALU | BPF_DIV | BPF_K:
	case BPF_ALU | BPF_MOD | BPF_K:
		return ins->k ? 0 : -EINVAL;
	case BPF_ALU | BPF_LSH | BPF_K:
	case BPF_ALU | BPF_RSH | BPF_K:
		/* libpcap 1.10 shifts by k with C's << (undefined, masked on x86): refuse */
		return ins->k < 32 ? 0 : -EINVAL;
	default:
		return -EINVAL;
	}
}

static int program_validate(const struct sock_filter *f, unsigned int len)
{
	int err, ret = 0;
	unsigned int i;

	if (!f || !len)
		return -EINVAL;
	for (i = 0; i < len; i++) {
		err = insn_validate(&f[i]);
		if (err == -EINVAL)
			return err;
		if (err && !ret)
			ret = err;
		if (BPF_CLASS(f[i].code) != BPF_JMP)
			continue;
		if (BPF_OP(f[i].code) == BPF_JA) {
			/* unsigned: a backward k wraps and lands inside too */
			if ((uint32_t)(i + 1 + f[i].k) >= len || f[i].k == UINT32_MAX)
				return -EINVAL;
		} else if (i + 1 + f[i].jt >= len || i + 1 + f[i].jf >= len) {
			return -EINVAL;
		}
	}
	if (BPF_CLASS(f[len - 1].code) != BPF_RET)
		return -EINVAL;
	return ret;
}

/* Successors of a valid instruction; returns how many (0 to 2). */
static unsigned int insn_successors(const struct sock_filter *f, unsigned int i, uint32_t succ[2])
{
	const struct sock_filter *ins = &f[i];

	if (BPF_CLASS(ins->code) == BPF_RET || load_always_fails(ins))
		return 0;
	if (BPF_CLASS(ins->code) != BPF_JMP) {
		succ[0] = i + 1;
		return 1;
	}
	if (BPF_OP(ins->code) == BPF_JA) {
		succ[0] = (uint32_t)(i + 1 + ins->k);
		return 1;
	}
	succ[0] = i + 1 + ins->jt;
	succ[1] = i + 1 + ins->jf;
	return 2;
}

static int mark_reachable(struct xlat *x)
{
	uint32_t *stack, succ[2];
	unsigned int n, i, top = 0;

	stack = malloc(x->len * sizeof(*stack));
	if (!stack)
		return -ENOMEM;
	x->reach[0] = 1;
	stack[top++] = 0;
	while (top) {
		n = insn_successors(x->f, stack[--top], succ);
		for (i = 0; i < n; i++) {
			if (x->reach[succ[i]])
				continue;
			x->reach[succ[i]] = 1;
			stack[top++] = succ[i];
		}
	}
	free(stack);
	return 0;
}

static bool has_backward_jump(const struct xlat *x)
{
	unsigned int i;

	for (i = 0; i < x->len; i++)
		if (x->reach[i] && x->f[i].code == (BPF_JMP | BPF_JA) && (int32_t)x->f[i].k < 0)
			return true;
	return false;
}

/* Scratch words some reachable instruction reads. */
static void scratch_read(const struct xlat *x, bool read[BPF_MEMWORDS])
{
	unsigned int i;

	memset(read, 0, BPF_MEMWORDS * sizeof(*read));
	for (i = 0; i < x->len; i++)
		if (x->reach[i] &&
		    (x->f[i].code == (BPF_LD | BPF_MEM) || x->f[i].code == (BPF_LDX | BPF_MEM)))
			read[x->f[i].k] = true;
}

static void emit_prologue(struct xlat *x)
{
	bool read[BPF_MEMWORDS];
	unsigned int i;

	emit(x, LDX_MEM(BPF_W, R_DATA, R_CTX, offsetof(struct xdp_md, data)));
	emit(x, LDX_MEM(BPF_W, R_DATA_END, R_CTX, offsetof(struct xdp_md, data_end)));
	emit(x, MOV32_IMM(R_A, 0));
	emit(x, MOV32_IMM(R_X, 0));
	/*
	 * The verifier refuses reads of stack it has not seen written (unless the loader has
	 * CAP_PERFMON), and a valid cBPF program may read a word no path stored: zero those read.
	 */
	scratch_read(x, read);
	for (i = 0; i < BPF_MEMWORDS; i++)
		if (read[i])
			emit(x, ST_MEM(BPF_W, BPF_REG_10, SCRATCH_OFF(i), 0));
	if (has_backward_jump(x))
		emit(x, MOV32_IMM(R_BUDGET, RXQ_CBPF_MAX_BACKWARD_JUMPS));
}

/* dst = size bytes at data + (indexed ? X : 0) + k, in host order; off the end: no match. */
static void emit_packet_load(struct xlat *x, uint8_t dst, unsigned int size, bool indexed,
			     uint32_t k)
{
	uint8_t bpf_size = size == 4 ? BPF_W : size == 2 ? BPF_H : BPF_B;

	if (indexed) {
		/* Bounded first, so the verifier accepts it as a packet offset. */
		emit(x, MOV64_REG(R_PTR, R_X));
		if (k)
			emit(x, ALU64_IMM(BPF_ADD, R_PTR, k));
		emit_jump(x, JMP_IMM(BPF_JGT, R_PTR, PKT_OFF_MAX - size, 0), LBL_NOMATCH);
		emit(x, ALU64_REG(BPF_ADD, R_PTR, R_DATA));
		emit(x, MOV64_REG(R_CHK, R_PTR));
		emit(x, ALU64_IMM(BPF_ADD, R_CHK, size));
		emit_jump(x, JMP_REG(BPF_JGT, R_CHK, R_DATA_END, 0), LBL_NOMATCH);
		emit(x, LDX_MEM(bpf_size, dst, R_PTR, 0));
	} else if (k <= INT16_MAX) {
		emit(x, MOV64_REG(R_CHK, R_DATA));
		emit(x, ALU64_IMM(BPF_ADD, R_CHK, k + size));
		emit_jump(x, JMP_REG(BPF_JGT, R_CHK, R_DATA_END, 0), LBL_NOMATCH);
		emit(x, LDX_MEM(bpf_size, dst, R_DATA, k));
	} else {
		/* k does not fit the load's 16-bit offset */
		emit(x, MOV64_REG(R_PTR, R_DATA));
		emit(x, ALU64_IMM(BPF_ADD, R_PTR, k));
		emit(x, MOV64_REG(R_CHK, R_PTR));
		emit(x, ALU64_IMM(BPF_ADD, R_CHK, size));
		emit_jump(x, JMP_REG(BPF_JGT, R_CHK, R_DATA_END, 0), LBL_NOMATCH);
		emit(x, LDX_MEM(bpf_size, dst, R_PTR, 0));
	}
	if (size > 1)
		emit(x, TO_BE(dst, size * 8));
}

static void emit_load(struct xlat *x, const struct sock_filter *ins)
{
	uint8_t dst = BPF_CLASS(ins->code) == BPF_LD ? R_A : R_X;

	if (load_always_fails(ins)) {
		emit_jump(x, JA(0), LBL_NOMATCH);
		return;
	}
	switch (BPF_MODE(ins->code)) {
	case BPF_ABS:
	case BPF_IND:
		emit_packet_load(x, dst, load_size(ins->code), BPF_MODE(ins->code) == BPF_IND,
				 ins->k);
		break;
	case BPF_MSH:
		emit_packet_load(x, R_X, 1, false, ins->k);
		emit(x, ALU32_IMM(BPF_AND, R_X, 0xf));
		emit(x, ALU32_IMM(BPF_LSH, R_X, 2));
		break;
	case BPF_LEN:
		/* pkt_end - pkt: a scalar, for loaders allowed pointer arithmetic (root) */
		emit(x, MOV64_REG(R_PTR, R_DATA_END));
		emit(x, ALU64_REG(BPF_SUB, R_PTR, R_DATA));
		emit(x, MOV32_REG(dst, R_PTR));
		break;
	case BPF_IMM:
		emit(x, MOV32_IMM(dst, ins->k));
		break;
	case BPF_MEM:
		emit(x, LDX_MEM(BPF_W, dst, BPF_REG_10, SCRATCH_OFF(ins->k)));
		break;
	}
}

static void emit_alu(struct xlat *x, const struct sock_filter *ins)
{
	uint8_t op = BPF_OP(ins->code);

	if (op == BPF_NEG) {
		emit(x, ALU32_IMM(BPF_NEG, R_A, 0));
		return;
	}
	if (BPF_SRC(ins->code) == BPF_K) {
		/* validated: no division by 0, no shift by 32 or more */
		emit(x, ALU32_IMM(op, R_A, ins->k));
		return;
	}
	switch (op) {
	case BPF_DIV:
	case BPF_MOD:
		/* bpf_filter() gives up (returns 0); eBPF would yield 0 or keep A */
		emit_jump(x, JMP32_IMM(BPF_JEQ, R_X, 0), LBL_NOMATCH);
		emit(x, ALU32_REG(op, R_A, R_X));
		break;
	case BPF_LSH:
	case BPF_RSH:
		/* bpf_filter() gives 0 for counts of 32 and more; eBPF masks the count */
		emit(x, INSN(BPF_JMP32 | BPF_JLT | BPF_K, R_X, 0, 2, 32));
		emit(x, MOV32_IMM(R_A, 0));
		emit(x, JA(1));
		emit(x, ALU32_REG(op, R_A, R_X));
		break;
	default:
		emit(x, ALU32_REG(op, R_A, R_X));
		break;
	}
}

/*
 * Before a backward jump: make A, X and the scratch words unknown to the verifier, though not
 * changed (v ^ u ^ u, u a ctx field it cannot predict). Each path around a loop otherwise arrives
 * at its head with value ranges of its own, no state prunes another, and the verifier walks every
 * combination of paths through every iteration: "ip6 protochain" gave up at 1M instructions.
 * Widened, one state per iteration remains; nothing is lost, as every use of A or X that needs a
 * bound (packet offset, divisor, shift count) checks it at run time anyway.
 */
static void emit_widen(struct xlat *x)
{
	bool read[BPF_MEMWORDS];
	unsigned int i;

	emit(x, LDX_MEM(BPF_W, R_PTR, R_CTX, offsetof(struct xdp_md, rx_queue_index)));
	emit(x, ALU32_REG(BPF_XOR, R_A, R_PTR));
	emit(x, ALU32_REG(BPF_XOR, R_A, R_PTR));
	emit(x, ALU32_REG(BPF_XOR, R_X, R_PTR));
	emit(x, ALU32_REG(BPF_XOR, R_X, R_PTR));
	scratch_read(x, read);
	for (i = 0; i < BPF_MEMWORDS; i++) {
		if (!read[i])
			continue;
		emit(x, LDX_MEM(BPF_W, R_CHK, BPF_REG_10, SCRATCH_OFF(i)));
		emit(x, ALU32_REG(BPF_XOR, R_CHK, R_PTR));
		emit(x, ALU32_REG(BPF_XOR, R_CHK, R_PTR));
		emit(x, STX_MEM(BPF_W, BPF_REG_10, R_CHK, SCRATCH_OFF(i)));
	}
}

/* The eBPF jump op taking the branch when the cBPF condition is false, where one exists. */
static int inverse_jmp_op(uint8_t op)
{
	switch (op) {
	case BPF_JEQ:
		return BPF_JNE;
	case BPF_JGT:
		return BPF_JLE;
	case BPF_JGE:
		return BPF_JLT;
	default:
		return -1; /* JSET */
	}
}

static struct bpf_insn cond_jump(uint8_t op, const struct sock_filter *ins)
{
	if (BPF_SRC(ins->code) == BPF_X)
		return JMP32_REG(op, R_A, R_X);
	return JMP32_IMM(op, R_A, ins->k);
}

static void emit_jmp(struct xlat *x, const struct sock_filter *ins, unsigned int i)
{
	uint8_t op = BPF_OP(ins->code);
	int32_t t = (int32_t)(i + 1 + ins->jt), f = (int32_t)(i + 1 + ins->jf);
	int inv;

	if (op == BPF_JA) {
		t = (int32_t)(i + 1 + ins->k);
		if ((int32_t)ins->k >= 0) {
			if (ins->k)
				emit_jump(x, JA(0), t);
			return;
		}
		/* a loop: bounded per packet, as libpcap >= 1.11 bounds it */
		emit_jump(x, JMP_IMM(BPF_JEQ, R_BUDGET, 0, 0), LBL_UNDECIDED);
		emit(x, ALU64_IMM(BPF_SUB, R_BUDGET, 1));
		emit_widen(x);
		emit_jump(x, JA(0), t);
		return;
	}
	if (t == f) {
		if (ins->jt)
			emit_jump(x, JA(0), t);
		return;
	}
	if (!ins->jf) {
		emit_jump(x, cond_jump(op, ins), t);
		return;
	}
	inv = inverse_jmp_op(op);
	if (!ins->jt && inv >= 0) {
		emit_jump(x, cond_jump((uint8_t)inv, ins), f);
		return;
	}
	if (!ins->jt) {
		/* JSET has no inverse: skip the jump to jf when set */
		struct bpf_insn skip = cond_jump(op, ins);

		skip.off = 1;
		emit(x, skip);
		emit_jump(x, JA(0), f);
		return;
	}
	emit_jump(x, cond_jump(op, ins), t);
	emit_jump(x, JA(0), f);
}

static void emit_insn(struct xlat *x, unsigned int i)
{
	const struct sock_filter *ins = &x->f[i];

	switch (BPF_CLASS(ins->code)) {
	case BPF_LD:
	case BPF_LDX:
		emit_load(x, ins);
		break;
	case BPF_ST:
		emit(x, STX_MEM(BPF_W, BPF_REG_10, R_A, SCRATCH_OFF(ins->k)));
		break;
	case BPF_STX:
		emit(x, STX_MEM(BPF_W, BPF_REG_10, R_X, SCRATCH_OFF(ins->k)));
		break;
	case BPF_ALU:
		emit_alu(x, ins);
		break;
	case BPF_JMP:
		emit_jmp(x, ins, i);
		break;
	case BPF_RET:
		if (BPF_RVAL(ins->code) == BPF_A) {
			emit_jump(x, JMP32_IMM(BPF_JNE, R_A, 0), LBL_MATCH);
			emit_jump(x, JA(0), LBL_NOMATCH);
		} else {
			emit_jump(x, JA(0), ins->k ? LBL_MATCH : LBL_NOMATCH);
		}
		break;
	case BPF_MISC:
		if (BPF_MISCOP(ins->code) == BPF_TAX)
			emit(x, MOV32_REG(R_X, R_A));
		else
			emit(x, MOV32_REG(R_A, R_X));
		break;
	}
}

static void place_label(struct xlat *x, int32_t label)
{
	x->label[label_idx(label)] = x->cnt;
}

static bool label_used(const struct xlat *x, int32_t label)
{
	return x->label_uses[label_idx(label)] != 0;
}

/* Only labels some jump uses are emitted: the verifier refuses unreachable instructions. */
static void emit_epilogue(struct xlat *x)
{
	static const struct {
		int32_t label;
		uint32_t action, verdict;
	} ends[] = {
		{ LBL_NOMATCH, RXQ_CBPF_XDP_NOMATCH, RXQ_CBPF_VERDICT_NOMATCH },
		{ LBL_UNDECIDED, RXQ_CBPF_XDP_UNDECIDED, RXQ_CBPF_VERDICT_UNDECIDED },
		{ LBL_MATCH, RXQ_CBPF_XDP_MATCH, RXQ_CBPF_VERDICT_MATCH },
	};
	const struct rxq_cbpf_opts *o = &x->opts;
	unsigned int i, last = 0;

	for (i = 0; i < RXQ_ARRAY_SIZE(ends); i++)
		if (label_used(x, ends[i].label))
			last = i;
	for (i = 0; i < RXQ_ARRAY_SIZE(ends); i++) {
		if (!label_used(x, ends[i].label))
			continue;
		place_label(x, ends[i].label);
		if (o->epilogue == RXQ_CBPF_RETURN) {
			emit(x, MOV32_IMM(BPF_REG_0, ends[i].action));
			emit(x, EXIT());
			continue;
		}
		/* the verdict travels in R0 to the metadata store */
		emit(x, MOV32_IMM(BPF_REG_0, ends[i].verdict));
		if (i != last)
			emit_jump(x, JA(0), LBL_VERDICT);
	}
	if (o->epilogue == RXQ_CBPF_RETURN)
		return;

	place_label(x, LBL_VERDICT);
	emit(x, LDX_MEM(BPF_W, BPF_REG_2, R_CTX, offsetof(struct xdp_md, data_meta)));
	emit(x, LDX_MEM(BPF_W, BPF_REG_3, R_CTX, offsetof(struct xdp_md, data)));
	emit(x, MOV64_REG(BPF_REG_4, BPF_REG_2));
	emit(x, ALU64_IMM(BPF_ADD, BPF_REG_4, o->meta_off + 1));
	/* metadata too short for the byte: write nothing, go on */
	emit(x, JMP_REG(BPF_JGT, BPF_REG_4, BPF_REG_3, 1));
	emit(x, STX_MEM(BPF_B, BPF_REG_2, BPF_REG_0, o->meta_off));
	emit(x, LD_MAP_FD(BPF_REG_2, o->prog_array_fd));
	emit(x, LD_IMM64_HI(0));
	emit(x, MOV32_IMM(BPF_REG_3, o->prog_index));
	emit(x, CALL(BPF_FUNC_tail_call));
	emit(x, MOV32_IMM(BPF_REG_0, o->fallback_action));
	emit(x, EXIT());
}

static int resolve_jumps(struct xlat *x)
{
	const struct fixup *fx;
	uint32_t dest, i;
	int64_t off;

	for (i = 0; i < x->nfix; i++) {
		fx = &x->fix[i];
		dest = fx->target >= 0 ? x->start[fx->target] : x->label[label_idx(fx->target)];
		off = (int64_t)dest - ((int64_t)fx->at + 1);
		if (off < INT16_MIN || off > INT16_MAX)
			return -EOPNOTSUPP;
		x->insns[fx->at].off = (int16_t)off;
	}
	return 0;
}

static int opts_copy(struct rxq_cbpf_opts *dst, const struct rxq_cbpf_opts *opts)
{
	int err = RXQ_OPTS_LOAD(*dst, opts, rxq_cbpf_opts);

	if (err)
		return err;
	switch (dst->epilogue) {
	case RXQ_CBPF_RETURN:
		return 0;
	case RXQ_CBPF_TAIL_CALL:
		if (dst->prog_array_fd < 0 || dst->meta_off > RXQ_CBPF_META_OFF_MAX ||
		    dst->fallback_action > XDP_REDIRECT)
			return -EINVAL;
		return 0;
	default:
		return -EINVAL;
	}
}

int rxq_cbpf__translate(struct bpf_insn **out, unsigned int *out_cnt,
			const struct sock_filter *filter, unsigned int len,
			const struct rxq_cbpf_opts *opts)
{
	struct xlat x;
	unsigned int i;
	int err;

	*out = NULL;
	*out_cnt = 0;
	memset(&x, 0, sizeof(x));
	err = opts_copy(&x.opts, opts);
	if (err)
		return err;
	err = program_validate(filter, len);
	if (err)
		return err;
	if (len > RXQ_CBPF_MAX_INSNS)
		return -EOPNOTSUPP;
	x.f = filter;
	x.len = len;
	x.start = calloc(len, sizeof(*x.start));
	x.reach = calloc(len, sizeof(*x.reach));
	if (!x.start || !x.reach) {
		err = -ENOMEM;
		goto free_all;
	}
	err = mark_reachable(&x);
	if (err)
		goto free_all;

	emit_prologue(&x);
	for (i = 0; i < len; i++) {
		if (!x.reach[i])
			continue;
		x.start[i] = x.cnt;
		emit_insn(&x, i);
	}
	emit_epilogue(&x);
	err = x.err;
	if (err)
		goto free_all;
	err = resolve_jumps(&x);
	if (err)
		goto free_all;

	*out = x.insns;
	*out_cnt = x.cnt;
	x.insns = NULL;
free_all:
	free(x.insns);
	free(x.fix);
	free(x.start);
	free(x.reach);
	return err;
}

/* Hands the last lines of a verifier log to rxq_debug(): they say why. */
static void log_verifier_tail(const char *log)
{
	const char *line = log, *end;
	unsigned int nlines = 0, skip;

	for (end = log; *end; end++)
		if (*end == '\n')
			nlines++;
	skip = nlines > 30 ? nlines - 30 : 0;
	while (*line) {
		end = strchr(line, '\n');
		if (!end)
			end = line + strlen(line);
		if (skip)
			skip--;
		else if (end > line)
			rxq_debug("cbpf: verifier: %.*s", (int)(end - line), line);
		line = *end ? end + 1 : end;
	}
}

int rxq_cbpf__load(const struct sock_filter *filter, unsigned int len,
		   const struct rxq_cbpf_opts *opts)
{
	const size_t log_size = 1u << 20;
	struct rxq_cbpf_opts o;
	struct bpf_insn *insns;
	unsigned int cnt;
	char *log;
	int fd, err;

	err = opts_copy(&o, opts);
	if (err)
		return err;
	err = rxq_cbpf__translate(&insns, &cnt, filter, len, &o);
	if (err)
		return err;

	LIBBPF_OPTS(bpf_prog_load_opts, lo, .expected_attach_type = BPF_XDP,
		    .prog_ifindex = o.ifindex,
		    .prog_flags = o.ifindex ? BPF_F_XDP_DEV_BOUND_ONLY : 0);
	fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "rxq_cbpf", "Dual BSD/GPL", insns, cnt, &lo);
	if (fd >= 0)
		goto free_insns;
	err = -errno;
	rxq_debug("cbpf: the kernel refused the translated filter (%u cBPF, %u eBPF instructions): "
		  "%s",
		  len, cnt, strerror(-err));
	/* Again with the log on, only now: it costs the verifier time. */
	log = malloc(log_size);
	if (log) {
		log[0] = '\0';
		lo.log_buf = log;
		lo.log_size = (uint32_t)log_size;
		lo.log_level = 1;
		fd = bpf_prog_load(BPF_PROG_TYPE_XDP, "rxq_cbpf", "Dual BSD/GPL", insns, cnt, &lo);
		if (fd >= 0) /* the kernel changed its mind; keep the program */
			goto free_log;
		log[log_size - 1] = '\0';
		log_verifier_tail(log);
	}
	fd = err;
free_log:
	free(log);
free_insns:
	free(insns);
	return fd;
}

int rxq_cbpf__compile_expr(struct sock_filter **out, unsigned int *out_len, const char *expr)
{
	struct pcap_bpf_program prog;
	pcap_t *dead;
	int err = 0;

	*out = NULL;
	*out_len = 0;
	dead = pcap_open_dead(DLT_EN10MB, 65535);
	if (!dead)
		return -ENOMEM;
	if (pcap_compile(dead, &prog, expr, 1, PCAP_NETMASK_UNKNOWN)) {
		rxq_err("bad pcap filter '%s': %s", expr, pcap_geterr(dead));
		err = -EINVAL;
		goto close_pcap;
	}
	*out = malloc(prog.bf_len * sizeof(**out));
	if (!*out) {
		err = -ENOMEM;
		goto free_code;
	}
	/* struct sock_filter has the layout of libpcap's instruction */
	memcpy(*out, prog.bf_insns, prog.bf_len * sizeof(**out));
	*out_len = prog.bf_len;
free_code:
	pcap_freecode(&prog);
close_pcap:
	pcap_close(dead);
	return err;
}

#ifdef RXQ_TESTING
/*
 * Structural check of translated code for the tests and the fuzzer, which cannot load it: every
 * jump lands on an instruction inside the program (not inside a 16-byte load), control cannot run
 * off the end, every instruction is reachable (as the verifier's CFG check wants), and R1 (ctx)
 * and R10 (frame pointer) are never written.
 */
int cbpf_insns_check(const struct bpf_insn *insns, unsigned int cnt)
{
	uint8_t *seen, *wide_hi;
	uint32_t *stack, succ[2];
	unsigned int i, n, top = 0;
	int err = -EINVAL;
	uint8_t cls, op;
	int64_t target;

	if (!cnt)
		return -EINVAL;
	seen = calloc(cnt, 1);
	wide_hi = calloc(cnt, 1);
	stack = malloc(cnt * sizeof(*stack));
	if (!seen || !wide_hi || !stack) {
		err = -ENOMEM;
		goto free_all;
	}
	for (i = 0; i < cnt; i++) {
		if (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM)) {
			if (i + 1 >= cnt || insns[i + 1].code)
				goto free_all;
			wide_hi[++i] = 1;
		}
	}
	seen[0] = 1;
	stack[top++] = 0;
	while (top) {
		i = stack[--top];
		if (wide_hi[i])
			goto free_all;
		cls = BPF_CLASS(insns[i].code);
		op = BPF_OP(insns[i].code);
		if ((cls == BPF_ALU || cls == BPF_ALU64 || cls == BPF_LDX || cls == BPF_LD) &&
		    (insns[i].dst_reg == BPF_REG_1 || insns[i].dst_reg == BPF_REG_10))
			goto free_all;
		n = 0;
		if ((cls == BPF_JMP || cls == BPF_JMP32) && op == BPF_EXIT) {
			n = 0;
		} else if ((cls == BPF_JMP || cls == BPF_JMP32) && op != BPF_CALL) {
			target = (int64_t)i + 1 + insns[i].off;
			if (target < 0 || target >= cnt)
				goto free_all;
			succ[n++] = (uint32_t)target;
			if (op != BPF_JA)
				succ[n++] = i + 1;
		} else {
			succ[n++] = i + 1 + (insns[i].code == (BPF_LD | BPF_DW | BPF_IMM));
		}
		while (n--) {
			if (succ[n] >= cnt)
				goto free_all; /* falls off the end */
			if (!seen[succ[n]]) {
				seen[succ[n]] = 1;
				stack[top++] = succ[n];
			}
		}
	}
	for (i = 0; i < cnt; i++)
		if (!seen[i] && !wide_hi[i])
			goto free_all;
	err = 0;
free_all:
	free(stack);
	free(wide_hi);
	free(seen);
	return err;
}
#endif

/* ---- the same programs, run in user space ---- */

int rxq_cbpf__validate(const struct sock_filter *filter, unsigned int len)
{
	return program_validate(filter, len);
}

/* Big-endian bytes [off, off + size) of the frame into *v; false past its end. */
static bool run_load(const uint8_t *pkt, uint32_t pkt_len, uint64_t off, unsigned int size,
		     uint32_t *v)
{
	if (off + size > pkt_len || off + size > PKT_OFF_MAX)
		return false;
	if (size == 4)
		*v = (uint32_t)pkt[off] << 24 | (uint32_t)pkt[off + 1] << 16 |
		     (uint32_t)pkt[off + 2] << 8 | pkt[off + 3];
	else if (size == 2)
		*v = (uint32_t)pkt[off] << 8 | pkt[off + 1];
	else
		*v = pkt[off];
	return true;
}

static uint32_t run_alu(uint8_t op, uint32_t a, uint32_t v, bool *fail)
{
	switch (op) {
	case BPF_ADD:
		return a + v;
	case BPF_SUB:
		return a - v;
	case BPF_MUL:
		return a * v;
	case BPF_DIV:
	case BPF_MOD:
		if (!v) {
			*fail = true; /* bpf_filter() gives up */
			return 0;
		}
		return op == BPF_DIV ? a / v : a % v;
	case BPF_AND:
		return a & v;
	case BPF_OR:
		return a | v;
	case BPF_XOR:
		return a ^ v;
	case BPF_LSH:
		return v < 32 ? a << v : 0;
	case BPF_RSH:
		return v < 32 ? a >> v : 0;
	default: /* BPF_NEG */
		return -a;
	}
}

static bool run_cond(uint8_t op, uint32_t a, uint32_t v)
{
	switch (op) {
	case BPF_JGT:
		return a > v;
	case BPF_JGE:
		return a >= v;
	case BPF_JEQ:
		return a == v;
	default: /* BPF_JSET */
		return a & v;
	}
}

unsigned int rxq_cbpf__run(const struct sock_filter *f, unsigned int len, const uint8_t *pkt,
			   uint32_t pkt_len)
{
	uint32_t a = 0, x = 0, m[BPF_MEMWORDS] = { 0 }, v;
	unsigned int pc = 0, budget = RXQ_CBPF_MAX_BACKWARD_JUMPS;
	bool fail = false;

	while (pc < len) {
		const struct sock_filter *ins = &f[pc++];
		uint8_t op = BPF_OP(ins->code);
		uint32_t *dst = BPF_CLASS(ins->code) == BPF_LDX ? &x : &a;

		switch (BPF_CLASS(ins->code)) {
		case BPF_RET:
			v = BPF_RVAL(ins->code) == BPF_A ? a : ins->k;
			return v ? RXQ_CBPF_VERDICT_MATCH : RXQ_CBPF_VERDICT_NOMATCH;
		case BPF_LD:
		case BPF_LDX:
			switch (BPF_MODE(ins->code)) {
			case BPF_ABS:
			case BPF_IND:
				if (!run_load(pkt, pkt_len,
					      (uint64_t)ins->k +
						      (BPF_MODE(ins->code) == BPF_IND ? x : 0),
					      load_size(ins->code), dst))
					return RXQ_CBPF_VERDICT_NOMATCH;
				break;
			case BPF_MSH:
				if (!run_load(pkt, pkt_len, ins->k, 1, &x))
					return RXQ_CBPF_VERDICT_NOMATCH;
				x = (x & 0xf) << 2;
				break;
			case BPF_LEN:
				*dst = pkt_len;
				break;
			case BPF_IMM:
				*dst = ins->k;
				break;
			default: /* BPF_MEM */
				*dst = m[ins->k];
				break;
			}
			break;
		case BPF_ST:
			m[ins->k] = a;
			break;
		case BPF_STX:
			m[ins->k] = x;
			break;
		case BPF_ALU:
			a = run_alu(op, a, BPF_SRC(ins->code) == BPF_X ? x : ins->k, &fail);
			if (fail)
				return RXQ_CBPF_VERDICT_NOMATCH;
			break;
		case BPF_JMP:
			if (op == BPF_JA) {
				if ((int32_t)ins->k < 0 && !budget--)
					return RXQ_CBPF_VERDICT_UNDECIDED;
				pc = (uint32_t)(pc + ins->k);
				break;
			}
			pc += run_cond(op, a, BPF_SRC(ins->code) == BPF_X ? x : ins->k) ? ins->jt :
											  ins->jf;
			break;
		default: /* BPF_MISC */
			if (BPF_MISCOP(ins->code) == BPF_TAX)
				x = a;
			else
				a = x;
			break;
		}
	}
	return RXQ_CBPF_VERDICT_NOMATCH; /* validated programs end in RET */
}
