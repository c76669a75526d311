/* The D-Bus wire format (the specification's "Message Protocol") and a
 * connection to one peer over a Unix socket. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "../cleanup.h"
#include "../error.h"
#include "dbus.h"

#define FIXED_HEADER 16
#define PROTOCOL_VERSION 1

enum { FIELD_PATH = 1, FIELD_INTERFACE, FIELD_MEMBER, FIELD_ERROR_NAME, FIELD_REPLY_SERIAL, FIELD_DESTINATION,
       FIELD_SENDER, FIELD_SIGNATURE, FIELD_UNIX_FDS };

static size_t round_up(size_t n, size_t align)
{
        return (n + align - 1) / align * align;
}

void nsl_dbus_writer_free(struct nsl_dbus_writer *w)
{
        free(w->data);
        *w = (struct nsl_dbus_writer){ 0 };
}

static bool reserve(struct nsl_dbus_writer *w, size_t n)
{
        if (w->failed)
                return false;
        if (w->len + n > w->cap) {
                size_t cap = w->cap ? w->cap * 2 : 256;
                while (cap < w->len + n)
                        cap *= 2;
                uint8_t *data = cap <= NSL_DBUS_MESSAGE_MAX ? realloc(w->data, cap) : NULL;
                if (!data) {
                        w->failed = true;
                        return false;
                }
                w->data = data;
                w->cap = cap;
        }
        return true;
}

static void pad(struct nsl_dbus_writer *w, size_t align)
{
        size_t to = round_up(w->len, align);

        if (to > w->len && reserve(w, to - w->len)) {
                memset(w->data + w->len, 0, to - w->len);
                w->len = to;
        }
}

static void put_le(struct nsl_dbus_writer *w, uint64_t v, size_t bytes)
{
        pad(w, bytes);
        if (!reserve(w, bytes))
                return;
        for (size_t i = 0; i < bytes; i++)
                w->data[w->len++] = (uint8_t)(v >> (8 * i));
}

static void put_bytes(struct nsl_dbus_writer *w, const void *bytes, size_t n)
{
        if (reserve(w, n)) {
                memcpy(w->data + w->len, bytes, n);
                w->len += n;
        }
}

void nsl_dbus_put_byte(struct nsl_dbus_writer *w, uint8_t v)
{
        put_bytes(w, &v, 1);
}

void nsl_dbus_put_bool(struct nsl_dbus_writer *w, bool v)
{
        put_le(w, v ? 1 : 0, 4);
}

void nsl_dbus_put_u32(struct nsl_dbus_writer *w, uint32_t v)
{
        put_le(w, v, 4);
}

void nsl_dbus_put_u64(struct nsl_dbus_writer *w, uint64_t v)
{
        put_le(w, v, 8);
}

void nsl_dbus_put_string(struct nsl_dbus_writer *w, const char *s)
{
        size_t n = strlen(s);

        put_le(w, n, 4);
        put_bytes(w, s, n + 1);
}

void nsl_dbus_put_signature(struct nsl_dbus_writer *w, const char *sig)
{
        size_t n = strlen(sig);

        if (n > 255) {
                w->failed = true;
                return;
        }
        nsl_dbus_put_byte(w, (uint8_t)n);
        put_bytes(w, sig, n + 1);
}

struct nsl_dbus_array nsl_dbus_array_begin(struct nsl_dbus_writer *w, size_t element_align)
{
        struct nsl_dbus_array a;

        pad(w, 4);
        a.length_at = w->len;
        put_le(w, 0, 4);
        pad(w, element_align);  /* even an empty array pads to its first element */
        a.start = w->len;
        return a;
}

void nsl_dbus_array_end(struct nsl_dbus_writer *w, struct nsl_dbus_array a)
{
        size_t n = w->len - a.start;

        if (w->failed)
                return;
        for (size_t i = 0; i < 4; i++)
                w->data[a.length_at + i] = (uint8_t)(n >> (8 * i));
}

void nsl_dbus_struct_begin(struct nsl_dbus_writer *w)
{
        pad(w, 8);
}

static void put_field(struct nsl_dbus_writer *w, uint8_t code, const char *type, const char *value)
{
        nsl_dbus_struct_begin(w);
        nsl_dbus_put_byte(w, code);
        nsl_dbus_put_signature(w, type);
        if (type[0] == 'g')
                nsl_dbus_put_signature(w, value);
        else
                nsl_dbus_put_string(w, value);
}

