/* sha256 digests ("sha256:<64 hex>") for content-addressed storage, on OpenSSL's EVP interface.
 * A capsa_sha256 is a running hash: init, update any number of times, final once.
 * Hashing and base64 live in digest_openssl.c (the image library, libcrypto); capsa_digest_valid
 * in digest.c (the core library, which the container commands link without libcrypto). */
#ifndef CAPSA_DIGEST_H
#define CAPSA_DIGEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

#define CAPSA_DIGEST_LEN 71 /* "sha256:" + 64 hex, without the NUL */

typedef struct capsa_sha256
{
  void *ctx; /* EVP_MD_CTX *, owned */
} capsa_sha256;

CAPSA_PUBLIC void capsa_sha256_init (capsa_sha256 *h);
CAPSA_PUBLIC void capsa_sha256_update (capsa_sha256 *h, const void *buf, size_t len);
/* Writes "sha256:<hex>" into out (CAPSA_DIGEST_LEN + 1 bytes) and frees the context. */
CAPSA_PUBLIC void capsa_sha256_final (capsa_sha256 *h, char *out);
/* Frees the context without a result (safe on an already finished hash). */
CAPSA_PUBLIC void capsa_sha256_free (capsa_sha256 *h);
/* Restart: the same as free + init. */
CAPSA_PUBLIC void capsa_sha256_reset (capsa_sha256 *h);

/* Digest of a buffer. */
CAPSA_PUBLIC void capsa_sha256_buf (const void *buf, size_t len, char *out);
/* Digest and size of everything readable from fd (from its current offset). */
CAPSA_PUBLIC int capsa_sha256_fd (int fd, char *out, uint64_t *size, capsa_err **err);

/* true when d is "sha256:" followed by exactly 64 lowercase hex digits. */
CAPSA_PUBLIC bool capsa_digest_valid (const char *d);
/* The hex part of a valid digest (d + 7). */
static inline const char *
capsa_digest_hex (const char *d)
{
  return d + 7;
}

/* base64 (standard alphabet, padded) for HTTP basic auth and docker's config.json "auth". */
CAPSA_PUBLIC char *capsa_base64_encode (const void *buf, size_t len);
/* Returns NULL when s is not valid base64; *len gets the decoded size (NUL-terminated anyway). */
CAPSA_PUBLIC char *capsa_base64_decode (const char *s, size_t *len);

#endif
