/* The service's listening socket (svc_listen.c): unix:///PATH or tcp://HOST:PORT. */
#ifndef CAPSA_SVC_LISTEN_H
#define CAPSA_SVC_LISTEN_H

#include <stdbool.h>

#include "capsa/engine.h"
#include "capsa/error.h"

struct svc_listen
{
  int fd;              /* listening, O_CLOEXEC */
  char *uri;           /* what it listens on, owned */
  char *unix_path;     /* a unix socket's path (removed by svc_listen_close), owned */
  const char *warning; /* tcp: whoever connects is root here (beyond loopback: --tcp-any) */
};

/* Listen on uri (NULL: the default unix socket, /run/capsa/capsa.sock as root, RUNDIR/capsa.sock
 * rootless).  A unix socket is made 0660; a stale one (nobody listens) is replaced, a live one
 * refused (EADDRINUSE).  tcp:// needs a loopback address unless tcp_any. */
int svc_listen (const struct capsa_engine *e, const char *uri, bool tcp_any, struct svc_listen *l, capsa_err **err);
void svc_listen_close (struct svc_listen *l);

#endif
