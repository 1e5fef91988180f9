/* User-mode networking with slirp4netns: a network namespace gets a tap device (tap0, 10.0.2.100
 * by default) whose traffic a slirp4netns process on the host side turns into ordinary sockets of
 * that process.  Nothing needs root: no bridge, no veth, no nftables; this is the networking of
 * rootless containers (and of root ones that ask for it).
 *
 * Lifetime: slirp4netns gets the read end of a pipe as its --exit-fd and exits when that pipe
 * closes.  The write end (capsa_slirp.exit_fd) belongs to whoever lives as long as the container
 * (the monitor, or the foreground `capsa run`): when that process exits or is killed, slirp4netns
 * follows by itself.  capsa_slirp_stop does it at once; capsa_slirp_kill and capsa_slirp_gc are
 * for other processes (a `capsa rm` after a crash, `capsa system prune`).
 *
 * Files in state_dir (the caller's, one per namespace): slirp4netns.sock (the API socket, bound
 * by slirp4netns relative to state_dir so the path length never matters), slirp4netns.log (its
 * output), slirp4netns.pid ("PID START": its pid and /proc start time).  The process carries
 * CAPSA_SLIRP_DIR=state_dir in its environment, which is how capsa_slirp_gc recognises it.
 *
 * All functions follow error.h. */
#ifndef CAPSA_SLIRP_H
#define CAPSA_SLIRP_H

#include <netinet/in.h>
#include <stdbool.h>
#include <sys/types.h>

#include "capsa.h"
#include "error.h"
#include "capsa/net.h"

#define CAPSA_SLIRP_DEFAULT_CIDR "10.0.2.0/24"
#define CAPSA_SLIRP_DEFAULT_MTU 65520
#define CAPSA_SLIRP_TAP "tap0"

struct capsa_slirp_opts
{
  const char *netns_path;   /* the namespace to serve (an nsfs file, /proc/PID/ns/net) */
  const char *state_dir;    /* an existing directory for the socket, log and pid file */
  const char *userns_path;  /* NULL: found from the namespace, joined only when needed (see below) */
  const char *binary;       /* NULL: $CAPSA_SLIRP4NETNS, else slirp4netns from $PATH */
  const char *cidr;         /* NULL: 10.0.2.0/24 (prefix 1 to 25) */
  int mtu;                  /* 0: 65520 */
  bool allow_host_loopback; /* the container may reach the host's 127.0.0.1 at the .2 address */
  bool enable_ipv6;
  int timeout_ms; /* how long to wait for "ready"; 0: 10 s */
};

/* A running slirp4netns, owned by the process that started it.  exit_fd is close-on-exec, so no
 * other program keeps it alive by accident. */
struct capsa_slirp
{
  pid_t pid;
  int pidfd;   /* pidfd of pid: signals and waits never hit a reused pid */
  int exit_fd; /* closing it makes slirp4netns exit */
};

/* The addresses of a slirp network: the container's (.100), the gateway/host's (.2) and the
 * DNS forwarder's (.3).  Checks cidr (NULL: the default). */
struct capsa_slirp_addrs
{
  char guest[INET_ADDRSTRLEN];
  char gateway[INET_ADDRSTRLEN];
  char dns[INET_ADDRSTRLEN];
  int prefixlen;
};
CAPSA_PUBLIC int capsa_slirp_addresses (const char *cidr, struct capsa_slirp_addrs *out, capsa_err **err);

/* Start slirp4netns for o->netns_path and wait until it has configured tap0 (address, route,
 * MTU, up) and listens on its API socket.  Sandbox and seccomp are used when the binary has them.
 * When the namespace belongs to a user namespace other than ours and we are not root, slirp4netns
 * joins that user namespace first (--userns-path): the rootless case.  On failure nothing is left
 * running and the message carries slirp4netns's own last line. */
/* Could this process start slirp4netns: is it installed, and is /dev/net/tun open to it? */
CAPSA_PUBLIC bool capsa_slirp_usable (void);

CAPSA_PUBLIC int capsa_slirp_start (const struct capsa_slirp_opts *o, struct capsa_slirp *out, capsa_err **err);

/* Forward a host port to the container (the API's add_hostfwd): [host_ip:]host_port on the host,
 * ctr_port at the guest address; tcp or udp.  state_dir: the one given to capsa_slirp_start. */
CAPSA_PUBLIC int capsa_slirp_add_hostfwd (const char *state_dir, const struct capsa_port *p, capsa_err **err);

/* Stop the slirp4netns this process started (close the exit fd, wait up to a second, then
 * SIGKILL) and remove its files.  Idempotent; *s is reset. */
CAPSA_PUBLIC void capsa_slirp_stop (struct capsa_slirp *s, const char *state_dir);

/* From another process: kill the slirp4netns of state_dir when its pid file names a live one (pid,
 * start time and name checked), and remove the files.  Returns 1 when one was killed, else 0. */
CAPSA_PUBLIC int capsa_slirp_kill (const char *state_dir);

/* Kill every slirp4netns started by capsa (any state_dir) and run by our own user for which
 * wanted() says false; *killed (may be NULL) gets how many. */
CAPSA_PUBLIC int capsa_slirp_gc (bool (*wanted) (const char *state_dir, void *data), void *data, int *killed,
                                 capsa_err **err);

#endif
