/* The nslaunch command: argv -> nsl_spec -> nsl_run(_before_exit) -> exit status.
 * It only parses and prints; the library does the work. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "network/denials.h"
#include "nslaunch.h"
#include "nslaunch-version.h"
#include "rootfs.h"
#include "runc.h"
#include "tokens.h"
#include "usage.h"

enum {
        OPT_ROOTFS = 256, OPT_RW_ROOT, OPT_TMPFS, OPT_BIND, OPT_RO_BIND, OPT_DEVICE, OPT_NETWORK, OPT_ALLOW_EGRESS, OPT_DNS, OPT_UID, OPT_GID,
        OPT_HOST_UID, OPT_HOST_GID, OPT_HOSTNAME, OPT_PROC, OPT_ENV, OPT_ENV_FILE, OPT_KEEP_ENV, OPT_CWD,
        OPT_CAP_ADD, OPT_KEEP_FD, OPT_TIMEOUT, OPT_KILL_AFTER, OPT_DIE_WITH_PARENT, OPT_SECCOMP, OPT_SECCOMP_BPF,
        OPT_SECCOMP_CACHE, OPT_HELP, OPT_STRICT, OPT_ARCH, OPT_LINEAR, OPT_MEMORY, OPT_MEMORY_SWAP, OPT_CPUS,
        OPT_PIDS, OPT_CGROUP_PARENT, OPT_CGROUP_FILE, OPT_LIMITS, OPT_RLIMIT, OPT_STATUS_JSON, OPT_SECCOMP_REPORT, OPT_MERGE, OPT_IMAGE_DEFAULTS,
        OPT_OUTPUT, OPT_SECCOMP_STRICT, OPT_LANDLOCK, OPT_ALLOW_EXEC_WRITABLE, OPT_COMMAND_FROM,
        /* docker run's names for what nslaunch does */
        OPT_VOLUME, OPT_MOUNT, OPT_USER, OPT_PIDS_LIMIT, OPT_READ_ONLY, OPT_SECURITY_OPT, OPT_RM, OPT_INIT,
};

#define VALUE true
#define FLAG false

static const struct nsl_option_def run_options[] = {
        { "rootfs", 0, VALUE, OPT_ROOTFS },
        { "rw-root", 0, FLAG, OPT_RW_ROOT },
        { "tmpfs", 0, VALUE, OPT_TMPFS },
        { "bind", 0, VALUE, OPT_BIND },
        { "ro-bind", 0, VALUE, OPT_RO_BIND },
        { "device", 0, VALUE, OPT_DEVICE },
        { "network", 0, VALUE, OPT_NETWORK },
        { "allow-egress", 0, VALUE, OPT_ALLOW_EGRESS },
        { "dns", 0, VALUE, OPT_DNS },
        { "uid", 0, VALUE, OPT_UID },
        { "gid", 0, VALUE, OPT_GID },
        { "host-uid", 0, VALUE, OPT_HOST_UID },
        { "host-gid", 0, VALUE, OPT_HOST_GID },
        { "hostname", 0, VALUE, OPT_HOSTNAME },
        { "proc", 0, VALUE, OPT_PROC },
        { "env", 'e', VALUE, OPT_ENV },
        { "env-file", 0, VALUE, OPT_ENV_FILE },
        { "keep-env", 0, FLAG, OPT_KEEP_ENV },
        { "cwd", 0, VALUE, OPT_CWD },
        { "cap-add", 0, VALUE, OPT_CAP_ADD },
        { "keep-fd", 0, VALUE, OPT_KEEP_FD },
        { "timeout", 0, VALUE, OPT_TIMEOUT },
        { "kill-after", 0, VALUE, OPT_KILL_AFTER },
        { "die-with-parent", 0, FLAG, OPT_DIE_WITH_PARENT },
        { "seccomp", 0, VALUE, OPT_SECCOMP },
        { "seccomp-bpf", 0, VALUE, OPT_SECCOMP_BPF },
        { "seccomp-cache", 0, VALUE, OPT_SECCOMP_CACHE },
        { "seccomp-report", 0, FLAG, OPT_SECCOMP_REPORT },
        { "seccomp-strict", 0, FLAG, OPT_SECCOMP_STRICT },
        { "landlock", 0, VALUE, OPT_LANDLOCK },
        { "allow-exec-writable", 0, FLAG, OPT_ALLOW_EXEC_WRITABLE },
        { "merge", 0, VALUE, OPT_MERGE },               /* seccomp learn only */
        { "arch", 0, VALUE, OPT_ARCH },                 /* seccomp learn only */
        { "output", 'o', VALUE, OPT_OUTPUT },           /* seccomp learn only */
        { "memory", 'm', VALUE, OPT_MEMORY },
        { "memory-swap", 0, VALUE, OPT_MEMORY_SWAP },
        { "cpus", 0, VALUE, OPT_CPUS },
        { "pids", 0, VALUE, OPT_PIDS },
        { "cgroup-parent", 0, VALUE, OPT_CGROUP_PARENT },
        { "cgroup-file", 0, VALUE, OPT_CGROUP_FILE },
        { "limits", 0, VALUE, OPT_LIMITS },
        { "rlimit", 0, VALUE, OPT_RLIMIT },
        { "status-json", 0, VALUE, OPT_STATUS_JSON },
        { "command-from", 0, VALUE, OPT_COMMAND_FROM },
        { "image-defaults", 0, FLAG, OPT_IMAGE_DEFAULTS },
        { "help", 'h', FLAG, OPT_HELP },
        { "volume", 'v', VALUE, OPT_VOLUME },
        { "mount", 0, VALUE, OPT_MOUNT },
        { "workdir", 'w', VALUE, OPT_CWD },
        { "user", 'u', VALUE, OPT_USER },
        { "pids-limit", 0, VALUE, OPT_PIDS_LIMIT },
        { "read-only", 0, FLAG, OPT_READ_ONLY },
        { "security-opt", 0, VALUE, OPT_SECURITY_OPT },
        { "rm", 0, FLAG, OPT_RM },
        { "init", 0, FLAG, OPT_INIT },
        { 0 },
};

