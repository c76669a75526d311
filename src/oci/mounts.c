/* config.json's mounts onto a spec: the kernel filesystems nslaunch makes
 * itself (proc, /dev, sysfs, cgroup) turn into their switches, binds and
 * tmpfs into --bind and --tmpfs values; anything else is refused naming
 * the mount. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../cleanup.h"
#include "../error.h"
#include "../parse/parse.h"
#include "oci.h"

struct mount_ctx {
        const struct nsl_oci *oci;
        nsl_spec *spec;
        const struct nsl_oci_mount *m;
        char path[64];          /* "mounts[3]" */
        const char *dest;       /* normalised */
        bool dev, dev_part;     /* a /dev asked for; a mount that belongs to it */
        char dev_part_buf[64];
};

static bool has_option(const struct nsl_oci_mount *m, const char *word)
{
        for (size_t i = 0; i < m->n_options; i++)
                if (!strcmp(m->options[i], word))
                        return true;
        return false;
}

static bool word_in(const char *word, const char *const *list)
{
        for (; *list; list++)
                if (!strcmp(word, *list))
                        return true;
        return false;
}

/* Words that change nothing nslaunch would do: propagation (the sandbox's
 * mount namespace is private to it), the atime family, and nosuid/nodev,
 * which every mount of the sandbox has anyway. */
static const char *const harmless[] = { "private", "rprivate", "slave", "rslave", "shared", "rshared", "unbindable",
                                        "runbindable", "atime", "noatime", "relatime", "norelatime", "strictatime",
                                        "nostrictatime", "diratime", "nodiratime", "lazytime", "nolazytime",
                                        "nosuid", "nodev", "exec", "rw", "defaults", NULL };

/* A bind of a device node not asked to be nodev: what rootless podman makes
 * of --device (and runc mounts as it is), a device bind here; every other
 * bind is nodev. */
