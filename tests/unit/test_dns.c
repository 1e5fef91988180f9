/* DNS messages (src/lib/net/dns.c): queries parsed, answers composed, compressed names followed,
 * and every malformed or truncated message refused without a read past its end. */
#include <arpa/inet.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dns.h"

static void
test_query_roundtrip (void **state)
{
  uint8_t q[512], out[512];
  int n = dns_make_query (0x1234, "web.example.", DNS_TYPE_A, q, sizeof q);
  assert_int_equal (n, 12 + 13 + 4);
  struct dns_query dq;
  assert_int_equal (dns_parse_query (q, (size_t) n, &dq), 0);
  assert_int_equal (dq.id, 0x1234);
  assert_string_equal (dq.name, "web.example");
  assert_int_equal (dq.qtype, DNS_TYPE_A);
  assert_int_equal (dq.qend, (size_t) n);
  struct dns_rr rr[2] = { { .type = DNS_TYPE_A, .ttl = 7 }, { .type = DNS_TYPE_AAAA } };
  inet_pton (AF_INET, "10.89.0.5", rr[0].addr);
  inet_pton (AF_INET6, "fd00::5", rr[1].addr);
  int a = dns_answer (&dq, q, DNS_RCODE_OK, rr, 2, out, sizeof out);
  assert_int_equal (a, n + 16 + 28);
  assert_int_equal (out[0], 0x12);
  assert_true (out[2] & 0x80); /* QR */
  assert_true (out[2] & 0x01); /* RD echoed */
  struct dns_rr got[4];
  int rcode = -1;
  assert_int_equal (dns_parse_answer (out, (size_t) a, &rcode, got, 4), 2);
  assert_int_equal (rcode, 0);
  assert_memory_equal (got[0].addr, rr[0].addr, 4);
  assert_int_equal (got[0].ttl, 7);
  assert_memory_equal (got[1].addr, rr[1].addr, 16);
  /* too small for the records: left out, TC set */
  a = dns_answer (&dq, q, DNS_RCODE_OK, rr, 2, out, (size_t) n + 20);
  assert_int_equal (a, n + 16);
  assert_true (out[2] & 0x02);
  assert_int_equal (dns_answer (&dq, q, DNS_RCODE_OK, rr, 2, out, 10), -1);
}

static void
test_compressed_names (void **state)
{
  /* header, then "a.example" at 12, then "www" + pointer to "example" (offset 14) at 23 */
  uint8_t m[64] = { 0 };
  size_t o = 12;
  const uint8_t name1[] = { 1, 'a', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0 };
  memcpy (m + o, name1, sizeof name1);
  o += sizeof name1;
  const uint8_t name2[] = { 3, 'w', 'w', 'w', 0xc0, 14 };
  memcpy (m + o, name2, sizeof name2);
  char out[DNS_NAME_MAX + 1];
  size_t next;
  assert_int_equal (dns_read_name (m, sizeof m, 23, out, &next), 0);
  assert_string_equal (out, "www.example");
  assert_int_equal (next, 29);
  /* a pointer to itself, or forwards: refused (no loops) */
  uint8_t loop[16] = { [12] = 0, [14] = 0xc0, [15] = 14 };
  assert_int_equal (dns_read_name (loop, sizeof loop, 14, out, &next), -1);
  uint8_t hdr[16] = { [12] = 0xc0, [13] = 3 }; /* into the header */
  assert_int_equal (dns_read_name (hdr, sizeof hdr, 12, out, &next), -1);
  uint8_t fwd[] = { 0xc0, 2, 0 };
  assert_int_equal (dns_read_name (fwd, sizeof fwd, 0, out, &next), -1);
  /* reserved label types, a label with a dot, a name too long */
  uint8_t res[] = { 0x40, 'a', 0 };
  assert_int_equal (dns_read_name (res, sizeof res, 0, out, &next), -1);
  uint8_t dot[] = { 3, 'a', '.', 'b', 0 };
  assert_int_equal (dns_read_name (dot, sizeof dot, 0, out, &next), -1);
  uint8_t lng[300];
  for (size_t i = 0; i + 64 < sizeof lng; i += 64)
    {
      lng[i] = 63;
      memset (lng + i + 1, 'x', 63);
    }
  lng[256] = 0;
  assert_int_equal (dns_read_name (lng, sizeof lng, 0, out, &next), -1);
}

