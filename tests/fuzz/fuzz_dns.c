/* libFuzzer harness for the DNS messages of the networks' DNS server (src/lib/net/dns.c): build
 * and run with tests/fuzz/build.sh (see README.md).
 *
 * An input is a message as a container might send one: it goes through dns_parse_query and, when
 * that accepts it, dns_answer (with three records, A, AAAA and PTR to the question's name, into a buffer of the input's
 * first byte's size, so that truncation is exercised); and through dns_parse_answer as a response from a resolver.
 * Besides crashes and sanitizer reports, it aborts when an answer does not parse back as a
 * response with the query's id, or a parsed name breaks dns.h (too long, a dot or a byte outside
 * printable ASCII in a label). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns.h"

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static void
check (int ok)
{
  if (!ok)
    abort ();
}

static void
check_name (const char *n)
{
  size_t l = strlen (n);
  check (l <= DNS_NAME_MAX && (l == 0 || (n[0] != '.' && n[l - 1] != '.')) && strstr (n, "..") == NULL);
  for (const char *p = n; *p; p++)
    check (*p > ' ' && *p < 0x7f);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  /* a copy the exact size of the input: ASan catches any read past it */
  uint8_t *msg = malloc (size ? size : 1);
  memcpy (msg, data, size);
  struct dns_query q;
  if (dns_parse_query (msg, size, &q) == 0)
    {
      check (q.qend <= size);
      check_name (q.name);
      struct dns_rr rr[3] = { { .type = DNS_TYPE_A, .addr = { 10, 0, 0, 1 } },
                              { .type = DNS_TYPE_AAAA },
                              { .type = DNS_TYPE_PTR, .target = q.name[0] ? q.name : "web.net" } };
      size_t cap = size ? (size_t) data[0] * 4 : 0;
      uint8_t *out = malloc (cap ? cap : 1);
      int n = dns_answer (&q, msg, DNS_RCODE_OK, rr, 3, out, cap);
      if (n >= 0)
        {
          int rcode;
          struct dns_rr got[2];
          check ((size_t) n <= cap && n >= 12);
          check (out[0] == (uint8_t) (q.id >> 8) && out[1] == (uint8_t) q.id);
          check (dns_parse_answer (out, (size_t) n, &rcode, got, 2) >= 0 && rcode == DNS_RCODE_OK);
        }
      free (out);
    }
  int rcode;
  struct dns_rr rrs[4];
  dns_parse_answer (msg, size, &rcode, rrs, 4);
  char name[DNS_NAME_MAX + 1];
  size_t next;
  if (size > 12 && dns_read_name (msg, size, 12, name, &next) == 0)
    {
      check (next <= size);
      check_name (name);
    }
  free (msg);
  return 0;
}
