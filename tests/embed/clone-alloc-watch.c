/* LD_PRELOAD'ed into tests/embed/embed.c (test_install.py): counts every
 * call of the malloc family made by a clone of the process that loaded it
 * before that clone's execve, which a clone of a threaded caller must never
 * make (docs/design.md), in a mapping the clones share; the loading
 * process writes them, with their call stacks, to $NSL_ALLOC_REPORT at its
 * exit. A process that executes starts afresh here, with nothing to report. */
#define _GNU_SOURCE
#include <execinfo.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#define KEPT 64

struct call {
        char what[8];
        int pid;
        int n_frames;
        void *frames[24];
};

struct calls {
        int n;
        struct call kept[KEPT];
};

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t size);
extern void __libc_free(void *p);

static struct calls *calls;
static pid_t loader;
static __thread int noting;

static void note(const char *what)
{
        if (!calls || noting)
                return;
        pid_t pid = (pid_t)syscall(SYS_getpid);
        if (pid == loader)
                return;
        noting = 1;
        int i = __atomic_fetch_add(&calls->n, 1, __ATOMIC_SEQ_CST);
        if (i < KEPT) {
                struct call *c = &calls->kept[i];
                strncpy(c->what, what, sizeof c->what - 1);
                c->pid = pid;
                c->n_frames = backtrace(c->frames, 24);
        }
        noting = 0;
}

__attribute__((constructor)) static void watch(void)
{
        void *warm[1];

        backtrace(warm, 1);     /* loads libgcc_s now, not in a clone */
        loader = (pid_t)syscall(SYS_getpid);
        void *p = mmap(NULL, sizeof *calls, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        calls = p == MAP_FAILED ? NULL : p;
}

__attribute__((destructor)) static void report(void)
{
        const char *path = getenv("NSL_ALLOC_REPORT");
        struct calls *seen = calls;

        if (!seen || !path || (pid_t)syscall(SYS_getpid) != loader || !seen->n)
                return;
        calls = NULL;
        int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0)
                return;
        dprintf(fd, "%d calls of the malloc family in clones of %d\n", seen->n, loader);
        for (int i = 0; i < seen->n && i < KEPT; i++) {
                dprintf(fd, "%s in %d:\n", seen->kept[i].what, seen->kept[i].pid);
                backtrace_symbols_fd(seen->kept[i].frames, seen->kept[i].n_frames, fd);
        }
        close(fd);
}

void *malloc(size_t size)
{
        note("malloc");
        return __libc_malloc(size);
}

void *calloc(size_t n, size_t size)
{
        note("calloc");
        return __libc_calloc(n, size);
}

void *realloc(void *p, size_t size)
{
        note("realloc");
        return __libc_realloc(p, size);
}

void free(void *p)
{
        if (p)
                note("free");
        __libc_free(p);
}
