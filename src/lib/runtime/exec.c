/* capsa-oci exec: see exec.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capabilities.h"
#include "config.h"
#include "exec.h"
#include "fault.h"
#include "runloop.h"
#include "seccomp_filter.h"
#include "spawn.h"
#include "state.h"
#include "terminal.h"
#include "util.h"

static int
check_status (const struct capsa_state *st, capsa_err **err)
{
  switch (st->status)
    {
    case CAPSA_STATUS_RUNNING:
    case CAPSA_STATUS_CREATED:
      return 0;
    case CAPSA_STATUS_PAUSED:
      return capsa_fail_as (err, EINVAL, "cannot exec in a paused container: resume `%s` first", st->id);
    case CAPSA_STATUS_STOPPED:
      return capsa_fail_as (err, EINVAL, "cannot exec in a stopped container: `%s` has stopped", st->id);
    default:
      return capsa_fail_as (err, EINVAL, "cannot exec in container `%s` while it is being created", st->id);
    }
}

/* The config the container was created with (saved beside its state), else the bundle's. */
static int
load_config (int dirfd, const struct capsa_state *st, struct capsa_config **out, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (read_file_at (dirfd, "config.json", &buf, &len, NULL) == 0)
    return cfg_parse_string (buf, len, "config.json (saved at create)", out, err);
  cleanup_free char *path = xasprintf ("%s/config.json", st->bundle);
  return cfg_parse_file (path, out, err);
}

static int
read_process_file (const char *path, struct cfg_process **out, capsa_err **err)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (strcmp (path, "-") == 0)
    {
      size_t cap = 0;
      ssize_t n;
      do
        {
          buf = xrealloc (buf, cap + 65536 + 1);
          n = read (0, buf + len, 65536);
          if (n > 0)
            len += (size_t) n;
          cap += 65536;
        }
      while (n > 0);
      if (n < 0)
        return capsa_fail (err, errno, "--process -: read standard input");
      buf[len] = '\0';
    }
  else if (read_file_at (AT_FDCWD, path, &buf, &len, err) < 0)
    return capsa_err_wrap (err, "--process");
  return cfg_parse_process_string (buf, len, strcmp (path, "-") == 0 ? "--process (stdin)" : path, out, err);
}

static int
parse_id (const char *s, const char *what, uint32_t *out, capsa_err **err)
{
  int64_t v;
  if (parse_i64 (s, 0, 4294967294LL, &v) < 0)
    return capsa_fail_as (err, EINVAL, "%s: `%s` is not a numeric id", what, s);
  *out = (uint32_t) v;
  return 0;
}

/* The container's own process with the command line laid on top (runc's exec without --process). */
static int
process_from_flags (const struct capsa_exec_opts *o, const struct cfg_process *base, struct cfg_process **out,
                    capsa_err **err)
{
  json_t *proc = base ? cfg_process_to_json (base) : NULL;
  if (proc == NULL)
    proc = json_pack ("{s:[s], s:s}", "args", "sh", "cwd", "/");
  json_t *args = json_array ();
  for (char **a = o->args; a && *a; a++)
    json_array_append_new (args, json_string (*a));
  json_object_set_new (proc, "args", args);
  json_object_set_new (proc, "terminal", json_boolean (o->tty));
  if (o->cwd)
    json_object_set_new (proc, "cwd", json_string (o->cwd));
  if (o->no_new_privs)
    json_object_set_new (proc, "noNewPrivileges", json_true ());
  json_t *env = json_object_get (proc, "env");
  if (!json_is_array (env))
    json_object_set_new (proc, "env", env = json_array ());
  for (char **e = o->env; e && *e; e++)
    json_array_append_new (env, json_string (*e));
  if (o->user || o->additional_gids)
    {
      json_t *user = json_object_get (proc, "user");
      if (!json_is_object (user))
        json_object_set_new (proc, "user", user = json_pack ("{s:i, s:i}", "uid", 0, "gid", 0));
      if (o->user)
        {
          cleanup_free char *u = xstrdup (o->user);
          char *colon = strchr (u, ':');
          uint32_t uid = 0, gid = 0;
          if (colon)
            *colon = '\0';
          if (parse_id (u, "--user", &uid, err) < 0 || (colon && parse_id (colon + 1, "--user", &gid, err) < 0))
            {
              json_decref (proc);
              return -1;
            }
          json_object_set_new (user, "uid", json_integer (uid));
          json_object_set_new (user, "gid", json_integer (gid));
        }
      json_t *gids = json_array ();
      for (char **g = o->additional_gids; g && *g; g++)
        {
          uint32_t gid = 0;
          if (parse_id (*g, "--additional-gids", &gid, err) < 0)
            {
              json_decref (gids);
              json_decref (proc);
              return -1;
            }
          json_array_append_new (gids, json_integer (gid));
        }
      if (o->additional_gids)
        json_object_set_new (user, "additionalGids", gids);
      else
        json_decref (gids);
    }
  if (o->caps)
    {
      json_t *caps = json_object_get (proc, "capabilities");
      if (!json_is_object (caps))
        json_object_set_new (proc, "capabilities", caps = json_object ());
      static const char *const sets[] = { "bounding", "effective", "permitted" };
      for (size_t i = 0; i < ARRAY_SIZE (sets); i++)
        {
          json_t *set = json_object_get (caps, sets[i]);
          if (!json_is_array (set))
            json_object_set_new (caps, sets[i], set = json_array ());
          for (char **c = o->caps; *c; c++)
            json_array_append_new (set, json_string (*c));
        }
    }
  cleanup_free char *s = json_dumps (proc, JSON_COMPACT);
  json_decref (proc);
  return cfg_parse_process_string (s, strlen (s), "exec", out, err);
}

