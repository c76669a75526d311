/* A classic BPF interpreter for seccomp programs: the supervisor runs the
 * profile's own filter on a notification's seccomp_data to learn exactly
 * which action the profile takes for that call. */
#ifndef NSL_SECCOMP_BPF_RUN_H
#define NSL_SECCOMP_BPF_RUN_H

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdint.h>

/* What nsl_bpf_run returns for a malformed program (never once the kernel
 * accepted it): a KILL_PROCESS, with data bits of nslaunch's own so that a
 * check before the kernel sees it can tell it from a filter's own kill. */
#define NSL_BPF_MALFORMED (SECCOMP_RET_KILL_PROCESS | 0xbadu)

/* The program's return value for data; NSL_BPF_MALFORMED when the program
 * is malformed. */
uint32_t nsl_bpf_run(const struct sock_filter *insns, unsigned short len, const struct seccomp_data *data);

#endif
