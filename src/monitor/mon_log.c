/* capsa-monitor: the container's log, ROOT/containers/ID/ctr.log (or the path= of k8s-file), read
 * by `capsa logs` (src/engine/ctr_logs.c reads every format).
 *
 * One record per line of output, in the driver's format:
 * - k8s-file (podman's, CRI's): "RFC3339NANO STREAM F|P TEXT", P when the line was cut (a line
 *   longer than LOG_LINE_MAX, or the last bytes before EOF without a newline);
 * - json-file (docker's): {"log":"TEXT\n","stream":"stdout","time":"RFC3339NANO"}, the "\n"
 *   only after a whole line, "attrs" (--log-opt labels=/env=) before "time" as docker puts it;
 * - none, passthrough ('p': the container's stdio is the caller's): nothing is written.
 * Past its size cap the file becomes NAME.1 (NAME.1 NAME.2, ..., the oldest dropped: `files` in
 * all), and a new NAME starts. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mon.h"

static const char *
log_name (const struct mon_log *l)
{
  return l->name ? l->name : "ctr.log";
}

void
mon_log_open (struct mon_log *l)
{
  struct stat st;
  l->fd = -1;
  l->size = 0;
  if (l->format == 'n' || l->format == 'p')
    return;
  l->fd = openat (l->dirfd, log_name (l), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  l->size = l->fd >= 0 && fstat (l->fd, &st) == 0 ? st.st_size : 0;
}

/* NAME -> NAME.1 -> ... -> NAME.(files-1); with one file only, NAME starts again empty. */
static void
rotate (struct mon_log *l)
{
  int files = l->files > 0 ? l->files : 2;
  const char *name = log_name (l);
  close (l->fd);
  if (files == 1)
    unlinkat (l->dirfd, name, 0);
  for (int i = files - 1; i >= 1; i--)
    {
      char *to = xasprintf ("%s.%d", name, i);
      char *from = i > 1 ? xasprintf ("%s.%d", name, i - 1) : xasprintf ("%s", name);
      renameat (l->dirfd, from, l->dirfd, to);
      free (to);
      free (from);
    }
  mon_log_open (l);
}

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 when it is not one. */
static size_t
utf8_len (const unsigned char *s, size_t n)
{
  size_t len = s[0] < 0x80 ? 1 : (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : (s[0] & 0xf8) == 0xf0 ? 4 : 0;
  if (len == 0 || len > n || (len == 2 && s[0] < 0xc2) || (len == 4 && s[0] > 0xf4))
    return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xc0) != 0x80)
      return 0;
  if ((len == 3 && s[0] == 0xe0 && s[1] < 0xa0) || (len == 3 && s[0] == 0xed && s[1] >= 0xa0)
      || (len == 4 && s[0] == 0xf0 && s[1] < 0x90) || (len == 4 && s[0] == 0xf4 && s[1] >= 0x90))
    return 0;
  return len;
}

/* text as a JSON string's content, as docker's json-file writes it: \n, \r, \" and \\, other
 * control characters and <, > and & as \u00XX, U+2028 and U+2029 as \u2028, a byte of invalid
 * UTF-8 as \ufffd.  Returns an allocated buffer of *outlen bytes. */
static char *
json_escape (const char *text, size_t len, size_t *outlen)
{
  char *out = xmalloc0 (len * 6 + 1), *o = out;
  const unsigned char *s = (const unsigned char *) text;
  for (size_t i = 0; i < len;)
    {
      unsigned char c = s[i];
      size_t u = utf8_len (s + i, len - i);
      if (c == '"' || c == '\\')
        *o++ = '\\', *o++ = (char) c;
      else if (c == '\n' || c == '\r')
        *o++ = '\\', *o++ = c == '\n' ? 'n' : 'r';
      else if (c < 0x20 || c == '<' || c == '>' || c == '&')
        o += sprintf (o, "\\u%04x", c); /* (\t too, as docker's) */
      else if (u == 3 && c == 0xe2 && s[i + 1] == 0x80 && (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
        o += sprintf (o, "\\u%04x", s[i + 2] == 0xa8 ? 0x2028 : 0x2029);
      else if (u == 0)
        o += sprintf (o, "\\ufffd"), u = 1;
      else
        memcpy (o, s + i, u), o += u;
      i += u ? u : 1;
    }
  *outlen = (size_t) (o - out);
  return out;
}

/* One writev, so a reader following the file never sees half a record's head. */
static void
write_record (struct mon_log *l, struct iovec *iov, int n)
{
  if (l->fd >= 0 && l->size > l->max)
    rotate (l);
  if (l->fd < 0)
    return;
  ssize_t w = writev (l->fd, iov, n);
  if (w > 0)
    l->size += w;
}

static void
log_record (struct mon_log *l, const char *stream, const char *text, size_t len, bool partial)
{
  char now[48], head[96], tail[192];
  if (l->format == 'n' || l->format == 'p')
    return;
  now_rfc3339 (now, sizeof now);
  if (l->format != 'j')
    {
      int hl = snprintf (head, sizeof head, "%s %s %c ", now, stream, partial ? 'P' : 'F');
      struct iovec iov[3] = { { head, (size_t) hl }, { (void *) text, len }, { "\n", 1 } };
      write_record (l, iov, 3);
      return;
    }
  size_t el;
  char *esc = json_escape (text, len, &el);
  int tl = snprintf (tail, sizeof tail, "%s\",\"stream\":\"%s\",", partial ? "" : "\\n", stream);
  int t2 = snprintf (tail + tl, sizeof tail - (size_t) tl, "\"time\":\"%s\"}\n", now);
  struct iovec iov[5] = { { "{\"log\":\"", 8 },
                          { esc, el },
                          { tail, (size_t) tl },
                          { (void *) (l->attrs ? l->attrs : ""), l->attrs ? strlen (l->attrs) : 0 },
                          { tail + tl, (size_t) t2 } };
  write_record (l, iov, 5);
  free (esc);
}

void
mon_log_lines (struct mon_log *l, struct mon_stream *s, bool flush)
{
  char *start = s->buf, *nl;
  size_t left = s->len;
  while ((nl = memchr (start, '\n', left)))
    {
      log_record (l, s->name, start, (size_t) (nl - start), false);
      left -= (size_t) (nl + 1 - start);
      start = nl + 1;
    }
  if (left && (flush || left == sizeof s->buf))
    {
      log_record (l, s->name, start, left, true);
      left = 0;
    }
  memmove (s->buf, start, left);
  s->len = left;
}

void
mon_log_tee (struct mon_log *l, struct mon_stream *s, const int *copy, size_t n)
{
  struct pollfd p[4];
  bool copying[4] = { true, true, true, true };
  size_t open_n = n = n < 4 ? n : 4;
  while (open_n > 0)
    {
      for (size_t i = 0; i < n; i++)
        p[i] = (struct pollfd){ s[i].fd, POLLIN, 0 };
      if (poll (p, n, -1) < 0 && errno != EINTR)
        break;
      for (size_t i = 0; i < n; i++)
        if (s[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
          {
            ssize_t r = read (s[i].fd, s[i].buf + s[i].len, sizeof s[i].buf - s[i].len);
            if (r < 0 && errno == EINTR)
              continue;
            if (r <= 0)
              {
                mon_log_lines (l, &s[i], true);
                close (s[i].fd);
                s[i].fd = -1;
                open_n--;
                continue;
              }
            if (copying[i] && write_all (copy[i], s[i].buf + s[i].len, (size_t) r) < 0)
              copying[i] = false;
            s[i].len += (size_t) r;
            mon_log_lines (l, &s[i], false);
          }
    }
}
