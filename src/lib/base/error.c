/* The error convention: see error.h. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CAPSA_ERROR_C /* (error.h: not the analyzer's macros) */
#include "error.h"

const char *
capsa_strerror (int errnum, char *buf, unsigned len)
{
#ifdef __GLIBC__
  const char *s = strerror_r (errnum, buf, len); /* (GNU's: may return a static string) */
  if (s != buf)
    snprintf (buf, len, "%s", s);
#else
  if (strerror_r (errnum, buf, len) != 0) /* (POSIX's: musl, for the monitor's static build) */
    snprintf (buf, len, "error %d", errnum);
#endif
  if (buf[0] && isupper ((unsigned char) buf[0]))
    buf[0] = (char) tolower ((unsigned char) buf[0]);
  return buf;
}

int
capsa_failv (capsa_err **err, int errnum, const char *fmt, va_list ap)
{
  char *what = NULL;
  char ebuf[128];

  if (vasprintf (&what, fmt, ap) < 0)
    what = NULL;
  if (err)
    {
      capsa_err *e = calloc (1, sizeof *e);
      if (e)
        {
          e->errnum = errnum;
          if (errnum != 0 && what)
            {
              if (asprintf (&e->msg, "%s: %s", what, capsa_strerror (errnum, ebuf, sizeof ebuf)) < 0)
                e->msg = NULL;
            }
          else if (what)
            e->msg = strdup (what);
          if (e->msg == NULL)
            e->msg = strdup ("out of memory");
          if (*err)
            capsa_err_free (err);
          *err = e;
        }
    }
  free (what);
  errno = errnum;
  return -1;
}

int
capsa_fail (capsa_err **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  capsa_failv (err, errnum, fmt, ap);
  va_end (ap);
  errno = errnum;
  return -1;
}

int
capsa_fail_as (capsa_err **err, int errnum, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  capsa_failv (err, 0, fmt, ap);
  va_end (ap);
  if (err && *err)
    (*err)->errnum = errnum;
  errno = errnum;
  return -1;
}

int
capsa_err_wrap (capsa_err **err, const char *fmt, ...)
{
  char *ctx = NULL, *msg = NULL;
  va_list ap;

  if (err == NULL || *err == NULL)
    return -1;
  va_start (ap, fmt);
  if (vasprintf (&ctx, fmt, ap) < 0)
    ctx = NULL;
  va_end (ap);
  if (ctx && asprintf (&msg, "%s: %s", ctx, (*err)->msg) >= 0)
    {
      free ((*err)->msg);
      (*err)->msg = msg;
    }
  free (ctx);
  errno = (*err)->errnum;
  return -1;
}

void
capsa_err_free (capsa_err **err)
{
  if (err && *err)
    {
      free ((*err)->msg);
      free (*err);
      *err = NULL;
    }
}
