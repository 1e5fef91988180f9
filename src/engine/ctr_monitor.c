/* The engine's side of the monitor of a detached container.
 *
 * The monitor itself is src/monitor (capsa-monitor, libc only, static): it holds the container's
 * stdio, writes its log, serves its attach socket, reaps it and records its exit.  Here:
 *
 * - ctr_monitor_spawn() starts one, detached from the CLI (a new session, double fork), and
 *   waits for its report: the container exists, or why it could not be made;
 * - the steps of `capsa __monitor start|stopped` (capsa_ctr_monitor_start/stopped; the front end
 *   parses the hidden subcommand the monitor execs), what needs the capsa library: creating the container with the
 * stdio it was handed, and deleting the runtime state, the network and the root filesystem once it has stopped. They
 * live as long as that step takes, so the library never lives in the monitor.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach_proto.h"
#include "capsa/json.h"
#include "container.h"
#include "ctr.h"
#include "ctr_events.h"
#include "ctr_health.h"
#include "ctr_life.h"
#include "ctr_logcfg.h"
#include "ctr_net.h"
#include "fdpass.h"
#include "selfexe.h"
#include "util.h"

/* The monitor's report channel in `capsa __monitor start`. */
#define HELPER_REPORT_FD 3

/* capsa-monitor next to this binary (the build tree), or in libexec/capsa (installed). */
static int
monitor_path (struct capsa_engine *e, char **out, capsa_err **err)
{
  return e->libexec_path ("capsa-monitor", out, err);
}

/* The log's part of it (ctr_logcfg.h): --log-driver k|j|n|p, and what was given of max-size,
 * max-file, path and the attributes. */
static void
monitor_log_args (char ***argv, const struct ctr *c)
{
  struct ctr_log_set ls;
  char num[24];
  ctr_log_settings (c, &ls);
  strv_append (argv, "--log-driver");
  strv_append (argv, ls.format == 'j' ? "j" : ls.format == 'n' ? "n" : ls.format == 'p' ? "p" : "k");
  if (ls.max > 0)
    {
      snprintf (num, sizeof num, "%lld", ls.max);
      strv_append (argv, "--log-size");
      strv_append (argv, num);
    }
  if (ls.files > 0)
    {
      snprintf (num, sizeof num, "%d", ls.files);
      strv_append (argv, "--log-files");
      strv_append (argv, num);
    }
  cleanup_free char *def = xasprintf ("%s/ctr.log", c->dir);
  if (strcmp (ls.path, def) != 0)
    {
      strv_append (argv, "--log-path");
      strv_append (argv, ls.path);
    }
  if (ls.attrs)
    {
      strv_append (argv, "--log-attrs");
      strv_append (argv, ls.attrs);
    }
  ctr_log_set_free (&ls);
}

/* The monitor's command line: what it needs to know of the container, decided at create. */
static char **
monitor_argv (struct capsa_engine *e, const char *monitor, const char *exe, struct ctr *c, bool create_only)
{
  json_t *cfg = json_object_get (c->meta, "Config");
  json_t *pol = json_object_get (json_object_get (c->meta, "HostConfig"), "RestartPolicy");
  const char *name = json_string_value (json_object_get (pol, "Name"));
  char **argv = xmalloc0 (sizeof (char *));
  strv_append (&argv, monitor);
  strv_append (&argv, "--capsa");
  strv_append (&argv, exe);
  strv_append (&argv, "--root");
  strv_append (&argv, e->root);
  if (create_only)
    strv_append (&argv, "--create");
  if (json_is_true (json_object_get (cfg, "Tty")))
    strv_append (&argv, "--tty");
  if (json_is_true (json_object_get (cfg, "OpenStdin")))
    strv_append (&argv, "--stdin");
  monitor_log_args (&argv, c);
  if (name && strcmp (name, "no") != 0)
    {
      cleanup_free char *r = xasprintf ("%s:%lld", name,
                                        (long long) json_integer_value (json_object_get (pol, "MaximumRetryCount")));
      strv_append (&argv, "--restart");
      strv_append (&argv, r);
    }
  long long interval, start_period, start_interval;
  if (ctr_health_timing (c, &interval, &start_period, &start_interval))
    {
      /* the monitor times the checks; each is a `capsa __monitor health` */
      cleanup_free char *h = xasprintf ("%lld:%lld:%lld:%s", interval, start_period, start_interval,
                                        jstr (c->meta, "HealthOnFailure") ?: "none");
      strv_append (&argv, "--health");
      strv_append (&argv, h);
    }
  strv_append (&argv, c->id);
  return argv;
}

