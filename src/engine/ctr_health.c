/* Healthchecks, as dockerd runs them (daemon/health.go): Config.Healthcheck made from the flags
 * and the image's; each check an exec in the container (/bin/sh -c CMD for CMD-SHELL), killed
 * when its timeout passes; its result in State.Health (run.json's Health: Status, FailingStreak,
 * the last 5 results) and a health_status event when the status changes.
 *
 * The container's monitor times the checks (src/monitor: it links no library) and execs
 * `capsa __monitor health ID` for each, a process per check; `capsa healthcheck run` is the same
 * check now. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "ctr_health.h"
#include "jsonutil.h"
#include "mon.h"
#include "util.h"

/* dockerd's defaults and limits */
#define DEFAULT_INTERVAL_NS 30000000000LL
#define DEFAULT_TIMEOUT_NS 30000000000LL
#define DEFAULT_START_INTERVAL_NS 5000000000LL
#define DEFAULT_RETRIES 3
#define MIN_DURATION_NS 1000000LL
#define MAX_LOG_ENTRIES 5
#define MAX_OUTPUT_LEN 4096

long long
capsa_duration_parse (const char *s)
{
  static const struct
  {
    const char *unit;
    double ns;
  } units[] = {
    { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "h", 3600e9 }
  };
  long long total = 0;
  if (s == NULL || *s == '\0')
    return -1;
  if (strcmp (s, "0") == 0)
    return 0;
  while (*s)
    {
      char *end;
      if (*s == '-' || *s == '+')
        return -1;
      double v = strtod (s, &end);
      size_t i, n = ARRAY_SIZE (units);
      if (end == s)
        return -1;
      for (i = 0; i < n; i++)
        if (strncmp (end, units[i].unit, strlen (units[i].unit)) == 0
            && !(strcmp (units[i].unit, "m") == 0 && end[1] == 's'))
          break;
      if (i == n)
        return -1;
      total += (long long) (v * units[i].ns + 0.5);
      s = end + strlen (units[i].unit);
    }
  return total;
}

/* ---- Config.Healthcheck ---------------------------------------------------------------------- */

/* One duration flag into hc[key] (nothing when not given); docker's checks. */
static int
flag_duration (json_t *hc, const char *key, const char *flag, const char *v, capsa_err **err)
{
  if (v == NULL)
    return 0;
  long long ns = v[0] == '-' ? -2 : capsa_duration_parse (v);
  if (ns == -2)
    return capsa_fail_as (err, EINVAL, "--%s cannot be negative", flag);
  if (ns < 0)
    return capsa_fail_as (err, EINVAL, "invalid argument \"%s\" for \"--%s\" flag: a duration (30s, 1m30s, 500ms)", v,
                          flag);
  if (ns > 0 && ns < MIN_DURATION_NS)
    return capsa_fail_as (err, EINVAL, "--%s: %s is less than 1ms (docker's least)", flag, v);
  if (ns > 0)
    json_object_set_new (hc, key, json_integer (ns));
  return 0;
}

/* The flags' Healthcheck (NULL in *out: none given). */
static int
flags_config (const struct ctr_opts *o, json_t **out, capsa_err **err)
{
  bool any = o->health_cmd || (o->health_test && o->health_test[0]) || o->health_interval || o->health_timeout
             || o->health_start_period || o->health_start_interval || o->health_retries != 0;
  *out = NULL;
  if (o->health_retries < 0)
    return capsa_fail_as (err, EINVAL, "--health-retries cannot be negative");
  if (o->no_healthcheck)
    {
      if (any)
        return capsa_fail_as (err, EINVAL, "--no-healthcheck conflicts with --health-* options");
      *out = json_pack ("{s:[s]}", "Test", "NONE");
      return 0;
    }
  if (!any)
    return 0;
  cleanup_json json_t *hc = json_object ();
  if (o->health_test && o->health_test[0])
    json_object_set_new (hc, "Test", json_strv (o->health_test));
  else if (o->health_cmd)
    json_object_set_new (hc, "Test", json_pack ("[s, s]", "CMD-SHELL", o->health_cmd));
  if (flag_duration (hc, "Interval", "health-interval", o->health_interval, err) < 0
      || flag_duration (hc, "Timeout", "health-timeout", o->health_timeout, err) < 0
      || flag_duration (hc, "StartPeriod", "health-start-period", o->health_start_period, err) < 0
      || flag_duration (hc, "StartInterval", "health-start-interval", o->health_start_interval, err) < 0)
    return -1;
  if (o->health_retries > 0)
    json_object_set_new (hc, "Retries", json_integer (o->health_retries));
  *out = take_ptr (&hc);
  return 0;
}

