/* Small helpers shared by the library: files, strings, numbers, time.
 * All follow error.h; every fd they open is O_CLOEXEC. */
#ifndef CAPSA_UTIL_H
#define CAPSA_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "capsa/util.h" /* ARRAY_SIZE, and the capsa_ names of some of these for the front ends */
#include "cleanup.h"
#include "error.h"

/* Export an internal function under its public capsa_ name too (include/capsa/): an alias,
 * the same code, no wrapper.  Written after the function's definition, in its file. */
#define CAPSA_EXPORT_AS(name, internal) __typeof__ (internal) name __attribute__ ((alias (#internal)))

/* malloc family that never returns NULL (abort on OOM: the runtime cannot do anything useful then). */
void *xmalloc0 (size_t n);
void *xrealloc (void *p, size_t n);
char *xstrdup (const char *s);
char *xasprintf (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

/* Read a whole file (at most 64 MiB) into a NUL-terminated buffer; *len (optional) gets its size. */
int read_file_at (int dirfd, const char *path, char **out, size_t *len, capsa_err **err);
/* Write buf to dirfd/path (O_WRONLY|O_TRUNC, create with mode when `mode` != 0). */
int write_file_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, capsa_err **err);
/* Write dirfd/path atomically: a temp file in the same directory, fsync'd... then rename. */
int write_file_atomic_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, capsa_err **err);
/* The same without the fsync: readers never see a partial file, but a power loss may lose it.
 * For runtime state, which does not outlive the machine's boot anyway (runc does the same). */
int write_file_replace_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, capsa_err **err);

/* write()/read() that retry on EINTR and short counts.  Return 0 / -1 with errno. */
int write_all (int fd, const void *buf, size_t len);
/* Read fd to its end in chunks of up to 64 KiB, each handed to fn (chunk, its length, arg, err); stops
 * at the first failure of fn.  A failed read (EINTR is retried) reads "<what>: <strerror>". */
int read_chunks (int fd, int (*fn) (const void *chunk, size_t len, void *arg, capsa_err **err), void *arg,
                 const char *what, capsa_err **err);

/* Create a directory and its parents (like mkdir -p); existing directories are fine. */
int mkdir_p (const char *path, mode_t mode, capsa_err **err);

/* Parse a decimal integer with bounds; returns -1 (no err object: callers word the message). */
int parse_i64 (const char *s, int64_t min, int64_t max, int64_t *out);

/* "2026-11-22T13:44:04.123456789Z" into buf (>= 40 bytes). */
void now_rfc3339 (char *buf, size_t len);
/* Milliseconds of CLOCK_MONOTONIC: for deadlines and intervals. */
long long monotonic_ms (void);
/* Nanoseconds of CLOCK_REALTIME (unix time): event times. */
long long realtime_ns (void);

/* Process start time (field 22 of /proc/PID/stat), used to tell a pid apart from a reused one.
 * Returns 0 and *state (the one-letter state) on success, -1 when the process does not exist. */
int proc_stat_start (pid_t pid, uint64_t *start, char *state);

/* Append a string to a NULL-terminated vector (owned strings). */
void strv_append (char ***v, const char *s);
size_t strv_len (char **v);

/* A size with an optional k/m/g/t suffix (powers of 1024) and b: bytes, or -1 when invalid. */
long long parse_bytes (const char *s);
/* A wait status as a shell reports it: the exit code, or 128 + the signal that killed it. */
int wait_status_code (int status);

/* Whether this process is in the host's (initial) user namespace: false inside one made by a
 * rootless engine, where uid 0 is not the host's root (uid_map is not the identity of every id). */
bool in_initial_userns (void);
/* Close every fd >= first except those in keep[0..nkeep) (negative entries ignored). */
void close_fds_except (int first, const int *keep, size_t nkeep);

#endif
