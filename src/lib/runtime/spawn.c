/* Starting a container's init: see spawn.h. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/keyctl.h>
#include <unistd.h>

#include "hooks.h"
#include "log.h"
#include "mounts.h"
#include "namespaces.h"
#include "netlink.h"
#include "process.h"
#include "rootfs_setup.h"
#include "spawn.h"
#include "sync.h"
#include "terminal.h"
#include "util.h"

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif

/* ---- child side ---------------------------------------------------------------------------- */

/* The container's init as the host sees it, as the runtime said in its GO messages. */
static pid_t host_pid;

/* The runtime's own namespaces (stat of /proc/self/ns/X before the clone), by CFG_NS_* type; the
 * init compares its own against them before it writes a sysctl.  st_ino 0: unknown. */
static struct stat runtime_ns[CFG_NS_COUNT];

static void
record_ns (struct stat ns[CFG_NS_COUNT])
{
  static const int types[] = { CFG_NS_NETWORK, CFG_NS_IPC, CFG_NS_UTS };
  for (size_t i = 0; i < ARRAY_SIZE (types); i++)
    {
      char path[64];
      snprintf (path, sizeof path, "/proc/self/ns/%s", cfg_ns_proc_name (types[i]));
      if (stat (path, &ns[types[i]]) < 0)
        memset (&ns[types[i]], 0, sizeof ns[types[i]]);
    }
}

/* Which of the namespaces sysctls care about the init does not share with the runtime: bits
 * (1 << CFG_NS_*).  One it cannot tell counts as shared (no sysctl of it is written). */
static unsigned
own_namespaces (void)
{
  struct stat mine[CFG_NS_COUNT] = { 0 };
  unsigned own = 0;
  record_ns (mine);
  for (int t = 0; t < CFG_NS_COUNT; t++)
    if (mine[t].st_ino && runtime_ns[t].st_ino
        && (mine[t].st_ino != runtime_ns[t].st_ino || mine[t].st_dev != runtime_ns[t].st_dev))
      own |= 1u << t;
  return own;
}

static int
wait_for (int sock, int type, capsa_err **err)
{
  struct sync_msg m;
  int r = sync_recv (sock, &m, NULL);
  if (r <= 0 || m.type != type)
    return capsa_fail_as (err, r < 0 ? errno : EPIPE, "setup channel: runtime went away");
  if (m.pid > 0)
    host_pid = m.pid;
  return 0;
}

/* Hooks the child runs itself (createContainer, startContainer). */
static int
child_hooks (const struct spawn_opts *o, enum cfg_hook_kind kind, const char *status, capsa_err **err)
{
  if (!hooks_any (o->config, kind))
    return 0;
  json_t *state = hooks_state (o->id, status, host_pid, o->bundle, o->config->annotations);
  int r = hooks_run (o->config, kind, state, err);
  json_decref (state);
  return r;
}

struct pivot_hooks
{
  const struct spawn_opts *o;
  int sock;
};

/* Before pivot_root: the runtime's hooks (over the channel), then createContainer here. */
static int
hooks_before_pivot (void *arg, capsa_err **err)
{
  const struct spawn_opts *o = ((const struct pivot_hooks *) arg)->o;
  int sock = ((const struct pivot_hooks *) arg)->sock;
  if (hooks_any (o->config, CFG_HOOK_PRESTART) || hooks_any (o->config, CFG_HOOK_CREATE_RUNTIME))
    {
      if (sync_send (sock, SYNC_HOOKS, 0, -1) < 0)
        return capsa_fail (err, errno, "setup channel: ask for the createRuntime hooks");
      if (wait_for (sock, SYNC_GO, err) < 0)
        return -1;
    }
  return child_hooks (o, CFG_HOOK_CREATE_CONTAINER, "creating", err);
}

static bool child_joins_v1 (const struct spawn_opts *o, const struct ns_plan *plan);

/* A network namespace the runtime creates gets its loopback up, as runc does (its "loopback"
 * network strategy): 127.0.0.1 works in a container without any other network. */
static int
child_loopback_up (capsa_err **err)
{
  cleanup_nl struct nl_sock *nl = NULL;
  if (nl_open (&nl, err) < 0 || nl_link_set (nl, "lo", NULL, NULL, 0, true, err) < 0)
    return capsa_err_wrap (err, "set the loopback of the new network namespace up");
  return 0;
}

