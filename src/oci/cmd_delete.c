/* capsa-oci delete [--force] ID */
#include <stdio.h>

#include "oci.h"

static const struct capsa_opt delete_opts[] = {
  { .name = "force",
    .letter = 'f',
    .kind = CAPSA_OPT_BOOL,
    .help = "kill a running container (SIGKILL) before deleting it" },
  CAPSA_O_HELP ('h'),
  CAPSA_O_END,
};
const struct oci_cmd oci_cmd_delete = {
  "delete", "[--force] CONTAINER-ID", NULL, delete_opts, 0, 16, CAPSA_OPT_HELP_COMPACT,
};

int
cmd_delete (struct oci_global *g, int argc, char **argv)
{
  capsa_err *err = NULL;
  bool force = false;
  int first = oci_parse (&oci_cmd_delete, argc, argv, &force);

  if (first <= 0)
    return first == 0 ? 0 : 1;
  const char *id = oci_one_id ("delete", argc, argv, first);
  if (id == NULL)
    return 1;
  if (capsa_container_delete (g->root, id, force, &err) < 0)
    return oci_fail (&err);
  return 0;
}
