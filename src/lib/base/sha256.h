/* SHA-256 without OpenSSL, for the core library (sha256.c): out gets the 64 hex digits. */
#ifndef CAPSA_SHA256_H
#define CAPSA_SHA256_H

#include <stddef.h>

void sha256_hex (const void *buf, size_t len, char out[65]);

#endif
