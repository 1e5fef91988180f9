/* A container's output as its monitor logged it (ROOT/containers/ID/ctr.log.1, then ctr.log; the
 * record format is src/monitor/mon_log.c's: "RFC3339NANO STREAM F|P TEXT"), for `capsa logs` and
 * GET /containers/{id}/logs. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "util.h"

struct log_walk
{
  const struct capsa_log_query *q;
  capsa_log_fn *fn;
  void *data;
  int stop; /* what fn returned, when not 0 */
};

/* One record; handed to fn when it passes the filters. */
static void
record (struct log_walk *w, char *line)
{
  char *sp1 = strchr (line, ' ');
  if (sp1 == NULL || w->stop)
    return;
  char *sp2 = strchr (sp1 + 1, ' ');
  if (sp2 == NULL || sp2[1] == '\0' || sp2[2] != ' ')
    return;
  *sp1 = '\0';
  *sp2 = '\0';
  long long t = (w->q->since_ns > 0 || w->q->until_ns > 0) ? capsa_ctr_parse_since (line) : 0;
  if ((w->q->since_ns > 0 && t < w->q->since_ns) || (w->q->until_ns > 0 && t > w->q->until_ns))
    return;
  int stream = strcmp (sp1 + 1, "stderr") == 0 ? 2 : 1;
  if ((stream == 1 && w->q->no_stdout) || (stream == 2 && w->q->no_stderr))
    return;
  const char *text = sp2 + 3;
  w->stop = w->fn (w->data, stream, line, text, strlen (text), sp2[1] == 'P');
}

/* buf's records, the last `tail` of them (-1: all) */
static void
records (struct log_walk *w, char *buf, long tail)
{
  size_t n = 0;
  for (char *p = buf; *p; p++)
    n += *p == '\n';
  long skip = tail >= 0 && (long) n > tail ? (long) n - tail : 0;
  char *save = NULL;
  for (char *l = strtok_r (buf, "\n", &save); l && !w->stop; l = strtok_r (NULL, "\n", &save))
    if (skip-- <= 0)
      record (w, l);
}

static char *
read_all (const char *path, size_t *len)
{
  char *buf = NULL;
  *len = 0;
  if (read_file_at (AT_FDCWD, path, &buf, len, NULL) < 0)
    return xstrdup ("");
  return buf;
}

/* What was appended to path since *pos (a rotation starts the new file from 0): whole records to
 * w, a partial last line kept in *part.  Whether anything came. */
static bool
follow_once (struct log_walk *w, const char *path, off_t *pos, char **part)
{
  struct stat st;
  if (stat (path, &st) == 0 && st.st_size < *pos)
    *pos = 0;
  cleanup_close int fd = open (path, O_RDONLY | O_CLOEXEC);
  bool got = false;
  char buf[65536];
  ssize_t n;
  if (fd < 0 || lseek (fd, *pos, SEEK_SET) < 0)
    return false;
  while (!w->stop && (n = read (fd, buf, sizeof buf - 1)) > 0)
    {
      buf[n] = '\0';
      *pos += n;
      got = true;
      char *joined = xasprintf ("%s%s", *part, buf);
      free (*part);
      char *last = strrchr (joined, '\n');
      *part = xstrdup (last ? last + 1 : joined);
      if (last)
        {
          last[1] = '\0';
          records (w, joined, -1);
        }
      free (joined);
    }
  return got;
}

int
capsa_ctr_logs (struct capsa_engine *e, struct ctr *c, const struct capsa_log_query *q, capsa_log_fn *fn, void *data)
{
  struct log_walk w = { q, fn, data, 0 };
  cleanup_free char *p1 = xasprintf ("%s/ctr.log.1", c->dir);
  cleanup_free char *p0 = xasprintf ("%s/ctr.log", c->dir);
  size_t l1, l0;
  cleanup_free char *b1 = read_all (p1, &l1);
  cleanup_free char *b0 = read_all (p0, &l0);
  cleanup_free char *all = xasprintf ("%s%s", b1, b0);
  records (&w, all, q->tail);
  off_t pos = (off_t) l0;
  cleanup_free char *part = xstrdup ("");
  /* follow: until it has exited (and the log is drained), or fn says stop */
  for (int idle = 0; q->follow && !w.stop;)
    {
      if (follow_once (&w, p0, &pos, &part))
        {
          idle = 0;
          continue;
        }
      capsa_ctr_refresh (e, c);
      if (((c->status == CTR_EXITED || c->status == CTR_DEAD) && ++idle > 3) || access (c->dir, F_OK) != 0)
        break;
      w.stop = fn (data, 0, NULL, NULL, 0, false); /* idle: the caller may stop (its client left) */
      nanosleep (&(struct timespec){ 0, 100 * 1000000 }, NULL);
    }
  return w.stop;
}
