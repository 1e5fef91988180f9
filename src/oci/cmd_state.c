/* capsa-oci state ID: runc's state JSON (ociVersion, id, pid, status, bundle, rootfs, created, owner). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "oci.h"

static const struct capsa_opt state_opts[] = { CAPSA_O_HELP ('h'), CAPSA_O_END };
const struct oci_cmd oci_cmd_state = { "state", "CONTAINER-ID", NULL, state_opts };

int
cmd_state (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  json_t *st = NULL;

  int first = oci_parse (&oci_cmd_state, argc, argv, NULL);
  if (first <= 0)
    return first == 0 ? 0 : 1;
  const char *id = oci_one_id ("state", argc, argv, first);
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
