/* User namespaces for idmapped mounts: see idmap.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "idmap.h"
#include "util.h"

char *
idmap_format (const struct cfg_id_map *m, size_t n)
{
  char *out = xstrdup ("");
  for (size_t i = 0; i < n; i++)
    {
      char *next = xasprintf ("%s%u %u %u\n", out, m[i].container_id, m[i].host_id, m[i].size);
      free (out);
      out = next;
    }
  return out;
}

/* Write pid's maps and open its user namespace. */
static int
map_and_open (pid_t pid, const char *uid_map, const char *gid_map, capsa_err **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/uid_map", (int) pid);
  if (write_file_at (AT_FDCWD, path, uid_map, strlen (uid_map), 0, err) < 0)
    return capsa_err_wrap (err, "id mappings `%s`", uid_map);
  snprintf (path, sizeof path, "/proc/%d/gid_map", (int) pid);
  if (write_file_at (AT_FDCWD, path, gid_map, strlen (gid_map), 0, err) < 0)
    return capsa_err_wrap (err, "id mappings `%s`", gid_map);
  snprintf (path, sizeof path, "/proc/%d/ns/user", (int) pid);
  int fd = open (path, O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "open `%s`", path);
  return fd;
}

int
idmap_userns_fd (const char *uid_map, const char *gid_map, capsa_err **err)
{
  int sync[2];
  if (pipe2 (sync, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "pipe");
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (sync[0]);
      close (sync[1]);
      return capsa_fail (err, errno, "fork");
    }
  if (pid == 0)
    {
      char c = unshare (CLONE_NEWUSER) == 0 ? 'u' : 'x';
      close (sync[0]);
      if (write (sync[1], &c, 1) == 1)
        pause ();
      _exit (0);
    }
  close (sync[1]);
  char c = 0;
  int fd = -1;
  if (read (sync[0], &c, 1) != 1 || c != 'u')
    capsa_fail_as (err, EPERM, "make a user namespace for an idmapped mount");
  else
    fd = map_and_open (pid, uid_map, gid_map, err);
  close (sync[0]);
  kill (pid, SIGKILL);
  waitpid (pid, NULL, 0);
  return fd;
}
