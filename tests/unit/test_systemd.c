/* systemd's cgroup driver without systemd: cgroupsPath to the scope, and
 * the D-Bus messages checked by a real D-Bus implementation, dbus-daemon
 * (started here on a socket of its own), which drops a connection that
 * sends a malformed message and forwards a valid one as it was. The scope
 * itself is made by the real systemd in tests/vm's systemd guest
 * (tests/integration/test_oci_systemd.py). */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>
#include <cmocka.h>

#include "cgroup/cgroup.h"
#include "cgroup/dbus.h"
#include "cgroup/internal.h"

static void expect_scope(const char *cgroups_path, const char *unit, const char *slice, const char *path)
{
        struct nsl_systemd_scope scope;
        nsl_error e = { 0 };

        if (nsl_systemd_scope_parse(cgroups_path, &scope, &e) < 0)
                fail_msg("%s: refused: %s: %s", cgroups_path, e.object, e.cause);
        assert_string_equal(scope.unit, unit);
        assert_string_equal(scope.slice, slice);
        assert_string_equal(scope.path, path);
}

static void expect_refused(const char *cgroups_path, const char *cause_part)
{
        struct nsl_systemd_scope scope;
        nsl_error e = { 0 };

        assert_true(nsl_systemd_scope_parse(cgroups_path, &scope, &e) < 0);
        assert_string_equal(e.what, "cgroupsPath");
        if (!strstr(e.cause, cause_part))
                fail_msg("%s: '%s' does not say '%s'", cgroups_path, e.cause, cause_part);
}

/* A user's systemd: its scopes are below its own cgroup, and a path that
 * would not fit is refused rather than cut. */
static void scope_of_a_users_systemd(void **state)
{
        struct nsl_systemd_manager manager = { .socket = "/run/user/1000/systemd/private",
                                               .root = "/user.slice/user-1000.slice/user@1000.service" };
        struct nsl_systemd_scope scope;
        nsl_error e = { 0 };

        (void)state;
        assert_int_equal(nsl_systemd_scope_parse("user.slice:libpod:f00", &scope, &e), 0);
        assert_int_equal(nsl_systemd_scope_under(&scope, &manager, &e), 0);
        assert_string_equal(scope.path, "/user.slice/user-1000.slice/user@1000.service/user.slice/libpod-f00.scope");
        assert_string_equal(scope.unit, "libpod-f00.scope");
        assert_string_equal(scope.slice, "user.slice");
        assert_string_equal(scope.manager.socket, "/run/user/1000/systemd/private");
        assert_string_equal(scope.manager.root, manager.root);

        memset(scope.path, 'a', sizeof scope.path - 1);
        scope.path[sizeof scope.path - 1] = '\0';
        scope.path[0] = '/';
        assert_true(nsl_systemd_scope_under(&scope, &manager, &e) < 0);
        assert_int_equal(e.errnum, ENAMETOOLONG);
        assert_int_equal(scope.path[1], 'a');   /* left as it was */
}

/* Docker's, podman's and kubelet's forms; a slice's dashes are its parents. */
static void scope_names(void **state)
{
        (void)state;
        expect_scope("system.slice:docker:abc", "docker-abc.scope", "system.slice", "/system.slice/docker-abc.scope");
        expect_scope("machine.slice:libpod:f00", "libpod-f00.scope", "machine.slice", "/machine.slice/libpod-f00.scope");
        expect_scope("kubepods-burstable-pod1_2.slice:cri-containerd:x", "cri-containerd-x.scope",
                     "kubepods-burstable-pod1_2.slice",
                     "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1_2.slice/cri-containerd-x.scope");
        expect_scope(":nslaunch-runc:c1", "nslaunch-runc-c1.scope", "system.slice", "/system.slice/nslaunch-runc-c1.scope");
        expect_scope("user.slice::c1", "c1.scope", "user.slice", "/user.slice/c1.scope");
        expect_scope("-.slice:p:n", "p-n.scope", "-.slice", "/p-n.scope");
        expect_refused("/docker/abc", "expected slice:prefix:name");
        expect_refused("system.slice:docker", "expected slice:prefix:name");
        expect_refused("system.slice:docker:", "expected slice:prefix:name");
        expect_refused("a:b:c:d", "expected slice:prefix:name");
        expect_refused("system:docker:x", "not a slice's name");
        expect_refused("a--b.slice:p:n", "not a slice's name");
        expect_refused("-a.slice:p:n", "not a slice's name");
        expect_refused("a-.slice:p:n", "not a slice's name");
        expect_refused("a/b.slice:p:n", "not a slice's name");
        expect_refused("system.slice:p:../../x", "not a unit's name");
        expect_refused("system.slice:p:a b", "not a unit's name");
        expect_refused("system.slice:p:pod.slice", "a slice as the container's own unit");
}

