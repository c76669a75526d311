/* --status-json: one JSON object telling how the sandbox ended. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "fds.h"
#include "result.h"
#include "spec.h"

static json_object *ms(double v)
{
        char text[32];

        if (v < 0)
                return NULL;
        snprintf(text, sizeof text, "%.3f", v);
        return json_object_new_double_s(v, text);
}

void nsl_result_release(nsl_result *result)
{
        free(result->denials);
        result->denials = NULL;
        result->n_denials = 0;
        free(result->egress_denials);
        result->egress_denials = NULL;
        result->n_egress_denials = 0;
}

int nsl_result_table_room(void **table, size_t n, size_t entry_size)
{
        void *grown;

        if (n & (n - 1))
                return 0;
        grown = realloc(*table, (n ? n * 2 : 8) * entry_size);
        if (!grown)
                return -ENOMEM;
        *table = grown;
        return 0;
}

/* A copy of n elements of size bytes each, or NULL (none, or no memory). */
static void *copy_array(const void *from, size_t n, size_t size, int *r)
{
        void *to;

        if (!n)
                return NULL;
        if (!(to = malloc(n * size))) {
                *r = -ENOMEM;
                return NULL;
        }
        return memcpy(to, from, n * size);
}

int nsl_result_copy(const nsl_result *from, nsl_result *to)
{
        int r = 0;

        *to = *from;
        to->denials = copy_array(from->denials, from->n_denials, sizeof *from->denials, &r);
        to->egress_denials = copy_array(from->egress_denials, from->n_egress_denials, sizeof *from->egress_denials, &r);
        if (r < 0)
                nsl_result_release(to);
        return r;
}

static json_object *egress_denials(const nsl_result *r)
{
        json_object *list = json_object_new_array();

        for (size_t i = 0; i < r->n_egress_denials; i++) {
                const nsl_egress_denial *d = &r->egress_denials[i];
                json_object *o = json_object_new_object();
                json_object_object_add(o, "destination", json_object_new_string(d->destination));
                json_object_object_add(o, "port", d->port ? json_object_new_int(d->port) : NULL);
                json_object_object_add(o, "protocol", json_object_new_string(d->protocol));
                json_object_object_add(o, "count", json_object_new_int64((int64_t)d->count));
                json_object_array_add(list, o);
        }
        return list;
}

static json_object *callers(const nsl_seccomp_denial *d)
{
        json_object *list = json_object_new_array();

        for (size_t i = 0; i < d->n_callers; i++) {
                json_object *o = json_object_new_object();
                json_object_object_add(o, "comm", json_object_new_string(d->callers[i].comm));
                json_object_object_add(o, "pid", json_object_new_int(d->callers[i].pid));
                json_object_array_add(list, o);
        }
        return list;
}

static json_object *denials(const nsl_result *r)
{
        json_object *list = json_object_new_array();

        for (size_t i = 0; i < r->n_denials; i++) {
                const nsl_seccomp_denial *d = &r->denials[i];
                json_object *o = json_object_new_object();
                const char *name = d->killed ? NULL : strerrorname_np(d->errnum);
                json_object_object_add(o, "syscall", json_object_new_string(d->syscall));
                json_object_object_add(o, "arch", json_object_new_string(d->arch));
                json_object_object_add(o, "action", json_object_new_string(d->killed ? "kill" : "errno"));
                json_object_object_add(o, "errno", d->killed ? NULL : json_object_new_string(name ? name : "?"));
                json_object_object_add(o, "count", json_object_new_int64((int64_t)d->count));
                /* the first caller's, as before callers were a list */
                json_object_object_add(o, "comm", json_object_new_string(d->n_callers ? d->callers[0].comm : "?"));
                json_object_object_add(o, "pid", json_object_new_int(d->n_callers ? d->callers[0].pid : 0));
                json_object_object_add(o, "callers", callers(d));
                json_object_object_add(o, "calls_by_others", json_object_new_int64((int64_t)d->calls_by_others));
                json_object_array_add(list, o);
        }
        return list;
}

static json_object *build(const nsl_result *r, const nsl_error *failure)
{
        json_object *o = json_object_new_object();

        if (failure) {
                char line[1200];
                json_object *e = json_object_new_object();
                nsl_error_format(failure, line, sizeof line);
                json_object_object_add(e, "stage", json_object_new_string(failure->stage));
                json_object_object_add(e, "subject", json_object_new_string(failure->what));
                json_object_object_add(e, "message", json_object_new_string(line));
                json_object_object_add(o, "exit_code", json_object_new_int(failure->exit_code ? failure->exit_code
                                                                                             : NSL_EXIT_LAUNCHER));
                json_object_object_add(o, "signal", NULL);
                json_object_object_add(o, "timed_out", json_object_new_boolean(0));
                json_object_object_add(o, "oom_killed", json_object_new_boolean(0));
                json_object_object_add(o, "error", e);
                return o;
        }
        json_object_object_add(o, "exit_code", json_object_new_int(r->exit_code));
        json_object_object_add(o, "signal", r->signal ? json_object_new_int(r->signal) : NULL);
        json_object_object_add(o, "timed_out", json_object_new_boolean(r->timed_out));
        json_object_object_add(o, "oom_killed", json_object_new_boolean(r->oom_killed));
        json_object_object_add(o, "wall_ms", ms(r->wall_ms));
        json_object_object_add(o, "setup_ms", ms(r->setup_ms));
        json_object_object_add(o, "cpu_user_ms", ms(r->cpu_user_ms));
        json_object_object_add(o, "cpu_sys_ms", ms(r->cpu_sys_ms));
        json_object_object_add(o, "peak_memory_bytes",
                               r->peak_memory_bytes >= 0 ? json_object_new_int64(r->peak_memory_bytes) : NULL);
        json_object_object_add(o, "landlock_abi", json_object_new_int(r->landlock_abi));
        if (r->seccomp_reported) {
                json_object_object_add(o, "seccomp_denials", denials(r));
                json_object_object_add(o, "seccomp_denials_dropped", json_object_new_int64((int64_t)r->denials_dropped));
        }
        json_object_object_add(o, "seccomp_suspected", json_object_new_boolean(r->seccomp_suspected));
        if (r->egress_reported) {
                json_object_object_add(o, "egress_denials", egress_denials(r));
                json_object_object_add(o, "egress_denials_dropped",
                                       json_object_new_int64((int64_t)r->egress_denials_dropped));
        }
        json_object_object_add(o, "error", NULL);
        return o;
}

static int write_line(int fd, const char *text)
{
        int r = nsl_write_all(fd, text, strlen(text));
        return r < 0 ? r : nsl_write_all(fd, "\n", 1);
}

int nsl_write_status(const nsl_spec *spec, const nsl_result *result, const nsl_error *failure, nsl_error *error)
{
        json_object *o;
        const char *text;
        int r = 0;

        if (!spec->status_path && spec->status_fd < 0)
                return 0;
        o = build(result, failure);
        text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN);
        if (spec->status_fd >= 0) {
                int w = write_line(spec->status_fd, text);
                if (w < 0)
                        r = nsl_fail(error, -w, "--status-json", "fd", NULL);
        } else {
                _cleanup_free_ char *line = NULL;
                int w = asprintf(&line, "%s\n", text) < 0
                                ? -ENOMEM
                                : nsl_replace_file(spec->status_path, line, strlen(line), NSL_FILE_RUNTIME);
                if (w < 0)
                        r = nsl_fail(error, -w, "--status-json", spec->status_path, NULL);
        }
        json_object_put(o);
        return r;
}
