/* The store's modes (store.h): new stores are private where containers write, old ones are
 * tightened when opened, and a container root's group is read from its gid_map. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "util.h"

static mode_t
mode_at (int fd, const char *name)
{
  struct stat st;
  assert_int_equal (fstatat (fd, name, &st, AT_SYMLINK_NOFOLLOW), 0);
  return st.st_mode & 07777;
}

static void
put (int fd, const char *name, const char *text)
{
  capsa_err *err = NULL;
  assert_int_equal (write_file_at (fd, name, text, strlen (text), 0644, &err), 0);
}

static void
test_map_root (void **state)
{
  char dir[] = "/tmp/capsa-ut-store-XXXXXX";
  (void) state;
  assert_non_null (mkdtemp (dir));
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (fd >= 0);
  assert_int_equal (capsa_store_map_root (fd, "none"), -1);
  put (fd, "m", "         1     100000       1000\n         0     200000          1\n");
  assert_int_equal (capsa_store_map_root (fd, "m"), 200000);
  put (fd, "u", "1 5 5\n");
  assert_int_equal (capsa_store_map_root (fd, "u"), 0);
  close (fd);
  char cmd[64];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal (system (cmd), 0);
}

/* An old store (layers/ 0711, containers and volumes 0711/0755) is made private by opening it. */
static void
test_old_store_tightened (void **state)
{
  char dir[] = "/tmp/capsa-ut-store-XXXXXX";
  struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  (void) state;
  assert_non_null (mkdtemp (dir));
  assert_int_equal (chmod (dir, 0755), 0);
  int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_true (fd >= 0);
  const char *dirs[] = { "layers",  "containers", "containers/a",   "containers/b",
                         "volumes", "volumes/v",  "volumes/v/_data" };
  for (size_t i = 0; i < sizeof dirs / sizeof *dirs; i++)
    assert_int_equal (mkdirat (fd, dirs[i], 0755), 0);
  assert_int_equal (fchmodat (fd, "layers", 0711, 0), 0);
  put (fd, "containers/b/gid_map", "0 123456 65536\n");
  assert_int_equal (capsa_store_open (dir, &s, &err), 0);
  assert_int_equal (mode_at (fd, "."), 0711);
  assert_int_equal (mode_at (fd, "layers"), 0700);
  assert_int_equal (mode_at (fd, "containers"), 0711);
  assert_int_equal (mode_at (fd, "volumes"), 0711);
  assert_int_equal (mode_at (fd, "containers/a"), 0700);
  assert_int_equal (mode_at (fd, "volumes/v"), 0700);
  assert_int_equal (mode_at (fd, "volumes/v/_data"), 0755); /* (the volume's root, as the container sees it) */
  if (geteuid () == 0 && in_initial_userns ())
    {
      struct stat st;
      assert_int_equal (mode_at (fd, "containers/b"), 0710);
      assert_int_equal (fstatat (fd, "containers/b", &st, 0), 0);
      assert_int_equal (st.st_gid, 123456);
    }
  else
    assert_int_equal (mode_at (fd, "containers/b"), 0700);
  capsa_store_close (s);
  close (fd);
  char cmd[64];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal (system (cmd), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_map_root),
    cmocka_unit_test (test_old_store_tightened),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
