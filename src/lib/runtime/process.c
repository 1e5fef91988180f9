/* The container process: see process.h. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "process.h"
#include "procfs.h"
#include "util.h"

#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

int
proc_apply_sysctls (const struct capsa_config *c, unsigned own_ns, capsa_err **err)
{
  if (c->n_sysctls == 0)
    return 0;
  cleanup_close int procfd = procfs_open_root (err);
  if (procfd < 0)
    return capsa_err_wrap (err, "linux.sysctl");
  for (size_t i = 0; i < c->n_sysctls; i++)
    {
      const char *key = c->sysctls[i].key, *val = c->sysctls[i].value;
      int t = cfg_sysctl_namespace (key);
      char rel[PATH_MAX];
      /* cfg_parse checked all this already; here it is checked against the namespaces the
       * init really has, after the joins (a path may name another namespace by now) */
      if (t < 0)
        return capsa_fail_as (err, EPERM, "linux.sysctl: `%s` is not namespaced: refused (it would change the host)",
                              key);
      if (!(own_ns & (1u << t)))
        return capsa_fail_as (err, EPERM,
                              "linux.sysctl: `%s` needs the container's own %s namespace (the init has the "
                              "host's): refused, it would change the host",
                              key, cfg_ns_name (t));
      memcpy (rel, "sys/", 4);
      if (cfg_sysctl_relpath (key, rel + 4, sizeof rel - 4) < 0)
        return capsa_fail_as (err, EINVAL, "linux.sysctl: invalid key `%s`", key);
      cleanup_free char *what = xasprintf ("linux.sysctl: set `%s` to `%s`", key, val);
      if (procfs_write (procfd, rel, val, strlen (val), what, err) < 0)
        return -1;
    }
  return 0;
}

int
proc_apply_limits (const struct cfg_process *p, capsa_err **err)
{
  for (size_t i = 0; i < p->n_rlimits; i++)
    {
      struct rlimit rl = { .rlim_cur = p->rlimits[i].soft, .rlim_max = p->rlimits[i].hard };
      if (setrlimit (p->rlimits[i].resource, &rl) < 0)
        return capsa_fail (err, errno, "process.rlimits[%zu]: setrlimit(%llu, %llu)", i,
                           (unsigned long long) rl.rlim_cur, (unsigned long long) rl.rlim_max);
    }
  if (p->has_oom_score_adj)
    {
      char buf[16];
      int n = snprintf (buf, sizeof buf, "%d", p->oom_score_adj);
      cleanup_close int procfd = procfs_open_root (err);
      if (procfd < 0 || procfs_write (procfd, "self/oom_score_adj", buf, (size_t) n, "process.oomScoreAdj", err) < 0)
        return procfd < 0 ? capsa_err_wrap (err, "process.oomScoreAdj") : -1;
    }
  return 0;
}

int
proc_set_user (const struct cfg_process *p, capsa_err **err)
{
  const struct cfg_user *u = &p->user;

  /* setgroups is refused in a user namespace whose setgroups file says deny: then only an empty
   * supplementary list is acceptable, and it is what the process has already. */
  if (setgroups (u->n_additional_gids, u->additional_gids) < 0 && !(errno == EPERM && u->n_additional_gids == 0))
    return capsa_fail (err, errno, "setgroups for process.user.additionalGids");
  if (setresgid (u->gid, u->gid, u->gid) < 0)
    return capsa_fail (err, errno, "setgid to %u", (unsigned) u->gid);
  if (setresuid (u->uid, u->uid, u->uid) < 0)
    return capsa_fail (err, errno, "setuid to %u", (unsigned) u->uid);
  umask (u->has_umask ? u->umask : 022);
  return 0;
}

int
proc_set_no_new_privs (const struct cfg_process *p, capsa_err **err)
{
  if (p->no_new_privileges && prctl (PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
    return capsa_fail (err, errno, "set no_new_privs");
  return 0;
}

int
proc_set_cwd (const struct cfg_process *p, capsa_err **err)
{
  if (chdir (p->cwd) < 0)
    return capsa_fail (err, errno, "chdir to cwd (\"%s\") set in config.json", p->cwd);
  return 0;
}

static const char *
env_path (char **env)
{
  for (char **e = env; *e; e++)
    if (strncmp (*e, "PATH=", 5) == 0)
      return *e + 5;
  return DEFAULT_PATH;
}

/* 0 when `path` is an executable regular file; otherwise -1 with errno. */
static int
check_executable (const char *path)
{
  struct stat st;
  if (stat (path, &st) < 0)
    return -1;
  if (S_ISDIR (st.st_mode))
    {
      errno = EISDIR;
      return -1;
    }
  if (!S_ISREG (st.st_mode) || access (path, X_OK) < 0)
    {
      errno = EACCES;
      return -1;
    }
  return 0;
}

int
proc_find_executable (const struct cfg_process *p, char **out, capsa_err **err)
{
  const char *name = p->args[0];

  if (strchr (name, '/'))
    {
      if (check_executable (name) < 0)
        return capsa_fail (err, errno, "exec: \"%s\": stat %s", name, name);
      *out = xstrdup (name);
      return 0;
    }
  if (*name)
    {
      cleanup_free char *dirs = xstrdup (env_path (p->env));
      char *save = NULL;
      for (char *d = strtok_r (dirs, ":", &save); d; d = strtok_r (NULL, ":", &save))
        {
          cleanup_free char *cand = xasprintf ("%s/%s", *d ? d : ".", name);
          if (check_executable (cand) == 0)
            {
              *out = take_ptr (&cand);
              return 0;
            }
        }
    }
  /* runc's exact words: callers (podman, CRI-O) match on them, so no strerror suffix */
  return capsa_fail_as (err, ENOENT, "exec: \"%s\": executable file not found in $PATH", name);
}