static bool
still_the_init (const struct capsa_state *st)
{
  uint64_t start;
  char state;
  return proc_stat_start (st->pid, &start, &state) == 0 && start == st->pid_start && state != 'Z';
}

/* Everything after the checks: prepare, spawn into the container, then detach or wait. */
static int
exec_in (const struct capsa_exec_opts *o, const struct capsa_state *st, struct capsa_config *c, int *exit_status,
         capsa_err **err)
{
  struct caps_plan caps;
  struct seccomp_plan seccomp = { 0 };
  struct spawn_result res = { .sync_fd = -1, .pty_master = -1 };
  struct runloop rl = { .sigfd = -1 };
  cleanup_free char *cache_dir = xasprintf ("%s/#seccomp-cache", o->root);
  int r = -1;

  for (int t = 0; t < CFG_NS_COUNT; t++)
    if (c->ns[t].enabled)
      {
        free (c->ns[t].path);
        c->ns[t].path = xasprintf ("/proc/%d/ns/%s", (int) st->pid, cfg_ns_proc_name (t));
      }
  if (caps_plan_make (c->process, &caps, err) < 0 || seccomp_plan_make (c->seccomp, cache_dir, &seccomp, err) < 0)
    return -1;
  cleanup_free char *rootp = xasprintf ("/proc/%d/root", (int) st->pid);
  cleanup_close int rootfd = open (rootp, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0 || !still_the_init (st))
    {
      seccomp_plan_free (&seccomp);
      return capsa_fail_as (err, ESRCH, "container not running: its init %d is gone", (int) st->pid);
    }
  if (!o->detach && runloop_prepare (&rl, err) < 0)
    goto out;
  struct spawn_opts so = { .config = c,
                           .bundle = st->bundle,
                           .rootfs = st->rootfs,
                           .preserve_fds = o->preserve_fds,
                           .exec_fifo = -1,
                           .cgroup = st->cg.n ? &st->cg : NULL,
                           .caps = &caps,
                           .seccomp = &seccomp,
                           .id = st->id,
                           .exec_mode = true,
                           .exec_root_fd = rootfd,
                           .copy_winsize = !o->detach };
  if (spawn_container (&so, &res, err) < 0)
    goto out;
  capsa_fault_point ("exec:spawned");
  if (res.pty_master >= 0 && o->console_socket
      && term_send_to_console_socket (o->console_socket, res.pty_master, err) < 0)
    goto out;
  if (spawn_wait_exec (res.sync_fd, err) < 0)
    goto out;
  if (o->pid_file && state_write_pid_file (o->pid_file, res.pid, err) < 0)
    goto out;
  if (!o->detach)
    *exit_status = runloop_wait (&rl, res.pid, o->console_socket ? -1 : res.pty_master, NULL);
  r = 0;
out:
  if (rl.sigfd >= 0)
    runloop_release (&rl);
  if (res.sync_fd >= 0)
    close (res.sync_fd);
  if (res.pty_master >= 0)
    close (res.pty_master);
  seccomp_plan_free (&seccomp);
  return r;
}

int
capsa_container_exec (const struct capsa_exec_opts *o, int *exit_status, capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_config struct capsa_config *c = NULL;
  cleanup_close int dirfd = state_open_dir (o->root, o->id, false, err);
  struct cfg_process *proc = NULL;

  *exit_status = 0;
  if (dirfd < 0 || state_load (dirfd, o->id, &st, err) < 0 || check_status (st, err) < 0
      || load_config (dirfd, st, &c, err) < 0)
    return -1;
  /* with a user namespace, this process moves the process into the v1 cgroups (spawn.c) */
  if (st->cg.n && c->ns[CFG_NS_USER].enabled)
    capsa_cgroup_prime ();
  if (o->process_file ? read_process_file (o->process_file, &proc, err) < 0
      : (o->args == NULL || o->args[0] == NULL)
          ? capsa_fail_as (err, EINVAL, "exec: a command (or --process) is required") < 0
          : process_from_flags (o, c->process, &proc, err) < 0)
    return -1;
  cfg_process_free (c->process);
  c->process = proc;
  if (proc->terminal && o->detach && o->console_socket == NULL)
    return capsa_fail_as (err, EINVAL, "cannot allocate tty if runc will detach without setting console socket");
  if (o->console_socket && (!proc->terminal || !o->detach))
    return capsa_fail_as (err, EINVAL, "cannot use console socket if runc will not detach or allocate tty");
  return exec_in (o, st, c, exit_status, err);
}
