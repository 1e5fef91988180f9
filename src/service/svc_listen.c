/* The service's listening socket. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/util.h"
#include "svc_listen.h"

#define SVC_BACKLOG 512

/* Whether something listens on the unix socket at path. */
static bool
unix_live (const struct sockaddr_un *sa)
{
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  return fd >= 0 && connect (fd, (const struct sockaddr *) sa, sizeof *sa) == 0;
}

static int
listen_unix (const char *path, struct svc_listen *l, capsa_err **err)
{
  struct sockaddr_un sa = { .sun_family = AF_UNIX };
  if (path[0] != '/' || strlen (path) >= sizeof sa.sun_path)
    return capsa_fail_as (err, EINVAL, "unix://%s: the socket needs an absolute path under %zu bytes", path,
                          sizeof sa.sun_path);
  strcpy (sa.sun_path, path);
  cleanup_free char *dir = capsa_xstrdup (path);
  *strrchr (dir, '/') = '\0';
  if (*dir && mkdir (dir, 0755) < 0 && errno != EEXIST)
    return capsa_fail (err, errno, "unix://%s: make its directory", path);
  struct stat st;
  if (lstat (path, &st) == 0)
    {
      if (!S_ISSOCK (st.st_mode))
        return capsa_fail_as (err, EEXIST, "unix://%s: the path exists and is no socket", path);
      if (unix_live (&sa))
        return capsa_fail_as (err, EADDRINUSE, "unix://%s: another service listens there", path);
      unlink (path); /* a stale socket of a service that ended */
    }
  cleanup_close int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    return capsa_fail (err, errno, "unix://%s: socket", path);
  mode_t old = umask (0117); /* 0660 from the start: no moment when others may connect */
  int r = bind (fd, (struct sockaddr *) &sa, sizeof sa);
  umask (old);
  if (r < 0)
    return capsa_fail (err, errno, "unix://%s: bind", path);
  l->unix_path = capsa_xstrdup (path);
  if (chmod (path, 0660) < 0 || listen (fd, SVC_BACKLOG) < 0)
    return capsa_fail (err, errno, "unix://%s: listen", path);
  l->fd = take_fd (&fd);
  return 0;
}

static bool
is_loopback (const struct sockaddr *sa)
{
  if (sa->sa_family == AF_INET)
    return (ntohl (((const struct sockaddr_in *) sa)->sin_addr.s_addr) >> 24) == 127;
  return sa->sa_family == AF_INET6 && IN6_IS_ADDR_LOOPBACK (&((const struct sockaddr_in6 *) sa)->sin6_addr);
}

static int
listen_tcp (const char *hostport, bool tcp_any, struct svc_listen *l, capsa_err **err)
{
  cleanup_free char *host = capsa_xstrdup (hostport);
  char *colon = strrchr (host, ':');
  if (colon == NULL || colon[1] == '\0')
    return capsa_fail_as (err, EINVAL, "tcp://%s: give HOST:PORT (tcp://127.0.0.1:2375)", hostport);
  *colon = '\0';
  const char *h = host;
  if (*h == '[' && h[strlen (h) - 1] == ']')
    host[strlen (host) - 1] = '\0', h++;
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
  int gr = getaddrinfo (*h ? h : NULL, colon + 1, &hints, &ai);
  if (gr != 0)
    return capsa_fail_as (err, EINVAL, "tcp://%s: %s", hostport, gai_strerror (gr));
  if (!is_loopback (ai->ai_addr) && !tcp_any)
    {
      freeaddrinfo (ai);
      return capsa_fail_as (err, EPERM,
                            "tcp://%s is not a loopback address: the API is root on this host, so anyone who reaches "
                            "it owns the host; give --tcp-any to listen there anyway",
                            hostport);
    }
  /* (as dockerd warns for tcp without TLS: on loopback too, every local user can connect) */
  l->warning = is_loopback (ai->ai_addr)
                   ? "the API listens on tcp without TLS: every user of this host can connect, and is root here"
                   : "the API listens beyond loopback without TLS: whoever reaches it is root on this host";
  int fd = socket (ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
  int r = fd < 0 ? -1 : setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (r == 0)
    r = bind (fd, ai->ai_addr, ai->ai_addrlen);
  if (r == 0)
    r = listen (fd, SVC_BACKLOG);
  int e = errno;
  freeaddrinfo (ai);
  if (r < 0)
    {
      if (fd >= 0)
        close (fd);
      return capsa_fail (err, e, "tcp://%s: listen", hostport);
    }
  l->fd = fd;
  return 0;
}

int
svc_listen (const struct capsa_engine *e, const char *uri, bool tcp_any, struct svc_listen *l, capsa_err **err)
{
  cleanup_free char *dflt = NULL;
  if (uri == NULL)
    {
      dflt = e->rootless ? capsa_xasprintf ("unix://%s/capsa.sock", e->rundir)
                         : capsa_xstrdup ("unix:///run/capsa/capsa.sock");
      uri = dflt;
    }
  l->fd = -1;
  l->uri = capsa_xstrdup (uri);
  if (strncmp (uri, "unix://", 7) == 0)
    return listen_unix (uri + 7, l, err);
  if (strncmp (uri, "tcp://", 6) == 0)
    return listen_tcp (uri + 6, tcp_any, l, err);
  return capsa_fail_as (err, EINVAL, "`%s`: give unix:///PATH or tcp://HOST:PORT", uri);
}

void
svc_listen_close (struct svc_listen *l)
{
  if (l->fd >= 0)
    close (l->fd);
  l->fd = -1;
  if (l->unix_path)
    unlink (l->unix_path);
  free (l->unix_path);
  free (l->uri);
  l->unix_path = l->uri = NULL;
}
