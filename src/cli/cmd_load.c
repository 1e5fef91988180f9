/* capsa load [--input FILE|DIR] [--quiet] */
#include <stdio.h>
#include <unistd.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"

int
cmd_load (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  cleanup_strv char **loaded = NULL;
  struct load_flags f = { .input = "-" };
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_load, argc, argv, &f);
  if (first <= 0)
    return -first;
  const char *input = f.input;
  bool quiet = f.quiet;
  if (first < argc)
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
