/* capsa-monitor: the attach socket (protocol in attach_proto.h). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "attach_proto.h"
#include "mon.h"

int
mon_attach_listen (struct mon_attach *a, int dirfd)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, ATTACH_SOCKET);
  a->listen_fd = -1;
  a->n = 0;
  int fd = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    return -1;
  unlinkat (dirfd, ATTACH_SOCKET, 0); /* a previous monitor's */
  if (bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, MON_MAX_CLIENTS) < 0)
    {
      int saved = errno;
      close (fd);
      errno = saved;
      return -1;
    }
  /* the CLI runs as the same user: nobody else connects */
  fchmodat (dirfd, ATTACH_SOCKET, 0600, 0);
  a->listen_fd = fd;
  return 0;
}

void
mon_attach_accept (struct mon_attach *a)
{
  int fd;
  while ((fd = accept4 (a->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0)
    {
      if (a->n == MON_MAX_CLIENTS)
        {
          close (fd);
          continue;
        }
      /* room for bursts: the container's output is never held back for a client */
      int sz = 1 << 20;
      setsockopt (fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof sz);
      a->clients[a->n++] = fd;
    }
}

void
mon_attach_send (struct mon_attach *a, char kind, const void *buf, size_t len)
{
  const char *p = buf;
  if (a->n == 0)
    return;
  do
    {
      char pkt[ATTACH_MSG_MAX];
      size_t n = len < sizeof pkt - 1 ? len : sizeof pkt - 1;
      pkt[0] = kind;
      memcpy (pkt + 1, p, n);
      for (size_t i = 0; i < a->n; i++)
        send (a->clients[i], pkt, n + 1, MSG_DONTWAIT | MSG_NOSIGNAL);
      p += n;
      len -= n;
    }
  while (len > 0);
}

void
mon_attach_finish (struct mon_attach *a, int code)
{
  char msg[16];
  int n = snprintf (msg, sizeof msg, "%d", code);
  mon_attach_send (a, ATTACH_EXIT, msg, (size_t) n);
  for (size_t i = 0; i < a->n; i++)
    close (a->clients[i]);
  a->n = 0;
}

void
mon_attach_close (struct mon_attach *a, int dirfd)
{
  if (a->listen_fd < 0)
    return;
  unlinkat (dirfd, ATTACH_SOCKET, 0);
  close (a->listen_fd);
  a->listen_fd = -1;
}
