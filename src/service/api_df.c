/* GET /system/df: docker's disk usage, {LayersSize, Images, Containers, Volumes, BuildCache},
 * as `capsa system df` counts it: the images' unpacked sizes (the store's index), the volumes'
 * data with who uses them; the images' and containers' summaries (docker's ImageSummary,
 * ContainerSummary, with the bytes each container's writable layer holds as SizeRw). */
#include <fcntl.h>
#include <unistd.h>

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

static json_t *
images_usage (struct capsa_engine *e)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL;
  cleanup_err capsa_err *err = NULL;
  json_t *out = json_array (), *img;
  size_t i;
  if (capsa_store_open (e->root, &s, &err) < 0 || capsa_index_read (s, &idx, &err) < 0)
    return out;
  json_array_foreach (json_object_get (idx, "images"), i, img)
      json_array_append_new (out, capsa_image_summary_json (s, img, e->default_registry));
  return out;
}

static json_t *
containers_usage (struct capsa_engine *e)
{
  cleanup_strv char **ids = capsa_ctr_list_ids (e);
  json_t *out = json_array ();
  for (char **id = ids; id && *id; id++)
    {
      cleanup_ctr struct ctr *c = NULL;
      if (capsa_ctr_load (e, *id, &c, NULL) < 0)
        continue;
      json_t *sum = capsa_ctr_summary_json (e, c);
      cleanup_free char *upper = capsa_xasprintf ("%s/upper", c->dir); /* its overlay's writable layer */
      int fd = open (upper, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      json_object_set_new (sum, "SizeRw", json_integer (fd >= 0 ? capsa_fs_tree_size (fd) : 0));
      json_object_set_new (sum, "SizeRootFs", json_integer (0));
      if (fd >= 0)
        close (fd);
      json_array_append_new (out, sum);
    }
  return out;
}

enum MHD_Result
api_system_df (struct svc_req *r)
{
  struct capsa_engine *e = &r->s->eng;
  return svc_reply_json (r, 200,
                         json_pack ("{s:I, s:o, s:o, s:o, s:[]}", "LayersSize", (json_int_t) layers_size (e), "Images",
                                    images_usage (e), "Containers", containers_usage (e), "Volumes", volumes_usage (e),
                                    "BuildCache"));
}
