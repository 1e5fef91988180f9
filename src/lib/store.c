/* The content-addressed store: see store.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsops.h"
#include "layer.h"
#include "store.h"
#include "util.h"

const char *
capsa_store_default_root (void)
{
  static char buf[PATH_MAX];
  const char *xdg = getenv ("XDG_DATA_HOME");
  const char *home = getenv ("HOME");

  if (geteuid () == 0)
    return "/var/lib/capsa";
  if (xdg && *xdg)
    snprintf (buf, sizeof buf, "%s/capsa", xdg);
  else
    snprintf (buf, sizeof buf, "%s/.local/share/capsa", home && *home ? home : "/tmp");
  return buf;
}

int
capsa_store_open (const char *root, struct capsa_store **out, capsa_err **err)
{
  static const struct
  {
    const char *name;
    mode_t mode;
  } dirs[] = {
    { "blobs", 0700 }, { "blobs/sha256", 0700 }, { "layers", 0711 }, { "containers", 0711 }, { "tmp", 0700 },
  };
  cleanup_free char *abs = NULL;

  if (mkdir_p (root, 0711, err) < 0)
    return capsa_err_wrap (err, "image store `%s`", root);
  abs = realpath (root, NULL);
  if (abs == NULL)
    return capsa_fail (err, errno, "image store `%s`", root);
  cleanup_close int fd = open (abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "open image store `%s`", abs);
  for (size_t i = 0; i < ARRAY_SIZE (dirs); i++)
    if (mkdirat (fd, dirs[i].name, dirs[i].mode) < 0 && errno != EEXIST)
      return capsa_fail (err, errno, "image store `%s`: mkdir `%s`", abs, dirs[i].name);
  struct capsa_store *s = xmalloc0 (sizeof *s);
  s->root = take_ptr (&abs);
  s->rootfd = take_fd (&fd);
  s->gcfd = -1;
  *out = s;
  return 0;
}

void
capsa_store_close (struct capsa_store *s)
{
  if (s == NULL)
    return;
  capsa_store_unlock_gc (s);
  close (s->rootfd);
  free (s->root);
  free (s);
}

static int
lock_file (struct capsa_store *s, const char *name, int op, capsa_err **err)
{
  cleanup_close int fd = openat (s->rootfd, name, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0)
    return capsa_fail (err, errno, "open lock `%s/%s`", s->root, name);
  while (flock (fd, op) < 0)
    if (errno != EINTR)
      return capsa_fail (err, errno, "lock `%s/%s`", s->root, name);
  return take_fd (&fd);
}

int
capsa_store_lock_gc (struct capsa_store *s, bool exclusive, capsa_err **err)
{
  if (s->gcfd >= 0)
    {
      while (flock (s->gcfd, exclusive ? LOCK_EX : LOCK_SH) < 0)
        if (errno != EINTR)
          return capsa_fail (err, errno, "lock `%s/gc.lock`", s->root);
      return 0;
    }
  int fd = lock_file (s, "gc.lock", exclusive ? LOCK_EX : LOCK_SH, err);
  if (fd < 0)
    return -1;
  s->gcfd = fd;
  return 0;
}

void
capsa_store_unlock_gc (struct capsa_store *s)
{
  if (s->gcfd >= 0)
    close (s->gcfd);
  s->gcfd = -1;
}

int
capsa_store_lock_index (struct capsa_store *s, capsa_err **err)
{
  return lock_file (s, "index.lock", LOCK_EX, err);
}

/* --- blobs ------------------------------------------------------------------------------- */

static char *
blob_rel (const char *digest)
{
  return xasprintf ("blobs/sha256/%s", capsa_digest_hex (digest));
}

char *
capsa_store_blob_path (struct capsa_store *s, const char *digest)
{
  return xasprintf ("%s/blobs/sha256/%s", s->root, capsa_digest_hex (digest));
}

