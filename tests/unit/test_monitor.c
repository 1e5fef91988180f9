/* capsa-monitor's pieces that work without a container: run.json edited without a JSON library
 * (checked against jansson, which the CLI reads it with) and the log's records. */
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "attach_proto.h"
#include "mon.h"

static int
tmpdir (char *path)
{
  strcpy (path, "/tmp/capsa-mon-unit-XXXXXX");
  assert_non_null (mkdtemp (path));
  return open (path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
}

static void
rmtree (int dirfd, char *path)
{
  static const char *const files[] = { "run.json", "run.lock", "ctr.log", "ctr.log.1", "ctr.log.2", "ctr.log.3" };
  for (size_t i = 0; i < sizeof files / sizeof files[0]; i++)
    unlinkat (dirfd, files[i], 0);
  close (dirfd);
  rmdir (path);
}

static json_t *
load (int dirfd)
{
  char buf[4096];
  int fd = openat (dirfd, "run.json", O_RDONLY);
  assert_true (fd >= 0);
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  buf[n] = '\0';
  json_t *j = json_loads (buf, 0, NULL);
  assert_non_null (j);
  return j;
}

static void
test_run_json_keeps_what_it_does_not_know (void **state)
{
  char path[64];
  int d = tmpdir (path);
  (void) state;
  /* missing file: an empty object */
  assert_int_equal (mon_run_int (d, "RestartCount", -7), -7);
  const char *k1[] = { "MonitorPid", "Restarting" }, *v1[] = { "42", "false" };
  assert_int_equal (mon_run_update (d, 2, k1, v1), 0);
  assert_int_equal (mon_run_int (d, "MonitorPid", 0), 42);
  /* what jansson writes for the CLI: strings with escapes and commas, nested values, null */
  json_t *j = load (d);
  json_object_set_new (j, "Error", json_string ("exec: \"/no/such\", {x}: no such file\n\\"));
  json_object_set_new (j, "Network", json_pack ("{s:s, s:[i,i], s:{}}", "IP", "10.0.0.2", "L", 1, 2, "E"));
  json_object_set_new (j, "Gone", json_null ());
  json_object_set_new (j, "RestartCount", json_integer (3));
  char *s = json_dumps (j, JSON_COMPACT);
  int fd = openat (d, "run.json", O_WRONLY | O_TRUNC);
  assert_int_equal (write (fd, s, strlen (s)), (ssize_t) strlen (s));
  close (fd);
  free (s);
  assert_int_equal (mon_run_int (d, "RestartCount", 0), 3);
  const char *k2[] = { "ExitCode", "Restarting", "Gone", "FinishedAt" };
  const char *v2[] = { "137", "true", NULL, "\"2026-01-02T03:04:05.000000006Z\"" };
  assert_int_equal (mon_run_update (d, 4, k2, v2), 0);
  json_t *after = load (d);
  assert_int_equal (json_integer_value (json_object_get (after, "ExitCode")), 137);
  assert_true (json_is_true (json_object_get (after, "Restarting")));
  assert_null (json_object_get (after, "Gone"));
  assert_string_equal (json_string_value (json_object_get (after, "FinishedAt")), "2026-01-02T03:04:05.000000006Z");
  assert_true (json_equal (json_object_get (after, "Error"), json_object_get (j, "Error")));
  assert_true (json_equal (json_object_get (after, "Network"), json_object_get (j, "Network")));
  assert_int_equal (json_integer_value (json_object_get (after, "MonitorPid")), 42);
  json_decref (j);
  json_decref (after);
  rmtree (d, path);
}

static void
test_log_records (void **state)
{
  char path[64], buf[256];
  int d = tmpdir (path);
  (void) state;
  struct mon_log l = { .dirfd = d, .max = 1 << 20 };
  mon_log_open (&l);
  assert_true (l.fd >= 0);
  struct mon_stream *s = calloc (1, sizeof *s);
  s->name = "stdout";
  s->kind = ATTACH_STDOUT;
  memcpy (s->buf, "one\ntwo\nthr", 11);
  s->len = 11;
  mon_log_lines (&l, s, false);
  assert_int_equal (s->len, 3); /* "thr" waits for its newline */
  mon_log_lines (&l, s, true);
  assert_int_equal (s->len, 0);
  close (l.fd);
  int fd = openat (d, "ctr.log", O_RDONLY);
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  buf[n] = '\0';
  /* "RFC3339NANO stdout F one" ... the last one cut: P */
  char *l1 = buf, *l2 = strchr (l1, '\n') + 1, *l3 = strchr (l2, '\n') + 1;
  assert_memory_equal (strchr (l1, ' '), " stdout F one\n", 14);
  assert_memory_equal (strchr (l2, ' '), " stdout F two\n", 14);
  assert_memory_equal (strchr (l3, ' '), " stdout P thr\n", 14);
  assert_int_equal (l1[4], '-');
  assert_int_equal (l1[10], 'T');
  assert_int_equal (strchr (l1, ' ')[-1], 'Z');
  free (s);
  rmtree (d, path);
}

static char *
slurp (int dirfd, const char *name)
{
  static char buf[4096];
  int fd = openat (dirfd, name, O_RDONLY);
  if (fd < 0)
    return NULL;
  ssize_t n = read (fd, buf, sizeof buf - 1);
  close (fd);
  buf[n < 0 ? 0 : n] = '\0';
  return buf;
}

/* json-file: docker's object, its escapes, attrs; and rotation keeping `files` files in all */
static void
test_log_json_file_and_rotation (void **state)
{
  char path[64];
  int d = tmpdir (path);
  (void) state;
  struct mon_log l = { .dirfd = d, .max = 50, .format = 'j', .files = 3, .attrs = "\"attrs\":{\"a\":\"b\"}," };
  mon_log_open (&l);
  struct mon_stream *s = calloc (1, sizeof *s);
  s->name = "stderr";
  memcpy (s->buf, "x\"<\t\xff\n", 6);
  s->len = 6;
  mon_log_lines (&l, s, false);
  char *got = slurp (d, "ctr.log");
  assert_non_null (got);
  assert_memory_equal (
      got, "{\"log\":\"x\\\"\\u003c\\u0009\\ufffd\\n\",\"stream\":\"stderr\",\"attrs\":{\"a\":\"b\"},\"time\":\"", 65);
  json_t *j = json_loads (got, 0, NULL);
  assert_non_null (j);
  assert_string_equal (json_string_value (json_object_get (j, "log")), "x\"<\t\xef\xbf\xbd\n");
  json_decref (j);
  /* past 50 bytes each record starts a new file: ctr.log, .1, .2 kept, the oldest dropped */
  for (int i = 0; i < 5; i++)
    {
      s->len = (size_t) snprintf (s->buf, sizeof s->buf, "line%d\n", i);
      mon_log_lines (&l, s, false);
    }
  close (l.fd);
  assert_non_null (strstr (slurp (d, "ctr.log"), "line4"));
  assert_non_null (strstr (slurp (d, "ctr.log.1"), "line3"));
  assert_non_null (strstr (slurp (d, "ctr.log.2"), "line2"));
  assert_null (slurp (d, "ctr.log.3"));
  free (s);
  rmtree (d, path);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_run_json_keeps_what_it_does_not_know),
    cmocka_unit_test (test_log_records),
    cmocka_unit_test (test_log_json_file_and_rotation),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
