/* The nslaunch command: argv -> nsl_spec -> nsl_run -> exit status.
 * It only parses and prints; the library does the work. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/utsname.h>
#include <unistd.h>

#include "nslaunch.h"
#include "nslaunch-version.h"
#include "rootfs.h"
#include "usage.h"

enum {
        OPT_ROOTFS = 256, OPT_RW_ROOT, OPT_TMPFS, OPT_BIND, OPT_RO_BIND, OPT_NETWORK, OPT_UID, OPT_GID,
        OPT_HOST_UID, OPT_HOST_GID, OPT_HOSTNAME, OPT_PROC, OPT_ENV, OPT_ENV_FILE, OPT_KEEP_ENV, OPT_CWD,
        OPT_CAP_ADD, OPT_KEEP_FD, OPT_TIMEOUT, OPT_KILL_AFTER, OPT_DIE_WITH_PARENT, OPT_SECCOMP, OPT_SECCOMP_BPF,
        OPT_SECCOMP_CACHE, OPT_HELP, OPT_STRICT, OPT_ARCH, OPT_LINEAR, OPT_MEMORY, OPT_MEMORY_SWAP, OPT_CPUS,
        OPT_PIDS, OPT_CGROUP_PARENT, OPT_LIMITS, OPT_RLIMIT, OPT_STATUS_JSON, OPT_SECCOMP_REPORT, OPT_MERGE, OPT_IMAGE_DEFAULTS,
        OPT_LANDLOCK, OPT_ALLOW_EXEC_WRITABLE,
};

static const struct option run_options[] = {
        { "rootfs", required_argument, NULL, OPT_ROOTFS },
        { "rw-root", no_argument, NULL, OPT_RW_ROOT },
        { "tmpfs", required_argument, NULL, OPT_TMPFS },
        { "bind", required_argument, NULL, OPT_BIND },
        { "ro-bind", required_argument, NULL, OPT_RO_BIND },
        { "network", required_argument, NULL, OPT_NETWORK },
        { "uid", required_argument, NULL, OPT_UID },
        { "gid", required_argument, NULL, OPT_GID },
        { "host-uid", required_argument, NULL, OPT_HOST_UID },
        { "host-gid", required_argument, NULL, OPT_HOST_GID },
        { "hostname", required_argument, NULL, OPT_HOSTNAME },
        { "proc", required_argument, NULL, OPT_PROC },
        { "env", required_argument, NULL, OPT_ENV },
        { "env-file", required_argument, NULL, OPT_ENV_FILE },
        { "keep-env", no_argument, NULL, OPT_KEEP_ENV },
        { "cwd", required_argument, NULL, OPT_CWD },
        { "cap-add", required_argument, NULL, OPT_CAP_ADD },
        { "keep-fd", required_argument, NULL, OPT_KEEP_FD },
        { "timeout", required_argument, NULL, OPT_TIMEOUT },
        { "kill-after", required_argument, NULL, OPT_KILL_AFTER },
        { "die-with-parent", no_argument, NULL, OPT_DIE_WITH_PARENT },
        { "seccomp", required_argument, NULL, OPT_SECCOMP },
        { "seccomp-bpf", required_argument, NULL, OPT_SECCOMP_BPF },
        { "seccomp-cache", required_argument, NULL, OPT_SECCOMP_CACHE },
        { "seccomp-report", no_argument, NULL, OPT_SECCOMP_REPORT },
        { "merge", required_argument, NULL, OPT_MERGE },        /* seccomp learn only */
        { "arch", required_argument, NULL, OPT_ARCH },          /* seccomp learn only */
        { "output", required_argument, NULL, 'o' },             /* seccomp learn only */
        { "landlock", required_argument, NULL, OPT_LANDLOCK },
        { "allow-exec-writable", no_argument, NULL, OPT_ALLOW_EXEC_WRITABLE },
        { "memory", required_argument, NULL, OPT_MEMORY },
        { "memory-swap", required_argument, NULL, OPT_MEMORY_SWAP },
        { "cpus", required_argument, NULL, OPT_CPUS },
        { "pids", required_argument, NULL, OPT_PIDS },
        { "cgroup-parent", required_argument, NULL, OPT_CGROUP_PARENT },
        { "limits", required_argument, NULL, OPT_LIMITS },
        { "rlimit", required_argument, NULL, OPT_RLIMIT },
        { "status-json", required_argument, NULL, OPT_STATUS_JSON },
        { "image-defaults", no_argument, NULL, OPT_IMAGE_DEFAULTS },
        { "help", no_argument, NULL, OPT_HELP },
        { 0 },
};

