/* The monitor of a detached container: capsa's own small process, one per container (like conmon).
 *
 * It is the parent of the container's init (it calls the library's create/run itself) and a child
 * subreaper, so it reaps the init and whatever the container leaves behind.  The container's
 * stdout and stderr are pipes to it; it writes them to ROOT/containers/ID/ctr.log, one line per
 * record ("RFC3339NANO STREAM F|P TEXT", P when a line was cut), and rotates the file to ctr.log.1
 * past its size cap.  When the init exits it deletes the container from the runtime (kills what is
 * left, removes the cgroup), records the exit code and time in run.json, applies the restart
 * policy, and at the end unmounts the root (or removes everything with --rm).
 *
 * It survives the CLI: a new session, stdin on /dev/null, no tie to the terminal.  Killing it
 * leaves the container running; `capsa ps` then still tells the truth from the runtime state.
 */
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "container.h"
#include "ctr.h"
#include "util.h"

#define LOG_LINE_MAX 16384

struct logbuf
{
  int fd;            /* read end of the pipe, -1 when finished */
  const char *name;  /* "stdout" / "stderr" */
  char buf[LOG_LINE_MAX];
  size_t len;
};

struct logfile
{
  char *path, *old;
  int fd;
  long long size, max;
};

static void
log_open (struct logfile *l)
{
  struct stat st;
  l->fd = open (l->path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  l->size = l->fd >= 0 && fstat (l->fd, &st) == 0 ? st.st_size : 0;
}

static void
log_record (struct logfile *l, const char *stream, const char *text, size_t len, bool partial)
{
  char ts[48];
  struct timespec now;
  struct tm tm;
  clock_gettime (CLOCK_REALTIME, &now);
  gmtime_r (&now.tv_sec, &tm);
  size_t n = strftime (ts, sizeof ts, "%Y-%m-%dT%H:%M:%S", &tm);
  snprintf (ts + n, sizeof ts - n, ".%09ldZ", now.tv_nsec);
  if (l->fd >= 0 && l->size > l->max)
    {
      close (l->fd);
      rename (l->path, l->old);
      log_open (l);
    }
  if (l->fd < 0)
    return;
  cleanup_free char *head = xasprintf ("%s %s %c ", ts, stream, partial ? 'P' : 'F');
  size_t hl = strlen (head);
  char *rec = xmalloc0 (hl + len + 2);
  memcpy (rec, head, hl);
  memcpy (rec + hl, text, len);
  rec[hl + len] = '\n';
  if (write_all (l->fd, rec, hl + len + 1) == 0)
    l->size += (long long) (hl + len + 1);
  free (rec);
}

/* Read what the pipe has; write complete lines.  false at EOF. */
static bool
log_pump (struct logfile *l, struct logbuf *b)
{
  ssize_t n = read (b->fd, b->buf + b->len, sizeof b->buf - b->len);
  if (n < 0 && (errno == EINTR || errno == EAGAIN))
    return true;
  if (n <= 0)
    {
      if (b->len)
        log_record (l, b->name, b->buf, b->len, true);
      b->len = 0;
      return false;
    }
  b->len += (size_t) n;
  char *start = b->buf, *nl;
  while ((nl = memchr (start, '\n', b->len - (size_t) (start - b->buf))))
    {
      log_record (l, b->name, start, (size_t) (nl - start), false);
      start = nl + 1;
    }
  size_t rest = b->len - (size_t) (start - b->buf);
  if (rest == sizeof b->buf)
    {
      log_record (l, b->name, b->buf, rest, true);
      rest = 0;
    }
  memmove (b->buf, start, rest);
  b->len = rest;
  return true;
}

static int
exit_code_of (int status)
{
  if (WIFEXITED (status))
    return WEXITSTATUS (status);
  if (WIFSIGNALED (status))
    return 128 + WTERMSIG (status);
  return 255;
}

static void
report (int fd, int code, const capsa_err *err)
{
  if (fd < 0)
    return;
  cleanup_free char *msg = xasprintf ("%d %d %s", code, err ? err->errnum : 0, err ? err->msg : "");
  (void) write_all (fd, msg, strlen (msg));
  close (fd);
}

static void
now_json (json_t *obj, const char *key)
{
  char now[48];
  now_rfc3339 (now, sizeof now);
  json_object_set_new (obj, key, json_string (now));
}

static bool
stop_requested (const char *dir)
{
  cleanup_free char *p = xasprintf ("%s/stop-requested", dir);
  return access (p, F_OK) == 0;
}

static bool
should_restart (json_t *meta, json_t *run, int code)
{
  json_t *pol = json_object_get (json_object_get (meta, "HostConfig"), "RestartPolicy");
  const char *name = json_string_value (json_object_get (pol, "Name"));
  long long max = json_integer_value (json_object_get (pol, "MaximumRetryCount"));
  long long count = json_integer_value (json_object_get (run, "RestartCount"));
  if (name == NULL || strcmp (name, "no") == 0)
    return false;
  if (strcmp (name, "on-failure") == 0)
    return code != 0 && (max == 0 || count < max);
  return true; /* always, unless-stopped */
}

/* Start (or create) once; on success the init is our child and *pid is set. */
static int
start_once (struct cli_global *g, struct ctr *c, bool create_only, int pipes_out[2], int pipes_err[2], pid_t *pid,
            capsa_err **err)
{
  cleanup_free char *bundle = xasprintf ("%s/bundle", c->dir);
  struct capsa_create_opts o = { .root = c->oci_root, .id = c->id, .bundle = bundle, .detach = true };
  if (pipe2 (pipes_out, O_CLOEXEC) < 0 || pipe2 (pipes_err, O_CLOEXEC) < 0)
    return capsa_fail (err, errno, "pipe");
  dup2 (pipes_out[1], 1);
  dup2 (pipes_err[1], 2);
  close (pipes_out[1]);
  close (pipes_err[1]);
  int r;
  if (ctr_root_ensure (g, c->id, err) < 0)
    r = -1;
  else if (create_only)
    r = capsa_container_create (&o, err);
  else
    {
      int status;
      r = capsa_container_run (&o, &status, err);
    }
  /* the container holds the write ends now; ours go, so EOF comes when it is done */
  int null = open ("/dev/null", O_WRONLY | O_CLOEXEC);
  dup2 (null, 1);
  dup2 (null, 2);
  close (null);
  if (r < 0)
    return -1;
  /* the pid even when it has exited already (ctr_refresh reports none for a stopped container) */
  json_t *st = NULL;
  cleanup_err capsa_err *e = NULL;
  *pid = 0;
  if (capsa_container_state (c->oci_root, c->id, &st, &e) == 0)
    *pid = (pid_t) json_integer_value (json_object_get (st, "pid"));
  json_decref (st);
  return 0;
}

/* Wait for the init, logging its output; returns its exit code. */
static int
watch (struct logfile *l, int sigfd, pid_t init, int out, int errfd)
{
  struct logbuf bo = { .fd = out, .name = "stdout" }, be = { .fd = errfd, .name = "stderr" };
  int code = -1;
  fcntl (out, F_SETFL, O_NONBLOCK);
  fcntl (errfd, F_SETFL, O_NONBLOCK);
  long drain_ms = -1;
  while (bo.fd >= 0 || be.fd >= 0 || code < 0)
    {
      struct pollfd p[3] = { { sigfd, POLLIN, 0 }, { bo.fd, POLLIN, 0 }, { be.fd, POLLIN, 0 } };
      int timeout = code >= 0 ? 100 : -1;
      int n = poll (p, 3, timeout);
      if (n < 0 && errno != EINTR)
        break;
      if (p[0].revents & POLLIN)
        {
          struct signalfd_siginfo si;
          while (read (sigfd, &si, sizeof si) == sizeof si)
            ;
          int st;
          pid_t w;
          while ((w = waitpid (-1, &st, WNOHANG)) > 0)
            if (w == init || init <= 0)
              code = exit_code_of (st);
          if (w < 0 && errno == ECHILD && code < 0)
            code = 255; /* no child left: the init was reaped elsewhere, its status is lost */
        }
      if (p[1].revents & (POLLIN | POLLHUP | POLLERR) && !log_pump (l, &bo))
        close (bo.fd), bo.fd = -1;
      if (p[2].revents & (POLLIN | POLLHUP | POLLERR) && !log_pump (l, &be))
        close (be.fd), be.fd = -1;
      if (code >= 0)
        {
          /* something the init left behind may hold the pipes: give it 2 s, then the cgroup goes */
          if (drain_ms < 0)
            drain_ms = 0;
          else if (n == 0 && (drain_ms += 100) >= 2000)
            break;
        }
    }
  for (struct logbuf *b = &bo; b; b = b == &bo ? &be : NULL)
    if (b->fd >= 0)
      {
        while (log_pump (l, b) && b->len == 0 && 0)
          ;
        close (b->fd);
      }
  return code < 0 ? 255 : code;
}

static void
monitor_main (struct cli_global *g, const char *id, bool create_only, int report_fd)
{
  cleanup_ctr struct ctr *c = NULL;
  capsa_err *err = NULL;
  sigset_t mask;

  signal (SIGHUP, SIG_IGN);
  signal (SIGINT, SIG_IGN);
  signal (SIGPIPE, SIG_IGN);
  prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
  prctl (PR_SET_NAME, "capsa-monitor", 0, 0, 0);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  dup2 (null, 0);
  close (null);
  if (ctr_load (g, id, &c, &err) < 0)
    {
      report (report_fd, CLI_EXIT_ERROR, err);
      _exit (1);
    }
  sigemptyset (&mask);
  sigaddset (&mask, SIGCHLD);
  sigprocmask (SIG_BLOCK, &mask, NULL);
  int sigfd = signalfd (-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

  uint64_t start = 0;
  proc_stat_start (getpid (), &start, NULL);
  json_t *ch = json_pack ("{s:I, s:I, s:b}", "MonitorPid", (json_int_t) getpid (), "MonitorStart",
                          (json_int_t) start, "Restarting", 0);
  ctr_run_update (c->dir, ch, NULL);
  json_decref (ch);

  const char *mx = getenv ("CAPSA_LOG_MAX_SIZE");
  struct logfile l = { .path = xasprintf ("%s/ctr.log", c->dir), .old = xasprintf ("%s/ctr.log.1", c->dir),
                       .max = mx && ctr_parse_bytes (mx) > 0 ? ctr_parse_bytes (mx) : 10 * 1024 * 1024 };
  log_open (&l);
  if (ctr_net_up (g, c, &err) < 0)
    {
      report (report_fd, CLI_EXIT_ERROR, err);
      json_t *f = json_pack ("{s:i, s:s}", "ExitCode", CLI_EXIT_ERROR, "Error", err->msg);
      ctr_run_update (c->dir, f, NULL);
      json_decref (f);
      _exit (1);
    }
  malloc_trim (0);

  for (bool first = true;; first = false)
    {
      int po[2], pe[2];
      pid_t init = 0;
      if (!first && stop_requested (c->dir))
        {
          /* asked while we were about to restart: capsa stop waits for us to leave */
          json_t *s = json_pack ("{s:b}", "Restarting", 0);
          ctr_run_update (c->dir, s, NULL);
          json_decref (s);
          break;
        }
      if (start_once (g, c, first && create_only, po, pe, &init, &err) < 0)
        {
          if (first)
            {
              report (report_fd, ctr_exec_error_code (err), err);
              report_fd = -1;
            }
          json_t *f = json_pack ("{s:i, s:s, s:b}", "ExitCode", ctr_exec_error_code (err), "Error", err->msg,
                                 "Restarting", 0);
          now_json (f, "FinishedAt");
          ctr_run_update (c->dir, f, NULL);
          json_decref (f);
          capsa_err_free (&err);
          break;
        }
      if (first)
        {
          report (report_fd, 0, NULL);
          report_fd = -1;
        }
      fault_point ("monitor:started");
      if (!create_only || !first)
        {
          json_t *s = json_pack ("{s:b, s:n}", "Restarting", 0, "Error");
          now_json (s, "StartedAt");
          json_object_del (s, "Error");
          ctr_run_update (c->dir, s, NULL);
          json_decref (s);
        }
      int code = watch (&l, sigfd, init, po[0], pe[0]);
      json_t *run = ctr_run_read (c->dir);
      bool again = !stop_requested (c->dir) && should_restart (c->meta, run, code);
      long long count = json_integer_value (json_object_get (run, "RestartCount"));
      json_decref (run);
      /* recorded before the runtime state goes, so no reader ever sees neither */
      fault_point ("monitor:exited");
      json_t *f = json_pack ("{s:i, s:b}", "ExitCode", code, "Restarting", again);
      now_json (f, "FinishedAt");
      ctr_run_update (c->dir, f, NULL);
      json_decref (f);
      cleanup_err capsa_err *derr = NULL;
      capsa_container_delete (c->oci_root, c->id, true, &derr);
      ctr_cgroup_parent_tidy ();
      if (!again)
        break;
      /* docker's back-off: 100 ms, doubling, at most 5 s here */
      long ms = 100L << (count < 6 ? count : 6);
      if (ms > 5000)
        ms = 5000;
      for (long w = 0; w < ms && !stop_requested (c->dir); w += 20)
        nanosleep (&(struct timespec){ 0, 20 * 1000000 }, NULL);
      if (stop_requested (c->dir))
        {
          json_t *s = json_pack ("{s:b}", "Restarting", 0);
          ctr_run_update (c->dir, s, NULL);
          json_decref (s);
          break;
        }
      json_t *s = json_pack ("{s:I}", "RestartCount", (json_int_t) count + 1);
      ctr_run_update (c->dir, s, NULL);
      json_decref (s);
    }
  if (l.fd >= 0)
    close (l.fd);
  free (l.path);
  free (l.old);
  cleanup_err capsa_err *e2 = NULL;
  ctr_net_down (g, c); /* stopped for good: its address and published ports go */
  ctr_refresh (g, c);
  if (json_is_true (json_object_get (json_object_get (c->meta, "HostConfig"), "AutoRemove")))
    ctr_remove (g, c, true, true, &e2);
  else
    ctr_root_release (g, c->id, &e2);
  _exit (0);
}

int
ctr_monitor_spawn (struct cli_global *g, const char *id, bool create_only, int *exit_code, capsa_err **err)
{
  int rep[2];
  *exit_code = 0;
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
      close (rep[0]);
      setsid ();
      pid_t again = fork ();
      if (again != 0)
        _exit (again < 0 ? 1 : 0);
      monitor_main (g, id, create_only, rep[1]);
      _exit (0);
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
    return capsa_fail_as (err, EIO, "the monitor of container %.12s died before it could start it", id);
  if (code != 0)
    {
      *exit_code = code;
      return capsa_fail_as (err, errnum, "%s", buf + off);
    }
  return 0;
}
