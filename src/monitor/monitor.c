/* capsa-monitor: the monitor of a detached container (`capsa run -d`, `capsa create`), one per
 * container, like conmon.
 *
 *   capsa-monitor --capsa EXE --root ROOT [--create] [--tty] [--stdin] [--restart NAME[:MAX]]
 *                 [--log-driver k|j|n|p] [--log-size B] [--log-files N] [--log-path F] [--log-attrs J]
 *                 [--health INTERVAL:START_PERIOD:START_INTERVAL:ACTION] ID
 *
 * Started by the CLI (ctr_monitor.c) in a session of its own, with fd 3 the CLI's report pipe:
 * it writes "CODE ERRNO MESSAGE" there once the container exists (CODE 0) or failed to start.
 *
 * What it does itself, for as long as the container lives: it is a child subreaper, so the
 * container's init (and whatever the container leaves behind) becomes its child and it reaps
 * it; it holds the container's stdio (pipes, or with --tty the master of the pty made inside the
 * container); it writes the output to ROOT/containers/ID/ctr.log (mon_log.c) and to the clients
 * of its attach socket (mon_attach.c), and passes their input and window size on; it records the
 * start, the exit code and the restarts in run.json (mon_runjson.c).
 *
 * What it asks of `capsa __monitor` (exec'd for the moment, so the capsa library never lives in
 * this process): `start` creates the container (networking, root filesystem, the runtime's
 * create or run) with the stdio it is given and reports the init's pid and the pty master over
 * fd 3; `stopped` deletes the runtime state after each exit and, with --final, releases the
 * network and the root filesystem, or removes the container (--rm); `health` runs the
 * container's healthcheck once (--health: every INTERVAL ms, START_INTERVAL within the start
 * period while it is starting; one process per check, so the monitor itself stays small) and
 * exits 1 when it is unhealthy, when the monitor does what ACTION says (kill, stop, restart).
 *
 * It survives the CLI (a new session, no terminal).  Killed, it leaves the container running,
 * and `capsa ps` still tells the truth from the runtime state. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "attach_proto.h"
#include "fault.h"
#include "fdpass.h"
#include "mon.h"

#define EXIT_ERROR 125

struct monitor
{
  const char *capsa, *root, *id;
  bool create_only, tty, open_stdin;
  const char *restart;   /* policy name */
  long long restart_max; /* on-failure:MAX (0: no limit) */
  int dirfd, sigfd, report_fd;
  int *held; /* held for the container's life: slirp4netns's exit fd, the published ports' sockets */
  size_t nheld;
  struct mon_holds connected; /* the sockets of ports `network connect -p` published */
  struct mon_log log;
  const char *log_path; /* --log-path: k8s-file's path= (NULL: ROOT/containers/ID/ctr.log) */
  struct mon_attach att;
  struct mon_health health;
};

/* One run of the container: its init and the monitor's ends of its stdio. */
struct run
{
  pid_t init;
  int out, err; /* pipes' read ends, or out = the pty master; -1 when none */
  int in;       /* where input goes: the stdin pipe's write end or the pty master; -1: nowhere */
};

static void
report (struct monitor *m, int code, int errnum, const char *msg)
{
  if (m->report_fd < 0)
    return;
  char *s = xasprintf ("%d %d %s", code, errnum, msg);
  (void) write_all (m->report_fd, s, strlen (s));
  free (s);
  close (m->report_fd);
  m->report_fd = -1;
}

static void
run_set (struct monitor *m, size_t n, const char *const *keys, const char *const *raws)
{
  (void) mon_run_update (m->dirfd, n, keys, raws);
}

static void
run_set_now (struct monitor *m, const char *key, const char *restarting)
{
  char now[48], q[52];
  now_rfc3339 (now, sizeof now);
  snprintf (q, sizeof q, "\"%s\"", now);
  run_set (m, 2, (const char *[]){ key, "Restarting" }, (const char *[]){ q, restarting });
}

