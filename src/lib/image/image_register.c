/* Registering an image whose blobs are in the store: its layers unpacked (libarchive), then its
 * entry in the index.  See image.h.  Apart from image.c so that the container commands, which
 * only read images, link no libarchive. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsops.h"
#include "image.h"
#include "jsonutil.h"
#include "util.h"

/* The bytes an unpacked layer holds: computed once and kept beside it (layers/HEX/size: a layer
 * never changes once unpacked), so that registering an image of many steps walks no tree twice. */
static long long
layer_size (struct capsa_store *s, const char *diffid)
{
  cleanup_free char *rel = xasprintf ("layers/%s/size", capsa_digest_hex (diffid));
  cleanup_free char *text = NULL;
  cleanup_err capsa_err *ignored = NULL;
  int64_t n;
  if (read_file_at (s->rootfd, rel, &text, NULL, &ignored) == 0 && parse_i64 (text, 0, INT64_MAX, &n) == 0)
    return n;
  cleanup_free char *path = capsa_store_layer_path (s, diffid);
  cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return 0;
  long long size = fs_tree_size (fd);
  char buf[32];
  int len = snprintf (buf, sizeof buf, "%lld", size);
  write_file_atomic_at (s->rootfd, rel, buf, (size_t) len, 0600, &ignored); /* best effort: a cache */
  return size;
}

static int
check_and_unpack (struct capsa_store *s, const struct capsa_manifest *m, const struct capsa_image_config *c,
                  const char *mdigest, long long *size, capsa_err **err)
{
  if (m->n_layers != c->n_diff_ids)
    return capsa_fail_as (err, EINVAL, "manifest %s has %zu layers but its config lists %zu diff ids", mdigest,
                          m->n_layers, c->n_diff_ids);
  *size = 0;
  for (size_t i = 0; i < m->n_layers; i++)
    {
      const char *d = m->layers[i].digest, *diffid = c->diff_ids[i];
      if (!capsa_store_has_blob (s, d))
        return capsa_fail_as (err, ENOENT, "manifest %s: layer blob %s is missing from the store", mdigest, d);
      if (capsa_store_unpack_layer (s, d, diffid, NULL, err) < 0)
        return -1;
      *size += layer_size (s, diffid);
    }
  return 0;
}

int
capsa_image_register (struct capsa_store *s, const char *mdigest, const char *name, const char *repo_digest,
                      char *id_out, capsa_err **err)
{
  return capsa_image_register_made (s, mdigest, name, repo_digest, NULL, NULL, id_out, err);
}

/* Set (or drop, value NULL) the index entry's field key. */
static void
set_or_drop (json_t *img, const char *key, const char *value)
{
  if (value)
    json_object_set_new (img, key, json_string (value));
  else
    json_object_del (img, key);
}

int
capsa_image_register_made (struct capsa_store *s, const char *mdigest, const char *name, const char *repo_digest,
                           const char *parent, const char *cache_key, char *id_out, capsa_err **err)
{
  cleanup_manifest struct capsa_manifest m = { 0 };
  cleanup_image_config struct capsa_image_config c = { 0 };
  cleanup_json json_t *idx = NULL;
  cleanup_close int lock = -1;
  char added[64];
  long long size = 0;

  if (capsa_manifest_load (s, mdigest, NULL, &m, err) < 0)
    return -1;
  if (m.is_index)
    return capsa_fail_as (err, EINVAL, "manifest %s: an index, not an image manifest", mdigest);
  const char *cdigest = m.config.digest;
  if (capsa_image_config_load (s, cdigest, name, &c, err) < 0)
    return -1;
  if (check_and_unpack (s, &m, &c, mdigest, &size, err) < 0)
    return -1;

  lock = capsa_store_lock_index (s, err);
  if (lock < 0 || capsa_index_read (s, &idx, err) < 0)
    return -1;
  json_t *images = json_object_get (idx, "images"), *img, *mine = NULL;
  size_t i;
  json_array_foreach (images, i, img)
  {
    if (name)
      json_strarray_remove (json_object_get (img, "names"), name);
    if (strcmp (jstr (img, "id") ?: "", cdigest) == 0)
      mine = img;
  }
  now_rfc3339 (added, sizeof added);
  if (mine == NULL)
    {
      mine = json_pack ("{s:s, s:s, s:s, s:[], s:[], s:s, s:s, s:I}", "id", cdigest, "manifest", mdigest, "mediaType",
                        m.media_type, "names", "digests", "created", c.created ? c.created : "", "added", added, "size",
                        (json_int_t) size);
      json_array_append_new (images, mine);
    }
  else
    json_object_set_new (mine, "added", json_string (added));
  if (name && !json_strarray_has (json_object_get (mine, "names"), name))
    json_array_append_new (json_object_get (mine, "names"), json_string (name));
  if (repo_digest && !json_strarray_has (json_object_get (mine, "digests"), repo_digest))
    json_array_append_new (json_object_get (mine, "digests"), json_string (repo_digest));
  if (parent || cache_key)
    {
      set_or_drop (mine, "parent", parent);
      set_or_drop (mine, "buildcache", cache_key);
    }
  if (capsa_index_write (s, idx, err) < 0)
    return -1;
  if (id_out)
    snprintf (id_out, CAPSA_DIGEST_LEN + 1, "%s", cdigest);
  return 0;
}
