/* capsa image prune [--all] [--force] */
#include <getopt.h>
#include <stdio.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"

int
cmd_prune (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "all", no_argument, NULL, 'a' },
    { "force", no_argument, NULL, 'f' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  bool all = false;
  long long reclaimed = 0;
  char size[32];
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "afh", opts, NULL)) != -1)
    switch (c)
      {
      case 'a':
        all = true;
        break;
      case 'f':
        break; /* cli_confirm sees it */
      case 'h':
        printf ("Usage: capsa image prune [OPTIONS]\n\n"
                "Remove images without a name, and the blobs and layers nothing uses.\n"
                "  -a, --all     remove every image no container uses\n"
                "  -f, --force   do not ask for confirmation\n");
        return 0;
      default:
        return cli_usage ("image prune", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind < argc)
    return cli_usage ("image prune", "takes no arguments");
  if (!cli_confirm (argc, argv, all ? "all images without at least one container associated to them"
                                     : "all dangling images"))
    return 0;
  if (cli_image_prune (g, all, &reclaimed) != 0)
    return CLI_EXIT_ERROR;
  cli_human_size (reclaimed, size, sizeof size);
  printf ("Total reclaimed space: %s\n", size);
  return 0;
}

/* Remove unnamed images (all: every image no container uses), printing docker's "Deleted
 * Images:" list; *reclaimed gets the bytes freed added (system prune sums them). */
int
cli_image_prune (struct cli_global *g, bool all, long long *reclaimed)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **deleted = NULL;
  capsa_err *err = NULL;
  long long n = 0;
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_prune (s, all, &deleted, &n, &err) < 0)
    return cli_fail (&err);
  if (deleted)
    {
      printf ("Deleted Images:\n");
      for (char **d = deleted; *d; d++)
        printf ("deleted: %s\n", *d);
      printf ("\n");
    }
  *reclaimed += n;
  return 0;
}
