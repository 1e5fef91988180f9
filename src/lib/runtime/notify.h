/* sd_notify for containers (NOTIFY_SOCKET), as runc does it.
 *
 * When the runtime is started with NOTIFY_SOCKET (systemd, or podman --sdnotify=container),
 * create gives the container ROOT/ID/notify/dir mounted at /run/notify and NOTIFY_SOCKET=
 * /run/notify/notify.sock in its environment.  start (or run) binds that datagram socket before
 * letting the process go, waits for READY=1 (or for the container to end), and forwards
 * "READY=1\nMAINPID=<init pid>" to the caller's NOTIFY_SOCKET before it returns.  ROOT/ID/notify
 * is 0700: the runtime's state directories are traversable (0711), and no host user but the
 * runtime's may reach the socket (and say READY=1 for the container); its dir/ is 0755 and the
 * socket 0777 for the container's user, who reaches them through the bind mount only.
 */
#ifndef CAPSA_NOTIFY_H
#define CAPSA_NOTIFY_H

#include <stdbool.h>
#include <sys/types.h>

#include "config.h"
#include "error.h"

#define NOTIFY_DIR_IN_CONTAINER "/run/notify"
#define NOTIFY_SOCKET_IN_CONTAINER "/run/notify/notify.sock"

/* The caller's NOTIFY_SOCKET, or NULL when it has none. */
const char *notify_host_socket (void);

/* create: make ROOT/ID/notify (and dir/ in it), add dir/'s bind mount to the config, and return the env entry the
 * process gets (caller frees). */
int notify_prepare (int state_dirfd, const char *state_dir, struct capsa_config *c, char **env_entry, capsa_err **err);

/* start/run: bind ROOT/ID/notify/dir/notify.sock; returns the socket fd (or -1 without a notify dir:
 * the container was not made with NOTIFY_SOCKET). */
int notify_bind (int state_dirfd, capsa_err **err);

/* Wait on fd for READY=1 from the container (until `alive` says it is gone), then forward it to
 * host_socket with MAINPID=pid.  Consumes fd. */
int notify_relay (int fd, const char *host_socket, pid_t pid, bool (*alive) (pid_t, void *), void *arg,
                  capsa_err **err);

#endif
