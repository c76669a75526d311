/* Device rules in the kernel's two forms: v1's devices.allow and
 * devices.deny lines, and, for cgroup v2, which has no such files, a
 * BPF_PROG_TYPE_CGROUP_DEVICE program attached to the cgroup. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/bpf.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "internal.h"

static void device_number(char *out, size_t size, int64_t number)
{
        if (number < 0)
                snprintf(out, size, "*");
        else
                snprintf(out, size, "%" PRId64, number);
}

void nsl_device_rule_format(const struct nsl_device_rule *rule, char *out, size_t size)
{
        char major[24], minor[24], access[4] = "";
        size_t n = 0;

        device_number(major, sizeof major, rule->major);
        device_number(minor, sizeof minor, rule->minor);
        if (rule->access & NSL_DEVICE_ACCESS_READ)
                access[n++] = 'r';
        if (rule->access & NSL_DEVICE_ACCESS_WRITE)
                access[n++] = 'w';
        if (rule->access & NSL_DEVICE_ACCESS_MKNOD)
                access[n++] = 'm';
        access[n] = '\0';
        snprintf(out, size, "%c %s:%s %s", rule->type, major, minor, access);
}

#define PROGRAM_MAX (6 + NSL_DEVICE_RULES_MAX * 8 + 2)

/* The registers the program keeps what it is asked in; the context's is
 * free for scratch once they are read. */
enum { R_CTX = 1, R_ACCESS = 2, R_TYPE = 3, R_MAJOR = 4, R_MINOR = 5, R_SCRATCH = 1 };

struct program {
        struct bpf_insn insn[PROGRAM_MAX];
        size_t n;
};

static void emit(struct program *p, uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm)
{
        p->insn[p->n++] = (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm };
}

/* Each rule is a block that returns its verdict when the request matches
 * it, else jumps past its end: an allow rule matches an access it covers
 * whole, a deny rule any access it shares (as v1 reads its lists). */
static void emit_rule(struct program *p, const struct nsl_device_rule *rule)
{
        size_t jumps[4], n_jumps = 0;

        if (rule->type != 'a') {
                jumps[n_jumps++] = p->n;
                emit(p, BPF_JMP32 | BPF_JNE | BPF_K, R_TYPE, 0, 0,
                     rule->type == 'c' ? BPF_DEVCG_DEV_CHAR : BPF_DEVCG_DEV_BLOCK);
        }
        if (rule->major >= 0) {
                jumps[n_jumps++] = p->n;
                emit(p, BPF_JMP32 | BPF_JNE | BPF_K, R_MAJOR, 0, 0, (int32_t)(uint32_t)rule->major);
        }
        if (rule->minor >= 0) {
                jumps[n_jumps++] = p->n;
                emit(p, BPF_JMP32 | BPF_JNE | BPF_K, R_MINOR, 0, 0, (int32_t)(uint32_t)rule->minor);
        }
        emit(p, BPF_ALU | BPF_MOV | BPF_X, R_SCRATCH, R_ACCESS, 0, 0);
        emit(p, BPF_ALU | BPF_AND | BPF_K, R_SCRATCH, 0, 0, rule->allow ? (int32_t)~rule->access : (int32_t)rule->access);
        jumps[n_jumps++] = p->n;
        emit(p, BPF_JMP32 | (rule->allow ? BPF_JNE : BPF_JEQ) | BPF_K, R_SCRATCH, 0, 0, 0);
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, rule->allow ? 1 : 0);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
        for (size_t i = 0; i < n_jumps; i++)
                p->insn[jumps[i]].off = (int16_t)(p->n - jumps[i] - 1);
}

/* The last rule that matches decides, as each later v1 line overrides the
 * earlier ones; with none (no rule for every device), the access is allowed,
 * as the parent's. */
static void build_program(const struct nsl_cgroup_limits *l, struct program *p)
{
        p->n = 0;
        emit(p, BPF_LDX | BPF_MEM | BPF_W, R_ACCESS, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, access_type), 0);
        emit(p, BPF_LDX | BPF_MEM | BPF_W, R_MAJOR, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, major), 0);
        emit(p, BPF_LDX | BPF_MEM | BPF_W, R_MINOR, R_CTX, offsetof(struct bpf_cgroup_dev_ctx, minor), 0);
        emit(p, BPF_ALU | BPF_MOV | BPF_X, R_TYPE, R_ACCESS, 0, 0);
        emit(p, BPF_ALU | BPF_AND | BPF_K, R_TYPE, 0, 0, 0xffff);
        emit(p, BPF_ALU | BPF_RSH | BPF_K, R_ACCESS, 0, 0, 16);
        for (size_t i = l->n_device_rules; i-- > 0;)
                emit_rule(p, &l->device_rules[i]);
        emit(p, BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, 1);
        emit(p, BPF_JMP | BPF_EXIT, 0, 0, 0, 0);
}

int nsl_cgroup_v2_limit_devices(const char *dir, const struct nsl_cgroup_limits *l, nsl_error *error)
{
        _cleanup_free_ struct program *program = malloc(sizeof *program);
        union bpf_attr load = { 0 }, attach = { 0 };
        _cleanup_close_ int prog = -1;
        _cleanup_close_ int cgroup = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

        if (!program)
                return nsl_fail(error, ENOMEM, "cgroup", dir, NULL);
        if (cgroup < 0)
                return nsl_fail(error, errno, "cgroup", dir, NULL);
        build_program(l, program);
        load.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        load.insns = (uint64_t)(uintptr_t)program->insn;
        load.insn_cnt = (uint32_t)program->n;
        load.license = (uint64_t)(uintptr_t)"Apache-2.0";
        prog = (int)syscall(SYS_bpf, BPF_PROG_LOAD, &load, sizeof load);
        if (prog < 0)
                return nsl_fail(error, errno, "cgroup", dir, "cannot load the program of its device rules");
        attach.target_fd = (uint32_t)cgroup;
        attach.attach_bpf_fd = (uint32_t)prog;
        attach.attach_type = BPF_CGROUP_DEVICE;
        attach.attach_flags = BPF_F_ALLOW_MULTI;
        if (syscall(SYS_bpf, BPF_PROG_ATTACH, &attach, sizeof attach) < 0)
                return nsl_fail(error, errno, "cgroup", dir, "cannot attach the program of its device rules");
        return 0;       /* the cgroup holds the program from here */
}
