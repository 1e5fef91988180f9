/* capsa-oci events [--stats] [--interval DURATION] ID: container statistics and OOM events as
 * JSON lines, runc's shape: {"type":"stats","id":ID,"data":{cpu,memory,pids,blkio,hugetlb}} and
 * {"type":"oom","id":ID}.  --stats prints one and exits; otherwise stats every interval (default
 * 5s) and an oom line whenever the kernel's OOM killer acts in the container, until it stops. */
#include <getopt.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

static long long
now_ms (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return (long long) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int
cmd_events (struct oci_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "stats", no_argument, NULL, 's' },
    { "interval", required_argument, NULL, 'i' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  capsa_err *err = NULL;
  bool once = false, running;
  long interval = 5000;
  long long ooms = -1, prev_ooms;
  json_t *data = NULL;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    switch (c)
      {
      case 's':
        once = true;
        break;
      case 'i':
        if ((interval = parse_duration_ms (optarg)) <= 0)
          return oci_usage ("events", "--interval: `%s` is not a duration (5s, 500ms, 1m)", optarg);
        break;
      case 'h':
        printf ("Usage: capsa-oci events [--stats] [--interval DURATION] CONTAINER-ID\n\n"
                "  --stats             print the container's statistics once and exit\n"
                "  --interval D        statistics every D (default 5s); oom events as they happen\n");
        return 0;
      default:
        return oci_usage ("events", "unknown option `%s`", argv[optind - 1]);
      }
  const char *id = oci_one_id ("events", argc, argv, optind);
  if (id == NULL)
    return 1;
  if (capsa_container_stats (g->root, id, &data, &ooms, &running, &err) < 0)
    return oci_fail (&err);
  print_event ("stats", id, data);
  json_decref (data);
  if (once)
    return 0;
  long long next = now_ms () + interval;
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
      if (now_ms () >= next && running)
        {
          print_event ("stats", id, data);
          next += interval;
        }
      json_decref (data);
    }
  return 0;
}
