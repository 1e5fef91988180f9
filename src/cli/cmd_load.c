/* capsa load [--input FILE|DIR] [--quiet] */
#include <getopt.h>
#include <stdio.h>
#include <unistd.h>

#include "imgarchive.h"
#include "cli.h"
#include "util.h"

int
cmd_load (struct cli_global *g, int argc, char **argv)
{
  static const struct option opts[] = {
    { "input", required_argument, NULL, 'i' },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **loaded = NULL;
  const char *input = "-";
  capsa_err *err = NULL;
  bool quiet = false;
  int c;

  opterr = 0;
  while ((c = getopt_long (argc, argv, "i:qh", opts, NULL)) != -1)
    switch (c)
      {
      case 'i':
        input = optarg;
        break;
      case 'q':
        quiet = true;
        break;
      case 'h':
        printf ("Usage: capsa load [OPTIONS]\n\n"
                "Load images from a docker-archive (`docker save`), an OCI archive, or an OCI layout\n"
                "directory; the format is recognized by itself.\n"
                "  -i, --input FILE|DIR   read it instead of stdin\n"
                "  -q, --quiet            print nothing\n");
        return 0;
      default:
        return cli_usage ("load", "unknown option `%s`", argv[optind - 1]);
      }
  if (optind < argc)
    return cli_usage ("load", "takes no arguments (use --input FILE)");
  if (input[0] == '-' && input[1] == '\0' && isatty (0))
    return cli_usage ("load", "stdin is a terminal: give --input FILE or redirect an archive into it");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  int r = capsa_image_load (s, input, g->eng.default_registry, &loaded, &err);
  for (char **l = loaded; !quiet && l && *l; l++)
    printf ("%s\n", *l);
  return r < 0 ? cli_fail (&err) : 0;
}