static const struct nsl_option_def seccomp_options[] = {
        { "strict", 0, FLAG, OPT_STRICT },
        { "linear", 0, FLAG, OPT_LINEAR },
        { "arch", 0, VALUE, OPT_ARCH },
        { "cap-add", 0, VALUE, OPT_CAP_ADD },
        { NULL, 'o', VALUE, OPT_OUTPUT },
        { "help", 'h', FLAG, OPT_HELP },
        { 0 },
};

static int print_error(const nsl_error *error)
{
        char line[1200];
        nsl_error_format(error, line, sizeof line);
        fprintf(stderr, "%s\n", line);
        return error->exit_code ? error->exit_code : NSL_EXIT_LAUNCHER;
}

static int usage_error(const char *what, const char *cause)
{
        fprintf(stderr, "nslaunch: %s: %s (see nslaunch --help)\n", what, cause);
        return NSL_EXIT_LAUNCHER;
}

/* A refused command line as a value, for run's --status-json too. */
static int refuse(nsl_error *error, const char *what, const char *object, const char *cause)
{
        *error = (nsl_error){ .errnum = EINVAL, .exit_code = NSL_EXIT_LAUNCHER };
        snprintf(error->what, sizeof error->what, "%s", what);
        snprintf(error->object, sizeof error->object, "%s", object);
        snprintf(error->cause, sizeof error->cause, "%s", cause);
        return -EINVAL;
}

static int usage_fail(nsl_error *error, const char *what, const char *cause)
{
        char line[200];
        snprintf(line, sizeof line, "%s (see nslaunch --help)", cause);
        return refuse(error, what, "", line);
}

static const char *token_problem(enum nsl_token token)
{
        switch (token) {
        case NSL_TOKEN_UNKNOWN: return "unknown option";
        case NSL_TOKEN_MISSING_VALUE: return "missing value";
        case NSL_TOKEN_UNEXPECTED_VALUE: return "takes no value";
        default: return NULL;
        }
}

/* docker --security-opt: the two that nslaunch has. */
static int apply_security_opt(nsl_spec *spec, const char *value, nsl_error *error)
{
        const char *sep = value + strcspn(value, "=:");
        size_t keylen = (size_t)(sep - value);

        if (keylen == 7 && !strncmp(value, "seccomp", 7) && *sep)
                return nsl_spec_set_seccomp(spec, sep + 1, error);
        if (keylen == 17 && !strncmp(value, "no-new-privileges", 17)) {
                /* the command always runs with no_new_privs (the no-new-privs stage) */
                if (!*sep || !strcmp(sep + 1, "true") || !strcmp(sep + 1, "1"))
                        return 0;
                return refuse(error, "--security-opt", value, "nslaunch always sets no_new_privs; it cannot be "
                                                              "turned off");
        }
        return refuse(error, "--security-opt", value, "not supported (nslaunch has seccomp=PROFILE|unconfined and "
                                                      "no-new-privileges)");
}

