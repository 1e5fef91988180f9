/* A container's output as its monitor logged it (ROOT/containers/ID/ctr.log, or k8s-file's path=;
 * the rotated ones before it, oldest first: ctr.log.N ... ctr.log.1), for `capsa logs` and
 * GET /containers/{id}/logs.  The records are src/monitor/mon_log.c's, of any driver, told apart
 * line by line (a log written before --log-driver existed is k8s-file): json-file's
 * {"log","stream","time"} objects and k8s-file's "RFC3339NANO STREAM F|P TEXT". */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/json.h"
#include "ctr_logcfg.h"
#include "util.h"

struct log_walk
{
  const struct capsa_log_query *q;
  capsa_log_fn *fn;
  void *data;
  int stop; /* what fn returned, when not 0 */
};

/* One record, its parts found; handed to fn when it passes the filters. */
static void
emit (struct log_walk *w, const char *ts, int stream, const char *text, size_t len, bool partial)
{
  long long t = (w->q->since_ns > 0 || w->q->until_ns > 0) ? capsa_ctr_parse_since (ts) : 0;
  if ((w->q->since_ns > 0 && t < w->q->since_ns) || (w->q->until_ns > 0 && t > w->q->until_ns))
    return;
  if ((stream == 1 && w->q->no_stdout) || (stream == 2 && w->q->no_stderr))
    return;
  w->stop = w->fn (w->data, stream, ts, text, len, partial);
}

/* json-file's {"log":"TEXT\n","stream":"stdout","time":"..."} (no "\n": the line was cut) */
static void
json_record (struct log_walk *w, const char *line)
{
  cleanup_json json_t *o = json_loads (line, JSON_ALLOW_NUL, NULL);
  json_t *log = json_object_get (o, "log");
  const char *stream = json_string_value (json_object_get (o, "stream"));
  const char *ts = json_string_value (json_object_get (o, "time"));
  if (!json_is_string (log) || stream == NULL || ts == NULL)
    return;
  size_t len = json_string_length (log);
  const char *text = json_string_value (log);
  bool partial = len == 0 || text[len - 1] != '\n';
  emit (w, ts, strcmp (stream, "stderr") == 0 ? 2 : 1, text, partial ? len : len - 1, partial);
}

/* One record of either format. */
static void
record (struct log_walk *w, char *line)
{
  if (w->stop)
    return;
  if (line[0] == '{')
    {
      json_record (w, line);
      return;
    }
  char *sp1 = strchr (line, ' ');
  if (sp1 == NULL)
    return;
  char *sp2 = strchr (sp1 + 1, ' ');
  if (sp2 == NULL || sp2[1] == '\0' || sp2[2] != ' ')
    return;
  *sp1 = '\0';
  *sp2 = '\0';
  const char *text = sp2 + 3;
  emit (w, line, strcmp (sp1 + 1, "stderr") == 0 ? 2 : 1, text, strlen (text), sp2[1] == 'P');
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

/* The log being followed: the file open (-1: none yet), its inode. */
struct follow
{
  int fd;
  ino_t ino;
};

/* What fd has from its offset to its end: whole records to w, a partial last line kept in *part.
 * Whether anything came. */
static bool
drain (struct log_walk *w, int fd, char **part)
{
  bool got = false;
  char buf[65536];
  ssize_t n;
  while (!w->stop && (n = read (fd, buf, sizeof buf - 1)) > 0)
    {
      buf[n] = '\0';
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

static void
follow_open (struct follow *f, const char *path)
{
  struct stat st;
  f->fd = open (path, O_RDONLY | O_CLOEXEC);
  f->ino = f->fd >= 0 && fstat (f->fd, &st) == 0 ? st.st_ino : 0;
}

/* What was appended since the last call; when the file was rotated (path is another inode now),
 * the rest of the old one first, then the new one from its start.  Whether anything came. */
static bool
follow_once (struct log_walk *w, const char *path, struct follow *f, char **part)
{
  struct stat st;
  if (f->fd < 0)
    follow_open (f, path);
  if (f->fd < 0)
    return false;
  bool got = drain (w, f->fd, part);
  if (stat (path, &st) == 0 && st.st_ino != f->ino)
    {
      got |= drain (w, f->fd, part); /* (written before the rename) */
      close (f->fd);
      follow_open (f, path);
      if (f->fd >= 0)
        got |= drain (w, f->fd, part);
    }
  return got;
}

/* Every file of the log, oldest first (PATH.N ... PATH.1, PATH), in one buffer; *last_len: the
 * length of PATH's part (where following starts). */
static char *
read_rotated (const struct ctr_log_set *ls, size_t *last_len)
{
  int top = ls->files > 1 ? ls->files - 1 : 1;
  char *all = xstrdup ("");
  for (int i = top; i >= 0; i--)
    {
      cleanup_free char *p = i ? xasprintf ("%s.%d", ls->path, i) : xstrdup (ls->path);
      size_t len;
      cleanup_free char *b = read_all (p, &len);
      char *joined = xasprintf ("%s%s", all, b);
      free (all);
      all = joined;
      *last_len = len;
    }
  return all;
}

int
capsa_ctr_logs (struct capsa_engine *e, struct ctr *c, const struct capsa_log_query *q, capsa_log_fn *fn, void *data)
{
  struct log_walk w = { q, fn, data, 0 };
  struct ctr_log_set ls;
  size_t l0 = 0;
  ctr_log_settings (c, &ls);
  /* (opened first: what is written while the files are read is followed from there) */
  struct follow f = { -1, 0 };
  if (q->follow)
    follow_open (&f, ls.path);
  cleanup_free char *all = read_rotated (&ls, &l0);
  records (&w, all, q->tail);
  if (f.fd >= 0 && lseek (f.fd, (off_t) l0, SEEK_SET) < 0)
    close (f.fd), f.fd = -1;
  cleanup_free char *part = xstrdup ("");
  /* follow: until it has exited (and the log is drained), or fn says stop */
  for (int idle = 0; q->follow && !w.stop;)
    {
      if (follow_once (&w, ls.path, &f, &part))
        {
          idle = 0;
          continue;
        }
      if (q->until_ns > 0 && realtime_ns () > q->until_ns)
        break; /* (--until passed: nothing that comes can be shown) */
      capsa_ctr_refresh (e, c);
      if (((c->status == CTR_EXITED || c->status == CTR_DEAD) && ++idle > 3) || access (c->dir, F_OK) != 0)
        break;
      w.stop = fn (data, 0, NULL, NULL, 0, false); /* idle: the caller may stop (its client left) */
      nanosleep (&(struct timespec){ 0, 100 * 1000000 }, NULL);
    }
  if (f.fd >= 0)
    close (f.fd);
  ctr_log_set_free (&ls);
  return w.stop;
}
