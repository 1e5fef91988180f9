/* Exec over the API: POST /containers/{id}/exec (create), POST /exec/{id}/start (hijacked,
 * hijack.h; or detached), POST /exec/{id}/resize, GET /exec/{id}/json (docker's ExecInspect).
 *
 * - An exec is a record kept in this process (a table behind one mutex), as dockerd keeps them
 *   in memory: a service started again knows none of the old ones.
 * - Its process is run by the runtime library (capsa_container_exec) in a child forked for it:
 *   the service has threads, so its own stdio is never touched; the child gets a pty slave (Tty)
 *   or pipes as stdio, closes every other fd, and exits with the process's code (or docker's
 *   126/127/125 with the reason on its stderr).  The runtime proxies the container's own pty to
 *   the slave; a resize of the master reaches it as SIGWINCH (the child is the slave's session).
 * - The exit code is recorded before the stream closes (the docker CLI inspects the exec as soon
 *   as the stream ends).  A stream that ends first (detach keys, the client gone) leaves the
 *   process running: a thread drains its output and records its exit. */
#include <errno.h>
#include <fcntl.h>
#include <linux/close_range.h>
#include <pthread.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "hijack.h"
#include "svc.h"

/* Finished execs are forgotten after this long (dockerd keeps them until its container goes). */
#define EXEC_KEEP_MS (10 * 60 * 1000LL)

struct exec_rec
{
  char id[CTR_ID_LEN + 1];
  struct capsa_engine *eng; /* the service's, for the exec's events */
  char *ctr_id, *oci_root;
  json_t *cmd;         /* Cmd (owned) */
  char **env;          /* Env (owned strv) */
  char *user, *uidgid; /* User as asked, and resolved to "uid:gid" at start */
  char *cwd, *detach_keys;
  char *pid_file; /* where the runtime writes the process's pid (in the container's directory) */
  bool tty, in, out, err, privileged;
  bool started, running;
  int exit_code; /* -1: none yet */
  pid_t pid;     /* the forked child while it runs */
  int master;    /* Tty: the pty master while it runs (resize), -1 */
  long long ended_ms;
  struct exec_rec *next;
};

static pthread_mutex_t execs_mu = PTHREAD_MUTEX_INITIALIZER;
static struct exec_rec *execs;

static void
rec_free (struct exec_rec *e)
{
  free (e->ctr_id);
  free (e->oci_root);
  json_decref (e->cmd);
  for (char **p = e->env; p && *p; p++)
    free (*p);
  free (e->env);
  free (e->user);
  free (e->uidgid);
  free (e->cwd);
  free (e->detach_keys);
  free (e->pid_file);
  free (e);
}

/* Under execs_mu: the record of id (full, or a unique prefix of 12 or more), NULL when none. */
static struct exec_rec *
rec_find (const char *id)
{
  size_t n = strlen (id);
  if (n < 12 && n != CTR_ID_LEN)
    n = CTR_ID_LEN + 1; /* a short prefix matches nothing */
  for (struct exec_rec *e = execs; e; e = e->next)
    if (strncmp (e->id, id, n) == 0)
      return e;
  return NULL;
}

/* Under execs_mu: add e, forgetting the execs finished long ago. */
static void
rec_add (struct exec_rec *e)
{
  long long now = capsa_monotonic_ms ();
  for (struct exec_rec **p = &execs; *p;)
    if (!(*p)->running && (*p)->ended_ms && now - (*p)->ended_ms > EXEC_KEEP_MS)
      {
        struct exec_rec *old = *p;
        *p = old->next;
        rec_free (old);
      }
    else
      p = &(*p)->next;
  e->next = execs;
  execs = e;
}

static char *
dup_str (json_t *body, const char *key)
{
  const char *s = json_string_value (json_object_get (body, key));
  return s && *s ? capsa_xstrdup (s) : NULL;
}

/* The create body's Cmd and Env: arrays of strings. */
static bool
parse_cmd_env (struct svc_req *r, json_t *body, struct exec_rec *e, enum MHD_Result *res)
{
  json_t *cmd = json_object_get (body, "Cmd"), *v, *env = json_object_get (body, "Env");
  size_t i;
  if (!json_is_array (cmd) || json_array_size (cmd) == 0)
    return *res = svc_reply_err (r, 400, "No exec command specified"), false;
  json_array_foreach (cmd, i, v) if (!json_is_string (v)) return *res = svc_reply_err (
      r, 400, "Cmd[%zu]: a string is expected", i),
                                                                 false;
  e->cmd = json_incref (cmd);
  e->env = capsa_xmalloc0 (sizeof (char *));
  if (env && !json_is_null (env) && !json_is_array (env))
    return *res = svc_reply_err (r, 400, "Env: an array of KEY=VALUE strings is expected"), false;
  json_array_foreach (env, i, v) if (json_is_string (v)) capsa_strv_append (&e->env, json_string_value (v));
  return true;
}