/* Enter the namespaces: join, unshare, fork when the init must be a child.  Returns in the
 * process that will be the container's init. */
static int
child_enter_namespaces (const struct spawn_opts *o, const struct ns_plan *plan, const int nsfds[], int sock,
                        capsa_err **err)
{
  if (wait_for (sock, SYNC_GO, err) < 0)
    return -1;
  if (child_joins_v1 (o, plan) && cg_enter_self_v1 (o->cgroup, err) < 0)
    return -1;
  if (plan->join_any && ns_join_all (nsfds, err) < 0)
    return -1;
  if (plan->unshare_flags & CLONE_NEWUSER)
    {
      if (unshare (CLONE_NEWUSER) < 0)
        return capsa_fail (err, errno, "unshare user namespace");
      if (sync_send (sock, SYNC_USERNS, 0, -1) < 0 || wait_for (sock, SYNC_USERNS_DONE, err) < 0)
        return capsa_fail (err, errno, "setup channel: user namespace maps");
    }
  if (plan->new_user || o->config->ns[CFG_NS_USER].path)
    {
      /* become root of the namespace when root is mapped (mount points get created as it) */
      if (setresgid (0, 0, 0) < 0 && errno != EINVAL)
        return capsa_fail (err, errno, "setgid 0 in the user namespace");
      if (setresuid (0, 0, 0) < 0 && errno != EINVAL)
        return capsa_fail (err, errno, "setuid 0 in the user namespace");
    }
  int rest = plan->unshare_flags & ~CLONE_NEWUSER;
  if (rest && unshare (rest) < 0)
    return capsa_fail (err, errno, "unshare namespaces (flags 0x%x)", rest);
  if ((rest & CLONE_NEWTIME) && ns_write_time_offsets (o->config, err) < 0)
    return -1;
  if (((plan->clone_flags | rest) & CLONE_NEWNET) && child_loopback_up (err) < 0)
    return -1;
  if (plan->need_fork)
    {
      pid_t pid = fork ();
      if (pid < 0)
        return capsa_fail (err, errno, "fork the container init");
      if (pid > 0)
        {
          /* the intermediate process: tell the runtime who the init is and leave */
          sync_send (sock, SYNC_PID, pid, -1);
          _exit (0);
        }
    }
  return 0;
}

static int
child_set_names (const struct capsa_config *c, capsa_err **err)
{
  if (c->hostname && sethostname (c->hostname, strlen (c->hostname)) < 0)
    return capsa_fail (err, errno, "set hostname `%s`", c->hostname);
  if (c->domainname && setdomainname (c->domainname, strlen (c->domainname)) < 0)
    return capsa_fail (err, errno, "set domainname `%s`", c->domainname);
  return 0;
}

static int
child_setup_terminal (const struct cfg_process *p, int sock, capsa_err **err)
{
  int master = -1, slave = -1;
  if (term_open_pty (&master, &slave, err) < 0)
    return -1;
  int r = sync_send (sock, SYNC_PTY, 0, master);
  close (master);
  if (r < 0)
    {
      close (slave);
      return capsa_fail (err, errno, "send the pty master to the runtime");
    }
  r = term_attach_slave (slave, p->console_height, p->console_width, err);
  if (slave > 2)
    close (slave);
  return r;
}

static char **
build_env (char **env, char **extra)
{
  char **out = xmalloc0 (sizeof (char *));
  for (char **e = env; e && *e; e++)
    strv_append (&out, *e);
  for (char **e = extra; e && *e; e++)
    strv_append (&out, *e);
  return out;
}

static int
wait_exec_fifo (int fd, capsa_err **err)
{
  struct pollfd pfd = { .fd = fd, .events = POLLIN };
  char c;

  /* No writer has ever opened the fifo: poll() blocks (no POLLHUP) until `start` writes. */
  while (poll (&pfd, 1, -1) < 0)
    if (errno != EINTR)
      return capsa_fail (err, errno, "wait on the exec fifo");
  if (read (fd, &c, 1) != 1)
    return capsa_fail (err, EPIPE, "exec fifo closed without a start");
  return 0;
}

