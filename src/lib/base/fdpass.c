/* File descriptors over AF_UNIX sockets: see fdpass.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "fdpass.h"

union fdpass_ctl
{
  struct cmsghdr h;
  char b[CMSG_SPACE (FDPASS_MAX * sizeof (int))];
};

int
fdpass_send (int sock, const void *buf, size_t len, const int *fds, size_t n)
{
  union fdpass_ctl ctl;
  struct iovec iov = { (void *) buf, len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1 };
  if (n > FDPASS_MAX)
    {
      errno = E2BIG;
      return -1;
    }
  if (n)
    {
      memset (&ctl, 0, sizeof ctl);
      m.msg_control = ctl.b;
      m.msg_controllen = CMSG_SPACE (n * sizeof (int));
      struct cmsghdr *c = CMSG_FIRSTHDR (&m);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (n * sizeof (int));
      memcpy (CMSG_DATA (c), fds, n * sizeof (int));
    }
  ssize_t r;
  while ((r = sendmsg (sock, &m, MSG_NOSIGNAL)) < 0 && errno == EINTR)
    ;
  return r < 0 ? -1 : 0;
}

ssize_t
fdpass_recv (int sock, void *buf, size_t len, int flags, int *fds, size_t *n)
{
  union fdpass_ctl ctl;
  struct iovec iov = { buf, len };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
  ssize_t r;
  *n = 0;
  while ((r = recvmsg (sock, &m, flags | MSG_CMSG_CLOEXEC)) < 0 && errno == EINTR)
    ;
  if (r < 0)
    return -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&m); c; c = CMSG_NXTHDR (&m, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        size_t k = (c->cmsg_len - CMSG_LEN (0)) / sizeof (int);
        k = k > FDPASS_MAX - *n ? FDPASS_MAX - *n : k;
        memcpy (fds + *n, CMSG_DATA (c), k * sizeof (int));
        *n += k;
      }
  return r;
}
