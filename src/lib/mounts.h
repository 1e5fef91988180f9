/* Mounting one config entry onto a destination inside the rootfs (used by rootfs.c). */
#ifndef CAPSA_MOUNTS_H
#define CAPSA_MOUNTS_H

#include <stdbool.h>

#include "config.h"
#include "error.h"

struct mnt_opts
{
  /* created or joined a user namespace: the fallbacks runc uses there (bind the host's sysfs or
   * mqueue, the container's own cgroup directories, when the kernel refuses a fresh mount) */
  bool in_userns;
  /* the container has a cgroup namespace: a `cgroup` mount is a fresh cgroup filesystem, else
   * the container's own cgroup directories bound from the host (mounts_cgroup.c) */
  bool cgroupns;
};

/* Mount m inside rootfd. */
int mnt_apply (int rootfd, const struct cfg_mount *m, const struct mnt_opts *o, capsa_err **err);

/* A `cgroup` mount of m onto target (its destination, made already; "/proc/self/fd/N"). */
int mnt_cgroup (int rootfd, const struct cfg_mount *m, const char *target, const struct mnt_opts *o,
                capsa_err **err);

/* Remount the mount at `path` (seen from the current root) as a bind with `flags`, keeping the
 * flags the kernel locks (nosuid, nodev, noexec, atime) already set on it. */
int mnt_remount_bind (const char *path, unsigned long flags, capsa_err **err);

/* "/proc/self/fd/N" for an fd, in buf (>= 32 bytes). */
const char *mnt_fd_path (int fd, char *buf, size_t len);

#endif
