/* Docker's filters for images, networks, volumes and the prunes (capsa/engine.h), one
 * implementation for the command line and the API service.  filters is docker's
 * {"key": ["value", ...]}: every key must match, a key's values any of them (label: all). */
#include <ctype.h>
#include <errno.h>
#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "capsa/cleanup.h"
#include "capsa/engine.h"
#include "capsa/image.h"
#include "capsa/json.h"
#include "capsa/net.h"
#include "ctr.h"
#include "util.h"

enum how
{
  EXACT,
  PREFIX,
  SUBSTRING,
};

/* whether some value of key is s (exact), starts it or is in it; true when there is no key */
static bool
any_value (json_t *f, const char *key, const char *s, enum how how)
{
  json_t *vals = json_object_get (f, key), *v;
  size_t i;
  if (json_array_size (vals) == 0)
    return true;
  json_array_foreach (vals, i, v)
  {
    const char *w = json_string_value (v) ?: "";
    if (s
        && (how == EXACT    ? strcmp (s, w) == 0
            : how == PREFIX ? strncmp (s, w, strlen (w)) == 0
                            : strstr (s, w) != NULL))
      return true;
  }
  return false;
}

int
ctr_filter_keys_check (json_t *filters, const char *const *known, capsa_err **err)
{
  const char *k;
  json_t *v;
  json_object_foreach (filters, k, v)
  {
    size_t i;
    for (i = 0; known[i] && strcmp (known[i], k) != 0; i++)
      ;
    if (known[i] == NULL)
      {
        cleanup_free char *list = NULL;
        for (i = 0; known[i]; i++)
          {
            char *next = xasprintf ("%s%s%s", list ?: "", i ? ", " : "", known[i]);
            free (list);
            list = next;
          }
        return capsa_fail_as (err, EINVAL, "invalid filter '%s' (the filters are %s)", k, list);
      }
  }
  return 0;
}

/* key's value as a boolean (true, 1, false, 0): -1 when absent; an error for another value */
static int
bool_filter (json_t *filters, const char *key, int *out, capsa_err **err)
{
  json_t *v;
  size_t i;
  *out = -1;
  json_array_foreach (json_object_get (filters, key), i, v)
  {
    const char *s = json_string_value (v) ?: "";
    int b = strcmp (s, "true") == 0 || strcmp (s, "1") == 0    ? 1
            : strcmp (s, "false") == 0 || strcmp (s, "0") == 0 ? 0
                                                               : -1;
    if (b < 0)
      return capsa_fail_as (err, EINVAL, "invalid filter '%s=%s': want true or false", key, s);
    *out = b;
  }
  return 0;
}

static int
bool_of (json_t *filters, const char *key)
{
  int b;
  return bool_filter (filters, key, &b, NULL) < 0 ? -1 : b;
}

/* ---- images ---------------------------------------------------------------------------------- */

static const char *const image_keys[] = { "reference", "dangling", "label", "before", "since", NULL };

int
capsa_image_filters_check (json_t *filters, capsa_err **err)
{
  int b;
  return ctr_filter_keys_check (filters, image_keys, err) < 0 ? -1 : bool_filter (filters, "dangling", &b, err);
}

static int
image_time (json_t *idx, json_t *filters, const char *key, const char *registry, long long *t, capsa_err **err)
{
  const char *name = json_string_value (json_array_get (json_object_get (filters, key), 0));
  *t = -1;
  if (name == NULL)
    return 0;
  json_t *img = capsa_image_find (idx, name, registry, NULL);
  if (img == NULL)
    return capsa_fail_as (err, ENOENT, "No such image: %s", name);
  *t = capsa_time_unix (json_string_value (json_object_get (img, "created")));
  return 0;
}

int
capsa_image_filter_times (json_t *idx, json_t *filters, const char *default_registry, long long *before,
                          long long *since, capsa_err **err)
{
  if (image_time (idx, filters, "before", default_registry, before, err) < 0)
    return -1;
  return image_time (idx, filters, "since", default_registry, since, err);
}

/* docker's reference filter: a glob on the familiar name, with and without its tag */
static bool
ref_match (json_t *patterns, const char *tag)
{
  json_t *p;
  size_t i;
  cleanup_free char *repo = xstrdup (tag);
  char *at = strchr (repo, '@'), *colon = strrchr (repo, ':');
  if (at)
    *at = '\0';
  else if (colon && !strchr (colon, '/'))
    *colon = '\0';
  json_array_foreach (patterns, i, p)
  {
    const char *pat = json_string_value (p) ?: "";
    if (fnmatch (pat, tag, FNM_PATHNAME) == 0 || fnmatch (pat, repo, FNM_PATHNAME) == 0)
      return true;
  }
  return false;
}

