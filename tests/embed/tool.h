/* The test programs that drive the library through its public header end
 * a failure as the CLI does: nslaunch's one line on stderr, exit status 125. */
#ifndef NSL_TEST_TOOL_H
#define NSL_TEST_TOOL_H

#include <nslaunch.h>
#include <stdio.h>

static inline int tool_fail(const nsl_error *error)
{
        char line[1200];

        nsl_error_format(error, line, sizeof line);
        fprintf(stderr, "%s\n", line);
        return NSL_EXIT_LAUNCHER;
}

#endif
