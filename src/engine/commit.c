/* `capsa commit` (docker commit): a container's overlay upper directory as a new layer on its
 * image, with the config it was run with and the changes given (include/capsa/build.h). */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capsa/build.h"
#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "ctr_events.h"
#include "util.h"

/* Whether env (an array of "K=V") has `entry` exactly. */
static bool
env_has_entry (json_t *env, const char *entry)
{
  size_t i;
  json_t *v;
  json_array_foreach (env, i, v) if (strcmp (json_string_value (v) ?: "", entry) == 0) return true;
  return false;
}

/* The container's Env as its image would keep it: without what the engine added for the run
 * (HOSTNAME, TERM of a terminal) unless the image had it. */
static json_t *
kept_env (json_t *cenv, json_t *ienv)
{
  json_t *out = json_array (), *v;
  size_t i;
  json_array_foreach (cenv, i, v)
  {
    const char *s = json_string_value (v) ?: "";
    if ((strncmp (s, "HOSTNAME=", 9) == 0 || strcmp (s, "TERM=xterm") == 0) && !env_has_entry (ienv, s))
      continue;
    json_array_append (out, v);
  }
  return out;
}

/* The image config's "config" for the commit: the image's, with what the container was run
 * with (docker commit keeps the container's Env, Cmd, Entrypoint, WorkingDir, User, Labels,
 * ExposedPorts, Volumes, StopSignal). */
static json_t *
commit_config (json_t *icfg, json_t *ccfg)
{
  json_t *cfg = json_is_object (icfg) ? json_deep_copy (icfg) : json_object (), *v;
  static const char *keys[] = { "Cmd", "Entrypoint", "Labels", "ExposedPorts", "Volumes" };
  for (size_t i = 0; i < ARRAY_SIZE (keys); i++)
    if ((v = json_object_get (ccfg, keys[i])))
      json_object_set (cfg, keys[i], v);
  if (json_is_array (json_object_get (ccfg, "Env")))
    json_object_set_new (cfg, "Env", kept_env (json_object_get (ccfg, "Env"), json_object_get (icfg, "Env")));
  const char *wd = jstr (ccfg, "WorkingDir"), *user = jstr (ccfg, "User"), *sig = jstr (ccfg, "StopSignal");
  if (wd && (strcmp (wd, "/") != 0 || jstr (icfg, "WorkingDir")))
    json_object_set_new (cfg, "WorkingDir", json_string (wd));
  if (user)
    json_object_set_new (cfg, "User", json_string (user));
  if (sig && (strcmp (sig, "SIGTERM") != 0 || jstr (icfg, "StopSignal")))
    json_object_set_new (cfg, "StopSignal", json_string (sig));
  return cfg;
}

/* docker's created_by of a commit: the container's command, joined by spaces. */
static char *
command_line (json_t *ccfg)
{
  cleanup_free char *out = xstrdup ("");
  static const char *keys[] = { "Entrypoint", "Cmd" };
  for (size_t k = 0; k < ARRAY_SIZE (keys); k++)
    {
      size_t i;
      json_t *v;
      json_array_foreach (json_object_get (ccfg, keys[k]), i, v)
      {
        char *n = xasprintf ("%s%s%s", out, *out ? " " : "", json_string_value (v) ?: "");
        free (out);
        out = n;
      }
    }
  return take_ptr (&out);
}

/* The config to commit (a new reference), changes applied; NULL with err set. */
static json_t *
config_for (struct capsa_store *s, struct ctr *c, char *const *changes, capsa_err **err)
{
  cleanup_json json_t *ic = NULL;
  if (capsa_blob_json (s, jstr (c->meta, "Image") ?: "", &ic, err) < 0)
    return NULL;
  cleanup_json json_t *cfg = commit_config (json_object_get (ic, "config"), json_object_get (c->meta, "Config"));
  for (char *const *ch = changes; ch && *ch; ch++)
    if (capsa_config_change (cfg, *ch, err) < 0)
      return NULL;
  return take_ptr (&cfg);
}

