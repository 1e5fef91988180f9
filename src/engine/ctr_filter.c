/* Docker's container filters (`ps --filter`, GET /containers/json?filters=): one implementation
 * for both front ends (capsa/engine.h).  filters is docker's {"key": ["value", ...]}; every key
 * must match (values of one key: any of them). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/json.h"
#include "ctr.h"
#include "ctr_health.h"
#include "util.h"

bool
capsa_labels_match (json_t *labels, json_t *want)
{
  json_t *v;
  size_t i;
  json_array_foreach (want, i, v)
  {
    const char *kv = json_string_value (v), *eq = kv ? strchr (kv, '=') : NULL;
    cleanup_free char *k = eq ? strndup (kv, (size_t) (eq - kv)) : xstrdup (kv ?: "");
    const char *have = json_string_value (json_object_get (labels, k));
    if (have == NULL || (eq && strcmp (have, eq + 1) != 0))
      return false;
  }
  return true;
}

/* whether some value of key is s (exact), starts it (prefix: id) or is in it (name) */
static bool
any_match (json_t *f, const char *key, const char *s, int how)
{
  json_t *vals = json_object_get (f, key), *v;
  size_t i;
  if (json_array_size (vals) == 0)
    return true;
  json_array_foreach (vals, i, v)
  {
    const char *w = json_string_value (v) ?: "";
    if (s && (how == 0 ? strcmp (s, w) == 0 : how == 1 ? strncmp (s, w, strlen (w)) == 0 : strstr (s, w) != NULL))
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
  json_array_foreach (vals, i, v)
  {
    if (json_object_get (nets, json_string_value (v)) || (mode && strcmp (mode, json_string_value (v)) == 0))
      return true;
  }
  return false;
}

/* before=CTR, since=CTR: made before or after that container (none such: nothing matches) */
static bool
time_match (struct capsa_engine *e, json_t *f, const char *key, struct ctr *c)
{
  const char *what = json_string_value (json_array_get (json_object_get (f, key), 0));
  if (what == NULL)
    return true;
  cleanup_ctr struct ctr *ref = NULL;
  if (capsa_ctr_find (e, what, &ref, NULL) < 0)
    return false;
  int cmp = strcmp (jstr (c->meta, "Created") ?: "", jstr (ref->meta, "Created") ?: "");
  return key[0] == 'b' ? cmp < 0 : cmp > 0;
}

/* volume=NAME|DEST: a mount of that volume, or at that destination */
static bool
volume_match (json_t *f, json_t *sum)
{
  json_t *vals = json_object_get (f, "volume"), *v, *m;
  size_t i, j;
  if (json_array_size (vals) == 0)
    return true;
  json_array_foreach (vals, i, v)
  {
    const char *w = json_string_value (v) ?: "";
    json_array_foreach (json_object_get (sum, "Mounts"), j, m)
    {
      if (strcmp (jstr (m, "Name") ?: "", w) == 0 || strcmp (jstr (m, "Destination") ?: "", w) == 0)
        return true;
    }
  }
  return false;
}

static const char *const known[] = { "id",      "name",   "label", "status", "exited", "ancestor",
                                     "network", "before", "since", "volume", "health", NULL };

int
capsa_ctr_filters_check (json_t *filters, capsa_err **err)
{
  const char *k;
  json_t *v;
  if (ctr_filter_keys_check (filters, known, err) < 0)
    return -1;
  json_object_foreach (filters, k, v)
  {
    size_t j;
    json_t *w;
    static const char *const health[] = { "starting", "healthy", "unhealthy", "none" };
    json_array_foreach (strcmp (k, "health") == 0 ? v : NULL, j, w)
    {
      const char *s = json_string_value (w) ?: "";
      size_t h;
      for (h = 0; h < ARRAY_SIZE (health) && strcmp (health[h], s) != 0; h++)
        ;
      if (h == ARRAY_SIZE (health)) /* docker's words */
        return capsa_fail_as (err, EINVAL, "Unrecognised filter value for health: %s", s);
    }
  }
  return 0;
}

bool
capsa_ctr_filter_match (struct capsa_engine *e, struct ctr *c, json_t *summary, json_t *filters)
{
  if (json_object_size (filters) == 0)
    return true;
  char code[16];
  snprintf (code, sizeof code, "%d", c->exit_code);
  cleanup_json json_t *made = summary ? NULL : capsa_ctr_summary_json (e, c);
  json_t *sum = summary ? summary : made;
  return any_match (filters, "id", c->id, 1) && any_match (filters, "name", capsa_ctr_name (c), 2)
         && capsa_labels_match (json_object_get (sum, "Labels"), json_object_get (filters, "label"))
         && any_match (filters, "status", capsa_ctr_status_name (c->status), 0)
         && (json_array_size (json_object_get (filters, "exited")) == 0
             || (c->status == CTR_EXITED && any_match (filters, "exited", code, 0)))
         && (any_match (filters, "ancestor", jstr (sum, "Image"), 0)
             || any_match (filters, "ancestor", jstr (sum, "ImageID"), 1))
         && network_match (filters, sum) && volume_match (filters, sum) && time_match (e, filters, "before", c)
         && time_match (e, filters, "since", c) && any_match (filters, "health", ctr_health_status (c), 0);
}
