/* The engine (src/engine) without a container: the spec builder's steps (ctr_build) and their
 * errors, and prune on an empty store. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "capsa/engine.h"
#include "ctr.h"
#include "ctr_config.h"
#include "util.h"

static char root[] = "/tmp/capsa-test-engine-XXXXXX";

static int
setup (void **state)
{
  (void) state;
  if (mkdtemp (root) == NULL)
    return -1;
  char rootfs[512];
  snprintf (rootfs, sizeof rootfs, "%s/rootfs", root);
  return mkdir (rootfs, 0755);
}

static int
teardown (void **state)
{
  (void) state;
  char cmd[600];
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", root);
  return system (cmd);
}

/* ctr_build of o over an image whose config is cfg (a JSON text): 0 or -1 with *err. */
static int
build (struct ctr_opts *o, const char *cfg, json_t **config, json_t **meta, capsa_err **err)
{
  struct capsa_engine e = { .root = root, .default_registry = (char *) "docker.io" };
  char rootfs[512];
  snprintf (rootfs, sizeof rootfs, "%s/rootfs", root);
  json_t *imgcfg = json_loads (cfg, 0, NULL);
  *config = *meta = NULL;
  int r = ctr_build (&e, o, "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", rootfs, "sha256:1",
                     imgcfg, config, meta, err);
  json_decref (imgcfg);
  return r;
}

static void
expect_error (struct ctr_opts *o, const char *msg)
{
  json_t *config, *meta;
  capsa_err *err = NULL;
  assert_int_equal (build (o, "{\"config\": {\"Cmd\": [\"sh\"]}}", &config, &meta, &err), -1);
  assert_non_null (err);
  assert_int_equal (err->errnum, EINVAL);
  assert_string_equal (err->msg, msg);
  assert_null (config);
  assert_null (meta);
  capsa_err_free (&err);
}

static void
test_build_errors (void **state)
{
  (void) state;
  struct ctr_opts o = { .image = "busybox", .stop_timeout = -1, .network = "none", .stop_signal = "NOPE" };
  expect_error (&o, "--stop-signal: unknown signal `NOPE`");
  o.stop_signal = NULL;
  o.restart = "sometimes";
  expect_error (&o, "--restart `sometimes`: expected no, on-failure[:MAX-RETRIES], always or unless-stopped");
  o.restart = "always:3";
  expect_error (&o, "--restart `always:3`: expected no, on-failure[:MAX-RETRIES], always or unless-stopped");
  o.restart = "always";
  o.rm = true;
  expect_error (&o, "conflicting options: --restart and --rm");
  o.restart = NULL;
  o.rm = false;
  char *publish[] = { (char *) "8080:80", NULL };
  o.publish = publish;
  expect_error (&o, "-p and -P need a bridge network or slirp4netns: add `--network bridge` (or a network's name, "
                    "or slirp4netns)");
}

static void
test_build_record (void **state)
{
  (void) state;
  char *labels[] = { (char *) "a=1", (char *) "b", NULL };
  struct ctr_opts o = {
    .image = "busybox", .stop_timeout = 7, .network = "none", .restart = "on-failure:2", .labels = labels
  };
  json_t *config, *meta;
  capsa_err *err = NULL;
  int r = build (&o,
                 "{\"config\": {\"Cmd\": [\"sh\", \"-c\", \"true\"], \"Labels\": {\"a\": \"0\", \"c\": \"2\"}, "
                 "\"StopSignal\": \"SIGINT\"}}",
                 &config, &meta, &err);
  if (r < 0)
    fail_msg ("ctr_build: %s", err->msg);
  json_t *cfg = json_object_get (meta, "Config"), *hc = json_object_get (meta, "HostConfig");
  assert_string_equal (json_string_value (json_object_get (cfg, "StopSignal")), "SIGINT");
  assert_int_equal (json_integer_value (json_object_get (cfg, "StopTimeout")), 7);
  json_t *l = json_object_get (cfg, "Labels");
  assert_string_equal (json_string_value (json_object_get (l, "a")), "1");
  assert_string_equal (json_string_value (json_object_get (l, "b")), "");
  assert_string_equal (json_string_value (json_object_get (l, "c")), "2");
  json_t *pol = json_object_get (hc, "RestartPolicy");
  assert_string_equal (json_string_value (json_object_get (pol, "Name")), "on-failure");
  assert_int_equal (json_integer_value (json_object_get (pol, "MaximumRetryCount")), 2);
  assert_string_equal (json_string_value (json_object_get (hc, "NetworkMode")), "none");
  assert_int_equal (json_array_size (json_object_get (hc, "Publish")), 0);
  assert_string_equal (json_string_value (json_object_get (meta, "Path")), "sh");
  assert_int_equal (json_array_size (json_object_get (meta, "Args")), 2);
  assert_string_equal (json_string_value (json_object_get (meta, "Name")), "");
  json_t *process = json_object_get (config, "process");
  assert_non_null (json_object_get (process, "capabilities"));
  assert_string_equal (json_string_value (json_array_get (json_object_get (process, "args"), 2)), "true");
  json_decref (config);
  json_decref (meta);
}

static void
count_pruned (void *data, const char *id, long long size, capsa_err **err)
{
  (*(int *) data)++;
}

static void
test_prune_empty_store (void **state)
{
  (void) state;
  struct capsa_engine e = { .root = root };
  int n = 0;
  capsa_ctr_prune (&e, count_pruned, &n);
  assert_int_equal (n, 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_build_errors),
    cmocka_unit_test (test_build_record),
    cmocka_unit_test (test_prune_empty_store),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