/* docker -e NAME: NAME's value from nslaunch's own environment, or nothing
 * when it has none (as docker). */
static bool env_name_valid(const char *name)
{
        if (!(isalpha((unsigned char)*name) || *name == '_'))
                return false;
        for (name++; *name; name++)
                if (!(isalnum((unsigned char)*name) || *name == '_'))
                        return false;
        return true;
}

static int apply_env(nsl_spec *spec, const char *arg, nsl_error *error)
{
        const char *value;
        char *assignment;
        int r;

        if (strchr(arg, '=') || !env_name_valid(arg))
                return nsl_spec_add_env(spec, arg, error);      /* the library says what is wrong */
        value = getenv(arg);
        if (!value)
                return 0;
        if (asprintf(&assignment, "%s=%s", arg, value) < 0)
                return usage_fail(error, "--env", strerror(ENOMEM));
        r = nsl_spec_add_env(spec, assignment, error);
        free(assignment);
        return r;
}

/* --cgroup-file NAME=VALUE */
static int apply_cgroup_file(nsl_spec *spec, const char *arg, nsl_error *error)
{
        const char *eq = strchr(arg, '=');
        char name[80];

        if (!eq || (size_t)(eq - arg) >= sizeof name)
                return refuse(error, "--cgroup-file", arg, "expected NAME=VALUE (a cgroup v2 file)");
        snprintf(name, sizeof name, "%.*s", (int)(eq - arg), arg);
        return nsl_spec_set_cgroup_v2_file(spec, name, eq + 1, error);
}

/* docker --pids-limit: -1 and 0 mean no limit, nslaunch's default. */
static int apply_pids_limit(nsl_spec *spec, const char *arg, nsl_error *error)
{
        return !strcmp(arg, "-1") || !strcmp(arg, "0") ? 0 : nsl_spec_set_pids(spec, arg, error);
}

