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
        "  from-host DIR PROG... [--add PATH]... [--replace] [--json] [--progress WHEN]\n"
        "        a minimal rootfs: the host programs, the shared objects they load\n"
        "        (PT_INTERP, DT_NEEDED), python3's standard library, and each --add\n"
        "        path (a file or a directory, copied at the same place)\n"
        "  import SOURCE DIR [--platform OS/ARCH[/VARIANT]] [--ref NAME]\n"
        "                    [--max-size SIZE] [--keep-setuid]\n"
        "                    [--replace] [--json] [--progress WHEN]\n"
        "        unpack a docker save tarball or an OCI image layout (a directory or\n"
        "        a tar) into DIR, which must be new or an empty directory; the image's\n"
        "        Env, Entrypoint, Cmd, WorkingDir and User go to DIR.image.json, which\n"
        "        'nslaunch run --rootfs DIR --image-defaults' uses.\n"
        "        --platform  the image for this platform, from an index or the only\n"
        "                    one, which must be for it (default: this machine's)\n"
        "        --ref       the image's name in the layout, or NAME:TAG in a docker\n"
        "                    save tarball, when it holds several\n"
        "        --max-size  refuse an image unpacking to more (default 16g)\n"
        "        --keep-setuid  keep set-user-ID and set-group-ID bits of files\n"
        "                    (dropped by default)\n"
        "  both:\n"
        "        --replace   DIR may be a rootfs of yours: the new one is made beside\n"
        "                    it and swapped in at once; the old one is removed after\n"
        "        --json      print a summary (digest, platform, size, entries,\n"
        "                    seconds) as one JSON object on stdout at the end\n"
        "        --progress auto|always|never  bytes and layers on stderr (auto:\n"
        "                    when stderr is a terminal)\n";

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

static int report_and_end(nsl_error *error, const char *verb, const char *dest)
{
        int sig = nsl_stop_signal;

        if (!sig)
                return report(error);
        nsl_check_stop(verb, dest, error);
        report(error);
        signal(sig, SIG_DFL);
        raise(sig);
        return 128 + sig;
}

static void warn(const char *line)
{
        fprintf(stderr, "nslaunch: warning: %s\n", line);
}

enum { OPT_PLATFORM = 256, OPT_REF, OPT_MAX_SIZE, OPT_KEEP_SETUID, OPT_ADD, OPT_REPLACE, OPT_JSON, OPT_PROGRESS,
       OPT_HELP };

static const struct option options[] = {
        { "platform", required_argument, NULL, OPT_PLATFORM },
        { "ref", required_argument, NULL, OPT_REF },
        { "max-size", required_argument, NULL, OPT_MAX_SIZE },
        { "keep-setuid", no_argument, NULL, OPT_KEEP_SETUID },
        { "add", required_argument, NULL, OPT_ADD },
        { "replace", no_argument, NULL, OPT_REPLACE },
        { "json", no_argument, NULL, OPT_JSON },
        { "progress", required_argument, NULL, OPT_PROGRESS },
        { "help", no_argument, NULL, OPT_HELP },
        { 0 },
};

/* getopt_long takes any unambiguous prefix ("--rep" for "--replace"): a
 * name that a later option makes ambiguous would silently change meaning.
 * Long options are matched whole, as `nslaunch run` matches them. */
static int check_whole_option_names(int argc, char **argv)
{
        for (int i = 1; i < argc && strcmp(argv[i], "--"); i++) {
                const char *word = argv[i];
                size_t len = strcspn(word + 2, "=");
                const struct option *match = NULL;

                if (strncmp(word, "--", 2) || !word[2])
                        continue;
                for (const struct option *o = options; o->name; o++)
                        if (strlen(o->name) == len && !strncmp(o->name, word + 2, len))
                                match = o;
                if (!match)
                        return usage_error(word, "unknown option");
                if (match->has_arg == required_argument && !word[2 + len])
                        i++;    /* its value, whatever it looks like */
        }
        return 0;
}

/* The options import and from-host share. */
struct common {
        bool replace, json;
        enum nsl_progress_when progress;
};

/* 1 when opt was one of them, 0 when not, or a usage error's status. */
static int common_option(int opt, struct common *c)
{
        switch (opt) {
        case OPT_REPLACE: c->replace = true; return 1;
        case OPT_JSON: c->json = true; return 1;
        case OPT_PROGRESS:
                if (!strcmp(optarg, "auto"))
                        c->progress = NSL_PROGRESS_AUTO;
                else if (!strcmp(optarg, "always"))
                        c->progress = NSL_PROGRESS_ALWAYS;
                else if (!strcmp(optarg, "never"))
                        c->progress = NSL_PROGRESS_NEVER;
                else
                        return -usage_error("--progress", "expected auto, always or never");
                return 1;
        }
        return 0;
}

static int finish(int r, nsl_error *error, struct nsl_progress *progress, const struct nsl_summary *summary,
                  const struct common *c, const char *verb, const char *dest)
{
        nsl_progress_end(progress, r == 0);
        if (r < 0)
                return report_and_end(error, verb, dest);
        if (c->json && nsl_summary_print(summary, dest) < 0) {
                fprintf(stderr, "nslaunch: %s: %s: cannot write the summary: %s\n", verb, dest, strerror(errno));
                return NSL_EXIT_LAUNCHER;
        }
        return 0;
}

static int cmd_import(int argc, char **argv)
{
        struct nsl_import_options o = { .max_size = DEFAULT_MAX_SIZE, .warn = warn };
        struct common c = { .progress = NSL_PROGRESS_AUTO };
        struct nsl_progress progress;
        struct nsl_summary summary = { 0 };
        nsl_error error = { 0 };
        int opt, r;

        if ((r = check_whole_option_names(argc, argv)) != 0)
                return r;
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                if ((r = common_option(opt, &c)) != 0) {
                        if (r < 0)
                                return -r;
                        continue;
                }
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
        nsl_progress_init(&progress, c.progress, "import");
        o.replace = c.replace;
        o.progress = &progress;
        o.summary = &summary;
        stop_on_signals();
        r = nsl_import(argv[optind], argv[optind + 1], &o, &error);
        return finish(r, &error, &progress, &summary, &c, "import", argv[optind + 1]);
}

static int cmd_from_host(int argc, char **argv)
{
        struct nsl_from_host_options o = { .warn = warn };
        struct common c = { .progress = NSL_PROGRESS_AUTO };
        struct nsl_progress progress;
        struct nsl_summary summary = { 0 };
        nsl_error error = { 0 };
        int opt, r;

        if ((r = check_whole_option_names(argc, argv)) != 0)
                return r;
        optind = 1;
        opterr = 0;
        while ((opt = getopt_long(argc, argv, "h", options, NULL)) != -1) {
                if ((r = common_option(opt, &c)) != 0) {
                        if (r < 0)
                                return -r;
                        continue;
                }
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
        nsl_progress_init(&progress, c.progress, "from-host");
        o.replace = c.replace;
        o.progress = &progress;
        o.summary = &summary;
        stop_on_signals();
        r = nsl_from_host(argv[optind], argv + optind + 1, &o, &error);
        nsl_strv_free(o.extra);
        return finish(r, &error, &progress, &summary, &c, "from-host", argv[optind]);
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
