/* Images in the store: the index (images.json), tags, lookup, configs and history, removal and
 * garbage collection.
 *
 * images.json is {"images": [IMAGE...]} where IMAGE is
 *   {"id": CONFIG DIGEST, "manifest": DIGEST, "mediaType": MANIFEST MEDIA TYPE,
 *    "names": ["registry/repo:tag", ...], "digests": ["registry/repo@sha256:...", ...],
 *    "created": CONFIG'S created, "added": RFC 3339, "size": BYTES UNPACKED}
 * An image is registered only once its manifest, config, layer blobs and unpacked layers are all
 * in the store.  A name belongs to one image: tagging moves it (the old image may be left
 * without names: "dangling", removed by `image prune`).
 */
#ifndef CAPSA_IMAGE_H
#define CAPSA_IMAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "imgspec.h"
#include "store.h"


/* Read the index (an empty one when the file does not exist yet). */
CAPSA_PUBLIC int capsa_index_read (struct capsa_store *s, json_t **out, capsa_err **err);
/* Replace the index atomically; the caller holds capsa_store_lock_index(). */
CAPSA_PUBLIC int capsa_index_write (struct capsa_store *s, json_t *idx, capsa_err **err);

/* Find an image by name (normalized with default_registry), name@digest, full id or id prefix.
 * Returns a borrowed reference into idx, or NULL with err set ("no such image: x"). */
CAPSA_PUBLIC json_t *capsa_image_find (json_t *idx, const char *what, const char *default_registry,
                                       capsa_err **err);

/* Check a manifest's blobs, unpack its layers (verifying diff ids against the config) and add
 * the image to the index, with `name` (full "registry/repo:tag", may be NULL) and `repo_digest`
 * ("registry/repo@sha256:...", may be NULL).  The manifest blob must be in the store.
 * id_out (optional) gets the image id. */
CAPSA_PUBLIC int capsa_image_register (struct capsa_store *s, const char *manifest_digest, const char *name,
                                       const char *repo_digest, char *id_out, capsa_err **err);

/* Add a full name to an existing image. */
CAPSA_PUBLIC int capsa_image_tag (struct capsa_store *s, const char *what, const char *new_name,
                                  const char *default_registry, capsa_err **err);

/* Remove a name, or an image by id.  An image with several names is only untagged when `what`
 * is one of its names; by id it needs `force`.  *untagged and *deleted (NULL-terminated, owned)
 * list what happened, as `docker rmi` prints it.  Unreferenced blobs and layers are collected. */
CAPSA_PUBLIC int capsa_image_remove (struct capsa_store *s, const char *what, bool force,
                                     const char *default_registry, char ***untagged, char ***deleted,
                                     capsa_err **err);

/* Remove dangling images (all images not used by a container with `all`), then collect. */
CAPSA_PUBLIC int capsa_image_prune (struct capsa_store *s, bool all, char ***deleted, long long *reclaimed,
                                    capsa_err **err);

/* Garbage collection: blobs and layers no image refers to, and everything in tmp/ (under the
 * exclusive gc lock, so no pull is running).  *reclaimed (optional) gets the bytes freed. */
CAPSA_PUBLIC int capsa_store_gc (struct capsa_store *s, long long *reclaimed, capsa_err **err);

/* Read and check (imgspec.h) the image config `digest` from the store; `image` names it in
 * errors ("image config of IMAGE: ..."), the digest when NULL. */
CAPSA_PUBLIC int capsa_image_config_load (struct capsa_store *s, const char *digest, const char *image,
                                          struct capsa_image_config *out, capsa_err **err);
/* Read and check (imgspec.h) manifest or index `digest`; media_type: what the image index says it
 * is, or NULL. */
CAPSA_PUBLIC int capsa_manifest_load (struct capsa_store *s, const char *digest, const char *media_type,
                                      struct capsa_manifest *out, capsa_err **err);

/* Read and parse a JSON blob (no type checks: for the image commands that show it whole). */
CAPSA_PUBLIC int capsa_blob_json (struct capsa_store *s, const char *digest, json_t **out, capsa_err **err);

#endif
