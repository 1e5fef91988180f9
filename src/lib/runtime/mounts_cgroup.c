/* The `cgroup` mount type: the container's own view of its cgroups (see mounts.h).
 *
 * What the container sees at the destination (normally /sys/fs/cgroup), as runc does:
 * - with a cgroup namespace: fresh cgroup filesystems; the kernel roots each one at the
 *   namespace's root, the container's own cgroup.
 * - without one (Docker and podman on v1, the CRI): each hierarchy's directory of the container
 *   itself, bind-mounted from the host.  A fresh mount would show the host's whole tree: the
 *   root's memory.limit_in_bytes (9223372036854771712) and every other container's cgroup, and
 *   the JVM, Go, .NET and Node would size themselves to the whole machine.
 * v1 and hybrid: a tmpfs, one directory per hierarchy named after its host mount point
 * ("cpu,cpuacct", "memory", "systemd", "unified"), and for a comounted one a link per controller
 * ("cpu" -> "cpu,cpuacct").  Pure v2: the unified hierarchy right at the destination.
 *
 * The init has joined its cgroups before it mounts anything (spawn.c), so its own cgroup in each
 * hierarchy (/proc/self/cgroup, cg_host_detect) is the container's. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <unistd.h>

#include "cgroup.h"
#include "mounts.h"
#include "resolve_in_root.h"
#include "util.h"

#define CG_MOUNT_FLAGS (MS_NOSUID | MS_NODEV | MS_NOEXEC)

/* The flags every hierarchy gets: the mount's own (ro, relatime...) plus nosuid, nodev, noexec. */
static unsigned long
hier_flags (const struct cfg_mount *m)
{
  return (m->flags & ~(MS_BIND | MS_REC | MS_REMOUNT)) | CG_MOUNT_FLAGS;
}

/* Remount what is now mounted at dest (resolved again: the fd of the mount point names what is
 * under the new mount). */
static int
remount_at (int rootfd, const char *dest, unsigned long flags, capsa_err **err)
{
  char p[32];
  cleanup_close int fd = rootpath_open (rootfd, dest, O_PATH, err);
  if (fd < 0)
    return -1;
  if (mnt_remount_bind (mnt_fd_path (fd, p, sizeof p), flags, err) < 0)
    return capsa_err_wrap (err, "mount `%s`", dest);
  return 0;
}

/* Bind the container's own directory of h onto target (dest inside rootfd), with m's flags. */
static int
bind_own_dir (int rootfd, const struct cg_hier *h, const char *target, const struct cfg_mount *m, const char *dest,
              capsa_err **err)
{
  cleanup_free char *src = cg_hier_own_dir (h);
  /* The runtime's cgroup outside what is mounted here (the runtime in a cgroup namespace of its
   * own, with the host's mount): the most that can be shown is the mount itself. */
  const char *from = src ? src : h->mount;
  if (mount (from, target, NULL, MS_BIND | MS_REC, NULL) < 0)
    return capsa_fail (err, errno, "bind mount cgroup `%s` on `%s`", from, dest);
  return remount_at (rootfd, dest, hier_flags (m), err);
}

/* A fresh cgroup filesystem of h (with a cgroup namespace); in a user namespace the kernel may
 * refuse it (EPERM, EBUSY), and then the container's own directory is bound instead. */
static int
mount_fresh (int rootfd, const struct cg_hier *h, const char *target, const struct cfg_mount *m, bool in_userns,
             const char *dest, capsa_err **err)
{
  int r = h->version == CG_V2 ? mount ("cgroup2", target, "cgroup2", hier_flags (m), NULL)
                              : mount ("cgroup", target, "cgroup", hier_flags (m), h->controllers);
  if (r == 0)
    return 0;
  if (in_userns && (errno == EPERM || errno == EBUSY))
    return bind_own_dir (rootfd, h, target, m, dest, err);
  return capsa_fail (err, errno, "mount cgroup hierarchy `%s` on `%s`", h->controllers, dest);
}