int
ctr_health_config (const struct ctr_opts *o, json_t *icfg, json_t **out, capsa_err **err)
{
  static const char *const keys[] = { "Test", "Interval", "Timeout", "StartPeriod", "StartInterval", "Retries" };
  json_t *image = json_object_get (icfg, "Healthcheck");
  json_t *hc;
  const char *on = o->health_on_failure;
  if (on && strcmp (on, "none") != 0 && strcmp (on, "kill") != 0 && strcmp (on, "restart") != 0
      && strcmp (on, "stop") != 0)
    return capsa_fail_as (err, EINVAL, "--health-on-failure `%s`: expected none, kill, restart or stop", on);
  if (flags_config (o, &hc, err) < 0)
    return -1;
  /* dockerd's merge: the image's for a field the flags left empty (or zero) */
  if (hc == NULL)
    {
      *out = json_is_object (image) ? json_deep_copy (image) : NULL;
      return 0;
    }
  for (size_t i = 0; json_is_object (image) && i < ARRAY_SIZE (keys); i++)
    {
      json_t *mine = json_object_get (hc, keys[i]), *theirs = json_object_get (image, keys[i]);
      bool empty = mine == NULL || (json_is_array (mine) && json_array_size (mine) == 0);
      if (empty && theirs && !(json_is_integer (theirs) && json_integer_value (theirs) == 0))
        json_object_set (hc, keys[i], theirs);
    }
  *out = hc;
  return 0;
}

/* ---- the effective check --------------------------------------------------------------------- */

struct health_params
{
  char **argv;                                               /* owned */
  long long interval, timeout, start_period, start_interval; /* ns */
  int retries;
};

static long long
hc_ns (json_t *hc, const char *key, long long def)
{
  long long v = json_integer_value (json_object_get (hc, key));
  return v > 0 ? v : def;
}

/* c's check (false: none); an unknown Test kind is an error, as dockerd's. */
static int
health_params (const struct ctr *c, struct health_params *p, capsa_err **err)
{
  json_t *hc = json_object_get (json_object_get (c->meta, "Config"), "Healthcheck");
  json_t *test = json_object_get (hc, "Test");
  const char *kind = json_string_value (json_array_get (test, 0));
  *p = (struct health_params){ NULL, 0, 0, 0, 0, 0 };
  if (kind == NULL || strcmp (kind, "NONE") == 0)
    return 0;
  p->argv = xmalloc0 (sizeof (char *));
  if (strcmp (kind, "CMD-SHELL") == 0)
    {
      strv_append (&p->argv, "/bin/sh");
      strv_append (&p->argv, "-c");
      strv_append (&p->argv, json_string_value (json_array_get (test, 1)) ?: "");
    }
  else if (strcmp (kind, "CMD") == 0 && json_array_size (test) > 1)
    for (size_t i = 1; i < json_array_size (test); i++)
      strv_append (&p->argv, json_string_value (json_array_get (test, i)) ?: "");
  else
    {
      cleanup_strv_fn (&p->argv);
      p->argv = NULL;
      return capsa_fail_as (err, EINVAL, "container %s: unknown healthcheck type `%s`", capsa_ctr_name (c), kind);
    }
  p->interval = hc_ns (hc, "Interval", DEFAULT_INTERVAL_NS);
  p->timeout = hc_ns (hc, "Timeout", DEFAULT_TIMEOUT_NS);
  p->start_period = hc_ns (hc, "StartPeriod", 0);
  p->start_interval = hc_ns (hc, "StartInterval", DEFAULT_START_INTERVAL_NS);
  p->retries = (int) hc_ns (hc, "Retries", DEFAULT_RETRIES);
  return 1;
}

