/* run.json without a JSON library.
 *
 * run.json is one flat object that ctr_run_update (jansson) and the monitor both rewrite, always
 * under run.lock and always by rename, so a reader never sees half a file.  The monitor only
 * reads integers and replaces whole members: it splits the object into (key, value text) pairs,
 * keeping each value's text as it is (strings with their escapes, nested values included), and
 * writes it back.  Keys are compared as written; the monitor's own keys have no escapes. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mon.h"

struct member
{
  char *key; /* without the quotes */
  char *raw; /* the value's JSON text */
};

struct object
{
  struct member *m;
  size_t n;
};

static void
object_free (struct object *o)
{
  for (size_t i = 0; i < o->n; i++)
    {
      free (o->m[i].key);
      free (o->m[i].raw);
    }
  free (o->m);
  o->m = NULL;
  o->n = 0;
}

static const char *
skip_ws (const char *p)
{
  while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
    p++;
  return p;
}

/* p at '"': the character after the closing quote, or NULL. */
static const char *
skip_string (const char *p)
{
  for (p++; *p; p++)
    if (*p == '\\' && p[1])
      p++;
    else if (*p == '"')
      return p + 1;
  return NULL;
}

/* One value (any kind); the character after it, or NULL when malformed. */
static const char *
skip_value (const char *p)
{
  if (*p == '"')
    return skip_string (p);
  if (*p == '{' || *p == '[')
    {
      int depth = 0;
      for (; *p; p++)
        {
          if (*p == '"')
            {
              p = skip_string (p);
              if (p == NULL)
                return NULL;
              p--;
            }
          else if (*p == '{' || *p == '[')
            depth++;
          else if ((*p == '}' || *p == ']') && --depth == 0)
            return p + 1;
        }
      return NULL;
    }
  const char *start = p;
  while (*p && *p != ',' && *p != '}' && *p != ' ' && *p != '\n' && *p != '\t' && *p != '\r')
    p++;
  return p == start ? NULL : p;
}

static char *
dup_range (const char *a, const char *b)
{
  char *s = xmalloc0 ((size_t) (b - a) + 1);
  memcpy (s, a, (size_t) (b - a));
  return s;
}

static void
object_set (struct object *o, const char *key, const char *raw)
{
  for (size_t i = 0; i < o->n; i++)
    if (strcmp (o->m[i].key, key) == 0)
      {
        free (o->m[i].raw);
        if (raw)
          o->m[i].raw = strdup (raw);
        else
          {
            free (o->m[i].key);
            o->m[i] = o->m[--o->n];
          }
        return;
      }
  if (raw == NULL)
    return;
  struct member *m = realloc (o->m, (o->n + 1) * sizeof *m);
  if (m == NULL)
    abort ();
  o->m = m;
  o->m[o->n].key = strdup (key);
  o->m[o->n].raw = strdup (raw);
  o->n++;
}

/* A malformed or missing file is an empty object (as ctr_run_read has it). */
static void
object_parse (const char *s, struct object *o)
{
  const char *p = skip_ws (s);
  if (*p++ != '{')
    return;
  for (;;)
    {
      p = skip_ws (p);
      if (*p != '"')
        return;
      const char *kend = skip_string (p);
      if (kend == NULL)
        return;
      cleanup_free char *key = dup_range (p + 1, kend - 1);
      p = skip_ws (kend);
      if (*p++ != ':')
        return;
      p = skip_ws (p);
      const char *vend = skip_value (p);
      if (vend == NULL)
        return;
      cleanup_free char *raw = dup_range (p, vend);
      object_set (o, key, raw);
      p = skip_ws (vend);
      if (*p++ != ',')
        return;
    }
}

static char *
read_run (int dirfd)
{
  int fd = openat (dirfd, "run.json", O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return strdup ("{}");
  size_t cap = 4096, len = 0;
  char *buf = xmalloc0 (cap);
  ssize_t n;
  while ((n = read (fd, buf + len, cap - len - 1)) > 0)
    {
      len += (size_t) n;
      if (cap - len < 2)
        {
          char *b = realloc (buf, cap *= 2);
          if (b == NULL)
            abort ();
          buf = b;
        }
    }
  close (fd);
  buf[len] = '\0';
  return buf;
}

long long
mon_run_int (int dirfd, const char *key, long long def)
{
  cleanup_free char *s = read_run (dirfd);
  struct object o = { 0 };
  object_parse (s, &o);
  long long v = def;
  for (size_t i = 0; i < o.n; i++)
    if (strcmp (o.m[i].key, key) == 0)
      {
        char *end;
        long long x = strtoll (o.m[i].raw, &end, 10);
        if (end != o.m[i].raw && *end == '\0')
          v = x;
      }
  object_free (&o);
  return v;
}

int
mon_run_update (int dirfd, size_t n, const char *const *keys, const char *const *raws)
{
  cleanup_close int lock = openat (dirfd, "run.lock", O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0)
    return -1;
  flock (lock, LOCK_EX);
  cleanup_free char *s = read_run (dirfd);
  struct object o = { 0 };
  object_parse (s, &o);
  for (size_t i = 0; i < n; i++)
    object_set (&o, keys[i], raws[i]);
  size_t len = 3;
  for (size_t i = 0; i < o.n; i++)
    len += strlen (o.m[i].key) + strlen (o.m[i].raw) + 4;
  cleanup_free char *out = xmalloc0 (len);
  char *p = out;
  *p++ = '{';
  for (size_t i = 0; i < o.n; i++)
    p += sprintf (p, "%s\"%s\":%s", i ? "," : "", o.m[i].key, o.m[i].raw);
  *p++ = '}';
  object_free (&o);
  char tmp[64];
  snprintf (tmp, sizeof tmp, ".run.json.%d", (int) getpid ());
  cleanup_close int fd = openat (dirfd, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return -1;
  if (write_all (fd, out, (size_t) (p - out)) < 0 || renameat (dirfd, tmp, dirfd, "run.json") < 0)
    {
      int saved = errno;
      unlinkat (dirfd, tmp, 0);
      errno = saved;
      return -1;
    }
  return 0;
}
