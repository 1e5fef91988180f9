/* capsa-oci features: runtime-spec features.md JSON. */
#include <stdio.h>
#include <stdlib.h>

#include "capsa/runtime.h"
#include "oci.h"

static const struct capsa_opt features_opts[] = { CAPSA_O_HELP ('h'), CAPSA_O_END };
const struct oci_cmd oci_cmd_features = { "features", "",
                                          "The runtime's features (runtime-spec features.md) as JSON.\n",
                                          features_opts };

int
cmd_features (struct oci_global *g, int argc, char **argv)
{
  int first = oci_parse (&oci_cmd_features, argc, argv, NULL);
  (void) g;
  if (first <= 0)
    return first == 0 ? 0 : 1;
  if (first < argc)
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
