/* What cgroup.c, v1.c and v2.c share: cgroupfs file access, naming, and the
 * directory every backend creates its cgroups the same way in. */
#ifndef NSL_CGROUP_INTERNAL_H
#define NSL_CGROUP_INTERNAL_H

#include <sys/types.h>

#include "cgroup.h"

#define NSL_CGROUP_PREFIX "nslaunch-"
/* Making an exact path starts over this often when a parent vanishes
 * between its mkdir and its child's (nsl_cgroup_remove_if_empty of another
 * sandbox's delete): a removal needs the parent empty, so each start over
 * meets a new one. */
#define PARENT_GONE_RESTARTS 8

/* As /proc/PID/cgroup names them ("name=systemd" for NSL_CG_SYSTEMD). */
extern const char *const nsl_cgroup_controller_names[NSL_CG_N];

bool nsl_cgroup_wants(const struct nsl_cgroup_limits *l, int controller);
/* The swap the limits allow beyond memory (cgroup v2 and systemd count it
 * alone): NSL_MEMORY_MAX for no limit. */
uint64_t nsl_cgroup_swap_beyond_memory(const struct nsl_cgroup_limits *l);
int nsl_cgroup_write(int dirfd, const char *name, const char *value, nsl_error *error);
/* v2's cpu.max or v1's CFS quota of the cgroup dir (a cpu hierarchy's on
 * v1) set to none, best effort: its own alone, one a payload made below it
 * keeps its own. */
void nsl_cgroup_lift_cpu_quota_in(const char *dir, bool v2);
/* A failure that names a file of the cgroup alone ("memory.max") names it
 * in dir, so that the line says which cgroup; returns r. */
int nsl_cgroup_in_dir(int r, const char *dir, nsl_error *error);
/* The file's text, NUL-terminated; its length or -errno. */
ssize_t nsl_cgroup_read(int dirfd, const char *name, char *buf, size_t size);
/* "key value" lines (memory.events, memory.oom_control): key's value, -1 if absent. */
int64_t nsl_cgroup_keyed(int dirfd, const char *file, const char *key);
/* What the cgroup dirfd has used (usage.c): every field -1 first, then
 * what v2's files say, or one v1 controller's. */
void nsl_cgroup_usage_clear(struct nsl_cgroup_usage *usage);
void nsl_cgroup_v2_usage(int dirfd, struct nsl_cgroup_usage *usage);
void nsl_cgroup_v1_usage(int dirfd, int controller, struct nsl_cgroup_usage *usage);
/* A sandbox's end (nsl_cgroup_stats): its memory's peak (left as it is
 * where not kept) and whether the OOM killer killed in it, from its memory
 * cgroup, v2's or v1's. */
void nsl_cgroup_memory_stats(int dirfd, bool v2, int64_t *peak, bool *oom_killed);
/* The caller's own cgroup in the v2 hierarchy (controller NULL) or in the
 * v1 hierarchy holding controller. */
int nsl_cgroup_own(const struct nsl_cgroup_places *places, const char *controller, char **path);
const char *nsl_cgroup_no_delegation_hint(void);
/* The hierarchies at the standard places (see cgroup.c). */
void nsl_cgroup_find_places(struct nsl_cgroup_places *places);
/* Whether the limits go to v1 hierarchies: the host keeps memory, cpu or
 * pids there (hybrid), or has no cgroup2. */
bool nsl_cgroup_use_v1(const struct nsl_cgroup_places *places);
/* Every pid in dir and the cgroups below it, appended to *pids (malloc'd). */
int nsl_cgroup_collect_pids(const char *dir, pid_t **pids, size_t *n);
/* Makes hierarchy/parent/name after removing stale cgroups beside it; -ENOTSUP
 * when the caller may not write in parent. *out is malloc'd. */
int nsl_cgroup_mkdir(const struct nsl_cgroup_places *places, const char *hierarchy, const char *parent,
                     const char *name, char **out, nsl_error *error);

int nsl_cgroup_v2_create(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                         const char *parent, const char *name, struct nsl_cgroup *cg, nsl_error *error);
bool nsl_cgroup_v2_has(const char *dir, const struct nsl_cgroup_limits *l);
/* The first controller the limits need that dir's cgroup.controllers does
 * not list (malloc'd), or NULL. */
char *nsl_cgroup_v2_missing(const char *dir, const struct nsl_cgroup_limits *l);
int nsl_cgroup_v2_create_exact(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                               const char *path, struct nsl_cgroup *cg, nsl_error *error);
/* The cgroup at dir (malloc'd, taken) as cg's, with the limits applied. */
int nsl_cgroup_v2_adopt(char *dir, const struct nsl_cgroup_limits *l, bool rootless, struct nsl_cgroup *cg,
                        nsl_error *error);
/* Attaches a program that allows and refuses device access as l's rules
 * say (devices.c). */
int nsl_cgroup_v2_limit_devices(const char *dir, const struct nsl_cgroup_limits *l, nsl_error *error);

/* StartTransientUnit's body for the scope around pid, with the limits
 * systemd models as properties (systemd.c). */
struct nsl_dbus_writer;
int nsl_systemd_scope_body(const struct nsl_systemd_scope *scope, pid_t pid, const struct nsl_cgroup_limits *l,
                           struct nsl_dbus_writer *w);

/* SetUnitProperties of the running scope whose cgroup is path: the limits
 * systemd models. */
int nsl_systemd_set_properties(const char *path, const struct nsl_cgroup_limits *l, nsl_error *error);

int nsl_cgroup_v1_create(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                         const char *parent, const char *name, struct nsl_cgroup *cg, nsl_error *error);
int nsl_cgroup_v1_create_exact(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                               const char *path, struct nsl_cgroup *cg, nsl_error *error);
/* v1 has no place for the limits' v2 files and hugepage limits: ENOTSUP
 * naming the first file, or, on a host with cgroup v2 alone (places), the
 * controller it lacks. */
int nsl_cgroup_v1_refuse_v2_only(const struct nsl_cgroup_places *places, const struct nsl_cgroup_limits *l,
                                 nsl_error *error);

#endif
