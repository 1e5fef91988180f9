/* Where the store's blobs are known to be in registries, for cross-repository mounts on push (as
 * docker's distribution metadata, v2metadata-by-diffid): a blob pulled from, or pushed to,
 * REGISTRY/REPO is recorded as being there; a later push of it to another repository of that
 * registry asks the registry to mount it from there (POST ?mount=DIGEST&from=REPO) rather than
 * uploading its bytes again.  A record that is wrong (the blob was deleted there) costs nothing:
 * the registry answers the mount with an ordinary upload.
 *
 *   ROOT/blob-sources.json   {"sha256:HEX": ["REGISTRY/REPO", ...]}, newest first, at most
 *                            BLOB_SOURCES_MAX each; replaced atomically under index.lock
 *
 * Keys are the digests as the registry knows them (a layer compressed for the push: the
 * compressed digest), so they need not be blobs of the store. */
#ifndef CAPSA_BLOB_SOURCES_H
#define CAPSA_BLOB_SOURCES_H

#include <stddef.h>

#include "error.h"
#include "store.h"

#define BLOB_SOURCES_MAX 8

/* Record that the n blobs `digests` are in registry/repo. */
int blob_sources_add (struct capsa_store *s, const char *registry, const char *repo, const char *const *digests,
                      size_t n, capsa_err **err);
/* A repository of `registry` other than `not_repo` known to have `digest` (the newest record),
 * owned by the caller; NULL when none is known (or the record cannot be read). */
char *blob_sources_find (struct capsa_store *s, const char *digest, const char *registry, const char *not_repo);

#endif
