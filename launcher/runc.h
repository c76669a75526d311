/* nslaunch-runc: runc's command line over the library (docs/oci.md). */
#ifndef NSL_RUNC_H
#define NSL_RUNC_H

#include <json-c/json.h>
#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>
#include <termios.h>

#include "nslaunch.h"
#include "tokens.h"

/* The global options, shared by every command. */
struct nsl_runc {
        char root[PATH_MAX];    /* the state directory */
        int log_fd;             /* --log, -1 without */
        bool log_json;          /* --log-format json */
        bool debug;
        bool systemd_cgroup;    /* --systemd-cgroup: cgroupsPath is slice:prefix:name, the cgroup a scope */
};

/* What a container's state.json holds (runc-state.c). */
struct nsl_runc_state {
        char id[256];
        pid_t pid;                      /* init on the host */
        unsigned long long start_time;  /* init's, from /proc/PID/stat: a reused pid is not init */
        bool started;                   /* start has run: its fifo is gone (not kept in state.json) */
        /* the config has startContainer, poststart or poststop hooks: start
         * and delete read config.json only then (true where state.json
         * does not say: one written before it did) */
        bool later_hooks;
        char bundle[PATH_MAX];
        char rootfs[PATH_MAX];
        char created[40];               /* RFC 3339 */
        char cgroup[PATH_MAX];          /* empty without one */
        bool systemd_scope;             /* cgroup is a scope systemd made (--systemd-cgroup) */
        json_object *annotations;       /* owned; NULL without */
};

/* CREATING only in what a seccomp agent is sent during create, as runc's. */
enum nsl_runc_status { NSL_RUNC_CREATED, NSL_RUNC_RUNNING, NSL_RUNC_PAUSED, NSL_RUNC_STOPPED, NSL_RUNC_CREATING };

/* Errors: "nslaunch-runc: WHAT: OBJECT: CAUSE" on stderr and in --log; exit 1. */
int nsl_runc_fail(const struct nsl_runc *g, const char *what, const char *object, const char *cause);
int nsl_runc_fail_error(const struct nsl_runc *g, const nsl_error *error);
int nsl_runc_usage(const struct nsl_runc *g, const char *command, enum nsl_token token, const char *spelled);
void nsl_runc_debug(const struct nsl_runc *g, const char *msg);
/* A command's one container ID, after its options (token ends them). */
int nsl_runc_one_id(const struct nsl_runc *g, const char *command, struct nsl_tokens *t, enum nsl_token token,
                    const char **id);
/* --console-socket PATH, connected: the engine's listener for the pty's master. */
int nsl_runc_connect_socket(const char *what, const char *path, nsl_error *error);

/* The terminal of a foreground run or exec without --console-socket
 * (runc-tty.c): nslaunch-runc takes the pty's master on a socket pair of
 * its own and copies between it and its stdio. */
struct nsl_runc_tty {
        int ours;               /* our end of the console socket; -1: none */
        int master;             /* until the pump has it */
        pid_t pump;             /* the child that copies; -1: none */
        bool raw;               /* stdin is a terminal, raw until the end */
        struct termios saved;
};
#define NSL_RUNC_TTY_INIT { .ours = -1, .master = -1, .pump = -1 }
/* The socket pair: *theirs is for nsl_spec_set_console_socket, and the
 * caller's to close once the container (or exec's process) has it. */
int nsl_runc_tty_socket(struct nsl_runc_tty *tty, int *theirs, nsl_error *error);
/* Takes the master (blocks until it comes), makes stdin raw, starts the pump. */
int nsl_runc_tty_attach(struct nsl_runc_tty *tty, nsl_error *error);
/* Waits until the container's side is gone and everything it wrote is
 * copied, then gives the caller's terminal back as it was. */
void nsl_runc_tty_end(struct nsl_runc_tty *tty);

/* The state store. The ID's directory holds state.json, config.json and,
 * until start, the fifo init waits on. */
#define START_FIFO "start"
int nsl_runc_check_id(const char *id, nsl_error *error);
/* The ID's directory, created (O_EXCL: one create wins) or opened, locked
 * exclusively (flock) for a command that changes the container. */
