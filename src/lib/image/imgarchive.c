/* capsa load / save: see imgarchive.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/mman.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>
#include <jansson.h>

#include "imgarchive.h"
#include "fsops.h"
#include "image.h"
#include "layer.h"
#include "reference.h"
#include "resolve_in_root.h"
#include "jsonutil.h"
#include "util.h"

/* --- load ---------------------------------------------------------------------------------- */

/* Read a file named inside the layout (symlinks resolved inside it). */
static int
layout_read (int layoutfd, const char *name, char **buf, size_t *len, capsa_err **err)
{
  cleanup_close int fd = rootpath_open (layoutfd, name, O_RDONLY, err);
  if (fd < 0)
    return -1;
  /* read_file_at cannot take "" as a path: through /proc/self/fd */
  cleanup_free char *p = xasprintf ("/proc/self/fd/%d", fd);
  if (read_file_at (AT_FDCWD, p, buf, len, err) < 0)
    return capsa_err_wrap (err, "read `%s`", name);
  return 0;
}

/* Read a JSON file named inside the layout. */
static int
layout_json (int layoutfd, const char *name, json_t **out, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  json_error_t je;
  size_t len;
  if (layout_read (layoutfd, name, &buf, &len, err) < 0)
    return -1;
  *out = json_loadb (buf, len, 0, &je);
  if (*out == NULL)
    return capsa_fail_as (err, EINVAL, "`%s`: invalid JSON: %s (line %d)", name, je.text, je.line);
  return 0;
}

/* Copy blob `digest` of an OCI layout into the store, checking its digest. */
static int
load_layout_blob (struct capsa_store *s, int layoutfd, const char *digest, capsa_err **err)
{
  if (!capsa_digest_valid (digest))
    return capsa_fail_as (err, EINVAL, "invalid digest `%s` in the layout", digest ? digest : "");
  if (capsa_store_has_blob (s, digest))
    return 0;
  cleanup_free char *name = xasprintf ("blobs/sha256/%s", capsa_digest_hex (digest));
  cleanup_close int fd = rootpath_open (layoutfd, name, O_RDONLY, err);
  if (fd < 0)
    return -1;
  if (capsa_store_put_blob_fd (s, fd, digest, NULL, err) < 0)
    return capsa_err_wrap (err, "blob %s", digest);
  return 0;
}

/* A loaded image's line for `capsa load`, and docker's load event. */
static void
add_loaded (struct capsa_store *s, char ***loaded, const char *name, const char *id, const char *default_registry)
{
  capsa_image_event (s, "load", id, id, id);
  if (name)
    {
      cleanup_free char *fam = capsa_ref_familiar (name, default_registry);
      cleanup_free char *line = xasprintf ("Loaded image: %s", fam);
      strv_append (loaded, line);
    }
  else
    {
      cleanup_free char *line = xasprintf ("Loaded image ID: %s", id);
      strv_append (loaded, line);
    }
}

/* The full name an OCI descriptor's annotations give, or NULL. */
static char *
oci_name (json_t *desc, const char *default_registry)
{
  json_t *ann = json_object_get (desc, "annotations");
  const char *n = jstr (ann, "io.containerd.image.name");
  cleanup_err capsa_err *ignored = NULL;
  struct capsa_ref r;
  if (n == NULL)
    {
      n = jstr (ann, "org.opencontainers.image.ref.name");
      /* a bare tag ("latest") names no repository */
      if (n == NULL || strchr (n, '/') == NULL)
        return NULL;
    }
  if (capsa_ref_parse (n, default_registry, &r, &ignored) < 0 || r.tag == NULL)
    {
      capsa_ref_free (&r);
      return NULL;
    }
  char *full = capsa_ref_string (&r);
  capsa_ref_free (&r);
  return full;
}

/* The image manifest an index.json entry names (this platform's, when it names an index), with
 * its config and layer blobs copied into the store. */
