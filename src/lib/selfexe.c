/* Run from a sealed memfd copy of the runtime's binary: see selfexe.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "selfexe.h"
#include "util.h"

#define SEALS (F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE)

extern char **environ;

int
capsa_exe_sealed_reexec (char **argv, capsa_err **err)
{
  const char *off = getenv ("CAPSA_UNSAFE_EXE_NO_COPY");
  if (off && strcmp (off, "1") == 0)
    return 0;
  cleanup_close int self = open ("/proc/self/exe", O_RDONLY | O_CLOEXEC);
  if (self < 0)
    return capsa_fail (err, errno, "open /proc/self/exe");
  int seals = fcntl (self, F_GET_SEALS);
  if (seals >= 0 && (seals & SEALS) == SEALS)
    return 0; /* this is the copy */
  struct stat st;
  if (fstat (self, &st) < 0)
    return capsa_fail (err, errno, "stat /proc/self/exe");
  cleanup_close int mfd = memfd_create ("capsa-oci", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (mfd < 0)
    return capsa_fail (err, errno, "memfd_create for a sealed copy of the runtime");
  for (off_t done = 0; done < st.st_size;)
    {
      ssize_t n = sendfile (mfd, self, NULL, (size_t) (st.st_size - done));
      if (n <= 0)
        return capsa_fail (err, n < 0 ? errno : EIO, "copy the runtime into a sealed memfd");
      done += n;
    }
  if (fcntl (mfd, F_ADD_SEALS, SEALS) < 0)
    return capsa_fail (err, errno, "seal the runtime's memfd copy");
  syscall (SYS_execveat, mfd, "", argv, environ, AT_EMPTY_PATH);
  return capsa_fail (err, errno, "exec the runtime's sealed copy");
}
