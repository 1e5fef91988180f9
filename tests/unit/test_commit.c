/* capsa_image_commit (include/capsa/build.h): an overlay upper dir becomes a layer in the OCI
 * form (whiteouts as .wh. files, an opaque directory's .wh..wh..opq, overlay's xattrs dropped),
 * the image records its parent and cache key, and an image without a new layer says
 * empty_layer. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cmocka.h>

#include "capsa/build.h"
#include "image.h"
#include "jsonutil.h"
#include "util.h"

static void
sh (const char *fmt, const char *dir)
{
  char cmd[512];
  snprintf (cmd, sizeof cmd, fmt, dir, dir, dir);
  assert_int_equal (system (cmd), 0);
}

/* Whether `tar tf BLOB` (of image id's top layer) lists `member`. */
static bool
layer_has (struct capsa_store *s, const char *mdigest, const char *member)
{
  json_t *m = NULL;
  capsa_err *err = NULL;
  assert_int_equal (capsa_blob_json (s, mdigest, &m, &err), 0);
  json_t *layers = json_object_get (m, "layers");
  const char *d = jstr (json_array_get (layers, json_array_size (layers) - 1), "digest");
  char cmd[512];
  snprintf (cmd, sizeof cmd, "tar tf %s/blobs/sha256/%s | grep -qx '%s'", s->root, d + 7, member);
  json_decref (m);
  return system (cmd) == 0;
}

static json_t *
entry_of (struct capsa_store *s, json_t **idx, const char *id)
{
  capsa_err *err = NULL;
  assert_int_equal (capsa_index_read (s, idx, &err), 0);
  json_t *img = capsa_image_find (*idx, id, NULL, &err);
  assert_non_null (img);
  return img;
}

static void
test_commit_layers (void **state)
{
  char dir[] = "/tmp/capsa-ut-commit-XXXXXX", a[CAPSA_DIGEST_LEN + 1], b[CAPSA_DIGEST_LEN + 1];
  char found[CAPSA_DIGEST_LEN + 1];
  struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  json_t *idx = NULL;
  (void) state;
  assert_non_null (mkdtemp (dir));
  sh ("mkdir -p %s/store %s/upper/etc/opq && echo hi > %s/upper/etc/new", dir);
  char p[256];
  snprintf (p, sizeof p, "%s/upper/etc/gone", dir);
  bool root = mknod (p, S_IFCHR, makedev (0, 0)) == 0;
  snprintf (p, sizeof p, "%s/upper/etc/opq", dir);
  if (root)
    assert_int_equal (setxattr (p, "trusted.overlay.opaque", "y", 1, 0), 0);
  snprintf (p, sizeof p, "%s/store", dir);
  assert_int_equal (capsa_store_open (p, &s, &err), 0);
  snprintf (p, sizeof p, "%s/upper", dir);
  struct capsa_commit_opts o = { .created_by = "one", .cache_key = "k1", .comment = "c" };
  assert_int_equal (capsa_image_commit (s, p, &o, a, &err), 0);
  json_t *img = entry_of (s, &idx, a);
  assert_null (json_object_get (img, "parent"));
  assert_string_equal (jstr (img, "buildcache"), "k1");
  assert_true (layer_has (s, jstr (img, "manifest"), "etc/new"));
  if (root)
    {
      assert_true (layer_has (s, jstr (img, "manifest"), "etc/.wh.gone"));
      assert_true (layer_has (s, jstr (img, "manifest"), "etc/opq/.wh..wh..opq"));
      assert_false (layer_has (s, jstr (img, "manifest"), "etc/gone"));
    }
  json_decref (idx);

  json_t *cfg = json_pack ("{s:[s]}", "Env", "A=1");
  struct capsa_commit_opts o2 = { .name = "localhost/t:1", .parent = a, .config = cfg, .created_by = "two" };
  assert_int_equal (capsa_image_commit (s, NULL, &o2, b, &err), 0);
  json_decref (cfg);
  img = entry_of (s, &idx, "localhost/t:1");
  assert_string_equal (jstr (img, "id"), b);
  assert_string_equal (jstr (img, "parent"), a);
  json_t *c = NULL;
  assert_int_equal (capsa_blob_json (s, b, &c, &err), 0);
  assert_int_equal (json_array_size (json_object_get (json_object_get (c, "rootfs"), "diff_ids")), 1);
  json_t *h = json_object_get (c, "history");
  assert_int_equal (json_array_size (h), 2);
  assert_true (json_is_true (json_object_get (json_array_get (h, 1), "empty_layer")));
  assert_string_equal (jstr (json_array_get (h, 0), "comment"), "c");
  assert_string_equal (json_string_value (json_array_get (json_object_get (json_object_get (c, "config"), "Env"), 0)),
                       "A=1");
  json_decref (c);
  json_decref (idx);
  assert_int_equal (capsa_image_cache_find (s, "k1", found, &err), 1);
  assert_string_equal (found, a);
  assert_int_equal (capsa_image_cache_find (s, "k2", found, &err), 0);
  capsa_store_close (s);
  sh ("rm -rf %s", dir);
}

/* FROM scratch with nothing else: a zero-layer image, which registers and mounts (vfs: an empty
 * root; the overlay driver gives it an empty lower dir). */
static void
test_commit_scratch_empty (void **state)
{
  char dir[] = "/tmp/capsa-ut-commit-XXXXXX", id[CAPSA_DIGEST_LEN + 1], p[256];
  struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  json_t *idx = NULL, *m = NULL;
  char *root = NULL;
  (void) state;
  assert_non_null (mkdtemp (dir));
  assert_int_equal (capsa_store_open (dir, &s, &err), 0);
  struct capsa_commit_opts o = { .name = "localhost/empty:1", .created_by = "nothing" };
  assert_int_equal (capsa_image_commit (s, NULL, &o, id, &err), 0);
  json_t *img = entry_of (s, &idx, "localhost/empty:1");
  assert_int_equal (capsa_blob_json (s, jstr (img, "manifest"), &m, &err), 0);
  assert_int_equal (json_array_size (json_object_get (m, "layers")), 0);
  json_decref (m);
  json_decref (idx);
  assert_int_equal (capsa_rootfs_mount (s, id, "c1", NULL, CAPSA_ROOTFS_VFS, &root, &err), 0);
  snprintf (p, sizeof p, "%s/containers/c1/rootfs", dir);
  assert_string_equal (root, p);
  free (root);
  assert_int_equal (capsa_rootfs_unmount (s, "c1", &err), 0);
  capsa_store_close (s);
  sh ("rm -rf %s", dir);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_commit_layers),
    cmocka_unit_test (test_commit_scratch_empty),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
