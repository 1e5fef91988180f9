/* Mounting one config entry: see mounts.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "idmap.h"
#include "mounts.h"
#include "resolve_in_root.h"
#include "util.h"

#define PROPAGATION_FLAGS (MS_PRIVATE | MS_SHARED | MS_SLAVE | MS_UNBINDABLE)

const char *
mnt_fd_path (int fd, char *buf, size_t len)
{
  snprintf (buf, len, "/proc/self/fd/%d", fd);
  return buf;
}

static unsigned long
locked_flags (const char *path)
{
  struct statvfs sv;
  unsigned long f = 0;

  if (statvfs (path, &sv) < 0)
    return 0;
  if (sv.f_flag & ST_NOSUID)
    f |= MS_NOSUID;
  if (sv.f_flag & ST_NODEV)
    f |= MS_NODEV;
  if (sv.f_flag & ST_NOEXEC)
    f |= MS_NOEXEC;
  if (sv.f_flag & ST_NOATIME)
    f |= MS_NOATIME;
  if (sv.f_flag & ST_NODIRATIME)
    f |= MS_NODIRATIME;
  if (sv.f_flag & ST_RELATIME)
    f |= MS_RELATIME;
  return f;
}

int
mnt_remount_bind (const char *path, unsigned long flags, capsa_err **err)
{
  unsigned long keep = locked_flags (path);
  unsigned long f = MS_REMOUNT | MS_BIND | (flags & ~(MS_BIND | MS_REC | PROPAGATION_FLAGS));

  /* First keep only what was not explicitly cleared; the kernel refuses (EPERM) to clear a
   * locked flag in a user namespace, and then everything already set has to stay. */
  if (mount (NULL, path, NULL, f | keep, NULL) == 0)
    return 0;
  if (errno == EPERM && mount (NULL, path, NULL, f | keep | locked_flags (path), NULL) == 0)
    return 0;
  return capsa_fail (err, errno, "remount `%s`", path);
}

/* Remount the mount now at dest (re-resolved so the fd names the new mount's root). */
static int
remount_dest (int rootfd, const struct cfg_mount *m, unsigned long flags, capsa_err **err)
{
  char p[32];
  cleanup_close int fd = rootpath_open (rootfd, m->destination, O_PATH, err);
  if (fd < 0)
    return -1;
  if (mnt_remount_bind (mnt_fd_path (fd, p, sizeof p), flags, err) < 0)
    return capsa_err_wrap (err, "mount `%s`", m->destination);
  return 0;
}

static int
set_propagation (int rootfd, const struct cfg_mount *m, unsigned long propagation, capsa_err **err)
{
  char p[32];
  cleanup_close int fd = rootpath_open (rootfd, m->destination, O_PATH, err);
  if (fd < 0)
    return -1;
  if (mount (NULL, mnt_fd_path (fd, p, sizeof p), NULL, propagation, NULL) < 0)
    return capsa_fail (err, errno, "set propagation of `%s`", m->destination);
  return 0;
}

static int
bind_mount (const char *src, const char *target, unsigned long flags, const char *dest, capsa_err **err)
{
  if (mount (src, target, NULL, MS_BIND | (flags & MS_REC), NULL) < 0)
    return capsa_fail (err, errno, "bind mount `%s` on `%s`", src, dest);
  return 0;
}

/* A fresh mount the kernel refuses in a user namespace: bind the host's instance instead. */
static const char *
userns_bind_fallback (const char *type)
{
  if (strcmp (type, "sysfs") == 0)
    return "/sys";
  if (strcmp (type, "mqueue") == 0)
    return "/dev/mqueue";
  return NULL;
}

/* A tmpfs keeps the mode of the directory it covers (runc stats the destination and chmods the
 * tmpfs to it); a destination that does not exist yet gets the tmpfs default, 1777, as with runc.
 * Given `mode=`, capsa keeps it: runc 1.1.5 chmods over it as well, which makes the option
 * useless on an existing directory (the issue asks for the option to win; crun agrees).
 * Returns the data to mount with, owned, or NULL for m->data. */
