/* capsa's container lifecycle: see container.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capabilities.h"
#include "config.h"
#include "container.h"
#include "fault.h"
#include "hooks.h"
#include "hostenv.h"
#include "log.h"
#include "notify.h"
#include "seccomp_filter.h"
#include "spawn.h"
#include "state.h"
#include "terminal.h"
#include "util.h"

/* What create has made so far, undone when it fails: the init, the cgroup, the state directory. */
struct create_guard
{
  const char *root, *id;
  pid_t pid;
  struct capsa_cgroup cg;
  bool armed;
};

static void
create_guard_undo (struct create_guard *g)
{
  if (g->armed)
    {
      if (g->pid > 0)
        {
          kill (g->pid, SIGKILL);
          waitpid (g->pid, NULL, 0); /* ours in the fast path; ECHILD otherwise */
        }
      if (g->cg.n)
        {
          cg_signal_all (&g->cg, SIGKILL, NULL);
          cg_destroy (&g->cg, NULL);
        }
      state_remove_dir (g->root, g->id, NULL);
    }
  cg_free (&g->cg);
}

/* linux.resources names a section (even an empty one): the config asks for a cgroup. */
static bool
has_resources (const struct cfg_resources *res)
{
  return res && res->sections != 0;
}

/* Name the container's cgroup directories (cg->n == 0: no cgroup filesystem here), creating
 * nothing yet: they go into the record first. */
static int
plan_cgroup (const char *id, const struct capsa_config *c, struct capsa_cgroup *cg, capsa_err **err)
{
  struct cg_host host;

  if (cg_host_detect (&host, err) < 0)
    return -1;
  int r = 0;
  if (host.layout != CG_LAYOUT_NONE)
    r = cg_plan (&host, c->cgroups_path, id, cg, err);
  else if (has_resources (c->resources))
    r = capsa_fail_as (err, ENOTSUP, "linux.resources: no cgroup filesystem is mounted on this host");
  cg_host_free (&host);
  return r;
}

/* Make the planned cgroup and write linux.resources into it.  A user who may not create cgroups
 * (rootless without delegation) runs without one, unless the config asks for limits.  On failure
 * the caller's guard removes what was made. */
static int
make_cgroup (const struct capsa_config *c, struct capsa_cgroup *cg, capsa_err **err)
{
  const struct cfg_resources *res = c->resources;

  if (cg->n == 0)
    return 0;
  if (cg_make (cg, err) < 0)
    {
      int e = (*err)->errnum;
      /* root of a rootless engine's user namespace is an ordinary user for cgroups */
      if ((geteuid () == 0 && in_initial_userns ()) || (e != EACCES && e != EPERM && e != EROFS))
        return -1;
      if (!has_resources (res))
        {
          capsa_err_free (err);
          cg_free (cg);
          return 0;
        }
      return capsa_err_wrap (err, "linux.resources needs a cgroup this user may create (a delegated cgroup v2 "
                                  "subtree); without one, drop linux.resources");
    }
  capsa_fault_point ("create:cgroup");
  /* everything but the device rules now; those once the child has made its device nodes */
  if (res == NULL)
    return 0;
  struct cfg_resources early = *res; /* (a shallow copy: borrows the lists) */
  early.sections &= ~(1u << CFG_RES_SECTION_DEVICES);
  return cg_apply_resources (cg, &early, "linux.resources", err);
}

/* Once the child is set up, before it may go on: record its pid (so that from here on a runtime
 * killed half-way leaves a container `delete --force` can find), then the device rules (set
 * earlier, they would have forbidden the child's own mknod). */
struct before_go
{
  const struct capsa_cgroup *cg;
  const struct capsa_config *config;
  int dirfd;
  struct capsa_state *st;
};