/* ROOT/containers/ID/monitor.pid: the monitor's pid (from run.json, where it records itself
 * before it reports), for a systemd unit's PIDFile (`capsa generate systemd`); and this boot's id
 * beside MonitorPid in run.json (ctr_boot_id).  Best effort. */
static void
write_monitor_pid (struct ctr *c)
{
  json_t *run = ctr_run_read (c->dir);
  json_int_t pid = json_integer_value (json_object_get (run, "MonitorPid"));
  json_decref (run);
  cleanup_free char *p = xasprintf ("%s/monitor.pid", c->dir), *text = xasprintf ("%lld\n", (long long) pid);
  cleanup_err capsa_err *err = NULL;
  if (pid <= 0)
    return;
  write_file_replace_at (AT_FDCWD, p, text, strlen (text), 0644, &err);
  json_t *ch = json_pack ("{s:s}", "BootId", ctr_boot_id ());
  ctr_run_update (c->dir, ch, NULL);
  json_decref (ch);
}

int
ctr_monitor_spawn (struct capsa_engine *e, const char *id, bool create_only, int *exit_code, capsa_err **err)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_free char *monitor = NULL;
  cleanup_free char *exe = NULL; /* what the monitor execs for `capsa __monitor`: the host's path */
  int rep[2];
  *exit_code = 0;
  if (e->monitor_exe)
    exe = xstrdup (e->monitor_exe);
  else if (capsa_exe_path (&exe, err) < 0)
    return -1;
  if (capsa_ctr_load (e, id, &c, err) < 0 || monitor_path (e, &monitor, err) < 0)
    return -1;
  cleanup_strv char **argv = monitor_argv (e, monitor, exe, c, create_only);
  if (pipe2 (rep, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "pipe");
  fflush (stdout);
  fflush (stderr);
  pid_t pid = fork ();
  if (pid < 0)
    {
      close (rep[0]);
      close (rep[1]);
      return capsa_fail (err, errno, "fork the monitor");
    }
  if (pid == 0)
    {
      /* the monitor outlives this CLI: its own session, and not our child (the double fork) */
      setsid ();
      if (fork () != 0)
        _exit (0);
      if (dup2 (rep[1], HELPER_REPORT_FD) < 0)
        _exit (127);
      execv (monitor, argv);
      _exit (127);
    }
  close (rep[1]);
  waitpid (pid, NULL, 0);
  char buf[8192];
  size_t len = 0;
  ssize_t n;
  while (len < sizeof buf - 1 && (n = read (rep[0], buf + len, sizeof buf - 1 - len)) != 0)
    {
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        break;
      len += (size_t) n;
    }
  close (rep[0]);
  buf[len] = '\0';
  int code = 0, errnum = 0, off = 0;
  if (len == 0 || sscanf (buf, "%d %d %n", &code, &errnum, &off) < 2)
    return capsa_fail_as (err, EIO, "the monitor of container %.12s (%s) died before it could start it", id, monitor);
  if (code != 0)
    {
      *exit_code = code;
      return capsa_fail_as (err, errnum, "%s", buf + off);
    }
  write_monitor_pid (c);
  return 0;
}

/* ---- capsa __monitor: the monitor's heavy steps ---------------------------------------------- */

/* The most fds one report carries (the kernel's SCM_MAX_FD is 253): the pty master, slirp4netns's
 * exit fd, the published ports' sockets (ctr_ports.c, at most 2 a port). */
#define HELPER_REPORT_MAX_FDS FDPASS_MAX

/* "CODE ERRNO PID MESSAGE" to the monitor, with fds: the pty master when there is one, then those
 * the monitor holds for the container's life (slirp4netns's exit fd, the published ports'). */
static void
helper_report_fds (int code, int errnum, pid_t pid, const char *msg, int master, const int *keep, size_t nkeep)
{
  cleanup_free char *s = xasprintf ("%d %d %d %s", code, errnum, (int) pid, msg);
  int fds[HELPER_REPORT_MAX_FDS];
  size_t nfds = 0;
  if (master >= 0)
    fds[nfds++] = master;
  for (size_t i = 0; i < nkeep && nfds < HELPER_REPORT_MAX_FDS; i++)
    fds[nfds++] = keep[i];
  (void) fdpass_send (HELPER_REPORT_FD, s, strlen (s), fds, nfds);
}

