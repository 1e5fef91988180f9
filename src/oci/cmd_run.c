/* capsa-oci run [create options] [--detach] ID: exits with the container's exit status. */
#include "oci.h"

int
cmd_run (struct oci_global *g, int argc, char **argv)
{
  struct capsa_create_opts o;
  capsa_err *err = NULL;
  int status = 0;
  int r = oci_parse_create_opts (g, "run", true, argc, argv, &o);

  if (r < 0)
    return r == -2 ? 0 : 1;
  if (capsa_container_run (&o, &status, &err) < 0)
    return oci_fail (&err);
  return status;
}
