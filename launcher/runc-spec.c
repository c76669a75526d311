/* nslaunch-runc spec: a config.json that nslaunch itself accepts, as a
 * starting point to edit (runc spec's role). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cleanup.h"
#include "fds.h"
#include "json.h"
#include "runc.h"

enum { S_ROOTLESS = 1, S_BUNDLE };

/* process.terminal is true, as in runc's and crun's: `run` then gives the
 * caller the container's terminal (runc-tty.c), create needs --console-socket. */
static const char base_config[] =
        "{\"ociVersion\":\"1.2.0\","
        "\"process\":{\"terminal\":true,\"user\":{\"uid\":0,\"gid\":0},\"args\":[\"sh\"],"
        "\"env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\",\"TERM=xterm\"],"
        "\"cwd\":\"/\",\"capabilities\":{"
        "\"bounding\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"effective\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"],"
        "\"permitted\":[\"CAP_AUDIT_WRITE\",\"CAP_KILL\",\"CAP_NET_BIND_SERVICE\"]},"
        "\"rlimits\":[{\"type\":\"RLIMIT_NOFILE\",\"hard\":1024,\"soft\":1024}],"
        "\"noNewPrivileges\":true},"
        "\"root\":{\"path\":\"rootfs\",\"readonly\":true},"
        "\"hostname\":\"nslaunch\","
        "\"mounts\":["
        "{\"destination\":\"/proc\",\"type\":\"proc\",\"source\":\"proc\"},"
        "{\"destination\":\"/dev\",\"type\":\"tmpfs\",\"source\":\"tmpfs\",\"options\":[\"nosuid\",\"strictatime\",\"mode=755\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\",\"noexec\",\"newinstance\",\"ptmxmode=0666\",\"mode=0620\",\"gid=5\"]},"
        "{\"destination\":\"/dev/shm\",\"type\":\"tmpfs\",\"source\":\"shm\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"mode=1777\",\"size=65536k\"]},"
        "{\"destination\":\"/dev/mqueue\",\"type\":\"mqueue\",\"source\":\"mqueue\",\"options\":[\"nosuid\",\"noexec\",\"nodev\"]},"
        "{\"destination\":\"/sys\",\"type\":\"sysfs\",\"source\":\"sysfs\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"ro\"]},"
        "{\"destination\":\"/sys/fs/cgroup\",\"type\":\"cgroup\",\"source\":\"cgroup\",\"options\":[\"nosuid\",\"noexec\",\"nodev\",\"relatime\",\"ro\"]}"
        "],"
        "\"linux\":{\"resources\":{\"devices\":[{\"allow\":false,\"access\":\"rwm\"}]},"
        "\"namespaces\":[{\"type\":\"pid\"},{\"type\":\"network\"},{\"type\":\"ipc\"},{\"type\":\"uts\"},{\"type\":\"mount\"},{\"type\":\"cgroup\"}],"
        "\"maskedPaths\":[\"/proc/acpi\",\"/proc/asound\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency_stats\","
        "\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/sys/firmware\",\"/proc/scsi\"],"
        "\"readonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/sys\",\"/proc/sysrq-trigger\"]}}";

static json_object *id_map(unsigned host_id)
{
        json_object *a = json_object_new_array(), *m = json_object_new_object();

        json_object_object_add(m, "containerID", json_object_new_int(0));
        json_object_object_add(m, "hostID", json_object_new_int64(host_id));
        json_object_object_add(m, "size", json_object_new_int(1));
        json_object_array_add(a, m);
        return a;
}

/* The devpts' options but the tty group, which a user namespace that maps
 * only the caller does not have. */
static void drop_tty_group(json_object *mount)
{
        json_object *options = nsl_json_array(mount, "options"), *kept = json_object_new_array();

        for (size_t i = 0; i < json_object_array_length(options); i++) {
                json_object *o = json_object_array_get_idx(options, i);
                if (strcmp(json_object_get_string(o), "gid=5"))
                        json_object_array_add(kept, json_object_get(o));
        }
        json_object_object_add(mount, "options", kept);
}

/* runc spec --rootless's changes: a user namespace mapping the caller to 0,
 * the host's network namespace kept, no device rules, no cgroup mount, no
 * tty group for /dev/pts. */
static void make_rootless(json_object *config)
{
        json_object *linux_o = nsl_json_member(config, "linux", json_type_object);
        json_object *ns = nsl_json_array(linux_o, "namespaces"), *kept = json_object_new_array();
        json_object *mounts = nsl_json_array(config, "mounts"), *kept_mounts = json_object_new_array();

        for (size_t i = 0; i < json_object_array_length(ns); i++) {
                json_object *n = json_object_array_get_idx(ns, i);
                const char *type = nsl_json_string(n, "type");
                if (strcmp(type, "network") && strcmp(type, "cgroup"))
                        json_object_array_add(kept, json_object_get(n));
        }
        json_object *user = json_object_new_object();
        json_object_object_add(user, "type", json_object_new_string("user"));
        json_object_array_add(kept, user);
        json_object_object_add(linux_o, "namespaces", kept);
        for (size_t i = 0; i < json_object_array_length(mounts); i++) {
                json_object *m = json_object_array_get_idx(mounts, i);
                if (!strcmp(nsl_json_string(m, "type"), "devpts"))
                        drop_tty_group(m);
                if (strcmp(nsl_json_string(m, "type"), "cgroup"))
                        json_object_array_add(kept_mounts, json_object_get(m));
        }
        json_object_object_add(config, "mounts", kept_mounts);
        json_object_object_del(linux_o, "resources");
        json_object_object_add(linux_o, "uidMappings", id_map(getuid()));
        json_object_object_add(linux_o, "gidMappings", id_map(getgid()));
}

int nsl_runc_spec(const struct nsl_runc *g, int argc, char **argv)
{
        static const struct nsl_option_def defs[] = {
                { "rootless", 0, false, S_ROOTLESS }, { "bundle", 'b', true, S_BUNDLE }, { 0 } };
        struct nsl_tokens t = { .argc = argc, .argv = argv, .index = 1 };
        _cleanup_json_ json_object *config = NULL;
        _cleanup_close_ int dirfd = -1;
        const char *bundle = ".", *text;
        enum nsl_token token;
        bool rootless = false;
        int id, r;

        while ((token = nsl_next_token(&t, defs, &id)) == NSL_TOKEN_OPTION) {
                if (id == S_ROOTLESS)
                        rootless = true;
                else
                        bundle = t.value;
        }
        if (token != NSL_TOKEN_END)
                return nsl_runc_usage(g, "spec", token, t.spelled);
        if (t.index != argc)
                return nsl_runc_fail(g, "spec", argv[t.index], "takes no operand");
        config = json_tokener_parse(base_config);
        if (rootless)
                make_rootless(config);
        text = json_object_to_json_string_ext(config, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED |
                                                      JSON_C_TO_STRING_NOSLASHESCAPE);
        dirfd = open(bundle, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dirfd < 0)
                return nsl_runc_fail(g, "--bundle", bundle, strerror(errno));
        _cleanup_free_ char *with_newline = NULL;
        if (asprintf(&with_newline, "%s\n", text) < 0)
                return nsl_runc_fail(g, "spec", "", strerror(ENOMEM));
        r = nsl_write_new_file_at(dirfd, "config.json", with_newline, strlen(with_newline), 0644, NSL_FILE_DURABLE);
        if (r < 0)
                return nsl_runc_fail(g, "spec", "config.json", r == -EEXIST ? "exists already" : strerror(-r));
        return 0;
}
