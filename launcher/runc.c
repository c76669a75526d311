/* nslaunch-runc: runc's global options and its commands' dispatch. Errors
 * are one line on stderr and, with --log, in the log, where containerd's
 * shim and conmon look for the last error; the exit status is 1, as runc's. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "host.h"
#include "json.h"
#include "runc.h"

enum { G_ROOT = 1, G_LOG, G_LOG_FORMAT, G_DEBUG, G_SYSTEMD_CGROUP, G_VERSION, G_HELP, G_CRIU, G_ROOTLESS };

static const struct nsl_option_def global_options[] = {
        { "root", 0, true, G_ROOT },
        { "log", 0, true, G_LOG },
        { "log-format", 0, true, G_LOG_FORMAT },
        { "debug", 0, false, G_DEBUG },
        { "systemd-cgroup", 0, false, G_SYSTEMD_CGROUP },
        { "version", 'v', false, G_VERSION },
        { "help", 'h', false, G_HELP },
        { "criu", 0, true, G_CRIU },            /* accepted, as checkpoint is refused anyway */
        { "rootless", 0, true, G_ROOTLESS },    /* auto|true|false: nslaunch decides by itself */
        { 0 },
};

static const char usage_text[] =
        "Usage: nslaunch-runc [GLOBAL OPTIONS] COMMAND [OPTIONS] ID ...\n"
        "\n"
        "runc's command line for nslaunch (docs/oci.md). Commands:\n"
        "  create ID --bundle DIR [--pid-file F] [--console-socket S] [--preserve-fds N]\n"
        "  start ID        run ID [--detach] ...    state ID        delete [--force] ID\n"
        "  kill [--all] ID [SIGNAL]                 exec ID (--process F | ARGS...)\n"
        "  ps ID [--format table|json]              list [--format table|json] [-q]\n"
        "  pause ID        resume ID                update ID --resources F|- ...\n"
        "  events [--stats] [--interval 5s] ID      features    spec [--rootless] [--bundle DIR]\n"
        "\n"
        "Global options:\n"
        "  --root DIR            state (default /run/nslaunch-runc; $XDG_RUNTIME_DIR/nslaunch-runc rootless)\n"
        "  --log FILE            errors (and --debug lines) appended to FILE\n"
        "  --log-format text|json\n"
        "  --debug               more lines in the log\n"
        "  --version, -v         the version\n"
        "  --systemd-cgroup      cgroupsPath is systemd's slice:prefix:name: the cgroup is a scope systemd makes\n";

static void write_log(const struct nsl_runc *g, const char *level, const char *msg)
{
        char now[40];

        if (g->log_fd < 0)
                return;
        nsl_runc_now_rfc3339(now, sizeof now);
        if (g->log_json) {
                _cleanup_json_ json_object *o = json_object_new_object();
                json_object_object_add(o, "level", json_object_new_string(level));
                json_object_object_add(o, "msg", json_object_new_string(msg));
                json_object_object_add(o, "time", json_object_new_string(now));
                const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
                dprintf(g->log_fd, "%s\n", text);
        } else {
                dprintf(g->log_fd, "time=\"%s\" level=%s msg=\"%s\"\n", now, level, msg);
        }
}

void nsl_runc_debug(const struct nsl_runc *g, const char *msg)
{
        if (g->debug)
                write_log(g, "debug", msg);
}

int nsl_runc_fail(const struct nsl_runc *g, const char *what, const char *object, const char *cause)
{
        char line[1400];

        /* an object (a path, up to PATH_MAX) is cut short rather than the cause */
        if (object && object[0])
                snprintf(line, sizeof line, "%s: %.1024s: %s", what, object, cause);
        else
                snprintf(line, sizeof line, "%s: %s", what, cause);
        fprintf(stderr, "nslaunch-runc: %s\n", line);
        write_log(g, "error", line);
        return 1;
}

int nsl_runc_fail_error(const struct nsl_runc *g, const nsl_error *error)
{
        return nsl_runc_fail(g, error->what, error->object, error->cause);
}

int nsl_runc_usage(const struct nsl_runc *g, const char *command, enum nsl_token token, const char *spelled)
{
        const char *problem = token == NSL_TOKEN_UNKNOWN ? "unknown option"
                            : token == NSL_TOKEN_MISSING_VALUE ? "missing value" : "takes no value";
        char what[128];

        snprintf(what, sizeof what, "%s %s", command, spelled);
        return nsl_runc_fail(g, what, "", problem);
}

static int default_root(struct nsl_runc *g)
{
        const char *xdg = getenv("XDG_RUNTIME_DIR");

        if (nsl_host_root())
                snprintf(g->root, sizeof g->root, "/run/nslaunch-runc");
        else if (xdg && xdg[0])
                snprintf(g->root, sizeof g->root, "%s/nslaunch-runc", xdg);
        else
                snprintf(g->root, sizeof g->root, "/tmp/nslaunch-runc-%u", (unsigned)geteuid());
        return 0;
}

static int refuse_command(const struct nsl_runc *g, const char *name)
{
        if (!strcmp(name, "checkpoint") || !strcmp(name, "restore"))
                return nsl_runc_fail(g, name, "", "not supported: nslaunch has no checkpoint/restore (CRIU)");
        return nsl_runc_fail(g, name, "", "unknown command (nslaunch-runc --help)");
}

