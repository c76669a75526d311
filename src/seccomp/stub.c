#include "stub.h"

#include <errno.h>
#include <linux/seccomp.h>
#include <stdlib.h>

#define X32_SYSCALL_BIT 0x40000000U
#define MAX_INSNS 512
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
        size_t block_start[64];
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

static void block(struct builder *b)
{
        if (b->n_blocks == 64) {
                b->overflow = true;
                return;
        }
        b->block_start[b->n_blocks++] = b->n;
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

int nsl_stub_build(uint32_t arch, const struct nsl_stub_refusal *refusals, size_t n, int max_nr,
                   struct sock_filter **insns, size_t *len)
{
        struct builder *b;
        int r = 0;

        *insns = NULL;
        *len = 0;
        if (n == 0 && max_nr < 0)
                return 0;
        b = calloc(1, sizeof *b);
        if (!b)
                return -ENOMEM;

        /* block 0: our architecture (and on x86_64 not x32), or on to libseccomp */
        block(b);
        emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch), 0, 0);
        emit(b, BPF_JMP | BPF_JEQ | BPF_K, arch, LABEL_NEXT, LABEL_MAIN);
        if (arch == SCMP_ARCH_X86_64) {
                emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
                emit(b, BPF_JMP | BPF_JGE | BPF_K, X32_SYSCALL_BIT, LABEL_MAIN, LABEL_NEXT);
        }
        for (size_t i = 0; i < n; i++) {
                const struct nsl_stub_refusal *rf = &refusals[i];
                int next = (int)b->n_blocks + 1;
                block(b);
                emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
                emit(b, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)rf->nr, LABEL_NEXT, next);
                for (size_t c = 0; c < rf->n_conds; c++) {
                        compare_word(b, arch, &rf->conds[c], false, next);
                        if (!rf->conds[c].narrow)
                                compare_word(b, arch, &rf->conds[c], true, next);
                }
                emit(b, BPF_RET | BPF_K, rf->action, 0, 0);
        }
        block(b);
        if (max_nr >= 0) {
                emit(b, BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr), 0, 0);
                emit(b, BPF_JMP | BPF_JGT | BPF_K, (uint32_t)max_nr, LABEL_NEXT, LABEL_MAIN);
                emit(b, BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS, 0, 0);
        }
        if (b->overflow) {
                r = -E2BIG;
                goto out;
        }

        *insns = calloc(b->n ? b->n : 1, sizeof(struct sock_filter));
        if (!*insns) {
                r = -ENOMEM;
                goto out;
        }
        for (size_t i = 0; i < b->n; i++) {
                struct sock_filter f = b->code[i].f;
                if (BPF_CLASS(f.code) == BPF_JMP) {
                        int labels[2] = { b->code[i].jt, b->code[i].jf };
                        size_t target[2];
                        for (int k = 0; k < 2; k++) {
                                if (labels[k] == LABEL_NEXT)
                                        target[k] = i + 1;
                                else if (labels[k] == LABEL_MAIN || (size_t)labels[k] >= b->n_blocks)
                                        target[k] = b->n;
                                else
                                        target[k] = b->block_start[labels[k]];
                                if (target[k] <= i || target[k] - i - 1 > 255) {
                                        r = -E2BIG;
                                        goto out;
                                }
                        }
                        f.jt = (uint8_t)(target[0] - i - 1);
                        f.jf = (uint8_t)(target[1] - i - 1);
                }
                (*insns)[i] = f;
        }
        *len = b->n;
out:
        if (r < 0) {
                free(*insns);
                *insns = NULL;
        }
        free(b);
        return r;
}
