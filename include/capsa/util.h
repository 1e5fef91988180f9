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

/* The number of strings of the NULL-terminated vector v (v may be NULL). */
CAPSA_PUBLIC size_t capsa_strv_len (char **v);
/* Read a whole file (at most 64 MiB) into a NUL-terminated buffer; *len (optional) gets its size. */
CAPSA_PUBLIC int capsa_read_file_at (int dirfd, const char *path, char **out, size_t *len, capsa_err **err);
/* Call fn for each entry of the directory dirfd (an O_PATH fd of it will do) but "." and "..":
 * child is an O_PATH | O_NOFOLLOW fd of the entry, closed when fn returns; path is "rel/entry".
 * Stops at the first failure of fn (src/lib/base/fsops.h). */
CAPSA_PUBLIC int capsa_fs_each_entry (int dirfd, const char *what, const char *rel,
                                      int (*fn) (int child, const char *entry, const char *path, void *arg,
                                                 capsa_err **err),
                                      void *arg, capsa_err **err);
/* Open `path` inside rootfd with `flags` (O_PATH, O_RDONLY, O_DIRECTORY, ...; O_CREAT not allowed),
 * never leaving the root: symlinks and ".." resolved within it (src/lib/base/resolve_in_root.h). */
CAPSA_PUBLIC int capsa_rootpath_open (int rootfd, const char *path, int flags, capsa_err **err);

/* A decimal integer in [min, max]: 0 and *out, or -1 (no capsa_err: callers word the message). */
CAPSA_PUBLIC int capsa_parse_i64 (const char *s, int64_t min, int64_t max, int64_t *out);
/* A size with an optional k/m/g/t suffix (powers of 1024) and b: bytes, or -1 when invalid. */
CAPSA_PUBLIC long long capsa_parse_bytes (const char *s);

/* write() that retries on EINTR and short counts: 0, or -1 with errno. */
CAPSA_PUBLIC int capsa_write_all (int fd, const void *buf, size_t len);
/* A duration as docker words it (go-units: "Less than a second", "About a minute", "3 hours"). */
CAPSA_PUBLIC void capsa_human_duration (long seconds, char *buf, unsigned len);
/* Now as RFC 3339 with nanoseconds, UTC ("2026-12-07T07:00:00.123456789Z"; 40 bytes do). */
CAPSA_PUBLIC void capsa_now_rfc3339 (char *buf, size_t len);
/* Unix time in nanoseconds (CLOCK_REALTIME). */
CAPSA_PUBLIC long long capsa_realtime_ns (void);
/* Milliseconds of CLOCK_MONOTONIC: for deadlines and intervals. */
CAPSA_PUBLIC long long capsa_monotonic_ms (void);

/* Total size in bytes of the regular files below dirfd (each hardlink counted), not following
 * symlinks. */
CAPSA_PUBLIC long long capsa_fs_tree_size (int dirfd);

#endif
