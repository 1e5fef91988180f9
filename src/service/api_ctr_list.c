/* GET /containers/json (docker ps) and GET /containers/{id}/json (docker inspect), in docker's
 * shapes (the engine's views, capsa/engine.h). */
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

/* whether any value of filter key matches s: as a prefix (id) or a substring (name) */
static bool
any_match (json_t *f, const char *key, const char *s, bool prefix)
{
  json_t *vals = json_object_get (f, key), *v;
  size_t i;
  if (json_array_size (vals) == 0)
    return true;
  json_array_foreach (vals, i, v)
  {
    const char *w = json_string_value (v);
    if (prefix ? strncmp (s, w, strlen (w)) == 0 : strstr (s, w) != NULL)
      return true;
  }
  return false;
}

static bool
network_match (json_t *f, json_t *sum)
{
  json_t *nets = json_object_get (json_object_get (sum, "NetworkSettings"), "Networks");
  const char *mode = jstr (json_object_get (sum, "HostConfig"), "NetworkMode");
  json_t *vals = json_object_get (f, "network"), *v;
  size_t i;
  if (json_array_size (vals) == 0)
    return true;
  json_array_foreach (vals, i, v) if (json_object_get (nets, json_string_value (v))
                                      || (mode && strcmp (mode, json_string_value (v)) == 0)) return true;
  return false;
}

static bool
ctr_match (json_t *f, struct ctr *c, json_t *sum)
{
  char code[16];
  snprintf (code, sizeof code, "%d", c->exit_code);
  const char *name = capsa_ctr_name (c);
  return any_match (f, "id", c->id, true) && any_match (f, "name", name, false)
         && svc_labels_match (json_object_get (sum, "Labels"), json_object_get (f, "label"))
         && svc_filter_match (f, "status", capsa_ctr_status_name (c->status))
         && (json_array_size (json_object_get (f, "exited")) == 0
             || (c->status == CTR_EXITED && svc_filter_match (f, "exited", code)))
         && (svc_filter_match (f, "ancestor", jstr (sum, "Image"))
             || svc_filter_match (f, "ancestor", jstr (sum, "ImageID")))
         && network_match (f, sum);
}

/* entries {"t": the record's RFC 3339 creation time (nanoseconds: the unix seconds of Created
 * tie), "v": the summary} */
static int
newest_first (const void *a, const void *b, void *arg)
{
  (void) arg;
  const char *x = jstr (*(json_t *const *) a, "t"), *y = jstr (*(json_t *const *) b, "t");
  return -strcmp (x ?: "", y ?: "");
}

static json_t *
sorted (json_t *arr, long long limit)
{
  json_array_sort (arr, newest_first, NULL);
  json_t *out = json_array ();
  for (size_t i = 0; i < json_array_size (arr) && (limit <= 0 || (long long) i < limit); i++)
    json_array_append (out, json_object_get (json_array_get (arr, i), "v"));
  json_decref (arr);
  return out;
}

enum MHD_Result
api_ctr_list (struct svc_req *r)
{
  cleanup_json json_t *f = NULL;
  enum MHD_Result res;
  long long limit;
  if (!svc_filters (r, &f, &res) || !svc_query_int (r, "limit", -1, &limit, &res))
    return res;
  bool all = svc_query_bool (r, "all", false) || limit > 0;
  cleanup_strv char **ids = capsa_ctr_list_ids (&r->s->eng);
  json_t *arr = json_array ();
  for (char **id = ids; id && *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      if (capsa_ctr_load (&r->s->eng, *id, &c, NULL) < 0)
        continue;
      bool live = c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING;
      if (!all && !live && json_array_size (json_object_get (f, "status")) == 0)
        continue;
      json_t *sum = capsa_ctr_summary_json (&r->s->eng, c);
      if (ctr_match (f, c, sum))
        json_array_append_new (arr, json_pack ("{s:s, s:o}", "t", jstr (c->meta, "Created") ?: "", "v", sum));
      else
        json_decref (sum);
    }
  return svc_reply_json (r, 200, sorted (arr, limit));
}

enum MHD_Result
api_ctr_inspect (struct svc_req *r)
{
  cleanup_ctr struct ctr *c = NULL;
  enum MHD_Result res;
  if (!svc_find_ctr (r, &c, &res))
    return res;
  return svc_reply_json (r, 200, capsa_ctr_inspect_json (&r->s->eng, c));
}
