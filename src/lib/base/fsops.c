/* Tree removal and the vfs layer copy: see fsops.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "fsops.h"
#include "util.h"

static int
rm_children (int fd, const char *name, capsa_err **err)
{
  int dupfd = fcntl (fd, F_DUPFD_CLOEXEC, 3);
  if (dupfd < 0)
    return capsa_fail (err, errno, "remove `%s`: dup", name);
  cleanup_dir DIR *d = fdopendir (dupfd);
  struct dirent *de;
  if (d == NULL)
    {
      int e = errno;
      close (dupfd);
      return capsa_fail (err, e, "remove `%s`: opendir", name);
    }
  while ((errno = 0, de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fs_rm_rf_at (fd, de->d_name, err) < 0)
        return -1;
    }
  return 0;
}

int
fs_rm_rf_at (int dirfd, const char *name, capsa_err **err)
{
  if (unlinkat (dirfd, name, 0) == 0 || errno == ENOENT)
    return 0;
  if (errno != EISDIR && errno != EPERM)
    return capsa_fail (err, errno, "remove `%s`", name);
  cleanup_close int fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    {
      if (errno == ENOENT)
        return 0;
      /* a directory we may not read: make it readable (we own the store) and retry once */
      if (errno == EACCES && fchmodat (dirfd, name, 0700, 0) == 0)
        fd = openat (dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (fd < 0)
        return capsa_fail (err, errno, "remove `%s`", name);
    }
  if (rm_children (fd, name, err) < 0)
    return -1;
  if (unlinkat (dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
    return capsa_fail (err, errno, "remove directory `%s`", name);
  return 0;
}

int
fs_rm_rf (const char *path, capsa_err **err)
{
  return fs_rm_rf_at (AT_FDCWD, path, err);
}

/* --- the vfs copy ------------------------------------------------------------------------ */

struct hardlink
{
  dev_t dev;
  ino_t ino;
  char *dst; /* path of the first copy, relative to the destination root */
};

struct copier
{
  int dstroot;
  struct hardlink *links;
  size_t nlinks;
};

static bool
is_overlay_xattr (const char *name)
{
  return strncmp (name, "trusted.overlay.", 16) == 0 || strncmp (name, "user.overlay.", 13) == 0;
}

static int
copy_xattrs (int src, int dst, const char *path, capsa_err **err)
{
  char names[65536];
  ssize_t len = flistxattr (src, names, sizeof names);
  if (len < 0)
    return errno == ENOTSUP ? 0 : capsa_fail (err, errno, "list xattrs of `%s`", path);
  for (char *n = names; n < names + len; n += strlen (n) + 1)
    {
      char value[65536];
      if (is_overlay_xattr (n))
        continue;
      ssize_t vl = fgetxattr (src, n, value, sizeof value);
      if (vl < 0)
        continue;
      if (fsetxattr (dst, n, value, (size_t) vl, 0) < 0 && errno != ENOTSUP && errno != EPERM)
        return capsa_fail (err, errno, "set xattr `%s` on `%s`", n, path);
    }
  return 0;
}

static int
copy_meta_fd (int src, int dst, const struct stat *st, const char *path, capsa_err **err)
{
  if (fchown (dst, st->st_uid, st->st_gid) < 0 && errno != EPERM)
    return capsa_fail (err, errno, "chown `%s`", path);
  if (copy_xattrs (src, dst, path, err) < 0)
    return -1;
  if (fchmod (dst, st->st_mode & 07777) < 0)
    return capsa_fail (err, errno, "chmod `%s`", path);
  return 0;
}

static int
copy_data (int src, int dst, const char *path, capsa_err **err)
{
  for (;;)
    {
      ssize_t n = copy_file_range (src, NULL, dst, NULL, 1 << 30, 0);
      if (n == 0)
        return 0;
      if (n > 0)
        continue;
      if (errno != EXDEV && errno != ENOSYS && errno != EINVAL && errno != EOPNOTSUPP)
        return capsa_fail (err, errno, "copy `%s`", path);
      break;
    }
  char buf[65536];
  for (;;)
    {
      ssize_t n = read (src, buf, sizeof buf);
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        return capsa_fail (err, errno, "read `%s`", path);
      if (n == 0)
        return 0;
      if (write_all (dst, buf, (size_t) n) < 0)
        return capsa_fail (err, errno, "write `%s`", path);
    }
}

/* Open the directory `rel` (relative to the destination root) without following symlinks. */
static int
open_dst_dir (struct copier *c, const char *rel, capsa_err **err)
{
  cleanup_free char *copy = xstrdup (rel);
  cleanup_close int fd = fcntl (c->dstroot, F_DUPFD_CLOEXEC, 3);
  char *save = NULL;
  for (char *p = strtok_r (copy, "/", &save); p; p = strtok_r (NULL, "/", &save))
    {
      int next = openat (fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return capsa_fail (err, errno, "open `%s`", rel);
      close (fd);
      fd = next;
    }
  return take_fd (&fd);
}

static int copy_dir (struct copier *c, int src, int dst, const char *rel, capsa_err **err);

static bool
is_opaque (int dirfd)
{
  char v[4];
  struct stat st;
  ssize_t n = fgetxattr (dirfd, "trusted.overlay.opaque", v, sizeof v);
  if (n == 1 && v[0] == 'y')
    return true;
  return fstatat (dirfd, ".wh..wh..opq", &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static int
copy_regular (struct copier *c, int src, int dst, const char *name, const struct stat *st, const char *rel,
              capsa_err **err)
{
  if (st->st_nlink > 1)
    for (size_t i = 0; i < c->nlinks; i++)
      if (c->links[i].dev == st->st_dev && c->links[i].ino == st->st_ino)
        {
          cleanup_free char *dir = xstrdup (c->links[i].dst);
          char *slash = strrchr (dir, '/');
          const char *base = slash ? slash + 1 : dir;
          if (slash)
            *slash = '\0';
          cleanup_close int dfd = open_dst_dir (c, slash ? dir : "", err);
          if (dfd < 0)
            return -1;
          if (linkat (dfd, base, dst, name, 0) < 0)
            return capsa_fail (err, errno, "link `%s` to `%s`", rel, c->links[i].dst);
          return 0;
        }
  cleanup_close int in = openat (src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (in < 0)
    return capsa_fail (err, errno, "open `%s`", rel);
  cleanup_close int out = openat (dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (out < 0)
    return capsa_fail (err, errno, "create `%s`", rel);
  if (copy_data (in, out, rel, err) < 0 || copy_meta_fd (in, out, st, rel, err) < 0)
    return -1;
  struct timespec ts[2] = { st->st_atim, st->st_mtim };
  futimens (out, ts);
  if (st->st_nlink > 1)
    {
      c->links = xrealloc (c->links, (c->nlinks + 1) * sizeof *c->links);
      c->links[c->nlinks++] = (struct hardlink){ st->st_dev, st->st_ino, xstrdup (rel) };
    }
  return 0;
}

static int
copy_entry (struct copier *c, int src, int dst, const char *name, const char *rel, capsa_err **err)
{
  struct stat st, dst_st;
  struct timespec ts[2];

  if (fstatat (src, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
    return capsa_fail (err, errno, "stat `%s`", rel);
  ts[0] = st.st_atim;
  ts[1] = st.st_mtim;
  /* whiteouts: OCI files or overlay's 0:0 character devices */
  if (strcmp (name, ".wh..wh..opq") == 0)
    return 0;
  if (strncmp (name, ".wh.", 4) == 0)
    return fs_rm_rf_at (dst, name + 4, err);
  if (S_ISCHR (st.st_mode) && st.st_rdev == makedev (0, 0))
    return fs_rm_rf_at (dst, name, err);

  bool dst_exists = fstatat (dst, name, &dst_st, AT_SYMLINK_NOFOLLOW) == 0;
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int sfd = openat (src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (sfd < 0)
        return capsa_fail (err, errno, "open `%s`", rel);
      bool opaque = is_opaque (sfd);
      if (dst_exists && (!S_ISDIR (dst_st.st_mode) || opaque))
        {
          if (fs_rm_rf_at (dst, name, err) < 0)
            return -1;
          dst_exists = false;
        }
      if (!dst_exists && mkdirat (dst, name, 0700) < 0)
        return capsa_fail (err, errno, "mkdir `%s`", rel);
      cleanup_close int dfd = openat (dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (dfd < 0)
        return capsa_fail (err, errno, "open `%s`", rel);
      if (copy_meta_fd (sfd, dfd, &st, rel, err) < 0 || copy_dir (c, sfd, dfd, rel, err) < 0)
        return -1;
      futimens (dfd, ts);
      return 0;
    }
  if (dst_exists && fs_rm_rf_at (dst, name, err) < 0)
    return -1;
  if (S_ISREG (st.st_mode))
    return copy_regular (c, src, dst, name, &st, rel, err);
  if (S_ISLNK (st.st_mode))
    {
      char target[4097];
      ssize_t n = readlinkat (src, name, target, sizeof target - 1);
      if (n < 0)
        return capsa_fail (err, errno, "readlink `%s`", rel);
      target[n] = '\0';
      if (symlinkat (target, dst, name) < 0)
        return capsa_fail (err, errno, "symlink `%s`", rel);
    }
  else if (mknodat (dst, name, st.st_mode, st.st_rdev) < 0)
    return capsa_fail (err, errno, "mknod `%s`", rel);
  if (fchownat (dst, name, st.st_uid, st.st_gid, AT_SYMLINK_NOFOLLOW) < 0 && errno != EPERM)
    return capsa_fail (err, errno, "chown `%s`", rel);
  if (!S_ISLNK (st.st_mode) && fchmodat (dst, name, st.st_mode & 07777, 0) < 0)
    return capsa_fail (err, errno, "chmod `%s`", rel);
  utimensat (dst, name, ts, AT_SYMLINK_NOFOLLOW);
  return 0;
}

static int
copy_dir (struct copier *c, int src, int dst, const char *rel, capsa_err **err)
{
  int dupfd = fcntl (src, F_DUPFD_CLOEXEC, 3);
  if (dupfd < 0)
    return capsa_fail (err, errno, "dup");
  cleanup_dir DIR *d = fdopendir (dupfd);
  struct dirent *de;
  if (d == NULL)
    {
      int e = errno;
      close (dupfd);
      return capsa_fail (err, e, "opendir `%s`", rel);
    }
  /* an opaque directory replaces what was below: its destination was emptied by the caller
   * (copy_entry removes and recreates it) */
  while ((de = readdir (d)) != NULL)
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *child = *rel ? xasprintf ("%s/%s", rel, de->d_name) : xstrdup (de->d_name);
      if (copy_entry (c, src, dst, de->d_name, child, err) < 0)
        return -1;
    }
  return 0;
}

int
fs_copy_layer (int srcfd, int dstfd, capsa_err **err)
{
  struct copier c = { .dstroot = dstfd };
  int r = copy_dir (&c, srcfd, dstfd, "", err);
  for (size_t i = 0; i < c.nlinks; i++)
    free (c.links[i].dst);
  free (c.links);
  return r;
}

int
fs_each_entry (int dirfd, const char *what, const char *rel,
               int (*fn) (int child, const char *entry, const char *path, void *arg, capsa_err **err), void *arg,
               capsa_err **err)
{
  int rfd = openat (dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rfd < 0)
    return capsa_fail (err, errno, "read directory `%s`", what);
  cleanup_dir DIR *d = fdopendir (rfd);
  struct dirent *de;
  while ((de = readdir (d)))
    {
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      cleanup_free char *path = xasprintf ("%s/%s", rel, de->d_name);
      cleanup_close int child = openat (rfd, de->d_name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (child < 0)
        return capsa_fail (err, errno, "open `%s`", path);
      if (fn (child, de->d_name, path, arg, err) < 0)
        return -1;
    }
  return 0;
}

long long
fs_tree_size (int dirfd)
{
  long long total = 0;
  int dupfd = fcntl (dirfd, F_DUPFD_CLOEXEC, 3);
  if (dupfd < 0)
    return 0;
  cleanup_dir DIR *d = fdopendir (dupfd);
  struct dirent *de;
  if (d == NULL)
    {
      close (dupfd);
      return 0;
    }
  while ((de = readdir (d)) != NULL)
    {
      struct stat st;
      if (strcmp (de->d_name, ".") == 0 || strcmp (de->d_name, "..") == 0)
        continue;
      if (fstatat (dirfd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
        continue;
      if (S_ISREG (st.st_mode))
        total += st.st_size;
      else if (S_ISDIR (st.st_mode))
        {
          cleanup_close int fd = openat (dirfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
          if (fd >= 0)
            total += fs_tree_size (fd);
        }
    }
  return total;
}

/* The names the front ends call them by (include/capsa/util.h). */
CAPSA_EXPORT_AS (capsa_fs_tree_size, fs_tree_size);
CAPSA_EXPORT_AS (capsa_fs_each_entry, fs_each_entry);
