/* What is done to an existing container (capsa/engine.h): kill, pause, update, rename, restart.
 * Each refuses a container in the wrong state before the library is asked, as docker does. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "container.h"
#include "ctr.h"
#include "ctr_events.h"
#include "ctr_net.h"
#include "jsonutil.h"
#include "resolve_in_root.h"
#include "util.h"

/* Write json o to DIR/rel (atomically, 0600: both files hold the container's env). */
static int
write_json_file (const char *dir, const char *rel, json_t *o, capsa_err **err)
{
  cleanup_free char *s = json_dumps (o, JSON_INDENT (1));
  cleanup_free char *p = xasprintf ("%s/%s", dir, rel);
  return write_file_replace_at (AT_FDCWD, p, s, strlen (s), 0600, err);
}

int
capsa_ctr_kill (struct capsa_engine *e, struct ctr *c, const char *what, int sig, capsa_err **err)
{
  if (c->status != CTR_RUNNING && c->status != CTR_PAUSED)
    return capsa_fail_as (err, EINVAL, "cannot kill container %s: it is not running", what);
  if (sig == SIGKILL || sig == SIGTERM)
    {
      /* docker counts a kill as a manual stop: no restart */
      cleanup_free char *stop = xasprintf ("%s/stop-requested", c->dir);
      write_file_replace_at (AT_FDCWD, stop, "", 0, 0644, NULL);
    }
  if (capsa_container_kill (c->oci_root, c->id, sig, sig == SIGKILL, err) < 0)
    return -1;
  char s[16];
  snprintf (s, sizeof s, "%d", sig);
  capsa_ctr_event (e, c, "kill", "signal", s);
  return 0;
}

int
capsa_ctr_pause (struct capsa_engine *e, struct ctr *c, const char *what, bool pause, capsa_err **err)
{
  if (pause && c->status != CTR_RUNNING)
    return capsa_fail_as (err, EINVAL, "container %s is not running (it is %s)", what,
                          capsa_ctr_status_name (c->status));
  if (!pause && c->status != CTR_PAUSED)
    return capsa_fail_as (err, EINVAL, "container %s is not paused (it is %s)", what,
                          capsa_ctr_status_name (c->status));
  /* PausedRun (this run's StartedAt) sends listings to the runtime for its state (ctr.c
   * running_by_record): recorded before a pause, so that no paused container lists as running */
  const char *sta = json_string_value (json_object_get (c->run, "StartedAt"));
  json_t *ch = json_pack ("{s:s}", "PausedRun", sta ? sta : "");
  int r = pause ? ctr_run_update (c->dir, ch, err) : 0;
  if (r == 0)
    r = capsa_container_pause (c->oci_root, c->id, pause, err);
  if (pause ? r < 0 : r == 0) /* (a resume that failed leaves it paused, and recorded so) */
    {
      json_object_set_new (ch, "PausedRun", json_string (""));
      ctr_run_update (c->dir, ch, NULL);
    }
  json_decref (ch);
  if (r < 0)
    return -1;
  capsa_ctr_event (e, c, pause ? "pause" : "unpause", NULL, NULL);
  return 0;
}

/* The HostConfig fields (docker's names) an update's resources set. */
static void
update_host_config (json_t *hc, json_t *res)
{
  json_t *mem = json_object_get (res, "memory"), *cpu = json_object_get (res, "cpu"), *v;
  if ((v = json_object_get (mem, "limit")))
    json_object_set (hc, "Memory", v);
  if ((v = json_object_get (mem, "swap")))
    json_object_set (hc, "MemorySwap", v);
  if ((v = json_object_get (cpu, "quota")))
    {
      /* --cpus N is stored as docker does, NanoCpus = N * 1e9 (quota over a 100ms period) */
      json_object_set_new (hc, "NanoCpus", json_integer (json_integer_value (v) * 10000));
      json_object_set (hc, "CpuQuota", v);
      json_object_set (hc, "CpuPeriod", json_object_get (cpu, "period"));
    }
  if ((v = json_object_get (cpu, "shares")))
    json_object_set (hc, "CpuShares", v);
  if ((v = json_object_get (cpu, "cpus")))
    json_object_set (hc, "CpusetCpus", v);
  if ((v = json_object_get (json_object_get (res, "pids"), "limit")))
    json_object_set (hc, "PidsLimit", v);
}

/* Keep an update for the container's next start (docker does): its HostConfig in container.json
 * and linux.resources in the bundle's config.json, which the next start uses. */
static int
update_persist (struct ctr *c, json_t *res, capsa_err **err)
{
  cleanup_free char *cfgpath = xasprintf ("%s/bundle/config.json", c->dir);
  json_error_t je;
  json_t *cfg = json_load_file (cfgpath, 0, &je);
  if (cfg == NULL)
    return capsa_fail_as (err, EINVAL, "update `%s`: reading its configuration: %s", capsa_ctr_name (c), je.text);
  json_t *rs = json_child_object (json_child_object (cfg, "linux"), "resources");
  json_t *hc = json_child_object (c->meta, "HostConfig");
  if (rs == NULL || hc == NULL)
    {
      json_decref (cfg);
      return capsa_fail_as (err, EINVAL, "update `%s`: its linux.resources or HostConfig is not an object",
                            capsa_ctr_name (c));
    }
  json_merge_sections (rs, res);
  update_host_config (hc, res);
  int r = write_json_file (c->dir, "bundle/config.json", cfg, err);
  json_decref (cfg);
  if (r < 0)
    return -1;
  return ctr_meta_write (c->dir, c->meta, err);
}

int
capsa_ctr_update (struct capsa_engine *e, struct ctr *c, json_t *res, capsa_err **err)
{
  if ((c->status == CTR_RUNNING || c->status == CTR_PAUSED)
      && capsa_container_update (c->oci_root, c->id, res, err) < 0)
    return -1;
  if (update_persist (c, res, err) < 0)
    return -1;
  capsa_ctr_event (e, c, "update", NULL, NULL);
  return 0;
}

int
capsa_ctr_rename (struct capsa_engine *e, struct ctr *c, const char *name, capsa_err **err)
{
  if (ctr_name_reserve (e, name, c->id, err) < 0)
    return -1;
  cleanup_free char *oldname = xstrdup (capsa_ctr_name (c));
  cleanup_free char *nm = xasprintf ("/%s", name);
  json_object_set_new (c->meta, "Name", json_string (nm));
  if (ctr_meta_write (c->dir, c->meta, err) < 0)
    {
      ctr_name_release (e, name, c->id);
      return -1;
    }
  if (strcmp (oldname, c->id) != 0)
    ctr_name_release (e, oldname, c->id);
  ctr_net_renamed (e, c);
  cleanup_free char *was = xasprintf ("/%s", oldname);
  capsa_ctr_event (e, c, "rename", "oldName", was);
  return 0;
}

int
capsa_ctr_restart (struct capsa_engine *e, struct ctr *c, int timeout, capsa_err **err)
{
  if (capsa_ctr_stop (e, c, timeout, err) < 0)
    return -1;
  capsa_ctr_wait_exited (e, c, 15000);
  capsa_ctr_refresh (e, c);
  if (capsa_ctr_start (e, c, NULL, err) < 0)
    return -1;
  capsa_ctr_event (e, c, "restart", NULL, NULL);
  return 0;
}
