/* The mount table parser (src/lib/base/mountinfo.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "mountinfo.h"
#include "util.h"

static const char table[]
    = "22 1 0:21 / /proc rw,nosuid,nodev,noexec,relatime shared:5 - proc proc rw\n"
      "25 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw,errors=remount-ro\n"
      "30 25 0:26 / /sys/fs/cgroup rw,nosuid shared:9 - cgroup2 cgroup2 rw,nsdelegate\n"
      "31 25 0:27 / /sys/fs/cgroup/memory rw,nosuid shared:10 master:3 - cgroup cgroup rw,memory\n"
      "40 25 8:1 /srv/with\\040space /mnt/a\\040b ro,relatime - ext4 /dev/sda1 rw\n"
      "not a mount line\n"
      "41 25 0:50 / /mnt/a\\040b rw - tmpfs tmpfs\n"
      "42 25 0:51 / /short rw - tmpfs\n";

static void
test_parse (void **state)
{
  struct mountinfo mi;
  (void) state;
  mountinfo_parse (xstrdup (table), &mi);
  assert_int_equal (mi.n, 6);
  assert_string_equal (mi.m[0].point, "/proc");
  assert_string_equal (mi.m[0].fstype, "proc");
  assert_string_equal (mi.m[1].source, "/dev/sda1");
  assert_string_equal (mi.m[1].super, "rw,errors=remount-ro");
  /* optional fields (shared:, master:) do not shift what comes after the dash */
  assert_string_equal (mi.m[3].fstype, "cgroup");
  assert_string_equal (mi.m[3].super, "rw,memory");
  /* octal escapes undone in root and point */
  assert_string_equal (mi.m[4].root, "/srv/with space");
  assert_string_equal (mi.m[4].point, "/mnt/a b");
  assert_string_equal (mi.m[4].opts, "ro,relatime");
  /* no super options: "" */
  assert_string_equal (mi.m[5].super, "");
  mountinfo_free (&mi);
  assert_int_equal (mi.n, 0);
}

static void
test_lookup (void **state)
{
  cleanup_mountinfo struct mountinfo mi = { 0 };
  (void) state;
  mountinfo_parse (xstrdup (table), &mi);
  /* the last mount at a point is the visible one */
  const struct mountinfo_entry *m = mountinfo_at (&mi, "/mnt/a b");
  assert_non_null (m);
  assert_string_equal (m->fstype, "tmpfs");
  assert_null (mountinfo_at (&mi, "/nowhere"));
  assert_true (mount_opt_has (mi.m[4].opts, "ro"));
  assert_false (mount_opt_has (mi.m[4].opts, "r"));
  assert_true (mount_opt_has (mi.m[3].super, "memory"));
  assert_false (mount_opt_has (NULL, "ro"));
  assert_false (mount_opt_has ("", "ro"));
}

static void
test_read (void **state)
{
  cleanup_mountinfo struct mountinfo mi = { 0 };
  capsa_err *err = NULL;
  (void) state;
  assert_int_equal (mountinfo_read ("/proc/self/mountinfo", &mi, &err), 0);
  assert_non_null (mountinfo_at (&mi, "/"));
  mountinfo_free (&mi);
  assert_int_equal (mountinfo_read ("/nonexistent/mountinfo", &mi, &err), -1);
  assert_non_null (err);
  assert_int_equal (mi.n, 0);
  capsa_err_free (&err);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_parse),
    cmocka_unit_test (test_lookup),
    cmocka_unit_test (test_read),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
