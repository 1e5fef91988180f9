/* Image manifests, indexes and configs checked by type when read: see imgspec.h.
 *
 * The image config's fields are described as data (the tables below) and checked by one walker,
 * so that adding a field capsa reads is one line. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "capsa/json.h"
#include "cleanup.h"
#include "digest.h"
#include "imgspec.h"
#include "util.h"
#include "util.h"

/* ---- types --------------------------------------------------------------------------------- */

static int
wrong_type (capsa_err **err, const char *what, const char *path, json_t *v, const char *want)
{
  return capsa_fail_as (err, EINVAL, "%s: %s is %s, not %s", what, path, json_kind_name (v, false), want);
}

/* A field's path for messages ("config.Env[2]"), cut to the buffer when very deep. */
static void pathf (char *buf, size_t n, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));
static void
pathf (char *buf, size_t n, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  vsnprintf (buf, n, fmt, ap);
  va_end (ap);
}

/* "prefix.name", or "name" at the top */
static void
sub_path (char *buf, size_t n, const char *prefix, const char *name)
{
  pathf (buf, n, "%s%s%s", prefix, prefix[0] ? "." : "", name);
}

enum kind
{
  K_STRING,
  K_STRINGS,    /* an array of strings */
  K_STRING_MAP, /* an object of strings (Labels) */
  K_SET,        /* an object of objects (ExposedPorts, Volumes: {"80/tcp": {}}) */
  K_INT,
  K_BOOL,
  K_OBJECT,  /* sub-fields in `sub` */
  K_OBJECTS, /* an array of objects, each with the sub-fields in `sub` */
};

struct field
{
  const char *name;
  enum kind kind;
  const struct field *sub; /* K_OBJECT, K_OBJECTS; terminated by a NULL name */
};

static const struct field healthcheck_fields[] = {
  { "Test", K_STRINGS, NULL },    { "Interval", K_INT, NULL },      { "Timeout", K_INT, NULL },
  { "StartPeriod", K_INT, NULL }, { "StartInterval", K_INT, NULL }, { "Retries", K_INT, NULL },
  { NULL, K_STRING, NULL },
};

/* what `capsa run`, `inspect` and `history` read, with docker's types */
static const struct field run_fields[] = {
  { "User", K_STRING, NULL },
  { "ExposedPorts", K_SET, NULL },
  { "Env", K_STRINGS, NULL },
  { "Entrypoint", K_STRINGS, NULL },
  { "Cmd", K_STRINGS, NULL },
  { "Volumes", K_SET, NULL },
  { "WorkingDir", K_STRING, NULL },
  { "Labels", K_STRING_MAP, NULL },
  { "StopSignal", K_STRING, NULL },
  { "ArgsEscaped", K_BOOL, NULL },
  { "OnBuild", K_STRINGS, NULL },
  { "Shell", K_STRINGS, NULL },
  { "Healthcheck", K_OBJECT, healthcheck_fields },
  { NULL, K_STRING, NULL },
};

static const struct field rootfs_fields[] = {
  { "type", K_STRING, NULL },
  { "diff_ids", K_STRINGS, NULL },
  { NULL, K_STRING, NULL },
};

static const struct field history_fields[] = {
  { "created", K_STRING, NULL }, { "created_by", K_STRING, NULL }, { "author", K_STRING, NULL },
  { "comment", K_STRING, NULL }, { "empty_layer", K_BOOL, NULL },  { NULL, K_STRING, NULL },
};

static const struct field config_fields[] = {
  { "created", K_STRING, NULL },      { "author", K_STRING, NULL },          { "architecture", K_STRING, NULL },
  { "os", K_STRING, NULL },           { "variant", K_STRING, NULL },         { "os.version", K_STRING, NULL },
  { "config", K_OBJECT, run_fields }, { "rootfs", K_OBJECT, rootfs_fields }, { "history", K_OBJECTS, history_fields },
  { NULL, K_STRING, NULL },
};

static int check_fields (json_t *o, const struct field *fields, const char *what, const char *prefix, capsa_err **err);

static int
check_members (json_t *v, enum kind kind, const char *what, const char *path, capsa_err **err)
{
  const char *key;
  json_t *m;
  char p[256];
  json_object_foreach (v, key, m)
  {
    pathf (p, sizeof p, "%s[\"%.64s\"]", path, key);
    if (kind == K_STRING_MAP && !json_is_string (m))
      return wrong_type (err, what, p, m, "a string");
    if (kind == K_SET && !json_is_object (m))
      return wrong_type (err, what, p, m, "an object");
  }
  return 0;
}

