/* Namespaces: see namespaces.h. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/nsfs.h>

#include "cgroup.h"
#include "idmap.h"
#include "namespaces.h"
#include "util.h"

#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif

void
ns_plan_make (const struct capsa_config *c, struct ns_plan *plan)
{
  int new_flags = 0;

  memset (plan, 0, sizeof *plan);
  for (int t = 0; t < CFG_NS_COUNT; t++)
    {
      if (!c->ns[t].enabled)
        continue;
      if (c->ns[t].path)
        plan->join_any = true;
      else
        new_flags |= cfg_ns_clone_flag (t);
    }
  plan->new_user = (new_flags & CLONE_NEWUSER) != 0;
  if (plan->join_any)
    plan->unshare_flags = new_flags;
  else
    {
      /* time: clone() cannot create one; cgroup: its root is the cgroup of the process that
       * makes it, so it is made only once the runtime has moved the child into its cgroup. */
      plan->clone_flags = new_flags & ~(CLONE_NEWTIME | CLONE_NEWCGROUP);
      plan->unshare_flags = new_flags & (CLONE_NEWTIME | CLONE_NEWCGROUP);
    }
  plan->need_fork = (plan->unshare_flags & (CLONE_NEWPID | CLONE_NEWTIME))
                    || (c->ns[CFG_NS_PID].enabled && c->ns[CFG_NS_PID].path)
                    || (c->ns[CFG_NS_TIME].enabled && c->ns[CFG_NS_TIME].path);
  /* When the init is forked, the process clone() made only passes through: it must not be pid 1
   * of the new pid namespace (its exit would kill the namespace), so that one is unshared and the
   * forked init becomes its pid 1. */
  if (plan->need_fork && (plan->clone_flags & CLONE_NEWPID))
    {
      plan->clone_flags &= ~CLONE_NEWPID;
      plan->unshare_flags |= CLONE_NEWPID;
    }
}

int
ns_open_paths (const struct capsa_config *c, int fds[CFG_NS_COUNT], capsa_err **err)
{
  for (int t = 0; t < CFG_NS_COUNT; t++)
    fds[t] = -1;
  for (int t = 0; t < CFG_NS_COUNT; t++)
    {
      const char *path = c->ns[t].path;
      if (!c->ns[t].enabled || path == NULL)
        continue;
      fds[t] = open (path, O_RDONLY | O_CLOEXEC);
      if (fds[t] < 0)
        return capsa_fail (err, errno, "open %s namespace `%s`", cfg_ns_name (t), path);
      int kind = ioctl (fds[t], NS_GET_NSTYPE);
      if (kind < 0)
        return capsa_fail (err, errno == ENOTTY ? EINVAL : errno, "`%s` is not a namespace file", path);
      if (kind != cfg_ns_clone_flag (t))
        return capsa_fail_as (err, EINVAL, "`%s` is not a %s namespace", path, cfg_ns_name (t));
    }
  return 0;
}

/* Join the namespaces given by path.  The user namespace decides what the others may be: once in
 * it, a namespace owned by an outer user namespace (a network namespace the host made for a
 * container that has a user namespace of its own) can no longer be joined.  So, as crun does,
 * every other namespace is tried first, then the user namespace, then those that were refused
 * before it (EPERM: owned by the user namespace itself, as when a rootless caller is not root
 * of it).  The mount namespace always comes last: joining it changes the root that paths, and
 * so the other files, resolve in. */
int
ns_join_all (const int fds[CFG_NS_COUNT], capsa_err **err)
{
  static const int order[] = { CFG_NS_PID, CFG_NS_NETWORK, CFG_NS_IPC, CFG_NS_UTS, CFG_NS_CGROUP, CFG_NS_TIME };
  bool later[CFG_NS_COUNT] = { false };
  for (size_t i = 0; i < ARRAY_SIZE (order); i++)
    {
      int t = order[i];
      if (fds[t] < 0 || setns (fds[t], cfg_ns_clone_flag (t)) == 0)
        continue;
      if (errno != EPERM || fds[CFG_NS_USER] < 0)
        return capsa_fail (err, errno, "join %s namespace", cfg_ns_name (t));
      later[t] = true;
    }
  if (fds[CFG_NS_USER] >= 0 && setns (fds[CFG_NS_USER], CLONE_NEWUSER) < 0)
    return capsa_fail (err, errno, "join user namespace");
  for (size_t i = 0; i < ARRAY_SIZE (order); i++)
    if (later[order[i]] && setns (fds[order[i]], cfg_ns_clone_flag (order[i])) < 0)
      return capsa_fail (err, errno, "join %s namespace", cfg_ns_name (order[i]));
  if (fds[CFG_NS_MOUNT] >= 0 && setns (fds[CFG_NS_MOUNT], CLONE_NEWNS) < 0)
    return capsa_fail (err, errno, "join mount namespace");
  if (fds[CFG_NS_MOUNT] >= 0)
    cg_mounts_forget (); /* another table of mounts from here on */
  return 0;
}

