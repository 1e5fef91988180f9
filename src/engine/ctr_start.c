/* Starting and stopping containers, and pruning the stopped ones (capsa/engine.h): the
 * lifecycle over the records of ctr.c, the monitor (ctr_monitor.c) and the library. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "attach_proto.h"
#include "capsa/image.h"
#include "container.h"
#include "ctr_health.h"
#include "ctr.h"
#include "ctr_events.h"
#include "ctr_life.h"
#include "ctr_net.h"
#include "ctr_logtee.h"
#include "fsops.h"
#include "util.h"

int
capsa_ctr_attach_connect (struct ctr *c, int *fd, capsa_err **err)
{
  struct sockaddr_un addr = { .sun_family = AF_UNIX };
  cleanup_close int dirfd = open (c->dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0)
    return capsa_fail (err, errno, "open `%s`", c->dir);
  snprintf (addr.sun_path, sizeof addr.sun_path, "/proc/self/fd/%d/%s", dirfd, ATTACH_SOCKET);
  cleanup_close int s = socket (AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  if (s < 0)
    return capsa_fail (err, errno, "socket");
  if (connect (s, (struct sockaddr *) &addr, sizeof addr) < 0)
    {
      if (errno == ENOENT || errno == ECONNREFUSED)
        return capsa_fail_as (err, errno,
                              "cannot attach to container %s: its monitor is not there (it is not running "
                              "detached; start it with `capsa start -a %s`)",
                              capsa_ctr_name (c), capsa_ctr_name (c));
      return capsa_fail (err, errno, "connect to the attach socket of container %s", capsa_ctr_name (c));
    }
  *fd = take_fd (&s);
  return 0;
}

/* capsa_ctr_attach_connect, with docker's attach event. */
static int
attach_event (struct capsa_engine *e, struct ctr *c, int *fd, capsa_err **err)
{
  if (capsa_ctr_attach_connect (c, fd, err) < 0)
    return -1;
  capsa_ctr_event (e, c, "attach", NULL, NULL);
  return 0;
}

/* Release a created container's init (its monitor is there since create). */
static int
start_created (struct capsa_engine *e, struct ctr *c, capsa_err **err)
{
  cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
  unlink (stop);
  if (capsa_container_start (c->oci_root, c->id, err) < 0)
    return -1;
  char now[48];
  now_rfc3339 (now, sizeof now);
  json_t *ch = json_pack ("{s:s}", "StartedAt", now);
  ctr_run_update (c->dir, ch, NULL);
  json_decref (ch);
  ctr_health_reset (c);
  capsa_ctr_event (e, c, "start", NULL, NULL);
  return 0;
}

/* Whether c's last run ended without its monitor recording it: started after its last recorded
 * finish (or never finished), and no monitor left (killed, or the host rebooted). */
static bool
run_unrecorded (struct ctr *c)
{
  const char *fin = json_string_value (json_object_get (c->run, "FinishedAt"));
  const char *sta = json_string_value (json_object_get (c->run, "StartedAt"));
  return sta && (fin == NULL || strcmp (fin, sta) < 0);
}

/* What a run whose monitor died leaves (a reboot: /run and the mounts gone, pids stale; or a
 * SIGKILLed monitor): the exit it never recorded (255, as dockerd records a container it finds
 * dead), the network lease its dead monitor held, the netns file, the root mount.  The monitor's
 * last step would have done it; undone here before a new monitor starts, so that nothing of the
 * old run is in its way.  Runs only when the monitor is gone. */
static void
stale_clean (struct capsa_engine *e, struct ctr *c)
{
  cleanup_err capsa_err *err = NULL;
  if (!run_unrecorded (c))
    return;
  char now[48];
  now_rfc3339 (now, sizeof now);
  json_t *ch = json_pack ("{s:i, s:s}", "ExitCode", 255, "FinishedAt", now);
  ctr_run_update (c->dir, ch, NULL);
  json_decref (ch);
  ctr_net_down (e, c);
  ctr_root_release (e, c->id, &err);
}

