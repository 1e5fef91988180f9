/* The image config and manifest parsers (src/lib/image/imgspec.c): bad types are refused with the
 * field's name, at read time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "imgspec.h"

#define D1 "sha256:1111111111111111111111111111111111111111111111111111111111111111"
#define D2 "sha256:2222222222222222222222222222222222222222222222222222222222222222"

static char *
config_error (const char *doc)
{
  struct capsa_image_config c;
  capsa_err *err = NULL;
  if (capsa_image_config_parse (doc, strlen (doc), "image config of x", &c, &err) == 0)
    {
      capsa_image_config_free (&c);
      return NULL;
    }
  assert_null (c.raw);
  char *m = strdup (err->msg);
  capsa_err_free (&err);
  return m;
}

static void
assert_config_error (const char *doc, const char *want)
{
  char *m = config_error (doc);
  assert_non_null (m);
  assert_string_equal (m, want);
  free (m);
}

static void
test_config_types (void **state)
{
  (void) state;
  assert_config_error ("{\"config\": {\"Env\": [\"A=1\", \"B=2\", 1]}, \"rootfs\": {\"type\": \"layers\", "
                       "\"diff_ids\": []}}",
                       "image config of x: config.Env[2] is a number, not a string");
  assert_config_error ("{\"config\": {\"Cmd\": \"sh\"}, \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}",
                       "image config of x: config.Cmd is a string, not an array");
  assert_config_error ("{\"config\": {\"Labels\": {\"a\": 1}}, \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}",
                       "image config of x: config.Labels[\"a\"] is a number, not a string");
  assert_config_error ("{\"config\": {\"ExposedPorts\": {\"80/tcp\": true}}, \"rootfs\": {\"type\": \"layers\", "
                       "\"diff_ids\": []}}",
                       "image config of x: config.ExposedPorts[\"80/tcp\"] is a boolean, not an object");
  assert_config_error ("{\"config\": {\"User\": 0, \"WorkingDir\": \"/\"}, \"rootfs\": {\"type\": \"layers\", "
                       "\"diff_ids\": []}}",
                       "image config of x: config.User is a number, not a string");
  assert_config_error ("{\"config\": {\"Healthcheck\": {\"Test\": [1]}}, \"rootfs\": {\"type\": \"layers\", "
                       "\"diff_ids\": []}}",
                       "image config of x: config.Healthcheck.Test[0] is a number, not a string");
  assert_config_error ("{\"history\": [{\"created_by\": []}], \"rootfs\": {\"type\": \"layers\", \"diff_ids\": []}}",
                       "image config of x: history[0].created_by is an array, not a string");
  assert_config_error ("{\"rootfs\": {\"type\": \"layers\", \"diff_ids\": [\"sha256:zz\"]}}",
                       "image config of x: rootfs.diff_ids[0] `sha256:zz` is not a sha256 digest");
  assert_config_error ("{\"rootfs\": {\"type\": \"layers\", \"diff_ids\": [7]}}",
                       "image config of x: rootfs.diff_ids[0] is a number, not a string");
  assert_config_error ("{\"config\": {}}", "image config of x: no rootfs.diff_ids (not an image config)");
  assert_config_error ("[]", "image config of x: the document is an array, not an object");
}

static void
test_config_ok (void **state)
{
  (void) state;
  const char *doc = "{\"created\": \"2024-01-01T00:00:00Z\", \"config\": {\"Env\": [\"PATH=/bin\"], \"Cmd\": null, "
                    "\"Entrypoint\": null, \"Labels\": null, \"Volumes\": {\"/data\": {}}}, \"rootfs\": {\"type\": "
                    "\"layers\", \"diff_ids\": [\"" D1 "\", \"" D2 "\"]}, \"history\": [{\"created_by\": \"x\", "
                    "\"empty_layer\": true}]}";
  struct capsa_image_config c;
  capsa_err *err = NULL;
  assert_int_equal (capsa_image_config_parse (doc, strlen (doc), "c", &c, &err), 0);
  assert_int_equal (c.n_diff_ids, 2);
  assert_string_equal (c.diff_ids[1], D2);
  assert_string_equal (c.created, "2024-01-01T00:00:00Z");
  capsa_image_config_free (&c);
}

static char *
manifest_error (const char *doc, const char *ct)
{
  struct capsa_manifest m;
  capsa_err *err = NULL;
  if (capsa_manifest_parse (doc, strlen (doc), ct, "manifest x", &m, &err) == 0)
    {
      capsa_manifest_free (&m);
      return NULL;
    }
  char *r = strdup (err->msg);
  capsa_err_free (&err);
  return r;
}

static void
assert_manifest_error (const char *doc, const char *ct, const char *want)
{
  char *m = manifest_error (doc, ct);
  assert_non_null (m);
  assert_string_equal (m, want);
  free (m);
}

#define CFG "\"config\": {\"mediaType\": \"" CAPSA_MT_OCI_CONFIG "\", \"digest\": \"" D1 "\", \"size\": 10}"
#define LAYER(mt, size) "{\"mediaType\": \"" mt "\", \"digest\": \"" D2 "\", \"size\": " size "}"

static void
test_manifest_types (void **state)
{
  (void) state;
  assert_manifest_error ("{\"schemaVersion\": \"2\"}", NULL, "manifest x: schemaVersion is a string, not an integer");
  assert_manifest_error ("{\"schemaVersion\": 2, " CFG ", \"layers\": [" LAYER (CAPSA_MT_OCI_LAYER, "-1") "]}", NULL,
                         "manifest x: layers[0].size is -1: refused (a size is never negative)");
  assert_manifest_error ("{\"schemaVersion\": 2, " CFG ", \"layers\": [" LAYER (CAPSA_MT_OCI_LAYER, "\"5\"") "]}", NULL,
                         "manifest x: layers[0].size is a string, not an integer");
  assert_manifest_error ("{\"schemaVersion\": 2, " CFG ", \"layers\": [" LAYER ("text/html", "5") "]}", NULL,
                         "manifest x: layers[0].mediaType `text/html` is not a layer capsa can unpack");
  assert_manifest_error ("{\"schemaVersion\": 2, " CFG ", \"layers\": {}}", NULL,
                         "manifest x: layers is an object, not an array");
  assert_manifest_error ("{\"schemaVersion\": 2, \"mediaType\": \"text/plain\", " CFG ", \"layers\": []}", NULL,
                         "manifest x: media type `text/plain` is not an image manifest or index");
  assert_manifest_error ("{\"schemaVersion\": 2, \"mediaType\": \"" CAPSA_MT_OCI_MANIFEST "\", " CFG
                         ", \"layers\": []}",
                         CAPSA_MT_OCI_INDEX,
                         "manifest x: served as `" CAPSA_MT_OCI_INDEX
                         "` but the document says it is `" CAPSA_MT_OCI_MANIFEST "`: refused");
  assert_manifest_error ("{\"schemaVersion\": 2, \"config\": {\"mediaType\": \"application/x-helm\", \"digest\": \"" D1
                         "\", \"size\": 1}, \"layers\": []}",
                         NULL,
                         "manifest x: config.mediaType `application/x-helm` is not an image config (an artifact, "
                         "not a container image?)");
  assert_manifest_error ("{\"schemaVersion\": 2, \"manifests\": [{\"digest\": \"" D1
                         "\", \"size\": 3, \"platform\": {\"os\": 1}}]}",
                         NULL, "manifest x: manifests[0].platform.os is a number, not a string");
  assert_manifest_error ("{\"schemaVersion\": 1}", NULL,
                         "manifest x is a schema 1 manifest, which capsa does not support (push it again with a "
                         "current client)");
}

static void
test_manifest_limits_and_ok (void **state)
{
  (void) state;
  size_t n = CAPSA_MANIFEST_MAX + 1;
  char *big = malloc (n);
  memset (big, ' ', n);
  struct capsa_manifest m;
  capsa_err *err = NULL;
  assert_int_equal (capsa_manifest_parse (big, n, NULL, "manifest x", &m, &err), -1);
  assert_non_null (strstr (err->msg, "over the 4 MiB limit for a manifest: refused"));
  capsa_err_free (&err);
  free (big);
  const char *doc = "{\"schemaVersion\": 2, " CFG ", \"layers\": [" LAYER (CAPSA_MT_OCI_LAYER_GZIP, "5") "]}";
  assert_int_equal (capsa_manifest_parse (doc, strlen (doc), CAPSA_MT_DOCKER_MANIFEST, "m", &m, &err), 0);
  assert_false (m.is_index);
  assert_string_equal (m.media_type, CAPSA_MT_DOCKER_MANIFEST);
  assert_int_equal (m.n_layers, 1);
  assert_int_equal (m.layers[0].size, 5);
  assert_string_equal (m.config.digest, D1);
  capsa_manifest_free (&m);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_config_types),
    cmocka_unit_test (test_config_ok),
    cmocka_unit_test (test_manifest_types),
    cmocka_unit_test (test_manifest_limits_and_ok),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
