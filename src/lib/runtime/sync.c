/* The setup channel: see sync.h. */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <stddef.h>
#include <unistd.h>

#include "sync.h"

static int
send_with_fd (int sock, const void *buf, size_t len, int fd)
{
  struct iovec iov = { .iov_base = (void *) buf, .iov_len = len };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

  if (fd >= 0)
    {
      memset (&u, 0, sizeof u);
      mh.msg_control = u.buf;
      mh.msg_controllen = sizeof u.buf;
      struct cmsghdr *c = CMSG_FIRSTHDR (&mh);
      c->cmsg_level = SOL_SOCKET;
      c->cmsg_type = SCM_RIGHTS;
      c->cmsg_len = CMSG_LEN (sizeof (int));
      memcpy (CMSG_DATA (c), &fd, sizeof (int));
    }
  for (;;)
    {
      ssize_t n = sendmsg (sock, &mh, MSG_NOSIGNAL);
      if (n >= 0)
        return 0;
      if (errno != EINTR)
        return -1;
    }
}

int
sync_send (int sock, int type, int pid, int fd)
{
  struct sync_msg m = { .type = type, .pid = pid };
  /* send only the header part plus an empty message: messages are small except errors */
  return send_with_fd (sock, &m, offsetof (struct sync_msg, msg) + 1, fd);
}

static void
send_text (int sock, int type, int errnum, const char *text)
{
  struct sync_msg m = { .type = type, .errnum = errnum };
  size_t len;

  strncpy (m.msg, text, sizeof m.msg - 1);
  len = offsetof (struct sync_msg, msg) + strlen (m.msg) + 1;
  (void) send_with_fd (sock, &m, len, -1);
}

void
sync_send_error (int sock, const capsa_err *err)
{
  send_text (sock, SYNC_ERROR, err ? err->errnum : 0, err && err->msg ? err->msg : "unknown error");
}

void
sync_send_warning (int sock, const char *msg)
{
  send_text (sock, SYNC_WARNING, 0, msg);
}

int
sync_recv (int sock, struct sync_msg *m, int *fd)
{
  struct iovec iov = { .iov_base = m, .iov_len = sizeof *m };
  union
  {
    char buf[CMSG_SPACE (sizeof (int))];
    struct cmsghdr align;
  } u;
  struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = u.buf, .msg_controllen = sizeof u.buf };
  ssize_t n;

  if (fd)
    *fd = -1;
  memset (m, 0, sizeof *m);
  do
    n = recvmsg (sock, &mh, MSG_CMSG_CLOEXEC);
  while (n < 0 && errno == EINTR);
  if (n < 0)
    return -1;
  if (n == 0)
    return 0;
  m->msg[sizeof m->msg - 1] = '\0';
  for (struct cmsghdr *c = CMSG_FIRSTHDR (&mh); c; c = CMSG_NXTHDR (&mh, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS)
      {
        int got;
        memcpy (&got, CMSG_DATA (c), sizeof (int));
        if (fd)
          *fd = got;
        else
          close (got);
      }
  return 1;
}

int
send_fd (int sock, int fd, const char *name)
{
  const char *payload = name && *name ? name : "/dev/ptmx";
  return send_with_fd (sock, payload, strlen (payload), fd);
}
