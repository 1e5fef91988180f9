/* User namespaces made only to carry id mappings, for idmapped mounts (mount_setattr with
 * MOUNT_ATTR_IDMAP): bind mounts with `idmap`/`ridmap` (mounts.c) and the image layers of a
 * container in a user namespace of its own (image_rootfs.c). */
#ifndef CAPSA_IDMAP_H
#define CAPSA_IDMAP_H

#include <stddef.h>

#include "config.h"
#include "error.h"

/* An fd (O_CLOEXEC) to a new user namespace with these maps ("INSIDE OUTSIDE COUNT" lines, as
 * /proc/PID/uid_map takes them).  A child unshares it, the caller writes its maps, keeps an fd
 * and the child goes: nothing runs in it afterwards.  Needs CAP_SETUID/CAP_SETGID over the
 * outside ids (the runtime as root). */
int idmap_userns_fd (const char *uid_map, const char *gid_map, capsa_err **err);

/* The maps in /proc/PID/uid_map's form, owned. */
char *idmap_format (const struct cfg_id_map *m, size_t n);

#endif