int nsl_runc_dir_create(const struct nsl_runc *g, const char *id, nsl_error *error);
int nsl_runc_dir_open(const struct nsl_runc *g, const char *id, bool lock, nsl_error *error);
int nsl_runc_dir_remove(const struct nsl_runc *g, const char *id, int dirfd, nsl_error *error);
int nsl_runc_state_read(int dirfd, const char *id, struct nsl_runc_state *state, nsl_error *error);
/* A file create writes while init builds and renames into place once the
 * container is created (until then, no command finds it "created" and no
 * engine its pid), or removes when create fails. */
struct nsl_runc_pending {
        int dirfd;
        const char *path;
        const char *what;       /* its name in errors: "state", "--pid-file" */
        char *tmp;              /* the written temporary; NULL: nothing pending */
};
#define NSL_RUNC_PENDING_INIT { .dirfd = -1 }
int nsl_runc_state_prepare(int dirfd, const struct nsl_runc_state *state, struct nsl_runc_pending *file,
                           nsl_error *error);
int nsl_runc_pid_file_prepare(const char *path, pid_t pid, struct nsl_runc_pending *file, nsl_error *error);
int nsl_runc_pending_commit(struct nsl_runc_pending *file, nsl_error *error);
void nsl_runc_pending_drop(struct nsl_runc_pending *file);
void nsl_runc_state_release(struct nsl_runc_state *state);
/* The config.json create read, kept in the ID's directory: start, exec and
 * delete use it (their hooks, exec's filter), so that a later change to the
 * bundle's config reaches none of them (runtime.md). */
int nsl_runc_config_save(int dirfd, const nsl_oci *oci, const char *id, nsl_error *error);
int nsl_runc_config_load(int dirfd, const struct nsl_runc_state *state, nsl_oci **oci, nsl_error *error);
enum nsl_runc_status nsl_runc_status(const struct nsl_runc_state *state);
const char *nsl_runc_status_name(enum nsl_runc_status status);
/* The OCI state (runtime.md): ociVersion, id, status, pid, bundle, annotations. */
char *nsl_runc_state_json(const struct nsl_runc_state *state, enum nsl_runc_status status);
/* linux.seccomp.listenerPath connected and given to spec, with the state
 * (as status) the agent is sent; *fd, -1 where the config names no agent,
 * is the caller's to close once the process is started. */
int nsl_runc_seccomp_agent(const nsl_oci *oci, const struct nsl_runc_state *state, enum nsl_runc_status status,
                           nsl_spec *spec, int *fd, nsl_error *error);
int nsl_runc_proc_start_time(pid_t pid, unsigned long long *start_time, char *proc_state);
/* A pidfd for init when it still is the container's (not a reused pid), or -ESRCH. */
int nsl_runc_init_pidfd(const struct nsl_runc_state *state);
/* Every host pid of the container (init first): its pid namespace's, or
 * its cgroup's where it shares one. */
int nsl_runc_pids(const struct nsl_runc_state *state, pid_t **pids, size_t *n, nsl_error *error);
bool nsl_runc_owns_pid_ns(const struct nsl_runc_state *state);
int nsl_runc_signal_number(const char *name);
void nsl_runc_now_rfc3339(char *buf, size_t len);
int nsl_runc_write_pid_file(const char *path, pid_t pid, nsl_error *error);

/* The state of the one container ID in argv[first..argc) that has a cgroup
 * and is not stopped, for a command on its cgroup; the lock is let go. */
int nsl_runc_cgroup_state(const struct nsl_runc *g, const char *command, int argc, char **argv, int first,
                          struct nsl_runc_state *state, nsl_error *error);

/* The commands. argv[0] is the command's name. */
int nsl_runc_create(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_run(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_start(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_kill(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_delete(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_state_cmd(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_list(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_ps(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_features(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_spec(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_exec(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_pause(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_update(const struct nsl_runc *g, int argc, char **argv);
int nsl_runc_events(const struct nsl_runc *g, int argc, char **argv);

int nsl_runc_main(int argc, char **argv);

#endif
