/* /volumes: named volumes (the engine's ROOT/volumes), local driver only. */
#include <errno.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

static json_t *
vol_json (struct svc_req *r, const char *name)
{
  json_t *v = capsa_volume_json (&r->s->eng, name);
  if (v && !json_object_get (v, "Options"))
    json_object_set_new (v, "Options", json_object ());
  return v;
}

/* The volumes that pass the query's filters (prune: only the unused ones, by label only), with
 * who uses them (*used); false with a 400 sent for bad filters. */
static bool
matching_volumes (struct svc_req *r, bool prune, json_t **out, json_t **used, enum MHD_Result *res)
{
  cleanup_json json_t *filters = NULL;
  capsa_err *err = NULL;
  long long until;
  if (!svc_filters (r, &filters, res))
    return false;
  if ((prune ? capsa_prune_filters_check (filters, false, &until, &err) : capsa_volume_filters_check (filters, &err))
      < 0)
    {
      *res = svc_reply_capsa_err (r, &err);
      return false;
    }
  cleanup_strv char **names = capsa_volume_names (&r->s->eng);
  *used = capsa_volume_used (&r->s->eng);
  *out = json_array ();
  for (char **n = names; n && *n; n++)
    {
      json_t *v = vol_json (r, *n);
      bool ok = v
                && (prune ? !json_object_get (*used, *n)
                                && capsa_prune_filter_match (json_object_get (v, "Labels"),
                                                             capsa_time_unix (jstr (v, "CreatedAt")), filters, until)
                          : capsa_volume_filter_match (v, *used, filters));
      if (ok)
        json_array_append_new (*out, v);
      else
        json_decref (v);
    }
  return true;
}

enum MHD_Result
api_vol_list (struct svc_req *r)
{
  json_t *arr;
  cleanup_json json_t *used = NULL;
  enum MHD_Result res;
  if (!matching_volumes (r, false, &arr, &used, &res))
    return res;
  return svc_reply_json (r, 200, json_pack ("{s:o, s:[]}", "Volumes", arr, "Warnings"));
}

enum MHD_Result
api_vol_create (struct svc_req *r)
{
  cleanup_json json_t *body = NULL;
  cleanup_err capsa_err *err = NULL;
  enum MHD_Result res;
  if (!svc_body_json (r, true, &body, &res))
    return res;
  const char *driver = jstr (body, "Driver"), *name = jstr (body, "Name");
  if (driver && *driver && strcmp (driver, "local") != 0)
    return svc_reply_err (r, 400, "volume driver `%s`: capsa has only the local driver", driver);
  if (json_object_size (json_object_get (body, "DriverOpts")))
    return svc_reply_err (r, 400, "DriverOpts: the local driver of capsa takes no options");
  char id[CTR_ID_LEN + 1];
  if (name == NULL || *name == '\0')
    {
      capsa_ctr_new_id (id);
      name = id;
    }
  json_t *labels = json_object_get (body, "Labels");
  cleanup_json json_t *lab = json_is_object (labels) ? json_incref (labels) : json_object ();
  cleanup_free char *path = NULL;
  if (capsa_volume_make (&r->s->eng, name, lab, &path, NULL, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  json_t *v = vol_json (r, name);
  if (v == NULL)
    return svc_reply_err (r, 500, "volume %s: made, but its volume.json cannot be read", name);
  return svc_reply_json (r, 201, v);
}

enum MHD_Result
api_vol_inspect (struct svc_req *r)
{
  json_t *v = capsa_ctr_valid_name (r->param[0]) ? vol_json (r, r->param[0]) : NULL;
  if (v == NULL)
    return svc_reply_err (r, 404, "get %s: no such volume", r->param[0]);
  return svc_reply_json (r, 200, v);
}

enum MHD_Result
api_vol_delete (struct svc_req *r)
{
  cleanup_err capsa_err *err = NULL;
  cleanup_json json_t *used = capsa_volume_used (&r->s->eng);
  if (!capsa_ctr_valid_name (r->param[0]))
    return svc_reply_err (r, 404, "get %s: no such volume", r->param[0]);
  if (capsa_volume_remove (&r->s->eng, r->param[0], svc_query_bool (r, "force", false), used, &err) < 0)
    {
      if (err->errnum == ENOENT)
        return svc_reply_err (r, 404, "get %s: no such volume", r->param[0]);
      return svc_reply_capsa_err (r, &err);
    }
  return svc_reply_empty (r, 204);
}

enum MHD_Result
api_vol_prune (struct svc_req *r)
{
  cleanup_json json_t *vols = NULL, *used = NULL;
  enum MHD_Result res;
  if (!matching_volumes (r, true, &vols, &used, &res))
    return res;
  json_t *deleted = json_array (), *v;
  long long reclaimed = 0;
  size_t i;
  json_array_foreach (vols, i, v)
  {
    cleanup_err capsa_err *err = NULL;
    const char *name = jstr (v, "Name");
    long long size = capsa_volume_size (&r->s->eng, name);
    if (capsa_volume_remove (&r->s->eng, name, false, used, &err) == 0)
      {
        json_array_append_new (deleted, json_string (name));
        reclaimed += size > 0 ? size : 0;
      }
  }
  return svc_reply_json (r, 200,
                         json_pack ("{s:o, s:I}", "VolumesDeleted", deleted, "SpaceReclaimed", (json_int_t) reclaimed));
}
