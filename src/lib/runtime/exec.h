/* Running another process in an existing container (capsa-oci exec).
 *
 * The process is the runtime-spec process from --process, or the container's own process with
 * args and the flags laid on top.  It enters every namespace the container's init is in (user
 * first, mount last, then a fork so a pid or time namespace really applies), the init's root, the
 * container's cgroup (born in it on pure v2), and gets its capabilities, seccomp filter (the
 * container's linux.seccomp), rlimits, no_new_privs and user, as the init did.  In the foreground
 * the runtime proxies a pty when asked, forwards signals and returns the process's exit status;
 * with detach it returns once the process runs (pid file, console socket).
 */
#ifndef CAPSA_EXEC_H
#define CAPSA_EXEC_H

#include <stdbool.h>
#include <sys/types.h>

#include "capsa.h"
#include "error.h"

struct capsa_exec_opts
{
  const char *root, *id;
  const char *process_file;   /* --process FILE ("-": stdin); NULL: args and flags */
  char **args;                /* NULL-terminated; required without process_file */
  char **env;                 /* extra KEY=VALUE (may be NULL) */
  const char *cwd;            /* may be NULL */
  const char *user;           /* "uid[:gid]" (may be NULL) */
  char **additional_gids;     /* decimal strings (may be NULL) */
  char **caps;                /* capabilities to add (may be NULL) */
  bool tty, detach, no_new_privs;
  const char *pid_file, *console_socket;
  int preserve_fds;
};

/* Returns 0 with *exit_status (the process's, 128+signal; 0 when detached), or -1. */
CAPSA_PUBLIC int capsa_container_exec (const struct capsa_exec_opts *o, int *exit_status, capsa_err **err);

#endif
