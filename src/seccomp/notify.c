#include "notify.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <seccomp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "../fds.h"
#include "../proc-status.h"
#include "../result.h"
#include "bpf-run.h"
#include "compile.h"
#include "notify-filter.h"

#define MAX_ERRNO 4095
#define SPIN_TRIES 2000
#define TAKE_LISTENER_TRIES (SPIN_TRIES + 20000)     /* then 50 µs apart: a second */

static bool is_listener(int fd)
{
        char link[64], target[64];
        ssize_t n;

        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        n = readlink(link, target, sizeof target - 1);
        if (n < 0)
                return false;
        target[n] = '\0';
        return !strcmp(target, "anon_inode:seccomp notify");
}

int nsl_notify_take_listener(struct nsl_notify *n, int payload_pidfd, int number, nsl_error *error)
{
        const struct timespec pause = { .tv_nsec = 50 * 1000 };

        /* The load takes some 100 µs: spin (yielding) first, as a sleep
         * costs a timer tick on a busy machine, then back off. */
        for (int i = 0; i < TAKE_LISTENER_TRIES; i++) {
                int fd = (int)syscall(SYS_pidfd_getfd, payload_pidfd, number, 0);
                if (fd >= 0) {
                        if (!is_listener(fd)) {
                                close(fd);
                                return nsl_fail(error, EBADF, "seccomp-report", "listener",
                                                "fd %d of the payload is not a seccomp listener", number);
                        }
                        n->listener = fd;
                        return 0;
                }
                if (errno != EBADF)
                        return nsl_fail(error, errno, "seccomp-report", "pidfd_getfd", NULL);
                if (i < SPIN_TRIES)
                        sched_yield();
                else
                        nanosleep(&pause, NULL);
        }
        return nsl_fail(error, ETIMEDOUT, "seccomp-report", "listener", "the payload never loaded its filter");
}

static void read_comm(pid_t pid, char comm[16])
{
        _cleanup_free_ char *text = NULL;
        char path[32];
        size_t len;

        snprintf(path, sizeof path, "/proc/%d/comm", (int)pid);
        if (nsl_read_file(path, 64, &text, &len) < 0 || len == 0) {
                strcpy(comm, "?");
                return;
        }
        text[strcspn(text, "\n")] = '\0';
        snprintf(comm, 16, "%s", text);
}

static pid_t thread_group(pid_t pid)
{
        char path[32], status[16384];
        const char *tgid;

        snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
        if (nsl_read_once(AT_FDCWD, path, 0, status, sizeof status) < 0)
                return pid;
        tgid = nsl_proc_status_field(status, "Tgid");
        return tgid ? (pid_t)atoi(tgid) : pid;
}

#define X32_SYSCALL_BIT 0x40000000
#define MAX_UNNAMED 16  /* "#NR" kinds kept per table before they count as "#other" */

/* x32's calls come through the x86_64 entry with a high bit set: they are
 * named from libseccomp's x32 table, under x32. */
static void syscall_name(uint32_t arch, int nr, char out[32], char label[12])
{
        char *name;

        if (arch == SCMP_ARCH_X86_64 && (nr & X32_SYSCALL_BIT))
                arch = SCMP_ARCH_X32;
        name = seccomp_syscall_resolve_num_arch(arch, nr);
        if (!name && arch == SCMP_ARCH_X32)
                name = seccomp_syscall_resolve_num_arch(arch, nr & ~X32_SYSCALL_BIT);
        if (name)
                snprintf(out, 32, "%s", name);
        else
                snprintf(out, 32, "#%d", nr);
        free(name);
        snprintf(label, 12, "%s", nsl_sc_arch_label(arch));
}

static nsl_seccomp_denial *find_kind(nsl_result *r, const nsl_seccomp_denial *kind)
{
        for (size_t i = 0; i < r->n_denials; i++) {
                nsl_seccomp_denial *e = &r->denials[i];
                if (!strcmp(e->syscall, kind->syscall) && !strcmp(e->arch, kind->arch) &&
                    e->errnum == kind->errnum && e->killed == kind->killed)
                        return e;
        }
        return NULL;
}

static size_t unnamed_kinds(const nsl_result *r)
{
        size_t n = 0;
        for (size_t i = 0; i < r->n_denials; i++)
                n += r->denials[i].syscall[0] == '#';
        return n;
}

/* A new kind, in a table that grows as needed: the payload cannot push one
 * kind out with others, as there are only so many syscalls. */
static nsl_seccomp_denial *add_kind(nsl_result *r, const nsl_seccomp_denial *kind)
{
        if (r->n_denials == NSL_MAX_DENIALS)
                return NULL;
        if (nsl_result_table_room((void **)&r->denials, r->n_denials, sizeof *r->denials) < 0)
                return NULL;
        r->denials[r->n_denials] = *kind;
        return &r->denials[r->n_denials++];
}

