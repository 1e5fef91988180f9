/* Small helpers around jansson shared by the library: scope-based release of a json_t (as
 * cleanup.h does for memory and fds) and a NULL-safe string member. */
#ifndef CAPSA_JSONUTIL_H
#define CAPSA_JSONUTIL_H

#include <jansson.h>

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

#endif
