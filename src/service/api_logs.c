/* GET /containers/{id}/logs?stdout&stderr&follow&since&until&timestamps&tail&details: the engine's
 * log records as docker's stream: each in a frame of docker's multiplexed format (stream, 3 zero
 * bytes, big-endian size) unless the container has a terminal (raw bytes).  details: the log's
 * attributes and a space before each line (after the time), as dockerd; a driver that keeps no
 * log (none, passthrough) is 501, as dockerd's "does not support reading". */
#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

struct log_job
{
  struct svc *s;
  struct ctr *c;
  struct capsa_log_query q;
  bool tty, timestamps;
  char *details; /* details=1: the attributes (owned), else NULL */
  int fd;
};

static void
log_job_free (void *p)
{
  struct log_job *j = p;
  if (j->c)
    capsa_ctr_free (j->c);
  free (j->details);
  free (j);
}

int
svc_write_frame (int fd, bool raw, int stream, const char *data, size_t len)
{
  unsigned char h[8];
  svc_frame_head (h, stream, len);
  if (!raw && capsa_write_all (fd, h, sizeof h) < 0)
    return -1;
  return capsa_write_all (fd, data, len);
}

static int
log_record (void *data, int stream, const char *ts, const char *text, size_t len, bool partial)
{
  struct log_job *j = data;
  if (stream == 0) /* nothing new: is the client still there (the pipe's reader)? */
    {
      struct pollfd p = { .fd = j->fd, .events = POLLOUT };
      return (poll (&p, 1, 0) > 0 && (p.revents & (POLLERR | POLLHUP))) || svc_stopping (j->s) ? 1 : 0;
    }
  size_t tl = j->timestamps ? strlen (ts) + 1 : 0, dl = j->details ? strlen (j->details) + 1 : 0;
  char *buf = malloc (tl + dl + len + 1);
  if (buf == NULL)
    return 1;
  if (tl)
    memcpy (buf, ts, tl - 1), buf[tl - 1] = ' ';
  if (dl)
    memcpy (buf + tl, j->details, dl - 1), buf[tl + dl - 1] = ' ';
  memcpy (buf + tl + dl, text, len);
  size_t n = tl + dl + len;
  if (!partial)
    buf[n++] = '\n';
  int r = svc_write_frame (j->fd, j->tty, stream, buf, n);
  free (buf);
  return r < 0 ? 1 : 0;
}

static void
log_job_run (void *p, int fd)
{
  struct log_job *j = p;
  j->fd = fd;
  capsa_ctr_logs (&j->s->eng, j->c, &j->q, log_record, j);
}

/* since/until for the log query: 0 when absent (no bound) */
static bool
query_time (struct svc_req *r, const char *name, long long *ns, enum MHD_Result *res)
{
  const char *v = svc_query (r, name);
  if (!svc_parse_time (v, ns))
    {
      *res = svc_reply_err (r, 400, "invalid value for %s: `%s` (unix seconds, or an RFC 3339 time)", name, v);
      return false;
    }
  if (*ns < 0)
    *ns = 0;
  return true;
}

enum MHD_Result
api_ctr_logs (struct svc_req *r)
{
  struct log_job *j = capsa_xmalloc0 (sizeof *j);
  enum MHD_Result res;
  const char *tail = svc_query (r, "tail");
  long long n = -1;
  bool out = svc_query_bool (r, "stdout", false), err = svc_query_bool (r, "stderr", false);
  j->s = r->s;
  if (tail && *tail && strcmp (tail, "all") != 0)
    {
      if (!svc_query_int (r, "tail", -1, &n, &res))
        return log_job_free (j), res;
      if (n < 0)
        return log_job_free (j), svc_reply_err (r, 400, "invalid value for tail: `%s` (a count, or all)", tail);
    }
  j->q.tail = (long) n; /* -1: all */
  j->q.follow = svc_query_bool (r, "follow", false);
  j->q.no_stdout = !out;
  j->q.no_stderr = !err;
  j->timestamps = svc_query_bool (r, "timestamps", false);
  if (!out && !err)
    res = svc_reply_err (r, 400, "Bad parameters: you must choose at least one stream");
  else if (query_time (r, "since", &j->q.since_ns, &res) && query_time (r, "until", &j->q.until_ns, &res)
           && svc_find_ctr (r, &j->c, &res))
    {
      cleanup_err capsa_err *e = NULL;
      if (capsa_ctr_log_readable (j->c, &e) < 0)
        {
          log_job_free (j);
          return svc_reply_err (r, 501, "%s", e->msg);
        }
      j->tty = json_is_true (json_object_get (json_object_get (j->c->meta, "Config"), "Tty"));
      j->details = svc_query_bool (r, "details", false) ? capsa_ctr_log_details (j->c) : NULL;
      return svc_reply_pipe (r, 200, "application/vnd.docker.raw-stream", NULL, log_job_run, j, log_job_free);
    }
  log_job_free (j);
  return res;
}
