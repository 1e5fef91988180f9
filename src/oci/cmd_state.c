/* capsa-oci state ID: runc's state JSON (ociVersion, id, pid, status, bundle, rootfs, created, owner). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

int
cmd_state (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  json_t *st = NULL;

  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    return printf ("Usage: capsa-oci state CONTAINER-ID\n"), 0;
  const char *id = oci_one_id ("state", argc, argv, 1);
  if (id == NULL)
    return 1;
  if (capsa_container_state (g->root, id, &st, &err) < 0)
    return oci_fail (&err);
  char *s = json_dumps (st, JSON_INDENT (2));
  json_decref (st);
  if (s)
    puts (s);
  free (s);
  return 0;
}