static int
before_go (void *arg, pid_t init, capsa_err **err)
{
  const struct before_go *l = arg;
  l->st->pid = init;
  if (proc_stat_start (init, &l->st->pid_start, NULL) < 0)
    return capsa_fail_as (err, ESRCH, "container init %d exited during create", (int) init);
  if (state_write (l->dirfd, l->st, err) < 0)
    return -1;
  capsa_fault_point ("create:init"); /* the init exists, is recorded, and waits for the word to go on */
  const struct cfg_resources *res = l->config->resources;
  if (l->cg->n == 0 || res == NULL || !(res->sections & (1u << CFG_RES_SECTION_DEVICES)))
    return 0;
  struct cfg_resources only = { .sections = 1u << CFG_RES_SECTION_DEVICES,
                                .devices = res->devices,
                                .n_devices = res->n_devices };
  return cg_apply_resources (l->cg, &only, "linux.resources", err);
}

struct bundle
{
  struct capsa_config *config; /* the caller's (capsa_create_opts.config) or `owned` */
  struct capsa_config *owned;  /* parsed here from BUNDLE/config.json */
  char *path;                  /* absolute */
  char *rootfs;                /* absolute */
};

static void
bundle_free (struct bundle *b)
{
  if (b->owned)
    cfg_free (b->owned);
  free (b->path);
  free (b->rootfs);
}

static int
check_config (const struct capsa_config *c, const struct capsa_create_opts *o, bool detached, capsa_err **err)
{
  const struct cfg_namespace *ns = c->ns;

  if (c->process == NULL)
    return capsa_fail_as (err, EINVAL, "config.json: process: required to run a container");
  if (!ns[CFG_NS_MOUNT].enabled)
    return capsa_fail_as (err, EINVAL, "config.json: linux.namespaces: a mount namespace is required");
  if (c->hostname && *c->hostname && !(ns[CFG_NS_UTS].enabled))
    return capsa_fail_as (err, EINVAL, "config.json: hostname: unable to set hostname without a private UTS namespace");
  if (c->domainname && *c->domainname && !(ns[CFG_NS_UTS].enabled))
    return capsa_fail (err, EINVAL,
                       "config.json: domainname: unable to set domainname without a private UTS namespace");
  if (ns[CFG_NS_USER].enabled && !ns[CFG_NS_USER].path && (c->n_uid_maps == 0 || c->n_gid_maps == 0))
    return capsa_fail_as (err, EINVAL, "config.json: linux: user namespaces enabled, but no uid or gid mappings found");
  if (c->process->terminal && detached && o->console_socket == NULL)
    return capsa_fail_as (err, EINVAL, "cannot allocate tty if runc will detach without setting console socket");
  if (o->console_socket && (!c->process->terminal || !detached))
    return capsa_fail_as (err, EINVAL, "cannot use console socket if runc will not detach or allocate tty");
  return 0;
}

static int
load_bundle (const struct capsa_create_opts *o, bool detached, struct bundle *b, capsa_err **err)
{
  const char *given = o->bundle && *o->bundle ? o->bundle : ".";
  char buf[PATH_MAX];

  if (realpath (given, buf) == NULL)
    return capsa_fail (err, errno, "bundle `%s`", given);
  b->path = xstrdup (buf);
  cleanup_free char *cfgpath = xasprintf ("%s/config.json", b->path);
  if (o->config == NULL && cfg_parse_file (cfgpath, &b->owned, err) < 0)
    return -1;
  b->config = o->config ? o->config : b->owned;
  if (check_config (b->config, o, detached, err) < 0)
    return -1;
  cleanup_free char *root = b->config->root_path[0] == '/' ? xstrdup (b->config->root_path)
                                                           : xasprintf ("%s/%s", b->path, b->config->root_path);
  struct stat st;
  if (realpath (root, buf) == NULL || stat (buf, &st) < 0)
    return capsa_fail (err, errno, "rootfs `%s` (root.path in %s)", root, cfgpath);
  if (!S_ISDIR (st.st_mode))
    return capsa_fail (err, ENOTDIR, "rootfs `%s` (root.path in %s)", root, cfgpath);
  b->rootfs = xstrdup (buf);
  return 0;
}

/* The config as created, kept beside the state: exec and the poststop hooks at delete use it
 * even when the bundle has changed or gone. */