static const struct {
        const char *name;
        int (*fn)(const struct nsl_runc *g, int argc, char **argv);
} commands[] = {
        { "create", nsl_runc_create },   { "start", nsl_runc_start },   { "run", nsl_runc_run },
        { "state", nsl_runc_state_cmd }, { "kill", nsl_runc_kill },     { "delete", nsl_runc_delete },
        { "list", nsl_runc_list },       { "ps", nsl_runc_ps },         { "features", nsl_runc_features },
        { "spec", nsl_runc_spec },       { "exec", nsl_runc_exec },     { "pause", nsl_runc_pause },
        { "resume", nsl_runc_pause },    { "update", nsl_runc_update }, { "events", nsl_runc_events },
};

static int open_log(struct nsl_runc *g, const char *path)
{
        if (g->log_fd >= 0)
                close(g->log_fd);
        g->log_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC | O_NOCTTY, 0640);
        if (g->log_fd < 0) {
                char cause[128];
                snprintf(cause, sizeof cause, "cannot open: %s", strerror(errno));
                return nsl_runc_fail(g, "--log", path, cause);
        }
        return 0;
}

int nsl_runc_main(int argc, char **argv)
{
        struct nsl_runc g = { .log_fd = -1 };
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        const char *log_format = "text";
        enum nsl_token token;
        int id, r;

        default_root(&g);
        while ((token = nsl_next_token(&t, global_options, &id)) == NSL_TOKEN_OPTION) {
                switch (id) {
                case G_ROOT:
                        snprintf(g.root, sizeof g.root, "%s", t.value);
                        break;
                case G_LOG:
                        if (open_log(&g, t.value))
                                return 1;
                        break;
                case G_LOG_FORMAT:
                        log_format = t.value;
                        break;
                case G_DEBUG:
                        g.debug = true;
                        break;
                case G_SYSTEMD_CGROUP:
                        g.systemd_cgroup = true;
                        break;
                case G_VERSION:
                        /* runc's three lines: tools read the version and the spec's */
                        printf("nslaunch-runc version %s\ncommit: %s\nspec: 1.2.0\n", NSL_VERSION,
                               nsl_build_commit());
                        return 0;
                case G_HELP:
                        fputs(usage_text, stdout);
                        return 0;
                }
        }
        if (!strcmp(log_format, "json"))
                g.log_json = true;
        else if (strcmp(log_format, "text"))
                return nsl_runc_fail(&g, "--log-format", log_format, "not text or json");
        if (token != NSL_TOKEN_END)
                return nsl_runc_usage(&g, "nslaunch-runc", token, t.spelled);
        if (t.index >= argc)
                return nsl_runc_fail(&g, "usage", "", "no command (nslaunch-runc --help)");
        if (g.root[0] != '/') {
                char *abs = realpath(g.root, NULL);
                if (!abs && mkdir(g.root, 0700) == 0)
                        abs = realpath(g.root, NULL);
                if (!abs)
                        return nsl_runc_fail(&g, "--root", g.root, strerror(errno));
                snprintf(g.root, sizeof g.root, "%s", abs);
                free(abs);
        }
        if (g.debug) {
                char line[512];
                int n = snprintf(line, sizeof line, "nslaunch-runc %s, root %s:", NSL_VERSION, g.root);
                for (int i = t.index; i < argc && n > 0 && (size_t)n < sizeof line; i++)
                        n += snprintf(line + n, sizeof line - (size_t)n, " %s", argv[i]);
                nsl_runc_debug(&g, line);
        }
        r = -1;
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (!strcmp(argv[t.index], commands[i].name))
                        r = commands[i].fn(&g, argc - t.index, argv + t.index);
        if (r < 0)
                r = refuse_command(&g, argv[t.index]);
        if (g.log_fd >= 0)
                close(g.log_fd);
        return r;
}

int nsl_runc_one_id(const struct nsl_runc *g, const char *command, struct nsl_tokens *t, enum nsl_token token,
                    const char **id)
{
        if (token != NSL_TOKEN_END)
                return nsl_runc_usage(g, command, token, t->spelled);
        if (t->argc - t->index != 1)
                return nsl_runc_fail(g, command, "", t->argc == t->index ? "no container ID" : "one container ID only");
        *id = t->argv[t->index];
        return 0;
}

int nsl_runc_connect_socket(const char *what, const char *path, nsl_error *error)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;

        if (strlen(path) >= sizeof addr.sun_path)
                return nsl_fail(error, ENAMETOOLONG, what, path, NULL);
        strcpy(addr.sun_path, path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
                return nsl_fail(error, errno, what, path, NULL);
        return TAKE_FD(fd);
}

int nsl_runc_seccomp_agent(const nsl_oci *oci, const struct nsl_runc_state *state, enum nsl_runc_status status,
                           nsl_spec *spec, int *fd, nsl_error *error)
{
        const char *metadata, *path = nsl_oci_seccomp_listener(oci, &metadata);
        _cleanup_free_ char *json = NULL;

        *fd = -1;
        if (!path)
                return 0;
        if ((*fd = nsl_runc_connect_socket("linux.seccomp.listenerPath", path, error)) < 0)
                return *fd;
        if (!(json = nsl_runc_state_json(state, status)))
                return nsl_fail(error, ENOMEM, "seccomp-agent", "", NULL);
        return nsl_spec_set_seccomp_agent(spec, *fd, metadata, json, error);
}