static bool
stop_requested (struct monitor *m)
{
  return faccessat (m->dirfd, "stop-requested", F_OK, 0) == 0;
}

static bool
should_restart (struct monitor *m, int code)
{
  long long count = mon_run_int (m->dirfd, "RestartCount", 0);
  if (m->restart == NULL || strcmp (m->restart, "no") == 0)
    return false;
  if (strcmp (m->restart, "on-failure") == 0)
    return code != 0 && (m->restart_max == 0 || count < m->restart_max);
  return true; /* always, unless-stopped */
}

/* Fork `capsa --root ROOT __monitor ARGS... ID` with fds 0-3 as given (-1: /dev/null, none);
 * a health step leads a process group of its own (health_end kills all of it). */
static pid_t
run_capsa (struct monitor *m, const char *const *args, size_t nargs, const int fds[4])
{
  const char *argv[16];
  size_t n = 0;
  argv[n++] = m->capsa;
  argv[n++] = "--root";
  argv[n++] = m->root;
  argv[n++] = "__monitor";
  for (size_t i = 0; i < nargs && n < 14; i++)
    argv[n++] = args[i];
  argv[n++] = m->id;
  argv[n] = NULL;
  bool group = strcmp (args[0], "health") == 0;
  pid_t pid = fork ();
  if (pid > 0 && group)
    setpgid (pid, pid); /* (both sides: whichever runs first) */
  if (pid != 0)
    return pid;
  /* the child: a plain process again (signals as at exec by default), the given stdio */
  if (group)
    setpgid (0, 0);
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGHUP, SIG_DFL);
  signal (SIGINT, SIG_DFL);
  signal (SIGPIPE, SIG_DFL);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  int moved[4];
  /* above 4 first, so that dup2 into 0-3 never overwrites one still to be moved */
  for (int i = 0; i < 4; i++)
    moved[i] = fcntl (fds[i] >= 0 ? fds[i] : null, F_DUPFD_CLOEXEC, 10);
  for (int i = 0; i < 4; i++)
    if (i < 3 || fds[i] >= 0)
      dup2 (moved[i], i);
  execv (m->capsa, (char *const *) argv);
  _exit (127);
}

static int
wait_pid (pid_t pid)
{
  int st;
  while (waitpid (pid, &st, 0) < 0)
    if (errno != EINTR)
      return -1;
  return st;
}

/* The most fds a report carries (ctr_monitor.c HELPER_REPORT_MAX_FDS). */
#define REPORT_MAX_FDS FDPASS_MAX

/* The helper's one report: "CODE ERRNO PID MESSAGE", maybe with fds attached: the pty master
 * (with -t), then what the monitor holds for the container's life: the write end of
 * slirp4netns's exit fd, the sockets that reserve the published host ports.  fd[] gets them,
 * *nfd how many. */
static ssize_t
recv_report (int sock, char *buf, size_t len, int *fd, size_t *nfd)
{
  ssize_t n = fdpass_recv (sock, buf, len - 1, 0, fd, nfd);
  if (n >= 0)
    buf[n] = '\0';
  return n;
}

/* Hold fds for the container's life, in place of those held before (a start that brings none,
 * a restart, keeps those). */
static void
hold_fds (struct monitor *m, const int *fds, size_t n)
{
  if (n == 0)
    return;
  for (size_t i = 0; i < m->nheld; i++)
    close (m->held[i]);
  free (m->held);
  m->held = xmalloc0 (n * sizeof *fds);
  memcpy (m->held, fds, n * sizeof *fds);
  m->nheld = n;
}

static void
close_fd (int *fd)
{
  if (*fd >= 0)
    close (*fd);
  *fd = -1;
}

/* Create (create_only) or create and start the container through `capsa __monitor start`.
 * Returns 0 with *r set, or the exit code for the CLI with *msg (owned) saying why. */