/* Start a created container, or a stopped one again (a new monitor).  With attach_fd, connected
 * to the monitor before the container runs, so that none of its output is missed: a stopped one
 * is created first, then attached, then started. */
int
capsa_ctr_start (struct capsa_engine *e, struct ctr *c, int *attach_fd, capsa_err **err)
{
  cleanup_free char *oci = xasprintf ("%s/%s", c->oci_root, c->id);
  switch (c->status)
    {
    case CTR_RUNNING:
    case CTR_RESTARTING:
      return attach_fd ? attach_event (e, c, attach_fd, err) : 0;
    case CTR_PAUSED:
      return capsa_fail_as (err, EINVAL, "container %s is paused: unpause it with `capsa unpause %s`",
                            capsa_ctr_name (c), capsa_ctr_name (c));
    case CTR_DEAD:
      return capsa_fail_as (err, EINVAL,
                            "container %s was not fully created (its `capsa run` or `create` died): "
                            "remove it with `capsa rm %s`",
                            capsa_ctr_name (c), capsa_ctr_name (c));
    case CTR_CREATED:
      if (access (oci, F_OK) == 0)
        {
          if (attach_fd && attach_event (e, c, attach_fd, err) < 0)
            return -1;
          return start_created (e, c, err);
        }
      /* fall through: a record without a runtime container (its create never finished) */
      __attribute__ ((fallthrough));
    case CTR_EXITED:
    default:
      {
        cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
        cleanup_err capsa_err *de = NULL;
        if (access (oci, F_OK) == 0)
          capsa_container_delete (c->oci_root, c->id, true, &de);
        unlink (stop);
        json_t *ch = json_pack ("{s:n, s:n, s:b}", "FinishedAt", "Error", "Restarting", 0);
        json_object_del (ch, "FinishedAt");
        ctr_run_update (c->dir, ch, NULL);
        json_decref (ch);
        /* The last run's monitor records the exit first and releases the network after: a new
         * monitor attaching before that release ends would see it undone (its netns, its lease). */
        if (!ctr_monitor_wait_gone (c, 5000))
          return capsa_fail_as (err, EBUSY, "container %s is still stopping", capsa_ctr_name (c));
        stale_clean (e, c);
        /* run.json keeps the last exit until the new start is recorded */
        int code;
        if (ctr_monitor_spawn (e, c->id, attach_fd != NULL, &code, err) < 0)
          return -1;
        if (attach_fd == NULL)
          return 0;
        if (attach_event (e, c, attach_fd, err) < 0)
          return -1;
        return start_created (e, c, err);
      }
    }
}

static void
kill_event (struct capsa_engine *e, struct ctr *c, int sig)
{
  char s[16];
  snprintf (s, sizeof s, "%d", sig);
  capsa_ctr_event (e, c, "kill", "signal", s);
}

