/* The input shape the multi-parser fuzz targets share: the first byte picks
 * the parser (and flags), the rest is the text, NUL-terminated. */
#ifndef NSL_FUZZ_INPUT_H
#define NSL_FUZZ_INPUT_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* A malloc'd copy of data[1..size) as a string; NULL when size is 0 or
 * memory runs out. */
static inline char *nsl_fuzz_text(const uint8_t *data, size_t size)
{
        char *s;

        if (size < 1 || !(s = malloc(size)))
                return NULL;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        return s;
}

#endif
