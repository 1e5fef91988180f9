/* capsa-oci events [--stats] [--interval DURATION] ID: container statistics and OOM events as
 * JSON lines, runc's shape: {"type":"stats","id":ID,"data":{cpu,memory,pids,blkio,hugetlb}} and
 * {"type":"oom","id":ID}.  --stats prints one and exits; otherwise stats every interval (default
 * 5s) and an oom line whenever the kernel's OOM killer acts in the container, until it stops. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capsa/util.h"
#include "oci.h"

/* "5s", "250ms", "1m", "2" (seconds) -> milliseconds; -1 when malformed. */
static long
parse_duration_ms (const char *s)
{
  char *end;
  double v = strtod (s, &end);
  if (end == s || v <= 0)
    return -1;
  if (*end == '\0' || strcmp (end, "s") == 0)
    return (long) (v * 1000);
  if (strcmp (end, "ms") == 0)
    return (long) v;
  if (strcmp (end, "m") == 0)
    return (long) (v * 60000);
  if (strcmp (end, "h") == 0)
    return (long) (v * 3600000);
  return -1;
}

static void
print_event (const char *type, const char *id, json_t *data)
{
  json_t *o = json_pack ("{s:s, s:s}", "type", type, "id", id);
  if (data)
    json_object_set (o, "data", data);
  char *s = json_dumps (o, JSON_COMPACT);
  if (s)
    printf ("%s\n", s);
  fflush (stdout);
  free (s);
  json_decref (o);
}

struct events_args
{
  bool stats;
  long interval; /* ms */
};

static int
set_interval (void *base, const char *value, capsa_err **err)
{
  struct events_args *a = base;
  if ((a->interval = parse_duration_ms (value)) <= 0)
    {
      capsa_fail_as (err, EINVAL, "--interval: `%s` is not a duration (5s, 500ms, 1m)", value);
      return CAPSA_OPT_USAGE;
    }
  return 0;
}

static const struct capsa_opt events_opts[] = {
  CAPSA_O_BOOL (0, "stats", struct events_args, stats, "print the container's statistics once and exit"),
  CAPSA_O_CALL (0, "interval", set_interval, "D", "statistics every D (default 5s); oom events as they happen"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct oci_cmd oci_cmd_events = {
  "events", "[--stats] [--interval DURATION] CONTAINER-ID", NULL, events_opts, 0, 22, CAPSA_OPT_HELP_COMPACT
};

int
cmd_events (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  struct events_args a = { .interval = 5000 };
  bool running;
  long long ooms = -1, prev_ooms;
  json_t *data = NULL;
  int first = oci_parse (&oci_cmd_events, argc, argv, &a);

  if (first <= 0)
    return first == 0 ? 0 : 1;
  const char *id = oci_one_id ("events", argc, argv, first);
  if (id == NULL)
    return 1;
  if (capsa_container_stats (g->root, id, &data, &ooms, &running, &err) < 0)
    return oci_fail (&err);
  print_event ("stats", id, data);
  json_decref (data);
  if (a.stats)
    return 0;
  long long next = capsa_monotonic_ms () + a.interval;
  while (running)
    {
      poll (NULL, 0, 100);
      prev_ooms = ooms;
      data = NULL;
      if (capsa_container_stats (g->root, id, &data, &ooms, &running, &err) < 0)
        {
          /* deleted under us: the stream ends */
          capsa_err_free (&err);
          return 0;
        }
      if (ooms > prev_ooms && prev_ooms >= 0)
        print_event ("oom", id, NULL);
      if (capsa_monotonic_ms () >= next && running)
        {
          print_event ("stats", id, data);
          next += a.interval;
        }
      json_decref (data);
    }
  return 0;
}