static void
helper_report (int code, int errnum, pid_t pid, const char *msg, int master, int keep)
{
  helper_report_fds (code, errnum, pid, msg, master, &keep, keep >= 0 ? 1 : 0);
}

/* The console socket the runtime sends a -t container's pty master to: in the container's
 * directory, reached through a directory fd (its path may be longer than sun_path). */
static int
console_listen (struct ctr *c, int *dirfd, char **path, capsa_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  *dirfd = open (c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (*dirfd < 0)
    return capsa_fail (err, errno, "open `%s`", c->dir);
  *path = xasprintf ("/proc/self/fd/%d/console.sock", *dirfd);
  snprintf (addr.sun_path, sizeof addr.sun_path, "%s", *path);
  unlinkat (*dirfd, "console.sock", 0);
  int fd = socket (AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0 || bind (fd, (struct sockaddr *) &addr, sizeof addr) < 0 || listen (fd, 1) < 0)
    {
      int e = errno;
      if (fd >= 0)
        close (fd);
      return capsa_fail (err, e, "console socket in `%s`", c->dir);
    }
  return fd;
}

static int
console_receive (int lfd, capsa_err **err)
{
  cleanup_close int fd = accept4 (lfd, NULL, NULL, SOCK_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "accept on the console socket");
  char name[256];
  union
  {
    struct cmsghdr h;
    char b[CMSG_SPACE (sizeof (int))];
  } ctl;
  struct iovec iov = { name, sizeof name };
  struct msghdr m = { .msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctl.b, .msg_controllen = sizeof ctl.b };
  if (recvmsg (fd, &m, MSG_CMSG_CLOEXEC) < 0)
    return capsa_fail (err, errno, "receive the pty master");
  struct cmsghdr *c = CMSG_FIRSTHDR (&m);
  if (c == NULL || c->cmsg_type != SCM_RIGHTS)
    return capsa_fail_as (err, EPROTO, "the runtime sent no pty master");
  int master;
  memcpy (&master, CMSG_DATA (c), sizeof master);
  return master;
}

static void
helper_failed (struct ctr *c, int code, capsa_err *err)
{
  char now[48];
  now_rfc3339 (now, sizeof now);
  json_t *f = json_pack ("{s:i, s:s, s:b, s:s}", "ExitCode", code, "Error", err->msg, "Restarting", 0, "FinishedAt",
                         now);
  ctr_run_update (c->dir, f, NULL);
  json_decref (f);
  helper_report (code, err->errnum, 0, err->msg, -1, -1);
}

/* Create the container (and start it unless create_only); a tty one gets its pty master in
 * *master, through the console socket. */
static int
helper_create (struct ctr *c, const struct capsa_create_opts *o, bool create_only, bool tty, int console, int *master,
               capsa_err **err)
{
  int r, status;
  /* with a pty: create, give it a size (docker's 80x24 until someone attaches), then start, so
   * that the process never sees a terminal of no size */
  if (create_only || tty)
    r = capsa_container_create (o, err);
  else
    r = capsa_container_run (o, &status, err);
  if (r < 0 || console < 0)
    return r;
  *master = console_receive (console, err);
  if (*master >= 0)
    ioctl (*master, TIOCSWINSZ, &(struct winsize){ .ws_row = 24, .ws_col = 80 });
  if (*master < 0 || (!create_only && capsa_container_start (c->oci_root, c->id, err) < 0))
    {
      cleanup_err capsa_err *de = NULL;
      capsa_container_delete (c->oci_root, c->id, true, &de);
      return -1;
    }
  return 0;
}

/* `capsa __monitor start [--create|--restart] ID` (--restart: the network of the last run stays): fds 0-2 are the
 * container's stdio (unless it has a pty), fd 3 the monitor's report socket.  The init is left to the monitor, its
 * subreaper. */
int
capsa_ctr_monitor_start (struct capsa_engine *e, const char *id, bool create_only, bool restart)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  cleanup_close int dirfd = -1, console = -1;
  cleanup_free char *console_path = NULL;
  fcntl (HELPER_REPORT_FD, F_SETFD, FD_CLOEXEC);
  if (capsa_ctr_load (e, id, &c, &err) < 0)
    {
      helper_report (CAPSA_ENGINE_EXIT_ERROR, err->errnum, 0, err->msg, -1, -1);
      capsa_err_free (&err);
      return CAPSA_ENGINE_EXIT_ERROR;
    }
  bool tty = json_is_true (json_object_get (json_object_get (c->meta, "Config"), "Tty"));
  c->net_owner = getppid (); /* the lease lives as long as the monitor, not this step */
  if ((!restart && ctr_net_up (e, c, &err) < 0) || capsa_ctr_root_ensure (e, c->id, &err) < 0
      || (tty && (console = console_listen (c, &dirfd, &console_path, &err)) < 0))
    {
      helper_failed (c, CAPSA_ENGINE_EXIT_ERROR, err);
      capsa_err_free (&err);
      return CAPSA_ENGINE_EXIT_ERROR;
    }
  cleanup_free char *bundle = xasprintf ("%s/bundle", c->dir), *pidfile = xasprintf ("%s/init.pid", c->dir);
  /* the init's pid from the pid file: the runtime's state says 0 once it has exited, and an
   * init that exits at once must still be told from other children the monitor inherits */
  unlink (pidfile);
  struct capsa_create_opts o = { .root = c->oci_root,
                                 .id = c->id,
                                 .bundle = bundle,
                                 .detach = true,
                                 .console_socket = console_path,
                                 .pid_file = pidfile };
  int master = -1;
  int r = helper_create (c, &o, create_only, tty, console, &master, &err);
  if (dirfd >= 0)
    unlinkat (dirfd, "console.sock", 0);
  if (r < 0)
    {
      helper_failed (c, capsa_ctr_exec_error_code (err), err);
      capsa_err_free (&err);
      return CAPSA_ENGINE_EXIT_ERROR;
    }
  pid_t pid = 0;
  cleanup_free char *pidtext = NULL;
  if (read_file_at (AT_FDCWD, pidfile, &pidtext, NULL, &err) == 0)
    pid = (pid_t) atoi (pidtext);
  capsa_err_free (&err);
  unlink (pidfile);
  /* a slirp4netns lives as long as its exit fd's write end: the monitor keeps it from now on */
  int keep = ctr_slirp_release (c);
  if (keep >= 0)
    {
      c->port_fds = xrealloc (c->port_fds, (c->nport_fds + 1) * sizeof (int));
      c->port_fds[c->nport_fds++] = keep;
    }
  /* the ports' sockets, and slirp4netns's exit fd: the monitor holds them from now on */
  helper_report_fds (0, 0, pid, "", master, c->port_fds, c->nport_fds);
  ctr_ports_release (c); /* (closes keep too) */
  if (!create_only)
    {
      ctr_health_reset (c);
      capsa_ctr_event (e, c, "start", NULL, NULL);
    }
  if (master >= 0)
    close (master);
  return 0;
}