bool
ctr_health_timing (const struct ctr *c, long long *interval_ms, long long *start_period_ms,
                   long long *start_interval_ms)
{
  struct health_params p;
  cleanup_err capsa_err *err = NULL;
  if (health_params (c, &p, &err) <= 0)
    return false;
  cleanup_strv_fn (&p.argv);
  *interval_ms = p.interval < 1000000 ? 1 : p.interval / 1000000; /* (an image's may be less) */
  *start_period_ms = p.start_period / 1000000;
  /* docker 25's --health-start-interval: only when asked for (20.10 checks at the interval) */
  bool asked = json_object_get (json_object_get (json_object_get (c->meta, "Config"), "Healthcheck"), "StartInterval");
  *start_interval_ms = asked && p.start_interval >= 1000000 ? p.start_interval / 1000000 : *interval_ms;
  return true;
}

/* ---- one check ------------------------------------------------------------------------------- */

/* Its combined output, the first MAX_OUTPUT_LEN bytes kept (dockerd's limitedBuffer). */
struct output
{
  char buf[MAX_OUTPUT_LEN + 4];
  size_t len;
  bool truncated;
};

static void
output_read (struct output *o, int fd)
{
  char tmp[4096];
  ssize_t n;
  while ((n = read (fd, tmp, sizeof tmp)) > 0)
    {
      size_t room = MAX_OUTPUT_LEN - o->len, take = (size_t) n < room ? (size_t) n : room;
      memcpy (o->buf + o->len, tmp, take);
      o->len += take;
      o->truncated |= take < (size_t) n;
    }
}

/* SIGKILL pid and every process below it (read from /proc before any is killed): a check's
 * shell and what it runs. */
static void
kill_tree (pid_t pid)
{
  cleanup_dir DIR *d = opendir ("/proc");
  pid_t tree[256];
  size_t n = 0;
  tree[n++] = pid;
  struct dirent *de;
  /* a few passes: children listed before their parents are found on the next */
  for (int pass = 0; d && pass < 4; pass++, rewinddir (d))
    while ((de = readdir (d)) != NULL && n < ARRAY_SIZE (tree))
      {
        pid_t p = (pid_t) atoi (de->d_name), pp = 0;
        char path[64], line[512];
        if (p <= 0)
          continue;
        snprintf (path, sizeof path, "/proc/%d/stat", (int) p);
        cleanup_fclose FILE *f = fopen (path, "re");
        char *rp = f && fgets (line, sizeof line, f) ? strrchr (line, ')') : NULL;
        if (rp == NULL || sscanf (rp + 1, " %*c %d", &pp) != 1)
          continue;
        bool known = false, parent = false;
        for (size_t i = 0; i < n; i++)
          known |= tree[i] == p, parent |= tree[i] == pp;
        if (parent && !known)
          tree[n++] = p;
      }
  for (size_t i = 0; i < n; i++)
    kill (tree[i], SIGKILL);
}

/* Put argv into c as a detached exec, its stdio out: *pid the process (a child of this process
 * once the runtime has left, this being a child subreaper); or the docker code why it could not
 * (126, 127, 125), its message written to out. */
static int
probe_spawn (struct ctr *c, char **argv, int out, pid_t *pid)
{
  /* this process's own: `healthcheck run` and the monitor's check may run at once */
  cleanup_free char *pidfile = xasprintf ("%s/health-%d.pid", c->dir, (int) getpid ());
  unlink (pidfile);
  *pid = 0;
  pid_t child = fork ();
  if (child < 0)
    return CAPSA_ENGINE_EXIT_ERROR;
  if (child == 0)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      dup2 (null, 0);
      dup2 (out, 1);
      dup2 (out, 2);
      struct capsa_exec_opts o = {
        .root = c->oci_root, .id = c->id, .args = argv, .detach = true, .pid_file = pidfile
      };
      int st;
      capsa_err *err = NULL;
      if (capsa_container_exec (&o, &st, &err) == 0)
        _exit (0);
      dprintf (2, "%s", err->msg);
      _exit (capsa_ctr_exec_error_code (err));
    }
  int st = 0;
  while (waitpid (child, &st, 0) < 0 && errno == EINTR)
    ;
  int code = wait_status_code (st);
  cleanup_free char *text = NULL;
  cleanup_err capsa_err *err = NULL;
  if (code == 0 && read_file_at (AT_FDCWD, pidfile, &text, NULL, &err) == 0)
    *pid = (pid_t) atoi (text);
  unlink (pidfile);
  return code != 0 ? code : *pid > 0 ? 0 : CAPSA_ENGINE_EXIT_ERROR;
}

/* Wait for the check pid, reading its output from rd, at most timeout_ms (then it is killed and
 * *timed_out set).  Its exit code. */
