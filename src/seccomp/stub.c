#include "stub.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>

#define X32_SYSCALL_BIT 0x40000000U
#define MAX_INSNS 1024
#define MAX_BLOCKS 256
#define LABEL_MAIN (-2)
#define LABEL_NEXT (-1)

/* An instruction whose jumps name labels (block numbers), resolved at the end. */
struct insn {
        struct sock_filter f;
        int jt, jf;
};

struct builder {
        struct insn code[MAX_INSNS];
        size_t n;
        size_t block_start[MAX_BLOCKS];
        size_t n_blocks;
        bool overflow;
};

static void emit(struct builder *b, uint16_t code, uint32_t k, int jt, int jf)
{
        if (b->n == MAX_INSNS) {
                b->overflow = true;
                return;
        }
        b->code[b->n++] = (struct insn){ .f = { .code = code, .k = k }, .jt = jt, .jf = jf };
}

/* Starts a block: jumps name blocks by number. Returns its number. */
static int block(struct builder *b)
{
        if (b->n_blocks == MAX_BLOCKS) {
                b->overflow = true;
                return MAX_BLOCKS - 1;
        }
        b->block_start[b->n_blocks] = b->n;
        return (int)b->n_blocks++;
}

static bool big_endian(uint32_t arch)
{
        switch (arch) {
        case SCMP_ARCH_S390: case SCMP_ARCH_S390X: case SCMP_ARCH_PPC: case SCMP_ARCH_PPC64:
        case SCMP_ARCH_MIPS: case SCMP_ARCH_MIPS64: case SCMP_ARCH_MIPS64N32:
        case SCMP_ARCH_PARISC: case SCMP_ARCH_PARISC64:
                return true;
        default:
                return false;
        }
}

static uint32_t arg_word(uint32_t arch, unsigned index, bool high)
{
        uint32_t base = (uint32_t)offsetof(struct seccomp_data, args) + 8 * index;
        return base + ((high != big_endian(arch)) ? 4 : 0);
}

/* Jumps to the next block when a word of the argument does not match. */
static void compare_word(struct builder *b, uint32_t arch, const struct nsl_stub_cond *c, bool high, int next)
{
        uint32_t mask = (uint32_t)(high ? c->mask >> 32 : c->mask);
        uint32_t value = (uint32_t)(high ? c->value >> 32 : c->value);

        emit(b, BPF_LD | BPF_W | BPF_ABS, arg_word(arch, c->index, high), 0, 0);
        if (mask != 0xffffffffU)
                emit(b, BPF_ALU | BPF_AND | BPF_K, mask, 0, 0);
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, value, LABEL_NEXT, next);
}

/* The rules of one syscall, one block each: a rule whose conditions do not
 * all hold goes on to the next, the last one to libseccomp's program. */
static void emit_rules_of(struct builder *b, uint32_t arch, const struct nsl_stub_plan *plan, int nr)
{
        size_t last = 0;

        for (size_t i = 0; i < plan->n_rules; i++)
                if (plan->rules[i].nr == nr)
                        last = i;
        for (size_t i = 0; i < plan->n_rules; i++) {
                const struct nsl_stub_rule *rule = &plan->rules[i];
                if (rule->nr != nr)
                        continue;
                int next = i == last ? LABEL_MAIN : (int)b->n_blocks + 1;
                block(b);
                for (size_t c = 0; c < rule->n_conds; c++) {
                        compare_word(b, arch, &rule->conds[c], false, next);
                        if (!rule->conds[c].narrow)
                                compare_word(b, arch, &rule->conds[c], true, next);
                }
                emit(b, BPF_RET | BPF_K, rule->action, 0, 0);
        }
}

static bool first_of_its_syscall(const struct nsl_stub_plan *plan, size_t i)
{
        for (size_t j = 0; j < i; j++)
                if (plan->rules[j].nr == plan->rules[i].nr)
                        return false;
        return true;
}

/* The syscall number is in A: a comparison per distinct syscall with rules
 * (to blocks laid out after the dispatch), the ranges, ENOSYS. */