static int
start_once (struct monitor *m, bool create_only, bool restart, struct run *r, int *errnum, char **msg)
{
  int rep[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 }, in[2] = { -1, -1 };
  bool passthrough = m->log.format == 'p'; /* its stdout and stderr: the monitor's own */
  *r = (struct run){ .init = 0, .out = -1, .err = -1, .in = -1 };
  *errnum = 0;
  *msg = NULL;
  if (socketpair (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, rep) < 0
      || (!m->tty && !passthrough && (pipe2 (out, O_CLOEXEC) < 0 || pipe2 (err, O_CLOEXEC) < 0))
      || (!m->tty && m->open_stdin && pipe2 (in, O_CLOEXEC) < 0))
    {
      *errnum = errno;
      *msg = xasprintf ("the monitor could not make the container's stdio: %s", strerror (errno));
      for (int *fd = &rep[0]; fd <= &rep[1]; fd++)
        close_fd (fd);
      for (int i = 0; i < 2; i++)
        close_fd (&out[i]), close_fd (&err[i]), close_fd (&in[i]);
      return EXIT_ERROR;
    }
  /* a restart keeps the network the last run had (only the final stop releases it) */
  const char *args[] = { "start", create_only ? "--create" : restart ? "--restart" : NULL };
  pid_t helper = run_capsa (m, args, args[1] ? 2 : 1,
                            (int[]){ in[0], passthrough ? 1 : out[1], passthrough ? 2 : err[1], rep[1] });
  close (rep[1]);
  close_fd (&in[0]);
  close_fd (&out[1]);
  close_fd (&err[1]);
  char buf[4096];
  int fds[REPORT_MAX_FDS], master = -1;
  size_t nfds = 0;
  ssize_t n = helper > 0 ? recv_report (rep[0], buf, sizeof buf, fds, &nfds) : -1;
  if (n > 0 && nfds > 0)
    {
      size_t k = 0;
      if (m->tty)
        master = fds[k++];
      /* held until the monitor exits, after the final `stopped` took the network down */
      hold_fds (m, fds + k, nfds - k);
    }
  else if (nfds > 0)
    for (size_t i = 0; i < nfds; i++)
      close (fds[i]);
  close (rep[0]);
  int st = helper > 0 ? wait_pid (helper) : -1;
  int code = EXIT_ERROR, pid = 0, off = 0;
  if (n <= 0 || sscanf (buf, "%d %d %d %n", &code, errnum, &pid, &off) < 3)
    {
      *msg = xasprintf ("`%s __monitor start` failed (wait status %d) before it reported", m->capsa, st);
      code = EXIT_ERROR;
    }
  else if (code != 0)
    *msg = strdup (buf + off);
  if (code != 0)
    {
      close_fd (&master);
      close_fd (&out[0]);
      close_fd (&err[0]);
      close_fd (&in[1]);
      return code;
    }
  r->init = pid;
  if (m->tty)
    {
      r->out = master;
      r->in = m->open_stdin ? master : -1;
    }
  else
    {
      r->out = out[0];
      r->err = err[0];
      r->in = in[1];
    }
  return 0;
}

/* Read what the stream has: to the attached clients, then complete lines to the log.
 * false at EOF (or EIO: a pty whose every slave is closed). */
