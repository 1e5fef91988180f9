/* The container's root filesystem: see rootfs_setup.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "mounts.h"
#include "rootfs_setup.h"
#include "resolve_in_root.h"
#include "util.h"

/* The devices every container gets in a non-bind /dev (runc's and Docker's default set). */
static const struct
{
  const char *name;
  unsigned major, minor;
} default_devices[] = {
  { "null", 1, 3 }, { "zero", 1, 5 }, { "full", 1, 7 }, { "random", 1, 8 }, { "urandom", 1, 9 }, { "tty", 5, 0 },
};

static const struct
{
  const char *name, *target;
} default_links[] = {
  { "fd", "/proc/self/fd" },       { "stdin", "/proc/self/fd/0" }, { "stdout", "/proc/self/fd/1" },
  { "stderr", "/proc/self/fd/2" }, { "ptmx", "pts/ptmx" },         { "core", "/proc/kcore" },
};

static bool
dev_is_bind_mounted (const struct capsa_config *c)
{
  for (size_t i = 0; i < c->n_mounts; i++)
    if (strcmp (c->mounts[i].destination, "/dev") == 0 && c->mounts[i].is_bind)
      return true;
  return false;
}

/* Create one device node at `path` inside rootfd: mknod, or in a user namespace (where mknod is
 * not allowed) an empty file with the host's node bind-mounted over it. */
