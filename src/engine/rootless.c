/* Rootless capsa: the shared user and mount namespace held by a pause process (see rootless.h). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/nsfs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include "rootless.h"
#include "util.h"

#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

/* ---- subordinate ids ---------------------------------------------------------------------- */

int
rootless_subid_ranges (const char *file, const char *user, uid_t uid, struct capsa_idrange **out, size_t *n)
{
  cleanup_fclose FILE *f = fopen (file, "re");
  char line[512], uidstr[32];
  *out = NULL;
  *n = 0;
  if (f == NULL)
    return errno == ENOENT ? 0 : -1;
  snprintf (uidstr, sizeof uidstr, "%u", (unsigned) uid);
  while (fgets (line, sizeof line, f))
    {
      char *name = line, *start = strchr (line, ':'), *count;
      if (start == NULL || (count = strchr (start + 1, ':')) == NULL)
        continue;
      *start++ = '\0';
      *count++ = '\0';
      if (strcmp (name, user ? user : "") != 0 && (uid == (uid_t) -1 || strcmp (name, uidstr) != 0))
        continue;
      int64_t s, c;
      count[strcspn (count, " \t\r\n")] = '\0';
      if (parse_i64 (start, 0, UINT32_MAX, &s) < 0 || parse_i64 (count, 1, UINT32_MAX, &c) < 0)
        continue;
      *out = xrealloc (*out, (*n + 1) * sizeof **out);
      (*out)[(*n)++] = (struct capsa_idrange){ (unsigned long) s, (unsigned long) c };
    }
  return 0;
}

/* ---- the runtime directory ---------------------------------------------------------------- */

int
rootless_rundir (const char *xdg, char **out, capsa_err **err)
{
  struct stat st;
  cleanup_free char *dir = NULL;
  if (xdg && *xdg == '/' && access (xdg, W_OK | X_OK) == 0)
    {
      dir = xasprintf ("%s/capsa", xdg);
      if (mkdir (dir, 0700) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "mkdir `%s`", dir);
    }
  else
    {
      /* /tmp is shared: the directory must be ours and private, never someone's symlink */
      dir = xasprintf ("/tmp/capsa-%u", (unsigned) getuid ());
      if (mkdir (dir, 0700) < 0 && errno != EEXIST)
        return capsa_fail (err, errno, "mkdir `%s`", dir);
    }
  if (lstat (dir, &st) < 0)
    return capsa_fail (err, errno, "stat `%s`", dir);
  if (!S_ISDIR (st.st_mode) || st.st_uid != getuid ())
    return capsa_fail_as (err, EPERM,
                          "the runtime directory `%s` is not a directory owned by uid %u: remove it or "
                          "set XDG_RUNTIME_DIR",
                          dir, (unsigned) getuid ());
  if ((st.st_mode & 077) && chmod (dir, 0700) < 0)
    return capsa_fail (err, errno, "chmod 0700 `%s`", dir);
  *out = take_ptr (&dir);
  return 0;
}

/* ---- cgroups ------------------------------------------------------------------------------ */

bool
rootless_cgroup_writable (void)
{
  struct statfs sf;
  if (statfs ("/sys/fs/cgroup", &sf) < 0 || sf.f_type != CGROUP2_SUPER_MAGIC)
    return false;
  cleanup_free char *self = NULL;
  if (read_file_at (AT_FDCWD, "/proc/self/cgroup", &self, NULL, NULL) < 0 || strncmp (self, "0::/", 4) != 0)
    return false;
  char *path = self + 3;
  path[strcspn (path, "\n")] = '\0';
  char *slash = strrchr (path, '/');
  if (slash == path)
    slash[1] = '\0';
  else
    *slash = '\0';
  cleanup_free char *dir = xasprintf ("/sys/fs/cgroup%s", strcmp (path, "/") == 0 ? "" : path);
  cleanup_free char *procs = xasprintf ("%s/cgroup.procs", dir);
  return access (dir, W_OK) == 0 && access (procs, W_OK) == 0;
}

/* ---- the pause process -------------------------------------------------------------------- */

/* Another process in our user namespace (a container, a monitor, a command)? */
static bool
others_in_userns (void)
{
  struct stat self, st;
  if (stat ("/proc/self/ns/user", &self) < 0)
    return true;
  cleanup_dir DIR *d = opendir ("/proc");
  struct dirent *de;
  pid_t me = getpid ();
  if (d == NULL)
    return true;
  while ((de = readdir (d)))
    {
      char path[64];
      char *end;
      long pid = strtol (de->d_name, &end, 10);
      if (*end || pid <= 0 || pid == me)
        continue;
      snprintf (path, sizeof path, "/proc/%ld/ns/user", pid);
      if (stat (path, &st) == 0 && st.st_ino == self.st_ino && st.st_dev == self.st_dev)
        return true;
    }
  return false;
}

/* The pause process: holds the namespaces while anything else is in them, then removes its pid
 * file and exits (deciding under pause.lock, so no command joins a namespace that is going). */
