/* Applying an image layer (a tar stream: plain, gzip or zstd) to a directory.
 *
 * The tar is untrusted.  Every entry is resolved below the target directory through fds, one
 * component at a time with O_NOFOLLOW, so nothing can be written outside it: entries with `..`
 * or an absolute path, hardlinks to such names, and entries that would be written through a
 * symbolic link (`evil -> /etc` followed by `evil/passwd`) are refused with an error naming the
 * entry, before anything is written for it.
 *
 * With `whiteouts`, OCI whiteouts are turned into overlayfs's own form so that the directory can
 * be a lower layer of an overlay mount: `.wh.NAME` becomes a 0:0 character device NAME, and
 * `.wh..wh..opq` sets trusted.overlay.opaque=y on its directory.  Without the privilege for that
 * (not root), the `.wh.` files are kept as they are and `oci_whiteouts` says so: such a layer can
 * only be used by the vfs copy (fs_copy_layer understands both forms).
 */
#ifndef CAPSA_LAYER_H
#define CAPSA_LAYER_H

#include <stdbool.h>
#include <stdint.h>

#include "digest.h"
#include "error.h"

struct capsa_layer_opts
{
  bool whiteouts; /* interpret OCI whiteouts (false: a plain, still checked, extraction) */
};

struct capsa_layer_result
{
  char diffid[CAPSA_DIGEST_LEN + 1]; /* sha256 of the uncompressed tar */
  bool oci_whiteouts;                /* whiteouts were kept as `.wh.` files (see above) */
  uint64_t entries;
};

/* Read the tar from fd (to its end) and apply it onto dirfd. */
CAPSA_PUBLIC int capsa_layer_apply (int fd, int dirfd, const struct capsa_layer_opts *o, struct capsa_layer_result *res,
                                    capsa_err **err);

/* Digest of the uncompressed stream of fd (a layer's diff id) without applying it. */
CAPSA_PUBLIC int capsa_layer_diffid (int fd, char *diffid, bool *compressed, capsa_err **err);

/* Decompress the stream of fd (gzip, zstd, xz, bzip2 or none) into sink, chunk by chunk. */
CAPSA_PUBLIC int capsa_layer_decompress (int fd, int (*sink) (void *data, const void *buf, size_t len, capsa_err **err),
                                         void *data, capsa_err **err);

/* A libarchive failure as an error: "WHAT: libarchive's message" with its errno. */
struct archive;
int archive_fail (capsa_err **err, struct archive *a, const char *what);

#endif
