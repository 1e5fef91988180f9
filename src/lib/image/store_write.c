/* The store's writing side (blobs checked against their sha256 as they are written, layers
 * unpacked with libarchive): see store.h.  Kept apart from store.c so that programs which only
 * read the store (the `capsa` front, capsa-oci) link neither OpenSSL nor libarchive. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
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

/* --- transfers in tmp/: each one locked by its writer ------------------------------------------
 *
 * A writer holds an flock on each of its temp entries for as long as it lives: a blob's temp file
 * is locked through its own fd, a temp directory through "NAME.lock" beside it.  The lock exists
 * before the name appears (O_TMPFILE, flock, then linkat), so capsa_store_clean_tmp() can remove
 * what is unlocked (its writer is gone: killed, crashed) without ever touching a live transfer. */

static void
random_suffix (char *buf, size_t n)
{
  static const char chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char r[16];
  if (getrandom (r, sizeof r, 0) != (ssize_t) sizeof r)
    for (size_t i = 0; i < sizeof r; i++)
      r[i] = (unsigned char) (rand () ^ getpid ());
  for (size_t i = 0; i + 1 < n && i < sizeof r; i++)
    buf[i] = chars[r[i] % (sizeof chars - 1)];
  buf[n - 1 < sizeof r ? n - 1 : sizeof r] = '\0';
}

/* A new file "tmp/PREFIXRANDOMSUFFIX", locked (LOCK_EX) through the returned fd before its name
 * exists.  *rel gets its name relative to the root (owned). */