/* The bytes of a call with no body, as the specification lays them out:
 * fixed header, then each (code, variant) field at 8, then padding to 8. */
static void call_bytes(void **state)
{
        struct nsl_dbus_writer w;
        struct nsl_dbus_message m;
        nsl_error e = { 0 };
        static const uint8_t expected_start[] = {
                'l', 1, 0, 1, 0, 0, 0, 0, 7, 0, 0, 0,   /* little-endian call, no body, serial 7 */
                0, 0, 0, 0,                             /* the fields' length, checked below */
                1, 1, 'o', 0, 2, 0, 0, 0, '/', 'a', 0,  /* PATH "/a" */
        };
        (void)state;

        assert_int_equal(nsl_dbus_build_call(7, NULL, "/a", "b.c", "M", NULL, NULL, &w), 0);
        assert_int_equal(w.len % 8, 0);
        assert_memory_equal(w.data, expected_start, 12);
        assert_memory_equal(w.data + 16, expected_start + 16, sizeof expected_start - 16);
        uint32_t fields = w.data[12] | w.data[13] << 8;
        assert_int_equal(w.len, (16 + fields + 7) / 8 * 8);
        uint8_t *copy = malloc(w.len);
        memcpy(copy, w.data, w.len);
        assert_int_equal(nsl_dbus_parse(copy, w.len, &m, &e), 0);
        assert_int_equal(m.type, NSL_DBUS_CALL);
        assert_int_equal(m.serial, 7);
        assert_string_equal(m.member, "M");
        assert_string_equal(m.interface, "b.c");
        nsl_dbus_message_free(&m);

        /* cut short, a length past the end, nonzero padding: refused */
        for (size_t cut = 0; cut < w.len; cut += 5) {
                copy = malloc(w.len);
                memcpy(copy, w.data, w.len);
                assert_int_equal(nsl_dbus_parse(copy, cut, &m, &e), -EBADMSG);
        }
        copy = malloc(w.len);
        memcpy(copy, w.data, w.len);
        copy[20] = 200; /* PATH's string length */
        assert_int_equal(nsl_dbus_parse(copy, w.len, &m, &e), -EBADMSG);
        copy = malloc(w.len);
        memcpy(copy, w.data, w.len);
        copy[w.len - 1] = 1;    /* the header's trailing padding */
        assert_int_equal(nsl_dbus_parse(copy, w.len, &m, &e), -EBADMSG);
        nsl_dbus_writer_free(&w);
}

struct daemon {
        char dir[64], socket[128];
        pid_t pid;
};

/* dbus-daemon on a socket in a directory of its own, allowing everything;
 * false where it is not installed. */
static bool daemon_start(struct daemon *d)
{
        char config[128], ready[160];
        FILE *f;

        if (access("/usr/bin/dbus-daemon", X_OK) < 0)
                return false;
        snprintf(d->dir, sizeof d->dir, "/tmp/nsl-dbus-XXXXXX");
        assert_non_null(mkdtemp(d->dir));
        snprintf(d->socket, sizeof d->socket, "%s/bus", d->dir);
        snprintf(config, sizeof config, "%s/bus.conf", d->dir);
        snprintf(ready, sizeof ready, "%s/address", d->dir);
        assert_non_null(f = fopen(config, "w"));
        fprintf(f, "<!DOCTYPE busconfig PUBLIC \"-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN\" "
                   "\"http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd\">\n"
                   "<busconfig><type>custom</type><listen>unix:path=%s</listen><auth>EXTERNAL</auth>"
                   "<policy context=\"default\"><allow send_destination=\"*\"/><allow own=\"*\"/>"
                   "<allow receive_sender=\"*\"/></policy></busconfig>\n", d->socket);
        fclose(f);
        d->pid = fork();
        if (d->pid == 0) {
                int out = open(ready, O_WRONLY | O_CREAT | O_TRUNC, 0600);
                dup2(out, 1);
                execl("/usr/bin/dbus-daemon", "dbus-daemon", "--nofork", "--nopidfile", "--print-address",
                      "--config-file", config, (char *)NULL);
                _exit(127);
        }
        for (int i = 0; i < 500; i++) {
                struct stat st;
                if (stat(ready, &st) == 0 && st.st_size > 0)
                        return true;
                usleep(10000);
        }
        fail_msg("dbus-daemon did not start");
        return false;
}

static void daemon_stop(struct daemon *d)
{
        static const char *const files[] = { "bus", "bus.conf", "address" };
        char path[192];

        kill(d->pid, SIGTERM);
        waitpid(d->pid, NULL, 0);
        for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
                snprintf(path, sizeof path, "%s/%s", d->dir, files[i]);
                unlink(path);
        }
        rmdir(d->dir);
}

