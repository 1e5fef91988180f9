/* POST /containers/{id}/update: docker's Resources (what `docker update` sends) as an OCI
 * linux.resources object for the engine (capsa_ctr_update: live, and kept for the next start). */
#include <errno.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "svc.h"

static json_t *
child (json_t *o, const char *key)
{
  if (json_object_get (o, key) == NULL)
    json_object_set_new (o, key, json_object ());
  return json_object_get (o, key);
}

/* body's fields that are set (non-zero) into res; what capsa cannot change is refused */
static int
update_res (json_t *b, json_t *res, capsa_err **err)
{
  json_int_t mem = json_integer_value (json_object_get (b, "Memory")),
             swap = json_integer_value (json_object_get (b, "MemorySwap")),
             nano = json_integer_value (json_object_get (b, "NanoCpus")),
             shares = json_integer_value (json_object_get (b, "CpuShares")),
             quota = json_integer_value (json_object_get (b, "CpuQuota")),
             period = json_integer_value (json_object_get (b, "CpuPeriod")),
             pids = json_integer_value (json_object_get (b, "PidsLimit")),
             blkio = json_integer_value (json_object_get (b, "BlkioWeight"));
  const char *cpuset = jstr (b, "CpusetCpus"), *restart = jstr (json_object_get (b, "RestartPolicy"), "Name");
  if (restart && *restart)
    return capsa_fail_as (err, EINVAL, "RestartPolicy: capsa keeps a container's restart policy from its creation");
  if ((mem && capsa_ctr_check_limits (mem, 0, err) < 0) || (nano && capsa_ctr_check_limits (0, nano / 1e9, err) < 0))
    return -1;
  if (mem)
    json_object_set_new (child (res, "memory"), "limit", json_integer (mem));
  if (swap)
    json_object_set_new (child (res, "memory"), "swap", json_integer (swap));
  if (nano)
    {
      json_object_set_new (child (res, "cpu"), "period", json_integer (100000));
      json_object_set_new (child (res, "cpu"), "quota", json_integer (nano / 10000));
    }
  if (quota)
    json_object_set_new (child (res, "cpu"), "quota", json_integer (quota));
  if (period)
    json_object_set_new (child (res, "cpu"), "period", json_integer (period));
  if (shares)
    json_object_set_new (child (res, "cpu"), "shares", json_integer (shares));
  if (cpuset && *cpuset)
    json_object_set_new (child (res, "cpu"), "cpus", json_string (cpuset));
  if (pids)
    json_object_set_new (res, "pids", json_pack ("{s:I}", "limit", pids));
  if (blkio)
    json_object_set_new (res, "blockIO", json_pack ("{s:I}", "weight", blkio));
  return 0;
}

enum MHD_Result
api_ctr_update (struct svc_req *r)
{
  cleanup_json json_t *body = NULL, *res = json_object ();
  cleanup_ctr struct ctr *c = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result ret;
  if (!svc_body_json (r, false, &body, &ret) || !svc_find_ctr (r, &c, &ret))
    return ret;
  if (update_res (body, res, &err) < 0)
    return svc_reply_err (r, 400, "%s", err->msg);
  if (json_object_size (res) && capsa_ctr_update (&r->s->eng, c, res, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  return svc_reply_json (r, 200, json_pack ("{s:[]}", "Warnings"));
}