static int
check_elements (json_t *v, const struct field *f, const char *what, const char *path, capsa_err **err)
{
  size_t i;
  json_t *e;
  char p[256];
  json_array_foreach (v, i, e)
  {
    pathf (p, sizeof p, "%s[%zu]", path, i);
    if (f->kind == K_STRINGS && !json_is_string (e))
      return wrong_type (err, what, p, e, "a string");
    if (f->kind == K_OBJECTS && !json_is_object (e))
      return wrong_type (err, what, p, e, "an object");
    if (f->kind == K_OBJECTS && check_fields (e, f->sub, what, p, err) < 0)
      return -1;
  }
  return 0;
}

/* One value against its field; JSON null is the same as absent. */
static int
check_value (json_t *v, const struct field *f, const char *what, const char *path, capsa_err **err)
{
  if (json_is_null (v))
    return 0;
  switch (f->kind)
    {
    case K_STRING:
      return json_is_string (v) ? 0 : wrong_type (err, what, path, v, "a string");
    case K_INT:
      return json_is_integer (v) ? 0 : wrong_type (err, what, path, v, "an integer");
    case K_BOOL:
      return json_is_boolean (v) ? 0 : wrong_type (err, what, path, v, "a boolean");
    case K_STRINGS:
    case K_OBJECTS:
      if (!json_is_array (v))
        return wrong_type (err, what, path, v, "an array");
      return check_elements (v, f, what, path, err);
    case K_STRING_MAP:
    case K_SET:
      if (!json_is_object (v))
        return wrong_type (err, what, path, v, "an object");
      return check_members (v, f->kind, what, path, err);
    case K_OBJECT:
    default:
      if (!json_is_object (v))
        return wrong_type (err, what, path, v, "an object");
      return check_fields (v, f->sub, what, path, err);
    }
}

static int
check_fields (json_t *o, const struct field *fields, const char *what, const char *prefix, capsa_err **err)
{
  char p[256];
  for (const struct field *f = fields; f->name; f++)
    {
      json_t *v = json_object_get (o, f->name);
      sub_path (p, sizeof p, prefix, f->name);
      if (v && check_value (v, f, what, p, err) < 0)
        return -1;
    }
  return 0;
}

/* ---- image configs ------------------------------------------------------------------------- */

int
capsa_image_config_check (json_t *cfg, const char *what, capsa_err **err)
{
  if (!json_is_object (cfg))
    return wrong_type (err, what, "the document", cfg, "an object");
  if (check_fields (cfg, config_fields, what, "", err) < 0)
    return -1;
  json_t *rootfs = json_object_get (cfg, "rootfs");
  const char *type = json_string_value (json_object_get (rootfs, "type"));
  if (!json_is_object (rootfs) || !json_is_array (json_object_get (rootfs, "diff_ids")))
    return capsa_fail_as (err, EINVAL, "%s: no rootfs.diff_ids (not an image config)", what);
  if (type == NULL || strcmp (type, "layers") != 0)
    return capsa_fail_as (err, EINVAL, "%s: rootfs.type is `%s`, not `layers`", what, type ? type : "");
  size_t i;
  json_t *d;
  json_array_foreach (json_object_get (rootfs, "diff_ids"), i, d) if (
      !capsa_digest_valid (json_string_value (
          d))) return capsa_fail_as (err, EINVAL, "%s: rootfs.diff_ids[%zu] `%.80s` is not a sha256 digest", what, i,
                                     json_string_value (d));
  return 0;
}

static json_t *
load_json (const char *buf, size_t len, const char *what, capsa_err **err)
{
  json_error_t je;
  json_t *j = json_loadb (buf, len, JSON_REJECT_DUPLICATES, &je);
  if (j == NULL)
    capsa_fail_as (err, EINVAL, "%s: invalid JSON: %s (line %d)", what, je.text, je.line);
  return j;
}

