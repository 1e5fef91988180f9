/* Small helpers around jansson shared by the library and the front ends (json_t is part of the
 * API: capsa.h): scope-based release of a json_t (as cleanup.h does for memory and fds), a
 * NULL-safe string member, string arrays, merging sections.  All static inline: no symbols. */
#ifndef CAPSA_JSON_H
#define CAPSA_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stdlib.h>
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

/* A new array of the strings of the NULL-terminated v (v may be NULL: an empty array). */
static inline json_t *
json_strv (char **v)
{
  json_t *a = json_array ();
  for (; v && *v; v++)
    json_array_append_new (a, json_string (*v));
  return a;
}

/* Whether the array arr holds the string s. */
static inline bool
json_strarray_has (json_t *arr, const char *s)
{
  size_t i;
  json_t *v;
  json_array_foreach (arr, i, v) if (json_is_string (v) && strcmp (json_string_value (v), s) == 0) return true;
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

/* o[key] as an object, made (empty) when absent; NULL only when o[key] is something else. */
static inline json_t *
json_child_object (json_t *o, const char *key)
{
  json_t *c = json_object_get (o, key);
  if (c == NULL)
    json_object_set_new (o, key, c = json_object ());
  return json_is_object (c) ? c : NULL;
}

/* Merge src into dst section by section: an object member of both is updated key by key (src
 * wins), anything else is replaced by src's. */
static inline void
json_merge_sections (json_t *dst, json_t *src)
{
  const char *k;
  json_t *v;
  json_object_foreach (src, k, v)
  {
    json_t *have = json_object_get (dst, k);
    if (json_is_object (have) && json_is_object (v))
      json_object_update (have, v);
    else
      json_object_set (dst, k, v);
  }
}

/* What kind of JSON value v is, for messages ("an object", "a string"...; NULL: "absent");
 * integers_apart: "an integer" and "a number with a fraction" rather than "a number". */
static inline const char *
json_kind_name (json_t *v, bool integers_apart)
{
  if (v == NULL)
    return "absent";
  switch (json_typeof (v))
    {
    case JSON_OBJECT:
      return "an object";
    case JSON_ARRAY:
      return "an array";
    case JSON_STRING:
      return "a string";
    case JSON_INTEGER:
      return integers_apart ? "an integer" : "a number";
    case JSON_REAL:
      return integers_apart ? "a number with a fraction" : "a number";
    case JSON_TRUE:
    case JSON_FALSE:
      return "a boolean";
    case JSON_NULL:
    default:
      return "null";
    }
}

/* Sort arr's members in place with cmp (qsort_r's: a and b point to json_t *; arg is handed on). */
static inline void
json_array_sort (json_t *arr, int (*cmp) (const void *a, const void *b, void *arg), void *arg)
{
  size_t n = json_array_size (arr);
  json_t **v = (json_t **) calloc (n + 1, sizeof *v);
  if (v == NULL)
    return;
  for (size_t i = 0; i < n; i++)
    v[i] = json_incref (json_array_get (arr, i));
  qsort_r (v, n, sizeof *v, cmp, arg);
  json_array_clear (arr);
  for (size_t i = 0; i < n; i++)
    json_array_append_new (arr, v[i]);
  free (v);
}

#endif
