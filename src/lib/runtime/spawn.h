/* Starting a container's init: clone into the planned namespaces, let the child build the
 * container (rootfs, pty, process attributes) while the parent serves it over the setup channel
 * (id maps, pty master, pid of a forked init, errors), until the child says READY.
 *
 * After READY the child waits on the exec fifo when one is given (create/start), runs the
 * startContainer hooks, then execs.  Hooks around pivot_root: the child asks the runtime to run
 * prestart/createRuntime (SYNC_HOOKS) and runs createContainer itself (hooks.h).
 * Between clone and exec the child is a full copy of the single-threaded runtime, so it may use
 * the library normally; it never returns, it reports errors on the channel and _exits.
 */
#ifndef CAPSA_SPAWN_H
#define CAPSA_SPAWN_H

#include <stdbool.h>
#include <sys/types.h>

#include "capabilities.h"
#include "cgroup.h"
#include "config.h"
#include "seccomp_filter.h"
#include "error.h"

struct spawn_opts
{
  const struct capsa_config *config;
  const char *bundle; /* absolute; the child's cwd while mounting (relative bind sources) */
  const char *rootfs; /* absolute */
  bool no_pivot;
  bool no_new_keyring;                /* keep the caller's session keyring (default: join a new one) */
  int preserve_fds;                   /* fds 3 .. 3+preserve_fds-1 are passed to the process */
  char **extra_env;                   /* NULL-terminated, appended to process.env; may be NULL */
  int exec_fifo;                      /* fd the child waits on before exec (-1: exec right away) */
  const struct capsa_cgroup *cgroup;  /* joined by the child before it goes on; NULL: none */
  const struct caps_plan *caps;       /* never NULL */
  const struct seccomp_plan *seccomp; /* never NULL (ctx NULL: no filter) */
  const char *id;                     /* for the seccomp listener's and the hooks' state */
  /* exec: join the namespaces named in config->ns (the init's), no rootfs work; the process
   * gets the init's root (exec_root_fd: O_PATH of /proc/INIT/root, needed when the container
   * was made with chroot) */
  bool exec_mode;
  int exec_root_fd;
  /* foreground with a pty: give it the caller's window size (stdin) before the process runs */
  bool copy_winsize;
  /* Called in the runtime once the child's setup is done (its mounts and device nodes exist),
   * before it may exec; may be NULL.  Device cgroup rules go here: set earlier, they would
   * forbid the child's own mknod. */
  int (*after_setup) (void *arg, pid_t init, capsa_err **err);
  void *after_setup_arg;
};

struct spawn_result
{
  pid_t pid;      /* the container's init, on the host */
  int sync_fd;    /* parent end of the setup channel (EOF once the init has exec'd) */
  int pty_master; /* -1 without process.terminal */
};

int spawn_container (const struct spawn_opts *o, struct spawn_result *r, capsa_err **err);

/* After READY, in the foreground: wait for the init's exec.  0 when it exec'd, -1 with the
 * child's own error otherwise. */
int spawn_wait_exec (int sync_fd, capsa_err **err);

#endif
