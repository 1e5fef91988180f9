/* /images: the image store (include/capsa/image.h) as dockerd 20.10 answers for it.  An image's
 * name may hold slashes (127.0.0.1:5000/x/y:tag), so /images/... is one route whose handler finds
 * the operation from the path's last segment, as dockerd's router ({name:.*}/json) does; the
 * transfers (pull, push, save, load) are in api_images_xfer.c. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "svc.h"

bool
svc_open_store (struct svc_req *r, struct capsa_store **s, enum MHD_Result *res)
{
  capsa_err *err = NULL;
  if (capsa_store_open (r->s->eng.root, s, &err) == 0)
    return true;
  *res = svc_reply_capsa_err (r, &err);
  return false;
}

bool
svc_find_image (struct svc_req *r, json_t *idx, const char *name, json_t **img, enum MHD_Result *res)
{
  *img = capsa_image_find (idx, name, r->s->eng.default_registry, NULL);
  if (*img == NULL)
    *res = svc_reply_err (r, 404, "No such image: %s", name);
  return *img != NULL;
}

/* An image call's failure: docker's 404 "No such image", 409 "conflict: ...", else by errno. */
static enum MHD_Result
reply_image_err (struct svc_req *r, const char *name, capsa_err **err)
{
  int e = *err ? (*err)->errnum : 0;
  if (e != ENOENT && e != EBUSY)
    return svc_reply_capsa_err (r, err);
  enum MHD_Result res = e == ENOENT ? svc_reply_err (r, 404, "No such image: %s", name)
                                    : svc_reply_err (r, 409, "conflict: %s", (*err)->msg);
  capsa_err_free (err);
  return res;
}

/* The store, its index and the image `name` (docker's 404 when there is none). */
static bool
open_image (struct svc_req *r, const char *name, struct capsa_store **s, json_t **idx, json_t **img,
            enum MHD_Result *res)
{
  capsa_err *err = NULL;
  if (!svc_open_store (r, s, res))
    return false;
  if (capsa_index_read (*s, idx, &err) < 0)
    {
      *res = svc_reply_capsa_err (r, &err);
      return false;
    }
  return svc_find_image (r, *idx, name, img, res);
}

static int
newest_first (const void *a, const void *b, void *arg)
{
  (void) arg;
  json_int_t x = json_integer_value (json_object_get (*(json_t *const *) a, "Created"));
  json_int_t y = json_integer_value (json_object_get (*(json_t *const *) b, "Created"));
  return (x < y) - (x > y);
}

static enum MHD_Result
image_list (struct svc_req *r)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL, *filters = NULL;
  capsa_err *err = NULL;
  enum MHD_Result res;
  long long before, since;
  if (!svc_filters (r, &filters, &res) || !svc_open_store (r, &s, &res))
    return res;
  if (capsa_image_filters_check (filters, &err) < 0 || capsa_index_read (s, &idx, &err) < 0
      || capsa_image_filter_times (idx, filters, r->s->eng.default_registry, &before, &since, &err) < 0)
    {
      if (err->errnum != ENOENT) /* (EINVAL: a bad filter, 400) */
        return svc_reply_capsa_err (r, &err);
      res = svc_reply_err (r, 404, "%s", err->msg);
      capsa_err_free (&err);
      return res;
    }
  json_t *rows = json_array (), *img;
  size_t i;
  bool all = svc_query_bool (r, "all", false);
  json_array_foreach (json_object_get (idx, "images"), i, img)
  {
    /* intermediate images (untagged parents) only with all=1, as dockerd */
    if (!all && capsa_image_intermediate (idx, img))
      continue;
    json_t *row = capsa_image_summary_json (s, img, r->s->eng.default_registry);
    if (capsa_image_filter_match (row, capsa_image_dangling (idx, img), filters, before, since))
      json_array_append (rows, row);
    json_decref (row);
  }
  json_array_sort (rows, newest_first, NULL);
  return svc_reply_json (r, 200, rows);
}

static enum MHD_Result
image_inspect (struct svc_req *r, const char *name, bool history)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *idx = NULL;
  capsa_err *err = NULL;
  enum MHD_Result res;
  json_t *img;
  if (!open_image (r, name, &s, &idx, &img, &res))
    return res;
  const char *reg = r->s->eng.default_registry;
  json_t *out = history ? capsa_image_history_json (s, img, reg, &err) : capsa_image_inspect_json (s, img, reg, &err);
  return out ? svc_reply_json (r, 200, out) : svc_reply_capsa_err (r, &err);
}

