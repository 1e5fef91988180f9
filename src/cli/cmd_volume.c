/* capsa volume create/ls/inspect/rm/prune: named volumes under ROOT/volumes/NAME/_data. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
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

/* capsa volume create [-d local] [-l KEY=VALUE]... [NAME]: an unknown flag is a usage error
 * (125) and creates nothing (it was taken for a missing name, making a random volume). */
static int
vol_create (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = { { "driver", required_argument, NULL, 'd' },
                                        { "label", required_argument, NULL, 'l' },
                                        { "help", no_argument, NULL, 'h' },
                                        { 0 } };
  cleanup_json json_t *labels = json_object ();
  capsa_err *err = NULL;
  int c;
  optind = 1;
  opterr = 0;
  while ((c = getopt_long (argc, argv, "+d:l:h", opts, NULL)) != -1)
    switch (c)
      {
      case 'd':
        if (strcmp (optarg, "local") != 0)
          return cli_usage ("volume create", "--driver `%s`: only `local` is supported", optarg);
        break;
      case 'l':
        {
          const char *eq = strchr (optarg, '=');
          cleanup_free char *k = xasprintf ("%.*s", eq ? (int) (eq - optarg) : (int) strlen (optarg), optarg);
          json_object_set_new (labels, k, json_string (eq ? eq + 1 : ""));
          break;
        }
      case 'h':
        printf ("Usage: capsa volume create [-d local] [-l KEY=VALUE]... [NAME]\n\nMake a named volume (a random "
                "name without NAME).\n");
        return 0;
      default:
        return cli_usage ("volume create", "unknown option `%s`", argv[optind - 1]);
      }
  if (argc - optind > 1)
    return cli_usage ("volume create", "takes at most 1 argument (NAME)");
  char id[CTR_ID_LEN + 1];
  const char *name = optind < argc ? argv[optind] : NULL;
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

static const struct cli_sub_usage vol_usage[] = {
  { "ls", "Usage: capsa volume ls [-q] [--format json]\n\nList volumes (also `list`).\n" },
  { "list", "Usage: capsa volume ls [-q] [--format json]\n\nList volumes (also `list`).\n" },
  { "inspect", "Usage: capsa volume inspect NAME...\n\nVolumes' details as JSON.\n" },
  { "rm", "Usage: capsa volume rm [-f] NAME...\n\nRemove volumes no container uses (-f: in use too).\n" },
  { "remove", "Usage: capsa volume rm [-f] NAME...\n\nRemove volumes no container uses (-f: in use too).\n" },
  { "prune", "Usage: capsa volume prune [-f]\n\nRemove every volume no container uses.\n" },
};

int
cmd_volume (struct cli_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  const char *sub = argc > 1 ? argv[1] : NULL;
  if (cli_sub_help (vol_usage, ARRAY_SIZE (vol_usage), argc, argv))
    return 0;
  if (sub == NULL || strcmp (sub, "--help") == 0 || strcmp (sub, "-h") == 0)
    {
      FILE *f = sub ? stdout : stderr;
      fprintf (f, "Usage: capsa volume COMMAND\n\nCommands:\n"
                  "  create [NAME]          make a named volume (a random name without NAME)\n"
                  "  ls [-q]                list volumes\n"
                  "  inspect NAME...        details as JSON\n"
                  "  rm [-f] NAME...        remove volumes no container uses\n"
                  "  prune [-f]             remove every volume no container uses\n");
      return sub ? 0 : CLI_EXIT_ERROR;
    }
  if (strcmp (sub, "create") == 0)
    return vol_create (g, argc - 1, argv + 1);
  if (strcmp (sub, "ls") == 0 || strcmp (sub, "list") == 0)
    {
      bool quiet = argc > 2 && strcmp (argv[2], "-q") == 0;
      bool js = argc > 3 && strcmp (argv[2], "--format") == 0 && strcmp (argv[3], "json") == 0;
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
  if (strcmp (sub, "inspect") == 0)
    {
      json_t *arr = json_array ();
      int status = 0;
      for (int i = 2; i < argc; i++)
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
  if (strcmp (sub, "rm") == 0 || strcmp (sub, "remove") == 0)
    {
      bool force = false;
      int status = 0;
      json_t *used = used_volumes (g);
      for (int i = 2; i < argc; i++)
        if (strcmp (argv[i], "-f") == 0 || strcmp (argv[i], "--force") == 0)
          force = true;
      for (int i = 2; i < argc; i++)
        if (argv[i][0] != '-')
          {
            if (vol_remove (g, argv[i], force, used, &err) < 0)
              status = cli_fail (&err);
            else
              printf ("%s\n", argv[i]);
          }
      json_decref (used);
      return status;
    }
  if (strcmp (sub, "prune") == 0)
    {
      if (!cli_confirm (argc, argv, "all local volumes not used by at least one container"))
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
  return cli_usage ("volume", "unknown command `%s`", sub);
}
