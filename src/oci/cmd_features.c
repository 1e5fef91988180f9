/* capsa-oci features: runtime-spec features.md JSON. */
#include <stdio.h>
#include <stdlib.h>

#include "capsa/runtime.h"
#include "oci.h"

int
cmd_features (struct oci_global *g, int argc, char **argv)
{
  (void) g;
  (void) argv;
  if (argc > 1)
    return oci_usage ("features", "takes no arguments");
  json_t *f = capsa_features ();
  char *s = f ? json_dumps (f, JSON_INDENT (2)) : NULL;
  json_decref (f);
  if (s == NULL)
    return 1;
  puts (s);
  free (s);
  return 0;
}
