/* GET /events?since=&until=&filters=: the engine's event log (capsa_engine_events_*: what
 * `capsa`, this service and the containers' monitors did), one JSON object and "\n" per event,
 * each sent as it comes.  Without until it streams until the client goes away; with until in the
 * past it ends once the log is read.
 *
 * The response's content reader blocks in the engine's reader (a thread per connection), a
 * second at a time, looking meanwhile whether the client has gone (POLLRDHUP), as wait does. */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

struct evstream
{
  struct capsa_events *it;
  int client; /* the connection's socket, -1 when unknown */
  char *line; /* the event being sent */
  size_t len, off;
};

static void
evstream_free (void *p)
{
  struct evstream *s = p;
  capsa_engine_events_close (s->it);
  free (s->line);
  free (s);
}

static bool
client_gone (int fd)
{
  struct pollfd p = { .fd = fd, .events = POLLRDHUP };
  return fd >= 0 && poll (&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

static ssize_t
events_reader (void *cls, uint64_t pos, char *buf, size_t max)
{
  struct evstream *s = cls;
  (void) pos;
  while (s->off >= s->len)
    {
      json_t *ev = NULL;
      int r = capsa_engine_events_next (s->it, 1000, &ev);
      if (r < 0)
        return MHD_CONTENT_READER_END_OF_STREAM;
      if (r == 0)
        {
          if (client_gone (s->client))
            return MHD_CONTENT_READER_END_WITH_ERROR;
          continue;
        }
      cleanup_free char *text = json_dumps (ev, JSON_COMPACT);
      json_decref (ev);
      free (s->line);
      s->line = capsa_xasprintf ("%s\n", text ? text : "{}");
      s->len = strlen (s->line);
      s->off = 0;
    }
  size_t n = s->len - s->off < max ? s->len - s->off : max;
  memcpy (buf, s->line + s->off, n);
  s->off += n;
  return (ssize_t) n;
}

/* The filters docker's daemon knows for events: any other is its 400. */
static bool
filters_known (json_t *filters, const char **bad)
{
  static const char *keys[] = { "container", "daemon", "event", "image",  "label",   "network", "node",
                                "plugin",    "scope",  "type",  "volume", "service", "secret",  "config" };
  const char *k;
  json_t *v;
  json_object_foreach (filters, k, v)
  {
    bool ok = false;
    for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
      ok |= strcmp (k, keys[i]) == 0;
    if (!ok)
      return *bad = k, false;
  }
  return true;
}

enum MHD_Result
api_events (struct svc_req *r)
{
  enum MHD_Result res;
  long long since, until;
  const char *bad = NULL;
  if (!svc_parse_time (svc_query (r, "since"), &since))
    return svc_reply_err (r, 400, "invalid since: `%s` (unix seconds, or an RFC 3339 time)", svc_query (r, "since"));
  if (!svc_parse_time (svc_query (r, "until"), &until))
    return svc_reply_err (r, 400, "invalid until: `%s` (unix seconds, or an RFC 3339 time)", svc_query (r, "until"));
  cleanup_json json_t *filters = NULL;
  if (!svc_filters (r, &filters, &res))
    return res;
  if (!filters_known (filters, &bad))
    return svc_reply_err (r, 400, "Invalid filter '%s'", bad);
  struct evstream *s = capsa_xmalloc0 (sizeof *s);
  capsa_err *err = NULL;
  bool follow = until < 0 || until > capsa_realtime_ns ();
  if (capsa_engine_events_open (&r->s->eng, since, until, follow, filters, &s->it, &err) < 0)
    {
      free (s);
      return svc_reply_capsa_err (r, &err);
    }
  const union MHD_ConnectionInfo *ci = MHD_get_connection_info (r->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
  s->client = ci ? ci->connect_fd : -1;
  struct MHD_Response *resp = MHD_create_response_from_callback (MHD_SIZE_UNKNOWN, 8192, events_reader, s,
                                                                 evstream_free);
  if (resp == NULL)
    return evstream_free (s), MHD_NO;
  MHD_add_response_header (resp, "Content-Type", "application/json");
  return svc_reply_response (r, 200, resp);
}