int
capsa_image_config_parse (const char *buf, size_t len, const char *what, struct capsa_image_config *out,
                          capsa_err **err)
{
  memset (out, 0, sizeof *out);
  if (len > CAPSA_IMAGE_CONFIG_MAX)
    return capsa_fail_as (err, EFBIG, "%s: %zu bytes, over the %u MiB limit for an image config: refused", what, len,
                          CAPSA_IMAGE_CONFIG_MAX >> 20);
  json_t *j = load_json (buf, len, what, err);
  if (j == NULL)
    return -1;
  if (capsa_image_config_check (j, what, err) < 0)
    {
      json_decref (j);
      return -1;
    }
  out->raw = j;
  out->created = json_string_value (json_object_get (j, "created"));
  json_t *ids = json_object_get (json_object_get (j, "rootfs"), "diff_ids");
  out->n_diff_ids = json_array_size (ids);
  out->diff_ids = xmalloc0 ((out->n_diff_ids + 1) * sizeof *out->diff_ids);
  for (size_t i = 0; i < out->n_diff_ids; i++)
    out->diff_ids[i] = json_string_value (json_array_get (ids, i));
  return 0;
}

void
capsa_image_config_free (struct capsa_image_config *c)
{
  if (c->raw)
    json_decref (c->raw);
  free (c->diff_ids);
  memset (c, 0, sizeof *c);
}

/* ---- manifests and indexes ------------------------------------------------------------------ */