int nsl_dbus_build_call(uint32_t serial, const char *destination, const char *path, const char *interface,
                        const char *member, const char *signature, const struct nsl_dbus_writer *body,
                        struct nsl_dbus_writer *out)
{
        size_t body_len = body ? body->len : 0;

        *out = (struct nsl_dbus_writer){ 0 };
        put_bytes(out, "l", 1);
        nsl_dbus_put_byte(out, NSL_DBUS_CALL);
        nsl_dbus_put_byte(out, 0);
        nsl_dbus_put_byte(out, PROTOCOL_VERSION);
        nsl_dbus_put_u32(out, (uint32_t)body_len);
        nsl_dbus_put_u32(out, serial);
        struct nsl_dbus_array fields = nsl_dbus_array_begin(out, 8);
        put_field(out, FIELD_PATH, "o", path);
        put_field(out, FIELD_INTERFACE, "s", interface);
        put_field(out, FIELD_MEMBER, "s", member);
        if (destination)
                put_field(out, FIELD_DESTINATION, "s", destination);
        if (signature && *signature)
                put_field(out, FIELD_SIGNATURE, "g", signature);
        nsl_dbus_array_end(out, fields);
        pad(out, 8);
        if (body_len)
                put_bytes(out, body->data, body_len);
        if (out->failed || (body && body->failed)) {
                nsl_dbus_writer_free(out);
                return -ENOMEM;
        }
        return 0;
}

void nsl_dbus_message_free(struct nsl_dbus_message *m)
{
        free(m->data);
        m->data = NULL;
}

