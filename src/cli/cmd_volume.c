/* capsa volume create/ls/inspect/rm/prune: named volumes under ROOT/volumes/NAME/_data. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ctr.h"
#include "fsops.h"
#include "store.h" /* capsa_store_private_dir: until engine.h */
#include "jsonutil.h"
#include "util.h"

static char *
vol_dir (struct cli_global *g, const char *name)
{
  return xasprintf ("%s/volumes/%s", g->root, name);
}

/* Write volume.json (meta) unless a concurrent creation did first: it is written aside and linked
 * into place with link(2), which fails when meta exists, so of concurrent creators exactly one
 * gets 1 (it created the volume: it alone copies the image's files into it); the others get 0. */
static int
vol_claim (const char *meta, const char *name, const char *data, json_t *labels, capsa_err **err)
{
  char now[48];
  now_rfc3339 (now, sizeof now);
  json_t *j = json_pack ("{s:s, s:s, s:s, s:s, s:O, s:s}", "Name", name, "Driver", "local", "Mountpoint", data,
                         "CreatedAt", now, "Labels", labels, "Scope", "local");
  cleanup_free char *s = json_dumps (j, JSON_INDENT (1));
  json_decref (j);
  cleanup_free char *tmp = xasprintf ("%s.%d", meta, (int) getpid ());
  if (write_file_replace_at (AT_FDCWD, tmp, s, strlen (s), 0644, err) < 0)
    return -1;
  int r = link (tmp, meta), e = errno;
  unlink (tmp);
  if (r < 0 && e != EEXIST)
    return capsa_fail (err, e, "create `%s`", meta);
  return r == 0;
}

static int volume_make (struct cli_global *g, const char *name, json_t *labels, char **path, bool *created,
                        capsa_err **err);

int
ctr_volume_ensure (struct cli_global *g, const char *name, char **path, bool *created, capsa_err **err)
{
  cleanup_json json_t *labels = json_object ();
  return volume_make (g, name, labels, path, created, err);
}

static int
volume_make (struct cli_global *g, const char *name, json_t *labels, char **path, bool *created, capsa_err **err)
{
  if (created)
    *created = false;
  if (!ctr_valid_name (name))
    return capsa_fail_as (err, EINVAL, "invalid volume name `%s` ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", name);
  cleanup_free char *dir = vol_dir (g, name);
  cleanup_free char *data = xasprintf ("%s/_data", dir);
  cleanup_free char *meta = xasprintf ("%s/volume.json", dir);
  if (access (meta, F_OK) != 0)
    {
      /* private (store.h): what a container writes there is for no other host user; _data
       * itself is the volume's root as the container sees it (docker's 0755) */
      cleanup_free char *top = xasprintf ("%s/volumes", g->root);
      if (mkdir_p (top, 0711, err) < 0)
        return -1;
      if (mkdir (dir, 0700) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "volume `%s`: mkdir `%s`", name, dir);
      if (mkdir (data, 0755) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "volume `%s`: mkdir `%s`", name, data);
      int r = vol_claim (meta, name, data, labels, err);
      if (r < 0)
        return -1;
      if (created)
        *created = r == 1;
    }
  *path = take_ptr (&data);
  return 0;
}

static json_t *
vol_json (struct cli_global *g, const char *name)
{
  cleanup_free char *meta = xasprintf ("%s/volumes/%s/volume.json", g->root, name);
  return json_load_file (meta, 0, NULL);
}

/* Names of volumes some container uses. */
static json_t *
used_volumes (struct cli_global *g)
{
  json_t *used = json_object ();
  cleanup_strv char **ids = ctr_list_ids (g);
  for (char **id = ids; *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      size_t i;
      json_t *m;
      if (ctr_load (g, *id, &c, NULL) < 0)
        continue;
      json_array_foreach (json_object_get (c->meta, "Mounts"), i, m)
      if (json_object_get (m, "Name"))
        json_object_set_new (used, json_string_value (json_object_get (m, "Name")), json_string (c->id));
    }
  return used;
}

int
ctr_volume_grant (struct cli_global *g, const char *name, gid_t gid, capsa_err **err)
{
  cleanup_free char *dir = vol_dir (g, name);
  struct stat st;
  if (stat (dir, &st) < 0)
    return capsa_fail (err, errno, "volume `%s`: stat `%s`", name, dir);
  if ((st.st_mode & 07777) == 0710 && st.st_gid == gid)
    return 0;
  if ((st.st_mode & 0070) && st.st_gid != 0 && st.st_gid != gid)
    {
      /* a directory has one group: taken from a container that still uses it, that one's root
       * could not reach it any more (and opening it to every host user is what store.h closes) */
      json_t *used = used_volumes (g);
      const char *owner = json_string_value (json_object_get (used, name));
      cleanup_free char *by = owner ? xstrdup (owner) : NULL;
      json_decref (used);
      if (by)
        return capsa_fail_as (err, EBUSY,
                              "volume `%s` is open to host group %u, the root of container %.12s that uses it: a "
                              "container whose root is host gid %u cannot share it (another --userns range: remove "
                              "that container, or use a bind mount)",
                              name, (unsigned) st.st_gid, by, (unsigned) gid);
    }
  return capsa_store_private_dir (AT_FDCWD, dir, true, gid, err);
}

static char **
vol_names (struct cli_global *g)
{
  cleanup_free char *d = xasprintf ("%s/volumes", g->root);
  cleanup_dir DIR *dir = opendir (d);
  char **names = xmalloc0 (sizeof (char *));
  struct dirent *de;
  while (dir && (de = readdir (dir)))
    if (de->d_name[0] != '.')
      strv_append (&names, de->d_name);
  return names;
}