static bool
pump (struct monitor *m, struct mon_stream *s)
{
  ssize_t n = read (s->fd, s->buf + s->len, sizeof s->buf - s->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    {
      mon_log_lines (&m->log, s, true);
      return false;
    }
  mon_attach_send (&m->att, s->kind, s->buf + s->len, (size_t) n);
  s->len += (size_t) n;
  mon_log_lines (&m->log, s, false);
  return true;
}

/* ATTACH_HOLD / ATTACH_RELEASE from client fd (pkt: n bytes, NUL-terminated): done, answered. */
static void
hold_request (struct monitor *m, int fd, char *pkt, const int *fds, size_t nfds)
{
  if (pkt[0] == ATTACH_HOLD)
    mon_hold_add (&m->connected, pkt + 1, fds, nfds);
  else
    mon_hold_release (&m->connected, pkt + 1);
  send (fd, pkt, 1, MSG_DONTWAIT | MSG_NOSIGNAL);
}

/* One packet from client i; false when it has gone. */
static bool
client_input (struct monitor *m, struct run *r, size_t i)
{
  char pkt[ATTACH_MSG_MAX + 1];
  int fds[FDPASS_MAX];
  size_t nfds;
  ssize_t n = fdpass_recv (m->att.clients[i], pkt, sizeof pkt - 1, MSG_DONTWAIT, fds, &nfds);
  if (n < 0 && (errno == EAGAIN || errno == EINTR))
    return true;
  if (n <= 0)
    return false;
  pkt[n] = '\0';
  if (pkt[0] == ATTACH_HOLD || pkt[0] == ATTACH_RELEASE)
    {
      hold_request (m, m->att.clients[i], pkt, fds, nfds);
      return true;
    }
  for (size_t k = 0; k < nfds; k++)
    close (fds[k]);
  if (pkt[0] == ATTACH_IN && r->in >= 0)
    {
      /* never blocks: input the container does not read is dropped, not waited on */
      (void) !write (r->in, pkt + 1, (size_t) n - 1);
    }
  else if (pkt[0] == ATTACH_CLOSE_IN && !m->tty)
    close_fd (&r->in); /* the container reads the end of its input */
  else if (pkt[0] == ATTACH_RESIZE && m->tty && r->out >= 0)
    {
      unsigned rows, cols;
      if (sscanf (pkt + 1, "%u %u", &rows, &cols) == 2)
        {
          struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
          ioctl (r->out, TIOCSWINSZ, &ws);
        }
    }
  return true;
}

static void
client_drop (struct mon_attach *a, size_t i)
{
  close (a->clients[i]);
  a->clients[i] = a->clients[--a->n];
}

/* ---- healthchecks: the monitor times them, `capsa __monitor health` makes each ---- */

/* ms until the next check is due (-1: none to make) */
static long
health_wait_ms (struct monitor *m)
{
  struct mon_health *h = &m->health;
  long long now = monotonic_ms (), due = h->pid ? -1 : h->next;
  if (h->kill_at && (due < 0 || h->kill_at < due))
    due = h->kill_at;
  if (h->interval == 0 || due < 0)
    return -1;
  return due <= now ? 0 : due - now > INT_MAX ? INT_MAX : (long) (due - now);
}

static void
health_tick (struct monitor *m, struct run *r)
{
  struct mon_health *h = &m->health;
  long long now = monotonic_ms ();
  if (h->interval == 0)
    return;
  if (h->kill_at && now >= h->kill_at)
    {
      kill (r->init, SIGKILL); /* --health-on-failure stop: its time to stop is over */
      h->kill_at = 0;
    }
  if (h->pid == 0 && now >= h->next)
    {
      const char *args[] = { "health" };
      h->pid = run_capsa (m, args, 1, (int[]){ -1, -1, -1, -1 });
      if (h->pid < 0)
        h->pid = 0, h->next = now + h->interval;
    }
}

/* The check ended with wait status st: when the next is due, and what an unhealthy one asks. */
static void
health_done (struct monitor *m, struct run *r, int st, bool live)
{
  struct mon_health *h = &m->health;
  int code = WIFEXITED (st) ? WEXITSTATUS (st) : -1;
  long long now = monotonic_ms ();
  mon_health_done (h, code);
  if (!live || code != 1 || strcmp (h->action, "none") == 0 || h->kill_at)
    return;
  if (strcmp (h->action, "restart") == 0)
    h->restart = true;
  else /* kill, stop: for good, as `capsa kill` and `capsa stop` */
    close (openat (m->dirfd, "stop-requested", O_WRONLY | O_CREAT | O_CLOEXEC, 0644));
  if (strcmp (h->action, "stop") == 0)
    {
      kill (r->init, SIGTERM);
      h->kill_at = now + 10000;
    }
  else
    kill (r->init, SIGKILL);
}

/* The init has gone: a check still running is of no use. */
static void
health_end (struct monitor *m)
{
  if (m->health.pid > 0)
    {
      /* the step and what it forked (the exec being made), which would write to the
       * container's directory after `capsa rm` removed it */
      kill (-m->health.pid, SIGKILL);
      kill (m->health.pid, SIGKILL);
      wait_pid (m->health.pid);
    }
  m->health.pid = 0;
  m->health.kill_at = 0;
}

/* Wait for the init, passing its output on and its clients' input in; returns its exit code. */
static int
watch (struct monitor *m, struct run *r)
{
  struct mon_stream so = { .fd = r->out, .name = "stdout", .kind = ATTACH_STDOUT };
  struct mon_stream se = { .fd = r->err, .name = "stderr", .kind = ATTACH_STDERR };
  int code = -1;
  long drain_ms = -1;
  for (int *fd = &r->out; fd <= &r->err; fd++)
    if (*fd >= 0)
      fcntl (*fd, F_SETFL, fcntl (*fd, F_GETFL) | O_NONBLOCK);
  if (r->in >= 0)
    fcntl (r->in, F_SETFL, fcntl (r->in, F_GETFL) | O_NONBLOCK);
  mon_health_begin (&m->health);
  while (so.fd >= 0 || se.fd >= 0 || code < 0)
    {
      struct pollfd p[4 + MON_MAX_CLIENTS] = {
        { m->sigfd, POLLIN, 0 }, { so.fd, POLLIN, 0 }, { se.fd, POLLIN, 0 }, { m->att.listen_fd, POLLIN, 0 }
      };
      size_t nc = m->att.n;
      for (size_t i = 0; i < nc; i++)
        p[4 + i] = (struct pollfd){ m->att.clients[i], POLLIN, 0 };
      int n = poll (p, 4 + nc, code >= 0 ? 100 : (int) health_wait_ms (m));
      if (n < 0 && errno != EINTR)
        break;
      if (p[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (m->sigfd, &si, sizeof si) == sizeof si)
            ;
          int st;
          pid_t w;
          while ((w = waitpid (-1, &st, WNOHANG)) > 0)
            if (w == r->init || r->init <= 0)
              code = wait_status_code (st);
            else if (w == m->health.pid)
              health_done (m, r, st, code < 0);
          if (w < 0 && errno == ECHILD && code < 0)
            code = 255; /* no child left: the init was reaped elsewhere, its status is lost */
        }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR) && !pump (m, &so))
        {
          close_fd (&so.fd);
          if (m->tty)
            r->in = r->out = -1; /* the master, closed just now */
        }
      if (p[2].revents & (POLLIN | POLLHUP | POLLERR) && !pump (m, &se))
        close_fd (&se.fd);
      for (size_t i = nc; i-- > 0;)
        if (p[4 + i].revents && !client_input (m, r, i))
          client_drop (&m->att, i);
      if (p[3].revents & POLLIN)
        mon_attach_accept (&m->att);
      if (code < 0)
        health_tick (m, r);
      if (code >= 0)
        {
          /* something the init left behind may hold the pipes: give it 2 s, then the cgroup goes */
          if (drain_ms < 0)
            drain_ms = 0;
          else if (n == 0 && (drain_ms += 100) >= 2000)
            break;
        }
    }
  health_end (m);
  if (so.fd >= 0)
    mon_log_lines (&m->log, &so, true);
  if (se.fd >= 0)
    mon_log_lines (&m->log, &se, true);
  if (m->tty)
    r->in = -1; /* the master: closed below as so.fd */
  close_fd (&so.fd);
  close_fd (&se.fd);
  close_fd (&r->in);
  r->out = r->err = -1;
  return code < 0 ? 255 : code;
}

