/* The detach keys of attached clients (src/engine/attach_client.c): parsing docker's
 * --detach-keys, and the filter that holds a partial sequence back until the next byte. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "capsa/attach.h"

static void
test_parse (void **state)
{
  (void) state;
  struct capsa_detacher d;
  assert_int_equal (capsa_detach_keys_parse (NULL, &d), 0);
  assert_int_equal (d.n, 2);
  assert_int_equal (d.keys[0], 16); /* ctrl-p */
  assert_int_equal (d.keys[1], 17); /* ctrl-q */
  assert_int_equal (capsa_detach_keys_parse ("ctrl-@,ctrl-[,a,ctrl-Z", &d), 0);
  assert_int_equal (d.n, 4);
  assert_memory_equal (d.keys,
                       "\0\x1b"
                       "a\x1a",
                       4);
  assert_int_equal (capsa_detach_keys_parse ("", &d), 0);
  assert_int_equal (d.n, 0);
  assert_int_equal (capsa_detach_keys_parse ("ctrl-1", &d), -1);
  assert_int_equal (capsa_detach_keys_parse ("ab", &d), -1);
  assert_int_equal (capsa_detach_keys_parse ("a,", &d), -1);
  assert_int_equal (capsa_detach_keys_parse ("a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a", &d), -1);
}

static bool
filter (struct capsa_detacher *d, const char *in, char *out, size_t *n)
{
  return capsa_detach_filter (d, (const unsigned char *) in, strlen (in), out, n);
}

static void
test_filter (void **state)
{
  (void) state;
  struct capsa_detacher d;
  char out[64];
  size_t n;
  capsa_detach_keys_parse (NULL, &d);
  assert_false (filter (&d, "ab\x10", out, &n)); /* ctrl-p held back */
  assert_int_equal (n, 2);
  assert_false (filter (&d, "c", out, &n)); /* not the sequence: it goes, then c */
  assert_int_equal (n, 2);
  assert_memory_equal (out,
                       "\x10"
                       "c",
                       2);
  assert_false (filter (&d, "\x10\x10", out, &n)); /* a second ctrl-p starts it afresh */
  assert_int_equal (n, 1);
  assert_true (filter (&d, "\x11tail", out, &n));
  assert_int_equal (n, 0);
  capsa_detach_keys_parse ("", &d);
  assert_false (filter (&d, "\x10\x11", out, &n)); /* none: everything passes */
  assert_int_equal (n, 2);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse),
    cmocka_unit_test (test_filter),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