static char *
format_map (const struct cfg_id_map *m, size_t n)
{
  return idmap_format (m, n);
}

/* Run newuidmap/newgidmap PID  cid hid size ... (the setuid helpers from the uidmap package). */
static int
run_idmap_helper (const char *helper, pid_t pid, const struct cfg_id_map *m, size_t n, capsa_err **err)
{
  cleanup_free char **argv = xmalloc0 ((3 + 3 * n) * sizeof (char *));
  char bufs[64][24];
  size_t a = 0;
  int status;

  if (n > 20)
    return capsa_fail_as (err, EINVAL, "too many id mappings for %s", helper);
  argv[a++] = (char *) helper;
  snprintf (bufs[0], sizeof bufs[0], "%d", (int) pid);
  argv[a++] = bufs[0];
  for (size_t i = 0; i < n; i++)
    {
      snprintf (bufs[1 + 3 * i], 24, "%u", m[i].container_id);
      snprintf (bufs[2 + 3 * i], 24, "%u", m[i].host_id);
      snprintf (bufs[3 + 3 * i], 24, "%u", m[i].size);
      argv[a++] = bufs[1 + 3 * i];
      argv[a++] = bufs[2 + 3 * i];
      argv[a++] = bufs[3 + 3 * i];
    }
  argv[a] = NULL;
  pid_t child = fork ();
  if (child < 0)
    return capsa_fail (err, errno, "fork for %s", helper);
  if (child == 0)
    {
      execvp (helper, argv);
      _exit (127);
    }
  while (waitpid (child, &status, 0) < 0)
    if (errno != EINTR)
      return capsa_fail (err, errno, "wait for %s", helper);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 127)
    return capsa_fail_as (err, ENOENT, "%s not found: install the uidmap package to use id ranges without root",
                          helper);
  if (!WIFEXITED (status) || WEXITSTATUS (status) != 0)
    return capsa_fail_as (err, EPERM, "%s %d failed (exit status %d): check /etc/subuid and /etc/subgid", helper,
                          (int) pid, WIFEXITED (status) ? WEXITSTATUS (status) : -1);
  return 0;
}

static bool
needs_helper (const struct cfg_id_map *m, size_t n, unsigned own)
{
  if (geteuid () == 0)
    return false;
  return !(n == 1 && m[0].size == 1 && m[0].host_id == own);
}

static int
write_proc (pid_t pid, const char *file, const char *content, capsa_err **err)
{
  char path[64];
  snprintf (path, sizeof path, "/proc/%d/%s", (int) pid, file);
  if (write_file_at (AT_FDCWD, path, content, strlen (content), 0, err) < 0)
    return capsa_err_wrap (err, "write %s for the user namespace", file);
  return 0;
}

int
ns_write_id_maps (pid_t pid, const struct capsa_config *c, capsa_err **err)
{
  if (c->n_uid_maps == 0 || c->n_gid_maps == 0)
    return capsa_fail_as (err, EINVAL, "a new user namespace needs linux.uidMappings and linux.gidMappings");
  if (needs_helper (c->uid_maps, c->n_uid_maps, (unsigned) geteuid ()))
    {
      if (run_idmap_helper ("newuidmap", pid, c->uid_maps, c->n_uid_maps, err) < 0)
        return -1;
    }
  else
    {
      cleanup_free char *m = format_map (c->uid_maps, c->n_uid_maps);
      if (write_proc (pid, "uid_map", m, err) < 0)
        return -1;
    }
  if (needs_helper (c->gid_maps, c->n_gid_maps, (unsigned) getegid ()))
    return run_idmap_helper ("newgidmap", pid, c->gid_maps, c->n_gid_maps, err);
  /* an unprivileged writer must deny setgroups before mapping its single gid */
  if (geteuid () != 0 && write_proc (pid, "setgroups", "deny", err) < 0)
    return -1;
  cleanup_free char *m = format_map (c->gid_maps, c->n_gid_maps);
  return write_proc (pid, "gid_map", m, err);
}

int
ns_write_time_offsets (const struct capsa_config *c, capsa_err **err)
{
  char buf[128] = "";
  size_t len = 0;

  if (c->time_monotonic.set)
    len += (size_t) snprintf (buf + len, sizeof buf - len, "monotonic %lld %u\n", (long long) c->time_monotonic.secs,
                              c->time_monotonic.nanosecs);
  if (c->time_boottime.set)
    len += (size_t) snprintf (buf + len, sizeof buf - len, "boottime %lld %u\n", (long long) c->time_boottime.secs,
                              c->time_boottime.nanosecs);
  if (len == 0)
    return 0;
  /* the kernel takes one line per write */
  for (char *line = buf, *nl; (nl = strchr (line, '\n')); line = nl + 1)
    if (write_file_at (AT_FDCWD, "/proc/self/timens_offsets", line, (size_t) (nl - line + 1), 0, err) < 0)
      return capsa_err_wrap (err, "set time namespace offsets");
  return 0;
}