/* A call to the bus itself, and its reply. */
static void bus_call(struct nsl_dbus *bus, const char *member, const char *signature, struct nsl_dbus_writer *body,
                     struct nsl_dbus_message *reply)
{
        nsl_error e = { 0 };
        uint32_t serial;

        assert_int_equal(nsl_dbus_call(bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       member, signature, body, &serial, &e), 0);
        do {
                if (nsl_dbus_read(bus, nsl_dbus_deadline(5000), reply, &e) < 0)
                        fail_msg("%s: %s: %s", member, e.object, e.cause);
                if (reply->reply_serial != serial)
                        nsl_dbus_message_free(reply);
        } while (!reply->data);
}

static void hello(struct nsl_dbus *bus, const char *socket)
{
        struct nsl_dbus_message reply;
        struct nsl_dbus_reader r;
        nsl_error e = { 0 };

        assert_int_equal(nsl_dbus_connect(bus, socket, 5000, &e), 0);
        bus_call(bus, "Hello", NULL, NULL, &reply);
        assert_int_equal(reply.type, NSL_DBUS_RETURN);
        assert_string_equal(reply.signature, "s");
        nsl_dbus_reader_init(&r, &reply);
        const char *name = nsl_dbus_get_string(&r);
        assert_non_null(name);
        assert_int_equal(name[0], ':');
        nsl_dbus_message_free(&reply);
}

/* StartTransientUnit's body for a scope with every limit systemd is given,
 * sent through dbus-daemon to a connection that owns systemd's name: the
 * daemon checks it against its signature (a malformed one ends the
 * sender's connection) and delivers it unchanged. */
static void scope_call_through_dbus_daemon(void **state)
{
        struct nsl_dbus sender = NSL_DBUS_INIT, systemd = NSL_DBUS_INIT;
        struct nsl_dbus_writer body, name = { 0 };
        struct nsl_dbus_message m;
        struct nsl_dbus_reader r;
        struct nsl_systemd_scope scope;
        struct daemon d;
        nsl_error e = { 0 };
        uint32_t serial;
        struct nsl_cgroup_limits l = { .memory = 64 << 20, .memory_swap = 96 << 20, .memory_reservation = 1 << 20,
                                       .pids = 30, .cpu_shares = 512, .cpu_quota_us = 25000, .cpu_period_us = 50000,
                                       .blkio_weight = 500, .cpuset_cpus = "0-1,9", .cpuset_mems = "0" };
        (void)state;

        if (!daemon_start(&d))
                skip();
        hello(&systemd, d.socket);
        nsl_dbus_put_string(&name, "org.freedesktop.systemd1");
        nsl_dbus_put_u32(&name, 4);     /* DO_NOT_QUEUE */
        bus_call(&systemd, "RequestName", "su", &name, &m);
        assert_int_equal(m.type, NSL_DBUS_RETURN);
        nsl_dbus_message_free(&m);
        nsl_dbus_writer_free(&name);

        hello(&sender, d.socket);
        assert_int_equal(nsl_systemd_scope_parse("system.slice:docker:abc", &scope, &e), 0);
        assert_int_equal(nsl_systemd_scope_body(&scope, 4242, &l, &body), 0);
        assert_int_equal(nsl_dbus_call(&sender, "org.freedesktop.systemd1", "/org/freedesktop/systemd1",
                                       "org.freedesktop.systemd1.Manager", "StartTransientUnit", "ssa(sv)a(sa(sv))",
                                       &body, &serial, &e), 0);
        do {
                if (nsl_dbus_read(&systemd, nsl_dbus_deadline(5000), &m, &e) < 0)
                        fail_msg("the call never came: %s: %s", e.object, e.cause);
                if (strcmp(m.member, "StartTransientUnit"))
                        nsl_dbus_message_free(&m);
        } while (!m.data);
        assert_int_equal(m.type, NSL_DBUS_CALL);
        assert_string_equal(m.interface, "org.freedesktop.systemd1.Manager");
        assert_string_equal(m.signature, "ssa(sv)a(sa(sv))");
        assert_int_equal(m.len - m.body, body.len);
        assert_memory_equal(m.data + m.body, body.data, body.len);
        nsl_dbus_reader_init(&r, &m);
        assert_string_equal(nsl_dbus_get_string(&r), "docker-abc.scope");
        assert_string_equal(nsl_dbus_get_string(&r), "fail");
        /* the sender is still connected: the daemon found the message valid */
        struct nsl_dbus_message reply;
        bus_call(&sender, "GetId", NULL, NULL, &reply);
        assert_int_equal(reply.type, NSL_DBUS_RETURN);
        nsl_dbus_message_free(&reply);
        nsl_dbus_message_free(&m);
        nsl_dbus_writer_free(&body);
        nsl_dbus_close(&sender);
        nsl_dbus_close(&systemd);
        daemon_stop(&d);
}