static bool is_device_bind(const struct mount_ctx *c, const char *source)
{
        struct stat st;

        return !has_option(c->m, "nodev") && stat(source, &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
}

static int device_bind_to_spec(struct mount_ctx *c, const char *source, nsl_error *error)
{
        _cleanup_free_ char *value = NULL;
        int r;

        if (asprintf(&value, "%s:%s", source, c->dest) < 0) {
                value = NULL;
                return nsl_fail(error, ENOMEM, "config.json", c->path, NULL);
        }
        r = nsl_spec_add_device(c->spec, value, error);
        return r < 0 ? nsl_oci_as_field(error, c->path, r) : 0;
}

static int bind_to_spec(struct mount_ctx *c, nsl_error *error)
{
        _cleanup_free_ char *source = NULL, *value = NULL;
        bool ro = false, noexec = false, idmap = false;
        char words[32];
        int r;

        if (!c->m->source || !*c->m->source)
                return nsl_oci_refuse(error, c->path, "bind without a source");
        for (size_t i = 0; i < c->m->n_options; i++) {
                const char *w = c->m->options[i];
                /* rro (runc 1.1's recursive read-only) is what ro is here:
                 * a bind's submounts are read-only too */
                if (!strcmp(w, "ro") || !strcmp(w, "rro"))
                        ro = true;
                else if (!strcmp(w, "noexec"))
                        noexec = true;
                else if (!strcmp(w, "idmap") || !strcmp(w, "ridmap"))
                        idmap = true;   /* without the mount's own mappings: the container's (runtime-spec 1.2) */
                else if (strchr(w, '='))
                        continue;       /* data (mode=, size=): it sets up a new filesystem, and a bind makes
                                           none; mount(2) ignores it with MS_BIND, as runc and crun pass it */
                else if (strcmp(w, "bind") && strcmp(w, "rbind") && !word_in(w, harmless))
                        return nsl_fail(error, EINVAL, "config.json", c->path, "bind %s at %s: option %s is not supported",
                                        c->m->source, c->m->destination, w);
        }
        snprintf(words, sizeof words, "%s%s%s", ro ? ",ro" : "", noexec ? ",noexec" : "", idmap ? ",idmap" : "");
        if (c->m->source[0] == '/')
                source = strdup(c->m->source);
        else if (asprintf(&source, "%s/%s", c->oci->bundle, c->m->source) < 0)
                source = NULL;
        if (!source)
                return nsl_fail(error, ENOMEM, "config.json", c->path, NULL);
        if (strchr(source, ':') || strchr(c->dest, ':'))
                return nsl_fail(error, EINVAL, "config.json", c->path, "bind %s at %s: a path with ':' is not supported",
                                source, c->m->destination);
        if (is_device_bind(c, source))
                return device_bind_to_spec(c, source, error);
        if (asprintf(&value, "%s:%s%s%s", source, c->dest, *words ? ":" : "", *words ? words + 1 : "") < 0) {
                value = NULL;
                return nsl_fail(error, ENOMEM, "config.json", c->path, NULL);
        }
        r = nsl_spec_add_bind(c->spec, value, false, error);
        return r < 0 ? nsl_oci_as_field(error, c->path, r) : 0;
}

static int tmpfs_to_spec(struct mount_ctx *c, nsl_error *error)
{
        _cleanup_free_ char *value = NULL;
        char words[128] = "";
        int r;

        for (size_t i = 0; i < c->m->n_options; i++) {
                const char *w = c->m->options[i];
                /* tmpcopyup (runc's and crun's extension): the tmpfs starts empty */
                if ((!strncmp(w, "size=", 5) || !strncmp(w, "mode=", 5) || !strcmp(w, "noexec") || !strcmp(w, "ro")) &&
                    strlen(words) + strlen(w) + 2 < sizeof words) {
                        strcat(words, *words ? "," : "");
                        strcat(words, w);
                } else if (!word_in(w, harmless) && strcmp(w, "tmpcopyup"))
                        return nsl_fail(error, EINVAL, "config.json", c->path, "tmpfs at %s: option %s is not supported",
                                        c->m->destination, w);
        }
        if (asprintf(&value, "%s%s%s", c->dest, *words ? ":" : "", words) < 0) {
                value = NULL;
                return nsl_fail(error, ENOMEM, "config.json", c->path, NULL);
        }
        r = nsl_spec_add_tmpfs(c->spec, value, error);
        return r < 0 ? nsl_oci_as_field(error, c->path, r) : 0;
}

/* The parts of /dev nslaunch's own /dev holds already. */
static bool is_dev_part(const char *type, const char *dest)
{
        return (!strcmp(type, "devpts") && !strcmp(dest, "/dev/pts")) ||
               (!strcmp(type, "mqueue") && !strcmp(dest, "/dev/mqueue")) ||
               ((!strcmp(type, "tmpfs") || !strcmp(type, "bind")) && !strcmp(dest, "/dev/shm"));
}

/* The devpts' one option nslaunch's own lacks: the terminals' group (the
 * tty group, gid=5, that runc's and Docker's configs give). */
static int devpts_to_spec(struct mount_ctx *c, nsl_error *error)
{
        for (size_t i = 0; i < c->m->n_options; i++) {
                const char *word = c->m->options[i];
                uint64_t gid;

                if (strncmp(word, "gid=", 4))
                        continue;
                if (nsl_parse_uint(word + 4, UINT32_MAX - 1, &gid) < 0)     /* (gid_t)-1 is no group */
                        return nsl_fail(error, EINVAL, "config.json", c->path, "%s: expected a group id", word);
                nsl_spec_set_devpts_gid(c->spec, (gid_t)gid);
        }
        return 0;
}

static int mount_to_spec(struct mount_ctx *c, nsl_error *error)
{
        const char *type = c->m->type, *dest = c->dest;
        bool bind = !strcmp(type, "bind") || !strcmp(type, "rbind") ||
                    (!strcmp(type, "none") && (has_option(c->m, "bind") || has_option(c->m, "rbind")));

        if (!strcmp(type, "proc") && !strcmp(dest, "/proc")) {
                int r = nsl_spec_set_proc(c->spec, "full", error);
                return r < 0 ? nsl_oci_as_field(error, c->path, r) : 0;
        }
        if (!strcmp(type, "tmpfs") && !strcmp(dest, "/dev")) {
                nsl_spec_set_dev(c->spec, true);
                c->dev = true;
                return 0;
        }
        if (is_dev_part(bind ? "bind" : type, dest)) {
                if (!c->dev_part) {
                        c->dev_part = true;
                        snprintf(c->dev_part_buf, sizeof c->dev_part_buf, "%s", c->path);
                }
                return strcmp(type, "devpts") ? 0 : devpts_to_spec(c, error);
        }
        if (!strcmp(type, "sysfs") && !strcmp(dest, "/sys")) {
                if (!has_option(c->m, "ro"))
                        return nsl_fail(error, EINVAL, "config.json", c->path, "sysfs at /sys: a writable sysfs is not supported");
                nsl_spec_set_sysfs(c->spec, true);
                return 0;
        }
        if ((!strcmp(type, "cgroup") || !strcmp(type, "cgroup2")) && !strcmp(dest, "/sys/fs/cgroup")) {
                nsl_spec_set_cgroupfs(c->spec, true);
                return 0;
        }
        if (bind)
                return bind_to_spec(c, error);
        if (!strcmp(type, "tmpfs"))
                return tmpfs_to_spec(c, error);
        return nsl_fail(error, EINVAL, "config.json", c->path, "%s at %s is not supported", type, c->m->destination);
}

int nsl_oci_mounts_to_spec(const struct nsl_oci *oci, nsl_spec *spec, nsl_error *error)
{
        struct mount_ctx c = { .oci = oci, .spec = spec };
        int r;

        for (size_t i = 0; i < oci->n_mounts; i++) {
                _cleanup_free_ char *dest = NULL;

                c.m = &oci->mounts[i];
                snprintf(c.path, sizeof c.path, "mounts[%zu]", i);
                if (nsl_normalize_dest(c.m->destination, &dest) < 0)
                        return nsl_fail(error, EINVAL, "config.json", c.path, "destination %s is not supported",
                                        c.m->destination);
                c.dest = dest;
                if ((r = mount_to_spec(&c, error)) < 0)
                        return r;
        }
        if (c.dev_part && !c.dev)
                return nsl_fail(error, EINVAL, "config.json", c.dev_part_buf,
                                "a part of /dev without a tmpfs at /dev is not supported");
        return 0;
}
