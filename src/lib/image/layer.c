/* Applying a layer tarball: see layer.h.
 *
 * Two libarchive readers are chained: the outer one only decompresses (any filter, "raw"
 * format) and hashes the uncompressed bytes, which gives the diff id; the inner one parses the
 * tar from those bytes.  Each entry then goes through apply_entry(): clean the name, open its
 * parent below the root (creating missing directories, refusing symlinks), and create it. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <archive.h>
#include <archive_entry.h>

#include "fsops.h"
#include "layer.h"
#include "util.h"

#define OVERLAY_OPAQUE_XATTR "trusted.overlay.opaque"
#define WH_PREFIX ".wh."
#define WH_OPAQUE ".wh..wh..opq"

struct source
{
  struct archive *outer;
  capsa_sha256 hash;
  char buf[128 * 1024];
};

struct dirtime
{
  char *path;
  struct timespec ts[2];
};

struct applier
{
  int rootfd;
  const struct capsa_layer_opts *o;
  bool is_root;
  bool oci_whiteouts;
  struct dirtime *dirs;
  size_t ndirs;
  char *parent_path; /* the last entry's parent directory ("a/b"), open as parent_fd (parent_dir) */
  int parent_fd;
};

static la_ssize_t
inner_read (struct archive *a, void *data, const void **buf)
{
  struct source *s = data;
  la_ssize_t n = archive_read_data (s->outer, s->buf, sizeof s->buf);
  if (n < 0)
    {
      archive_set_error (a, archive_errno (s->outer), "%s", archive_error_string (s->outer));
      return -1;
    }
  capsa_sha256_update (&s->hash, s->buf, (size_t) n);
  *buf = s->buf;
  return n;
}

static void
free_archive (struct archive **a)
{
  if (*a)
    archive_read_free (*a);
}
#define cleanup_archive __attribute__ ((cleanup (free_archive)))

int
archive_fail (capsa_err **err, struct archive *a, const char *what)
{
  int e = archive_errno (a);
  const char *s = archive_error_string (a);
  return capsa_fail_as (err, e > 0 ? e : EINVAL, "%s: %s", what, s ? s : "unknown archive error");
}

/* Open the decompressing outer reader on fd; *empty when the stream has no bytes at all. */
static int
open_outer (struct source *s, int fd, bool *empty, capsa_err **err)
{
  struct archive_entry *e;
  s->outer = archive_read_new ();
  archive_read_support_filter_all (s->outer);
  archive_read_support_format_raw (s->outer);
  archive_read_support_format_empty (s->outer);
  if (archive_read_open_fd (s->outer, fd, 64 * 1024) != ARCHIVE_OK)
    return archive_fail (err, s->outer, "read layer");
  int r = archive_read_next_header (s->outer, &e);
  if (r == ARCHIVE_EOF)
    {
      *empty = true;
      return 0;
    }
  if (r != ARCHIVE_OK)
    return archive_fail (err, s->outer, "read layer");
  *empty = archive_format (s->outer) == ARCHIVE_FORMAT_EMPTY;
  return 0;
}

/* Hash whatever the inner reader left unread (padding after the end-of-archive blocks). */
static int
drain_outer (struct source *s, capsa_err **err)
{
  for (;;)
    {
      la_ssize_t n = archive_read_data (s->outer, s->buf, sizeof s->buf);
      if (n < 0)
        return archive_fail (err, s->outer, "read layer");
      if (n == 0)
        return 0;
      capsa_sha256_update (&s->hash, s->buf, (size_t) n);
    }
}

int
capsa_layer_diffid (int fd, char *diffid, bool *compressed, capsa_err **err)
{
  struct source *s = xmalloc0 (sizeof *s);
  bool empty = false;
  int r;

  capsa_sha256_init (&s->hash);
  r = open_outer (s, fd, &empty, err);
  if (r == 0 && !empty)
    r = drain_outer (s, err);
  if (r == 0)
    {
      if (compressed)
        *compressed = archive_filter_count (s->outer) > 1;
      capsa_sha256_final (&s->hash, diffid);
    }
  capsa_sha256_free (&s->hash);
  archive_read_free (s->outer);
  free (s);
  return r;
}

