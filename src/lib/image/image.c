/* Images in the store: see image.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsops.h"
#include "eventlog.h"
#include "image.h"
#include "reference.h"
#include "jsonutil.h"
#include "util.h"

int
capsa_blob_json (struct capsa_store *s, const char *digest, json_t **out, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len;
  json_error_t je;

  if (capsa_store_read_blob (s, digest, &buf, &len, err) < 0)
    return -1;
  *out = json_loadb (buf, len, 0, &je);
  if (*out == NULL)
    return capsa_fail_as (err, EINVAL, "blob %s: invalid JSON: %s (line %d)", digest, je.text, je.line);
  return 0;
}

/* The blob `digest` (what names it in errors), refusing a digest that is not one. */
static int
read_checked_blob (struct capsa_store *s, const char *digest, const char *what, char **buf, size_t *len,
                   capsa_err **err)
{
  if (!capsa_digest_valid (digest))
    return capsa_fail_as (err, EINVAL, "%s: not a valid sha256 digest", what);
  return capsa_store_read_blob (s, digest, buf, len, err);
}

int
capsa_image_config_load (struct capsa_store *s, const char *digest, const char *image, struct capsa_image_config *out,
                         capsa_err **err)
{
  cleanup_free char *buf = NULL;
  cleanup_free char *what = xasprintf ("image config of %s", image ? image : digest);
  size_t len;

  memset (out, 0, sizeof *out);
  if (read_checked_blob (s, digest, what, &buf, &len, err) < 0)
    return -1;
  return capsa_image_config_parse (buf, len, what, out, err);
}

int
capsa_manifest_load (struct capsa_store *s, const char *digest, const char *media_type, struct capsa_manifest *out,
                     capsa_err **err)
{
  cleanup_free char *buf = NULL;
  cleanup_free char *what = xasprintf ("manifest %s", digest);
  size_t len;

  memset (out, 0, sizeof *out);
  if (read_checked_blob (s, digest, what, &buf, &len, err) < 0)
    return -1;
  return capsa_manifest_parse (buf, len, media_type, what, out, err);
}

/* --- the index ----------------------------------------------------------------------------- */

int
capsa_index_read (struct capsa_store *s, json_t **out, capsa_err **err)
{
  cleanup_free char *what = xasprintf ("%s/images.json", s->root);
  json_error_t je;
  json_t *j = NULL;

  int r = json_read_file_at (s->rootfd, "images.json", what, &j, &je, err);
  if (r < 0)
    return -1;
  if (r == 1)
    {
      *out = json_pack ("{s:[]}", "images");
      return 0;
    }
  if (j == NULL || !json_is_array (json_object_get (j, "images")))
    {
      if (j)
        json_decref (j);
      return capsa_fail_as (err, EINVAL, "`%s/images.json` is corrupt: %s", s->root,
                            j ? "no \"images\" array" : je.text);
    }
  *out = j;
  return 0;
}

int
capsa_index_write (struct capsa_store *s, json_t *idx, capsa_err **err)
{
  cleanup_free char *buf = json_dumps (idx, JSON_INDENT (1) | JSON_SORT_KEYS);
  if (buf == NULL)
    return capsa_fail_as (err, ENOMEM, "serialize the image index");
  if (write_file_atomic_at (s->rootfd, "images.json", buf, strlen (buf), 0600, err) < 0)
    return capsa_err_wrap (err, "write the image index in `%s`", s->root);
  fsync (s->rootfd);
  return 0;
}

json_t *
capsa_image_find (json_t *idx, const char *what, const char *default_registry, capsa_err **err)
{
  json_t *images = json_object_get (idx, "images"), *img, *found = NULL;
  struct capsa_ref r;
  cleanup_err capsa_err *perr = NULL;
  size_t i;

  if (capsa_ref_parse (what, default_registry, &r, &perr) == 0)
    {
      cleanup_free char *name = capsa_ref_name (&r);
      cleanup_free char *full = r.tag ? capsa_ref_string (&r) : NULL;
      cleanup_free char *dig = r.digest ? xasprintf ("%s@%s", name, r.digest) : NULL;
      json_array_foreach (images, i, img)
      {
        if ((full && json_strarray_has (json_object_get (img, "names"), full))
            || (dig
                && (json_strarray_has (json_object_get (img, "digests"), dig)
                    || strcmp (jstr (img, "manifest") ?: "", r.digest) == 0)))
          {
            capsa_ref_free (&r);
            return img;
          }
      }
      capsa_ref_free (&r);
    }
  /* an id or a unique prefix of one, with or without "sha256:" */
  const char *hex = strncmp (what, "sha256:", 7) == 0 ? what + 7 : what;
  size_t n = strlen (hex);
  bool is_hex = n > 0 && strspn (hex, "0123456789abcdef") == n;
  if (is_hex)
    json_array_foreach (images, i, img)
    {
      const char *id = jstr (img, "id");
      if (id && strncmp (id + 7, hex, n) == 0)
        {
          if (found && found != img)
            return capsa_fail_as (err, EINVAL, "image id prefix `%s` is ambiguous: give more digits", what), NULL;
          found = img;
        }
    }
  if (found == NULL)
    capsa_fail_as (err, ENOENT, "no such image: %s (see `capsa images`)", what);
  return found;
}

