/* Images made without a registry: `capsa import` of a rootfs tarball (plain, gzip, zstd, xz...)
 * or a directory (debootstrap's, or scripts/mkimage-busybox.sh's).  The result is a one-layer
 * image whose layer blob is the plain tar (so its digest is its diff id). */
#ifndef CAPSA_IMPORT_H
#define CAPSA_IMPORT_H

#include <jansson.h>

#include "error.h"
#include "store.h"

struct capsa_import_opts
{
  const char *name;           /* full "registry/repo:tag", or NULL for an untagged image */
  char *const *changes;       /* Dockerfile-like instructions: CMD, ENTRYPOINT, ENV, WORKDIR, USER, LABEL */
  const char *message;        /* history comment, may be NULL */
};

/* source: a file, a directory, or "-" for stdin. */
CAPSA_PUBLIC int capsa_image_import (struct capsa_store *s, const char *source, const struct capsa_import_opts *o,
                                     char *id_out, capsa_err **err);

/* Apply one Dockerfile-like instruction to an image config's "config" object. */
CAPSA_PUBLIC int capsa_config_change (json_t *config, const char *change, capsa_err **err);

/* Write a tar of directory `dir` (relative names, links not followed) to fd; out_name (may be
 * NULL) names fd in errors ("write layer to `OUT_NAME`: no space left on device"). */
CAPSA_PUBLIC int capsa_tar_directory (const char *dir, int fd, const char *out_name, capsa_err **err);

/* Make a one-layer image around a layer blob already in the store (plain tar, digest = diffid
 * when `diffid` is NULL): writes the config and manifest, registers the image. */
CAPSA_PUBLIC int capsa_image_from_layer (struct capsa_store *s, const char *layer_digest, const char *media_type,
                                         const char *diffid, const struct capsa_import_opts *o,
                                         const char *created_by, char *id_out, capsa_err **err);

#endif