int
capsa_ctr_stop (struct capsa_engine *e, struct ctr *c, int timeout, capsa_err **err)
{
  cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
  /* asked first, whatever the state: a monitor between two runs of a restart policy reads it */
  if (write_file_replace_at (AT_FDCWD, stop, "", 0, 0644, err) < 0)
    return -1;
  if (timeout < 0)
    {
      json_t *t = json_object_get (json_object_get (c->meta, "Config"), "StopTimeout");
      timeout = t ? (int) json_integer_value (t) : 10;
    }
  const char *signame = json_string_value (json_object_get (json_object_get (c->meta, "Config"), "StopSignal"));
  int sig = signame ? capsa_signal_parse (signame) : SIGTERM;
  bool live = c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING; /* (for its event) */
  /* A monitor that passed its last look at stop-requested may start one more run: stop that
   * one too, until the monitor has gone (it leaves once no restart is coming). */
  for (int round = 0; round < 3; round++)
    {
      cleanup_err capsa_err *le = NULL;
      capsa_ctr_refresh (e, c);
      if (c->status == CTR_RUNNING && timeout > 0 && round == 0)
        {
          kill_event (e, c, sig > 0 ? sig : SIGTERM);
          capsa_container_kill (c->oci_root, c->id, sig > 0 ? sig : SIGTERM, false, &le);
          capsa_ctr_wait_exited (e, c, timeout * 1000);
          capsa_ctr_refresh (e, c);
        }
      if (c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_CREATED)
        {
          capsa_err_free (&le);
          if (c->status != CTR_CREATED)
            kill_event (e, c, SIGKILL);
          capsa_container_kill (c->oci_root, c->id, SIGKILL, true, &le);
          if (capsa_ctr_wait_exited (e, c, 15000) < 0)
            return capsa_fail_as (err, ETIMEDOUT, "container %s did not stop after SIGKILL", capsa_ctr_name (c));
        }
      if (ctr_monitor_wait_gone (c, 8000)) /* its back-off is at most 5 s */
        {
          if (live)
            capsa_ctr_event (e, c, "stop", NULL, NULL);
          return 0;
        }
    }
  capsa_ctr_refresh (e, c);
  return c->status == CTR_EXITED ? 0 : capsa_fail_as (err, EBUSY, "container %s keeps restarting", capsa_ctr_name (c));
}

/* The bytes a container's writable layer holds (what removing it reclaims). */
static long long
ctr_disk_size (struct capsa_engine *e, const char *id)
{
  static const char *subs[] = { "upper", "rootfs" };
  long long n = 0;
  for (size_t k = 0; k < ARRAY_SIZE (subs); k++)
    {
      cleanup_free char *p = xasprintf ("%s/containers/%s/%s", e->root, id, subs[k]);
      cleanup_close int fd = open (p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (fd >= 0)
        n += fs_tree_size (fd);
    }
  return n;
}

void
capsa_ctr_prune (struct capsa_engine *e, json_t *filters, long long until, capsa_ctr_pruned_fn *report, void *data)
{
  cleanup_strv char **ids = capsa_ctr_list_ids (e);
  for (char **id = ids; *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      capsa_err *err = NULL;
      /* every container that is not running, as docker's: exited, created (never started) and
       * dead (a half-created one, whose creation died) */
      if (capsa_ctr_load (e, *id, &c, NULL) < 0
          || (c->status != CTR_EXITED && c->status != CTR_CREATED && c->status != CTR_DEAD))
        continue;
      if (filters
          && !capsa_prune_filter_match (json_object_get (json_object_get (c->meta, "Config"), "Labels"),
                                        capsa_time_unix (json_string_value (json_object_get (c->meta, "Created"))),
                                        filters, until))
        continue;
      long long size = ctr_disk_size (e, *id);
      if (capsa_ctr_remove (e, c, false, false, &err) < 0)
        report (data, *id, 0, &err);
      else
        report (data, *id, size, NULL);
      capsa_err_free (&err);
    }
}

/* ---- after a reboot: `capsa start --all-restart` ---------------------------------------------- */

bool
capsa_ctr_boot_restartable (const struct ctr *c, const char **policy)
{
  const char *pol = json_string_value (
      json_object_get (json_object_get (json_object_get (c->meta, "HostConfig"), "RestartPolicy"), "Name"));
  *policy = pol;
  /* (docker's rule at its start: only a container that has been started before) */
  if (c->partial || c->status != CTR_EXITED || !json_object_get (c->run, "StartedAt") || pol == NULL)
    return false;
  if (strcmp (pol, "always") == 0)
    return true;
  if (strcmp (pol, "unless-stopped") != 0)
    return false;
  cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
  return access (stop, F_OK) != 0;
}

/* Start container id when a boot brings it back and it belongs to this pass: 0 those with a
 * network of their own, 1 those that share another container's (--network container:X, which
 * must run first).  -1 when it failed (reported), else 0. */
static int
boot_start (struct capsa_engine *e, const char *id, int pass, capsa_ctr_boot_fn *report, void *data)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  const char *pol;
  if (capsa_ctr_load (e, id, &c, NULL) < 0 || !capsa_ctr_boot_restartable (c, &pol))
    return 0;
  const char *mode = json_string_value (json_object_get (json_object_get (c->meta, "HostConfig"), "NetworkMode"));
  if ((mode && strncmp (mode, "container:", 10) == 0) != (pass == 1))
    return 0;
  int r = capsa_ctr_start (e, c, NULL, &err);
  report (data, c, pol, r < 0 ? &err : NULL);
  return r < 0 ? -1 : 0;
}