static bool
live_or_reply (struct svc_req *r, const struct ctr *c, enum MHD_Result *res)
{
  if (c->status == CTR_PAUSED)
    *res = svc_reply_err (r, 409, "Container %s is paused, unpause the container before exec", c->id);
  else if (c->status != CTR_RUNNING)
    *res = svc_reply_err (r, 409, "Container %s is not running", c->id);
  else
    return true;
  return false;
}

/* docker's exec_create, exec_start (with the command) or exec_die (with e's exit code) event. */
static void
exec_event (struct exec_rec *e, const struct ctr *c, const char *action)
{
  cleanup_ctr struct ctr *loaded = NULL;
  cleanup_err capsa_err *err = NULL;
  if (c == NULL && capsa_ctr_load (e->eng, e->ctr_id, &loaded, &err) < 0)
    return;
  cleanup_strv char **args = capsa_xmalloc0 (sizeof (char *));
  json_t *v;
  size_t i;
  json_array_foreach (e->cmd, i, v) capsa_strv_append (&args, json_string_value (v));
  capsa_ctr_exec_event (e->eng, c ? c : loaded, action, args, e->id, e->exit_code);
}

enum MHD_Result
api_exec_create (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_json json_t *body = NULL;
  enum MHD_Result res;
  if (!svc_body_json (r, false, &body, &res) || !svc_find_ctr (r, &c, &res) || !live_or_reply (r, c, &res))
    return res;
  struct exec_rec *e = capsa_xmalloc0 (sizeof *e);
  e->exit_code = -1;
  e->master = -1;
  if (!parse_cmd_env (r, body, e, &res))
    return rec_free (e), res;
  struct capsa_detacher d;
  e->detach_keys = dup_str (body, "DetachKeys");
  if (e->detach_keys && capsa_detach_keys_parse (e->detach_keys, &d) < 0)
    return rec_free (e), svc_reply_err (r, 400, "Invalid detach keys (%s) provided", e->detach_keys);
  capsa_ctr_new_id (e->id);
  e->eng = &r->s->eng;
  e->ctr_id = capsa_xstrdup (c->id);
  e->oci_root = capsa_xstrdup (c->oci_root);
  e->pid_file = capsa_xasprintf ("%s/exec-%.12s.pid", c->dir, e->id);
  e->user = dup_str (body, "User");
  e->cwd = dup_str (body, "WorkingDir");
  e->tty = json_is_true (json_object_get (body, "Tty"));
  e->in = json_is_true (json_object_get (body, "AttachStdin"));
  e->out = json_is_true (json_object_get (body, "AttachStdout"));
  e->err = json_is_true (json_object_get (body, "AttachStderr"));
  e->privileged = json_is_true (json_object_get (body, "Privileged"));
  json_t *ans = json_pack ("{s:s}", "Id", e->id);
  exec_event (e, c, "exec_create");
  pthread_mutex_lock (&execs_mu);
  rec_add (e);
  pthread_mutex_unlock (&execs_mu);
  return svc_reply_json (r, 201, ans);
}

/* What an exec's child runs with: its options, built before the fork. */
struct exec_child
{
  struct capsa_exec_opts o;
  char **args; /* owned */
  int fd[3];   /* its stdio */
  bool tty;
};

/* In the forked child: stdio, nothing else of the service's, the process; never returns. */
static void __attribute__ ((noreturn)) child_run (struct exec_child *x)
{
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  signal (SIGPIPE, SIG_DFL);
  setsid ();
  if (x->tty)
    ioctl (x->fd[0], TIOCSCTTY, 0);
  for (int i = 0; i < 3; i++)
    if (dup2 (x->fd[i], i) < 0)
      _exit (CAPSA_ENGINE_EXIT_ERROR);
  close_range (3, ~0U, 0);
  capsa_err *err = NULL;
  int status = 0;
  if (capsa_container_exec (&x->o, &status, &err) < 0)
    {
      dprintf (2, "OCI runtime exec failed: %s\n", err->msg);
      _exit (capsa_ctr_exec_error_code (err));
    }
  _exit (status);
}

