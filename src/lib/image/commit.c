/* Images made from a parent and a directory of changes (capsa commit, capsa build's steps): see
 * include/capsa/build.h.  The new layer is the plain tar of an overlay upper directory in a
 * layer's form (capsa_tar_tree), its config the parent's with one more history entry, its
 * manifest an OCI one. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "capsa/build.h"
#include "image.h"
#include "import.h"
#include "jsonutil.h"
#include "util.h"

/* The parent's config and manifest documents, or a scratch image's. */
static int
parent_docs (struct capsa_store *s, const char *parent, json_t **config, json_t **manifest, capsa_err **err)
{
  if (parent == NULL)
    {
      const char *variant;
      const char *arch = capsa_host_arch (&variant);
      *config = json_pack ("{s:s, s:s, s:{}, s:{s:s, s:[]}, s:[]}", "architecture", arch, "os", "linux", "config",
                           "rootfs", "type", "layers", "diff_ids", "history");
      if (variant && strcmp (arch, "arm") == 0)
        json_object_set_new (*config, "variant", json_string (variant));
      *manifest = json_pack ("{s:[]}", "layers");
      return 0;
    }
  cleanup_json json_t *idx = NULL;
  {
    cleanup_close int lock = capsa_store_lock_index (s, err);
    if (lock < 0 || capsa_index_read (s, &idx, err) < 0)
      return -1;
  }
  json_t *img = capsa_image_find (idx, parent, NULL, err);
  if (img == NULL)
    return -1;
  if (capsa_blob_json (s, jstr (img, "id") ?: "", config, err) < 0)
    return -1;
  if (capsa_blob_json (s, jstr (img, "manifest") ?: "", manifest, err) < 0)
    return -1;
  if (!json_is_object (*config) || !json_is_array (json_object_get (*manifest, "layers")))
    return capsa_fail_as (err, EINVAL, "parent image %s: its config or manifest is not an image's", parent);
  return 0;
}

/* A layer descriptor of the parent's manifest in an OCI manifest's terms. */
static json_t *
oci_layer (json_t *l)
{
  static const char *map[][2] = {
    { CAPSA_MT_DOCKER_LAYER, CAPSA_MT_OCI_LAYER_GZIP },
    { "application/vnd.docker.image.rootfs.diff.tar", CAPSA_MT_OCI_LAYER },
    { "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
      "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip" },
  };
  json_t *o = json_deep_copy (l);
  const char *mt = jstr (l, "mediaType") ?: "";
  for (size_t i = 0; i < ARRAY_SIZE (map); i++)
    if (strcmp (mt, map[i][0]) == 0)
      json_object_set_new (o, "mediaType", json_string (map[i][1]));
  return o;
}

/* The tar of upper as a blob (digest = diff id), unpacked as a layer; *size gets its size. */
static int
upper_layer (struct capsa_store *s, const char *upper, char *digest, json_int_t *size, capsa_err **err)
{
  struct capsa_blob_writer w;
  if (capsa_blob_writer_open (s, &w, err) < 0)
    return -1;
  cleanup_free char *tmp = xasprintf ("%s/%s", s->root, w.tmp);
  if (capsa_tar_tree (upper, -1, &w, true, tmp, err) < 0)
    {
      capsa_blob_writer_abort (&w);
      return capsa_err_wrap (err, "archive the changes in `%s`", upper);
    }
  *size = (json_int_t) w.size;
  if (capsa_blob_writer_commit (&w, NULL, digest, err) < 0)
    return -1;
  return capsa_store_unpack_layer (s, digest, digest, NULL, err);
}

/* The new config: the parent's, with o's config, author and one more history entry. */
static void
update_config (json_t *config, const char *diffid, const struct capsa_commit_opts *o)
{
  char now[64];
  now_rfc3339 (now, sizeof now);
  json_object_set_new (config, "created", json_string (now));
  json_object_del (config, "container");
  json_object_del (config, "container_config");
  static const char *own[] = { "author", "comment" }; /* this image's, not the parent's */
  const char *mine[] = { o->author, o->comment };
  for (size_t i = 0; i < ARRAY_SIZE (own); i++)
    if (mine[i])
      json_object_set_new (config, own[i], json_string (mine[i]));
    else
      json_object_del (config, own[i]);
  if (o->config)
    json_object_set_new (config, "config", json_deep_copy (o->config));
  json_t *rootfs = json_object_get (config, "rootfs");
  if (!json_is_object (rootfs))
    json_object_set_new (config, "rootfs", rootfs = json_pack ("{s:s}", "type", "layers"));
  json_t *diff_ids = json_object_get (rootfs, "diff_ids");
  if (!json_is_array (diff_ids))
    json_object_set_new (rootfs, "diff_ids", diff_ids = json_array ());
  if (diffid)
    json_array_append_new (diff_ids, json_string (diffid));
  json_t *history = json_object_get (config, "history");
  if (!json_is_array (history))
    json_object_set_new (config, "history", history = json_array ());
  json_t *h = json_pack ("{s:s}", "created", now);
  if (o->author)
    json_object_set_new (h, "author", json_string (o->author));
  if (o->created_by)
    json_object_set_new (h, "created_by", json_string (o->created_by));
  if (o->comment)
    json_object_set_new (h, "comment", json_string (o->comment));
  if (diffid == NULL)
    json_object_set_new (h, "empty_layer", json_true ());
  json_array_append_new (history, h);
}

