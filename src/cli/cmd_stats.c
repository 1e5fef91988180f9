/* capsa stats [-a] [--no-stream] [--no-trunc] [--format FORMAT] [CONTAINER...] and
 * capsa top CONTAINER [ps OPTIONS], as docker's.
 *
 * stats: a table a second (cleared first on a terminal, as docker's; one after another when
 * stdout is not one), or with --format json one object per container a line (a Go template:
 * docker's fields, `table` with docker's headers), until SIGINT, or once every container named
 * has stopped; --no-stream: one, a second after a first sample so that
 * the CPU % is docker's (the container's CPU time over the host's, times the online CPUs).
 * Without names: the running containers (-a: all), found again each second. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/template.h"
#include "capsa/util.h"
#include "cli.h"

const struct cli_spec cli_spec_top = { "top",
                                       "CONTAINER [ps OPTIONS]",
                                       "The container's processes: the host's ps (default -ef), its lines of them.",
                                       cli_no_options,
                                       CAPSA_OPT_STOP,
                                       NULL };

struct stats_opts
{
  bool no_stream, all, no_trunc;
  const char *format;
};
static const struct capsa_opt stats_opts[] = {
  CAPSA_O_BOOL ('a', "all", struct stats_opts, all, "every container (default: the running ones)"),
  CAPSA_O_BOOL (0, "no-stream", struct stats_opts, no_stream, "one table, not one a second"),
  CAPSA_O_BOOL (0, "no-trunc", struct stats_opts, no_trunc, "full container ids"),
  CAPSA_O_STR (0, "format", struct stats_opts, format, "FORMAT",
               "json (one object per container a line), table, a Go template ({{.Name}}\n"
               "{{.CPUPerc}} {{.MemUsage}} {{.NetIO}} {{.BlockIO}} {{.PIDs}}) or `table TEMPLATE`"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_stats = {
  "stats",
  "[-a] [--no-stream] [--no-trunc] [--format FORMAT] [CONTAINER...]",
  "Resource use, refreshed every second until interrupted (or the containers named stop).",
  stats_opts,
  0,
  NULL
};

/* One container followed: its last two samples. */
struct stats_row
{
  struct ctr *c;
  char *as_named; /* as the user named it, or its id */
  struct capsa_ctr_stats prev, cur;
  bool has_prev, has_cur, seen;
};

static volatile sig_atomic_t interrupted;

static void
on_sigint (int sig)
{
  (void) sig;
  interrupted = 1;
}

