/* capsa-oci pause ID / resume ID: freeze or thaw every process of the container. */
#include <stdio.h>
#include <string.h>

#include "oci.h"

static const struct capsa_opt pause_opts[] = { CAPSA_O_HELP ('h'), CAPSA_O_END };
const struct oci_cmd oci_cmd_pause = { "pause", "CONTAINER-ID",
                                       "Freeze every process of the container (cgroup freezer).\n", pause_opts };
const struct oci_cmd oci_cmd_resume = { "resume", "CONTAINER-ID",
                                        "Thaw every process of the container (cgroup freezer).\n", pause_opts };

static int
pause_or_resume (struct oci_global *g, const char *cmd, bool pause, int argc, char **argv)
{
  capsa_err *err = NULL;
  int first = oci_parse (pause ? &oci_cmd_pause : &oci_cmd_resume, argc, argv, NULL);

  if (first <= 0)
    return first == 0 ? 0 : 1;
  const char *id = oci_one_id (cmd, argc, argv, first);
  if (id == NULL)
    return 1;
  if (capsa_container_pause (g->root, id, pause, &err) < 0)
    return oci_fail (&err);
  return 0;
}

int
cmd_pause (struct oci_global *g, int argc, char **argv)
{
  return pause_or_resume (g, "pause", true, argc, argv);
}

int
cmd_resume (struct oci_global *g, int argc, char **argv)
{
  return pause_or_resume (g, "resume", false, argc, argv);
}
