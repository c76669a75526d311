/* An embedder of the installed libnslaunch: 50 sandboxes from 4 threads with
 * the handle API, each with its own pipes as stdio, some killed, all
 * waited for, while two more threads rename themselves all along; then a
 * sandbox created here and started by another process (this program
 * again, run as "embed start FD"); then one created by another process
 * that detaches it and exits, started through a FIFO by a third, and
 * reaped here as a subreaper; and nsl_run of a command that leaves a
 * process running, which must return with nothing of the sandbox left,
 * init reaped included, and (as root) the same in the caller's own pid
 * namespace with a cgroup tree; and the caller's function called while init
 * builds (nsl_spec_on_init_started), once, and one that fails there.
 * Checks that the caller's supplementary groups, parent-death signal,
 * signal mask and fd table are exactly as before, and that no child is
 * left. Prints "embed: ok" or one line per failure and exits 1. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <nslaunch.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREADS 4
#define PER_THREAD 13   /* 52 sandboxes */

static int failures;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool sandboxes_made;

#define check(cond, ...) do { \
        if (!(cond)) { \
                pthread_mutex_lock(&lock); \
                failures++; \
                fprintf(stderr, "embed: " __VA_ARGS__); \
                fputc('\n', stderr); \
                pthread_mutex_unlock(&lock); \
        } \
} while (0)

static void print_error(const char *what, const nsl_error *error)
{
        char line[1200];
        nsl_error_format(error, line, sizeof line);
        check(0, "%s: %s", what, line);
}

/* What must be the same after as before. */
struct caller_state {
        gid_t groups[64];
        int n_groups;
        int pdeathsig;
        sigset_t mask;
        char fds[4096];
};

static void fd_table(char *out, size_t len)
{
        DIR *d = opendir("/proc/self/fd");
        size_t used = 0;
        out[0] = '\0';
        for (struct dirent *de; d && (de = readdir(d));) {
                char path[300], target[256];
                ssize_t n;
                if (de->d_name[0] == '.' || atoi(de->d_name) == dirfd(d))
                        continue;
                snprintf(path, sizeof path, "/proc/self/fd/%s", de->d_name);
                n = readlink(path, target, sizeof target - 1);
                target[n < 0 ? 0 : n] = '\0';
                used += (size_t)snprintf(out + used, len - used, "%s=%s ", de->d_name, target);
        }
        if (d)
                closedir(d);
}

static void caller_state(struct caller_state *s)
{
        memset(s, 0, sizeof *s);
        s->n_groups = getgroups(64, s->groups);
        prctl(PR_GET_PDEATHSIG, &s->pdeathsig);
        pthread_sigmask(SIG_BLOCK, NULL, &s->mask);
        fd_table(s->fds, sizeof s->fds);
}

static nsl_spec *spec_for(char *const argv[], int in, int out, int err)
{
        nsl_error error;
        nsl_spec *spec = nsl_spec_new();
        if (!spec || nsl_spec_set_command(spec, argv, &error) < 0 || nsl_spec_set_stdio(spec, in, out, err, &error) < 0 ||
            nsl_spec_set_timeout(spec, "20", &error) < 0) {
                if (spec)
                        print_error("spec", &error);
                nsl_spec_free(spec);
                return NULL;
        }
        return spec;
}

static void read_all(int fd, char *buf, size_t len)
{
        size_t used = 0;
        ssize_t n;
        while (used < len - 1 && (n = read(fd, buf + used, len - 1 - used)) > 0)
                used += (size_t)n;
        buf[used] = '\0';
}

/* Sandbox number i: every fifth sleeps and is killed, the rest echo their
 * input to stdout and a line to stderr. */