/* Under execs_mu: the child's options from e (x->args and the strings borrowed from e). */
static void
child_opts (struct exec_rec *e, struct exec_child *x, bool detach)
{
  json_t *v;
  size_t i;
  x->args = capsa_xmalloc0 (sizeof (char *));
  json_array_foreach (e->cmd, i, v) capsa_strv_append (&x->args, json_string_value (v));
  x->o = (struct capsa_exec_opts){ .root = e->oci_root,
                                   .id = e->ctr_id,
                                   .args = x->args,
                                   .env = e->env,
                                   .cwd = e->cwd,
                                   .user = e->uidgid,
                                   .pid_file = e->pid_file,
                                   .tty = e->tty && !detach };
  x->tty = x->o.tty;
}

/* e's user as "uid:gid" in its container's /etc/passwd (at start: the container runs now). */
static int
resolve_user (struct exec_rec *e, pid_t init, capsa_err **err)
{
  unsigned uid, gid;
  if (e->user == NULL)
    return 0;
  cleanup_free char *proot = capsa_xasprintf ("/proc/%d/root", (int) init);
  if (capsa_ctr_resolve_user (proot, e->user, &uid, &gid, NULL, err) < 0)
    return -1;
  free (e->uidgid);
  e->uidgid = capsa_xasprintf ("%u:%u", uid, gid);
  return 0;
}

/* The running exec of id, for a thread that follows it (records are freed only when finished). */
struct exec_run
{
  struct exec_rec *e;
  int drain[2]; /* outputs left to read after the stream (a process that outlives it) */
};

/* Under execs_mu: e's end, its exit status (from waitpid) recorded. */
static void
rec_ended (struct exec_rec *e, int status)
{
  e->exit_code = WIFEXITED (status) ? WEXITSTATUS (status) : WIFSIGNALED (status) ? 128 + WTERMSIG (status) : 125;
  e->running = false;
  e->master = -1;
  e->pid = 0;
  e->ended_ms = capsa_monotonic_ms ();
  unlink (e->pid_file);
}

static void
wait_child (struct exec_rec *e)
{
  int status = 0;
  pthread_mutex_lock (&execs_mu);
  pid_t pid = e->pid;
  pthread_mutex_unlock (&execs_mu);
  while (pid > 0 && waitpid (pid, &status, 0) < 0 && errno == EINTR)
    ;
  pthread_mutex_lock (&execs_mu);
  rec_ended (e, status);
  pthread_mutex_unlock (&execs_mu);
  exec_event (e, NULL, "exec_die");
}

/* A process left running: its outputs read (and dropped) to their end, so that it neither
 * blocks nor gets SIGPIPE (a pty's master kept open: no hangup), then its exit recorded. */
