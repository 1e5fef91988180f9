/* capsa import: see import.h. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "image.h"
#include "import.h"
#include "layer.h"
#include "jsonutil.h"
#include "util.h"

/* Where the tar goes: a blob writer, or an fd (libarchive's own fd writer says only "Write
 * error", so this one keeps the errno and the path for the message). */
struct tar_sink
{
  int fd;
  struct capsa_blob_writer *blob; /* when not NULL, instead of fd */
  const char *name;
  int errnum; /* of the first failed write, 0 when none */
};

static la_ssize_t
tar_sink_write (struct archive *a, void *data, const void *buf, size_t n)
{
  struct tar_sink *t = data;
  cleanup_err capsa_err *e = NULL;
  int r = t->blob ? capsa_blob_writer_write (t->blob, buf, n, &e) : write_all (t->fd, buf, n);
  if (r < 0)
    {
      t->errnum = e ? e->errnum : errno;
      archive_set_error (a, t->errnum, "write `%s`", t->name);
      return -1;
    }
  return (la_ssize_t) n;
}

/* archive_fail, or the write's own error when the sink failed. */
static int
tar_fail (capsa_err **err, struct archive *a, const struct tar_sink *t, const char *what)
{
  if (t->errnum)
    return capsa_fail (err, t->errnum, "write layer to `%s`", t->name);
  return archive_fail (err, a, what);
}

static int
copy_disk_data (struct archive *disk, struct archive *w, const struct tar_sink *t, const char *path, capsa_err **err)
{
  char buf[65536];
  for (;;)
    {
      la_ssize_t n = archive_read_data (disk, buf, sizeof buf);
      if (n < 0)
        return archive_fail (err, disk, path);
      if (n == 0)
        return 0;
      if (archive_write_data (w, buf, (size_t) n) < 0)
        return tar_fail (err, w, t, path);
    }
}

struct tar_tree
{
  struct archive *disk, *w;
  struct archive_entry_linkresolver *lr;
  struct tar_sink sink;
  size_t prefix; /* of dir, in the paths the disk reader gives */
  bool overlay;
};

static bool
is_overlay_xattr (const char *name)
{
  return strncmp (name, "trusted.overlay.", 16) == 0 || strncmp (name, "user.overlay.", 13) == 0;
}

/* An overlay upper dir's entry in a layer's form: its overlay xattrs dropped (*opaque: it had
 * overlay's opaque mark), and a whiteout (a 0/0 character device, maybe one inode hard-linked
 * by several: never linkified) as an empty `.wh.NAME` file.  Returns whether it is a whiteout. */
static bool
overlay_entry (struct archive_entry *e, char **name, bool *opaque)
{
  const char *xn;
  const void *xv;
  size_t xs;
  cleanup_strv char **keep_names = xmalloc0 (sizeof (char *));
  json_t *keep_values = json_array ();

  *opaque = false;
  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &xn, &xv, &xs) == ARCHIVE_OK)
    if (!is_overlay_xattr (xn))
      {
        strv_append (&keep_names, xn);
        json_array_append_new (keep_values, json_stringn_nocheck (xv, xs));
      }
    else if (strstr (xn, ".overlay.opaque") && xs == 1 && *(const char *) xv == 'y')
      *opaque = archive_entry_filetype (e) == AE_IFDIR;
  archive_entry_xattr_clear (e);
  for (size_t i = 0; keep_names[i]; i++)
    {
      json_t *v = json_array_get (keep_values, i);
      archive_entry_xattr_add_entry (e, keep_names[i], json_string_value (v), json_string_length (v));
    }
  json_decref (keep_values);
  if (archive_entry_filetype (e) != AE_IFCHR || archive_entry_rdev (e) != 0)
    return false;
  char *slash = strrchr (*name, '/');
  char *wh = slash ? xasprintf ("%.*s/.wh.%s", (int) (slash - *name), *name, slash + 1) : xasprintf (".wh.%s", *name);
  free (*name);
  *name = wh;
  archive_entry_copy_pathname (e, wh);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0);
  archive_entry_set_size (e, 0);
  archive_entry_set_nlink (e, 1);
  return true;
}

