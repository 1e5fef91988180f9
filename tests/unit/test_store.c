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
#include "unpacker.h"
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

/* Docker's JSON for an image (image_json.c): summary, inspect and history from an index entry
 * and its config. */
static void
test_image_json (void **state)
{
  char dir[] = "/tmp/capsa-ut-store-XXXXXX", id[CAPSA_DIGEST_LEN + 1];
  struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  (void) state;
  assert_non_null (mkdtemp (dir));
  assert_int_equal (capsa_store_open (dir, &s, &err), 0);
  const char *config
      = "{\"architecture\": \"amd64\", \"os\": \"linux\", \"created\": \"2026-01-01T00:00:10.5Z\","
        " \"config\": {\"Labels\": {\"a\": \"b\"}}, \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []},"
        " \"history\": [{\"created\": \"2026-01-01T00:00:00Z\", \"created_by\": \"one\", \"empty_layer\": true},"
        " {\"created\": \"2026-01-01T00:00:10Z\", \"created_by\": \"two\", \"empty_layer\": true}]}";
  assert_int_equal (capsa_store_put_blob (s, config, strlen (config), id, &err), 0);
  json_t *img = json_pack ("{s:s, s:[s], s:[], s:s, s:i}", "id", id, "names", "docker.io/library/busybox:1", "digests",
                           "created", "2026-01-01T00:00:10.5Z", "size", 42);
  json_t *sum = capsa_image_summary_json (s, img, "docker.io");
  assert_string_equal (json_string_value (json_array_get (json_object_get (sum, "RepoTags"), 0)), "busybox:1");
  assert_int_equal (json_integer_value (json_object_get (sum, "Created")), 1767225610);
  assert_int_equal (json_integer_value (json_object_get (sum, "SharedSize")), -1);
  assert_string_equal (json_string_value (json_object_get (json_object_get (sum, "Labels"), "a")), "b");
  json_decref (sum);
  json_t *hist = capsa_image_history_json (s, img, "docker.io", &err);
  assert_int_equal (json_array_size (hist), 2);
  assert_string_equal (json_string_value (json_object_get (json_array_get (hist, 0), "CreatedBy")), "two");
  assert_string_equal (json_string_value (json_object_get (json_array_get (hist, 0), "Id")), id);
  assert_string_equal (json_string_value (json_object_get (json_array_get (hist, 1), "Id")), "<missing>");
  assert_true (json_is_null (json_object_get (json_array_get (hist, 1), "Tags")));
  json_decref (hist);
  json_t *ins = capsa_image_inspect_json (s, img, "docker.io", &err);
  assert_string_equal (json_string_value (json_object_get (ins, "Id")), id);
  assert_int_equal (json_integer_value (json_object_get (ins, "VirtualSize")), 42);
  json_decref (ins);
  json_array_clear (json_object_get (img, "names")); /* dangling */
  sum = capsa_image_summary_json (s, img, "docker.io");
  assert_string_equal (json_string_value (json_array_get (json_object_get (sum, "RepoTags"), 0)), "<none>:<none>");
  assert_string_equal (json_string_value (json_array_get (json_object_get (sum, "RepoDigests"), 0)), "<none>@<none>");
  json_decref (sum);
  json_decref (img);
  assert_int_equal (capsa_time_unix ("bad"), 0);
  capsa_store_close (s);
  char cmd[64];
  snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal (system (cmd), 0);
}

/* A tar of one file named name holding text, stored as a blob (uncompressed: its digest is its
 * diff id too). */
static void
put_layer (struct capsa_store *s, const char *dir, const char *name, const char *text, char *digest)
{
  char cmd[512], tar[300];
  snprintf (cmd, sizeof cmd, "mkdir -p %s/src-%s && printf %%s '%s' > %s/src-%s/%s && tar -C %s/src-%s -cf %s/%s.tar .",
            dir, name, text, dir, name, name, dir, name, dir, name);
  assert_int_equal (system (cmd), 0);
  snprintf (tar, sizeof tar, "%s/%s.tar", dir, name);
  int fd = open (tar, O_RDONLY | O_CLOEXEC);
  capsa_err *err = NULL;
  assert_true (fd >= 0);
  assert_int_equal (capsa_store_put_blob_fd (s, fd, NULL, digest, &err), 0);
  close (fd);
}

/* Layers handed to the unpacker's workers as they come (a pull's downloads) are all unpacked; a
 * layer whose content is not its diff id is the error finish returns, and nothing of it stays. */
static void
test_unpacker (void **state)
{
  char dir[] = "/tmp/capsa-ut-store-XXXXXX", d[6][CAPSA_DIGEST_LEN + 1];
  struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  (void) state;
  assert_non_null (mkdtemp (dir));
  assert_int_equal (capsa_store_open (dir, &s, &err), 0);
  for (int i = 0; i < 6; i++)
    {
      char name[8], text[16];
      snprintf (name, sizeof name, "l%d", i);
      snprintf (text, sizeof text, "layer %d", i);
      put_layer (s, dir, name, text, d[i]);
    }
  struct unpacker *u = unpacker_start (s, 5, 2);
  for (int i = 0; i < 5; i++)
    unpacker_add (u, d[i], d[i]);
  assert_int_equal (unpacker_finish (u, &err), 0);
  for (int i = 0; i < 5; i++)
    assert_true (capsa_store_has_layer (s, d[i]));
  assert_false (capsa_store_has_layer (s, d[5]));
  u = unpacker_start (s, 2, 2);
  unpacker_add (u, d[5], "sha256:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"); /* (not its) */
  assert_int_equal (unpacker_finish (u, &err), -1);
  assert_non_null (strstr (err->msg, "does not match"));
  capsa_err_free (&err);
  assert_false (capsa_store_has_layer (s, d[5]));
  assert_int_equal (unpacker_finish (unpacker_start (s, 0, 2), &err), 0);
  capsa_store_close (s);
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
    cmocka_unit_test (test_image_json),
    cmocka_unit_test (test_unpacker),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