int
capsa_ctr_start_all_restart (struct capsa_engine *e, capsa_ctr_boot_fn *report, void *data)
{
  cleanup_strv char **ids = capsa_ctr_list_ids (e);
  int failed = 0;
  for (int pass = 0; pass < 2; pass++)
    for (char **id = ids; *id; id++)
      failed += boot_start (e, *id, pass, report, data) < 0;
  return failed;
}

/* ---- the foreground run ------------------------------------------------------------------ */

/* Record changes (consumed) in run.json; an exit gets its FinishedAt. */
static void
record (const char *dir, json_t *changes)
{
  cleanup_err capsa_err *e = NULL;
  char now[48];
  now_rfc3339 (now, sizeof now);
  if (!json_object_get (changes, "StartedAt") && json_object_get (changes, "ExitCode"))
    json_object_set_new (changes, "FinishedAt", json_string (now));
  ctr_run_update (dir, changes, &e);
  json_decref (changes);
}

/* This process is the container's monitor: recorded as such, with the start time. */
static void
record_started_here (struct ctr *c)
{
  uint64_t start = 0;
  char now[48];
  now_rfc3339 (now, sizeof now);
  proc_stat_start (getpid (), &start, NULL);
  /* ForegroundRun: this StartedAt comes before the network and the container are up, so
   * listings ask the runtime for this run (ctr.c running_by_record) */
  record (c->dir, json_pack ("{s:I, s:I, s:s, s:s, s:s}", "MonitorPid", (json_int_t) getpid (), "MonitorStart",
                             (json_int_t) start, "StartedAt", now, "BootId", ctr_boot_id (), "ForegroundRun", now));
}

/* Run it in this process until it exits: its exit code, or the docker code of why it could not
 * run (*run_err). */
static int
run_here (struct capsa_engine *e, struct ctr *c, struct capsa_config *typed, int *interrupted, capsa_err **run_err)
{
  cleanup_free char *bundle = xasprintf ("%s/bundle", c->dir);
  long long ooms = -1;
  struct capsa_create_opts co = {
    .root = c->oci_root, .id = c->id, .bundle = bundle, .oom_kills = &ooms, .config = typed, .interrupted = interrupted
  };
  capsa_err *err = NULL;
  int status = 0;
  /* its output to ctr.log too, as a monitor would (with -t: what the pty's master gives, all of
   * it stdout, as docker logs a tty container) */
  struct ctr_logtee tee = { .pid = -1 };
  struct ctr_log_set ls;
  ctr_log_settings (c, &ls);
  /* (passthrough: its stdio is this process's, nothing copied) */
  if (ls.format != 'p' && ctr_logtee_start (&tee, &ls, e->log_max_size, &err) < 0)
    capsa_err_free (&err); /* (the run goes on without a log) */
  ctr_log_set_free (&ls);
  int ran = capsa_container_run (&co, &status, run_err);
  ctr_logtee_stop (&tee);
  if (ran < 0)
    {
      int code = capsa_ctr_exec_error_code (*run_err);
      record (c->dir, json_pack ("{s:i, s:s}", "ExitCode", code, "Error", (*run_err)->msg));
      return code;
    }
  record (c->dir, json_pack ("{s:i, s:b}", "ExitCode", status, "OOMKilled", ooms > 0));
  if (ooms > 0)
    capsa_ctr_event (e, c, "oom", NULL, NULL); /* (docker's: before die) */
  return status;
}