static int
mount_hier (int rootfd, const struct cg_hier *h, const char *target, const struct cfg_mount *m,
            const struct mnt_opts *o, const char *dest, capsa_err **err)
{
  if (o->cgroupns)
    return mount_fresh (rootfd, h, target, m, o->in_userns, dest, err);
  return bind_own_dir (rootfd, h, target, m, dest, err);
}

/* "cpu" and "cpuacct" -> "cpu,cpuacct" next to a comounted hierarchy (an existing name wins). */
static int
link_comounted (int dirfd, const char *name, const char *dest, capsa_err **err)
{
  cleanup_free char *names = xstrdup (name);
  char *save = NULL;
  if (strchr (name, ',') == NULL)
    return 0;
  for (char *t = strtok_r (names, ",", &save); t; t = strtok_r (NULL, ",", &save))
    if (symlinkat (name, dirfd, t) < 0 && errno != EEXIST)
      return capsa_fail (err, errno, "symlink `%s/%s` -> `%s`", dest, t, name);
  return 0;
}

/* Mount one hierarchy at DEST/<base name of its host mount point>. */
static int
mount_v1_entry (int rootfd, int dirfd, const struct cg_hier *h, const struct cfg_mount *m, const struct mnt_opts *o,
                capsa_err **err)
{
  const char *slash = strrchr (h->mount, '/');
  const char *name = slash ? slash + 1 : h->mount;
  char p[32];
  if (*name == '\0' || strcmp (name, "..") == 0 || strcmp (name, ".") == 0)
    return 0; /* (a hierarchy mounted at "/": nothing to name it by) */
  cleanup_free char *dest = xasprintf ("%s/%s", m->destination, name);
  cleanup_close int dfd = rootpath_mkpath (rootfd, dest, false, err);
  if (dfd < 0)
    return -1;
  if (mount_hier (rootfd, h, mnt_fd_path (dfd, p, sizeof p), m, o, dest, err) < 0)
    return -1;
  return link_comounted (dirfd, name, m->destination, err);
}

/* v1 or hybrid: a tmpfs holding one mount per hierarchy (read-only at the end when m says so). */
static int
mount_v1 (int rootfd, const struct cfg_mount *m, const char *target, const struct cg_host *host,
          const struct mnt_opts *o, capsa_err **err)
{
  if (mount ("tmpfs", target, "tmpfs", CG_MOUNT_FLAGS, "mode=755") < 0)
    return capsa_fail (err, errno, "mount tmpfs on `%s`", m->destination);
  /* (resolved again: target names the directory under the tmpfs, and the links go in the tmpfs) */
  cleanup_close int top = rootpath_open (rootfd, m->destination, O_PATH | O_DIRECTORY, err);
  if (top < 0)
    return -1;
  cleanup_close int dirfd = openat (top, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return capsa_fail (err, errno, "open the tmpfs on `%s`", m->destination);
  for (size_t i = 0; i < host->n; i++)
    if (mount_v1_entry (rootfd, dirfd, &host->h[i], m, o, err) < 0)
      return -1;
  if (m->flags & MS_RDONLY)
    return remount_at (rootfd, m->destination, MS_RDONLY | CG_MOUNT_FLAGS, err);
  return 0;
}

int
mnt_cgroup (int rootfd, const struct cfg_mount *m, const char *target, const struct mnt_opts *o, capsa_err **err)
{
  struct cg_host host;
  if (cg_host_detect (&host, err) < 0)
    return capsa_err_wrap (err, "mount cgroup on `%s`", m->destination);
  int r;
  if (host.layout == CG_LAYOUT_NONE)
    r = capsa_fail_as (err, ENOENT, "mount cgroup on `%s`: the host has no cgroup filesystem mounted", m->destination);
  else if (host.layout == CG_LAYOUT_V2)
    /* Pure v2 without a cgroup namespace: runc and crun mount a fresh cgroup2 when the kernel lets
     * them, which shows the host's whole tree (the very problem above); the container's own
     * directory is what its cgroup namespace would show, so that is what it gets. */
    r = mount_hier (rootfd, &host.h[0], target, m, o, m->destination, err);
  else
    r = mount_v1 (rootfd, m, target, &host, o, err);
  cg_host_free (&host);
  return r;
}
