/* capsa-oci pause ID / resume ID: freeze or thaw every process of the container. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "oci.h"

static int
pause_or_resume (struct oci_global *g, const char *cmd, bool pause, int argc, char **argv)
{
  static const struct option opts[] = { { "help", no_argument, NULL, 'h' }, { 0 } };
  capsa_err *err = NULL;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "h", opts, NULL)) != -1)
    {
      if (c == 'h')
        {
          printf ("Usage: capsa-oci %s CONTAINER-ID\n\n%s every process of the container (cgroup freezer).\n", cmd,
                  pause ? "Freeze" : "Thaw");
          return 0;
        }
      return oci_usage (cmd, "unknown option `%s`", argv[optind - 1]);
    }
  const char *id = oci_one_id (cmd, argc, argv, optind);
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