int
capsa_layer_decompress (int fd, int (*sink) (void *data, const void *buf, size_t len, capsa_err **err), void *data,
                        capsa_err **err)
{
  struct source *s = xmalloc0 (sizeof *s);
  bool empty = false;
  int r;

  capsa_sha256_init (&s->hash);
  r = open_outer (s, fd, &empty, err);
  while (r == 0 && !empty)
    {
      la_ssize_t n = archive_read_data (s->outer, s->buf, sizeof s->buf);
      if (n < 0)
        r = archive_fail (err, s->outer, "decompress");
      else if (n == 0)
        break;
      else
        r = sink (data, s->buf, (size_t) n, err);
    }
  capsa_sha256_free (&s->hash);
  archive_read_free (s->outer);
  free (s);
  return r;
}

/* Split a tar name into components.  "./a//b/" gives {a, b}; "" or "./" gives {} (the root).
 * Absolute names and `..` are refused. */
static int
split_name (const char *entry, const char *name, char ***out, capsa_err **err)
{
  cleanup_strv char **comps = NULL;
  cleanup_free char *copy = NULL;
  char *save = NULL;

  if (name[0] == '/')
    return capsa_fail_as (err, EPERM, "layer entry `%s`: absolute path: refusing to write outside the layer", entry);
  copy = xstrdup (name);
  comps = xmalloc0 (sizeof (char *));
  for (char *c = strtok_r (copy, "/", &save); c; c = strtok_r (NULL, "/", &save))
    {
      if (strcmp (c, ".") == 0)
        continue;
      if (strcmp (c, "..") == 0)
        return capsa_fail_as (err, EPERM, "layer entry `%s`: path contains `..`: refusing to write outside the layer",
                              entry);
      strv_append (&comps, c);
    }
  *out = take_ptr (&comps);
  return 0;
}

/* Open (O_RDONLY directory) the directory made of comps[0..n) below the root.  Missing
 * directories are created (0755) when `create`; a symlink or another non-directory on the way is
 * refused: following it could leave the layer. */
