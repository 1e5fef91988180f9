/* The engine (src/engine) without a container: the spec builder's steps (ctr_build) and their
 * errors, prune on an empty store, and the event log (its lines, rotation, reading, filters). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "capsa/engine.h"
#include "ctr.h"
#include "ctr_config.h"
#include "ctr_events.h"
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
  capsa_ctr_prune (&e, NULL, -1, count_pruned, &n);
  assert_int_equal (n, 0);
}

/* The events in ROOT's log, read from since 0, without following. */
static int
count_events (struct capsa_engine *e, json_t *filters)
{
  struct capsa_events *it;
  capsa_err *err = NULL;
  json_t *ev;
  int n = 0, r;
  assert_int_equal (capsa_engine_events_open (e, 0, -1, false, filters, &it, &err), 0);
  while ((r = capsa_engine_events_next (it, 0, &ev)) == 1)
    {
      n++;
      json_decref (ev);
    }
  assert_int_equal (r, -1);
  capsa_engine_events_close (it);
  return n;
}

static void
test_event_line (void **state)
{
  (void) state;
  struct capsa_engine e = { .root = root };
  json_t *attrs = json_pack ("{s:s, s:s, s:s}", "image", "busybox", "name", "x", "com.example", "yes");
  capsa_engine_event (&e, "container", "start", "abc", attrs);
  capsa_engine_event (&e, "volume", "create", "v1", NULL);
  char path[600];
  snprintf (path, sizeof path, "%s/events.log", root);
  FILE *f = fopen (path, "re");
  assert_non_null (f);
  char line[4096];
  assert_non_null (fgets (line, sizeof line, f));
  assert_non_null (strchr (line, '\n'));
  json_t *ev = json_loads (line, 0, NULL);
  assert_non_null (ev);
  assert_string_equal (json_string_value (json_object_get (ev, "status")), "start");
  assert_string_equal (json_string_value (json_object_get (ev, "id")), "abc");
  assert_string_equal (json_string_value (json_object_get (ev, "from")), "busybox");
  assert_string_equal (json_string_value (json_object_get (ev, "Type")), "container");
  assert_string_equal (json_string_value (json_object_get (ev, "Action")), "start");
  assert_string_equal (json_string_value (json_object_get (ev, "scope")), "local");
  json_t *actor = json_object_get (ev, "Actor");
  assert_string_equal (json_string_value (json_object_get (actor, "ID")), "abc");
  assert_true (json_equal (json_object_get (actor, "Attributes"), attrs));
  long long ns = json_integer_value (json_object_get (ev, "timeNano"));
  assert_int_equal (json_integer_value (json_object_get (ev, "time")), ns / 1000000000LL);
  json_decref (ev);
  assert_non_null (fgets (line, sizeof line, f));
  ev = json_loads (line, 0, NULL);
  assert_null (json_object_get (ev, "status")); /* (containers only) */
  assert_string_equal (json_string_value (json_object_get (ev, "Type")), "volume");
  json_decref (ev);
  fclose (f);

  /* docker's filters */
  json_t *flt = json_pack ("{s:[s]}", "event", "start");
  assert_int_equal (count_events (&e, flt), 1);
  json_decref (flt);
  flt = json_pack ("{s:[s], s:[s]}", "type", "container", "label", "com.example=yes");
  assert_int_equal (count_events (&e, flt), 1);
  json_decref (flt);
  flt = json_pack ("{s:[s]}", "label", "com.example=no");
  assert_int_equal (count_events (&e, flt), 0);
  json_decref (flt);
  flt = json_pack ("{s:[s, s]}", "container", "nope", "ab");
  assert_int_equal (count_events (&e, flt), 1); /* (an id prefix) */
  json_decref (flt);
  flt = json_pack ("{s:[s]}", "image", "busybox:latest");
  assert_int_equal (count_events (&e, flt), 0);
  json_decref (flt);
  flt = json_pack ("{s:{s:b}}", "volume", "v1", 1); /* (the old form) */
  assert_int_equal (count_events (&e, flt), 1);
  json_decref (flt);
  assert_int_equal (count_events (&e, NULL), 2);

  /* a line stays under PIPE_BUF: labels too long are dropped, name and image kept */
  char big[8192];
  memset (big, 'a', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  json_object_set_new (attrs, "big", json_string (big));
  capsa_engine_event (&e, "container", "die", "abc", attrs);
  json_decref (attrs);
  flt = json_pack ("{s:[s], s:[s]}", "event", "die", "container", "x");
  assert_int_equal (count_events (&e, flt), 1);
  json_decref (flt);
}

static void
test_event_rotation (void **state)
{
  (void) state;
  char sub[600], path[700];
  snprintf (sub, sizeof sub, "%s/rot", root);
  assert_int_equal (mkdir (sub, 0700), 0);
  struct capsa_engine e = { .root = sub };
  ctr_events_rotate_bytes = 4096;
  int n = 0;
  struct stat st;
  snprintf (path, sizeof path, "%s/events.log.1", sub);
  for (; stat (path, &st) < 0; n++)
    capsa_engine_event (&e, "network", "create", "n", NULL);
  assert_true (st.st_size >= 4096 && st.st_size < 4096 + 4096);
  /* every line is in one of the two files, in order */
  for (int k = 0; k < 3; k++, n++)
    capsa_engine_event (&e, "network", "destroy", "n", NULL);
  assert_int_equal (count_events (&e, NULL), n);
  json_t *flt = json_pack ("{s:[s]}", "event", "destroy");
  assert_int_equal (count_events (&e, flt), 3);
  json_decref (flt);
  /* following: what comes later is read; the end is until's */
  struct capsa_events *it;
  capsa_err *err = NULL;
  json_t *ev;
  assert_int_equal (capsa_engine_events_open (&e, -1, -1, true, NULL, &it, &err), 0);
  assert_int_equal (capsa_engine_events_next (it, 50, &ev), 0);
  capsa_engine_event (&e, "network", "connect", "n", NULL);
  assert_int_equal (capsa_engine_events_next (it, 2000, &ev), 1);
  assert_string_equal (json_string_value (json_object_get (ev, "Action")), "connect");
  json_decref (ev);
  capsa_engine_events_close (it);
  ctr_events_rotate_bytes = CTR_EVENTS_ROTATE_BYTES;
}

/* the image store's events (eventlog_append, as capsa_image_event writes them) and the exec
 * events: docker's filters type=image, event=tag, image=NAME (a tag's name without its tag) */
static void
test_image_and_exec_events (void **state)
{
  (void) state;
  char sub[600];
  snprintf (sub, sizeof sub, "%s/imgev", root);
  assert_int_equal (mkdir (sub, 0700), 0);
  struct capsa_engine e = { .root = sub };
  json_t *attrs = json_pack ("{s:s}", "name", "busybox:mytag");
  eventlog_append (sub, "image", "tag", "sha256:0123", attrs);
  json_decref (attrs);
  attrs = json_pack ("{s:s}", "name", "sha256:0123");
  eventlog_append (sub, "image", "untag", "sha256:0123", attrs);
  json_decref (attrs);
  static const char *const cases[][3] = { { "type", "image", "2" },        { "event", "tag", "1" },
                                          { "image", "busybox", "1" },     { "image", "busybox:mytag", "1" },
                                          { "image", "sha256:0123", "2" }, { "image", "alpine", "0" } };
  for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
    {
      json_t *flt = json_pack ("{s:[s]}", cases[i][0], cases[i][1]);
      assert_int_equal (count_events (&e, flt), atoi (cases[i][2]));
      json_decref (flt);
    }
  char id[] = "abcdef0123456789abcdef0123456789abcdef0123456789abcdef0123456789";
  struct ctr c = { .id = id, .meta = json_pack ("{s:s, s:{s:s}}", "Name", "/x", "Config", "Image", "busybox") };
  char *args[] = { "sh", "-c", "exit 3", NULL };
  capsa_ctr_exec_event (&e, &c, "exec_start", args, "e1", 0);
  capsa_ctr_exec_event (&e, &c, "exec_die", NULL, "e1", 3);
  json_decref (c.meta);
  json_t *flt = json_pack ("{s:[s]}", "event", "exec_start");
  assert_int_equal (count_events (&e, flt), 1);
  json_decref (flt);
  struct capsa_events *it;
  capsa_err *err = NULL;
  json_t *ev;
  flt = json_pack ("{s:[s]}", "type", "container");
  assert_int_equal (capsa_engine_events_open (&e, 0, -1, false, flt, &it, &err), 0);
  assert_int_equal (capsa_engine_events_next (it, 0, &ev), 1);
  assert_string_equal (json_string_value (json_object_get (ev, "Action")), "exec_start: sh -c exit 3");
  json_decref (ev);
  assert_int_equal (capsa_engine_events_next (it, 0, &ev), 1);
  json_t *a = json_object_get (json_object_get (ev, "Actor"), "Attributes");
  assert_string_equal (json_string_value (json_object_get (a, "exitCode")), "3");
  assert_string_equal (json_string_value (json_object_get (a, "execID")), "e1");
  assert_string_equal (json_string_value (json_object_get (a, "name")), "x");
  json_decref (ev);
  capsa_engine_events_close (it);
  json_decref (flt);
}

/* since/until times: unix seconds, durations back from now, RFC 3339; what cannot be a time in
 * nanoseconds (before 1970, past 2262, not a number) is -1, never an overflow */
static void
test_parse_since (void **state)
{
  (void) state;
  assert_int_equal (capsa_ctr_parse_since ("1700000000"), 1700000000LL * 1000000000LL);
  assert_int_equal (capsa_ctr_parse_since ("2023-11-14T22:13:20.5Z"), 1700000000LL * 1000000000LL + 500000000);
  long long t = capsa_ctr_parse_since ("10m"), now = capsa_realtime_ns ();
  assert_true (t > 0 && now - t >= 600LL * 1000000000LL && now - t < 610LL * 1000000000LL);
  static const char *const bad[] = { "99999999999999999",    "99999999999h", "-5m", "inf", "nan", "-1",
                                     "3000-01-01T00:00:00Z", "yesterday" };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    assert_int_equal (capsa_ctr_parse_since (bad[i]), -1);
}

/* docker's filters of images, networks, volumes and prunes (list_filter.c) */
static json_t *
filters_of (const char *text)
{
  json_t *f = json_loads (text, 0, NULL);
  assert_non_null (f);
  return f;
}

static void
test_list_filters (void **state)
{
  (void) state;
  capsa_err *err = NULL;
  long long until;
  json_t *f = filters_of ("{\"nope\": [\"1\"]}");
  assert_int_equal (capsa_image_filters_check (f, &err), -1);
  assert_non_null (strstr (err->msg, "invalid filter 'nope'"));
  capsa_err_free (&err);
  assert_int_equal (capsa_volume_filters_check (f, &err), -1);
  capsa_err_free (&err);
  assert_int_equal (capsa_network_filters_check (f, &err), -1);
  capsa_err_free (&err);
  json_decref (f);
  f = filters_of ("{\"dangling\": [\"maybe\"]}");
  assert_int_equal (capsa_image_filters_check (f, &err), -1);
  capsa_err_free (&err);
  json_decref (f);
  /* reference globs on the familiar name, with and without the tag; the other tags are dropped */
  f = filters_of ("{\"reference\": [\"busybox:*\"], \"label\": [\"a=1\"]}");
  json_t *sum = json_loads ("{\"RepoTags\": [\"busybox:1\", \"me/bb:1\"], \"RepoDigests\": [], \"Created\": 100,"
                            " \"Labels\": {\"a\": \"1\"}}",
                            0, NULL);
  assert_true (capsa_image_filter_match (sum, false, f, -1, -1));
  assert_int_equal (json_array_size (json_object_get (sum, "RepoTags")), 1);
  assert_false (capsa_image_filter_match (sum, false, f, 100, -1)); /* before: made before 100 */
  assert_true (capsa_image_filter_match (sum, false, f, -1, 99));   /* since: after 99 */
  json_decref (sum);
  json_decref (f);
  /* networks: type, dangling (custom and unused), name (a part) */
  json_t *net = json_loads ("{\"Name\": \"mynet\", \"Id\": \"abcdef\", \"Driver\": \"bridge\", \"Containers\": {}}", 0,
                            NULL);
  f = filters_of ("{\"type\": [\"custom\"], \"dangling\": [\"true\"], \"name\": [\"yne\"], \"id\": [\"abc\"]}");
  assert_int_equal (capsa_network_filters_check (f, &err), 0);
  assert_true (capsa_network_filter_match (net, f));
  json_decref (f);
  f = filters_of ("{\"type\": [\"builtin\"]}");
  assert_false (capsa_network_filter_match (net, f));
  json_decref (f);
  f = filters_of ("{\"type\": [\"other\"]}");
  assert_int_equal (capsa_network_filters_check (f, &err), -1);
  capsa_err_free (&err);
  json_decref (f);
  json_decref (net);
  /* prunes: until as a duration, a unix time, an RFC 3339 time; label and label! */
  f = filters_of ("{\"until\": [\"1h30m\"]}");
  assert_int_equal (capsa_prune_filters_check (f, false, &until, &err), 0);
  assert_true (llabs (until - ((long long) time (NULL) - 5400)) <= 2);
  json_decref (f);
  f = filters_of ("{\"until\": [\"2000-01-02T00:00:00+01:00\"], \"label!\": [\"keep\"]}");
  assert_int_equal (capsa_prune_filters_check (f, false, &until, &err), 0);
  assert_int_equal (until, 946767600LL);
  json_t *labels = json_pack ("{s:s}", "keep", "1");
  assert_false (capsa_prune_filter_match (labels, 100, f, until));
  assert_true (capsa_prune_filter_match (NULL, 100, f, until));
  assert_false (capsa_prune_filter_match (NULL, 946767600LL, f, until));
  json_decref (labels);
  json_decref (f);
  f = filters_of ("{\"until\": [\"1700000000\"]}");
  assert_int_equal (capsa_prune_filters_check (f, false, &until, &err), 0);
  assert_int_equal (until, 1700000000LL);
  json_decref (f);
  f = filters_of ("{\"until\": [\"soon\"]}");
  assert_int_equal (capsa_prune_filters_check (f, false, &until, &err), -1);
  capsa_err_free (&err);
  json_decref (f);
  f = filters_of ("{\"dangling\": [\"true\"]}");
  assert_int_equal (capsa_prune_filters_check (f, false, &until, &err), -1); /* only image prune's */
  capsa_err_free (&err);
  assert_int_equal (capsa_prune_filters_check (f, true, &until, &err), 0);
  json_decref (f);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_build_errors),      cmocka_unit_test (test_build_record),
    cmocka_unit_test (test_prune_empty_store), cmocka_unit_test (test_event_line),
    cmocka_unit_test (test_event_rotation),    cmocka_unit_test (test_image_and_exec_events),
    cmocka_unit_test (test_parse_since),       cmocka_unit_test (test_list_filters),
  };
  return cmocka_run_group_tests (tests, setup, teardown);
}
