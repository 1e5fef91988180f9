/* procfs: writes to /proc go to procfs, never to what is mounted over it or linked from it
 * (CVE-2025-52881).  The checks run in a child with a mount namespace of its own, where a decoy
 * directory is bind-mounted over /proc/sys/kernel, as a malicious rootfs could; needs root. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "procfs.h"
#include "util.h"

/* What procfd/path reads (first line), or "" when it cannot be opened. */
static void
read_at (int procfd, const char *path, char *out, size_t len)
{
  cleanup_err capsa_err *err = NULL;
  cleanup_close int fd = procfs_open (procfd, path, O_RDONLY, &err);
  ssize_t n = fd >= 0 ? read (fd, out, len - 1) : 0;
  out[n > 0 ? n : 0] = '\0';
  out[strcspn (out, "\n")] = '\0';
}

/* In the child: 0 when every check holds, else the number of the one that failed. */
static int
checks (const char *decoy)
{
  char buf[256];
  cleanup_err capsa_err *err = NULL;

  if (mount (NULL, "/", NULL, MS_PRIVATE | MS_REC, NULL) < 0
      || mount (decoy, "/proc/sys/kernel", NULL, MS_BIND, NULL) < 0)
    return 1;
  /* the decoy is what a plain open sees */
  int plain = open ("/proc/sys/kernel/ostype", O_RDONLY | O_CLOEXEC);
  if (plain < 0 || read (plain, buf, sizeof buf) != 6 || memcmp (buf, "decoy\n", 6) != 0)
    return 2;
  close (plain);
  /* a fresh (or cloned) procfs: the real file */
  procfs_force_fallback = 0;
  cleanup_close int fresh = procfs_open_root (&err);
  if (fresh < 0)
    return 3;
  read_at (fresh, "sys/kernel/ostype", buf, sizeof buf);
  if (strcmp (buf, "Linux") != 0)
    return 4;
  read_at (fresh, "self/status", buf, sizeof buf);
  if (strncmp (buf, "Name:", 5) != 0)
    return 5;
  /* /proc itself: the mount on the way is refused, not crossed */
  procfs_force_fallback = 1;
  cleanup_close int proc = procfs_open_root (&err);
  if (proc < 0)
    return 6;
  read_at (proc, "sys/kernel/ostype", buf, sizeof buf);
  if (buf[0] != '\0')
    return 7;
  read_at (proc, "self/status", buf, sizeof buf);
  if (strncmp (buf, "Name:", 5) != 0)
    return 8;
  /* the decoy is no procfs root */
  cleanup_close int d = open (decoy, O_PATH | O_DIRECTORY | O_CLOEXEC);
  cleanup_close int f = procfs_open (d, "ostype", O_RDONLY, &err);
  if (f >= 0)
    return 9;
  return 0;
}

static void
test_overmount_is_not_followed (void **state)
{
  char dir[] = "/tmp/capsa-procfs-XXXXXX";
  (void) state;
  if (geteuid () != 0)
    skip ();
  assert_non_null (mkdtemp (dir));
  cleanup_free char *file = xasprintf ("%s/ostype", dir);
  assert_int_equal (write_file_at (AT_FDCWD, file, "decoy\n", 6, 0644, NULL), 0);
  pid_t pid = fork ();
  assert_true (pid >= 0);
  if (pid == 0)
    _exit (unshare (CLONE_NEWNS) < 0 ? 100 : checks (dir));
  int status = 0;
  assert_int_equal (waitpid (pid, &status, 0), pid);
  unlink (file);
  rmdir (dir);
  assert_true (WIFEXITED (status));
  if (WEXITSTATUS (status) == 100)
    skip ();
  assert_int_equal (WEXITSTATUS (status), 0);
}

int
main (void)
{
  const struct CMUnitTest tests[] = {
    cmocka_unit_test (test_overmount_is_not_followed),
  };
  return cmocka_run_group_tests (tests, NULL, NULL);
}
