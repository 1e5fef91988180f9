/* Run from a sealed memfd copy of the program's binary: see selfexe.h. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hostenv.h"
#include "selfexe.h"
#include "util.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)
/* the host path of the program a sealed copy was made from, for the copy */
#define EXE_PATH_ENV CAPSA_EXE_ORIGIN_ENV

extern char **environ;

/* In a sealed copy: the path it was made from (NULL: not a copy, or not made by us). */
static char *exe_origin;

bool
capsa_exe_protection_off (void)
{
  const char *off = capsa_host_env ()->exe_no_copy; /* (NULL without the test hooks) */
  return off && strcmp (off, "1") == 0;
}

/* All of src (size bytes from its current offset) into dst, in the kernel. */
static int
copy_fd (int src, int dst, off_t size, const char *what, capsa_err **err)
{
  for (off_t done = 0; done < size;)
    {
      ssize_t n = sendfile (dst, src, NULL, (size_t) (size - done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n <= 0)
        return capsa_fail (err, n < 0 ? errno : EIO, "copy %s", what);
      done += n;
    }
  return 0;
}

static int
readlink_self (char **out, capsa_err **err)
{
  char buf[PATH_MAX];
  ssize_t n = readlink ("/proc/self/exe", buf, sizeof buf - 1);
  if (n <= 0)
    return capsa_fail (err, n < 0 ? errno : EIO, "readlink /proc/self/exe");
  buf[n] = '\0';
  *out = xstrdup (buf);
  return 0;
}

/* Exec a sealed memfd copy of self (opened /proc/self/exe), named after the program. */
static int
exec_sealed_copy (int self, char **argv, capsa_err **err)
{
  struct stat st;
  cleanup_free char *path = NULL;
  if (fstat (self, &st) < 0)
    return capsa_fail (err, errno, "stat /proc/self/exe");
  if (readlink_self (&path, err) < 0)
    return -1;
  const char *name = strrchr (path, '/') ? strrchr (path, '/') + 1 : path;
  cleanup_close int mfd = memfd_create (name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return capsa_fail (err, errno, "memfd_create for a sealed copy of %s", path);
  if (copy_fd (self, mfd, st.st_size, "the program into a sealed memfd", err) < 0)
    return -1;
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return capsa_fail (err, errno, "seal the memfd copy of %s", path);
  setenv (EXE_PATH_ENV, path, 1);
  syscall (SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
  int e = errno;
  unsetenv (EXE_PATH_ENV);
  return capsa_fail (err, e, "exec the sealed copy of %s", path);
}

/* In the copy: take the origin's path (it must not reach the programs this one runs) and stay
 * non-dumpable until the container's program is exec'd.  Only as root of the namespace the
 * copy was exec'd in: a non-dumpable process's /proc files belong to that root, and a runtime
 * run by an ordinary user (rootless capsa-oci) would lose its own child's ns files and id maps
 * (newuidmap checks the owner).  The sealed copy protects the binary there still. */
static int
enter_copy (capsa_err **err)
{
  const char *origin = capsa_host_env ()->exe_origin;
  if (origin && exe_origin == NULL)
    exe_origin = xstrdup (origin);
  unsetenv (EXE_PATH_ENV);
  if (geteuid () == 0 && prctl (PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
    return capsa_fail (err, errno, "prctl PR_SET_DUMPABLE 0");
  return 0;
}

int
capsa_exe_sealed_reexec (char **argv, capsa_err **err)
{
  if (capsa_exe_protection_off ())
    return 0;
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return capsa_fail (err, errno, "open /proc/self/exe");
  int seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return enter_copy (err); /* this is the copy */
  return exec_sealed_copy (self, argv, err);
}

int
capsa_exe_path (char **out, capsa_err **err)
{
  if (exe_origin)
    {
      *out = xstrdup (exe_origin);
      return 0;
    }
  return readlink_self (out, err);
}

int
capsa_exe_private_copy (const char *src, const char *dst, capsa_err **err)
{
  struct stat st;
  cleanup_close int in = open (src, O_RDONLY | O_CLOEXEC);
  if (in < 0 || fstat (in, &st) < 0)
    return capsa_fail (err, errno, "open `%s`", src);
  cleanup_close int out = open (dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0555);
  if (out < 0)
    return capsa_fail (err, errno, "create `%s`", dst);
  /* (0555 whatever the umask: a container root mapped to another host uid must exec it) */
  if (copy_fd (in, out, st.st_size, src, err) < 0
      || (fchmod (out, 0555) < 0 && capsa_fail (err, errno, "chmod `%s`", dst) < 0))
    {
      unlink (dst);
      return -1;
    }
  return 0;
}
