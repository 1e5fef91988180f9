/* capsa-oci delete [--force] ID */
#include <getopt.h>
#include <stdio.h>

#include "oci.h"

int
cmd_delete (struct oci_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  capsa_err *err = NULL;
  bool force = false;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        printf ("Usage: capsa-oci delete [--force] CONTAINER-ID\n\n"
                "  -f, --force   kill a running container (SIGKILL) before deleting it\n");
        return 0;
      default:
        return oci_usage ("delete", "unknown option `%s`", argv[optind - 1]);
      }
  const char *id = oci_one_id ("delete", argc, argv, optind);
  if (id == NULL)
    return 1;
  if (capsa_container_delete (g->root, id, force, &err) < 0)
    return oci_fail (&err);
  return 0;
}