static int
save_config (int dirfd, json_t *doc, capsa_err **err)
{
  cleanup_free char *s = doc ? json_dumps (doc, JSON_COMPACT) : NULL;
  if (s == NULL)
    return capsa_fail (err, ENOMEM, "encode config.json");
  return write_file_replace_at (dirfd, "config.json", s, strlen (s), 0600, err);
}

/* The saved config (NULL when it cannot be read: a container made by an older capsa). */
static struct capsa_config *
saved_config (int dirfd)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  struct capsa_config *c = NULL;
  if (read_file_at (dirfd, "config.json", &buf, &len, NULL) < 0
      || cfg_parse_string (buf, len, "config.json (saved at create)", &c, NULL) < 0)
    return NULL;
  return c;
}

/* poststart and poststop: a failure is a warning, and the rest goes on (runtime-spec). */
static void
warn_hooks (int dirfd, const struct capsa_state *st, enum cfg_hook_kind kind, const char *status)
{
  if (!st->late_hooks)
    return; /* the common case: no config to read on run, start and delete */
  cleanup_config struct capsa_config *config = saved_config (dirfd);
  if (config && hooks_any (config, kind))
    {
      json_t *state = hooks_state (st->id, status, st->pid, st->bundle, st->annotations);
      hooks_run_warn (config, kind, state);
      json_decref (state);
    }
}

/* LISTEN_FDS from socket activation are passed on like runc: the fds and LISTEN_FDS/LISTEN_PID=1. */
static int
listen_fds (char ***extra_env)
{
  const char *s = capsa_host_env ()->listen_fds;
  int64_t n;
  if (s == NULL || parse_i64 (s, 1, 4096, &n) < 0)
    return 0;
  char *e = xasprintf ("LISTEN_FDS=%d", (int) n);
  strv_append (extra_env, e);
  strv_append (extra_env, "LISTEN_PID=1");
  free (e);
  return (int) n;
}

/* The record first, then what it names: the state directory (mkdir, so one create of an id wins)
 * and in it state.json listing the cgroup directories still to be made, then those, then the
 * notify socket, then the full record and the config.  A create killed at any point leaves a
 * record that `delete --force` cleans up completely.  Returns the locked state dirfd. */
static int
record_and_make (const struct capsa_create_opts *o, bool run_mode, struct bundle *b, struct create_guard *g,
                 struct capsa_state *st, char ***extra_env, int *notify_fd, capsa_err **err)
{
  cleanup_close int dirfd = state_create_dir (o->root, o->id, err);
  if (dirfd < 0)
    return -1;
  g->armed = true;
  capsa_fault_point ("create:dir");
  st->creator_pid = getpid ();
  st->cg = g->cg;
  if (proc_stat_start (st->creator_pid, &st->creator_start, NULL) < 0)
    return capsa_fail (err, ESRCH, "read the start time of this process (%d)", (int) st->creator_pid);
  if (state_write (dirfd, st, err) < 0)
    return -1;
  capsa_fault_point ("create:recorded");
  if (make_cgroup (b->config, &g->cg, err) < 0)
    return -1;
  /* saved as given: before the notify socket's mount is added to the config */
  json_t *doc = cfg_to_json (b->config);
  st->cg = g->cg;
  if (notify_host_socket ())
    {
      cleanup_free char *entry = NULL, *sdir = xasprintf ("%s/%s", o->root, o->id);
      if (notify_prepare (dirfd, sdir, b->config, &entry, err) < 0)
        {
          json_decref (doc);
          return -1;
        }
      strv_append (extra_env, entry);
      /* run: the process goes right away, so listen now */
      if (run_mode && (*notify_fd = notify_bind (dirfd, err)) < 0)
        {
          json_decref (doc);
          return -1;
        }
      capsa_fault_point ("create:notify");
    }
  int saved = state_write (dirfd, st, err) < 0 || save_config (dirfd, doc, err) < 0 ? -1 : 0;
  json_decref (doc);
  if (saved < 0)
    return -1;
  capsa_fault_point ("create:configured");
  return take_fd (&dirfd);
}