static int
open_dir_below (struct applier *a, char **comps, size_t n, bool create, const char *entry, capsa_err **err)
{
  cleanup_close int fd = fcntl (a->rootfd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0)
    return capsa_fail (err, errno, "layer entry `%s`: dup", entry);
  for (size_t i = 0; i < n; i++)
    {
      int next = openat (fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0 && errno == ENOENT && create)
        {
          if (mkdirat (fd, comps[i], 0755) < 0 && errno != EEXIST)
            return capsa_fail (err, errno, "layer entry `%s`: create directory `%s`", entry, comps[i]);
          next = openat (fd, comps[i], O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        }
      if (next < 0)
        {
          int e = errno;
          struct stat st;
          if ((e == ENOTDIR || e == ELOOP) && fstatat (fd, comps[i], &st, AT_SYMLINK_NOFOLLOW) == 0
              && S_ISLNK (st.st_mode))
            return capsa_fail_as (err, EPERM,
                                  "layer entry `%s`: `%s` is a symbolic link: refusing to write through it "
                                  "(it could point outside the layer)",
                                  entry, comps[i]);
          return capsa_fail (err, e, "layer entry `%s`: open directory `%s`", entry, comps[i]);
        }
      close (fd);
      fd = next;
    }
  return take_fd (&fd);
}

/* open_dir_below (creating) of the entry's parent, kept open for the next entries: a layer's
 * entries come directory by directory, and walking from the root for each costs an open and a
 * close per component.  Forgotten whenever something is removed (clear_target): a directory
 * removed must not be written into. */
static int
parent_dir (struct applier *a, char **comps, size_t n, const char *entry, capsa_err **err)
{
  size_t len = 1;
  for (size_t i = 0; i < n; i++)
    len += strlen (comps[i]) + 1;
  cleanup_free char *path = xmalloc0 (len);
  for (size_t i = 0; i < n; i++)
    {
      if (i)
        strcat (path, "/");
      strcat (path, comps[i]);
    }
  if (a->parent_path && strcmp (a->parent_path, path) == 0)
    return a->parent_fd;
  int fd = open_dir_below (a, comps, n, true, entry, err);
  if (fd < 0)
    return -1;
  if (a->parent_fd >= 0)
    close (a->parent_fd);
  free (a->parent_path);
  a->parent_path = take_ptr (&path);
  a->parent_fd = fd;
  return fd;
}

static bool
xattr_allowed (const struct applier *a, const char *name)
{
  /* the image must not forge overlayfs's own whiteout/opaque/redirect markers */
  if (strncmp (name, "trusted.overlay.", 16) == 0 || strncmp (name, "user.overlay.", 13) == 0)
    return false;
  if (!a->is_root && (strncmp (name, "trusted.", 8) == 0 || strncmp (name, "security.", 9) == 0))
    return false;
  return true;
}

static int
set_xattrs (struct applier *a, int fd, struct archive_entry *e, const char *entry, capsa_err **err)
{
  const char *name;
  const void *value;
  size_t size;

  archive_entry_xattr_reset (e);
  while (archive_entry_xattr_next (e, &name, &value, &size) == ARCHIVE_OK)
    {
      if (!xattr_allowed (a, name))
        continue;
      if (fsetxattr (fd, name, value, size, 0) < 0 && errno != ENOTSUP)
        return capsa_fail (err, errno, "layer entry `%s`: set xattr `%s`", entry, name);
    }
  return 0;
}

/* Owner, xattrs and mode of an entry opened as fd (regular file or directory).  The mode comes
 * after chown, which would clear setuid/setgid bits. */
static int
set_meta_fd (struct applier *a, int fd, struct archive_entry *e, const char *entry, capsa_err **err)
{
  if (a->is_root && fchown (fd, (uid_t) archive_entry_uid (e), (gid_t) archive_entry_gid (e)) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: chown", entry);
  if (set_xattrs (a, fd, e, entry, err) < 0)
    return -1;
  if (fchmod (fd, archive_entry_mode (e) & 07777) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: chmod", entry);
  return 0;
}

static void
entry_times (struct archive_entry *e, struct timespec ts[2])
{
  ts[1].tv_sec = archive_entry_mtime (e);
  ts[1].tv_nsec = archive_entry_mtime_nsec (e);
  if (archive_entry_atime_is_set (e))
    {
      ts[0].tv_sec = archive_entry_atime (e);
      ts[0].tv_nsec = archive_entry_atime_nsec (e);
    }
  else
    ts[0] = ts[1];
}

/* Make room for a new entry `base` in parent: a directory stays when the new entry is one too
 * (returns 1); anything else is removed. */
static int
clear_target (struct applier *a, int parent, const char *base, bool new_is_dir, const char *entry, capsa_err **err)
{
  struct stat st;
  if (fstatat (parent, base, &st, AT_SYMLINK_NOFOLLOW) < 0)
    {
      if (errno == ENOENT)
        return 0;
      return capsa_fail (err, errno, "layer entry `%s`: stat", entry);
    }
  if (S_ISDIR (st.st_mode) && new_is_dir)
    return 1;
  /* the kept parent may be below what goes now: looked up again next time (its fd stays open
   * until then, the caller's parent among them) */
  free (a->parent_path);
  a->parent_path = NULL;
  if (fs_rm_rf_at (parent, base, err) < 0)
    return capsa_err_wrap (err, "layer entry `%s`: replace", entry);
  return 0;
}

static int
write_data (struct archive *ar, int fd, struct archive_entry *e, const char *entry, capsa_err **err)
{
  const void *buf;
  size_t size;
  la_int64_t offset, end = 0;
  int r;

  while ((r = archive_read_data_block (ar, &buf, &size, &offset)) == ARCHIVE_OK)
    {
      const char *p = buf;
      while (size > 0)
        {
          ssize_t n = pwrite (fd, p, size, offset);
          if (n < 0 && errno == EINTR)
            continue;
          if (n < 0)
            return capsa_fail (err, errno, "layer entry `%s`: write", entry);
          p += n;
          size -= (size_t) n;
          offset += n;
        }
      if (offset > end)
        end = offset;
    }
  if (r != ARCHIVE_EOF)
    return archive_fail (err, ar, entry);
  /* sparse files: holes at the end (a new file's size is where its last write ended) */
  if (archive_entry_size_is_set (e) && end < archive_entry_size (e) && ftruncate (fd, archive_entry_size (e)) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: truncate", entry);
  return 0;
}

static int
apply_whiteout (struct applier *a, int parent, const char *base, const char *entry, capsa_err **err)
{
  struct stat st;
  if (strcmp (base, WH_OPAQUE) == 0)
    {
      if (fsetxattr (parent, OVERLAY_OPAQUE_XATTR, "y", 1, 0) == 0)
        return 0;
      if (errno != EPERM && errno != ENOTSUP)
        return capsa_fail (err, errno, "layer entry `%s`: mark the directory opaque", entry);
    }
  else
    {
      const char *name = base + strlen (WH_PREFIX);
      if (*name == '\0' || strcmp (name, ".") == 0 || strcmp (name, "..") == 0)
        return capsa_fail_as (err, EINVAL, "layer entry `%s`: invalid whiteout name", entry);
      /* a whiteout hides the layers below only: a name present in this same layer stays */
      if (fstatat (parent, name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        return 0;
      if (mknodat (parent, name, S_IFCHR | 0, makedev (0, 0)) == 0)
        return 0;
      if (errno != EPERM)
        return capsa_fail (err, errno, "layer entry `%s`: create the whiteout", entry);
    }
  /* no privilege for overlay's form: keep the OCI file */
  a->oci_whiteouts = true;
  cleanup_close int fd = openat (parent, base, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return capsa_fail (err, errno, "layer entry `%s`: create", entry);
  return 0;
}

static int
apply_hardlink (struct applier *a, int parent, const char *base, struct archive_entry *e, const char *entry,
                capsa_err **err)
{
  const char *target = archive_entry_hardlink (e);
  cleanup_strv char **tc = NULL;
  cleanup_close int tparent = -1;
  struct stat tst, st;

  if (split_name (target, target, &tc, err) < 0)
    return capsa_err_wrap (err, "layer entry `%s`: hardlink", entry);
  size_t n = strv_len (tc);
  if (n == 0)
    return capsa_fail_as (err, EINVAL, "layer entry `%s`: hardlink to the layer's root", entry);
  tparent = open_dir_below (a, tc, n - 1, false, entry, err);
  if (tparent < 0)
    return capsa_err_wrap (err, "hardlink target `%s`", target);
  if (fstatat (tparent, tc[n - 1], &tst, AT_SYMLINK_NOFOLLOW) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: hardlink target `%s`", entry, target);
  if (S_ISDIR (tst.st_mode))
    return capsa_fail_as (err, EPERM, "layer entry `%s`: hardlink to directory `%s`", entry, target);
  if (fstatat (parent, base, &st, AT_SYMLINK_NOFOLLOW) == 0 && st.st_ino == tst.st_ino && st.st_dev == tst.st_dev)
    return 0;
  if (clear_target (a, parent, base, false, entry, err) < 0)
    return -1;
  if (linkat (tparent, tc[n - 1], parent, base, 0) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: link to `%s`", entry, target);
  return 0;
}

/* One entry to make: at parent/base (a fd of the directory, opened below the root without
 * following links), named entry in messages, with the times ts. */
struct new_entry
{
  struct applier *a;
  struct archive_entry *e;
  int parent;
  const char *base, *entry;
  struct timespec ts[2];
};

/* The owner of a link or node (as root only: a rootless unpack keeps its own). */
static int
chown_entry (const struct new_entry *n, capsa_err **err)
{
  if (n->a->is_root
      && fchownat (n->parent, n->base, (uid_t) archive_entry_uid (n->e), (gid_t) archive_entry_gid (n->e),
                   AT_SYMLINK_NOFOLLOW)
             < 0)
    return capsa_fail (err, errno, "layer entry `%s`: chown", n->entry);
  return 0;
}

static int
make_file (const struct new_entry *n, struct archive *ar, capsa_err **err)
{
  cleanup_close int fd = openat (n->parent, n->base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0)
    return capsa_fail (err, errno, "layer entry `%s`: create", n->entry);
  if (write_data (ar, fd, n->e, n->entry, err) < 0 || set_meta_fd (n->a, fd, n->e, n->entry, err) < 0)
    return -1;
  if (futimens (fd, n->ts) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: set times", n->entry);
  return 0;
}

/* keep: the directory is there already (a merge) */
static int
make_dir (const struct new_entry *n, bool keep, capsa_err **err)
{
  struct applier *a = n->a;
  if (!keep && mkdirat (n->parent, n->base, 0700) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: mkdir", n->entry);
  cleanup_close int fd = openat (n->parent, n->base, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "layer entry `%s`: open", n->entry);
  if (set_meta_fd (a, fd, n->e, n->entry, err) < 0)
    return -1;
  /* children change a directory's times: set them at the end */
  a->dirs = xrealloc (a->dirs, (a->ndirs + 1) * sizeof *a->dirs);
  a->dirs[a->ndirs].path = xstrdup (n->entry);
  memcpy (a->dirs[a->ndirs].ts, n->ts, sizeof n->ts);
  a->ndirs++;
  return 0;
}

static int
make_symlink (const struct new_entry *n, capsa_err **err)
{
  const char *target = archive_entry_symlink (n->e);
  if (target == NULL)
    target = archive_entry_symlink_utf8 (n->e);
  if (target == NULL)
    return capsa_fail_as (err, EINVAL, "layer entry `%s`: symlink without a target", n->entry);
  /* the target is not checked: it is only ever resolved inside the container's root */
  if (symlinkat (target, n->parent, n->base) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: symlink", n->entry);
  if (chown_entry (n, err) < 0)
    return -1;
  utimensat (n->parent, n->base, n->ts, AT_SYMLINK_NOFOLLOW);
  return 0;
}

/* A device node or a FIFO. */
static int
make_node (const struct new_entry *n, mode_t type, capsa_err **err)
{
  if (type != AE_IFIFO && !n->a->is_root)
    return 0; /* device files need root: skipped, as rootless engines do */
  dev_t dev = makedev (archive_entry_rdevmajor (n->e), archive_entry_rdevminor (n->e));
  if (mknodat (n->parent, n->base, type | 0600, type == AE_IFIFO ? 0 : dev) < 0)
    {
      if (errno == EPERM && type != AE_IFIFO)
        return 0; /* root of a user namespace may not make devices either */
      return capsa_fail (err, errno, "layer entry `%s`: mknod", n->entry);
    }
  if (chown_entry (n, err) < 0)
    return -1;
  /* freshly made by us in a directory opened without following links: not a symlink */
  if (fchmodat (n->parent, n->base, archive_entry_mode (n->e) & 07777, 0) < 0)
    return capsa_fail (err, errno, "layer entry `%s`: chmod", n->entry);
  utimensat (n->parent, n->base, n->ts, AT_SYMLINK_NOFOLLOW);
  return 0;
}

static int
apply_entry (struct applier *a, struct archive *ar, struct archive_entry *e, capsa_err **err)
{
  const char *entry = archive_entry_pathname (e);
  cleanup_strv char **comps = NULL;
  int parent; /* (borrowed: parent_dir keeps it) */
  struct new_entry n = { .a = a, .e = e };
  mode_t type = archive_entry_filetype (e);

  if (entry == NULL)
    entry = archive_entry_pathname_utf8 (e);
  if (entry == NULL)
    return capsa_fail_as (err, EINVAL, "layer entry without a name");
  if (split_name (entry, entry, &comps, err) < 0)
    return -1;
  size_t nc = strv_len (comps);
  entry_times (e, n.ts);
  if (nc == 0)
    {
      /* the root itself ("./"): its metadata only */
      if (type != AE_IFDIR)
        return capsa_fail_as (err, EINVAL, "layer entry `%s`: the layer's root is not a directory", entry);
      return set_meta_fd (a, a->rootfd, e, entry, err);
    }
  const char *base = comps[nc - 1];
  parent = parent_dir (a, comps, nc - 1, entry, err);
  if (parent < 0)
    return -1;
  if (a->o->whiteouts && strncmp (base, WH_PREFIX, strlen (WH_PREFIX)) == 0)
    return apply_whiteout (a, parent, base, entry, err);
  if (archive_entry_hardlink (e))
    return apply_hardlink (a, parent, base, e, entry, err);

  int keep = clear_target (a, parent, base, type == AE_IFDIR, entry, err);
  if (keep < 0)
    return -1;
  n.parent = parent, n.base = base, n.entry = entry;
  switch (type)
    {
    case AE_IFREG:
      return make_file (&n, ar, err);
    case AE_IFDIR:
      return make_dir (&n, keep, err);
    case AE_IFLNK:
      return make_symlink (&n, err);
    case AE_IFCHR:
    case AE_IFBLK:
    case AE_IFIFO:
      return make_node (&n, type, err);
    default:
      return 0; /* sockets and unknown types are not part of an image */
    }
}

static void
set_dir_times (struct applier *a)
{
  for (size_t i = a->ndirs; i-- > 0;)
    {
      cleanup_err capsa_err *ignored = NULL;
      cleanup_strv char **comps = NULL;
      if (split_name (a->dirs[i].path, a->dirs[i].path, &comps, &ignored) < 0)
        continue;
      cleanup_close int fd = open_dir_below (a, comps, strv_len (comps), false, a->dirs[i].path, &ignored);
      if (fd >= 0)
        futimens (fd, a->dirs[i].ts);
    }
}

static int
apply_all (struct applier *a, struct source *s, uint64_t *count, capsa_err **err)
{
  cleanup_archive struct archive *inner = archive_read_new ();
  struct archive_entry *e;
  int r;

  archive_read_support_format_tar (inner);
  archive_read_support_format_empty (inner);
  if (archive_read_open (inner, s, NULL, inner_read, NULL) != ARCHIVE_OK)
    return archive_fail (err, inner, "read layer tar");
  while ((r = archive_read_next_header (inner, &e)) == ARCHIVE_OK)
    {
      if (apply_entry (a, inner, e, err) < 0)
        return -1;
      (*count)++;
    }
  if (r != ARCHIVE_EOF)
    return archive_fail (err, inner, "read layer tar");
  set_dir_times (a);
  return 0;
}

int
capsa_layer_apply (int fd, int dirfd, const struct capsa_layer_opts *o, struct capsa_layer_result *res, capsa_err **err)
{
  struct applier a = { .rootfd = dirfd, .o = o, .is_root = geteuid () == 0, .parent_fd = -1 };
  struct source *s = xmalloc0 (sizeof *s);
  bool empty = false;
  int r;

  memset (res, 0, sizeof *res);
  capsa_sha256_init (&s->hash);
  r = open_outer (s, fd, &empty, err);
  if (r == 0 && !empty)
    r = apply_all (&a, s, &res->entries, err);
  if (r == 0 && !empty)
    r = drain_outer (s, err);
  if (r == 0)
    capsa_sha256_final (&s->hash, res->diffid);
  res->oci_whiteouts = a.oci_whiteouts;
  if (a.parent_fd >= 0)
    close (a.parent_fd);
  free (a.parent_path);
  for (size_t i = 0; i < a.ndirs; i++)
    free (a.dirs[i].path);
  free (a.dirs);
  capsa_sha256_free (&s->hash);
  archive_read_free (s->outer);
  free (s);
  return r;
}
