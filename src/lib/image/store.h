/* The image store: content-addressed blobs and unpacked layers under one root directory.
 *
 *   ROOT/blobs/sha256/HEX      manifests, configs and layer blobs, named by their sha256
 *   ROOT/layers/HEX/diff       a layer unpacked once (HEX = its diff id), shared by every image
 *   ROOT/layers/HEX/format     "overlay" (whiteouts in overlayfs's form) or "oci" (.wh. files)
 *   ROOT/images.json           the index of images and tags (image.h), replaced atomically
 *   ROOT/containers/ID/        container roots made from images (image_rootfs.h)
 *   ROOT/volumes/NAME/_data    named volumes (the CLI's)
 *   ROOT/tmp/                  work in progress; nothing here is ever visible as an image
 *
 * Crash safety: a blob or a layer appears under its name only once complete (temp file or
 * directory + fsync + rename), and an image appears only when images.json is replaced after all
 * its blobs and layers are in place; an interrupted pull leaves at most litter in tmp/, which the
 * next pull, load or import removes (capsa_store_clean_tmp: only entries whose writer is gone),
 * and garbage collection too.
 *
 * Locking (flock): writers of blobs and layers (pull, load, import) hold gc.lock shared for their
 * whole run; garbage collection (rmi, prune) takes it exclusive, so it never removes what a
 * running pull has written but not yet registered.  images.json is read-modified-written under
 * index.lock (exclusive, short).
 */
#ifndef CAPSA_STORE_H
#define CAPSA_STORE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "digest.h"
#include "error.h"
#include "capsa/image.h" /* the store's public part: open, close, layer paths */

struct capsa_store
{
  char *root; /* absolute path, owned */
  int rootfd; /* O_DIRECTORY */
  int gcfd;   /* gc.lock while held, else -1 */
};

/* Modes (store.c says why): ROOT, containers/ and volumes/ 0711; blobs/, layers/, tmp/ 0700;
 * each containers/ID and volumes/NAME 0700, or 0710 root:GID for a user-namespaced container.
 * Opening a store made with more open modes tightens them. */
/* Make dirfd/name private: 0700, or 0710 with group `gid` (the host gid of a user-namespaced
 * container's root, which must pass through it) when userns. */
CAPSA_PUBLIC int capsa_store_private_dir (int dirfd, const char *name, bool userns, gid_t gid, capsa_err **err);
/* The host id that container id 0 has in dirfd/file ("CONTAINER HOST SIZE" lines, as
 * /proc/PID/uid_map): 0 when it is not mapped, -1 when there is no such file. */
CAPSA_PUBLIC long long capsa_store_map_root (int dirfd, const char *file);

/* gc.lock: shared for writers, exclusive for garbage collection; held until unlock or close. */
CAPSA_PUBLIC int capsa_store_lock_gc (struct capsa_store *s, bool exclusive, capsa_err **err);
CAPSA_PUBLIC void capsa_store_unlock_gc (struct capsa_store *s);
/* index.lock, exclusive: returns the fd that holds it (close it to unlock). */
CAPSA_PUBLIC int capsa_store_lock_index (struct capsa_store *s, capsa_err **err);

/* Blobs. */
CAPSA_PUBLIC bool capsa_store_has_blob (struct capsa_store *s, const char *digest);
CAPSA_PUBLIC int capsa_store_open_blob (struct capsa_store *s, const char *digest, capsa_err **err);
/* Read a whole (small) blob.  Its digest is not checked again: a blob is checked once, when it is
 * written (capsa_blob_writer_commit), and the store trusts its own content after that (hashing the
 * config on every `capsa run` cost ~2 ms, most of it OpenSSL's start-up). */
CAPSA_PUBLIC int capsa_store_read_blob (struct capsa_store *s, const char *digest, char **buf, size_t *len,
                                        capsa_err **err);
