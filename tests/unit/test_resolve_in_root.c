/* rootpath: resolution inside a root must never leave it, through openat2 and through the
 * fallback walk alike (every test runs twice: rootpath_force_fallback off and on). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "resolve_in_root.h"
#include "util.h"

struct fixture
{
  char dir[PATH_MAX]; /* holds root/ and outside/ */
  int rootfd;
  struct stat outside;
};

static void
mk (const char *base, const char *rel)
{
  char p[2 * PATH_MAX];
  snprintf (p, sizeof p, "%s/%s", base, rel);
  assert_int_equal (mkdir (p, 0755), 0);
}

static void
ln (const char *base, const char *target, const char *rel)
{
  char p[2 * PATH_MAX];
  snprintf (p, sizeof p, "%s/%s", base, rel);
  assert_int_equal (symlink (target, p), 0);
}

static int
setup_tree (void **state, bool fallback)
{
  struct fixture *f = calloc (1, sizeof *f);
  char p[PATH_MAX + 16];
  strcpy (f->dir, "/tmp/capsa-unit-rootpath.XXXXXX");
  assert_non_null (mkdtemp (f->dir));
  mk (f->dir, "root");
  mk (f->dir, "outside");
  mk (f->dir, "root/etc");
  mk (f->dir, "root/dev");
  snprintf (p, sizeof p, "%s/root", f->dir);
  ln (p, "/etc", "abs");                  /* absolute link: must mean root/etc */
  ln (p, "../../outside", "rel_escape");  /* relative escape: clamped at root */
  ln (p, "../../../../../../..", "dots"); /* many dots: root itself */
  ln (p, f->dir, "host_abs");             /* absolute host path: must stay inside */
  ln (p, "loop2", "loop1");
  ln (p, "loop1", "loop2");
  snprintf (p, sizeof p, "%s/outside", f->dir);
  assert_int_equal (stat (p, &f->outside), 0);
  snprintf (p, sizeof p, "%s/root", f->dir);
  f->rootfd = open (p, O_PATH | O_DIRECTORY | O_CLOEXEC);
  assert_true (f->rootfd >= 0);
  rootpath_force_fallback = fallback;
  *state = f;
  return 0;
}

static int
setup_openat2 (void **state)
{
  return setup_tree (state, false);
}
static int
setup_fallback (void **state)
{
  return setup_tree (state, true);
}

static int
teardown (void **state)
{
  struct fixture *f = *state;
  char cmd[PATH_MAX + 16];
  close (f->rootfd);
  snprintf (cmd, sizeof cmd, "rm -rf '%s'", f->dir);
  assert_int_equal (system (cmd), 0);
  free (f);
  rootpath_force_fallback = false;
  return 0;
}

/* The inode the path resolves to, inside the root. */
static ino_t
ino_of (struct fixture *f, const char *path)
{
  capsa_err *err = NULL;
  struct stat st;
  int fd = rootpath_open (f->rootfd, path, O_PATH, &err);
  if (fd < 0)
    {
      capsa_err_free (&err);
      return 0;
    }
  assert_int_equal (fstat (fd, &st), 0);
  close (fd);
  return st.st_ino;
}

static void
test_plain_and_absolute (void **state)
{
  struct fixture *f = *state;
  assert_int_equal (ino_of (f, "/etc"), ino_of (f, "etc"));
  assert_int_equal (ino_of (f, "/abs"), ino_of (f, "/etc"));
  assert_int_equal (ino_of (f, "/"), ino_of (f, "."));
}

static void
test_dotdot_clamped (void **state)
{
  struct fixture *f = *state;
  assert_int_equal (ino_of (f, "/../../.."), ino_of (f, "/"));
  assert_int_equal (ino_of (f, "/etc/../../etc"), ino_of (f, "/etc"));
  assert_int_equal (ino_of (f, "/dots"), ino_of (f, "/"));
}

static void
test_symlink_escapes_stay_inside (void **state)
{
  struct fixture *f = *state;
  capsa_err *err = NULL;
  /* ../../outside from root/ would be the host's outside/: inside the root it does not exist */
  assert_int_equal (rootpath_open (f->rootfd, "/rel_escape", O_PATH, &err), -1);
  assert_int_equal (err->errnum, ENOENT);
  capsa_err_free (&err);
  assert_int_equal (rootpath_open (f->rootfd, "/host_abs/outside", O_PATH, &err), -1);
  capsa_err_free (&err);
}

static void
test_symlink_loop (void **state)
{
  struct fixture *f = *state;
  capsa_err *err = NULL;
  assert_int_equal (rootpath_open (f->rootfd, "/loop1", O_PATH, &err), -1);
  assert_int_equal (err->errnum, ELOOP);
  assert_non_null (strstr (err->msg, "/loop1"));
  capsa_err_free (&err);
}

static void
test_mkpath_through_escaping_link (void **state)
{
  struct fixture *f = *state;
  capsa_err *err = NULL;
  char p[PATH_MAX + 32];
  struct stat st;

  /* creating /rel_escape/x must create it under root/outside, never the host's outside/x */
  int fd = rootpath_mkpath (f->rootfd, "/rel_escape/x", false, &err);
  assert_true (fd >= 0);
  close (fd);
  snprintf (p, sizeof p, "%s/outside/x", f->dir);
  assert_int_equal (stat (p, &st), -1);
  snprintf (p, sizeof p, "%s/root/outside/x", f->dir);
  assert_int_equal (stat (p, &st), 0);
  assert_true (S_ISDIR (st.st_mode));
}

static void
test_mkpath_file (void **state)
{
  struct fixture *f = *state;
  capsa_err *err = NULL;
  char p[PATH_MAX + 32];
  struct stat st;
  int fd = rootpath_mkpath (f->rootfd, "/abs/new/dir/file", true, &err);
  assert_true (fd >= 0);
  close (fd);
  snprintf (p, sizeof p, "%s/root/etc/new/dir/file", f->dir);
  assert_int_equal (stat (p, &st), 0);
  assert_true (S_ISREG (st.st_mode));
}

#define BOTH(t)                                                                                                        \
  cmocka_unit_test_setup_teardown (t, setup_openat2, teardown),                                                        \
      cmocka_unit_test_setup_teardown (t, setup_fallback, teardown)

int
main (void)
{
  const struct CMUnitTest tests[] = {
    BOTH (test_plain_and_absolute),           BOTH (test_dotdot_clamped),
    BOTH (test_symlink_escapes_stay_inside),  BOTH (test_symlink_loop),
    BOTH (test_mkpath_through_escaping_link), BOTH (test_mkpath_file),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
