/* POST /containers/{id}/wait?condition=not-running|next-exit|removed: the status line and headers
 * go out at once (the docker CLI posts wait before start and goes on when the headers come), the
 * body {"StatusCode": N, "Error": null} when the condition is met.
 *
 * The container's directory is watched (inotify: run.json is replaced on each change), so an exit
 * is seen within moments of being recorded, before an --rm container's monitor removes it: its
 * exit code is kept for condition=removed. */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

enum wait_cond
{
  WAIT_NOT_RUNNING,
  WAIT_NEXT_EXIT,
  WAIT_REMOVED,
};

struct waiter
{
  struct svc *s;
  char *id, *dir;
  char *finished0; /* FinishedAt when the wait began (next-exit waits for another) */
  enum wait_cond cond;
  int code;
  int client;           /* the connection's socket: a client gone ends the wait */
  long long unknown_ms; /* when it was first seen exited with its code not yet recorded (0: not) */
  bool sent;
  bool gone; /* the client left */
};

static void
waiter_free (void *p)
{
  struct waiter *w = p;
  free (w->id);
  free (w->dir);
  free (w->finished0);
  free (w);
}

/* Whether the condition holds now; w->code follows the container's last exit. */
static bool
wait_done (struct waiter *w)
{
  cleanup_ctr struct ctr *c = NULL;
  if (capsa_ctr_load (&w->s->eng, w->id, &c, NULL) < 0)
    return access (w->dir, F_OK) < 0; /* gone: every condition is over */
  bool live = c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING;
  const char *fin = json_string_value (json_object_get (c->run, "FinishedAt"));
  bool exited = c->status == CTR_EXITED || c->status == CTR_DEAD;
  if (exited && c->exit_code >= 0)
    w->code = c->exit_code;
  /* its process gone, its monitor not yet done recording the code: a moment more (a monitor gone
   * for good leaves it unknown: answered after 2 s) */
  if (exited && c->exit_code < 0 && w->cond != WAIT_REMOVED)
    {
      long long now = capsa_monotonic_ms ();
      if (w->unknown_ms == 0)
        w->unknown_ms = now;
      if (now - w->unknown_ms < 2000)
        return false;
    }
  switch (w->cond)
    {
    case WAIT_NOT_RUNNING:
      return !live;
    case WAIT_NEXT_EXIT:
      return exited && fin && (w->finished0 == NULL || strcmp (fin, w->finished0) != 0);
    case WAIT_REMOVED:
    default:
      return false;
    }
}

static void
wait_loop (struct waiter *w)
{
  cleanup_close int in = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
  if (in >= 0)
    inotify_add_watch (in, w->dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE | IN_DELETE_SELF);
  while (!wait_done (w))
    {
      struct pollfd p[2] = { { .fd = in, .events = POLLIN }, { .fd = w->client, .events = POLLRDHUP } };
      /* the watch sees run.json change; the timeout covers what it cannot (a pid that died) */
      if (poll (p, 2, 200) > 0 && (p[1].revents & (POLLRDHUP | POLLHUP | POLLERR)))
        {
          w->gone = true;
          return;
        }
      char buf[4096];
      while (in >= 0 && read (in, buf, sizeof buf) > 0)
        ;
    }
}

static ssize_t
wait_read (void *cls, uint64_t pos, char *buf, size_t max)
{
  struct waiter *w = cls;
  (void) pos;
  if (w->sent)
    return MHD_CONTENT_READER_END_OF_STREAM;
  wait_loop (w);
  if (w->gone)
    return MHD_CONTENT_READER_END_WITH_ERROR;
  int n = snprintf (buf, max, "{\"Error\":null,\"StatusCode\":%d}\n", w->code < 0 ? 0 : w->code);
  w->sent = true;
  return n;
}

static bool
parse_cond (const char *v, enum wait_cond *out)
{
  if (v == NULL || *v == '\0' || strcmp (v, "not-running") == 0)
    *out = WAIT_NOT_RUNNING;
  else if (strcmp (v, "next-exit") == 0)
    *out = WAIT_NEXT_EXIT;
  else if (strcmp (v, "removed") == 0)
    *out = WAIT_REMOVED;
  else
    return false;
  return true;
}

enum MHD_Result
api_ctr_wait (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  enum MHD_Result res;
  enum wait_cond cond;
  const char *v = svc_query (r, "condition");
  if (!parse_cond (v, &cond))
    return svc_reply_err (r, 400, "invalid condition: `%s` (not-running, next-exit or removed)", v);
  if (!svc_find_ctr (r, &c, &res))
    return res;
  struct waiter *w = capsa_xmalloc0 (sizeof *w);
  const char *fin = json_string_value (json_object_get (c->run, "FinishedAt"));
  w->s = r->s;
  w->id = capsa_xstrdup (c->id);
  w->dir = capsa_xstrdup (c->dir);
  w->finished0 = fin ? capsa_xstrdup (fin) : NULL;
  w->cond = cond;
  w->code = c->exit_code;
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info (r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  w->client = ci ? ci->connect_fd : -1;
  struct MHD_Response *resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 256, wait_read, w, waiter_free);
  if (resp == NULL)
    return waiter_free (w), MHD_NO;
  MHD_add_response_header (resp, "Content-Type", "application/json");
  return svc_reply_response (r, 200, resp);
}