/* Leave in names (RepoTags or RepoDigests) those the reference filter matches: false when none. */
static bool
keep_matching (json_t *names, json_t *refs)
{
  for (size_t i = json_array_size (names); i-- > 0;)
    if (!ref_match (refs, json_string_value (json_array_get (names, i))))
      json_array_remove (names, i);
  return json_array_size (names) > 0;
}

bool
capsa_image_filter_match (json_t *summary, bool dangling, json_t *filters, long long before, long long since)
{
  int d = bool_of (filters, "dangling");
  if (d >= 0 && d != dangling)
    return false;
  json_t *refs = json_object_get (filters, "reference");
  if (json_array_size (refs)
      && !(keep_matching (json_object_get (summary, "RepoTags"), refs)
           | keep_matching (json_object_get (summary, "RepoDigests"), refs)))
    return false;
  long long created = json_integer_value (json_object_get (summary, "Created"));
  if ((before >= 0 && created >= before) || (since >= 0 && created <= since))
    return false;
  return capsa_labels_match (json_object_get (summary, "Labels"), json_object_get (filters, "label"));
}

bool
capsa_image_ref_match (json_t *filters, const char *familiar)
{
  json_t *refs = json_object_get (filters, "reference");
  return json_array_size (refs) == 0 || ref_match (refs, familiar);
}

/* ---- networks and volumes -------------------------------------------------------------------- */

static const char *const network_keys[] = { "name", "id", "label", "driver", "type", "dangling", "scope", NULL };

int
capsa_network_filters_check (json_t *filters, capsa_err **err)
{
  int b;
  if (ctr_filter_keys_check (filters, network_keys, err) < 0 || bool_filter (filters, "dangling", &b, err) < 0)
    return -1;
  json_t *v;
  size_t i;
  json_array_foreach (json_object_get (filters, "type"), i, v)
  {
    const char *s = json_string_value (v) ?: "";
    if (strcmp (s, "custom") != 0 && strcmp (s, "builtin") != 0)
      return capsa_fail_as (err, EINVAL, "invalid filter 'type=%s': want custom or builtin", s);
  }
  return 0;
}

bool
capsa_network_builtin (const char *name)
{
  return strcmp (name, "host") == 0 || strcmp (name, "none") == 0 || strcmp (name, CAPSA_NET_DEFAULT) == 0;
}

bool
capsa_network_filter_match (json_t *net, json_t *filters)
{
  const char *name = jstr (net, "Name") ?: "";
  bool builtin = capsa_network_builtin (name);
  int d = bool_of (filters, "dangling");
  bool unused = !builtin && json_object_size (json_object_get (net, "Containers")) == 0;
  return any_value (filters, "name", name, SUBSTRING) && any_value (filters, "id", jstr (net, "Id"), PREFIX)
         && any_value (filters, "driver", jstr (net, "Driver"), EXACT)
         && any_value (filters, "type", builtin ? "builtin" : "custom", EXACT)
         && any_value (filters, "scope", "local", EXACT) && (d < 0 || d == unused)
         && capsa_labels_match (json_object_get (net, "Labels"), json_object_get (filters, "label"));
}

static const char *const volume_keys[] = { "name", "label", "driver", "dangling", NULL };

int
capsa_volume_filters_check (json_t *filters, capsa_err **err)
{
  int b;
  return ctr_filter_keys_check (filters, volume_keys, err) < 0 ? -1 : bool_filter (filters, "dangling", &b, err);
}

bool
capsa_volume_filter_match (json_t *vol, json_t *used, json_t *filters)
{
  const char *name = jstr (vol, "Name") ?: "";
  int d = bool_of (filters, "dangling");
  return any_value (filters, "name", name, SUBSTRING)
         && any_value (filters, "driver", jstr (vol, "Driver") ?: "local", EXACT)
         && (d < 0 || d == (json_object_get (used, name) == NULL))
         && capsa_labels_match (json_object_get (vol, "Labels"), json_object_get (filters, "label"));
}

/* ---- prunes ---------------------------------------------------------------------------------- */