/* docker's image event (daemon/images/image_events.go): the image's labels (when config, its
 * config digest, is in the store) and name as attributes. */
void
capsa_image_event (struct capsa_store *s, const char *action, const char *actor, const char *name, const char *config)
{
  cleanup_json json_t *cfg = NULL, *attrs = NULL;
  cleanup_err capsa_err *ignored = NULL;
  json_t *labels = NULL;
  if (config && capsa_blob_json (s, config, &cfg, &ignored) == 0)
    labels = json_object_get (json_object_get (cfg, "config"), "Labels");
  attrs = json_is_object (labels) ? json_deep_copy (labels) : json_object ();
  if (name && *name)
    json_object_set_new (attrs, "name", json_string (name));
  eventlog_append (s->root, "image", action, actor, attrs);
}

void
capsa_image_tag_event (struct capsa_store *s, const char *id, const char *full, const char *default_registry)
{
  cleanup_free char *fam = full ? capsa_ref_familiar (full, default_registry) : NULL;
  if (fam && id && *id)
    capsa_image_event (s, "tag", id, fam, id);
}

/* The untag and delete events of what capsa_image_remove took out (the entries of untagged and
 * deleted from nu and nd on), as docker's rmi gives them. */
static void
remove_events (struct capsa_store *s, const char *id, char **untagged, size_t nu, char **deleted, size_t nd)
{
  for (size_t i = nu; i < strv_len (untagged); i++)
    capsa_image_event (s, "untag", id, id, id);
  for (size_t i = nd; i < strv_len (deleted); i++)
    capsa_image_event (s, "delete", deleted[i], deleted[i], NULL);
}

int
capsa_image_tag (struct capsa_store *s, const char *what, const char *new_name, const char *default_registry,
                 capsa_err **err)
{
  cleanup_json json_t *idx = NULL;
  cleanup_ref struct capsa_ref r = { 0 };
  cleanup_close int lock = -1;
  size_t i;
  json_t *img;

  if (capsa_ref_parse (new_name, default_registry, &r, err) < 0)
    return -1;
  if (r.tag == NULL)
    return capsa_fail_as (err, EINVAL, "tag `%s`: a tag cannot be a digest reference", new_name);
  cleanup_free char *full = capsa_ref_string (&r);
  lock = capsa_store_lock_index (s, err);
  if (lock < 0 || capsa_index_read (s, &idx, err) < 0)
    return -1;
  json_t *target = capsa_image_find (idx, what, default_registry, err);
  if (target == NULL)
    return -1;
  json_array_foreach (json_object_get (idx, "images"), i, img)
      json_strarray_remove (json_object_get (img, "names"), full);
  json_array_append_new (json_object_get (target, "names"), json_string (full));
  if (capsa_index_write (s, idx, err) < 0)
    return -1;
  capsa_image_tag_event (s, jstr (target, "id"), full, default_registry);
  return 0;
}

/* The id of the image container `name` was made from, or NULL. */
static char *
container_image (struct capsa_store *s, const char *name)
{
  cleanup_free char *rel = xasprintf ("containers/%s/image", name);
  cleanup_err capsa_err *ignored = NULL;
  char *buf = NULL;
  if (read_file_at (s->rootfd, rel, &buf, NULL, &ignored) < 0)
    return NULL;
  buf[strcspn (buf, "\n")] = '\0';
  return buf;
}

