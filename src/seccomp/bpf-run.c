#include "bpf-run.h"

#include <stdbool.h>
#include <string.h>

#define MALFORMED NSL_BPF_MALFORMED

static bool load_word(const struct seccomp_data *data, uint32_t offset, uint32_t *out)
{
        if (offset % 4 || offset > sizeof *data - 4)
                return false;
        memcpy(out, (const char *)data + offset, 4);
        return true;
}

static bool alu(uint16_t op, uint32_t *a, uint32_t operand)
{
        switch (op) {
        case BPF_ADD: *a += operand; return true;
        case BPF_SUB: *a -= operand; return true;
        case BPF_MUL: *a *= operand; return true;
        case BPF_DIV: if (!operand) return false; *a /= operand; return true;
        case BPF_MOD: if (!operand) return false; *a %= operand; return true;
        case BPF_AND: *a &= operand; return true;
        case BPF_OR: *a |= operand; return true;
        case BPF_XOR: *a ^= operand; return true;
        case BPF_LSH: *a = operand >= 32 ? 0 : *a << operand; return true;
        case BPF_RSH: *a = operand >= 32 ? 0 : *a >> operand; return true;
        case BPF_NEG: *a = -*a; return true;
        }
        return false;
}

static bool condition(uint16_t op, uint32_t a, uint32_t operand, bool *taken)
{
        switch (op) {
        case BPF_JEQ: *taken = a == operand; return true;
        case BPF_JGT: *taken = a > operand; return true;
        case BPF_JGE: *taken = a >= operand; return true;
        case BPF_JSET: *taken = (a & operand) != 0; return true;
        }
        return false;
}

uint32_t nsl_bpf_run(const struct sock_filter *insns, unsigned short len, const struct seccomp_data *data)
{
        uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = { 0 };

        for (size_t pc = 0; pc < len; pc++) {
                const struct sock_filter *f = &insns[pc];
                uint32_t operand = BPF_SRC(f->code) == BPF_X ? x : f->k;
                bool taken;

                switch (BPF_CLASS(f->code)) {
                case BPF_LD:
                        if (BPF_MODE(f->code) == BPF_ABS && BPF_SIZE(f->code) == BPF_W) {
                                if (!load_word(data, f->k, &a))
                                        return MALFORMED;
                        } else if (BPF_MODE(f->code) == BPF_LEN) {
                                a = sizeof *data;
                        } else if (BPF_MODE(f->code) == BPF_IMM) {
                                a = f->k;
                        } else if (BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS) {
                                a = mem[f->k];
                        } else {
                                return MALFORMED;
                        }
                        break;
                case BPF_LDX:
                        if (BPF_MODE(f->code) == BPF_LEN)
                                x = sizeof *data;
                        else if (BPF_MODE(f->code) == BPF_IMM)
                                x = f->k;
                        else if (BPF_MODE(f->code) == BPF_MEM && f->k < BPF_MEMWORDS)
                                x = mem[f->k];
                        else
                                return MALFORMED;
                        break;
                case BPF_ST:
                case BPF_STX:
                        if (f->k >= BPF_MEMWORDS)
                                return MALFORMED;
                        mem[f->k] = BPF_CLASS(f->code) == BPF_ST ? a : x;
                        break;
                case BPF_ALU:
                        if (!alu(BPF_OP(f->code), &a, operand))
                                return MALFORMED;
                        break;
                case BPF_JMP:
                        if (BPF_OP(f->code) == BPF_JA) {
                                pc += f->k;
                                break;
                        }
                        if (!condition(BPF_OP(f->code), a, operand, &taken))
                                return MALFORMED;
                        pc += taken ? f->jt : f->jf;
                        break;
                case BPF_RET:
                        return BPF_RVAL(f->code) == BPF_A ? a : f->k;
                case BPF_MISC:
                        if (BPF_MISCOP(f->code) == BPF_TAX)
                                x = a;
                        else
                                a = x;
                        break;
                default:
                        return MALFORMED;
                }
        }
        return MALFORMED;
}
