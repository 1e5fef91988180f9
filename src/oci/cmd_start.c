/* capsa-oci start ID: release the process of a created container. */
#include <stdio.h>
#include <string.h>

#include "oci.h"

int
cmd_start (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    return printf ("Usage: capsa-oci start CONTAINER-ID\n"), 0;
  const char *id = oci_one_id ("start", argc, argv, 1);
  if (id == NULL)
    return 1;
  if (capsa_container_start (g->root, id, &err) < 0)
    return oci_fail (&err);
  return 0;
}
