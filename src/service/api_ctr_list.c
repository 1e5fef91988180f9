/* GET /containers/json (docker ps) and GET /containers/{id}/json (docker inspect), in docker's
 * shapes (the engine's views, capsa/engine.h). */
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

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
  capsa_err *err = NULL;
  if (!svc_filters (r, &f, &res) || !svc_query_int (r, "limit", -1, &limit, &res))
    return res;
  if (capsa_ctr_filters_check (f, &err) < 0)
    return svc_reply_capsa_err (r, &err);
  bool all = svc_query_bool (r, "all", false) || limit > 0;
  bool by_status = json_array_size (json_object_get (f, "status")) > 0;
  cleanup_strv char **ids = all || by_status ? capsa_ctr_list_ids (&r->s->eng)
                                             : capsa_ctr_list_ids_with_dir (&r->s->eng);
  json_t *arr = json_array ();
  for (char **id = ids; id && *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      if (capsa_ctr_load_listed (&r->s->eng, *id, false, &c, NULL) < 0)
        continue;
      bool live = c->status == CTR_RUNNING || c->status == CTR_PAUSED || c->status == CTR_RESTARTING;
      if (!all && !live && !by_status)
        continue;
      json_t *sum = capsa_ctr_summary_json (&r->s->eng, c);
      if (capsa_ctr_filter_match (&r->s->eng, c, sum, f))
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