/* Everything the child will apply, prepared and checked before anything is created: the config,
 * the capabilities, the seccomp program, the cgroup's names. */
static int
prepare_create (const struct capsa_create_opts *o, bool detached, struct bundle *b, struct caps_plan *caps,
                struct seccomp_plan *seccomp, struct capsa_cgroup *cg, capsa_err **err)
{
  /* compiled seccomp programs, beside the containers ('#' is never in a container id) */
  cleanup_free char *cache_dir = xasprintf ("%s/#seccomp-cache", o->root);

  if (state_validate_id (o->id, err) < 0 || load_bundle (o, detached, b, err) < 0)
    return -1;
  /* with a user namespace, this process moves the init into its v1 cgroups (spawn.c) */
  if (!o->no_cgroups && b->config->ns[CFG_NS_USER].enabled)
    capsa_cgroup_prime ();
  if (caps_plan_make (b->config->process, caps, err) < 0
      || seccomp_plan_make (b->config->seccomp, cache_dir, seccomp, err) < 0)
    return -1;
  if (!o->no_cgroups && plan_cgroup (o->id, b->config, cg, err) < 0)
    return -1;
  return 0;
}

/* The fifo the init waits on until start (create, not run); returns its read end. */
static int
open_exec_fifo (int dirfd, const char *id, capsa_err **err)
{
  if (mkfifoat (dirfd, "exec.fifo", 0600) < 0)
    return capsa_fail (err, errno, "create exec fifo for `%s`", id);
  int fifo = openat (dirfd, "exec.fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return capsa_fail (err, errno, "open exec fifo for `%s`", id);
  capsa_fault_point ("create:fifo");
  return fifo;
}

/* Once the init is spawned: its terminal to the console socket, the final record, the pid file. */
static int
finish_create (const struct capsa_create_opts *o, int dirfd, struct capsa_state *st, struct spawn_result *res,
               capsa_err **err)
{
  if (res->pty_master >= 0 && o->console_socket)
    {
      int sent = term_send_to_console_socket (o->console_socket, res->pty_master, err);
      close (res->pty_master);
      res->pty_master = -1;
      if (sent < 0)
        return -1;
    }
  st->pid = res->pid;
  st->creating = false;
  if (proc_stat_start (res->pid, &st->pid_start, NULL) < 0)
    return capsa_fail_as (err, ESRCH, "container init %d exited during create", (int) res->pid);
  if (state_write (dirfd, st, err) < 0)
    return -1;
  capsa_fault_point ("create:done");
  if (o->pid_file && state_write_pid_file (o->pid_file, res->pid, err) < 0)
    return -1;
  return 0;
}

/* The common part of create and run.  run_mode: no exec fifo, the init execs as soon as it is
 * ready.  On success the container is recorded and res describes its init. */
static int
do_create (const struct capsa_create_opts *o, bool run_mode, struct spawn_result *res, int *notify_fd, capsa_err **err)
{
  struct bundle b = { 0 };
  struct create_guard g = { .root = o->root, .id = o->id };
  cleanup_close int dirfd = -1, fifo = -1;
  cleanup_strv char **extra_env = NULL;
  struct caps_plan caps;
  struct seccomp_plan seccomp = { 0 };
  char now[48];
  int r = -1;

  if (prepare_create (o, !run_mode || o->detach, &b, &caps, &seccomp, &g.cg, err) < 0)
    goto out;
  now_rfc3339 (now, sizeof now);
  struct capsa_state st = { .id = (char *) o->id,
                            .bundle = b.path,
                            .rootfs = b.rootfs,
                            .created = now,
                            .owner = "",
                            .creating = true,
                            .annotations = b.config->annotations,
                            .pid_ns_private = b.config->ns[CFG_NS_PID].enabled && !b.config->ns[CFG_NS_PID].path,
                            .late_hooks = hooks_any (b.config, CFG_HOOK_POSTSTART)
                                          || hooks_any (b.config, CFG_HOOK_POSTSTOP) };
  dirfd = record_and_make (o, run_mode, &b, &g, &st, &extra_env, notify_fd, err);
  if (dirfd < 0 || (!run_mode && (fifo = open_exec_fifo (dirfd, o->id, err)) < 0))
    goto out;
  struct spawn_opts so = { .config = b.config,
                           .bundle = b.path,
                           .rootfs = b.rootfs,
                           .no_pivot = o->no_pivot,
                           .no_new_keyring = o->no_new_keyring,
                           .exec_fifo = fifo,
                           .cgroup = g.cg.n ? &g.cg : NULL,
                           .caps = &caps,
                           .seccomp = &seccomp,
                           .id = o->id,
                           .copy_winsize = run_mode && !o->detach };
  struct before_go late = { &g.cg, b.config, dirfd, &st };
  so.after_setup = before_go;
  so.after_setup_arg = &late;
  so.preserve_fds = o->preserve_fds + listen_fds (&extra_env);
  so.extra_env = extra_env;
  if (spawn_container (&so, res, err) < 0)
    goto out;
  g.pid = res->pid;
  capsa_fault_point ("create:spawned");
  if (finish_create (o, dirfd, &st, res, err) < 0)
    goto out;
  g.armed = false;
  r = 0;
out:
  if (r < 0)
    {
      if (res->sync_fd >= 0)
        close (res->sync_fd);
      if (res->pty_master >= 0)
        close (res->pty_master);
      res->sync_fd = res->pty_master = -1;
    }
  create_guard_undo (&g);
  seccomp_plan_free (&seccomp);
  bundle_free (&b);
  return r;
}

int
capsa_container_create (const struct capsa_create_opts *o, capsa_err **err)
{
  struct spawn_result res = { .sync_fd = -1, .pty_master = -1 };
  int notify = -1;
  if (do_create (o, false, &res, &notify, err) < 0)
    return -1;
  close (res.sync_fd);
  return 0;
}

static bool is_alive (pid_t pid, uint64_t start);
static bool init_alive (pid_t pid, void *arg);

int
capsa_container_start (const char *root, const char *id, capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, true, err);
  cleanup_close int fifo = -1;

  if (dirfd < 0 || state_load (dirfd, id, &st, err) < 0)
    return -1;
  switch (st->status)
    {
    case CAPSA_STATUS_CREATED:
      break;
    case CAPSA_STATUS_STOPPED:
      return capsa_fail_as (err, EINVAL, "cannot start a container that has stopped");
    case CAPSA_STATUS_RUNNING:
      return capsa_fail_as (err, EINVAL, "cannot start an already running container");
    default:
      return capsa_fail_as (err, EINVAL, "cannot start a container in the %s state", capsa_status_name (st->status));
    }
  fifo = openat (dirfd, "exec.fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (fifo < 0)
    return capsa_fail (err, errno == ENXIO ? EINVAL : errno, "cannot start a container that has stopped");
  /* made with NOTIFY_SOCKET: listen before the process can speak */
  int notify = -1;
  if (notify_host_socket () && faccessat (dirfd, "notify", F_OK, 0) == 0 && (notify = notify_bind (dirfd, err)) < 0)
    return -1;
  if (write_all (fifo, "0", 1) < 0)
    {
      if (notify >= 0)
        close (notify);
      return capsa_fail (err, errno, "release the container init of `%s`", id);
    }
  capsa_fault_point ("start:released");
  if (unlinkat (dirfd, "exec.fifo", 0) < 0)
    {
      if (notify >= 0)
        close (notify);
      return capsa_fail (err, errno, "remove exec fifo of `%s`", id);
    }
  if (notify >= 0 && notify_relay (notify, notify_host_socket (), st->pid, init_alive, st, err) < 0)
    return -1;
  warn_hooks (dirfd, st, CFG_HOOK_POSTSTART, "running");
  return 0;
}

/* ---- kill and delete ----------------------------------------------------------------------- */

static bool
is_alive (pid_t pid, uint64_t start)
{
  uint64_t s;
  char state;
  return proc_stat_start (pid, &s, &state) == 0 && s == start && state != 'Z' && state != 'X';
}

static bool
init_alive (pid_t pid, void *arg)
{
  const struct capsa_state *st = arg;
  return is_alive (pid, st->pid_start);
}

/* Signal every process in init's pid namespace (a private one: its init is the container's). */
static int
signal_pid_namespace (pid_t init, int sig)
{
  char path[64];
  struct stat ref;
  cleanup_dir DIR *d = opendir ("/proc");
  struct dirent *de;

  snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) init);
  if (stat (path, &ref) < 0 || d == NULL)
    return -1;
  while ((de = readdir (d)))
    {
      struct stat st;
      int64_t pid;
      if (parse_i64 (de->d_name, 1, INT32_MAX, &pid) < 0)
        continue;
      snprintf (path, sizeof path, "/proc/%d/ns/pid", (int) pid);
      if (stat (path, &st) == 0 && st.st_ino == ref.st_ino && st.st_dev == ref.st_dev)
        kill ((pid_t) pid, sig);
    }
  return 0;
}

