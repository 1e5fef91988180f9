/* capsa stop, restart, kill, rm, ps, wait, pause, unpause, rename, port, update (top, stats: cmd_stats.c),
 * container prune: the lifecycle commands.  Each parses, calls the engine (capsa/engine.h) for
 * each container named (cli_ctr_for_each), and prints. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <limits.h>
#include <locale.h>
#include <time.h>
#include <wchar.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "cli.h"
#include "capsa/template.h"

/* the commands with no option but --help */
#define OPERANDS_ONLY(NAME, USAGE, SUMMARY)                                                                            \
  {                                                                                                                    \
    NAME, USAGE, SUMMARY, cli_no_options, 0, NULL                                                                      \
  }
const struct cli_spec cli_spec_wait = OPERANDS_ONLY ("wait", "CONTAINER...",
                                                     "Wait until containers stop; print their exit codes.");
const struct cli_spec cli_spec_pause = OPERANDS_ONLY ("pause", "CONTAINER...", "Freeze every process of containers.");
const struct cli_spec cli_spec_unpause = OPERANDS_ONLY ("unpause", "CONTAINER...", "Thaw paused containers.");
const struct cli_spec cli_spec_rename = OPERANDS_ONLY ("rename", "CONTAINER NEW-NAME", "Rename a container.");
const struct cli_spec cli_spec_port = OPERANDS_ONLY (
    "port", "CONTAINER [PRIVATE_PORT[/PROTO]]",
    "Published ports, as docker prints them: \"80/tcp -> 0.0.0.0:8080\" (and \"80/tcp -> [::]:8080\" on a dual-stack "
    "network); with a port, only its host addresses: \"0.0.0.0:8080\".");

/* Parse a command's options (cli_parse), then drop them from argv: argv[1..argc) are the
 * operands.  Returns 1 to go on, or minus the command's exit status. */
static int
parse_drop (const struct cli_spec *spec, int *argc, char ***argv, void *base)
{
  int first = cli_parse (spec, *argc, *argv, base);
  if (first <= 0)
    return first;
  *argc -= first - 1;
  *argv += first - 1;
  return 1;
}

/* ---- stop / restart / kill ------------------------------------------------------------------ */

int
cli_ctr_for_each (struct cli_global *g, char **names, int n, bool print, cli_ctr_fn *act, void *data)
{
  int status = 0;
  for (int i = 0; i < n; i++)
    {
      cleanup_ctr struct ctr *c = NULL;
      capsa_err *err = NULL;
      if (capsa_ctr_find (&g->eng, names[i], &c, &err) < 0 || act (g, c, names[i], data, &err) < 0)
        status = cli_fail (&err);
      else if (print)
        printf ("%s\n", names[i]);
    }
  return status;
}

static int
stop_one (struct cli_global *g, struct ctr *c, const char *name, void *timeout, capsa_err **err)
{
  return capsa_ctr_stop (&g->eng, c, *(int *) timeout, err);
}

static int
restart_one (struct cli_global *g, struct ctr *c, const char *name, void *timeout, capsa_err **err)
{
  return capsa_ctr_restart (&g->eng, c, *(int *) timeout, err);
}