static void one_sandbox(int i)
{
        int in[2], out[2], err[2];
        char script[128], expect[64], got[256], got_err[256];
        bool killed = i % 5 == 0;

        if (pipe2(in, O_CLOEXEC) || pipe2(out, O_CLOEXEC) || pipe2(err, O_CLOEXEC)) {
                check(0, "pipe: %s", strerror(errno));
                return;
        }
        snprintf(script, sizeof script, killed ? "echo started; exec sleep 30" : "read line; echo \"$line\"; echo e%d >&2", i);
        char *argv[] = { "/bin/sh", "-c", script, NULL };
        nsl_spec *spec = spec_for(argv, in[0], out[1], err[1]);
        nsl_sandbox *sb = NULL;
        nsl_result result = { 0 };
        nsl_error error;

        if (spec && nsl_sandbox_create(spec, &sb, &error) < 0)
                print_error("create", &error);
        nsl_spec_free(spec);
        close(in[0]);
        close(out[1]);
        close(err[1]);
        if (sb && nsl_sandbox_start(sb, &error) < 0)
                print_error("start", &error);
        snprintf(expect, sizeof expect, "sandbox %d\n", i);
        if (!killed && write(in[1], expect, strlen(expect)) < 0)
                check(0, "write: %s", strerror(errno));
        close(in[1]);
        if (sb && killed) {
                read_all(out[0], got, 9);       /* "started\n": the command runs */
                check(!strcmp(got, "started\n"), "sandbox %d: no start line: '%s'", i, got);
                check(nsl_sandbox_wait(sb, 0, &result, &error) == -ETIMEDOUT, "sandbox %d: ended too early", i);
                if (nsl_sandbox_kill(sb, i % 10 == 0 ? SIGKILL : SIGTERM, i % 10 == 0, &error) < 0)
                        print_error("kill", &error);
        }
        if (sb && nsl_sandbox_wait(sb, -1, &result, &error) < 0)
                print_error("wait", &error);
        else if (sb && killed)
                check(result.signal == (i % 10 == 0 ? SIGKILL : SIGTERM), "sandbox %d: signal %d", i, result.signal);
        else if (sb) {
                read_all(out[0], got, sizeof got);
                read_all(err[0], got_err, sizeof got_err);
                snprintf(script, sizeof script, "e%d\n", i);
                check(result.exit_code == 0, "sandbox %d: exit %d", i, result.exit_code);
                check(!strcmp(got, expect), "sandbox %d: stdout '%s'", i, got);
                check(!strcmp(got_err, script), "sandbox %d: stderr '%s'", i, got_err);
        }
        nsl_result_release(&result);
        nsl_sandbox_free(sb);
        close(out[0]);
        close(err[0]);
}

/* Threads of the caller's that rename themselves all along, while others
 * make sandboxes. A clone gets a copy of a lock another thread holds, held
 * for ever: AddressSanitizer's prctl takes its thread registry's lock for a
 * new name, so a sandbox whose init named itself through it would hang. */
static void *rename_all_along(void *arg)
{
        while (!atomic_load(&sandboxes_made))
                prctl(PR_SET_NAME, "embed-renamer");
        return arg;
}

static void *thread_main(void *arg)
{
        int first = (int)(intptr_t)arg * PER_THREAD;
        for (int i = first; i < first + PER_THREAD; i++)
                one_sandbox(i);
        return NULL;
}

/* What nsl_spec_on_init_started's function saw: called once, here, with
 * init's pid and a pidfd, before create returned. */
struct init_seen {
        int calls;
        pid_t pid;
        bool pidfd_open;
};

static int note_init(pid_t init_pid, int init_pidfd, void *data, nsl_error *error)
{
        struct init_seen *seen = data;

        (void)error;
        seen->calls++;
        seen->pid = init_pid;
        seen->pidfd_open = init_pidfd >= 0 && fcntl(init_pidfd, F_GETFD) >= 0;
        return 0;
}

static int refuse_init(pid_t init_pid, int init_pidfd, void *data, nsl_error *error)
{
        (void)init_pid;
        (void)init_pidfd;
        ++*(int *)data;
        *error = (nsl_error){ .errnum = EPERM, .exit_code = 125 };
        snprintf(error->what, sizeof error->what, "embedder");
        snprintf(error->cause, sizeof error->cause, "refused at init-started");
        return -EPERM;
}

/* A function that fails there ends the sandbox: create fails with its
 * error, at that step, and no process is left (checked in main). */
static void refused_when_init_started(void)
{
        char *argv[] = { "/bin/true", NULL };
        nsl_spec *spec = spec_for(argv, -1, -1, -1);
        nsl_sandbox *sb = NULL;
        nsl_error error;
        int calls = 0;

        if (!spec)
                return;
        nsl_spec_on_init_started(spec, refuse_init, &calls);
        int r = nsl_sandbox_create(spec, &sb, &error);
        check(r == -EPERM && sb == NULL && calls == 1 && !strcmp(error.stage, "init-started") &&
                      !strcmp(error.cause, "refused at init-started"),
              "a failing init-started function: create returned %d, called %d times, stage '%s', cause '%s'", r, calls,
              error.stage, error.cause);
        nsl_sandbox_free(sb);
        nsl_spec_free(spec);
}

