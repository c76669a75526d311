/* A D-Bus client of the least kind: one connection to a peer that speaks
 * the protocol directly (systemd's private socket), EXTERNAL
 * authentication, method calls with bodies built by the caller, and the
 * messages that come back read strictly. Little-endian messages only,
 * which every peer on x86-64 and arm64 sends. No bus daemon, no Hello,
 * no file descriptors. */
#ifndef NSL_CGROUP_DBUS_H
#define NSL_CGROUP_DBUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nslaunch.h"

#define NSL_DBUS_MESSAGE_MAX (1u << 20)

enum { NSL_DBUS_CALL = 1, NSL_DBUS_RETURN = 2, NSL_DBUS_ERROR = 3, NSL_DBUS_SIGNAL = 4 };

/* A growing buffer that marshals values at their alignment, counted from
 * its start (a body starts 8-aligned in its message). */
struct nsl_dbus_writer {
        uint8_t *data;
        size_t len, cap;
        bool failed;    /* out of memory: the message is not sent */
};

void nsl_dbus_writer_free(struct nsl_dbus_writer *w);
void nsl_dbus_put_byte(struct nsl_dbus_writer *w, uint8_t v);
void nsl_dbus_put_bool(struct nsl_dbus_writer *w, bool v);
void nsl_dbus_put_u32(struct nsl_dbus_writer *w, uint32_t v);
void nsl_dbus_put_u64(struct nsl_dbus_writer *w, uint64_t v);
void nsl_dbus_put_string(struct nsl_dbus_writer *w, const char *s);      /* s and o */
void nsl_dbus_put_signature(struct nsl_dbus_writer *w, const char *sig); /* g, and a variant's type */
/* An array: begun between nsl_dbus_array_begin and nsl_dbus_array_end,
 * which fills its length in; element_align is 8 for structs and 64-bit
 * values, 4 for 32-bit ones and strings, 1 for bytes. */
struct nsl_dbus_array {
        size_t length_at, start;
};
struct nsl_dbus_array nsl_dbus_array_begin(struct nsl_dbus_writer *w, size_t element_align);
void nsl_dbus_array_end(struct nsl_dbus_writer *w, struct nsl_dbus_array a);
void nsl_dbus_struct_begin(struct nsl_dbus_writer *w);

/* A message as read: its header's fields and its body. */
struct nsl_dbus_message {
        uint8_t type;
        uint32_t serial, reply_serial;
        char member[256], interface[256], error_name[256], signature[256];
        uint8_t *data;          /* the whole message (malloc'd) */
        size_t body, len;       /* the body's offset and the message's length */
};

void nsl_dbus_message_free(struct nsl_dbus_message *m);

/* Reads the body's values in order, checking each against its type and
 * the body's end; a failed read leaves ok false and every later read
 * fails too. */
struct nsl_dbus_reader {
        const uint8_t *data;
        size_t pos, end, base;
        bool ok;
};

void nsl_dbus_reader_init(struct nsl_dbus_reader *r, const struct nsl_dbus_message *m);
uint32_t nsl_dbus_get_u32(struct nsl_dbus_reader *r);
const char *nsl_dbus_get_string(struct nsl_dbus_reader *r);     /* s and o; NULL when it fails */

struct nsl_dbus {
        int fd;
        uint32_t serial;
};

#define NSL_DBUS_INIT { .fd = -1 }

/* Connects to the socket at path and authenticates as the caller's euid. */
int nsl_dbus_connect(struct nsl_dbus *bus, const char *path, int timeout_ms, nsl_error *error);
void nsl_dbus_close(struct nsl_dbus *bus);
/* Sends a method call (destination NULL: a peer-to-peer connection);
 * *serial is the call's, for matching its reply. */
int nsl_dbus_call(struct nsl_dbus *bus, const char *destination, const char *path, const char *interface,
                  const char *member, const char *signature, const struct nsl_dbus_writer *body, uint32_t *serial,
                  nsl_error *error);
/* ms from now on CLOCK_MONOTONIC, in ms: a deadline for nsl_dbus_read. */
int64_t nsl_dbus_deadline(int ms);
/* The next message, waiting until the deadline. */
int nsl_dbus_read(struct nsl_dbus *bus, int64_t deadline_ms, struct nsl_dbus_message *m, nsl_error *error);
/* A whole message as it was on the wire (nsl_dbus_read, tests); takes
 * data, which m then owns. */
int nsl_dbus_parse(uint8_t *data, size_t len, struct nsl_dbus_message *m, nsl_error *error);
/* Builds a method call's bytes: what nsl_dbus_call sends, for tests. */
int nsl_dbus_build_call(uint32_t serial, const char *destination, const char *path, const char *interface,
                        const char *member, const char *signature, const struct nsl_dbus_writer *body,
                        struct nsl_dbus_writer *out);

#endif