/* --all reaches every process through the cgroup, or the private pid namespace without one. */
static int
signal_container (const struct capsa_state *st, int sig, bool all, capsa_err **err)
{
  if (all && st->cg.n && cg_signal_all (&st->cg, sig, NULL) == 0)
    return 0;
  if (all && st->pid_ns_private && signal_pid_namespace (st->pid, sig) == 0)
    return 0;
  if (kill (st->pid, sig) < 0)
    return capsa_fail (err, errno, errno == ESRCH ? "container not running" : "kill container init %d", (int) st->pid);
  /* a frozen (v1) process acts on SIGKILL only once thawed */
  if (sig == SIGKILL && st->status == CAPSA_STATUS_PAUSED)
    cg_freeze (&st->cg, false, NULL);
  return 0;
}

int
capsa_container_kill (const char *root, const char *id, int sig, bool all, capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, false, err);

  if (dirfd < 0 || state_load (dirfd, id, &st, err) < 0)
    return -1;
  if (st->status == CAPSA_STATUS_STOPPED || st->pid <= 0)
    return capsa_fail_as (err, ESRCH, "container not running");
  return signal_container (st, sig, all, err);
}

static int
wait_dead (const struct capsa_state *st, capsa_err **err)
{
  struct timespec ts = { 0, 1000000 };
  for (int i = 0; i < 2000; i++)
    {
      if (!is_alive (st->pid, st->pid_start))
        return 0;
      waitpid (st->pid, NULL, WNOHANG); /* reap it when it is ours (run) */
      nanosleep (&ts, NULL);
      if (ts.tv_nsec < 10000000)
        ts.tv_nsec *= 2;
    }
  return capsa_fail_as (err, ETIMEDOUT, "container init %d did not exit after SIGKILL", (int) st->pid);
}