/* Created here, started by another process given the start handle. */
static void started_elsewhere(const char *self)
{
        int out[2];
        char got[64];
        char *argv[] = { "/bin/echo", "started elsewhere", NULL };
        nsl_error error;
        nsl_result result = { 0 };
        nsl_sandbox *sb = NULL;

        struct init_seen seen = { 0 };

        if (pipe2(out, O_CLOEXEC) < 0)
                return;
        nsl_spec *spec = spec_for(argv, -1, out[1], -1);
        if (spec)
                nsl_spec_on_init_started(spec, note_init, &seen);
        if (spec && nsl_sandbox_create(spec, &sb, &error) < 0)
                print_error("create", &error);
        nsl_spec_free(spec);
        close(out[1]);
        if (!sb)
                return;
        check(seen.calls == 1 && seen.pid == nsl_sandbox_pid(sb) && seen.pidfd_open,
              "init-started: called %d times, pid %d (init %d), pidfd %s", seen.calls, (int)seen.pid,
              (int)nsl_sandbox_pid(sb), seen.pidfd_open ? "open" : "not open");
        check(nsl_sandbox_wait(sb, 200, &result, &error) == -ETIMEDOUT, "the sandbox ran before it was started");
        /* a cgroup of nslaunch's own (or none) is nobody's to keep */
        check(nsl_sandbox_keep_cgroup(sb, &error) == -EINVAL && !strcmp(error.what, "keep-cgroup"),
              "keep-cgroup without an exact path: '%s'", error.cause);
        pid_t starter = fork();
        if (starter == 0) {
                char fd[16];
                int handle = dup(nsl_sandbox_start_handle(sb));     /* dup: without close-on-exec */
                snprintf(fd, sizeof fd, "%d", handle);
                execl(self, self, "start", fd, (char *)NULL);
                _exit(127);
        }
        int status = -1;
        waitpid(starter, &status, 0);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the starter failed: %d", status);
        if (nsl_sandbox_wait(sb, -1, &result, &error) < 0)
                print_error("wait (started elsewhere)", &error);
        read_all(out[0], got, sizeof got);
        check(result.exit_code == 0 && !strcmp(got, "started elsewhere\n"), "started elsewhere: exit %d, '%s'",
              result.exit_code, got);
        nsl_result_release(&result);
        nsl_sandbox_free(sb);
        close(out[0]);
}

/* "embed create-detached FIFO OUT": creates a sandbox started through FIFO,
 * its stdout OUT, detaches it and exits, as an OCI runtime's create does. */
static int create_detached(const char *fifo, const char *out_path)
{
        char *argv[] = { "/bin/sh", "-c", "echo detached; exit 3", NULL };
        int out = open(out_path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        nsl_spec *spec = spec_for(argv, -1, out, -1);
        nsl_sandbox *sb = NULL;
        nsl_error error;

        if (!spec || nsl_spec_set_start_fifo(spec, fifo, &error) < 0 || nsl_sandbox_create(spec, &sb, &error) < 0 ||
            nsl_sandbox_detach(sb, &error) < 0) {
                print_error("create-detached", &error);
                return 1;
        }
        nsl_spec_free(spec);
        return 0;
}

/* The creating process exits, another starts the sandbox through its FIFO,
 * and init, now this process's child (a subreaper), exits with the
 * command's status. */
static void run_leaving_a_process(void)
{
        char *argv[] = { "/bin/sh", "-c", "sleep 30 & exit 6", NULL };
        nsl_spec *spec = nsl_spec_new();
        nsl_result result;
        nsl_error error;

        check(spec && nsl_spec_set_command(spec, argv, &error) == 0, "nsl_run: spec");
        int r = nsl_run(spec, &result, &error);
        if (r < 0)
                print_error("nsl_run", &error);
        check(r == 0 && result.exit_code == 6, "nsl_run: exit code %d", result.exit_code);
        check(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "nsl_run returned with a child left");
        nsl_result_release(&result);
        nsl_spec_free(spec);
}

/* As root: a sandbox in the caller's own pid namespace (and so a cgroup of
 * its own, a limit's), with a cgroup tree at /sys/fs/cgroup, whose command
 * leaves a process behind. init reads its cgroups to make the tree, and
 * walks the processes left to end them: reads a clone must make without
 * allocating (clone-alloc-watch.c). */
static void shared_pid_with_a_cgroup_tree(void)
{
        char *argv[] = { "/bin/sh", "-c", "sleep 30 & ls /sys/fs/cgroup | grep -q .", NULL };
        nsl_spec *spec = nsl_spec_new();
        nsl_result result = { 0 };
        nsl_error error;

        if (!spec || nsl_spec_set_command(spec, argv, &error) < 0 ||
            nsl_spec_join_namespace(spec, "pid", "/proc/self/ns/pid", &error) < 0 ||
            nsl_spec_set_pids(spec, "64", &error) < 0) {
                print_error("shared pid: spec", &error);
                nsl_spec_free(spec);
                return;
        }
        nsl_spec_set_cgroupfs(spec, true);
        if (nsl_run(spec, &result, &error) < 0)
                print_error("shared pid", &error);
        else
                check(result.exit_code == 0, "shared pid: exit code %d (no cgroup tree?)", result.exit_code);
        check(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "shared pid: a child is left");
        nsl_result_release(&result);
        nsl_spec_free(spec);
}

static void detached_and_started_by_fifo(const char *self)
{
        char dir[] = "/tmp/nsl-embed-XXXXXX", fifo[64], out[64], got[64];
        int status = -1;

        if (!mkdtemp(dir)) {
                check(0, "mkdtemp: %s", strerror(errno));
                return;
        }
        snprintf(fifo, sizeof fifo, "%s/start", dir);
        snprintf(out, sizeof out, "%s/out", dir);
        check(mkfifo(fifo, 0600) == 0, "mkfifo: %s", strerror(errno));
        pid_t creator = fork();
        if (creator == 0) {
                execl(self, self, "create-detached", fifo, out, (char *)NULL);
                _exit(127);
        }
        waitpid(creator, &status, 0);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the creator failed: %d", status);
        check(waitpid(-1, NULL, WNOHANG) == 0, "the detached sandbox did not outlive its creator");
        pid_t starter = fork();
        if (starter == 0) {
                execl(self, self, "start-fifo", fifo, (char *)NULL);
                _exit(127);
        }
        waitpid(starter, &status, 0);
        check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "the starter failed: %d", status);
        pid_t init = waitpid(-1, &status, 0);           /* the sandbox's init, reparented to us */
        check(init > 0 && WIFEXITED(status) && WEXITSTATUS(status) == 3, "detached sandbox: init %d, status %d",
              (int)init, status);
        int fd = open(out, O_RDONLY | O_CLOEXEC);
        read_all(fd, got, sizeof got);
        close(fd);
        check(!strcmp(got, "detached\n"), "detached sandbox: stdout '%s'", got);
        unlink(fifo);
        unlink(out);
        rmdir(dir);
}