CAPSA_PUBLIC int capsa_store_put_blob (struct capsa_store *s, const void *buf, size_t len, char *digest_out,
                                       capsa_err **err);
/* "ROOT/blobs/sha256/HEX", owned by the caller. */
CAPSA_PUBLIC char *capsa_store_blob_path (struct capsa_store *s, const char *digest);

/* A blob being written: bytes go to a temp file in tmp/ and into a running sha256. */
struct capsa_blob_writer
{
  struct capsa_store *s;
  int fd;
  char *tmp; /* name relative to the root */
  capsa_sha256 hash;
  uint64_t size;
};
CAPSA_PUBLIC int capsa_blob_writer_open (struct capsa_store *s, struct capsa_blob_writer *w, capsa_err **err);
CAPSA_PUBLIC int capsa_blob_writer_write (struct capsa_blob_writer *w, const void *buf, size_t len, capsa_err **err);
/* Start again from zero bytes (a download restarted from the beginning). */
CAPSA_PUBLIC int capsa_blob_writer_restart (struct capsa_blob_writer *w, capsa_err **err);
/* fsync, check against `expected` (when not NULL; a mismatch is an error naming both digests),
 * rename into blobs/.  digest_out (optional) gets the digest.  The writer is closed either way. */
CAPSA_PUBLIC int capsa_blob_writer_commit (struct capsa_blob_writer *w, const char *expected, char *digest_out,
                                           capsa_err **err);
CAPSA_PUBLIC void capsa_blob_writer_abort (struct capsa_blob_writer *w);
/* Copy everything readable from fd into a new blob. */
CAPSA_PUBLIC int capsa_store_put_blob_fd (struct capsa_store *s, int fd, const char *expected, char *digest_out,
                                          capsa_err **err);

/* Layers, by diff id. */
CAPSA_PUBLIC bool capsa_store_has_layer (struct capsa_store *s, const char *diffid);
/* Unpack blob `digest` as a layer, unless a layer with `diffid` is there already.  diffid may be
 * NULL (unknown: computed); a layer whose content does not match a given diffid is refused.
 * diffid_out (optional) gets the diff id. */
CAPSA_PUBLIC int capsa_store_unpack_layer (struct capsa_store *s, const char *digest, const char *diffid,
                                           char *diffid_out, capsa_err **err);
/* Whether the layer's whiteouts are in overlayfs's form (it can be an overlay lower dir). */
CAPSA_PUBLIC bool capsa_store_layer_is_overlay (struct capsa_store *s, const char *diffid);

/* A new private directory in tmp/ ("ROOT/tmp/PREFIX-XXXXXX"), owned by the caller.  Not locked:
 * capsa_store_clean_tmp() may remove it; writers use capsa_store_mkdtemp_locked(). */
CAPSA_PUBLIC char *capsa_store_mkdtemp (struct capsa_store *s, const char *prefix, capsa_err **err);

/* Transfers in tmp/ (store_write.c): each temp entry is flock'd by its writer for its whole life
 * (a blob's temp file through its own fd, a directory through "NAME.lock" beside it).
 * capsa_store_mkdtemp_locked: a new directory "ROOT/tmp/PREFIX-RANDOM" (owned path) and *lockfd,
 * the lock that keeps it from the cleaner; capsa_store_tmp_release removes both.
 * capsa_store_clean_tmp: remove every entry whose writer is gone (a killed pull), never a live
 * one; *reclaimed (optional) gets the bytes freed.  Run by pull, load and import at their start. */
CAPSA_PUBLIC char *capsa_store_mkdtemp_locked (struct capsa_store *s, const char *prefix, int *lockfd, capsa_err **err);
CAPSA_PUBLIC void capsa_store_tmp_release (struct capsa_store *s, const char *path, int lockfd);
CAPSA_PUBLIC int capsa_store_clean_tmp (struct capsa_store *s, long long *reclaimed, capsa_err **err);

#endif