/* `capsa __monitor stopped [--final] ID`: the runtime state goes (and with --final the network
 * and the root filesystem, or the whole container with --rm). */
static void
stopped (struct monitor *m, bool final)
{
  const char *args[] = { "stopped", "--final" };
  pid_t pid = run_capsa (m, args, final ? 2 : 1, (int[]){ -1, -1, -1, -1 });
  if (pid > 0)
    wait_pid (pid);
}

static bool
sleep_unless_stopped (struct monitor *m, long ms)
{
  for (long w = 0; w < ms && !stop_requested (m); w += 20)
    nanosleep (&(struct timespec){ 0, 20 * 1000000 }, NULL);
  return !stop_requested (m);
}

static void
loop (struct monitor *m)
{
  for (bool first = true;; first = false)
    {
      struct run r;
      int errnum;
      char *msg;
      if (!first && stop_requested (m))
        {
          /* asked while we were about to restart: capsa stop waits for us to leave */
          run_set (m, 1, (const char *[]){ "Restarting" }, (const char *[]){ "false" });
          break;
        }
      int code = start_once (m, first && m->create_only, !first, &r, &errnum, &msg);
      if (code != 0)
        {
          /* `capsa __monitor start` recorded why in run.json, unless it died first */
          report (m, code, errnum, msg);
          free (msg);
          break;
        }
      report (m, 0, 0, "");
      capsa_fault_point ("monitor:started");
      if (!m->create_only || !first)
        run_set_now (m, "StartedAt", "false");
      code = watch (m, &r);
      bool again = !stop_requested (m) && (m->health.restart || should_restart (m, code));
      m->health.restart = false;
      long long count = mon_run_int (m->dirfd, "RestartCount", 0);
      /* recorded before the runtime state goes, so no reader ever sees neither */
      capsa_fault_point ("monitor:exited");
      char now[48], fin[52], ec[16];
      now_rfc3339 (now, sizeof now);
      snprintf (fin, sizeof fin, "\"%s\"", now);
      snprintf (ec, sizeof ec, "%d", code);
      run_set (m, 3, (const char *[]){ "ExitCode", "FinishedAt", "Restarting" },
               (const char *[]){ ec, fin, again ? "true" : "false" });
      mon_attach_finish (&m->att, code);
      if (!again)
        break;
      stopped (m, false);
      /* docker's back-off: 100 ms, doubling, at most 5 s here */
      long ms = 100L << (count < 6 ? count : 6);
      if (!sleep_unless_stopped (m, ms > 5000 ? 5000 : ms))
        {
          run_set (m, 1, (const char *[]){ "Restarting" }, (const char *[]){ "false" });
          break;
        }
      char rc[24];
      snprintf (rc, sizeof rc, "%lld", count + 1);
      run_set (m, 1, (const char *[]){ "RestartCount" }, (const char *[]){ rc });
    }
}

