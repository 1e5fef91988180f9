/* docker's events (capsa/engine.h): a log in the store, ROOT/events.log, one JSON line per event,
 * written by whoever does the thing (`capsa`, capsa-service, a container's monitor), read and
 * followed by `capsa events` and GET /events.
 * The log's writing side (its lines, locks and renames) is src/lib/base/eventlog.c, which the
 * image store's operations use too.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "ctr.h"
#include "ctr_events.h"
#include "eventlog.h"
#include "jsonutil.h"
#include "util.h"

void
capsa_engine_event (struct capsa_engine *e, const char *type, const char *action, const char *id, json_t *attributes)
{
  eventlog_append (e->root, type, action, id, attributes);
}

json_t *
ctr_event_attrs (const struct ctr *c)
{
  json_t *cfg = json_object_get (c->meta, "Config");
  json_t *labels = json_object_get (cfg, "Labels");
  json_t *attrs = json_is_object (labels) ? json_deep_copy (labels) : json_object ();
  const char *image = jstr (cfg, "Image");
  json_object_set_new (attrs, "image", json_string (image ? image : ""));
  json_object_set_new (attrs, "name", json_string (capsa_ctr_name (c)));
  return attrs;
}

void
capsa_ctr_event (struct capsa_engine *e, const struct ctr *c, const char *action, const char *key, const char *value)
{
  cleanup_json json_t *attrs = ctr_event_attrs (c);
  if (key && value)
    json_object_set_new (attrs, key, json_string (value));
  capsa_engine_event (e, "container", action, c->id, attrs);
}

/* docker's exec events (daemon/exec.go): "exec_create: CMD ARGS" and "exec_start: CMD ARGS" with
 * execID; exec_die with execID and exitCode. */
void
capsa_ctr_exec_event (struct capsa_engine *e, const struct ctr *c, const char *action, char *const *args,
                      const char *exec_id, int exit_code)
{
  cleanup_json json_t *attrs = ctr_event_attrs (c);
  json_object_set_new (attrs, "execID", json_string (exec_id));
  if (strcmp (action, "exec_die") == 0)
    {
      char code[16];
      snprintf (code, sizeof code, "%d", exit_code);
      json_object_set_new (attrs, "exitCode", json_string (code));
      capsa_engine_event (e, "container", action, c->id, attrs);
      return;
    }
  cleanup_free char *line = xasprintf ("%s:", action);
  for (char *const *a = args; a && *a; a++)
    {
      char *more = xasprintf ("%s %s", line, *a);
      free (line);
      line = more;
    }
  capsa_engine_event (e, "container", line, c->id, attrs);
}

void
ctr_event_by_id (struct capsa_engine *e, const char *id, const char *action, const char *key, const char *value)
{
  cleanup_ctr struct ctr *c = NULL;
  if (capsa_ctr_load (e, id, &c, NULL) == 0)
    capsa_ctr_event (e, c, action, key, value);
}

/* (Actor.ID is the network's name: the id capsa-service shows is a digest, which the container
 * commands, linked without libcrypto, do not compute) */
void
capsa_engine_net_event (struct capsa_engine *e, const char *action, const char *network, const char *container_id)
{
  cleanup_json json_t *attrs = json_pack ("{s:s, s:s}", "name", network, "type", "bridge");
  if (container_id)
    json_object_set_new (attrs, "container", json_string (container_id));
  capsa_engine_event (e, "network", action, network, attrs);
}

/* ---- filters: docker's (daemon/events/filter.go) ------------------------------------------ */

/* The values of filters[key] (docker's ["v", ...], or the old {"v": true}): the i-th, NULL past
 * the last. */
static const char *
filter_value (json_t *vals, size_t i)
{
  if (json_is_array (vals))
    return json_string_value (json_array_get (vals, i));
  size_t k = 0;
  const char *name;
  json_t *v;
  json_object_foreach (vals, name, v)
  {
    if (k++ == i)
      return name;
  }
  return NULL;
}

/* Whether filters has no key, or a value of it is s (prefix: or begins s). */
static bool
filter_is (json_t *filters, const char *key, const char *s, bool prefix)
{
  json_t *vals = json_object_get (filters, key);
  if (vals == NULL)
    return true;
  const char *v;
  for (size_t i = 0; s && (v = filter_value (vals, i)); i++)
    if (strcmp (v, s) == 0 || (prefix && *v && strncmp (s, v, strlen (v)) == 0))
      return true;
  return false;
}