static uint32_t le32(const uint8_t *p)
{
        return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

void nsl_dbus_reader_init(struct nsl_dbus_reader *r, const struct nsl_dbus_message *m)
{
        *r = (struct nsl_dbus_reader){ .data = m->data, .pos = m->body, .end = m->len, .ok = true };
}

static bool take(struct nsl_dbus_reader *r, size_t align, size_t n)
{
        size_t at = round_up(r->pos, align);

        if (!r->ok || at > r->end || n > r->end - at) {
                r->ok = false;
                return false;
        }
        for (size_t i = r->pos; i < at; i++)
                if (r->data[i]) {       /* padding is zeros, or the message is malformed */
                        r->ok = false;
                        return false;
                }
        r->pos = at;
        return true;
}

uint32_t nsl_dbus_get_u32(struct nsl_dbus_reader *r)
{
        if (!take(r, 4, 4))
                return 0;
        r->pos += 4;
        return le32(r->data + r->pos - 4);
}

const char *nsl_dbus_get_string(struct nsl_dbus_reader *r)
{
        uint32_t n = nsl_dbus_get_u32(r);

        if (!take(r, 1, (size_t)n + 1) || r->data[r->pos + n] || memchr(r->data + r->pos, 0, n)) {
                r->ok = false;
                return NULL;
        }
        r->pos += (size_t)n + 1;
        return (const char *)r->data + r->pos - n - 1;
}

static const char *get_signature(struct nsl_dbus_reader *r)
{
        if (!take(r, 1, 1))
                return NULL;
        size_t n = r->data[r->pos];
        r->pos++;
        if (!take(r, 1, n + 1) || r->data[r->pos + n] || memchr(r->data + r->pos, 0, n)) {
                r->ok = false;
                return NULL;
        }
        r->pos += n + 1;
        return (const char *)r->data + r->pos - n - 1;
}

static bool copy_field(char *to, size_t size, const char *value)
{
        return value && (size_t)snprintf(to, size, "%s", value) < size;
}

/* One header field: its code, its type, its value; the fields this client
 * has use for are kept. */
static bool read_field(struct nsl_dbus_reader *r, struct nsl_dbus_message *m)
{
        if (!take(r, 8, 1))
                return false;
        uint8_t code = r->data[r->pos++];
        const char *type = get_signature(r);
        if (!type || strlen(type) != 1)
                return false;
        if (type[0] == 'u') {
                uint32_t v = nsl_dbus_get_u32(r);
                if (code == FIELD_REPLY_SERIAL)
                        m->reply_serial = v;
                return r->ok;
        }
        const char *v = type[0] == 'g' ? get_signature(r) : type[0] == 's' || type[0] == 'o' ? nsl_dbus_get_string(r)
                                                                                             : NULL;
        switch (code) {
        case FIELD_MEMBER: return copy_field(m->member, sizeof m->member, v);
        case FIELD_INTERFACE: return copy_field(m->interface, sizeof m->interface, v);
        case FIELD_ERROR_NAME: return copy_field(m->error_name, sizeof m->error_name, v);
        case FIELD_SIGNATURE: return copy_field(m->signature, sizeof m->signature, v);
        default: return v != NULL;
        }
}

static size_t message_length(const uint8_t *fixed)
{
        return round_up(FIXED_HEADER + (size_t)le32(fixed + 12), 8) + le32(fixed + 4);
}

int nsl_dbus_parse(uint8_t *data, size_t len, struct nsl_dbus_message *m, nsl_error *error)
{
        struct nsl_dbus_reader r;

        *m = (struct nsl_dbus_message){ .data = data, .len = len };
        if (len < FIXED_HEADER || data[0] != 'l' || data[3] != PROTOCOL_VERSION || data[1] < NSL_DBUS_CALL ||
            data[1] > NSL_DBUS_SIGNAL || le32(data + 12) > len || message_length(data) != len)
                goto malformed;
        m->type = data[1];
        m->serial = le32(data + 8);
        size_t fields_end = FIXED_HEADER + le32(data + 12);
        r = (struct nsl_dbus_reader){ .data = data, .pos = FIXED_HEADER, .end = fields_end, .ok = true };
        while (r.pos < fields_end)
                if (!read_field(&r, m))
                        goto malformed;
        m->body = round_up(fields_end, 8);
        for (size_t i = fields_end; i < m->body; i++)
                if (data[i])
                        goto malformed;
        return 0;
malformed:
        nsl_dbus_message_free(m);
        return nsl_fail(error, EBADMSG, "systemd", "D-Bus", "a malformed message");
}

int64_t nsl_dbus_deadline(int ms)
{
        struct timespec ts;

        clock_gettime(CLOCK_MONOTONIC, &ts);
        return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + ms;
}

/* Exactly n bytes, or -errno (-ETIMEDOUT at the deadline, -ECONNRESET at
 * the end of the stream). */
static int read_exact(int fd, void *buf, size_t n, int64_t deadline_ms)
{
        for (size_t got = 0; got < n;) {
                struct pollfd p = { .fd = fd, .events = POLLIN };
                int64_t left = deadline_ms - nsl_dbus_deadline(0);
                if (left <= 0)
                        return -ETIMEDOUT;
                int r = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
                if (r < 0 && errno != EINTR)
                        return -errno;
                if (r <= 0)
                        continue;
                ssize_t k = read(fd, (uint8_t *)buf + got, n - got);
                if (k == 0)
                        return -ECONNRESET;
                if (k < 0 && errno != EINTR && errno != EAGAIN)
                        return -errno;
                got += k > 0 ? (size_t)k : 0;
        }
        return 0;
}

/* nsl_write_all's loop, but with MSG_NOSIGNAL: a library must not die of
 * SIGPIPE when systemd closes the connection. */
static int send_all(int fd, const void *buf, size_t n)
{
        for (size_t sent = 0; sent < n;) {
                ssize_t k = send(fd, (const uint8_t *)buf + sent, n - sent, MSG_NOSIGNAL);
                if (k < 0 && errno != EINTR)
                        return -errno;
                sent += k > 0 ? (size_t)k : 0;
        }
        return 0;
}

/* One line of the server's, without its CRLF. */
static int read_auth_line(int fd, int64_t deadline_ms, char *line, size_t size)
{
        size_t n = 0;
        int r;

        while (n < size - 1 && (n < 2 || memcmp(line + n - 2, "\r\n", 2)))
                if ((r = read_exact(fd, line + n++, 1, deadline_ms)) < 0)
                        return r;
        line[n] = '\0';
        line[strcspn(line, "\r\n")] = '\0';
        return 0;
}

/* EXTERNAL with no identity of the client's own: the peer takes the
 * socket's credentials, the uid as it sees it. (A uid named here would be
 * the caller's in its own user namespace: 0 for rootless podman's runtime,
 * which the user's systemd refuses.) The server asks for the empty identity
 * with DATA, sent ahead, as is BEGIN, the way sd-bus's own client does it:
 * systemd's sd-bus leaves a message it reads in the same read as BEGIN
 * unprocessed until more data comes, so the first call must not follow
 * BEGIN closely. */
static int authenticate(int fd, int64_t deadline_ms, nsl_error *error)
{
        static const char auth[] = "\0AUTH EXTERNAL\r\nDATA\r\nBEGIN\r\n";
        char line[128];
        int r;

        if ((r = send_all(fd, auth, sizeof auth - 1)) < 0)
                return nsl_fail(error, -r, "systemd", "D-Bus", "cannot authenticate");
        /* two answers: DATA (or an older sd-bus's early OK), then OK */
        for (int i = 0; i < 2; i++) {
                if ((r = read_auth_line(fd, deadline_ms, line, sizeof line)) < 0)
                        return nsl_fail(error, -r, "systemd", "D-Bus", "no answer to authentication");
                if (strncmp(line, "OK ", 3) && (i == 1 || strcmp(line, "DATA")))
                        return nsl_fail(error, EACCES, "systemd", "D-Bus", "authentication refused: %s", line);
        }
        return 0;
}

int nsl_dbus_connect(struct nsl_dbus *bus, const char *path, int timeout_ms, nsl_error *error)
{
        struct sockaddr_un addr = { .sun_family = AF_UNIX };
        _cleanup_close_ int fd = -1;
        int r;

        if (strlen(path) >= sizeof addr.sun_path)
                return nsl_fail(error, ENAMETOOLONG, "systemd", path, NULL);
        memcpy(addr.sun_path, path, strlen(path));
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0)
                return nsl_fail(error, errno, "systemd", path, "cannot connect");
        if ((r = authenticate(fd, nsl_dbus_deadline(0) + timeout_ms, error)) < 0)
                return r;
        bus->fd = TAKE_FD(fd);
        bus->serial = 0;
        return 0;
}

