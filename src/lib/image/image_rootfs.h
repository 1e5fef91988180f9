/* A container's root filesystem made from an image, under ROOT/containers/ID/:
 *   overlay: merged/ = overlayfs of the image's unpacked layers (read-only lower dirs, shared by
 *            every container) with this container's own upper/ and work/;
 *   vfs:     rootfs/ = a private copy of the layers merged in order (the fallback where overlayfs
 *            cannot be mounted, or a layer kept OCI whiteouts because it was unpacked unprivileged).
 * ROOT/containers/ID/image records the image id (rmi and prune leave such images alone) and
 * ROOT/containers/ID/driver the driver used. */
#ifndef CAPSA_IMAGE_ROOTFS_H
#define CAPSA_IMAGE_ROOTFS_H

#include "error.h"
#include "store.h"

enum capsa_rootfs_driver
{
  CAPSA_ROOTFS_AUTO, /* overlay when it works, else vfs */
  CAPSA_ROOTFS_OVERLAY,
  CAPSA_ROOTFS_VFS,
};

/* Give container `id` a root from image `image` (name or id).  *path_out (owned) gets the root's
 * path.  On failure nothing is left behind. */
CAPSA_PUBLIC int capsa_rootfs_mount (struct capsa_store *s, const char *image, const char *id,
                                     const char *default_registry, enum capsa_rootfs_driver driver,
                                     char **path_out, capsa_err **err);
/* The same for a container in a user namespace of its own: uid_map and gid_map are its mappings
 * in /proc/PID/uid_map's form ("CONTAINER HOST SIZE" lines).  The image's layers become the
 * overlay's lower dirs through idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP), so the shared
 * layers stay as they are on disk and look owned by the container's own ids; the upper dir holds
 * host ids (what the container writes).  The mappings are kept (ROOT/containers/ID/uid_map,
 * gid_map) for a later capsa_rootfs_remount.  Overlay only: a kernel or filesystem that cannot
 * idmap is an error that says so. */
CAPSA_PUBLIC int capsa_rootfs_mount_idmapped (struct capsa_store *s, const char *image, const char *id,
                                              const char *default_registry, const char *uid_map,
                                              const char *gid_map, char **path_out, capsa_err **err);
/* The same for a container in a user namespace of its own: uid_map and gid_map are its mappings
 * in /proc/PID/uid_map's form ("CONTAINER HOST SIZE" lines).  The image's layers become the
 * overlay's lower dirs through idmapped mounts (mount_setattr MOUNT_ATTR_IDMAP), so the shared
 * layers stay as they are on disk yet look owned by the container's own ids; the upper dir holds
 * host ids (what the container writes).  The mappings are kept (ROOT/containers/ID/uid_map,
 * gid_map) for capsa_rootfs_remount.  Overlay only: a kernel or filesystem that cannot idmap is
 * an error that says so. */
CAPSA_PUBLIC int capsa_rootfs_mount_idmapped (struct capsa_store *s, const char *image, const char *id,
                                              const char *default_registry, const char *uid_map,
                                              const char *gid_map, char **path_out, capsa_err **err);
/* Unmount (overlay) and remove everything of container `id`.  A missing id is an error. */
CAPSA_PUBLIC int capsa_rootfs_unmount (struct capsa_store *s, const char *id, capsa_err **err);

/* Unmount (overlay) the root of container `id` but keep its upper dir: a stopped container.
 * Nothing to do for vfs or when it is not mounted. */
CAPSA_PUBLIC int capsa_rootfs_release (struct capsa_store *s, const char *id, capsa_err **err);
/* Mount the overlay root of container `id` again after capsa_rootfs_release (nothing to do when it
 * is mounted or vfs). */
CAPSA_PUBLIC int capsa_rootfs_remount (struct capsa_store *s, const char *id, capsa_err **err);

#endif