static const struct option seccomp_options[] = {
        { "strict", no_argument, NULL, OPT_STRICT },
        { "linear", no_argument, NULL, OPT_LINEAR },
        { "arch", required_argument, NULL, OPT_ARCH },
        { "cap-add", required_argument, NULL, OPT_CAP_ADD },
        { "help", no_argument, NULL, OPT_HELP },
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

static int apply_option(nsl_spec *spec, int opt, const char *arg, nsl_error *error)
{
        switch (opt) {
        case OPT_ROOTFS: return nsl_spec_set_rootfs(spec, arg, error);
        case OPT_RW_ROOT: nsl_spec_set_rw_root(spec, true); return 0;
        case OPT_TMPFS: return nsl_spec_add_tmpfs(spec, arg, error);
        case OPT_BIND: return nsl_spec_add_bind(spec, arg, false, error);
        case OPT_RO_BIND: return nsl_spec_add_bind(spec, arg, true, error);
        case OPT_NETWORK: return nsl_spec_set_network(spec, arg, error);
        case OPT_UID: return nsl_spec_set_uid(spec, arg, error);
        case OPT_GID: return nsl_spec_set_gid(spec, arg, error);
        case OPT_HOST_UID: return nsl_spec_set_host_uid(spec, arg, error);
        case OPT_HOST_GID: return nsl_spec_set_host_gid(spec, arg, error);
        case OPT_HOSTNAME: return nsl_spec_set_hostname(spec, arg, error);
        case OPT_PROC: return nsl_spec_set_proc(spec, arg, error);
        case OPT_ENV: return nsl_spec_add_env(spec, arg, error);
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
        case OPT_LANDLOCK: return nsl_spec_set_landlock(spec, arg, error);
        case OPT_ALLOW_EXEC_WRITABLE: nsl_spec_set_allow_exec_writable(spec, true); return 0;
        case OPT_MEMORY: return nsl_spec_set_memory(spec, arg, error);
        case OPT_MEMORY_SWAP: return nsl_spec_set_memory_swap(spec, arg, error);
        case OPT_CPUS: return nsl_spec_set_cpus(spec, arg, error);
        case OPT_PIDS: return nsl_spec_set_pids(spec, arg, error);
        case OPT_CGROUP_PARENT: return nsl_spec_set_cgroup_parent(spec, arg, error);
        case OPT_LIMITS: return nsl_spec_set_limits_mode(spec, arg, error);
        case OPT_RLIMIT: return nsl_spec_add_rlimit(spec, arg, error);
        case OPT_STATUS_JSON: return nsl_spec_set_status_json(spec, arg, error);
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

static void print_denials(const nsl_result *result, bool learning)
{
        for (size_t i = 0; i < result->n_denials; i++) {
                const nsl_seccomp_denial *d = &result->denials[i];
                /* a 32-bit entry point, say, is named; the 64-bit one is the norm */
                bool other_arch = strcmp(d->arch, "x86_64") && strcmp(d->arch, "aarch64");
                fprintf(stderr, "nslaunch: seccomp: %s %s %s%s%s (%s) x%u%s\n", d->comm,
                        learning ? "tried" : "denied", d->syscall, other_arch ? " on " : "",
                        other_arch ? d->arch : "", d->killed ? "killed" : errno_name(d->errnum), d->count,
                        learning ? ": kept denied" : "");
        }
        if (result->denials_dropped)
                fprintf(stderr, "nslaunch: seccomp: and %u more distinct denials\n", result->denials_dropped);
        if (!learning && result->n_denials && result->exit_code != 0)
                fprintf(stderr, "nslaunch: seccomp: the command ended with status %d after the profile refused "
                                "%s to %s first\n", result->exit_code, result->denials[0].syscall,
                        result->denials[0].comm);
}

struct run_request {
        bool learn;
        bool image_defaults;
        bool die_with_parent;
        const char *output, *merge, *arch;
};

/* argv (run options, then the command) into spec. 1 when --help was
 * printed, 0, or a negative value with the exit code in *code. */
static int parse_run(int argc, char **argv, nsl_spec *spec, struct run_request *req, int *code)
{
        nsl_error error = { 0 };
        int opt;

        opterr = 0;
        optind = req->learn ? 2 : 1;
        while ((opt = getopt_long(argc, argv, "+ho:", run_options, NULL)) != -1) {
                if (opt == OPT_HELP || opt == 'h') {
                        fputs(req->learn ? nsl_usage_seccomp : nsl_usage_run, stdout);
                        return 1;
                }
                if (opt == '?' || opt == ':') {
                        *code = usage_error(argv[optind - 1], optopt ? "missing value" : "unknown option");
                        return -1;
                }
                if ((opt == OPT_MERGE || opt == OPT_ARCH || opt == 'o') && !req->learn) {
                        *code = usage_error(argv[optind - 1], "only for nslaunch seccomp learn");
                        return -1;
                }
                if (opt == OPT_MERGE)
                        req->merge = optarg;
                else if (opt == OPT_ARCH)
                        req->arch = optarg;
                else if (opt == 'o')
                        req->output = optarg;
                else if (opt == OPT_IMAGE_DEFAULTS)
                        req->image_defaults = true;
                else if (opt == OPT_DIE_WITH_PARENT)
                        req->die_with_parent = true;
                else if (apply_option(spec, opt, optarg, &error) < 0) {
                        *code = print_error(&error);
                        return -1;
                }
        }
        if (optind >= argc && !req->image_defaults) {
                *code = usage_error(req->learn ? "learn" : "run",
                                    "no command given (usage: nslaunch run [OPTIONS] -- CMD [ARGS...])");
                return -1;
        }
        if ((optind < argc && nsl_spec_set_command(spec, argv + optind, &error) < 0) ||
            (req->image_defaults && nsl_spec_use_image_defaults(spec, &error) < 0)) {
                *code = print_error(&error);
                return -1;
        }
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

static int run_command(int argc, char **argv, bool learn)
{
        struct run_request req = { .learn = learn };
        nsl_error error = { 0 };
        nsl_result result;
        nsl_spec *spec = nsl_spec_new();
        int code = 0, r;

        if (!spec)
                return usage_error(learn ? "learn" : "run", strerror(ENOMEM));
        nsl_spec_set_warning_handler(spec, print_warning, NULL);
        nsl_spec_set_seccomp_learn(spec, learn);
        r = parse_run(argc, argv, spec, &req, &code);
        if (r == 0 && learn && !req.output)
                r = -1, code = usage_error("learn", "-o PROFILE.json is required");
        if (r != 0) {
                nsl_spec_free(spec);
                return r > 0 ? 0 : code;
        }
        if (nsl_spec_seccomp_unconfined(spec))
                fputs("nslaunch: seccomp: unconfined: the command runs without a seccomp filter\n", stderr);
        if (take_over_process(spec, req.die_with_parent, &error) < 0) {
                nsl_spec_free(spec);
                return print_error(&error);
        }
        r = nsl_run(spec, &result, &error);
        nsl_spec_free(spec);
        if (r < 0)
                return print_error(&error);
        if (result.oom_killed)
                fprintf(stderr, "nslaunch: memory: the sandbox reached its --memory limit and the kernel's OOM killer "
                                "ended it\n");
        if (result.seccomp_reported)
                print_denials(&result, learn);
        if (learn && nsl_seccomp_write_learned(&result, req.merge, req.arch, req.output, &error) < 0)
                return print_error(&error);
        return result.exit_code;
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
        int opt, r, fd = STDOUT_FILENO;

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
        opterr = 0;
        optind = 2;
        while ((opt = getopt_long(argc, argv, "o:h", seccomp_options, NULL)) != -1) {
                int cap;
                switch (opt) {
                case OPT_STRICT: options.strict = true; break;
                case OPT_LINEAR: options.linear = true; break;
                case OPT_ARCH: options.arch = optarg; break;
                case 'o': output = optarg; break;
                case OPT_CAP_ADD:
                        cap = nsl_cap_number(optarg);
                        if (cap < 0)
                                return usage_error(optarg, "unknown capability");
                        options.caps |= 1ULL << cap;
                        break;
                case OPT_HELP: case 'h': fputs(nsl_usage_seccomp, stdout); return 0;
                default: return usage_error(argv[optind - 1], optopt ? "missing value" : "unknown option");
                }
        }
        if (optind != argc - 1)
                return usage_error("seccomp", "expected exactly one profile file");
        const char *profile = argv[optind];

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
                fd = open(output, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
                if (fd < 0) {
                        fprintf(stderr, "nslaunch: compile: %s: %s\n", output, strerror(errno));
                        return NSL_EXIT_LAUNCHER;
                }
                r = nsl_seccomp_compile(profile, &options, fd, &error);
                int close_errno = close(fd) < 0 ? errno : 0;
                if (r < 0 || close_errno)
                        unlink(output);
                if (r < 0)
                        return print_error(&error);
                if (close_errno) {
                        /* the write may only fail here (NFS, a full disk) */
                        fprintf(stderr, "nslaunch: compile: %s: %s\n", output, strerror(close_errno));
                        return NSL_EXIT_LAUNCHER;
                }
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