/* go-units BytesSize: "%.4g" and binary units (docker's MEM USAGE / LIMIT) */
static void
bytes_size (long long bytes, char *buf, size_t len)
{
  static const char *units[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB" };
  double v = (double) bytes;
  size_t u = 0;
  while (v >= 1024 && u + 1 < ARRAY_SIZE (units))
    v /= 1024, u++;
  snprintf (buf, len, "%.4g%s", v, units[u]);
}

/* the cells of one row, docker's columns (stopped: zeros, as dockerd answers for one) */
static void
cells (const struct stats_opts *o, const struct stats_row *r, char cell[8][80])
{
  const struct capsa_ctr_stats *s = &r->cur;
  struct capsa_ctr_stats zero = { 0 };
  if (!r->has_cur)
    s = &zero;
  char a[24], b[24];
  snprintf (cell[0], 80, "%.*s", o->no_trunc ? 64 : 12, r->c->id);
  snprintf (cell[1], 80, "%s", capsa_ctr_name (r->c));
  snprintf (cell[2], 80, "%.2f%%", r->has_prev && r->has_cur ? capsa_ctr_stats_cpu_percent (&r->prev, s) : 0.0);
  bytes_size (s->mem_usage, a, sizeof a);
  bytes_size (s->mem_limit, b, sizeof b);
  snprintf (cell[3], 80, "%s / %s", a, b);
  snprintf (cell[4], 80, "%.2f%%", s->mem_limit > 0 ? (double) s->mem_usage / (double) s->mem_limit * 100.0 : 0.0);
  cli_human_size ((long long) s->net_rx, a, sizeof a);
  cli_human_size ((long long) s->net_tx, b, sizeof b);
  snprintf (cell[5], 80, "%s / %s", a, b);
  cli_human_size ((long long) s->blk_read, a, sizeof a);
  cli_human_size ((long long) s->blk_write, b, sizeof b);
  snprintf (cell[6], 80, "%s / %s", a, b);
  snprintf (cell[7], 80, "%lld", s->pids);
}

static const char *const titles[8] = { "CONTAINER ID", "NAME",    "CPU %",     "MEM USAGE / LIMIT",
                                       "MEM %",        "NET I/O", "BLOCK I/O", "PIDS" };

/* docker's table (its tabwriter: cells padded by 3, at least 10 wide; the last not padded) */
static void
print_table (const struct stats_opts *o, struct stats_row *rows, size_t n, bool tty)
{
  char (*c)[8][80] = capsa_xmalloc0 ((n + 1) * sizeof *c);
  int w[8];
  for (int k = 0; k < 8; k++)
    snprintf (c[0][k], 80, "%s", titles[k]);
  for (size_t i = 0; i < n; i++)
    cells (o, &rows[i], c[i + 1]);
  for (int k = 0; k < 8; k++)
    {
      w[k] = 10;
      for (size_t i = 0; i <= n; i++)
        if ((int) strlen (c[i][k]) + 3 > w[k])
          w[k] = (int) strlen (c[i][k]) + 3;
    }
  if (tty)
    fputs ("\033[2J\033[H", stdout); /* docker's: clear the screen, home */
  for (size_t i = 0; i <= n; i++)
    for (int k = 0; k < 8; k++)
      printf (k < 7 ? "%-*s" : "%.*s\n", k < 7 ? w[k] : 80, c[i][k]);
  fflush (stdout);
  free (c);
}

/* docker's stats row ({{json .}}: ID, Name, CPUPerc, MemUsage, MemPerc, NetIO, BlockIO, PIDs,
 * Container as named), and with stats the runtime's sample as Stats */
static json_t *
stats_obj (const struct stats_opts *o, const struct stats_row *r, bool stats)
{
  static const char *const keys[8] = { "ID", "Name", "CPUPerc", "MemUsage", "MemPerc", "NetIO", "BlockIO", "PIDs" };
  char c[8][80];
  cells (o, r, c);
  json_t *obj = json_object ();
  for (int k = 0; k < 8; k++)
    json_object_set_new (obj, keys[k], json_string (c[k]));
  json_object_set_new (obj, "Container", json_string (r->as_named));
  if (stats && r->has_cur && r->cur.raw)
    json_object_set (obj, "Stats", r->cur.raw);
  return obj;
}

/* --format json: an object a line */
static void
print_json (const struct stats_opts *o, struct stats_row *rows, size_t n)
{
  for (size_t i = 0; i < n; i++)
    {
      cleanup_json json_t *obj = stats_obj (o, &rows[i], true);
      cleanup_free char *s = json_dumps (obj, JSON_COMPACT | JSON_SORT_KEYS);
      puts (s);
    }
  fflush (stdout);
}

/* --format TEMPLATE or `table TEMPLATE` (docker's headers): the rows of this round, the screen
 * cleared first as the table's; 0, or the template's error's exit status */
static int
print_template (const struct stats_opts *o, struct stats_row *rows, size_t n, bool tty)
{
  cleanup_json json_t *arr = json_array ();
  for (size_t i = 0; i < n; i++)
    json_array_append_new (arr, stats_obj (o, &rows[i], false));
  if (tty)
    fputs ("\033[2J\033[H", stdout);
  int rc = cli_print_rows (o->format, arr, cli_stats_headers);
  fflush (stdout);
  return rc;
}

struct stats_set
{
  struct stats_row *v;
  size_t n;
};

static void
row_clear (struct stats_row *r)
{
  capsa_ctr_stats_clear (&r->prev);
  capsa_ctr_stats_clear (&r->cur);
  capsa_ctr_free (r->c);
  free (r->as_named);
}

static void
set_add (struct stats_set *set, struct ctr *c, const char *as_named)
{
  set->v = realloc (set->v, (set->n + 1) * sizeof *set->v);
  if (set->v == NULL)
    abort ();
  set->v[set->n++] = (struct stats_row){ .c = c, .as_named = strdup (as_named), .seen = true };
}

/* Without names: every running container (all: every one), those gone dropped, new ones added. */
static void
set_refresh (struct cli_global *g, struct stats_set *set, bool all)
{
  cleanup_strv char **ids = capsa_ctr_list_ids (&g->eng);
  for (size_t i = 0; i < set->n; i++)
    set->v[i].seen = false;
  for (char **id = ids; *id; id++)
    {
      size_t i = 0;
      while (i < set->n && strcmp (set->v[i].c->id, *id) != 0)
        i++;
      struct ctr *c = NULL;
      if (i < set->n)
        set->v[i].seen = true;
      else if (capsa_ctr_load (&g->eng, *id, &c, NULL) == 0)
        set_add (set, c, *id);
    }
  size_t k = 0;
  for (size_t i = 0; i < set->n; i++)
    {
      capsa_ctr_refresh (&g->eng, set->v[i].c);
      bool live = set->v[i].c->status == CTR_RUNNING || set->v[i].c->status == CTR_PAUSED;
      if (set->v[i].seen && (all || live))
        set->v[k++] = set->v[i];
      else
        row_clear (&set->v[i]);
    }
  set->n = k;
}

/* A new sample of each (the last one kept as prev); how many are running. */
static size_t
set_sample (struct cli_global *g, struct stats_set *set)
{
  size_t live = 0;
  for (size_t i = 0; i < set->n; i++)
    {
      struct stats_row *r = &set->v[i];
      capsa_ctr_stats_clear (&r->prev);
      r->prev = r->cur;
      r->has_prev = r->has_cur;
      r->cur = (struct capsa_ctr_stats){ 0 };
      r->has_cur = capsa_ctr_stats_sample (&g->eng, r->c, &r->cur, NULL) == 0;
      live += r->has_cur;
    }
  return live;
}

/* a second, or less when interrupted */
static void
pause_1s (void)
{
  for (int i = 0; i < 20 && !interrupted; i++)
    nanosleep (&(struct timespec){ 0, 50 * 1000000 }, NULL);
}

/* Until interrupted (or one round with --no-stream, or the containers named all stopped): 0, or
 * the exit status of a template that failed. */
static int
stats_loop (struct cli_global *g, const struct stats_opts *o, struct stats_set *set, bool named)
{
  bool json = o->format && strcmp (o->format, "json") == 0, tty = isatty (1);
  bool tmpl = o->format && !json;
  set_sample (g, set);
  for (;;)
    {
      pause_1s ();
      if (interrupted)
        break;
      if (!named)
        set_refresh (g, set, o->all);
      size_t live = set_sample (g, set);
      int rc = 0;
      if (json)
        print_json (o, set->v, set->n);
      else if (tmpl)
        rc = print_template (o, set->v, set->n, tty && !o->no_stream);
      else
        print_table (o, set->v, set->n, tty && !o->no_stream);
      if (rc != 0)
        return rc;
      if (o->no_stream || (named && live == 0))
        break;
      if (!tty && !json)
        putchar ('\n'); /* (tables one after another: a blank line between) */
    }
  return 0;
}

int
cmd_stats (struct cli_global *g, int argc, char **argv)
{
  struct stats_opts so = { 0 };
  struct stats_set set = { 0 };
  int status = 0, first = cli_parse (&cli_spec_stats, argc, argv, &so);
  if (first <= 0)
    return -first;
  if (so.format && strcmp (so.format, "table") == 0)
    so.format = NULL; /* (docker's default table) */
  if (so.format && strcmp (so.format, "json") != 0 && !capsa_template_is (so.format))
    return cli_usage ("stats", "--format: `json`, `table`, or a Go template ({{.Name}} {{.CPUPerc}})");
  for (int i = first; i < argc; i++)
    {
      struct ctr *c = NULL;
      capsa_err *err = NULL;
      if (capsa_ctr_find (&g->eng, argv[i], &c, &err) < 0)
        status = cli_fail (&err);
      else
        set_add (&set, c, argv[i]);
    }
  if (status == 0)
    {
      if (first == argc)
        set_refresh (g, &set, so.all);
      struct sigaction sa = { .sa_handler = on_sigint };
      sigaction (SIGINT, &sa, NULL);
      sigaction (SIGTERM, &sa, NULL);
      status = stats_loop (g, &so, &set, first < argc);
    }
  for (size_t i = 0; i < set.n; i++)
    row_clear (&set.v[i]);
  free (set.v);
  return status;
}

/* ---- top ------------------------------------------------------------------------------------ */

int
cmd_top (struct cli_global *g, int argc, char **argv)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_json json_t *out = NULL;
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_top, argc, argv, NULL);
  if (first <= 0)
    return -first;
  if (first >= argc)
    return cli_usage ("top", "requires at least 1 argument (CONTAINER)");
  cleanup_free char *ps_args = NULL;
  for (int i = first + 1; i < argc; i++)
    {
      char *j = capsa_xasprintf ("%s%s%s", ps_args ? ps_args : "", ps_args ? " " : "", argv[i]);
      free (ps_args);
      ps_args = j;
    }
  if (capsa_ctr_find (&g->eng, argv[first], &c, &err) < 0
      || capsa_ctr_top_ps (&g->eng, c, argv[first], ps_args, &out, &err) < 0)
    return cli_fail (&err);
  /* the docker CLI's tabwriter: cells padded by 3, at least 20 wide; the last as it is */
  json_t *t = json_object_get (out, "Titles"), *procs = json_object_get (out, "Processes"), *p;
  size_t nt = json_array_size (t), i;
  int *w = capsa_xmalloc0 ((nt + 1) * sizeof *w);
  for (size_t k = 0; k < nt; k++)
    {
      w[k] = (int) strlen (json_string_value (json_array_get (t, k))) + 3;
      json_array_foreach (procs, i, p)
      {
        int l = (int) strlen (json_string_value (json_array_get (p, k)) ?: "") + 3;
        w[k] = l > w[k] ? l : w[k];
      }
      w[k] = w[k] < 20 ? 20 : w[k];
    }
  for (size_t r = 0; r <= json_array_size (procs); r++)
    {
      json_t *line = r == 0 ? t : json_array_get (procs, r - 1);
      for (size_t k = 0; k < nt; k++)
        {
          const char *v = json_string_value (json_array_get (line, k)) ?: "";
          if (k + 1 < nt)
            printf ("%-*s", w[k], v);
          else
            printf ("%s\n", v);
        }
    }
  free (w);
  return 0;
}