static void
reset_signals (void)
{
  sigset_t all;
  struct sigaction dfl = { .sa_handler = SIG_DFL };
  for (int s = 1; s < NSIG; s++)
    if (s != SIGKILL && s != SIGSTOP)
      sigaction (s, &dfl, NULL);
  sigemptyset (&all);
  sigprocmask (SIG_SETMASK, &all, NULL);
}

/* The filter goes in right before execve, unless loading it then would be refused (no
 * no_new_privs: it needs CAP_SYS_ADMIN, gone with the capabilities) or a listener must get its fd
 * while the runtime is still there. */
static bool
seccomp_early (const struct spawn_opts *o)
{
  return seccomp_plan_active (o->seccomp) && (!o->config->process->no_new_privileges || o->seccomp->notify);
}

static int
load_seccomp (const struct spawn_opts *o, int sock, capsa_err **err)
{
  int fd = -1;
  if (seccomp_plan_load (o->seccomp, &fd, err) < 0)
    return -1;
  if (fd >= 0)
    {
      int r = sync_send (sock, SYNC_SECCOMP, 0, fd);
      close (fd);
      if (r < 0)
        return capsa_fail (err, errno, "send the seccomp listener fd to the runtime");
    }
  return 0;
}

static int child_init_process (const struct spawn_opts *o, int sock, char **exe, capsa_err **err);

/* exec: the namespaces are joined already; take the init's root (a chroot'ed container's mount
 * namespace has the host's root as its own), then set up the process. */
static int
child_init_exec (const struct spawn_opts *o, int sock, char **exe, capsa_err **err)
{
  /* its own session, with a terminal or without, as runc's nsexec does for every process: a
   * signal to the exec'd process group (a shell's job control, kill -PGID) reaches it alone */
  if (setsid () < 0)
    return capsa_fail (err, errno, "setsid");
  if (fchdir (o->exec_root_fd) < 0 || chroot (".") < 0 || chdir ("/") < 0)
    return capsa_fail (err, errno, "enter the container's root");
  return child_init_process (o, sock, exe, err);
}

static int
child_init (const struct spawn_opts *o, const struct ns_plan *plan, const int *srcfds, int sock, char **exe,
            capsa_err **err)
{
  const struct capsa_config *c = o->config;
  struct pivot_hooks hook_arg = { o, sock };
  struct rootfs_opts ro = { .rootfs = o->rootfs,
                            .no_pivot = o->no_pivot,
                            .in_userns = plan->new_user || c->ns[CFG_NS_USER].path != NULL || !in_initial_userns (),
                            .src_fds = srcfds,
                            .before_pivot = hooks_before_pivot,
                            .before_pivot_arg = &hook_arg };

  if (o->exec_mode)
    return child_init_exec (o, sock, exe, err);
  if (setsid () < 0)
    return capsa_fail (err, errno, "setsid");
  if (child_set_names (c, err) < 0)
    return -1;
  if (chdir (o->bundle) < 0)
    {
      if (errno == EACCES && ro.in_userns)
        return capsa_fail (err, errno,
                           "chdir to bundle `%s` (the container's root user, mapped by linux.uidMappings, must be "
                           "able to search every directory above the bundle)",
                           o->bundle);
      return capsa_fail (err, errno, "chdir to bundle `%s`", o->bundle);
    }
  umask (0);
  /* the namespaces as joined and created, read while /proc is still the runtime's */
  unsigned own_ns = c->n_sysctls ? own_namespaces () : 0;
  if (c->ns[CFG_NS_MOUNT].enabled)
    {
      /* sysctls go in between: after pivot_root the container's own /proc is there, and
       * rootfs_finish then makes /proc/sys read-only (runc's order) */
      if (rootfs_setup (c, &ro, err) < 0 || proc_apply_sysctls (c, own_ns, err) < 0 || rootfs_finish (c, &ro, err) < 0)
        return -1;
    }
  else if (proc_apply_sysctls (c, own_ns, err) < 0)
    return -1;
  return child_init_process (o, sock, exe, err);
}

/* ---- HOME (issue 13 item 7) ---- */

/* "HOME=..." for the process when process.env has no HOME; NULL otherwise.  Child only. */
static char *child_home;