/* A server that answers the handshake only once it has read all of it, up
 * to BEGIN, with answers (then reads the first message, whose first byte
 * it writes back): the client sends BEGIN ahead of the call, not right
 * before it (systemd's sd-bus may leave a call read with BEGIN unanswered). */
static pid_t scripted_server(const char *path, const char *answers)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        int listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        static const char expected[] = "\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n";

        snprintf(addr.sun_path, sizeof addr.sun_path, "%s", path);
        assert_int_equal(bind(listener, (struct sockaddr *)&addr, sizeof addr), 0);
        assert_int_equal(listen(listener, 1), 0);
        pid_t pid = fork();
        if (pid == 0) {
                char got[sizeof expected - 1], first;
                int fd = accept(listener, NULL, NULL);
                size_t n = 0;
                while (fd >= 0 && n < sizeof got) {
                        ssize_t k = read(fd, got + n, sizeof got - n);
                        if (k <= 0)
                                _exit(2);
                        n += (size_t)k;
                }
                if (fd < 0 || memcmp(got, expected, sizeof got))
                        _exit(3);
                if (write(fd, answers, strlen(answers)) != (ssize_t)strlen(answers) || read(fd, &first, 1) != 1 ||
                    write(fd, &first, 1) != 1)
                        _exit(4);
                _exit(0);
        }
        close(listener);
        return pid;
}

static void handshake_with(const char *answers, int expected_errno)
{
        char dir[] = "/tmp/nsl-dbus-XXXXXX", path[64];
        struct nsl_dbus bus = NSL_DBUS_INIT;
        nsl_error e = { 0 };
        int status;
        char echo;

        assert_non_null(mkdtemp(dir));
        snprintf(path, sizeof path, "%s/bus", dir);
        pid_t server = scripted_server(path, answers);
        int r = nsl_dbus_connect(&bus, path, 5000, &e);
        if (expected_errno) {
                assert_int_equal(r, -expected_errno);
                kill(server, SIGKILL);
        } else {
                assert_int_equal(r, 0);
                /* what follows the answers is the server's first message: nothing was left unread */
                assert_int_equal(write(bus.fd, "l", 1), 1);
                assert_int_equal(read(bus.fd, &echo, 1), 1);
                assert_int_equal(echo, 'l');
        }
        waitpid(server, &status, 0);
        if (!expected_errno)
                assert_int_equal(WEXITSTATUS(status), 0);
        nsl_dbus_close(&bus);
        unlink(path);
        rmdir(dir);
}

static void handshake_sends_begin_ahead(void **state)
{
        (void)state;
        handshake_with("DATA\r\nOK 0123456789abcdef0123456789abcdef\r\n", 0);
        /* an older sd-bus's OK to AUTH, then to DATA */
        handshake_with("OK 0123456789abcdef0123456789abcdef\r\nOK 0123456789abcdef0123456789abcdef\r\n", 0);
        handshake_with("REJECTED EXTERNAL\r\n", EACCES);
}

/* A body that breaks the signature it claims ends the connection: the test
 * above would see it. */
static void dbus_daemon_drops_a_malformed_call(void **state)
{
        struct nsl_dbus bus = NSL_DBUS_INIT;
        struct nsl_dbus_writer body = { 0 };
        struct nsl_dbus_message m;
        struct daemon d;
        nsl_error e = { 0 };
        uint32_t serial;
        (void)state;

        if (!daemon_start(&d))
                skip();
        hello(&bus, d.socket);
        nsl_dbus_put_string(&body, "docker-abc.scope");
        assert_int_equal(nsl_dbus_call(&bus, "org.freedesktop.DBus", "/org/freedesktop/DBus", "org.freedesktop.DBus",
                                       "GetNameOwner", "su", &body, &serial, &e), 0);
        int r = 0;
        while ((r = nsl_dbus_read(&bus, nsl_dbus_deadline(5000), &m, &e)) == 0)
                nsl_dbus_message_free(&m);
        assert_int_equal(r, -ECONNRESET);
        nsl_dbus_writer_free(&body);
        nsl_dbus_close(&bus);
        daemon_stop(&d);
}

int main(void)
{
        const struct CMUnitTest tests[] = {
                cmocka_unit_test(scope_names),
                cmocka_unit_test(scope_of_a_users_systemd),
                cmocka_unit_test(call_bytes),
                cmocka_unit_test(handshake_sends_begin_ahead),
                cmocka_unit_test(scope_call_through_dbus_daemon),
                cmocka_unit_test(dbus_daemon_drops_a_malformed_call),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