static int
probe_wait (pid_t pid, int rd, long long timeout_ms, struct output *o, bool *timed_out)
{
  long long end = monotonic_ms () + timeout_ms;
  int st = 0;
  *timed_out = false;
  for (;;)
    {
      pid_t w = waitpid (pid, &st, WNOHANG);
      if (w == pid)
        break;
      if (w < 0 && errno != EINTR)
        return CAPSA_ENGINE_EXIT_ERROR; /* not this process's child: its result is unknown */
      long long left = end - monotonic_ms ();
      if (left <= 0)
        {
          *timed_out = true;
          kill_tree (pid);
          while (waitpid (pid, &st, 0) < 0 && errno == EINTR)
            ;
          break;
        }
      poll (&(struct pollfd){ rd, POLLIN, 0 }, 1, left < 50 ? (int) left : 50);
      output_read (o, rd);
    }
  output_read (o, rd);
  return wait_status_code (st);
}

/* ns as Go prints a time.Duration: "30s", "1m30s", "500ms". */
static void
go_duration (long long ns, char *buf, size_t len)
{
  if (ns < 1000000000LL)
    {
      const char *u = ns % 1000000 == 0 ? "ms" : ns % 1000 == 0 ? "µs" : "ns";
      long long div = ns % 1000000 == 0 ? 1000000 : ns % 1000 == 0 ? 1000 : 1;
      snprintf (buf, len, "%lld%s", ns / div, u);
      return;
    }
  long long h = ns / 3600000000000LL, m = ns / 60000000000LL % 60;
  double sec = (double) (ns % 60000000000LL) / 1e9;
  if (h)
    snprintf (buf, len, "%lldh%lldm%.9gs", h, m, sec);
  else if (m)
    snprintf (buf, len, "%lldm%.9gs", m, sec);
  else
    snprintf (buf, len, "%.9gs", sec);
}

