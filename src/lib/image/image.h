/* Images in the store, the library's side (the public part: include/capsa/image.h). */
#ifndef CAPSA_IMAGE_H
#define CAPSA_IMAGE_H

#include <jansson.h>
#include <stdbool.h>

#include "error.h"
#include "imgspec.h"
#include "store.h"
#include "capsa/image.h"

/* Append docker's image event `action` (pull, push, tag, untag, delete, import, load, save) to
 * the store's events.log: Actor.ID actor, Attributes the labels of the image whose config digest is
 * config (may be NULL) and name (when not NULL nor ""). */
void capsa_image_event (struct capsa_store *s, const char *action, const char *actor, const char *name,
                        const char *config);

/* The tag event of image id named full ("registry/repo:tag"; nothing when NULL). */
void capsa_image_tag_event (struct capsa_store *s, const char *id, const char *full, const char *default_registry);

/* Replace the index atomically; the caller holds capsa_store_lock_index(). */
CAPSA_PUBLIC int capsa_index_write (struct capsa_store *s, json_t *idx, capsa_err **err);

/* Check a manifest's blobs, unpack its layers (verifying diff ids against the config) and add
 * the image to the index, with `name` (full "registry/repo:tag", may be NULL) and `repo_digest`
 * ("registry/repo@sha256:...", may be NULL).  The manifest blob must be in the store.
 * id_out (optional) gets the image id. */
CAPSA_PUBLIC int capsa_image_register (struct capsa_store *s, const char *manifest_digest, const char *name,
                                       const char *repo_digest, char *id_out, capsa_err **err);

/* capsa_image_register for an image made here (commit, build): its index entry also records
 * "parent" (the image id it was made on) and "buildcache" (its build cache key), either NULL. */
CAPSA_PUBLIC int capsa_image_register_made (struct capsa_store *s, const char *manifest_digest, const char *name,
                                            const char *repo_digest, const char *parent, const char *cache_key,
                                            char *id_out, capsa_err **err);

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

#endif
