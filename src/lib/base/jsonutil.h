/* The header-only jansson helpers are public (include/capsa/json.h); the library's own JSON
 * helpers follow. */
#ifndef CAPSA_JSONUTIL_H
#define CAPSA_JSONUTIL_H

#include "capsa/json.h"
#include "error.h"

/* Read dirfd/path (at most 64 MiB) and parse it: 0 with *out, which is NULL when the file is no
 * JSON (je says why); 1 when the file does not exist; -1 when it cannot be read (*err: "read
 * `what`: <strerror>"). */
int json_read_file_at (int dirfd, const char *path, const char *what, json_t **out, json_error_t *je, capsa_err **err);

#endif
