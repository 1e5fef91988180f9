/* sd_notify for containers: see notify.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "hostenv.h"
#include "notify.h"
#include "util.h"

const char *
notify_host_socket (void)
{
  const char *s = capsa_host_env ()->notify_socket;
  return s && *s ? s : NULL;
}

int
notify_prepare (int state_dirfd, const char *state_dir, struct capsa_config *c, char **env_entry, capsa_err **err)
{
  /* notify/ (0700: no user of the host reaches the socket, as the runtime's state dirs are
   * traversable) holds dir/ (0755: the container's user, whoever it is, does through the bind) */
  if ((mkdirat (state_dirfd, "notify", 0700) < 0 && errno != EEXIST)
      || (mkdirat (state_dirfd, "notify/dir", 0755) < 0 && errno != EEXIST))
    return capsa_fail (err, errno, "create the notify socket directory");
  c->mounts = xrealloc (c->mounts, (c->n_mounts + 1) * sizeof *c->mounts);
  struct cfg_mount *m = &c->mounts[c->n_mounts++];
  memset (m, 0, sizeof *m);
  m->destination = xstrdup (NOTIFY_DIR_IN_CONTAINER);
  m->type = xstrdup ("bind");
  m->source = xasprintf ("%s/notify/dir", state_dir);
  m->options = xmalloc0 (sizeof (char *));
  m->flags = MS_BIND;
  m->is_bind = true;
  *env_entry = xstrdup ("NOTIFY_SOCKET=" NOTIFY_SOCKET_IN_CONTAINER);
  return 0;
}

int
notify_bind (int state_dirfd, capsa_err **err)
{
  struct stat st;
  if (fstatat (state_dirfd, "notify/dir", &st, 0) < 0)
    return -1;
  /* bind through /proc/self/fd: the path stays short whatever the runtime root is */
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/notify/dir/notify.sock", state_dirfd);
  unlinkat (state_dirfd, "notify/dir/notify.sock", 0);
  int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return capsa_fail (err, e, "bind the container's notify socket");
    }
  /* the container's user may be anyone; the host's others stop at notify/ (0700) */
  fchmodat (state_dirfd, "notify/dir/notify.sock", 0777, 0);
  return fd;
}

static int
forward (const char *host_socket, pid_t pid, capsa_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  size_t len = strlen (host_socket);
  if (len >= sizeof addr.sun_path)
    return capsa_fail_as (err, ENAMETOOLONG, "NOTIFY_SOCKET `%s` is too long", host_socket);
  memcpy (addr.sun_path, host_socket, len);
  if (addr.sun_path[0] == '@') /* abstract socket, as systemd writes it */
    addr.sun_path[0] = '\0';
  cleanup_close int fd = socket (AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  char msg[64];
  int n = snprintf (msg, sizeof msg, "READY=1\nMAINPID=%d\n", (int) pid);
  if (fd < 0
      || sendto (fd, msg, (size_t) n, 0, (struct sockaddr *) &addr,
                 (socklen_t) (offsetof (struct sockaddr_un, sun_path) + len))
             < 0)
    return capsa_fail (err, errno, "send READY=1 to NOTIFY_SOCKET `%s`", host_socket);
  return 0;
}

int
notify_relay (int fd, const char *host_socket, pid_t pid, bool (*alive) (pid_t, void *), void *arg, capsa_err **err)
{
  cleanup_close int sock = fd;
  for (;;)
    {
      struct pollfd p = { .fd = sock, .events = POLLIN };
      int n = poll (&p, 1, 100);
      if (n < 0 && errno != EINTR)
        return capsa_fail (err, errno, "wait on the container's notify socket");
      if (n > 0)
        {
          char buf[4096];
          ssize_t r = recv (sock, buf, sizeof buf - 1, 0);
          if (r > 0)
            {
              buf[r] = '\0';
              /* a message is newline-separated assignments; READY=1 is the one that matters */
              for (char *line = strtok (buf, "\n"); line; line = strtok (NULL, "\n"))
                if (strcmp (line, "READY=1") == 0)
                  return forward (host_socket, pid, err);
            }
        }
      else if (!alive (pid, arg))
        return capsa_fail_as (err, ESRCH, "the container ended before it sent READY=1 on NOTIFY_SOCKET");
    }
}