static int apply_option(nsl_spec *spec, int opt, const char *arg, nsl_error *error)
{
        switch (opt) {
        case OPT_ROOTFS: return nsl_spec_set_rootfs(spec, arg, error);
        case OPT_RW_ROOT: nsl_spec_set_rw_root(spec, true); return 0;
        case OPT_READ_ONLY: nsl_spec_set_rw_root(spec, false); return 0;
        case OPT_TMPFS: return nsl_spec_add_tmpfs(spec, arg, error);
        case OPT_BIND: case OPT_VOLUME: return nsl_spec_add_bind(spec, arg, false, error);
        case OPT_RO_BIND: return nsl_spec_add_bind(spec, arg, true, error);
        case OPT_DEVICE: return nsl_spec_add_device(spec, arg, error);
        case OPT_MOUNT: return nsl_spec_add_mount(spec, arg, error);
        case OPT_NETWORK: return nsl_spec_set_network(spec, arg, error);
        case OPT_ALLOW_EGRESS: return nsl_spec_add_allow_egress(spec, arg, error);
        case OPT_DNS: return nsl_spec_add_dns(spec, arg, error);
        case OPT_UID: return nsl_spec_set_uid(spec, arg, error);
        case OPT_GID: return nsl_spec_set_gid(spec, arg, error);
        case OPT_HOST_UID: return nsl_spec_set_host_uid(spec, arg, error);
        case OPT_HOST_GID: return nsl_spec_set_host_gid(spec, arg, error);
        case OPT_HOSTNAME: return nsl_spec_set_hostname(spec, arg, error);
        case OPT_PROC: return nsl_spec_set_proc(spec, arg, error);
        case OPT_ENV: return apply_env(spec, arg, error);
        case OPT_ENV_FILE: return nsl_spec_add_env_file(spec, arg, error);
        case OPT_KEEP_ENV: nsl_spec_set_keep_env(spec, true); return 0;
        case OPT_CWD: return nsl_spec_set_cwd(spec, arg, error);
        case OPT_CAP_ADD: return nsl_spec_add_cap(spec, arg, error);
        case OPT_KEEP_FD: return nsl_spec_add_keep_fd(spec, arg, error);
        case OPT_TIMEOUT: return nsl_spec_set_timeout(spec, arg, error);
        case OPT_KILL_AFTER: return nsl_spec_set_kill_after(spec, arg, error);
        case OPT_SECCOMP: return nsl_spec_set_seccomp(spec, arg, error);
        case OPT_SECCOMP_BPF: return nsl_spec_set_seccomp_bpf(spec, arg, error);
        case OPT_SECCOMP_CACHE: return nsl_spec_set_seccomp_cache(spec, arg, error);
        case OPT_SECCOMP_REPORT: nsl_spec_set_seccomp_report(spec, true); return 0;
        case OPT_SECURITY_OPT: return apply_security_opt(spec, arg, error);
        case OPT_SECCOMP_STRICT: nsl_spec_set_seccomp_strict(spec, true); return 0;
        case OPT_LANDLOCK: return nsl_spec_set_landlock(spec, arg, error);
        case OPT_ALLOW_EXEC_WRITABLE: nsl_spec_set_allow_exec_writable(spec, true); return 0;
        case OPT_MEMORY: return nsl_spec_set_memory(spec, arg, error);
        case OPT_MEMORY_SWAP: return nsl_spec_set_memory_swap(spec, arg, error);
        case OPT_CPUS: return nsl_spec_set_cpus(spec, arg, error);
        case OPT_PIDS: return nsl_spec_set_pids(spec, arg, error);
        case OPT_PIDS_LIMIT: return apply_pids_limit(spec, arg, error);
        case OPT_CGROUP_PARENT: return nsl_spec_set_cgroup_parent(spec, arg, error);
        case OPT_CGROUP_FILE: return apply_cgroup_file(spec, arg, error);
        case OPT_LIMITS: return nsl_spec_set_limits_mode(spec, arg, error);
        case OPT_RLIMIT: return nsl_spec_add_rlimit(spec, arg, error);
        case OPT_STATUS_JSON: return nsl_spec_set_status_json(spec, arg, error);
        /* what nslaunch always does: it leaves nothing behind (--rm) and
         * runs its own init as the sandbox's pid 1 (--init) */
        case OPT_RM: case OPT_INIT: return 0;
        }
        return -EINVAL;
}

/* The sandbox's stdio is exactly ours: make sure 0-2 exist, so that no fd
 * nslaunch opens later takes their place. */
static void ensure_stdio(void)
{
        for (int fd = 0; fd <= 2; fd++)
                if (fcntl(fd, F_GETFD) < 0) {
                        int null = open("/dev/null", O_RDWR);
                        if (null >= 0 && null != fd) {
                                dup2(null, fd);
                                close(null);
                        }
                }
}

static void print_warning(const char *line, void *data)
{
        (void)data;
        fprintf(stderr, "nslaunch: warning: %s\n", line);
}

static const char *errno_name(int errnum)
{
        const char *name = strerrorname_np(errnum);
        return name ? name : "?";
}

/* The payload names its own programs (prctl PR_SET_NAME): on a terminal an
 * ESC or a CR in a name would be the payload writing to it. Anything but
 * printable ASCII is shown as \xHH. */
static void escape_name(const char *name, char *out, size_t size)
{
        size_t n = 0;

        for (const unsigned char *p = (const unsigned char *)name; *p && n + 5 <= size; p++) {
                if (*p >= 0x20 && *p < 0x7f && *p != '\\')
                        out[n++] = (char)*p;
                else
                        n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
        }
        out[n] = '\0';
}

/* "python3", "python3, sh", "python3, sh and others" */
static void format_callers(const nsl_seccomp_denial *d, char *out, size_t size)
{
        size_t n = 0;

        out[0] = '\0';
        for (size_t i = 0; i < d->n_callers && n < size; i++) {
                char name[16 * 4 + 1];
                escape_name(d->callers[i].comm, name, sizeof name);
                n += (size_t)snprintf(out + n, size - n, "%s%s", i ? ", " : "", name);
        }
        if (d->calls_by_others && n < size)
                snprintf(out + n, size - n, " and others");
}