void nsl_dbus_close(struct nsl_dbus *bus)
{
        if (bus->fd >= 0)
                close(bus->fd);
        bus->fd = -1;
}

int nsl_dbus_call(struct nsl_dbus *bus, const char *destination, const char *path, const char *interface,
                  const char *member, const char *signature, const struct nsl_dbus_writer *body, uint32_t *serial,
                  nsl_error *error)
{
        struct nsl_dbus_writer message;
        int r;

        *serial = ++bus->serial;
        if ((r = nsl_dbus_build_call(*serial, destination, path, interface, member, signature, body, &message)) < 0)
                return nsl_fail(error, -r, "systemd", member, NULL);
        r = send_all(bus->fd, message.data, message.len);
        nsl_dbus_writer_free(&message);
        return r < 0 ? nsl_fail(error, -r, "systemd", member, "cannot send the call") : 0;
}

int nsl_dbus_read(struct nsl_dbus *bus, int64_t deadline_ms, struct nsl_dbus_message *m, nsl_error *error)
{
        uint8_t fixed[FIXED_HEADER];
        int r = read_exact(bus->fd, fixed, sizeof fixed, deadline_ms);

        if (r < 0)
                return nsl_fail(error, -r, "systemd", "D-Bus", r == -ETIMEDOUT ? "no answer in time" : "cannot read");
        if (fixed[0] != 'l' || le32(fixed + 12) > NSL_DBUS_MESSAGE_MAX || le32(fixed + 4) > NSL_DBUS_MESSAGE_MAX ||
            message_length(fixed) > NSL_DBUS_MESSAGE_MAX)
                return nsl_fail(error, EBADMSG, "systemd", "D-Bus", "a malformed or too large message");
        size_t len = message_length(fixed);
        uint8_t *data = malloc(len);
        if (!data)
                return nsl_fail(error, ENOMEM, "systemd", "D-Bus", NULL);
        memcpy(data, fixed, sizeof fixed);
        if ((r = read_exact(bus->fd, data + sizeof fixed, len - sizeof fixed, deadline_ms)) < 0) {
                free(data);
                return nsl_fail(error, -r, "systemd", "D-Bus", "cannot read");
        }
        return nsl_dbus_parse(data, len, m, error);
}
