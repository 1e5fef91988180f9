/* A growing string, for text built piece by piece (an nftables ruleset, a hosts file).
 *
 * Invariants: a zeroed struct strbuf ({ 0 }) is an empty buffer with buf == NULL; after the first
 * strbuf_printf, buf is a NUL-terminated string of len bytes in cap bytes of storage, and it is the
 * caller's to free (or to hand on).  Memory runs out only by aborting (xrealloc).
 */
#ifndef CAPSA_STRBUF_H
#define CAPSA_STRBUF_H

#include <stddef.h>

struct strbuf
{
  char *buf;
  size_t len, cap;
};

/* Append fmt, formatted, to b. */
void strbuf_printf (struct strbuf *b, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

#endif