/* State.OOMKilled of this run: the memory cgroup killed a process of it (its oom_kill count,
 * read before the cgroup goes; a new run has a new cgroup, so each stop sets it again); whether it did. */
static bool
record_oom (struct ctr *c)
{
  cleanup_err capsa_err *err = NULL;
  json_t *data = NULL;
  long long ooms = -1;
  bool running;
  if (capsa_container_stats (c->oci_root, c->id, &data, &ooms, &running, &err) < 0)
    return false;
  json_decref (data);
  if (ooms < 0)
    return false;
  json_t *changes = json_pack ("{s:b}", "OOMKilled", ooms > 0);
  ctr_run_update (c->dir, changes, &err);
  json_decref (changes);
  return ooms > 0;
}

/* `capsa __monitor stopped [--final] ID`: after each exit the runtime state goes; after the last
 * one the network, and the root filesystem (or the whole container with --rm). */
int
capsa_ctr_monitor_stopped (struct capsa_engine *e, const char *id, bool final)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  if (capsa_ctr_load (e, id, &c, &err) < 0)
    return 0; /* removed already (`capsa rm -f` raced us) */
  cleanup_free char *oci = xasprintf ("%s/%s", c->oci_root, c->id);
  if (access (oci, F_OK) == 0)
    {
      /* (after each exit: the monitor recorded its code before this step) */
      char code[24];
      snprintf (code, sizeof code, "%lld", json_integer_value (json_object_get (c->run, "ExitCode")));
      if (record_oom (c))
        capsa_ctr_event (e, c, "oom", NULL, NULL); /* (docker's: before die) */
      capsa_ctr_event (e, c, "die", "exitCode", code);
      ctr_health_stopped (c);
      capsa_container_delete (c->oci_root, c->id, true, &err);
      capsa_err_free (&err);
      ctr_cgroup_parent_tidy ();
    }
  if (!final)
    return 0;
  ctr_net_down (e, c); /* stopped for good: its address and published ports go */
  capsa_ctr_refresh (e, c);
  if (json_is_true (json_object_get (json_object_get (c->meta, "HostConfig"), "AutoRemove")))
    capsa_ctr_remove (e, c, true, true, &err);
  else
    ctr_root_release (e, c->id, &err);
  return 0;
}
/* One request to the monitor of c over its attach socket (capsa/attach.h): kind, the network's
 * name, fds attached; then its answer, past the output it sends every client meanwhile.
 * *no_monitor: there is none listening (a foreground run), and nothing was done. */
