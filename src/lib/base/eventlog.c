/* The event log's writing side (eventlog.h): what ctr_events.c (capsa/engine.h) says of
 * ROOT/events.log, here so that the image store's operations (tag, untag, delete, pull...) append
 * to it too, from libcapsa_core, below the engine.
 *
 * - A line is written by one write() of less than PIPE_BUF bytes to a file opened O_APPEND, so
 *   that concurrent writers never interleave; writers hold ROOT/events.lock shared meanwhile.
 * - Past eventlog_rotate_bytes the log is renamed to events.log.1 (the older one dropped) under
 *   the lock held exclusively: no write is in flight then, so a reader that sees the log renamed
 *   has only to finish the old file before it opens the new one.
 * - An event that cannot be written is lost: the operation it tells of never fails for it.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cleanup.h"
#include "eventlog.h"
#include "jsonutil.h"
#include "util.h"

long long eventlog_rotate_bytes = EVENTLOG_ROTATE_BYTES;

/* docker's message: status, id and from are the old fields, of containers only. */
static json_t *
event_build (const char *type, const char *action, const char *id, json_t *attrs, long long ns)
{
  json_t *ev = json_object ();
  bool ctr = strcmp (type, "container") == 0;
  if (ctr)
    {
      json_object_set_new (ev, "status", json_string (action));
      json_object_set_new (ev, "id", json_string (id));
      const char *img = jstr (attrs, "image");
      if (img)
        json_object_set_new (ev, "from", json_string (img));
    }
  json_t *actor = json_pack ("{s:s, s:O}", "ID", id, "Attributes", attrs);
  json_object_set_new (ev, "Type", json_string (type));
  json_object_set_new (ev, "Action", json_string (action));
  json_object_set_new (ev, "Actor", actor);
  json_object_set_new (ev, "scope", json_string ("local"));
  json_object_set_new (ev, "time", json_integer (ns / 1000000000LL));
  json_object_set_new (ev, "timeNano", json_integer (ns));
  return ev;
}

/* ev's line, "\n" ended, when it is shorter than PIPE_BUF bytes; else NULL. */
static char *
event_text (json_t *ev)
{
  cleanup_free char *s = json_dumps (ev, JSON_COMPACT);
  if (s == NULL || strlen (s) + 1 >= PIPE_BUF)
    return NULL;
  return xasprintf ("%s\n", s);
}

/* The line of an event: when its labels make it too long, only the attributes that say what it
 * is are kept; NULL when even that is too long. */
static char *
event_line (const char *type, const char *action, const char *id, json_t *attrs)
{
  static const char *keep[] = { "image", "name", "container", "exitCode", "signal", "oldName", "type", "driver" };
  long long ns = realtime_ns ();
  cleanup_json json_t *ev = event_build (type, action, id, attrs, ns);
  char *s = event_text (ev);
  if (s)
    return s;
  cleanup_json json_t *few = json_object ();
  for (size_t k = 0; k < ARRAY_SIZE (keep); k++)
    if (json_object_get (attrs, keep[k]))
      json_object_set (few, keep[k], json_object_get (attrs, keep[k]));
  json_decref (ev);
  ev = event_build (type, action, id, few, ns);
  return event_text (ev);
}

char *
eventlog_path (const char *root, const char *suffix)
{
  return xasprintf ("%s/events%s", root, suffix);
}

/* Rename a log grown past the limit to events.log.1, unless another writer did already. */
static void
log_rotate (const char *root, int lock)
{
  cleanup_free char *path = eventlog_path (root, ".log"), *old = eventlog_path (root, ".log.1");
  struct stat st;
  if (flock (lock, LOCK_EX) < 0)
    return;
  if (stat (path, &st) == 0 && st.st_size >= eventlog_rotate_bytes)
    rename (path, old);
  flock (lock, LOCK_UN);
}

void
eventlog_append (const char *root, const char *type, const char *action, const char *id, json_t *attributes)
{
  cleanup_json json_t *none = attributes ? NULL : json_object ();
  cleanup_free char *line = event_line (type, action, id ? id : "", attributes ? attributes : none);
  cleanup_free char *lockpath = eventlog_path (root, ".lock"), *path = eventlog_path (root, ".log");
  if (line == NULL)
    return;
  cleanup_close int lock = open (lockpath, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0 || flock (lock, LOCK_SH) < 0)
    return;
  struct stat st = { 0 };
  int fd = open (path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
  if (fd >= 0)
    {
      ssize_t n = write (fd, line, strlen (line));
      (void) n;
      fstat (fd, &st);
      close (fd);
    }
  flock (lock, LOCK_UN);
  if (st.st_size >= eventlog_rotate_bytes)
    log_rotate (root, lock);
}