static int
load_oci_manifest (struct capsa_store *s, int layoutfd, const struct capsa_descriptor *desc, char *digest,
                   capsa_err **err)
{
  cleanup_manifest struct capsa_manifest sub = { 0 }, m = { 0 };
  const struct capsa_descriptor *d = desc;

  if (load_layout_blob (s, layoutfd, d->digest, err) < 0)
    return -1;
  if (d->media_type
      && (strcmp (d->media_type, CAPSA_MT_OCI_INDEX) == 0 || strcmp (d->media_type, CAPSA_MT_DOCKER_LIST) == 0))
    {
      if (capsa_manifest_load (s, d->digest, d->media_type, &sub, err) < 0
          || (d = capsa_manifest_pick_platform (&sub, desc->digest, err)) == NULL
          || load_layout_blob (s, layoutfd, d->digest, err) < 0)
        return -1;
    }
  if (capsa_manifest_load (s, d->digest, d->media_type, &m, err) < 0)
    return -1;
  if (m.is_index)
    return capsa_fail_as (err, EINVAL, "manifest %s: a nested index: not supported", d->digest);
  if (load_layout_blob (s, layoutfd, m.config.digest, err) < 0)
    return -1;
  for (size_t j = 0; j < m.n_layers; j++)
    if (load_layout_blob (s, layoutfd, m.layers[j].digest, err) < 0)
      return -1;
  snprintf (digest, CAPSA_DIGEST_LEN + 1, "%s", d->digest);
  return 0;
}

static int
load_oci (struct capsa_store *s, int layoutfd, const char *default_registry, char ***loaded, capsa_err **err)
{
  cleanup_manifest struct capsa_manifest index = { 0 };
  cleanup_free char *buf = NULL;
  size_t len;

  if (layout_read (layoutfd, "index.json", &buf, &len, err) < 0
      || capsa_manifest_parse (buf, len, NULL, "`index.json`", &index, err) < 0)
    return -1;
  if (!index.is_index)
    return capsa_fail_as (err, EINVAL, "`index.json` is not an image index");
  for (size_t i = 0; i < index.n_manifests; i++)
    {
      json_t *desc = json_array_get (json_object_get (index.raw, "manifests"), i);
      cleanup_free char *name = oci_name (desc, default_registry);
      char digest[CAPSA_DIGEST_LEN + 1], id[CAPSA_DIGEST_LEN + 1];

      if (load_oci_manifest (s, layoutfd, &index.manifests[i], digest, err) < 0)
        return -1;
      if (capsa_image_register (s, digest, name, NULL, id, err) < 0)
        return -1;
      add_loaded (s, loaded, name, id, default_registry);
    }
  return 0;
}

static const char *
layer_media_type (int fd)
{
  unsigned char magic[4] = { 0 };
  ssize_t n = pread (fd, magic, sizeof magic, 0);
  if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b)
    return CAPSA_MT_OCI_LAYER_GZIP;
  if (n == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd)
    return CAPSA_MT_OCI_LAYER_ZSTD;
  return CAPSA_MT_OCI_LAYER;
}

static int
load_docker_one (struct capsa_store *s, int layoutfd, json_t *entry, const char *default_registry, char ***loaded,
                 capsa_err **err)
{
  char cdigest[CAPSA_DIGEST_LEN + 1], mdigest[CAPSA_DIGEST_LEN + 1], id[CAPSA_DIGEST_LEN + 1];
  const char *cpath = jstr (entry, "Config");
  cleanup_json json_t *layers = json_array ();
  json_t *l, *t;
  size_t i;
  struct stat st;

  if (cpath == NULL)
    return capsa_fail_as (err, EINVAL, "manifest.json: an entry without \"Config\" (a path)");
  if (!json_is_array (json_object_get (entry, "Layers")))
    return capsa_fail_as (err, EINVAL, "manifest.json: an entry without a \"Layers\" array");
  if ((t = json_object_get (entry, "RepoTags")) && !json_is_null (t) && !json_is_array (t))
    return capsa_fail_as (err, EINVAL, "manifest.json: \"RepoTags\" is not an array");
  {
    cleanup_close int fd = rootpath_open (layoutfd, cpath, O_RDONLY, err);
    if (fd < 0 || fstat (fd, &st) < 0 || capsa_store_put_blob_fd (s, fd, NULL, cdigest, err) < 0)
      return -1;
  }
  json_int_t csize = (json_int_t) st.st_size;
  json_array_foreach (json_object_get (entry, "Layers"), i, l)
  {
    char ldigest[CAPSA_DIGEST_LEN + 1];
    const char *lpath = json_string_value (l);
    if (lpath == NULL)
      return capsa_fail_as (err, EINVAL, "manifest.json: Layers[%zu] is not a path", i);
    cleanup_close int fd = rootpath_open (layoutfd, lpath, O_RDONLY, err);
    if (fd < 0 || fstat (fd, &st) < 0)
      return -1;
    const char *mt = layer_media_type (fd);
    if (capsa_store_put_blob_fd (s, fd, NULL, ldigest, err) < 0)
      return capsa_err_wrap (err, "layer `%s`", lpath);
    json_array_append_new (
        layers, json_pack ("{s:s, s:s, s:I}", "mediaType", mt, "digest", ldigest, "size", (json_int_t) st.st_size));
  }
  cleanup_json json_t *m = json_pack ("{s:i, s:s, s:{s:s, s:s, s:I}, s:O}", "schemaVersion", 2, "mediaType",
                                      CAPSA_MT_OCI_MANIFEST, "config", "mediaType", CAPSA_MT_OCI_CONFIG, "digest",
                                      cdigest, "size", csize, "layers", layers);
  cleanup_free char *mbuf = json_dumps (m, JSON_COMPACT);
  if (capsa_store_put_blob (s, mbuf, strlen (mbuf), mdigest, err) < 0)
    return -1;
  json_t *tags = json_object_get (entry, "RepoTags");
  if (json_array_size (tags) == 0)
    {
      if (capsa_image_register (s, mdigest, NULL, NULL, id, err) < 0)
        return -1;
      add_loaded (s, loaded, NULL, id, default_registry);
    }
  json_array_foreach (tags, i, t)
  {
    struct capsa_ref r;
    if (!json_is_string (t))
      return capsa_fail_as (err, EINVAL, "manifest.json: RepoTags[%zu] is not a string", i);
    if (capsa_ref_parse (json_string_value (t), default_registry, &r, err) < 0)
      return capsa_err_wrap (err, "manifest.json: RepoTags[%zu]", i);
    cleanup_free char *full = capsa_ref_string (&r);
    capsa_ref_free (&r);
    if (capsa_image_register (s, mdigest, full, NULL, id, err) < 0)
      return -1;
    add_loaded (s, loaded, full, id, default_registry);
  }
  return 0;
}

