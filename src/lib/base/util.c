/* Small helpers: see util.h. */
#include <errno.h>
#include <signal.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "util.h"

void *
xmalloc0 (size_t n)
{
  void *p = calloc (1, n ? n : 1);
  if (p == NULL)
    abort ();
  return p;
}

void *
xrealloc (void *p, size_t n)
{
  void *r = realloc (p, n ? n : 1);
  if (r == NULL)
    abort ();
  return r;
}

char *
xstrdup (const char *s)
{
  char *r = strdup (s ? s : "");
  if (r == NULL)
    abort ();
  return r;
}

char *
xasprintf (const char *fmt, ...)
{
  char *r;
  va_list ap;
  va_start (ap, fmt);
  if (vasprintf (&r, fmt, ap) < 0)
    abort ();
  va_end (ap);
  return r;
}

int
read_file_at (int dirfd, const char *path, char **out, size_t *len, capsa_err **err)
{
  cleanup_close int fd = openat (dirfd, path, O_RDONLY | O_CLOEXEC);
  cleanup_free char *buf = NULL;
  size_t used = 0, cap = 0;

  if (fd < 0)
    return capsa_fail (err, errno, "open `%s`", path);
  for (;;)
    {
      if (cap - used < 4096)
        {
          if (cap >= (64u << 20))
            return capsa_fail (err, EFBIG, "read `%s`", path);
          cap = cap ? cap * 2 : 8192;
          buf = xrealloc (buf, cap + 1);
        }
      ssize_t n = read (fd, buf + used, cap - used);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return capsa_fail (err, errno, "read `%s`", path);
      if (n == 0)
        break;
      used += (size_t) n;
    }
  if (buf == NULL)
    buf = xmalloc0 (1);
  buf[used] = '\0';
  if (len)
    *len = used;
  *out = take_ptr (&buf);
  return 0;
}

int
write_all (int fd, const void *buf, size_t len)
{
  const char *p = buf;
  while (len > 0)
    {
      ssize_t n = write (fd, p, len);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return -1;
      p += n;
      len -= (size_t) n;
    }
  return 0;
}

int
read_chunks (int fd, int (*fn) (const void *chunk, size_t len, void *arg, capsa_err **err), void *arg, const char *what,
             capsa_err **err)
{
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return capsa_fail (err, errno, "%s", what);
      if (n == 0)
        return 0;
      if (fn (buf, (size_t) n, arg, err) < 0)
        return -1;
    }
}

int
write_file_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, capsa_err **err)
{
  int flags = O_WRONLY | O_TRUNC | O_CLOEXEC | (mode ? O_CREAT : 0);
  cleanup_close int fd = openat (dirfd, path, flags, mode);
  if (fd < 0)
    return capsa_fail (err, errno, "open `%s`", path);
  if (write_all (fd, buf, len) < 0)
    return capsa_fail (err, errno, "write `%s`", path);
  return 0;
}

static int
replace_file_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, bool durable, capsa_err **err)
{
  cleanup_free char *tmp = xasprintf ("%s.tmp.%d", path, (int) getpid ());
  {
    cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode ? mode : 0600);
    if (fd < 0)
      return capsa_fail (err, errno, "create `%s`", tmp);
    if (write_all (fd, buf, len) < 0 || (durable && fsync (fd) < 0))
      {
        int e = errno;
        unlinkat (dirfd, tmp, 0);
        return capsa_fail (err, e, "write `%s`", tmp);
      }
  }
  if (renameat (dirfd, tmp, dirfd, path) < 0)
    {
      int e = errno;
      unlinkat (dirfd, tmp, 0);
      return capsa_fail (err, e, "rename `%s` to `%s`", tmp, path);
    }
  return 0;
}

int
write_file_atomic_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, capsa_err **err)
{
  return replace_file_at (dirfd, path, buf, len, mode, true, err);
}

int
write_file_replace_at (int dirfd, const char *path, const void *buf, size_t len, mode_t mode, capsa_err **err)
{
  return replace_file_at (dirfd, path, buf, len, mode, false, err);
}

int
mkdir_p (const char *path, mode_t mode, capsa_err **err)
{
  cleanup_free char *p = xstrdup (path);
  for (char *s = p + 1; *s; s++)
    {
      if (*s != '/')
        continue;
      *s = '\0';
      if (mkdir (p, mode) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "mkdir `%s`", p);
      *s = '/';
    }
  if (mkdir (p, mode) < 0 && errno != EEXIST)
    return capsa_fail (err, errno, "mkdir `%s`", p);
  return 0;
}

int
parse_i64 (const char *s, int64_t min, int64_t max, int64_t *out)
{
  char *end;
  long long v;

  if (s == NULL || *s == '\0')
    return -1;
  errno = 0;
  v = strtoll (s, &end, 10);
  if (errno != 0 || *end != '\0' || v < min || v > max)
    return -1;
  *out = v;
  return 0;
}

long long
monotonic_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