/* The `.wh..wh..opq` entry of opaque directory `dir` (entry d). */
static int
write_opaque (struct tar_tree *t, struct archive_entry *d, const char *dir, capsa_err **err)
{
  struct archive_entry *e = archive_entry_new ();
  cleanup_free char *name = xasprintf ("%s/.wh..wh..opq", dir);
  archive_entry_copy_pathname (e, name);
  archive_entry_set_filetype (e, AE_IFREG);
  archive_entry_set_perm (e, 0);
  archive_entry_set_size (e, 0);
  archive_entry_set_mtime (e, archive_entry_mtime (d), archive_entry_mtime_nsec (d));
  int r = archive_write_header (t->w, e) < ARCHIVE_WARN ? tar_fail (err, t->w, &t->sink, name) : 0;
  archive_entry_free (e);
  return r;
}

/* Write the disk reader's entry e (freed here). */
static int
tar_entry (struct tar_tree *t, struct archive_entry *e, capsa_err **err)
{
  struct archive_entry *spare = NULL;
  const char *path = archive_entry_pathname (e);
  const char *rel = path + (strlen (path) >= t->prefix ? t->prefix : strlen (path));
  bool opaque = false, whiteout = false;
  int r = 0;

  while (*rel == '/')
    rel++;
  if (*rel == '\0')
    {
      archive_entry_free (e);
      return 0;
    }
  cleanup_free char *name = xstrdup (rel);
  archive_entry_copy_pathname (e, name);
  archive_entry_set_uname (e, NULL);
  archive_entry_set_gname (e, NULL);
  if (t->overlay)
    whiteout = overlay_entry (e, &name, &opaque);
  bool has_data = archive_entry_filetype (e) == AE_IFREG && !whiteout;
  if (!whiteout)
    archive_entry_linkify (t->lr, &e, &spare);
  if (e && archive_entry_hardlink (e))
    has_data = false;
  if (e && archive_write_header (t->w, e) < ARCHIVE_WARN)
    r = tar_fail (err, t->w, &t->sink, name);
  else if (e && has_data && archive_entry_size (e) > 0)
    r = copy_disk_data (t->disk, t->w, &t->sink, name, err);
  else if (e && opaque)
    r = write_opaque (t, e, name, err);
  if (e)
    archive_entry_free (e);
  if (spare)
    archive_entry_free (spare);
  return r;
}

static int
tar_tree_run (struct tar_tree *t, const char *dir, capsa_err **err)
{
  if (archive_read_disk_open (t->disk, dir) != ARCHIVE_OK)
    return archive_fail (err, t->disk, dir);
  if (archive_write_open2 (t->w, &t->sink, NULL, tar_sink_write, NULL, NULL) != ARCHIVE_OK)
    return tar_fail (err, t->w, &t->sink, "write tar");
  for (;;)
    {
      struct archive_entry *e = archive_entry_new ();
      int rr = archive_read_next_header2 (t->disk, e);
      if (rr == ARCHIVE_EOF)
        {
          archive_entry_free (e);
          break;
        }
      if (rr != ARCHIVE_OK && rr != ARCHIVE_WARN)
        {
          archive_entry_free (e);
          return archive_fail (err, t->disk, dir);
        }
      archive_read_disk_descend (t->disk);
      if (tar_entry (t, e, err) < 0)
        return -1;
    }
  if (archive_write_close (t->w) != ARCHIVE_OK)
    return tar_fail (err, t->w, &t->sink, "write tar");
  return 0;
}

int
capsa_tar_tree (const char *dir, int fd, struct capsa_blob_writer *blob, bool overlay, const char *out_name,
                capsa_err **err)
{
  struct tar_tree t = {
    .disk = archive_read_disk_new (),
    .w = archive_write_new (),
    .lr = archive_entry_linkresolver_new (),
    .sink = { fd, blob, out_name ? out_name : "the tar", 0 },
    .prefix = strlen (dir),
    .overlay = overlay,
  };

  while (t.prefix > 1 && dir[t.prefix - 1] == '/')
    t.prefix--;
  archive_read_disk_set_symlink_physical (t.disk);
  archive_read_disk_set_behavior (t.disk, ARCHIVE_READDISK_NO_TRAVERSE_MOUNTS);
  archive_write_set_format_pax_restricted (t.w);
  archive_write_set_bytes_in_last_block (t.w, 1);
  archive_entry_linkresolver_set_strategy (t.lr, archive_format (t.w));
  int r = tar_tree_run (&t, dir, err);
  archive_entry_linkresolver_free (t.lr);
  archive_write_free (t.w);
  archive_read_free (t.disk);
  return r;
}