static void print_denials(const nsl_result *result, bool learning)
{
        char callers[NSL_DENIAL_CALLERS * 70 + 16];

        for (size_t i = 0; i < result->n_denials; i++) {
                const nsl_seccomp_denial *d = &result->denials[i];
                /* a 32-bit entry point, say, is named; the 64-bit one is the norm */
                bool other_arch = strcmp(d->arch, "x86_64") && strcmp(d->arch, "aarch64");
                format_callers(d, callers, sizeof callers);
                fprintf(stderr, "nslaunch: seccomp: %s %s %s%s%s (%s) x%lu%s\n", callers,
                        learning ? "tried" : "denied", d->syscall, other_arch ? " on " : "",
                        other_arch ? d->arch : "", d->killed ? "killed" : errno_name(d->errnum), d->count,
                        learning ? ": kept denied" : "");
        }
        if (result->denials_dropped)
                fprintf(stderr, "nslaunch: seccomp: %lu more refused calls are not listed (the report holds %d kinds)\n",
                        result->denials_dropped, NSL_MAX_DENIALS);
        if (!learning && result->n_denials && result->exit_code != 0) {
                format_callers(&result->denials[0], callers, sizeof callers);
                fprintf(stderr, "nslaunch: seccomp: the command ended with status %d after the profile refused "
                                "%s to %s first\n", result->exit_code, result->denials[0].syscall, callers);
        }
}

struct run_request {
        bool learn;
        bool image_defaults;
        bool die_with_parent;
        bool ids_given;                 /* --uid or --gid */
        const char *output, *merge, *arch;
        const char *user;               /* -u: resolved once the rootfs is known */
        char user_spelled[64];
        int command_from;               /* --command-from fd:N; -1: the command is on the line */
};

/* --status-json is looked for first, so that a usage error is written there
 * too: every token up to the first one that cannot be read is reliable
 * (after an unknown option nothing is: was the next word its value?). */
static void find_status_json(int argc, char **argv, int first, nsl_spec *spec)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = first };
        nsl_error ignored;
        int id;

        while (nsl_next_token(&t, run_options, &id) == NSL_TOKEN_OPTION)
                if (id == OPT_STATUS_JSON)
                        (void)nsl_spec_set_status_json(spec, t.value, &ignored);
}

/* A setter names the option by its nslaunch name; the line names it as typed. */
static void name_as_typed(nsl_error *error, const char *spelled)
{
        if (error->what[0] == '-' && spelled[0])
                snprintf(error->what, sizeof error->what, "%s", spelled);
}

/* --command-from fd:N: a socket of the caller's, not one of 0-2 (they are
 * the sandbox's stdio). */
static int take_command_from(struct run_request *req, const struct nsl_tokens *t, nsl_error *error)
{
        struct stat st;
        char *end = NULL;
        long fd = -1;

        if (!strncmp(t->value, "fd:", 3) && t->value[3] >= '0' && t->value[3] <= '9')
                fd = strtol(t->value + 3, &end, 10);
        if (fd < 3 || fd > 1 << 20 || *end)
                return refuse(error, t->spelled, t->value, "not fd:N with N above 2");
        if (fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode))
                return refuse(error, t->spelled, t->value, "not an open socket");
        if (req->learn)
                return usage_fail(error, t->spelled, "not for nslaunch seccomp learn");
        req->command_from = (int)fd;
        return 0;
}

static int take_run_option(nsl_spec *spec, struct run_request *req, int opt, const struct nsl_tokens *t,
                           nsl_error *error)
{
        if ((opt == OPT_MERGE || opt == OPT_ARCH || opt == OPT_OUTPUT) && !req->learn)
                return usage_fail(error, t->spelled, "only for nslaunch seccomp learn");
        switch (opt) {
        case OPT_MERGE: req->merge = t->value; return 0;
        case OPT_ARCH: req->arch = t->value; return 0;
        case OPT_OUTPUT: req->output = t->value; return 0;
        case OPT_IMAGE_DEFAULTS: req->image_defaults = true; return 0;
        case OPT_DIE_WITH_PARENT: req->die_with_parent = true; return 0;
        case OPT_USER:
                req->user = t->value;
                snprintf(req->user_spelled, sizeof req->user_spelled, "%s", t->spelled);
                return 0;
        case OPT_UID: case OPT_GID: req->ids_given = true; break;
        case OPT_COMMAND_FROM: return take_command_from(req, t, error);
        }
        return apply_option(spec, opt, t->value, error);
}

