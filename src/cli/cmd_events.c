/* capsa events [--since T] [--until T] [--filter K=V]... [--format F]: the engine's event log
 * (capsa/engine.h, what capsa, capsa-service and the containers' monitors did), printed as docker
 * prints it; without --until (or with one to come) it keeps printing what comes. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "cli.h"
#include "capsa/template.h"

struct events_opts
{
  const char *since, *until, *format;
  char **filters;
};

static const struct capsa_opt events_opts[] = {
  CAPSA_O_STR (0, "since", struct events_opts, since, "T", "from T on (10m, an RFC 3339 time, unix seconds)"),
  CAPSA_O_STR (0, "until", struct events_opts, until, "T", "up to T (then it ends)"),
  CAPSA_O_LIST ('f', "filter", struct events_opts, filters, "K=V",
                "container, event, type, image, label, network, volume (repeatable)"),
  CAPSA_O_STR (0, "format", struct events_opts, format, "FORMAT", "json, or a Go template ({{.Action}})"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_events = {
  "events",    "[OPTIONS]", "Print what happens to containers, images, networks and volumes, as it happens.",
  events_opts, 0,           NULL
};

static int
cmp_str (const void *a, const void *b)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* docker's line: TIME TYPE ACTION ID (k=v, ...), the attributes by key. */
static void
print_text (json_t *ev)
{
  long long ns = json_integer_value (json_object_get (ev, "timeNano"));
  time_t sec = (time_t) (ns / 1000000000LL);
  struct tm tm;
  char when[32];
  gmtime_r (&sec, &tm);
  strftime (when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
  json_t *actor = json_object_get (ev, "Actor"), *attrs = json_object_get (actor, "Attributes");
  printf ("%s.%09lldZ %s %s %s", when, ns % 1000000000LL, json_string_value (json_object_get (ev, "Type")),
          json_string_value (json_object_get (ev, "Action")), json_string_value (json_object_get (actor, "ID")));
  const char **keys = capsa_xmalloc0 ((json_object_size (attrs) + 1) * sizeof *keys);
  size_t n = 0;
  const char *k;
  json_t *v;
  json_object_foreach (attrs, k, v) keys[n++] = k;
  qsort (keys, n, sizeof *keys, cmp_str);
  for (size_t i = 0; i < n; i++)
    printf ("%s%s=%s", i ? ", " : " (", keys[i], json_string_value (json_object_get (attrs, keys[i])));
  printf ("%s\n", n ? ")" : "");
  free (keys);
}

struct printer
{
  const char *format;
  capsa_err *err;
};

static int
print_event (void *data, json_t *ev)
{
  struct printer *p = data;
  if (ev == NULL)
    return 0;
  if (p->format == NULL)
    print_text (ev);
  else if (strcmp (p->format, "json") == 0)
    {
      cleanup_free char *s = json_dumps (ev, JSON_COMPACT);
      puts (s);
    }
  else
    {
      cleanup_free char *out = NULL;
      if (capsa_template_render (p->format, ev, &out, &p->err) < 0)
        return 1;
      puts (out);
    }
  return fflush (stdout) == EOF; /* (a reader gone: stop) */
}

/* --filter K=V... as docker's {"K": ["V", ...]}. */
static int
parse_filters (char **list, json_t *out)
{
  for (char **f = list; f && *f; f++)
    {
      const char *eq = strchr (*f, '=');
      if (eq == NULL || eq == *f)
        return cli_usage ("events", "--filter `%s`: want KEY=VALUE", *f);
      cleanup_free char *k = capsa_xasprintf ("%.*s", (int) (eq - *f), *f);
      json_t *vals = json_object_get (out, k);
      if (vals == NULL)
        json_object_set_new (out, k, vals = json_array ());
      json_array_append_new (vals, json_string (eq + 1));
    }
  return 0;
}

static int
parse_time (const char *what, const char *v, long long *ns)
{
  *ns = v ? capsa_ctr_parse_since (v) : -1;
  if (v && *ns < 0)
    return cli_usage ("events", "%s `%s`: neither a duration (10s, 5m), a time (RFC 3339) nor unix seconds", what, v);
  return 0;
}

int
cmd_events (struct cli_global *g, int argc, char **argv)
{
  struct events_opts o = { 0 };
  int first = cli_parse (&cli_spec_events, argc, argv, &o);
  if (first <= 0)
    return -first;
  cleanup_strv char **filters_list = o.filters;
  if (first != argc)
    return cli_usage ("events", "takes no arguments");
  cleanup_json json_t *filters = json_object ();
  long long since, until;
  if (parse_filters (o.filters, filters) || parse_time ("--since", o.since, &since)
      || parse_time ("--until", o.until, &until))
    return CLI_EXIT_ERROR;
  bool follow = until < 0 || until > capsa_realtime_ns ();
  struct printer p = { .format = o.format };
  capsa_err *err = NULL;
  if (capsa_engine_events_read (&g->eng, since, until, follow, filters, print_event, &p, &err) < 0)
    return cli_fail (&err);
  return p.err ? cli_fail (&p.err) : 0;
}