static bool
filter_name (json_t *filters, const char *key, const char *id, json_t *attrs)
{
  return filter_is (filters, key, id, true) || filter_is (filters, key, jstr (attrs, "name"), true);
}

/* A reference without its tag or digest (busybox:latest -> busybox). */
static char *
strip_tag (const char *ref)
{
  const char *slash = strrchr (ref, '/'), *at = strchr (ref, '@');
  const char *colon = strrchr (slash ? slash : ref, ':');
  size_t n = at ? (size_t) (at - ref) : colon ? (size_t) (colon - ref) : strlen (ref);
  return xasprintf ("%.*s", (int) n, ref);
}

static bool
filter_image (json_t *filters, const char *type, const char *id, json_t *attrs)
{
  const char *name = jstr (attrs, strcmp (type, "image") == 0 ? "name" : "image");
  cleanup_free char *bare_id = strip_tag (id), *bare = name ? strip_tag (name) : NULL;
  return filter_is (filters, "image", id, false) || filter_is (filters, "image", name, false)
         || filter_is (filters, "image", bare_id, false) || filter_is (filters, "image", bare, false);
}

/* Every label=K or label=K=V is among the attributes. */
static bool
filter_labels (json_t *filters, json_t *attrs)
{
  json_t *vals = json_object_get (filters, "label");
  const char *v;
  for (size_t i = 0; vals && (v = filter_value (vals, i)); i++)
    {
      const char *eq = strchr (v, '=');
      cleanup_free char *k = eq ? xasprintf ("%.*s", (int) (eq - v), v) : xstrdup (v);
      const char *have = jstr (attrs, k);
      if (have == NULL || (eq && strcmp (have, eq + 1) != 0))
        return false;
    }
  return true;
}

static bool
filter_event (json_t *filters, const char *action)
{
  /* exec_start and the like carry the command ("exec_start: sh"): matched as a prefix */
  json_t *vals = json_object_get (filters, "event");
  bool fuzzy = false;
  const char *v;
  for (size_t i = 0; vals && (v = filter_value (vals, i)); i++)
    fuzzy |= strcmp (v, "exec_start") == 0 || strcmp (v, "exec_create") == 0 || strcmp (v, "health_status") == 0;
  return filter_is (filters, "event", action, fuzzy);
}

bool
capsa_engine_event_match (json_t *ev, json_t *filters)
{
  if (filters == NULL || json_object_size (filters) == 0)
    return true;
  json_t *actor = json_object_get (ev, "Actor"), *attrs = json_object_get (actor, "Attributes");
  const char *type = jstr (ev, "Type"), *id = jstr (actor, "ID");
  if (type == NULL || id == NULL)
    return false;
  return filter_event (filters, jstr (ev, "Action")) && filter_is (filters, "type", type, false)
         && filter_is (filters, "scope", "local", false) && filter_name (filters, "container", id, attrs)
         && filter_name (filters, "network", id, attrs) && filter_name (filters, "volume", id, attrs)
         && filter_image (filters, type, id, attrs) && filter_labels (filters, attrs);
}

/* ---- reading and following --------------------------------------------------------------- */

struct capsa_events
{
  struct capsa_engine *e;
  long long since, until; /* ns; < 0: none */
  bool follow;
  json_t *filters; /* owned; NULL: every event */
  int fd;          /* the file being read, -1 when none is open */
  bool on_old;     /* it is events.log.1 */
  int in;          /* inotify on ROOT (following), -1 without */
  char *buf;       /* what was read past the last whole line */
  size_t len, cap;
};

/* Open the log (events.log.1 with old), fd -1 when it is not there. */
static void
events_open_file (struct capsa_events *it, bool old)
{
  cleanup_free char *p = eventlog_path (it->e->root, old ? ".log.1" : ".log");
  if (it->fd >= 0)
    close (it->fd);
  it->fd = open (p, O_RDONLY | O_CLOEXEC);
  it->on_old = old;
}

int
capsa_engine_events_open (struct capsa_engine *e, long long since_ns, long long until_ns, bool follow, json_t *filters,
                          struct capsa_events **out, capsa_err **err)
{
  struct capsa_events *it = xmalloc0 (sizeof *it);
  it->e = e;
  it->since = since_ns;
  it->until = until_ns;
  it->follow = follow;
  it->filters = filters ? json_incref (filters) : NULL;
  it->fd = it->in = -1;
  if (follow)
    {
      it->in = inotify_init1 (IN_CLOEXEC | IN_NONBLOCK);
      if (it->in < 0)
        {
          free (it);
          return capsa_fail (err, errno, "events: inotify_init1");
        }
      /* (a store not made yet has no events: the tick below looks again) */
      inotify_add_watch (it->in, e->root, IN_MODIFY | IN_CREATE | IN_MOVED_TO | IN_MOVED_FROM);
    }
  /* the past from the older log on; without since, only what comes from now on */
  events_open_file (it, since_ns >= 0 || until_ns >= 0);
  if (it->on_old && it->fd < 0)
    events_open_file (it, false);
  else if (!it->on_old && it->fd >= 0)
    lseek (it->fd, 0, SEEK_END);
  *out = it;
  return 0;
}

