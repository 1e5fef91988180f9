/* The network namespace file of a container, ROOT/containers/ID/netns: a bind mount of an nsfs
 * file, made by a short-lived child that unshared it.  Below both kinds of networking that use
 * it: bridges (ctr_net.c) and slirp4netns (ctr_slirp.c). */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <time.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctr.h"
#include "ctr_net.h"

/* A network namespace held by a bind mount of its nsfs file at path. */
int
ctr_netns_create (const char *path, capsa_err **err)
{
  int fd = open (path, O_RDONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return capsa_fail (err, errno, "create `%s`", path);
  close (fd);
  pid_t pid = fork ();
  if (pid < 0)
    return capsa_fail (err, errno, "fork");
  if (pid == 0)
    _exit (unshare (CLONE_NEWNET) == 0 && mount ("/proc/self/ns/net", path, NULL, MS_BIND, NULL) == 0 ? 0 : errno);
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return capsa_fail (err, WIFEXITED (status) ? WEXITSTATUS (status) : EIO, "make the network namespace `%s`", path);
  return 0;
}

/* Every mount on path (lazily: a process may still hold the namespace), then the file.  A mount
 * that appears meanwhile (unlink says EBUSY) is taken off too, a few times. */
void
ctr_netns_remove (const char *path)
{
  for (int round = 0; round < 8; round++)
    {
      for (int i = 0; i < 16 && umount2 (path, MNT_DETACH | UMOUNT_NOFOLLOW) == 0; i++)
        ;
      if (unlink (path) == 0 || errno != EBUSY)
        return;
      nanosleep (&(struct timespec){ 0, 1000000 }, NULL);
    }
}
