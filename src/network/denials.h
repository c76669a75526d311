/* The refusals of --allow-egress, as nslaunch reads them: the packets the
 * sandbox's rules copy to their log group before refusing them, counted per
 * destination into the result. */
#ifndef NSL_NETWORK_DENIALS_H
#define NSL_NETWORK_DENIALS_H

#include <stddef.h>
#include <stdint.h>

#include "nslaunch.h"

/* Reads every message waiting on the log socket (never blocks). */
void nsl_egress_log_read(int fd, nsl_result *result);

/* One logged packet (from its IP header) counted into result: exposed for
 * the unit tests. */
void nsl_egress_count_packet(const uint8_t *packet, size_t len, nsl_result *result);

#endif
