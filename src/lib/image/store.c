/* The content-addressed store, its reading side (store_write.c writes): see store.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hostenv.h"
#include "store.h"
#include "util.h"

const char *
capsa_store_default_root (void)
{
  static char buf[PATH_MAX];
  const char *xdg = capsa_host_env ()->xdg_data_home;
  const char *home = capsa_host_env ()->home;

  if (geteuid () == 0)
    return "/var/lib/capsa";
  if (xdg && *xdg)
    snprintf (buf, sizeof buf, "%s/capsa", xdg);
  else
    snprintf (buf, sizeof buf, "%s/.local/share/capsa", home && *home ? home : "/tmp");
  return buf;
}

/* The store's directories and their modes (docker's fix for CVE-2021-41091).  What a container
 * makes (a setuid-root file, a device node) lies in containers/ID and volumes/NAME, and an
 * image's files in layers/: no other host user may reach them.  Docker makes its root 0710
 * root:<the remapped root's group>, which works for its one remapped range; capsa gives every
 * `--userns auto` container a range of its own, and a directory has one group, so the shared
 * directories stay traversable (0711: nothing to list, and every name in them is itself
 * private) and each container's and volume's own directory is the barrier: 0700, or 0710
 * root:<the host gid of the container's root> when a user-namespaced container must pass through
 * it (capsa-oci resolves the bundle, the rootfs and the volumes as that container's root, inside
 * its user namespace: idmapped mounts change what the lower layers look like, not who walks the
 * path).  layers/ is reached by the host's root only (overlayfs opens its lower dirs with the
 * mounter's credentials). */
static const struct
{
  const char *name;
  mode_t mode;
} store_dirs[] = {
  { ".", 0711 },       { "blobs", 0700 }, { "blobs/sha256", 0700 }, { "containers", 0711 },
  { "volumes", 0711 }, { "tmp", 0700 },   { "layers", 0700 }, /* (last: see store_tighten) */
};

int
capsa_store_private_dir (int dirfd, const char *name, bool userns, gid_t gid, capsa_err **err)
{
  if (userns && fchownat (dirfd, name, (uid_t) -1, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return capsa_fail (err, errno, "chgrp `%s` to %u (the group of the container's root)", name, (unsigned) gid);
  if (fchmodat (dirfd, name, userns ? 0710 : 0700, 0) < 0)
    return capsa_fail (err, errno, "chmod `%s` %s", name, userns ? "0710" : "0700");
  return 0;
}

long long
capsa_store_map_root (int dirfd, const char *file)
{
  cleanup_free char *m = NULL;
  unsigned long c, h, n;
  if (read_file_at (dirfd, file, &m, NULL, NULL) < 0)
    return -1;
  for (char *line = m; line; line = strchr (line, '\n') ? strchr (line, '\n') + 1 : NULL)
    if (sscanf (line, "%lu %lu %lu", &c, &h, &n) == 3 && c == 0)
      return (long long) h;
  return 0; /* (container root unmapped: the runtime's process keeps the host's ids) */
}

/* Which group an old, too open ENTRY of containers/ or volumes/ gives: a container root's when
 * it was made for a user-namespaced container (its gid_map; a volume's _data given to one). */
static bool
entry_userns (int dirfd, const char *name, bool volume, gid_t *gid)
{
  struct stat st;
  cleanup_free char *p = xasprintf ("%s/%s", name, volume ? "_data" : "gid_map");
  /* rootless: the store is the user's and its containers' roots are (or have the capabilities
   * over) its owner: 0700 is enough, and no other group can be given */
  if (geteuid () != 0 || !in_initial_userns ())
    return false;
  if (volume)
    {
      if (fstatat (dirfd, p, &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid == geteuid ())
        return false;
      *gid = st.st_gid;
      return true;
    }
  long long g = capsa_store_map_root (dirfd, p);
  *gid = g > 0 ? (gid_t) g : 0;
  return g >= 0;
}

/* Make every too open entry of `sub` (containers or volumes) private. */
static int
tighten_entries (int rootfd, const char *sub, capsa_err **err)
{
  int fd = openat (rootfd, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return errno == ENOENT ? 0 : capsa_fail (err, errno, "open `%s`", sub);
  cleanup_dir DIR *d = fdopendir (fd);
  if (d == NULL)
    {
      close (fd);
      return capsa_fail (err, errno, "open `%s`", sub);
    }
  struct dirent *de;
  while ((de = readdir (d)))
    {
      struct stat st;
      gid_t gid = 0;
      if (de->d_name[0] == '.' || fstatat (fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0 || !S_ISDIR (st.st_mode)
          || !(st.st_mode & 0007))
        continue;
      bool userns = entry_userns (fd, de->d_name, strcmp (sub, "volumes") == 0, &gid);
      if (capsa_store_private_dir (fd, de->d_name, userns, gid, err) < 0)
        return capsa_err_wrap (err, "`%s`", sub);
    }
  return 0;
}

/* A store made before the modes above (layers/ was 0711 then) is tightened when it is opened,
 * its containers' and volumes' directories first and layers/ last, so that an interrupted
 * upgrade is done again. */
static int
store_tighten (int fd, capsa_err **err)
{
  struct stat st;
  if (fstatat (fd, "layers", &st, 0) == 0 && (st.st_mode & 0077)
      && (tighten_entries (fd, "containers", err) < 0 || tighten_entries (fd, "volumes", err) < 0))
    return -1;
  for (size_t i = 0; i < ARRAY_SIZE (store_dirs); i++)
    if (fstatat (fd, store_dirs[i].name, &st, 0) == 0 && (st.st_mode & 0777 & ~store_dirs[i].mode)
        && fchmodat (fd, store_dirs[i].name, store_dirs[i].mode, 0) < 0)
      return capsa_fail (err, errno, "chmod `%s` %04o", store_dirs[i].name, (unsigned) store_dirs[i].mode);
  return 0;
}

int
capsa_store_open (const char *root, struct capsa_store **out, capsa_err **err)
{
  cleanup_free char *abs = NULL;

  if (mkdir_p (root, 0711, err) < 0)
    return capsa_err_wrap (err, "image store `%s`", root);
  abs = realpath (root, NULL);
  if (abs == NULL)
    return capsa_fail (err, errno, "image store `%s`", root);
  cleanup_close int fd = open (abs, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "open image store `%s`", abs);
  for (size_t i = 1; i < ARRAY_SIZE (store_dirs); i++)
    if (mkdirat (fd, store_dirs[i].name, store_dirs[i].mode) < 0 && errno != EEXIST)
      return capsa_fail (err, errno, "image store `%s`: mkdir `%s`", abs, store_dirs[i].name);
  if (store_tighten (fd, err) < 0)
    return capsa_err_wrap (err, "image store `%s`: make its directories private", abs);
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
