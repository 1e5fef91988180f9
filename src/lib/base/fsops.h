/* Directory-tree operations through fds for the image store: removal and the vfs copy of layers.
 * Every walk uses O_NOFOLLOW: a symlink inside a tree is copied or removed as a link, never
 * followed, so a tree built from an untrusted image cannot redirect these operations. */
#ifndef CAPSA_FSOPS_H
#define CAPSA_FSOPS_H

#include <stdbool.h>

#include "error.h"

/* Remove dirfd/name and everything below it (like rm -rf); a missing name is not an error. */
int fs_rm_rf_at (int dirfd, const char *name, capsa_err **err);
/* The same, by path (relative to the cwd or absolute). */
int fs_rm_rf (const char *path, capsa_err **err);

/* Copy the unpacked layer tree srcfd onto dstfd the way overlayfs would merge it on top: files
 * replace what is below, directories merge, overlay whiteouts (0:0 character devices, or OCI
 * `.wh.NAME` files) delete the name below and opaque directories (trusted.overlay.opaque=y or a
 * `.wh..wh..opq` file) hide everything below.  Owners, modes, times, xattrs and hardlinks (within
 * the layer) are kept. */
int fs_copy_layer (int srcfd, int dstfd, capsa_err **err);

/* Calls fn (child, entry, path, arg, err) for each entry of the directory dirfd (an O_PATH fd of it
 * will do) but "." and "..": child is an O_PATH | O_NOFOLLOW fd of the entry, closed when fn
 * returns; path is "rel/entry".  Stops at the first failure of fn; its own failures read "read
 * directory `what`" and "open `rel/entry`". */
int fs_each_entry (int dirfd, const char *what, const char *rel,
                   int (*fn) (int child, const char *entry, const char *path, void *arg, capsa_err **err), void *arg,
                   capsa_err **err);
/* Total size in bytes of the regular files below dirfd (each hardlink counted). */
long long fs_tree_size (int dirfd);

#endif
