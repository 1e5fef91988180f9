/* POST /containers/{id}/attach (hijacked, hijack.h) and POST /containers/{id}/resize: a client
 * on the container's monitor (capsa/attach.h), as `capsa attach` is.  A created container can be
 * attached to (its monitor is there from creation: `docker start -a` attaches, then starts); the
 * stream ends with the container (ATTACH_EXIT) or the detach keys, which leave it running. */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "hijack.h"
#include "svc.h"

static bool
cfg_bool (const struct ctr *c, const char *key)
{
  return json_is_true (json_object_get (json_object_get (c->meta, "Config"), key));
}

/* The container's monitor, for an attach or a resize: 409 when it has none to reach. */
static bool
monitor_connect (struct svc_req *r, struct ctr *c, int *fd, enum MHD_Result *res)
{
  cleanup_err capsa_err *err = NULL;
  if (c->status == CTR_PAUSED)
    *res = svc_reply_err (r, 409, "You cannot attach to a paused container, unpause it first");
  else if (c->status != CTR_RUNNING && c->status != CTR_CREATED)
    *res = svc_reply_err (r, 409, "You cannot attach to a stopped container, start it first");
  else if (capsa_ctr_attach_connect (c, fd, &err) < 0)
    *res = svc_reply_err (r, 409, "%s", err->msg);
  else
    return true;
  return false;
}

enum MHD_Result
api_ctr_attach (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  enum MHD_Result res;
  struct hj_relay rl;
  hj_relay_init (&rl);
  const char *keys = svc_query (r, "detachKeys");
  if (keys && *keys && capsa_detach_keys_parse (keys, &rl.keys) < 0)
    return svc_reply_err (r, 400, "Invalid detach keys (%s) provided", keys);
  if (!svc_find_ctr (r, &c, &res))
    return res;
  /* logs=1 (the past output first) waits for the engine's log reader */
  if (!svc_query_bool (r, "stream", false))
    return svc_hijack (r, &rl, NULL, NULL, NULL, NULL); /* nothing asked: an empty stream */
  int fd;
  if (!monitor_connect (r, c, &fd, &res))
    return res;
  capsa_ctr_event (&r->s->eng, c, "attach", NULL, NULL);
  rl.tty = cfg_bool (c, "Tty");
  rl.want_out = svc_query_bool (r, "stdout", false);
  rl.want_err = svc_query_bool (r, "stderr", false);
  rl.src[0] = fd;
  rl.kind[0] = HJ_MONITOR;
  if (svc_query_bool (r, "stdin", false) && cfg_bool (c, "OpenStdin"))
    {
      rl.sink = fd;
      rl.sink_monitor = true;
      rl.stdin_once = cfg_bool (c, "StdinOnce") && !rl.tty;
    }
  return svc_hijack (r, &rl, NULL, NULL, NULL, NULL);
}

/* ?h=ROWS&w=COLS: both required, as dockerd's */
bool
svc_query_size (struct svc_req *r, unsigned *rows, unsigned *cols, enum MHD_Result *res)
{
  long long h, w;
  if (!svc_query_int (r, "h", -1, &h, res) || !svc_query_int (r, "w", -1, &w, res))
    return false;
  if (h < 0 || w < 0 || h > 65535 || w > 65535)
    {
      *res = svc_reply_err (r, 400, "resize: h and w (0 to 65535) are required");
      return false;
    }
  *rows = (unsigned) h;
  *cols = (unsigned) w;
  return true;
}

enum MHD_Result
api_ctr_resize (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  enum MHD_Result res;
  unsigned rows, cols;
  if (!svc_query_size (r, &rows, &cols, &res) || !svc_find_ctr (r, &c, &res))
    return res;
  /* a created one too: its monitor holds its terminal from creation, and the docker CLI resizes
   * right after start, when the record may not say running yet */
  if (c->status != CTR_RUNNING && c->status != CTR_CREATED && c->status != CTR_PAUSED)
    return svc_reply_err (r, 409, "Container %s is not running", c->id);
  cleanup_close int fd = -1;
  if (!monitor_connect (r, c, &fd, &res))
    return res;
  if (capsa_attach_send_resize (fd, rows, cols) < 0)
    return svc_reply_err (r, 500, "resize container %s: its monitor: %s", c->id, strerror (errno));
  return svc_reply_empty (r, 200);
}
