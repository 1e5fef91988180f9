/* The setup channel between the runtime (parent) and the container's init (child).
 *
 * A SOCK_SEQPACKET socketpair, both ends O_CLOEXEC: every message arrives whole, and when the
 * init's execve() succeeds its end closes by itself, so the parent reads EOF ("exec done") or a
 * SYNC_ERROR message ("exec failed: why").  The child never prints: it reports every setup
 * failure as {errnum, message} and exits (git's run-command pattern).
 */
#ifndef CAPSA_SYNC_H
#define CAPSA_SYNC_H

#include <sys/types.h>

#include "error.h"

enum sync_type
{
  SYNC_USERNS = 1,  /* child -> parent: I unshared a user namespace, write my id maps (pid) */
  SYNC_USERNS_DONE, /* parent -> child: maps written */
  SYNC_PID,         /* intermediate -> parent: the container init is `pid` */
  SYNC_PTY,         /* child -> parent: pty master attached (SCM_RIGHTS) */
  SYNC_READY,       /* child -> parent: setup done, waiting for start */
  SYNC_ERROR,       /* child -> parent: setup failed (errnum, msg) */
  SYNC_SECCOMP,     /* child -> parent: the seccomp listener fd (SCM_RIGHTS) */
  SYNC_HOOKS,       /* child -> parent: mounts done, run prestart/createRuntime hooks (GO back) */
  SYNC_GO,          /* parent -> child: go on (first: id maps written, cgroup joined;
                       after READY: resources applied, exec when allowed) */
  SYNC_WARNING,     /* child -> parent: a warning for the runtime's log (msg); nothing to answer */
};

struct sync_msg
{
  int type;
  int errnum;
  int pid;
  char msg[2048];
};

/* Send a message (msg may be NULL); fd >= 0 is attached with SCM_RIGHTS.  Returns 0 / -1 errno. */
int sync_send (int sock, int type, int pid, int fd);
/* Send SYNC_ERROR carrying err. */
void sync_send_error (int sock, const capsa_err *err);
/* Send SYNC_WARNING carrying msg (cut to fit). */
void sync_send_warning (int sock, const char *msg);
/* Receive one message; *fd (optional) gets an attached descriptor or -1.
 * Returns 1 on a message, 0 on EOF, -1 on error (errno). */
int sync_recv (int sock, struct sync_msg *m, int *fd);

/* Send one fd over a connected unix socket with payload `name` (console-socket protocol). */
int send_fd (int sock, int fd, const char *name);

#endif