/* Kill what is left in the cgroup (a process the init left behind, say) and remove it. */
static int
destroy_cgroup (const struct capsa_cgroup *cg, capsa_err **err)
{
  struct timespec ts = { 0, 1000000 };
  for (int i = 0; i < 200 && !cg_is_empty (cg); i++)
    {
      cg_signal_all (cg, SIGKILL, NULL);
      nanosleep (&ts, NULL);
      if (ts.tv_nsec < 20000000)
        ts.tv_nsec *= 2;
    }
  if (cg_is_frozen (cg))
    cg_freeze (cg, false, NULL);
  return cg_destroy (cg, err);
}

static int
destroy (const char *root, int dirfd, const struct capsa_state *st, capsa_err **err)
{
  if (is_alive (st->pid, st->pid_start))
    {
      signal_container (st, SIGKILL, true, NULL);
      if (wait_dead (st, err) < 0)
        return -1;
    }
  capsa_fault_point ("delete:killed");
  if (st->cg.n && destroy_cgroup (&st->cg, err) < 0)
    return capsa_err_wrap (err, "delete container `%s`", st->id);
  capsa_fault_point ("delete:cgroup");
  warn_hooks (dirfd, st, CFG_HOOK_POSTSTOP, "stopped");
  return state_remove_dir (root, st->id, err);
}

