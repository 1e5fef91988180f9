/* The container's root filesystem, set up inside its new mount namespace.
 *
 * Order (as runc and crun): make the old tree rslave so nothing propagates back to the host, bind
 * the rootfs onto itself, apply the config's mounts in order (each destination resolved inside
 * the rootfs through fds: resolve_in_root.h), populate /dev unless it is a bind mount, create
 * linux.devices, the process cwd when missing, pivot_root (or chroot with no_pivot), remount / read-only if asked,
 * apply rootfsPropagation, then mask and read-only paths.  Runs in the container's init only.
 */
#ifndef CAPSA_ROOTFS_SETUP_H
#define CAPSA_ROOTFS_SETUP_H

#include <stdbool.h>

#include "config.h"
#include "error.h"

struct rootfs_opts
{
  const char *rootfs; /* absolute host path of the rootfs */
  bool no_pivot;
  bool in_userns;     /* created or joined a user namespace: mknod and some mounts are not allowed */
  const int *src_fds; /* bind sources (mnt_open_sources), one per config mount; may be NULL */
  /* called once every mount and device exists, right before pivot_root/chroot (hooks); may be NULL */
  int (*before_pivot) (void *arg, capsa_err **err);
  void *before_pivot_arg;
};

/* Everything up to and including pivot_root/chroot. */
int rootfs_setup (const struct capsa_config *c, const struct rootfs_opts *o, capsa_err **err);
/* After the pivot: readonly root, rootfs propagation, masked and read-only paths. */
int rootfs_finish (const struct capsa_config *c, const struct rootfs_opts *o, capsa_err **err);

#endif