/* -u names a user of the rootfs, which may come later on the line. */
static int apply_user(nsl_spec *spec, const struct run_request *req, nsl_error *error)
{
        if (!req->user)
                return 0;
        if (req->ids_given)
                return usage_fail(error, req->user_spelled, "give either it or --uid/--gid (it sets both)");
        return nsl_spec_set_user(spec, req->user, error);
}

/* argv (run options, then the command) into spec. 1 when --help was
 * printed, 0, or a negative value with *error set (a usage error). */
static int parse_run(int argc, char **argv, nsl_spec *spec, struct run_request *req, nsl_error *error)
{
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = req->learn ? 2 : 1 };
        enum nsl_token token;
        int opt;

        find_status_json(argc, argv, t.index, spec);
        while ((token = nsl_next_token(&t, run_options, &opt)) != NSL_TOKEN_END) {
                if (token != NSL_TOKEN_OPTION)
                        return usage_fail(error, t.spelled, token_problem(token));
                if (opt == OPT_HELP) {
                        fputs(req->learn ? nsl_usage_seccomp : nsl_usage_run, stdout);
                        return 1;
                }
                if (take_run_option(spec, req, opt, &t, error) < 0) {
                        name_as_typed(error, t.spelled);
                        return -1;
                }
        }
        if (apply_user(spec, req, error) < 0) {
                name_as_typed(error, req->user_spelled);
                return -1;
        }
        if (req->command_from >= 0 && t.index < argc)
                return usage_fail(error, "--command-from", "the command comes either from it or after --");
        if (req->command_from >= 0)
                nsl_spec_set_command_at_start(spec);
        if (t.index >= argc && !req->image_defaults && req->command_from < 0)
                return usage_fail(error, req->learn ? "learn" : "run",
                                  "no command given (usage: nslaunch run [OPTIONS] -- CMD [ARGS...])");
        if (t.index < argc && nsl_spec_set_command(spec, argv + t.index, error) < 0)
                return -1;
        if (req->image_defaults && nsl_spec_use_image_defaults(spec, error) < 0)
                return -1;
        if (req->learn && !req->output)
                return usage_fail(error, "learn", "-o PROFILE.json is required");
        return 0;
}

/* The command line's own part of a launch, which the library leaves to its
 * caller: the signals a shell or a supervisor sends nslaunch reach the
 * command (blocked here, taken by nsl_run through a signalfd), and with
 * --die-with-parent nslaunch, and so its sandbox, ends with its caller. */
static int take_over_process(nsl_spec *spec, bool die_with_parent, nsl_error *error)
{
        static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
        pid_t parent = getppid();
        sigset_t set;

        sigemptyset(&set);
        for (size_t i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++)
                sigaddset(&set, forwarded[i]);
        sigprocmask(SIG_BLOCK, &set, NULL);
        nsl_spec_set_forward_signals(spec, &set);
        if (!die_with_parent)
                return 0;
        *error = (nsl_error){ .errnum = ESRCH, .exit_code = NSL_EXIT_LAUNCHER, .stage = "die-with-parent",
                              .what = "--die-with-parent" };
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0)
                error->errnum = errno;
        else if (getppid() == parent)
                return 0;
        else
                snprintf(error->cause, sizeof error->cause, "the caller has already exited");
        nsl_error ignored;
        (void)nsl_write_status(spec, NULL, error, &ignored);
        return -1;
}

/* Leaving init's (and a private network's proxy's) last moments to the
 * kernel makes them orphans for whoever reaps them. A parent that is pid 1
 * may be a container's application that never reaps what is not its own
 * (each launch would leave a zombie): then nslaunch reaps them itself. */
static bool orphans_are_reaped(void)
{
        return getppid() != 1;
}

/* --command-from fd:N: the sandbox is made first, "ready" on the socket
 * says so, and the command comes on it; then as nsl_run_before_exit. */
