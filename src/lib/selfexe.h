/* Protecting the runtime's binary from the container (CVE-2019-5736).
 *
 * Between clone and execve the container's init runs the runtime's own executable, and so would
 * a container entrypoint of "#!/proc/self/exe".  A process in the container could then hold
 * /proc/PID/exe and, once the file is no longer busy, reopen it for writing: the host's binary.
 * capsa_exe_sealed_reexec() makes the runtime run from a sealed memfd copy of itself instead
 * (F_SEAL_WRITE|SHRINK|GROW|SEAL), so what the container can reach is a read-only copy that dies
 * with it.  It copies the binary (about 0.7 MB, in the kernel with sendfile) and execs it once;
 * in the copy it sees the seals and returns at once.
 *
 * CAPSA_UNSAFE_EXE_NO_COPY=1 in the environment turns the protection off: for the escape tests
 * that show the attack works without it, never for real use.
 */
#ifndef CAPSA_SELFEXE_H
#define CAPSA_SELFEXE_H

#include "capsa.h"
#include "error.h"

/* Returns 0 when already running from a sealed copy (or turned off); otherwise execs and only
 * returns -1 on failure. */
CAPSA_PUBLIC int capsa_exe_sealed_reexec (char **argv, capsa_err **err);

#endif
