/* Docker's JSON for the images of the store (its Engine API shapes): `capsa image inspect`,
 * `capsa history` and capsa-service build their answers here, from the index entry and the
 * image's config. */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "image.h"
#include "jsonutil.h"
#include "util.h"

long long
capsa_time_unix (const char *rfc3339)
{
  struct tm tm = { 0 };
  if (rfc3339 == NULL || strptime (rfc3339, "%Y-%m-%dT%H:%M:%S", &tm) == NULL)
    return 0;
  return (long long) timegm (&tm);
}

static const char *
str_or (json_t *o, const char *key, const char *def)
{
  const char *v = json_string_value (json_object_get (o, key));
  return v ? v : def;
}

/* The image's names (key "names" or "digests" of its index entry), in their familiar form. */
static json_t *
familiar_names (json_t *img, const char *key, const char *default_registry)
{
  json_t *out = json_array (), *v;
  size_t i;
  json_array_foreach (json_object_get (img, key), i, v)
  {
    cleanup_free char *fam = capsa_ref_familiar (json_string_value (v), default_registry);
    json_array_append_new (out, json_string (fam));
  }
  return out;
}

/* The config's "config" with every field of docker's container.Config (Go marshals them all: "" for
 * the strings, false, null), as dockerd's inspect shows any image, pulled or built. */
static json_t *
full_config (json_t *c)
{
  json_t *out = json_is_object (c) ? json_deep_copy (c) : json_object ();
  static const char *strings[] = { "Hostname", "Domainname", "User", "Image", "WorkingDir" };
  static const char *bools[] = { "AttachStdin", "AttachStdout", "AttachStderr", "Tty", "OpenStdin", "StdinOnce" };
  static const char *nulls[] = { "Env", "Cmd", "Volumes", "Entrypoint", "OnBuild", "Labels" };
  for (size_t i = 0; i < sizeof strings / sizeof *strings; i++)
    if (!json_object_get (out, strings[i]))
      json_object_set_new (out, strings[i], json_string (""));
  for (size_t i = 0; i < sizeof bools / sizeof *bools; i++)
    if (!json_object_get (out, bools[i]))
      json_object_set_new (out, bools[i], json_false ());
  for (size_t i = 0; i < sizeof nulls / sizeof *nulls; i++)
    if (!json_object_get (out, nulls[i]))
      json_object_set_new (out, nulls[i], json_null ());
  return out;
}

json_t *
capsa_image_inspect_json (struct capsa_store *s, json_t *img, const char *default_registry, capsa_err **err)
{
  cleanup_json json_t *config = NULL;
  const char *id = json_string_value (json_object_get (img, "id"));
  if (capsa_blob_json (s, id, &config, err) < 0)
    return NULL;
  json_t *cr = json_object_get (config, "rootfs");
  json_t *rootfs = json_pack ("{s:s, s:O*}", "Type", str_or (cr, "type", "layers"), "Layers",
                              json_object_get (cr, "diff_ids"));
  json_int_t size = json_integer_value (json_object_get (img, "size"));
  json_t *out = json_pack (
      "{s:s, s:o, s:o, s:s, s:s, s:s, s:s, s:O*, s:s, s:s, s:o, s:s, s:s, s:O*, s:I, s:I, s:{s:n, s:s}, s:o}", "Id", id,
      "RepoTags", familiar_names (img, "names", default_registry), "RepoDigests",
      familiar_names (img, "digests", default_registry), "Parent", str_or (img, "parent", ""), "Comment",
      str_or (config, "comment", ""), "Created", str_or (config, "created", ""), "Container",
      str_or (config, "container", ""), "ContainerConfig", json_object_get (config, "container_config"),
      "DockerVersion", str_or (config, "docker_version", ""), "Author", str_or (config, "author", ""), "Config",
      full_config (json_object_get (config, "config")), "Architecture", str_or (config, "architecture", ""), "Os",
      str_or (config, "os", ""), "Variant", json_object_get (config, "variant"), "Size", size, "VirtualSize", size,
      "GraphDriver", "Data", "Name", "overlay2", "RootFS", rootfs);
  if (!json_object_get (out, "ContainerConfig")) /* dockerd gives an empty one */
    json_object_set_new (out, "ContainerConfig", json_object ());
  json_object_set_new (out, "History", json_deep_copy (json_object_get (config, "history")) ?: json_array ());
  json_object_set_new (out, "Manifest", json_string (str_or (img, "manifest", "")));
  json_object_set_new (out, "ManifestMediaType", json_string (str_or (img, "mediaType", "")));
  json_object_set_new (out, "Metadata", json_pack ("{s:s}", "LastTagTime", str_or (img, "added", "")));
  return out;
}

