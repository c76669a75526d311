#include "host.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "kernel.h"

static const char *const entry_names[] = {
        "usr", "etc", "bin", "sbin", "lib", "lib32", "lib64", "libx32",
};

/* Directories are bound read-only, symlinks (merged /usr) recreated; what is
 * missing or anything else is left out. */
static int gather_entries(struct nsl_host *host, nsl_error *error)
{
        for (size_t i = 0; i < ELEMENTSOF(entry_names); i++) {
                struct nsl_host_entry *e = &host->entries[host->n_entries];
                char path[32], target[4096];
                struct stat st;

                snprintf(path, sizeof path, "/%s", entry_names[i]);
                if (lstat(path, &st) < 0)
                        continue;
                if (S_ISLNK(st.st_mode)) {
                        ssize_t n = readlink(path, target, sizeof target - 1);
                        if (n < 0)
                                return nsl_fail(error, errno, "rootfs", path, NULL);
                        target[n] = '\0';
                        e->link_target = strdup(target);
                        if (!e->link_target)
                                return nsl_fail(error, ENOMEM, "rootfs", path, NULL);
                } else if (!S_ISDIR(st.st_mode)) {
                        continue;
                }
                e->name = entry_names[i];
                host->n_entries++;
        }
        return 0;
}

/* /proc/PID/ns/user's inode number for the initial user namespace
 * (the kernel's PROC_USER_INIT_INO, fixed since Linux 3.8). */
#define INITIAL_USERNS_INO 0xEFFFFFFDU

bool nsl_host_root(void)
{
        struct stat st;

        if (geteuid() != 0)
                return false;
        return stat("/proc/self/ns/user", &st) < 0 || st.st_ino == INITIAL_USERNS_INO;
}

int nsl_host_gather(struct nsl_host *host, nsl_error *error)
{
        int r;

        *host = (struct nsl_host){ .euid = geteuid(), .egid = getegid(), .root = nsl_host_root() };
        if ((r = nsl_kernel_check(error)) < 0)
                return r;
        for (int i = 0; i < RLIM_NLIMITS; i++)
                if (getrlimit(i, &host->rlimits[i]) < 0)
                        host->rlimits[i] = (struct rlimit){ RLIM_INFINITY, RLIM_INFINITY };
        return gather_entries(host, error);
}

void nsl_host_free(struct nsl_host *host)
{
        for (size_t i = 0; i < host->n_entries; i++)
                free(host->entries[i].link_target);
        *host = (struct nsl_host){ 0 };
}