static int
run_foreground (struct capsa_engine *e, const char *id, struct capsa_config *typed, bool interactive, bool rm,
                int *interrupted, capsa_err **run_err, capsa_err **err)
{
  cleanup_ctr struct ctr *c = NULL;
  if (capsa_ctr_load (e, id, &c, err) < 0)
    return -1;
  if (!interactive)
    {
      int null = open ("/dev/null", O_RDONLY | O_CLOEXEC);
      dup2 (null, 0);
      close (null);
    }
  record_started_here (c);
  if (ctr_net_up (e, c, err) < 0)
    {
      record (c->dir, json_pack ("{s:i, s:s}", "ExitCode", CAPSA_ENGINE_EXIT_ERROR, "Error", (*err)->msg));
      if (rm)
        {
          cleanup_err capsa_err *re = NULL;
          capsa_ctr_remove (e, c, true, true, &re);
        }
      return -1;
    }
  ctr_health_reset (c);
  capsa_ctr_event (e, c, "start", NULL, NULL);
  pid_t ticker = ctr_health_ticker_start (e, c); /* (no monitor to run its checks) */
  int code = run_here (e, c, typed, interrupted, run_err);
  ctr_health_ticker_stop (ticker);
  ctr_health_stopped (c);
  char codes[16];
  snprintf (codes, sizeof codes, "%d", code);
  capsa_ctr_event (e, c, "die", "exitCode", codes);
  ctr_net_down (e, c);
  capsa_ctr_refresh (e, c);
  if (rm)
    capsa_ctr_remove (e, c, true, true, err);
  else
    ctr_root_release (e, c->id, err);
  return code;
}

int
capsa_ctr_run_foreground (struct capsa_engine *e, const char *id, struct capsa_config *typed, bool interactive,
                          bool tty, bool rm, capsa_err **run_err, capsa_err **err)
{
  (void) tty;
  return run_foreground (e, id, typed, interactive, rm, NULL, run_err, err);
}

int
capsa_ctr_run_stoppable (struct capsa_engine *e, const char *id, struct capsa_config *typed, int *interrupted,
                         capsa_err **run_err, capsa_err **err)
{
  *interrupted = 0;
  return run_foreground (e, id, typed, false, false, interrupted, run_err, err);
}

/* ---- detached ------------------------------------------------------------------------------ */

int
capsa_ctr_run_detached (struct capsa_engine *e, const char *id, bool create_only, bool rm, int *code, capsa_err **err)
{
  if (ctr_monitor_spawn (e, id, create_only, code, err) == 0)
    return 0;
  cleanup_ctr struct ctr *c = NULL;
  if (capsa_ctr_load (e, id, &c, NULL) == 0 && (rm || *code == CAPSA_ENGINE_EXIT_ERROR))
    {
      /* nothing ran: leave nothing behind (docker keeps a created record; capsa does not) */
      cleanup_err capsa_err *re = NULL;
      capsa_ctr_remove (e, c, true, true, &re);
    }
  return -1;
}

void
capsa_ctr_wait_removed (struct capsa_engine *e, struct ctr *c)
{
  /* its monitor removes it once it has exited (not when detached: it runs on) */
  bool rm = json_is_true (json_object_get (json_object_get (c->meta, "HostConfig"), "AutoRemove"));
  for (int i = 0; rm && i < 250 && access (c->dir, F_OK) == 0 && ctr_monitor_alive (c); i++)
    {
      capsa_ctr_refresh (e, c);
      if (c->status == CTR_RUNNING || c->status == CTR_PAUSED)
        break;
      ctr_monitor_wait_gone (c, 20);
    }
}