static int run_command_from(const nsl_spec *spec, int fd, nsl_result *result, nsl_error *error)
{
        nsl_sandbox *sb = NULL;
        nsl_error status_error;
        char name[24];
        int r;

        *result = (nsl_result){ .exit_status = -1, .setup_ms = -1, .peak_memory_bytes = -1 };
        r = nsl_sandbox_create(spec, &sb, error);
        if (r == 0 && send(fd, "ready", 5, MSG_NOSIGNAL) != 5) {
                snprintf(name, sizeof name, "fd:%d", fd);
                r = refuse(error, "--command-from", name, "the caller is gone");
                snprintf(error->stage, sizeof error->stage, "start");
        }
        if (r == 0)
                r = nsl_sandbox_start_from(sb, fd, error);
        if (r == 0)
                r = nsl_sandbox_wait(sb, -1, result, error);
        if (nsl_write_status(spec, result, r < 0 ? error : NULL, &status_error) < 0 && r == 0) {
                *error = status_error;
                snprintf(error->stage, sizeof error->stage, "status-json");
                r = -EIO;
        }
        if (orphans_are_reaped())
                nsl_sandbox_free_before_exit(sb);
        else
                nsl_sandbox_free(sb);
        return r;
}

static int run_command(int argc, char **argv, bool learn)
{
        struct run_request req = { .learn = learn, .command_from = -1 };
        nsl_error error = { 0 };
        nsl_result result;
        nsl_spec *spec = nsl_spec_new();
        int code, r;

        if (!spec)
                return usage_error(learn ? "learn" : "run", strerror(ENOMEM));
        nsl_spec_set_warning_handler(spec, print_warning, NULL);
        nsl_spec_set_seccomp_learn(spec, learn);
        r = parse_run(argc, argv, spec, &req, &error);
        if (r != 0) {
                nsl_error ignored;
                if (r < 0) {
                        snprintf(error.stage, sizeof error.stage, "usage");
                        (void)nsl_write_status(spec, NULL, &error, &ignored);
                }
                nsl_spec_free(spec);
                return r > 0 ? 0 : print_error(&error);
        }
        if (nsl_spec_seccomp_unconfined(spec))
                fputs("nslaunch: seccomp: unconfined: the command runs without a seccomp filter\n", stderr);
        if (take_over_process(spec, req.die_with_parent, &error) < 0) {
                nsl_spec_free(spec);
                return print_error(&error);
        }
        if (req.command_from >= 0)
                r = run_command_from(spec, req.command_from, &result, &error);
        else if (orphans_are_reaped())
                r = nsl_run_before_exit(spec, &result, &error);
        else
                r = nsl_run(spec, &result, &error);
        nsl_spec_free(spec);
        if (r < 0) {
                nsl_result_release(&result);
                return print_error(&error);
        }
        if (result.oom_killed)
                fprintf(stderr, "nslaunch: memory: the sandbox reached its --memory limit and the kernel's OOM killer "
                                "ended it\n");
        if (result.seccomp_reported)
                print_denials(&result, learn);
        if (result.seccomp_suspected)
                fputs("nslaunch: the seccomp filter refused a call; rerun with --seccomp-report to see which\n", stderr);
        nsl_egress_denials_write(STDERR_FILENO, result.egress_denials, result.n_egress_denials,
                                 result.egress_denials_dropped);
        code = result.exit_code;
        if (learn && nsl_seccomp_write_learned(&result, req.merge, req.arch, req.output, &error) < 0)
                code = print_error(&error);
        nsl_result_release(&result);
        return code;
}

static int cmd_run(int argc, char **argv)
{
        return run_command(argc, argv, false);
}

