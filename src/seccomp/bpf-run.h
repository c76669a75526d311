/* A classic BPF interpreter for seccomp programs: the supervisor runs the
 * profile's own filter on a notification's seccomp_data to learn exactly
 * which action the profile takes for that call. */
#ifndef NSL_SECCOMP_BPF_RUN_H
#define NSL_SECCOMP_BPF_RUN_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>

/* The program's return value for data; SECCOMP_RET_KILL_PROCESS when the
 * program is malformed (it never is once the kernel accepted it). */
uint32_t nsl_bpf_run(const struct sock_filter *insns, unsigned short len, const struct seccomp_data *data);

#endif