struct stop_opts
{
  int timeout;
};
static const struct capsa_opt time_opts[] = {
  CAPSA_O_INT ('t', "time", struct stop_opts, timeout, 0, 86400, "SECONDS", "seconds to wait before SIGKILL"),
  CAPSA_O_INT (0, "timeout", struct stop_opts, timeout, 0, 86400, "SECONDS", NULL),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_stop = { "stop",
                                        "[-t SECONDS] CONTAINER...",
                                        "Send the stop signal, then SIGKILL after the timeout (default 10 s).",
                                        time_opts,
                                        CAPSA_OPT_STOP,
                                        NULL };
const struct cli_spec cli_spec_restart = {
  "restart", "[-t SECONDS] CONTAINER...", "Stop, then start again.", time_opts, CAPSA_OPT_STOP, NULL
};

/* stop's and restart's -t; *first: the first container */
static int
parse_time_flag (const struct cli_spec *spec, int argc, char **argv, int *timeout, int *first)
{
  struct stop_opts o = { .timeout = -1 };
  *first = cli_parse (spec, argc, argv, &o);
  if (*first <= 0)
    return -*first;
  if (*first >= argc)
    return cli_usage (spec->name, "requires at least 1 argument (CONTAINER)");
  *timeout = o.timeout;
  return -1;
}

int
cmd_stop (struct cli_global *g, int argc, char **argv)
{
  int timeout, first, status = parse_time_flag (&cli_spec_stop, argc, argv, &timeout, &first);
  if (status >= 0)
    return status;
  return cli_ctr_for_each (g, argv + first, argc - first, true, stop_one, &timeout);
}

int
cmd_restart (struct cli_global *g, int argc, char **argv)
{
  int timeout, first, status = parse_time_flag (&cli_spec_restart, argc, argv, &timeout, &first);
  if (status >= 0)
    return status;
  return cli_ctr_for_each (g, argv + first, argc - first, true, restart_one, &timeout);
}

static int
kill_one (struct cli_global *g, struct ctr *c, const char *name, void *sig, capsa_err **err)
{
  return capsa_ctr_kill (&g->eng, c, name, *(int *) sig, err);
}

static const struct capsa_opt kill_opts[] = {
  { .name = "signal", .letter = 's', .kind = CAPSA_OPT_STRING, .arg = "SIGNAL", .help = "the signal (default KILL)" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_kill = { "kill",
                                        "[-s SIGNAL] CONTAINER...",
                                        "Send a signal (default KILL) to the container's main process.",
                                        kill_opts,
                                        CAPSA_OPT_STOP,
                                        NULL };

int
cmd_kill (struct cli_global *g, int argc, char **argv)
{
  const char *signame = "KILL";
  int first = cli_parse (&cli_spec_kill, argc, argv, &signame);
  if (first <= 0)
    return -first;
  int sig = capsa_signal_parse (signame);
  if (sig <= 0)
    return cli_usage ("kill", "unknown signal `%s`", signame);
  if (first >= argc)
    return cli_usage ("kill", "requires at least 1 argument (CONTAINER)");
  return cli_ctr_for_each (g, argv + first, argc - first, true, kill_one, &sig);
}

/* ---- rm ------------------------------------------------------------------------------------ */

struct rm_opts
{
  bool force, volumes;
};
static const struct capsa_opt rm_opts[] = {
  CAPSA_O_BOOL ('f', "force", struct rm_opts, force, "kill a running container first"),
  CAPSA_O_BOOL ('v', "volumes", struct rm_opts, volumes, "remove its anonymous volumes too"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_rm = { "rm",    "[-f] [-v] CONTAINER...", "Remove containers.",
                                      rm_opts, CAPSA_OPT_STOP,           NULL };

static int
rm_one (struct cli_global *g, struct ctr *c, const char *name, void *how, capsa_err **err)
{
  const bool *fv = how; /* force, volumes */
  return capsa_ctr_remove (&g->eng, c, fv[0], fv[1], err);
}

int
cmd_rm (struct cli_global *g, int argc, char **argv)
{
  struct rm_opts o = { 0 };
  int first = cli_parse (&cli_spec_rm, argc, argv, &o);
  if (first <= 0)
    return -first;
  bool force = o.force, vols = o.volumes;
  if (first >= argc)
    return cli_usage ("rm", "requires at least 1 argument (CONTAINER)");
  bool how[2] = { force, vols };
  return cli_ctr_for_each (g, argv + first, argc - first, true, rm_one, how);
}

struct prune_list
{
  bool any;
  long long reclaimed;
};

static void
prune_print (void *data, const char *id, long long size, capsa_err **err)
{
  struct prune_list *l = data;
  if (err && *err)
    {
      cli_fail (err);
      return;
    }
  printf ("%s%s\n", l->any ? "" : "Deleted Containers:\n", id);
  l->any = true;
  l->reclaimed += size;
}

void
cli_container_prune (struct cli_global *g, json_t *filters, long long until, long long *reclaimed)
{
  struct prune_list l = { 0 };
  capsa_ctr_prune (&g->eng, filters, until, prune_print, &l);
  if (l.any)
    printf ("\n");
  *reclaimed += l.reclaimed;
}

static const struct capsa_opt prune_opts[] = {
  CAPSA_O_BOOL ('f', "force", struct cli_prune_opts, force, "do not ask for confirmation"),
  CAPSA_O_LIST (0, "filter", struct cli_prune_opts, filters, "KEY=VALUE",
                "label=K[=V], label!=K[=V], until=DURATION|TIME (made before; repeatable)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_container_prune = {
  "container prune", "[-f] [--filter KEY=VALUE]...", "Remove every stopped container.", prune_opts, 0, NULL
};

int
cmd_container_prune (struct cli_global *g, int argc, char **argv)
{
  struct cli_prune_opts o = { 0 };
  int first = cli_parse (&cli_spec_container_prune, argc, argv, &o);
  cleanup_strv char **filter_args = o.filters;
  if (first <= 0)
    return -first;
  capsa_err *err = NULL;
  cleanup_json json_t *filters = NULL;
  long long until;
  if (cli_filters (filter_args, &filters, &err) < 0 || capsa_prune_filters_check (filters, false, &until, &err) < 0)
    return cli_fail (&err);
  if (!cli_confirm (o.force, "all stopped containers"))
    return 0;
  long long reclaimed = 0;
  char size[32];
  cli_container_prune (g, filters, until, &reclaimed);
  cli_human_size (reclaimed, size, sizeof size);
  printf ("Total reclaimed space: %s\n", size);
  return 0;
}

/* ---- ps ------------------------------------------------------------------------------------ */

static json_t *
ps_json (struct ctr *c)
{
  char st[128];
  capsa_ctr_status_text (c, st, sizeof st);
  cleanup_free char *cmd = capsa_ctr_command_text (c->meta);
  cleanup_free char *ports = capsa_ctr_ports_text (c);
  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:O*, s:s}", "ID", c->id, "Names", capsa_ctr_name (c),
                    "Image", json_string_value (json_object_get (c->meta, "ImageName")) ?: "", "Command", cmd,
                    "CreatedAt", json_string_value (json_object_get (c->meta, "Created")) ?: "", "State",
                    capsa_ctr_status_name (c->status), "Status", st, "ExitCode", c->exit_code, "Labels",
                    json_object_get (json_object_get (c->meta, "Config"), "Labels"), "Ports", ports);
}

/* Display columns of the UTF-8 character at p (its length in *len); a bad byte is one column. */
static int
char_width (const char *p, size_t *len)
{
  mbstate_t st = { 0 };
  wchar_t wc;
  size_t k = mbrtowc (&wc, p, strlen (p), &st);
  if (k == (size_t) -1 || k == (size_t) -2 || k == 0)
    {
      *len = 1;
      return 1;
    }
  *len = k;
  int w = wcwidth (wc);
  return w < 0 ? 1 : w;
}

/* The COMMAND cell: quoted, cut to 20 display columns with "…" (docker's Ellipsis), by display
 * width, not bytes: a multibyte command is cut between characters (owned). */
static char *
command_cell (const char *command, bool notrunc)
{
  /* made once (kept to the end): a newlocale per row opened and mapped LC_CTYPE for each container */
  static locale_t utf8;
  if (utf8 == (locale_t) 0)
    utf8 = newlocale (LC_CTYPE_MASK, "C.UTF-8", (locale_t) 0);
  locale_t old = utf8 ? uselocale (utf8) : (locale_t) 0;
  size_t cut = 0, len;
  int w = 0;
  for (const char *p = command; *p; p += len)
    {
      int cw = char_width (p, &len);
      if (w + cw <= 19)
        cut = (size_t) (p - command) + len;
      w += cw;
    }
  if (utf8)
    uselocale (old);
  if (notrunc || w <= 20)
    return capsa_xasprintf ("\"%s\"", command);
  return capsa_xasprintf ("\"%.*s…\"", (int) cut, command);
}

struct ps_opts
{
  bool all, quiet, notrunc;
  const char *format;
  char **filters;
};
static const struct capsa_opt ps_opts[] = {
  CAPSA_O_BOOL ('a', "all", struct ps_opts, all, "all containers (default: the running ones)"),
  CAPSA_O_BOOL ('q', "quiet", struct ps_opts, quiet, "only their ids"),
  CAPSA_O_STR (0, "format", struct ps_opts, format, "FORMAT",
               "json (docker's fields, an object a line), table, a Go template ({{.ID}} {{.Names}})\n"
               "or `table TEMPLATE` (a header line, aligned columns: table {{.Names}}\\t{{.Status}})"),
  CAPSA_O_BOOL (0, "no-trunc", struct ps_opts, notrunc, "do not shorten ids and commands"),
  CAPSA_O_LIST ('f', "filter", struct ps_opts, filters, "KEY=VALUE",
                "id, name, label (K or K=V), status, exited, ancestor, network,\n"
                "before=CTR, since=CTR, volume=NAME|DEST (repeatable)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct cli_spec cli_spec_ps = { "ps",
                                      "[-a] [-q] [-f KEY=VALUE]... [--format json] [--no-trunc]",
                                      "List containers (running ones; -a: all).",
                                      ps_opts,
                                      0,
                                      NULL };

/* ps's table, docker's columns, aligned by the tabwriter as docker's (a STATUS with its health,
 * a long PORTS, widen their columns). */
static void
ps_table (json_t *arr, bool notrunc)
{
  size_t i, len;
  json_t *v;
  char *buf = NULL;
  FILE *f = open_memstream (&buf, &len);
  if (f == NULL)
    return;
  fputs ("CONTAINER ID\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPORTS\tNAMES\n", f);
  json_array_foreach (arr, i, v)
  {
    char created[64];
    cli_human_since (jstr (v, "CreatedAt"), created, sizeof created);
    cleanup_free char *cmd = command_cell (jstr (v, "Command") ?: "", notrunc);
    fprintf (f, "%.*s\t%s\t%s\t%s\t%s\t%s\t%s\n", notrunc ? 64 : 12, jstr (v, "ID"), jstr (v, "Image") ?: "", cmd,
             created, jstr (v, "Status") ?: "", jstr (v, "Ports") ?: "", jstr (v, "Names") ?: "");
  }
  fclose (f);
  cleanup_free char *text = capsa_tabwriter (buf, 10, 3);
  free (buf);
  fputs (text, stdout);
}

int
cmd_ps (struct cli_global *g, int argc, char **argv)
{
  struct ps_opts o = { 0 };
  int first = cli_parse (&cli_spec_ps, argc, argv, &o);
  cleanup_strv char **filter_args = o.filters;
  if (first <= 0)
    return -first;
  capsa_err *err = NULL;
  cleanup_json json_t *filters = NULL;
  if (cli_filters (filter_args, &filters, &err) < 0 || capsa_ctr_filters_check (filters, &err) < 0)
    return cli_fail (&err);
  bool by_status = json_object_get (filters, "status") != NULL;
  bool all = o.all, quiet = o.quiet, notrunc = o.notrunc;
  const char *format = o.format && strcmp (o.format, "table") != 0 ? o.format : NULL;
  if (format && strcmp (format, "json") != 0 && !capsa_template_is (format))
    return cli_usage ("ps", "--format: `json`, `table`, or a Go template ({{.ID}} {{.Names}})");
  cleanup_strv char **ids = all || by_status ? capsa_ctr_list_ids (&g->eng) : capsa_ctr_list_ids_with_dir (&g->eng);
  cleanup_json json_t *arr = json_array ();
  size_t n = capsa_strv_len (ids);
  struct ctr **cs = capsa_ctr_load_listed_all (&g->eng, ids, !format && json_object_size (filters) == 0);
  for (size_t k = 0; k < n; k++)
    {
      struct ctr *ct = cs[k];
      if (ct == NULL)
        continue;
      if (!all && !by_status && ct->status != CTR_RUNNING && ct->status != CTR_PAUSED && ct->status != CTR_RESTARTING)
        continue;
      cleanup_json json_t *sum = format || json_object_size (filters) ? capsa_ctr_summary_json (&g->eng, ct) : NULL;
      if (!capsa_ctr_filter_match (&g->eng, ct, sum, filters))
        continue;
      json_t *j = ps_json (ct);
      if (format)
        json_object_set_new (j, "row", cli_ps_row (ct, sum, notrunc));
      json_array_append_new (arr, j);
    }
  capsa_ctr_free_all (cs, n);
  cli_sort_newest_first (arr, "CreatedAt");
  size_t i;
  json_t *v;
  if (format)
    {
      cleanup_json json_t *rows = json_array ();
      json_array_foreach (arr, i, v) json_array_append (rows, json_object_get (v, "row"));
      return cli_print_rows (format, rows, cli_ps_headers);
    }
  if (quiet)
    json_array_foreach (arr, i, v) printf ("%.*s\n", notrunc ? 64 : 12, json_string_value (json_object_get (v, "ID")));
  else
    ps_table (arr, notrunc);
  return 0;
}

/* ---- wait, pause, unpause, rename, port ---------------------------------------------------- */

/* a created container waits for its start, a restarting one for its last run */
static int
wait_one (struct cli_global *g, struct ctr *c, const char *name, void *data, capsa_err **err)
{
  while (capsa_ctr_wait_exited (&g->eng, c, 1000) < 0 || c->status == CTR_RESTARTING)
    ;
  printf ("%d\n", c->exit_code);
  fflush (stdout);
  return 0;
}

int
cmd_wait (struct cli_global *g, int argc, char **argv)
{
  int go = parse_drop (&cli_spec_wait, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  if (argc < 2)
    return cli_usage ("wait", "requires at least 1 argument (CONTAINER)");
  return cli_ctr_for_each (g, argv + 1, argc - 1, false, wait_one, NULL);
}

static int
pause_one (struct cli_global *g, struct ctr *c, const char *name, void *pause, capsa_err **err)
{
  return capsa_ctr_pause (&g->eng, c, name, *(bool *) pause, err);
}

static int
pause_cmd (struct cli_global *g, int argc, char **argv, bool pause)
{
  const char *cmd = pause ? "pause" : "unpause";
  if (argc < 2)
    return cli_usage (cmd, "requires at least 1 argument (CONTAINER)");
  return cli_ctr_for_each (g, argv + 1, argc - 1, true, pause_one, &pause);
}

int
cmd_pause (struct cli_global *g, int argc, char **argv)
{
  int go = parse_drop (&cli_spec_pause, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  return pause_cmd (g, argc, argv, true);
}

int
cmd_unpause (struct cli_global *g, int argc, char **argv)
{
  int go = parse_drop (&cli_spec_unpause, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  return pause_cmd (g, argc, argv, false);
}

int
cmd_rename (struct cli_global *g, int argc, char **argv)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  int go = parse_drop (&cli_spec_rename, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  if (argc != 3)
    return cli_usage ("rename", "requires exactly 2 arguments (CONTAINER NEW-NAME)");
  if (!capsa_ctr_valid_name (argv[2]))
    return cli_usage ("rename", "invalid container name `%s`", argv[2]);
  if (capsa_ctr_find (&g->eng, argv[1], &c, &err) < 0 || capsa_ctr_rename (&g->eng, c, argv[2], &err) < 0)
    return cli_fail (&err);
  return 0;
}

/* One binding as `port` prints it: "0.0.0.0:8080", "[::]:8080". */
static void
print_binding (const char *prefix, json_t *b)
{
  const char *ip = jstr (b, "HostIp") ?: "";
  if (strchr (ip, ':'))
    printf ("%s[%s]:%s\n", prefix, ip, jstr (b, "HostPort") ?: "");
  else
    printf ("%s%s:%s\n", prefix, ip, jstr (b, "HostPort") ?: "");
}

/* `capsa port CONTAINER [PORT[/PROTO]]`: what its running container publishes (run.json's Ports,
 * with the ephemeral ports as reserved), docker's output; a PORT that is not published is an error. */
int
cmd_port (struct cli_global *g, int argc, char **argv)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  int go = parse_drop (&cli_spec_port, &argc, &argv, NULL);
  if (go <= 0)
    return -go;
  if (argc < 2 || argc > 3)
    return cli_usage ("port", "requires 1 or 2 arguments (CONTAINER [PRIVATE_PORT[/PROTO]])");
  if (capsa_ctr_find (&g->eng, argv[1], &c, &err) < 0)
    return cli_fail (&err);
  json_t *ports = capsa_ctr_ports_live (c), *v, *b;
  const char *key;
  size_t i;
  if (argc == 3)
    {
      cleanup_free char *want = strchr (argv[2], '/') ? capsa_xstrdup (argv[2]) : capsa_xasprintf ("%s/tcp", argv[2]);
      json_t *arr = json_object_get (ports, want);
      if (json_array_size (arr) == 0)
        {
          capsa_fail_as (&err, ENOENT, "no public port `%s` published for %s", want, argv[1]);
          return cli_fail (&err);
        }
      json_array_foreach (arr, i, b) print_binding ("", b);
      return 0;
    }
  json_object_foreach (ports, key, v)
  {
    cleanup_free char *prefix = capsa_xasprintf ("%s -> ", key);
    json_array_foreach (v, i, b) print_binding (prefix, b);
  }
  return 0;
}

/* ---- update (stats and top: cmd_stats.c) ------------------------------------------------- */

static int
update_one (struct cli_global *g, struct ctr *c, const char *name, void *res, capsa_err **err)
{
  return capsa_ctr_update (&g->eng, c, res, err);
}

struct update_opts
{
  long long memory, swap, shares, pids;
  double cpus;
  const char *cpuset;
};
#define U struct update_opts
static const struct capsa_opt update_opts[] = {
  CAPSA_O_SIZE ('m', "memory", U, memory, "BYTES", "memory limit (-1: unlimited)", .flags = CAPSA_OPTF_MINUS1),
  CAPSA_O_SIZE (0, "memory-swap", U, swap, "BYTES", "memory + swap limit (-1: unlimited)", .flags = CAPSA_OPTF_MINUS1),
  CAPSA_O_NUMBER (0, "cpus", U, cpus, "N", "CPU quota (0.5 = half a CPU)"),
  CAPSA_O_INT64 ('c', "cpu-shares", U, shares, 0, INT64_MAX, "N", "relative CPU weight"),
  CAPSA_O_STR (0, "cpuset-cpus", U, cpuset, "LIST", "CPUs allowed (0-1, 0,2)"),
  CAPSA_O_INT64 (0, "pids-limit", U, pids, -1, INT64_MAX, "N", "most processes at once (-1: unlimited)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef U
const struct cli_spec cli_spec_update = {
  "update",
  "[--memory B] [--memory-swap B] [--cpus N] [--cpu-shares N] [--cpuset-cpus L] [--pids-limit N] CONTAINER...",
  "Change a running container's resource limits.",
  update_opts,
  CAPSA_OPT_STOP,
  NULL
};

static json_t *
child_object (json_t *o, const char *key)
{
  if (json_object_get (o, key) == NULL)
    json_object_set_new (o, key, json_object ());
  return json_object_get (o, key);
}

/* update's flags as an OCI resources object */
static int
update_resources (const struct update_opts *o, json_t *res, capsa_err **err)
{
  if (o->memory && capsa_ctr_check_limits (o->memory, 0, err) < 0)
    return -1;
  if (o->cpus && capsa_ctr_check_limits (0, o->cpus, err) < 0)
    return -1;
  if (o->memory)
    json_object_set_new (child_object (res, "memory"), "limit", json_integer (o->memory));
  if (o->swap)
    json_object_set_new (child_object (res, "memory"), "swap", json_integer (o->swap));
  if (o->cpus)
    {
      json_object_set_new (child_object (res, "cpu"), "period", json_integer (100000));
      json_object_set_new (child_object (res, "cpu"), "quota", json_integer ((json_int_t) (o->cpus * 100000)));
    }
  if (o->shares >= 0)
    json_object_set_new (child_object (res, "cpu"), "shares", json_integer (o->shares));
  if (o->cpuset)
    json_object_set_new (child_object (res, "cpu"), "cpus", json_string (o->cpuset));
  if (o->pids != LLONG_MIN)
    json_object_set_new (res, "pids", json_pack ("{s:I}", "limit", (json_int_t) o->pids));
  return 0;
}

int
cmd_update (struct cli_global *g, int argc, char **argv)
{
  struct update_opts o = { .shares = -1, .pids = LLONG_MIN };
  capsa_err *err = NULL;
  int status = 0, first = cli_parse (&cli_spec_update, argc, argv, &o);
  if (first <= 0)
    return -first;
  json_t *res = json_object ();
  if (update_resources (&o, res, &err) < 0)
    return json_decref (res), cli_fail (&err);
  if (first >= argc)
    return json_decref (res), cli_usage ("update", "requires at least 1 argument (CONTAINER)");
  status = cli_ctr_for_each (g, argv + first, argc - first, true, update_one, res);
  json_decref (res);
  return status;
}
