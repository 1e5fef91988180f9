/* Resolving paths inside a container's root filesystem through file descriptors.
 *
 * A path in config.json ("/dev/shm", a mount destination) names a place INSIDE the rootfs, and
 * the rootfs is untrusted: any component may be a symlink, absolute or full of "..".  These
 * functions resolve such paths as if rootfd were "/", so the result can never be outside it:
 * openat2(RESOLVE_IN_ROOT) when the kernel has it, otherwise a component-by-component walk with
 * O_NOFOLLOW that expands symlinks itself and clamps ".." at the root (the checked fallback).
 * Returned fds are O_CLOEXEC and owned by the caller.
 */
#ifndef CAPSA_RESOLVE_IN_ROOT_H
#define CAPSA_RESOLVE_IN_ROOT_H

#include <stdbool.h>
#include <sys/types.h>

#include "error.h"

/* Open `path` inside rootfd with `flags` (O_PATH, O_RDONLY, O_DIRECTORY, ...; O_CREAT not allowed). */
int rootpath_open (int rootfd, const char *path, int flags, capsa_err **err);

/* Make sure `path` exists inside rootfd: missing parent directories are created (mode 0755), and
 * the last component as a directory, or as an empty regular file when `as_file`.  Returns an
 * O_PATH fd to it. */
int rootpath_mkpath (int rootfd, const char *path, bool as_file, capsa_err **err);

/* Testing: force the fallback walk even when openat2 exists. */
extern bool rootpath_force_fallback;

#endif
