/* sha256 and base64 on OpenSSL: see digest.h.  Only the image commands (capsa-image) link this. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "digest.h"
#include "util.h"

void
capsa_sha256_init (capsa_sha256 *h)
{
  h->ctx = EVP_MD_CTX_new ();
  if (h->ctx == NULL || EVP_DigestInit_ex (h->ctx, EVP_sha256 (), NULL) != 1)
    abort ();
}

void
capsa_sha256_update (capsa_sha256 *h, const void *buf, size_t len)
{
  if (len > 0 && EVP_DigestUpdate (h->ctx, buf, len) != 1)
    abort ();
}

void
capsa_sha256_final (capsa_sha256 *h, char *out)
{
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;

  if (EVP_DigestFinal_ex (h->ctx, md, &n) != 1 || n != 32)
    abort ();
  capsa_sha256_free (h);
  memcpy (out, "sha256:", 7);
  for (unsigned i = 0; i < n; i++)
    snprintf (out + 7 + 2 * i, 3, "%02x", md[i]);
}

void
capsa_sha256_free (capsa_sha256 *h)
{
  if (h->ctx)
    EVP_MD_CTX_free (h->ctx);
  h->ctx = NULL;
}

void
capsa_sha256_reset (capsa_sha256 *h)
{
  capsa_sha256_free (h);
  capsa_sha256_init (h);
}

void
capsa_sha256_buf (const void *buf, size_t len, char *out)
{
  capsa_sha256 h;
  capsa_sha256_init (&h);
  capsa_sha256_update (&h, buf, len);
  capsa_sha256_final (&h, out);
}

/* The hash of a stream, and its size so far. */
struct hash_fd
{
  capsa_sha256 h;
  uint64_t total;
};

static int
hash_chunk (const void *chunk, size_t len, void *arg, capsa_err **err)
{
  struct hash_fd *x = arg;
  capsa_sha256_update (&x->h, chunk, len);
  x->total += len;
  return 0;
}

int
capsa_sha256_fd (int fd, char *out, uint64_t *size, capsa_err **err)
{
  struct hash_fd x = { .total = 0 };

  capsa_sha256_init (&x.h);
  if (read_chunks (fd, hash_chunk, &x, "read for sha256", err) < 0)
    {
      capsa_sha256_free (&x.h);
      return -1;
    }
  capsa_sha256_final (&x.h, out);
  if (size)
    *size = x.total;
  return 0;
}

char *
capsa_base64_encode (const void *buf, size_t len)
{
  char *out = xmalloc0 (4 * ((len + 2) / 3) + 1);
  EVP_EncodeBlock ((unsigned char *) out, buf, (int) len);
  return out;
}

char *
capsa_base64_decode (const char *s, size_t *len)
{
  size_t n = strlen (s);
  if (n % 4 != 0)
    return NULL;
  unsigned char *out = xmalloc0 (3 * (n / 4) + 1);
  int r = EVP_DecodeBlock (out, (const unsigned char *) s, (int) n);
  if (r < 0)
    {
      free (out);
      return NULL;
    }
  /* EVP_DecodeBlock counts the padding as zero bytes */
  if (n >= 1 && s[n - 1] == '=')
    r--;
  if (n >= 2 && s[n - 2] == '=')
    r--;
  out[r] = '\0';
  if (len)
    *len = (size_t) r;
  return (char *) out;
}
