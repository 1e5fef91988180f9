/* Small shared helpers of src/lib/base: read_chunks, strbuf, fs_each_entry, json_read_file_at. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "fsops.h"
#include "jsonutil.h"
#include "sha256.h"
#include "strbuf.h"
#include "util.h"

static int
count_chunk (const void *chunk, size_t len, void *arg, capsa_err **err)
{
  size_t *total = arg;
  (void) chunk;
  (void) err;
  *total += len;
  return 0;
}

static int
fail_chunk (const void *chunk, size_t len, void *arg, capsa_err **err)
{
  (void) chunk;
  (void) len;
  (void) arg;
  return capsa_fail_as (err, EIO, "sink full");
}

static void
test_read_chunks (void **state)
{
  int p[2];
  size_t total = 0;
  capsa_err *err = NULL;
  static char big[200000];
  (void) state;
  assert_int_equal (pipe (p), 0);
  if (fork () == 0)
    {
      close (p[0]);
      _exit (write_all (p[1], big, sizeof big) < 0);
    }
  close (p[1]);
  assert_int_equal (read_chunks (p[0], count_chunk, &total, "read", &err), 0);
  assert_int_equal (total, sizeof big);
  close (p[0]);
  int status;
  assert_true (wait (&status) > 0 && status == 0);

  int fd = open ("/proc/self/status", O_RDONLY | O_CLOEXEC);
  assert_int_equal (read_chunks (fd, fail_chunk, NULL, "read", &err), -1);
  assert_string_equal (err->msg, "sink full");
  capsa_err_free (&err);
  close (fd);
  /* a directory cannot be read: the message names it */
  fd = open ("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal (read_chunks (fd, count_chunk, &total, "read for sha256", &err), -1);
  assert_string_equal (err->msg, "read for sha256: is a directory");
  capsa_err_free (&err);
  close (fd);
}

static void
test_strbuf (void **state)
{
  struct strbuf b = { 0 };
  (void) state;
  for (int i = 0; i < 1000; i++)
    strbuf_printf (&b, "%d,", i % 10);
  assert_int_equal (b.len, 2000);
  assert_int_equal (strlen (b.buf), 2000);
  assert_memory_equal (b.buf, "0,1,2,", 6);
  strbuf_printf (&b, "%s", "");
  assert_int_equal (b.len, 2000);
  free (b.buf);
}

static int
collect (int child, const char *entry, const char *path, void *arg, capsa_err **err)
{
  struct strbuf *b = arg;
  struct stat st;
  (void) err;
  assert_int_equal (fstat (child, &st), 0);
  strbuf_printf (b, "%s=%s%s;", entry, path, S_ISDIR (st.st_mode) ? "/" : "");
  return strcmp (entry, "stop") == 0 ? capsa_fail_as (err, EINTR, "stopped at %s", path) : 0;
}

static void
test_each_entry (void **state)
{
  char dir[] = "/tmp/capsa-each-XXXXXX";
  struct strbuf b = { 0 };
  capsa_err *err = NULL;
  (void) state;
  assert_non_null (mkdtemp (dir));
  int d = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal (mkdirat (d, "sub", 0700), 0);
  assert_int_equal (symlinkat ("/nowhere", d, "link"), 0);
  assert_int_equal (fs_each_entry (d, "the dir", "rel", collect, &b, &err), 0);
  /* (readdir's order) */
  assert_non_null (strstr (b.buf, "sub=rel/sub/;"));
  assert_non_null (strstr (b.buf, "link=rel/link;")); /* the link itself, not followed */
  assert_int_equal (b.len, strlen ("sub=rel/sub/;link=rel/link;"));
  free (b.buf);
  b = (struct strbuf){ 0 };
  assert_int_equal (mkdirat (d, "stop", 0700), 0);
  assert_int_equal (fs_each_entry (d, "the dir", "rel", collect, &b, &err), -1);
  assert_string_equal (err->msg, "stopped at rel/stop");
  capsa_err_free (&err);
  free (b.buf);
  close (d);
  assert_int_equal (fs_rm_rf (dir, &err), 0);
}

static void
test_json_read_file (void **state)
{
  char dir[] = "/tmp/capsa-json-XXXXXX";
  capsa_err *err = NULL;
  json_error_t je;
  json_t *j = NULL;
  (void) state;
  assert_non_null (mkdtemp (dir));
  int d = open (dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_int_equal (json_read_file_at (d, "missing.json", "the file", &j, &je, &err), 1);
  assert_int_equal (write_file_at (d, "ok.json", "{\"a\": 1}", 8, 0600, &err), 0);
  assert_int_equal (json_read_file_at (d, "ok.json", "the file", &j, &je, &err), 0);
  assert_int_equal (json_integer_value (json_object_get (j, "a")), 1);
  json_decref (j);
  assert_int_equal (write_file_at (d, "bad.json", "{", 1, 0600, &err), 0);
  assert_int_equal (json_read_file_at (d, "bad.json", "the file", &j, &je, &err), 0);
  assert_null (j);
  assert_true (strlen (je.text) > 0);
  assert_int_equal (mkdirat (d, "dir.json", 0700), 0);
  assert_int_equal (json_read_file_at (d, "dir.json", "the file", &j, &je, &err), -1);
  assert_non_null (strstr (err->msg, "read `the file`"));
  capsa_err_free (&err);
  close (d);
  assert_int_equal (fs_rm_rf (dir, &err), 0);
}

/* the core library's SHA-256 (network ids) against FIPS 180-4's examples */
static void
test_sha256 (void **state)
{
  (void) state;
  static const char *const cases[][2] = {
    { "", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" },
    { "abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" },
    { "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1" },
  };
  char out[65], many[201];
  memset (many, 'a', 200);
  many[200] = '\0';
  sha256_hex (many, 200, out); /* several blocks */
  assert_string_equal (out, "c2a908d98f5df987ade41b5fce213067efbcc21ef2240212a41e54b5e7c28ae5");
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    {
      sha256_hex (cases[i][0], strlen (cases[i][0]), out);
      assert_string_equal (out, cases[i][1]);
    }
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_read_chunks), cmocka_unit_test (test_sha256),         cmocka_unit_test (test_strbuf),
    cmocka_unit_test (test_each_entry),  cmocka_unit_test (test_json_read_file),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