json_t *
capsa_image_summary_json (struct capsa_store *s, json_t *img, const char *default_registry)
{
  cleanup_json json_t *config = NULL;
  const char *id = json_string_value (json_object_get (img, "id"));
  if (capsa_blob_json (s, id, &config, NULL) < 0)
    config = NULL;
  json_t *tags = familiar_names (img, "names", default_registry);
  json_t *digests = familiar_names (img, "digests", default_registry);
  if (json_array_size (tags) == 0 && json_array_size (digests) == 0)
    {
      json_array_append_new (tags, json_string ("<none>:<none>"));
      json_array_append_new (digests, json_string ("<none>@<none>"));
    }
  json_t *labels = json_object_get (json_object_get (config, "config"), "Labels");
  json_int_t size = json_integer_value (json_object_get (img, "size"));
  return json_pack ("{s:s, s:s, s:o, s:o, s:I, s:I, s:I, s:I, s:O, s:I}", "Id", id, "ParentId",
                    str_or (img, "parent", ""), "RepoTags", tags, "RepoDigests", digests, "Created",
                    (json_int_t) capsa_time_unix (str_or (img, "created", NULL)), "Size", size, "VirtualSize", size,
                    "SharedSize", (json_int_t) -1, "Labels", json_is_object (labels) ? labels : json_null (),
                    "Containers", (json_int_t) -1);
}

/* The size of the unpacked layer diffid (0 when it is not there). */
static long long
layer_size (struct capsa_store *s, const char *diffid)
{
  if (diffid == NULL)
    return 0;
  cleanup_free char *path = capsa_store_layer_path (s, diffid);
  cleanup_close int fd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  return fd >= 0 ? capsa_fs_tree_size (fd) : 0;
}

/* Which image of img's parent chain (the index's "parent": commit and build add one history
 * entry per image) made each of the n history steps: steps[i] (borrowed from idx), NULL where
 * the store does not have it (docker's history shows <missing> there). */
static void
step_images (struct capsa_store *s, json_t *idx, json_t *img, json_t **steps, size_t n)
{
  for (json_t *cur = img; cur;)
    {
      cleanup_json json_t *c = NULL;
      cleanup_err capsa_err *ignored = NULL;
      if (capsa_blob_json (s, json_string_value (json_object_get (cur, "id")) ?: "", &c, &ignored) < 0)
        return;
      size_t len = json_array_size (json_object_get (c, "history"));
      if (len == 0 || len > n || steps[len - 1])
        return; /* (a chain that does not shorten: no loop) */
      steps[len - 1] = cur;
      const char *parent = json_string_value (json_object_get (cur, "parent"));
      cur = parent ? capsa_image_find (idx, parent, NULL, NULL) : NULL;
    }
}

json_t *
capsa_image_history_json (struct capsa_store *s, json_t *img, const char *default_registry, capsa_err **err)
{
  cleanup_json json_t *config = NULL;
  const char *id = json_string_value (json_object_get (img, "id"));
  if (capsa_blob_json (s, id, &config, err) < 0)
    return NULL;
  json_t *history = json_object_get (config, "history");
  json_t *diffids = json_object_get (json_object_get (config, "rootfs"), "diff_ids");
  size_t n = json_array_size (history), nlayers = 0;
  /* each entry that is not an empty layer has a layer, in order */
  for (size_t i = 0; i < n; i++)
    nlayers += !json_is_true (json_object_get (json_array_get (history, i), "empty_layer"));
  cleanup_json json_t *idx = NULL;
  cleanup_err capsa_err *ignored = NULL;
  cleanup_free json_t **steps = xmalloc0 ((n + 1) * sizeof *steps);
  if (n && capsa_index_read (s, &idx, &ignored) == 0)
    step_images (s, idx, img, steps, n);
  if (n)
    steps[n - 1] = img;
  json_t *out = json_array ();
  for (size_t i = n; i-- > 0;)
    {
      json_t *h = json_array_get (history, i), *by = steps[i];
      long long size = 0;
      if (!json_is_true (json_object_get (h, "empty_layer")))
        size = layer_size (s, json_string_value (json_array_get (diffids, --nlayers)));
      json_array_append_new (out, json_pack ("{s:s, s:I, s:s, s:o, s:I, s:s}", "Id",
                                             by ? str_or (by, "id", "") : "<missing>", "Created",
                                             (json_int_t) capsa_time_unix (str_or (h, "created", NULL)), "CreatedBy",
                                             str_or (h, "created_by", ""), "Tags",
                                             by && (by == img || json_array_size (json_object_get (by, "names")))
                                                 ? familiar_names (by, "names", default_registry)
                                                 : json_null (),
                                             "Size", (json_int_t) size, "Comment", str_or (h, "comment", "")));
    }
  return out;
}

/* docker's words for a layer's state, pull and push. */
const char *
capsa_progress_word (enum capsa_progress_state st, bool push)
{
  switch (st)
    {
    case CAPSA_PROGRESS_WAITING:
      return "Waiting";
    case CAPSA_PROGRESS_DOWNLOADING:
      return "Downloading";
    case CAPSA_PROGRESS_RETRYING:
      return "Retrying";
    case CAPSA_PROGRESS_VERIFIED:
      return push ? NULL : "Download complete";
    case CAPSA_PROGRESS_EXISTS:
      return push ? "Layer already exists" : "Already exists";
    case CAPSA_PROGRESS_EXTRACTING:
      return "Extracting";
    case CAPSA_PROGRESS_DONE:
      return push ? "Pushed" : "Pull complete";
    case CAPSA_PROGRESS_UPLOADING:
      return "Pushing";
    case CAPSA_PROGRESS_MOUNTED:
      return "Mounted from another repository";
    default:
      return NULL;
    }
}