long long
realtime_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return (long long) ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void
now_rfc3339 (char *buf, size_t len)
{
  struct timespec ts;
  struct tm tm;
  char date[32];

  clock_gettime (CLOCK_REALTIME, &ts);
  gmtime_r (&ts.tv_sec, &tm);
  strftime (date, sizeof date, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (buf, len, "%s.%09ldZ", date, ts.tv_nsec);
}

int
proc_stat_start (pid_t pid, uint64_t *start, char *state)
{
  char path[64], buf[1024];
  cleanup_close int fd = -1;
  ssize_t n;
  char *p;

  snprintf (path, sizeof path, "/proc/%d/stat", (int) pid);
  fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return -1;
  n = read (fd, buf, sizeof buf - 1);
  if (n <= 0)
    return -1;
  buf[n] = '\0';
  /* comm may contain spaces and parentheses: fields start after the last ')'. */
  p = strrchr (buf, ')');
  if (p == NULL || p[1] == '\0')
    return -1;
  p += 2;
  if (state)
    *state = *p;
  /* p is at field 3 (state); start time is field 22. */
  for (int field = 3; field < 22; field++)
    {
      p = strchr (p, ' ');
      if (p == NULL)
        return -1;
      p++;
    }
  if (start)
    *start = strtoull (p, NULL, 10);
  return 0;
}

void
strv_append (char ***v, const char *s)
{
  size_t n = strv_len (*v);
  *v = xrealloc (*v, (n + 2) * sizeof (char *));
  (*v)[n] = xstrdup (s);
  (*v)[n + 1] = NULL;
}

size_t
strv_len (char **v)
{
  size_t n = 0;
  while (v && v[n])
    n++;
  return n;
}

static int
cmp_int (const void *a, const void *b)
{
  return *(const int *) a - *(const int *) b;
}

void
close_fds_except (int first, const int *keep, size_t nkeep)
{
  int sorted[64];
  size_t n = 0;

  for (size_t i = 0; i < nkeep && n < ARRAY_SIZE (sorted); i++)
    if (keep[i] >= first)
      sorted[n++] = keep[i];
  qsort (sorted, n, sizeof (int), cmp_int);
  for (size_t i = 0; i <= n; i++)
    {
      unsigned lo = (unsigned) (i == 0 ? first : sorted[i - 1] + 1);
      unsigned hi = i == n ? ~0U : (unsigned) sorted[i] - 1;
      if (lo > hi)
        continue;
      if (syscall (SYS_close_range, lo, hi, 0) < 0)
        for (unsigned fd = lo; fd <= hi && fd < 65536; fd++)
          close ((int) fd);
    }
}

bool
in_initial_userns (void)
{
  cleanup_free char *map = NULL;
  unsigned long a, b, n;
  if (read_file_at (AT_FDCWD, "/proc/self/uid_map", &map, NULL, NULL) < 0)
    return true;
  return sscanf (map, "%lu %lu %lu", &a, &b, &n) == 3 && a == 0 && b == 0 && n == 4294967295UL;
}

/* "10m", "1.5g", "512k", "100" (bytes, optionally with b/B): docker's sizes, powers of 1024. */
long long
parse_bytes (const char *s)
{
  char *end;
  errno = 0;
  double v = strtod (s, &end);
  if (errno || end == s || v < 0)
    return -1;
  long long mul = 1;
  switch (*end)
    {
    case '\0':
      break;
    case 'b':
    case 'B':
      end++;
      break;
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
    case 't':
    case 'T':
      mul = 1024LL * 1024 * 1024 * 1024, end++;
      break;
    default:
      return -1;
    }
  if (*end == 'b' || *end == 'B')
    end++;
  if (*end)
    return -1;
  return (long long) (v * (double) mul);
}

int
wait_status_code (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

/* The same functions under the names the front ends call (include/capsa/util.h). */
void
capsa_human_duration (long d, char *buf, unsigned len)
{
  long h = (d + 1800) / 3600; /* go-units rounds the hours */
  if (d < 1)
    snprintf (buf, len, "Less than a second");
  else if (d == 1)
    snprintf (buf, len, "1 second");
  else if (d < 60)
    snprintf (buf, len, "%ld seconds", d);
  else if (d / 60 == 1)
    snprintf (buf, len, "About a minute");
  else if (d < 3600)
    snprintf (buf, len, "%ld minutes", d / 60);
  else if (h == 1)
    snprintf (buf, len, "About an hour");
  else if (h < 48)
    snprintf (buf, len, "%ld hours", h);
  else if (h < 24 * 7 * 2)
    snprintf (buf, len, "%ld days", h / 24);
  else if (h < 24 * 30 * 2)
    snprintf (buf, len, "%ld weeks", h / 24 / 7);
  else if (h < 24 * 365 * 2)
    snprintf (buf, len, "%ld months", h / 24 / 30);
  else
    snprintf (buf, len, "%ld years", d / 3600 / 24 / 365);
}

CAPSA_EXPORT_AS (capsa_xmalloc0, xmalloc0);
CAPSA_EXPORT_AS (capsa_xstrdup, xstrdup);
CAPSA_EXPORT_AS (capsa_xasprintf, xasprintf);
CAPSA_EXPORT_AS (capsa_strv_append, strv_append);
CAPSA_EXPORT_AS (capsa_parse_i64, parse_i64);
CAPSA_EXPORT_AS (capsa_parse_bytes, parse_bytes);
CAPSA_EXPORT_AS (capsa_write_all, write_all);
CAPSA_EXPORT_AS (capsa_monotonic_ms, monotonic_ms);
CAPSA_EXPORT_AS (capsa_now_rfc3339, now_rfc3339);
CAPSA_EXPORT_AS (capsa_realtime_ns, realtime_ns);
CAPSA_EXPORT_AS (capsa_strv_len, strv_len);
CAPSA_EXPORT_AS (capsa_read_file_at, read_file_at);
