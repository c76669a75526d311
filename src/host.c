#include "host.h"

#include <errno.h>
#include <inttypes.h>
#include <linux/capability.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
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

static bool holds_set_id_caps(void)
{
        struct __user_cap_header_struct header = { .version = _LINUX_CAPABILITY_VERSION_3 };
        struct __user_cap_data_struct data[2] = { { 0 } };
        const uint32_t wanted = 1U << CAP_SETUID | 1U << CAP_SETGID;

        return syscall(SYS_capget, &header, data) == 0 && (data[0].effective & wanted) == wanted;
}

/* A namespace whose setgroups is denied passes the denial on to every
 * namespace made in it: supplementary groups could never be set there. */
static bool setgroups_allowed_here(void)
{
        _cleanup_file_ FILE *f = fopen("/proc/self/setgroups", "re");
        char word[16] = "";

        return f && fgets(word, sizeof word, f) && strncmp(word, "allow", 5) == 0;
}

/* uid 0 of a user namespace of its own with ids to give */
static bool namespace_root_maps_ids(void)
{
        return geteuid() == 0 && holds_set_id_caps() && setgroups_allowed_here();
}

bool nsl_host_maps_ids(void)
{
        return nsl_host_root() || namespace_root_maps_ids();
}

/* selinuxfs is mounted where SELinux is enabled (libselinux asks the same) */
bool nsl_host_selinux_enabled(void)
{
        return access("/sys/fs/selinux/enforce", F_OK) == 0;
}

bool nsl_host_apparmor_enabled(void)
{
        _cleanup_file_ FILE *f = fopen("/sys/module/apparmor/parameters/enabled", "re");

        return f && fgetc(f) == 'Y';
}

static const char *map_path(char kind)
{
        return kind == 'u' ? "/proc/self/uid_map" : "/proc/self/gid_map";
}

/* The next line of the caller's uid_map or gid_map; false at its end. */
static bool next_range(FILE *f, struct nsl_id_range *range)
{
        uint32_t inside, outside, count;

        if (fscanf(f, "%" SCNu32 " %" SCNu32 " %" SCNu32, &inside, &outside, &count) != 3)
                return false;
        *range = (struct nsl_id_range){ inside, outside, count };
        return true;
}

int nsl_host_identity_map(char kind, struct nsl_id_range *ranges, size_t max, size_t *n, nsl_error *error)
{
        _cleanup_file_ FILE *f = fopen(map_path(kind), "re");
        struct nsl_id_range range;

        *n = 0;
        if (!f)
                return nsl_fail(error, errno, "idmap", map_path(kind), NULL);
        while (next_range(f, &range)) {
                if (*n == max)
                        return nsl_fail(error, E2BIG, "idmap", map_path(kind), "more than %zu lines", max);
                ranges[(*n)++] = (struct nsl_id_range){ range.inside, range.inside, range.count };
        }
        return 0;
}

int nsl_host_uid(uid_t *uid, nsl_error *error)
{
        _cleanup_file_ FILE *f = fopen(map_path('u'), "re");
        struct nsl_id_range range;
        uid_t euid = geteuid();

        if (!f)
                return nsl_fail(error, errno, "idmap", map_path('u'), NULL);
        while (next_range(f, &range))
                if (euid >= range.inside && euid - range.inside < range.count) {
                        *uid = range.outside + (euid - range.inside);
                        return 0;
                }
        return nsl_fail(error, ENOENT, "idmap", map_path('u'), "the caller's uid %u is not mapped", (unsigned)euid);
}

int nsl_host_gather(const struct nsl_spec *spec, struct nsl_host *host, nsl_error *error)
{
        int r;

        *host = (struct nsl_host){ .euid = geteuid(), .egid = getegid(), .root = nsl_host_root() };
        host->maps_ids = host->root || namespace_root_maps_ids();
        /* a file read every launch would pay for what few ask */
        host->apparmor = spec->apparmor_profile && nsl_host_apparmor_enabled();
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
