/* The slirp4netns module's contracts that need no slirp4netns: the addresses of a cidr, and a
 * failed start that leaves nothing behind and says why. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "slirp.h"

static void
test_addresses (void **state)
{
  struct capsa_slirp_addrs a;
  capsa_err *err = NULL;
  (void) state;
  assert_int_equal (capsa_slirp_addresses (NULL, &a, &err), 0);
  assert_string_equal (a.guest, "10.0.2.100");
  assert_string_equal (a.gateway, "10.0.2.2");
  assert_string_equal (a.dns, "10.0.2.3");
  assert_int_equal (a.prefixlen, 24);
  assert_int_equal (capsa_slirp_addresses ("192.168.77.9/20", &a, &err), 0);
  assert_string_equal (a.guest, "192.168.64.100");
  assert_string_equal (a.gateway, "192.168.64.2");
  assert_int_equal (a.prefixlen, 20);
  const char *bad[] = { "10.0.2.0", "10.0.2.0/26", "10.0.2.0/0", "10.0.2/24", "x/24", "10.0.2.0/24x" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    {
      assert_int_equal (capsa_slirp_addresses (bad[i], &a, &err), -1);
      assert_int_equal (err->errnum, EINVAL);
      assert_non_null (strstr (err->msg, bad[i]));
      capsa_err_free (&err);
    }
}

/* A "slirp4netns" that exits at once (or cannot run): the start fails with its reason, and
 * neither a process nor a file is left. */
static void
test_failed_start (void **state)
{
  (void) state;
  char dir[] = "/tmp/capsa-slirp-unit-XXXXXX";
  assert_non_null (mkdtemp (dir));
  const char *bins[] = { "/bin/false", "/nonexistent/slirp4netns" };
  for (size_t i = 0; i < 2; i++)
    {
      struct capsa_slirp_opts o = { .netns_path = "/proc/self/ns/net", .state_dir = dir, .binary = bins[i] };
      struct capsa_slirp s;
      capsa_err *err = NULL;
      assert_int_equal (capsa_slirp_start (&o, &s, &err), -1);
      assert_non_null (strstr (err->msg, i == 0 ? "slirp4netns failed: (no output)"
                                                : "slirp4netns `/nonexistent/slirp4netns`: no such file"));
      capsa_err_free (&err);
      assert_int_equal (s.pid, 0);
      assert_int_equal (s.pidfd, -1);
      assert_int_equal (s.exit_fd, -1);
    }
  char pidf[sizeof dir + 32], log[sizeof dir + 32];
  snprintf (pidf, sizeof pidf, "%s/slirp4netns.pid", dir);
  snprintf (log, sizeof log, "%s/slirp4netns.log", dir);
  assert_int_equal (access (pidf, F_OK), -1);
  assert_int_equal (capsa_slirp_kill (dir), 0);
  unlink (log);
  assert_int_equal (rmdir (dir), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_addresses),
    cmocka_unit_test (test_failed_start),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