static void *
follow_thread (void *p)
{
  struct exec_run *run = p;
  char buf[16384];
  for (int i = 0; i < 2; i++)
    if (run->drain[i] >= 0)
      {
        ssize_t n;
        while ((n = read (run->drain[i], buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
          ;
        pthread_mutex_lock (&execs_mu);
        if (run->e->master == run->drain[i])
          run->e->master = -1; /* (no resize on a closed fd) */
        pthread_mutex_unlock (&execs_mu);
        close (run->drain[i]);
      }
  wait_child (run->e);
  free (run);
  return NULL;
}

static void
follow (struct exec_rec *e, int out, int err)
{
  struct exec_run *run = capsa_xmalloc0 (sizeof *run);
  pthread_t t;
  pthread_attr_t a;
  run->e = e;
  run->drain[0] = out;
  run->drain[1] = err;
  pthread_attr_init (&a);
  pthread_attr_setdetachstate (&a, PTHREAD_CREATE_DETACHED);
  if (pthread_create (&t, &a, follow_thread, run) != 0)
    follow_thread (run); /* (no thread: followed here) */
  pthread_attr_destroy (&a);
}

static int
devnull (capsa_err **err)
{
  int fd = open ("/dev/null", O_RDWR | O_CLOEXEC);
  if (fd < 0)
    capsa_fail (err, errno, "open /dev/null");
  return fd;
}

/* A pty for a Tty exec: the slave raw, no output translation (the runtime's own pty inside does
 * the terminal's work; the runtime turns OPOST back on for its caller's screen: without ONLCR it
 * changes nothing). */
static int
make_pty (int *master, int *slave, capsa_err **err)
{
  if (openpty (master, slave, NULL, NULL, NULL) < 0)
    return capsa_fail (err, errno, "openpty");
  fcntl (*master, F_SETFD, FD_CLOEXEC);
  fcntl (*slave, F_SETFD, FD_CLOEXEC);
  struct termios t;
  if (tcgetattr (*slave, &t) == 0)
    {
      cfmakeraw (&t);
      t.c_oflag &= ~(tcflag_t) ONLCR;
      tcsetattr (*slave, TCSANOW, &t);
    }
  return 0;
}

/* Stdio for the child: x->fd (to close in the service after the fork) and the relay's ends. */
static int
make_stdio (struct exec_rec *e, bool detach, struct exec_child *x, struct hj_relay *rl, capsa_err **err)
{
  bool want[3] = { e->in && !detach, e->out && !detach, e->err && !detach };
  x->fd[0] = x->fd[1] = x->fd[2] = -1;
  if (x->tty)
    {
      int m;
      if (make_pty (&m, &x->fd[0], err) < 0)
        return -1;
      x->fd[1] = dup (x->fd[0]);
      x->fd[2] = dup (x->fd[0]);
      rl->src[0] = m;
      rl->kind[0] = HJ_STDOUT;
      rl->sink = want[0] ? m : -1;
      return 0;
    }
  for (int i = 0; i < 3; i++)
    {
      int p[2];
      if (!want[i])
        x->fd[i] = devnull (err);
      else if (pipe2 (p, O_CLOEXEC) < 0)
        return capsa_fail (err, errno, "pipe");
      else
        {
          x->fd[i] = p[i == 0 ? 0 : 1];
          if (i == 0)
            rl->sink = p[1];
          else
            {
              rl->src[i - 1] = p[0];
              rl->kind[i - 1] = i == 1 ? HJ_STDOUT : HJ_STDERR;
            }
        }
      if (x->fd[i] < 0)
        return -1;
    }
  return 0;
}

/* Fork e's child (detach: its stdio /dev/null); the relay gets the service's ends. */
static int
spawn (struct exec_rec *e, bool detach, struct hj_relay *rl, capsa_err **err)
{
  struct exec_child x = { 0 };
  pthread_mutex_lock (&execs_mu);
  child_opts (e, &x, detach);
  pthread_mutex_unlock (&execs_mu);
  int r = make_stdio (e, detach, &x, rl, err);
  pid_t pid = r < 0 ? -1 : fork ();
  if (pid == 0)
    child_run (&x);
  if (r == 0 && pid < 0)
    r = capsa_fail (err, errno, "fork");
  for (int i = 0; i < 3; i++)
    if (x.fd[i] >= 0)
      close (x.fd[i]);
  for (char **p = x.args; p && *p; p++)
    free (*p);
  free (x.args);
  pthread_mutex_lock (&execs_mu);
  e->pid = pid > 0 ? pid : 0;
  e->running = pid > 0;
  e->master = pid > 0 && x.tty ? rl->src[0] : -1;
  if (pid < 0)
    rec_ended (e, CAPSA_ENGINE_EXIT_ERROR << 8);
  pthread_mutex_unlock (&execs_mu);
  return r;
}

static bool
exec_begin (void *data, struct hj_relay *rl)
{
  cleanup_err capsa_err *err = NULL;
  return spawn (data, false, rl, &err) == 0;
}

/* The stream's end: the process's too when its outputs ended, else it goes on, followed. */
static void
exec_done (void *data, struct hj_relay *rl)
{
  struct exec_rec *e = data;
  pthread_mutex_lock (&execs_mu);
  bool spawned = e->pid > 0;
  pthread_mutex_unlock (&execs_mu);
  if (!spawned)
    return;
  if (rl->src[0] < 0 && rl->src[1] < 0)
    return wait_child (e);
  if (rl->sink == rl->src[0] || rl->sink == rl->src[1])
    rl->sink = -1;
  follow (e, rl->src[0], rl->src[1]);
  rl->src[0] = rl->src[1] = -1;
}

/* Under execs_mu: e of r->param[0] that can start now (marked started), else NULL with the
 * answer in *res. */
static struct exec_rec *
startable (struct svc_req *r, enum MHD_Result *res)
{
  struct exec_rec *e = rec_find (r->param[0]);
  if (e == NULL)
    *res = svc_reply_err (r, 404, "No such exec instance: %s", r->param[0]);
  else if (e->running)
    *res = svc_reply_err (r, 409, "Error: Exec command %s is already running", e->id);
  else if (e->started)
    *res = svc_reply_err (r, 409, "Error: Exec command %s has already run", e->id);
  else
    {
      e->started = true;
      return e;
    }
  return NULL;
}

/* Its container running, and the user resolved in it. */
static bool
ready_to_run (struct svc_req *r, struct exec_rec *e, enum MHD_Result *res)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  if (capsa_ctr_load (&r->s->eng, e->ctr_id, &c, &err) < 0)
    return *res = svc_reply_err (r, 404, "No such container: %s", e->ctr_id), false;
  if (!live_or_reply (r, c, res))
    return false;
  pthread_mutex_lock (&execs_mu);
  int rc = resolve_user (e, c->pid, &err);
  pthread_mutex_unlock (&execs_mu);
  if (rc < 0)
    return *res = svc_reply_capsa_err (r, &err), false;
  exec_event (e, c, "exec_start");
  return true;
}

enum MHD_Result
api_exec_start (struct svc_req *r)
{
  cleanup_json json_t *body = NULL;
  enum MHD_Result res;
  if (!svc_body_json (r, true, &body, &res))
    return res;
  pthread_mutex_lock (&execs_mu);
  struct exec_rec *e = startable (r, &res);
  pthread_mutex_unlock (&execs_mu);
  if (e == NULL)
    return res;
  if (!ready_to_run (r, e, &res))
    {
      pthread_mutex_lock (&execs_mu);
      e->started = false;
      pthread_mutex_unlock (&execs_mu);
      return res;
    }
  struct hj_relay rl;
  hj_relay_init (&rl);
  cleanup_err capsa_err *err = NULL;
  if (json_is_true (json_object_get (body, "Detach")))
    {
      if (spawn (e, true, &rl, &err) < 0)
        return hj_relay_close (&rl), svc_reply_capsa_err (r, &err);
      follow (e, -1, -1);
      return svc_reply_empty (r, 200);
    }
  capsa_detach_keys_parse (e->detach_keys, &rl.keys);
  rl.tty = e->tty;
  rl.want_out = rl.want_err = true;
  return svc_hijack (r, &rl, exec_begin, exec_done, e, NULL);
}

static pid_t
read_pid (const char *path)
{
  cleanup_free char *buf = NULL;
  size_t len = 0;
  if (capsa_read_file_at (AT_FDCWD, path, &buf, &len, NULL) < 0)
    return 0;
  return (pid_t) atoi (buf);
}

/* Under execs_mu: docker's ExecInspect of e. */
static json_t *
rec_json (struct exec_rec *e)
{
  json_t *args = json_array (), *v;
  size_t i;
  json_array_foreach (e->cmd, i, v) if (i > 0) json_array_append (args, v);
  json_t *pc = json_pack ("{s:b, s:s, s:o, s:b, s:s}", "tty", e->tty, "entrypoint",
                          json_string_value (json_array_get (e->cmd, 0)), "arguments", args, "privileged",
                          e->privileged, "user", e->user ? e->user : "");
  return json_pack ("{s:b, s:s, s:s, s:o, s:s, s:b, s:b, s:b, s:o, s:b, s:i}", "CanRemove", false, "ContainerID",
                    e->ctr_id, "DetachKeys", e->detach_keys ? e->detach_keys : "", "ExitCode",
                    e->exit_code < 0 ? json_null () : json_integer (e->exit_code), "ID", e->id, "OpenStderr", e->err,
                    "OpenStdin", e->in, "OpenStdout", e->out, "ProcessConfig", pc, "Running", e->running, "Pid",
                    e->running ? (int) read_pid (e->pid_file) : 0);
}

enum MHD_Result
api_exec_inspect (struct svc_req *r)
{
  pthread_mutex_lock (&execs_mu);
  struct exec_rec *e = rec_find (r->param[0]);
  json_t *j = e ? rec_json (e) : NULL;
  pthread_mutex_unlock (&execs_mu);
  if (j == NULL)
    return svc_reply_err (r, 404, "No such exec instance: %s", r->param[0]);
  return svc_reply_json (r, 200, j);
}

enum MHD_Result
api_exec_resize (struct svc_req *r)
{
  unsigned rows, cols;
  enum MHD_Result res;
  if (!svc_query_size (r, &rows, &cols, &res))
    return res;
  pthread_mutex_lock (&execs_mu);
  struct exec_rec *e = rec_find (r->param[0]);
  bool found = e != NULL, running = e && e->running;
  struct winsize ws = { .ws_row = (unsigned short) rows, .ws_col = (unsigned short) cols };
  if (e && e->master >= 0)
    ioctl (e->master, TIOCSWINSZ, &ws); /* (under the lock: the master stays open meanwhile) */
  pthread_mutex_unlock (&execs_mu);
  if (!found)
    return svc_reply_err (r, 404, "No such exec instance: %s", r->param[0]);
  if (!running)
    return svc_reply_err (r, 409, "Exec %s is not running", r->param[0]);
  return svc_reply_empty (r, 200);
}