int
capsa_tar_directory (const char *dir, int fd, const char *out_name, capsa_err **err)
{
  return capsa_tar_tree (dir, fd, NULL, false, out_name, err);
}

/* "[\"a\", \"b\"]" (JSON) or "a b" (shell form: sh -c). */
static json_t *
command_value (const char *v)
{
  json_t *j = json_loads (v, 0, NULL);
  if (json_is_array (j))
    return j;
  if (j)
    json_decref (j);
  return json_pack ("[s,s,s]", "/bin/sh", "-c", v);
}

static int
change_cmd (json_t *config, char *v, const char *change, capsa_err **err)
{
  (void) change, (void) err;
  json_object_set_new (config, "Cmd", command_value (v));
  return 0;
}

static int
change_entrypoint (json_t *config, char *v, const char *change, capsa_err **err)
{
  (void) change, (void) err;
  json_object_set_new (config, "Entrypoint", command_value (v));
  return 0;
}

/* A string field: WORKDIR, USER, STOPSIGNAL. */
static int
change_string (json_t *config, const char *key, const char *v)
{
  json_object_set_new (config, key, json_string (v));
  return 0;
}

static int
change_workdir (json_t *config, char *v, const char *change, capsa_err **err)
{
  (void) change, (void) err;
  return change_string (config, "WorkingDir", v);
}

static int
change_user (json_t *config, char *v, const char *change, capsa_err **err)
{
  (void) change, (void) err;
  return change_string (config, "User", v);
}

static int
change_stopsignal (json_t *config, char *v, const char *change, capsa_err **err)
{
  (void) change, (void) err;
  return change_string (config, "StopSignal", v);
}

/* config[key], an object or an array made when missing. */
static json_t *
member (json_t *config, const char *key, bool array)
{
  json_t *m = json_object_get (config, key);
  if (array ? !json_is_array (m) : !json_is_object (m))
    json_object_set_new (config, key, m = array ? json_array () : json_object ());
  return m;
}

static int
change_label (json_t *config, char *v, const char *change, capsa_err **err)
{
  char *eq = strchr (v, '=');
  if (eq == NULL)
    return capsa_fail_as (err, EINVAL, "change `%s`: expected KEY=VALUE", change);
  *eq = '\0';
  json_object_set_new (member (config, "Labels", false), v, json_string (eq + 1));
  return 0;
}

static int
change_env (json_t *config, char *v, const char *change, capsa_err **err)
{
  char *eq = strchr (v, '=');
  if (eq == NULL)
    return capsa_fail_as (err, EINVAL, "change `%s`: expected KEY=VALUE", change);
  json_t *env = member (config, "Env", true);
  size_t klen = (size_t) (eq - v) + 1;
  for (size_t i = json_array_size (env); i-- > 0;)
    if (strncmp (json_string_value (json_array_get (env, i)) ?: "", v, klen) == 0)
      json_array_remove (env, i);
  json_array_append_new (env, json_string (v));
  return 0;
}

static int
change_expose (json_t *config, char *v, const char *change, capsa_err **err)
{
  /* "80 8080/udp" -> ExposedPorts {"80/tcp": {}, "8080/udp": {}} */
  json_t *ports = member (config, "ExposedPorts", false);
  char *save = NULL;
  for (char *t = strtok_r (v, " \t", &save); t; t = strtok_r (NULL, " \t", &save))
    {
      char *slash = strchr (t, '/'), *end;
      long port = strtol (t, &end, 10);
      const char *proto = slash ? slash + 1 : "tcp";
      if (end == t || port < 1 || port > 65535 || (slash ? end != slash : *end != '\0')
          || (strcmp (proto, "tcp") != 0 && strcmp (proto, "udp") != 0))
        return capsa_fail_as (err, EINVAL, "change `%s`: `%s` is not PORT[/tcp|/udp]", change, t);
      cleanup_free char *key = xasprintf ("%ld/%s", port, proto);
      json_object_set_new (ports, key, json_object ());
    }
  return 0;
}

