/* The store's writing side (blobs checked against their sha256 as they are written, layers
 * unpacked with libarchive): see store.h.  Kept apart from store.c so that programs which only
 * read the store (the `capsa` front, capsa-oci) link neither OpenSSL nor libarchive. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsops.h"
#include "layer.h"
#include "store.h"
#include "util.h"

static char *
blob_rel (const char *digest)
{
  return xasprintf ("blobs/sha256/%s", capsa_digest_hex (digest));
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
