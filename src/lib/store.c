/* The content-addressed store, its reading side (store_write.c writes): see store.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

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
  cleanup_free char *data = NULL;
  size_t n = 0;

  if (!capsa_digest_valid (digest))
    return capsa_fail_as (err, EINVAL, "invalid digest `%s`", digest);
  cleanup_free char *rel = blob_rel (digest);
  if (read_file_at (s->rootfd, rel, &data, &n, err) < 0)
    return capsa_err_wrap (err, "blob %s", digest);
  *buf = take_ptr (&data);
  if (len)
    *len = n;
  return 0;
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
