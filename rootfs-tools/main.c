/* nslaunch-rootfs: what `nslaunch rootfs ...` runs. A separate, dynamically
 * linked program, so that the static launcher does not carry libarchive and
 * libcrypto. */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "error.h"
#include "parse/parse.h"
#include "strv.h"
#include "tool.h"

#define DEFAULT_MAX_SIZE (16ULL << 30)

static const char usage[] =
        "Usage: nslaunch rootfs COMMAND ...\n"
        "\n"
        "  from-host DIR PROG... [--add PATH]...\n"
        "        a minimal rootfs: the host programs, the shared objects they load\n"
        "        (PT_INTERP, DT_NEEDED), python3's standard library, and each --add\n"
        "        path (a file or a directory, copied at the same place)\n"
        "  import SOURCE DIR [--platform OS/ARCH[/VARIANT]] [--ref NAME]\n"
        "                    [--max-size SIZE] [--keep-setuid]\n"
        "        unpack a docker save tarball or an OCI image layout (a directory or\n"
        "        a tar) into DIR, which must be new or an empty directory; the image's\n"
        "        Env, Entrypoint, Cmd, WorkingDir and User go to DIR.image.json, which\n"
        "        'nslaunch run --rootfs DIR --image-defaults' uses.\n"
        "        --platform  from a multi-architecture index (default: this machine's)\n"
        "        --ref       the image's name in the layout, or NAME:TAG in a docker\n"
        "                    save tarball, when it holds several\n"
        "        --max-size  refuse an image unpacking to more (default 16g)\n"
        "        --keep-setuid  keep set-user-ID and set-group-ID bits of files\n"
        "                    (dropped by default)\n";

static int report(const nsl_error *error)
{
        char line[1200];
        nsl_error_format(error, line, sizeof line);
        fprintf(stderr, "%s\n", line);
        return NSL_EXIT_LAUNCHER;
}

static int usage_error(const char *what, const char *cause)
{
        fprintf(stderr, "nslaunch: %s: %s (see nslaunch rootfs --help)\n", what, cause);
        return NSL_EXIT_LAUNCHER;
}

static void note_stop_signal(int sig)
{
        nsl_stop_signal = sig;
}

/* An import interrupted by these removes its temporary directory before it
 * ends (by the same signal, so the caller sees how it ended). */
static void stop_on_signals(void)
{
        static const int signals[] = { SIGINT, SIGTERM, SIGHUP };
        struct sigaction sa = { .sa_handler = note_stop_signal };

        sigemptyset(&sa.sa_mask);
        for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++)
                sigaction(signals[i], &sa, NULL);
}

static int report_and_end(nsl_error *error, const char *dest)
{
        int sig = nsl_stop_signal;

        if (!sig)
                return report(error);
        nsl_check_stop("import", dest, error);
        report(error);
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
}

static void warn(const char *line)
{
        fprintf(stderr, "nslaunch: warning: %s\n", line);
}

enum { OPT_PLATFORM = 256, OPT_REF, OPT_MAX_SIZE, OPT_KEEP_SETUID, OPT_ADD, OPT_HELP };

static const struct option options[] = {
        { "platform", required_argument, NULL, OPT_PLATFORM },
        { "ref", required_argument, NULL, OPT_REF },
        { "max-size", required_argument, NULL, OPT_MAX_SIZE },
        { "keep-setuid", no_argument, NULL, OPT_KEEP_SETUID },
        { "add", required_argument, NULL, OPT_ADD },
        { "help", no_argument, NULL, OPT_HELP },
        { 0 },
};

static int cmd_import(int argc, char **argv)
{
        struct nsl_import_options o = { .max_size = DEFAULT_MAX_SIZE, .warn = warn };
        nsl_error error = { 0 };
        int opt;

        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                switch (opt) {
                case OPT_PLATFORM: o.platform = optarg; break;
                case OPT_REF: o.ref = optarg; break;
                case OPT_KEEP_SETUID: o.keep_setuid = true; break;
                case OPT_MAX_SIZE:
                        if (nsl_parse_size(optarg, &o.max_size) < 0 || !o.max_size)
                                return usage_error("--max-size", "expected a size such as 2g");
                        break;
                case OPT_HELP: case 'h': fputs(usage, stdout); return 0;
                default: return usage_error(argv[optind - 1], optopt ? "missing value" : "unknown option");
                }
        }
        if (argc - optind != 2)
                return usage_error("import", "expected SOURCE DIR");
        stop_on_signals();
        if (nsl_import(argv[optind], argv[optind + 1], &o, &error) == 0)
                return 0;
        return report_and_end(&error, argv[optind + 1]);
}

static int cmd_from_host(int argc, char **argv)
{
        struct nsl_from_host_options o = { .warn = warn };
        nsl_error error = { 0 };
        int opt, r;

        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                switch (opt) {
                case OPT_ADD:
                        if (nsl_strv_push(&o.extra, &o.n_extra, optarg) < 0)
                                return usage_error("--add", strerror(ENOMEM));
                        break;
                case OPT_HELP: case 'h': fputs(usage, stdout); return 0;
                default: return usage_error(argv[optind - 1], optopt ? "missing value" : "unknown option");
                }
        }
        if (argc - optind < 2)
                return usage_error("from-host", "expected DIR PROG...");
        r = nsl_from_host(argv[optind], argv + optind + 1, &o, &error);
        nsl_strv_free(o.extra);
        return r < 0 ? report(&error) : 0;
}

/* Removing deep trees holds one fd per level. */
static void raise_fd_limit(void)
{
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
                rl.rlim_cur = rl.rlim_max;
                (void)setrlimit(RLIMIT_NOFILE, &rl);
        }
}

int main(int argc, char **argv)
{
        const char *verb = argc > 1 ? argv[1] : "";

        raise_fd_limit();
        if (!strcmp(verb, "import"))
                return cmd_import(argc - 1, argv + 1);
        if (!strcmp(verb, "from-host"))
                return cmd_from_host(argc - 1, argv + 1);
        if (!strcmp(verb, "--help") || !strcmp(verb, "-h") || !strcmp(verb, "help")) {
                fputs(usage, stdout);
                return 0;
        }
        return usage_error("rootfs", "expected from-host or import");
}
