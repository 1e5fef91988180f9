/* Writing to /proc from inside a container, where the rootfs is untrusted.
 *
 * By the time the container's init writes its sysctls or oom_score_adj, /proc is a mount the
 * config made inside a rootfs the container's image controls: something may be mounted over
 * /proc/sys or /proc/self, or a path may be a symlink, to turn the write into one on a file the
 * attacker chose (CVE-2025-52881).  These functions reach procfs files only through an fd to a
 * procfs root that nothing can be mounted over, with no symlink followed, and check the file they
 * opened is on procfs (fstatfs f_type == PROC_SUPER_MAGIC) before writing.
 * Returned fds are O_CLOEXEC and owned by the caller.
 */
#ifndef CAPSA_PROCFS_H
#define CAPSA_PROCFS_H

#include <stddef.h>

#include "error.h"

/* A procfs root to write through: a fresh detached procfs (fsopen/fsmount: no mount can be on top
 * of anything in it), else a detached copy of the /proc mount without what is mounted under it
 * (open_tree OPEN_TREE_CLONE), else /proc itself once checked to be a procfs root (then every
 * lookup is kept from crossing a mount). */
int procfs_open_root (capsa_err **err);

/* Open `path` ("sys/kernel/shmmax", "self/oom_score_adj": "self/" is resolved to this process's
 * pid in that procfs, never followed as a link) under procfd, checked to be on procfs. */
int procfs_open (int procfd, const char *path, int flags, capsa_err **err);

/* procfs_open (O_WRONLY) and write buf; `what` names the setting in messages. */
int procfs_write (int procfd, const char *path, const char *buf, size_t len, const char *what, capsa_err **err);

/* Testing: skip the fresh and cloned procfs and use /proc itself (the last fallback). */
extern int procfs_force_fallback;

#endif