/* Go's durations: a sequence of numbers with units (300ms, 1.5h, 2h45m, 10s); seconds in *out */
static bool
parse_duration (const char *s, double *out)
{
  static const struct
  {
    const char *unit;
    double secs;
  } units[] = {
    { "ns", 1e-9 }, { "us", 1e-6 }, { "µs", 1e-6 }, { "ms", 1e-3 }, { "s", 1 }, { "m", 60 }, { "h", 3600 }
  };
  *out = 0;
  if (*s == '\0')
    return false;
  while (*s)
    {
      char *end;
      double n = strtod (s, &end);
      if (end == s || n < 0)
        return false;
      size_t u = 0, best = ARRAY_SIZE (units);
      for (; u < ARRAY_SIZE (units); u++)
        if (strncmp (end, units[u].unit, strlen (units[u].unit)) == 0
            && (best == ARRAY_SIZE (units) || strlen (units[u].unit) > strlen (units[best].unit)))
          best = u;
      if (best == ARRAY_SIZE (units))
        return false;
      *out += n * units[best].secs;
      s = end + strlen (units[best].unit);
    }
  return true;
}

/* docker's until: a duration before now, a unix time (seconds[.fraction]), or an RFC 3339 time
 * or date (UTC unless it says otherwise) */
static int
parse_until (const char *v, long long *t, capsa_err **err)
{
  double secs;
  char *end;
  if (parse_duration (v, &secs))
    return *t = (long long) time (NULL) - (long long) secs, 0;
  double u = strtod (v, &end);
  if (end != v && *end == '\0' && isdigit ((unsigned char) *v))
    return *t = (long long) u, 0;
  struct tm tm = { 0 };
  const char *rest = strptime (v, "%Y-%m-%dT%H:%M:%S", &tm);
  if (rest == NULL && (rest = strptime (v, "%Y-%m-%d", &tm)) != NULL && *rest)
    rest = NULL;
  if (rest && (*rest == '\0' || *rest == 'Z' || *rest == '.' || *rest == '+' || *rest == '-'))
    {
      long long s = (long long) timegm (&tm);
      const char *z = rest + strspn (rest, ".0123456789");
      int hh, mm;
      if ((*z == '+' || *z == '-') && sscanf (z + 1, "%d:%d", &hh, &mm) == 2)
        s -= (*z == '+' ? 1 : -1) * (hh * 3600LL + mm * 60LL);
      return *t = s, 0;
    }
  return capsa_fail_as (err, EINVAL,
                        "invalid filter 'until=%s': want a duration (10m, 1h30m), a unix time or an "
                        "RFC 3339 time",
                        v);
}

static const char *const prune_keys[] = { "label", "label!", "until", NULL };
static const char *const image_prune_keys[] = { "label", "label!", "until", "dangling", NULL };

int
capsa_prune_filters_check (json_t *filters, bool image, long long *until, capsa_err **err)
{
  int b;
  *until = -1;
  if (ctr_filter_keys_check (filters, image ? image_prune_keys : prune_keys, err) < 0
      || bool_filter (filters, "dangling", &b, err) < 0)
    return -1;
  const char *u = json_string_value (json_array_get (json_object_get (filters, "until"), 0));
  return u ? parse_until (u, until, err) : 0;
}

bool
capsa_prune_filter_match (json_t *labels, long long created, json_t *filters, long long until)
{
  if (until >= 0 && created >= until)
    return false;
  if (!capsa_labels_match (labels, json_object_get (filters, "label")))
    return false;
  json_t *v;
  size_t i;
  json_array_foreach (json_object_get (filters, "label!"), i, v)
  {
    cleanup_json json_t *one = json_pack ("[O]", v);
    if (capsa_labels_match (labels, one))
      return false;
  }
  return true;
}

struct pick
{
  struct capsa_store *s;
  json_t *filters;
  long long until;
  const char *registry;
};

static bool
pick_image (json_t *img, void *data)
{
  struct pick *p = data;
  cleanup_json json_t *sum = capsa_image_summary_json (p->s, img, p->registry);
  return capsa_prune_filter_match (json_object_get (sum, "Labels"),
                                   (long long) json_integer_value (json_object_get (sum, "Created")), p->filters,
                                   p->until);
}

int
capsa_image_prune_filtered (struct capsa_store *s, bool all, json_t *filters, long long until,
                            const char *default_registry, char ***deleted, long long *reclaimed, capsa_err **err)
{
  struct pick p = { s, filters, until, default_registry };
  bool any = json_object_get (filters, "label") || json_object_get (filters, "label!") || until >= 0;
  return capsa_image_prune_pick (s, all, any ? pick_image : NULL, &p, deleted, reclaimed, err);
}