static __attribute__ ((noreturn)) void
pause_main (const char *rundir)
{
  cleanup_free char *lock = xasprintf ("%s/pause.lock", rundir);
  cleanup_free char *pidf = xasprintf ("%s/pause.pid", rundir);
  prctl (PR_SET_NAME, "capsa-pause");
  for (;;)
    {
      sleep (1);
      int fd = open (lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
      if (fd < 0)
        continue;
      if (flock (fd, LOCK_EX | LOCK_NB) == 0 && !others_in_userns ())
        {
          unlink (pidf);
          _exit (0);
        }
      close (fd);
    }
}

static int
run_idmap (const char *helper, pid_t pid, unsigned long own, const struct capsa_idrange *r, capsa_err **err)
{
  char a[6][24];
  snprintf (a[0], sizeof a[0], "%d", (int) pid);
  snprintf (a[1], sizeof a[1], "%lu", own);
  snprintf (a[2], sizeof a[2], "%lu", r->start);
  snprintf (a[3], sizeof a[3], "%lu", r->count);
  pid_t c = fork ();
  if (c < 0)
    return capsa_fail (err, errno, "fork for %s", helper);
  if (c == 0)
    {
      int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);
      if (null >= 0)
        dup2 (null, 1);
      execlp (helper, helper, a[0], "0", a[1], "1", "1", a[2], a[3], (char *) NULL);
      _exit (127);
    }
  int status;
  while (waitpid (c, &status, 0) < 0)
    if (errno != EINTR)
      return capsa_fail (err, errno, "wait for %s", helper);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return capsa_fail_as (err, ENOENT,
                          "%s not found: rootless capsa needs the uidmap package "
                          "(apt-get install uidmap)",
                          helper);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return capsa_fail_as (err, EPERM,
                          "%s %d 0 %lu 1 1 %lu %lu failed (see its message above): check /etc/subuid "
                          "and /etc/subgid",
                          helper, (int) pid, own, r->start, r->count);
  return 0;
}

/* Start the pause process in a new user + mount namespace mapped by newuidmap/newgidmap. */
static int
pause_start (struct capsa_engine *e, pid_t *pid_out, capsa_err **err)
{
  int up[2], down[2];
  if (pipe2 (up, O_CLOEXEC) < 0 || pipe2 (down, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "pipe");
  /* a grandchild: no command (a foreground run reaps its children) ever waits for it */
  pid_t mid = fork ();
  if (mid < 0)
    return capsa_fail (err, errno, "fork the pause process");
  if (mid == 0)
    {
      char go = 0;
      if (fork () != 0)
        _exit (0);
      int msg[2] = { unshare (CLONE_NEWUSER | CLONE_NEWNS) < 0 ? errno : 0, getpid () };
      if (write (up[1], msg, sizeof msg) != sizeof msg || msg[0] || read (down[0], &go, 1) != 1 || go != 'g')
        _exit (1);
      if (setresgid (0, 0, 0) < 0 || setresuid (0, 0, 0) < 0 || setgroups (0, NULL) < 0)
        _exit (1);
      /* mounts made in here (overlay roots) stay in here; the host's still come in */
      if (mount (NULL, "/", NULL, MS_REC | MS_SLAVE, NULL) < 0)
        _exit (1);
      setsid ();
      if (chdir ("/") < 0)
        _exit (1);
      int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
      for (int i = 0; i < 3 && null >= 0; i++)
        dup2 (null, i);
      close_fds_except (3, NULL, 0);
      pause_main (e->rundir);
    }
  close (up[1]);
  close (down[0]);
  cleanup_close int upr = up[0], downw = down[1];
  int msg[2] = { -1, 0 };
  while (waitpid (mid, NULL, 0) < 0 && errno == EINTR)
    ;
  ssize_t n = read (upr, msg, sizeof msg);
  int en = n == (ssize_t) sizeof msg ? msg[0] : EIO;
  pid_t pid = msg[1];
  if (en != 0)
    {
      return capsa_fail_as (err, en > 0 ? en : EIO, "make a user namespace for rootless capsa: %s%s",
                            strerror (en > 0 ? en : EIO),
                            en == EPERM || en == ENOSPC ? " (check sysctl user.max_user_namespaces and "
                                                          "kernel.unprivileged_userns_clone)"
                                                        : "");
    }
  if (run_idmap ("newuidmap", pid, e->host_uid, &e->subuid, err) < 0
      || run_idmap ("newgidmap", pid, e->host_gid, &e->subgid, err) < 0)
    {
      kill (pid, SIGKILL);
      return -1;
    }
  if (write (downw, "g", 1) != 1)
    return capsa_fail (err, errno, "start the pause process");
  *pid_out = pid;
  return 0;
}

/* The live pause process named by pause.pid, or 0. */
static pid_t
pause_find (struct capsa_engine *e)
{
  cleanup_free char *pidf = xasprintf ("%s/pause.pid", e->rundir);
  cleanup_free char *buf = NULL;
  long pid;
  unsigned long long start;
  uint64_t now;
  if (read_file_at (AT_FDCWD, pidf, &buf, NULL, NULL) < 0 || sscanf (buf, "%ld %llu", &pid, &start) != 2 || pid <= 0
      || proc_stat_start ((pid_t) pid, &now, NULL) < 0 || now != start)
    return 0;
  return (pid_t) pid;
}

static int
join (pid_t pid, capsa_err **err)
{
  static const struct
  {
    const char *name;
    int type;
  } ns[] = { { "user", CLONE_NEWUSER }, { "mnt", CLONE_NEWNS } };
  int fds[2] = { -1, -1 };
  int r = 0;
  for (size_t i = 0; i < ARRAY_SIZE (ns); i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/%d/ns/%s", (int) pid, ns[i].name);
      fds[i] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[i] < 0)
        r = capsa_fail (err, errno, "open `%s` (the rootless namespace)", path);
    }
  /* a recycled pid would lead elsewhere: the namespace must be one this user made */
  uid_t owner = (uid_t) -1;
  if (r == 0 && (ioctl (fds[0], NS_GET_OWNER_UID, &owner) < 0 || owner != getuid ()))
    r = capsa_fail_as (err, EPERM,
                       "pause process %d is not in a user namespace of uid %u (owner %d): remove "
                       "its pause.pid",
                       (int) pid, (unsigned) getuid (), (int) owner);
  for (size_t i = 0; i < ARRAY_SIZE (ns) && r == 0; i++)
    if (setns (fds[i], ns[i].type) < 0)
      r = capsa_fail (err, errno, "join the rootless %s namespace of pause process %d", ns[i].name, (int) pid);
  for (size_t i = 0; i < ARRAY_SIZE (ns); i++)
    if (fds[i] >= 0)
      close (fds[i]);
  if (r == 0 && chdir (".") < 0)
    r = capsa_fail (err, errno, "chdir");
  return r;
}

