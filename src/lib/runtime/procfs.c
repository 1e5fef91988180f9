/* Verified writes to procfs: see procfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "procfs.h"
#include "util.h"

#define PROC_ROOT_INO 1

int procfs_force_fallback;

static bool
on_procfs (int fd)
{
  struct statfs sf;
  return fstatfs (fd, &sf) == 0 && sf.f_type == PROC_SUPER_MAGIC;
}

/* A new procfs instance, never attached anywhere (Linux 5.2). */
static int
fresh_procfs (void)
{
  cleanup_close int fs = fsopen ("proc", FSOPEN_CLOEXEC);
  if (fs < 0 || fsconfig (fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
    return -1;
  return fsmount (fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
}

int
procfs_open_root (capsa_err **err)
{
  int fd = procfs_force_fallback ? -1 : fresh_procfs ();
  if (fd < 0 && !procfs_force_fallback)
    /* not recursive: the copy has none of the mounts under /proc, so none over /proc/sys */
    fd = open_tree (AT_FDCWD, "/proc", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_SYMLINK_NOFOLLOW);
  if (fd < 0)
    fd = open ("/proc", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "open /proc");
  cleanup_close int root = fd;
  struct stat st;
  if (!on_procfs (root) || fstat (root, &st) < 0 || st.st_ino != PROC_ROOT_INO)
    return capsa_fail_as (err, EXDEV, "/proc is not the root of a procfs: refused to write through it");
  return take_fd (&root);
}

/* No symlink, no magic link, no mount crossed: what is found is in procfd's own procfs. */
static int
open_beneath (int procfd, const char *path, int flags)
{
  struct open_how how = { .flags = (unsigned) (flags | O_NOFOLLOW | O_CLOEXEC),
                          .resolve = RESOLVE_BENEATH | RESOLVE_NO_XDEV | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS };
  int fd = (int) syscall (SYS_openat2, procfd, path, &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS)
    return fd;
  /* before Linux 5.6: one component at a time, none a link, each on the same procfs */
  struct stat root, st;
  char comp[256];
  if (fstat (procfd, &root) < 0)
    return -1;
  cleanup_close int dir = fcntl (procfd, F_DUPFD_CLOEXEC, 3);
  for (const char *p = path; dir >= 0;)
    {
      size_t n = strcspn (p, "/");
      bool last = p[n] == '\0';
      if (n == 0 || n >= sizeof comp || (n <= 2 && strncmp (p, "..", n) == 0))
        return errno = EINVAL, -1;
      snprintf (comp, sizeof comp, "%.*s", (int) n, p);
      int next = openat (dir, comp, (last ? flags : O_PATH | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC);
      if (next < 0)
        return -1;
      close (dir);
      dir = next;
      if (fstat (dir, &st) < 0 || st.st_dev != root.st_dev || !on_procfs (dir))
        return errno = EXDEV, -1;
      if (last)
        return take_fd (&dir);
      p += n + 1;
    }
  return -1;
}

int
procfs_open (int procfd, const char *path, int flags, capsa_err **err)
{
  char self[32], full[PATH_MAX];

  if (strncmp (path, "self/", 5) == 0)
    {
      /* "self" is a link: read what it names in this procfs rather than follow it */
      ssize_t n = readlinkat (procfd, "self", self, sizeof self - 1);
      if (n <= 0)
        return capsa_fail (err, n < 0 ? errno : ENOENT, "find this process in /proc");
      self[n] = '\0';
      snprintf (full, sizeof full, "%s/%s", self, path + 5);
      path = full;
    }
  cleanup_close int fd = open_beneath (procfd, path, flags);
  if (fd < 0)
    return capsa_fail (err, errno, "open /proc/%s (no symlink or mount may be on the way)", path);
  if (!on_procfs (fd))
    return capsa_fail_as (err, EXDEV, "/proc/%s is not on procfs: refused", path);
  return take_fd (&fd);
}

int
procfs_write (int procfd, const char *path, const char *buf, size_t len, const char *what, capsa_err **err)
{
  cleanup_close int fd = procfs_open (procfd, path, O_WRONLY, err);
  if (fd < 0)
    return capsa_err_wrap (err, "%s", what);
  if (write_all (fd, buf, len) < 0)
    return capsa_fail (err, errno, "%s: write /proc/%s", what, path);
  return 0;
}