/* VOLUME ["/a", "/b"] or VOLUME /a /b -> Volumes {"/a": {}, "/b": {}} */
static int
change_volume (json_t *config, char *v, const char *change, capsa_err **err)
{
  cleanup_json json_t *list = json_loads (v, 0, NULL);
  json_t *vols = member (config, "Volumes", false), *p;
  size_t i;
  if (json_is_array (list))
    json_array_foreach (list, i, p)
    {
      if (!json_is_string (p) || json_string_value (p)[0] != '/')
        return capsa_fail_as (err, EINVAL, "change `%s`: a volume is an absolute path", change);
      json_object_set_new (vols, json_string_value (p), json_object ());
    }
  else
    {
      char *save = NULL;
      for (char *t = strtok_r (v, " \t", &save); t; t = strtok_r (NULL, " \t", &save))
        {
          if (t[0] != '/')
            return capsa_fail_as (err, EINVAL, "change `%s`: `%s` is not an absolute path", change, t);
          json_object_set_new (vols, t, json_object ());
        }
    }
  return 0;
}

static int
change_onbuild (json_t *config, char *v, const char *change, capsa_err **err)
{
  (void) change, (void) err;
  json_array_append_new (member (config, "OnBuild", true), json_string (v));
  return 0;
}

int
capsa_config_change (json_t *config, const char *change, capsa_err **err)
{
  static const struct
  {
    const char *name;
    int (*apply) (json_t *config, char *v, const char *change, capsa_err **err);
  } changes[] = {
    { "CMD", change_cmd },         { "ENTRYPOINT", change_entrypoint },
    { "ENV", change_env },         { "EXPOSE", change_expose },
    { "LABEL", change_label },     { "ONBUILD", change_onbuild },
    { "USER", change_user },       { "VOLUME", change_volume },
    { "WORKDIR", change_workdir }, { "STOPSIGNAL", change_stopsignal },
  };
  cleanup_free char *copy = xstrdup (change);
  char *v = copy;
  while (*v && !isspace ((unsigned char) *v))
    v++;
  if (*v)
    *v++ = '\0';
  while (isspace ((unsigned char) *v))
    v++;
  for (char *p = copy; *p; p++)
    *p = (char) toupper ((unsigned char) *p);
  if (*v == '\0')
    return capsa_fail_as (err, EINVAL, "change `%s`: missing value", change);
  for (size_t i = 0; i < ARRAY_SIZE (changes); i++)
    if (strcmp (copy, changes[i].name) == 0)
      return changes[i].apply (config, v, change, err);
  return capsa_fail_as (err, EINVAL,
                        "change `%s`: unsupported instruction `%s` (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, ONBUILD, "
                        "USER, VOLUME, WORKDIR, STOPSIGNAL)",
                        change, copy);
}

int
capsa_image_from_layer (struct capsa_store *s, const char *layer_digest, const char *media_type, const char *diffid,
                        const struct capsa_import_opts *o, const char *created_by, char *id_out, capsa_err **err)
{
  char did[CAPSA_DIGEST_LEN + 1], cdigest[CAPSA_DIGEST_LEN + 1], mdigest[CAPSA_DIGEST_LEN + 1], now[64];
  struct stat st;
  const char *variant;

  if (capsa_store_unpack_layer (s, layer_digest, diffid, did, err) < 0)
    return -1;
  cleanup_close int fd = capsa_store_open_blob (s, layer_digest, err);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return capsa_fail (err, errno, "blob %s", layer_digest);
  now_rfc3339 (now, sizeof now);
  const char *arch = capsa_host_arch (&variant);
  cleanup_json json_t *config = json_pack (
      "{s:s, s:s, s:s, s:{s:[s]}, s:{s:s, s:[s]}, s:[{s:s, s:s}]}", "created", now, "architecture", arch, "os", "linux",
      "config", "Env", "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "rootfs", "type", "layers",
      "diff_ids", did, "history", "created", now, "created_by", created_by);
  if (variant && strcmp (arch, "arm") == 0)
    json_object_set_new (config, "variant", json_string (variant));
  if (o->message)
    json_object_set_new (json_array_get (json_object_get (config, "history"), 0), "comment", json_string (o->message));
  for (char *const *c = o->changes; c && *c; c++)
    if (capsa_config_change (json_object_get (config, "config"), *c, err) < 0)
      return -1;
  cleanup_free char *cbuf = json_dumps (config, JSON_COMPACT);
  if (capsa_store_put_blob (s, cbuf, strlen (cbuf), cdigest, err) < 0)
    return -1;
  cleanup_json json_t *manifest = json_pack (
      "{s:i, s:s, s:{s:s, s:s, s:I}, s:[{s:s, s:s, s:I}]}", "schemaVersion", 2, "mediaType", CAPSA_MT_OCI_MANIFEST,
      "config", "mediaType", CAPSA_MT_OCI_CONFIG, "digest", cdigest, "size", (json_int_t) strlen (cbuf), "layers",
      "mediaType", media_type, "digest", layer_digest, "size", (json_int_t) st.st_size);
  cleanup_free char *mbuf = json_dumps (manifest, JSON_COMPACT);
  if (capsa_store_put_blob (s, mbuf, strlen (mbuf), mdigest, err) < 0)
    return -1;
  return capsa_image_register (s, mdigest, o->name, NULL, id_out, err);
}

