/* Image archives: `capsa load` and `capsa save`.
 *
 * Formats: docker-archive (manifest.json + config + layer tars, as `docker save` writes it),
 * OCI archive (a tar of an OCI image layout) and OCI layout directory (oci-layout, index.json,
 * blobs/sha256/...).  Load recognizes the format by itself; an archive is first extracted into
 * the store's tmp/ with the same checks as a layer (nothing can land outside), and every path it
 * names is resolved inside that directory (a symlinked layer.tar cannot point at a host file).
 * Every blob is checked against its digest as it is copied into the store.
 */
#ifndef CAPSA_IMGARCHIVE_H
#define CAPSA_IMGARCHIVE_H

#include "error.h"
#include "store.h"

enum capsa_archive_format
{
  CAPSA_ARCHIVE_DOCKER,
  CAPSA_ARCHIVE_OCI,     /* a tar of an OCI layout */
  CAPSA_ARCHIVE_OCI_DIR, /* an OCI layout directory (created or added to) */
};

/* Load every image of `path` (a file, a directory, or "-" for stdin).  *loaded gets what was
 * loaded, as docker prints it: "Loaded image: NAME" or "Loaded image ID: sha256:...". */
CAPSA_PUBLIC int capsa_image_load (struct capsa_store *s, const char *path, const char *default_registry,
                                   char ***loaded, capsa_err **err);

/* Save images (names or ids) to `path` ("-" for stdout, not for a directory). */
CAPSA_PUBLIC int capsa_image_save (struct capsa_store *s, char *const *images, const char *default_registry,
                                   enum capsa_archive_format format, const char *path, capsa_err **err);

#endif
