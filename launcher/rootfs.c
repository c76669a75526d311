/* `nslaunch rootfs` runs the nslaunch-rootfs helper: first the one next to
 * this very binary (/proc/self/exe, so a build tree or a copied pair works),
 * then the one installed in libexecdir. A candidate is opened once and
 * executed through that fd, and only when root or the caller owns it and
 * nobody else may write it. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "nslaunch.h"
#include "rootfs.h"

#ifndef NSL_LIBEXECDIR
#define NSL_LIBEXECDIR "/usr/local/libexec"
#endif
#define HELPER "nslaunch-rootfs"

extern char **environ;

static int open_trusted(const char *path)
{
        int fd = open(path, O_PATH | O_CLOEXEC);
        struct stat st;

        if (fd < 0)
                return -1;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid != geteuid()) ||
            (st.st_mode & 022)) {
                close(fd);
                errno = EPERM;
                return -1;
        }
        return fd;
}

int nsl_cmd_rootfs(int argc, char **argv)
{
        char self[PATH_MAX], path[PATH_MAX + sizeof HELPER];
        ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
        int fd = -1;

        (void)argc;
        if (n > 0) {
                self[n] = '\0';
                *strrchr(self, '/') = '\0';
                snprintf(path, sizeof path, "%s/%s", self, HELPER);
                fd = open_trusted(path);
        }
        if (fd < 0)
                fd = open_trusted(NSL_LIBEXECDIR "/" HELPER);
        if (fd < 0) {
                fprintf(stderr, "nslaunch: rootfs: %s: not found next to nslaunch or in %s (or not owned by root "
                                "or you, or writable by others)\n", HELPER, NSL_LIBEXECDIR);
                return NSL_EXIT_LAUNCHER;
        }
        argv[0] = (char *)HELPER;
        execveat(fd, "", argv, environ, AT_EMPTY_PATH);
        fprintf(stderr, "nslaunch: rootfs: cannot execute %s: %s\n", HELPER, strerror(errno));
        return NSL_EXIT_LAUNCHER;
}