static int
tmp_file_locked (struct capsa_store *s, const char *prefix, const char *suffix, char **rel, capsa_err **err)
{
  for (int attempt = 0; attempt < 16; attempt++)
    {
      char rnd[9];
      random_suffix (rnd, sizeof rnd);
      cleanup_free char *name = xasprintf ("tmp/%s%s%s", prefix, rnd, suffix);
      cleanup_close int fd = openat (s->rootfd, "tmp", O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
      if (fd < 0 && (errno == EOPNOTSUPP || errno == EISDIR || errno == EINVAL))
        {
          /* no O_TMPFILE on this filesystem: create, then lock (a cleaner could see the name
           * unlocked for a moment; it would remove an empty file, which the writer then misses) */
          fd = openat (s->rootfd, name, O_CREAT | O_EXCL | O_RDWR | O_CLOEXEC, 0600);
          if (fd < 0 && errno == EEXIST)
            continue;
          if (fd >= 0 && flock (fd, LOCK_EX) == 0)
            {
              *rel = take_ptr (&name);
              return take_fd (&fd);
            }
        }
      if (fd < 0 || flock (fd, LOCK_EX) < 0)
        return capsa_fail (err, errno, "create a temp file in `%s/tmp`", s->root);
      char proc[64];
      snprintf (proc, sizeof proc, "/proc/self/fd/%d", fd);
      if (linkat (AT_FDCWD, proc, s->rootfd, name, AT_SYMLINK_FOLLOW) == 0)
        {
          *rel = take_ptr (&name);
          return take_fd (&fd);
        }
      if (errno != EEXIST)
        return capsa_fail (err, errno, "create `%s/%s`", s->root, name);
    }
  return capsa_fail_as (err, EEXIST, "create a temp file in `%s/tmp`: no free name", s->root);
}

char *
capsa_store_mkdtemp_locked (struct capsa_store *s, const char *prefix, int *lockfd, capsa_err **err)
{
  cleanup_free char *prefix_dash = xasprintf ("%s-", prefix);
  cleanup_free char *lock = NULL;
  cleanup_close int fd = tmp_file_locked (s, prefix_dash, ".lock", &lock, err);
  if (fd < 0)
    return NULL;
  lock[strlen (lock) - strlen (".lock")] = '\0';
  if (mkdirat (s->rootfd, lock, 0700) < 0)
    {
      int e = errno;
      cleanup_free char *l = xasprintf ("%s.lock", lock);
      unlinkat (s->rootfd, l, 0);
      capsa_fail (err, e, "create a temp directory in `%s/tmp`", s->root);
      return NULL;
    }
  *lockfd = take_fd (&fd);
  return xasprintf ("%s/%s", s->root, lock);
}

void
capsa_store_tmp_release (struct capsa_store *s, const char *path, int lockfd)
{
  cleanup_err capsa_err *ignored = NULL;
  if (path == NULL)
    return;
  cleanup_free char *lock = xasprintf ("%s.lock", path);
  fs_rm_rf (path, &ignored);
  unlink (lock);
  if (lockfd >= 0)
    close (lockfd);
}

/* Whether tmp/NAME's writer is gone: its lock (lockname, or NAME itself) can be taken. */
static bool
tmp_entry_stale (int tmpfd, const char *lockname)
{
  cleanup_close int fd = openat (tmpfd, lockname, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT; /* a directory without its lock: its writer removed the lock, or is old */
  return flock (fd, LOCK_EX | LOCK_NB) == 0;
}

static long long
tmp_entry_size (int tmpfd, const char *name, const struct stat *st)
{
  if (!S_ISDIR (st->st_mode))
    return st->st_size;
  cleanup_close int fd = openat (tmpfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  return fd >= 0 ? fs_tree_size (fd) : 0;
}

/* Remove tmp/NAME if its writer is gone; *reclaimed grows by its size. */
static int
clean_tmp_entry (struct capsa_store *s, int tmpfd, const char *name, long long *reclaimed, capsa_err **err)
{
  struct stat st;
  size_t n = strlen (name);
  bool is_lock = n > 5 && strcmp (name + n - 5, ".lock") == 0;
  if (fstatat (tmpfd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return 0;
  cleanup_free char *lock = S_ISDIR (st.st_mode) ? xasprintf ("%s.lock", name) : xstrdup (name);
  cleanup_free char *base = is_lock ? xasprintf ("%.*s", (int) (n - 5), name) : NULL;
  if (is_lock && faccessat (tmpfd, base, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
    return 0; /* handled with its directory */
  if (!tmp_entry_stale (tmpfd, lock))
    return 0;
  *reclaimed += tmp_entry_size (tmpfd, name, &st);
  if (fs_rm_rf_at (tmpfd, name, err) < 0)
    return capsa_err_wrap (err, "remove the stale transfer `%s/tmp/%s`", s->root, name);
  if (S_ISDIR (st.st_mode))
    unlinkat (tmpfd, lock, 0);
  return 0;
}

int
capsa_store_clean_tmp (struct capsa_store *s, long long *reclaimed, capsa_err **err)
{
  long long dummy = 0;
  cleanup_close int fd = openat (s->rootfd, "tmp", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : capsa_fail (err, errno, "open `%s/tmp`", s->root);
  int dfd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  cleanup_dir DIR *d = dfd >= 0 ? fdopendir (dfd) : NULL;
  struct dirent *de;
  if (d == NULL)
    return capsa_fail (err, errno, "read `%s/tmp`", s->root);
  if (reclaimed == NULL)
    reclaimed = &dummy;
  while ((de = readdir (d)) != NULL)
    if (strcmp (de->d_name, ".") != 0 && strcmp (de->d_name, "..") != 0
        && clean_tmp_entry (s, fd, de->d_name, reclaimed, err) < 0)
      return -1;
  return 0;
}

/* --- blobs ---------------------------------------------------------------------------------- */

int
capsa_blob_writer_open (struct capsa_store *s, struct capsa_blob_writer *w, capsa_err **err)
{
  memset (w, 0, sizeof *w);
  w->s = s;
  cleanup_free char *prefix = xasprintf ("blob-%d-", (int) getpid ());
  w->fd = tmp_file_locked (s, prefix, "", &w->tmp, err);
  if (w->fd < 0)
    return -1;
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

static int
write_chunk (const void *chunk, size_t len, void *arg, capsa_err **err)
{
  return capsa_blob_writer_write (arg, chunk, len, err);
}

int
capsa_store_put_blob_fd (struct capsa_store *s, int fd, const char *expected, char *digest_out, capsa_err **err)
{
  struct capsa_blob_writer w;

  if (capsa_blob_writer_open (s, &w, err) < 0)
    return -1;
  if (read_chunks (fd, write_chunk, &w, "read", err) < 0)
    {
      capsa_blob_writer_abort (&w);
      return -1;
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

/* capsa_store_unpack_layer into tmp (locked by the caller, removed by it). */
static int
unpack_locked (struct capsa_store *s, const char *digest, const char *diffid, char *diffid_out, const char *tmp,
               capsa_err **err)
{
  struct capsa_layer_result res;

  if (unpack_into (s, digest, tmp, &res, err) < 0)
    return capsa_err_wrap (err, "unpack layer %s", digest);
  if (diffid && strcmp (diffid, res.diffid) != 0)
    return capsa_fail_as (err, EIO, "unpack layer %s: its content (diff id %s) does not match the image config's %s",
                          digest, res.diffid, diffid);
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
      /* the same layer unpacked meanwhile by another pull */
      if (e == EEXIST || e == ENOTEMPTY)
        return 0;
      return capsa_fail (err, e, "store layer %s", res.diffid);
    }
  return 0;
}

int
capsa_store_unpack_layer (struct capsa_store *s, const char *digest, const char *diffid, char *diffid_out,
                          capsa_err **err)
{
  if (diffid && capsa_store_has_layer (s, diffid))
    {
      if (diffid_out)
        memcpy (diffid_out, diffid, CAPSA_DIGEST_LEN + 1);
      return 0;
    }
  int lockfd = -1;
  cleanup_free char *tmp = capsa_store_mkdtemp_locked (s, "layer", &lockfd, err);
  if (tmp == NULL)
    return -1;
  int r = unpack_locked (s, digest, diffid, diffid_out, tmp, err);
  capsa_store_tmp_release (s, tmp, lockfd);
  return r;
}
