/* Mounting one config entry onto a destination inside the rootfs (used by rootfs.c). */
#ifndef CAPSA_MOUNTS_H
#define CAPSA_MOUNTS_H

#include <stdbool.h>

#include "config.h"
#include "error.h"

/* Mount m inside rootfd.  in_userns turns on the fallbacks runc uses there (bind the host's sysfs,
 * mqueue or cgroup hierarchies when the kernel refuses a fresh mount). */
int mnt_apply (int rootfd, const struct cfg_mount *m, bool in_userns, capsa_err **err);

/* Remount the mount at `path` (seen from the current root) as a bind with `flags`, keeping the
 * flags the kernel locks (nosuid, nodev, noexec, atime) already set on it. */
int mnt_remount_bind (const char *path, unsigned long flags, capsa_err **err);

/* "/proc/self/fd/N" for an fd, in buf (>= 32 bytes). */
const char *mnt_fd_path (int fd, char *buf, size_t len);

#endif
