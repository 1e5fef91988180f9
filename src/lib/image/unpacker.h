/* Layers unpacked while the others download: a pull hands each layer to worker threads the moment
 * its blob is stored (verified), so unpacking, the longer part on a local registry, overlaps the
 * transfers and runs on more than one core.  The layers are independent directories (store.h):
 * any order, any number at once.  capsa_image_register then finds them unpacked.
 *
 * Errors follow error.h; a worker's first error is what unpacker_finish returns. */
#ifndef CAPSA_UNPACKER_H
#define CAPSA_UNPACKER_H

#include <stddef.h>

#include "error.h"
#include "store.h"

struct unpacker;

/* Workers for at most n layers (none started when n is 0). */
struct unpacker *unpacker_start (struct capsa_store *s, size_t n, unsigned workers);
/* Unpack blob digest, whose content must be diffid (copied; a layer already there costs nothing). */
void unpacker_add (struct unpacker *u, const char *digest, const char *diffid);
/* No more layers: wait for the workers, free u; 0, or the first failure.  NULL u: 0. */
int unpacker_finish (struct unpacker *u, capsa_err **err);

#endif
