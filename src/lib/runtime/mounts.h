/* Mounting one config entry onto a destination inside the rootfs (used by rootfs_setup.c). */
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

/* Mount m inside rootfd.  srcfd: for a bind, the source tree mnt_open_sources opened, or -1 to
 * bind m->source by path. */
int mnt_apply (int rootfd, const struct cfg_mount *m, int srcfd, const struct mnt_opts *o, capsa_err **err);

/* A `cgroup` mount of m onto target (its destination, made already; "/proc/self/fd/N"). */
int mnt_cgroup (int rootfd, const struct cfg_mount *m, const char *target, const struct mnt_opts *o, capsa_err **err);

/* Bind sources opened by the runtime, as the host's root, before the container enters its user
 * namespace ("mount source fds", runc 1.1+): a source only root may read (a 0700 directory) can
 * be bound although the container's root, mapped to another uid, could not reach it.  fds has
 * c->n_mounts slots: a detached tree (O_CLOEXEC, numbered >= min_fd) for each bind mount, -1
 * for the rest.  Relative sources are taken from bundle. On failure nothing stays open.
 * Idmapped binds (idmap, ridmap, mount uidMappings) are made so too, with or without a user
 * namespace, and so are binds of an fd's link (/proc/PID/fd/N): only_by_tree opens those alone
 * (a container without one). */
int mnt_open_sources (const struct capsa_config *c, const char *bundle, bool only_by_tree, int min_fd, int *fds,
                      capsa_err **err);
/* Has c a bind only mnt_open_sources can make (idmapped, or from an fd's link)? */
bool mnt_any_by_tree (const struct capsa_config *c);
void mnt_close_sources (int *fds, size_t n);

/* Remount the mount at `path` (seen from the current root) as a bind with `flags`, keeping the
 * flags the kernel locks (nosuid, nodev, noexec, atime) already set on it. */
int mnt_remount_bind (const char *path, unsigned long flags, capsa_err **err);

/* "/proc/self/fd/N" for an fd, in buf (>= 32 bytes). */
const char *mnt_fd_path (int fd, char *buf, size_t len);

#endif
