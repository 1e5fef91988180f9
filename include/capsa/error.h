/* capsa — error convention (the one rule for the whole library).
 *
 *   int f (..., capsa_err **err);
 *
 * - A function that can fail takes `capsa_err **err` as its last argument and returns a negative
 *   value on failure (-1 unless documented otherwise), >= 0 on success.
 * - On failure it has set *err exactly once (callers pass a pointer to a NULL capsa_err *), with
 *   errnum = the errno that caused it (0 when there is none) and a message that says what failed,
 *   where and why: "mount proc on /proc: permission denied".  errno is also left set to errnum.
 * - Callers add context by wrapping: capsa_err_wrap (err, "create container `%s`", id) turns the
 *   message into "create container `x`: <old message>".
 * - Library code never prints and never exits; only the command layer (src/oci, src/cli) prints
 *   the message and picks the exit code.
 * - Save errno at once: every helper here reads errno only through its explicit argument.
 */
#ifndef CAPSA_ERROR_H
#define CAPSA_ERROR_H

#include <stdarg.h>

#include "capsa/capsa.h"

typedef struct capsa_err
{
  int errnum; /* errno value of the failure, 0 if not a system error */
  char *msg;  /* owned, never NULL */
} capsa_err;

/* Record a failure; the message is fmt + ": " + strerror(errnum) (lowercased like Go/runc) when
 * errnum != 0.  Returns -1 and sets errno = errnum. */
CAPSA_PUBLIC int capsa_fail (capsa_err **err, int errnum, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
/* Record a failure whose message already says why ("container `x` does not exist"): errnum is
 * kept for callers that branch on it, but no strerror text is appended. */
CAPSA_PUBLIC int capsa_fail_as (capsa_err **err, int errnum, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
/* Same as capsa_fail, errno taken by the caller at the moment of failure. */
CAPSA_PUBLIC int capsa_failv (capsa_err **err, int errnum, const char *fmt, va_list ap)
    __attribute__ ((format (printf, 3, 0)));
/* Prefix context to an existing error.  Returns -1 and leaves errno = (*err)->errnum. */
CAPSA_PUBLIC int capsa_err_wrap (capsa_err **err, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));
CAPSA_PUBLIC void capsa_err_free (capsa_err **err);
/* strerror(), first letter lowercased: "no such file or directory". */
CAPSA_PUBLIC const char *capsa_strerror (int errnum, char *buf, unsigned len);

#define cleanup_err __attribute__ ((cleanup (capsa_err_free)))

/* For clang's analyzer (scripts/ci-scan-build.sh), which reads one file at a time: the failures
 * above always return -1, so it does not follow paths on which they "succeed". */
#if defined __clang_analyzer__ && !defined CAPSA_ERROR_C
#define capsa_fail(...) (capsa_fail (__VA_ARGS__), -1)
#define capsa_fail_as(...) (capsa_fail_as (__VA_ARGS__), -1)
#define capsa_failv(...) (capsa_failv (__VA_ARGS__), -1)
#define capsa_err_wrap(...) (capsa_err_wrap (__VA_ARGS__), -1)
#endif

#endif
