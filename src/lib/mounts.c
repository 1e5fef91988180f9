/* Mounting one config entry: see mounts.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "mounts.h"
#include "rootpath.h"
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
set_propagation (int rootfd, const struct cfg_mount *m, capsa_err **err)
{
  char p[32];
  cleanup_close int fd = rootpath_open (rootfd, m->destination, O_PATH, err);
  if (fd < 0)
    return -1;
  if (mount (NULL, mnt_fd_path (fd, p, sizeof p), NULL, m->propagation, NULL) < 0)
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

static bool
is_dir (const char *path)
{
  struct stat st;
  return stat (path, &st) == 0 && S_ISDIR (st.st_mode);
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

/* cfg_parse refused mounts over /proc by their destination; a symlink in the rootfs may still
 * lead a destination into the container's procfs ("/x" -> "/proc/sys"), and a host directory
 * there would catch the sysctl writes.  So: a destination that resolved onto procfs must be one
 * cfg_proc_mount_allowed() accepts by name. */
static int
check_not_into_proc (int dfd, const struct cfg_mount *m, capsa_err **err)
{
  struct statfs sf, src;
  bool is_proc = m->is_bind ? m->source && statfs (m->source, &src) == 0 && src.f_type == PROC_SUPER_MAGIC
                            : m->type && strcmp (m->type, "proc") == 0;
  if (fstatfs (dfd, &sf) < 0)
    return capsa_fail (err, errno, "mount destination `%s`", m->destination);
  if (sf.f_type == PROC_SUPER_MAGIC && cfg_proc_mount_allowed (m->destination, is_proc) != 1)
    return capsa_fail_as (err, EPERM, "mount destination `%s` resolves into /proc (a symlink in the rootfs?): refused",
                          m->destination);
  return 0;
}

int
mnt_apply (int rootfd, const struct cfg_mount *m, const struct mnt_opts *o, capsa_err **err)
{
  const char *type = m->type ? m->type : "";
  bool bind = m->is_bind;
  bool as_file = bind && m->source && !is_dir (m->source);
  char target[32];
  unsigned long extra = m->flags & ~(MS_BIND | MS_REC);

  if (bind && (m->source == NULL || *m->source == '\0'))
    return capsa_fail_as (err, EINVAL, "bind mount on `%s` has no source", m->destination);
  if (bind && access (m->source, F_OK) < 0)
    return capsa_fail (err, errno, "bind mount source `%s` for `%s`", m->source, m->destination);
  cleanup_close int dfd = rootpath_mkpath (rootfd, m->destination, as_file, err);
  if (dfd < 0)
    return capsa_err_wrap (err, "mount destination");
  if (check_not_into_proc (dfd, m, err) < 0)
    return -1;
  mnt_fd_path (dfd, target, sizeof target);

  if (bind)
    {
      if (bind_mount (m->source, target, m->flags, m->destination, err) < 0)
        return -1;
      if (extra && remount_dest (rootfd, m, extra, err) < 0)
        return -1;
    }
  else if (strcmp (type, "cgroup") == 0)
    {
      if (mnt_cgroup (rootfd, m, target, o, err) < 0)
        return -1;
    }
  else
    {
      const char *src = m->source && *m->source ? m->source : type;
      if (mount (src, target, type, extra, m->data) < 0)
        {
          int e = errno;
          const char *host = o->in_userns ? userns_bind_fallback (type) : NULL;
          if (host == NULL || (e != EPERM && e != EINVAL))
            return capsa_fail (err, e, "mount %s on `%s`", type, m->destination);
          if (bind_mount (host, target, MS_REC, m->destination, err) < 0 || remount_dest (rootfd, m, extra, err) < 0)
            return -1;
        }
    }
  if (m->propagation && set_propagation (rootfd, m, err) < 0)
    return -1;
  return 0;
}