static int
monitor_request (struct ctr *c, char kind, const char *network, const int *fds, size_t n, bool *no_monitor,
                 capsa_err **err)
{
  int fd;
  *no_monitor = false;
  if (capsa_ctr_attach_connect (c, &fd, err) < 0)
    {
      *no_monitor = (*err)->errnum == ENOENT || (*err)->errnum == ECONNREFUSED;
      return -1;
    }
  cleanup_close int s = fd;
  cleanup_free char *pkt = xasprintf ("%c%s", kind, network);
  if (fdpass_send (s, pkt, strlen (pkt), fds, n) < 0)
    return capsa_fail (err, errno, "send the ports of network `%s` to the monitor of container %s", network,
                       capsa_ctr_name (c));
  time_t end = time (NULL) + 10;
  char buf[ATTACH_MSG_MAX];
  ssize_t r = 0;
  while (time (NULL) < end && poll (&(struct pollfd){ s, POLLIN, 0 }, 1, 1000) >= 0)
    if ((r = recv (s, buf, sizeof buf, MSG_DONTWAIT)) == 0 || (r > 0 && buf[0] == kind))
      break;
  if (r > 0 && buf[0] == kind)
    return 0;
  return capsa_fail_as (err, EPROTO, "the monitor of container %s did not take the ports of network `%s`",
                        capsa_ctr_name (c), network);
}

int
capsa_ctr_net_hold_ports (struct ctr *c, const char *network, capsa_err **err)
{
  bool no_monitor;
  if (c->nport_fds == 0)
    return 0;
  int r = monitor_request (c, ATTACH_HOLD, network, c->port_fds, c->nport_fds, &no_monitor, err);
  ctr_ports_release (c);
  if (r < 0 && no_monitor)
    capsa_err_free (err);
  return r < 0 && !no_monitor ? -1 : 0;
}

void
capsa_ctr_net_release_ports (struct ctr *c, const char *network)
{
  bool no_monitor;
  cleanup_err capsa_err *err = NULL;
  monitor_request (c, ATTACH_RELEASE, network, NULL, 0, &no_monitor, &err);
}

/* `capsa __monitor health ID`: one check of the container, for its monitor.  The exit status
 * tells the new status: 0 healthy, 1 unhealthy, 2 starting, 125 no check was made. */
static int
monitor_health (struct capsa_engine *e, const char *id)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  char status[16];
  bool passed;
  if (capsa_ctr_load (e, id, &c, &err) < 0 || capsa_ctr_health_run (e, c, &passed, status, &err) < 0)
    return CAPSA_ENGINE_EXIT_ERROR;
  return strcmp (status, "healthy") == 0 ? 0 : strcmp (status, "unhealthy") == 0 ? 1 : 2;
}

int
capsa_ctr_monitor_main (struct capsa_engine *e, int argc, char **argv)
{
  if (argc == 3 && strcmp (argv[1], "health") == 0)
    return monitor_health (e, argv[2]);
  const char *flag = argc == 4 ? argv[2] : NULL;
  if (argc != 3
      && !(flag
           && (strcmp (flag, "--create") == 0 || strcmp (flag, "--final") == 0 || strcmp (flag, "--restart") == 0)))
    return -1;
  const char *id = argv[argc - 1];
  if (strcmp (argv[1], "start") == 0)
    return capsa_ctr_monitor_start (e, id, flag && strcmp (flag, "--create") == 0,
                                    flag && strcmp (flag, "--restart") == 0);
  if (strcmp (argv[1], "stopped") == 0)
    return capsa_ctr_monitor_stopped (e, id, flag && strcmp (flag, "--final") == 0);
  return -1;
}
