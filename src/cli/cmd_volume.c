/* capsa volume create/ls/inspect/rm/prune: named volumes under ROOT/volumes/NAME/_data. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capsa/engine.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "capsa/template.h"
#include "cli.h"

static int
driver_ok (const char *v, capsa_err **err)
{
  if (strcmp (v, "local") != 0)
    return capsa_fail_as (err, EINVAL, "--driver `%s`: only `local` is supported", v);
  return 0;
}

struct vol_flags
{
  const char *driver, *format;
  char **labels, **filters;
  bool quiet, force;
};
#define F struct vol_flags
static const struct capsa_opt create_opts[] = {
  CAPSA_O_STR ('d', "driver", F, driver, "local", "the only driver", .check = driver_ok),
  CAPSA_O_LIST ('l', "label", F, labels, "KEY=VALUE", "metadata (repeatable)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct capsa_opt ls_opts[] = {
  CAPSA_O_BOOL ('q', "quiet", F, quiet, "only the names"),
  CAPSA_O_STR (0, "format", F, format, "FORMAT",
               "json (docker's fields, an object a line), a Go template ({{.Name}}\n"
               "{{.Driver}} {{.Mountpoint}}) or `table TEMPLATE`"),
  CAPSA_O_LIST ('f', "filter", F, filters, "KEY=VALUE",
                "name, label (K or K=V), driver, dangling=true|false (repeatable)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct capsa_opt rm_opts[] = {
  CAPSA_O_BOOL ('f', "force", F, force, "remove volumes in use too"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct capsa_opt prune_opts[] = {
  CAPSA_O_BOOL ('f', "force", F, force, "do not ask for confirmation"),
  CAPSA_O_LIST (0, "filter", F, filters, "KEY=VALUE",
                "label=K[=V], label!=K[=V], until=DURATION|TIME (made before; repeatable)"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
static const struct cli_spec create_spec = { "volume create",
                                             "[-d local] [-l KEY=VALUE]... [NAME]",
                                             "Make a named volume (a random name without NAME).",
                                             create_opts,
                                             CAPSA_OPT_STOP,
                                             NULL };
static const struct cli_spec ls_spec = {
  "volume ls", "[-q] [--format FORMAT] [-f KEY=VALUE]...", "List volumes (also `list`).", ls_opts, 0, NULL
};
static const struct capsa_opt inspect_opts[] = {
  CAPSA_O_STR ('f', "format", F, format, "TEMPLATE", "a Go template ({{.Name}} {{.Mountpoint}})"),
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef F
static const struct cli_spec inspect_spec = {
  "volume inspect", "[-f TEMPLATE] NAME...", "Volumes' details as JSON.", inspect_opts, 0, NULL
};
static const struct cli_spec rm_spec = {
  "volume rm", "[-f] NAME...", "Remove volumes no container uses (-f: in use too).", rm_opts, 0, NULL
};
static const struct cli_spec prune_spec = {
  "volume prune", "[-f] [--filter KEY=VALUE]...", "Remove every volume no container uses.", prune_opts, 0, NULL
};

/* capsa volume create [-d local] [-l KEY=VALUE]... [NAME]: an unknown flag is a usage error
 * (125) and creates nothing (it was taken for a missing name, making a random volume). */