static void emit_dispatch(struct builder *b, const struct nsl_stub_plan *plan, int first_rule_block)
{
        int target = first_rule_block;

        for (size_t i = 0; i < plan->n_rules; i++) {
                if (!first_of_its_syscall(plan, i))
                        continue;
                emit(b, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)plan->rules[i].nr, target, LABEL_NEXT);
                for (size_t j = i; j < plan->n_rules; j++)
                        target += plan->rules[j].nr == plan->rules[i].nr;
        }
        for (size_t i = 0; i < plan->n_ranges; i++) {
                const struct nsl_stub_range *range = &plan->ranges[i];
                block(b);
                int next = (int)b->n_blocks;    /* the block after this one */
                emit(b, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)range->first, LABEL_NEXT, next);
                emit(b, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)range->last, next, LABEL_NEXT);
                emit(b, BPF_RET | BPF_K, range->action, 0, 0);
        }
        block(b);
        if (plan->max_nr >= 0) {
                emit(b, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)plan->max_nr, LABEL_NEXT, LABEL_MAIN);
                emit(b, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
        } else if (plan->n_rules) {
                emit(b, BPF_JMP | BPF_JA, 0, LABEL_MAIN, 0);
        }
}

/* Labels to offsets; a jump backwards or beyond 255 is an error. */
static int resolve(const struct builder *b, struct sock_filter *out)
{
        for (size_t i = 0; i < b->n; i++) {
                struct sock_filter f = b->code[i].f;
                if (BPF_CLASS(f.code) == BPF_JMP) {
                        bool always = BPF_OP(f.code) == BPF_JA;
                        int labels[2] = { b->code[i].jt, b->code[i].jf };
                        size_t target[2];
                        for (int k = 0; k < (always ? 1 : 2); k++) {
                                if (labels[k] == LABEL_NEXT)
                                        target[k] = i + 1;
                                else if (labels[k] == LABEL_MAIN || (size_t)labels[k] >= b->n_blocks)
                                        target[k] = b->n;
                                else
                                        target[k] = b->block_start[labels[k]];
                                if (target[k] <= i || target[k] - i - 1 > 255)
                                        return -E2BIG;
                        }
                        if (always) {
                                f.k = (uint32_t)(target[0] - i - 1);
                        } else {
                                f.jt = (uint8_t)(target[0] - i - 1);
                                f.jf = (uint8_t)(target[1] - i - 1);
                        }
                }
                out[i] = f;
        }
        return 0;
}

int nsl_stub_build(uint32_t arch, const struct nsl_stub_plan *plan, struct sock_filter **insns, size_t *len)
{
        struct builder *b;
        int r = 0;

        *insns = NULL;
        *len = 0;
        if (plan->n_rules == 0 && plan->n_ranges == 0 && plan->max_nr < 0)
                return 0;
        b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;

        /* block 0: our architecture (and on x86_64 not x32), or on to libseccomp */
        block(b);
        emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, arch, LABEL_NEXT, LABEL_MAIN);
        emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
        if (arch == SCMP_ARCH_X86_64)
                emit(b, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, LABEL_MAIN, LABEL_NEXT);
        /* the dispatch's blocks: the ranges' and ENOSYS's; the rules' follow */
        int first_rule_block = 1 + (int)plan->n_ranges + 1;
        emit_dispatch(b, plan, first_rule_block);
        for (size_t i = 0; i < plan->n_rules; i++)
                if (first_of_its_syscall(plan, i))
                        emit_rules_of(b, arch, plan, plan->rules[i].nr);
        if (b->overflow || (size_t)first_rule_block + plan->n_rules != b->n_blocks) {
                r = -E2BIG;
                goto out;
        }

        *insns = calloc(b->n ? b->n : 1, sizeof(struct sock_filter));
        if (!*insns) {
                r = -ENOMEM;
                goto out;
        }
        if ((r = resolve(b, *insns)) < 0)
                goto out;
        *len = b->n;
out:
        if (r < 0) {
                free(*insns);
                *insns = NULL;
        }
        free(b);
        return r;
}