static char *
tmpfs_data (int rootfd, const struct cfg_mount *m)
{
  const char *d = m->data ? m->data : "";
  if (strncmp (d, "mode=", 5) == 0 || strstr (d, ",mode=") != NULL)
    return NULL;
  cleanup_err capsa_err *ignored = NULL;
  cleanup_close int fd = rootpath_open (rootfd, m->destination, O_PATH, &ignored);
  struct stat st;
  if (fd < 0 || fstat (fd, &st) < 0 || !S_ISDIR (st.st_mode))
    return NULL;
  unsigned mode = st.st_mode & 07777;
  return *d ? xasprintf ("%s,mode=%o", d, mode) : xasprintf ("mode=%o", mode);
}

/* A fresh mount of m->type (tmpfs, proc, sysfs, ...); in a user namespace the host's instance is
 * bound where the kernel refuses a fresh one. data: the options to mount with. */
static int
mount_fresh (int rootfd, const struct cfg_mount *m, const char *data, const char *target, bool in_userns,
             capsa_err **err)
{
  const char *type = m->type ? m->type : "";
  const char *src = m->source && *m->source ? m->source : type;
  unsigned long extra = m->flags & ~(MS_BIND | MS_REC);
  if (mount (src, target, type, extra, data) == 0)
    return 0;
  int e = errno;
  const char *host = in_userns ? userns_bind_fallback (type) : NULL;
  if (host == NULL || (e != EPERM && e != EINVAL))
    return capsa_fail (err, e, "mount %s on `%s`", type, m->destination);
  if (bind_mount (host, target, MS_REC, m->destination, err) < 0 || remount_dest (rootfd, m, extra, err) < 0)
    return -1;
  return 0;
}

/* cfg_parse refused mounts over /proc by their destination; a symlink in the rootfs may still
 * lead a destination into the container's procfs ("/x" -> "/proc/sys"), and a host directory
 * there would catch the sysctl writes.  So: a destination that resolved onto procfs must be one
 * cfg_proc_mount_allowed() accepts by name. */
static int
check_not_into_proc (int dfd, const struct cfg_mount *m, int srcfd, capsa_err **err)
{
  struct statfs sf, src;
  bool is_proc = m->is_bind ? m->source && (srcfd >= 0 ? fstatfs (srcfd, &src) : statfs (m->source, &src)) == 0
                                  && src.f_type == PROC_SUPER_MAGIC
                            : m->type && strcmp (m->type, "proc") == 0;
  if (fstatfs (dfd, &sf) < 0)
    return capsa_fail (err, errno, "mount destination `%s`", m->destination);
  if (sf.f_type == PROC_SUPER_MAGIC && cfg_proc_mount_allowed (m->destination, is_proc) != 1)
    return capsa_fail_as (err, EPERM, "mount destination `%s` resolves into /proc (a symlink in the rootfs?): refused",
                          m->destination);
  return 0;
}

/* Attach the tree opened by mnt_open_sources on target, then make it rslave: open_tree clones
 * the host's mount into the host's peer group, and mounts made under it in the container must
 * not propagate back (a bind made in the container's namespace is a slave already, rootfs_setup.c). */
