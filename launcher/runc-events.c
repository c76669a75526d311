/* nslaunch-runc events: what the container's cgroup has used, as runc's
 * JSON events, one a line: "stats" once (--stats) or every --interval
 * until the container ends, and "oom" whenever the kernel's OOM killer has
 * killed in it since the last look. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "error.h"
#include "json.h"
#include "parse/parse.h"
#include "runc.h"

enum { E_INTERVAL = 1, E_STATS };

#define DEFAULT_INTERVAL_MS 5000
/* how often OOM kills are looked for between two stats */
#define OOM_LOOK_MS 100

static void add_number(json_object *o, const char *key, int64_t value)
{
        if (value >= 0)
                json_object_object_add(o, key, json_object_new_int64(value));
}

static json_object *add_object(json_object *parent, const char *key)
{
        json_object *o = json_object_new_object();

        json_object_object_add(parent, key, o);
        return o;
}

/* runc's names (its types.Stats) for what nslaunch reads; a value the
 * cgroup does not keep is left out. */
static json_object *stats_data(const struct nsl_cgroup_usage *u)
{
        json_object *data = json_object_new_object();
        json_object *cpu = add_object(data, "cpu"), *memory = add_object(data, "memory");
        json_object *usage = add_object(cpu, "usage"), *throttling = add_object(cpu, "throttling");
        json_object *mem = add_object(memory, "usage"), *swap = add_object(memory, "swap");
        json_object *pids = add_object(data, "pids");

        add_number(usage, "total", u->cpu_total_ns);
        add_number(usage, "kernel", u->cpu_system_ns);
        add_number(usage, "user", u->cpu_user_ns);
        add_number(throttling, "periods", u->cpu_periods);
        add_number(throttling, "throttledPeriods", u->cpu_throttled_periods);
        add_number(throttling, "throttledTime", u->cpu_throttled_ns);
        add_number(mem, "limit", u->memory_limit_bytes);
        add_number(mem, "usage", u->memory_bytes);
        add_number(mem, "max", u->memory_peak_bytes);
        add_number(mem, "failcnt", u->memory_failcnt);
        add_number(swap, "limit", u->memsw_limit_bytes);
        add_number(swap, "usage", u->memsw_bytes);
        add_number(pids, "current", u->pids);
        add_number(pids, "limit", u->pids_limit);
        return data;
}

/* {"type":...,"id":...[,"data":...]} on a line of its own, at once. */
static void print_event(const char *type, const char *id, json_object *data)
{
        _cleanup_json_ json_object *event = json_object_new_object();

        json_object_object_add(event, "type", json_object_new_string(type));
        json_object_object_add(event, "id", json_object_new_string(id));
        if (data)
                json_object_object_add(event, "data", data);
        printf("%s\n", json_object_to_json_string_ext(event, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE));
        fflush(stdout);
}

static int print_stats(const struct nsl_runc_state *state, struct nsl_cgroup_usage *u, nsl_error *error)
{
        int r = nsl_cgroup_usage(state->cgroup, u, error);

        if (r == 0)
                print_event("stats", state->id, stats_data(u));
        return r;
}

/* Until init has ended (or its cgroup is gone): stats every interval_ms,
 * and an "oom" event once the cgroup's OOM kills have grown. */
static int follow(const struct nsl_runc_state *state, uint64_t interval_ms, nsl_error *error)
{
        _cleanup_close_ int pidfd = nsl_runc_init_pidfd(state);
        struct pollfd ended = { .fd = pidfd, .events = POLLIN };
        struct nsl_cgroup_usage u;
        uint64_t since_stats = 0;
        int r;

        if (pidfd < 0)
                return nsl_fail(error, ESRCH, "events", state->id, "the container is not running");
        if ((r = print_stats(state, &u, error)) < 0)
                return r;
        for (int64_t ooms = u.oom_kills;;) {
                r = poll(&ended, 1, OOM_LOOK_MS);
                if (r < 0 && errno != EINTR)
                        return nsl_fail(error, errno, "events", state->id, NULL);
                /* ended: one last look, for the OOM kill that ended it (v2's
                 * memory.oom.group kills the whole container) */
                bool over = r > 0;
                since_stats += OOM_LOOK_MS;
                if (!over && since_stats >= interval_ms) {
                        since_stats = 0;
                        r = print_stats(state, &u, error);
                } else
                        r = nsl_cgroup_usage(state->cgroup, &u, error);
                if (r < 0)
                        return r == -ENOENT ? 0 : r;    /* deleted meanwhile */
                if (u.oom_kills > ooms)
                        print_event("oom", state->id, NULL);
                if (over)
                        return 0;
                ooms = u.oom_kills;
        }
}

int nsl_runc_events(const struct nsl_runc *g, int argc, char **argv)
{
        static const struct nsl_option_def defs[] = { { "interval", 0, true, E_INTERVAL }, { "stats", 0, false, E_STATS },
                                                      { 0 } };
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1, .operands_anywhere = true };
        struct nsl_runc_state state = { 0 };
        struct nsl_cgroup_usage u;
        uint64_t interval_ms = DEFAULT_INTERVAL_MS;
        nsl_error error = { 0 };
        enum nsl_token token = NSL_TOKEN_END;
        char *ids[2];
        int n_ids = 0, id, r = 0;
        bool once = false;

        while (r == 0 && ((token = nsl_next_token(&t, defs, &id)) == NSL_TOKEN_OPTION || token == NSL_TOKEN_OPERAND)) {
                if (token == NSL_TOKEN_OPERAND && n_ids < (int)ELEMENTSOF(ids))
                        ids[n_ids++] = (char *)t.value;
                else if (token == NSL_TOKEN_OPTION && id == E_STATS)
                        once = true;
                else if (token == NSL_TOKEN_OPTION && (nsl_parse_duration(t.value, &interval_ms) < 0 || !interval_ms))
                        r = nsl_fail(&error, EINVAL, "--interval", t.value, "expected a duration of 1ms or more, e.g. 5s or 100ms");
        }
        if (r == 0 && token != NSL_TOKEN_END)
                return nsl_runc_usage(g, "events", token, t.spelled);
        if (r == 0)
                r = nsl_runc_cgroup_state(g, "events", n_ids, ids, 0, &state, &error);
        if (r == 0)
                r = once ? print_stats(&state, &u, &error) : follow(&state, interval_ms, &error);
        nsl_runc_state_release(&state);
        return r < 0 ? nsl_runc_fail_error(g, &error) : 0;
}
