/* Containers' lifecycle over the API: start, stop, restart, kill, pause, unpause, wait, remove,
 * rename, top, prune.  Statuses as dockerd's: 204 done, 304 nothing to do (start a running one,
 * stop a stopped one), 404 no such container, 409 a state that forbids it. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <time.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/runtime.h"
#include "capsa/util.h"
#include "svc.h"

bool
svc_find_ctr (struct svc_req *r, struct ctr **c, enum MHD_Result *res)
{
  cleanup_err capsa_err *err = NULL;
  if (capsa_ctr_find (&r->s->eng, r->param[0], c, &err) == 0)
    return true;
  if (err->errnum == ENOENT)
    *res = svc_reply_err (r, 404, "No such container: %s", r->param[0]);
  else
    *res = svc_reply_capsa_err (r, &err);
  return false;
}

static bool
is_live (const struct ctr *c)
{
  return c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING;
}

/* the engine's answer: 204, or its error */
static enum MHD_Result
done (struct svc_req *r, int rc, capsa_err **err)
{
  return rc < 0 ? svc_reply_capsa_err (r, err) : svc_reply_empty (r, 204);
}

enum MHD_Result
api_ctr_start (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  if (!svc_find_ctr (r, &c, &res))
    return res;
  if (c->status == CTR_RUNNING || c->status == CTR_RESTARTING)
    return svc_reply_empty (r, 304);
  return done (r, capsa_ctr_start (&r->s->eng, c, NULL, &err), &err);
}

/* stop's and restart's ?t=SECONDS (-1: the container's own timeout) */
static bool
stop_timeout (struct svc_req *r, int *t, enum MHD_Result *res)
{
  long long v;
  if (!svc_query_int (r, "t", -1, &v, res))
    return false;
  *t = v < -1 ? -1 : v > 1000000 ? 1000000 : (int) v;
  return true;
}

/* stop (304 when it is not running) or restart, with ?t= */
static enum MHD_Result
stop_or_restart (struct svc_req *r, bool restart)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  int t;
  if (!stop_timeout (r, &t, &res) || !svc_find_ctr (r, &c, &res))
    return res;
  if (restart)
    return done (r, capsa_ctr_restart (&r->s->eng, c, t, &err), &err);
  if (!is_live (c))
    return svc_reply_empty (r, 304);
  return done (r, capsa_ctr_stop (&r->s->eng, c, t, &err), &err);
}

enum MHD_Result
api_ctr_stop (struct svc_req *r)
{
  return stop_or_restart (r, false);
}

enum MHD_Result
api_ctr_restart (struct svc_req *r)
{
  return stop_or_restart (r, true);
}

enum MHD_Result
api_ctr_kill (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  const char *name = svc_query (r, "signal");
  int sig = name && *name ? capsa_signal_parse (name) : SIGKILL;
  if (sig <= 0)
    return svc_reply_err (r, 400, "Invalid signal: %s", name);
  if (!svc_find_ctr (r, &c, &res))
    return res;
  if (!is_live (c))
    return svc_reply_err (r, 409, "Cannot kill container: %s: Container %s is not running", r->param[0], c->id);
  return done (r, capsa_ctr_kill (&r->s->eng, c, r->param[0], sig, &err), &err);
}

static enum MHD_Result
pause_or_not (struct svc_req *r, bool pause)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  if (!svc_find_ctr (r, &c, &res))
    return res;
  if (pause && c->status != CTR_RUNNING)
    return svc_reply_err (r, 409, "Container %s is not running", c->id);
  if (!pause && c->status != CTR_PAUSED)
    return svc_reply_err (r, 409, "Container %s is not paused", c->id);
  return done (r, capsa_ctr_pause (&r->s->eng, c, r->param[0], pause, &err), &err);
}

enum MHD_Result
api_ctr_pause (struct svc_req *r)
{
  return pause_or_not (r, true);
}

enum MHD_Result
api_ctr_unpause (struct svc_req *r)
{
  return pause_or_not (r, false);
}

enum MHD_Result
api_ctr_delete (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  bool force = svc_query_bool (r, "force", false), vols = svc_query_bool (r, "v", false);
  if (svc_query_bool (r, "link", false))
    return svc_reply_err (r, 400, "capsa has no container links to remove (link=1)");
  if (!svc_find_ctr (r, &c, &res))
    return res;
  if (is_live (c) && !force)
    return svc_reply_err (r, 409,
                          "You cannot remove a %s container %s. Stop the container before attempting removal or "
                          "force remove",
                          c->status == CTR_PAUSED ? "paused" : "running", c->id);
  return done (r, capsa_ctr_remove (&r->s->eng, c, force, vols, &err), &err);
}

enum MHD_Result
api_ctr_rename (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  const char *name = svc_query (r, "name");
  if (name == NULL || *name == '\0')
    return svc_reply_err (r, 400, "rename: the new name is required (?name=NAME)");
  if (*name == '/')
    name++;
  if (!capsa_ctr_valid_name (name))
    return svc_reply_err (r, 400, "Invalid container name (%s), only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed", name);
  if (!svc_find_ctr (r, &c, &res))
    return res;
  return done (r, capsa_ctr_rename (&r->s->eng, c, name, &err), &err);
}

/* GET /containers/{id}/top?ps_args=: the host's ps with those options (-ef), the container's lines
 * (capsa_ctr_top_ps), as dockerd. */
enum MHD_Result
api_ctr_top (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  json_t *out = NULL;
  enum MHD_Result res;
  if (!svc_find_ctr (r, &c, &res))
    return res;
  if (!is_live (c))
    return svc_reply_err (r, 409, "Container %s is not running", c->id);
  if (capsa_ctr_top_ps (&r->s->eng, c, r->param[0], svc_query (r, "ps_args"), &out, &err) < 0)
    return svc_reply_err (r, 500, "%s", err->msg);
  return svc_reply_json (r, 200, out);
}

struct pruned
{
  json_t *ids;
  long long bytes;
};

static void
on_pruned (void *data, const char *id, long long size, capsa_err **err)
{
  struct pruned *p = data;
  if (err && *err)
    return capsa_err_free (err);
  json_array_append_new (p->ids, json_string (id));
  p->bytes += size > 0 ? size : 0;
}

enum MHD_Result
api_ctr_prune (struct svc_req *r)
{
  cleanup_json json_t *f = NULL;
  capsa_err *err = NULL;
  enum MHD_Result res;
  long long until;
  if (!svc_filters (r, &f, &res))
    return res;
  if (capsa_prune_filters_check (f, false, &until, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  struct pruned p = { json_array (), 0 };
  capsa_ctr_prune (&r->s->eng, f, until, on_pruned, &p);
  return svc_reply_json (r, 200,
                         json_pack ("{s:o, s:I}", "ContainersDeleted", p.ids, "SpaceReclaimed", (json_int_t) p.bytes));
}
