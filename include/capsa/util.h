/* capsa — the small helpers the front ends share with the library.
 *
 * The same functions the library calls by their short names (xmalloc0, xasprintf, ... in
 * src/lib/base/util.h), exported under capsa_ names: one copy of each, no front-end copies.
 * The allocators never return NULL: they abort when memory runs out (neither the runtime nor the
 * CLI can do anything useful then).
 */
#ifndef CAPSA_UTIL_PUBLIC_H
#define CAPSA_UTIL_PUBLIC_H

#include <stddef.h>
#include <stdint.h>

#include "capsa/capsa.h"
#include "capsa/cleanup.h"
#include "capsa/error.h"

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof (a) / sizeof ((a)[0]))
#endif

/* calloc, strdup (NULL gives ""), asprintf: the result is owned, never NULL. */
CAPSA_PUBLIC void *capsa_xmalloc0 (size_t n);
CAPSA_PUBLIC char *capsa_xstrdup (const char *s);
CAPSA_PUBLIC char *capsa_xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Append a copy of s to the NULL-terminated vector *v of owned strings (*v may be NULL);
 * release it with cleanup_strv. */
CAPSA_PUBLIC void capsa_strv_append (char ***v, const char *s);

/* A decimal integer in [min, max]: 0 and *out, or -1 (no capsa_err: callers word the message). */
CAPSA_PUBLIC int capsa_parse_i64 (const char *s, int64_t min, int64_t max, int64_t *out);
/* A size with an optional k/m/g/t suffix (powers of 1024) and b: bytes, or -1 when invalid. */
CAPSA_PUBLIC long long capsa_parse_bytes (const char *s);

/* write() that retries on EINTR and short counts: 0, or -1 with errno. */
CAPSA_PUBLIC int capsa_write_all (int fd, const void *buf, size_t len);
/* Milliseconds of CLOCK_MONOTONIC: for deadlines and intervals. */
CAPSA_PUBLIC long long capsa_monotonic_ms (void);

/* Total size in bytes of the regular files below dirfd (each hardlink counted), not following
 * symlinks. */
CAPSA_PUBLIC long long capsa_fs_tree_size (int dirfd);

#endif