bool
capsa_store_has_blob (struct capsa_store *s, const char *digest)
{
  if (!capsa_digest_valid (digest))
    return false;
  cleanup_free char *rel = blob_rel (digest);
  return faccessat (s->rootfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

int
capsa_store_open_blob (struct capsa_store *s, const char *digest, capsa_err **err)
{
  if (!capsa_digest_valid (digest))
    return capsa_fail_as (err, EINVAL, "invalid digest `%s`", digest);
  cleanup_free char *rel = blob_rel (digest);
  int fd = openat (s->rootfd, rel, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "blob %s", digest);
  return fd;
}

int
capsa_store_read_blob (struct capsa_store *s, const char *digest, char **buf, size_t *len, capsa_err **err)
{
  char got[CAPSA_DIGEST_LEN + 1];
  cleanup_free char *data = NULL;
  size_t n = 0;

  if (!capsa_digest_valid (digest))
    return capsa_fail_as (err, EINVAL, "invalid digest `%s`", digest);
  cleanup_free char *rel = blob_rel (digest);
  if (read_file_at (s->rootfd, rel, &data, &n, err) < 0)
    return capsa_err_wrap (err, "blob %s", digest);
  capsa_sha256_buf (data, n, got);
  if (strcmp (got, digest) != 0)
    return capsa_fail_as (err, EIO, "blob %s is corrupt in the store (its content hashes to %s)", digest, got);
  *buf = take_ptr (&data);
  if (len)
    *len = n;
  return 0;
}

int
capsa_blob_writer_open (struct capsa_store *s, struct capsa_blob_writer *w, capsa_err **err)
{
  memset (w, 0, sizeof *w);
  w->s = s;
  w->tmp = xasprintf ("tmp/blob-%d-XXXXXX", (int) getpid ());
  cleanup_free char *abs = xasprintf ("%s/%s", s->root, w->tmp);
  w->fd = mkostemp (abs, O_CLOEXEC);
  if (w->fd < 0)
    {
      int e = errno;
      free (w->tmp);
      w->tmp = NULL;
      return capsa_fail (err, e, "create a temp file in `%s/tmp`", s->root);
    }
  memcpy (w->tmp + strlen (w->tmp) - 6, abs + strlen (abs) - 6, 6);
  capsa_sha256_init (&w->hash);
  return 0;
}

int
capsa_blob_writer_write (struct capsa_blob_writer *w, const void *buf, size_t len, capsa_err **err)
{
  if (write_all (w->fd, buf, len) < 0)
    return capsa_fail (err, errno, "write `%s/%s`", w->s->root, w->tmp);
  capsa_sha256_update (&w->hash, buf, len);
  w->size += len;
  return 0;
}

int
capsa_blob_writer_restart (struct capsa_blob_writer *w, capsa_err **err)
{
  if (ftruncate (w->fd, 0) < 0 || lseek (w->fd, 0, SEEK_SET) < 0)
    return capsa_fail (err, errno, "truncate `%s/%s`", w->s->root, w->tmp);
  capsa_sha256_reset (&w->hash);
  w->size = 0;
  return 0;
}

void
capsa_blob_writer_abort (struct capsa_blob_writer *w)
{
  if (w->fd >= 0)
    close (w->fd);
  w->fd = -1;
  if (w->tmp)
    unlinkat (w->s->rootfd, w->tmp, 0);
  free (w->tmp);
  w->tmp = NULL;
  capsa_sha256_free (&w->hash);
}

int
capsa_blob_writer_commit (struct capsa_blob_writer *w, const char *expected, char *digest_out, capsa_err **err)
{
  char got[CAPSA_DIGEST_LEN + 1];

  capsa_sha256_final (&w->hash, got);
  if (expected && strcmp (expected, got) != 0)
    {
      capsa_blob_writer_abort (w);
      return capsa_fail_as (err, EIO, "digest mismatch: expected %s, the content hashes to %s", expected, got);
    }
  if (fsync (w->fd) < 0)
    {
      int e = errno;
      capsa_blob_writer_abort (w);
      return capsa_fail (err, e, "fsync blob %s", got);
    }
  cleanup_free char *rel = blob_rel (got);
  if (renameat (w->s->rootfd, w->tmp, w->s->rootfd, rel) < 0)
    {
      int e = errno;
      capsa_blob_writer_abort (w);
      return capsa_fail (err, e, "store blob %s", got);
    }
  free (w->tmp);
  w->tmp = NULL;
  capsa_blob_writer_abort (w);
  if (digest_out)
    memcpy (digest_out, got, CAPSA_DIGEST_LEN + 1);
  return 0;
}

int
capsa_store_put_blob (struct capsa_store *s, const void *buf, size_t len, char *digest_out, capsa_err **err)
{
  struct capsa_blob_writer w;
  char d[CAPSA_DIGEST_LEN + 1];

  capsa_sha256_buf (buf, len, d);
  if (digest_out)
    memcpy (digest_out, d, sizeof d);
  if (capsa_store_has_blob (s, d))
    return 0;
  if (capsa_blob_writer_open (s, &w, err) < 0)
    return -1;
  if (capsa_blob_writer_write (&w, buf, len, err) < 0)
    {
      capsa_blob_writer_abort (&w);
      return -1;
    }
  return capsa_blob_writer_commit (&w, d, NULL, err);
}

int
capsa_store_put_blob_fd (struct capsa_store *s, int fd, const char *expected, char *digest_out, capsa_err **err)
{
  struct capsa_blob_writer w;
  char buf[65536];

  if (capsa_blob_writer_open (s, &w, err) < 0)
    return -1;
  for (;;)
    {
      ssize_t n = read (fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          capsa_blob_writer_abort (&w);
          return capsa_fail (err, e, "read");
        }
      if (n == 0)
        break;
      if (capsa_blob_writer_write (&w, buf, (size_t) n, err) < 0)
        {
          capsa_blob_writer_abort (&w);
          return -1;
        }
    }
  return capsa_blob_writer_commit (&w, expected, digest_out, err);
}

/* --- layers ------------------------------------------------------------------------------ */

char *
capsa_store_layer_path (struct capsa_store *s, const char *diffid)
{
  return xasprintf ("%s/layers/%s/diff", s->root, capsa_digest_hex (diffid));
}

bool
capsa_store_has_layer (struct capsa_store *s, const char *diffid)
{
  if (!capsa_digest_valid (diffid))
    return false;
  cleanup_free char *rel = xasprintf ("layers/%s/diff", capsa_digest_hex (diffid));
  return faccessat (s->rootfd, rel, F_OK, AT_SYMLINK_NOFOLLOW) == 0;
}

bool
capsa_store_layer_is_overlay (struct capsa_store *s, const char *diffid)
{
  cleanup_free char *rel = xasprintf ("layers/%s/format", capsa_digest_hex (diffid));
  cleanup_free char *fmt = NULL;
  cleanup_err capsa_err *ignored = NULL;
  if (read_file_at (s->rootfd, rel, &fmt, NULL, &ignored) < 0)
    return false;
  return strncmp (fmt, "overlay", 7) == 0;
}

char *
capsa_store_mkdtemp (struct capsa_store *s, const char *prefix, capsa_err **err)
{
  char *path = xasprintf ("%s/tmp/%s-XXXXXX", s->root, prefix);
  if (mkdtemp (path) == NULL)
    {
      int e = errno;
      free (path);
      capsa_fail (err, e, "create a temp directory in `%s/tmp`", s->root);
      return NULL;
    }
  return path;
}

static int
unpack_into (struct capsa_store *s, const char *digest, const char *tmp, struct capsa_layer_result *res,
             capsa_err **err)
{
  static const struct capsa_layer_opts opts = { .whiteouts = true };
  cleanup_close int blob = capsa_store_open_blob (s, digest, err);
  if (blob < 0)
    return -1;
  cleanup_free char *diff = xasprintf ("%s/diff", tmp);
  if (mkdir (diff, 0755) < 0)
    return capsa_fail (err, errno, "mkdir `%s`", diff);
  cleanup_close int dfd = open (diff, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return capsa_fail (err, errno, "open `%s`", diff);
  if (capsa_layer_apply (blob, dfd, &opts, res, err) < 0)
    return -1;
  if (syncfs (dfd) < 0)
    return capsa_fail (err, errno, "sync `%s`", diff);
  return 0;
}

int
capsa_store_unpack_layer (struct capsa_store *s, const char *digest, const char *diffid, char *diffid_out,
                          capsa_err **err)
{
  struct capsa_layer_result res;

  if (diffid && capsa_store_has_layer (s, diffid))
    {
      if (diffid_out)
        memcpy (diffid_out, diffid, CAPSA_DIGEST_LEN + 1);
      return 0;
    }
  cleanup_free char *tmp = capsa_store_mkdtemp (s, "layer", err);
  if (tmp == NULL)
    return -1;
  if (unpack_into (s, digest, tmp, &res, err) < 0)
    {
      cleanup_err capsa_err *ignored = NULL;
      fs_rm_rf (tmp, &ignored);
      return capsa_err_wrap (err, "unpack layer %s", digest);
    }
  if (diffid && strcmp (diffid, res.diffid) != 0)
    {
      cleanup_err capsa_err *ignored = NULL;
      fs_rm_rf (tmp, &ignored);
      return capsa_fail_as (err, EIO,
                            "unpack layer %s: its content (diff id %s) does not match the image config's %s",
                            digest, res.diffid, diffid);
    }
  if (diffid_out)
    memcpy (diffid_out, res.diffid, CAPSA_DIGEST_LEN + 1);
  cleanup_free char *fmt = xasprintf ("%s/format", tmp);
  const char *f = res.oci_whiteouts ? "oci\n" : "overlay\n";
  if (write_file_atomic_at (AT_FDCWD, fmt, f, strlen (f), 0644, err) < 0)
    return -1;
  cleanup_free char *dst = xasprintf ("%s/layers/%s", s->root, capsa_digest_hex (res.diffid));
  if (rename (tmp, dst) < 0)
    {
      int e = errno;
      cleanup_err capsa_err *ignored = NULL;
      fs_rm_rf (tmp, &ignored);
      /* the same layer unpacked meanwhile by another pull */
      if (e == EEXIST || e == ENOTEMPTY)
        return 0;
      return capsa_fail (err, e, "store layer %s", res.diffid);
    }
  return 0;
}
