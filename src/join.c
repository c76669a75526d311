#include "join.h"

#include <sched.h>
#include <stdio.h>
#include <string.h>

const struct nsl_join_kind nsl_join_kinds[NSL_JOIN_N] = {
        [NSL_JOIN_NET] = { "network", "network-ns", CLONE_NEWNET, "net", "a network" },
        [NSL_JOIN_IPC] = { "ipc", "ipc-ns", CLONE_NEWIPC, "ipc", "an IPC" },
        [NSL_JOIN_UTS] = { "uts", "uts-ns", CLONE_NEWUTS, "uts", "a UTS" },
        [NSL_JOIN_PID] = { "pid", "pid-ns", CLONE_NEWPID, "pid_for_children", "a PID" },
};

int nsl_sysctl_join_kind(const char *assignment)
{
        if (!strncmp(assignment, "net.", 4))
                return NSL_JOIN_NET;
        return strncmp(assignment, "user.", 5) ? NSL_JOIN_IPC : NSL_JOIN_N;
}

bool nsl_join_is_callers_own(int k, const struct stat *target)
{
        char self[64];
        struct stat own;

        snprintf(self, sizeof self, "/proc/thread-self/ns/%s", nsl_join_kinds[k].own_name);
        return stat(self, &own) == 0 && own.st_dev == target->st_dev && own.st_ino == target->st_ino;
}

int nsl_join_kind_of(const char *type)
{
        for (int k = 0; k < NSL_JOIN_N; k++)
                if (type && !strcmp(type, nsl_join_kinds[k].type))
                        return k;
        return -1;
}