static void count_caller(nsl_seccomp_denial *e, const char comm[16], int pid)
{
        e->count++;
        for (size_t i = 0; i < e->n_callers; i++)
                if (!strcmp(e->callers[i].comm, comm))
                        return;
        if (e->n_callers == NSL_DENIAL_CALLERS) {
                e->calls_by_others++;
                return;
        }
        snprintf(e->callers[e->n_callers].comm, sizeof e->callers[0].comm, "%s", comm);
        e->callers[e->n_callers++].pid = pid;
}

static void record_denial(struct nsl_notify *n, const struct seccomp_notif *req, int errnum, bool killed)
{
        nsl_result *r = n->result;
        nsl_seccomp_denial kind = { .errnum = errnum, .killed = killed };
        nsl_seccomp_denial *e;
        char comm[16];

        read_comm((pid_t)req->pid, comm);
        if (ioctl(n->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
                strcpy(comm, "?");      /* the caller died: the pid may name another process now */
        syscall_name(req->data.arch, req->data.nr, kind.syscall, kind.arch);
        e = find_kind(r, &kind);
        if (!e && kind.syscall[0] == '#' && unnamed_kinds(r) >= MAX_UNNAMED) {
                strcpy(kind.syscall, "#other");
                e = find_kind(r, &kind);
        }
        if (!e)
                e = add_kind(r, &kind);
        if (!e) {
                r->denials_dropped++;
                return;
        }
        count_caller(e, comm, (int)req->pid);
}

static void record_made(struct nsl_notify *n, const struct seccomp_notif *req)
{
        if (req->data.arch == n->native_arch && req->data.nr >= 0 && req->data.nr < NSL_MAX_LEARNED_NR)
                n->result->learned[req->data.nr / 64] |= 1ULL << (req->data.nr % 64);
}

/* The kernel kills with SIGSYS itself; the supervisor can only end the
 * process with SIGKILL (a thread-only kill takes the whole process too). The
 * caller is still blocked in our notification: its pid is its own. */
static void end_caller(struct nsl_notify *n, const struct seccomp_notif *req, int sig)
{
        pid_t tgid = thread_group((pid_t)req->pid);

        if (ioctl(n->listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &req->id) < 0)
                return;
        if (sig == SIGKILL)
                kill(tgid, SIGKILL);
        else
                syscall(SYS_tgkill, tgid, req->pid, sig);
}

static void answer(struct nsl_notify *n, const struct seccomp_notif *req, struct seccomp_notif_resp *resp)
{
        uint32_t action;

        if (req->data.arch == n->native_arch && req->data.nr == NSL_NOTIFY_MARKER) {
                resp->error = n->marker_answered ? -ENOSYS : 0;
                n->marker_answered = true;
                return;
        }
        action = nsl_bpf_run(n->filter, n->filter_len, &req->data);
        switch (action & SECCOMP_RET_ACTION_FULL) {
        case SECCOMP_RET_ALLOW:
        case SECCOMP_RET_LOG:
                record_made(n, req);
                resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
                return;
        case SECCOMP_RET_ERRNO: {
                int errnum = (int)(action & SECCOMP_RET_DATA);
                if (errnum > MAX_ERRNO)
                        errnum = MAX_ERRNO;
                record_denial(n, req, errnum, false);
                resp->error = -errnum;
                return;
        }
        case SECCOMP_RET_TRAP:
                record_denial(n, req, ENOSYS, false);
                end_caller(n, req, SIGSYS);
                resp->error = -ENOSYS;
                return;
        case SECCOMP_RET_KILL_PROCESS:
        case SECCOMP_RET_KILL_THREAD:
                record_denial(n, req, 0, true);
                end_caller(n, req, SIGKILL);
                resp->error = -ENOSYS;
                return;
        default:
                resp->error = -ENOSYS;
        }
}

void nsl_notify_handle(struct nsl_notify *n)
{
        struct seccomp_notif req;
        struct seccomp_notif_resp resp;

        memset(&req, 0, sizeof req);
        if (ioctl(n->listener, SECCOMP_IOCTL_NOTIF_RECV, &req) < 0)
                return;         /* the caller died meanwhile (ENOENT), or EINTR: poll again */
        resp = (struct seccomp_notif_resp){ .id = req.id };
        answer(n, &req, &resp);
        (void)ioctl(n->listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

void nsl_notify_close(struct nsl_notify *n)
{
        if (n->listener >= 0)
                close(n->listener);
        n->listener = -1;
}