/* For `system df`: how many volumes, and how many of them a container uses. */
void
ctr_volume_counts (struct cli_global *g, int *total, int *active)
{
  json_t *used = used_volumes (g);
  cleanup_strv char **names = vol_names (g);
  *total = *active = 0;
  for (char **n = names; *n; n++, (*total)++)
    *active += json_object_get (used, *n) != NULL;
  json_decref (used);
}

/* The bytes a volume's data holds (what removing it frees). */
static long long
vol_size (struct cli_global *g, const char *name)
{
  cleanup_free char *data = xasprintf ("%s/volumes/%s/_data", g->root, name);
  cleanup_close int fd = open (data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? 0 : fs_tree_size (fd);
}

static int
vol_remove (struct cli_global *g, const char *name, bool force, json_t *used, capsa_err **err)
{
  cleanup_free char *dir = vol_dir (g, name);
  if (!ctr_valid_name (name) || access (dir, F_OK) != 0)
    return capsa_fail_as (err, ENOENT, "no such volume: %s (see `capsa volume ls`)", name);
  const char *by = json_string_value (json_object_get (used, name));
  if (by && !force)
    return capsa_fail_as (err, EBUSY, "volume %s is in use by container %.12s: remove that container first", name, by);
  return fs_rm_rf (dir, err);
}

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
  char **labels;
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
  CAPSA_O_STR (0, "format", F, format, "json", "the volumes' details as a JSON array"),
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
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
#undef F
static const struct cli_spec create_spec = { "volume create", "[-d local] [-l KEY=VALUE]... [NAME]",
                                             "Make a named volume (a random name without NAME).", create_opts,
                                             CAPSA_OPT_STOP, NULL };
static const struct cli_spec ls_spec = { "volume ls", "[-q] [--format json]", "List volumes (also `list`).", ls_opts, 0,
                                         NULL };
static const struct cli_spec inspect_spec = { "volume inspect", "NAME...", "Volumes' details as JSON.", cli_no_options, 0,
                                              NULL };
static const struct cli_spec rm_spec = { "volume rm", "[-f] NAME...", "Remove volumes no container uses (-f: in use too).",
                                         rm_opts, 0, NULL };
static const struct cli_spec prune_spec = { "volume prune", "[-f]", "Remove every volume no container uses.",
                                            prune_opts, 0, NULL };

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
      cleanup_free char *k = xasprintf ("%.*s", eq ? (int) (eq - *l) : (int) strlen (*l), *l);
      json_object_set_new (labels, k, json_string (eq ? eq + 1 : ""));
    }
  if (argc - first > 1)
    return cli_usage ("volume create", "takes at most 1 argument (NAME)");
  char id[CTR_ID_LEN + 1];
  const char *name = first < argc ? argv[first] : NULL;
  if (name == NULL)
    {
      ctr_new_id (id);
      name = id;
    }
  cleanup_free char *path = NULL;
  if (volume_make (g, name, labels, &path, NULL, &err) < 0)
    return cli_fail (&err);
  printf ("%s\n", name);
  return 0;
}

static int
vol_ls (struct cli_global *g, int argc, char **argv)
{
  struct vol_flags f = { 0 };
  int first = cli_parse (&ls_spec, argc, argv, &f);
  if (first <= 0)
    return -first;
  bool quiet = f.quiet, js = f.format && strcmp (f.format, "json") == 0;
  cleanup_strv char **names = vol_names (g);
  json_t *arr = json_array ();
  if (!quiet && !js)
    printf ("%-10s %s\n", "DRIVER", "VOLUME NAME");
  for (char **n = names; *n; n++)
    if (quiet)
      printf ("%s\n", *n);
    else if (js)
      json_array_append_new (arr, vol_json (g, *n) ?: json_pack ("{s:s}", "Name", *n));
    else
      printf ("%-10s %s\n", "local", *n);
  if (js)
    {
      char *s = json_dumps (arr, JSON_INDENT (2));
      puts (s);
      free (s);
    }
  json_decref (arr);
  return 0;
}

static int
vol_inspect (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  int first = cli_parse (&inspect_spec, argc, argv, NULL);
  if (first <= 0)
    return -first;
  json_t *arr = json_array ();
  int status = 0;
  for (int i = first; i < argc; i++)
    {
      json_t *j = ctr_valid_name (argv[i]) ? vol_json (g, argv[i]) : NULL;
      if (j == NULL)
        {
          capsa_fail_as (&err, ENOENT, "no such volume: %s", argv[i]);
          status = cli_fail (&err);
        }
      else
        json_array_append_new (arr, j);
    }
  char *s = json_dumps (arr, JSON_INDENT (4));
  puts (s);
  free (s);
  json_decref (arr);
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
  json_t *used = used_volumes (g);
  for (int i = first; i < argc; i++)
    {
      if (vol_remove (g, argv[i], f.force, used, &err) < 0)
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
  if (first <= 0)
    return -first;
  if (!cli_confirm (f.force, "all local volumes not used by at least one container"))
    return 0;
  json_t *used = used_volumes (g);
  cleanup_strv char **names = vol_names (g);
  long long reclaimed = 0;
  bool any = false;
  for (char **n = names; *n; n++)
    {
      long long size = vol_size (g, *n);
      if (!json_object_get (used, *n) && vol_remove (g, *n, false, used, &err) == 0)
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
