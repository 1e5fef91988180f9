/* Small helpers around jansson shared by the library: scope-based release of a json_t (as
 * cleanup.h does for memory and fds), a NULL-safe string member, string arrays. */
#ifndef CAPSA_JSONUTIL_H
#define CAPSA_JSONUTIL_H

#include <jansson.h>
#include <stdbool.h>
#include <string.h>

static inline void
json_decref_p (json_t **j)
{
  if (*j)
    json_decref (*j);
}
#define cleanup_json __attribute__ ((cleanup (json_decref_p)))

/* o[key] as a string, NULL when absent or not a string (o may be NULL). */
static inline const char *
jstr (json_t *o, const char *key)
{
  return json_string_value (json_object_get (o, key));
}

/* Whether the array arr holds the string s. */
static inline bool
json_strarray_has (json_t *arr, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach (arr, i, v)
  if (json_is_string (v) && strcmp (json_string_value (v), s) == 0)
    return true;
  return false;
}

/* Remove every s from the string array arr. */
static inline void
json_strarray_remove (json_t *arr, const char *s)
{
  for (size_t i = json_array_size (arr); i-- > 0;)
    if (strcmp (json_string_value (json_array_get (arr, i)) ?: "", s) == 0)
      json_array_remove (arr, i);
}

#endif
