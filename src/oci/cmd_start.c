/* capsa-oci start ID: release the process of a created container. */
#include <stdio.h>
#include <string.h>

#include "oci.h"

static const struct capsa_opt start_opts[] = { CAPSA_O_HELP ('h'), CAPSA_O_END };
const struct oci_cmd oci_cmd_start = { "start", "CONTAINER-ID", NULL, start_opts };

int
cmd_start (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  int first = oci_parse (&oci_cmd_start, argc, argv, NULL);
  if (first <= 0)
    return first == 0 ? 0 : 1;
  const char *id = oci_one_id ("start", argc, argv, first);
  if (id == NULL)
    return 1;
  if (capsa_container_start (g->root, id, &err) < 0)
    return oci_fail (&err);
  return 0;
}