static void
test_truncated (void **state)
{
  uint8_t q[512];
  int n = dns_make_query (7, "c1", DNS_TYPE_AAAA, q, sizeof q);
  struct dns_query dq;
  for (int l = 0; l < n; l++)
    {
      /* every prefix of a valid query is refused, from a copy the exact size of the prefix */
      uint8_t *cut = malloc ((size_t) l + 1);
      memcpy (cut, q, (size_t) l);
      assert_int_equal (dns_parse_query (cut, (size_t) l, &dq), -1);
      int rc;
      struct dns_rr rr;
      assert_true (dns_parse_answer (cut, (size_t) l, &rc, &rr, 1) <= 0);
      free (cut);
    }
  assert_int_equal (dns_parse_query (q, (size_t) n, &dq), 0);
  /* an answer, two questions, or a non-QUERY opcode: not a query served */
  q[2] |= 0x80;
  assert_int_equal (dns_parse_query (q, (size_t) n, &dq), -1);
  q[2] &= 0x7f;
  q[5] = 2;
  assert_int_equal (dns_parse_query (q, (size_t) n, &dq), -1);
  q[5] = 1;
  q[2] |= 0x28; /* opcode 5 */
  assert_int_equal (dns_parse_query (q, (size_t) n, &dq), -1);
  assert_int_equal (dq.id, 7);
  assert_int_equal (dns_make_query (1, "a..b", DNS_TYPE_A, q, sizeof q), -1);
  assert_int_equal (dns_make_query (1, "abc", DNS_TYPE_A, q, 10), -1);
}

static void
test_ptr_answer (void **state)
{
  uint8_t q[512], out[512];
  int n = dns_make_query (9, "3.51.99.10.in-addr.arpa", DNS_TYPE_PTR, q, sizeof q);
  struct dns_query dq;
  assert_int_equal (dns_parse_query (q, (size_t) n, &dq), 0);
  struct dns_rr rr = { .type = DNS_TYPE_PTR, .target = "web.mynet" };
  int a = dns_answer (&dq, q, DNS_RCODE_OK, &rr, 1, out, sizeof out);
  assert_int_equal (a, n + 12 + 11);
  assert_int_equal (out[7], 1);
  char name[DNS_NAME_MAX + 1];
  size_t next;
  assert_int_equal (dns_read_name (out, (size_t) a, (size_t) n + 12, name, &next), 0);
  assert_string_equal (name, "web.mynet");
  assert_int_equal (next, (size_t) a);
  /* a target that is no name: left out */
  rr.target = "a..b";
  assert_int_equal (dns_answer (&dq, q, DNS_RCODE_OK, &rr, 1, out, sizeof out), n);
  assert_int_equal (out[7], 0);
  assert_false (out[2] & 0x02); /* (not truncated: left out) */
}

static void
test_error_answer (void **state)
{
  uint8_t out[12];
  dns_error (0xbeef, 0x0100, DNS_RCODE_NXDOMAIN, out);
  assert_int_equal (out[0], 0xbe);
  assert_int_equal (out[1], 0xef);
  assert_int_equal (out[2], 0x81);
  assert_int_equal (out[3] & 0xf, DNS_RCODE_NXDOMAIN);
  int rc = -1;
  struct dns_rr rr;
  assert_int_equal (dns_parse_answer (out, sizeof out, &rc, &rr, 1), 0);
  assert_int_equal (rc, DNS_RCODE_NXDOMAIN);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_query_roundtrip), cmocka_unit_test (test_compressed_names),
    cmocka_unit_test (test_truncated),       cmocka_unit_test (test_ptr_answer),
    cmocka_unit_test (test_error_answer),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
