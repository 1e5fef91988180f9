/* Digest names: see digest.h.  No OpenSSL here (that is digest_openssl.c), so that reading the
 * store needs no libcrypto. */
#include <string.h>

#include "digest.h"

bool
capsa_digest_valid (const char *d)
{
  if (d == NULL || strncmp (d, "sha256:", 7) != 0 || strlen (d) != CAPSA_DIGEST_LEN)
    return false;
  for (const char *p = d + 7; *p; p++)
    if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
      return false;
  return true;
}
