/* GET /system/df: docker's disk usage, {LayersSize, Images, Containers, Volumes, BuildCache},
 * as `capsa system df` counts it: the images' unpacked sizes (the store's index), the volumes'
 * data with who uses them.  Images and Containers are [] until the engine and the image library
 * give their summaries (docker's ImageSummary, ContainerSummary). */
#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

/* The bytes the store's images hold unpacked (what docker calls LayersSize). */
static long long
layers_size (struct capsa_engine *e)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL;
  cleanup_err capsa_err *err = NULL;
  long long n = 0;
  size_t i;
  json_t *v;
  if (capsa_store_open (e->root, &s, &err) < 0 || capsa_index_read (s, &idx, &err) < 0)
    return 0;
  json_array_foreach (json_object_get (idx, "images"), i, v) n += json_integer_value (json_object_get (v, "size"));
  return n;
}

/* Every volume as docker's Volume, with UsageData {Size, RefCount}. */
static json_t *
volumes_usage (struct capsa_engine *e)
{
  cleanup_strv char **names = capsa_volume_names (e);
  cleanup_json json_t *used = capsa_volume_used (e);
  json_t *out = json_array ();
  for (char **n = names; n && *n; n++)
    {
      json_t *v = capsa_volume_json (e, *n);
      if (v == NULL)
        continue;
      if (!json_object_get (v, "Options"))
        json_object_set_new (v, "Options", json_object ());
      json_object_set_new (v, "UsageData",
                           json_pack ("{s:I, s:i}", "Size", (json_int_t) capsa_volume_size (e, *n), "RefCount",
                                      json_object_get (used, *n) ? 1 : 0));
      json_array_append_new (out, v);
    }
  return out;
}

enum MHD_Result
api_system_df (struct svc_req *r)
{
  struct capsa_engine *e = &r->s->eng;
  return svc_reply_json (r, 200,
                         json_pack ("{s:I, s:[], s:[], s:o, s:[]}", "LayersSize", (json_int_t) layers_size (e),
                                    "Images", "Containers", "Volumes", volumes_usage (e), "BuildCache"));
}