/* The home field of uid's line in passwd file f, NULL when there is none (or it is not absolute). */
static char *
passwd_home (FILE *f, uid_t uid)
{
  cleanup_free char *line = NULL;
  size_t cap = 0;
  while (getline (&line, &cap, f) > 0)
    {
      char *field[7] = { 0 }, *p = line;
      int n = 0;
      line[strcspn (line, "\n")] = '\0';
      for (; n < 7 && p; n++)
        field[n] = strsep (&p, ":");
      char *end;
      if (n < 6 || field[2][0] == '\0')
        continue;
      unsigned long id = strtoul (field[2], &end, 10);
      if (*end == '\0' && id == (unsigned long) uid && field[5][0] == '/')
        return xstrdup (field[5]);
    }
  return NULL;
}

/* As runc (setupUser): HOME comes from the container's /etc/passwd for process.user.uid, "/"
 * when the uid is not there, unless process.env sets it.  Read before the uid changes, with the
 * container's root as /, so the lookup stays in the container; a passwd that is not a regular
 * file (a fifo would block) counts as none. */
static void
child_find_home (const struct cfg_process *p)
{
  for (char **e = p->env; e && *e; e++)
    if (strncmp (*e, "HOME=", 5) == 0)
      return;
  cleanup_free char *home = NULL;
  int fd = open ("/etc/passwd", O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  struct stat st;
  if (fd >= 0 && fstat (fd, &st) == 0 && S_ISREG (st.st_mode))
    {
      FILE *f = fdopen (fd, "re");
      if (f)
        {
          fd = -1;
          home = passwd_home (f, p->user.uid);
          fclose (f);
        }
    }
  if (fd >= 0)
    close (fd);
  child_home = xasprintf ("HOME=%s", home ? home : "/");
}

/* The process itself, for create and exec alike: keyring, terminal, limits, seccomp (early),
 * capabilities and user, no_new_privs, cwd, executable. */
static int
child_init_process (const struct spawn_opts *o, int sock, char **exe, capsa_err **err)
{
  const struct cfg_process *p = o->config->process;

  /* A private session keyring, as runc: keys of the host's session stay out of reach. */
  if (!o->no_new_keyring && syscall (SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, NULL) < 0 && errno != ENOSYS)
    return capsa_fail (err, errno, "join a new session keyring (--no-new-keyring keeps the caller's)");
  if (p->terminal && child_setup_terminal (p, sock, err) < 0)
    return -1;
  if (proc_apply_limits (p, err) < 0)
    return -1;
  if (seccomp_early (o) && load_seccomp (o, sock, err) < 0)
    return -1;
  char warning[512];
  child_find_home (p);
  if (caps_before_user (o->caps, err) < 0 || proc_set_user (p, err) < 0
      || caps_after_user (o->caps, warning, sizeof warning, err) < 0)
    return -1;
  if (warning[0])
    sync_send_warning (sock, warning);
  if (proc_set_no_new_privs (p, err) < 0 || proc_set_cwd (p, err) < 0)
    return -1;
  return proc_find_executable (p, exe, err);
}

/* Nothing of the runtime's may stay open in the container (a state directory fd would even
 * keep its lock): keep only the channel, the fifo, the namespaces to join, the bind sources and
 * the fds passed on to the process (stdio and the preserved range). */
static void
child_close_fds (const struct spawn_opts *o, const int nsfds[], const int *srcfds, int sock)
{
  size_t nsrc = srcfds ? o->config->n_mounts : 0;
  cleanup_free int *keep = xmalloc0 ((CFG_NS_COUNT + 3 + nsrc) * sizeof (int));
  memcpy (keep, nsfds, CFG_NS_COUNT * sizeof (int));
  keep[CFG_NS_COUNT] = sock;
  keep[CFG_NS_COUNT + 1] = o->exec_fifo;
  keep[CFG_NS_COUNT + 2] = o->exec_mode ? o->exec_root_fd : -1;
  if (nsrc)
    memcpy (keep + CFG_NS_COUNT + 3, srcfds, nsrc * sizeof (int));
  close_fds_except (3 + o->preserve_fds, keep, CFG_NS_COUNT + 3 + nsrc);
}

static _Noreturn void
child_main (const struct spawn_opts *o, const struct ns_plan *plan, const int nsfds[], int *srcfds, int sock)
{
  cleanup_err capsa_err *err = NULL;
  cleanup_free char *exe = NULL;
  char **env;

  child_close_fds (o, nsfds, srcfds, sock);
  if (child_enter_namespaces (o, plan, nsfds, sock, &err) < 0 || child_init (o, plan, srcfds, sock, &exe, &err) < 0)
    {
      sync_send_error (sock, err);
      _exit (1);
    }
  if (srcfds)
    mnt_close_sources (srcfds, o->config->n_mounts);
  env = build_env (o->config->process->env, o->extra_env);
  if (child_home)
    strv_append (&env, child_home);
  /* Belt and braces: whatever was opened since (all O_CLOEXEC) goes at exec too. */
  if (syscall (SYS_close_range, 3 + o->preserve_fds, ~0U, CLOSE_RANGE_CLOEXEC) < 0)
    for (int fd = 3 + o->preserve_fds; fd < 65536; fd++)
      fcntl (fd, F_SETFD, FD_CLOEXEC);
  sync_send (sock, SYNC_READY, 0, -1);
  if (wait_for (sock, SYNC_GO, &err) < 0)
    _exit (1);
  if (o->exec_fifo >= 0 && wait_exec_fifo (o->exec_fifo, &err) < 0)
    _exit (1);
  if (!o->exec_mode && child_hooks (o, CFG_HOOK_START_CONTAINER, "created", &err) < 0)
    {
      sync_send_error (sock, err);
      dprintf (2, "capsa-oci: %s\n", err->msg);
      _exit (1);
    }
  reset_signals ();
  if (seccomp_plan_active (o->seccomp) && !seccomp_early (o) && seccomp_plan_load (o->seccomp, &(int){ -1 }, &err) < 0)
    {
      sync_send_error (sock, err);
      dprintf (2, "capsa-oci: %s\n", err->msg);
      _exit (1);
    }
  execve (exe, o->config->process->args, env);
  int e = errno;
  capsa_fail (&err, e, "exec: \"%s\"", exe);
  sync_send_error (sock, err);
  /* after create the runtime is gone: the container's own stderr is the only witness */
  dprintf (2, "capsa-oci: %s\n", err->msg);
  _exit (e == ENOENT ? 127 : 126);
}

/* ---- parent side --------------------------------------------------------------------------- */

static void
kill_and_reap (pid_t pid, bool is_child)
{
  if (pid <= 0)
    return;
  kill (pid, SIGKILL);
  if (is_child)
    while (waitpid (pid, NULL, 0) < 0 && errno == EINTR)
      ;
}

static int
child_failed (pid_t pid, capsa_err **err)
{
  int status = 0;
  while (waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  if (WIFSIGNALED (status))
    return capsa_fail_as (err, ECHILD, "container init was killed by signal %d during setup", WTERMSIG (status));
  return capsa_fail_as (err, ECHILD, "container init exited with status %d during setup",
                        WIFEXITED (status) ? WEXITSTATUS (status) : -1);
}

/* The child's message is complete already (strerror included): keep it, and its errno. */
static int
relay_error (const struct sync_msg *m, capsa_err **err)
{
  return capsa_fail_as (err, m->errnum, "%s", m->msg);
}

/* Serve the child until READY; fills r->pid (when the child forks) and r->pty_master. */
static int
serve_child (const struct spawn_opts *o, pid_t child, int sock, struct spawn_result *r, capsa_err **err)
{
  for (;;)
    {
      struct sync_msg m;
      int fd = -1;
      int n = sync_recv (sock, &m, &fd);
      if (n < 0)
        return capsa_fail (err, errno, "read from the container init");
      if (n == 0)
        return child_failed (child, err);
      switch (m.type)
        {
        case SYNC_USERNS:
          if (ns_write_id_maps (child, o->config, err) < 0)
            return -1;
          if (sync_send (sock, SYNC_USERNS_DONE, 0, -1) < 0)
            return capsa_fail (err, errno, "write to the container init");
          break;
        case SYNC_PID:
          if (m.pid <= 0 || r->pid != child)
            return capsa_fail_as (err, EPROTO, "bad init pid %d from the container setup", m.pid);
          r->pid = m.pid;
          while (waitpid (child, NULL, 0) < 0 && errno == EINTR)
            ;
          break;
        case SYNC_PTY:
          if (r->pty_master >= 0)
            close (r->pty_master);
          r->pty_master = fd;
          fd = -1;
          if (o->copy_winsize)
            term_copy_winsize (0, r->pty_master);
          break;
        case SYNC_SECCOMP:
          {
            json_t *state = json_pack ("{s:s, s:s, s:s, s:i, s:s}", "ociVersion", "1.2.0", "id", o->id ? o->id : "",
                                       "status", "creating", "pid", (int) r->pid, "bundle", o->bundle);
            int sent = fd >= 0 ? seccomp_send_listener (o->seccomp, fd, r->pid, state, err) : -1;
            json_decref (state);
            if (fd < 0)
              return capsa_fail_as (err, EPROTO, "the container init sent no seccomp fd");
            close (fd);
            fd = -1;
            if (sent < 0)
              return -1;
            break;
          }
        case SYNC_HOOKS:
          {
            json_t *state = hooks_state (o->id, "creating", r->pid, o->bundle, o->config->annotations);
            int h = hooks_run (o->config, CFG_HOOK_PRESTART, state, err);
            if (h == 0)
              h = hooks_run (o->config, CFG_HOOK_CREATE_RUNTIME, state, err);
            json_decref (state);
            if (h < 0)
              return -1;
            if (sync_send (sock, SYNC_GO, r->pid, -1) < 0)
              return capsa_fail (err, errno, "write to the container init");
            break;
          }
        case SYNC_WARNING:
          capsa_log (CAPSA_LOG_WARNING, "%s", m.msg);
          break;
        case SYNC_READY:
          return 0;
        case SYNC_ERROR:
          return relay_error (&m, err);
        default:
          return capsa_fail_as (err, EPROTO, "unexpected message %d from the container init", m.type);
        }
      if (fd >= 0)
        close (fd);
    }
}

#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

/* Who moves the child into its cgroup directories.
 * - v2 (a pure v2 host, or the unified hierarchy of a hybrid one): clone3 places the child in
 *   its cgroup at birth (CLONE_INTO_CGROUP, Linux 5.7): no cgroup.procs write, no window outside.
 * - v1: the child itself, first thing, by writing "0" to each directory's `tasks` file: a thread
 *   moving itself skips the kernel's global threadgroup lock, whose first writer waits for an RCU
 *   grace period (5-12 ms; cgroup.c).  Not when it has a user namespace: its root may not write
 *   the host's cgroup files, and the runtime writes cgroup.procs for it.
 * Older kernels refuse clone3 or the flag, and then the runtime moves it after the fact. */
static bool
child_joins_v1 (const struct spawn_opts *o, const struct ns_plan *plan)
{
  return o->cgroup && cg_has_v1 (o->cgroup) && !plan->new_user && !o->config->ns[CFG_NS_USER].path;
}

/* With a user namespace, the bind sources are opened here, as the runtime's (host) root, before
 * the child enters it (mounts.h: mnt_open_sources); without one the child binds by path as root,
 * which reaches every source already (idmapped binds and fd links excepted: mounts.h). Leaves *fds NULL when
 * not needed. */
static int
open_bind_sources (const struct spawn_opts *o, const struct ns_plan *plan, int **fds, capsa_err **err)
{
  const struct capsa_config *c = o->config;
  bool userns = plan->new_user || c->ns[CFG_NS_USER].path;
  *fds = NULL;
  if (o->exec_mode || !c->ns[CFG_NS_MOUNT].enabled || c->n_mounts == 0 || !(userns || mnt_any_by_tree (c)))
    return 0;
  *fds = xmalloc0 (c->n_mounts * sizeof (int));
  if (mnt_open_sources (c, o->bundle, !userns, 3 + o->preserve_fds, *fds, err) < 0)
    {
      free (*fds);
      *fds = NULL;
      return -1;
    }
  return 0;
}

static void
close_bind_sources (const struct spawn_opts *o, int **fds)
{
  mnt_close_sources (*fds, o->config->n_mounts);
  free (*fds);
  *fds = NULL;
}

static pid_t
clone_child (const struct ns_plan *plan, const struct capsa_cgroup *cg, bool *born_in_v2)
{
  const char *v2 = NULL;
  for (size_t i = 0; cg && i < cg->n; i++)
    if (cg->d[i].version == CG_V2)
      v2 = v2 ? NULL : cg->d[i].path; /* (one v2 directory; never two) */
  if (v2)
    {
      cleanup_close int cgfd = open (v2, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      struct
      {
        uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls, set_tid, set_tid_size,
            cgroup;
      } args = { .flags = (uint64_t) plan->clone_flags | CLONE_INTO_CGROUP,
                 .exit_signal = SIGCHLD,
                 .cgroup = (uint64_t) cgfd };
      if (cgfd >= 0)
        {
          pid_t pid = (pid_t) syscall (SYS_clone3, &args, sizeof args);
          if (pid >= 0)
            {
              *born_in_v2 = true;
              return pid;
            }
          if (errno != ENOSYS && errno != EINVAL && errno != E2BIG)
            return -1;
        }
    }
  return (pid_t) syscall (SYS_clone, (unsigned long) plan->clone_flags | SIGCHLD, NULL, NULL, NULL, NULL);
}

static void
close_nsfds (int nsfds[CFG_NS_COUNT])
{
  for (int t = 0; t < CFG_NS_COUNT; t++)
    if (nsfds[t] >= 0)
      close (nsfds[t]);
}

/* The parent's half once the child exists: its id maps and cgroup, then the setup dialogue up to
 * the last word to go on. */
static int
drive_child (const struct spawn_opts *o, const struct ns_plan *plan, pid_t child, bool born_in_v2, int sock,
             struct spawn_result *r, capsa_err **err)
{
  if (plan->new_user && (plan->clone_flags & CLONE_NEWUSER) && ns_write_id_maps (child, o->config, err) < 0)
    return -1;
  if (o->cgroup && cg_enter (o->cgroup, child, !child_joins_v1 (o, plan), !born_in_v2, err) < 0)
    return -1;
  if (sync_send (sock, SYNC_GO, 0, -1) < 0)
    return capsa_fail (err, errno, "write to the container init");
  if (serve_child (o, child, sock, r, err) < 0)
    return -1;
  if (o->after_setup && o->after_setup (o->after_setup_arg, r->pid, err) < 0)
    return -1;
  if (sync_send (sock, SYNC_GO, r->pid, -1) < 0)
    return capsa_fail (err, errno, "write to the container init");
  return 0;
}

int
spawn_container (const struct spawn_opts *o, struct spawn_result *r, capsa_err **err)
{
  struct ns_plan plan;
  int nsfds[CFG_NS_COUNT];
  int *srcfds = NULL;
  int sv[2];
  pid_t child;

  r->pid = 0;
  r->sync_fd = -1;
  r->pty_master = -1;
  ns_plan_make (o->config, &plan);
  if (o->config->n_sysctls)
    record_ns (runtime_ns);
  if (ns_open_paths (o->config, nsfds, err) < 0 || open_bind_sources (o, &plan, &srcfds, err) < 0)
    {
      close_nsfds (nsfds);
      return -1;
    }
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    {
      capsa_fail (err, errno, "socketpair");
      close_bind_sources (o, &srcfds);
      close_nsfds (nsfds);
      return -1;
    }
  bool born_in_v2 = false;
  child = clone_child (&plan, o->cgroup, &born_in_v2);
  if (child < 0)
    {
      capsa_fail (err, errno, "clone the container init (namespace flags 0x%x)", plan.clone_flags);
      close (sv[0]);
      close (sv[1]);
      close_bind_sources (o, &srcfds);
      close_nsfds (nsfds);
      return -1;
    }
  if (child == 0)
    {
      close (sv[0]);
      child_main (o, &plan, nsfds, srcfds, sv[1]);
    }
  close (sv[1]);
  close_bind_sources (o, &srcfds);
  close_nsfds (nsfds);
  r->pid = child;
  r->sync_fd = sv[0];
  if (drive_child (o, &plan, child, born_in_v2, sv[0], r, err) == 0)
    return 0;
  /* The init may be the child itself or a grandchild (r->pid): kill both, reap what is ours. */
  if (r->pid != child)
    kill_and_reap (r->pid, false);
  kill_and_reap (child, true);
  if (r->pty_master >= 0)
    close (r->pty_master);
  close (sv[0]);
  r->pid = 0;
  r->sync_fd = r->pty_master = -1;
  return -1;
}

int
spawn_wait_exec (int sync_fd, capsa_err **err)
{
  struct sync_msg m;
  int n = sync_recv (sync_fd, &m, NULL);
  if (n == 0)
    return 0;
  if (n < 0)
    return capsa_fail (err, errno, "read from the container init");
  if (m.type == SYNC_ERROR)
    {
      return relay_error (&m, err);
    }
  return 0;
}