static int
attach_source (int rootfd, int tree, int dfd, const struct cfg_mount *m, capsa_err **err)
{
  /* onto the fd itself: the kernel refuses a /proc/self/fd/N target here (EINVAL) */
  if (move_mount (tree, "", dfd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return capsa_fail (err, errno, "bind mount `%s` on `%s` (move_mount)", m->source, m->destination);
  return set_propagation (rootfd, m, MS_SLAVE | MS_REC, err);
}

/* A bind's source: checked by path, or by the fd the runtime opened as host root (a source the
 * container's root may not even stat). Sets *as_file for a source that is not a directory. */
static int
check_bind_source (const struct cfg_mount *m, int srcfd, bool *as_file, capsa_err **err)
{
  struct stat st;
  if (m->source == NULL || *m->source == '\0')
    return capsa_fail_as (err, EINVAL, "bind mount on `%s` has no source", m->destination);
  if ((srcfd >= 0 ? fstat (srcfd, &st) : stat (m->source, &st)) < 0)
    return capsa_fail (err, errno, "bind mount source `%s` for `%s`", m->source, m->destination);
  *as_file = !S_ISDIR (st.st_mode);
  return 0;
}

int
mnt_apply (int rootfd, const struct cfg_mount *m, int srcfd, const struct mnt_opts *o, capsa_err **err)
{
  const char *type = m->type ? m->type : "";
  bool bind = m->is_bind;
  bool as_file = false;
  char target[32];
  unsigned long extra = m->flags & ~(MS_BIND | MS_REC);

  if (bind && check_bind_source (m, srcfd, &as_file, err) < 0)
    return -1;
  /* (before the destination is created: its mode is the one it had) */
  cleanup_free char *data = strcmp (type, "tmpfs") == 0 ? tmpfs_data (rootfd, m) : NULL;
  cleanup_close int dfd = rootpath_mkpath (rootfd, m->destination, as_file, err);
  if (dfd < 0)
    return capsa_err_wrap (err, "mount destination");
  if (check_not_into_proc (dfd, m, srcfd, err) < 0)
    return -1;
  mnt_fd_path (dfd, target, sizeof target);

  if (bind)
    {
      int r = srcfd >= 0 ? attach_source (rootfd, srcfd, dfd, m, err)
                         : bind_mount (m->source, target, m->flags, m->destination, err);
      if (r < 0)
        return -1;
      if (extra && remount_dest (rootfd, m, extra, err) < 0)
        return -1;
    }
  else if (strcmp (type, "cgroup") == 0)
    {
      if (mnt_cgroup (rootfd, m, target, o, err) < 0)
        return -1;
    }
  else if (mount_fresh (rootfd, m, data ? data : m->data, target, o->in_userns, err) < 0)
    return -1;
  if (m->propagation && set_propagation (rootfd, m, m->propagation, err) < 0)
    return -1;
  return 0;
}

/* Idmap the detached tree t (mount_setattr MOUNT_ATTR_IDMAP): through the mount's own mappings,
 * else the container's; ridmap takes the submounts of an rbind too. The runtime does it, as the
 * host's root, while the tree is not attached anywhere (the kernel's rule). */
static int
idmap_tree (int t, const struct capsa_config *c, const struct cfg_mount *m, capsa_err **err)
{
  bool own = m->n_uid_maps > 0;
  if (!own && (c->n_uid_maps == 0 || c->n_gid_maps == 0))
    return capsa_fail_as (err, EINVAL,
                          "idmapped mount of `%s` on `%s`: no mappings (give the mount uidMappings and gidMappings, "
                          "or the container a user namespace with linux.uidMappings)",
                          m->source, m->destination);
  cleanup_free char *um = own ? idmap_format (m->uid_maps, m->n_uid_maps) : idmap_format (c->uid_maps, c->n_uid_maps);
  cleanup_free char *gm = own ? idmap_format (m->gid_maps, m->n_gid_maps) : idmap_format (c->gid_maps, c->n_gid_maps);
  cleanup_close int ns = idmap_userns_fd (um, gm, err);
  if (ns < 0)
    return capsa_err_wrap (err, "idmapped mount on `%s`", m->destination);
  struct mount_attr attr = { .attr_set = MOUNT_ATTR_IDMAP, .userns_fd = (uint64_t) ns };
  unsigned at = AT_EMPTY_PATH | (m->idmap == CFG_RIDMAP ? AT_RECURSIVE : 0);
  if (mount_setattr (t, "", at, &attr, sizeof attr) < 0)
    return capsa_fail (err, errno,
                       "idmapped mount of `%s` on `%s` (mount_setattr MOUNT_ATTR_IDMAP: needs Linux 5.12+ and a "
                       "filesystem that supports it; ridmap needs every submount to)",
                       m->source, m->destination);
  return 0;
}

/* A bind that only a detached tree can make: an idmapped one, or one whose source is a file
 * descriptor's link (/proc/PID/fd/N or /proc/self/fd/N: a file its caller holds open, as capsa
 * build's RUN binds, so that no path is resolved twice).  By path, the child would bind from a
 * mount of the runtime's namespace, not its own copy, which the kernel refuses (EINVAL). */
static bool
needs_tree (const struct cfg_mount *m)
{
  const char *s = m->source;
  if (m->idmap)
    return true;
  if (s == NULL || strncmp (s, "/proc/", 6) != 0)
    return false;
  s += 6;
  if (strncmp (s, "self", 4) == 0)
    s += 4;
  else
    s += strspn (s, "0123456789");
  return strncmp (s, "/fd/", 4) == 0;
}

/* One source: a detached copy of the host's mount (open_tree OPEN_TREE_CLONE), recursive for
 * rbind, idmapped when asked; -1 where the kernel lacks open_tree or refuses it to a runtime
 * without CAP_SYS_ADMIN over its mount namespace (capsa-oci run by an ordinary user: it reaches
 * no more than the container's root does): the child then binds by path, as before. An
 * idmapped mount cannot be made so, and fails. */
static int
open_source (int bundlefd, const struct capsa_config *c, const struct cfg_mount *m, int min_fd, int *out,
             capsa_err **err)
{
  unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | ((m->flags & MS_REC) ? AT_RECURSIVE : 0);
  *out = -1;
  if (m->source == NULL || *m->source == '\0')
    return 0; /* (mnt_apply says what is wrong) */
  cleanup_close int t = open_tree (bundlefd, m->source, flags);
  if (t < 0 && (errno == ENOSYS || errno == EPERM) && !needs_tree (m))
    return 0;
  if (t < 0)
    return capsa_fail (err, errno, "bind mount source `%s` for `%s`", m->source, m->destination);
  if (m->idmap && idmap_tree (t, c, m, err) < 0)
    return -1;
  /* above the fds handed to the process (--preserve-fds): it must not get this one */
  *out = fcntl (t, F_DUPFD_CLOEXEC, min_fd);
  if (*out < 0)
    return capsa_fail (err, errno, "bind mount source `%s`: dup", m->source);
  return 0;
}

bool
mnt_any_by_tree (const struct capsa_config *c)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    if (c->mounts[i].is_bind && needs_tree (&c->mounts[i]))
      return true;
  return false;
}

int
mnt_open_sources (const struct capsa_config *c, const char *bundle, bool only_by_tree, int min_fd, int *fds,
                  capsa_err **err)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    fds[i] = -1;
  cleanup_close int bfd = open (bundle ? bundle : ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (bfd < 0)
    return capsa_fail (err, errno, "open bundle `%s`", bundle ? bundle : ".");
  for (size_t i = 0; i < c->n_mounts; i++)
    {
      const struct cfg_mount *m = &c->mounts[i];
      if (!m->is_bind || (only_by_tree && !needs_tree (m)))
        continue;
      if (open_source (bfd, c, m, min_fd, &fds[i], err) < 0)
        {
          mnt_close_sources (fds, i);
          return capsa_err_wrap (err, "mounts[%zu]", i);
        }
    }
  return 0;
}

void
mnt_close_sources (int *fds, size_t n)
{
  for (size_t i = 0; fds && i < n; i++)
    if (fds[i] >= 0)
      {
        close (fds[i]);
        fds[i] = -1;
      }
}
