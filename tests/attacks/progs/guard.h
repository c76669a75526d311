/* The attack probes press on the kernel and on whatever processes they can
 * see: they must never run in the host's own namespaces.  Every sandbox they
 * are meant for (nslaunch run, and the OCI path driven by an engine) gives
 * them a pid namespace of their own; the host's initial pid namespace has a
 * fixed inode number (PROC_PID_INIT_INO), so seeing it means "not sandboxed":
 * refuse before doing anything. */
#ifndef NSL_ATTACK_GUARD_H
#define NSL_ATTACK_GUARD_H

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#define NSL_PROC_PID_INIT_INO 0xEFFFFFFCULL

static void nsl_refuse_outside_sandbox(const char *name)
{
        struct stat st;

        if (stat("/proc/self/ns/pid", &st) != 0 || (unsigned long long)st.st_ino == NSL_PROC_PID_INIT_INO) {
                fprintf(stderr, "%s: refusing to run outside a sandbox (in the initial pid namespace, or no /proc)\n",
                        name);
                exit(3);
        }
}

#endif