static int
usage (void)
{
  fprintf (stderr, "capsa-monitor: started by capsa (`capsa run -d`), not by hand\n");
  return EXIT_ERROR;
}

/* --log-driver k|j|n, --log-size BYTES, --log-files N, --log-path FILE, --log-attrs JSON */
static void
log_arg (struct monitor *m, const char *name, const char *v)
{
  if (strcmp (name, "driver") == 0)
    m->log.format = v[0];
  else if (strcmp (name, "size") == 0)
    m->log.max = strtoll (v, NULL, 10);
  else if (strcmp (name, "files") == 0)
    m->log.files = atoi (v);
  else if (strcmp (name, "path") == 0)
    m->log_path = v;
  else if (strcmp (name, "attrs") == 0)
    m->log.attrs = xasprintf ("\"attrs\":%s,", v);
}

/* The log's directory and file: the container's ctr.log, or --log-path's. */
static void
log_setup (struct monitor *m)
{
  const char *mx = getenv ("CAPSA_LOG_MAX_SIZE");
  m->log.dirfd = m->dirfd;
  if (m->log.max <= 0)
    m->log.max = mx && parse_bytes (mx) > 0 ? parse_bytes (mx) : 10 * 1024 * 1024;
  const char *slash = m->log_path ? strrchr (m->log_path, '/') : NULL;
  if (slash)
    {
      char *dir = slash == m->log_path ? xasprintf ("/") : xasprintf ("%.*s", (int) (slash - m->log_path), m->log_path);
      m->log.dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      m->log.name = slash + 1;
      free (dir);
    }
  mon_log_open (&m->log);
}