static enum MHD_Result
image_tag (struct svc_req *r, const char *name)
{
  cleanup_store struct capsa_store *s = NULL;
  capsa_err *err = NULL;
  enum MHD_Result res;
  const char *repo = svc_query (r, "repo"), *tag = svc_query (r, "tag");
  if (repo == NULL || *repo == '\0')
    return svc_reply_err (r, 400, "repository name (repo) is required");
  cleanup_free char *full = capsa_xasprintf ("%s:%s", repo, tag && *tag ? tag : "latest");
  if (!svc_open_store (r, &s, &res))
    return res;
  if (capsa_image_tag (s, name, full, r->s->eng.default_registry, &err) < 0)
    return reply_image_err (r, name, &err);
  return svc_reply_empty (r, 201);
}

/* [{"Untagged": NAME}..., {"Deleted": ID}...] as docker's rmi and prune give them. */
static void
add_deleted (json_t *arr, const char *key, char **names, const char *reg)
{
  for (char **n = names; n && *n; n++)
    {
      cleanup_free char *fam = strcmp (key, "Untagged") == 0 ? capsa_ref_familiar (*n, reg) : capsa_xstrdup (*n);
      json_array_append_new (arr, json_pack ("{s:s}", key, fam));
    }
}

static enum MHD_Result
image_delete (struct svc_req *r, const char *name)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **untagged = NULL, **deleted = NULL;
  capsa_err *err = NULL;
  enum MHD_Result res;
  const char *reg = r->s->eng.default_registry;
  if (!svc_open_store (r, &s, &res))
    return res;
  if (capsa_image_remove (s, name, svc_query_bool (r, "force", false), reg, &untagged, &deleted, &err) < 0)
    return reply_image_err (r, name, &err);
  json_t *out = json_array ();
  add_deleted (out, "Untagged", untagged, reg);
  add_deleted (out, "Deleted", deleted, reg);
  return svc_reply_json (r, 200, out);
}

static enum MHD_Result
image_prune (struct svc_req *r)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_json json_t *filters = NULL;
  cleanup_strv char **deleted = NULL;
  capsa_err *err = NULL;
  enum MHD_Result res;
  long long reclaimed = 0;
  long long until;
  if (!svc_filters (r, &filters, &res) || !svc_open_store (r, &s, &res))
    return res;
  const char *d = json_string_value (json_array_get (json_object_get (filters, "dangling"), 0));
  bool all = d && (strcmp (d, "false") == 0 || strcmp (d, "0") == 0);
  if (capsa_prune_filters_check (filters, true, &until, &err) < 0
      || capsa_image_prune_filtered (s, all, filters, until, r->s->eng.default_registry, &deleted, &reclaimed, &err)
             < 0)
    return svc_reply_capsa_err (r, &err);
  json_t *arr = json_array ();
  add_deleted (arr, "Deleted", deleted, NULL);
  return svc_reply_json (r, 200,
                         json_pack ("{s:o, s:I}", "ImagesDeleted", arr, "SpaceReclaimed", (json_int_t) reclaimed));
}

/* name + "/suffix" at the end of path: name owned, NULL when path does not end so. */
static char *
strip_suffix (const char *path, const char *suffix)
{
  size_t n = strlen (path), k = strlen (suffix);
  if (n <= k + 1 || strcmp (path + n - k, suffix) != 0 || path[n - k - 1] != '/')
    return NULL;
  return strndup (path, n - k - 1);
}

static bool
is (struct svc_req *r, const char *method)
{
  return strcmp (r->method, method) == 0;
}

/* /images/{name}/OP, found from the end of the path. */
static enum MHD_Result
image_op (struct svc_req *r, const char *rest)
{
  static const char *const ops[] = { "json", "history", "tag", "push", "get" };
  for (size_t i = 0; i < ARRAY_SIZE (ops) && !is (r, "DELETE"); i++)
    {
      cleanup_free char *name = strip_suffix (rest, ops[i]);
      if (name == NULL)
        continue;
      bool get = is (r, "GET");
      if ((i <= 1 || i == 4) != get)
        return svc_reply_err (r, 405, "%s is not allowed on %s", r->method, r->path);
      switch (i)
        {
        case 0:
        case 1:
          return image_inspect (r, name, i == 1);
        case 2:
          return image_tag (r, name);
        case 3:
          return api_image_push (r, name);
        default:
          return api_image_save (r, name);
        }
    }
  if (is (r, "DELETE"))
    return image_delete (r, rest);
  return svc_reply_err (r, 404, "page not found");
}

enum MHD_Result
api_images (struct svc_req *r)
{
  const char *rest = r->path + strlen ("/images/");
  size_t n = strlen (rest);
  cleanup_free char *p = strndup (rest, n && rest[n - 1] == '/' ? n - 1 : n);
  if (is (r, "GET") && strcmp (p, "json") == 0)
    return image_list (r);
  if (is (r, "POST") && strcmp (p, "create") == 0)
    return api_image_create (r);
  if (is (r, "POST") && strcmp (p, "prune") == 0)
    return image_prune (r);
  if (is (r, "GET") && strcmp (p, "get") == 0)
    return api_image_save (r, NULL);
  if (strcmp (p, "search") == 0)
    return api_not_implemented (r);
  return image_op (r, p);
}
