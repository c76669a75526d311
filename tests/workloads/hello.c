/* Small C workload for the seccomp profile: stdio, malloc, a pthread,
 * clock_gettime, a file under /tmp.  Prints "ok" and exits 0 on success.
 * Build at test time: cc -O2 -pthread -o hello hello.c */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static void *worker(void *arg)
{
    long *v = arg;
    for (int i = 0; i < 1000; i++)
        *v += i;
    return v;
}

#define CHECK(c) do { if (!(c)) { fprintf(stderr, "hello: check failed: %s (line %d)\n", #c, __LINE__); return 1; } } while (0)

int main(void)
{
    struct timespec a, b;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    CHECK(clock_gettime(CLOCK_REALTIME, &b) == 0 && b.tv_sec > 1500000000);

    size_t n = 1 << 20; /* big enough for mmap-backed malloc too */
    char *big = malloc(n);
    char *small = malloc(64);
    CHECK(big && small);
    memset(big, 'x', n);
    strcpy(small, "hello");
    big = realloc(big, 2 * n);
    CHECK(big && big[n - 1] == 'x');

    long v = 0;
    pthread_t t;
    void *ret;
    CHECK(pthread_create(&t, NULL, worker, &v) == 0);
    CHECK(pthread_join(t, &ret) == 0 && ret == &v && v == 499500);

    char path[] = "/tmp/hello-c-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    FILE *f = fopen(path, "w");
    CHECK(f);
    CHECK(fprintf(f, "%s %ld\n", small, v) > 0);
    CHECK(fclose(f) == 0);
    f = fopen(path, "r");
    CHECK(f);
    char buf[64] = {0};
    CHECK(fgets(buf, sizeof buf, f) && strcmp(buf, "hello 499500\n") == 0);
    fclose(f);
    CHECK(unlink(path) == 0);

    struct timespec c;
    CHECK(clock_gettime(CLOCK_MONOTONIC, &c) == 0);
    CHECK(c.tv_sec > a.tv_sec || (c.tv_sec == a.tv_sec && c.tv_nsec >= a.tv_nsec));
    free(big);
    free(small);
    printf("ok\n");
    return 0;
}