int
capsa_container_delete (const char *root, const char *id, bool force, capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, true, err);

  /* runc: --force of a container that does not exist succeeds (engines such as podman delete
   * with --force after every failed create, and would report its error as a second one) */
  if (dirfd < 0 && force && (*err)->errnum == ENOENT && state_validate_id (id, NULL) == 0)
    {
      capsa_err_free (err);
      return 0;
    }
  if (dirfd < 0 || state_load (dirfd, id, &st, err) < 0)
    return -1;
  switch (st->status)
    {
    case CAPSA_STATUS_STOPPED:
    case CAPSA_STATUS_CREATED:
      break;
    default:
      if (!force)
        return capsa_fail_as (err, EBUSY, "cannot delete container %s that is not stopped: %s", id,
                              capsa_status_name (st->status));
    }
  return destroy (root, dirfd, st, err);
}

/* ---- cgroup commands: pause, resume, update, ps, stats -------------------------------------- */

static int
need_cgroup (const struct capsa_state *st, const char *what, capsa_err **err)
{
  if (st->cg.n == 0)
    return capsa_fail_as (err, ENOTSUP,
                          "cannot %s container `%s`: it has no cgroup (created with "
                          "--cgroup-manager disabled, or rootless without a delegated cgroup)",
                          what, st->id);
  return 0;
}

int
capsa_container_pause (const char *root, const char *id, bool pause, capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, true, err);

  if (dirfd < 0 || state_load (dirfd, id, &st, err) < 0)
    return -1;
  if (pause && st->status != CAPSA_STATUS_RUNNING)
    return capsa_fail_as (err, EINVAL, "container not running: `%s` is %s", id, capsa_status_name (st->status));
  if (!pause && st->status != CAPSA_STATUS_PAUSED)
    return capsa_fail_as (err, EINVAL, "container not paused: `%s` is %s", id, capsa_status_name (st->status));
  if (need_cgroup (st, pause ? "pause" : "resume", err) < 0)
    return -1;
  return cg_freeze (&st->cg, pause, err);
}

int
capsa_container_update (const char *root, const char *id, json_t *resources, capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, true, err);

  if (dirfd < 0 || state_load (dirfd, id, &st, err) < 0)
    return -1;
  if (st->status == CAPSA_STATUS_STOPPED)
    return capsa_fail_as (err, EINVAL, "container not running: cannot update `%s`, it has stopped", id);
  if (need_cgroup (st, "update", err) < 0)
    return -1;
  struct cfg_resources *res = NULL;
  if (cfg_parse_resources (resources, "update", &res, err) < 0)
    return -1;
  int r = cg_apply_resources (&st->cg, res, "update", err);
  cfg_resources_free (res);
  return r;
}

int
capsa_container_pids (const char *root, const char *id, pid_t **pids, size_t *n, capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, false, err);

  *pids = NULL;
  *n = 0;
  if (dirfd < 0 || state_load (dirfd, id, &st, err) < 0)
    return -1;
  if (st->status == CAPSA_STATUS_STOPPED && (st->cg.n == 0 || cg_is_empty (&st->cg)))
    return 0;
  if (st->cg.n)
    return cg_pids (&st->cg, pids, n, err);
  *pids = xmalloc0 (sizeof **pids);
  (*pids)[(*n)++] = st->pid; /* without a cgroup, the init is all that is known for sure */
  return 0;
}

int
capsa_container_stats (const char *root, const char *id, json_t **data, long long *oom_kills, bool *running,
                       capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, false, err);

  if (dirfd < 0 || state_load (dirfd, id, &st, err) < 0)
    return -1;
  *running = st->status != CAPSA_STATUS_STOPPED;
  if (need_cgroup (st, "get stats of", err) < 0 || cg_stats (&st->cg, data, err) < 0)
    return -1;
  *oom_kills = cg_oom_kills (&st->cg);
  return 0;
}

/* ---- state and list ------------------------------------------------------------------------ */