void
capsa_engine_events_close (struct capsa_events *it)
{
  if (it == NULL)
    return;
  if (it->fd >= 0)
    close (it->fd);
  if (it->in >= 0)
    close (it->in);
  json_decref (it->filters);
  free (it->buf);
  free (it);
}

/* The next whole line's event, when buf has one: 1 with *ev, 0 when there is no line; -1 past
 * until. */
static int
events_take_line (struct capsa_events *it, json_t **ev)
{
  char *nl;
  while ((nl = it->len ? memchr (it->buf, '\n', it->len) : NULL))
    {
      size_t n = (size_t) (nl - it->buf) + 1;
      json_t *o = json_loadb (it->buf, n - 1, 0, NULL);
      memmove (it->buf, it->buf + n, it->len - n);
      it->len -= n;
      long long t = json_integer_value (json_object_get (o, "timeNano"));
      if (o && it->until >= 0 && t > it->until)
        {
          json_decref (o);
          return -1;
        }
      if (o && t >= it->since && capsa_engine_event_match (o, it->filters))
        {
          *ev = o;
          return 1;
        }
      json_decref (o);
    }
  return 0;
}

/* Read more of the file into buf: > 0 bytes read, 0 at its end. */
static ssize_t
events_fill (struct capsa_events *it)
{
  if (it->fd < 0)
    return 0;
  if (it->cap - it->len < 65536)
    it->buf = xrealloc (it->buf, it->cap = it->len + 65536);
  ssize_t n = read (it->fd, it->buf + it->len, it->cap - it->len);
  if (n > 0)
    it->len += (size_t) n;
  return n > 0 ? n : 0;
}

/* At the end of the file read: whether another is to be read now (the older log done, or the
 * log renamed: every write to the old one was done before, and has been read). */
static bool
events_next_file (struct capsa_events *it)
{
  if (it->on_old)
    {
      events_open_file (it, false);
      return true;
    }
  cleanup_free char *p = eventlog_path (it->e->root, ".log");
  struct stat now, cur;
  if (stat (p, &now) < 0)
    return false;
  if (it->fd >= 0 && fstat (it->fd, &cur) == 0 && cur.st_ino == now.st_ino && cur.st_dev == now.st_dev)
    return false;
  events_open_file (it, false);
  return it->fd >= 0;
}

int
capsa_engine_events_next (struct capsa_events *it, int timeout_ms, json_t **ev)
{
  long long deadline = realtime_ns () + (long long) timeout_ms * 1000000LL;
  for (;;)
    {
      int r = events_take_line (it, ev);
      if (r != 0)
        return r;
      if (events_fill (it) > 0 || events_next_file (it))
        continue;
      long long now = realtime_ns ();
      if (!it->follow || (it->until >= 0 && now > it->until))
        return -1;
      if (now >= deadline)
        return 0;
      long long wait = deadline - now;
      if (it->until >= 0 && it->until - now < wait)
        wait = it->until - now;
      /* the watch wakes us at once; the second is for a store made meanwhile */
      int ms = (int) (wait / 1000000LL) + 1;
      poll (&(struct pollfd){ .fd = it->in, .events = POLLIN }, 1, ms < 1000 ? ms : 1000);
      char drain[4096];
      while (read (it->in, drain, sizeof drain) > 0)
        ;
    }
}

int
capsa_engine_events_read (struct capsa_engine *e, long long since_ns, long long until_ns, bool follow, json_t *filters,
                          capsa_event_fn *fn, void *data, capsa_err **err)
{
  struct capsa_events *it;
  if (capsa_engine_events_open (e, since_ns, until_ns, follow, filters, &it, err) < 0)
    return -1;
  int r, stop = 0;
  json_t *ev = NULL;
  while (stop == 0 && (r = capsa_engine_events_next (it, 1000, &ev)) >= 0)
    {
      stop = fn (data, r == 1 ? ev : NULL);
      if (r == 1)
        json_decref (ev);
    }
  capsa_engine_events_close (it);
  return 0;
}