/* Run c's check once: its result as a Log entry {Start, End, ExitCode, Output} (new reference). */
static json_t *
probe (struct ctr *c, const struct health_params *p)
{
  char start[48], end[48];
  struct output o = { .len = 0 };
  bool timed_out = false;
  int code, fds[2];
  now_rfc3339 (start, sizeof start);
  if (pipe2 (fds, O_CLOEXEC) < 0)
    code = CAPSA_ENGINE_EXIT_ERROR;
  else
    {
      pid_t pid;
      prctl (PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
      code = probe_spawn (c, p->argv, fds[1], &pid);
      close (fds[1]);
      fcntl (fds[0], F_SETFL, O_NONBLOCK);
      if (code == 0)
        code = probe_wait (pid, fds[0], p->timeout / 1000000, &o, &timed_out);
      else
        output_read (&o, fds[0]);
      close (fds[0]);
      /* what the check left behind in this process's care */
      while (waitpid (-1, NULL, WNOHANG) > 0)
        ;
    }
  now_rfc3339 (end, sizeof end);
  if (timed_out)
    {
      char d[64];
      go_duration (p->timeout, d, sizeof d);
      cleanup_free char *msg = xasprintf ("Health check exceeded timeout (%s)", d);
      return json_pack ("{s:s, s:s, s:i, s:s}", "Start", start, "End", end, "ExitCode", -1, "Output", msg);
    }
  if (o.truncated)
    memcpy (o.buf + o.len, "...", 3), o.len += 3;
  json_t *r = json_pack ("{s:s, s:s, s:i, s:s%}", "Start", start, "End", end, "ExitCode", code, "Output", o.buf, o.len);
  for (size_t i = 0; r == NULL && i < o.len; i++) /* not UTF-8: its other bytes as '?' */
    if ((unsigned char) o.buf[i] >= 0x80)
      o.buf[i] = '?';
  return r ?: json_pack ("{s:s, s:s, s:i, s:s%}", "Start", start, "End", end, "ExitCode", code, "Output", o.buf, o.len);
}

/* ---- State.Health ---------------------------------------------------------------------------- */

static time_t
rfc3339_secs (const char *s, long *nsec)
{
  struct tm tm = { 0 };
  const char *rest = s ? strptime (s, "%Y-%m-%dT%H:%M:%S", &tm) : NULL;
  *nsec = rest && *rest == '.' ? strtol (rest + 1, NULL, 10) : 0;
  return rest ? timegm (&tm) : 0;
}

/* Nanoseconds from a to b (RFC 3339 times, nanoseconds as 9 digits). */
static long long
ns_between (const char *a, const char *b)
{
  long na, nb;
  time_t sa = rfc3339_secs (a, &na), sb = rfc3339_secs (b, &nb);
  return (long long) (sb - sa) * 1000000000LL + (nb - na);
}

/* The Health after result (dockerd's handleProbeResult): a pass makes it healthy; a failure
 * counts unless it is still starting within the start period, and Retries of them in a row make
 * it unhealthy.  Returns the new object (new reference). */
static json_t *
health_next (json_t *old, json_t *result, const struct health_params *p, const char *started)
{
  json_t *h = json_is_object (old) ? json_deep_copy (old)
                                   : json_pack ("{s:s, s:i, s:[]}", "Status", "starting", "FailingStreak", 0, "Log");
  json_t *log = json_object_get (h, "Log");
  if (!json_is_array (log))
    json_object_set_new (h, "Log", log = json_array ());
  json_array_append (log, result);
  while (json_array_size (log) > MAX_LOG_ENTRIES)
    json_array_remove (log, 0);
  const char *status = jstr (h, "Status") ?: "starting";
  long long streak = json_integer_value (json_object_get (h, "FailingStreak"));
  if (json_integer_value (json_object_get (result, "ExitCode")) == 0)
    {
      streak = 0;
      status = "healthy";
    }
  else if (!(strcmp (status, "starting") == 0 && ns_between (started, jstr (result, "Start")) < p->start_period))
    {
      if (++streak >= p->retries)
        status = "unhealthy";
    }
  json_object_set_new (h, "Status", json_string (status));
  json_object_set_new (h, "FailingStreak", json_integer (streak));
  return h;
}

/* Apply result to c's run.json Health (under health.lock: a check of the monitor and one of
 * `healthcheck run` may end at once); *status the new status, *changed whether it changed. */
static int
health_record (struct ctr *c, json_t *result, const struct health_params *p, char status[16], bool *changed,
               capsa_err **err)
{
  cleanup_free char *lockp = xasprintf ("%s/health.lock", c->dir);
  cleanup_close int lock = open (lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock < 0)
    return capsa_fail (err, errno, "open `%s`", lockp);
  flock (lock, LOCK_EX);
  cleanup_json json_t *run = ctr_run_read (c->dir);
  json_t *old = json_object_get (run, "Health");
  const char *was = jstr (old, "Status") ?: "starting";
  json_t *h = health_next (old, result, p, jstr (run, "StartedAt"));
  snprintf (status, 16, "%s", jstr (h, "Status"));
  *changed = strcmp (was, status) != 0;
  cleanup_json json_t *changes = json_pack ("{s:o}", "Health", h);
  return ctr_run_update (c->dir, changes, err);
}

/* The ticker's life: a check (argv) when one is due, for ever. */
static _Noreturn void
ticker_loop (struct mon_health *h, char **argv)
{
  sigset_t none;
  sigemptyset (&none);
  sigprocmask (SIG_SETMASK, &none, NULL);
  for (int sig = 1; sig < NSIG; sig++)
    signal (sig, SIG_DFL);
  int null = open ("/dev/null", O_RDWR | O_CLOEXEC);
  for (int fd = 0; fd < 3; fd++)
    dup2 (null, fd);
  close_range (3, ~0U, 0); /* nothing of the run's: its pipes, sockets and ports */
  mon_health_begin (h);
  for (;;)
    {
      long long wait = h->next - monotonic_ms ();
      if (wait > 0)
        nanosleep (&(struct timespec){ wait / 1000, (wait % 1000) * 1000000 }, NULL);
      if (h->next > monotonic_ms ())
        continue;
      int st = 0;
      pid_t step = fork ();
      if (step == 0)
        {
          execv (argv[0], argv);
          _exit (127);
        }
      while (step > 0 && waitpid (step, &st, 0) < 0 && errno == EINTR)
        ;
      mon_health_done (h, step > 0 && WIFEXITED (st) ? WEXITSTATUS (st) : -1);
    }
}

pid_t
ctr_health_ticker_start (struct capsa_engine *e, struct ctr *c)
{
  struct mon_health h = { 0 };
  cleanup_free char *exe = NULL;
  cleanup_err capsa_err *err = NULL;
  if (!ctr_health_timing (c, &h.interval, &h.start_period, &h.start_interval))
    return 0;
  if (e->monitor_exe)
    exe = xstrdup (e->monitor_exe);
  else if (capsa_exe_path (&exe, &err) < 0)
    return 0; /* (the run goes on without its checks) */
  char *argv[] = { exe, "--root", (char *) e->root, "__monitor", "health", c->id, NULL };
  pid_t parent = getpid ();
  fflush (NULL);
  pid_t pid = fork ();
  if (pid == 0)
    {
      /* a group of its own: the terminal's ^C is the container's, and stop kills the lot */
      setpgid (0, 0);
      prctl (PR_SET_PDEATHSIG, SIGKILL);
      if (getppid () != parent)
        _exit (0);
      ticker_loop (&h, argv);
    }
  if (pid > 0)
    setpgid (pid, pid);
  return pid > 0 ? pid : 0;
}

void
ctr_health_ticker_stop (pid_t ticker)
{
  if (ticker <= 0)
    return;
  kill (-ticker, SIGKILL);
  kill (ticker, SIGKILL);
  while (waitpid (ticker, NULL, 0) < 0 && errno == EINTR)
    ;
}

const char *
ctr_health_status (const struct ctr *c)
{
  return jstr (json_object_get (c->run, "Health"), "Status") ?: "none";
}

/* Set run.json's Health.Status to status (FailingStreak 0 when reset), under health.lock; a
 * missing Health is made only when make. */
static void
health_set_status (struct ctr *c, const char *status, bool reset, bool make)
{
  cleanup_err capsa_err *err = NULL;
  cleanup_free char *lockp = xasprintf ("%s/health.lock", c->dir);
  cleanup_close int lock = open (lockp, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (lock >= 0)
    flock (lock, LOCK_EX);
  cleanup_json json_t *run = ctr_run_read (c->dir);
  json_t *old = json_object_get (run, "Health");
  if (!json_is_object (old) && !make)
    return;
  json_t *h = json_is_object (old) ? json_deep_copy (old) : json_pack ("{s:i, s:[]}", "FailingStreak", 0, "Log");
  json_object_set_new (h, "Status", json_string (status));
  if (reset)
    json_object_set_new (h, "FailingStreak", json_integer (0));
  cleanup_json json_t *changes = json_pack ("{s:o}", "Health", h);
  ctr_run_update (c->dir, changes, &err);
}

void
ctr_health_reset (struct ctr *c)
{
  struct health_params p;
  cleanup_err capsa_err *err = NULL;
  if (health_params (c, &p, &err) <= 0)
    return;
  cleanup_strv_fn (&p.argv);
  health_set_status (c, "starting", true, true);
}

void
ctr_health_stopped (struct ctr *c)
{
  health_set_status (c, "unhealthy", false, false);
}

int
capsa_ctr_health_run (struct capsa_engine *e, struct ctr *c, bool *passed, char status[16], capsa_err **err)
{
  struct health_params p;
  int r = health_params (c, &p, err);
  if (r < 0)
    return -1;
  if (r == 0)
    return capsa_fail_as (err, ENOENT, "container %s has no healthcheck", capsa_ctr_name (c));
  cleanup_strv char **argv = p.argv;
  if (c->status != CTR_RUNNING)
    return capsa_fail_as (err, EINVAL, "container %s is not running", capsa_ctr_name (c));
  /* docker's exec events of each check (daemon/health.go) */
  char exec_id[CTR_ID_LEN + 1];
  capsa_ctr_new_id (exec_id);
  capsa_ctr_exec_event (e, c, "exec_create", argv, exec_id, 0);
  capsa_ctr_exec_event (e, c, "exec_start", argv, exec_id, 0);
  cleanup_json json_t *result = probe (c, &p);
  bool changed = false;
  int code = (int) json_integer_value (json_object_get (result, "ExitCode"));
  capsa_ctr_exec_event (e, c, "exec_die", NULL, exec_id, code < 0 ? 137 : code);
  *passed = code == 0;
  if (health_record (c, result, &p, status, &changed, err) < 0)
    return -1;
  if (changed && strcmp (status, "starting") != 0)
    {
      cleanup_free char *action = xasprintf ("health_status: %s", status);
      capsa_ctr_event (e, c, action, NULL, NULL);
    }
  return 0;
}