int
capsa_container_state (const char *root, const char *id, json_t **out, capsa_err **err)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, false, err);

  if (dirfd < 0 || state_load (dirfd, id, &st, err) < 0)
    return -1;
  *out = state_to_oci_json (st);
  return 0;
}

int
capsa_container_list (const char *root, json_t **out, capsa_err **err)
{
  cleanup_dir DIR *d = opendir (root);
  json_t *arr = json_array ();
  struct dirent *de;

  if (d == NULL && errno != ENOENT)
    {
      json_decref (arr);
      return capsa_fail (err, errno, "open runtime root `%s`", root);
    }
  while (d && (de = readdir (d)))
    {
      cleanup_err capsa_err *e = NULL;
      json_t *one = NULL;
      if (de->d_name[0] == '.' || state_validate_id (de->d_name, NULL) < 0)
        continue;
      if (capsa_container_state (root, de->d_name, &one, &e) == 0)
        json_array_append_new (arr, one);
    }
  *out = arr;
  return 0;
}

/* ---- run ----------------------------------------------------------------------------------- */

#include "runloop.h"

/* (not kill(pid, 0): in the foreground the init is our child, and a zombie answers it) */
static bool
pid_alive (pid_t pid, void *arg)
{
  uint64_t start;
  char state;
  (void) arg;
  return proc_stat_start (pid, &start, &state) == 0 && state != 'Z' && state != 'X';
}

/* run with NOTIFY_SOCKET: wait for the process's READY=1 and pass it on (consumes fd). */
static int
relay_ready (const struct capsa_create_opts *o, pid_t pid, int fd, capsa_err **err)
{
  (void) o;
  return notify_relay (fd, notify_host_socket (), pid, pid_alive, NULL, err);
}

static void
run_poststart (const struct capsa_create_opts *o)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (o->root, o->id, false, NULL);
  if (dirfd >= 0 && state_load (dirfd, o->id, &st, NULL) == 0)
    warn_hooks (dirfd, st, CFG_HOOK_POSTSTART, "running");
}

/* the memory cgroup's oom_kill count (v2 memory.events, v1 memory.oom_control); -1: unknown */
static long long
run_oom_kills (const char *root, const char *id)
{
  cleanup_state struct capsa_state *st = NULL;
  cleanup_close int dirfd = state_open_dir (root, id, false, NULL);
  if (dirfd < 0 || state_load (dirfd, id, &st, NULL) < 0 || st->cg.n == 0)
    return -1;
  return cg_oom_kills (&st->cg);
}

int
capsa_container_run (const struct capsa_create_opts *o, int *exit_status, capsa_err **err)
{
  struct spawn_result res = { .sync_fd = -1, .pty_master = -1 };
  struct runloop rl;

  *exit_status = 0;
  int notify = -1;
  if (o->detach)
    {
      if (do_create (o, true, &res, &notify, err) < 0)
        return -1;
      close (res.sync_fd);
      if (notify >= 0 && relay_ready (o, res.pid, notify, err) < 0)
        return -1;
      run_poststart (o);
      return 0;
    }
  if (runloop_prepare (&rl, err) < 0)
    return -1;
  if (do_create (o, true, &res, &notify, err) < 0)
    {
      runloop_release (&rl);
      return -1;
    }
  int r = spawn_wait_exec (res.sync_fd, err);
  close (res.sync_fd);
  if (r == 0 && notify >= 0)
    r = relay_ready (o, res.pid, notify, err);
  else if (notify >= 0)
    close (notify);
  if (r == 0)
    run_poststart (o);
  if (r == 0)
    *exit_status = runloop_wait (&rl, res.pid, res.pty_master, o->interrupted);
  runloop_release (&rl);
  if (o->oom_kills)
    *o->oom_kills = run_oom_kills (o->root, o->id);
  if (res.pty_master >= 0)
    close (res.pty_master);
  cleanup_err capsa_err *derr = NULL;
  if (capsa_container_delete (o->root, o->id, true, &derr) < 0 && r == 0)
    {
      *err = take_ptr (&derr);
      return -1;
    }
  return r;
}
