/* capsa tag SOURCE_IMAGE TARGET_IMAGE */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "image.h"

int
cmd_tag (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  capsa_err *err = NULL;

  if (argc == 2 && (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0))
    {
      printf ("Usage: capsa tag SOURCE_IMAGE[:TAG] TARGET_IMAGE[:TAG]\n\n"
              "Give the image SOURCE another name; a name held by another image moves.\n");
      return 0;
    }
  if (argc != 3)
    return cli_usage ("tag", "requires exactly 2 arguments (SOURCE TARGET)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_tag (s, argv[1], argv[2], g->eng.default_registry, &err) < 0)
    return cli_fail (&err);
  return 0;
}
