/* Denial of service from inside: fork bomb, memory hog, disk fill of a
 * directory, fd exhaustion, pipe buffers charged to the host user.  Reports on stdout (unbuffered) when it hits
 * the limit, then keeps pressing until it is killed or SECONDS pass. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "guard.h"

static time_t until;

static int more(void)
{
        return time(NULL) < until;
}

int main(int argc, char **argv)
{
        nsl_refuse_outside_sandbox("hog");

        if (argc < 3) {
                fprintf(stderr, "usage: hog fork|memory|disk DIR|fds|pipes N SECONDS\n");
                return 2;
        }
        setvbuf(stdout, NULL, _IONBF, 0);
        until = time(NULL) + atoi(argv[argc - 1]);
        if (!strcmp(argv[1], "fork")) {
                int said = 0;
                while (more()) {
                        pid_t p = fork();
                        if (p < 0 && !said) {
                                said = 1;
                                printf("fork refused: %s\n", strerror(errno));
                        }
                        if (p == 0)
                                said = 1;       /* children press on, quietly */
                }
                return 0;
        }
        if (!strcmp(argv[1], "memory")) {
                size_t total = 0;
                while (more()) {
                        char *p = malloc(1 << 20);
                        if (!p) {
                                printf("malloc refused after %zu MiB\n", total >> 20);
                                break;
                        }
                        memset(p, 1, 1 << 20);
                        total += 1 << 20;
                }
                return 0;
        }
        if (!strcmp(argv[1], "disk") && argc == 4) {
                char path[4096], buf[65536];
                long long total = 0;
                memset(buf, 'x', sizeof buf);
                snprintf(path, sizeof path, "%s/fill", argv[2]);
                int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                if (fd < 0) {
                        printf("open %s: %s\n", path, strerror(errno));
                        return 1;
                }
                for (;;) {
                        ssize_t n = write(fd, buf, sizeof buf);
                        if (n <= 0) {
                                printf("disk full after %lld KiB: %s\n", total >> 10, strerror(errno));
                                break;
                        }
                        total += n;
                }
                while (more())
                        sleep(1);
                return 0;
        }
        if (!strcmp(argv[1], "fds")) {
                long n = 0;
                while (open("/dev/null", O_RDONLY) >= 0)
                        n++;
                printf("fds refused after %ld: %s\n", n, strerror(errno));
                while (more())
                        sleep(1);
                return 0;
        }
        if (!strcmp(argv[1], "pipes") && argc == 4) {
                /* each pipe's buffer counts against the host uid's
                 * pipe-user-pages-soft: past it, that uid's new pipes get
                 * one or two pages instead of sixteen */
                long n = 0, want = atol(argv[2]);
                int fds[2];
                while (n < want && pipe(fds) == 0)
                        n++;
                printf("holding %ld pipes\n", n);
                while (more())
                        sleep(1);
                return 0;
        }
        return 2;
}
