/* capsa save [--output FILE|DIR] [--format docker-archive|oci-archive|oci-dir] IMAGE... */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "capsa/image.h"
#include "capsa/util.h"
#include "cli.h"
#include "image_opts.h"

int
cmd_save (struct cli_global *g, int argc, char **argv)
{
  cleanup_store struct capsa_store *s = NULL;
  struct save_flags f = { .output = "-" };
  capsa_err *err = NULL;
  int first = cli_parse (&cli_spec_save, argc, argv, &f);
  if (first <= 0)
    return -first;
  const char *output = f.output;
  enum capsa_archive_format format = CAPSA_ARCHIVE_DOCKER;
  if (f.format && strncmp (f.format, "oci", 3) == 0)
    format = strcmp (f.format, "oci-dir") == 0 ? CAPSA_ARCHIVE_OCI_DIR : CAPSA_ARCHIVE_OCI;
  if (first >= argc)
    return cli_usage ("save", "requires at least 1 argument (IMAGE)");
  if (strcmp (output, "-") == 0 && isatty (1))
    return cli_usage ("save", "stdout is a terminal: give --output FILE or redirect it");
  if (cli_open_store (g, &s) != 0)
    return CLI_EXIT_ERROR;
  if (capsa_image_save (s, argv + first, g->eng.default_registry, format, output, &err) < 0)
    return cli_fail (&err);
  return 0;
}
