/* The parts of a request that are parsed from text alone (reqparse.h): no libmicrohttpd here,
 * so that tests/fuzz/fuzz_api.c runs them on any input. */
#include <ctype.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/json.h"
#include "capsa/util.h"
#include "reqparse.h"

/* The version prefix: "/v1.41/containers/json" -> "/containers/json", api 41. */
bool
svc_strip_version (const char *url, char **path, int *api)
{
  *api = SVC_API_MINOR;
  if (url[0] == '/' && url[1] == 'v' && url[2] >= '0' && url[2] <= '9')
    {
      char *end;
      long major = strtol (url + 2, &end, 10);
      long minor = *end == '.' ? strtol (end + 1, &end, 10) : -1;
      if (major != 1 || minor < 0 || (*end != '/' && *end != '\0'))
        return false;
      *api = (int) minor;
      url = end;
    }
  *path = capsa_xstrdup (*url ? url : "/");
  return true;
}

/* Whether path matches pattern; the {} segments are copied to params (percent-decoded by MHD
 * already: the URL it hands over is decoded). */
bool
svc_path_match (const char *pattern, const char *path, char **params)
{
  size_t np = 0;
  while (*pattern && *path)
    {
      if (strcmp (pattern, "**") == 0)
        return true;
      if (strncmp (pattern, "{}", 2) == 0)
        {
          size_t n = strcspn (path, "/");
          if (n == 0 || np >= SVC_MAX_PARAMS)
            break;
          params[np++] = strndup (path, n);
          pattern += 2;
          path += n;
          continue;
        }
      if (*pattern != *path)
        break;
      pattern++;
      path++;
    }
  bool ok = *pattern == '\0' && (*path == '\0' || strcmp (path, "/") == 0);
  if (!ok)
    for (size_t i = 0; i < np; i++)
      {
        free (params[i]);
        params[i] = NULL;
      }
  return ok;
}

bool
svc_filters_parse (const char *q, json_t **out)
{
  *out = json_object ();
  if (q == NULL || *q == '\0')
    return true;
  cleanup_json json_t *in = json_loads (q, 0, NULL);
  const char *k;
  json_t *v;
  if (!json_is_object (in))
    goto bad;
  json_object_foreach (in, k, v)
  {
    json_t *arr = json_array (), *e;
    const char *key;
    size_t i;
    if (json_is_array (v))
      json_array_foreach (v, i, e) if (json_is_string (e)) json_array_append (arr, e);
    if (json_is_object (v)) /* the old form: {"key": {"value": true}} */
      json_object_foreach (v, key, e) if (json_is_true (e)) json_array_append_new (arr, json_string (key));
    json_object_set_new (*out, k, arr);
    if (!json_is_array (v) && !json_is_object (v))
      goto bad;
  }
  return true;
bad:
  json_decref (*out);
  *out = NULL;
  return false;
}

bool
svc_parse_time (const char *v, long long *ns)
{
  *ns = -1;
  if (v == NULL || *v == '\0')
    return true;
  const char *p = v;
  long long sec = 0, frac = 0, scale = 1000000000LL;
  for (; isdigit ((unsigned char) *p); p++)
    {
      if (sec > (LLONG_MAX / 1000000000LL - 9) / 10)
        return false; /* past 2262: no time in nanoseconds */
      sec = sec * 10 + (*p - '0');
    }
  if (p != v && *p == '.')
    for (p++; isdigit ((unsigned char) *p); p++)
      if (scale > 1)
        frac += (*p - '0') * (scale /= 10);
  if (p != v && *p == '\0')
    {
      *ns = sec * 1000000000LL + frac;
      return true;
    }
  *ns = capsa_ctr_parse_since (v);
  return *ns >= 0;
}