static int
load_docker (struct capsa_store *s, int layoutfd, const char *default_registry, char ***loaded, capsa_err **err)
{
  cleanup_json json_t *manifest = NULL;
  json_t *entry;
  size_t i;

  if (layout_json (layoutfd, "manifest.json", &manifest, err) < 0)
    return -1;
  if (!json_is_array (manifest))
    return capsa_fail_as (err, EINVAL, "manifest.json is not a list");
  json_array_foreach (manifest, i,
                      entry) if (load_docker_one (s, layoutfd, entry, default_registry, loaded, err) < 0) return -1;
  return 0;
}

static int
extract_archive (const char *path, const char *dir, capsa_err **err)
{
  static const struct capsa_layer_opts plain = { .whiteouts = false };
  struct capsa_layer_result res;
  cleanup_close int in = strcmp (path, "-") == 0 ? fcntl (0, F_DUPFD_CLOEXEC, 3) : open (path, O_RDONLY | O_CLOEXEC);
  if (in < 0)
    return capsa_fail (err, errno, "open `%s`", path);
  cleanup_close int dfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return capsa_fail (err, errno, "open `%s`", dir);
  return capsa_layer_apply (in, dfd, &plain, &res, err);
}

int
capsa_image_load (struct capsa_store *s, const char *path, const char *default_registry, char ***loaded,
                  capsa_err **err)
{
  cleanup_free char *tmp = NULL;
  cleanup_close int layoutfd = -1;
  cleanup_err capsa_err *ignored = NULL;
  struct stat st;
  int r, lockfd = -1;

  if (capsa_store_lock_gc (s, false, err) < 0)
    return -1;
  capsa_store_clean_tmp (s, NULL, &ignored); /* best effort: what killed transfers left */
  bool from_stdin = strcmp (path, "-") == 0;
  if (!from_stdin && stat (path, &st) < 0)
    return capsa_fail (err, errno, "load `%s`", path);
  if (!from_stdin && S_ISDIR (st.st_mode))
    layoutfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  else
    {
      tmp = capsa_store_mkdtemp_locked (s, "load", &lockfd, err);
      if (tmp == NULL)
        return -1;
      if (extract_archive (path, tmp, err) < 0)
        {
          capsa_store_tmp_release (s, tmp, lockfd);
          return capsa_err_wrap (err, "load `%s`", path);
        }
      layoutfd = open (tmp, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    }
  if (layoutfd < 0)
    {
      int e = errno;
      capsa_store_tmp_release (s, tmp, lockfd);
      return capsa_fail (err, e, "load `%s`", path);
    }
  if (faccessat (layoutfd, "manifest.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    r = load_docker (s, layoutfd, default_registry, loaded, err);
  else if (faccessat (layoutfd, "index.json", F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    r = load_oci (s, layoutfd, default_registry, loaded, err);
  else
    r = capsa_fail_as (err, EINVAL,
                       "neither manifest.json (docker-archive) nor index.json (OCI layout) found: not an image "
                       "archive");
  if (tmp)
    capsa_store_tmp_release (s, tmp, lockfd);
  if (r < 0)
    return capsa_err_wrap (err, "load `%s`", path);
  return 0;
}

/* --- save ---------------------------------------------------------------------------------- */

struct out
{
  struct archive *tar; /* a tar, or NULL for a directory */
  int dirfd;
  json_t *written; /* names already written */
};

static int
out_add_fd (struct out *o, const char *name, int fd, capsa_err **err)
{
  struct stat st;
  char buf[65536];

  if (json_object_get (o->written, name))
    return 0;
  json_object_set_new (o->written, name, json_true ());
  if (fstat (fd, &st) < 0 || lseek (fd, 0, SEEK_SET) < 0)
    return capsa_fail (err, errno, "save `%s`", name);
  cleanup_close int dst = -1;
  if (o->tar)
    {
      struct archive_entry *e = archive_entry_new ();
      archive_entry_set_pathname (e, name);
      archive_entry_set_filetype (e, AE_IFREG);
      archive_entry_set_perm (e, 0644);
      archive_entry_set_size (e, st.st_size);
      archive_entry_set_mtime (e, 0, 0);
      int r = archive_write_header (o->tar, e);
      archive_entry_free (e);
      if (r != ARCHIVE_OK)
        return capsa_fail_as (err, EIO, "save `%s`: %s", name, archive_error_string (o->tar));
    }
  else
    {
      dst = openat (o->dirfd, name, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
      if (dst < 0)
        return capsa_fail (err, errno, "save `%s`", name);
    }
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return capsa_fail (err, errno, "save `%s`: read", name);
      if (n == 0)
        return 0;
      if (o->tar ? archive_write_data (o->tar, buf, (size_t) n) != n : write_all (dst, buf, (size_t) n) < 0)
        return capsa_fail_as (err, EIO, "save `%s`: write failed", name);
    }
}

static int
out_add_buf (struct out *o, const char *name, const char *buf, capsa_err **err)
{
  cleanup_close int fd = memfd_create ("capsa-save", MFD_CLOEXEC);
  if (fd < 0 || write_all (fd, buf, strlen (buf)) < 0)
    return capsa_fail (err, errno, "save `%s`", name);
  json_object_del (o->written, name);
  return out_add_fd (o, name, fd, err);
}

static int
out_add_blob (struct out *o, struct capsa_store *s, const char *digest, capsa_err **err)
{
  cleanup_close int fd = capsa_store_open_blob (s, digest, err);
  cleanup_free char *name = xasprintf ("blobs/sha256/%s", capsa_digest_hex (digest));
  if (fd < 0)
    return -1;
  return out_add_fd (o, name, fd, err);
}

static int
sink_fd (void *data, const void *buf, size_t len, capsa_err **err)
{
  if (write_all (*(int *) data, buf, len) < 0)
    return capsa_fail (err, errno, "write");
  return 0;
}

/* docker-archive: CONFIGHEX.json, DIFFIDHEX/layer.tar (uncompressed), manifest.json. */
static int
save_docker_image (struct out *o, struct capsa_store *s, json_t *img, json_t *names, const char *default_registry,
                   json_t *manifest, capsa_err **err)
{
  const char *id = jstr (img, "id");
  cleanup_manifest struct capsa_manifest m = { 0 };
  cleanup_image_config struct capsa_image_config config = { 0 };
  json_t *layers = json_array (), *tags = json_array (), *n;
  size_t i;

  if (!capsa_digest_valid (id))
    return capsa_fail_as (err, EINVAL, "the image index has an entry without a valid id");
  cleanup_free char *cname = xasprintf ("%s.json", capsa_digest_hex (id));
  json_array_append_new (manifest, json_pack ("{s:s, s:o, s:o}", "Config", cname, "RepoTags", tags, "Layers", layers));
  if (capsa_manifest_load (s, jstr (img, "manifest") ?: "", jstr (img, "mediaType"), &m, err) < 0
      || capsa_image_config_load (s, id, NULL, &config, err) < 0)
    return -1;
  if (m.is_index || m.n_layers != config.n_diff_ids)
    return capsa_fail_as (err, EINVAL, "image %s: its manifest and config do not agree on the layers", id);
  {
    cleanup_close int fd = capsa_store_open_blob (s, id, err);
    if (fd < 0 || out_add_fd (o, cname, fd, err) < 0)
      return -1;
  }
  json_array_foreach (names, i, n)
  {
    cleanup_free char *fam = capsa_ref_familiar (json_string_value (n), default_registry);
    json_array_append_new (tags, json_string (fam));
  }
  for (i = 0; i < m.n_layers; i++)
    {
      cleanup_free char *lname = xasprintf ("%s/layer.tar", capsa_digest_hex (config.diff_ids[i]));
      json_array_append_new (layers, json_string (lname));
      if (json_object_get (o->written, lname))
        continue;
      cleanup_close int blob = capsa_store_open_blob (s, m.layers[i].digest, err);
      if (blob < 0)
        return -1;
      cleanup_close int tmp = memfd_create ("capsa-layer", MFD_CLOEXEC);
      if (tmp < 0)
        return capsa_fail (err, errno, "memfd");
      if (capsa_layer_decompress (blob, sink_fd, &tmp, err) < 0 || out_add_fd (o, lname, tmp, err) < 0)
        return -1;
    }
  return 0;
}

static int
save_oci_image (struct out *o, struct capsa_store *s, json_t *img, json_t *names, json_t *index_list, capsa_err **err)
{
  cleanup_manifest struct capsa_manifest m = { 0 };
  const char *md = jstr (img, "manifest");
  json_t *n;
  size_t i;
  struct stat st;

  if (capsa_manifest_load (s, md ?: "", jstr (img, "mediaType"), &m, err) < 0)
    return -1;
  if (m.is_index)
    return capsa_fail_as (err, EINVAL, "manifest %s: an index, not an image manifest", md);
  if (out_add_blob (o, s, md, err) < 0 || out_add_blob (o, s, m.config.digest, err) < 0)
    return -1;
  for (i = 0; i < m.n_layers; i++)
    if (out_add_blob (o, s, m.layers[i].digest, err) < 0)
      return -1;
  cleanup_close int fd = capsa_store_open_blob (s, md, err);
  if (fd < 0 || fstat (fd, &st) < 0)
    return -1;
  const char *mt = m.media_type;
  if (json_array_size (names) == 0)
    json_array_append_new (
        index_list, json_pack ("{s:s, s:s, s:I}", "mediaType", mt, "digest", md, "size", (json_int_t) st.st_size));
  json_array_foreach (names, i, n)
  {
    const char *full = json_string_value (n);
    const char *colon = strrchr (full, ':');
    json_array_append_new (index_list,
                           json_pack ("{s:s, s:s, s:I, s:{s:s, s:s}}", "mediaType", mt, "digest", md, "size",
                                      (json_int_t) st.st_size, "annotations", "io.containerd.image.name", full,
                                      "org.opencontainers.image.ref.name", colon ? colon + 1 : "latest"));
  }
  return 0;
}

static int
open_output (struct out *o, enum capsa_archive_format format, const char *path, int *fd, capsa_err **err)
{
  if (format == CAPSA_ARCHIVE_OCI_DIR)
    {
      if (strcmp (path, "-") == 0)
        return capsa_fail_as (err, EINVAL, "an OCI layout is a directory: give its path, not `-`");
      if (mkdir_p (path, 0755, err) < 0)
        return -1;
      o->dirfd = open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (o->dirfd < 0)
        return capsa_fail (err, errno, "open `%s`", path);
      if ((mkdirat (o->dirfd, "blobs", 0755) < 0 && errno != EEXIST)
          || (mkdirat (o->dirfd, "blobs/sha256", 0755) < 0 && errno != EEXIST))
        return capsa_fail (err, errno, "mkdir `%s/blobs/sha256`", path);
      return 0;
    }
  *fd = strcmp (path, "-") == 0 ? fcntl (1, F_DUPFD_CLOEXEC, 3)
                                : open (path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (*fd < 0)
    return capsa_fail (err, errno, "create `%s`", path);
  o->tar = archive_write_new ();
  archive_write_set_format_pax_restricted (o->tar);
  archive_write_set_bytes_in_last_block (o->tar, 1);
  if (archive_write_open_fd (o->tar, *fd) != ARCHIVE_OK)
    return capsa_fail_as (err, EIO, "write `%s`: %s", path, archive_error_string (o->tar));
  return 0;
}

/* The name `what` gave `img` by, or NULL when it named it by id.  As `docker save`: the archive
   tags an image with the names asked for only, none for an id, not every tag the image has. */
static char *
asked_name (json_t *img, const char *what, const char *default_registry)
{
  struct capsa_ref r;
  cleanup_err capsa_err *ignored = NULL;
  char *full = NULL;

  if (capsa_ref_parse (what, default_registry, &r, &ignored) < 0)
    return NULL;
  if (r.tag && r.digest == NULL)
    full = capsa_ref_string (&r);
  capsa_ref_free (&r);
  if (full && !json_strarray_has (json_object_get (img, "names"), full))
    {
      free (full);
      full = NULL;
    }
  return full;
}

static int
save_all (struct out *o, struct capsa_store *s, json_t *idx, char *const *images, const char *default_registry,
          enum capsa_archive_format format, capsa_err **err)
{
  cleanup_json json_t *list = json_array ();
  cleanup_json json_t *order = json_array ();  /* the images, each once, in the order asked */
  cleanup_json json_t *names = json_object (); /* id -> the names asked for it */
  json_t *img;
  size_t i;

  for (char *const *im = images; *im; im++)
    {
      if ((img = capsa_image_find (idx, *im, default_registry, err)) == NULL)
        return -1;
      json_t *mine = json_object_get (names, jstr (img, "id"));
      if (mine == NULL)
        {
          json_object_set_new (names, jstr (img, "id"), mine = json_array ());
          json_array_append (order, img);
        }
      cleanup_free char *full = asked_name (img, *im, default_registry);
      if (full && !json_strarray_has (mine, full))
        json_array_append_new (mine, json_string (full));
    }
  json_array_foreach (order, i, img)
  {
    json_t *mine = json_object_get (names, jstr (img, "id"));
    if (format == CAPSA_ARCHIVE_DOCKER ? save_docker_image (o, s, img, mine, default_registry, list, err)
                                       : save_oci_image (o, s, img, mine, list, err))
      return -1;
    capsa_image_event (s, "save", jstr (img, "id"), jstr (img, "id"), jstr (img, "id"));
  }
  if (format == CAPSA_ARCHIVE_DOCKER)
    {
      cleanup_free char *buf = json_dumps (list, JSON_COMPACT);
      return out_add_buf (o, "manifest.json", buf, err);
    }
  cleanup_json json_t *index = NULL;
  cleanup_err capsa_err *ignored = NULL;
  /* adding to an existing layout keeps what it had */
  if (o->tar == NULL && layout_json (o->dirfd, "index.json", &index, &ignored) == 0
      && json_is_array (json_object_get (index, "manifests")))
    json_array_extend (json_object_get (index, "manifests"), list);
  else
    {
      if (index)
        json_decref (index);
      index = json_pack ("{s:i, s:s, s:O}", "schemaVersion", 2, "mediaType", CAPSA_MT_OCI_INDEX, "manifests", list);
    }
  cleanup_free char *buf = json_dumps (index, JSON_COMPACT);
  if (out_add_buf (o, "oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}", err) < 0)
    return -1;
  return out_add_buf (o, "index.json", buf, err);
}

int
capsa_image_save (struct capsa_store *s, char *const *images, const char *default_registry,
                  enum capsa_archive_format format, const char *path, capsa_err **err)
{
  cleanup_json json_t *idx = NULL;
  struct out o = { .dirfd = -1, .written = json_object () };
  cleanup_close int fd = -1;
  int r;

  if (images == NULL || *images == NULL)
    return capsa_fail_as (err, EINVAL, "save: no image given");
  if (capsa_index_read (s, &idx, err) < 0)
    return -1;
  r = open_output (&o, format, path, &fd, err);
  if (r == 0)
    r = save_all (&o, s, idx, images, default_registry, format, err);
  if (o.tar)
    {
      if (r == 0 && archive_write_close (o.tar) != ARCHIVE_OK)
        r = capsa_fail_as (err, EIO, "write `%s`: %s", path, archive_error_string (o.tar));
      archive_write_free (o.tar);
    }
  if (o.dirfd >= 0)
    close (o.dirfd);
  json_decref (o.written);
  if (r < 0 && fd >= 0 && strcmp (path, "-") != 0)
    unlink (path);
  return r < 0 ? capsa_err_wrap (err, "save to `%s`", path) : 0;
}
