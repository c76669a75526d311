/* What a cgroup has used so far, read from its own files (nslaunch-runc
 * events): CPU time and throttling, memory and swap, processes, OOM kills;
 * and a sandbox's memory peak and OOM kill at its end (nsl_cgroup_stats).
 * A value the cgroup does not keep stays -1. */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* A file holding one number; "max" (v2's "no limit") and a missing file
 * leave *value as it is. */
static void read_number(int dirfd, const char *file, int64_t *value)
{
        char buf[64];
        char *end;

        if (nsl_cgroup_read(dirfd, file, buf, sizeof buf) <= 0)
                return;
        long long n = strtoll(buf, &end, 10);
        if (end != buf && n >= 0)
                *value = n;
}

/* key's value in a "key value" file, times factor; absent: left as it is. */
static void read_keyed(int dirfd, const char *file, const char *key, int64_t factor, int64_t *value)
{
        int64_t n = nsl_cgroup_keyed(dirfd, file, key);

        if (n >= 0)
                *value = n * factor;
}

void nsl_cgroup_usage_clear(struct nsl_cgroup_usage *u)
{
        memset(u, 0xff, sizeof *u);     /* every field -1 */
}

void nsl_cgroup_v2_usage(int dirfd, struct nsl_cgroup_usage *u)
{
        read_keyed(dirfd, "cpu.stat", "usage_usec", 1000, &u->cpu_total_ns);
        read_keyed(dirfd, "cpu.stat", "user_usec", 1000, &u->cpu_user_ns);
        read_keyed(dirfd, "cpu.stat", "system_usec", 1000, &u->cpu_system_ns);
        read_keyed(dirfd, "cpu.stat", "nr_periods", 1, &u->cpu_periods);
        read_keyed(dirfd, "cpu.stat", "nr_throttled", 1, &u->cpu_throttled_periods);
        read_keyed(dirfd, "cpu.stat", "throttled_usec", 1000, &u->cpu_throttled_ns);
        read_number(dirfd, "memory.current", &u->memory_bytes);
        read_number(dirfd, "memory.peak", &u->memory_peak_bytes);
        read_number(dirfd, "memory.max", &u->memory_limit_bytes);
        read_keyed(dirfd, "memory.events", "max", 1, &u->memory_failcnt);
        /* v2 counts swap alone: added to memory, as v1's memsw counts it */
        int64_t swap = -1, swap_limit = -1;
        read_number(dirfd, "memory.swap.current", &swap);
        read_number(dirfd, "memory.swap.max", &swap_limit);
        if (swap >= 0 && u->memory_bytes >= 0)
                u->memsw_bytes = swap + u->memory_bytes;
        if (swap_limit >= 0 && u->memory_limit_bytes >= 0)
                u->memsw_limit_bytes = swap_limit + u->memory_limit_bytes;
        read_number(dirfd, "pids.current", &u->pids);
        read_number(dirfd, "pids.max", &u->pids_limit);
        read_keyed(dirfd, "memory.events", "oom_kill", 1, &u->oom_kills);
}

void nsl_cgroup_memory_stats(int dirfd, bool v2, int64_t *peak, bool *oom_killed)
{
        int64_t kills = -1;

        read_number(dirfd, v2 ? "memory.peak" : "memory.max_usage_in_bytes", peak);
        read_keyed(dirfd, v2 ? "memory.events" : "memory.oom_control", "oom_kill", 1, &kills);
        *oom_killed = kills > 0;
}

/* v1 keeps CPU time in cpuacct, which nslaunch makes no cgroup in: only
 * the cpu controller's throttling is known. */
void nsl_cgroup_v1_usage(int dirfd, int controller, struct nsl_cgroup_usage *u)
{
        switch (controller) {
        case NSL_CG_CPU:
                read_keyed(dirfd, "cpu.stat", "nr_periods", 1, &u->cpu_periods);
                read_keyed(dirfd, "cpu.stat", "nr_throttled", 1, &u->cpu_throttled_periods);
                read_keyed(dirfd, "cpu.stat", "throttled_time", 1, &u->cpu_throttled_ns);
                break;
        case NSL_CG_MEMORY:
                read_number(dirfd, "memory.usage_in_bytes", &u->memory_bytes);
                read_number(dirfd, "memory.max_usage_in_bytes", &u->memory_peak_bytes);
                read_number(dirfd, "memory.limit_in_bytes", &u->memory_limit_bytes);
                read_number(dirfd, "memory.failcnt", &u->memory_failcnt);
                read_number(dirfd, "memory.memsw.usage_in_bytes", &u->memsw_bytes);
                read_number(dirfd, "memory.memsw.limit_in_bytes", &u->memsw_limit_bytes);
                read_keyed(dirfd, "memory.oom_control", "oom_kill", 1, &u->oom_kills);
                break;
        case NSL_CG_PIDS:
                read_number(dirfd, "pids.current", &u->pids);
                read_number(dirfd, "pids.max", &u->pids_limit);
                break;
        }
}
