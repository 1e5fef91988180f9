/* Protecting capsa's binaries from the container (CVE-2019-5736).
 *
 * Between clone and execve a container's init (or a process `exec` puts into a container) runs
 * the program that made it: capsa-oci, or capsa itself, which runs containers in-process.  So
 * does a container entrypoint of "#!/proc/self/exe", which makes the kernel run that program
 * again, inside the container.  A process in the container can then hold /proc/PID/exe and,
 * once the file is no longer busy, reopen it for writing: the host's binary.
 *
 * capsa_exe_sealed_reexec() makes the program run from a sealed memfd copy of itself instead
 * (F_SEAL_WRITE|SHRINK|GROW|SEAL, named after the program), so what a container can reach is a
 * read-only copy that dies with it.  It copies the binary (in the kernel, with sendfile) and
 * execs it once; in the copy it sees the seals and only makes the process non-dumpable
 * (PR_SET_DUMPABLE 0): until it execs the container's program (the kernel resets the flag at
 * execve), a process of the container can neither ptrace it nor open its /proc files (fds,
 * memory, exe; CVE-2016-9962).  Call it only in commands that put a process into a container:
 * the copy costs an exec.
 *
 * The copy's /proc/self/exe names the memfd, not a path: capsa_exe_path() gives the path of the
 * program on the host (handed to the copy in the environment), for finding what is installed
 * beside it.
 *
 * CAPSA_UNSAFE_EXE_NO_COPY=1 in the environment turns the protection off (no copy, dumpable
 * unchanged): for the escape tests that show the attack works without it, never for real use.
 */
#ifndef CAPSA_SELFEXE_H
#define CAPSA_SELFEXE_H

#include <stdbool.h>
#include <sys/types.h>

#include "capsa.h"
#include "error.h"

/* Whether CAPSA_UNSAFE_EXE_NO_COPY=1 turned the protection off (then --init binds the
 * installed capsa-init too). */
CAPSA_PUBLIC bool capsa_exe_protection_off (void);

/* Returns 0 when running from a sealed copy (now non-dumpable when root) or turned off;
 * otherwise execs the copy with argv (NULL-terminated, the program's whole command line) and
 * only returns -1 on failure. */
CAPSA_PUBLIC int capsa_exe_sealed_reexec (char **argv, capsa_err **err);

/* The host path of the running program: its own /proc/self/exe, or for a sealed copy the path
 * it was made from.  *out owned. */
CAPSA_PUBLIC int capsa_exe_path (char **out, capsa_err **err);

/* Copy the file at src to a new file dst (created 0555; fails when it exists): a program that
 * gets bind-mounted into a container, so the container never reaches the installed one. */
CAPSA_PUBLIC int capsa_exe_private_copy (const char *src, const char *dst, capsa_err **err);

#endif
