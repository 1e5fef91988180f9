/* The import API is public: include/capsa/image.h. */
#ifndef CAPSA_IMPORT_H
#define CAPSA_IMPORT_H

#include <stdbool.h>

#include "store.h"
#include "capsa/image.h"

/* capsa_tar_directory's engine: the tar of dir goes to blob writer `blob` (not closed), or to fd
 * when blob is NULL.  overlay: dir is an overlayfs upper directory, written as a layer (its
 * whiteouts as `.wh.NAME`, an opaque directory with `.wh..wh..opq`, overlay's xattrs dropped). */
int capsa_tar_tree (const char *dir, int fd, struct capsa_blob_writer *blob, bool overlay, const char *out_name,
                    capsa_err **err);

#endif