/* A container using image `id`, or NULL. */
static char *
image_user (struct capsa_store *s, const char *id)
{
  cleanup_close int fd = openat (s->rootfd, "containers", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return NULL;
  cleanup_dir DIR *d = fdopendir (take_fd (&fd));
  struct dirent *de;
  while (d && (de = readdir (d)) != NULL)
    {
      if (de->d_name[0] == '.')
        continue;
      cleanup_free char *img = container_image (s, de->d_name);
      if (img && strcmp (img, id) == 0)
        return xstrdup (de->d_name);
    }
  return NULL;
}

bool
capsa_image_is_parent (json_t *idx, const char *id)
{
  size_t i;
  json_t *img;
  json_array_foreach (json_object_get (idx, "images"), i, img)
  {
    if (id && strcmp (jstr (img, "parent") ?: "", id) == 0)
      return true;
  }
  return false;
}

bool
capsa_image_intermediate (json_t *idx, json_t *img)
{
  return json_array_size (json_object_get (img, "names")) == 0 && capsa_image_is_parent (idx, jstr (img, "id"));
}

bool
capsa_image_dangling (json_t *idx, json_t *img)
{
  return json_array_size (json_object_get (img, "names")) == 0 && !capsa_image_is_parent (idx, jstr (img, "id"));
}

/* Take img out of the index's images (*deleted gets its id). */
static void
drop_image (json_t *idx, json_t *img, char ***deleted)
{
  json_t *images = json_object_get (idx, "images");
  strv_append (deleted, jstr (img, "id"));
  for (size_t i = 0; i < json_array_size (images); i++)
    if (json_array_get (images, i) == img)
      {
        json_array_remove (images, i);
        return;
      }
}

/* After an image with parent `parent` (an id, may be NULL) went: that parent too when it is
 * untagged and nothing else (an image, a container) uses it, and so on up (docker's rmi). */
static void
drop_unused_parents (struct capsa_store *s, json_t *idx, const char *parent, char ***deleted)
{
  cleanup_free char *id = parent ? xstrdup (parent) : NULL;
  while (id)
    {
      json_t *p = NULL, *img;
      size_t i;
      json_array_foreach (json_object_get (idx, "images"), i, img) if (strcmp (jstr (img, "id") ?: "", id) == 0) p
          = img;
      cleanup_free char *user = p ? image_user (s, id) : NULL;
      if (p == NULL || user || !capsa_image_dangling (idx, p))
        return;
      char *next = jstr (p, "parent") ? xstrdup (jstr (p, "parent")) : NULL;
      json_incref (p);
      drop_image (idx, p, deleted);
      json_decref (p);
      free (id);
      id = next;
    }
}

int
capsa_image_remove (struct capsa_store *s, const char *what, bool force, const char *default_registry, char ***untagged,
                    char ***deleted, capsa_err **err)
{
  cleanup_json json_t *idx = NULL;
  struct capsa_ref r;
  cleanup_err capsa_err *perr = NULL;
  size_t nu = strv_len (*untagged), nd = strv_len (*deleted);

  {
    cleanup_close int lock = capsa_store_lock_index (s, err);
    if (lock < 0 || capsa_index_read (s, &idx, err) < 0)
      return -1;
    json_t *img = capsa_image_find (idx, what, default_registry, err);
    if (img == NULL)
      return -1;
    json_t *names = json_object_get (img, "names");
    cleanup_free char *full = NULL;
    if (capsa_ref_parse (what, default_registry, &r, &perr) == 0)
      {
        if (r.tag)
          full = capsa_ref_string (&r);
        capsa_ref_free (&r);
      }
    bool by_name = full && json_strarray_has (names, full);
    bool has_child = capsa_image_is_parent (idx, jstr (img, "id"));
    if (!by_name && has_child)
      return capsa_fail_as (err, EBUSY, "image %s has dependent child images: remove them first", what);
    /* a parent's last name goes, the image stays (an intermediate one) */
    if (by_name && (json_array_size (names) > 1 || has_child))
      {
        json_strarray_remove (names, full);
        strv_append (untagged, full);
        if (capsa_index_write (s, idx, err) < 0)
          return -1;
        remove_events (s, jstr (img, "id"), *untagged, nu, NULL, 0);
        return 0;
      }
    if (!by_name && json_array_size (names) > 1 && !force)
      return capsa_fail_as (err, EBUSY,
                            "image %s has %zu names: remove them one by one, or use --force to remove the "
                            "image and all its names",
                            what, json_array_size (names));
    const char *id = jstr (img, "id");
    cleanup_free char *user = image_user (s, id);
    if (user)
      return capsa_fail_as (err, EBUSY, "image %s is used by container `%s`: remove the container first", what, user);
    size_t i;
    json_t *n;
    json_array_foreach (names, i, n) strv_append (untagged, json_string_value (n));
    json_array_foreach (json_object_get (img, "digests"), i, n) strv_append (untagged, json_string_value (n));
    cleanup_free char *parent = jstr (img, "parent") ? xstrdup (jstr (img, "parent")) : NULL;
    cleanup_free char *gone = xstrdup (id);
    remove_events (s, gone, *untagged, nu, NULL, 0); /* (before it goes: with its labels) */
    drop_image (idx, img, deleted);
    drop_unused_parents (s, idx, parent, deleted);
    if (capsa_index_write (s, idx, err) < 0)
      return -1;
    remove_events (s, gone, NULL, 0, *deleted, nd);
  }
  return capsa_store_gc (s, NULL, err);
}

int
capsa_image_prune (struct capsa_store *s, bool all, char ***deleted, long long *reclaimed, capsa_err **err)
{
  return capsa_image_prune_pick (s, all, NULL, NULL, deleted, reclaimed, err);
}

int
capsa_image_prune_pick (struct capsa_store *s, bool all, capsa_image_pick_fn *pick, void *data, char ***deleted,
                        long long *reclaimed, capsa_err **err)
{
  cleanup_json json_t *idx = NULL;
  size_t nd = strv_len (*deleted);
  {
    cleanup_close int lock = capsa_store_lock_index (s, err);
    if (lock < 0 || capsa_index_read (s, &idx, err) < 0)
      return -1;
    json_t *images = json_object_get (idx, "images");
    /* the heads first (no image's parent), then what their removal leaves so, as docker does */
    for (bool again = true; again;)
      {
        again = false;
        for (size_t i = json_array_size (images); i-- > 0;)
          {
            json_t *img = json_array_get (images, i);
            const char *id = jstr (img, "id");
            if (capsa_image_is_parent (idx, id) || (!all && json_array_size (json_object_get (img, "names")) > 0))
              continue;
            cleanup_free char *user = image_user (s, id);
            if (user || (pick && !pick (img, data)))
              continue;
            strv_append (deleted, id);
            json_array_remove (images, i);
            again = true;
          }
      }
    if (capsa_index_write (s, idx, err) < 0)
      return -1;
    remove_events (s, NULL, NULL, 0, *deleted, nd);
  }
  return capsa_store_gc (s, reclaimed, err);
}

/* --- garbage collection -------------------------------------------------------------------- */

static void
add_refs (struct capsa_store *s, json_t *img, json_t *blobs, json_t *layers)
{
  cleanup_manifest struct capsa_manifest m = { 0 };
  cleanup_image_config struct capsa_image_config c = { 0 };
  cleanup_err capsa_err *ignored = NULL;
  const char *md = jstr (img, "manifest");

  /* a manifest that does not parse keeps nothing but itself: its image cannot be used anyway */
  if (!capsa_digest_valid (md))
    return;
  json_object_set_new (blobs, md, json_true ());
  if (capsa_manifest_load (s, md, jstr (img, "mediaType"), &m, &ignored) < 0 || m.is_index)
    return;
  json_object_set_new (blobs, m.config.digest, json_true ());
  for (size_t i = 0; i < m.n_layers; i++)
    json_object_set_new (blobs, m.layers[i].digest, json_true ());
  if (capsa_image_config_load (s, m.config.digest, NULL, &c, &ignored) == 0)
    for (size_t i = 0; i < c.n_diff_ids; i++)
      json_object_set_new (layers, c.diff_ids[i], json_true ());
}

/* Remove the entries of dir `sub` whose "sha256:NAME" is not a key of keep. */
static int
sweep (struct capsa_store *s, const char *sub, json_t *keep, long long *reclaimed, capsa_err **err)
{
  cleanup_close int fd = openat (s->rootfd, sub, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : capsa_fail (err, errno, "open `%s/%s`", s->root, sub);
  int dfd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  struct dirent *de;
  if (d == NULL)
    return capsa_fail (err, errno, "read `%s/%s`", s->root, sub);
  while ((de = readdir (d)) != NULL)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *digest = xasprintf ("sha256:%s", de->d_name);
      if (keep && json_object_get (keep, digest))
        continue;
      if (fstatat (fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 && reclaimed)
        {
          if (S_ISDIR (st.st_mode))
            {
              cleanup_close int sub_fd = openat (fd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
              if (sub_fd >= 0)
                *reclaimed += fs_tree_size (sub_fd);
            }
          else
            *reclaimed += st.st_size;
        }
      if (fs_rm_rf_at (fd, de->d_name, err) < 0)
        return capsa_err_wrap (err, "garbage collection in `%s/%s`", s->root, sub);
    }
  return 0;
}

int
capsa_store_gc (struct capsa_store *s, long long *reclaimed, capsa_err **err)
{
  cleanup_json json_t *idx = NULL;
  cleanup_json json_t *blobs = json_object (), *layers = json_object ();
  long long dummy = 0;
  size_t i;
  json_t *img;

  if (reclaimed == NULL)
    reclaimed = &dummy;
  *reclaimed = 0;
  if (capsa_store_lock_gc (s, true, err) < 0)
    return -1;
  {
    cleanup_close int lock = capsa_store_lock_index (s, err);
    if (lock < 0 || capsa_index_read (s, &idx, err) < 0)
      {
        capsa_store_unlock_gc (s);
        return -1;
      }
  }
  json_array_foreach (json_object_get (idx, "images"), i, img) add_refs (s, img, blobs, layers);
  int r = sweep (s, "blobs/sha256", blobs, reclaimed, err);
  if (r == 0)
    r = sweep (s, "layers", layers, reclaimed, err);
  /* everything in tmp/ is stale here: every writer holds the gc lock shared */
  if (r == 0)
    r = sweep (s, "tmp", NULL, reclaimed, err);
  capsa_store_unlock_gc (s);
  return r;
}
