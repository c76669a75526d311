/* The refusals of --allow-egress, as nslaunch reads them: the packets the
 * sandbox's rules copy to their log group before refusing them, counted per
 * destination, into the result or (a detached sandbox's init, which may not
 * allocate) into a table of fixed size, and written as the lines nslaunch
 * prints. */
#ifndef NSL_NETWORK_DENIALS_H
#define NSL_NETWORK_DENIALS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nslaunch.h"

/* Called for each refused packet read off the log socket, with its
 * destination (count 1); with NULL when the kernel's queue ran over and at
 * least one was lost. */
typedef void nsl_egress_refused_fn(const nsl_egress_denial *refused, void *data);

/* Reads every message waiting on the log socket (never blocks, never
 * allocates). */
void nsl_egress_log_drain(int fd, nsl_egress_refused_fn *on_refused, void *data);
/* nsl_egress_log_drain counting into the result. */
void nsl_egress_log_read(int fd, nsl_result *result);

/* One logged packet (from its IP header) counted into result: exposed for
 * the unit tests. */
void nsl_egress_count_packet(const uint8_t *packet, size_t len, nsl_result *result);

/* A detached sandbox's count: the first destinations, in the order first
 * refused; the rest only counted as dropped. */
#define NSL_EGRESS_TALLY_SIZE 64
struct nsl_egress_tally {
        nsl_egress_denial seen[NSL_EGRESS_TALLY_SIZE];
        size_t n;
        unsigned long dropped;
};

/* Counts one refusal (NULL: a lost one); true when its destination is new. */
bool nsl_egress_tally_add(struct nsl_egress_tally *tally, const nsl_egress_denial *refused);

/* "nslaunch: egress: refused DEST/PROTO" and, with the count, " xN", and a
 * newline, into buf (always terminated). */
void nsl_egress_denial_line(const nsl_egress_denial *denial, bool with_count, char *buf, size_t size);
/* That line, written to fd (a failed write is not retried). */
void nsl_egress_denial_write(int fd, const nsl_egress_denial *denial, bool with_count);
/* One line per destination, with its count, then how many were left out:
 * nothing when nothing was refused. */
void nsl_egress_denials_write(int fd, const nsl_egress_denial *denials, size_t n, unsigned long dropped);

#endif
