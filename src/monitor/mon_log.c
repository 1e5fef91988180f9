/* capsa-monitor: the container's log, ROOT/containers/ID/ctr.log, read by `capsa logs`.
 *
 * One record per line of output: "RFC3339NANO STREAM F|P TEXT", P when the line was cut (a line
 * longer than LOG_LINE_MAX, or the last bytes before EOF without a newline).  Past its size cap
 * the file becomes ctr.log.1 (replacing the older one) and a new ctr.log starts. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "mon.h"

void
mon_log_open (struct mon_log *l)
{
  struct stat st;
  l->fd = openat (l->dirfd, "ctr.log", O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  l->size = l->fd >= 0 && fstat (l->fd, &st) == 0 ? st.st_size : 0;
}

static void
log_record (struct mon_log *l, const char *stream, const char *text, size_t len, bool partial)
{
  char head[96];
  now_rfc3339 (head, sizeof head);
  size_t hl = strlen (head);
  hl += (size_t) snprintf (head + hl, sizeof head - hl, " %s %c ", stream, partial ? 'P' : 'F');
  if (l->fd >= 0 && l->size > l->max)
    {
      close (l->fd);
      renameat (l->dirfd, "ctr.log", l->dirfd, "ctr.log.1");
      mon_log_open (l);
    }
  if (l->fd < 0)
    return;
  /* one writev, so a reader following the file never sees half a record's head */
  struct iovec iov[3] = { { head, hl }, { (void *) text, len }, { "\n", 1 } };
  ssize_t n = writev (l->fd, iov, 3);
  if (n > 0)
    l->size += n;
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
