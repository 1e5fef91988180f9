/* Registering an image whose blobs are in the store: its layers unpacked (libarchive), then its
 * entry in the index.  See image.h.  Apart from image.c so that the container commands, which
 * only read images, link no libarchive. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fsops.h"
#include "image.h"
#include "jsonutil.h"
#include "util.h"

static int
check_and_unpack (struct capsa_store *s, json_t *manifest, json_t *config, const char *mdigest, long long *size,
                  capsa_err **err)
{
  json_t *layers = json_object_get (manifest, "layers");
  json_t *diffids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  json_t *l;
  size_t i;

  if (!json_is_array (layers) || !json_is_array (diffids))
    return capsa_fail_as (err, EINVAL, "manifest %s: no layers, or its config has no rootfs.diff_ids", mdigest);
  if (json_array_size (layers) != json_array_size (diffids))
    return capsa_fail_as (err, EINVAL, "manifest %s has %zu layers but its config lists %zu diff ids", mdigest,
                          json_array_size (layers), json_array_size (diffids));
  *size = 0;
  json_array_foreach (layers, i, l)
  {
    const char *d = jstr (l, "digest"), *mt = jstr (l, "mediaType");
    const char *diffid = json_string_value (json_array_get (diffids, i));
    if (!capsa_digest_valid (d) || !capsa_digest_valid (diffid))
      return capsa_fail_as (err, EINVAL, "manifest %s: layer %zu: invalid digest or diff id", mdigest, i);
    if (!capsa_layer_media_type_ok (mt))
      return capsa_fail_as (err, ENOTSUP, "manifest %s: layer %s: unsupported media type `%s`", mdigest, d,
                            mt ? mt : "");
    if (!capsa_store_has_blob (s, d))
      return capsa_fail_as (err, ENOENT, "manifest %s: layer blob %s is missing from the store", mdigest, d);
    if (capsa_store_unpack_layer (s, d, diffid, NULL, err) < 0)
      return -1;
    cleanup_free char *path = capsa_store_layer_path (s, diffid);
    cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0)
      *size += fs_tree_size (fd);
  }
  return 0;
}

int
capsa_image_register (struct capsa_store *s, const char *mdigest, const char *name, const char *repo_digest,
                      char *id_out, capsa_err **err)
{
  cleanup_json json_t *manifest = NULL, *config = NULL, *idx = NULL;
  cleanup_close int lock = -1;
  char added[64];
  long long size = 0;

  if (capsa_blob_json (s, mdigest, &manifest, err) < 0)
    return -1;
  const char *cdigest = jstr (json_object_get (manifest, "config"), "digest");
  if (json_integer_value (json_object_get (manifest, "schemaVersion")) != 2 || !capsa_digest_valid (cdigest))
    return capsa_fail_as (err, EINVAL, "manifest %s: not an image manifest (schemaVersion 2 with a config)",
                          mdigest);
  if (capsa_blob_json (s, cdigest, &config, err) < 0)
    return -1;
  if (check_and_unpack (s, manifest, config, mdigest, &size, err) < 0)
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
      const char *mt = jstr (manifest, "mediaType");
      mine = json_pack ("{s:s, s:s, s:s, s:[], s:[], s:s, s:s, s:I}", "id", cdigest, "manifest", mdigest,
                        "mediaType", mt ? mt : CAPSA_MT_OCI_MANIFEST, "names", "digests", "created",
                        jstr (config, "created") ?: "", "added", added, "size", (json_int_t) size);
      json_array_append_new (images, mine);
    }
  else
    json_object_set_new (mine, "added", json_string (added));
  if (name && !json_strarray_has (json_object_get (mine, "names"), name))
    json_array_append_new (json_object_get (mine, "names"), json_string (name));
  if (repo_digest && !json_strarray_has (json_object_get (mine, "digests"), repo_digest))
    json_array_append_new (json_object_get (mine, "digests"), json_string (repo_digest));
  if (capsa_index_write (s, idx, err) < 0)
    return -1;
  if (id_out)
    snprintf (id_out, CAPSA_DIGEST_LEN + 1, "%s", cdigest);
  return 0;
}