static int
make_device (int rootfd, const char *path, char type, unsigned major, unsigned minor, mode_t perm, uid_t uid, gid_t gid,
             bool in_userns, capsa_err **err)
{
  char parent[PATH_MAX];
  const char *base = strrchr (path, '/');
  mode_t kind = type == 'b' ? S_IFBLK : type == 'p' ? S_IFIFO : S_IFCHR;

  snprintf (parent, sizeof parent, "%.*s", (int) (base - path), path);
  cleanup_close int ppath = rootpath_mkpath (rootfd, parent[0] ? parent : "/", false, err);
  if (ppath < 0)
    return capsa_err_wrap (err, "create device `%s`", path);
  cleanup_close int dfd = openat (ppath, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0)
    return capsa_fail (err, errno, "open directory of device `%s`", path);
  base++;
  unlinkat (dfd, base, 0); /* replace whatever the image had there */
  if (in_userns && kind != S_IFIFO)
    {
      char host[PATH_MAX], target[32];
      snprintf (host, sizeof host, "%s", path);
      int f = openat (dfd, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
      if (f < 0)
        return capsa_fail (err, errno, "create `%s` for a device bind mount", path);
      close (f);
      cleanup_close int tfd = openat (dfd, base, O_PATH | O_NOFOLLOW | O_CLOEXEC);
      if (tfd < 0 || mount (host, mnt_fd_path (tfd, target, sizeof target), NULL, MS_BIND, NULL) < 0)
        return capsa_fail (err, errno, "bind mount device `%s` from the host", path);
      return 0;
    }
  if (mknodat (dfd, base, kind | (perm & 07777), makedev (major, minor)) < 0)
    return capsa_fail (err, errno, "mknod `%s`", path);
  if (fchmodat (dfd, base, perm & 07777, 0) < 0)
    return capsa_fail (err, errno, "chmod `%s`", path);
  if (fchownat (dfd, base, uid, gid, AT_SYMLINK_NOFOLLOW) < 0)
    return capsa_fail (err, errno, "chown `%s`", path);
  return 0;
}

static int
populate_dev (int rootfd, const struct capsa_config *c, bool in_userns, capsa_err **err)
{
  for (size_t i = 0; i < ARRAY_SIZE (default_devices); i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/dev/%s", default_devices[i].name);
      if (make_device (rootfd, path, 'c', default_devices[i].major, default_devices[i].minor, 0666, 0, 0, in_userns,
                       err)
          < 0)
        return -1;
    }
  cleanup_close int devp = rootpath_open (rootfd, "/dev", O_PATH | O_DIRECTORY, err);
  if (devp < 0)
    return -1;
  cleanup_close int dev = openat (devp, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dev < 0)
    return capsa_fail (err, errno, "open /dev inside the rootfs");
  for (size_t i = 0; i < ARRAY_SIZE (default_links); i++)
    {
      struct stat st;
      /* an existing /dev/ptmx (a device the config asked for) wins over the link */
      if (fstatat (dev, default_links[i].name, &st, AT_SYMLINK_NOFOLLOW) == 0)
        {
          if (!S_ISLNK (st.st_mode))
            continue;
          unlinkat (dev, default_links[i].name, 0);
        }
      if (symlinkat (default_links[i].target, dev, default_links[i].name) < 0)
        return capsa_fail (err, errno, "symlink /dev/%s", default_links[i].name);
    }
  (void) c;
  return 0;
}

static int
create_config_devices (int rootfd, const struct capsa_config *c, bool in_userns, capsa_err **err)
{
  for (size_t i = 0; i < c->n_devices; i++)
    {
      const struct cfg_device *d = &c->devices[i];
      char type = d->type == 'u' ? 'c' : d->type;
      if (make_device (rootfd, d->path, type, (unsigned) d->major, (unsigned) d->minor, d->has_mode ? d->mode : 0666,
                       d->has_uid ? d->uid : 0, d->has_gid ? d->gid : 0, in_userns, err)
          < 0)
        return capsa_err_wrap (err, "linux.devices[%zu]", i);
    }
  return 0;
}

static int
do_pivot_root (const char *rootfs, capsa_err **err)
{
  cleanup_close int oldroot = open ("/", O_DIRECTORY | O_RDONLY | O_CLOEXEC);
  cleanup_close int newroot = open (rootfs, O_DIRECTORY | O_RDONLY | O_CLOEXEC);

  if (oldroot < 0 || newroot < 0)
    return capsa_fail (err, errno, "open rootfs `%s`", rootfs);
  if (fchdir (newroot) < 0)
    return capsa_fail (err, errno, "chdir to rootfs `%s`", rootfs);
  /* pivot_root(".", "."): the old root ends up stacked under the new one, then is detached. */
  if (syscall (SYS_pivot_root, ".", ".") < 0)
    return capsa_fail (err, errno, "pivot_root to `%s`", rootfs);
  if (fchdir (oldroot) < 0)
    return capsa_fail (err, errno, "chdir to the old root");
  if (mount (NULL, ".", NULL, MS_SLAVE | MS_REC, NULL) < 0)
    return capsa_fail (err, errno, "make the old root rslave");
  if (umount2 (".", MNT_DETACH) < 0)
    return capsa_fail (err, errno, "detach the old root");
  if (chdir ("/") < 0)
    return capsa_fail (err, errno, "chdir to the new root");
  return 0;
}

static int
do_chroot (const char *rootfs, capsa_err **err)
{
  if (chdir (rootfs) < 0)
    return capsa_fail (err, errno, "chdir to rootfs `%s`", rootfs);
  if (mount (rootfs, "/", NULL, MS_MOVE, NULL) < 0)
    return capsa_fail (err, errno, "move rootfs `%s` to /", rootfs);
  if (chroot (".") < 0)
    return capsa_fail (err, errno, "chroot to `%s`", rootfs);
  if (chdir ("/") < 0)
    return capsa_fail (err, errno, "chdir to the new root");
  return 0;
}

int
rootfs_setup (const struct capsa_config *c, const struct rootfs_opts *o, capsa_err **err)
{
  /* Nothing below may propagate to the host: rslave unless the config asks rprivate etc. */
  unsigned long prop = MS_SLAVE | MS_REC;
  if (c->rootfs_propagation & MS_PRIVATE)
    prop = c->rootfs_propagation;
  /* unbindable would refuse the rootfs bind below when the rootfs is on the mount at / (runc
   * 1.1.5 fails so: EINVAL); private is what keeps the host apart here, and rootfs_finish makes
   * the container's / unbindable after the pivot */
  if (c->rootfs_propagation & MS_UNBINDABLE)
    prop = MS_PRIVATE | (c->rootfs_propagation & MS_REC);
  if (mount (NULL, "/", NULL, prop, NULL) < 0)
    return capsa_fail (err, errno, "make / %s", prop & MS_PRIVATE ? "private" : "rslave");
  if (mount (o->rootfs, o->rootfs, NULL, MS_BIND | MS_REC, NULL) < 0)
    return capsa_fail (err, errno, "bind mount rootfs `%s`", o->rootfs);

  cleanup_close int rootfd = open (o->rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0)
    return capsa_fail (err, errno, "open rootfs `%s`", o->rootfs);
  struct mnt_opts mo = { .in_userns = o->in_userns, .cgroupns = c->ns[CFG_NS_CGROUP].enabled };
  for (size_t i = 0; i < c->n_mounts; i++)
    if (mnt_apply (rootfd, &c->mounts[i], o->src_fds ? o->src_fds[i] : -1, &mo, err) < 0)
      return capsa_err_wrap (err, "mounts[%zu]", i);
  if (!dev_is_bind_mounted (c) && populate_dev (rootfd, c, o->in_userns, err) < 0)
    return -1;
  if (create_config_devices (rootfd, c, o->in_userns, err) < 0)
    return -1;
  /* A cwd the image lacks is created (as runc does), while the root is still writable. */
  if (c->process && c->process->cwd)
    {
      int fd = rootpath_mkpath (rootfd, c->process->cwd, false, err);
      if (fd < 0)
        return capsa_err_wrap (err, "process.cwd");
      close (fd);
    }
  if (o->before_pivot && o->before_pivot (o->before_pivot_arg, err) < 0)
    return -1;
  return o->no_pivot ? do_chroot (o->rootfs, err) : do_pivot_root (o->rootfs, err);
}

/* The container's /dev/null, to mask files with: opened without following a symlink and checked
 * to be the 1:3 character device.  A /dev from a volume or the image may make it a link to
 * /proc/1/environ or a regular file, and binding that over /proc/keys would show what it names
 * (CVE-2025-31133); runc refuses such a /dev/null, and so does capsa. */
static int
open_dev_null (int rootfd, capsa_err **err)
{
  struct stat st;
  cleanup_close int fd = rootpath_open (rootfd, "/dev/null", O_PATH | O_NOFOLLOW, err);
  if (fd < 0)
    return -1;
  if (fstat (fd, &st) < 0)
    return capsa_fail (err, errno, "stat /dev/null");
  if (!S_ISCHR (st.st_mode) || st.st_rdev != makedev (1, 3))
    return capsa_fail_as (err, EPERM,
                          "/dev/null in the container is not the null device (%s): refused to mask paths with it",
                          S_ISLNK (st.st_mode)   ? "a symlink"
                          : S_ISCHR (st.st_mode) ? "another device"
                                                 : "not a device");
  return take_fd (&fd);
}

/* Mount `tree` (a detached mount: open_tree, fsmount) onto the object target names. */
static int
attach_onto (int tree, int target, const char *path, capsa_err **err)
{
  if (move_mount (tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0)
    return capsa_fail (err, errno, "mask `%s`", path);
  return 0;
}

/* A directory gets an empty read-only tmpfs, anything else /dev/null (nullfd, verified), mounted
 * onto the fd the path resolved to inside the root: no name is looked up twice. */
static int
mask_path (int rootfd, int *nullfd, const char *path, capsa_err **err)
{
  struct stat st;
  cleanup_err capsa_err *missing = NULL;
  cleanup_close int t = rootpath_open (rootfd, path, O_PATH, &missing);
  if (t < 0)
    return errno == ENOENT ? 0 : capsa_fail (err, errno, "mask `%s`", path);
  if (fstat (t, &st) < 0)
    return capsa_fail (err, errno, "mask `%s`", path);
  if (S_ISDIR (st.st_mode))
    {
      cleanup_close int fs = fsopen ("tmpfs", FSOPEN_CLOEXEC);
      if (fs < 0 || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
        return capsa_fail (err, errno, "mask directory `%s`", path);
      cleanup_close int m = fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_RDONLY);
      if (m < 0)
        return capsa_fail (err, errno, "mask directory `%s`", path);
      return attach_onto (m, t, path, err);
    }
  if (*nullfd < 0 && (*nullfd = open_dev_null (rootfd, err)) < 0)
    return capsa_err_wrap (err, "mask `%s`", path);
  cleanup_close int tree = open_tree (*nullfd, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  if (tree < 0)
    return capsa_fail (err, errno, "mask `%s`: clone /dev/null", path);
  return attach_onto (tree, t, path, err);
}

static int
readonly_path (const char *path, capsa_err **err)
{
  if (mount (path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
    return errno == ENOENT ? 0 : capsa_fail (err, errno, "bind `%s` read-only", path);
  return mnt_remount_bind (path, MS_RDONLY | MS_REC, err);
}

int
rootfs_finish (const struct capsa_config *c, const struct rootfs_opts *o, capsa_err **err)
{
  for (char **p = c->readonly_paths; *p; p++)
    if (readonly_path (*p, err) < 0)
      return capsa_err_wrap (err, "linux.readonlyPaths");
  cleanup_close int rootfd = open ("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int nullfd = -1;
  if (rootfd < 0)
    return capsa_fail (err, errno, "open the container's root");
  for (char **p = c->masked_paths; *p; p++)
    if (mask_path (rootfd, &nullfd, *p, err) < 0)
      return capsa_err_wrap (err, "linux.maskedPaths");
  if (c->root_readonly && mnt_remount_bind ("/", MS_RDONLY, err) < 0)
    return capsa_err_wrap (err, "make the root read-only");
  if (c->rootfs_propagation && mount (NULL, "/", NULL, c->rootfs_propagation, NULL) < 0)
    return capsa_fail (err, errno, "set rootfsPropagation");
  (void) o;
  return 0;
}