static int
parse_args (struct monitor *m, int argc, char **argv)
{
  int i;
  for (i = 1; i < argc && argv[i][0] == '-'; i++)
    {
      const char *a = argv[i];
      if (strcmp (a, "--create") == 0)
        m->create_only = true;
      else if (strcmp (a, "--tty") == 0)
        m->tty = true;
      else if (strcmp (a, "--stdin") == 0)
        m->open_stdin = true;
      else if (i + 1 < argc && strcmp (a, "--capsa") == 0)
        m->capsa = argv[++i];
      else if (i + 1 < argc && strcmp (a, "--root") == 0)
        m->root = argv[++i];
      else if (i + 1 < argc && strncmp (a, "--log-", 6) == 0)
        log_arg (m, a + 6, argv[++i]);
      else if (i + 1 < argc && strcmp (a, "--restart") == 0)
        {
          char *name = argv[++i], *colon = strchr (name, ':');
          if (colon)
            {
              *colon = '\0';
              m->restart_max = strtoll (colon + 1, NULL, 10);
            }
          m->restart = name;
        }
      else if (i + 1 < argc && strcmp (a, "--health") == 0)
        {
          struct mon_health *h = &m->health;
          static char action[16];
          if (sscanf (argv[++i], "%lld:%lld:%lld:%15s", &h->interval, &h->start_period, &h->start_interval, action) != 4
              || h->interval <= 0 || h->start_interval <= 0)
            return -1;
          h->action = action;
        }
      else
        return -1;
    }
  if (i + 1 != argc || m->capsa == NULL || m->root == NULL)
    return -1;
  m->id = argv[i];
  return 0;
}

int
main (int argc, char **argv)
{
  struct monitor m = { .report_fd = 3, .sigfd = -1, .att = { .listen_fd = -1 } };
  capsa_fault_setup (getenv ("CAPSA_FAULT"), getenv ("CAPSA_FAULT_STOP"));
  if (parse_args (&m, argc, argv) < 0 || fcntl (3, F_SETFD, FD_CLOEXEC) < 0)
    return usage ();
  signal (SIGHUP, SIG_IGN);
  signal (SIGINT, SIG_IGN);
  signal (SIGPIPE, SIG_IGN);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  /* (passthrough: the container's stdout and stderr are those this monitor was given) */
  for (int fd = 0; fd < 3; fd++)
    if (fd == 0 || m.log.format != 'p')
      dup2 (null, fd);
  close (null);
  char *dir = xasprintf ("%s/containers/%s", m.root, m.id);
  m.dirfd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (m.dirfd < 0)
    {
      char *msg = xasprintf ("the monitor cannot open `%s`: %s", dir, strerror (errno));
      report (&m, EXIT_ERROR, errno, msg);
      return 1;
    }
  free (dir);
  sigset_t mask;
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  m.sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  uint64_t start = 0;
  proc_stat_start (getpid (), &start, NULL);
  char pid_s[16], start_s[24];
  snprintf (pid_s, sizeof pid_s, "%d", (int) getpid ());
  snprintf (start_s, sizeof start_s, "%llu", (unsigned long long) start);
  run_set (&m, 3, (const char *[]){ "MonitorPid", "MonitorStart", "Restarting" },
           (const char *[]){ pid_s, start_s, "false" });

  log_setup (&m);
  /* before the container exists, so `capsa start -a` of a created container misses nothing */
  mon_attach_listen (&m.att, m.dirfd);

  loop (&m);

  mon_attach_close (&m.att, m.dirfd);
  if (m.log.fd >= 0)
    close (m.log.fd);
  stopped (&m, true);
  return 0;
}
