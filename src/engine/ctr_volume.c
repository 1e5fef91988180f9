/* Named volumes: ROOT/volumes/NAME/_data, with volume.json beside it (docker's shape). */
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
#include "jsonutil.h"
#include "store.h"
#include "util.h"

static char *
vol_dir (struct capsa_engine *e, const char *name)
{
  return xasprintf ("%s/volumes/%s", e->root, name);
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

static void
volume_event (struct capsa_engine *e, const char *action, const char *name)
{
  cleanup_json json_t *attrs = json_pack ("{s:s}", "driver", "local");
  capsa_engine_event (e, "volume", action, name, attrs);
}

int
ctr_volume_ensure (struct capsa_engine *e, const char *name, char **path, bool *created, capsa_err **err)
{
  cleanup_json json_t *labels = json_object ();
  return capsa_volume_make (e, name, labels, path, created, err);
}

int
capsa_volume_make (struct capsa_engine *e, const char *name, json_t *labels, char **path, bool *created,
                   capsa_err **err)
{
  if (created)
    *created = false;
  if (!capsa_ctr_valid_name (name))
    return capsa_fail_as (err, EINVAL, "invalid volume name `%s` ([a-zA-Z0-9][a-zA-Z0-9_.-]*)", name);
  cleanup_free char *dir = vol_dir (e, name);
  cleanup_free char *data = xasprintf ("%s/_data", dir);
  cleanup_free char *meta = xasprintf ("%s/volume.json", dir);
  if (access (meta, F_OK) != 0)
    {
      /* private (store.h): what a container writes there is for no other host user; _data
       * itself is the volume's root as the container sees it (docker's 0755) */
      cleanup_free char *top = xasprintf ("%s/volumes", e->root);
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
      if (r == 1)
        volume_event (e, "create", name);
    }
  *path = take_ptr (&data);
  return 0;
}

json_t *
capsa_volume_json (struct capsa_engine *e, const char *name)
{
  cleanup_free char *meta = xasprintf ("%s/volumes/%s/volume.json", e->root, name);
  return json_load_file (meta, 0, NULL);
}

/* Names of volumes some container uses. */
json_t *
capsa_volume_used (struct capsa_engine *e)
{
  json_t *used = json_object ();
  cleanup_strv char **ids = capsa_ctr_list_ids (e);
  for (char **id = ids; *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      size_t i;
      json_t *m;
      if (capsa_ctr_load (e, *id, &c, NULL) < 0)
        continue;
      json_array_foreach (json_object_get (c->meta, "Mounts"), i, m) if (json_object_get (m, "Name"))
          json_object_set_new (used, json_string_value (json_object_get (m, "Name")), json_string (c->id));
    }
  return used;
}

int
ctr_volume_grant (struct capsa_engine *e, const char *name, gid_t gid, capsa_err **err)
{
  cleanup_free char *dir = vol_dir (e, name);
  struct stat st;
  if (stat (dir, &st) < 0)
    return capsa_fail (err, errno, "volume `%s`: stat `%s`", name, dir);
  if ((st.st_mode & 07777) == 0710 && st.st_gid == gid)
    return 0;
  if ((st.st_mode & 0070) && st.st_gid != 0 && st.st_gid != gid)
    {
      /* a directory has one group: taken from a container that still uses it, that one's root
       * could not reach it any more (and opening it to every host user is what store.h closes) */
      json_t *used = capsa_volume_used (e);
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

char **
capsa_volume_names (struct capsa_engine *e)
{
  cleanup_free char *d = xasprintf ("%s/volumes", e->root);
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
capsa_volume_counts (struct capsa_engine *e, int *total, int *active)
{
  json_t *used = capsa_volume_used (e);
  cleanup_strv char **names = capsa_volume_names (e);
  *total = *active = 0;
  for (char **n = names; *n; n++, (*total)++)
    *active += json_object_get (used, *n) != NULL;
  json_decref (used);
}

/* The bytes a volume's data holds (what removing it frees). */
long long
capsa_volume_size (struct capsa_engine *e, const char *name)
{
  cleanup_free char *data = xasprintf ("%s/volumes/%s/_data", e->root, name);
  cleanup_close int fd = open (data, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd < 0 ? 0 : fs_tree_size (fd);
}

int
capsa_volume_remove (struct capsa_engine *e, const char *name, bool force, json_t *used, capsa_err **err)
{
  cleanup_free char *dir = vol_dir (e, name);
  if (!capsa_ctr_valid_name (name) || access (dir, F_OK) != 0)
    return capsa_fail_as (err, ENOENT, "no such volume: %s (see `capsa volume ls`)", name);
  const char *by = json_string_value (json_object_get (used, name));
  if (by && !force)
    return capsa_fail_as (err, EBUSY, "volume %s is in use by container %.12s: remove that container first", name, by);
  if (fs_rm_rf (dir, err) < 0)
    return -1;
  volume_event (e, "destroy", name);
  return 0;
}