bool
capsa_layer_media_type_ok (const char *mt)
{
  static const char *ok[] = {
    CAPSA_MT_OCI_LAYER,
    CAPSA_MT_OCI_LAYER_GZIP,
    CAPSA_MT_OCI_LAYER_ZSTD,
    CAPSA_MT_DOCKER_LAYER,
    "application/vnd.docker.image.rootfs.diff.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
    "application/vnd.oci.image.layer.nondistributable.v1.tar+zstd",
    "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  };
  if (mt == NULL)
    return false;
  for (size_t i = 0; i < ARRAY_SIZE (ok); i++)
    if (strcmp (mt, ok[i]) == 0)
      return true;
  return false;
}

static bool
is_config_type (const char *mt)
{
  return strcmp (mt, CAPSA_MT_OCI_CONFIG) == 0 || strcmp (mt, CAPSA_MT_DOCKER_CONFIG) == 0;
}

static bool
is_index_type (const char *mt)
{
  return mt && (strcmp (mt, CAPSA_MT_OCI_INDEX) == 0 || strcmp (mt, CAPSA_MT_DOCKER_LIST) == 0);
}

static bool
is_manifest_type (const char *mt)
{
  return mt && (strcmp (mt, CAPSA_MT_OCI_MANIFEST) == 0 || strcmp (mt, CAPSA_MT_DOCKER_MANIFEST) == 0);
}

/* An optional string member: NULL when absent or null, -1 when of another type. */
static int
opt_string (json_t *o, const char *key, const char *what, const char *prefix, const char **out, capsa_err **err)
{
  json_t *v = json_object_get (o, key);
  char p[256];
  *out = json_string_value (v);
  if (v == NULL || json_is_null (v) || json_is_string (v))
    return 0;
  sub_path (p, sizeof p, prefix, key);
  return wrong_type (err, what, p, v, "a string");
}

static int
parse_platform (json_t *pl, const char *what, const char *path, struct capsa_descriptor *d, capsa_err **err)
{
  if (pl == NULL || json_is_null (pl))
    return 0;
  if (!json_is_object (pl))
    return wrong_type (err, what, path, pl, "an object");
  if (opt_string (pl, "os", what, path, &d->os, err) < 0
      || opt_string (pl, "architecture", what, path, &d->architecture, err) < 0
      || opt_string (pl, "variant", what, path, &d->variant, err) < 0)
    return -1;
  return 0;
}

/* A descriptor at `path`: digest and size required, mediaType a string when present. */
static int
parse_desc (json_t *o, const char *what, const char *path, struct capsa_descriptor *d, capsa_err **err)
{
  char p[256];
  memset (d, 0, sizeof *d);
  if (o == NULL)
    return capsa_fail_as (err, EINVAL, "%s: no %s", what, path);
  if (!json_is_object (o))
    return wrong_type (err, what, path, o, "an object (a descriptor)");
  if (opt_string (o, "mediaType", what, path, &d->media_type, err) < 0
      || opt_string (o, "digest", what, path, &d->digest, err) < 0)
    return -1;
  if (!capsa_digest_valid (d->digest))
    return capsa_fail_as (err, EINVAL, "%s: %s.digest `%.80s` is not a sha256 digest", what, path,
                          d->digest ? d->digest : "");
  json_t *size = json_object_get (o, "size");
  sub_path (p, sizeof p, path, "size");
  if (!json_is_integer (size))
    return size ? wrong_type (err, what, p, size, "an integer") : capsa_fail_as (err, EINVAL, "%s: no %s", what, p);
  d->size = json_integer_value (size);
  if (d->size < 0)
    return capsa_fail_as (err, EINVAL, "%s: %s is %" PRId64 ": refused (a size is never negative)", what, p, d->size);
  sub_path (p, sizeof p, path, "platform");
  return parse_platform (json_object_get (o, "platform"), what, p, d, err);
}

/* An array member of descriptors; *out owned by the caller. */
static int
parse_desc_array (json_t *doc, const char *key, const char *what, struct capsa_descriptor **out, size_t *n,
                  capsa_err **err)
{
  json_t *arr = json_object_get (doc, key);
  char p[64];
  if (!json_is_array (arr))
    return arr ? wrong_type (err, what, key, arr, "an array") : capsa_fail_as (err, EINVAL, "%s: no %s", what, key);
  *n = json_array_size (arr);
  *out = xmalloc0 ((*n + 1) * sizeof **out);
  for (size_t i = 0; i < *n; i++)
    {
      pathf (p, sizeof p, "%s[%zu]", key, i);
      if (parse_desc (json_array_get (arr, i), what, p, &(*out)[i], err) < 0)
        return -1;
    }
  return 0;
}

static int
parse_image_manifest (struct capsa_manifest *m, const char *what, capsa_err **err)
{
  if (parse_desc (json_object_get (m->raw, "config"), what, "config", &m->config, err) < 0)
    return -1;
  if (m->config.media_type == NULL || !is_config_type (m->config.media_type))
    return capsa_fail_as (err, ENOTSUP,
                          "%s: config.mediaType `%.100s` is not an image config (an artifact, not a "
                          "container image?)",
                          what, m->config.media_type ? m->config.media_type : "");
  if (m->config.size > (int64_t) CAPSA_IMAGE_CONFIG_MAX)
    return capsa_fail_as (err, EFBIG, "%s: config.size %" PRId64 " is over the %u MiB limit for an image config", what,
                          m->config.size, CAPSA_IMAGE_CONFIG_MAX >> 20);
  if (parse_desc_array (m->raw, "layers", what, &m->layers, &m->n_layers, err) < 0)
    return -1;
  for (size_t i = 0; i < m->n_layers; i++)
    if (!capsa_layer_media_type_ok (m->layers[i].media_type))
      return capsa_fail_as (err, ENOTSUP, "%s: layers[%zu].mediaType `%.100s` is not a layer capsa can unpack", what, i,
                            m->layers[i].media_type ? m->layers[i].media_type : "");
  return 0;
}

/* The media type: the document's, else the transport's, else what its members say. */
static int
pick_media_type (struct capsa_manifest *m, const char *content_type, const char *what, capsa_err **err)
{
  if (opt_string (m->raw, "mediaType", what, "", &m->media_type, err) < 0)
    return -1;
  bool ct_known = is_index_type (content_type) || is_manifest_type (content_type);
  if (m->media_type && !is_index_type (m->media_type) && !is_manifest_type (m->media_type))
    return capsa_fail_as (err, ENOTSUP, "%s: media type `%.100s` is not an image manifest or index", what,
                          m->media_type);
  if (m->media_type && ct_known && strcmp (m->media_type, content_type) != 0)
    return capsa_fail_as (err, EPROTO, "%s: served as `%s` but the document says it is `%s`: refused", what,
                          content_type, m->media_type);
  if (m->media_type == NULL && ct_known)
    m->media_type = content_type;
  if (m->media_type == NULL)
    /* the mediaType member was optional in early OCI documents */
    m->media_type = json_object_get (m->raw, "manifests") ? CAPSA_MT_OCI_INDEX : CAPSA_MT_OCI_MANIFEST;
  m->is_index = is_index_type (m->media_type);
  return 0;
}

static int
parse_manifest_doc (struct capsa_manifest *m, const char *content_type, const char *what, capsa_err **err)
{
  json_t *sv = json_object_get (m->raw, "schemaVersion");
  if (!json_is_object (m->raw))
    return wrong_type (err, what, "the document", m->raw, "an object");
  if (!json_is_integer (sv))
    return sv ? wrong_type (err, what, "schemaVersion", sv, "an integer")
              : capsa_fail_as (err, EINVAL, "%s: no schemaVersion (not an image manifest)", what);
  if (json_integer_value (sv) == 1)
    return capsa_fail_as (err, ENOTSUP,
                          "%s is a schema 1 manifest, which capsa does not support (push it again with a current "
                          "client)",
                          what);
  if (json_integer_value (sv) != 2)
    return capsa_fail_as (err, ENOTSUP, "%s: schemaVersion %" JSON_INTEGER_FORMAT " is not 2", what,
                          json_integer_value (sv));
  if (pick_media_type (m, content_type, what, err) < 0)
    return -1;
  if (m->is_index)
    return parse_desc_array (m->raw, "manifests", what, &m->manifests, &m->n_manifests, err);
  return parse_image_manifest (m, what, err);
}

int
capsa_manifest_parse (const char *buf, size_t len, const char *content_type, const char *what,
                      struct capsa_manifest *out, capsa_err **err)
{
  memset (out, 0, sizeof *out);
  if (len > CAPSA_MANIFEST_MAX)
    return capsa_fail_as (err, EFBIG, "%s: %zu bytes, over the %u MiB limit for a manifest: refused", what, len,
                          CAPSA_MANIFEST_MAX >> 20);
  out->raw = load_json (buf, len, what, err);
  if (out->raw == NULL)
    return -1;
  if (parse_manifest_doc (out, content_type, what, err) < 0)
    {
      capsa_manifest_free (out);
      return -1;
    }
  return 0;
}

void
capsa_manifest_free (struct capsa_manifest *m)
{
  if (m->raw)
    json_decref (m->raw);
  free (m->layers);
  free (m->manifests);
  memset (m, 0, sizeof *m);
}

/* ---- platforms ------------------------------------------------------------------------------ */

const char *
capsa_host_arch (const char **variant)
{
  static struct utsname u;
  if (variant)
    *variant = NULL;
  uname (&u);
  if (strcmp (u.machine, "x86_64") == 0)
    return "amd64";
  if (strcmp (u.machine, "aarch64") == 0)
    {
      if (variant)
        *variant = "v8";
      return "arm64";
    }
  if (strncmp (u.machine, "armv7", 5) == 0)
    {
      if (variant)
        *variant = "v7";
      return "arm";
    }
  if (strcmp (u.machine, "i686") == 0 || strcmp (u.machine, "i386") == 0)
    return "386";
  return u.machine;
}

const struct capsa_descriptor *
capsa_manifest_pick_platform (const struct capsa_manifest *m, const char *what, capsa_err **err)
{
  return capsa_manifest_pick_for (m, NULL, what, err);
}

const struct capsa_descriptor *
capsa_manifest_pick_for (const struct capsa_manifest *m, const char *platform, const char *what, capsa_err **err)
{
  const char *variant, *arch = capsa_host_arch (&variant), *os = "linux";
  const struct capsa_descriptor *best = NULL;
  cleanup_free char *want = platform ? xstrdup (platform) : NULL;
  if (want)
    {
      char *a = strchr (want, '/'), *v = a ? strchr (a + 1, '/') : NULL;
      if (a == NULL)
        return capsa_fail_as (err, EINVAL, "platform `%s`: expected OS/ARCH[/VARIANT]", platform), NULL;
      *a++ = '\0';
      if (v)
        *v++ = '\0';
      os = want, arch = a, variant = v;
    }

  for (size_t i = 0; i < m->n_manifests; i++)
    {
      const struct capsa_descriptor *d = &m->manifests[i];
      if (d->os == NULL || d->architecture == NULL || strcmp (d->os, os) != 0 || strcmp (d->architecture, arch) != 0)
        continue;
      if (variant && d->variant && strcmp (variant, d->variant) != 0)
        continue;
      if (best == NULL || (variant && d->variant))
        best = d;
    }
  if (best == NULL)
    capsa_fail_as (err, ENOENT, "%s: no image for %s platform (%s/%s%s%s) in its index", what,
                   platform ? "the requested" : "this", os, arch, variant ? "/" : "", variant ? variant : "");
  return best;
}