static int
sink_blob (void *data, const void *buf, size_t len, capsa_err **err)
{
  struct capsa_blob_writer *w = data;
  cleanup_err capsa_err *e = NULL;
  if (capsa_blob_writer_write (w, buf, len, &e) == 0)
    return 0;
  return capsa_fail (err, e->errnum, "write layer to `%s/%s`", w->s->root, w->tmp);
}

/* The plain tar of source (file, directory or "-") as a blob. */
static int
source_blob (struct capsa_store *s, const char *source, char *digest, capsa_err **err)
{
  struct capsa_blob_writer w;
  cleanup_close int fd = -1;
  struct stat st;

  if (strcmp (source, "-") == 0)
    fd = fcntl (0, F_DUPFD_CLOEXEC, 3);
  else
    fd = open (source, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "import `%s`", source);
  if (fstat (fd, &st) == 0 && S_ISDIR (st.st_mode))
    {
      /* a directory: tar it into a temp file first */
      cleanup_free char *tmp = xasprintf ("%s/tmp/import-XXXXXX", s->root);
      cleanup_close int tfd = mkostemp (tmp, O_CLOEXEC);
      if (tfd < 0)
        return capsa_fail (err, errno, "create a temp file in `%s/tmp`", s->root);
      unlink (tmp); /* nothing is left behind, whatever happens next */
      if (capsa_tar_directory (source, tfd, tmp, err) < 0)
        return -1;
      if (lseek (tfd, 0, SEEK_SET) < 0)
        return capsa_fail (err, errno, "import `%s`", source);
      close (fd);
      fd = take_fd (&tfd);
    }
  if (capsa_blob_writer_open (s, &w, err) < 0)
    return -1;
  if (capsa_layer_decompress (fd, sink_blob, &w, err) < 0)
    {
      capsa_blob_writer_abort (&w);
      return -1;
    }
  return capsa_blob_writer_commit (&w, NULL, digest, err);
}

int
capsa_image_import (struct capsa_store *s, const char *source, const struct capsa_import_opts *o, char *id_out,
                    capsa_err **err)
{
  char digest[CAPSA_DIGEST_LEN + 1], id[CAPSA_DIGEST_LEN + 1] = "";

  /* a mistyped --change is an error before a possibly large tree is archived */
  json_t *scratch = json_object ();
  for (char *const *c = o->changes; c && *c; c++)
    if (capsa_config_change (scratch, *c, err) < 0)
      {
        json_decref (scratch);
        return -1;
      }
  json_decref (scratch);
  if (capsa_store_lock_gc (s, false, err) < 0)
    return -1;
  cleanup_err capsa_err *ignored = NULL;
  capsa_store_clean_tmp (s, NULL, &ignored); /* best effort: what killed transfers left */
  cleanup_free char *by = xasprintf ("capsa import %s", source);
  if (source_blob (s, source, digest, err) < 0
      || capsa_image_from_layer (s, digest, CAPSA_MT_OCI_LAYER, digest, o, by, id, err) < 0)
    return capsa_err_wrap (err, "import `%s`", source);
  capsa_image_tag_event (s, id, o->name, NULL);
  capsa_image_event (s, "import", id, id, id);
  if (id_out)
    memcpy (id_out, id, sizeof id);
  return 0;
}