/* ROOT/containers/ID/upper, refused for a container whose root is not an overlay of its own. */
static char *
upper_of (struct ctr *c, const char *name, capsa_err **err)
{
  cleanup_free char *drv = NULL, *dpath = xasprintf ("%s/driver", c->dir), *up = xasprintf ("%s/upper", c->dir);
  cleanup_free char *umap = xasprintf ("%s/uid_map", c->dir);
  cleanup_err capsa_err *ignored = NULL;
  if (read_file_at (AT_FDCWD, dpath, &drv, NULL, &ignored) == 0 && strncmp (drv, "vfs", 3) == 0)
    return capsa_fail_as (err, ENOTSUP,
                          "commit %s: its root is a vfs copy, not an overlay: capsa commits only "
                          "containers on the overlay driver",
                          name),
           NULL;
  if (access (umap, F_OK) == 0)
    return capsa_fail_as (err, ENOTSUP,
                          "commit %s: a container in a user namespace of its own (its files "
                          "have host ids) cannot be committed",
                          name),
           NULL;
  cleanup_close int fd = open (up, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return capsa_fail (err, errno, "commit %s: its overlay upper directory `%s`", name, up), NULL;
  return take_ptr (&up);
}

static const int held_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };

static int
commit_do (struct capsa_engine *e, struct capsa_store *s, struct ctr *c, const struct capsa_ctr_commit_opts *o,
           char *id_out, capsa_err **err)
{
  const char *name = capsa_ctr_name (c);
  cleanup_free char *upper = upper_of (c, name, err);
  if (upper == NULL)
    return -1;
  cleanup_json json_t *cfg = config_for (s, c, o->changes, err);
  if (cfg == NULL)
    return capsa_err_wrap (err, "commit %s", name);
  cleanup_free char *by = command_line (json_object_get (c->meta, "Config"));
  struct capsa_commit_opts co = { .name = o->name,
                                  .parent = jstr (c->meta, "Image"),
                                  .config = cfg,
                                  .created_by = by,
                                  .comment = o->message,
                                  .author = o->author };
  if (!o->pause || c->status != CTR_RUNNING)
    return capsa_image_commit (s, upper, &co, id_out, err) < 0 ? capsa_err_wrap (err, "commit %s", name) : 0;
  /* frozen while its layer is made, and thawed whatever happens: a ctrl-c or a kill meanwhile
   * waits until it is (this thread's signals held; delivered when unblocked) */
  sigset_t hold, old;
  sigemptyset (&hold);
  for (size_t i = 0; i < ARRAY_SIZE (held_signals); i++)
    sigaddset (&hold, held_signals[i]);
  pthread_sigmask (SIG_BLOCK, &hold, &old);
  int r = capsa_ctr_pause (e, c, name, true, err);
  if (r < 0)
    capsa_err_wrap (err, "commit %s: pause it", name);
  else
    {
      c->status = CTR_PAUSED;
      r = capsa_image_commit (s, upper, &co, id_out, err);
      cleanup_err capsa_err *terr = NULL;
      if (capsa_ctr_pause (e, c, name, false, r < 0 ? &terr : err) < 0 && r == 0)
        r = -1;
      c->status = CTR_RUNNING;
      if (r < 0)
        capsa_err_wrap (err, "commit %s", name);
    }
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  return r;
}

/* docker's commit event (daemon/commit.go): comment, imageID and imageRef (its name, "" without). */
int
capsa_ctr_commit (struct capsa_engine *e, struct capsa_store *s, struct ctr *c, const struct capsa_ctr_commit_opts *o,
                  char *id_out, capsa_err **err)
{
  char id[CAPSA_DIGEST_LEN + 1] = "";
  if (commit_do (e, s, c, o, id, err) < 0)
    return -1;
  cleanup_json json_t *attrs = ctr_event_attrs (c);
  cleanup_free char *ref = o->name ? capsa_ref_familiar (o->name, e->default_registry) : NULL;
  json_object_set_new (attrs, "comment", json_string (o->message ? o->message : ""));
  json_object_set_new (attrs, "imageID", json_string (id));
  json_object_set_new (attrs, "imageRef", json_string (ref ? ref : ""));
  capsa_engine_event (e, "container", "commit", c->id, attrs);
  if (id_out)
    memcpy (id_out, id, sizeof id);
  return 0;
}