static int
find_subids (struct capsa_engine *e, capsa_err **err)
{
  struct passwd *pw = getpwuid (e->host_uid);
  const char *name = pw ? pw->pw_name : NULL;
  static const char *files[] = { "/etc/subuid", "/etc/subgid" };
  struct capsa_idrange *dst[] = { &e->subuid, &e->subgid };
  for (size_t i = 0; i < 2; i++)
    {
      cleanup_free struct capsa_idrange *r = NULL;
      size_t n = 0;
      if (rootless_subid_ranges (files[i], name, e->host_uid, &r, &n) < 0)
        return capsa_fail (err, errno, "read %s", files[i]);
      if (n == 0)
        return capsa_fail_as (err, ENOENT,
                              "rootless capsa needs subordinate ids for user %s in %s (so that images' other "
                              "owners have host ids): add a range, e.g. as root `usermod --add-subuids "
                              "100000-165535 --add-subgids 100000-165535 %s`",
                              name ? name : "?", files[i], name ? name : "USER");
      *dst[i] = r[0];
    }
  return 0;
}

/* What a capsa started inside the namespace needs to know of the user outside: "UID:GID:RUNDIR". */
#define ROOTLESS_ENV CAPSA_ENGINE_ROOTLESS_ENV

int
capsa_engine_rootless_enter (struct capsa_engine *e, capsa_err **err)
{
  if (geteuid () == 0)
    {
      /* a capsa started inside the namespace (by capsa-monitor, or capsa-image): root in it,
       * rootless still */
      const char *ctx = e->rootless_ctx;
      unsigned uid, gid;
      int end = 0;
      if (ctx == NULL || in_initial_userns () || sscanf (ctx, "%u:%u:%n", &uid, &gid, &end) != 2 || end == 0)
        return 0;
      e->rootless = true;
      e->host_uid = uid;
      e->host_gid = gid;
      e->rundir = xstrdup (ctx + end);
      return find_subids (e, err);
    }
  e->rootless = true;
  e->host_uid = getuid ();
  e->host_gid = getgid ();
  if (rootless_rundir (e->xdg_runtime_dir, &e->rundir, err) < 0 || find_subids (e, err) < 0)
    return -1;
  cleanup_free char *ctx = xasprintf ("%u:%u:%s", e->host_uid, e->host_gid, e->rundir);
  setenv (ROOTLESS_ENV, ctx, 1);
  cleanup_free char *lockp = xasprintf ("%s/pause.lock", e->rundir);
  cleanup_close int lock = open (lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0)
    return capsa_fail (err, errno, "open `%s`", lockp);
  if (flock (lock, LOCK_EX) < 0)
    return capsa_fail (err, errno, "lock `%s`", lockp);
  pid_t pid = pause_find (e);
  if (pid == 0)
    {
      uint64_t start = 0;
      if (pause_start (e, &pid, err) < 0)
        return capsa_err_wrap (err, "rootless capsa");
      proc_stat_start (pid, &start, NULL);
      cleanup_free char *pidf = xasprintf ("%s/pause.pid", e->rundir);
      cleanup_free char *line = xasprintf ("%d %llu\n", (int) pid, (unsigned long long) start);
      if (write_file_replace_at (AT_FDCWD, pidf, line, strlen (line), 0600, err) < 0)
        {
          kill (pid, SIGKILL);
          return -1;
        }
    }
  return join (pid, err);
}