/* Write config and manifest blobs; mdigest gets the manifest's digest. */
static int
write_docs (struct capsa_store *s, json_t *config, json_t *parent_manifest, const char *layer, json_int_t size,
            char *mdigest, capsa_err **err)
{
  char cdigest[CAPSA_DIGEST_LEN + 1];
  cleanup_free char *cbuf = json_dumps (config, JSON_COMPACT);
  if (capsa_store_put_blob (s, cbuf, strlen (cbuf), cdigest, err) < 0)
    return -1;
  json_t *layers = json_array (), *l;
  size_t i;
  json_array_foreach (json_object_get (parent_manifest, "layers"), i, l) json_array_append_new (layers, oci_layer (l));
  if (layer)
    json_array_append_new (
        layers, json_pack ("{s:s, s:s, s:I}", "mediaType", CAPSA_MT_OCI_LAYER, "digest", layer, "size", size));
  cleanup_json json_t *manifest = json_pack ("{s:i, s:s, s:{s:s, s:s, s:I}, s:o}", "schemaVersion", 2, "mediaType",
                                             CAPSA_MT_OCI_MANIFEST, "config", "mediaType", CAPSA_MT_OCI_CONFIG,
                                             "digest", cdigest, "size", (json_int_t) strlen (cbuf), "layers", layers);
  cleanup_free char *mbuf = json_dumps (manifest, JSON_COMPACT);
  return capsa_store_put_blob (s, mbuf, strlen (mbuf), mdigest, err);
}

static int
image_commit (struct capsa_store *s, const char *upper, const struct capsa_commit_opts *o, char *id_out,
              capsa_err **err)
{
  cleanup_json json_t *config = NULL, *manifest = NULL;
  char layer[CAPSA_DIGEST_LEN + 1], mdigest[CAPSA_DIGEST_LEN + 1];
  json_int_t size = 0;

  if (parent_docs (s, o->parent, &config, &manifest, err) < 0)
    return -1;
  if (upper && upper_layer (s, upper, layer, &size, err) < 0)
    return -1;
  update_config (config, upper ? layer : NULL, o);
  if (write_docs (s, config, manifest, upper ? layer : NULL, size, mdigest, err) < 0)
    return -1;
  char id[CAPSA_DIGEST_LEN + 1] = "";
  if (capsa_image_register_made (s, mdigest, o->name, NULL, o->parent, o->cache_key, id, err) < 0)
    return -1;
  capsa_image_tag_event (s, id, o->name, NULL);
  if (id_out)
    memcpy (id_out, id, sizeof id);
  return 0;
}

int
capsa_image_commit (struct capsa_store *s, const char *upper, const struct capsa_commit_opts *o, char *id_out,
                    capsa_err **err)
{
  /* the blobs written stay out of a gc's reach until the image is registered */
  bool held = s->gcfd >= 0;
  if (!held && capsa_store_lock_gc (s, false, err) < 0)
    return -1;
  int r = image_commit (s, upper, o, id_out, err);
  if (!held)
    capsa_store_unlock_gc (s);
  return r;
}

int
capsa_image_cache_find (struct capsa_store *s, const char *key, char *id_out, capsa_err **err)
{
  cleanup_json json_t *idx = NULL;
  size_t i;
  json_t *img;

  if (key == NULL || *key == '\0')
    return 0;
  if (capsa_index_read (s, &idx, err) < 0)
    return -1;
  json_array_foreach (json_object_get (idx, "images"), i, img)
  {
    const char *id = jstr (img, "id");
    if (id && strcmp (jstr (img, "buildcache") ?: "", key) == 0)
      {
        snprintf (id_out, CAPSA_DIGEST_LEN + 1, "%s", id);
        return 1;
      }
  }
  return 0;
}