int main(int argc, char **argv)
{
        struct caller_state before, after;
        pthread_t threads[THREADS];
        sigset_t blocked;
        nsl_error error;

        if (argc == 4 && !strcmp(argv[1], "create-detached"))
                return create_detached(argv[2], argv[3]);
        if (argc == 3 && !strcmp(argv[1], "start-fifo")) {
                if (nsl_sandbox_start_fifo(argv[2], &error) < 0) {
                        print_error("start-fifo", &error);
                        return 1;
                }
                return 0;
        }
        if (argc == 3 && !strcmp(argv[1], "start")) {
                if (nsl_sandbox_start_fd(atoi(argv[2]), &error) < 0) {
                        print_error("start", &error);
                        return 1;
                }
                return 0;
        }
        /* a caller with state of its own, which must stay as it is */
        if (getuid() == 0) {
                gid_t groups[] = { 4, 24, 100 };
                setgroups(3, groups);
        }
        prctl(PR_SET_PDEATHSIG, SIGCONT);
        sigemptyset(&blocked);
        sigaddset(&blocked, SIGUSR2);
        pthread_sigmask(SIG_BLOCK, &blocked, NULL);
        caller_state(&before);

        pthread_t renamers[2];
        for (int t = 0; t < 2; t++)
                pthread_create(&renamers[t], NULL, rename_all_along, NULL);
        for (int t = 0; t < THREADS; t++)
                pthread_create(&threads[t], NULL, thread_main, (void *)(intptr_t)t);
        for (int t = 0; t < THREADS; t++)
                pthread_join(threads[t], NULL);
        atomic_store(&sandboxes_made, true);
        for (int t = 0; t < 2; t++)
                pthread_join(renamers[t], NULL);
        started_elsewhere(argv[0]);
        refused_when_init_started();
        run_leaving_a_process();
        if (getuid() == 0)
                shared_pid_with_a_cgroup_tree();
        prctl(PR_SET_CHILD_SUBREAPER, 1);
        detached_and_started_by_fifo(argv[0]);

        caller_state(&after);
        check(after.n_groups == before.n_groups &&
              !memcmp(after.groups, before.groups, sizeof(gid_t) * (size_t)(before.n_groups > 0 ? before.n_groups : 0)),
              "supplementary groups changed: %d -> %d", before.n_groups, after.n_groups);
        check(after.pdeathsig == before.pdeathsig, "parent-death signal %d -> %d", before.pdeathsig, after.pdeathsig);
        check(!memcmp(&after.mask, &before.mask, sizeof after.mask), "signal mask changed");
        check(!strcmp(after.fds, before.fds), "fd table changed:\n  before %s\n  after  %s", before.fds, after.fds);
        check(waitpid(-1, NULL, WNOHANG) < 0 && errno == ECHILD, "a child is left");
        if (failures)
                return 1;
        printf("embed: ok, %d sandboxes from %d threads, one started by another process, one detached\n",
               THREADS * PER_THREAD, THREADS);
        return 0;
}
