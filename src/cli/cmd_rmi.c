/* capsa rmi [--force] IMAGE... */
#include <getopt.h>
#include <stdio.h>

#include "cli.h"
#include "image.h"
#include "util.h"

int
cmd_rmi (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  cleanup_store struct capsa_store *s = NULL;
  bool force = false;
  int c, status = 0;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "fh", opts, NULL)) != -1)
    switch (c)
      {
      case 'f':
        force = true;
        break;
      case 'h':
        printf ("Usage: capsa rmi [OPTIONS] IMAGE...\n\n"
                "Remove a name (the image goes with its last name), or an image by id.\n"
                "  -f, --force   remove an image by id even when it has several names\n");
        return 0;
      default:
        return cli_usage ("rmi", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind >= argc)
    return cli_usage ("rmi", "requires at least 1 argument (IMAGE)");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  for (int i = optind; i < argc; i++)
    {
      cleanup_strv char **untagged = NULL, **deleted = NULL;
      capsa_err *err = NULL;
      int r = capsa_image_remove (s, argv[i], force, g->eng.default_registry, &untagged, &deleted, &err);
      for (char **u = untagged; u && *u; u++)
        {
          cleanup_free char *fam = cli_familiar (g, *u);
          printf ("Untagged: %s\n", fam);
        }
      for (char **d = deleted; d && *d; d++)
        printf ("Deleted: %s\n", *d);
      if (r < 0)
        status = cli_fail (&err);
    }
  return status;
}
