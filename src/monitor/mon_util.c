/* capsa-monitor: the few helpers it needs without the capsa library. */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "mon.h"

void *
mon_alloc (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

char *
mon_printf (const char *fmt, ...)
{
  char *s;
  va_list ap;
  va_start (ap, fmt);
  int r = vasprintf (&s, fmt, ap);
  va_end (ap);
  if (r < 0)
    abort ();
  return s;
}

int
mon_write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return -1;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

void
mon_now (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  char date[32];
  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, len, "%s.%09ldZ", date, ts.tv_nsec);
}

/* Field 22 of /proc/PID/stat (after the command name, which may hold spaces and parentheses). */
int
mon_proc_start (pid_t pid, uint64_t *start)
{
  char path[64], buf[1024];
  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  FILE *f = fopen (path, "re");
  if (f == NULL)
    return -1;
  size_t n = fread (buf, 1, sizeof buf - 1, f);
  fclose (f);
  buf[n] = '\0';
  char *p = strrchr (buf, ')');
  if (p == NULL)
    return -1;
  p += 2; /* field 3 */
  for (int field = 3; field < 22 && p; field++)
    {
      p = strchr (p, ' ');
      if (p)
        p++;
    }
  if (p == NULL)
    return -1;
  *start = strtoull (p, NULL, 10);
  return 0;
}

void
mon_fault (const char *name)
{
  const char *f = getenv ("CAPSA_FAULT");
  if (f && strcmp (f, name) == 0)
    raise (SIGKILL);
}

long long
mon_parse_bytes (const char *s)
{
  char *end;
  errno = 0;
  long long v = strtoll (s, &end, 10), mul = 1;
  if (errno || end == s || v < 0)
    return -1;
  switch (*end)
    {
    case 'k':
    case 'K':
      mul = 1024, end++;
      break;
    case 'm':
    case 'M':
      mul = 1024 * 1024, end++;
      break;
    case 'g':
    case 'G':
      mul = 1024LL * 1024 * 1024, end++;
      break;
    default:
      break;
    }
  if (*end == 'b' || *end == 'B')
    end++;
  return *end ? -1 : v * mul;
}