/* nslaunch seccomp check|compile|export PROFILE [--arch A] [--strict] [--cap-add C] [-o FILE] | default */
static int cmd_seccomp(int argc, char **argv)
{
        nsl_seccomp_options options = { .warn = print_warning };
        const char *output = NULL, *verb = argc > 1 ? argv[1] : "";
        nsl_error error = { 0 };
        int opt;

        if (!strcmp(verb, "default")) {
                fputs(nsl_seccomp_default_profile(), stdout);
                return 0;
        }
        if (!strcmp(verb, "learn"))
                return run_command(argc, argv, true);
        if (strcmp(verb, "check") && strcmp(verb, "compile") && strcmp(verb, "export")) {
                if (!strcmp(verb, "--help") || !strcmp(verb, "-h")) {
                        fputs(nsl_usage_seccomp, stdout);
                        return 0;
                }
                return usage_error("seccomp", "expected check, compile, export, learn or default (see nslaunch seccomp --help)");
        }
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 2, .operands_anywhere = true };
        const char *profile = NULL;
        enum nsl_token token;
        while ((token = nsl_next_token(&t, seccomp_options, &opt)) != NSL_TOKEN_END) {
                int cap;
                if (token == NSL_TOKEN_OPERAND) {
                        if (profile)
                                return usage_error("seccomp", "expected exactly one profile file");
                        profile = t.value;
                        continue;
                }
                if (token != NSL_TOKEN_OPTION)
                        return usage_error(t.spelled, token_problem(token));
                switch (opt) {
                case OPT_STRICT: options.strict = true; break;
                case OPT_LINEAR: options.linear = true; break;
                case OPT_ARCH: options.arch = t.value; break;
                case OPT_OUTPUT: output = t.value; break;
                case OPT_CAP_ADD:
                        cap = nsl_cap_number(t.value);
                        if (cap < 0)
                                return usage_error(t.value, "unknown capability");
                        options.caps |= 1ULL << cap;
                        break;
                case OPT_HELP: fputs(nsl_usage_seccomp, stdout); return 0;
                }
        }
        if (!profile)
                return usage_error("seccomp", "expected exactly one profile file");

        if (!strcmp(verb, "check")) {
                size_t n = 0;
                if (nsl_seccomp_check(profile, &options, &n, &error) < 0)
                        return print_error(&error);
                printf("%s: ok, %zu BPF instructions for %s\n", profile, n, options.arch ? options.arch : "this machine");
                return 0;
        }
        if (!strcmp(verb, "compile")) {
                if (!output)
                        return usage_error("compile", "-o FILE is required");
                if (nsl_seccomp_compile_file(profile, &options, output, &error) < 0)
                        return print_error(&error);
                return 0;
        }
        fflush(stdout);
        if (nsl_seccomp_export(profile, &options, STDOUT_FILENO, &error) < 0)
                return print_error(&error);
        return 0;
}

/* nslaunch --version: the first line stays "nslaunch VERSION"; then what it
 * was built from and what it finds on this host. */
static int print_version(void)
{
        nsl_kernel_interface ifs[32];
        size_t n = nsl_kernel_interfaces(ifs, sizeof ifs / sizeof ifs[0]);
        unsigned major, minor, micro;
        struct utsname u;
        bool missing = false;

        if (n > sizeof ifs / sizeof ifs[0])
                n = sizeof ifs / sizeof ifs[0];
        nsl_libseccomp_version(&major, &minor, &micro);
        printf("nslaunch %s\ncommit: %s\nlibseccomp: %u.%u.%u\nkernel: %s\nkernel interfaces present:", nsl_version(),
               nsl_build_commit(), major, minor, micro, uname(&u) == 0 ? u.release : "unknown");
        for (size_t i = 0; i < n; i++)
                if (!ifs[i].errnum)
                        printf(" %s", ifs[i].name);
                else
                        missing = true;
        fputs("\nkernel interfaces missing:", stdout);
        for (size_t i = 0; i < n; i++)
                if (ifs[i].errnum)
                        printf(" %s (%s, Linux %d.%d)", ifs[i].name, errno_name(ifs[i].errnum), ifs[i].major,
                               ifs[i].minor);
        puts(missing ? "" : " none");
        return 0;
}

int main(int argc, char **argv)
{
        ensure_stdio();
        /* the same binary, installed as nslaunch-runc (or named runc), speaks runc's command line */
        const char *name = argc > 0 && strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argc > 0 ? argv[0] : "";
        if (!strcmp(name, "nslaunch-runc") || !strcmp(name, "runc"))
                return nsl_runc_main(argc, argv);
        if (argc < 2)
                return usage_error("usage", "nslaunch run [OPTIONS] -- CMD [ARGS...]");
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
                fputs(nsl_usage_main, stdout);
                return 0;
        }
        if (!strcmp(argv[1], "--version"))
                return print_version();
        if (!strcmp(argv[1], "run"))
                return cmd_run(argc - 1, argv + 1);
        if (!strcmp(argv[1], "seccomp"))
                return cmd_seccomp(argc - 1, argv + 1);
        if (!strcmp(argv[1], "rootfs"))
                return nsl_cmd_rootfs(argc - 1, argv + 1);
        return usage_error(argv[1], "unknown command (known: run, seccomp, rootfs)");
}