static int
vol_create (struct cli_global *g, int argc, char **argv)
{
  struct vol_flags f = { 0 };
  int first = cli_parse (&create_spec, argc, argv, &f);
  cleanup_strv char **labelv = f.labels;
  if (first <= 0)
    return -first;
  cleanup_json json_t *labels = json_object ();
  capsa_err *err = NULL;
  for (char **l = labelv; l && *l; l++)
    {
      const char *eq = strchr (*l, '=');
      cleanup_free char *k = capsa_xasprintf ("%.*s", eq ? (int) (eq - *l) : (int) strlen (*l), *l);
      json_object_set_new (labels, k, json_string (eq ? eq + 1 : ""));
    }
  if (argc - first > 1)
    return cli_usage ("volume create", "takes at most 1 argument (NAME)");
  char id[CTR_ID_LEN + 1];
  const char *name = first < argc ? argv[first] : NULL;
  if (name == NULL)
    {
      capsa_ctr_new_id (id);
      name = id;
    }
  cleanup_free char *path = NULL;
  if (capsa_volume_make (&g->eng, name, labels, &path, NULL, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", name);
  return 0;
}

static int
cmp_names (const void *a, const void *b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* docker's volume ls row (its VolumeContext) */
static json_t *
vol_row (json_t *v, json_t *used, const char *name)
{
  cleanup_free char *labels = cli_labels_text (json_object_get (v, "Labels"));
  json_t *users = json_object_get (used, name);
  char links[16];
  snprintf (links, sizeof links, "%zu", json_is_array (users) ? json_array_size (users) : users ? 1 : 0);
  return json_pack ("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "Driver", jstr (v, "Driver") ?: "local", "Labels", labels,
                    "Links", links, "Mountpoint", jstr (v, "Mountpoint") ?: "", "Name", name, "Scope", "local", "Size",
                    "N/A");
}

static int
vol_ls (struct cli_global *g, int argc, char **argv)
{
  struct vol_flags f = { 0 };
  int first = cli_parse (&ls_spec, argc, argv, &f);
  cleanup_strv char **filter_args = f.filters;
  if (first <= 0)
    return -first;
  capsa_err *err = NULL;
  cleanup_json json_t *filters = NULL;
  if (cli_filters (filter_args, &filters, &err) < 0 || capsa_volume_filters_check (filters, &err) < 0)
    return cli_fail (&err);
  const char *format = f.format && strcmp (f.format, "table") != 0 ? f.format : NULL;
  cleanup_strv char **names = capsa_volume_names (&g->eng);
  qsort (names, capsa_strv_len (names), sizeof *names, cmp_names); /* by name, as docker's */
  cleanup_json json_t *rows = json_array (), *used = capsa_volume_used (&g->eng);
  if (!f.quiet && !format)
    printf ("%-10s %s\n", "DRIVER", "VOLUME NAME");
  for (char **n = names; *n; n++)
    {
      cleanup_json json_t *v = capsa_volume_json (&g->eng, *n) ?: json_pack ("{s:s}", "Name", *n);
      if (!capsa_volume_filter_match (v, used, filters))
        continue;
      if (format)
        json_array_append_new (rows, vol_row (v, used, *n));
      else if (f.quiet)
        printf ("%s\n", *n);
      else
        printf ("%-10s %s\n", "local", *n);
    }
  return format ? cli_print_rows (format, rows, cli_volume_headers) : 0;
}

static int
vol_inspect (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  struct vol_flags f = { 0 };
  int first = cli_parse (&inspect_spec, argc, argv, &f);
  if (first <= 0)
    return -first;
  cleanup_json json_t *arr = json_array ();
  int status = 0;
  for (int i = first; i < argc; i++)
    {
      json_t *j = capsa_ctr_valid_name (argv[i]) ? capsa_volume_json (&g->eng, argv[i]) : NULL;
      if (j == NULL)
        {
          capsa_fail_as (&err, ENOENT, "no such volume: %s", argv[i]);
          status = cli_fail (&err);
        }
      else
        json_array_append_new (arr, j);
    }
  if (f.format)
    return capsa_template_print_each (f.format, arr, &err) < 0 ? cli_fail (&err) : status;
  cleanup_free char *s = json_dumps (arr, JSON_INDENT (4));
  puts (s);
  return status;
}

static int
vol_rm (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  struct vol_flags f = { 0 };
  int status = 0, first = cli_parse (&rm_spec, argc, argv, &f);
  if (first <= 0)
    return -first;
  json_t *used = capsa_volume_used (&g->eng);
  for (int i = first; i < argc; i++)
    {
      if (capsa_volume_remove (&g->eng, argv[i], f.force, used, &err) < 0)
        status = cli_fail (&err);
      else
        printf ("%s\n", argv[i]);
    }
  json_decref (used);
  return status;
}

static int
vol_prune (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  struct vol_flags f = { 0 };
  int first = cli_parse (&prune_spec, argc, argv, &f);
  cleanup_strv char **filter_args = f.filters;
  if (first <= 0)
    return -first;
  cleanup_json json_t *filters = NULL;
  long long until;
  if (cli_filters (filter_args, &filters, &err) < 0 || capsa_prune_filters_check (filters, false, &until, &err) < 0)
    return cli_fail (&err);
  if (!cli_confirm (f.force, "all local volumes not used by at least one container"))
    return 0;
  json_t *used = capsa_volume_used (&g->eng);
  cleanup_strv char **names = capsa_volume_names (&g->eng);
  long long reclaimed = 0;
  bool any = false;
  for (char **n = names; *n; n++)
    {
      long long size = capsa_volume_size (&g->eng, *n);
      cleanup_json json_t *v = capsa_volume_json (&g->eng, *n);
      if (!capsa_prune_filter_match (json_object_get (v, "Labels"), capsa_time_unix (jstr (v, "CreatedAt")), filters,
                                     until))
        continue;
      if (!json_object_get (used, *n) && capsa_volume_remove (&g->eng, *n, false, used, &err) == 0)
        {
          printf ("%s%s\n", any ? "" : "Deleted Volumes:\n", *n);
          any = true;
          reclaimed += size;
        }
      else
        capsa_err_free (&err);
    }
  json_decref (used);
  char size[32];
  cli_human_size (reclaimed, size, sizeof size);
  printf ("%sTotal reclaimed space: %s\n", any ? "\n" : "", size);
  return 0;
}

static const struct cli_sub vol_subs[] = {
  { "create", vol_create, &create_spec, "make a named volume (a random name without NAME)" },
  { "ls", vol_ls, &ls_spec, "list volumes" },
  { "list", vol_ls, &ls_spec, NULL, true },
  { "inspect", vol_inspect, &inspect_spec, "details as JSON" },
  { "rm", vol_rm, &rm_spec, "remove volumes no container uses" },
  { "remove", vol_rm, &rm_spec, NULL, true },
  { "prune", vol_prune, &prune_spec, "remove every volume no container uses" },
};
const struct cli_group cli_group_volume = { "volume", vol_subs, ARRAY_SIZE (vol_subs) };

int
cmd_volume (struct cli_global *g, int argc, char **argv)
{
  return cli_group_run (g, &cli_group_volume, argc, argv);
}
